"""Per-line call tracker: turns call signals into ended calls with an outcome.

Sources translate whatever they observe (an entity's state, a webhook, a SIP
dialog) into four signals: an incoming call rings, an outgoing call starts, a
call is answered, calls end. The tracker keeps the calls in progress on one
line and, when a call ends, says whether it was missed, reached voicemail or
was answered. It knows nothing about Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# A line never has more calls in progress than this; beyond it the oldest call
# is forgotten so a misbehaving source cannot grow memory without bound.
MAX_CALLS_IN_PROGRESS = 32


class Outcome(StrEnum):
    """How an incoming call ended."""

    MISSED = "missed"
    VOICEMAIL = "voicemail"
    ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class EndedCall:
    """An incoming call that has ended."""

    call_id: str
    number: object
    caller_name: str | None
    started_at: datetime
    ended_at: datetime
    outcome: Outcome
    # Another call on the line was in progress while this one rang.
    while_busy: bool = False


@dataclass(slots=True)
class _Call:
    call_id: str
    incoming: bool
    number: object
    caller_name: str | None
    started_at: datetime
    answered: bool = False
    voicemail: bool = False
    busy: bool = False
    order: int = field(default=0)


class CallTracker:
    """Calls in progress on one line."""

    def __init__(
        self,
        new_call_id: Callable[[], str],
        on_outgoing: Callable[[object, datetime], None] | None = None,
    ) -> None:
        """Initialize the tracker.

        new_call_id makes a unique id per call; on_outgoing hears every new
        outgoing call (the owner calling a number back).
        """
        self._new_call_id = new_call_id
        self._on_outgoing = on_outgoing
        self._calls: dict[str, _Call] = {}
        self._counter = 0

    @property
    def in_progress(self) -> int:
        """Return the number of calls in progress."""
        return len(self._calls)

    def ringing(
        self,
        key: str,
        number: object,
        caller_name: str | None,
        at: datetime,
    ) -> None:
        """Start an incoming call; a repeated signal for the same key updates it."""
        self._start(key, number, caller_name, at, incoming=True)

    def is_new_call(self, key: str, number: object) -> bool:
        """Return whether a ring under key with this number is a call of its own.

        It is when no call runs under the key, the call there was answered
        (a second caller during a conversation), or it has another number.
        """
        call = self._calls.get(key)
        if call is None or call.answered:
            return True
        return (
            number not in (None, "")
            and call.number not in (None, "")
            and (str(call.number) != str(number))
        )

    def outgoing(self, key: str, number: object, at: datetime) -> None:
        """Start an outgoing call, tracked so it is never taken for a missed one."""
        new = key not in self._calls
        self._start(key, number, None, at, incoming=False)
        if new and self._on_outgoing is not None and number not in (None, ""):
            self._on_outgoing(number, at)

    def answered(
        self,
        *,
        key: str | None = None,
        number: object = None,
        voicemail: bool = False,
    ) -> None:
        """Mark a call answered, by a person or by an answering machine.

        The call is found by key, else by number, else it is the newest call
        not yet answered.
        """
        call = self._find(key, number)
        if call is None:
            return
        call.answered = True
        call.voicemail = voicemail
        if not voicemail:
            # Someone is now on the phone: calls still ringing meet a busy line.
            for other in self._calls.values():
                if other is not call and not other.answered:
                    other.busy = True

    def ended(self, key: str, at: datetime) -> list[EndedCall]:
        """One call ended."""
        call = self._calls.pop(key, None)
        if call is None:
            return []
        return self._report([call], at)

    def all_ended(self, at: datetime) -> list[EndedCall]:
        """Every call on the line ended (the source went idle)."""
        calls = sorted(self._calls.values(), key=lambda call: call.order)
        self._calls.clear()
        return self._report(calls, at)

    def _start(
        self,
        key: str,
        number: object,
        caller_name: str | None,
        at: datetime,
        *,
        incoming: bool,
    ) -> None:
        if (call := self._calls.get(key)) is not None:
            if number not in (None, ""):
                call.number = number
            if caller_name:
                call.caller_name = caller_name
            return
        if len(self._calls) >= MAX_CALLS_IN_PROGRESS:
            oldest = min(self._calls, key=lambda k: self._calls[k].order)
            del self._calls[oldest]
        self._counter += 1
        self._calls[key] = _Call(
            call_id=self._new_call_id(),
            incoming=incoming,
            number=number,
            caller_name=caller_name or None,
            started_at=at,
            busy=any(
                (other.answered and not other.voicemail) or not other.incoming
                for other in self._calls.values()
            ),
            order=self._counter,
        )

    def _find(self, key: str | None, number: object) -> _Call | None:
        if key is not None and (call := self._calls.get(key)) is not None:
            return call
        waiting = sorted(
            (call for call in self._calls.values() if not call.answered),
            key=lambda call: call.order,
            reverse=True,
        )
        if number not in (None, ""):
            for call in waiting:
                if str(call.number) == str(number):
                    return call
        return waiting[0] if waiting else None

    @staticmethod
    def _report(calls: list[_Call], at: datetime) -> list[EndedCall]:
        ended: list[EndedCall] = []
        for call in calls:
            if not call.incoming:
                continue
            if not call.answered:
                outcome = Outcome.MISSED
            elif call.voicemail:
                outcome = Outcome.VOICEMAIL
            else:
                outcome = Outcome.ANSWERED
            ended.append(
                EndedCall(
                    call_id=call.call_id,
                    number=call.number,
                    caller_name=call.caller_name,
                    started_at=call.started_at,
                    ended_at=at,
                    outcome=outcome,
                    while_busy=call.busy,
                )
            )
        return ended
