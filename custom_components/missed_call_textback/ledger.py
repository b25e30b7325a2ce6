"""The line's memory: history, cooldowns, daily counts and the outbox, in HA's Store."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, HISTORY_CAP, STORAGE_MINOR_VERSION, STORAGE_VERSION

# Coalesce bursts of bookkeeping into one write; the outbox is saved at once.
SAVE_DELAY = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryRecord:
    """What happened to one missed call."""

    call_id: str
    missed_at: str
    number: str | None
    caller_name: str | None
    result: str  # "sent", "skipped" or "failed"
    reason: str | None = None
    error: str | None = None
    texted_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """A decided text, persisted before any attempt to send it."""

    call_id: str
    number: str
    message: str
    caller_name: str | None
    missed_at: str
    created_at: str


class _LineStore(Store[dict[str, Any]]):
    """Store with the migration hook every later version will need."""

    async def _async_migrate_func(
        self,
        old_major_version: int,  # noqa: ARG002
        old_minor_version: int,  # noqa: ARG002
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        # Version 1.1 is the first layout; nothing older exists to migrate.
        # Minor bumps only add keys, which async_load fills with defaults.
        return old_data


class Ledger:
    """Persistent state of one business line."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize the ledger; call async_load before use."""
        self._store = _LineStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
        )
        self.history: deque[HistoryRecord] = deque(maxlen=HISTORY_CAP)
        self._cooldowns: dict[str, datetime] = {}
        self._outbox: dict[str, OutboxItem] = {}
        self._day: date | None = None
        self._missed_today = 0
        self._sent_today = 0
        self.last_missed_at: datetime | None = None

    async def async_load(self) -> None:
        """Load what an earlier run stored."""
        data = await self._store.async_load() or {}
        self.history.extend(
            HistoryRecord(**record) for record in data.get("history", [])
        )
        for number, when in data.get("cooldowns", {}).items():
            if (parsed := dt_util.parse_datetime(when)) is not None:
                self._cooldowns[number] = parsed
        for item in data.get("outbox", []):
            self._outbox[item["call_id"]] = OutboxItem(**item)
        counters = data.get("counters", {})
        if (day := counters.get("date")) is not None:
            self._day = date.fromisoformat(day)
            self._missed_today = int(counters.get("missed", 0))
            self._sent_today = int(counters.get("sent", 0))
        if (last := data.get("last_missed_at")) is not None:
            self.last_missed_at = dt_util.parse_datetime(last)

    async def async_flush(self) -> None:
        """Write pending changes now (the line is unloading)."""
        await self._store.async_save(self._data_to_save())

    async def async_remove(self) -> None:
        """Delete the stored data (the line was removed)."""
        await self._store.async_remove()

    # --- queries -----------------------------------------------------------

    def last_texted_at(self, number: str) -> datetime | None:
        """Return when this number was last texted."""
        return self._cooldowns.get(number)

    def is_handled(self, call_id: str) -> bool:
        """Return whether this call was already decided on."""
        return call_id in self._outbox or any(
            record.call_id == call_id for record in self.history
        )

    def missed_today(self, now: datetime) -> int:
        """Return the missed calls counted on now's local day."""
        return self._missed_today if self._day == _local_day(now) else 0

    def sent_today(self, now: datetime) -> int:
        """Return the texts sent on now's local day."""
        return self._sent_today if self._day == _local_day(now) else 0

    @property
    def outbox(self) -> list[OutboxItem]:
        """Return the texts decided but not yet sent."""
        return list(self._outbox.values())

    @property
    def cooldown_count(self) -> int:
        """Return how many numbers are in cooldown bookkeeping."""
        return len(self._cooldowns)

    # --- changes -----------------------------------------------------------

    def count_missed(self, at: datetime) -> None:
        """Count a missed call."""
        self._roll(at)
        self._missed_today += 1
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

    def add_history(self, record: HistoryRecord) -> None:
        """Remember what happened to a call (the oldest drop off at the cap)."""
        self.history.append(record)
        self._schedule_save()

    async def async_put_outbox(self, item: OutboxItem) -> None:
        """Persist a decided text; returns once it is on disk."""
        self._outbox[item.call_id] = item
        await self._store.async_save(self._data_to_save())

    def pop_outbox(self, call_id: str) -> None:
        """Forget a text that was sent or given up on."""
        self._outbox.pop(call_id, None)
        self._schedule_save()

    def _roll(self, at: datetime) -> None:
        if (today := _local_day(at)) != self._day:
            self._day = today
            self._missed_today = 0
            self._sent_today = 0

    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    def _data_to_save(self) -> dict[str, Any]:
        return {
            "history": [asdict(record) for record in self.history],
            "cooldowns": {
                number: when.isoformat() for number, when in self._cooldowns.items()
            },
            "outbox": [asdict(item) for item in self._outbox.values()],
            "counters": {
                "date": self._day.isoformat() if self._day else None,
                "missed": self._missed_today,
                "sent": self._sent_today,
            },
            "last_missed_at": (
                self.last_missed_at.isoformat() if self.last_missed_at else None
            ),
        }


def _local_day(at: datetime) -> date:
    return dt_util.as_local(at).date()
