"""Native senders: a text goes straight to Twilio's, Telnyx's or Quo's API.

build_api() makes one provider's API client over Home Assistant's shared
aiohttp session; NativeSender wraps it as the line's Sender. Each provider's
base URL can be pointed elsewhere with MISSED_CALL_TEXTBACK_API_BASE_<PROVIDER>
(tests and the browser end-to-end run play the providers on a local server).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import os
from typing import Final

import aiohttp
from homeassistant.core import Context

from ..const import LOGGER, SenderKind
from ..phone import mask_number
from ..sender import SendError, SendErrorKind
from . import quo, telnyx, twilio
from .common import (
    SECRET_KEYS,
    CredentialError,
    CredentialProblem,
    ProviderApi,
    classify,
)

__all__ = [
    "NATIVE_SENDERS",
    "SECRET_KEYS",
    "CredentialError",
    "CredentialProblem",
    "NativeSender",
    "ProviderApi",
    "api_base",
    "build_api",
    "classify_code",
]

ENV_API_BASE: Final = "MISSED_CALL_TEXTBACK_API_BASE_"

type _Factory = Callable[
    [aiohttp.ClientSession, Mapping[str, str], str | None], ProviderApi
]
_FACTORIES: Final[Mapping[SenderKind, _Factory]] = {
    SenderKind.TWILIO: twilio.TwilioApi,
    SenderKind.TELNYX: telnyx.TelnyxApi,
    SenderKind.QUO: quo.QuoApi,
}
# What each provider's error codes mean.
_CODE_KINDS: Final[Mapping[SenderKind, Mapping[str, SendErrorKind]]] = {
    SenderKind.TWILIO: twilio.CODE_KINDS,
    SenderKind.TELNYX: telnyx.CODE_KINDS,
    SenderKind.QUO: quo.CODE_KINDS,
}
# The sender kinds that talk to a provider's API themselves.
NATIVE_SENDERS: Final = frozenset(_FACTORIES)


def api_base(kind: SenderKind) -> str | None:
    """Return the base URL the environment sets for kind's API, or None."""
    value = os.environ.get(f"{ENV_API_BASE}{kind.name}", "").strip()
    return value.rstrip("/") or None


def build_api(
    kind: SenderKind,
    session: aiohttp.ClientSession,
    credentials: Mapping[str, str],
) -> ProviderApi:
    """Return the API client of a native sender kind.

    Raises KeyError when kind is no native sender or a required credential
    is missing.
    """
    return _FACTORIES[kind](session, credentials, api_base(kind))


def classify_code(kind: SenderKind, code: str | None) -> SendErrorKind | None:
    """Return what a provider's error code means (landline, filtered, opted out).

    None for codes with no special meaning and for senders with no codes;
    delivery receipts use it, and so do the senders on the API's answer.
    """
    return classify(_CODE_KINDS.get(kind, {}), code)


class NativeSender:
    """Sends a text through a provider's API; returns the provider's message id."""

    def __init__(self, api: ProviderApi, status_callback: str | None) -> None:
        """Initialize with the API client and the URL for delivery receipts."""
        self._api = api
        self._status_callback = status_callback

    def __repr__(self) -> str:
        """Show the API client's safe repr (no secret, no full number, no URL)."""
        return (
            f"NativeSender({self._api!r}, receipts={self._status_callback is not None})"
        )

    @property
    def api(self) -> ProviderApi:
        """Return the provider's API client."""
        return self._api

    async def async_send(
        self,
        *,
        number: str,
        message: str,
        caller_name: str | None,  # noqa: ARG002
        line_name: str,
        context: Context | None,  # noqa: ARG002
    ) -> str:
        """Send the text; raise SendError with what the provider's answer means."""
        if len(message) > self._api.max_body:
            # The provider would refuse it; so would every retry.
            raise SendError(
                "message_too_long",
                f"the text has {len(message)} characters; the provider takes at "
                f"most {self._api.max_body}",
                kind=SendErrorKind.PERMANENT,
            )
        message_id = await self._api.async_send(
            to=number, body=message, status_callback=self._status_callback
        )
        LOGGER.debug(
            "%s: %r accepted the text to %s as %s",
            line_name,
            self._api,
            mask_number(number),
            message_id,
        )
        return message_id
