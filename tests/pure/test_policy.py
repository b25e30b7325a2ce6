"""policy.decide: whether a missed caller is texted, and if not, why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.missed_call_textback.const import Mode, QuietAction, SkipReason
from custom_components.missed_call_textback.phone import PhoneNumber, normalize_number
from custom_components.missed_call_textback.policy import (
    Facts,
    Rules,
    Send,
    Skip,
    decide,
    home_countries,
)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
NUMBER = PhoneNumber("+16502530000", "US")
DAY = timedelta(hours=24)
NUMBER_PROBLEMS = (
    SkipReason.ANONYMOUS,
    SkipReason.INVALID_NUMBER,
    SkipReason.SHORT_CODE,
)


def _decide(
    *,
    number: PhoneNumber | SkipReason = NUMBER,
    enabled: bool = True,
    already_handled: bool = False,
    last_texted_at: datetime | None = None,
    cooldown: timedelta = DAY,
    ring_time: timedelta | None = None,
    **rules_and_facts: object,
) -> Send | Skip:
    fact_keys = {"opted_out", "sent_last_hour", "sent_last_day"}
    return decide(
        number=number,
        enabled=enabled,
        rules=Rules(
            cooldown=cooldown,
            **{k: v for k, v in rules_and_facts.items() if k not in fact_keys},  # type: ignore[arg-type]
        ),
        facts=Facts(
            already_handled=already_handled,
            last_texted_at=last_texted_at,
            **{k: v for k, v in rules_and_facts.items() if k in fact_keys},  # type: ignore[arg-type]
        ),
        ring_time=ring_time,
        now=NOW,
    )


def test_new_caller_on_an_enabled_line_is_texted() -> None:
    assert _decide() == Send(NUMBER)


def test_handled_call_is_a_duplicate_whatever_else_is_wrong() -> None:
    assert _decide(
        number=SkipReason.ANONYMOUS,
        enabled=False,
        already_handled=True,
        last_texted_at=NOW,
    ) == Skip(SkipReason.DUPLICATE)


def test_handled_call_with_a_good_number_is_a_duplicate() -> None:
    assert _decide(already_handled=True) == Skip(SkipReason.DUPLICATE)


def test_switched_off_line_wins_over_number_problems_and_cooldown() -> None:
    assert _decide(
        number=SkipReason.INVALID_NUMBER, enabled=False, last_texted_at=NOW
    ) == Skip(SkipReason.DISABLED)


def test_switched_off_line_skips_a_good_number() -> None:
    assert _decide(enabled=False) == Skip(SkipReason.DISABLED)


@pytest.mark.parametrize("problem", NUMBER_PROBLEMS)
def test_untextable_number_is_skipped_with_its_reason(problem: SkipReason) -> None:
    assert _decide(number=problem) == Skip(problem)


@pytest.mark.parametrize("problem", NUMBER_PROBLEMS)
def test_number_problem_wins_over_cooldown(problem: SkipReason) -> None:
    assert _decide(number=problem, last_texted_at=NOW) == Skip(problem)


@pytest.mark.parametrize(
    "since",
    [timedelta(0), timedelta(minutes=5), DAY - timedelta(microseconds=1)],
)
def test_number_texted_within_the_cooldown_is_skipped(since: timedelta) -> None:
    assert _decide(last_texted_at=NOW - since) == Skip(SkipReason.COOLDOWN)


def test_cooldown_ends_exactly_at_its_window() -> None:
    assert _decide(last_texted_at=NOW - DAY) == Send(NUMBER)


def test_number_texted_long_ago_is_texted_again() -> None:
    assert _decide(last_texted_at=NOW - 30 * DAY) == Send(NUMBER)


def test_zero_cooldown_texts_every_missed_call() -> None:
    assert _decide(last_texted_at=NOW, cooldown=timedelta(0)) == Send(NUMBER)


def test_text_stamped_in_the_future_keeps_the_number_in_cooldown() -> None:
    # After the clock steps back, leaving the caller alone is the safe side.
    assert _decide(last_texted_at=NOW + timedelta(hours=1)) == Skip(SkipReason.COOLDOWN)


NUMBERS = st.one_of(
    st.sampled_from(
        [
            NUMBER,
            PhoneNumber("+4930901820", "DE"),
            PhoneNumber("+80012345678", None),
        ]
    ),
    st.sampled_from(SkipReason),
)
OFFSETS = st.timedeltas(min_value=-timedelta(days=2), max_value=timedelta(days=40))


@given(
    number=NUMBERS,
    enabled=st.booleans(),
    already_handled=st.booleans(),
    texted_ago=st.none() | OFFSETS,
    cooldown=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=720)),
)
def test_send_only_when_enabled_new_valid_and_outside_cooldown(
    number: PhoneNumber | SkipReason,
    enabled: bool,
    already_handled: bool,
    texted_ago: timedelta | None,
    cooldown: timedelta,
) -> None:
    last_texted_at = None if texted_ago is None else NOW - texted_ago
    decision = decide(
        number=number,
        enabled=enabled,
        rules=Rules(cooldown=cooldown),
        facts=Facts(already_handled=already_handled, last_texted_at=last_texted_at),
        ring_time=None,
        now=NOW,
    )
    outside_cooldown = texted_ago is None or texted_ago >= cooldown
    if already_handled:
        expected: Send | Skip = Skip(SkipReason.DUPLICATE)
    elif not enabled:
        expected = Skip(SkipReason.DISABLED)
    elif isinstance(number, SkipReason):
        expected = Skip(number)
    elif not outside_cooldown:
        expected = Skip(SkipReason.COOLDOWN)
    else:
        expected = Send(number)
    assert decision == expected
    assert isinstance(decision, Send) == (
        enabled
        and not already_handled
        and isinstance(number, PhoneNumber)
        and outside_cooldown
    )


def test_opted_out_caller_is_never_texted() -> None:
    assert _decide(opted_out=True) == Skip(SkipReason.OPTED_OUT)


def test_opt_out_wins_over_every_list_and_timing_rule() -> None:
    assert _decide(
        opted_out=True,
        never_text=("+1650",),
        blocklist=("+1",),
        last_texted_at=NOW,
        hourly_cap=1,
        sent_last_hour=5,
    ) == Skip(SkipReason.OPTED_OUT)


def test_never_text_list_matches_a_whole_number() -> None:
    assert _decide(never_text=("+16502530000",)) == Skip(SkipReason.NEVER_TEXT)
    assert _decide(never_text=("+16502530001",)) == Send(NUMBER)


def test_blocklist_matches_a_prefix() -> None:
    assert _decide(blocklist=("+1650",)) == Skip(SkipReason.BLOCKED)
    assert _decide(blocklist=("+1900", "+44")) == Send(NUMBER)


def test_allowlist_only_mode_texts_only_listed_numbers() -> None:
    assert _decide(allowlist_only=True, allowlist=("+1415",)) == Skip(
        SkipReason.NOT_ALLOWED
    )
    assert _decide(allowlist_only=True, allowlist=("+1650",)) == Send(NUMBER)
    # The list alone does nothing until allowlist-only mode is on.
    assert _decide(allowlist=("+1415",)) == Send(NUMBER)


def test_blocklist_wins_over_the_allowlist() -> None:
    assert _decide(
        blocklist=("+1650",), allowlist_only=True, allowlist=("+1650",)
    ) == Skip(SkipReason.BLOCKED)


def test_one_ring_call_is_skipped_when_a_minimum_ring_is_set() -> None:
    min_ring = timedelta(seconds=4)
    assert _decide(min_ring=min_ring, ring_time=timedelta(seconds=1)) == Skip(
        SkipReason.SHORT_RING
    )
    assert _decide(min_ring=min_ring, ring_time=timedelta(seconds=4)) == Send(NUMBER)
    # A call reported without a ring time (the action) is not judged by it.
    assert _decide(min_ring=min_ring, ring_time=None) == Send(NUMBER)


def test_short_ring_is_off_by_default() -> None:
    assert _decide(ring_time=timedelta(0)) == Send(NUMBER)


@pytest.mark.parametrize(
    ("caps", "sent", "expected"),
    [
        ({"hourly_cap": 20}, {"sent_last_hour": 19}, Send(NUMBER)),
        ({"hourly_cap": 20}, {"sent_last_hour": 20}, Skip(SkipReason.RATE_CAPPED)),
        ({"daily_cap": 100}, {"sent_last_day": 99}, Send(NUMBER)),
        ({"daily_cap": 100}, {"sent_last_day": 100}, Skip(SkipReason.RATE_CAPPED)),
        ({"hourly_cap": 0, "daily_cap": 0}, {"sent_last_day": 10**6}, Send(NUMBER)),
    ],
)
def test_caps_hold_at_their_limit(
    caps: dict[str, int], sent: dict[str, int], expected: Send | Skip
) -> None:
    assert _decide(**caps, **sent) == expected


def test_cooldown_is_reported_before_the_cap() -> None:
    # A caller in cooldown would not have been texted anyway: not the cap's doing.
    assert _decide(last_texted_at=NOW, hourly_cap=1, sent_last_hour=1) == Skip(
        SkipReason.COOLDOWN
    )


# --- scope: mode, hours, busy line ---------------------------------------------


@pytest.mark.parametrize(
    ("mode", "is_open", "expected"),
    [
        (Mode.ALWAYS, True, None),
        (Mode.ALWAYS, False, None),
        (Mode.AFTER_HOURS, True, SkipReason.OPEN),
        (Mode.AFTER_HOURS, False, None),
        (Mode.BUSINESS_HOURS, True, None),
        (Mode.BUSINESS_HOURS, False, SkipReason.CLOSED),
        (Mode.OFF, True, SkipReason.MODE_OFF),
        (Mode.OFF, False, SkipReason.MODE_OFF),
    ],
)
def test_the_mode_limits_texts_to_its_hours(
    mode: Mode, is_open: bool, expected: SkipReason | None
) -> None:
    decision = decide(
        number=NUMBER,
        enabled=True,
        rules=Rules(cooldown=DAY, mode=mode),
        facts=Facts(is_open=is_open),
        ring_time=None,
        now=NOW,
    )
    assert decision == (Send(NUMBER) if expected is None else Skip(expected))


def test_the_switch_wins_over_the_mode() -> None:
    decision = decide(
        number=NUMBER,
        enabled=False,
        rules=Rules(cooldown=DAY, mode=Mode.OFF),
        facts=Facts(),
        ring_time=None,
        now=NOW,
    )
    assert decision == Skip(SkipReason.DISABLED)


def test_the_mode_wins_over_number_problems() -> None:
    decision = decide(
        number=SkipReason.ANONYMOUS,
        enabled=True,
        rules=Rules(cooldown=DAY, mode=Mode.AFTER_HOURS),
        facts=Facts(is_open=True),
        ring_time=None,
        now=NOW,
    )
    assert decision == Skip(SkipReason.OPEN)


@pytest.mark.parametrize(("while_busy", "texted"), [(True, True), (False, False)])
def test_busy_only_texts_only_calls_missed_on_a_busy_line(
    while_busy: bool, texted: bool
) -> None:
    decision = decide(
        number=NUMBER,
        enabled=True,
        rules=Rules(cooldown=DAY, busy_only=True),
        facts=Facts(while_busy=while_busy),
        ring_time=None,
        now=NOW,
    )
    assert decision == (Send(NUMBER) if texted else Skip(SkipReason.NOT_BUSY))


# --- when: delay and quiet hours -------------------------------------------------


def test_a_delay_moves_the_text_later() -> None:
    decision = decide(
        number=NUMBER,
        enabled=True,
        rules=Rules(cooldown=DAY, delay=timedelta(seconds=90)),
        facts=Facts(),
        ring_time=None,
        now=NOW,
    )
    assert decision == Send(NUMBER, NOW + timedelta(seconds=90))


def test_quiet_hours_hold_the_text_until_they_end() -> None:
    end = NOW + timedelta(hours=9)
    decision = decide(
        number=NUMBER,
        enabled=True,
        rules=Rules(cooldown=DAY, delay=timedelta(seconds=90)),
        facts=Facts(quiet_until=end),
        ring_time=None,
        now=NOW,
    )
    assert decision == Send(NUMBER, end)


def test_quiet_hours_skip_the_text_when_the_owner_says_so() -> None:
    decision = decide(
        number=NUMBER,
        enabled=True,
        rules=Rules(cooldown=DAY, quiet_action=QuietAction.SKIP),
        facts=Facts(quiet_until=NOW + timedelta(hours=1)),
        ring_time=None,
        now=NOW,
    )
    assert decision == Skip(SkipReason.QUIET_HOURS)


def test_other_reasons_come_before_quiet_hours() -> None:
    decision = decide(
        number=NUMBER,
        enabled=True,
        rules=Rules(cooldown=DAY, quiet_action=QuietAction.SKIP),
        facts=Facts(quiet_until=NOW + timedelta(hours=1), opted_out=True),
        ring_time=None,
        now=NOW,
    )
    assert decision == Skip(SkipReason.OPTED_OUT)


# --- SMS pumping guard: foreign and paid numbers -------------------------------


def _caller(raw: str, region: str) -> PhoneNumber:
    """Read a caller's number as the line does, typed by phonenumbers."""
    number = normalize_number(raw, region)
    assert isinstance(number, PhoneNumber)
    return number


