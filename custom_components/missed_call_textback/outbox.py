"""Outbox: a decided text is on disk before it is sent, and sent once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from homeassistant.core import Context

from .outbox_file import OutboxFile
from .records import OutboxItem
from .sender import Sender, SendError


@dataclass(frozen=True, slots=True)
class Sent:
    """A text the sender took; message_id is the provider's id, when it gives one."""

    message_id: str | None


class Outbox:
    """Persists each text, hands it to the sender, keeps it until done.

    A text leaves the outbox when it was sent or given up on. A send cut off
    by an unload or a shutdown leaves it there, so the next start sends it.
    Which send runs when is decided by the line's Delivery, never here.
    """

    def __init__(self, file: OutboxFile, sender: Sender, line_name: str) -> None:
        """Initialize the outbox of one line over its file (the ledger's)."""
        self._file = file
        self._sender = sender
        self._line_name = line_name

    async def async_put(self, item: OutboxItem) -> None:
        """Persist a new text; returns once it is on disk."""
        await self._file.async_put(item)

    async def async_send(
        self, item: OutboxItem, context: Context | None
    ) -> Sent | SendError:
        """Send a persisted text once; on success it leaves the outbox."""
        try:
            message_id = await self._sender.async_send(
                number=item.number,
                message=item.message,
                caller_name=item.caller_name,
                line_name=self._line_name,
                context=context,
            )
        except SendError as err:
            return err
        self._file.pop(item.call_id)
        return Sent(message_id)

    async def async_retry_later(self, item: OutboxItem, at: datetime) -> OutboxItem:
        """Persist one more failed attempt and when to try again."""
        later = replace(
            item, attempts=item.attempts + 1, next_attempt_at=at.isoformat()
        )
        await self._file.async_put(later)
        return later

    def give_up(self, item: OutboxItem) -> None:
        """Drop a text whose every attempt failed."""
        self._file.pop(item.call_id)
