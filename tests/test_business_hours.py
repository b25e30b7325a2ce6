"""Business hours, the Text-back mode and the messages, in a real Home Assistant.

The clock is the one thing replaced (freezer): business hours are about the
time of day, and a test cannot wait for 5 pm. Time moves with freezer.move_to
plus async_fire_time_changed, which runs the timers that are due exactly as
Home Assistant's loop would; nothing else is mocked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant, ServiceCall, State
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.missed_call_textback.const import (
    CONF_AFTER_HOURS_MESSAGE,
    CONF_BOOKING_LINK,
    CONF_BUSY_ONLY,
    CONF_CLOSED_DATES,
    CONF_COOLDOWN_HOURS,
    CONF_DELAY_SECONDS,
    CONF_HOLIDAY_COUNTRY,
    CONF_HOLIDAY_SUBDIVISION,
    CONF_HOURS_SOURCE,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MESSAGE_PRESET,
    CONF_QUIET_ACTION,
    CONF_QUIET_END,
    CONF_QUIET_HOURS,
    CONF_QUIET_START,
    CONF_RESPONSE_MINUTES,
    CONF_RESPONSE_WINDOW,
    CONF_SCHEDULE_ENTITY,
    CONF_SERVICE_AREA,
    CONF_TRADE,
    CONF_VARIANT_MODE,
    CONF_WEEKDAYS,
    DOMAIN,
)
from custom_components.missed_call_textback.presets import (
    DEFAULT_AFTER_HOURS_MESSAGE,
    DEFAULT_MESSAGE,
    TEXTS,
)

from .line_helpers import (
    DEFAULT_TEXT,
    async_add_line,
    async_miss_call,
    make_entry,
    record_events,
    restore_from_older_version,
)

TRANSLATIONS = json.loads(
    (
        Path(__file__).parent.parent
        / "custom_components"
        / DOMAIN
        / "translations"
        / "en.json"
    ).read_text(encoding="utf-8")
)

OPEN = "binary_sensor.main_line_business_hours"
MODE = "select.main_line_text_back_mode"
MESSAGE = "text.main_line_message"
AFTER_HOURS = "text.main_line_after_hours_message"
SCHEDULE = "schedule.shop"

NEW_YORK = ZoneInfo("America/New_York")


def local(day: str, clock: str = "00:00:00") -> datetime:
    """Return a wall-clock moment in the test home's zone (New York)."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=NEW_YORK)


# Late November 2026 (EST, UTC-5): Monday 23rd to Sunday 29th. Tuesday 24th is
# a closure date, Thursday 26th is Thanksgiving.
MONDAY_10 = local("2026-11-23", "10:00")
SPLIT_SHIFT = "08:00-12:00, 13:00-17:00"
WEEKLY_HOURS: dict[str, Any] = {
    CONF_HOURS_SOURCE: "weekly",
    **dict.fromkeys(CONF_WEEKDAYS[:5], SPLIT_SHIFT),
    "saturday": "22:00-02:00",
    "sunday": "",
    CONF_HOLIDAY_COUNTRY: "US",
    CONF_HOLIDAY_SUBDIVISION: "",
    CONF_CLOSED_DATES: "2026-11-24",
}
# A plain week for the message tests: weekdays 8 to 5, US holidays.
OFFICE_HOURS: dict[str, Any] = {
    CONF_HOURS_SOURCE: "weekly",
    **dict.fromkeys(CONF_WEEKDAYS[:5], "08:00-17:00"),
    "saturday": "",
    "sunday": "",
    CONF_HOLIDAY_COUNTRY: "US",
    CONF_HOLIDAY_SUBDIVISION: "",
    CONF_CLOSED_DATES: "",
}


def after_hours_text(next_open: str) -> str:
    """Return the default after-hours message as Acme Plumbing's callers get it."""
    return (
        "Thanks for calling Acme Plumbing. We're closed right now and open again "
        f"{next_open}. What can we help you with? We'll get back to you then."
    )


@pytest.fixture(autouse=True)
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Start every test on Monday 23 November 2026, 10:00 in New York."""
    freezer.move_to(MONDAY_10)
    return freezer


@pytest.fixture
def events(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Every bus event of the integration, in order (replaces the conftest one)."""
    return record_events(hass)


async def async_setup_line(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    **options: Any,
) -> MockConfigEntry:
    """Add the test line with extra options and wait until it runs."""
    entry = make_entry(entry_data, entry_options, **options)
    await async_add_line(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def async_move_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    """Move the clock and run every timer that is due by then."""
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done(wait_background_tasks=True)


def open_sensor(
    hass: HomeAssistant,
) -> tuple[str, datetime | None, datetime | None]:
    """Return the Business hours sensor's state, next_open and next_close."""
    state = hass.states.get(OPEN)
    assert state is not None
    return (
        state.state,
        _instant(state.attributes["next_open"]),
        _instant(state.attributes["next_close"]),
    )


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    assert isinstance(text, str)
    return datetime.fromisoformat(text)


def texts(sms_calls: list[ServiceCall]) -> list[str]:
    """Return the texts sent, in order."""
    return [call.data["message"] for call in sms_calls]


# --- the Business hours (open/closed) binary sensor -------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(
            MONDAY_10,
            # While open, next_open is the opening after this one closes.
            (STATE_ON, local("2026-11-23", "13:00"), local("2026-11-23", "12:00")),
            id="morning shift",
        ),
        pytest.param(
            local("2026-11-23", "12:30"),
            (STATE_OFF, local("2026-11-23", "13:00"), local("2026-11-23", "17:00")),
            id="lunch break",
        ),
        pytest.param(
            local("2026-11-24", "10:00"),
            (STATE_OFF, local("2026-11-25", "08:00"), local("2026-11-25", "12:00")),
            id="closure date",
        ),
        pytest.param(
            local("2026-11-26", "10:00"),
            (STATE_OFF, local("2026-11-27", "08:00"), local("2026-11-27", "12:00")),
            id="thanksgiving",
        ),
        pytest.param(
            local("2026-11-27", "17:00"),
            (STATE_OFF, local("2026-11-28", "22:00"), local("2026-11-29", "02:00")),
            id="friday evening",
        ),
        pytest.param(
            local("2026-11-29", "01:00"),
            (STATE_ON, local("2026-11-30", "08:00"), local("2026-11-29", "02:00")),
            id="saturday night past midnight",
        ),
        pytest.param(
            local("2026-11-29", "12:00"),
            (STATE_OFF, local("2026-11-30", "08:00"), local("2026-11-30", "12:00")),
            id="sunday",
        ),
    ],
)
async def test_open_sensor_follows_the_weekly_schedule(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    moment: datetime,
    expected: tuple[str, datetime, datetime],
) -> None:
    freezer.move_to(moment)
    await async_setup_line(hass, entry_data, entry_options, **WEEKLY_HOURS)

    assert open_sensor(hass) == expected
    assert (
        hass.states.get(OPEN).attributes["friendly_name"] == "Main line Business hours"
    )


