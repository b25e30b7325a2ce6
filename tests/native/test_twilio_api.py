"""Twilio's Messages API: what we send, and what each answer means.

Every test talks real HTTP to the local server that plays Twilio (the far
edge); the official `twilio` package checks that our request carries what its
own would.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import aiohttp
import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from custom_components.missed_call_textback.native import (
    CredentialError,
)
from custom_components.missed_call_textback.native.common import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_FROM_NUMBER,
    CONF_MESSAGING_SERVICE_SID,
)
from custom_components.missed_call_textback.native.twilio import TwilioApi
from custom_components.missed_call_textback.sender import SendError, SendErrorKind

from .provider_server import (
    CALLER,
    FROM_NUMBER,
    TWILIO_ACCOUNT_SID,
    TWILIO_API_KEY_SECRET,
    TWILIO_API_KEY_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_SERVICE_SID,
    ProviderServer,
    Reply,
    twilio_error,
)

CALLBACK = "https://hooks.example.com/api/webhook/receipts"
TOKEN_CREDENTIALS = {
    CONF_ACCOUNT_SID: TWILIO_ACCOUNT_SID,
    CONF_AUTH_TOKEN: TWILIO_AUTH_TOKEN,
    CONF_FROM_NUMBER: FROM_NUMBER,
}


def _api(
    provider: ProviderServer, session: aiohttp.ClientSession, **credentials: str
) -> TwilioApi:
    return TwilioApi(session, {**TOKEN_CREDENTIALS, **credentials}, provider.base)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def _send_error(api: TwilioApi) -> SendError:
    with pytest.raises(SendError) as caught:
        await api.async_send(to=CALLER, body="Hi", status_callback=None)
    return caught.value


async def _check_error(api: TwilioApi) -> CredentialError:
    with pytest.raises(CredentialError) as caught:
        await api.async_check()
    return caught.value


async def test_send_posts_the_documented_form_and_returns_the_message_sid(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    api = _api(provider, session)

    sid = await api.async_send(
        to=CALLER, body="Sorry we missed you", status_callback=CALLBACK
    )

    assert sid == "SM" + "1".rjust(32, "0")
    (request,) = provider.sent("twilio.send")
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
    assert request.headers["Authorization"] == _basic(
        TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
    )
    assert request.form == {
        "To": CALLER,
        "From": FROM_NUMBER,
        "Body": "Sorry we missed you",
        "StatusCallback": CALLBACK,
    }
    assert api.max_body == 1600


async def test_api_key_authenticates_but_the_account_sid_stays_in_the_path(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    api = _api(
        provider,
        session,
        **{
            CONF_API_KEY_SID: TWILIO_API_KEY_SID,
            CONF_API_KEY_SECRET: TWILIO_API_KEY_SECRET,
        },
    )

    await api.async_send(to=CALLER, body="Hi", status_callback=None)
    await api.async_check()

    for request in provider.requests:
        assert request.headers["Authorization"] == _basic(
            TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET
        )
    assert provider.sent("twilio.send")[0].path.startswith(
        f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/"
    )


async def test_messaging_service_sends_without_from_and_without_callback(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    api = _api(
        provider,
        session,
        **{CONF_FROM_NUMBER: "", CONF_MESSAGING_SERVICE_SID: TWILIO_SERVICE_SID},
    )

    await api.async_send(to=CALLER, body="Hi", status_callback=None)

    assert provider.sent("twilio.send")[0].form == {
        "To": CALLER,
        "MessagingServiceSid": TWILIO_SERVICE_SID,
        "Body": "Hi",
    }


class _RecordingHttpClient(HttpClient):
    """The twilio package's HTTP client, recording instead of sending."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger(__name__), is_async=False)
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        self.calls.append({"method": method, "url": url, **kwargs})
        return Response(201, '{"sid": "SM' + "0" * 32 + '"}')


async def test_our_request_carries_what_the_official_twilio_client_sends(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    recorder = _RecordingHttpClient()
    client = Client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, http_client=recorder)
    client.messages.create(
        to=CALLER, from_=FROM_NUMBER, body="Hi there", status_callback=CALLBACK
    )
    (theirs,) = recorder.calls

    await _api(provider, session).async_send(
        to=CALLER, body="Hi there", status_callback=CALLBACK
    )
    (ours,) = provider.sent("twilio.send")

    assert theirs["method"] == ours.method == "POST"
    assert theirs["url"] == "https://api.twilio.com" + ours.path
    assert theirs["data"] == ours.form
    assert _basic(*theirs["auth"]) == ours.headers["Authorization"]


