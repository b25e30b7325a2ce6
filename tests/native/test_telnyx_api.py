"""Telnyx's Messaging API v2: what we send, and what each answer means.

Every test talks real HTTP to the local server that plays Telnyx (the far
edge); the official `telnyx` package checks that our request carries what its
own would.
"""

from __future__ import annotations

import json

import aiohttp
import httpx
import pytest
import telnyx

from custom_components.missed_call_textback.native import (
    CredentialError,
)
from custom_components.missed_call_textback.native.common import (
    CONF_API_KEY,
    CONF_FROM_NUMBER,
    CONF_MESSAGING_PROFILE_ID,
)
from custom_components.missed_call_textback.native.telnyx import TelnyxApi
from custom_components.missed_call_textback.sender import SendError, SendErrorKind

from .provider_server import (
    CALLER,
    FROM_NUMBER,
    TELNYX_API_KEY,
    TELNYX_PROFILE_ID,
    ProviderServer,
    Reply,
    telnyx_error,
)

CALLBACK = "https://hooks.example.com/api/webhook/receipts"
CREDENTIALS = {CONF_API_KEY: TELNYX_API_KEY, CONF_FROM_NUMBER: FROM_NUMBER}


def _api(
    provider: ProviderServer, session: aiohttp.ClientSession, **credentials: str
) -> TelnyxApi:
    return TelnyxApi(session, {**CREDENTIALS, **credentials}, provider.base)


async def _send_error(api: TelnyxApi) -> SendError:
    with pytest.raises(SendError) as caught:
        await api.async_send(to=CALLER, body="Hi", status_callback=None)
    return caught.value


async def _check_error(api: TelnyxApi) -> CredentialError:
    with pytest.raises(CredentialError) as caught:
        await api.async_check()
    return caught.value


