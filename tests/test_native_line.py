"""A real Home Assistant line texting through each native sender.

The line hears its calls from a FRITZ!Box-style entity and texts through
Twilio's, Telnyx's or Quo's messaging API. The API is the far edge: a local
aiohttp server (tests/native/provider_server.py) plays it from the providers'
documented requests and answers, reached over real HTTP through Home
Assistant's shared session. One test per meaning of a provider's error.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_CREDENTIALS,
    CONF_RECEIPT_URL,
    CONF_RECEIPT_WEBHOOK_ID,
    CONF_SENDER,
    DOMAIN,
)
from custom_components.missed_call_textback.native.common import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY,
    CONF_AUTH_TOKEN,
    CONF_FROM_NUMBER,
    CONF_PUBLIC_KEY,
    CONF_SIGNING_KEY,
)

from .line_helpers import DEFAULT_TEXT, async_add_line, async_miss_call, make_entry
from .native.provider_server import (
    FROM_NUMBER,
    QUO_API_KEY,
    TELNYX_API_KEY,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    ProviderServer,
    Reply,
    quo_error,
    telnyx_error,
    twilio_error,
)

# A caller the line texts (the provider server's own is no valid number).
CALLER = "+16502530000"
RECEIPT_WEBHOOK_ID = "receipts-0123456789abcdef"
RECEIPT_PATH = f"/api/webhook/{RECEIPT_WEBHOOK_ID}"
# The public URL the provider posts receipts to (the one Twilio signs).
RECEIPT_URL = f"https://line.example.com{RECEIPT_PATH}"
QUO_SIGNING_KEY = base64.b64encode(b"quo signing key of the test line").decode()
SEND_ROUTES = {"twilio": "twilio.send", "telnyx": "telnyx.send", "quo": "quo.send"}


@pytest.fixture
def telnyx_key() -> Ed25519PrivateKey:
    """Return a key pair standing in for the Telnyx account's."""
    return Ed25519PrivateKey.generate()


def public_key(private: Ed25519PrivateKey) -> str:
    """Return the public key as the Telnyx portal shows it (base64)."""
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


