"""hours: opening hours, closures, holidays, quiet hours and what to tell callers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.missed_call_textback.hours import (
    HORIZON_DAYS,
    HoursError,
    Interval,
    OpenState,
    QuietHours,
    WeeklySchedule,
    _instant,
    format_dates,
    format_intervals,
    holiday_dates,
    is_open,
    next_change,
    next_close,
    next_open,
    open_state,
    parse_dates,
    parse_intervals,
    supported_countries,
    validate_region,
)
from custom_components.missed_call_textback.opening_phrases import (
    HourFormat,
    default_hour_format,
    describe_next_open,
)
from custom_components.missed_call_textback.quiet import in_quiet_hours, quiet_hours_end

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
SANTIAGO = ZoneInfo("America/Santiago")
ZONES = (
    ZoneInfo("UTC"),
    NEW_YORK,
    BERLIN,
    LORD_HOWE,
    SANTIAGO,  # its clocks change at midnight
    ZoneInfo("America/Havana"),  # and so do these
    ZoneInfo("Asia/Kolkata"),  # a half-hour offset without daylight saving
)
MICROSECOND = timedelta(microseconds=1)
SECOND = timedelta(seconds=1)


def _week(
    texts: dict[int, str] | str, closed: frozenset[date] = frozenset()
) -> WeeklySchedule:
    """Build a week from the texts an owner types; a str is every day's text."""
    if isinstance(texts, str):
        texts = dict.fromkeys(range(7), texts)
    return WeeklySchedule(
        tuple(parse_intervals(texts.get(day, "")) for day in range(7)), closed
    )


def _local(
    tz: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz, fold=fold)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# 2026-11-23 is a Monday.
WEEKDAYS_8_TO_17 = _week(dict.fromkeys(range(5), "8-12, 13:00-17:00"))


# Parsing what the owner types.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00-12:00, 13:00-17:00", "08:00-12:00, 13:00-17:00"),
        ("8-12, 13:30-17", "08:00-12:00, 13:30-17:00"),
        ("8-12;13:30-17", "08:00-12:00, 13:30-17:00"),
        ("  13:00 - 17:00 ,  8:00 - 12:00  ", "08:00-12:00, 13:00-17:00"),
        ("8\u201312, 13\u201417", "08:00-12:00, 13:00-17:00"),  # en, em dash
        ("8.30-12", "08:30-12:00"),
        ("8h30-12h, 14h-18h", "08:30-12:00, 14:00-18:00"),
        ("9am-5pm", "09:00-17:00"),
        ("9:30 AM - 5:30 p.m.", "09:30-17:30"),
        ("12pm-12am", "12:00-24:00"),
        ("22:00-02:00", "22:00-02:00"),
        ("22-2", "22:00-02:00"),
        ("10:00-02:00", "10:00-02:00"),
        ("18-24", "18:00-24:00"),
        ("18:00-00:00", "18:00-24:00"),
        ("00:00-00:00", "00:00-24:00"),
        ("0-24", "00:00-24:00"),
        ("8-12, 12-17", "08:00-12:00, 12:00-17:00"),
        ("8-12,", "08:00-12:00"),
        ("2-6, 22-2", "02:00-06:00, 22:00-02:00"),
    ],
)
def test_owner_styles_parse_to_canonical_intervals(text: str, expected: str) -> None:
    assert format_intervals(parse_intervals(text)) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "closed", " Closed ", "geschlossen", "fermé", "cerrado", "-"]
)
def test_empty_or_closed_means_a_closed_day(text: str) -> None:
    assert parse_intervals(text) == ()


def test_intervals_come_back_sorted_with_midnight_crossing_as_typed() -> None:
    assert parse_intervals("13-17, 22-2, 8-12") == (
        Interval(time(8), time(12)),
        Interval(time(13), time(17)),
        Interval(time(22), time(2)),
    )
    assert Interval(time(22), time(2)).crosses_midnight
    assert Interval(time(0), time(0)).crosses_midnight
    assert not Interval(time(8), time(12)).crosses_midnight


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("8", "invalid_interval"),
        ("8-12-14", "invalid_interval"),
        ("8-", "invalid_interval"),
        ("nine to five", "invalid_interval"),
        ("8:5-12", "invalid_interval"),
        ("closed, 8-12", "invalid_interval"),
        ("25-26", "invalid_time"),
        ("8:60-9", "invalid_time"),
        ("24:00-08:00", "invalid_time"),
        ("8-24:30", "invalid_time"),
        ("13pm-2pm", "invalid_time"),
        ("0am-5am", "invalid_time"),
        ("9-5", "ambiguous_interval"),
        ("9:00-5:00", "ambiguous_interval"),
        ("11-2", "ambiguous_interval"),
        ("12-1", "ambiguous_interval"),
        ("8-12, 11-13", "overlapping_intervals"),
        ("8-12, 8-12", "overlapping_intervals"),
        ("0-24, 8-12", "overlapping_intervals"),
        ("22-2, 23-1", "overlapping_intervals"),
        ("8-18, 10-11, 12-13", "overlapping_intervals"),
    ],
)
def test_unusable_hours_raise_their_translation_key(text: str, key: str) -> None:
    with pytest.raises(HoursError) as caught:
        parse_intervals(text)
    assert caught.value.key == key


