"""Quiet hours in the caller's local time: a number's zones and the latest window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.missed_call_textback.hours import QuietHours
from custom_components.missed_call_textback.phone import time_zones_for
from custom_components.missed_call_textback.quiet import (
    in_quiet_hours,
    quiet_hours_end,
    quiet_until,
)

NIGHT = QuietHours(time(21), time(8))
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3
KAMCHATKA = ZoneInfo("Asia/Kamchatka")  # UTC+12
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
QUARTER = timedelta(minutes=15)


# --- the zones of a number ----------------------------------------------------


@pytest.mark.parametrize("number", ["+12135550123", "+13105550123", "+14155550123"])
def test_los_angeles_area_codes_ring_in_los_angeles(number: str) -> None:
    assert time_zones_for(number) == ("America/Los_Angeles",)


def test_a_manhattan_number_rings_in_new_york() -> None:
    assert time_zones_for("+12125550123") == ("America/New_York",)


def test_an_area_code_across_a_zone_border_gives_both_zones() -> None:
    # South Dakota: Central in the east, Mountain in the west.
    assert time_zones_for("+16052530000") == (
        "America/Denver",
        "America/North_Dakota/Center",
    )


@pytest.mark.parametrize(
    ("number", "among"),
    [
        ("+79161234567", {"Europe/Moscow", "Asia/Kamchatka", "Asia/Yekaterinburg"}),
        ("+61412345678", {"Australia/Perth", "Australia/Sydney", "Australia/Eucla"}),
    ],
)
def test_a_mobile_of_a_country_with_several_zones_gives_them_all(
    number: str, among: set[str]
) -> None:
    assert among <= set(time_zones_for(number))


@pytest.mark.parametrize(
    "number",
    [
        "+870772001799",  # Inmarsat: no country, no zone
        "+15555550100",  # 555-01XX is fictional: not a valid number
        "not a number",
    ],
)
def test_a_number_without_a_known_zone_gives_none(number: str) -> None:
    assert time_zones_for(number) == ()


# --- the latest window --------------------------------------------------------


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_one_zone_holds_exactly_as_its_own_quiet_hours() -> None:
    at = _utc(2026, 11, 27, 2, 30)  # 21:30 in New York
    assert quiet_until(NIGHT, at, [NEW_YORK]) == quiet_hours_end(NIGHT, at, NEW_YORK)
    assert quiet_until(NIGHT, at, [NEW_YORK]) == _utc(2026, 11, 27, 13)


def test_outside_every_window_the_text_is_not_held() -> None:
    # 12:00 in New York, 09:00 in Los Angeles.
    assert quiet_until(NIGHT, _utc(2026, 11, 26, 17), [NEW_YORK, LOS_ANGELES]) is None


def test_no_quiet_hours_hold_nothing() -> None:
    assert quiet_until(QuietHours(time(8), time(8)), _utc(2026, 11, 27, 3), []) is None


def test_a_text_in_any_zones_window_waits_for_the_latest_end() -> None:
    # 23:30 in New York, 20:30 in Los Angeles: New York is quiet until 08:00
    # there, which is 05:00 in Los Angeles, inside its window until 08:00.
    at = _utc(2026, 11, 27, 4, 30)
    assert not in_quiet_hours(NIGHT, at, LOS_ANGELES)

    assert quiet_until(NIGHT, at, [NEW_YORK, LOS_ANGELES]) == _utc(2026, 11, 27, 16)


def test_the_text_never_lands_in_a_window_that_opened_meanwhile() -> None:
    # 15:00 in Moscow, 00:00 in Kamchatka. Kamchatka's night ends at 20:00 UTC,
    # 23:00 in Moscow: taking that end alone would text Moscow at night.
    at = _utc(2026, 1, 15, 12)
    assert quiet_hours_end(NIGHT, at, KAMCHATKA) == _utc(2026, 1, 15, 20)

    until = quiet_until(NIGHT, at, [MOSCOW, KAMCHATKA])

    # 08:00 in Moscow, 17:00 in Kamchatka.
    assert until == _utc(2026, 1, 16, 5)
    assert not any(in_quiet_hours(NIGHT, until, zone) for zone in (MOSCOW, KAMCHATKA))


def test_a_russian_mobile_is_texted_only_when_all_of_russia_is_awake() -> None:
    zones = [ZoneInfo(name) for name in time_zones_for("+79161234567")]
    at = _utc(2026, 1, 15, 12)

    until = quiet_until(NIGHT, at, zones)

    assert until is not None
    assert not any(in_quiet_hours(NIGHT, until, zone) for zone in zones)
    assert until == _first_moment_quiet_nowhere(NIGHT, at, zones)


def test_zones_never_awake_together_wait_for_the_latest_end_at_the_call() -> None:
    # Texts only 09:00-17:00: London's day is Tokyo's night and the other way
    # round, so no moment suits both. The text goes when the window the call
    # fell in ends (Tokyo's, at 09:00 there), not never.
    office = QuietHours(time(17), time(9))
    at = _utc(2026, 1, 15, 12)  # 12:00 in London, 21:00 in Tokyo
    assert _first_moment_quiet_nowhere(office, at, [LONDON, TOKYO]) is None

    assert quiet_until(office, at, [LONDON, TOKYO]) == _utc(2026, 1, 16)


# Offsets in quarter hours, some with daylight saving: every window boundary
# falls on a quarter hour in UTC, so a scan in quarter hours finds the answer.
ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/St_Johns",
    "Europe/London",
    "Europe/Moscow",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Eucla",
    "Australia/Lord_Howe",
    "Asia/Kamchatka",
    "Pacific/Chatham",
]


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(st.sampled_from(ZONES), min_size=1, max_size=4, unique=True),
    quarters=st.integers(0, 366 * 96),
    start=st.integers(0, 95),
    length=st.integers(1, 95),
)
def test_the_text_goes_at_the_first_moment_quiet_in_no_zone(
    names: list[str], quarters: int, start: int, length: int
) -> None:
    quiet = QuietHours(_quarter_time(start), _quarter_time((start + length) % 96))
    zones = [ZoneInfo(name) for name in names]
    at = _utc(2026, 1, 1) + quarters * QUARTER

    until = quiet_until(quiet, at, zones)

    quiet_now = any(in_quiet_hours(quiet, at, zone) for zone in zones)
    assert (until is not None) is quiet_now
    if until is None:
        return
    expected = _first_moment_quiet_nowhere(quiet, at, zones)
    if expected is None:
        expected = max(quiet_hours_end(quiet, at, zone) for zone in zones)
    assert until == expected


def _quarter_time(quarters: int) -> time:
    return time(quarters // 4, quarters % 4 * 15)


def _first_moment_quiet_nowhere(
    quiet: QuietHours, at: datetime, zones: list[ZoneInfo]
) -> datetime | None:
    """Scan two days in quarter hours; None if every moment is quiet somewhere."""
    moment = at
    while moment - at <= timedelta(days=2):
        if not any(in_quiet_hours(quiet, moment, zone) for zone in zones):
            return moment
        moment += QUARTER
    return None