@pytest.fixture
async def provider(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncGenerator[ProviderServer]:
    """Play the three providers on 127.0.0.1; point the senders at it."""
    async for server in serve_providers(monkeypatch):
        yield server


async def serve_providers(
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncGenerator[ProviderServer]:
    """Serve the providers' APIs until the test ends (the far edge)."""
    server = ProviderServer()
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    server.base = str(test_server.make_url("")).rstrip("/")
    for name in ("TWILIO", "TELNYX", "QUO"):
        monkeypatch.setenv(f"MISSED_CALL_TEXTBACK_API_BASE_{name}", server.base)
    yield server
    server.release()
    await test_server.close()


def credentials(kind: str, telnyx_key: Ed25519PrivateKey) -> dict[str, str]:
    """Return a native sender's credentials, as the setup flow stores them."""
    if kind == "twilio":
        return {
            CONF_ACCOUNT_SID: TWILIO_ACCOUNT_SID,
            CONF_AUTH_TOKEN: TWILIO_AUTH_TOKEN,
            CONF_FROM_NUMBER: FROM_NUMBER,
        }
    if kind == "telnyx":
        return {
            CONF_API_KEY: TELNYX_API_KEY,
            CONF_FROM_NUMBER: FROM_NUMBER,
            CONF_PUBLIC_KEY: public_key(telnyx_key),
        }
    return {
        CONF_API_KEY: QUO_API_KEY,
        CONF_FROM_NUMBER: FROM_NUMBER,
        CONF_SIGNING_KEY: QUO_SIGNING_KEY,
    }


def native_options(
    kind: str, telnyx_key: Ed25519PrivateKey, **options: Any
) -> dict[str, Any]:
    """Return the options of a line texting through a provider's API."""
    return {
        CONF_SENDER: kind,
        CONF_CREDENTIALS: credentials(kind, telnyx_key),
        CONF_RECEIPT_WEBHOOK_ID: RECEIPT_WEBHOOK_ID,
        CONF_RECEIPT_URL: RECEIPT_URL,
        **options,
    }


async def async_native_line(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    kind: str,
    telnyx_key: Ed25519PrivateKey,
    **options: Any,
) -> MockConfigEntry:
    """Add the conftest line, texting through kind's API."""
    entry = make_entry(
        entry_data, entry_options, **native_options(kind, telnyx_key, **options)
    )
    await async_add_line(hass, entry)
    return entry


def texted(provider: ProviderServer, kind: str) -> list[tuple[str, str]]:
    """Return (to, body) of each text the provider was asked to send."""
    out = []
    for request in provider.sent(SEND_ROUTES[kind]):
        if request.form is not None:
            out.append((request.form["To"], request.form["Body"]))
        else:
            to = request.json["to"]
            body = request.json.get("text", request.json.get("content"))
            out.append((to[0] if isinstance(to, list) else to, body))
    return out


def history(entry: MockConfigEntry) -> list[Any]:
    """Return the line's history records."""
    return list(entry.runtime_data.ledger.history)


# --- sending through each provider ------------------------------------------


@pytest.mark.parametrize("kind", ["twilio", "telnyx", "quo"])
async def test_missed_call_is_texted_through_the_providers_api(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    kind: str,
) -> None:
    entry = await async_native_line(hass, entry_data, entry_options, kind, telnyx_key)
    await async_miss_call(hass, CALLER, "Jane Roe")
    assert texted(provider, kind) == [(CALLER, DEFAULT_TEXT)]
    [request] = provider.sent(SEND_ROUTES[kind])
    # Every text asks for its receipt at the line's public webhook URL.
    if kind == "twilio":
        assert request.form is not None
        assert request.form["StatusCallback"] == RECEIPT_URL
    elif kind == "telnyx":
        assert request.json["webhook_url"] == RECEIPT_URL
    [record] = history(entry)
    assert record.result == "sent"
    assert record.message_id
    sent = [data for name, data in events if name == "text_sent"]
    assert sent[0]["message_id"] == record.message_id


async def test_test_text_goes_through_the_real_sender_and_counts_nowhere(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
) -> None:
    entry = await async_native_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    response = await hass.services.async_call(
        DOMAIN,
        "send_test_text",
        {"number": "(650) 253-0000"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["result"] == "sent"
    assert response["number"] == "+16502530000"
    assert str(response["message_id"]).startswith("SM")
    assert "Acme Plumbing" in str(response["message"])
    assert texted(provider, "twilio") == [("+16502530000", response["message"])]
    # Not a text to a caller: no history, no statistics, no follow-up.
    assert history(entry) == []
    assert entry.runtime_data.ledger.sent_today(dt_util.utcnow()) == 0
    assert not entry.runtime_data.ledger.leads.open


async def test_test_text_reports_the_providers_refusal(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
) -> None:
    await async_native_line(hass, entry_data, entry_options, "twilio", telnyx_key)
    provider.queue(
        "twilio.send", twilio_error(400, 21211, "The 'To' number is not valid.")
    )
    response = await hass.services.async_call(
        DOMAIN,
        "send_test_text",
        {"number": "+16502530000"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["result"] == "failed"
    assert response["error_code"] == "21211"
    assert response["error_kind"] == "permanent"
    assert "not valid" in str(response["error"])
    # Called without asking for the answer, the failure is raised.
    provider.queue(
        "twilio.send", twilio_error(400, 21211, "The 'To' number is not valid.")
    )
    with pytest.raises(HomeAssistantError, match="not valid"):
        await hass.services.async_call(
            DOMAIN, "send_test_text", {"number": "+16502530000"}, blocking=True
        )


async def test_test_text_refuses_a_number_that_cannot_be_texted(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
) -> None:
    await async_native_line(hass, entry_data, entry_options, "twilio", telnyx_key)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "send_test_text", {"number": "12"}, blocking=True
        )
    assert provider.sent("twilio.send") == []


async def test_button_sends_a_test_text_to_the_test_number(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
) -> None:
    await async_native_line(hass, entry_data, entry_options, "telnyx", telnyx_key)
    button = "button.main_line_send_test_text"
    number = "text.main_line_test_number"
    # Without the owner's number the button says where to type it.
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "button", "press", {"entity_id": button}, blocking=True
        )
    assert err.value.translation_key == "no_test_number"
    await hass.services.async_call(
        "text",
        "set_value",
        {"entity_id": number, "value": "650 253 0000"},
        blocking=True,
    )
    state = hass.states.get(number)
    assert state is not None
    assert state.state == "+16502530000"
    await hass.services.async_call(
        "button", "press", {"entity_id": button}, blocking=True
    )
    [(to, body)] = texted(provider, "telnyx")
    assert to == "+16502530000"
    assert "Acme Plumbing" in body
    # A refusal shows as the press's error.
    provider.queue(
        "telnyx.send",
        telnyx_error(400, "40310", "Invalid 'to' address", "Not a valid number"),
    )
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            "button", "press", {"entity_id": button}, blocking=True
        )
    assert failed.value.translation_key == "test_text_failed"
    # An empty value clears the number; a non-number is refused.
    await hass.services.async_call(
        "text", "set_value", {"entity_id": number, "value": ""}, blocking=True
    )
    state = hass.states.get(number)
    assert state is not None
    assert state.state == ""
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "text", "set_value", {"entity_id": number, "value": "12"}, blocking=True
        )


# --- what a provider's error means, at send time --------------------------------


async def test_landline_is_never_texted_again_and_the_owner_is_told_once(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await async_native_line(
        hass, entry_data, entry_options, "twilio", telnyx_key, cooldown_hours=0
    )
    provider.queue(
        "twilio.send",
        twilio_error(400, 21614, "'To' number is not a valid mobile number"),
    )
    await async_miss_call(hass, CALLER)
    failed = [data for name, data in events if name == "text_failed"]
    assert len(failed) == 1
    # Never retried.
    assert failed[0]["retry_at"] is None
    assert "21614" in failed[0]["error"]
    assert entry.runtime_data.ledger.is_not_textable(CALLER)
    issue = issue_registry.async_get_issue(DOMAIN, f"not_textable_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "line_name": "Main line",
        "number": CALLER,
    }
    ir.async_delete_issue(hass, DOMAIN, f"not_textable_{entry.entry_id}")
    # The next call from the number is skipped, and the provider not asked.
    await async_miss_call(hass, CALLER)
    skipped = [data for name, data in events if name == "text_skipped"]
    assert [data["reason"] for data in skipped] == ["landline"]
    assert len(provider.sent("twilio.send")) == 1
    assert (
        issue_registry.async_get_issue(DOMAIN, f"not_textable_{entry.entry_id}") is None
    )


async def test_filtered_text_raises_the_a2p_10dlc_repair(
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
    provider.queue(
        "twilio.send",
        twilio_error(400, 30034, "Message from an unregistered number"),
    )
    await async_miss_call(hass, CALLER)
    issue = issue_registry.async_get_issue(DOMAIN, f"texts_filtered_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "line_name": "Main line",
        "provider": "Twilio",
        "code": "30034",
    }
    [record] = history(entry)
    assert record.result == "failed"


async def test_opted_out_at_the_provider_marks_the_number_opted_out(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    entry = await async_native_line(
        hass, entry_data, entry_options, "telnyx", telnyx_key, cooldown_hours=0
    )
    provider.queue(
        "telnyx.send",
        telnyx_error(
            409, "40300", "Blocked due to STOP message", "The recipient sent STOP"
        ),
    )
    await async_miss_call(hass, CALLER)
    assert entry.runtime_data.ledger.is_opted_out(CALLER)
    await async_miss_call(hass, CALLER)
    skipped = [data["reason"] for name, data in events if name == "text_skipped"]
    assert skipped == ["opted_out"]
    assert len(provider.sent("telnyx.send")) == 1


async def test_refused_credentials_ask_the_owner_for_new_ones(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
) -> None:
    entry = await async_native_line(hass, entry_data, entry_options, "quo", telnyx_key)
    provider.queue("quo.send", quo_error(401, "0100401", "Unauthorized", "Bad key"))
    await async_miss_call(hass, CALLER)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id


async def test_retry_waits_as_long_as_the_provider_asks(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await async_native_line(
        hass, entry_data, entry_options, "twilio", telnyx_key
    )
    provider.queue(
        "twilio.send",
        Reply(
            429,
            {"code": 20429, "message": "Too Many Requests", "status": 429},
            headers={"Retry-After": "300"},
        ),
    )
    start = dt_util.utcnow()
    await async_miss_call(hass, CALLER)
    [failed] = [data for name, data in events if name == "text_failed"]
    retry_at = dt_util.parse_datetime(failed["retry_at"])
    assert retry_at is not None
    # The schedule says 30 s; the provider asked for 5 minutes.
    assert retry_at - start >= timedelta(seconds=300)
    assert failed["attempt"] == 1
    # Still waiting, with one attempt counted against the schedule.
    [item] = entry.runtime_data.ledger.outbox
    assert item.attempts == 1


async def test_other_refusal_fails_with_the_providers_message(
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
    provider.queue(
        "twilio.send",
        twilio_error(400, 21606, "The 'From' phone number is not a valid number"),
    )
    await async_miss_call(hass, CALLER)
    [failed] = [data for name, data in events if name == "text_failed"]
    assert "The 'From' phone number is not a valid number" in failed["error"]
    assert failed["retry_at"] is None
    assert entry.runtime_data.ledger.outbox == []
    assert not entry.runtime_data.ledger.is_not_textable(CALLER)


async def test_text_longer_than_the_provider_takes_fails_clearly(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    # A business name no form would take: the rendered text passes Twilio's
    # 1600 characters although the template is short.
    await async_native_line(
        hass,
        entry_data,
        entry_options,
        "twilio",
        telnyx_key,
        **{CONF_BUSINESS_NAME: "Acme " * 400},
    )
    await async_miss_call(hass, CALLER)
    [failed] = [data for name, data in events if name == "text_failed"]
    assert "at most 1600" in failed["error"]
    assert failed["retry_at"] is None
    assert provider.sent("twilio.send") == []


async def test_missing_credentials_ask_for_new_ones(
    hass: HomeAssistant,
    provider: ProviderServer,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    telnyx_key: Ed25519PrivateKey,
) -> None:
    entry = make_entry(
        entry_data,
        entry_options,
        **native_options("twilio", telnyx_key, **{CONF_CREDENTIALS: {}}),
    )
    await async_add_line(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