def test_hours_error_is_a_value_error_naming_what_was_wrong() -> None:
    with pytest.raises(ValueError, match=r"^invalid_time: 25-26$") as caught:
        parse_intervals("25-26")
    assert isinstance(caught.value, HoursError)
    assert caught.value.detail == "25-26"
    assert str(HoursError("invalid_date")) == "invalid_date"


@st.composite
def day_intervals(draw: st.DrawFn) -> tuple[Interval, ...]:
    """Non-overlapping intervals of one day, the last possibly past midnight."""
    points = sorted(draw(st.lists(st.integers(0, 1439), unique=True, max_size=7)))
    intervals = [
        Interval(_minute(start), _minute(end))
        for start, end in zip(points[::2], points[1::2], strict=False)
    ]
    if len(points) % 2:
        start = points[-1]
        intervals.append(Interval(_minute(start), _minute(draw(st.integers(0, start)))))
    return tuple(intervals)


def _minute(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@given(day_intervals())
def test_formatted_intervals_parse_back_to_themselves(
    intervals: tuple[Interval, ...],
) -> None:
    assert parse_intervals(format_intervals(intervals)) == intervals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", set()),
        ("2026-12-24, 2026-12-31", {date(2026, 12, 24), date(2026, 12, 31)}),
        (
            "2026-12-24;2026-12-31\n2027-01-01",
            {
                date(2026, 12, 24),
                date(2026, 12, 31),
                date(2027, 1, 1),
            },
        ),
        (
            "2026-12-30 .. 2027-01-01",
            {
                date(2026, 12, 30),
                date(2026, 12, 31),
                date(2027, 1, 1),
            },
        ),
        ("2026-12-24..2026-12-24", {date(2026, 12, 24)}),
    ],
)
def test_closure_dates_parse_single_days_and_ranges(
    text: str, expected: set[date]
) -> None:
    assert parse_dates(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "24.12.2026",
        "2026-13-01",
        "tomorrow",
        "2026-12-24..",
        "2026-12-31..2026-12-24",
        "2026-01-01..2062-01-01",
    ],
)
def test_unusable_closure_dates_raise_invalid_date(text: str) -> None:
    with pytest.raises(HoursError) as caught:
        parse_dates(text)
    assert caught.value.key == "invalid_date"


def test_closure_dates_format_runs_of_three_or_more_as_ranges() -> None:
    dates = parse_dates("2026-12-24..2026-12-26, 2026-12-31, 2027-01-01")
    assert format_dates(dates) == ("2026-12-24..2026-12-26, 2026-12-31, 2027-01-01")
    assert format_dates(()) == ""


@given(st.sets(st.dates(date(2025, 1, 1), date(2025, 3, 1)), max_size=20))
def test_formatted_dates_parse_back_to_themselves(dates: set[date]) -> None:
    assert parse_dates(format_dates(dates)) == dates


def test_a_week_has_seven_days() -> None:
    with pytest.raises(ValueError, match="7 days"):
        WeeklySchedule(((),) * 6)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        is_open(WEEKDAYS_8_TO_17, datetime(2026, 11, 23, 9), NEW_YORK)  # noqa: DTZ001


# Opening hours over time.


def test_split_shift_is_closed_over_lunch() -> None:
    assert is_open(WEEKDAYS_8_TO_17, _local(NEW_YORK, 2026, 11, 23, 10), NEW_YORK)
    lunch = _local(NEW_YORK, 2026, 11, 23, 12, 30)
    assert open_state(WEEKDAYS_8_TO_17, lunch, NEW_YORK) == OpenState(
        is_open=False,
        next_change=_local(NEW_YORK, 2026, 11, 23, 13),
        next_open=_local(NEW_YORK, 2026, 11, 23, 13),
        next_close=_local(NEW_YORK, 2026, 11, 23, 17),
    )


