"""Provider webhooks through real HTTP requests to Home Assistant's webhook endpoint.

Each test posts what the provider posts, signed the way the provider signs:
Twilio's signature by the official twilio package's RequestValidator, Quo's
and Telnyx's computed here from their documented schemes (Telnyx with a key
pair made for the test). Only the SMS provider is a stand-in (the sms_calls
notify service): it is the far edge.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from twilio.request_validator import RequestValidator

from custom_components.missed_call_textback.const import (
    CONF_LINE_NAME,
    CONF_MIN_RING_SECONDS,
    CONF_REPLY_SOURCE,
    CONF_SOURCE,
    DOMAIN,
)
from custom_components.missed_call_textback.sources.providers.twilio import (
    EMPTY_TWIML,
)
from custom_components.missed_call_textback.sources.webhook import (
    MAX_BODY_BYTES,
    WebhookSource,
    webhook_url,
)
from custom_components.missed_call_textback.sources.webhook_config import (
    CONF_ACCEPT_UNSIGNED,
    CONF_AUTH_MODE,
    CONF_AUTH_TOKEN,
    CONF_CALL_ID_PATH,
    CONF_MISSED_VALUES,
    CONF_NAME_PATH,
    CONF_NUMBER_PATH,
    CONF_PROVIDER,
    CONF_PUBLIC_KEY,
    CONF_PUBLIC_URL,
    CONF_SECRET,
    CONF_SECRET_HEADER,
    CONF_SIGNING_KEY,
    CONF_STATUS_PATH,
    CONF_WEBHOOK_ID,
)

type ClientFactory = Callable[[], Awaitable[TestClient]]

WEBHOOK_ID = "test-webhook-0123456789abcdef"
PATH = f"/api/webhook/{WEBHOOK_ID}"
TWILIO_TOKEN = "12345678901234567890123456789012"  # noqa: S105
QUO_KEY = base64.b64encode(b"quo signing key of the test line").decode()
GENERIC_SECRET = "s3cret-of-the-line"  # noqa: S105
CALLER = "+16502530000"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.fixture
def telnyx_key() -> Ed25519PrivateKey:
    """Return a key pair standing in for the Telnyx account's."""
    return Ed25519PrivateKey.generate()


