"""Business hours, closures and public holidays: pure, time injected.

What the owner types is parsed and formatted here; quiet.py reads quiet hours
(a QuietHours from here) and opening_phrases.py says when the business opens.

Opening hours are local wall-clock times, so a wall time has to be pinned to an
instant. One rule covers every day, including daylight saving changes:

    A boundary at local time T on date D happens at the first instant at which
    the wall clock in the zone reads D T or later.

So a boundary in a spring-forward gap (02:30 on the day New York jumps from
02:00 to 03:00) happens when the gap ends (03:00 local), and a boundary at an
ambiguous time in a fall-back overlap happens at its first occurrence (fold=0).
An interval whose both ends fall into one gap is empty that day.

Instants returned are in UTC; every function accepts aware datetimes in any
zone and raises ValueError for naive ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
import re
from typing import Final, Literal
from zoneinfo import ZoneInfo

import holidays

type HoursErrorKey = Literal[
    "invalid_interval",
    "invalid_time",
    "ambiguous_interval",
    "overlapping_intervals",
    "invalid_date",
    "unsupported_country",
    "invalid_subdivision",
]

# How far next_change, next_open and next_close look ahead: over a year, so an
# annual closure never hides the opening after it.
HORIZON_DAYS: Final = 400
# A closure range longer than this is a typo (2026 for 2062), not a holiday.
MAX_CLOSURE_RANGE_DAYS: Final = 366

_DAY: Final = timedelta(days=1)
_SECOND: Final = timedelta(seconds=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MIDNIGHT: Final = time(0, 0)
_MINUTES_PER_DAY: Final = 24 * 60

_CLOSED_WORDS: Final = frozenset(
    {"", "-", "closed", "geschlossen", "fermé", "ferme", "cerrado", "gesloten"}
)
_INTERVAL_SEPARATORS: Final = re.compile(r"[,;\n]")
# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign.
_DASH: Final = re.compile(r"\s*[-\u2010-\u2015\u2212]\s*")
_TIME: Final = re.compile(
    r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2})|h(?P<h_minute>\d{2})?)?"
    r"\s*(?:(?P<meridiem>[ap])\.?\s*m\.?)?",
    re.IGNORECASE,
)
_DATE_SEPARATORS: Final = re.compile(r"[\s,;]+")
_RANGE: Final = re.compile(r"\s*\.\.\s*")


class HoursError(ValueError):
    """An owner's input that cannot be used; key is a translation key."""

    def __init__(self, key: HoursErrorKey, detail: str = "") -> None:
        """Keep the key for the form and the offending text for the message."""
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key: HoursErrorKey = key
        self.detail = detail


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """Open from start to end on one weekday, in local wall-clock time.

    end <= start crosses midnight: the interval ends on the next day at end
    (22:00-02:00). So 00:00-00:00 is the whole day, and 18:00-00:00 runs to
    midnight.
    """

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        """Return whether the interval ends on the next day."""
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Opening intervals per weekday (Monday=0 .. Sunday=6) and closed dates.

    A closed date removes every interval that starts on it; an interval that
    starts on the eve and crosses midnight into a closed date still runs to
    its end. Intervals of neighbouring days may overlap (Friday 20:00-02:00
    and Saturday 01:00-05:00): the business is open whenever any interval is.
    """

    days: tuple[tuple[Interval, ...], ...]
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        """Refuse a week that is not seven days long."""
        if len(self.days) != 7:
            msg = f"a week has 7 days, got {len(self.days)}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class OpenState:
    """Whether the business is open at an instant and what happens next.

    next_change is when is_open flips (schedule a timer there). When open,
    next_close is the end of this opening and next_open the start of the one
    after it; when closed, next_open is the coming opening and next_close its
    end. None: not within HORIZON_DAYS.
    """

    is_open: bool
    next_change: datetime | None
    next_open: datetime | None
    next_close: datetime | None


@dataclass(frozen=True, slots=True)
class QuietHours:
    """No texts from start to end, every day, in local wall-clock time.

    end < start crosses midnight (21:00-08:00). start == end means no quiet
    hours at all (unlike Interval, where it means a whole day): that is what
    an owner leaves when turning them off.
    """

    start: time
    end: time

    @property
    def active(self) -> bool:
        """Return whether there are any quiet hours."""
        return self.start != self.end


# Parsing and formatting what the owner types.


def parse_intervals(text: str) -> tuple[Interval, ...]:
    """Parse one weekday's opening hours, sorted by start.

    Accepts "08:00-12:00, 13:00-17:00", "8-12; 13:30-17", "22:00-02:00",
    "8h30-12h", "9am-5:30pm", "18:00-24:00", and "", "closed" (or the same
    word in de, fr, es, nl) for a closed day. Intervals must not overlap
    within the day; a midnight-crossing interval may overlap the next day's
    intervals (see WeeklySchedule).
    """
    if text.strip().casefold() in _CLOSED_WORDS:
        return ()
    pieces = [piece.strip() for piece in _INTERVAL_SEPARATORS.split(text)]
    intervals = sorted(_parse_interval(piece) for piece in pieces if piece)
    latest_end = -1
    for interval in intervals:
        start, end = _span_minutes(interval)
        if start < latest_end:
            raise HoursError("overlapping_intervals", format_intervals(intervals))
        latest_end = max(latest_end, end)
    return tuple(intervals)


def format_intervals(intervals: Iterable[Interval]) -> str:
    """Format intervals the way parse_intervals reads them back.

    An end at midnight is written 24:00 ("00:00-24:00" for a whole day); a
    closed day is "".
    """
    return ", ".join(
        f"{_hh_mm(interval.start)}-"
        f"{'24:00' if interval.end == _MIDNIGHT else _hh_mm(interval.end)}"
        for interval in intervals
    )


def parse_dates(text: str) -> frozenset[date]:
    """Parse closure dates: ISO dates and ranges, "2026-12-24..2026-12-26, 2026-12-31".

    Separators are commas, semicolons or whitespace; a range includes both ends
    and spans at most MAX_CLOSURE_RANGE_DAYS.
    """
    dates: set[date] = set()
    for token in _DATE_SEPARATORS.split(_RANGE.sub("..", text.strip())):
        if not token:
            continue
        first_text, is_range, last_text = token.partition("..")
        first = _parse_date(first_text, token)
        last = _parse_date(last_text, token) if is_range else first
        days = (last - first).days
        if not 0 <= days < MAX_CLOSURE_RANGE_DAYS:
            raise HoursError("invalid_date", token)
        dates.update(first + timedelta(days=offset) for offset in range(days + 1))
    return frozenset(dates)


def format_dates(dates: Iterable[date]) -> str:
    """Format dates the way parse_dates reads them back; runs of 3+ as ranges."""
    runs: list[list[date]] = []
    for day in sorted(dates):
        if runs and day - runs[-1][-1] == _DAY:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{run[0].isoformat()}..{run[-1].isoformat()}")
        else:
            parts.extend(day.isoformat() for day in run)
    return ", ".join(parts)


def _parse_interval(piece: str) -> Interval:
    ends = _DASH.split(piece)
    if len(ends) != 2:
        raise HoursError("invalid_interval", piece)
    start_match = _TIME.fullmatch(ends[0])
    end_match = _TIME.fullmatch(ends[1])
    if start_match is None or end_match is None:
        raise HoursError("invalid_interval", piece)
    start = _to_time(start_match, piece, is_end=False)
    end = _to_time(end_match, piece, is_end=True)
    interval = Interval(start, end)
    # "9-5" is 9 am to 5 pm in 12-hour shorthand but 09:00 to 05:00 the next
    # day in 24 hours: refuse to guess. "22-2", "10:00-02:00" and "9am-5pm"
    # are clear.
    if (
        interval.crosses_midnight
        and not start_match["meridiem"]
        and not end_match["meridiem"]
        and 1 <= int(start_match["hour"]) <= 12
        and len(end_match["hour"]) == 1
    ):
        raise HoursError("ambiguous_interval", piece)
    return interval


def _to_time(match: re.Match[str], piece: str, *, is_end: bool) -> time:
    hour = int(match["hour"])
    minute = int(match["minute"] or match["h_minute"] or 0)
    meridiem = (match["meridiem"] or "").casefold()
    if meridiem:
        if not 1 <= hour <= 12:
            raise HoursError("invalid_time", piece)
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if is_end and hour == 24 and minute == 0:
        hour = 0
    if hour > 23 or minute > 59:
        raise HoursError("invalid_time", piece)
    return time(hour, minute)


def _parse_date(text: str, token: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HoursError("invalid_date", token) from None


def _hh_mm(moment: time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _span_minutes(interval: Interval) -> tuple[int, int]:
    start = interval.start.hour * 60 + interval.start.minute
    end = interval.end.hour * 60 + interval.end.minute
    return start, end + (_MINUTES_PER_DAY if interval.crosses_midnight else 0)


# Opening hours over time.


def open_state(schedule: WeeklySchedule, at: datetime, tz: ZoneInfo) -> OpenState:
    """Return whether the business is open at `at` and when that changes."""
    now = to_utc(at)
    periods = _open_periods(schedule, now, tz)
    first = next(periods, None)
    if first is None:
        return OpenState(
            is_open=False, next_change=None, next_open=None, next_close=None
        )
    start, end = first
    if start <= now:
        following = next(periods, None)
        return OpenState(
            is_open=True,
            next_change=end,
            next_open=following[0] if following else None,
            next_close=end,
        )
    return OpenState(is_open=False, next_change=start, next_open=start, next_close=end)


def is_open(schedule: WeeklySchedule, at: datetime, tz: ZoneInfo) -> bool:
    """Return whether the business is open at `at`."""
    return open_state(schedule, at, tz).is_open


def next_change(
    schedule: WeeklySchedule, at: datetime, tz: ZoneInfo
) -> datetime | None:
    """Return the first instant after `at` where is_open flips, within HORIZON_DAYS."""
    return open_state(schedule, at, tz).next_change


def next_open(schedule: WeeklySchedule, at: datetime, tz: ZoneInfo) -> datetime | None:
    """Return the next opening after `at`: after the coming close when open."""
    return open_state(schedule, at, tz).next_open


def next_close(schedule: WeeklySchedule, at: datetime, tz: ZoneInfo) -> datetime | None:
    """Return the next closing after `at`: after the coming opening when closed."""
    return open_state(schedule, at, tz).next_close


def _open_periods(
    schedule: WeeklySchedule, now: datetime, tz: ZoneInfo
) -> Iterator[tuple[datetime, datetime | None]]:
    """Yield the merged open periods that end after `now`, in order, in UTC.

    An end of None means the period reaches past the horizon.
    """
    today = now.astimezone(tz).date()
    horizon = today + timedelta(days=HORIZON_DAYS)
    # Intervals starting after the horizon start at or after this instant.
    beyond = _instant(horizon + _DAY, _MIDNIGHT, tz)
    current: tuple[datetime, datetime] | None = None
    # An interval ends before the start of the second day after the one it
    # starts on, and `now` is on or after the start of today: nothing that
    # starts before yesterday can still be open.
    for start, end in _occurrences(schedule, tz, today - _DAY, horizon):
        if current is None:
            current = (start, end)
        elif start <= current[1]:
            current = (current[0], max(current[1], end))
        else:
            if current[1] > now:
                yield current
            current = (start, end)
    if current is not None and current[1] > now:
        yield current[0], current[1] if current[1] < beyond else None


def _occurrences(
    schedule: WeeklySchedule, tz: ZoneInfo, first: date, last: date
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the non-empty intervals starting from `first` to `last`, by start."""
    day = first
    while day <= last:
        if day not in schedule.closed_dates:
            for interval in sorted(schedule.days[day.weekday()]):
                start = _instant(day, interval.start, tz)
                end_day = day + _DAY if interval.crosses_midnight else day
                end = _instant(end_day, interval.end, tz)
                if start < end:
                    yield start, end
        day += _DAY


