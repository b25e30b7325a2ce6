"""Diagnostics: the line's setup and history, with every number hidden."""

from __future__ import annotations

from collections.abc import Callable
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory

# Diagnostics reads system info, which imports hassio; its models are compiled
# by mashumaro at import time and break if that happens under a frozen clock.
import homeassistant.components.hassio  # noqa: F401
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.matchers import path_type

from custom_components.missed_call_textback.const import (
    CONF_ACTION,
    CONF_ALLOWLIST,
    CONF_ALLOWLIST_ONLY,
    CONF_BLOCKLIST,
    CONF_LINE_NAME,
    CONF_NEVER_TEXT,
    CONF_SENDER,
    DOMAIN,
)

from .conftest import SMS_SERVICE
from .line_helpers import (
    STORE_KEY,
    async_add_line,
    async_miss_call,
    make_entry,
    ring,
)
from .portable_snapshot import PortableSnapshotExtension
from .sip_helpers import free_udp_port


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in tests/snapshots/ (syrupy's own fixture shadows the plugin's)."""
    return snapshot.use_extension(PortableSnapshotExtension)


@pytest.fixture(autouse=True)
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock so the timestamps in the snapshot are stable."""
    freezer.move_to("2026-11-26T15:00:00+00:00")
    return freezer


# Call ids are ULIDs made from the clock and randomness.
CALL_IDS = path_type({f"history.{i}.call_id": (str,) for i in range(3)}, regex=False)


async def test_diagnostics_after_calls_match_snapshot(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    snapshot: SnapshotAssertion,
) -> None:
    await async_miss_call(hass, "6502530000", "Jordan Smith")
    await async_miss_call(hass, "6502530000", "Jordan Smith")  # cooldown
    await async_miss_call(hass, "anonymous")
    ring(hass, "4155550123")  # still ringing

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics == snapshot(matcher=CALL_IDS)
    dump = json.dumps(diagnostics)
    assert "6502530000" not in dump
    assert "4155550123" not in dump
    assert "Jordan" not in dump
    assert [record["number"] for record in diagnostics["history"]] == [
        "+*********00",
        "+*********00",
        "*********",  # "anonymous" has no digits to keep
    ]


async def test_diagnostics_hide_the_numbers_of_waiting_texts(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {
            "outbox": [
                {
                    "call_id": "01JCRASHED0000000000000001",
                    "number": "+16502530000",
                    "message": "Hi Jordan, call us back at +16505550100",
                    "caller_name": "Jordan",
                    "missed_at": "2026-11-26T14:59:00+00:00",
                    "created_at": "2026-11-26T14:59:01+00:00",
                }
            ]
        },
    }
    # Home Assistant is still starting, so the text waits in the outbox.
    hass.set_state(CoreState.starting)
    await async_add_line(hass, mock_config_entry)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )

    assert diagnostics["outbox"] == [
        {
            "call_id": "01JCRASHED0000000000000001",
            "number": "+*********00",
            "message": "**REDACTED**",
            "caller_name": "**REDACTED**",
            "missed_at": "2026-11-26T14:59:00+00:00",
            "created_at": "2026-11-26T14:59:01+00:00",
            "attempts": 0,
            "next_attempt_at": None,
            "variant": "a",
            "after_hours": False,
        }
    ]
    assert sms_calls == []


async def test_diagnostics_hide_numbers_inside_provider_errors(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    async def provider(call: ServiceCall) -> None:
        raise HomeAssistantError(f"{call.data['target'][0]} is not a mobile number")

    hass.services.async_register("notify", SMS_SERVICE, provider)
    # No retries: the first failure is final and lands in the history.
    entry = make_entry(entry_data, entry_options, retry_minutes=[])
    await async_add_line(hass, entry)
    await async_miss_call(hass, "6502530000")

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["history"][0]["result"] == "failed"
    assert diagnostics["history"][0]["error"] == "+*********00 is not a mobile number"
    assert "6502530000" not in json.dumps(diagnostics)


# One caller's number and one secret, put into every field they fit.
KNOWN_NUMBER = "+12125550188"
KNOWN_SECRET = "0wner-s3cret-4a7f9c"  # noqa: S105


def _twilio_data() -> dict[str, Any]:
    return {
        "source": "webhook",
        "provider": "twilio",
        "webhook_id": KNOWN_SECRET,
        "auth_token": KNOWN_SECRET,
        "public_url": f"https://home.example.com/api/webhook/{KNOWN_SECRET}",
    }


def _generic_data() -> dict[str, Any]:
    return {
        "source": "webhook",
        "provider": "generic",
        "webhook_id": KNOWN_SECRET,
        "number_path": "from",
        "status_path": "status",
        "missed_values": ["missed"],
        "auth_mode": "header",
        "secret_header": "X-Webhook-Secret",
        "secret": KNOWN_SECRET,
        "accept_unsigned": False,
    }


def _sip_data() -> dict[str, Any]:
    # Listen mode ignores the account, but a line switched back from register
    # mode keeps it.
    return {
        "source": "sip",
        "mode": "listen",
        "port": free_udp_port(),
        "allowed_sources": ["127.0.0.1"],
        "ring_timeout": 30,
        "cause26_answered": True,
        "registrar": "fritz.box",
        "username": KNOWN_SECRET,
        "auth_username": KNOWN_SECRET,
        "password": KNOWN_SECRET,
    }


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(
    "make_data",
    [_twilio_data, _generic_data, _sip_data],
    ids=["twilio", "generic", "sip"],
)
async def test_diagnostics_show_no_known_number_or_secret_anywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry_options: dict[str, Any],
    make_data: Callable[[], dict[str, Any]],
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry_options[CONF_LINE_NAME],
        data=make_data(),
        options={
            **entry_options,
            CONF_NEVER_TEXT: [KNOWN_NUMBER],
            CONF_BLOCKLIST: [KNOWN_NUMBER, "+1900"],
            CONF_ALLOWLIST_ONLY: True,
            CONF_ALLOWLIST: [KNOWN_NUMBER],
            CONF_SENDER: "action",
            CONF_ACTION: [
                {
                    "action": "rest_command.send_sms",
                    "data": {"to": KNOWN_NUMBER, "token": KNOWN_SECRET},
                }
            ],
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    dump = json.dumps(diagnostics)
    assert KNOWN_SECRET not in dump
    assert KNOWN_NUMBER.removeprefix("+1") not in dump
    options = diagnostics["entry"]["options"]
    # Still readable enough to tell the lists apart in a bug report.
    assert options[CONF_NEVER_TEXT] == ["+*********88"]
    assert options[CONF_BLOCKLIST] == ["+*********88", "+**00"]
    assert options[CONF_ACTION] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["source"] == make_data()["source"]