def _public_key(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


async def _setup_line(
    hass: HomeAssistant, entry_options: dict[str, Any], data: dict[str, Any]
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry_options[CONF_LINE_NAME],
        data={CONF_SOURCE: "webhook", CONF_WEBHOOK_ID: WEBHOOK_ID, **data},
        options=entry_options,
        unique_id=WEBHOOK_ID,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _rejected(hass: HomeAssistant) -> int:
    state = hass.states.get("sensor.main_line_rejected_webhook_requests")
    assert state is not None
    return int(state.state)


def _targets(sms_calls: list[ServiceCall]) -> list[str]:
    return [number for call in sms_calls for number in call.data["target"]]


# --- Twilio ------------------------------------------------------------------


def _twilio_signature(url: str, fields: dict[str, str]) -> str:
    return str(RequestValidator(TWILIO_TOKEN).compute_signature(url, fields))


async def _post_twilio(
    client: TestClient,
    fields: dict[str, str],
    *,
    url: str | None = None,
    signature: str | None = None,
) -> tuple[int, str]:
    signed_url = url or str(client.make_url(PATH))
    response = await client.post(
        PATH,
        data=urlencode(fields),
        headers={
            "Content-Type": FORM,
            "X-Twilio-Signature": signature or _twilio_signature(signed_url, fields),
        },
    )
    return response.status, await response.text()


def _dial_action(status: str, sid: str = "CA0001") -> dict[str, str]:
    return {
        "AccountSid": "AC0001",
        "CallSid": sid,
        "From": CALLER,
        "To": "+15005550006",
        "Direction": "inbound",
        "CallStatus": "completed",
        "DialCallStatus": status,
        "CallerName": "Jane Roe",
    }


@pytest.fixture
async def twilio_line(
    hass: HomeAssistant, entry_options: dict[str, Any], sms_calls: list[ServiceCall]
) -> MockConfigEntry:
    """Set up a line that hears Twilio's callbacks."""
    return await _setup_line(
        hass, entry_options, {CONF_PROVIDER: "twilio", CONF_AUTH_TOKEN: TWILIO_TOKEN}
    )


@pytest.mark.usefixtures("twilio_line")
async def test_twilio_forward_not_answered_texts_the_caller_once_with_empty_twiml(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    client = await hass_client_no_auth()
    status, text = await _post_twilio(client, _dial_action("no-answer"))
    assert (status, text) == (200, EMPTY_TWIML)
    # Twilio retries a callback it thinks failed, here before the first text
    # went out, and again later: the call is reported and texted once.
    status, _ = await _post_twilio(client, _dial_action("no-answer"))
    await hass.async_block_till_done()
    status, _ = await _post_twilio(client, _dial_action("no-answer"))
    await hass.async_block_till_done()
    assert status == 200
    assert _targets(sms_calls) == [CALLER]
    assert [kind for kind, _ in events] == ["missed_call", "text_sent"]
    assert events[0][1]["caller_name"] == "Jane Roe"
    assert events[0][1]["call_id"] == "twilio:CA0001"
    assert _rejected(hass) == 0


@pytest.mark.usefixtures("twilio_line")
@pytest.mark.parametrize("status", ["busy", "failed", "canceled", "no-answer"])
async def test_twilio_status_callback_of_a_missed_call_texts(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    status: str,
) -> None:
    client = await hass_client_no_auth()
    fields = {"CallSid": "CA0002", "From": CALLER, "CallStatus": status}
    assert (await _post_twilio(client, fields))[0] == 200
    await hass.async_block_till_done()
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.usefixtures("twilio_line")
@pytest.mark.parametrize(
    "fields",
    [
        _dial_action("completed"),
        _dial_action("answered"),
        {"CallSid": "CA3", "From": CALLER, "CallStatus": "ringing"},
        {"CallSid": "CA4", "From": CALLER, "CallStatus": "in-progress"},
        # The forwarded leg itself, and a call the owner placed.
        {
            "CallSid": "CA5",
            "ParentCallSid": "CA0001",
            "From": CALLER,
            "To": "+15551230000",
            "Direction": "outbound-dial",
            "CallStatus": "no-answer",
        },
        {
            "CallSid": "CA6",
            "From": "+15005550006",
            "To": CALLER,
            "Direction": "outbound-api",
            "CallStatus": "no-answer",
        },
    ],
)
async def test_twilio_answered_ringing_and_outgoing_calls_are_not_texted(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    fields: dict[str, str],
) -> None:
    client = await hass_client_no_auth()
    assert (await _post_twilio(client, fields))[0] == 200
    await hass.async_block_till_done()
    assert sms_calls == []


@pytest.mark.usefixtures("twilio_line")
async def test_twilio_stop_reply_opts_the_caller_out(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    twilio_line: MockConfigEntry,
) -> None:
    client = await hass_client_no_auth()
    sms = {"MessageSid": "SM1", "From": CALLER, "To": "+15005550006", "Body": "STOP"}
    status, text = await _post_twilio(client, sms)
    await hass.async_block_till_done()
    assert (status, text) == (200, EMPTY_TWIML)
    assert twilio_line.runtime_data.ledger.is_opted_out(CALLER)
    # The next missed call of that caller is not texted.
    await _post_twilio(client, _dial_action("no-answer", sid="CA0009"))
    await hass.async_block_till_done()
    assert sms_calls == []


@pytest.mark.usefixtures("twilio_line")
@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda _url, _fields: "", id="no signature"),
        pytest.param(
            lambda url, fields: RequestValidator("0" * 32).compute_signature(
                url, fields
            ),
            id="another account's token",
        ),
        pytest.param(
            lambda url, fields: _twilio_signature(url, {**fields, "From": "+1999"}),
            id="signed other fields",
        ),
        pytest.param(
            lambda _url, fields: _twilio_signature("https://elsewhere.test/", fields),
            id="signed another URL",
        ),
    ],
)
async def test_twilio_forged_requests_get_401_count_and_text_nobody(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    forge: Callable[[str, dict[str, str]], str],
) -> None:
    client = await hass_client_no_auth()
    fields = _dial_action("no-answer")
    url = str(client.make_url(PATH))
    response = await client.post(
        PATH,
        data=urlencode(fields),
        headers={"Content-Type": FORM, "X-Twilio-Signature": forge(url, fields)},
    )
    await hass.async_block_till_done()
    assert response.status == 401
    assert sms_calls == []
    assert _rejected(hass) == 1


