"""Telnyx Messaging API v2.

Send: POST /v2/messages, JSON {from, to, text, messaging_profile_id?,
webhook_url?} with `Authorization: Bearer <API key>`. 200 answers
{"data": {"id", ...}}; an error answers {"errors": [{"code", "title",
"detail"}]} with the code as a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from ..phone import mask_number
from ..sender import SendErrorKind
from .common import (
    CONF_API_KEY,
    CONF_FROM_NUMBER,
    CONF_MESSAGING_PROFILE_ID,
    Answer,
    CredentialError,
    async_check_request,
    async_send_request,
    data_id,
    redacted_repr,
    require_found,
    require_listed,
    text_or_none,
)

PROVIDER: Final = "Telnyx"
API_BASE: Final = "https://api.telnyx.com"
# Telnyx splits a text into at most 10 parts of 153 GSM-7 characters (67 in
# UCS-2, which Telnyx refuses itself past 10 parts).
MAX_BODY: Final = 1530

# Telnyx's messaging error codes, on the API answer or in message.finalized.
CODE_KINDS: Final[Mapping[str, SendErrorKind]] = {
    # 40001 Not routable: a landline or non-routable number.
    "40001": SendErrorKind.LANDLINE,
    # 40002/40003 Blocked as spam by the carrier (temporary/permanent);
    # 40015 Telnyx's own spam filter.
    "40002": SendErrorKind.FILTERED,
    "40003": SendErrorKind.FILTERED,
    "40015": SendErrorKind.FILTERED,
    # 40300 Blocked due to STOP message (HTTP 409 on the send).
    "40300": SendErrorKind.OPTED_OUT,
}


def first_error(body: Any) -> tuple[str | None, str | None]:
    """Return the code and the text of the first error in a Telnyx error body."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None, None
    error = errors[0]
    title = text_or_none(error.get("title"))
    detail = text_or_none(error.get("detail"))
    text = f"{title}: {detail}" if title and detail else title or detail
    return text_or_none(error.get("code")), text


class TelnyxApi:
    """Telnyx's messages endpoint, and the look-ups that check the credentials."""

    max_body = MAX_BODY

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: Mapping[str, str],
        base: str | None = None,
    ) -> None:
        """Initialize; base replaces Telnyx's host (tests, e2e)."""
        self._session = session
        self._headers = {"Authorization": f"Bearer {credentials[CONF_API_KEY]}"}
        self._from = credentials.get(CONF_FROM_NUMBER) or None
        self._profile_id = credentials.get(CONF_MESSAGING_PROFILE_ID) or None
        self._base = f"{base or API_BASE}/v2"

    def __repr__(self) -> str:
        """Show which sender this is, never a secret or a full number."""
        return redacted_repr(
            "TelnyxApi",
            from_number=mask_number(self._from) if self._from else None,
            messaging_profile=self._profile_id,
        )

    async def _async_get(self, path: str, **kwargs: dict[str, str]) -> Answer:
        return await async_check_request(
            self._session,
            PROVIDER,
            f"{self._base}{path}",
            headers=self._headers,
            **kwargs,
        )

    async def async_check(self) -> None:
        """Look the From number up on the account, then the messaging profile."""
        if not self._from and not self._profile_id:
            raise CredentialError(
                "number_not_on_account",
                "neither a From number nor a messaging profile is set",
            )
        if self._from:
            await self._async_check_number(self._from)
        if self._profile_id:
            await self._async_check_profile(self._profile_id)

    async def _async_check_number(self, number: str) -> None:
        # The filter takes digits only ("non-numerical characters will result
        # in no values") and matches parts of numbers: compare the answers.
        digits = "".join(char for char in number if char.isdecimal())
        answer = await self._async_get(
            "/phone_numbers", params={"filter[phone_number]": digits}
        )
        require_listed(
            PROVIDER,
            answer,
            "data",
            lambda entry: entry.get("phone_number") == number,
            f"{mask_number(number)} is not a number of this Telnyx account",
        )

    async def _async_check_profile(self, profile_id: str) -> None:
        answer = await self._async_get(f"/messaging_profiles/{quote(profile_id)}")
        require_found(
            PROVIDER, answer, "Telnyx knows no messaging profile with this id"
        )

    async def async_send(
        self, *, to: str, body: str, status_callback: str | None
    ) -> str:
        """Send a message; return its id."""
        payload: dict[str, str] = {}
        if self._from:
            payload["from"] = self._from
        payload["to"] = to
        payload["text"] = body
        if self._profile_id:
            payload["messaging_profile_id"] = self._profile_id
        if status_callback:
            payload["webhook_url"] = status_callback
        answer = await async_send_request(
            self._session,
            PROVIDER,
            f"{self._base}/messages",
            error_of=first_error,
            code_kinds=CODE_KINDS,
            headers=self._headers,
            json=payload,
        )
        return data_id(PROVIDER, answer)
