"""Outbox: a decided text is on disk before it is sent, and sent once."""

from __future__ import annotations

from homeassistant.core import Context

from .ledger import Ledger, OutboxItem
from .sender import Sender, SendError


class Outbox:
    """Persists each text, hands it to the sender, and forgets it once done."""

    def __init__(self, ledger: Ledger, sender: Sender, line_name: str) -> None:
        """Initialize the outbox of one line."""
        self._ledger = ledger
        self._sender = sender
        self._line_name = line_name
        self._in_flight: set[str] = set()

    async def async_submit(
        self, item: OutboxItem, context: Context | None
    ) -> SendError | None:
        """Persist a new text, then send it; return the error if it failed."""
        await self._ledger.async_put_outbox(item)
        return await self.async_attempt(item, context)

    def waiting(self) -> list[OutboxItem]:
        """Return persisted texts no attempt is working on (left by a restart)."""
        return [
            item for item in self._ledger.outbox if item.call_id not in self._in_flight
        ]

    async def async_attempt(
        self, item: OutboxItem, context: Context | None
    ) -> SendError | None:
        """Send a persisted text; forget it once sent or failed, keep it if cut off."""
        self._in_flight.add(item.call_id)
        try:
            await self._sender.async_send(
                number=item.number,
                message=item.message,
                caller_name=item.caller_name,
                line_name=self._line_name,
                context=context,
            )
        except SendError as err:
            self._ledger.pop_outbox(item.call_id)
            return err
        finally:
            # Cancelled (an unload or shutdown cut the send off): the text stays
            # in the outbox and is sent at the next start.
            self._in_flight.discard(item.call_id)
        self._ledger.pop_outbox(item.call_id)
        return None