US_LINE = home_countries("US")
GERMAN_MOBILE = _caller("+49 170 1234567", "US")


def test_a_line_texts_only_its_own_country_by_default() -> None:
    assert frozenset({"US"}) == US_LINE
    assert _decide(number=GERMAN_MOBILE, countries=US_LINE) == Skip(
        SkipReason.FOREIGN_NUMBER
    )


def test_a_country_the_owner_added_is_texted() -> None:
    countries = home_countries("US", ["DE", "ca"])
    assert countries == frozenset({"US", "DE", "CA"})
    assert _decide(number=GERMAN_MOBILE, countries=countries) == Send(GERMAN_MOBILE)


# US numbers are typed "fixed line or mobile": the numbering plan cannot tell.
@pytest.mark.parametrize("raw", ["+1 650 253 0000", "(212) 555-0123"])
def test_a_caller_from_the_lines_own_country_is_texted(raw: str) -> None:
    number = _caller(raw, "US")
    assert _decide(number=number, countries=US_LINE) == Send(number)


def test_the_caribbean_shares_plus_one_but_is_foreign_to_a_us_line() -> None:
    # +1 876 is Jamaica, where many one-ring scams call from.
    jamaica = _caller("(876) 234-5678", "US")
    assert _decide(number=jamaica, countries=US_LINE) == Skip(SkipReason.FOREIGN_NUMBER)


