"""What a line stores: its records, how they are written and read back, the Store.

The ledger keeps these in memory; this module says how each looks on disk
(JSON through Home Assistant's Store) and reads older layouts back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util


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
    replies: tuple[dict[str, str], ...] = ()
    variant: str | None = None
    # The provider's id of the text (native senders; minor version 4), and
    # what its receipt said: "delivered" or "undelivered" with the code.
    message_id: str | None = None
    delivery: str | None = None
    delivery_error: str | None = None


# In declaration order, as asdict() wrote them: a stored file reads the same.
_RECORD_KEYS = tuple(field.name for field in fields(HistoryRecord))
# Keys a newer version may have added to a stored record are dropped on load.
_RECORD_FIELDS = frozenset(_RECORD_KEYS)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """A decided text, persisted before any attempt to send it."""

    call_id: str
    number: str
    message: str
    caller_name: str | None
    missed_at: str
    created_at: str
    attempts: int = 0
    next_attempt_at: str | None = None
    # The message variant this call was assigned ("a" is the main message).
    variant: str = "a"
    # Whether the business was closed when the call was missed.
    after_hours: bool = False

    @property
    def scheduled(self) -> bool:
        """Return whether the text waits for its first attempt (delay, quiet hours)."""
        return self.attempts == 0 and self.next_attempt_at is not None


# Every field but the replies is a str, an int, a bool or None: a record is
# stored by reading its fields, without asdict()'s deep copy (the outbox is
# written before every text, the history every few seconds).
_OUTBOX_KEYS = tuple(field.name for field in fields(OutboxItem))


def history_from_stored(stored: Iterable[dict[str, Any]]) -> Iterator[HistoryRecord]:
    """Return the stored history as records (a newer version's keys dropped)."""
    for record in stored:
        yield HistoryRecord(
            **{
                **{k: v for k, v in record.items() if k in _RECORD_FIELDS},
                "replies": tuple(record.get("replies", ())),
            }
        )


def history_to_stored(history: Iterable[HistoryRecord]) -> list[dict[str, Any]]:
    """Return the history as it is stored."""
    return [
        {
            **{key: getattr(record, key) for key in _RECORD_KEYS},
            "replies": [dict(reply) for reply in record.replies],
        }
        for record in history
    ]


def outbox_from_stored(stored: Iterable[dict[str, Any]]) -> dict[str, OutboxItem]:
    """Return the stored outbox, by call id."""
    return {item["call_id"]: OutboxItem(**item) for item in stored}


def outbox_to_stored(outbox: Iterable[OutboxItem]) -> dict[str, Any]:
    """Return the outbox as its own file stores it."""
    return {
        "outbox": [{key: getattr(item, key) for key in _OUTBOX_KEYS} for item in outbox]
    }


def times_from_stored(stored: Mapping[str, str]) -> dict[str, datetime]:
    """Return the moments stored per number; unreadable ones are dropped."""
    return {
        number: parsed
        for number, when in stored.items()
        if (parsed := dt_util.parse_datetime(when)) is not None
    }


def times_to_stored(times: Mapping[str, datetime]) -> dict[str, str]:
    """Return moments per number as they are stored."""
    return {number: when.isoformat() for number, when in times.items()}


class StoreWriteError(Exception):
    """The line's state could not be written to disk."""


class LineStore(Store[dict[str, Any]]):
    """Store with the migration hook every later version will need.

    Home Assistant's Store logs a failed write and returns as if it worked;
    this one remembers the failure so the line can tell the owner.
    """

    write_error: Exception | None = None

    async def _async_write_data(self, *args: Any) -> None:
        # The signature differs between Home Assistant versions (path, data)
        # and (data): pass whatever it is through.
        try:
            await super()._async_write_data(*args)
        except Exception as err:
            self.write_error = err
            raise
        self.write_error = None

    async def _async_migrate_func(
        self,
        old_major_version: int,  # noqa: ARG002
        old_minor_version: int,  # noqa: ARG002
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        # Version 1.1 is the first layout; nothing older exists to migrate.
        # Minor bumps only add keys, which async_load fills with defaults.
        return old_data