def _instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Return the first instant (UTC) when the wall clock reads day wall or later."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        # It exists; fold=0 picks its first occurrence if the clock repeats it.
        return first
    # In a gap: fold=0 reads it with the offset before the jump, fold=1 with
    # the one after, which brackets the jump. Find the jump, to the second.
    other = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low = (min(first, other) - _EPOCH) // _SECOND
    high = -((_EPOCH - max(first, other)) // _SECOND)
    while high - low > 1:
        middle = (low + high) // 2
        wall_then = (_EPOCH + middle * _SECOND).astimezone(tz).replace(tzinfo=None)
        if wall_then >= naive:
            high = middle
        else:
            low = middle
    return _EPOCH + high * _SECOND


def to_utc(at: datetime) -> datetime:
    """Return an aware moment in UTC; raise ValueError for a naive one."""
    # Aware datetimes sharing a tzinfo compare by wall time, ignoring fold;
    # in UTC every comparison is between instants.
    if at.utcoffset() is None:
        msg = f"{at} has no time zone"
        raise ValueError(msg)
    return at.astimezone(UTC)


# Public holidays. The holidays library imports a module per country on first
# use, and Home Assistant flags imports in the event loop: run these three in
# an executor (hass.async_add_executor_job).


def supported_countries() -> dict[str, list[str]]:
    """Return each supported country code with its subdivision codes.

    Imports every country module: call it from an executor thread.
    """
    return {
        country: list(subdivisions)
        for country, subdivisions in holidays.list_supported_countries(
            include_aliases=False
        ).items()
    }


def validate_region(country: str, subdivision: str | None) -> tuple[str, str | None]:
    """Return the country and subdivision codes as the holidays library spells them.

    Codes match case-insensitively; an empty subdivision means the whole
    country. Raises HoursError("unsupported_country") or
    HoursError("invalid_subdivision"). Imports every country module: call it
    from an executor thread.
    """
    countries = supported_countries()
    code = country.strip().upper()
    if code not in countries:
        raise HoursError("unsupported_country", country)
    if not subdivision or not subdivision.strip():
        return code, None
    wanted = subdivision.strip().casefold()
    for known in countries[code]:
        if known.casefold() == wanted:
            return code, known
    raise HoursError("invalid_subdivision", subdivision)


def holiday_dates(
    country: str, subdivision: str | None, years: Iterable[int]
) -> frozenset[date]:
    """Return the public holidays of a country (or subdivision) in some years.

    Observed days are included (a US holiday on a Saturday is also observed on
    the Friday before). Raises HoursError as validate_region does. Imports
    country modules lazily: call it from an executor thread.
    """
    code, subdivision = validate_region(country, subdivision)
    return frozenset(
        holidays.country_holidays(code, subdiv=subdivision, years=list(years))
    )
