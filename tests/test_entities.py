"""The line's entities: sensors, the switch, the message and the call event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant, ServiceCall, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.missed_call_textback.const import (
    CONF_COOLDOWN_HOURS,
    CONF_MESSAGE,
)
from custom_components.missed_call_textback.presets import DEFAULT_MESSAGE

from .line_helpers import (
    async_add_line,
    async_miss_call,
    make_entry,
    record_events,
    restore_from_older_version,
)
from .portable_snapshot import PortableSnapshotExtension


@pytest.fixture
def events(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Every bus event of the integration, in order (replaces the conftest one)."""
    return record_events(hass)


MISSED_TODAY = "sensor.main_line_missed_calls_today"
SENT_TODAY = "sensor.main_line_texts_sent_today"
LAST_MISSED = "sensor.main_line_last_missed_call"
SWITCH = "switch.main_line_text_back"
MESSAGE = "text.main_line_message"
CALL_EVENT = "event.main_line_call"

# 10:00 in New York: the clock is frozen so timestamps and snapshots are stable.
NOON_ISH = "2026-11-26T15:00:00+00:00"


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize Home Assistant objects the HA way, into tests/snapshots/."""
    # syrupy's own fixture shadows the plugin's HA-aware one in this project.
    return snapshot.use_extension(PortableSnapshotExtension)


@pytest.fixture(autouse=True)
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock so timestamps and snapshots are stable."""
    freezer.move_to(NOON_ISH)
    return freezer