def test_open_state_when_open_gives_the_close_and_the_opening_after_it() -> None:
    morning = _local(NEW_YORK, 2026, 11, 23, 9)
    assert open_state(WEEKDAYS_8_TO_17, morning, NEW_YORK) == OpenState(
        is_open=True,
        next_change=_local(NEW_YORK, 2026, 11, 23, 12),
        next_open=_local(NEW_YORK, 2026, 11, 23, 13),
        next_close=_local(NEW_YORK, 2026, 11, 23, 12),
    )


def test_boundaries_are_returned_in_utc() -> None:
    # 15:00 in Berlin is 9:00 in New York: open until noon there.
    change = next_change(WEEKDAYS_8_TO_17, _local(BERLIN, 2026, 11, 23, 15), NEW_YORK)
    assert change == _utc(2026, 11, 23, 17)
    assert change is not None
    assert change.tzinfo is UTC


def test_opening_is_inclusive_and_closing_exclusive() -> None:
    assert is_open(WEEKDAYS_8_TO_17, _local(NEW_YORK, 2026, 11, 23, 8), NEW_YORK)
    assert not is_open(WEEKDAYS_8_TO_17, _local(NEW_YORK, 2026, 11, 23, 17), NEW_YORK)


def test_friday_evening_opens_the_weekend_from_friday_afternoon() -> None:
    friday_evening = _local(NEW_YORK, 2026, 11, 27, 17, 30)
    assert next_open(WEEKDAYS_8_TO_17, friday_evening, NEW_YORK) == _local(
        NEW_YORK, 2026, 11, 30, 8
    )
    assert next_close(WEEKDAYS_8_TO_17, friday_evening, NEW_YORK) == _local(
        NEW_YORK, 2026, 11, 30, 12
    )


def test_friday_night_shift_is_open_at_one_on_saturday() -> None:
    bar = _week({4: "22:00-02:00"})
    saturday_one = _local(BERLIN, 2026, 11, 28, 1)
    assert is_open(bar, saturday_one, BERLIN)
    assert next_close(bar, saturday_one, BERLIN) == _local(BERLIN, 2026, 11, 28, 2)
    assert next_open(bar, saturday_one, BERLIN) == _local(BERLIN, 2026, 12, 4, 22)
    assert not is_open(bar, _local(BERLIN, 2026, 11, 28, 3), BERLIN)
    assert not is_open(bar, _local(BERLIN, 2026, 11, 27, 1), BERLIN)


def test_whole_days_in_a_row_are_one_opening() -> None:
    weekdays = _week(dict.fromkeys(range(5), "00:00-00:00"))
    wednesday = _local(BERLIN, 2026, 11, 25, 12)
    assert open_state(weekdays, wednesday, BERLIN) == OpenState(
        is_open=True,
        next_change=_local(BERLIN, 2026, 11, 28, 0),
        next_open=_local(BERLIN, 2026, 11, 30, 0),
        next_close=_local(BERLIN, 2026, 11, 28, 0),
    )


def test_overlapping_days_are_open_while_either_is() -> None:
    late = _week({4: "20:00-06:00", 5: "05:00-07:00"})
    assert next_close(late, _local(BERLIN, 2026, 11, 27, 23), BERLIN) == _local(
        BERLIN, 2026, 11, 28, 7
    )


def test_always_open_never_changes() -> None:
    always = _week("0-24")
    assert open_state(always, _local(NEW_YORK, 2026, 3, 8, 2), NEW_YORK) == OpenState(
        is_open=True, next_change=None, next_open=None, next_close=None
    )


def test_never_open_never_changes() -> None:
    never = _week("")
    assert open_state(never, _local(NEW_YORK, 2026, 3, 8, 2), NEW_YORK) == OpenState(
        is_open=False, next_change=None, next_open=None, next_close=None
    )


def test_changes_beyond_the_horizon_are_not_reported() -> None:
    now = _local(BERLIN, 2026, 1, 1, 12)
    closed_long = frozenset(
        date(2026, 1, 1) + timedelta(days=offset) for offset in range(HORIZON_DAYS + 2)
    )
    assert next_change(_week("8-17", closed_long), now, BERLIN) is None
    until_horizon = frozenset({date(2026, 1, 1) + timedelta(days=HORIZON_DAYS)})
    assert open_state(_week("0-24", until_horizon), now, BERLIN) == OpenState(
        is_open=True,
        next_change=_local(BERLIN, 2027, 2, 5, 0),
        next_open=None,
        next_close=_local(BERLIN, 2027, 2, 5, 0),
    )


