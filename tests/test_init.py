"""Setting up, reloading and unloading a business line."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.missed_call_textback.const import (
    CONF_COOLDOWN_HOURS,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    DOMAIN,
)
from custom_components.missed_call_textback.line import TextBackLine

from .conftest import FRITZ_ENTITY
from .line_helpers import (
    ENTRY_ID,
    async_add_line,
    async_miss_call,
    idle,
    make_entry,
    record_events,
    ring,
)


@pytest.fixture
def events(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Every bus event of the integration, in order (replaces the conftest one)."""
    return record_events(hass)


async def test_setup_builds_the_line_and_its_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    assert init_integration.state is ConfigEntryState.LOADED
    assert isinstance(init_integration.runtime_data, TextBackLine)
    devices = dr.async_entries_for_config_entry(device_registry, ENTRY_ID)
    assert [
        (d.name, d.manufacturer, d.model, d.entry_type, d.identifiers) for d in devices
    ] == [
        (
            "Main line",
            "Missed Call Text-Back",
            "Business line",
            dr.DeviceEntryType.SERVICE,
            {(DOMAIN, ENTRY_ID)},
        )
    ]


async def test_unload_and_reload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    first = init_integration.runtime_data

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("switch.main_line_text_back").state == "unavailable"

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not first
    assert hass.states.get("switch.main_line_text_back").state == "on"

    await async_miss_call(hass, "6502530000")
    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]


async def test_unloading_leaves_no_listener_behind(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    mock_config_entry.add_to_hass(hass)
    # A first load and unload sets up what outlives a line: the entity
    # platforms' own listeners and the registries' pending writes.
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    baseline = hass.bus.async_listeners()

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # A call leaves the line's own store with a delayed write pending.
    await async_miss_call(hass, "6502530000")
    assert len(sms_calls) == 1
    events.clear()
    assert hass.bus.async_listeners() != baseline

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.bus.async_listeners() == baseline

    ring(hass, "4155550123")
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(sms_calls) == 1
    assert events == []


async def test_a_line_can_load_before_its_call_monitor_exists(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(FRITZ_ENTITY) is None

    await async_miss_call(hass, "6502530000")

    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]


async def test_changing_the_cooldown_reloads_the_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    first = init_integration.runtime_data

    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_COOLDOWN_HOURS: 0},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not first
    await async_miss_call(hass, "6502530000")
    await async_miss_call(hass, "6502530000")
    assert len(sms_calls) == 2


async def test_renaming_the_line_reloads_it_under_the_new_name(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    device_registry: dr.DeviceRegistry,
) -> None:
    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_LINE_NAME: "Emergency line"},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    await async_miss_call(hass, "6502530000")
    assert {data["line_name"] for _, data in events} == {"Emergency line"}
    devices = dr.async_entries_for_config_entry(device_registry, ENTRY_ID)
    assert [device.name for device in devices] == ["Emergency line"]


async def test_changing_only_the_message_applies_it_without_a_reload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    first = init_integration.runtime_data

    hass.config_entries.async_update_entry(
        init_integration,
        options={
            **init_integration.options,
            CONF_MESSAGE: "{{ business_name }} will call you back.",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.runtime_data is first
    assert (
        hass.states.get("text.main_line_message").state
        == "{{ business_name }} will call you back."
    )
    await async_miss_call(hass, "6502530000")
    assert [call.data["message"] for call in sms_calls] == [
        "Acme Plumbing will call you back."
    ]


async def test_a_message_change_after_a_reload_still_applies_live(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    # The reloaded line compares against the options it was started with.
    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_COOLDOWN_HOURS: 2},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    reloaded = init_integration.runtime_data

    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_MESSAGE: "Call you soon."},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.runtime_data is reloaded
    await async_miss_call(hass, "6502530000")
    assert [call.data["message"] for call in sms_calls] == ["Call you soon."]


# --- which ended calls reach the pipeline -----------------------------------


def _talk(hass: HomeAssistant, number: str, device: str) -> None:
    hass.states.async_set(
        FRITZ_ENTITY,
        "talking",
        {"with": number, "device": device, "accepted": "2026-11-26T10:00:05"},
    )


async def test_an_answered_call_is_neither_texted_nor_counted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    ring(hass, "6502530000")
    _talk(hass, "6502530000", device="10")
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert sms_calls == []
    assert events == []
    assert hass.states.get("sensor.main_line_missed_calls_today").state == "0"
    assert list(init_integration.runtime_data.ledger.history) == []


@pytest.mark.parametrize(
    ("text_voicemail", "texted"),
    [(True, [["+16502530000"]]), (False, [])],
)
async def test_a_call_the_answering_machine_took_is_texted_only_when_asked_to(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    text_voicemail: bool,
    texted: list[list[str]],
) -> None:
    entry = make_entry(entry_data, entry_options, text_voicemail=text_voicemail)
    await async_add_line(hass, entry)

    ring(hass, "6502530000")
    _talk(hass, "6502530000", device="40")  # the box's answering machine
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [call.data["target"] for call in sms_calls] == texted


async def test_a_ring_without_a_number_is_skipped_as_anonymous(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    hass.states.async_set(
        FRITZ_ENTITY, "ringing", {"type": "incoming", "initiated": "10:00"}
    )
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert sms_calls == []
    assert [(name, data["number"], data.get("reason")) for name, data in events] == [
        ("missed_call", None, None),
        ("text_skipped", None, "anonymous"),
    ]
