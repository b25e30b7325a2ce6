"""Diagnostics: the line's setup and history, with every number hidden."""

from __future__ import annotations

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

from .conftest import SMS_SERVICE
from .line_helpers import (
    STORE_KEY,
    async_add_line,
    async_miss_call,
    make_entry,
    ring,
)
from .portable_snapshot import PortableSnapshotExtension


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