async def test_send_posts_json_with_a_bearer_key_and_returns_the_message_id(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    api = _api(provider, session)

    message_id = await api.async_send(
        to=CALLER, body="Sorry we missed you", status_callback=CALLBACK
    )

    assert message_id == "40385f64-5717-4562-b3fc-2c963f66a001"
    (request,) = provider.sent("telnyx.send")
    assert request.path == "/v2/messages"
    assert request.headers["Authorization"] == f"Bearer {TELNYX_API_KEY}"
    assert request.json == {
        "from": FROM_NUMBER,
        "to": CALLER,
        "text": "Sorry we missed you",
        "webhook_url": CALLBACK,
    }
    assert api.max_body == 1530


async def test_messaging_profile_sends_with_or_without_a_from_number(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    await _api(
        provider, session, **{CONF_MESSAGING_PROFILE_ID: TELNYX_PROFILE_ID}
    ).async_send(to=CALLER, body="Hi", status_callback=None)
    await _api(
        provider,
        session,
        **{CONF_FROM_NUMBER: "", CONF_MESSAGING_PROFILE_ID: TELNYX_PROFILE_ID},
    ).async_send(to=CALLER, body="Hi", status_callback=None)

    with_number, pool = provider.sent("telnyx.send")
    assert with_number.json == {
        "from": FROM_NUMBER,
        "to": CALLER,
        "text": "Hi",
        "messaging_profile_id": TELNYX_PROFILE_ID,
    }
    assert pool.json == {
        "to": CALLER,
        "text": "Hi",
        "messaging_profile_id": TELNYX_PROFILE_ID,
    }


async def test_our_request_carries_what_the_official_telnyx_client_sends(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    theirs: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        theirs.append(request)
        return httpx.Response(200, json={"data": {"id": "x", "record_type": "message"}})

    client = telnyx.AsyncTelnyx(
        api_key=TELNYX_API_KEY,
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(record)),
    )
    try:
        await client.messages.send(
            to=CALLER,
            from_=FROM_NUMBER,
            text="Hi there",
            messaging_profile_id=TELNYX_PROFILE_ID,
            webhook_url=CALLBACK,
        )
    finally:
        await client.close()
    await _api(
        provider, session, **{CONF_MESSAGING_PROFILE_ID: TELNYX_PROFILE_ID}
    ).async_send(to=CALLER, body="Hi there", status_callback=CALLBACK)
    (ours,) = provider.sent("telnyx.send")
    (their,) = theirs

    assert their.method == ours.method == "POST"
    assert str(their.url) == "https://api.telnyx.com" + ours.path
    assert json.loads(their.content) == ours.json
    assert their.headers["Authorization"] == ours.headers["Authorization"]
    assert their.headers["Content-Type"] == ours.headers["Content-Type"]


async def test_refused_key_is_an_auth_failure(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _send_error(_api(provider, session, **{CONF_API_KEY: "wrong"}))

    assert error.kind is SendErrorKind.AUTH
    assert error.code == "10009"
    assert error.detail.startswith(
        "Telnyx answered HTTP 401, error 10009: Authentication failed: "
    )


async def test_rate_limit_is_retried_after_the_seconds_telnyx_asks_for(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "telnyx.send",
        Reply(
            429,
            telnyx_error(
                429,
                "10011",
                "Too many requests",
                "You have exceeded the maximum number of allowed requests.",
            ).body,
            headers={"Retry-After": "30"},
        ),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.retry_after == 30.0
    assert error.code == "10011"


async def test_server_error_is_retried(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "telnyx.send",
        telnyx_error(500, "10007", "Unexpected error", "An unexpected error occured."),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY


async def test_success_without_a_message_id_is_retried(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue("telnyx.send", Reply(200, {"data": {"record_type": "message"}}))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.detail == "Telnyx answered HTTP 200 without a message id"


async def test_malformed_json_error_is_permanent_with_the_status(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue("telnyx.send", Reply(422, text="{not json"))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.PERMANENT
    assert error.code is None
    assert error.detail == "Telnyx answered HTTP 422 (no JSON error body)"


async def test_error_list_without_errors_still_names_the_status(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue("telnyx.send", Reply(400, {"errors": []}))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.PERMANENT
    assert error.detail == "Telnyx answered HTTP 400"


async def test_slow_answer_times_out_and_is_retried(
    provider: ProviderServer, session: aiohttp.ClientSession, short_timeout: None
) -> None:
    provider.queue("telnyx.send", Reply(hang=True))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.detail == "Telnyx did not answer within 0.2 s"


# One case per error code the integration gives a meaning to.
@pytest.mark.parametrize(
    ("status", "code", "title", "kind"),
    [
        (409, "40300", "Blocked due to STOP message", SendErrorKind.OPTED_OUT),
        (400, "40001", "Not routable", SendErrorKind.LANDLINE),
        (400, "40002", "Blocked as spam (temporary)", SendErrorKind.FILTERED),
        (400, "40003", "Blocked as spam (permanent)", SendErrorKind.FILTERED),
        (400, "40015", "Internal spam filter", SendErrorKind.FILTERED),
        (401, "10009", "Authentication failed", SendErrorKind.AUTH),
        (403, "10010", "Authorization failed", SendErrorKind.AUTH),
        (429, "10011", "Too many requests", SendErrorKind.RETRY),
        (
            400,
            "10016",
            "Phone number must be in +E.164 format",
            SendErrorKind.PERMANENT,
        ),
        (422, "40013", "Invalid source number", SendErrorKind.PERMANENT),
    ],
    ids=lambda value: value if isinstance(value, str) and value.isdecimal() else None,
)
async def test_each_error_code_maps_to_what_it_means(
    provider: ProviderServer,
    session: aiohttp.ClientSession,
    status: int,
    code: str,
    title: str,
    kind: SendErrorKind,
) -> None:
    provider.queue("telnyx.send", telnyx_error(status, code, title, ""))

    error = await _send_error(_api(provider, session))

    assert error.kind is kind
    assert error.code == code
    assert error.detail == f"Telnyx answered HTTP {status}, error {code}: {title}"


async def test_opt_out_detail_keeps_no_full_number(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "telnyx.send",
        telnyx_error(
            409,
            "40300",
            "Blocked due to STOP message",
            f"Messages cannot be sent from {FROM_NUMBER} to {CALLER} due to an "
            "existing block rule.",
        ),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.OPTED_OUT
    assert CALLER not in error.detail
    assert FROM_NUMBER not in error.detail


async def test_check_looks_the_number_up_by_its_digits(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    await _api(provider, session).async_check()

    (lookup,) = provider.sent("telnyx.numbers")
    assert lookup.path == "/v2/phone_numbers"
    # Telnyx returns nothing for a filter with a "+".
    assert lookup.query == {"filter[phone_number]": FROM_NUMBER.removeprefix("+")}


async def test_check_finds_the_messaging_profile(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    await _api(
        provider,
        session,
        **{CONF_FROM_NUMBER: "", CONF_MESSAGING_PROFILE_ID: TELNYX_PROFILE_ID},
    ).async_check()

    (profile,) = provider.sent("telnyx.profile")
    assert profile.path == f"/v2/messaging_profiles/{TELNYX_PROFILE_ID}"


async def test_check_refuses_a_wrong_key(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(_api(provider, session, **{CONF_API_KEY: "wrong"}))

    assert error.reason == "invalid_auth"


async def test_check_refuses_a_number_that_only_contains_the_digits(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    # The filter matches parts of numbers: +1 555 765 4321 9 is another number.
    provider.telnyx_numbers = [FROM_NUMBER + "9"]

    error = await _check_error(_api(provider, session))

    assert error.reason == "number_not_on_account"
    assert FROM_NUMBER not in error.detail


async def test_check_refuses_an_unknown_messaging_profile(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(
        _api(provider, session, **{CONF_MESSAGING_PROFILE_ID: "no-such-profile"})
    )

    assert error.reason == "messaging_service_not_found"


async def test_check_needs_a_number_or_a_profile(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(_api(provider, session, **{CONF_FROM_NUMBER: ""}))

    assert error.reason == "number_not_on_account"
    assert not provider.requests


@pytest.mark.parametrize(
    ("route", "reply", "reason"),
    [
        ("telnyx.numbers", Reply(503, text="unavailable"), "cannot_connect"),
        ("telnyx.numbers", Reply(200, {"data": "nope"}), "cannot_connect"),
        ("telnyx.profile", Reply(500, text="oops"), "cannot_connect"),
        (
            "telnyx.profile",
            telnyx_error(403, "10010", "Authorization failed", ""),
            "invalid_auth",
        ),
    ],
    ids=["numbers-5xx", "numbers-malformed", "profile-5xx", "profile-403"],
)
async def test_check_failures_name_the_problem(
    provider: ProviderServer,
    session: aiohttp.ClientSession,
    route: str,
    reply: Reply,
    reason: str,
) -> None:
    provider.queue(route, reply)

    error = await _check_error(
        _api(provider, session, **{CONF_MESSAGING_PROFILE_ID: TELNYX_PROFILE_ID})
    )

    assert error.reason == reason


async def test_check_that_times_out_cannot_connect(
    provider: ProviderServer, session: aiohttp.ClientSession, short_timeout: None
) -> None:
    provider.queue("telnyx.numbers", Reply(hang=True))

    error = await _check_error(_api(provider, session))

    assert error.reason == "cannot_connect"


def test_repr_shows_no_key_and_no_full_number() -> None:
    api = TelnyxApi(
        None,  # type: ignore[arg-type]
        {**CREDENTIALS, CONF_MESSAGING_PROFILE_ID: TELNYX_PROFILE_ID},
    )

    shown = repr(api)

    assert TELNYX_API_KEY not in shown
    assert FROM_NUMBER not in shown
    assert TELNYX_PROFILE_ID in shown