def test_closed_date_removes_that_days_hours() -> None:
    christmas_eve = frozenset({date(2026, 12, 24)})
    shop = _week(dict.fromkeys(range(5), "8-12, 13:00-17:00"), christmas_eve)
    assert not is_open(shop, _local(NEW_YORK, 2026, 12, 24, 10), NEW_YORK)
    assert next_open(shop, _local(NEW_YORK, 2026, 12, 23, 18), NEW_YORK) == _local(
        NEW_YORK, 2026, 12, 25, 8
    )


def test_interval_from_the_eve_of_a_closed_date_runs_to_its_end() -> None:
    bar = _week("22:00-02:00", frozenset({date(2026, 12, 25)}))
    assert is_open(bar, _local(BERLIN, 2026, 12, 25, 1), BERLIN)
    assert next_close(bar, _local(BERLIN, 2026, 12, 25, 1), BERLIN) == _local(
        BERLIN, 2026, 12, 25, 2
    )
    assert not is_open(bar, _local(BERLIN, 2026, 12, 25, 23), BERLIN)
    assert is_open(bar, _local(BERLIN, 2026, 12, 26, 1), BERLIN) is False
    assert next_open(bar, _local(BERLIN, 2026, 12, 25, 3), BERLIN) == _local(
        BERLIN, 2026, 12, 26, 22
    )


def test_thanksgiving_closes_a_us_business() -> None:
    closed = holiday_dates("US", None, [2026])
    assert date(2026, 11, 26) in closed
    shop = _week(dict.fromkeys(range(5), "8-17"), closed)
    wednesday_evening = _local(NEW_YORK, 2026, 11, 25, 18)
    assert next_open(shop, wednesday_evening, NEW_YORK) == _local(
        NEW_YORK, 2026, 11, 27, 8
    )


def test_epiphany_is_a_holiday_in_bavaria_only() -> None:
    assert date(2026, 1, 6) in holiday_dates("DE", "BY", [2026])
    assert date(2026, 1, 6) not in holiday_dates("DE", None, [2026])


def test_observed_holidays_are_closures_too() -> None:
    # Christmas 2027 is a Saturday; it is observed on Friday the 24th.
    assert date(2027, 12, 24) in holiday_dates("US", "", range(2027, 2029))


def test_holidays_span_the_years_asked_for_only() -> None:
    dates = holiday_dates("us", None, [2026, 2027])
    assert {day.year for day in dates} == {2026, 2027}
    assert holiday_dates("US", None, []) == frozenset()


def test_region_codes_are_canonicalised() -> None:
    assert validate_region(" de ", "by") == ("DE", "BY")
    assert validate_region("US", None) == ("US", None)
    assert validate_region("US", "  ") == ("US", None)


@pytest.mark.parametrize(
    ("country", "subdivision", "key"),
    [
        ("XX", None, "unsupported_country"),
        ("", None, "unsupported_country"),
        ("UK", None, "unsupported_country"),  # an alias: HA stores GB
        ("USA", None, "unsupported_country"),
        ("DE", "ZZ", "invalid_subdivision"),
        ("US", "Alaska", "invalid_subdivision"),  # a name, accepted by 0.106 only
    ],
)
def test_unknown_regions_raise_their_translation_key(
    country: str, subdivision: str | None, key: str
) -> None:
    with pytest.raises(HoursError) as caught:
        holiday_dates(country, subdivision, [2026])
    assert caught.value.key == key


def test_supported_countries_are_alpha2_codes_with_their_subdivisions() -> None:
    countries = supported_countries()
    assert "BY" in countries["DE"]
    assert "CA" in countries["US"]
    assert countries["NL"] == [] or isinstance(countries["NL"], list)
    assert all(len(code) == 2 for code in countries)
    countries["DE"].clear()
    assert supported_countries()["DE"], "callers get a copy"


# Daylight saving: a boundary happens when the wall clock first reaches it.


def test_ny_spring_forward_opens_when_the_gap_ends() -> None:
    early = _week("02:30-04:00")
    before = _local(NEW_YORK, 2026, 3, 8, 1, 59)
    assert not is_open(early, before, NEW_YORK)
    assert next_open(early, before, NEW_YORK) == _utc(2026, 3, 8, 7)  # 03:00 EDT
    assert is_open(early, _utc(2026, 3, 8, 7), NEW_YORK)
    assert not is_open(early, _utc(2026, 3, 8, 7) - SECOND, NEW_YORK)


def test_ny_interval_inside_the_gap_is_skipped_that_day() -> None:
    gap = _week("02:00-02:45")
    before = _local(NEW_YORK, 2026, 3, 8, 1)
    assert next_open(gap, before, NEW_YORK) == _local(NEW_YORK, 2026, 3, 9, 2)