async def test_open_sensor_flips_exactly_at_each_boundary_and_not_between(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_setup_line(hass, entry_data, entry_options, **WEEKLY_HOURS)
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)

    def flips() -> list[str]:
        return [
            event.data["new_state"].state
            for event in changes
            if event.data["entity_id"] == OPEN
        ]

    # A second before the lunch break: still open.
    await async_move_to(hass, freezer, local("2026-11-23", "11:59:59"))
    assert open_sensor(hass)[0] == STATE_ON
    assert flips() == []

    await async_move_to(hass, freezer, local("2026-11-23", "12:00:00"))
    assert open_sensor(hass) == (
        STATE_OFF,
        local("2026-11-23", "13:00"),
        local("2026-11-23", "17:00"),
    )
    assert flips() == [STATE_OFF]

    # Nothing polls: in the middle of the break the sensor is not even rewritten.
    await async_move_to(hass, freezer, local("2026-11-23", "12:30:00"))
    await async_move_to(hass, freezer, local("2026-11-23", "12:59:59"))
    assert flips() == [STATE_OFF]

    await async_move_to(hass, freezer, local("2026-11-23", "13:00:00"))
    assert open_sensor(hass) == (
        STATE_ON,
        local("2026-11-25", "08:00"),  # Tuesday is a closure date
        local("2026-11-23", "17:00"),
    )
    assert flips() == [STATE_OFF, STATE_ON]

    await async_move_to(hass, freezer, local("2026-11-23", "16:59:59"))
    assert flips() == [STATE_OFF, STATE_ON]
    await async_move_to(hass, freezer, local("2026-11-23", "17:00:00"))
    assert open_sensor(hass) == (
        STATE_OFF,
        local("2026-11-25", "08:00"),
        local("2026-11-25", "12:00"),
    )
    # Through the closure date's midnight and the whole of Tuesday: no change.
    await async_move_to(hass, freezer, local("2026-11-24", "00:00:00"))
    await async_move_to(hass, freezer, local("2026-11-24", "08:00:00"))
    await async_move_to(hass, freezer, local("2026-11-25", "07:59:59"))
    assert flips() == [STATE_OFF, STATE_ON, STATE_OFF]
    await async_move_to(hass, freezer, local("2026-11-25", "08:00:00"))
    assert flips() == [STATE_OFF, STATE_ON, STATE_OFF, STATE_ON]


async def test_open_sensor_follows_an_interval_across_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    freezer.move_to(local("2026-11-28", "21:59:59"))
    await async_setup_line(hass, entry_data, entry_options, **WEEKLY_HOURS)
    assert open_sensor(hass)[0] == STATE_OFF
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)

    await async_move_to(hass, freezer, local("2026-11-28", "22:00:00"))
    assert open_sensor(hass) == (
        STATE_ON,
        local("2026-11-30", "08:00"),
        local("2026-11-29", "02:00"),
    )
    # Midnight (and the line's new-day timer) is not a boundary of this shift.
    await async_move_to(hass, freezer, local("2026-11-29", "00:00:00"))
    await async_move_to(hass, freezer, local("2026-11-29", "01:59:59"))
    assert open_sensor(hass)[0] == STATE_ON
    await async_move_to(hass, freezer, local("2026-11-29", "02:00:00"))
    assert open_sensor(hass) == (
        STATE_OFF,
        local("2026-11-30", "08:00"),
        local("2026-11-30", "12:00"),
    )
    assert [
        event.data["new_state"].state
        for event in changes
        if event.data["entity_id"] == OPEN
    ] == [STATE_ON, STATE_OFF]


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        # Clocks go back at 02:00 EDT on 1 November 2026: the night is an hour
        # longer and the shift closes at 02:00 EST.
        pytest.param(
            "2026-11-01T02:00:00+00:00", "2026-11-01T07:00:00+00:00", id="fall"
        ),
        # Clocks go forward at 02:00 EST on 14 March 2027: 02:00 does not exist
        # and the shift ends when the clock jumps to 03:00 EDT.
        pytest.param(
            "2027-03-14T03:00:00+00:00", "2027-03-14T07:00:00+00:00", id="spring"
        ),
    ],
)
async def test_open_sensor_closes_a_night_shift_right_across_a_dst_change(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    opens: str,
    closes: str,
) -> None:
    opening = datetime.fromisoformat(opens)
    closing = datetime.fromisoformat(closes)
    freezer.move_to(opening - timedelta(seconds=1))
    await async_setup_line(hass, entry_data, entry_options, **WEEKLY_HOURS)
    assert open_sensor(hass)[0] == STATE_OFF

    await async_move_to(hass, freezer, opening)
    assert open_sensor(hass)[0] == STATE_ON
    assert open_sensor(hass)[2] == closing
    await async_move_to(hass, freezer, closing - timedelta(seconds=1))
    assert open_sensor(hass)[0] == STATE_ON
    await async_move_to(hass, freezer, closing)
    assert open_sensor(hass)[0] == STATE_OFF