async def test_refused_credentials_are_an_auth_failure(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _send_error(_api(provider, session, **{CONF_AUTH_TOKEN: "wrong"}))

    assert error.kind is SendErrorKind.AUTH
    assert error.permanent
    assert error.code == "20003"
    assert error.translation_key == "provider_auth"
    assert "Authenticate" in error.detail


async def test_rate_limit_is_retried_after_the_seconds_twilio_asks_for(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "twilio.send",
        Reply(
            429,
            {"code": 20429, "message": "Too Many Requests", "status": 429},
            headers={"Retry-After": "7"},
        ),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert not error.permanent
    assert error.retry_after == 7.0
    assert error.code == "20429"


async def test_retry_after_as_a_date_is_read_against_the_answers_date(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "twilio.send",
        Reply(
            503,
            text="Service Unavailable",
            headers={
                "Date": "Fri, 04 Dec 2026 16:00:00 GMT",
                "Retry-After": "Fri, 04 Dec 2026 16:02:00 GMT",
            },
        ),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.retry_after == 120.0
    assert "no JSON error body" in error.detail


@pytest.mark.parametrize(
    "retry_after",
    ["soon", "Fri, 04 Dec 2026 16:02:00", ""],
    ids=["word", "naive", "empty"],
)
async def test_a_retry_after_that_is_no_time_is_ignored(
    provider: ProviderServer, session: aiohttp.ClientSession, retry_after: str
) -> None:
    provider.queue(
        "twilio.send",
        Reply(
            503,
            text="busy",
            headers={"Date": "Fri, 04 Dec 2026 16:00:00", "Retry-After": retry_after},
        ),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.retry_after is None


async def test_server_error_is_retried(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue("twilio.send", twilio_error(500, 20500, "Internal Server Error"))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.translation_key == "provider_retry"
    assert error.retry_after is None


async def test_success_without_json_is_retried_not_counted_as_sent(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue("twilio.send", Reply(201, text="<html>Welcome to the hotel Wi-Fi"))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert "without a message SID" in error.detail


async def test_slow_answer_times_out_and_is_retried(
    provider: ProviderServer, session: aiohttp.ClientSession, short_timeout: None
) -> None:
    provider.queue("twilio.send", Reply(hang=True))

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.RETRY
    assert error.detail == "Twilio did not answer within 0.2 s"


@pytest.mark.usefixtures("socket_enabled")
async def test_unreachable_server_is_retried(session: aiohttp.ClientSession) -> None:
    # Port 9 on loopback: nothing listens, the connection is refused.
    api = TwilioApi(session, TOKEN_CREDENTIALS, "http://127.0.0.1:9")

    error = await _send_error(api)

    assert error.kind is SendErrorKind.RETRY
    assert error.detail.startswith("cannot reach Twilio (")


# One case per error code the integration gives a meaning to.
@pytest.mark.parametrize(
    ("status", "code", "message", "kind"),
    [
        (
            400,
            21610,
            "Attempt to send to unsubscribed recipient",
            SendErrorKind.OPTED_OUT,
        ),
        (
            400,
            21614,
            "'To' number is not a valid mobile number",
            SendErrorKind.LANDLINE,
        ),
        (400, 21635, "'To' number cannot be a landline", SendErrorKind.LANDLINE),
        (400, 30006, "Landline or unreachable carrier", SendErrorKind.LANDLINE),
        (400, 30007, "Message filtered", SendErrorKind.FILTERED),
        (400, 30034, "Message from an unregistered number", SendErrorKind.FILTERED),
        (400, 30032, "Toll-Free Number Has Not Been Verified", SendErrorKind.FILTERED),
        (401, 20003, "Authenticate", SendErrorKind.AUTH),
        (403, 20403, "Forbidden", SendErrorKind.AUTH),
        (429, 20429, "Too Many Requests", SendErrorKind.RETRY),
        (400, 21211, "Invalid 'To' Phone Number", SendErrorKind.PERMANENT),
        (400, 21606, "The 'From' phone number is not valid", SendErrorKind.PERMANENT),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else None,
)
async def test_each_error_code_maps_to_what_it_means(
    provider: ProviderServer,
    session: aiohttp.ClientSession,
    status: int,
    code: int,
    message: str,
    kind: SendErrorKind,
) -> None:
    provider.queue("twilio.send", twilio_error(status, code, message))

    error = await _send_error(_api(provider, session))

    assert error.kind is kind
    assert error.code == str(code)
    assert error.permanent is (kind is not SendErrorKind.RETRY)
    assert error.detail == f"Twilio answered HTTP {status}, error {code}: {message}"


async def test_provider_message_keeps_no_full_number(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue(
        "twilio.send",
        twilio_error(
            400, 21211, f"The 'To' number {CALLER} is not a valid phone number."
        ),
    )

    error = await _send_error(_api(provider, session))

    assert error.kind is SendErrorKind.PERMANENT
    assert CALLER not in error.detail
    assert CALLER[-4:] not in error.detail


async def test_check_fetches_the_account_and_finds_the_from_number(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    await _api(provider, session).async_check()

    (account,) = provider.sent("twilio.account")
    assert account.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}.json"
    (numbers,) = provider.sent("twilio.numbers")
    assert numbers.query == {"PhoneNumber": FROM_NUMBER}


async def test_check_finds_the_messaging_service(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    await _api(
        provider,
        session,
        **{CONF_FROM_NUMBER: "", CONF_MESSAGING_SERVICE_SID: TWILIO_SERVICE_SID},
    ).async_check()

    (service,) = provider.sent("twilio.service")
    assert service.path == f"/v1/Services/{TWILIO_SERVICE_SID}"
    assert not provider.sent("twilio.numbers")


async def test_check_refuses_a_wrong_token(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(_api(provider, session, **{CONF_AUTH_TOKEN: "wrong"}))

    assert error.reason == "invalid_auth"


async def test_check_refuses_an_account_the_key_does_not_belong_to(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(
        _api(
            provider,
            session,
            **{
                CONF_ACCOUNT_SID: "AC" + "9" * 32,
                CONF_API_KEY_SID: TWILIO_API_KEY_SID,
                CONF_API_KEY_SECRET: TWILIO_API_KEY_SECRET,
            },
        )
    )

    assert error.reason == "invalid_auth"


async def test_check_refuses_a_number_of_another_account(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.twilio_numbers = ["+15550000000"]

    error = await _check_error(_api(provider, session))

    assert error.reason == "number_not_on_account"
    assert FROM_NUMBER not in error.detail


async def test_check_refuses_an_unknown_messaging_service(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(
        _api(provider, session, **{CONF_MESSAGING_SERVICE_SID: "MG" + "0" * 32})
    )

    assert error.reason == "messaging_service_not_found"


async def test_check_needs_a_number_or_a_service(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    error = await _check_error(_api(provider, session, **{CONF_FROM_NUMBER: ""}))

    assert error.reason == "number_not_on_account"
    assert not provider.requests


@pytest.mark.parametrize(
    ("route", "reply", "reason"),
    [
        (
            "twilio.account",
            twilio_error(500, 20500, "Internal Server Error"),
            "cannot_connect",
        ),
        ("twilio.account", twilio_error(403, 20403, "Forbidden"), "invalid_auth"),
        ("twilio.numbers", twilio_error(503, 20503, "Unavailable"), "cannot_connect"),
        ("twilio.numbers", Reply(200, {"unexpected": True}), "cannot_connect"),
        (
            "twilio.service",
            twilio_error(500, 20500, "Internal Server Error"),
            "cannot_connect",
        ),
    ],
    ids=[
        "account-5xx",
        "account-403",
        "numbers-5xx",
        "numbers-malformed",
        "service-5xx",
    ],
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
        _api(provider, session, **{CONF_MESSAGING_SERVICE_SID: TWILIO_SERVICE_SID})
    )

    assert error.reason == reason


@pytest.mark.usefixtures("socket_enabled")
async def test_check_of_an_unreachable_twilio_cannot_connect(
    session: aiohttp.ClientSession,
) -> None:
    api = TwilioApi(session, TOKEN_CREDENTIALS, "http://127.0.0.1:9")

    error = await _check_error(api)

    assert error.reason == "cannot_connect"


def test_repr_shows_no_secret_and_no_full_number() -> None:
    api = TwilioApi(
        None,  # type: ignore[arg-type]
        {
            **TOKEN_CREDENTIALS,
            CONF_API_KEY_SID: TWILIO_API_KEY_SID,
            CONF_API_KEY_SECRET: TWILIO_API_KEY_SECRET,
        },
    )

    shown = repr(api)

    for secret in (TWILIO_AUTH_TOKEN, TWILIO_API_KEY_SECRET, FROM_NUMBER):
        assert secret not in shown
    assert shown == "TwilioApi(from_number='+*********21', messaging_service=None)"


async def test_a_long_provider_message_is_cut_for_the_owner(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    provider.queue("twilio.send", twilio_error(400, 21619, "word " * 200))

    error = await _send_error(_api(provider, session))

    message = error.detail.split(": ", 1)[1]
    assert len(message) == 300
    assert message.endswith("\u2026")