def test_ny_fall_back_uses_the_first_of_two_equal_wall_times() -> None:
    night = _week("01:30-03:00")
    # An ambiguous aware time never equals an instant in another zone (PEP 495),
    # hence the comparisons in UTC.
    first_0130 = _local(NEW_YORK, 2026, 11, 1, 1, 30).astimezone(UTC)
    assert first_0130 == _utc(2026, 11, 1, 5, 30)  # EDT
    before = _local(NEW_YORK, 2026, 11, 1, 1)
    assert next_open(night, before, NEW_YORK) == first_0130
    # 2.5 real hours: 01:30 EDT to 03:00 EST.
    assert next_close(night, before, NEW_YORK) == _utc(2026, 11, 1, 8)
    assert is_open(night, _local(NEW_YORK, 2026, 11, 1, 1, 15, fold=1), NEW_YORK)


def test_ny_fall_back_ends_at_the_first_of_two_equal_wall_times() -> None:
    late = _week("00:00-01:30")
    assert next_close(late, _local(NEW_YORK, 2026, 11, 1, 0, 30), NEW_YORK) == _utc(
        2026, 11, 1, 5, 30
    )
    second_0115 = _local(NEW_YORK, 2026, 11, 1, 1, 15, fold=1)
    assert not is_open(late, second_0115, NEW_YORK)


def test_berlin_spring_forward_opens_when_the_gap_ends() -> None:
    early = _week("02:30-04:00")
    before = _local(BERLIN, 2026, 3, 29, 1)
    assert next_open(early, before, BERLIN) == _utc(2026, 3, 29, 1)  # 03:00 CEST
    assert next_close(early, before, BERLIN) == _utc(2026, 3, 29, 2)  # 04:00 CEST


def test_berlin_fall_back_opens_at_the_first_of_two_equal_wall_times() -> None:
    early = _week("02:30-04:00")
    before = _local(BERLIN, 2026, 10, 25, 1)
    assert next_open(early, before, BERLIN) == _utc(2026, 10, 25, 0, 30)  # CEST
    assert next_close(early, before, BERLIN) == _utc(2026, 10, 25, 3)  # 04:00 CET


def test_berlin_overnight_shift_lasts_an_hour_less_in_spring() -> None:
    night = _week("22:00-06:00")
    start = _local(BERLIN, 2026, 3, 28, 23)
    assert next_close(night, start, BERLIN) == _utc(2026, 3, 29, 4)
    assert next_open(night, start, BERLIN) == _utc(2026, 3, 29, 20)


def test_lord_howe_half_hour_spring_forward_opens_when_the_gap_ends() -> None:
    early = _week("02:15-03:00")
    before = _local(LORD_HOWE, 2026, 10, 4, 1)
    # 02:00 +10:30 jumps to 02:30 +11:00.
    assert next_open(early, before, LORD_HOWE) == _utc(2026, 10, 3, 15, 30)
    assert next_close(early, before, LORD_HOWE) == _utc(2026, 10, 3, 16)


def test_lord_howe_half_hour_fall_back_uses_the_first_occurrence() -> None:
    early = _week("01:45-03:00")
    before = _local(LORD_HOWE, 2026, 4, 5, 1)
    # 02:00 +11:00 falls back to 01:30 +10:30: 01:45 happens twice.
    assert next_open(early, before, LORD_HOWE) == _utc(2026, 4, 4, 14, 45)
    assert next_close(early, before, LORD_HOWE) == _utc(2026, 4, 4, 16, 30)


def test_santiago_midnight_gap_opens_the_day_at_one() -> None:
    day = _week("00:00-12:00")
    saturday_evening = _local(SANTIAGO, 2026, 9, 5, 20)
    # 2026-09-06 00:00 -04:00 jumps to 01:00 -03:00.
    assert next_open(day, saturday_evening, SANTIAGO) == _utc(2026, 9, 6, 4)


# Quiet hours.

NIGHT = QuietHours(time(21), time(8))


def test_quiet_hours_cross_midnight() -> None:
    assert in_quiet_hours(NIGHT, _local(BERLIN, 2026, 11, 23, 23), BERLIN)
    assert in_quiet_hours(NIGHT, _local(BERLIN, 2026, 11, 24, 7, 59), BERLIN)
    assert not in_quiet_hours(NIGHT, _local(BERLIN, 2026, 11, 24, 8), BERLIN)
    assert not in_quiet_hours(NIGHT, _local(BERLIN, 2026, 11, 24, 20, 59), BERLIN)


