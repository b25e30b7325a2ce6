"""Quo's public API v1: what we send, and what each answer means.

Every test talks real HTTP to the local server that plays Quo (the far edge).
Quo publishes no Python client, so its request is checked against its
documented examples only.
"""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.missed_call_textback.native import (
    CredentialError,
)
from custom_components.missed_call_textback.native.common import (
    CONF_API_KEY,
    CONF_FROM_NUMBER,
)
from custom_components.missed_call_textback.native.quo import QuoApi
from custom_components.missed_call_textback.sender import SendError, SendErrorKind

from .provider_server import (
    CALLER,
    FROM_NUMBER,
    QUO_API_KEY,
    QUO_NUMBER_ID,
    ProviderServer,
    Reply,
    quo_error,
)

CREDENTIALS = {CONF_API_KEY: QUO_API_KEY, CONF_FROM_NUMBER: FROM_NUMBER}


def _api(
    provider: ProviderServer, session: aiohttp.ClientSession, **credentials: str
) -> QuoApi:
    return QuoApi(session, {**CREDENTIALS, **credentials}, provider.base)


async def _send_error(api: QuoApi) -> SendError:
    with pytest.raises(SendError) as caught:
        await api.async_send(to=CALLER, body="Hi", status_callback=None)
    return caught.value


async def _check_error(api: QuoApi) -> CredentialError:
    with pytest.raises(CredentialError) as caught:
        await api.async_check()
    return caught.value


