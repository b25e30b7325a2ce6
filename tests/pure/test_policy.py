"""policy.decide: whether a missed caller is texted, and if not, why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.missed_call_textback.const import Mode, QuietAction, SkipReason
from custom_components.missed_call_textback.phone import PhoneNumber
from custom_components.missed_call_textback.policy import (
    Facts,
    Rules,
    Send,
    Skip,
    decide,
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