def test_held_text_goes_out_when_quiet_hours_end() -> None:
    assert quiet_hours_end(NIGHT, _local(BERLIN, 2026, 11, 23, 23), BERLIN) == _utc(
        2026, 11, 24, 7
    )


def test_outside_quiet_hours_a_text_goes_out_at_once() -> None:
    noon = _local(BERLIN, 2026, 11, 24, 12)
    assert quiet_hours_end(NIGHT, noon, BERLIN) == noon
    assert quiet_hours_end(NIGHT, noon, BERLIN).tzinfo is UTC


def test_equal_start_and_end_means_no_quiet_hours() -> None:
    off = QuietHours(time(8), time(8))
    assert not off.active
    assert NIGHT.active
    night = _local(BERLIN, 2026, 11, 24, 3)
    assert not in_quiet_hours(off, night, BERLIN)
    assert quiet_hours_end(off, night, BERLIN) == night


def test_quiet_night_is_an_hour_longer_when_clocks_fall_back() -> None:
    evening = _local(NEW_YORK, 2026, 10, 31, 22)
    # 21:00 EDT to 08:00 EST: 12 real hours.
    assert quiet_hours_end(NIGHT, evening, NEW_YORK) == _utc(2026, 11, 1, 13)


def test_quiet_hours_ending_in_the_spring_gap_end_when_it_ends() -> None:
    short = QuietHours(time(1), time(2, 30))
    at = _local(NEW_YORK, 2026, 3, 8, 1, 30)
    assert in_quiet_hours(short, at, NEW_YORK)
    assert quiet_hours_end(short, at, NEW_YORK) == _utc(2026, 3, 8, 7)  # 03:00 EDT


# Telling callers when the business opens again.

NOW = _local(NEW_YORK, 2026, 11, 26, 18)  # a Thursday evening


