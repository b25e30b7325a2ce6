"""policy.decide: whether a missed caller is texted, and if not, why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.missed_call_textback.const import SkipReason
from custom_components.missed_call_textback.phone import PhoneNumber
from custom_components.missed_call_textback.policy import Send, Skip, decide

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
) -> Send | Skip:
    return decide(
        number=number,
        enabled=enabled,
        already_handled=already_handled,
        last_texted_at=last_texted_at,
        cooldown=cooldown,
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
        already_handled=already_handled,
        last_texted_at=last_texted_at,
        cooldown=cooldown,
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
