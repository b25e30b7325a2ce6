"""Call sources: each turns what it observes into call signals for its line.

Every source kind (entity, webhook providers, SIP) lives in a module of its own
and offers the same small interface: ``async_start`` starts listening and
returns the callback that stops it. What a source hears goes to the line's
``LineSink``: call signals through the sink's tracker (or, for sources that
only learn a call's outcome, straight to ``calls_ended``), callbacks the owner
placed through ``call_placed``, and callers' replies through ``reply_received``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from homeassistant.core import CALLBACK_TYPE

from ..calls import CallTracker, EndedCall

type EndedCallsCallback = Callable[[list[EndedCall]], None]


class LineSink(Protocol):
    """What a line offers its source."""

    @property
    def tracker(self) -> CallTracker:
        """Return the line's call tracker (for sources that see calls progress)."""

    def calls_ended(self, ended: list[EndedCall]) -> None:
        """Take incoming calls that ended, whatever their outcome."""

    def call_placed(self, number: object, at: datetime) -> None:
        """Take an outgoing call the owner placed to number."""

    def reply_received(
        self, number: object, text: str, *, verified: bool = True
    ) -> None:
        """Take a text message a caller sent to the line.

        verified is False when nothing proved who sent it (no signature).
        """


class CallSource(Protocol):
    """What every source offers the line."""

    async def async_start(self) -> CALLBACK_TYPE:
        """Start listening; return a callback that stops it.

        Raise ConfigEntryNotReady (or ConfigEntryError) when the source cannot
        start, for example a port already in use.
        """
