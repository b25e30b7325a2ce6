"""A line's business hours in Home Assistant: open now, the next boundaries, phrases.

The hours come from the owner's weekly schedule (with public holidays and
closure dates) or from a schedule helper entity; with neither, the business
counts as always open. Listeners hear every change exactly at its boundary:
a timer is set at the next change, nothing polls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.const import STATE_ON
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.util import dt as dt_util

from . import hours, opening_phrases
from .const import (
    CONF_CLOSED_DATES,
    CONF_HOLIDAY_COUNTRY,
    CONF_HOLIDAY_SUBDIVISION,
    CONF_HOURS_SOURCE,
    CONF_SCHEDULE_ENTITY,
    CONF_WEEKDAYS,
    LOGGER,
    HoursSource,
)
from .phone import time_zones_for

# The schedule helper's attribute holding its next toggle.
SCHEDULE_NEXT_EVENT = "next_event"
ALWAYS_OPEN = hours.OpenState(
    is_open=True, next_change=None, next_open=None, next_close=None
)


def _load_zones(names: Iterable[str]) -> list[ZoneInfo]:
    # Reads each zone's rules from disk, so it runs in the executor; a zone
    # this system's time zone database lacks is left out.
    return [zone for name in names if (zone := dt_util.get_time_zone(name))]


def weekly_schedule(
    options: Mapping[str, Any], closed: frozenset[date]
) -> hours.WeeklySchedule:
    """Build the weekly schedule the options describe (already validated)."""
    return hours.WeeklySchedule(
        tuple(hours.parse_intervals(options.get(day, "")) for day in CONF_WEEKDAYS),
        closed | hours.parse_dates(options.get(CONF_CLOSED_DATES, "")),
    )


class BusinessHours:
    """Whether one line's business is open, and when that changes."""

    def __init__(
        self,
        hass: HomeAssistant,
        options: Mapping[str, Any],
        on_change: Callable[[], None],
    ) -> None:
        """Initialize from the line's options; call async_start before use."""
        self._hass = hass
        self._options = options
        self._on_change = on_change
        self.source = HoursSource(options.get(CONF_HOURS_SOURCE, HoursSource.NONE))
        self._schedule: hours.WeeklySchedule | None = None
        self._holiday_years: tuple[int, ...] = ()
        self._timer: CALLBACK_TYPE | None = None
        self._unsubscribe: CALLBACK_TYPE | None = None

    @property
    def tz(self) -> ZoneInfo:
        """Return the zone the hours are read in (Home Assistant's)."""
        zone = dt_util.get_time_zone(self._hass.config.time_zone)
        return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")

    async def async_caller_zones(self, e164: str) -> list[ZoneInfo]:
        """Return the zones a caller's number rings in; the line's if unknown."""
        zones = await self._hass.async_add_executor_job(
            _load_zones, time_zones_for(e164)
        )
        return zones or [self.tz]

    @property
    def configured(self) -> bool:
        """Return whether the owner set business hours at all."""
        return self.source is not HoursSource.NONE

    async def async_start(self) -> CALLBACK_TYPE:
        """Load the hours and start following their boundaries."""
        if self.source is HoursSource.WEEKLY:
            await self._async_load_schedule(dt_util.utcnow())
            self._schedule_next()
        elif self.source is HoursSource.SCHEDULE:
            self._unsubscribe = async_track_state_change_event(
                self._hass,
                self._options[CONF_SCHEDULE_ENTITY],
                self._async_schedule_entity_changed,
            )
        return self._async_stop

    @callback
    def _async_stop(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def _async_load_schedule(self, now: datetime) -> None:
        year = dt_util.as_local(now).year
        # Last year too: an interval from New Year's Eve runs into the new year;
        # two years ahead: the next opening is looked for up to 400 days ahead.
        self._holiday_years = (year - 1, year, year + 1, year + 2)
        holidays: frozenset[date] = frozenset()
        if country := self._options.get(CONF_HOLIDAY_COUNTRY):
            try:
                holidays = await self._hass.async_add_executor_job(
                    hours.holiday_dates,
                    country,
                    self._options.get(CONF_HOLIDAY_SUBDIVISION) or None,
                    self._holiday_years,
                )
            except hours.HoursError as err:
                # Validated in the flow; a newer holidays release may drop a code.
                LOGGER.warning("Public holidays not loaded: %s", err)
        self._schedule = weekly_schedule(self._options, holidays)

    async def async_new_day(self, now: datetime) -> None:
        """Load the next year's holidays when a new year starts."""
        if (
            self.source is HoursSource.WEEKLY
            and dt_util.as_local(now).year != self._holiday_years[1]
        ):
            await self._async_load_schedule(now)
            self._schedule_next()
            self._on_change()

    def state(self, at: datetime | None = None) -> hours.OpenState:
        """Return whether the business is open at a moment (default: now)."""
        at = at or dt_util.utcnow()
        if self.source is HoursSource.WEEKLY and self._schedule is not None:
            return hours.open_state(self._schedule, at, self.tz)
        if self.source is HoursSource.SCHEDULE:
            return self._schedule_entity_state()
        return ALWAYS_OPEN

    def describe(
        self, when: datetime | None, now: datetime, language: str | None = None
    ) -> str:
        """Say when a moment is ("tomorrow at 8:00"), by default in HA's language."""
        if when is None:
            return ""
        return opening_phrases.describe_next_open(
            when,
            now,
            self.tz,
            language or self._hass.config.language,
            opening_phrases.default_hour_format(self._hass.config.country),
        )

    def _schedule_entity_state(self) -> hours.OpenState:
        state = self._hass.states.get(self._options[CONF_SCHEDULE_ENTITY])
        if state is None:
            # A schedule that is gone cannot close the business.
            return ALWAYS_OPEN
        is_open = state.state == STATE_ON
        upcoming = state.attributes.get(SCHEDULE_NEXT_EVENT)
        if isinstance(upcoming, str):
            upcoming = dt_util.parse_datetime(upcoming)
        # Instants in UTC, like the weekly schedule's.
        upcoming = dt_util.as_utc(upcoming) if isinstance(upcoming, datetime) else None
        return hours.OpenState(
            is_open=is_open,
            next_change=upcoming,
            next_open=None if is_open else upcoming,
            next_close=upcoming if is_open else None,
        )

    @callback
    def _async_schedule_entity_changed(
        self, _event: Event[EventStateChangedData]
    ) -> None:
        self._on_change()

    @callback
    def _schedule_next(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None
        if (change := self.state().next_change) is not None:
            self._timer = async_track_point_in_utc_time(
                self._hass, self._async_boundary, change
            )

    @callback
    def _async_boundary(self, _now: datetime) -> None:
        self._timer = None
        self._schedule_next()
        self._on_change()
