"""Quiet hours in the caller's local time, and the US calling-hour rules to pick.

The line is in New York (conftest); its quiet hours are 21:00-08:00 and held
texts wait. The clock is the far edge: the freezer moves it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.missed_call_textback.const import (
    CONF_QUIET_ACTION,
    CONF_QUIET_CLOCK,
    CONF_QUIET_END,
    CONF_QUIET_HOURS,
    CONF_QUIET_PRESET,
    CONF_QUIET_START,
)

from .line_helpers import (
    async_add_idle_line,
    async_miss_call,
    async_move_to,
    async_pass,
)

type Events = list[tuple[str, dict[str, Any]]]

NIGHT = {
    CONF_QUIET_HOURS: True,
    CONF_QUIET_START: "21:00:00",
    CONF_QUIET_END: "08:00:00",
    CONF_QUIET_ACTION: "hold",
}
CALLERS_CLOCK = {**NIGHT, CONF_QUIET_CLOCK: "caller"}
LOS_ANGELES_CALLER = "+12135550123"
NEW_YORK_CALLER = "+12125550123"


def _texted(sms_calls: list[ServiceCall]) -> list[str]:
    return [call.data["target"][0] for call in sms_calls]


def _scheduled(events: Events) -> list[tuple[str, str]]:
    return [
        (data["send_at"], data["reason"])
        for name, data in events
        if name == "text_scheduled"
    ]


def _new_york(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026 in New York (UTC-5) as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


async def test_a_los_angeles_caller_at_1830_new_york_time_is_texted_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **CALLERS_CLOCK)
    freezer.move_to(_new_york(26, 18, 30))  # 15:30 in Los Angeles

    await async_miss_call(hass, LOS_ANGELES_CALLER)

    assert _texted(sms_calls) == [LOS_ANGELES_CALLER]
    assert _scheduled(events) == []


@pytest.mark.parametrize("caller", ["+12135550123", "+13105550123", "+14155550123"])
async def test_a_los_angeles_caller_at_2330_new_york_time_is_texted_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: Events,
    caller: str,
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **CALLERS_CLOCK)
    freezer.move_to(_new_york(26, 23, 30))  # 20:30 in Los Angeles

    await async_miss_call(hass, caller)

    assert _texted(sms_calls) == [caller]
    assert _scheduled(events) == []


async def test_a_new_york_caller_at_2130_is_held_until_0800_and_texted_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **CALLERS_CLOCK)
    freezer.move_to(_new_york(26, 21, 30))
    morning = _new_york(27, 8)

    await async_miss_call(hass, NEW_YORK_CALLER)

    assert _scheduled(events) == [(morning.isoformat(), "quiet_hours")]
    await async_move_to(hass, freezer, morning - timedelta(seconds=1))
    assert sms_calls == []
    await async_pass(hass, freezer, timedelta(seconds=1))
    assert _texted(sms_calls) == [NEW_YORK_CALLER]
    await async_pass(hass, freezer, timedelta(days=1))
    assert _texted(sms_calls) == [NEW_YORK_CALLER]
    assert [name for name, _ in events if name.startswith("text_")] == [
        "text_scheduled",
        "text_sent",
    ]


async def test_on_the_lines_clock_a_los_angeles_caller_at_2330_is_held(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    # The line's clock is the default: lines from before read it as they did.
    await async_add_idle_line(hass, entry_data, entry_options, **NIGHT)
    freezer.move_to(_new_york(26, 23, 30))

    await async_miss_call(hass, LOS_ANGELES_CALLER)

    assert sms_calls == []
    assert _scheduled(events) == [(_new_york(27, 8).isoformat(), "quiet_hours")]


async def test_a_los_angeles_caller_at_night_there_waits_for_morning_there(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **CALLERS_CLOCK)
    freezer.move_to(_new_york(27, 2))  # 23:00 in Los Angeles
    morning_in_los_angeles = _new_york(27, 11)

    await async_miss_call(hass, LOS_ANGELES_CALLER)

    assert _scheduled(events) == [(morning_in_los_angeles.isoformat(), "quiet_hours")]
    # 08:00 in New York is 05:00 in Los Angeles: still quiet there.
    await async_move_to(hass, freezer, _new_york(27, 8))
    assert sms_calls == []
    await async_move_to(hass, freezer, morning_in_los_angeles)
    assert _texted(sms_calls) == [LOS_ANGELES_CALLER]


async def test_a_caller_whose_area_code_spans_two_zones_waits_for_the_later_morning(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    # South Dakota is on Central and Mountain time: 21:30 and 20:30.
    await async_add_idle_line(hass, entry_data, entry_options, **CALLERS_CLOCK)
    freezer.move_to(_new_york(26, 22, 30))
    mountain_morning = _new_york(27, 10)

    await async_miss_call(hass, "6052530000")

    assert _scheduled(events) == [(mountain_morning.isoformat(), "quiet_hours")]
    await async_move_to(hass, freezer, _new_york(27, 9))  # 08:00 Central
    assert sms_calls == []
    await async_move_to(hass, freezer, mountain_morning)
    assert _texted(sms_calls) == ["+16052530000"]


async def test_a_number_without_a_known_zone_is_read_on_the_lines_clock(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    entry = await async_add_idle_line(hass, entry_data, entry_options, **CALLERS_CLOCK)
    line_hours = entry.runtime_data.hours

    # An Inmarsat number belongs to no country and no zone.
    assert await line_hours.async_caller_zones("+870772001799") == [
        ZoneInfo("America/New_York")
    ]
    assert await line_hours.async_caller_zones(LOS_ANGELES_CALLER) == [
        ZoneInfo("America/Los_Angeles")
    ]


# --- the options step ---------------------------------------------------------


async def _open_timing(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "timing"}
    )


def _default(result: FlowResult, name: str) -> Any:
    marker = next(m for m in result["data_schema"].schema if str(m) == name)
    return marker.default()


async def test_the_timing_step_offers_the_us_rules_and_whose_clock(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_timing(hass, init_integration)
    fields = [str(marker) for marker in result["data_schema"].schema]
    assert fields[fields.index(CONF_QUIET_HOURS) :] == [
        CONF_QUIET_HOURS,
        CONF_QUIET_PRESET,
        CONF_QUIET_START,
        CONF_QUIET_END,
        CONF_QUIET_CLOCK,
        CONF_QUIET_ACTION,
    ]
    # A line from before: its own times, on its own clock.
    assert _default(result, CONF_QUIET_PRESET) == "custom"
    assert _default(result, CONF_QUIET_CLOCK) == "line"


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("us_federal", "21:00:00", "08:00:00"),
        ("us_8_to_20", "20:00:00", "08:00:00"),
        ("us_9_to_20", "20:00:00", "09:00:00"),
    ],
)
async def test_a_us_rule_sets_the_quiet_hours_whatever_the_times_say(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    preset: str,
    start: str,
    end: str,
) -> None:
    result = await _open_timing(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_QUIET_HOURS: True,
            CONF_QUIET_PRESET: preset,
            # Left from before: the rule wins, even over an empty window.
            CONF_QUIET_START: "22:00:00",
            CONF_QUIET_END: "22:00:00",
            CONF_QUIET_CLOCK: "caller",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = init_integration.options
    assert options[CONF_QUIET_PRESET] == preset
    assert (options[CONF_QUIET_START], options[CONF_QUIET_END]) == (start, end)
    assert options[CONF_QUIET_CLOCK] == "caller"
    result = await _open_timing(hass, init_integration)
    assert _default(result, CONF_QUIET_PRESET) == preset
    assert _default(result, CONF_QUIET_START) == start
    assert _default(result, CONF_QUIET_CLOCK) == "caller"


async def test_own_times_are_kept_as_typed(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_timing(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_QUIET_HOURS: True,
            CONF_QUIET_PRESET: "custom",
            CONF_QUIET_START: "22:15",
            CONF_QUIET_END: "06:45:00",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = init_integration.options
    assert (options[CONF_QUIET_START], options[CONF_QUIET_END]) == (
        "22:15:00",
        "06:45:00",
    )
    assert options[CONF_QUIET_PRESET] == "custom"
    assert options[CONF_QUIET_CLOCK] == "line"
