"""Delivery receipts: the providers' status callbacks, read, and what they mean.

The first part reads each provider's documented receipt bodies with the pure
provider modules. The rest runs a real Home Assistant line with a native
sender: texts go to a local HTTP server that plays the provider (the far
edge), and receipts come back through real HTTP to the line's webhook, signed
the way each provider signs (Twilio by the official twilio package's
RequestValidator, Telnyx with an Ed25519 key made for the test, Quo's HMAC).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from twilio.request_validator import RequestValidator

from custom_components.missed_call_textback import logbook
from custom_components.missed_call_textback.const import (
    CONF_CREDENTIALS,
    CONF_RECEIPT_URL,
    CONF_RECEIPT_WEBHOOK_ID,
    CONF_SOURCE,
    DOMAIN,
)
from custom_components.missed_call_textback.ledger import HistoryRecord, Ledger
from custom_components.missed_call_textback.native.common import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_FROM_NUMBER,
    CONF_PUBLIC_KEY,
)
from custom_components.missed_call_textback.receipts import ReceiptSink
from custom_components.missed_call_textback.sender import SendError, SendErrorKind
from custom_components.missed_call_textback.sources.providers import (
    DeliveryReport,
    InboundRequest,
    MalformedError,
    ReplyReceived,
)
from custom_components.missed_call_textback.sources.providers.quo import QuoProvider
from custom_components.missed_call_textback.sources.providers.telnyx import (
    TelnyxProvider,
)
from custom_components.missed_call_textback.sources.providers.twilio import (
    TwilioProvider,
)
from custom_components.missed_call_textback.sources.webhook_config import (
    CONF_PROVIDER,
    CONF_WEBHOOK_ID,
)

from .line_helpers import async_miss_call
from .native.provider_server import (
    FROM_NUMBER,
    TWILIO_ACCOUNT_SID,
    TWILIO_API_KEY_SECRET,
    TWILIO_API_KEY_SID,
    TWILIO_AUTH_TOKEN,
    ProviderServer,
)
from .test_native_line import (
    CALLER,
    QUO_SIGNING_KEY,
    RECEIPT_PATH,
    RECEIPT_URL,
    RECEIPT_WEBHOOK_ID,
    async_native_line,
    native_options,
    public_key,
    serve_providers,
)

type ClientFactory = Callable[[], Awaitable[TestClient]]


@pytest.fixture
def telnyx_key() -> Ed25519PrivateKey:
    """Return a key pair standing in for the Telnyx account's."""
    return Ed25519PrivateKey.generate()


