"""Redraws: which of a line's entities are asked after a change, and when.

Each entity subscribes with the topics it shows (changes.py). A change the
owner made (a switch, the settings, the hours) redraws at once. What call
events change is redrawn once the current loop turn is done: texts whose
sends finish together (one outbox write) are drawn once, not once each.
Actions flush before they return, so whoever called reads the new states.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.core import CALLBACK_TYPE, callback

from .changes import Change

type StartTask = Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]


class Redraws:
    """The entities of one line, by the topics they show."""

    def __init__(self, start_task: StartTask) -> None:
        """Initialize; start_task runs a coroutine as a task the line tracks."""
        self._start_task = start_task
        # Each entity's update with the topics (Change, as an int) it shows.
        self._listeners: list[tuple[int, CALLBACK_TYPE]] = []
        # Topics waiting for the redraw at the end of this loop turn.
        self._pending = 0
        self._flush_task: asyncio.Task[None] | None = None

    @callback
    def async_add_listener(
        self, update: CALLBACK_TYPE, shows: Change = Change.ALL
    ) -> CALLBACK_TYPE:
        """Call update whenever something it shows changes (by default: anything)."""
        listener = (int(shows), update)
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def now(self, changed: Change = Change.ALL) -> None:
        """Tell the entities showing what changed; the others are not asked."""
        # Plain ints: this runs after every event of every call.
        topics = int(changed)
        for shows, update in list(self._listeners):
            if shows & topics:
                update()

    @callback
    def soon(self, changed: Change = Change.ALL) -> None:
        """Redraw what changed once the current loop turn is done."""
        self._pending |= int(changed)
        if self._flush_task is None or self._flush_task.done():
            # A task, not a bare callback: async_block_till_done waits for it.
            self._flush_task = self._start_task(self._async_flush())

    async def _async_flush(self) -> None:
        # A change made while this redraw runs gets a redraw of its own.
        self._flush_task = None
        self.flush()

    @callback
    def flush(self) -> None:
        """Redraw now whatever waits for the end of the loop turn."""
        topics, self._pending = self._pending, 0
        if topics:
            self.now(Change(topics))