async def test_send_posts_content_from_and_a_list_of_one_recipient(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    api = _api(provider, session)

    # Quo takes no per-message callback: receipts come from its webhooks.
    message_id = await api.async_send(
        to=CALLER, body="Sorry we missed you", status_callback="https://ignored"
    )

    assert message_id == "AC000001"
    (request,) = provider.sent("quo.send")
    assert request.path == "/v1/messages"
    # The key is the whole header: Quo uses no "Bearer".
    assert request.headers["Authorization"] == QUO_API_KEY
    assert request.json == {
        "content": "Sorry we missed you",
        "from": FROM_NUMBER,
        "to": [CALLER],
    }
    assert api.max_body == 1600


async def test_send_from_a_quo_number_id(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    await _api(provider, session, **{CONF_FROM_NUMBER: QUO_NUMBER_ID}).async_send(
        to=CALLER, body="Hi", status_callback=None
    )

    assert provider.sent("quo.send")[0].json["from"] == QUO_NUMBER_ID


async def test_refused_key_is_an_auth_failure(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _send_error(_api(provider, session, **{CONF_API_KEY: "wrong"}))

    assert error.kind is SendErrorKind.AUTH
    assert error.code == "0200401"
    assert error.detail == "Quo answered HTTP 401, error 0200401: Unauthorized"


async def test_nested_unauthorized_body_is_read_too(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "quo.send",
        Reply(401, {"error": {"message": "Invalid API key", "key": "Unauthorized"}}),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.AUTH
    assert error.code is None
    assert error.detail == "Quo answered HTTP 401: Invalid API key"


async def test_rate_limit_is_retried_after_the_seconds_quo_asks_for(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "quo.send",
        Reply(
            429,
            {"message": "Too Many Requests", "status": 429},
            headers={"Retry-After": "1"},
        ),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.retry_after == 1.0


async def test_server_error_is_retried(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "quo.send",
        quo_error(500, "0201500", "Unknown", "We have encountered an unknown error"),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.code == "0201500"


async def test_accepted_without_json_is_retried(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue("quo.send", Reply(202, text="Accepted"))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.detail == "Quo answered HTTP 202 without a message id"


async def test_slow_answer_times_out_and_is_retried(
    provider: ProviderServer, session: aiohttp.ClientSession, short_timeout: None
) -> None:
    provider.queue("quo.send", Reply(hang=True))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.detail == "Quo did not answer within 0.2 s"


# One case per error code (and status) the integration gives a meaning to.
@pytest.mark.parametrize(
    ("status", "code", "title", "message", "kind", "detail"),
    [
        (
            400,
            "0206400",
            "A2P Registration Not Approved",
            "A2P Registration Not Approved",
            SendErrorKind.FILTERED,
            "A2P Registration Not Approved",
        ),
        (
            403,
            "0202403",
            "Not Phone Number User",
            "You are not a user of this phone number",
            SendErrorKind.AUTH,
            "Not Phone Number User: You are not a user of this phone number",
        ),
        (
            402,
            "0201402",
            "Subscription Expired",
            "Your subscription has expired",
            SendErrorKind.PERMANENT,
            "Subscription Expired: Your subscription has expired",
        ),
        (
            400,
            "0200400",
            "Bad Request",
            "The input was invalid",
            SendErrorKind.PERMANENT,
            "Bad Request: The input was invalid",
        ),
    ],
    ids=["a2p-not-approved", "not-phone-number-user", "subscription", "bad-request"],
)
async def test_each_error_code_maps_to_what_it_means(
    provider: ProviderServer,
    session: aiohttp.ClientSession,
    status: int,
    code: str,
    title: str,
    message: str,
    kind: SendErrorKind,
    detail: str,
) -> None:
    provider.queue("quo.send", quo_error(status, code, title, message))

    error = await _send_error(_api(provider, session))

    assert error.kind is kind
    assert error.code == code
    assert error.detail == f"Quo answered HTTP {status}, error {code}: {detail}"


async def test_check_finds_the_number_by_e164_or_by_id(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    await _api(provider, session).async_check()
    await _api(provider, session, **{CONF_FROM_NUMBER: QUO_NUMBER_ID}).async_check()

    first, second = provider.sent("quo.numbers")
    assert first.path == second.path == "/v1/phone-numbers"


async def test_check_refuses_a_wrong_key(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(_api(provider, session, **{CONF_API_KEY: "wrong"}))

    assert error.reason == "invalid_auth"


async def test_check_refuses_a_number_of_another_workspace(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.quo_numbers = [{"id": "PNother", "number": "+15550000000"}]

    error = await _check_error(_api(provider, session))

    assert error.reason == "number_not_on_account"


async def test_check_needs_a_number(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(_api(provider, session, **{CONF_FROM_NUMBER: ""}))

    assert error.reason == "number_not_on_account"
    assert not provider.requests


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(500, text="oops"), "cannot_connect"),
        (Reply(200, {"data": None}), "cannot_connect"),
        (quo_error(403, "0400403", "Forbidden", "Forbidden"), "invalid_auth"),
    ],
    ids=["5xx", "malformed", "403"],
)
async def test_check_failures_name_the_problem(
    provider: ProviderServer,
    session: aiohttp.ClientSession,
    reply: Reply,
    reason: str,
) -> None:
    provider.queue("quo.numbers", reply)

    error = await _check_error(_api(provider, session))

    assert error.reason == reason


async def test_check_that_times_out_cannot_connect(
    provider: ProviderServer, session: aiohttp.ClientSession, short_timeout: None
) -> None:
    provider.queue("quo.numbers", Reply(hang=True))

    error = await _check_error(_api(provider, session))

    assert error.reason == "cannot_connect"


@pytest.mark.parametrize(
    ("from_number", "shown"),
    [
        (FROM_NUMBER, "QuoApi(from_number='+*********21')"),
        (QUO_NUMBER_ID, f"QuoApi(from_number='{QUO_NUMBER_ID}')"),
        ("", "QuoApi(from_number=None)"),
    ],
)
def test_repr_shows_no_key_and_no_full_number(from_number: str, shown: str) -> None:
    api = QuoApi(None, {**CREDENTIALS, CONF_FROM_NUMBER: from_number})  # type: ignore[arg-type]

    assert repr(api) == shown
    assert QUO_API_KEY not in repr(api)
