"""The call tracker: call signals in, ended calls with an outcome out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from hypothesis import settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from custom_components.missed_call_textback.calls import (
    MAX_CALLS_IN_PROGRESS,
    CallTracker,
    EndedCall,
    Outcome,
)

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=30)
T2 = T0 + timedelta(minutes=1)
A = "+16502530000"
B = "+12125550123"


def _tracker() -> CallTracker:
    """Return a tracker whose call ids are call1, call2, ... in creation order."""
    ids = count(1)
    return CallTracker(lambda: f"call{next(ids)}")


def test_call_that_rings_and_ends_unanswered_is_missed() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, "Jordan", T0)
    assert tracker.in_progress == 1
    assert tracker.all_ended(T1) == [
        EndedCall(
            call_id="call1",
            number=A,
            caller_name="Jordan",
            started_at=T0,
            ended_at=T1,
            outcome=Outcome.MISSED,
        )
    ]
    assert tracker.in_progress == 0


def test_call_answered_by_a_person_ends_answered() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.answered(key="a")
    [call] = tracker.all_ended(T1)
    assert call.outcome is Outcome.ANSWERED
    assert call.call_id == "call1"


def test_call_answered_by_an_answering_machine_ends_in_voicemail() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.answered(key="a", voicemail=True)
    [call] = tracker.all_ended(T1)
    assert call.outcome is Outcome.VOICEMAIL


def test_repeated_ringing_for_one_call_updates_it_without_duplicating() -> None:
    tracker = _tracker()
    # A modem's first ring often comes before the caller ID.
    tracker.ringing("a", None, None, T0)
    tracker.ringing("a", A, "Jordan", T1)
    assert tracker.in_progress == 1
    assert tracker.all_ended(T2) == [
        EndedCall(
            call_id="call1",
            number=A,
            caller_name="Jordan",
            started_at=T0,
            ended_at=T2,
            outcome=Outcome.MISSED,
        )
    ]


def test_repeated_ringing_without_number_or_name_keeps_what_was_known() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, "Jordan", T0)
    tracker.ringing("a", "", "", T1)
    tracker.ringing("a", None, None, T1)
    [call] = tracker.all_ended(T2)
    assert (call.number, call.caller_name) == (A, "Jordan")


def test_empty_caller_name_is_reported_as_none() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, "", T0)
    [call] = tracker.all_ended(T1)
    assert call.caller_name is None


def test_number_is_reported_exactly_as_the_source_gave_it() -> None:
    # Normalizing is phone.py's job; the tracker keeps ints (templated numbers).
    tracker = _tracker()
    tracker.ringing("a", 16502530000, None, T0)
    [call] = tracker.all_ended(T1)
    assert call.number == 16502530000


def test_outgoing_calls_are_never_reported() -> None:
    tracker = _tracker()
    tracker.outgoing("out1", A, T0)
    tracker.outgoing("out2", B, T0)
    tracker.answered(key="out1")
    assert tracker.ended("out1", T1) == []
    assert tracker.all_ended(T2) == []
    assert tracker.in_progress == 0


def test_answered_finds_the_call_by_key_before_number() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.ringing("b", B, None, T0)
    # The key wins even though the number names the other call.
    tracker.answered(key="a", number=B)
    assert [(c.number, c.outcome) for c in tracker.all_ended(T1)] == [
        (A, Outcome.ANSWERED),
        (B, Outcome.MISSED),
    ]


def test_answered_finds_the_call_by_number_when_the_key_is_unknown() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.ringing("b", B, None, T0)
    tracker.answered(key="nope", number=A)
    assert [(c.number, c.outcome) for c in tracker.all_ended(T1)] == [
        (A, Outcome.ANSWERED),
        (B, Outcome.MISSED),
    ]


def test_answered_matches_numbers_as_text() -> None:
    # A source may report the caller as an int and the answered party as text.
    tracker = _tracker()
    tracker.ringing("a", 16502530000, None, T0)
    tracker.ringing("b", B, None, T0)
    tracker.answered(number="16502530000")
    assert [c.outcome for c in tracker.all_ended(T1)] == [
        Outcome.ANSWERED,
        Outcome.MISSED,
    ]


def test_answered_without_a_match_takes_the_newest_unanswered_call() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.ringing("b", B, None, T0)
    tracker.ringing("c", "+13125550199", None, T0)
    tracker.answered(number="+19998887777")
    tracker.answered()
    assert [c.outcome for c in tracker.all_ended(T1)] == [
        Outcome.MISSED,
        Outcome.ANSWERED,
        Outcome.ANSWERED,
    ]


def test_answered_by_number_skips_calls_already_answered() -> None:
    tracker = _tracker()
    tracker.ringing("a1", A, None, T0)
    tracker.answered(key="a1")
    # The same caller rings again on another connection while still talking.
    tracker.ringing("a2", A, None, T1)
    tracker.ringing("b", B, None, T1)
    tracker.answered(number=A)
    assert [(c.call_id, c.outcome) for c in tracker.all_ended(T2)] == [
        ("call1", Outcome.ANSWERED),
        ("call2", Outcome.ANSWERED),
        ("call3", Outcome.MISSED),
    ]


def test_answered_with_an_empty_number_takes_the_newest_unanswered_call() -> None:
    tracker = _tracker()
    tracker.ringing("a", "", None, T0)
    tracker.ringing("b", B, None, T0)
    tracker.answered(number="")
    assert [c.outcome for c in tracker.all_ended(T1)] == [
        Outcome.MISSED,
        Outcome.ANSWERED,
    ]


def test_answered_with_no_call_waiting_changes_nothing() -> None:
    tracker = _tracker()
    tracker.answered(number=A)
    assert tracker.in_progress == 0
    tracker.ringing("a", A, None, T0)
    tracker.answered(key="a")
    # Nothing is left to answer: the second answer must not flip the first.
    tracker.answered(number=B, voicemail=True)
    [call] = tracker.all_ended(T1)
    assert call.outcome is Outcome.ANSWERED


def test_outgoing_call_answered_by_number_leaves_the_ringing_call_missed() -> None:
    tracker = _tracker()
    tracker.outgoing("out", A, T0)
    tracker.ringing("in", B, None, T0)
    # Matched by number: the outgoing call is answered, the incoming one missed.
    tracker.answered(number=A)
    assert [(c.number, c.outcome) for c in tracker.all_ended(T1)] == [
        (B, Outcome.MISSED)
    ]


def test_ended_reports_only_that_call() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.ringing("b", B, None, T0)
    [call] = tracker.ended("a", T1)
    assert (call.call_id, call.number, call.ended_at) == ("call1", A, T1)
    assert tracker.in_progress == 1
    assert tracker.ended("a", T2) == []
    [rest] = tracker.all_ended(T2)
    assert rest.call_id == "call2"


def test_ended_for_an_unknown_key_reports_nothing() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    assert tracker.ended("zzz", T1) == []
    assert tracker.in_progress == 1


def test_all_ended_reports_calls_in_the_order_they_rang() -> None:
    tracker = _tracker()
    for key in ("c", "a", "b"):
        tracker.ringing(key, key, None, T0)
    assert [c.number for c in tracker.all_ended(T1)] == ["c", "a", "b"]
    assert tracker.all_ended(T2) == []


def test_a_key_reused_after_its_call_ended_is_a_new_call() -> None:
    tracker = _tracker()
    tracker.ringing("modem", A, None, T0)
    tracker.answered(key="modem")
    tracker.all_ended(T1)
    tracker.ringing("modem", B, None, T2)
    [call] = tracker.all_ended(T2)
    assert (call.call_id, call.number, call.outcome, call.started_at) == (
        "call2",
        B,
        Outcome.MISSED,
        T2,
    )


def test_calls_beyond_the_bound_forget_the_oldest() -> None:
    tracker = _tracker()
    for i in range(MAX_CALLS_IN_PROGRESS + 1):
        tracker.ringing(f"k{i}", f"n{i}", None, T0 + timedelta(seconds=i))
    assert tracker.in_progress == MAX_CALLS_IN_PROGRESS
    ended = tracker.all_ended(T2)
    assert [c.number for c in ended] == [
        f"n{i}" for i in range(1, MAX_CALLS_IN_PROGRESS + 1)
    ]


def test_repeated_ringing_at_the_bound_forgets_nothing() -> None:
    tracker = _tracker()
    for i in range(MAX_CALLS_IN_PROGRESS):
        tracker.ringing(f"k{i}", f"n{i}", None, T0)
    tracker.ringing("k0", "n0", "Jordan", T1)
    assert tracker.in_progress == MAX_CALLS_IN_PROGRESS
    ended = tracker.all_ended(T2)
    assert len(ended) == MAX_CALLS_IN_PROGRESS
    assert (ended[0].number, ended[0].caller_name) == ("n0", "Jordan")


def test_oldest_call_is_forgotten_by_when_it_rang_not_by_its_key() -> None:
    tracker = _tracker()
    for i in reversed(range(MAX_CALLS_IN_PROGRESS)):
        tracker.ringing(f"k{i:02d}", f"n{i}", None, T0)
    # k31 rang first, so it goes, although k00 sorts first.
    tracker.ringing("new", "new", None, T1)
    numbers = [c.number for c in tracker.all_ended(T2)]
    assert "n31" not in numbers
    assert numbers[0] == "n30"
    assert numbers[-1] == "new"


KEYS = st.sampled_from(["a", "b", "c", "d"])
NUMBERS = st.sampled_from([None, "", A, B, 16502530000])


class CallSignals(RuleBasedStateMachine):
    """Any sequence of signals: each ringing call is reported at most once.

    Four keys keep the bound out of reach, so every call that rang and was not
    ended by key is reported by the next all_ended, exactly once.
    """

    def __init__(self) -> None:
        """Start with an empty tracker and a record of the calls it made."""
        super().__init__()
        self.created: list[str] = []
        ids = count(1)

        def new_call_id() -> str:
            self.created.append(f"call{next(ids)}")
            return self.created[-1]

        self.tracker = CallTracker(new_call_id)
        self.now = T0
        # key -> (call id, incoming) of the calls in progress, as seen from outside.
        self.live: dict[str, tuple[str, bool]] = {}
        self.reported: list[str] = []

    def _tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def _started(self, key: str, *, incoming: bool) -> None:
        if key not in self.live:
            self.live[key] = (self.created[-1], incoming)

    def _record(self, ended: list[EndedCall]) -> list[str]:
        ids = [call.call_id for call in ended]
        self.reported.extend(ids)
        for call in ended:
            assert call.ended_at == self.now
            assert call.started_at <= call.ended_at
        return ids

    @rule(key=KEYS, number=NUMBERS, name=st.sampled_from([None, "", "Jordan"]))
    def ring(self, key: str, number: object, name: str | None) -> None:
        """Ring an incoming call (again, if the key is in progress)."""
        self.tracker.ringing(key, number, name, self._tick())
        self._started(key, incoming=True)

    @rule(key=KEYS, number=NUMBERS)
    def dial(self, key: str, number: object) -> None:
        """Start an outgoing call."""
        self.tracker.outgoing(key, number, self._tick())
        self._started(key, incoming=False)

    @rule(
        key=st.none() | KEYS,
        number=NUMBERS,
        voicemail=st.booleans(),
    )
    def answer(self, key: str | None, number: object, voicemail: bool) -> None:
        """Answer some call; which one does not change what is reported."""
        self.tracker.answered(key=key, number=number, voicemail=voicemail)

    @rule(key=KEYS)
    def end_one(self, key: str) -> None:
        """One call ends: reported only if it is an incoming call in progress."""
        ids = self._record(self.tracker.ended(key, self._tick()))
        call = self.live.pop(key, None)
        expected = [call[0]] if call is not None and call[1] else []
        assert ids == expected

    @precondition(lambda self: bool(self.live))
    @rule()
    def end_all(self) -> None:
        """Go idle: report every incoming call in progress, in ring order."""
        ids = self._record(self.tracker.all_ended(self._tick()))
        assert ids == [call_id for call_id, incoming in self.live.values() if incoming]
        self.live.clear()
        assert self.tracker.in_progress == 0
        assert self.tracker.all_ended(self.now) == []

    @invariant()
    def each_call_is_reported_at_most_once(self) -> None:
        """No call id is reported twice."""
        assert len(self.reported) == len(set(self.reported))

    @invariant()
    def tracker_holds_exactly_the_calls_in_progress(self) -> None:
        """Hold the calls started and not ended, each with its own id."""
        assert self.tracker.in_progress == len(self.live)
        assert len(self.created) == len(set(self.created))

    def teardown(self) -> None:
        """End with the line going idle: it empties the tracker."""
        self.now += timedelta(seconds=1)
        ids = self._record(self.tracker.all_ended(self.now))
        assert ids == [call_id for call_id, incoming in self.live.values() if incoming]
        assert self.tracker.in_progress == 0
        assert len(self.reported) == len(set(self.reported))


def test_any_signal_sequence_reports_each_incoming_call_once() -> None:
    run_state_machine_as_test(
        CallSignals, settings=settings(max_examples=100, stateful_step_count=30)
    )


# --- a busy line and callbacks ---------------------------------------------------


def test_a_call_on_a_free_line_was_not_missed_while_busy() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    (ended,) = tracker.all_ended(T1)
    assert ended.while_busy is False


def test_a_call_ringing_during_a_conversation_was_missed_while_busy() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.answered(key="a")
    tracker.ringing("b", B, None, T1)
    missed = [call for call in tracker.all_ended(T2) if call.outcome is Outcome.MISSED]
    assert [(call.number, call.while_busy) for call in missed] == [(B, True)]


def test_a_call_ringing_when_another_is_picked_up_was_missed_while_busy() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.ringing("b", B, None, T0)
    tracker.answered(key="b")
    ended = {call.number: call for call in tracker.all_ended(T2)}
    assert ended[A].outcome is Outcome.MISSED
    assert ended[A].while_busy is True


def test_an_answering_machine_does_not_make_the_line_busy() -> None:
    tracker = _tracker()
    tracker.ringing("a", A, None, T0)
    tracker.answered(key="a", voicemail=True)
    tracker.ringing("b", B, None, T1)
    ended = {call.number: call for call in tracker.all_ended(T2)}
    assert ended[B].while_busy is False


def test_a_call_ringing_while_the_owner_dials_out_was_missed_while_busy() -> None:
    tracker = _tracker()
    tracker.outgoing("out", B, T0)
    tracker.ringing("a", A, None, T1)
    (ended,) = tracker.all_ended(T2)
    assert ended.while_busy is True


def test_each_new_outgoing_call_is_reported_once_with_its_number() -> None:
    placed: list[tuple[object, datetime]] = []
    tracker = CallTracker(
        lambda: "id", on_outgoing=lambda n, at: placed.append((n, at))
    )
    tracker.outgoing("out", A, T0)
    tracker.outgoing("out", A, T1)  # the same call signalled again
    tracker.outgoing("anon", None, T1)  # a call without a number says nothing
    assert placed == [(A, T0)]
