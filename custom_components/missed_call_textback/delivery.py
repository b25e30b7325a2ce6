"""Delivery: the one place that starts or schedules an outbox item's send.

Every path that sends a text (a live call, a delay, quiet hours, a retry, the
resume at start, a reload, an options change) goes through `Delivery`, which
keeps two invariants per outbox item:

- at most one timer: scheduling an item cancels the timer it already had;
- at most one send: an item that left the outbox or is already being sent is
  never started again.

Without them a call missed while Home Assistant was starting got one timer
from the live path and a second one from the resume at start, and was texted
twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .ledger import Ledger, OutboxItem

type DeliverFn = Callable[[OutboxItem, Context | None], Coroutine[Any, Any, Any]]
# Must not start the coroutine eagerly: the send is marked in flight first.
type TaskFactory = Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]]


class Delivery:
    """Timers and sends of one line's outbox items, one of each per item."""

    def __init__(
        self,
        hass: HomeAssistant,
        ledger: Ledger,
        deliver: DeliverFn,
        create_task: TaskFactory,
    ) -> None:
        """Initialize; deliver attempts one item, create_task runs it lazily."""
        self._hass = hass
        self._ledger = ledger
        self._deliver = deliver
        self._create_task = create_task
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._in_flight: dict[str, asyncio.Task[Any]] = {}
        self.stopped = False

    def in_flight(self, call_id: str) -> bool:
        """Return whether a send of this item is running."""
        return call_id in self._in_flight

    @callback
    def schedule(self, call_id: str, at: datetime) -> None:
        """Send an item at a moment, replacing any timer it had."""
        self.cancel(call_id)
        if self.stopped or self._ledger.outbox_item(call_id) is None:
            return

        @callback
        def _due(_now: datetime) -> None:
            self._timers.pop(call_id, None)
            self.start(call_id, None)

        self._timers[call_id] = async_track_point_in_utc_time(self._hass, _due, at)

    @callback
    def start(self, call_id: str, context: Context | None) -> asyncio.Task[Any] | None:
        """Start sending an item now; None when it is gone or already sending."""
        self.cancel(call_id)
        if self.stopped or call_id in self._in_flight:
            return None
        if (item := self._ledger.outbox_item(call_id)) is None:
            return None
        task = self._create_task(self._run(item, context), f"{DOMAIN} send {call_id}")
        self._in_flight[call_id] = task
        return task

    async def _run(self, item: OutboxItem, context: Context | None) -> Any:
        call_id = item.call_id
        try:
            # The item as it is now: it may have changed since start() took it.
            if (current := self._ledger.outbox_item(call_id)) is None:
                return None
            item = current
            result = await self._deliver(item, context)
        finally:
            self._in_flight.pop(call_id, None)
        # A failed attempt left the item with a later attempt on disk; its timer
        # is set only now that this send is over, so it can never meet it.
        later = self._ledger.outbox_item(call_id)
        if (
            later is not None
            and later.attempts > item.attempts
            and (at := dt_util.parse_datetime(later.next_attempt_at or "")) is not None
        ):
            self.schedule(call_id, at)
        return result

    @callback
    def resume(self, now: datetime | None = None) -> None:
        """Take up every item on disk that no send is working on."""
        now = now or dt_util.utcnow()
        for item in self._ledger.outbox:
            if item.call_id in self._in_flight:
                continue
            at = dt_util.parse_datetime(item.next_attempt_at or "")
            if at is not None and at > now:
                self.schedule(item.call_id, at)
            else:
                self.start(item.call_id, None)

    @callback
    def cancel(self, call_id: str) -> None:
        """Drop an item's timer (a send already running goes on)."""
        if (cancel := self._timers.pop(call_id, None)) is not None:
            cancel()

    @callback
    def cancel_timers(self) -> None:
        """Drop every timer; no new one is set (Home Assistant is stopping).

        What the timers were for is on disk and resumes at the next start.
        """
        self.stopped = True
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()

    @callback
    def stop(self) -> list[asyncio.Task[Any]]:
        """Drop every timer and cancel every send; return the sends to await.

        Whatever was cut off stays in the outbox on disk for the next start.
        """
        self.cancel_timers()
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        return tasks
