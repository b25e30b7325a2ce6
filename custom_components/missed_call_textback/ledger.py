"""The line's memory in HA's Store: history, cooldowns, counts and leads."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    HISTORY_CAP,
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
)
from .leads import MAX_REPLIES_PER_CALL, MAX_REPLY_CHARS, LeadBook
from .outbox_file import OutboxFile
from .records import (
    HistoryRecord,
    LineStore,
    OutboxItem,
    StoreWriteError,
    history_from_stored,
    history_to_stored,
    times_from_stored,
    times_to_stored,
)

# The records live in records.py; the stages import them from here.
__all__ = ["SAVE_DELAY", "HistoryRecord", "Ledger", "OutboxItem", "StoreWriteError"]

# Coalesce bursts of bookkeeping into one write; the outbox is saved at once.
SAVE_DELAY = 2.0


class Ledger:
    """Persistent state of one business line."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize the ledger; call async_load before use."""
        self._store = LineStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
        )
        # The texts decided but not sent, in a file of their own.
        self.outbox_file = OutboxFile(hass, entry_id)
        # Read it here; change it only through the methods below, which keep
        # the index of its call ids (is_handled is asked on every call).
        self.history: deque[HistoryRecord] = deque(maxlen=HISTORY_CAP)
        self._history_calls: Counter[str] = Counter()
        self._cooldowns: dict[str, datetime] = {}
        self._day: date | None = None
        self._missed_today = 0
        self._sent_today = 0
        self.last_missed_at: datetime | None = None
        self._opted_out: dict[str, datetime] = {}
        self._hass = hass
        self._save_timer: CALLBACK_TYPE | None = None
        # When texts were decided, for the hourly and daily caps (last 24 h).
        self._sent_times: deque[datetime] = deque()
        # Round-robin position of the message variants.
        self._variant_turn = 0
        # Texted callers owed a follow-up, and the line's conversion figures.
        self.leads = LeadBook()
        self.missed_total = 0
        # The master switch and the mode, known before the line starts (None:
        # never stored, the entities' restored state is taken once).
        self.enabled: bool | None = None
        self.mode: str | None = None
        # When HELP was last answered per number (once a day at most).
        self._help_answered: dict[str, date] = {}
        # Numbers the provider said cannot take texts, with why and when.
        self._not_textable: dict[str, dict[str, str]] = {}
        # Receipts of the line's texts, for the analytics sensors.
        self.delivered_total = 0
        self.undeliverable_total = 0
        # The owner's own number, where the test text goes.
        self.test_number: str | None = None

    async def async_load(self) -> None:
        """Load what an earlier run stored."""
        data = await self._store.async_load() or {}
        for record in history_from_stored(data.get("history", [])):
            self._append_history(record)
        self._cooldowns = times_from_stored(data.get("cooldowns", {}))
        # Before the outbox had its own file it lived in the line's data.
        await self.outbox_file.async_load(data.get("outbox", []))
        counters = data.get("counters", {})
        if (day := counters.get("date")) is not None:
            self._day = date.fromisoformat(day)
            self._missed_today = int(counters.get("missed", 0))
            self._sent_today = int(counters.get("sent", 0))
        if (last := data.get("last_missed_at")) is not None:
            self.last_missed_at = dt_util.parse_datetime(last)
        self._opted_out = times_from_stored(data.get("opted_out", {}))
        self._sent_times.extend(
            parsed
            for when in data.get("sent_times", [])
            if (parsed := dt_util.parse_datetime(when)) is not None
        )
        self._variant_turn = int(data.get("variant_turn", 0))
        self.leads.load(data.get("leads", {}))
        self.missed_total = int(data.get("missed_total", 0))
        self._load_owner_state(data)

    def _load_owner_state(self, data: dict[str, Any]) -> None:
        """Load the master switch, the mode and the HELP answers (minor 3)."""
        if isinstance(enabled := data.get("enabled"), bool):
            self.enabled = enabled
        if isinstance(mode := data.get("mode"), str):
            self.mode = mode
        for number, day in data.get("help_answered", {}).items():
            self._help_answered[number] = date.fromisoformat(day)
        self._load_receipts(data)

    def _load_receipts(self, data: dict[str, Any]) -> None:
        """Load what the provider told of the line's texts (minor 4)."""
        self._not_textable = {
            number: dict(why)
            for number, why in data.get("not_textable", {}).items()
            if isinstance(why, dict)
        }
        self.delivered_total = int(data.get("delivered_total", 0))
        self.undeliverable_total = int(data.get("undeliverable_total", 0))
        if isinstance(number := data.get("test_number"), str):
            self.test_number = number

    async def async_flush(self) -> None:
        """Write pending changes now (the line is unloading or HA stops)."""
        if self._save_timer is not None:
            self._save_timer()
            self._save_timer = None
        await self._store.async_save(self._data_to_save())
        await self.outbox_file.async_flush()

    async def async_save_now(self) -> None:
        """Write the line's state now and raise StoreWriteError if that failed.

        For changes that must be on disk before anything else happens (an
        opt-out before its confirmation leaves, the master switch).
        """
        if self._save_timer is not None:
            self._save_timer()
            self._save_timer = None
        await self._store.async_save(self._data_to_save())
        if (err := self._store.write_error) is not None:
            raise StoreWriteError(str(err)) from err

    async def async_remove(self) -> None:
        """Delete the stored data (the line was removed)."""
        await self._store.async_remove()
        await self.outbox_file.async_remove()

    # --- queries -----------------------------------------------------------

    def last_texted_at(self, number: str) -> datetime | None:
        """Return when this number was last texted."""
        return self._cooldowns.get(number)

    def is_handled(self, call_id: str) -> bool:
        """Return whether this call was already decided on."""
        return call_id in self.outbox_file.items or call_id in self._history_calls

    def missed_today(self, now: datetime) -> int:
        """Return the missed calls counted on now's local day."""
        return self._missed_today if self._day == _local_day(now) else 0

    def sent_today(self, now: datetime) -> int:
        """Return the texts sent on now's local day."""
        return self._sent_today if self._day == _local_day(now) else 0

    def is_opted_out(self, number: str) -> bool:
        """Return whether the caller asked for no more texts."""
        return number in self._opted_out

    @property
    def opted_out_count(self) -> int:
        """Return how many numbers opted out."""
        return len(self._opted_out)

    def sent_since(self, since: datetime) -> int:
        """Return how many texts were decided since a moment (24 h at most)."""
        if not self._sent_times:
            return 0  # no caps: nothing is kept
        return sum(1 for when in self._sent_times if when > since)

    def has_texted(self, number: str) -> bool:
        """Return whether this line's history holds a text that reached the number.

        A text that finally failed never reached the caller: a reply from that
        number is not an answer to this line.
        """
        return any(
            record.number == number and record.result == "sent"
            for record in self.history
        )

    def is_not_textable(self, number: str) -> bool:
        """Return whether the provider said this number cannot take texts."""
        return number in self._not_textable

    @property
    def not_textable_count(self) -> int:
        """Return how many numbers cannot take texts."""
        return len(self._not_textable)

    def record_of_message(self, message_id: str) -> HistoryRecord | None:
        """Return the sent text the provider knows by this id."""
        return next(
            (record for record in self.history if record.message_id == message_id),
            None,
        )

    def outbox_item(self, call_id: str) -> OutboxItem | None:
        """Return a text still waiting in the outbox."""
        return self.outbox_file.items.get(call_id)

    def may_answer_help(self, number: str, today: date) -> bool:
        """Return whether HELP was not answered to this number today yet."""
        return self._help_answered.get(number) != today

    def help_answered(self, number: str, today: date) -> None:
        """Remember that HELP was answered today (older days are forgotten)."""
        self._help_answered = {
            other: day for other, day in self._help_answered.items() if day == today
        }
        self._help_answered[number] = today
        self._schedule_save()

    @property
    def outbox(self) -> list[OutboxItem]:
        """Return the texts decided but not yet sent."""
        return list(self.outbox_file.items.values())

    def variant_of(self, call_id: str | None) -> str | None:
        """Return the message variant a call was texted with."""
        return next(
            (record.variant for record in self.history if record.call_id == call_id),
            None,
        )

    def scheduled_for(self, number: str) -> list[OutboxItem]:
        """Return the texts to a number that wait for their first attempt."""
        return [
            item
            for item in self.outbox_file.items.values()
            if item.number == number and item.scheduled
        ]

    @property
    def cooldown_count(self) -> int:
        """Return how many numbers are in cooldown bookkeeping."""
        return len(self._cooldowns)

    # --- changes -----------------------------------------------------------

    def count_missed(self, at: datetime) -> None:
        """Count a missed call."""
        self._roll(at)
        self._missed_today += 1
        self.missed_total += 1
        self.last_missed_at = at
        self._schedule_save()

    def count_sent(self, at: datetime) -> None:
        """Count a sent text."""
        self._roll(at)
        self._sent_today += 1
        self._schedule_save()

    def mark_texted(self, number: str, at: datetime, keep: timedelta) -> None:
        """Start the cooldown of a number; forget cooldowns older than keep."""
        self._cooldowns = {
            other: when for other, when in self._cooldowns.items() if at - when < keep
        }
        self._cooldowns[number] = at
        self._schedule_save()

    def note_send(self, at: datetime, keep: int) -> None:
        """Count a text against the caps.

        Only the newest `keep` moments (the largest cap) within a day matter:
        a cap is reached or not, so older ones need not be remembered.
        """
        self._sent_times.append(at)
        cutoff = at - timedelta(days=1)
        while self._sent_times and (
            self._sent_times[0] <= cutoff or len(self._sent_times) > keep
        ):
            self._sent_times.popleft()
        self._schedule_save()

    def leads_changed(self) -> None:
        """Save the leads after a change made through self.leads."""
        self._schedule_save()

    def next_variant(self, variants: list[str]) -> str:
        """Return the next variant in turn (round robin) and advance the turn."""
        variant = variants[self._variant_turn % len(variants)]
        self._variant_turn = (self._variant_turn + 1) % len(variants)
        self._schedule_save()
        return variant

    def opt_out(self, number: str, at: datetime) -> bool:
        """Record an opt-out; return False if the number had opted out already."""
        if number in self._opted_out:
            return False
        self._opted_out[number] = at
        self._schedule_save()
        return True

    def opt_in(self, number: str) -> bool:
        """Lift an opt-out; return False if there was none."""
        if self._opted_out.pop(number, None) is None:
            return False
        self._schedule_save()
        return True

    def mark_not_textable(self, number: str, reason: str, at: datetime) -> bool:
        """Never text a number again; return False if it was marked already."""
        if number in self._not_textable:
            return False
        self._not_textable[number] = {"reason": reason, "at": at.isoformat()}
        self._schedule_save()
        return True

    def record_delivery(
        self, message_id: str, *, delivered: bool, error_code: str | None
    ) -> HistoryRecord | None:
        """Note a text's final receipt once; None if unknown or already noted."""
        for index in range(len(self.history) - 1, -1, -1):
            record = self.history[index]
            if record.message_id != message_id:
                continue
            if record.delivery is not None:
                return None
            self.history[index] = record = replace(
                record,
                delivery="delivered" if delivered else "undelivered",
                delivery_error=None if delivered else error_code,
            )
            if delivered:
                self.delivered_total += 1
            else:
                self.undeliverable_total += 1
            self._schedule_save()
            return record
        return None

    def set_test_number(self, number: str | None) -> None:
        """Keep the owner's own number for test texts."""
        self.test_number = number
        self._schedule_save()

    def attach_reply(self, number: str, text: str, at: datetime) -> str | None:
        """Attach a reply to the newest call texted to this number; return its id."""
        for index in range(len(self.history) - 1, -1, -1):
            record = self.history[index]
            if record.number == number and record.result == "sent":
                reply = {"at": at.isoformat(), "text": text[:MAX_REPLY_CHARS]}
                self.history[index] = replace(
                    record,
                    replies=(*record.replies, reply)[-MAX_REPLIES_PER_CALL:],
                )
                self._schedule_save()
                return record.call_id
        return None

    def add_history(self, record: HistoryRecord) -> None:
        """Remember what happened to a call (the oldest drop off at the cap)."""
        self._append_history(record)
        self._schedule_save()

    def _append_history(self, record: HistoryRecord) -> None:
        """Append a record and keep the index; the oldest drops off at the cap."""
        if len(self.history) == self.history.maxlen:
            oldest = self.history[0].call_id
            if self._history_calls[oldest] == 1:
                del self._history_calls[oldest]
            else:
                self._history_calls[oldest] -= 1
        self.history.append(record)
        self._history_calls[record.call_id] += 1

    def _roll(self, at: datetime) -> None:
        if (today := _local_day(at)) != self._day:
            self._day = today
            self._missed_today = 0
            self._sent_today = 0

    def _schedule_save(self) -> None:
        # Not Store.async_delay_save: it builds the data in an executor thread
        # while the event loop keeps changing it. The snapshot is taken here,
        # on the loop, when the delay ends.
        if self._save_timer is None:
            self._save_timer = async_call_later(
                self._hass, SAVE_DELAY, self._async_save_due
            )

    @callback
    def _async_save_due(self, _now: datetime | None = None) -> None:
        self._save_timer = None
        self._hass.async_create_task(
            self._store.async_save(self._data_to_save()), f"{DOMAIN} save"
        )

    def _data_to_save(self) -> dict[str, Any]:
        return {
            "history": history_to_stored(self.history),
            "cooldowns": times_to_stored(self._cooldowns),
            "counters": {
                "date": self._day.isoformat() if self._day else None,
                "missed": self._missed_today,
                "sent": self._sent_today,
            },
            "last_missed_at": (
                self.last_missed_at.isoformat() if self.last_missed_at else None
            ),
            "opted_out": times_to_stored(self._opted_out),
            "sent_times": [when.isoformat() for when in self._sent_times],
            "variant_turn": self._variant_turn,
            "leads": self.leads.as_dict(),
            "missed_total": self.missed_total,
            "enabled": self.enabled,
            "mode": self.mode,
            "help_answered": {
                number: day.isoformat() for number, day in self._help_answered.items()
            },
            "not_textable": {
                number: dict(why) for number, why in self._not_textable.items()
            },
            "delivered_total": self.delivered_total,
            "undeliverable_total": self.undeliverable_total,
            "test_number": self.test_number,
        }


# The local day last asked about, with its bounds and time zone: a day has
# many calls, and as_local costs more than two comparisons.
_day_span: tuple[tzinfo, datetime, datetime, date] | None = None


def _local_day(at: datetime) -> date:
    global _day_span  # noqa: PLW0603 - the cache of a pure function
    span = _day_span
    zone = dt_util.get_default_time_zone()
    if span is not None and span[0] is zone and span[1] <= at < span[2]:
        return span[3]
    day = dt_util.as_local(at).date()
    start = dt_util.start_of_local_day(day)
    end = dt_util.start_of_local_day(day + timedelta(days=1))
    # Kept only if midnight exists on both ends (not in a zone whose clocks
    # skip it for summer time): then the bounds are exact.
    tick = timedelta(microseconds=1)
    if all(
        dt_util.as_local(moment).date() == expected
        for moment, expected in (
            (start, day),
            (start - tick, day - timedelta(days=1)),
            (end - tick, day),
            (end, day + timedelta(days=1)),
        )
    ):
        _day_span = (zone, start, end, day)
    return day