@pytest.mark.parametrize(
    ("when", "language", "hour_format", "expected"),
    [
        (_local(NEW_YORK, 2026, 11, 26, 19), "en", 24, "today at 19:00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "en", 24, "tomorrow at 8:00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "en", 12, "tomorrow at 8:00 AM"),
        (_local(NEW_YORK, 2026, 11, 27, 8, 30), "en", 12, "tomorrow at 8:30 AM"),
        (_local(NEW_YORK, 2026, 11, 26, 21), "en", 12, "today at 9:00 PM"),
        (_local(NEW_YORK, 2026, 11, 27, 12), "en", 12, "tomorrow at 12:00 PM"),
        (_local(NEW_YORK, 2026, 11, 27, 0), "en", 12, "tomorrow at 12:00 AM"),
        (_local(NEW_YORK, 2026, 11, 27, 0), "en", 24, "tomorrow at 0:00"),
        (_local(NEW_YORK, 2026, 11, 28, 8), "en", 24, "on Saturday at 8:00"),
        (_local(NEW_YORK, 2026, 12, 2, 8), "en", 24, "on Wednesday at 8:00"),
        (_local(NEW_YORK, 2026, 12, 3, 8), "en", 24, "on 3 December at 8:00"),
        (_local(NEW_YORK, 2026, 12, 24, 8), "en", 24, "on 24 December at 8:00"),
        (_local(NEW_YORK, 2027, 11, 25, 8), "en", 24, "on 25 November at 8:00"),
        (_local(NEW_YORK, 2027, 11, 26, 8), "en", 24, "on 26 November 2027 at 8:00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "de", 24, "morgen um 8:00"),
        (_local(NEW_YORK, 2026, 11, 26, 19), "de", 24, "heute um 19:00"),
        (_local(NEW_YORK, 2026, 11, 30, 8), "de", 24, "am Montag um 8:00"),
        (_local(NEW_YORK, 2026, 12, 24, 8), "de", 24, "am 24. Dezember um 8:00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "fr", 24, "demain à 8h00"),
        (_local(NEW_YORK, 2026, 11, 26, 19), "fr", 24, "aujourd'hui à 19h00"),
        (_local(NEW_YORK, 2026, 11, 30, 8), "fr", 24, "lundi à 8h00"),
        (_local(NEW_YORK, 2026, 12, 1, 8), "fr", 24, "mardi à 8h00"),
        (_local(NEW_YORK, 2027, 1, 1, 8), "fr", 24, "le 1er janvier à 8h00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "es", 24, "mañana a las 8:00"),
        (_local(NEW_YORK, 2026, 11, 27, 13), "es", 12, "mañana a la 1:00 p. m."),
        (_local(NEW_YORK, 2026, 12, 24, 8), "es", 24, "el 24 de diciembre a las 8:00"),
        (_local(NEW_YORK, 2026, 11, 30, 8), "es", 24, "el lunes a las 8:00"),
        (_local(NEW_YORK, 2026, 11, 30, 8), "nl", 24, "op maandag om 8:00"),
        (_local(NEW_YORK, 2026, 12, 24, 8), "nl", 24, "op 24 december om 8:00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "de-CH", 24, "morgen um 8:00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "en_GB", 24, "tomorrow at 8:00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "it", 24, "tomorrow at 8:00"),
        (_local(NEW_YORK, 2026, 11, 27, 8), "", 24, "tomorrow at 8:00"),
    ],
)
def test_next_open_is_described_in_the_callers_words(
    when: datetime, language: str, hour_format: HourFormat, expected: str
) -> None:
    assert describe_next_open(when, NOW, NEW_YORK, language, hour_format) == expected


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "nl"])
def test_every_language_names_each_weekday_and_month(language: str) -> None:
    weekdays = {
        describe_next_open(
            NOW + timedelta(days=days + 2),
            NOW + timedelta(days=days),
            NEW_YORK,
            language,
            24,
        )
        for days in range(7)
    }
    months = {
        describe_next_open(
            _local(NEW_YORK, 2027, month, 15, 8), NOW, NEW_YORK, language, 24
        )
        for month in range(1, 13)
    }
    assert len(weekdays) == 7
    assert len(months) == 12


def test_days_count_by_local_date_not_by_utc() -> None:
    late = _local(NEW_YORK, 2026, 11, 26, 23, 30)  # already the 27th in UTC
    tomorrow = _local(NEW_YORK, 2026, 11, 27, 8)
    assert describe_next_open(tomorrow, late, NEW_YORK, "en", 24) == (
        "tomorrow at 8:00"
    )


def test_one_minute_before_midnight_tomorrow_starts_a_minute_later() -> None:
    before = _local(BERLIN, 2026, 11, 26, 23, 59)
    assert describe_next_open(
        _local(BERLIN, 2026, 11, 27, 0, 1), before, BERLIN, "en", 24
    ) == ("tomorrow at 0:01")
    assert describe_next_open(
        _local(BERLIN, 2026, 11, 26, 23, 59, 30), before, BERLIN, "en", 24
    ) == ("today at 23:59")


def test_times_are_told_in_the_business_time_zone() -> None:
    assert describe_next_open(_utc(2026, 11, 27, 13), NOW, NEW_YORK, "en", 24) == (
        "tomorrow at 8:00"
    )


@pytest.mark.parametrize(
    ("country", "expected"),
    [("US", 12), ("us", 12), ("AU", 12), ("IN", 12), ("DE", 24), ("GB", 24)],
)
def test_default_hour_format_follows_the_country(country: str, expected: int) -> None:
    assert default_hour_format(country) == expected


def test_default_hour_format_without_a_country_is_24() -> None:
    assert default_hour_format(None) == 24
    assert default_hour_format("") == 24


# Properties over random schedules, instants and zones.


def _transitions(tz: ZoneInfo) -> list[datetime]:
    """Noon UTC on the day before each offset change in 2025-2028."""
    found: list[datetime] = []
    day = _utc(2025, 1, 1, 12)
    while day.year < 2029:
        if tz.utcoffset(day) != tz.utcoffset(day + timedelta(days=1)):
            found.append(day)
        day += timedelta(days=1)
    return found


TRANSITIONS = {tz: _transitions(tz) for tz in ZONES}
WALL_TIMES = st.one_of(
    st.sampled_from(
        [
            time(0),
            time(0, 30),
            time(1),
            time(1, 30),
            time(2),
            time(2, 15),
            time(2, 30),
            time(3),
            time(8),
            time(12),
            time(22),
            time(23, 30),
        ]
    ),
    st.builds(_minute, st.integers(0, 95).map(lambda quarter: quarter * 15)),
)
INTERVALS = st.builds(Interval, WALL_TIMES, WALL_TIMES)


@st.composite
def moments(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    """Draw a zone and an instant, often within days of a clock change."""
    tz = draw(st.sampled_from(ZONES))
    near = TRANSITIONS[tz]
    by_a_change = draw(st.booleans())
    if near and by_a_change:
        base = draw(st.sampled_from(near))
        offset = timedelta(minutes=draw(st.integers(-2 * 24 * 60, 3 * 24 * 60)))
        return tz, base + offset
    moment = draw(
        st.datetimes(
            datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
            datetime(2028, 12, 31),  # noqa: DTZ001
        )
    )
    return tz, moment.replace(tzinfo=UTC)


@st.composite
def situations(draw: st.DrawFn) -> tuple[WeeklySchedule, ZoneInfo, datetime]:
    """Draw a week (overlaps allowed), closures near the instant, the instant."""
    tz, at = draw(moments())
    days = tuple(tuple(draw(st.lists(INTERVALS, max_size=3))) for _ in range(7))
    today = at.astimezone(tz).date()
    closed = frozenset(
        today + timedelta(days=offset)
        for offset in draw(st.sets(st.integers(-2, 9), max_size=5))
    )
    return WeeklySchedule(days, closed), tz, at


def _open_by_brute_force(schedule: WeeklySchedule, at: datetime, tz: ZoneInfo) -> bool:
    """Whether any interval starting within a few days of `at` covers it."""
    today = at.astimezone(tz).date()
    for offset in range(-3, 2):
        day = today + timedelta(days=offset)
        if day in schedule.closed_dates:
            continue
        for interval in schedule.days[day.weekday()]:
            end_day = day + timedelta(days=interval.crosses_midnight)
            start = _instant(day, interval.start, tz)
            if start <= at < _instant(end_day, interval.end, tz):
                return True
    return False


@settings(max_examples=200, deadline=None)
@given(situations(), st.lists(st.floats(0, 1, exclude_max=True), max_size=3))
def test_open_state_holds_until_next_change_and_flips_there(
    situation: tuple[WeeklySchedule, ZoneInfo, datetime], fractions: list[float]
) -> None:
    schedule, tz, at = situation
    state = open_state(schedule, at, tz)
    assert (
        state.is_open
        == is_open(schedule, at, tz)
        == _open_by_brute_force(schedule, at, tz)
    )
    change = state.next_change
    if change is None:
        return
    assert change > at
    for fraction in fractions:
        # timedelta * float rounds to the microsecond, possibly up to `change`.
        inside = min(at + (change - at) * fraction, change - MICROSECOND)
        assert is_open(schedule, inside, tz) == state.is_open
    assert is_open(schedule, change - MICROSECOND, tz) == state.is_open
    assert is_open(schedule, change, tz) != state.is_open


@settings(max_examples=200, deadline=None)
@given(situations())
def test_next_open_and_next_close_follow_the_state(
    situation: tuple[WeeklySchedule, ZoneInfo, datetime],
) -> None:
    schedule, tz, at = situation
    state = open_state(schedule, at, tz)
    if state.is_open:
        assert state.next_close == state.next_change
        if state.next_close is not None:
            assert not is_open(schedule, state.next_close, tz)
        if state.next_open is not None:
            assert state.next_close is not None
            assert state.next_open > state.next_close
            assert is_open(schedule, state.next_open, tz)
    else:
        assert state.next_open == state.next_change
        if state.next_open is not None:
            assert is_open(schedule, state.next_open, tz)
            assert not is_open(schedule, state.next_open - MICROSECOND, tz)
        if state.next_close is not None:
            assert state.next_open is not None
            assert state.next_close > state.next_open


@settings(max_examples=200, deadline=None)
@given(moments(), WALL_TIMES, WALL_TIMES)
def test_quiet_hours_end_is_the_first_instant_outside_them(
    moment: tuple[ZoneInfo, datetime], start: time, end: time
) -> None:
    tz, at = moment
    quiet = QuietHours(start, end)
    ends = quiet_hours_end(quiet, at, tz)
    assert not in_quiet_hours(quiet, ends, tz)
    if in_quiet_hours(quiet, at, tz):
        assert ends > at
        assert in_quiet_hours(quiet, ends - MICROSECOND, tz)
    else:
        assert ends == at


@settings(max_examples=200, deadline=None)
@given(moments(), WALL_TIMES)
def test_boundary_is_the_first_instant_the_wall_clock_reaches_it(
    moment: tuple[ZoneInfo, datetime], wall: time
) -> None:
    tz, at = moment
    day = at.astimezone(tz).date()
    instant = _instant(day, wall, tz)
    target = datetime.combine(day, wall)
    assert instant.tzinfo is UTC
    assert instant.astimezone(tz).replace(tzinfo=None) >= target
    # Clocks move by at most an hour here, so an earlier passage of the
    # target (a later occurrence returned by mistake) shows within 3 hours.
    for before in [SECOND, *(timedelta(minutes=m) for m in range(5, 181, 5))]:
        assert (instant - before).astimezone(tz).replace(tzinfo=None) < target
