"""Call sources: each turns what it observes into call signals for its line.

Every source kind (entity, webhook providers, SIP) lives in a module of its own
and offers the same small interface: ``async_start`` starts listening and
returns the callback that stops it. What a source hears goes to the line's
``LineSink``: call signals through the sink's tracker (or, for sources that
only learn a call's outcome, straight to ``calls_ended``), callbacks the owner
placed through ``call_placed``, callers' replies through ``reply_received``,
and the provider's receipts of the line's texts through ``delivery_reported``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from homeassistant.core import CALLBACK_TYPE

from ..calls import CallTracker, EndedCall
from .providers import DeliveryReport

type EndedCallsCallback = Callable[[list[EndedCall]], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceHealth:
    """What a source tells the line's entities and diagnostics about itself.

    Platforms read this, never a concrete source class.
    """

    # Requests refused (sources that take requests); None: it takes none.
    rejected_requests: int | None = None
    # Whether the source registers with a server, and whether it is registered.
    registers: bool = False
    registered: bool = False
    # Details for the diagnostics download, with nothing secret in them.
    diagnostics: Mapping[str, Any] = field(default_factory=dict)


NO_HEALTH = SourceHealth()


def _no_listener() -> None:
    """Nothing to unsubscribe."""


class QuietSource:
    """Defaults for a source with no health of its own to report."""

    def health(self) -> SourceHealth:
        """Return the source's health: nothing to report."""
        return NO_HEALTH

    def async_add_listener(
        self,
        update: CALLBACK_TYPE,  # noqa: ARG002 - the source never changes
    ) -> CALLBACK_TYPE:
        """Call update when the health changes (never)."""
        return _no_listener


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

    def delivery_reported(self, report: DeliveryReport, *, verified: bool) -> None:
        """Take what the provider learned of a text the line sent."""


class CallSource(Protocol):
    """What every source offers the line."""

    def health(self) -> SourceHealth:
        """Return what the entities and diagnostics show of the source."""

    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call update whenever the health changes; return the unsubscribe."""

    async def async_start(self) -> CALLBACK_TYPE:
        """Start listening; return a callback that stops it.

        Raise ConfigEntryNotReady (or ConfigEntryError) when the source cannot
        start, for example a port already in use.
        """
