"""Quo (formerly OpenPhone) public API v1.

Send: POST /v1/messages, JSON {content, from, to: [one number]} with
`Authorization: <API key>` (no "Bearer"). 202 answers {"data": {"id", ...}}; an
error answers {"message", "code", "status", "title", ...} (code a string such
as "0206400"). Quo's dated API (Quo-Api-Version header) does not send texts
yet, so this stays on v1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import aiohttp

from ..phone import mask_number
from ..sender import SendErrorKind
from .common import (
    CONF_API_KEY,
    CONF_FROM_NUMBER,
    CredentialError,
    async_check_request,
    async_send_request,
    data_id,
    redacted_repr,
    require_listed,
    text_or_none,
)

PROVIDER: Final = "Quo"
API_BASE: Final = "https://api.quo.com"
# `content` takes 1 to 1600 characters.
MAX_BODY: Final = 1600

# Quo's error codes on the send. Its delivery receipts (message.delivered)
# carry no error code: Quo documents no landline or opt-out code.
CODE_KINDS: Final[Mapping[str, SendErrorKind]] = {
    # 0206400 A2P Registration Not Approved (HTTP 400).
    "0206400": SendErrorKind.FILTERED,
}


def error_of(body: Any) -> tuple[str | None, str | None]:
    """Return the code and the text of a Quo error body.

    Most errors are flat ({"code", "message", "title"}); a 401 may come as
    {"error": {"message", "key"}}.
    """
    if not isinstance(body, dict):
        return None, None
    nested = body.get("error")
    if isinstance(nested, dict):
        return None, text_or_none(nested.get("message"))
    title = text_or_none(body.get("title"))
    message = text_or_none(body.get("message"))
    text = (
        f"{title}: {message}"
        if title and message and title != message
        else (message or title)
    )
    return text_or_none(body.get("code")), text


class QuoApi:
    """Quo's messages endpoint, and the number list that checks the key."""

    max_body = MAX_BODY

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: Mapping[str, str],
        base: str | None = None,
    ) -> None:
        """Initialize; base replaces Quo's host (tests, e2e)."""
        self._session = session
        self._headers = {"Authorization": credentials[CONF_API_KEY]}
        # An E.164 number or the number's id in Quo ("PN...").
        self._from = credentials.get(CONF_FROM_NUMBER, "")
        self._base = f"{base or API_BASE}/v1"

    def __repr__(self) -> str:
        """Show which sender this is, never a secret or a full number."""
        if not self._from or self._from.startswith("PN"):
            shown = self._from or None
        else:
            shown = mask_number(self._from)
        return redacted_repr("QuoApi", from_number=shown)

    async def async_check(self) -> None:
        """List the workspace's numbers; the From number must be one of them."""
        if not self._from:
            raise CredentialError("number_not_on_account", "no From number is set")
        answer = await async_check_request(
            self._session,
            PROVIDER,
            f"{self._base}/phone-numbers",
            headers=self._headers,
        )
        require_listed(
            PROVIDER,
            answer,
            "data",
            lambda entry: self._from in (entry.get("id"), entry.get("number")),
            "the From number is not a number of this Quo workspace",
        )

    async def async_send(
        self,
        *,
        to: str,
        body: str,
        status_callback: str | None,  # noqa: ARG002
    ) -> str:
        """Send a message; return its id.

        Quo takes no per-message callback URL: receipts come from the
        workspace's webhooks (message.delivered), so status_callback is unused.
        """
        answer = await async_send_request(
            self._session,
            PROVIDER,
            f"{self._base}/messages",
            error_of=error_of,
            code_kinds=CODE_KINDS,
            headers=self._headers,
            json={"content": body, "from": self._from, "to": [to]},
        )
        return data_id(PROVIDER, answer)