async def test_line_without_business_hours_is_always_open(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    assert open_sensor(hass) == (STATE_ON, None, None)
    # Midnight and a Sunday change nothing.
    await async_move_to(hass, freezer, local("2026-11-29", "00:00:00"))
    assert open_sensor(hass) == (STATE_ON, None, None)


async def test_closed_every_day_has_no_next_opening_and_no_timer(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    closed = {
        **OFFICE_HOURS,
        **dict.fromkeys(CONF_WEEKDAYS, ""),
        CONF_HOLIDAY_COUNTRY: "",
    }
    entry = await async_setup_line(hass, entry_data, entry_options, **closed)

    assert open_sensor(hass) == (STATE_OFF, None, None)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_next_years_holidays_are_loaded_when_a_new_year_starts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    freezer.move_to(local("2026-12-31", "10:00"))
    await async_setup_line(hass, entry_data, entry_options, **OFFICE_HOURS)
    # New Year's Day 2027 is a Friday and a holiday: closed until Monday.
    await async_move_to(hass, freezer, local("2026-12-31", "17:00"))
    assert open_sensor(hass) == (
        STATE_OFF,
        local("2027-01-04", "08:00"),
        local("2027-01-04", "17:00"),
    )
    await async_move_to(hass, freezer, local("2027-01-01", "00:00"))
    assert open_sensor(hass)[1] == local("2027-01-04", "08:00")

    # Years later, past the years loaded so far (up to 2029 by the reload
    # above), the first midnight of the year loads its holidays: New Year's
    # Day 2031 is a Wednesday and stays closed.
    await async_move_to(hass, freezer, local("2031-01-01", "00:00"))
    assert open_sensor(hass) == (
        STATE_OFF,
        local("2031-01-02", "08:00"),
        local("2031-01-02", "17:00"),
    )


async def test_holidays_of_an_unknown_country_are_left_out_with_a_warning(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Validated in the flow; a newer holidays release may drop a code.
    freezer.move_to(local("2026-11-26", "10:00"))
    await async_setup_line(
        hass, entry_data, entry_options, **{**OFFICE_HOURS, CONF_HOLIDAY_COUNTRY: "ZZ"}
    )

    assert "Public holidays not loaded" in caplog.text
    # Thanksgiving is an ordinary Thursday then.
    assert open_sensor(hass)[0] == STATE_ON


async def test_hours_fall_back_to_utc_when_the_zone_cannot_be_read(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    zone = hass.config.time_zone
    hass.config.time_zone = "Nowhere/Atlantis"
    try:
        assert init_integration.runtime_data.hours.tz == ZoneInfo("UTC")
    finally:
        hass.config.time_zone = zone
    assert init_integration.runtime_data.hours.tz == NEW_YORK


# --- a schedule helper as the source of the hours ----------------------------


async def test_open_sensor_follows_a_schedule_helper(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    assert await async_setup_component(
        hass,
        "schedule",
        {
            "schedule": {
                "shop": {
                    "name": "Shop",
                    "monday": [{"from": "08:00:00", "to": "17:00:00"}],
                    "tuesday": [{"from": "09:00:00", "to": "12:00:00"}],
                }
            }
        },
    )
    await hass.async_block_till_done()
    entry = await async_setup_line(
        hass,
        entry_data,
        entry_options,
        **{CONF_HOURS_SOURCE: "schedule", CONF_SCHEDULE_ENTITY: SCHEDULE},
    )
    assert hass.states.get(SCHEDULE).state == STATE_ON
    # The helper tells only its next toggle: the closing while open.
    assert open_sensor(hass) == (STATE_ON, None, local("2026-11-23", "17:00"))

    await async_move_to(hass, freezer, local("2026-11-23", "16:59:59"))
    assert open_sensor(hass)[0] == STATE_ON
    await async_move_to(hass, freezer, local("2026-11-23", "17:00:00"))
    assert open_sensor(hass) == (STATE_OFF, local("2026-11-24", "09:00"), None)
    await async_move_to(hass, freezer, local("2026-11-24", "09:00:00"))
    assert open_sensor(hass) == (STATE_ON, None, local("2026-11-24", "12:00"))

    # The after-hours decision reads the helper too.
    await async_move_to(hass, freezer, local("2026-11-24", "12:00:00"))
    await async_miss_call(hass, "6502530000")
    assert texts(sms_calls) == [after_hours_text("on Monday at 8:00 AM")]

    # A helper the owner deleted cannot close the business.
    er.async_get(hass).async_remove(SCHEDULE)
    await hass.async_block_till_done()
    assert hass.states.get(SCHEDULE) is None
    assert open_sensor(hass) == (STATE_ON, None, None)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_schedule_helper_without_blocks_closes_with_no_next_opening(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    assert await async_setup_component(
        hass, "schedule", {"schedule": {"shop": {"name": "Shop"}}}
    )
    await async_setup_line(
        hass,
        entry_data,
        entry_options,
        **{CONF_HOURS_SOURCE: "schedule", CONF_SCHEDULE_ENTITY: SCHEDULE},
    )

    assert open_sensor(hass) == (STATE_OFF, None, None)


async def test_schedule_entity_with_its_next_event_as_text(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    # A schedule entity written by something else than the helper (here by
    # hand) may carry next_event as text.
    hass.states.async_set(
        "schedule.imported", STATE_OFF, {"next_event": "2026-11-23T13:00:00-05:00"}
    )
    await async_setup_line(
        hass,
        entry_data,
        entry_options,
        **{CONF_HOURS_SOURCE: "schedule", CONF_SCHEDULE_ENTITY: "schedule.imported"},
    )
    assert open_sensor(hass) == (STATE_OFF, local("2026-11-23", "13:00"), None)


# --- the Text-back mode select -----------------------------------------------


async def test_mode_select_offers_the_modes_and_starts_at_always(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    state = hass.states.get(MODE)
    assert state.state == "always"
    assert state.attributes["options"] == [
        "always",
        "after_hours",
        "business_hours",
        "off",
    ]
    assert state.attributes["friendly_name"] == "Main line Text-back mode"
    translated = TRANSLATIONS["entity"]["select"]["mode"]["state"]
    assert set(translated) == set(state.attributes["options"])


async def test_mode_select_changes_the_mode_and_survives_a_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: MODE, "option": "after_hours"},
        blocking=True,
    )
    assert hass.states.get(MODE).state == "after_hours"
    line = init_integration.runtime_data

    # Any option besides the messages reloads the line.
    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_COOLDOWN_HOURS: 2},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.runtime_data is not line
    assert init_integration.runtime_data.mode == "after_hours"
    assert hass.states.get(MODE).state == "after_hours"


@pytest.mark.parametrize(
    ("restored", "expected"),
    [("business_hours", "business_hours"), ("off", "off"), ("nonsense", "always")],
)
async def test_mode_is_taken_from_an_older_version(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    restored: str,
    expected: str,
) -> None:
    restore_from_older_version(hass, State(MODE, restored))
    hass.states.async_set("sensor.fritz_box_call_monitor", "idle", {})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(MODE).state == expected
    assert mock_config_entry.runtime_data.mode == expected


@pytest.mark.parametrize(
    ("mode", "moment", "outcome"),
    [
        pytest.param("always", MONDAY_10, DEFAULT_TEXT, id="always-open"),
        pytest.param(
            "always",
            local("2026-11-23", "20:00"),
            after_hours_text("tomorrow at 8:00 AM"),
            id="always-closed",
        ),
        pytest.param("after_hours", MONDAY_10, "open", id="after_hours-open"),
        pytest.param(
            "after_hours",
            local("2026-11-23", "20:00"),
            after_hours_text("tomorrow at 8:00 AM"),
            id="after_hours-closed",
        ),
        pytest.param(
            "business_hours", MONDAY_10, DEFAULT_TEXT, id="business_hours-open"
        ),
        pytest.param(
            "business_hours",
            local("2026-11-23", "20:00"),
            "closed",
            id="business_hours-closed",
        ),
        pytest.param("off", MONDAY_10, "mode_off", id="off-open"),
        pytest.param("off", local("2026-11-23", "20:00"), "mode_off", id="off-closed"),
    ],
)
async def test_mode_decides_which_calls_are_texted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    mode: str,
    moment: datetime,
    outcome: str,
) -> None:
    freezer.move_to(moment)
    await async_setup_line(hass, entry_data, entry_options, **OFFICE_HOURS)
    await hass.services.async_call(
        "select", "select_option", {ATTR_ENTITY_ID: MODE, "option": mode}, blocking=True
    )

    await async_miss_call(hass, "6502530000")

    if outcome in {"open", "closed", "mode_off"}:
        assert sms_calls == []
        assert [(name, data.get("reason")) for name, data in events] == [
            ("missed_call", None),
            ("text_skipped", outcome),
        ]
    else:
        assert texts(sms_calls) == [outcome]


# --- the after-hours message -------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "next_open"),
    [
        pytest.param(local("2026-11-23", "06:30"), "today at 8:00 AM", id="early"),
        pytest.param(local("2026-11-23", "17:00"), "tomorrow at 8:00 AM", id="evening"),
        # Thanksgiving is closed: Wednesday evening's callers hear Friday.
        pytest.param(
            local("2026-11-25", "20:00"), "on Friday at 8:00 AM", id="holiday"
        ),
        pytest.param(
            local("2026-11-28", "10:00"), "on Monday at 8:00 AM", id="weekend"
        ),
    ],
)
async def test_call_while_closed_gets_the_after_hours_message_with_next_open(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    moment: datetime,
    next_open: str,
) -> None:
    freezer.move_to(moment)
    await async_setup_line(hass, entry_data, entry_options, **OFFICE_HOURS)

    await async_miss_call(hass, "6502530000")

    assert texts(sms_calls) == [after_hours_text(next_open)]


async def test_call_while_open_gets_the_message_and_variables_tell_the_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    message = (
        "{{ business_name }}: {{ 'open' if is_open else 'closed' }}, "
        "next opening {{ next_open }}."
    )
    await async_setup_line(
        hass, entry_data, entry_options, **OFFICE_HOURS, message=message
    )

    await async_miss_call(hass, "6502530000")

    # While open, next_open is the opening after today's closing.
    assert texts(sms_calls) == [
        "Acme Plumbing: open, next opening tomorrow at 8:00 AM."
    ]


async def test_empty_after_hours_message_sends_the_message_while_closed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    freezer.move_to(local("2026-11-23", "20:00"))
    await async_setup_line(
        hass,
        entry_data,
        entry_options,
        **OFFICE_HOURS,
        **{CONF_AFTER_HOURS_MESSAGE: ""},
    )

    await async_miss_call(hass, "6502530000")

    assert texts(sms_calls) == [DEFAULT_TEXT]


async def test_line_without_hours_never_sends_the_after_hours_message(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await async_move_to(hass, freezer, local("2026-11-29", "03:00"))
    await async_miss_call(hass, "6502530000")

    assert texts(sms_calls) == [DEFAULT_TEXT]


async def test_after_hours_entity_shows_the_template_and_its_sms_cost(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    state = hass.states.get(AFTER_HOURS)
    assert state.state == DEFAULT_AFTER_HOURS_MESSAGE
    assert state.attributes["friendly_name"] == "Main line After-hours message"
    # The preview says a sample "tomorrow at 8:00" when the line has no hours.
    preview = after_hours_text("tomorrow at 8:00")
    assert state.attributes["encoding"] == "GSM-7"
    assert state.attributes["length"] == len(preview)
    assert state.attributes["segments"] == 1


async def test_set_after_hours_message_applies_live_to_the_next_closed_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    freezer.move_to(local("2026-11-23", "20:00"))
    entry = await async_setup_line(hass, entry_data, entry_options, **OFFICE_HOURS)
    line = entry.runtime_data
    new = "{{ business_name }} is closed. Back {{ next_open }}."

    await hass.services.async_call(
        "text", "set_value", {ATTR_ENTITY_ID: AFTER_HOURS, "value": new}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert entry.options[CONF_AFTER_HOURS_MESSAGE] == new
    assert entry.runtime_data is line
    state = hass.states.get(AFTER_HOURS)
    assert state.state == new
    assert state.attributes["length"] == len(
        "Acme Plumbing is closed. Back tomorrow at 8:00 AM."
    )
    await async_miss_call(hass, "6502530000")
    assert texts(sms_calls) == ["Acme Plumbing is closed. Back tomorrow at 8:00 AM."]


async def test_set_after_hours_message_refuses_a_broken_template(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "text",
            "set_value",
            {ATTR_ENTITY_ID: AFTER_HOURS, "value": "Closed until {{ next_open "},
            blocking=True,
        )

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "invalid_template"
    assert err.value.translation_key in TRANSLATIONS["exceptions"]
    assert CONF_AFTER_HOURS_MESSAGE not in init_integration.options
    assert hass.states.get(AFTER_HOURS).state == DEFAULT_AFTER_HOURS_MESSAGE


@pytest.mark.parametrize("entity_id", [MESSAGE, AFTER_HOURS])
async def test_a_message_needing_an_empty_detail_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_id: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "text",
            "set_value",
            {ATTR_ENTITY_ID: entity_id, "value": "Book at {{ booking_link }} now"},
            blocking=True,
        )

    assert err.value.translation_key == "missing_detail"
    assert err.value.translation_placeholders == {"detail": "booking_link"}
    assert "{detail}" in TRANSLATIONS["exceptions"]["missing_detail"]["message"]


async def test_after_hours_message_may_be_emptied_but_the_message_may_not(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await hass.services.async_call(
        "text", "set_value", {ATTR_ENTITY_ID: AFTER_HOURS, "value": ""}, blocking=True
    )
    await hass.async_block_till_done()
    assert init_integration.options[CONF_AFTER_HOURS_MESSAGE] == ""
    state = hass.states.get(AFTER_HOURS)
    assert state.state == ""
    assert state.attributes["encoding"] is None
    assert state.attributes["segments"] == 0
    assert state.attributes["length"] == 0

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "text", "set_value", {ATTR_ENTITY_ID: MESSAGE, "value": ""}, blocking=True
        )
    assert err.value.translation_key == "invalid_template"
    assert init_integration.options[CONF_MESSAGE] == DEFAULT_MESSAGE


# --- details in the texts ----------------------------------------------------


async def test_details_are_rendered_into_the_texts(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_setup_line(
        hass,
        entry_data,
        entry_options,
        **{
            CONF_MESSAGE: (
                "{{ trade }} in {{ service_area }}: book at {{ booking_link }}; "
                "we reply {{ response_window }}."
            ),
            CONF_BOOKING_LINK: "https://book.example.com",
            CONF_TRADE: "Plumbing",
            CONF_SERVICE_AREA: "Springfield",
            CONF_RESPONSE_WINDOW: "within 30 minutes",
        },
    )

    await async_miss_call(hass, "6502530000")

    assert texts(sms_calls) == [
        (
            "Plumbing in Springfield: book at https://book.example.com; "
            "we reply within 30 minutes."
        )
    ]


# --- the options flow: helpers -----------------------------------------------


async def _open_options(hass: HomeAssistant, entry_id: str, step: str) -> FlowResult:
    """Open a line's options and pick one step from the menu."""
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
    assert step in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    assert result["errors"] == {}
    return result


async def _submit(
    hass: HomeAssistant, entry_id: str, step: str, user_input: dict[str, Any]
) -> FlowResult:
    """Fill in one options step and wait for the line to take the result."""
    result = await _open_options(hass, entry_id, step)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


def _assert_error(
    result: FlowResult, step: str, field: str, key: str
) -> dict[str, str]:
    """Assert one translated error on a field; return the placeholders."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    assert result["errors"] == {field: key}
    assert key in TRANSLATIONS["options"]["error"], key
    placeholders = dict(result["description_placeholders"] or {})
    # Every placeholder the error text names is filled in.
    message = TRANSLATIONS["options"]["error"][key]
    for name in ("detail", "error"):
        if f"{{{name}}}" in message:
            assert placeholders.get(name), (key, name, placeholders)
    return placeholders


def _suggested(result: FlowResult, name: str) -> Any:
    marker = next(m for m in result["data_schema"].schema if str(m) == name)
    return (marker.description or {}).get("suggested_value")


def _default(result: FlowResult, name: str) -> Any:
    marker = next(m for m in result["data_schema"].schema if str(m) == name)
    return marker.default()


# --- the options flow: business hours ----------------------------------------


async def test_hours_form_suggests_office_hours_and_home_assistants_country(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_options(hass, init_integration.entry_id, "hours")

    assert _default(result, CONF_HOURS_SOURCE) == "none"
    assert [_suggested(result, day) for day in CONF_WEEKDAYS] == [
        *["08:00-17:00"] * 5,
        "",
        "",
    ]
    assert _suggested(result, CONF_HOLIDAY_COUNTRY) == "US"
    assert _suggested(result, CONF_CLOSED_DATES) is None


async def test_hours_step_normalises_and_stores_the_schedule_then_the_line_follows(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert open_sensor(hass) == (STATE_ON, None, None)

    result = await _submit(
        hass,
        init_integration.entry_id,
        "hours",
        {
            CONF_HOURS_SOURCE: "weekly",
            "monday": "8-12,13-17",
            "tuesday": "9am-5:30pm",
            "wednesday": "closed",
            "saturday": "22-2",
            CONF_HOLIDAY_COUNTRY: "us",
            CONF_HOLIDAY_SUBDIVISION: " ca ",
            CONF_CLOSED_DATES: "2026-12-26; 2026-12-24..2026-12-25, 2026-12-31",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = init_integration.options
    assert {key: options[key] for key in WEEKLY_HOURS} == {
        CONF_HOURS_SOURCE: "weekly",
        "monday": SPLIT_SHIFT,
        "tuesday": "09:00-17:30",
        "wednesday": "",
        "thursday": "",
        "friday": "",
        "saturday": "22:00-02:00",
        "sunday": "",
        CONF_HOLIDAY_COUNTRY: "US",
        CONF_HOLIDAY_SUBDIVISION: "CA",
        CONF_CLOSED_DATES: "2026-12-24..2026-12-26, 2026-12-31",
    }
    assert CONF_SCHEDULE_ENTITY not in options
    # The rest of the options are kept; the line reloaded with the hours.
    assert options[CONF_LINE_NAME] == "Main line"
    assert init_integration.state is ConfigEntryState.LOADED
    assert open_sensor(hass) == (
        STATE_ON,
        local("2026-11-23", "13:00"),
        local("2026-11-23", "12:00"),
    )

    # The form shows what was stored.
    result = await _open_options(hass, init_integration.entry_id, "hours")
    assert _default(result, CONF_HOURS_SOURCE) == "weekly"
    assert _suggested(result, "monday") == SPLIT_SHIFT
    assert _suggested(result, "thursday") == ""
    assert _suggested(result, CONF_HOLIDAY_SUBDIVISION) == "CA"


async def test_a_weekly_schedule_without_any_open_day_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _submit(
        hass,
        init_integration.entry_id,
        "hours",
        {
            CONF_HOURS_SOURCE: "weekly",
            **dict.fromkeys(CONF_WEEKDAYS, "closed"),
            CONF_HOLIDAY_COUNTRY: "",
        },
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_open_hours"}
    assert TRANSLATIONS["options"]["error"]["no_open_hours"]
    assert CONF_HOURS_SOURCE not in init_integration.options


async def test_hours_step_takes_a_schedule_helper(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _submit(
        hass,
        init_integration.entry_id,
        "hours",
        {
            CONF_HOURS_SOURCE: "schedule",
            CONF_SCHEDULE_ENTITY: SCHEDULE,
            CONF_HOLIDAY_COUNTRY: "",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_HOURS_SOURCE] == "schedule"
    assert init_integration.options[CONF_SCHEDULE_ENTITY] == SCHEDULE
    assert init_integration.options[CONF_HOLIDAY_COUNTRY] == ""
    # The helper does not exist (yet): the business counts as open.
    assert open_sensor(hass) == (STATE_ON, None, None)


@pytest.mark.parametrize(
    ("user_input", "field", "key", "detail"),
    [
        ({"monday": "nine to five"}, "monday", "invalid_interval", "nine to five"),
        ({"tuesday": "25-26"}, "tuesday", "invalid_time", "25-26"),
        ({"friday": "9-5"}, "friday", "ambiguous_interval", "9-5"),
        (
            {"saturday": "8-12, 11-13"},
            "saturday",
            "overlapping_intervals",
            "08:00-12:00, 11:00-13:00",
        ),
        (
            {CONF_CLOSED_DATES: "2026-12-24, Christmas"},
            CONF_CLOSED_DATES,
            "invalid_date",
            "Christmas",
        ),
        (
            {CONF_HOLIDAY_COUNTRY: "ZZ"},
            CONF_HOLIDAY_COUNTRY,
            "unsupported_country",
            "ZZ",
        ),
        (
            {CONF_HOLIDAY_COUNTRY: "US", CONF_HOLIDAY_SUBDIVISION: "BY"},
            CONF_HOLIDAY_SUBDIVISION,
            "invalid_subdivision",
            "BY",
        ),
        (
            {CONF_HOURS_SOURCE: "schedule"},
            CONF_SCHEDULE_ENTITY,
            "schedule_required",
            "",
        ),
    ],
)
async def test_hours_step_explains_what_to_correct(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    user_input: dict[str, Any],
    field: str,
    key: str,
    detail: str,
) -> None:
    options_before = dict(init_integration.options)
    result = await _submit(
        hass,
        init_integration.entry_id,
        "hours",
        {CONF_HOURS_SOURCE: "weekly", **user_input},
    )

    placeholders = _assert_error(result, "hours", field, key)
    assert placeholders["detail"] == detail
    # The form keeps what the owner typed.
    for name, value in user_input.items():
        if name != CONF_HOURS_SOURCE:
            assert _suggested(result, name) == value
    assert init_integration.options == options_before


async def test_hours_form_shown_again_keeps_the_days_the_owner_cleared(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    # The frontend leaves an emptied optional field out of what it sends.
    result = await _submit(
        hass,
        init_integration.entry_id,
        "hours",
        {CONF_HOURS_SOURCE: "weekly", "monday": "9-5", "tuesday": "08:00-17:00"},
    )

    _assert_error(result, "hours", "monday", "ambiguous_interval")
    # Not the office hours and the country suggested to a line without hours.
    assert [_suggested(result, day) for day in CONF_WEEKDAYS] == [
        "9-5",
        "08:00-17:00",
        "",
        "",
        "",
        "",
        "",
    ]
    assert not _suggested(result, CONF_HOLIDAY_COUNTRY)


# --- the options flow: timing ------------------------------------------------


async def test_timing_step_stores_clean_values(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_options(hass, init_integration.entry_id, "timing")
    assert _default(result, CONF_BUSY_ONLY) is False
    assert _default(result, CONF_DELAY_SECONDS) == 0
    assert _default(result, CONF_QUIET_HOURS) is False
    assert _default(result, CONF_QUIET_START) == "21:00:00"
    assert _default(result, CONF_QUIET_END) == "08:00:00"
    assert _default(result, CONF_QUIET_ACTION) == "hold"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_BUSY_ONLY: True,
            CONF_DELAY_SECONDS: 45.0,
            CONF_QUIET_HOURS: True,
            # Older frontends send the time without seconds.
            CONF_QUIET_START: "22:00",
            CONF_QUIET_END: "07:30:00",
            CONF_QUIET_ACTION: "skip",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    stored = {
        key: init_integration.options[key]
        for key in (
            CONF_BUSY_ONLY,
            CONF_DELAY_SECONDS,
            CONF_QUIET_HOURS,
            CONF_QUIET_START,
            CONF_QUIET_END,
            CONF_QUIET_ACTION,
        )
    }
    assert stored == {
        CONF_BUSY_ONLY: True,
        CONF_DELAY_SECONDS: 45,
        CONF_QUIET_HOURS: True,
        CONF_QUIET_START: "22:00:00",
        CONF_QUIET_END: "07:30:00",
        CONF_QUIET_ACTION: "skip",
    }
    assert init_integration.state is ConfigEntryState.LOADED
    result = await _open_options(hass, init_integration.entry_id, "timing")
    assert _default(result, CONF_DELAY_SECONDS) == 45
    assert _default(result, CONF_QUIET_START) == "22:00:00"


async def test_timing_step_refuses_empty_quiet_hours_only_when_they_are_on(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    same = {CONF_QUIET_START: "21:00:00", CONF_QUIET_END: "21:00"}
    result = await _submit(
        hass, init_integration.entry_id, "timing", {CONF_QUIET_HOURS: True, **same}
    )
    _assert_error(result, "timing", CONF_QUIET_END, "quiet_hours_empty")

    result = await _submit(
        hass, init_integration.entry_id, "timing", {CONF_QUIET_HOURS: False, **same}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_QUIET_HOURS] is False


# --- the options flow: messages and presets ----------------------------------

DETAILS = {
    CONF_BOOKING_LINK: " https://book.example.com ",
    CONF_TRADE: "plumbing",
    CONF_SERVICE_AREA: "Springfield",
    CONF_RESPONSE_WINDOW: "within 30 minutes",
    CONF_RESPONSE_MINUTES: 30,
}


@pytest.mark.parametrize(
    ("preset", "message", "after_hours", "text"),
    [
        (
            "general",
            TEXTS["en"].presets["general"].message,
            TEXTS["en"].presets["general"].after_hours,
            (
                "Hey, you just called Acme Plumbing. We're probably on a job "
                "right now. What can we help you with? We'll follow up within 30 "
                "minutes."
            ),
        ),
        (
            "appointment",
            TEXTS["en"].presets["appointment"].message,
            TEXTS["en"].presets["appointment"].after_hours,
            (
                "Hi, you just called Acme Plumbing and we couldn't pick up. What can "
                "we help you with? Book a time at https://book.example.com or reply "
                "here and we'll get back to you within 30 minutes."
            ),
        ),
        (
            "contractor",
            TEXTS["en"].presets["contractor"].message,
            TEXTS["en"].presets["contractor"].after_hours,
            (
                "Hey, you just called Acme Plumbing. We're probably on a plumbing "
                "job in Springfield right now. What can we help you with? We'll "
                "follow up within 30 minutes."
            ),
        ),
    ],
)
async def test_messages_preset_replaces_both_messages_and_the_next_call_uses_it(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    preset: str,
    message: str,
    after_hours: str,
    text: str,
) -> None:
    entry = await async_setup_line(
        hass,
        entry_data,
        entry_options,
        **{
            CONF_MESSAGE: "Custom {{ business_name }}",
            CONF_AFTER_HOURS_MESSAGE: "Custom closed",
        },
    )

    result = await _submit(
        hass,
        entry.entry_id,
        "messages",
        {
            CONF_MESSAGE_PRESET: preset,
            CONF_AFTER_HOURS_MESSAGE: "Ignored: the preset wins",
            **DETAILS,
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_MESSAGE] == message
    assert entry.options[CONF_AFTER_HOURS_MESSAGE] == after_hours
    assert entry.options[CONF_BOOKING_LINK] == "https://book.example.com"
    assert entry.options[CONF_RESPONSE_MINUTES] == 30
    assert hass.states.get(MESSAGE).state == message
    assert hass.states.get(AFTER_HOURS).state == after_hours
    await async_miss_call(hass, "6502530000")
    assert texts(sms_calls) == [text]


async def test_contractor_preset_after_hours_text_names_trade_area_and_opening(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    freezer.move_to(local("2026-11-28", "10:00"))
    entry = await async_setup_line(hass, entry_data, entry_options, **OFFICE_HOURS)
    await _submit(
        hass,
        entry.entry_id,
        "messages",
        {CONF_MESSAGE_PRESET: "contractor", **DETAILS},
    )

    await async_miss_call(hass, "6502530000")

    assert texts(sms_calls) == [
        (
            "Thanks for calling Acme Plumbing. We're closed right now and back on "
            "plumbing jobs in Springfield on Monday at 8:00 AM. What can we help you "
            "with? We'll get back to you then."
        )
    ]


async def test_messages_keep_preset_keeps_the_message_and_stores_the_rest(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    custom = "{{ business_name }} will call you back {{ response_window }}."
    entry = await async_setup_line(hass, entry_data, entry_options, message=custom)
    result = await _open_options(hass, entry.entry_id, "messages")
    assert _default(result, CONF_MESSAGE_PRESET) == "keep"
    assert _suggested(result, CONF_AFTER_HOURS_MESSAGE) == DEFAULT_AFTER_HOURS_MESSAGE
    assert _default(result, CONF_RESPONSE_WINDOW) == "within the hour"
    assert _default(result, CONF_RESPONSE_MINUTES) == 60

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_MESSAGE_PRESET: "keep",
            CONF_AFTER_HOURS_MESSAGE: "",
            CONF_RESPONSE_WINDOW: "today",
            CONF_RESPONSE_MINUTES: 480,
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_MESSAGE] == custom
    assert entry.options[CONF_AFTER_HOURS_MESSAGE] == ""
    assert entry.options[CONF_RESPONSE_WINDOW] == "today"
    assert entry.options[CONF_BOOKING_LINK] == ""
    await async_miss_call(hass, "6502530000")
    assert texts(sms_calls) == ["Acme Plumbing will call you back today."]


@pytest.mark.parametrize(
    ("user_input", "field"),
    [
        ({CONF_MESSAGE_PRESET: "appointment"}, CONF_BOOKING_LINK),
        (
            {CONF_MESSAGE_PRESET: "contractor", CONF_TRADE: "roofing"},
            CONF_SERVICE_AREA,
        ),
        (
            {
                CONF_MESSAGE_PRESET: "keep",
                CONF_AFTER_HOURS_MESSAGE: "Closed. Your {{ trade }} job waits.",
            },
            CONF_TRADE,
        ),
    ],
)
async def test_messages_step_refuses_a_text_that_needs_an_empty_detail(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    user_input: dict[str, Any],
    field: str,
) -> None:
    result = await _submit(hass, init_integration.entry_id, "messages", user_input)

    placeholders = _assert_error(result, "messages", field, "missing_detail")
    # The error text names the empty detail.
    assert placeholders["error"] == field
    assert CONF_AFTER_HOURS_MESSAGE not in init_integration.options


async def test_messages_form_shown_again_keeps_an_emptied_after_hours_message(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = await async_setup_line(
        hass, entry_data, entry_options, message="Your {{ trade }} job waits."
    )
    # The owner empties the after-hours message (left out by the frontend)
    # but forgets the trade the message uses.
    result = await _submit(
        hass, entry.entry_id, "messages", {CONF_MESSAGE_PRESET: "keep"}
    )

    _assert_error(result, "messages", CONF_TRADE, "missing_detail")
    assert not _suggested(result, CONF_AFTER_HOURS_MESSAGE)


async def test_messages_step_refuses_a_broken_after_hours_template(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _submit(
        hass,
        init_integration.entry_id,
        "messages",
        {CONF_MESSAGE_PRESET: "keep", CONF_AFTER_HOURS_MESSAGE: "Closed {{ until"},
    )

    placeholders = _assert_error(
        result, "messages", CONF_AFTER_HOURS_MESSAGE, "invalid_template"
    )
    assert placeholders["error"].startswith("TemplateSyntaxError")
    assert _suggested(result, CONF_AFTER_HOURS_MESSAGE) == "Closed {{ until"


# --- the options flow: variants ----------------------------------------------


async def test_variants_step_stores_the_filled_variants_and_drops_empty_ones(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = await async_setup_line(
        hass,
        entry_data,
        entry_options,
        **{
            CONF_VARIANT_MODE: "round_robin",
            "variant_d_message": "Old variant D for {{ business_name }}",
        },
    )
    result = await _open_options(hass, entry.entry_id, "variants")
    assert _default(result, CONF_VARIANT_MODE) == "round_robin"
    assert _suggested(result, "variant_d_message") == (
        "Old variant D for {{ business_name }}"
    )

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_VARIANT_MODE: "round_robin",
            "variant_b_response_window": " within 30 minutes ",
            "variant_b_response_minutes": 30,
            "variant_c_message": "  {{ business_name }} calls back soon.  ",
            "variant_d_message": "   ",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    variants = {k: v for k, v in entry.options.items() if k.startswith("variant_")}
    assert variants == {
        CONF_VARIANT_MODE: "round_robin",
        "variant_b_response_window": "within 30 minutes",
        "variant_b_response_minutes": 30,
        "variant_c_message": "{{ business_name }} calls back soon.",
    }
    assert [v.variant_id for v in entry.runtime_data.variants] == ["a", "b", "c"]


async def test_variants_step_turned_off_needs_no_variant(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _submit(
        hass, init_integration.entry_id, "variants", {CONF_VARIANT_MODE: "off"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_VARIANT_MODE] == "off"


@pytest.mark.parametrize(
    ("user_input", "field", "key", "error"),
    [
        ({CONF_VARIANT_MODE: "random"}, "base", "no_variants", ""),
        (
            {CONF_VARIANT_MODE: "round_robin", "variant_b_message": "Hi {{ oops"},
            "variant_b_message",
            "invalid_template",
            None,
        ),
        (
            {
                CONF_VARIANT_MODE: "round_robin",
                "variant_c_message": "Book at {{ booking_link }}",
            },
            "variant_c_message",
            "missing_detail",
            "booking_link",
        ),
    ],
)
async def test_variants_step_explains_what_to_correct(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    user_input: dict[str, Any],
    field: str,
    key: str,
    error: str | None,
) -> None:
    result = await _submit(hass, init_integration.entry_id, "variants", user_input)

    placeholders = _assert_error(result, "variants", field, key)
    if error is not None:
        assert placeholders["error"] == error
    assert CONF_VARIANT_MODE not in init_integration.options


async def test_every_selector_of_the_new_steps_is_translated(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    for step, fields in (
        ("hours", [CONF_HOURS_SOURCE]),
        ("timing", [CONF_QUIET_ACTION]),
        ("messages", [CONF_MESSAGE_PRESET]),
        ("variants", [CONF_VARIANT_MODE]),
    ):
        result = await _open_options(hass, init_integration.entry_id, step)
        texts_of_step = TRANSLATIONS["options"]["step"][step]
        assert set(texts_of_step["data"]) == {
            str(marker) for marker in result["data_schema"].schema
        }
        for name in fields:
            marker = next(m for m in result["data_schema"].schema if str(m) == name)
            config = result["data_schema"].schema[marker].config
            assert set(
                TRANSLATIONS["selector"][config["translation_key"]]["options"]
            ) == {str(option) for option in config["options"]}