@pytest.fixture
async def provider(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncGenerator[ProviderServer]:
    """Play the providers' APIs on 127.0.0.1 (the only edge replaced)."""
    async for server in serve_providers(monkeypatch):
        yield server


NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def _request(body: bytes) -> InboundRequest:
    return InboundRequest(headers={}, body=body, urls=(), now=NOW)


# --- Twilio: StatusCallback form fields ---------------------------------------


def _twilio_status(status: str, **extra: str) -> bytes:
    fields = {
        "AccountSid": "AC0001",
        "ApiVersion": "2010-04-01",
        "From": "+15005550006",
        "To": "+16502530000",
        "MessageSid": "SM0001",
        "SmsSid": "SM0001",
        "MessageStatus": status,
        "SmsStatus": status,
        **extra,
    }
    return urlencode(fields).encode()


@pytest.mark.parametrize(
    ("status", "extra", "expected"),
    [
        (
            "delivered",
            {},
            DeliveryReport("SM0001", delivered=True, error_code=None, final=True),
        ),
        (
            "undelivered",
            {"ErrorCode": "30006"},
            DeliveryReport("SM0001", delivered=False, error_code="30006", final=True),
        ),
        (
            "failed",
            {"ErrorCode": "30034"},
            DeliveryReport("SM0001", delivered=False, error_code="30034", final=True),
        ),
        (
            "sent",
            {},
            DeliveryReport("SM0001", delivered=False, error_code=None, final=False),
        ),
        (
            "queued",
            {},
            DeliveryReport("SM0001", delivered=False, error_code=None, final=False),
        ),
    ],
)
def test_twilio_status_callback_is_a_delivery_report(
    status: str, extra: dict[str, str], expected: DeliveryReport
) -> None:
    provider = TwilioProvider(None)
    assert provider.parse(_request(_twilio_status(status, **extra))) == [expected]


def test_twilio_inbound_sms_is_still_a_reply() -> None:
    body = urlencode(
        {"MessageSid": "SM2", "From": "+16502530000", "Body": "STOP"}
    ).encode()
    assert TwilioProvider(None).parse(_request(body)) == [
        ReplyReceived(number="+16502530000", text="STOP")
    ]


def test_twilio_status_without_its_message_is_malformed() -> None:
    body = urlencode({"MessageStatus": "delivered"}).encode()
    with pytest.raises(MalformedError):
        TwilioProvider(None).parse(_request(body))


# --- Telnyx: message.sent / message.finalized -----------------------------------


def _telnyx_event(
    kind: str, status: str, errors: list[dict[str, Any]] | None = None
) -> bytes:
    return json.dumps(
        {
            "data": {
                "event_type": kind,
                "id": "4ee8c3a6-4995-4309-a3c6-38e3db9ea4be",
                "occurred_at": "2026-12-04T12:00:00.000+00:00",
                "payload": {
                    "id": "40385f64-5717-4562-b3fc-2c963f66afa6",
                    "direction": "outbound",
                    "type": "SMS",
                    "from": {"phone_number": "+18445550001"},
                    "to": [
                        {
                            "phone_number": "+16502530000",
                            "status": status,
                            "line_type": "Wireless",
                        }
                    ],
                    "errors": errors or [],
                    "text": "Hello",
                },
                "record_type": "event",
            },
            "meta": {"attempt": 1, "delivered_to": "https://example.com/hook"},
        }
    ).encode()


MESSAGE_ID = "40385f64-5717-4562-b3fc-2c963f66afa6"


@pytest.mark.parametrize(
    ("kind", "status", "errors", "expected"),
    [
        (
            "message.finalized",
            "delivered",
            None,
            DeliveryReport(MESSAGE_ID, delivered=True, error_code=None, final=True),
        ),
        (
            "message.finalized",
            "delivery_failed",
            [{"code": "40001", "title": "Not routable"}],
            DeliveryReport(MESSAGE_ID, delivered=False, error_code="40001", final=True),
        ),
        (
            "message.finalized",
            "sending_failed",
            [{"code": 40300, "title": "Blocked due to STOP message"}],
            DeliveryReport(MESSAGE_ID, delivered=False, error_code="40300", final=True),
        ),
        # No receipt from the carrier: neither delivered nor not.
        (
            "message.finalized",
            "delivery_unconfirmed",
            None,
            DeliveryReport(MESSAGE_ID, delivered=False, error_code=None, final=False),
        ),
        (
            "message.sent",
            "sent",
            None,
            DeliveryReport(MESSAGE_ID, delivered=False, error_code=None, final=False),
        ),
    ],
)
def test_telnyx_message_events_are_delivery_reports(
    kind: str,
    status: str,
    errors: list[dict[str, Any]] | None,
    expected: DeliveryReport,
) -> None:
    provider = TelnyxProvider(None)
    assert provider.parse(_request(_telnyx_event(kind, status, errors))) == [expected]


def test_telnyx_receipt_without_message_id_is_malformed() -> None:
    body = json.dumps(
        {"data": {"event_type": "message.finalized", "payload": {"to": "x"}}}
    ).encode()
    with pytest.raises(MalformedError):
        TelnyxProvider(None).parse(_request(body))


def test_telnyx_receipt_with_odd_recipients_is_not_final() -> None:
    body = json.dumps(
        {
            "data": {
                "event_type": "message.finalized",
                "payload": {"id": "m1", "to": ["+1"], "errors": ["x"]},
            }
        }
    ).encode()
    assert TelnyxProvider(None).parse(_request(body)) == [
        DeliveryReport("m1", delivered=False, error_code=None, final=False)
    ]


# --- Quo: message.delivered (legacy), message.delivered/failed (webhook API) ----


def test_quo_legacy_message_delivered_is_a_delivery_report() -> None:
    body = json.dumps(
        {
            "id": "EVc67ec998b35c41d388af50799aeeba3e",
            "object": "event",
            "apiVersion": "v2",
            "createdAt": "2026-12-04T12:00:00.000Z",
            "type": "message.delivered",
            "data": {
                "object": {
                    "id": "AC24a8b8321c4f4cf2be110f4250793d51",
                    "object": "message",
                    "from": "+18445550001",
                    "to": "+16502530000",
                    "direction": "outgoing",
                    "body": "Hello",
                    "status": "delivered",
                    "createdAt": "2026-12-04T11:59:58.000Z",
                }
            },
        }
    ).encode()
    assert QuoProvider(None).parse(_request(body)) == [
        DeliveryReport(
            "AC24a8b8321c4f4cf2be110f4250793d51",
            delivered=True,
            error_code=None,
            final=True,
        )
    ]


@pytest.mark.parametrize(
    ("kind", "resource", "expected"),
    [
        (
            "message.delivered",
            {"id": "AC1", "status": "delivered"},
            DeliveryReport("AC1", delivered=True, error_code=None, final=True),
        ),
        (
            "message.failed",
            {"id": "AC1", "errorCode": "0206400"},
            DeliveryReport("AC1", delivered=False, error_code="0206400", final=True),
        ),
        (
            "message.failed",
            {"id": "AC1", "error": {"code": 30006}},
            DeliveryReport("AC1", delivered=False, error_code="30006", final=True),
        ),
        (
            "message.failed",
            {"id": "AC1"},
            DeliveryReport("AC1", delivered=False, error_code=None, final=True),
        ),
    ],
)
def test_quo_webhook_api_receipts_are_delivery_reports(
    kind: str, resource: dict[str, Any], expected: DeliveryReport
) -> None:
    body = json.dumps(
        {
            "id": "EV1",
            "apiVersion": "2026-03-30",
            "type": kind,
            "data": {"resource": resource, "context": {}, "links": {"quo": None}},
        }
    ).encode()
    assert QuoProvider(None).parse(_request(body)) == [expected]


def test_quo_webhook_api_other_events_are_ignored() -> None:
    body = json.dumps(
        {"type": "call.summary.completed", "data": {"resource": {"id": "x"}}}
    ).encode()
    assert QuoProvider(None).parse(_request(body)) == []


def test_quo_receipt_without_message_id_is_malformed() -> None:
    body = json.dumps({"type": "message.delivered", "data": {"object": {}}}).encode()
    with pytest.raises(MalformedError):
        QuoProvider(None).parse(_request(body))


# --- receipts through real HTTP, to a real line --------------------------------

CALLS_WEBHOOK_ID = "calls-0123456789abcdef"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _twilio_signature(url: str, fields: dict[str, str]) -> str:
    return str(RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(url, fields))


async def _post_twilio(
    client: TestClient, fields: dict[str, str], *, signed: bool = True
) -> int:
    headers = {"Content-Type": FORM}
    if signed:
        headers["X-Twilio-Signature"] = _twilio_signature(RECEIPT_URL, fields)
    response = await client.post(RECEIPT_PATH, data=urlencode(fields), headers=headers)
    return response.status


def _status_fields(
    message_id: str, status: str, error_code: str | None = None
) -> dict[str, str]:
    fields = {
        "AccountSid": TWILIO_ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": FROM_NUMBER,
        "To": CALLER,
        "MessageSid": message_id,
        "SmsSid": message_id,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error_code is not None:
        fields["ErrorCode"] = error_code
    return fields


async def _texted_line(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    kind: str,
    telnyx_key: Ed25519PrivateKey,
    **options: Any,
) -> tuple[MockConfigEntry, str]:
    """Add a native line, miss a call; return the line and its text's id."""
    entry = await async_native_line(
        hass, entry_data, entry_options, kind, telnyx_key, **options
    )
    await async_miss_call(hass, CALLER, "Jane Roe")
    [record] = entry.runtime_data.ledger.history
    assert record.message_id is not None
    return entry, record.message_id


def _named(events: list[tuple[str, dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    return [data for event, data in events if event == name]


def _sensor(hass: HomeAssistant, key: str) -> str:
    state = hass.states.get(f"sensor.main_line_{key}")
    assert state is not None
    return state.state


async def test_twilio_delivered_receipt_is_noted_once(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    entry, message_id = await _texted_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    client = await hass_client_no_auth()
    # A step on the way tells nothing yet.
    assert await _post_twilio(client, _status_fields(message_id, "sent")) == 200
    assert await _post_twilio(client, _status_fields(message_id, "delivered")) == 200
    # Twilio retries a callback it thinks failed: noted once.
    assert await _post_twilio(client, _status_fields(message_id, "delivered")) == 200
    await hass.async_block_till_done()
    [delivered] = _named(events, "text_delivered")
    assert delivered == {
        "entry_id": entry.entry_id,
        "line_name": "Main line",
        "call_id": delivered["call_id"],
        "number": CALLER,
        "caller_name": "Jane Roe",
        "variant": "a",
        "message_id": message_id,
    }
    assert _named(events, "text_undelivered") == []
    assert _sensor(hass, "delivered") == "1"
    assert _sensor(hass, "undeliverable") == "0"
    [record] = entry.runtime_data.ledger.history
    assert record.delivery == "delivered"


async def test_twilio_undelivered_landline_is_never_texted_again(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    entry, message_id = await _texted_line(
        hass, entry_data, entry_options, "twilio", telnyx_key, cooldown_hours=0
    )
    client = await hass_client_no_auth()
    fields = _status_fields(message_id, "undelivered", "30006")
    assert await _post_twilio(client, fields) == 200
    await hass.async_block_till_done()
    [undelivered] = _named(events, "text_undelivered")
    assert undelivered["error_code"] == "30006"
    assert undelivered["meaning"] == "landline"
    assert _sensor(hass, "undeliverable") == "1"
    assert entry.runtime_data.ledger.is_not_textable(CALLER)
    assert issue_registry.async_get_issue(DOMAIN, f"not_textable_{entry.entry_id}")
    await async_miss_call(hass, CALLER)
    assert [data["reason"] for data in _named(events, "text_skipped")] == ["landline"]
    assert len(provider.sent("twilio.send")) == 1


async def test_filtered_receipt_raises_the_repair_until_a_text_is_delivered(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    hass_client_no_auth: ClientFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    entry, message_id = await _texted_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    client = await hass_client_no_auth()
    fields = _status_fields(message_id, "undelivered", "30007")
    assert await _post_twilio(client, fields) == 200
    issue_id = f"texts_filtered_{entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["code"] == "30007"
    # The next text gets through: registration is done.
    await async_miss_call(hass, "+16502530001")
    second = entry.runtime_data.ledger.history[-1].message_id
    assert second is not None
    assert await _post_twilio(client, _status_fields(second, "delivered")) == 200
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_opted_out_receipt_opts_the_number_out(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    hass_client_no_auth: ClientFactory,
) -> None:
    entry, message_id = await _texted_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    client = await hass_client_no_auth()
    fields = _status_fields(message_id, "failed", "21610")
    assert await _post_twilio(client, fields) == 200
    await hass.async_block_till_done()
    assert entry.runtime_data.ledger.is_opted_out(CALLER)


async def test_forged_receipt_is_refused(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    entry, message_id = await _texted_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    client = await hass_client_no_auth()
    fields = _status_fields(message_id, "undelivered", "30006")
    assert await _post_twilio(client, fields, signed=False) == 401
    assert _named(events, "text_undelivered") == []
    assert not entry.runtime_data.ledger.is_not_textable(CALLER)


async def test_unsigned_receipt_is_noted_but_changes_no_number(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    # An API key and no auth token: nothing can verify Twilio's signature.
    entry, message_id = await _texted_line(
        hass,
        entry_data,
        entry_options,
        "twilio",
        telnyx_key,
        **{
            CONF_CREDENTIALS: {
                CONF_ACCOUNT_SID: TWILIO_ACCOUNT_SID,
                CONF_API_KEY_SID: TWILIO_API_KEY_SID,
                CONF_API_KEY_SECRET: TWILIO_API_KEY_SECRET,
                CONF_FROM_NUMBER: FROM_NUMBER,
            }
        },
    )
    client = await hass_client_no_auth()
    fields = _status_fields(message_id, "undelivered", "30006")
    assert await _post_twilio(client, fields, signed=False) == 200
    await hass.async_block_till_done()
    [undelivered] = _named(events, "text_undelivered")
    assert undelivered["meaning"] == "landline"
    assert not entry.runtime_data.ledger.is_not_textable(CALLER)


async def test_receipt_webhook_takes_replies_but_no_calls(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    entry, _ = await _texted_line(hass, entry_data, entry_options, "twilio", telnyx_key)
    client = await hass_client_no_auth()
    # The Twilio number's voice callbacks may point here too: the line hears
    # its calls from its own source, so they are dropped.
    call = {
        "AccountSid": TWILIO_ACCOUNT_SID,
        "CallSid": "CA0001",
        "From": "+16502530009",
        "To": FROM_NUMBER,
        "Direction": "inbound",
        "CallStatus": "no-answer",
    }
    assert await _post_twilio(client, call) == 200
    placed = {**call, "CallSid": "CA0002", "Direction": "outbound-api"}
    assert await _post_twilio(client, placed) == 200
    sms = {"MessageSid": "SM9", "From": CALLER, "To": FROM_NUMBER, "Body": "STOP"}
    assert await _post_twilio(client, sms) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.ledger.is_opted_out(CALLER)
    assert len(_named(events, "missed_call")) == 1
    assert len(provider.sent("twilio.send")) == 1


async def test_receipt_of_a_text_the_line_does_not_know_is_ignored(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    await async_native_line(hass, entry_data, entry_options, "twilio", telnyx_key)
    response = await hass.services.async_call(
        DOMAIN,
        "send_test_text",
        {"number": CALLER},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    client = await hass_client_no_auth()
    fields = _status_fields(str(response["message_id"]), "undelivered", "30006")
    assert await _post_twilio(client, fields) == 200
    await hass.async_block_till_done()
    assert _named(events, "text_undelivered") == []
    assert _sensor(hass, "undeliverable") == "0"


async def test_receipt_faster_than_the_send_is_taken_when_the_text_is_recorded(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    entry = await async_native_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    line = entry.runtime_data
    for index in range(40):
        line.delivery_reported(
            DeliveryReport(f"SMX{index}", delivered=True, error_code=None, final=True),
            verified=True,
        )
    record = HistoryRecord(
        call_id="c1",
        missed_at=dt_util.utcnow().isoformat(),
        number=CALLER,
        caller_name=None,
        result="sent",
        message_id="SMX39",
    )
    line.ledger.add_history(record)
    line.receipts.async_sent(record)
    # Only the newest few early receipts are kept.
    old = replace(record, call_id="c0", message_id="SMX0")
    line.ledger.add_history(old)
    line.receipts.async_sent(old)
    assert [data["call_id"] for data in _named(events, "text_delivered")] == ["c1"]


async def test_undelivered_for_another_reason_is_noted_only(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    entry, message_id = await _texted_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    client = await hass_client_no_auth()
    # 30008 Unknown error: nothing to learn about the number.
    fields = _status_fields(message_id, "undelivered", "30008")
    assert await _post_twilio(client, fields) == 200
    await hass.async_block_till_done()
    [undelivered] = _named(events, "text_undelivered")
    assert undelivered["error_code"] == "30008"
    assert undelivered["meaning"] is None
    ledger = entry.runtime_data.ledger
    assert not ledger.is_not_textable(CALLER)
    assert not ledger.is_opted_out(CALLER)
    assert _sensor(hass, "undeliverable") == "1"


async def test_a_number_found_to_be_a_landline_is_told_of_once(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await async_native_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    line = entry.runtime_data
    landline = SendError("provider_permanent", "30006", kind=SendErrorKind.LANDLINE)
    issue_id = f"not_textable_{entry.entry_id}"
    line.receipts.async_send_failed(CALLER, landline)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    ir.async_delete_issue(hass, DOMAIN, issue_id)
    # Two texts in flight to the same landline: the owner hears of it once.
    line.receipts.async_send_failed(CALLER, landline)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    # The receipt webhook's sink shares the line's tracker (the protocol's).
    assert ReceiptSink(line).tracker is line.tracker


# --- the same provider's webhook takes the calls and the receipts ---------------


async def test_telnyx_receipt_arrives_on_the_calls_webhook(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Main line",
        data={
            CONF_SOURCE: "webhook",
            CONF_PROVIDER: "telnyx",
            CONF_WEBHOOK_ID: CALLS_WEBHOOK_ID,
            CONF_PUBLIC_KEY: public_key(telnyx_key),
        },
        options={
            **entry_options,
            **native_options(
                "telnyx",
                telnyx_key,
                **{CONF_RECEIPT_WEBHOOK_ID: CALLS_WEBHOOK_ID},
            ),
        },
        unique_id=CALLS_WEBHOOK_ID,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()

    async def _post(document: dict[str, Any]) -> int:
        body = json.dumps(document).encode()
        timestamp = str(int(time.time()))
        signature = telnyx_key.sign(timestamp.encode() + b"|" + body)
        response = await client.post(
            f"/api/webhook/{CALLS_WEBHOOK_ID}",
            data=body,
            headers={
                "Content-Type": JSON,
                "telnyx-timestamp": timestamp,
                "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
            },
        )
        return response.status

    hangup = {
        "data": {
            "event_type": "call.hangup",
            "payload": {
                "call_session_id": "s1",
                "direction": "incoming",
                "from": CALLER,
                "hangup_cause": "no_answer",
            },
        }
    }
    assert await _post(hangup) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    [record] = entry.runtime_data.ledger.history
    assert record.message_id is not None
    finalized = json.loads(_telnyx_event("message.finalized", "delivered"))
    finalized["data"]["payload"]["id"] = record.message_id
    assert await _post(finalized) == 200
    await hass.async_block_till_done()
    [delivered] = _named(events, "text_delivered")
    assert delivered["message_id"] == record.message_id
    # The calls webhook is the only one: no webhook of the line's own.
    assert RECEIPT_WEBHOOK_ID not in hass.data["webhook"]


async def test_twilio_receipt_signed_for_a_cloud_url_arrives_on_the_calls_webhook(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    # Receipts are asked for at Home Assistant Cloud's URL of the webhook:
    # Twilio signs that URL, which the calls' settings never name.
    cloud_url = "https://hooks.nabu.casa/gAAAAABtestcloudhook"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Main line",
        data={
            CONF_SOURCE: "webhook",
            CONF_PROVIDER: "twilio",
            CONF_WEBHOOK_ID: CALLS_WEBHOOK_ID,
            CONF_AUTH_TOKEN: TWILIO_AUTH_TOKEN,
        },
        options={
            **entry_options,
            **native_options(
                "twilio",
                telnyx_key,
                **{
                    CONF_RECEIPT_WEBHOOK_ID: CALLS_WEBHOOK_ID,
                    CONF_RECEIPT_URL: cloud_url,
                },
            ),
        },
        unique_id=CALLS_WEBHOOK_ID,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()

    async def _post(fields: dict[str, str]) -> int:
        response = await client.post(
            f"/api/webhook/{CALLS_WEBHOOK_ID}",
            data=urlencode(fields),
            headers={
                "Content-Type": FORM,
                "X-Twilio-Signature": _twilio_signature(cloud_url, fields),
            },
        )
        return response.status

    call = {
        "AccountSid": TWILIO_ACCOUNT_SID,
        "CallSid": "CA0001",
        "From": CALLER,
        "To": FROM_NUMBER,
        "Direction": "inbound",
        "CallStatus": "no-answer",
    }
    assert await _post(call) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    [request] = provider.sent("twilio.send")
    assert request.form is not None
    assert request.form["StatusCallback"] == cloud_url
    [record] = entry.runtime_data.ledger.history
    assert record.message_id is not None
    assert await _post(_status_fields(record.message_id, "delivered")) == 200
    await hass.async_block_till_done()
    assert len(_named(events, "text_delivered")) == 1


async def test_quo_receipt_arrives_on_the_lines_own_webhook(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    hass_client_no_auth: ClientFactory,
) -> None:
    _, message_id = await _texted_line(
        hass, entry_data, entry_options, "quo", telnyx_key
    )
    client = await hass_client_no_auth()
    body = json.dumps(
        {
            "id": "EV1",
            "object": "event",
            "type": "message.delivered",
            "data": {"object": {"id": message_id, "status": "delivered"}},
        }
    ).encode()
    timestamp = str(int(time.time() * 1000))
    digest = hmac.new(
        base64.b64decode(QUO_SIGNING_KEY),
        timestamp.encode() + b"." + body,
        hashlib.sha256,
    ).digest()
    response = await client.post(
        RECEIPT_PATH,
        data=body,
        headers={
            "Content-Type": JSON,
            "openphone-signature": (
                f"hmac;1;{timestamp};{base64.b64encode(digest).decode()}"
            ),
        },
    )
    assert response.status == 200
    await hass.async_block_till_done()
    [delivered] = _named(events, "text_delivered")
    assert delivered["message_id"] == message_id


# --- the logbook and the ledger ---------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "data", "message"),
    [
        (
            "text_delivered",
            {"number": CALLER, "caller_name": "Jane Roe"},
            f"delivered the text to Jane Roe ({CALLER})",
        ),
        (
            "text_undelivered",
            {"number": CALLER, "error_code": "30006", "meaning": "landline"},
            (
                f"could not deliver the text to {CALLER} (error 30006): the number "
                "cannot receive texts (a landline or unreachable)"
            ),
        ),
        (
            "text_undelivered",
            {"number": CALLER, "error_code": None, "meaning": None},
            f"could not deliver the text to {CALLER}",
        ),
        (
            "text_skipped",
            {"number": CALLER, "reason": "landline"},
            (
                f"did not text {CALLER} back: the number cannot receive texts "
                "(a landline)"
            ),
        ),
    ],
)
def test_logbook_tells_what_the_receipt_said(
    event_type: str, data: dict[str, Any], message: str
) -> None:
    event = Event(f"{DOMAIN}_{event_type}", data)
    assert logbook._describe(event) == message


async def test_ledger_keeps_message_ids_and_receipts_across_restarts(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    ledger = Ledger(hass, "entry")
    ledger.add_history(
        HistoryRecord(
            call_id="c1",
            missed_at="2026-12-04T10:00:00+00:00",
            number=CALLER,
            caller_name=None,
            result="sent",
            message_id="SM1",
        )
    )
    assert ledger.record_delivery("SM1", delivered=False, error_code="30006")
    assert ledger.record_delivery("SM1", delivered=True, error_code=None) is None
    assert ledger.record_delivery("SM2", delivered=True, error_code=None) is None
    assert ledger.mark_not_textable(CALLER, "landline", dt_util.utcnow())
    assert not ledger.mark_not_textable(CALLER, "landline", dt_util.utcnow())
    ledger.set_test_number("+16502530000")
    await ledger.async_flush()
    stored = hass_storage[f"{DOMAIN}.entry"]
    assert stored["minor_version"] == 4
    # A newer version's extra field in a record is dropped, not fatal.
    stored["data"]["history"][0]["from_the_future"] = True
    again = Ledger(hass, "entry")
    await again.async_load()
    [record] = again.history
    assert record.message_id == "SM1"
    assert record.delivery == "undelivered"
    assert record.delivery_error == "30006"
    assert again.undeliverable_total == 1
    assert again.delivered_total == 0
    assert again.is_not_textable(CALLER)
    assert again.not_textable_count == 1
    assert again.test_number == "+16502530000"
    assert again.record_of_message("SM1") == record
