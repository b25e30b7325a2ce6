"""Quiet hours: when a text may go out, in one zone or in several.

Pure, time injected; the wall-clock rules are hours.py's (quiet hours are a
daily schedule that is "open" while texts must wait).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from .hours import Interval, QuietHours, WeeklySchedule, open_state, to_utc

# Quiet hours repeat daily, so a moment outside them in every zone, if there is
# one, comes within a day; the second day covers daylight saving changes.
_QUIET_SEARCH: Final = timedelta(days=2)


def in_quiet_hours(quiet: QuietHours, at: datetime, tz: ZoneInfo) -> bool:
    """Return whether `at` falls in quiet hours."""
    return open_state(_quiet_schedule(quiet), at, tz).is_open


def quiet_hours_end(quiet: QuietHours, at: datetime, tz: ZoneInfo) -> datetime:
    """Return the first instant at or after `at` outside quiet hours, in UTC.

    That is `at` itself outside quiet hours, so a held text can always be
    scheduled at the returned instant.
    """
    now = to_utc(at)
    state = open_state(_quiet_schedule(quiet), now, tz)
    if not state.is_open:
        return now
    # Quiet hours last less than a day, so they always end within the horizon.
    return state.next_close or now


def quiet_until(
    quiet: QuietHours, at: datetime, zones: Sequence[ZoneInfo]
) -> datetime | None:
    """Return when a text due at `at` may go out, or None if no zone is quiet then.

    A caller's number may stand for several zones (a Russian or Australian
    mobile): the text waits until the quiet hours are over in every one, so no
    zone gets it inside its window. Each step jumps to the latest end of the
    windows the moment reached falls in, so every instant skipped is quiet
    somewhere and the first one quiet nowhere is found. Zones so far apart
    that they share no such instant within _QUIET_SEARCH fall back to the
    latest end of the windows `at` itself falls in.
    """
    now = to_utc(at)
    first = max((quiet_hours_end(quiet, now, tz) for tz in zones), default=now)
    if first == now:
        return None
    until = first
    while until - now <= _QUIET_SEARCH:
        later = max(quiet_hours_end(quiet, until, tz) for tz in zones)
        if later == until:
            return until
        until = later
    return first


def _quiet_schedule(quiet: QuietHours) -> WeeklySchedule:
    day = (Interval(quiet.start, quiet.end),) if quiet.active else ()
    return WeeklySchedule((day,) * 7)