def test_a_non_geographic_number_is_foreign_to_every_line() -> None:
    satellite = _caller("+882 13 000000", "US")
    assert _decide(number=satellite, countries=home_countries("US", ["DE"])) == Skip(
        SkipReason.FOREIGN_NUMBER
    )


@pytest.mark.parametrize(
    ("raw", "region"),
    [("09012 345678", "GB"), ("1-900-234-5678", "US")],
)
def test_premium_rate_numbers_are_skipped_as_paid(raw: str, region: str) -> None:
    assert _decide(
        number=_caller(raw, region), countries=home_countries(region)
    ) == Skip(SkipReason.PAID_NUMBER)


def test_a_paid_number_abroad_is_reported_as_paid() -> None:
    # Adding the country would not get it texted, so that is not the reason.
    assert _decide(number=_caller("+44 901 234 5678", "US"), countries=US_LINE) == Skip(
        SkipReason.PAID_NUMBER
    )


def test_a_paid_number_is_skipped_even_on_a_line_that_texts_every_country() -> None:
    assert _decide(number=_caller("1-800-234-5678", "US")) == Skip(
        SkipReason.PAID_NUMBER
    )


@pytest.mark.parametrize("region", [None, "", "AQ"])
def test_a_line_without_a_numbering_plan_texts_every_country(
    region: str | None,
) -> None:
    countries = home_countries(region, ["DE"])
    assert countries is None
    assert _decide(number=GERMAN_MOBILE, countries=countries) == Send(GERMAN_MOBILE)


def test_the_pumping_guard_comes_after_number_problems_and_before_the_opt_out() -> None:
    assert _decide(number=SkipReason.SHORT_CODE, countries=US_LINE) == Skip(
        SkipReason.SHORT_CODE
    )
    assert _decide(
        number=GERMAN_MOBILE,
        countries=US_LINE,
        opted_out=True,
        never_text=("+49",),
        allowlist_only=True,
        allowlist=("+49",),
    ) == Skip(SkipReason.FOREIGN_NUMBER)
    assert _decide(number=GERMAN_MOBILE, countries=US_LINE, enabled=False) == Skip(
        SkipReason.DISABLED
    )
