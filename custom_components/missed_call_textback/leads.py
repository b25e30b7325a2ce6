"""Leads: every texted caller is owed a follow-up by the promised time.

Pure bookkeeping over plain data (time is passed in): open leads with their
deadlines, how they were resolved, and the statistics the analytics sensors
show. The line persists it through its ledger and sets the timers.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from math import isfinite
from operator import attrgetter
from typing import Any

# Open leads kept at most (as many as the line's history); beyond it the one
# due first is dropped unresolved.
MAX_OPEN_LEADS = 200
# Replies kept per texted call (the newest win) and characters kept of each: a
# chatty caller or a long message cannot grow the line's file without bound.
MAX_REPLIES_PER_CALL = 20
MAX_REPLY_CHARS = 500
# Medians are taken over the newest this many measurements.
DURATION_WINDOW = 200
# Rows kept of leads no longer listed, before they are dropped (rows()).
ROWS_KEPT_UNLISTED = 16

_due = attrgetter("due_at")


class Resolution(StrEnum):
    """How a lead was followed up."""

    CALLED_BACK = "called_back"
    ANSWERED = "answered"
    MANUAL = "manual"


@dataclass(slots=True, kw_only=True)
class Lead:
    """A texted caller waiting for the owner's follow-up."""

    call_id: str
    number: str
    caller_name: str | None
    variant: str
    missed_at: datetime
    texted_at: datetime
    due_at: datetime
    reminded: bool = False
    replies: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the lead as stored (ISO times)."""
        data = asdict(self)
        for key in ("missed_at", "texted_at", "due_at"):
            data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lead:
        """Read a stored lead."""
        return cls(
            call_id=data["call_id"],
            number=data["number"],
            caller_name=data.get("caller_name"),
            variant=data.get("variant", "a"),
            missed_at=datetime.fromisoformat(data["missed_at"]),
            texted_at=datetime.fromisoformat(data["texted_at"]),
            due_at=datetime.fromisoformat(data["due_at"]),
            reminded=bool(data.get("reminded", False)),
            replies=list(data.get("replies", [])),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """A lead that was followed up."""

    lead: Lead
    resolved_at: datetime
    resolution: Resolution

    @property
    def within_promise(self) -> bool:
        """Return whether the follow-up came by the promised time."""
        return self.resolved_at <= self.lead.due_at

    @property
    def took(self) -> timedelta:
        """Return the time from the text to the follow-up."""
        return self.resolved_at - self.lead.texted_at


@dataclass(slots=True)
class Tally:
    """Counts of one variant (or of the whole line)."""

    texts: int = 0
    replied: int = 0
    resolved: int = 0
    resolved_in_time: int = 0

    @property
    def reply_rate(self) -> float | None:
        """Return the share of texted callers who replied, in percent."""
        return round(100 * self.replied / self.texts, 1) if self.texts else None

    @property
    def in_time_rate(self) -> float | None:
        """Return the share of texted callers followed up in time, in percent."""
        return (
            round(100 * self.resolved_in_time / self.texts, 1) if self.texts else None
        )


class Window:
    """The newest measurements (at most size), also kept sorted for the median."""

    def __init__(self, size: int) -> None:
        """Start empty."""
        self._size = size
        self._order: deque[float] = deque()
        self._sorted: list[float] = []

    def append(self, value: float) -> None:
        """Add a measurement; past the size the oldest one goes."""
        if len(self._order) >= self._size:
            oldest = self._order.popleft()
            del self._sorted[bisect_left(self._sorted, oldest)]
        self._order.append(value)
        insort(self._sorted, value)

    def extend(self, values: Iterable[float]) -> None:
        """Add measurements, oldest first."""
        for value in values:
            self.append(value)

    def median(self) -> float | None:
        """Return the median (as statistics.median), None when empty."""
        count = len(self._sorted)
        if not count:
            return None
        middle = count // 2
        if count % 2:
            return self._sorted[middle]
        return (self._sorted[middle - 1] + self._sorted[middle]) / 2

    def __iter__(self) -> Iterator[float]:
        """Iterate oldest first (as stored)."""
        return iter(self._order)

    def __len__(self) -> int:
        """Return how many measurements are kept."""
        return len(self._order)


class LeadBook:
    """Open leads and the line's conversion statistics."""

    def __init__(self) -> None:
        """Start empty; load() restores a stored book."""
        self.open: dict[str, Lead] = {}
        self.total = Tally()
        self.variants: dict[str, Tally] = {}
        self.replies = 0
        self._to_text = Window(DURATION_WINDOW)
        self._to_follow_up = Window(DURATION_WINDOW)
        # The open leads by deadline, rebuilt only after a change: the entities
        # read it on every update of the line.
        self._sorted: list[Lead] | None = None
        # Counts every change of the open leads, for memo().
        self.version = 0
        self._memo: dict[str, tuple[int, int, Any]] = {}
        # Rendered rows of listed leads, per list (rows()).
        self._rows: dict[str, dict[str, tuple[Lead, object, Any]]] = {}

    # --- queries -----------------------------------------------------------

    def sorted_open(self) -> list[Lead]:
        """Return the open leads, the most urgent first."""
        if self._sorted is None:
            self._sorted = sorted(self.open.values(), key=_due)
        return self._sorted

    def overdue(self, now: datetime) -> list[Lead]:
        """Return the open leads whose deadline has come."""
        leads = self.sorted_open()
        return leads[: bisect_right(leads, now, key=lambda lead: lead.due_at)]

    def next_moment(self, now: datetime, remind_before: timedelta) -> datetime | None:
        """Return the next reminder or deadline of an open lead after now."""
        leads = self.sorted_open()
        upcoming = leads[bisect_right(leads, now, key=lambda lead: lead.due_at) :]
        deadline = upcoming[0].due_at if upcoming else None
        # Reminders keep the deadlines' order: the first one still ahead wins.
        reminder = next(
            (
                lead.due_at - remind_before
                for lead in upcoming
                if not lead.reminded and lead.due_at - remind_before > now
            ),
            None,
        )
        return min((m for m in (deadline, reminder) if m is not None), default=None)

    def due_reminders(self, now: datetime, remind_before: timedelta) -> list[Lead]:
        """Return the leads whose reminder is due now (by their deadline)."""
        leads = self.sorted_open()
        start = bisect_right(leads, now, key=lambda lead: lead.due_at)
        # Deadlines at exactly now still get their reminder (0 minutes before).
        while start > 0 and leads[start - 1].due_at == now:
            start -= 1
        due: list[Lead] = []
        for lead in leads[start:]:
            if lead.due_at - remind_before > now:
                break  # sorted by deadline: the later ones are not due either
            if not lead.reminded:
                due.append(lead)
        return due

    def memo[T](self, name: str, count: int, build: Callable[[], T]) -> T:
        """Return what build made for this state of the leads, building it once."""
        cached = self._memo.get(name)
        if cached is not None and cached[:2] == (self.version, count):
            value: T = cached[2]
            return value
        value = build()
        self._memo[name] = (self.version, count, value)
        return value

    def rows[T](
        self, name: str, leads: list[Lead], build: Callable[[Lead], T]
    ) -> list[T]:
        """Return build(lead) for each lead, reusing a lead's row until it changes.

        A lead changes only by a reply, which appends a new entry to its
        replies (its last entry is then another object). Rows of leads no
        longer listed are dropped once they outnumber the listed ones.
        """
        cached = self._rows.setdefault(name, {})
        result: list[T] = []
        for lead in leads:
            last = lead.replies[-1] if lead.replies else None
            row = cached.get(lead.call_id)
            if row is None or row[0] is not lead or row[1] is not last:
                row = cached[lead.call_id] = (lead, last, build(lead))
            result.append(row[2])
        if len(cached) > 2 * len(leads) + ROWS_KEPT_UNLISTED:
            listed = {lead.call_id for lead in leads}
            for call_id in [key for key in cached if key not in listed]:
                del cached[call_id]
        return result

    @property
    def median_to_text(self) -> float | None:
        """Return the median seconds from a missed call to its text."""
        value = self._to_text.median()
        return None if value is None else round(value, 1)

    @property
    def median_to_follow_up(self) -> float | None:
        """Return the median minutes from a text to its follow-up."""
        value = self._to_follow_up.median()
        return None if value is None else round(value / 60, 1)

    # --- changes -----------------------------------------------------------

    def add(self, lead: Lead) -> None:
        """Open a lead for a text that went out."""
        self.version += 1
        known = lead.call_id in self.open
        self.open[lead.call_id] = lead
        # The sorted list is updated, not sorted again: a text at the cap
        # costs an insertion and the drop of the lead due first. A new list,
        # as a caller may still hold the last one.
        leads = None if known or self._sorted is None else [*self._sorted]
        if leads is not None:
            insort(leads, lead, key=_due)
        while len(self.open) > MAX_OPEN_LEADS:
            if leads is None:
                leads = sorted(self.open.values(), key=_due)
            del self.open[leads.pop(0).call_id]
        self._sorted = leads
        self.total.texts += 1
        self.variants.setdefault(lead.variant, Tally()).texts += 1
        self._to_text.append((lead.texted_at - lead.missed_at).total_seconds())

    def reply(self, number: str, text: str, at: datetime) -> Lead | None:
        """Attach a reply to the newest open lead of the number."""
        self.replies += 1
        leads = [lead for lead in self.open.values() if lead.number == number]
        if not leads:
            return None
        lead = max(leads, key=lambda candidate: candidate.texted_at)
        self.version += 1
        if not lead.replies:
            self.total.replied += 1
            self.variants.setdefault(lead.variant, Tally()).replied += 1
        lead.replies.append({"at": at.isoformat(), "text": text[:MAX_REPLY_CHARS]})
        del lead.replies[:-MAX_REPLIES_PER_CALL]
        return lead

    def resolve_number(
        self, number: str, at: datetime, resolution: Resolution
    ) -> list[Resolved]:
        """Resolve every open lead of a number."""
        return self._resolve(
            [lead for lead in self.open.values() if lead.number == number],
            at,
            resolution,
        )

    def resolve_call(
        self, call_id: str, at: datetime, resolution: Resolution
    ) -> list[Resolved]:
        """Resolve the lead of one call."""
        lead = self.open.get(call_id)
        return self._resolve([lead] if lead else [], at, resolution)

    def _resolve(
        self, leads: Iterable[Lead], at: datetime, resolution: Resolution
    ) -> list[Resolved]:
        resolved: list[Resolved] = []
        self._sorted = None
        self.version += 1
        for lead in list(leads):
            del self.open[lead.call_id]
            done = Resolved(lead=lead, resolved_at=at, resolution=resolution)
            for tally in (self.total, self.variants.setdefault(lead.variant, Tally())):
                tally.resolved += 1
                tally.resolved_in_time += done.within_promise
            self._to_follow_up.append(max(done.took.total_seconds(), 0.0))
            resolved.append(done)
        return resolved

    # --- storage -----------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return the book as stored."""
        return {
            "open": [lead.as_dict() for lead in self.open.values()],
            "total": asdict(self.total),
            "variants": {key: asdict(tally) for key, tally in self.variants.items()},
            "replies": self.replies,
            "to_text": list(self._to_text),
            "to_follow_up": list(self._to_follow_up),
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore a stored book (missing keys keep their defaults)."""
        self._sorted = None
        self.version += 1
        for stored in data.get("open", []):
            lead = Lead.from_dict(stored)
            self.open[lead.call_id] = lead
        self.total = Tally(**data.get("total", {}))
        self.variants = {
            key: Tally(**tally) for key, tally in data.get("variants", {}).items()
        }
        self.replies = int(data.get("replies", 0))
        self._to_text.extend(_durations(data.get("to_text", [])))
        self._to_follow_up.extend(_durations(data.get("to_follow_up", [])))


def _durations(stored: Iterable[Any]) -> list[float]:
    """Read stored durations; a value that is not a finite number is left out."""
    return [value for value in map(float, stored) if isfinite(value)]