async def test_twilio_signature_over_the_owners_public_url_is_accepted(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    # Behind a reverse proxy Twilio signs the address it calls, not ours.
    public = "https://phone.example.com/hooks/line1"
    await _setup_line(
        hass,
        entry_options,
        {
            CONF_PROVIDER: "twilio",
            CONF_AUTH_TOKEN: TWILIO_TOKEN,
            CONF_PUBLIC_URL: public,
        },
    )
    client = await hass_client_no_auth()
    status, _ = await _post_twilio(client, _dial_action("busy"), url=public)
    await hass.async_block_till_done()
    assert status == 200
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.usefixtures("twilio_line")
async def test_twilio_signature_over_home_assistants_external_url_is_accepted(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    client = await hass_client_no_auth()
    # Twilio's own validator accepts the URL with the default port too.
    url = f"https://home.example.org:443{PATH}"
    status, _ = await _post_twilio(client, _dial_action("busy"), url=url)
    await hass.async_block_till_done()
    assert status == 200
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.usefixtures("twilio_line")
async def test_twilio_signature_over_https_is_accepted_on_a_request_seen_over_http(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
) -> None:
    # A reverse proxy terminates TLS and sends no X-Forwarded-Proto: Twilio
    # signed https://, Home Assistant sees http://.
    client = await hass_client_no_auth()
    seen = str(client.make_url(PATH))
    assert seen.startswith("http://")
    signed = "https://" + seen.removeprefix("http://")
    status, _ = await _post_twilio(client, _dial_action("busy"), url=signed)
    await hass.async_block_till_done()
    assert status == 200
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.usefixtures("twilio_line")
@pytest.mark.parametrize(
    "as_published",
    [
        pytest.param(lambda shown: shown, id="as shown"),
        pytest.param(
            lambda shown: shown.replace("http://", "https://"), id="https, same port"
        ),
        pytest.param(
            lambda shown: shown.replace("http://", "https://").replace(":8123", ""),
            id="https, default port",
        ),
    ],
)
async def test_twilio_signature_over_the_url_the_setup_flow_showed_is_accepted(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    as_published: Callable[[str], str],
) -> None:
    # No external URL: the flow showed the internal one, which the owner
    # published through a proxy Home Assistant knows nothing about.
    await hass.config.async_update(internal_url="http://homeassistant.local:8123")
    shown = webhook_url(hass, WEBHOOK_ID)
    assert shown == f"http://homeassistant.local:8123{PATH}"
    client = await hass_client_no_auth()
    status, _ = await _post_twilio(
        client, _dial_action("busy"), url=as_published(shown)
    )
    await hass.async_block_till_done()
    assert status == 200
    assert _targets(sms_calls) == [CALLER]


async def test_twilio_line_with_an_empty_token_refuses_what_an_empty_token_signs(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    # HMAC with an empty key is a signature anybody can make.
    await _setup_line(
        hass, entry_options, {CONF_PROVIDER: "twilio", CONF_AUTH_TOKEN: ""}
    )
    client = await hass_client_no_auth()
    fields = _dial_action("no-answer")
    forged = RequestValidator("").compute_signature(str(client.make_url(PATH)), fields)
    status, _ = await _post_twilio(client, fields, signature=forged)
    await hass.async_block_till_done()
    assert status == 401
    assert sms_calls == []


async def test_unsigned_twilio_line_takes_requests_without_a_signature(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await _setup_line(
        hass,
        entry_options,
        {CONF_PROVIDER: "twilio", CONF_AUTH_TOKEN: "", CONF_ACCEPT_UNSIGNED: True},
    )
    client = await hass_client_no_auth()
    response = await client.post(
        PATH,
        data=urlencode(_dial_action("no-answer")),
        headers={"Content-Type": FORM},
    )
    await hass.async_block_till_done()
    assert response.status == 200
    assert _targets(sms_calls) == [CALLER]


async def test_line_without_secret_and_without_the_unsigned_choice_accepts_nothing(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await _setup_line(hass, entry_options, {CONF_PROVIDER: "twilio"})
    client = await hass_client_no_auth()
    status, _ = await _post_twilio(client, _dial_action("no-answer"), signature="x")
    await hass.async_block_till_done()
    assert status == 401
    assert sms_calls == []


async def test_twilio_through_home_assistant_cloud_is_verified_on_the_cloud_url(
    hass: HomeAssistant,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    # Home Assistant Cloud hands webhooks over as a MockRequest; Twilio signed
    # the cloudhook URL, which the owner entered as the public URL.
    cloud_url = "https://hooks.nabu.casa/abcdef"
    await _setup_line(
        hass,
        entry_options,
        {
            CONF_PROVIDER: "twilio",
            CONF_AUTH_TOKEN: TWILIO_TOKEN,
            CONF_PUBLIC_URL: cloud_url,
        },
    )
    fields = _dial_action("no-answer")
    response = await webhook.async_handle_webhook(
        hass,
        WEBHOOK_ID,
        MockRequest(
            content=urlencode(fields).encode(),
            mock_source="cloud",
            method="POST",
            headers={
                "Content-Type": FORM,
                "X-Twilio-Signature": _twilio_signature(cloud_url, fields),
            },
        ),
    )
    await hass.async_block_till_done()
    assert response.status == 200
    assert _targets(sms_calls) == [CALLER]


# --- HTTP edge cases (shared by every provider) ------------------------------


@pytest.mark.usefixtures("twilio_line")
async def test_oversize_body_gets_413_whether_announced_or_not(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
) -> None:
    client = await hass_client_no_auth()
    fields = {**_dial_action("no-answer"), "Padding": "x" * MAX_BODY_BYTES}
    status, _ = await _post_twilio(client, fields)
    assert status == 413

    async def _chunks() -> Any:
        # Chunked: no Content-Length to look at, the cap applies while reading.
        body = urlencode(fields).encode()
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = await client.post(
        PATH,
        data=_chunks(),
        headers={"Content-Type": FORM, "X-Twilio-Signature": "x"},
    )
    assert response.status == 413
    await hass.async_block_till_done()
    assert sms_calls == []
    assert _rejected(hass) == 2


@pytest.mark.usefixtures("twilio_line")
async def test_body_at_the_cap_is_read(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
) -> None:
    client = await hass_client_no_auth()
    fields = _dial_action("no-answer")
    padding = MAX_BODY_BYTES - len(urlencode({**fields, "Padding": ""}))
    fields["Padding"] = "x" * padding
    assert len(urlencode(fields)) == MAX_BODY_BYTES
    status, _ = await _post_twilio(client, fields)
    await hass.async_block_till_done()
    assert status == 200
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.usefixtures("twilio_line")
@pytest.mark.parametrize("content_type", [JSON, "text/plain", ""])
async def test_wrong_content_type_gets_415(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    content_type: str,
) -> None:
    client = await hass_client_no_auth()
    fields = _dial_action("no-answer")
    response = await client.post(
        PATH,
        data=urlencode(fields).encode(),
        headers={
            "Content-Type": content_type,
            "X-Twilio-Signature": _twilio_signature(str(client.make_url(PATH)), fields),
        },
    )
    await hass.async_block_till_done()
    assert response.status == 415
    assert sms_calls == []


@pytest.mark.usefixtures("twilio_line")
@pytest.mark.parametrize(
    "body", [b"\xff\xfe not utf-8", b"a=1&&b", b"Foo=bar"], ids=repr
)
async def test_malformed_twilio_body_gets_400(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    body: bytes,
) -> None:
    client = await hass_client_no_auth()
    url = str(client.make_url(PATH))
    # Correctly signed where a signature can be computed: the body is at fault.
    try:
        fields = dict(pair.split("=") for pair in body.decode().split("&"))
    except (UnicodeDecodeError, ValueError):
        fields = {}
    response = await client.post(
        PATH,
        data=body,
        headers={
            "Content-Type": FORM,
            "X-Twilio-Signature": _twilio_signature(url, fields),
        },
    )
    await hass.async_block_till_done()
    assert response.status == 400
    assert sms_calls == []


@pytest.mark.usefixtures("twilio_line")
async def test_get_is_not_a_webhook_call(
    hass: HomeAssistant, hass_client_no_auth: ClientFactory
) -> None:
    client = await hass_client_no_auth()
    response = await client.get(PATH)
    assert response.status == 405


@pytest.mark.usefixtures("twilio_line")
async def test_unloading_the_line_removes_its_webhook(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    twilio_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    assert await hass.config_entries.async_unload(twilio_line.entry_id)
    client = await hass_client_no_auth()
    # Home Assistant answers 200 for unknown webhooks, and nothing happens.
    status, _ = await _post_twilio(client, _dial_action("no-answer"))
    await hass.async_block_till_done()
    assert status == 200
    assert sms_calls == []


@pytest.mark.usefixtures("twilio_line")
async def test_a_crash_inside_the_handler_is_a_400_not_a_500(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    twilio_line: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = twilio_line.runtime_data.source
    assert isinstance(source, WebhookSource)

    def _boom(*_args: Any) -> None:
        raise RuntimeError("bug")

    # A bug in a provider module stands in for any unexpected error.
    monkeypatch.setattr(source._provider, "parse", _boom)
    client = await hass_client_no_auth()
    status, _ = await _post_twilio(client, _dial_action("no-answer"))
    assert status == 400
    assert _rejected(hass) == 1


# --- Quo ---------------------------------------------------------------------


def _quo_event(kind: str, **obj: Any) -> bytes:
    event = {
        "id": "EV1",
        "object": "event",
        "createdAt": "2026-11-26T10:00:00.000Z",
        "type": kind,
        "data": {"object": obj},
    }
    return json.dumps(event, separators=(",", ":")).encode()


def _quo_headers(
    body: bytes, *, at_ms: int | None = None, key: str = QUO_KEY
) -> dict[str, str]:
    timestamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    digest = hmac.new(
        base64.b64decode(key), timestamp.encode() + b"." + body, hashlib.sha256
    ).digest()
    signature = base64.b64encode(digest).decode()
    return {
        "Content-Type": JSON,
        "openphone-signature": f"hmac;1;{timestamp};{signature}",
    }


def _quo_call(answered_at: str | None, call_id: str = "AC1") -> bytes:
    return _quo_event(
        "call.completed",
        id=call_id,
        object="call",
        direction="incoming",
        status="completed",
        answeredAt=answered_at,
        completedAt="2026-11-26T10:00:30.000Z",
        participants=[CALLER, "+15005550006"],
        phoneNumberId="PN1",
    )


@pytest.fixture
async def quo_line(
    hass: HomeAssistant, entry_options: dict[str, Any], sms_calls: list[ServiceCall]
) -> MockConfigEntry:
    """Set up a line that hears Quo's webhooks."""
    return await _setup_line(
        hass, entry_options, {CONF_PROVIDER: "quo", CONF_SIGNING_KEY: QUO_KEY}
    )


@pytest.mark.usefixtures("quo_line")
async def test_quo_unanswered_call_is_texted_once_and_answered_call_not(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
) -> None:
    client = await hass_client_no_auth()
    answered = _quo_call("2026-11-26T10:00:05.000Z", call_id="AC0")
    missed = _quo_call(None)
    for body in (answered, missed, missed):
        response = await client.post(PATH, data=body, headers=_quo_headers(body))
        assert response.status == 200
    await hass.async_block_till_done()
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.usefixtures("quo_line")
async def test_quo_stop_reply_opts_out(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    quo_line: MockConfigEntry,
) -> None:
    client = await hass_client_no_auth()
    body = _quo_event(
        "message.received",
        id="MS1",
        object="message",
        direction="incoming",
        to=["+15005550006"],
        body="Stop",
        **{"from": CALLER},
    )
    response = await client.post(PATH, data=body, headers=_quo_headers(body))
    await hass.async_block_till_done()
    assert response.status == 200
    assert quo_line.runtime_data.ledger.is_opted_out(CALLER)


@pytest.mark.usefixtures("quo_line")
@pytest.mark.parametrize(
    ("headers_for", "why"),
    [
        (
            lambda body: _quo_headers(body, at_ms=int(time.time() * 1000) - 301_000),
            "stale",
        ),
        (
            lambda body: _quo_headers(body, at_ms=int(time.time() * 1000) + 301_000),
            "future",
        ),
        (
            lambda body: _quo_headers(
                body, key=base64.b64encode(b"another key").decode()
            ),
            "other key",
        ),
        (lambda body: _quo_headers(body + b" "), "other body"),
        (lambda _body: {"Content-Type": JSON}, "unsigned"),
        (
            lambda body: {
                **_quo_headers(body),
                "openphone-signature": "hmac;2;1;abc",
            },
            "unknown scheme",
        ),
    ],
)
async def test_quo_forged_or_stale_requests_get_401(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    headers_for: Callable[[bytes], dict[str, str]],
    why: str,
) -> None:
    client = await hass_client_no_auth()
    body = _quo_call(None)
    response = await client.post(PATH, data=body, headers=headers_for(body))
    await hass.async_block_till_done()
    assert response.status == 401, why
    assert sms_calls == []
    assert _rejected(hass) == 1


@pytest.mark.usefixtures("quo_line")
async def test_quo_standard_webhooks_signature_is_accepted(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
) -> None:
    # Quo's newer webhook API signs the Standard Webhooks way.
    client = await hass_client_no_auth()
    body = _quo_call(None)
    timestamp = str(int(time.time()))
    digest = hmac.new(
        base64.b64decode(QUO_KEY),
        f"msg_1.{timestamp}.".encode() + body,
        hashlib.sha256,
    ).digest()
    headers = {
        "Content-Type": JSON,
        "webhook-id": "msg_1",
        "webhook-timestamp": timestamp,
        "webhook-signature": f"v1,bm90IGl0 v1,{base64.b64encode(digest).decode()}",
    }
    response = await client.post(PATH, data=body, headers=headers)
    await hass.async_block_till_done()
    assert response.status == 200
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.usefixtures("quo_line")
@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"type": "call.completed"}',
        b'{"type": "call.completed", "data": {"object": {"direction": "incoming"}}}',
    ],
)
async def test_quo_signed_but_malformed_body_gets_400(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    body: bytes,
) -> None:
    client = await hass_client_no_auth()
    response = await client.post(PATH, data=body, headers=_quo_headers(body))
    assert response.status == 400


# --- Telnyx ------------------------------------------------------------------


def _telnyx_event(kind: str, **payload: Any) -> bytes:
    event = {
        "data": {
            "event_type": kind,
            "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
            "occurred_at": "2026-11-26T10:00:30.000000Z",
            "payload": payload,
            "record_type": "event",
        },
        "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks"},
    }
    return json.dumps(event).encode()


def _telnyx_hangup(cause: str, session: str = "428c31b6") -> bytes:
    return _telnyx_event(
        "call.hangup",
        call_control_id="v3:abc",
        call_leg_id="leg-1",
        call_session_id=session,
        connection_id="conn-1",
        direction="incoming",
        hangup_cause=cause,
        hangup_source="caller",
        start_time="2026-11-26T10:00:00.000000Z",
        end_time="2026-11-26T10:00:25.000000Z",
        to="+15005550006",
        state="hangup",
        **{"from": CALLER},
    )


def _telnyx_headers(
    key: Ed25519PrivateKey, body: bytes, at: int | None = None
) -> dict[str, str]:
    timestamp = str(at if at is not None else int(time.time()))
    signature = key.sign(timestamp.encode() + b"|" + body)
    return {
        "Content-Type": JSON,
        "telnyx-timestamp": timestamp,
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
    }


@pytest.fixture
async def telnyx_line(
    hass: HomeAssistant,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    telnyx_key: Ed25519PrivateKey,
) -> MockConfigEntry:
    """Set up a line that hears Telnyx's webhooks."""
    return await _setup_line(
        hass,
        entry_options,
        {CONF_PROVIDER: "telnyx", CONF_PUBLIC_KEY: _public_key(telnyx_key)},
    )


@pytest.mark.usefixtures("telnyx_line")
@pytest.mark.parametrize(
    ("cause", "texted"),
    [
        ("no_answer", True),
        ("originator_cancel", True),
        ("timeout", True),
        ("user_busy", True),
        ("normal_clearing", False),
        ("call_rejected", False),
    ],
)
async def test_telnyx_hangup_cause_decides_the_text(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    telnyx_key: Ed25519PrivateKey,
    cause: str,
    texted: bool,
) -> None:
    client = await hass_client_no_auth()
    body = _telnyx_hangup(cause)
    for _ in range(2):  # Telnyx redelivers: one text at most
        response = await client.post(
            PATH, data=body, headers=_telnyx_headers(telnyx_key, body)
        )
        assert response.status == 200
    await hass.async_block_till_done()
    assert _targets(sms_calls) == ([CALLER] if texted else [])


@pytest.mark.usefixtures("telnyx_line")
async def test_telnyx_reply_and_outgoing_call(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    telnyx_line: MockConfigEntry,
    telnyx_key: Ed25519PrivateKey,
    sms_calls: list[ServiceCall],
) -> None:
    client = await hass_client_no_auth()
    bodies = [
        _telnyx_event(
            "message.received",
            text="STOP",
            to=[{"phone_number": "+15005550006"}],
            **{"from": {"phone_number": CALLER}},
        ),
        _telnyx_event(
            "call.initiated", direction="outgoing", to=CALLER, **{"from": "+1500"}
        ),
        _telnyx_event("call.answered", direction="incoming"),
    ]
    for body in bodies:
        response = await client.post(
            PATH, data=body, headers=_telnyx_headers(telnyx_key, body)
        )
        assert response.status == 200
    await hass.async_block_till_done()
    assert telnyx_line.runtime_data.ledger.is_opted_out(CALLER)
    assert sms_calls == []


@pytest.mark.usefixtures("telnyx_line")
async def test_telnyx_forged_stale_and_replayed_signatures_get_401(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    telnyx_key: Ed25519PrivateKey,
) -> None:
    client = await hass_client_no_auth()
    body = _telnyx_hangup("no_answer")
    stranger = Ed25519PrivateKey.generate()
    signed = _telnyx_headers(telnyx_key, body)
    attempts = [
        _telnyx_headers(stranger, body),
        _telnyx_headers(telnyx_key, body, at=int(time.time()) - 400),
        # A captured request replayed with a fresh timestamp: the signature
        # covers the timestamp, so it no longer matches.
        {**signed, "telnyx-timestamp": str(int(signed["telnyx-timestamp"]) + 1)},
        {**signed, "telnyx-signature-ed25519": "not base64!"},
        {"Content-Type": JSON},
    ]
    for headers in attempts:
        response = await client.post(PATH, data=body, headers=headers)
        assert response.status == 401
    await hass.async_block_till_done()
    assert sms_calls == []
    assert _rejected(hass) == len(attempts)


# --- ha-sip --------------------------------------------------------------------


def _sip(event: str, internal_id: str = "call-1") -> dict[str, Any]:
    return {
        "event": event,
        "caller": f"<sip:{CALLER}@fritz.box>",
        "called": "<sip:homeassistant@fritz.box>",
        "parsed_caller": CALLER,
        "parsed_called": "homeassistant",
        "sip_account": 1,
        "call_id": "abc@fritz.box",
        "internal_id": internal_id,
        "headers": {},
    }


@pytest.fixture
async def sip_line(
    hass: HomeAssistant, entry_options: dict[str, Any], sms_calls: list[ServiceCall]
) -> MockConfigEntry:
    """Set up a line that hears the ha-sip add-on."""
    return await _setup_line(hass, entry_options, {CONF_PROVIDER: "ha_sip"})


@pytest.mark.usefixtures("sip_line")
@pytest.mark.parametrize(
    ("events", "texted"),
    [
        (["incoming_call", "call_disconnected"], True),
        (["incoming_call", "ring_timeout"], True),
        (["incoming_call", "call_established", "call_disconnected"], False),
        # ha-sip's own outgoing call: established and ended, never rang in.
        (["call_established", "call_disconnected"], False),
        (["incoming_call", "dtmf_digit", "playback_done"], False),
    ],
)
async def test_ha_sip_call_progress_decides_the_text(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
    events: list[str],
    texted: bool,
) -> None:
    client = await hass_client_no_auth()
    for event in events:
        response = await client.post(PATH, json=_sip(event))
        assert response.status == 200
    await hass.async_block_till_done()
    assert _targets(sms_calls) == ([CALLER] if texted else [])


@pytest.mark.usefixtures("sip_line")
async def test_ha_sip_outgoing_call_does_not_mark_a_ringing_call_answered(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    sms_calls: list[ServiceCall],
) -> None:
    client = await hass_client_no_auth()
    await client.post(PATH, json=_sip("incoming_call", "in-1"))
    await client.post(PATH, json=_sip("call_established", "out-1"))
    await client.post(PATH, json=_sip("call_disconnected", "in-1"))
    await hass.async_block_till_done()
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.usefixtures("sip_line")
async def test_ha_sip_body_without_internal_id_gets_400(
    hass: HomeAssistant, hass_client_no_auth: ClientFactory
) -> None:
    client = await hass_client_no_auth()
    response = await client.post(PATH, json={"event": "incoming_call"})
    assert response.status == 400


# --- generic JSON ----------------------------------------------------------------


def _generic_data(mode: str) -> dict[str, Any]:
    return {
        CONF_PROVIDER: "generic",
        CONF_NUMBER_PATH: "call.from",
        CONF_STATUS_PATH: "call.result",
        CONF_MISSED_VALUES: ["missed", "voicemail"],
        CONF_NAME_PATH: "call.name",
        CONF_CALL_ID_PATH: "call.id",
        CONF_AUTH_MODE: mode,
        CONF_SECRET_HEADER: "X-Line-Secret",
        CONF_SECRET: GENERIC_SECRET,
    }


def _generic_call(result: str, call_id: str = "c1") -> bytes:
    return json.dumps(
        {"call": {"id": call_id, "from": CALLER, "name": "Ann", "result": result}}
    ).encode()


async def test_generic_header_secret(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await _setup_line(hass, entry_options, _generic_data("header"))
    client = await hass_client_no_auth()
    good = {"Content-Type": JSON, "X-Line-Secret": GENERIC_SECRET}
    bad = {"Content-Type": JSON, "X-Line-Secret": GENERIC_SECRET + "x"}
    statuses = [
        (await client.post(PATH, data=_generic_call("missed"), headers=bad)).status,
        (
            await client.post(PATH, data=_generic_call("answered", "c0"), headers=good)
        ).status,
        (await client.post(PATH, data=_generic_call("MISSED"), headers=good)).status,
        (await client.post(PATH, data=_generic_call("missed"), headers=good)).status,
    ]
    await hass.async_block_till_done()
    assert statuses == [401, 200, 200, 200]
    assert _targets(sms_calls) == [CALLER]
    assert sms_calls[0].data["message"].startswith("Hey")


async def test_generic_hmac_of_the_body(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await _setup_line(hass, entry_options, _generic_data("hmac"))
    client = await hass_client_no_auth()
    body = _generic_call("voicemail")
    digest = hmac.new(GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()
    # The secret itself is no HMAC: refused.
    refused = await client.post(
        PATH, data=body, headers={"Content-Type": JSON, "X-Line-Secret": GENERIC_SECRET}
    )
    accepted = await client.post(
        PATH,
        data=body,
        headers={"Content-Type": JSON, "X-Line-Secret": f"sha256={digest}"},
    )
    await hass.async_block_till_done()
    assert (refused.status, accepted.status) == (401, 200)
    assert _targets(sms_calls) == [CALLER]


# --- Home Assistant's Twilio integration (its event) ---------------------------


@pytest.mark.parametrize(
    ("reply_source", "opted_out"), [("none", True), ("twilio", True)]
)
async def test_twilio_integration_event_texts_missed_calls_and_takes_replies(
    hass: HomeAssistant,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    reply_source: str,
    opted_out: bool,
) -> None:
    entry = await _setup_line(
        hass,
        {**entry_options, CONF_REPLY_SOURCE: reply_source},
        {CONF_PROVIDER: "twilio_integration"},
    )
    events: list[Any] = []
    hass.bus.async_listen(f"{DOMAIN}_reply_received", events.append)
    # What core twilio fires: the posted fields plus its webhook id.
    hass.bus.async_fire(
        "twilio_data_received", {**_dial_action("no-answer"), "webhook_id": "x"}
    )
    hass.bus.async_fire(
        "twilio_data_received", {**_dial_action("no-answer"), "webhook_id": "x"}
    )
    hass.bus.async_fire("twilio_data_received", {"webhook_id": "x", "Foo": "bar"})
    # The caller answers the text once it arrived (a STOP that beats the text
    # would stop it: see test_replies.py).
    await hass.async_block_till_done()
    hass.bus.async_fire(
        "twilio_data_received",
        {"MessageSid": "SM1", "From": CALLER, "Body": "STOP", "webhook_id": "x"},
    )
    await hass.async_block_till_done()
    assert _targets(sms_calls) == [CALLER]
    assert entry.runtime_data.ledger.is_opted_out(CALLER) is opted_out
    # Heard once, whether the line's replies option also listens to Twilio.
    assert len(events) == 1
    assert hass.states.get("sensor.main_line_rejected_webhook_requests") is None


async def test_no_number_reaches_the_log_at_info_or_above(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    twilio_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    client = await hass_client_no_auth()
    await _post_twilio(client, _dial_action("no-answer"))
    await _post_twilio(client, _dial_action("busy", sid="CA7"), signature="forged")
    await _post_twilio(client, {"MessageSid": "SM1", "From": CALLER, "Body": "HELP"})
    await hass.async_block_till_done()
    # The missed call's text, then the answer to HELP.
    assert _targets(sms_calls) == [CALLER, CALLER]
    assert "STOP" in sms_calls[1].data["message"]
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("no valid signature" in message for message in loud)
    assert not [m for m in loud if "6502530000" in m or "2530000" in m]
    assert twilio_line.runtime_data.ledger.has_texted(CALLER)


async def test_minimum_ring_time_applies_where_the_provider_tells_the_ring(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _setup_line(
        hass,
        {**entry_options, CONF_MIN_RING_SECONDS: 10},
        {CONF_PROVIDER: "quo", CONF_SIGNING_KEY: QUO_KEY},
    )
    client = await hass_client_no_auth()
    # Quo: created 3 s before it completed, a one-ring call.
    body = _quo_event(
        "call.completed",
        id="AC9",
        direction="incoming",
        answeredAt=None,
        createdAt="2026-11-26T10:00:27.000Z",
        completedAt="2026-11-26T10:00:30.000Z",
        participants=[CALLER],
    )
    response = await client.post(PATH, data=body, headers=_quo_headers(body))
    await hass.async_block_till_done()
    assert response.status == 200
    assert sms_calls == []
    assert [data.get("reason") for kind, data in events if kind == "text_skipped"] == [
        "short_ring"
    ]
    # Without the times the call counts as long enough.
    body = _quo_call(None, call_id="AC10")
    await client.post(PATH, data=body, headers=_quo_headers(body))
    await hass.async_block_till_done()
    assert _targets(sms_calls) == [CALLER]


@pytest.mark.parametrize(
    ("data", "verified"),
    [
        ({CONF_PROVIDER: "twilio", CONF_AUTH_TOKEN: TWILIO_TOKEN}, True),
        ({CONF_PROVIDER: "twilio", CONF_ACCEPT_UNSIGNED: True}, False),
        ({CONF_PROVIDER: "quo", CONF_SIGNING_KEY: QUO_KEY}, True),
        ({CONF_PROVIDER: "telnyx", CONF_ACCEPT_UNSIGNED: True}, False),
        ({CONF_PROVIDER: "ha_sip"}, False),
        (_generic_data("hmac"), True),
        # Home Assistant's Twilio integration checks no signature.
        ({CONF_PROVIDER: "twilio_integration"}, False),
    ],
)
async def test_the_source_knows_whether_its_replies_are_verified(
    hass: HomeAssistant,
    entry_options: dict[str, Any],
    data: dict[str, Any],
    verified: bool,
) -> None:
    entry = await _setup_line(hass, entry_options, data)
    assert entry.runtime_data.source._dispatcher.verified is verified
