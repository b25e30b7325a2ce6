"""What every provider API client shares: credential keys, errors, one HTTP call.

Provider modules import from here (never from the package), so the package can
import them without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
import json
from typing import Any, Final, Literal, Protocol

import aiohttp
from multidict import CIMultiDictProxy

from ..phone import scrub_numbers
from ..sender import SendError, SendErrorKind

# Credential keys (entry.options["credentials"]). The webhook providers use the
# same names for the same secrets (auth_token, public_key, signing_key).
CONF_ACCOUNT_SID: Final = "account_sid"
CONF_AUTH_TOKEN: Final = "auth_token"  # noqa: S105 - a setting's name
CONF_API_KEY_SID: Final = "api_key_sid"
CONF_API_KEY_SECRET: Final = "api_key_secret"  # noqa: S105 - a setting's name
CONF_FROM_NUMBER: Final = "from_number"
CONF_MESSAGING_SERVICE_SID: Final = "messaging_service_sid"
CONF_API_KEY: Final = "api_key"
CONF_MESSAGING_PROFILE_ID: Final = "messaging_profile_id"
CONF_PUBLIC_KEY: Final = "public_key"
CONF_SIGNING_KEY: Final = "signing_key"

# Every credential that is a secret: never in a repr, a log or diagnostics.
SECRET_KEYS: Final = frozenset(
    {CONF_AUTH_TOKEN, CONF_API_KEY_SECRET, CONF_API_KEY, CONF_SIGNING_KEY}
)

# A send that hangs holds the line's single send in flight: give up and retry.
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)  # not Final: tests shorten it
# An error text from a provider is shown to the owner; keep it readable.
_MAX_DETAIL: Final = 300

type CredentialProblem = Literal[
    "invalid_auth",
    "cannot_connect",
    "number_not_on_account",
    "messaging_service_not_found",
]


class CredentialError(Exception):
    """The provider refused the credentials, or could not be asked."""

    def __init__(self, reason: CredentialProblem, detail: str) -> None:
        """Initialize with the config flow's error key and a technical detail."""
        super().__init__(detail)
        self.reason: CredentialProblem = reason
        self.detail = detail


class ProviderApi(Protocol):
    """One provider's messaging API, as a line uses it."""

    @property
    def max_body(self) -> int:
        """Return the longest body the provider takes, in characters."""

    async def async_check(self) -> None:
        """Check the credentials and the sender; raise CredentialError."""

    async def async_send(
        self, *, to: str, body: str, status_callback: str | None
    ) -> str:
        """Send one text; return the provider's message id or raise SendError."""


class UnreachableError(Exception):
    """No HTTP answer at all: a timeout or a connection error."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A provider's HTTP answer: status, JSON body (None if not JSON), Retry-After."""

    status: int
    body: Any
    retry_after: float | None

    @property
    def ok(self) -> bool:
        """Return whether the status is a success."""
        return 200 <= self.status < 300


async def async_request(
    session: aiohttp.ClientSession,
    provider: str,
    method: str,
    url: str,
    **kwargs: Any,
) -> Answer:
    """Make one request; raise UnreachableError when no answer came.

    kwargs go to aiohttp (headers, params, data, json). Redirects are
    not followed: the providers do not redirect their API, and a redirect
    would carry the credentials elsewhere.
    """
    try:
        async with session.request(
            method, url, timeout=REQUEST_TIMEOUT, allow_redirects=False, **kwargs
        ) as response:
            raw = await response.read()
            status = response.status
            headers = response.headers
    except TimeoutError as err:
        raise UnreachableError(
            f"{provider} did not answer within {REQUEST_TIMEOUT.total:g} s"
        ) from err
    except aiohttp.ClientError as err:
        # The error text may hold the URL, which holds no secret (credentials
        # travel in headers) but may hold an account SID: name the type only.
        raise UnreachableError(
            f"cannot reach {provider} ({type(err).__name__})"
        ) from err
    return Answer(status, _json_or_none(raw), _retry_after(headers))


def _json_or_none(raw: bytes) -> Any:
    """Return the JSON document in raw, or None when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _retry_after(headers: CIMultiDictProxy[str]) -> float | None:
    """Return the seconds a Retry-After header asks for, or None.

    An HTTP date is read against the answer's own Date header, so neither
    clock has to agree with ours.
    """
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdecimal():
        return float(value)
    try:
        then = parsedate_to_datetime(value)
        now = parsedate_to_datetime(headers.get("Date", ""))
    except (TypeError, ValueError):
        return None
    if then.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (then - now).total_seconds())


def clean_detail(text: str) -> str:
    """Return a provider's error text fit for logs and events: short, no numbers."""
    text = " ".join(text.split())
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "\u2026"
    return scrub_numbers(text)


def classify(
    code_kinds: Mapping[str, SendErrorKind], code: str | None
) -> SendErrorKind | None:
    """Return what a provider's error code means, or None for any other code."""
    return code_kinds.get(code) if code else None


