"""The outbox on disk: every decided text, written before any attempt to send it.

It has a file of its own: it is written before every send, so it stays small
(pending texts only) and never carries the history. Texts decided while a
write runs share the next write (group commit), so a burst of calls costs a
few writes, not one each.
"""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant

from .const import DOMAIN, LOGGER, STORAGE_MINOR_VERSION, STORAGE_VERSION
from .records import LineStore, OutboxItem, outbox_from_stored, outbox_to_stored


class OutboxFile:
    """The texts of one line decided but not yet sent or given up on."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize; call async_load before use."""
        self._hass = hass
        self._store = LineStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}.outbox",
            minor_version=STORAGE_MINOR_VERSION,
        )
        self.items: dict[str, OutboxItem] = {}
        self._next_write: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    async def async_load(self, older: list[Any]) -> None:
        """Load the stored texts; older: where a version before the file kept them."""
        stored = await self._store.async_load()
        self.items = outbox_from_stored(stored["outbox"] if stored else older)

    async def async_put(self, item: OutboxItem) -> None:
        """Persist a decided text; returns once it is on disk."""
        self.items[item.call_id] = item
        # Shielded: a caller cancelled while waiting must not cancel the write
        # the other texts wait for.
        await asyncio.shield(self._request_write())

    def pop(self, call_id: str) -> None:
        """Forget a text that was sent or given up on.

        Written at the next turn of the event loop rather than after a delay:
        until it is on disk, a crash would send the text again.
        """
        self.items.pop(call_id, None)
        self._request_write()

    async def async_flush(self) -> None:
        """Write the file now (the line is unloading or HA stops)."""
        await self._store.async_save(self._to_save())

    async def async_remove(self) -> None:
        """Delete the file (the line was removed)."""
        await self._store.async_remove()

    def _request_write(self) -> asyncio.Future[None]:
        """Return the next write, starting the writer when idle."""
        if (pending := self._next_write) is None:
            pending = self._next_write = self._hass.loop.create_future()
            # A removal has no waiter; its failure is logged by the writer.
            pending.add_done_callback(lambda done: done.cancelled() or done.exception())
            if self._writer is None or self._writer.done():
                # The writer may start at once and take this request.
                self._writer = self._hass.async_create_task(
                    self._async_write(), f"{DOMAIN} outbox write"
                )
        return pending

    async def _async_write(self) -> None:
        while (done := self._next_write) is not None:
            self._next_write = None
            try:
                await self._store.async_save(self._to_save())
            except Exception as err:  # noqa: BLE001 - handed to every waiter
                LOGGER.error("Could not write the outbox: %s", err)
                done.set_exception(err)
            else:
                done.set_result(None)

    def _to_save(self) -> dict[str, Any]:
        return outbox_to_stored(self.items.values())