@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.EVENT,
        Platform.SELECT,
        Platform.SENSOR,
        Platform.SWITCH,
        Platform.TEXT,
    ],
)
async def test_platform_entities_match_snapshot(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    hass.states.async_set("sensor.fritz_box_call_monitor", "idle", {})
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.missed_call_textback.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)

    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_entity_names_are_translated_and_prefixed_with_the_line(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    names = {
        entity_id: hass.states.get(entity_id).attributes["friendly_name"]
        for entity_id in (
            MISSED_TODAY,
            SENT_TODAY,
            LAST_MISSED,
            SWITCH,
            MESSAGE,
            CALL_EVENT,
        )
    }
    assert names == {
        MISSED_TODAY: "Main line Missed calls today",
        SENT_TODAY: "Main line Texts sent today",
        LAST_MISSED: "Main line Last missed call",
        SWITCH: "Main line Text-back",
        MESSAGE: "Main line Message",
        CALL_EVENT: "Main line Call",
    }


# --- switch -----------------------------------------------------------------


async def test_switch_off_stops_texting_and_on_resumes_it(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    assert hass.states.get(SWITCH).state == STATE_ON

    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert hass.states.get(SWITCH).state == STATE_OFF
    await async_miss_call(hass, "6502530000")
    assert sms_calls == []
    assert [(name, data.get("reason")) for name, data in events] == [
        ("missed_call", None),
        ("text_skipped", "disabled"),
    ]

    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert hass.states.get(SWITCH).state == STATE_ON
    await async_miss_call(hass, "6502530001")
    assert [call.data["target"] for call in sms_calls] == [["+16502530001"]]


async def test_switch_off_is_taken_from_an_older_version(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    restore_from_older_version(hass, State(SWITCH, STATE_OFF))
    hass.states.async_set("sensor.fritz_box_call_monitor", "idle", {})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.states.get(SWITCH).state == STATE_OFF
    await async_miss_call(hass, "6502530000")
    assert sms_calls == []
    assert events[-1][1]["reason"] == "disabled"


async def test_switch_off_survives_a_reload_of_the_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )

    # Any option other than the message reloads the line.
    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_COOLDOWN_HOURS: 2},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.states.get(SWITCH).state == STATE_OFF
    await async_miss_call(hass, "6502530000")
    assert sms_calls == []


async def test_switch_on_is_taken_from_an_older_version(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    restore_from_older_version(hass, State(SWITCH, STATE_ON))
    hass.states.async_set("sensor.fritz_box_call_monitor", "idle", {})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.states.get(SWITCH).state == STATE_ON
    await async_miss_call(hass, "6502530000")
    assert len(sms_calls) == 1


# --- message text entity ----------------------------------------------------


async def test_default_message_is_one_gsm7_part(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    state = hass.states.get(MESSAGE)
    assert state.state == DEFAULT_MESSAGE
    # The preview renders business_name: 130 characters, all in the GSM alphabet.
    assert state.attributes["encoding"] == "GSM-7"
    assert state.attributes["length"] == 130
    assert state.attributes["segments"] == 1


async def test_set_message_stores_it_live_without_reloading_the_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    line = init_integration.runtime_data
    new_message = "{{ business_name }} missed your call. We will text you back soon."

    await hass.services.async_call(
        "text",
        "set_value",
        {ATTR_ENTITY_ID: MESSAGE, "value": new_message},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.options[CONF_MESSAGE] == new_message
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is line
    state = hass.states.get(MESSAGE)
    assert state.state == new_message
    # "Acme Plumbing missed your call. We will text you back soon." is plain ASCII.
    assert state.attributes["encoding"] == "GSM-7"
    assert state.attributes["length"] == 59
    assert state.attributes["segments"] == 1

    await async_miss_call(hass, "6502530000")
    assert [call.data["message"] for call in sms_calls] == [
        "Acme Plumbing missed your call. We will text you back soon."
    ]


async def test_set_message_refuses_a_broken_template(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "text",
            "set_value",
            {ATTR_ENTITY_ID: MESSAGE, "value": "Hi {{ caller_name "},
            blocking=True,
        )
    assert err.value.translation_domain == "missed_call_textback"
    assert err.value.translation_key == "invalid_template"
    assert init_integration.options[CONF_MESSAGE] == DEFAULT_MESSAGE
    assert hass.states.get(MESSAGE).state == DEFAULT_MESSAGE


async def test_set_message_refuses_more_than_255_characters(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    # The text entity's limit; HA 2025.4 raises ValueError, newer releases a
    # ServiceValidationError.
    with pytest.raises((ValueError, ServiceValidationError)):
        await hass.services.async_call(
            "text",
            "set_value",
            {ATTR_ENTITY_ID: MESSAGE, "value": "x" * 256},
            blocking=True,
        )
    assert init_integration.options[CONF_MESSAGE] == DEFAULT_MESSAGE


async def test_message_preview_falls_back_to_the_raw_template_when_it_fails(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    # Only options written around the checks (an old release, a hand edit)
    # can hold a template that does not even parse.
    broken = "Hi {{ caller_name "
    entry = make_entry(entry_data, entry_options, message=broken)
    await async_add_line(hass, entry)
    assert entry.state is ConfigEntryState.LOADED

    state = hass.states.get(MESSAGE)
    assert state.state == broken
    assert state.attributes["encoding"] == "GSM-7"
    # 18 characters; each "{" is a GSM-7 extension character worth 2 septets.
    assert state.attributes["length"] == 20


# --- call event entity ------------------------------------------------------


async def test_call_event_entity_fires_missed_call_then_text_sent(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    assert hass.states.get(CALL_EVENT).state == STATE_UNKNOWN
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)

    await async_miss_call(hass, "6502530000", "Jordan")

    fired = [
        event.data["new_state"].attributes["event_type"]
        for event in changes
        if event.data["entity_id"] == CALL_EVENT
    ]
    assert fired == ["missed_call", "text_sent"]
    state = hass.states.get(CALL_EVENT)
    # The state is when the last event fired (newer releases add a millisecond
    # to keep two events at one instant apart).
    fired_at = dt_util.parse_datetime(state.state)
    assert fired_at is not None
    assert abs(fired_at - dt_util.parse_datetime(NOON_ISH)) < timedelta(seconds=1)
    attributes = dict(state.attributes)
    call_id = attributes.pop("call_id")
    assert isinstance(call_id, str)
    assert len(call_id) == 26
    assert attributes == {
        "event_types": [
            "missed_call",
            "text_sent",
            "text_skipped",
            "text_failed",
            "reply_received",
            "text_scheduled",
            "follow_up_due",
            "lead_resolved",
            "text_delivered",
            "text_undelivered",
        ],
        "event_type": "text_sent",
        "number": "+16502530000",
        "caller_name": "Jordan",
        "variant": "a",
        "message": sms_calls[0].data["message"],
        "friendly_name": "Main line Call",
    }


async def test_call_event_entity_tells_why_a_call_was_not_texted(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await async_miss_call(hass, "anonymous")

    state = hass.states.get(CALL_EVENT)
    assert state.attributes["event_type"] == "text_skipped"
    assert state.attributes["reason"] == "anonymous"
    assert state.attributes["number"] == "anonymous"


# --- sensors ----------------------------------------------------------------


async def test_sensors_count_missed_calls_and_texts_of_the_day(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    assert hass.states.get(MISSED_TODAY).state == "0"
    assert hass.states.get(SENT_TODAY).state == "0"
    assert hass.states.get(LAST_MISSED).state == STATE_UNKNOWN

    await async_miss_call(hass, "6502530000")
    await async_miss_call(hass, "6502530000")  # cooldown: counted, not texted
    await async_miss_call(hass, "private")

    assert hass.states.get(MISSED_TODAY).state == "3"
    assert hass.states.get(SENT_TODAY).state == "1"
    assert hass.states.get(LAST_MISSED).state == NOON_ISH
    assert len(sms_calls) == 1


async def test_daily_counters_reset_at_local_midnight(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    # 23:50 on Nov 26 in New York is already Nov 27 in UTC.
    frozen_clock.move_to("2026-11-27T04:50:00+00:00")
    await async_miss_call(hass, "6502530000")
    assert hass.states.get(MISSED_TODAY).state == "1"
    assert hass.states.get(SENT_TODAY).state == "1"

    # 23:59 in New York: still the same local day, nothing resets.
    frozen_clock.move_to("2026-11-27T04:59:00+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(MISSED_TODAY).state == "1"

    frozen_clock.move_to("2026-11-27T05:00:01+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(MISSED_TODAY).state == "0"
    assert hass.states.get(SENT_TODAY).state == "0"
    # The last missed call is not a daily count: it stays.
    assert hass.states.get(LAST_MISSED).state == "2026-11-27T04:50:00+00:00"

    await async_miss_call(hass, "6502530001")
    assert hass.states.get(MISSED_TODAY).state == "1"
    assert hass.states.get(SENT_TODAY).state == "1"