def unreachable_error(err: UnreachableError) -> SendError:
    """Return the retryable SendError for a request that got no answer."""
    return SendError("provider_retry", str(err), kind=SendErrorKind.RETRY)


def send_error(
    provider: str,
    answer: Answer,
    *,
    code: str | None,
    message: str | None,
    kind_of_code: SendErrorKind | None,
) -> SendError:
    """Return the SendError for a failed send (a non-2xx answer).

    The provider's code decides first (landline, filtering, opt-out); then
    the status: 401/403 refused credentials, 429 and 5xx are worth another
    try, any other 4xx would fail the same way again.
    """
    detail = f"{provider} answered HTTP {answer.status}"
    if code is not None:
        detail += f", error {code}"
    if message:
        detail += f": {clean_detail(message)}"
    elif answer.body is None:
        detail += " (no JSON error body)"
    if kind_of_code is not None:
        kind = kind_of_code
    elif answer.status in {401, 403}:
        kind = SendErrorKind.AUTH
    elif answer.status == 429 or answer.status >= 500:
        kind = SendErrorKind.RETRY
    else:
        kind = SendErrorKind.PERMANENT
    return SendError(
        f"provider_{kind}",
        detail,
        kind=kind,
        code=code,
        retry_after=answer.retry_after if kind is SendErrorKind.RETRY else None,
    )


def malformed_error(provider: str, answer: Answer, what: str) -> SendError:
    """Return the retryable SendError for a 2xx answer that is not the API's.

    A success without the message id is no answer of the provider's (a
    captive portal, a proxy's page): the text was most likely not sent.
    """
    return SendError(
        "provider_retry",
        f"{provider} answered HTTP {answer.status} without {what}",
        kind=SendErrorKind.RETRY,
    )


def credential_error(provider: str, answer: Answer) -> CredentialError:
    """Return the CredentialError for a failed credential check."""
    if answer.status in {401, 403}:
        return CredentialError(
            "invalid_auth", f"{provider} refused the credentials (HTTP {answer.status})"
        )
    return CredentialError(
        "cannot_connect", f"{provider} answered HTTP {answer.status}"
    )


def text_or_none(value: Any) -> str | None:
    """Return value as a non-empty string, or None."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def redacted_repr(name: str, **fields: str | None) -> str:
    """Return a repr that shows only what is safe to show (no secret, no number)."""
    shown = ", ".join(f"{key}={value!r}" for key, value in fields.items())
    return f"{name}({shown})"


async def async_check_request(
    session: aiohttp.ClientSession, provider: str, url: str, **kwargs: Any
) -> Answer:
    """GET what a credential check looks up; no answer is cannot_connect."""
    try:
        return await async_request(session, provider, "GET", url, **kwargs)
    except UnreachableError as err:
        raise CredentialError("cannot_connect", str(err)) from err


type ErrorReader = Callable[[Any], tuple[str | None, str | None]]


async def async_send_request(
    session: aiohttp.ClientSession,
    provider: str,
    url: str,
    *,
    error_of: ErrorReader,
    code_kinds: Mapping[str, SendErrorKind],
    **kwargs: Any,
) -> Answer:
    """POST a text; return the provider's success answer or raise SendError.

    error_of reads the code and the text of the provider's error body;
    code_kinds says what a code means.
    """
    try:
        answer = await async_request(session, provider, "POST", url, **kwargs)
    except UnreachableError as err:
        raise unreachable_error(err) from err
    if not answer.ok:
        code, message = error_of(answer.body)
        raise send_error(
            provider,
            answer,
            code=code,
            message=message,
            kind_of_code=classify(code_kinds, code),
        )
    return answer


def data_id(provider: str, answer: Answer) -> str:
    """Return the message id of a {"data": {"id": ...}} answer (Telnyx, Quo)."""
    data = answer.body.get("data") if isinstance(answer.body, dict) else None
    message_id = text_or_none(data.get("id")) if isinstance(data, dict) else None
    if message_id is None:
        raise malformed_error(provider, answer, "a message id")
    return message_id


def require_listed(
    provider: str,
    answer: Answer,
    key: str,
    listed: Callable[[dict[str, Any]], bool],
    missing: str,
) -> None:
    """Check that a list answer (body[key]) holds an entry that listed takes.

    The account's number list: a From number not on it cannot send.
    """
    if not answer.ok:
        raise credential_error(provider, answer)
    entries = answer.body.get(key) if isinstance(answer.body, dict) else None
    if not isinstance(entries, list):
        raise CredentialError(
            "cannot_connect", f"{provider}'s number list is not in the expected form"
        )
    if not any(isinstance(entry, dict) and listed(entry) for entry in entries):
        raise CredentialError("number_not_on_account", missing)


def require_found(provider: str, answer: Answer, missing: str) -> None:
    """Check the answer of a look-up (a messaging service or profile) by id."""
    if answer.status == 404:
        raise CredentialError("messaging_service_not_found", missing)
    if not answer.ok:
        raise credential_error(provider, answer)
