"""Twilio Programmable Messaging (REST API 2010-04-01).

Send: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, a form with To,
From and/or MessagingServiceSid, Body and StatusCallback; HTTP basic auth with
AccountSid:AuthToken or ApiKeySid:ApiKeySecret (the account SID stays in the
path). 201 answers the Message resource, whose `sid` is the message id; an
error answers {"code", "message", "more_info", "status"}.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from ..phone import mask_number
from ..sender import SendErrorKind
from .common import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_FROM_NUMBER,
    CONF_MESSAGING_SERVICE_SID,
    Answer,
    CredentialError,
    async_check_request,
    async_send_request,
    credential_error,
    malformed_error,
    redacted_repr,
    require_found,
    require_listed,
    text_or_none,
)

PROVIDER: Final = "Twilio"
API_BASE: Final = "https://api.twilio.com"
# Messaging Services live on their own host (Messaging API v1).
MESSAGING_BASE: Final = "https://messaging.twilio.com"
# Twilio's limit for Body, in characters.
MAX_BODY: Final = 1600

# Twilio's error codes, on the API answer or in a status callback's ErrorCode.
CODE_KINDS: Final[Mapping[str, SendErrorKind]] = {
    # 30006 Landline or unreachable carrier (delivery receipt);
    # 21614 'To' number is not a valid mobile number;
    # 21635 'To' number cannot be a landline (both on the API answer).
    "30006": SendErrorKind.LANDLINE,
    "21614": SendErrorKind.LANDLINE,
    "21635": SendErrorKind.LANDLINE,
    # 30007 Message filtered (carrier filtering);
    # 30034 US A2P 10DLC: message from an unregistered number;
    # 30032 Toll-free number has not been verified.
    "30007": SendErrorKind.FILTERED,
    "30034": SendErrorKind.FILTERED,
    "30032": SendErrorKind.FILTERED,
    # 21610 The recipient replied STOP to this sender.
    "21610": SendErrorKind.OPTED_OUT,
}


def error_of(body: Any) -> tuple[str | None, str | None]:
    """Return the code and the text of a Twilio error body."""
    document = body if isinstance(body, dict) else {}
    return text_or_none(document.get("code")), text_or_none(document.get("message"))


class TwilioApi:
    """Twilio's Messages resource, and the look-ups that check the credentials."""

    max_body = MAX_BODY

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: Mapping[str, str],
        base: str | None = None,
    ) -> None:
        """Initialize; base replaces both of Twilio's hosts (tests, e2e)."""
        self._session = session
        self._account_sid = credentials[CONF_ACCOUNT_SID]
        key_sid = credentials.get(CONF_API_KEY_SID)
        key_secret = credentials.get(CONF_API_KEY_SECRET)
        if key_sid and key_secret:
            user, password = key_sid, key_secret
        else:
            user, password = self._account_sid, credentials[CONF_AUTH_TOKEN]
        # HTTP basic auth, spelled out: aiohttp 3.14 deprecates BasicAuth.
        pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {pair}"}
        self._from = credentials.get(CONF_FROM_NUMBER) or None
        self._service_sid = credentials.get(CONF_MESSAGING_SERVICE_SID) or None
        self._api_base = base or API_BASE
        self._messaging_base = base or MESSAGING_BASE

    def __repr__(self) -> str:
        """Show which sender this is, never a secret or a full number."""
        return redacted_repr(
            "TwilioApi",
            from_number=mask_number(self._from) if self._from else None,
            messaging_service=self._service_sid,
        )

    @property
    def _account_url(self) -> str:
        return f"{self._api_base}/2010-04-01/Accounts/{quote(self._account_sid)}"

    async def _async_get(self, url: str, **kwargs: str | dict[str, str]) -> Answer:
        return await async_check_request(
            self._session, PROVIDER, url, headers=self._headers, **kwargs
        )

    async def async_check(self) -> None:
        """Fetch the account, then the From number or the Messaging Service."""
        if not self._from and not self._service_sid:
            raise CredentialError(
                "number_not_on_account",
                "neither a From number nor a Messaging Service SID is set",
            )
        account = await self._async_get(f"{self._account_url}.json")
        if account.status == 404:
            # The key pair is valid but belongs to another account.
            raise CredentialError("invalid_auth", "Twilio does not know this account")
        if not account.ok:
            raise credential_error(PROVIDER, account)
        if self._from:
            await self._async_check_number(self._from)
        if self._service_sid:
            await self._async_check_service(self._service_sid)

    async def _async_check_number(self, number: str) -> None:
        answer = await self._async_get(
            f"{self._account_url}/IncomingPhoneNumbers.json",
            params={"PhoneNumber": number},
        )
        require_listed(
            PROVIDER,
            answer,
            "incoming_phone_numbers",
            lambda entry: entry.get("phone_number") == number,
            f"{mask_number(number)} is not a number of this Twilio account",
        )

    async def _async_check_service(self, service_sid: str) -> None:
        answer = await self._async_get(
            f"{self._messaging_base}/v1/Services/{quote(service_sid)}"
        )
        require_found(
            PROVIDER, answer, "Twilio knows no Messaging Service with this SID"
        )

    async def async_send(
        self, *, to: str, body: str, status_callback: str | None
    ) -> str:
        """Create a Message; return its SID."""
        form = {"To": to}
        if self._from:
            form["From"] = self._from
        if self._service_sid:
            form["MessagingServiceSid"] = self._service_sid
        form["Body"] = body
        if status_callback:
            form["StatusCallback"] = status_callback
        answer = await async_send_request(
            self._session,
            PROVIDER,
            f"{self._account_url}/Messages.json",
            error_of=error_of,
            code_kinds=CODE_KINDS,
            headers=self._headers,
            data=form,
        )
        document = answer.body if isinstance(answer.body, dict) else {}
        sid = text_or_none(document.get("sid"))
        if sid is None:
            raise malformed_error(PROVIDER, answer, "a message SID")
        return sid
