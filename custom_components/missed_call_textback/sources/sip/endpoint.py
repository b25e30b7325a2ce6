"""What the SIP user agent and its registration share.

The endpoint both send through, the timers of RFC 3261 (section 17) and the
names this user agent gives itself. No Home Assistant here: the clock and the
timer scheduler are injected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

T1 = 0.5  # RTT estimate (section 17.1.1.1)
T2 = 4.0  # longest retransmit interval for non-INVITE requests and responses
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS"
USER_AGENT = "HomeAssistant-MissedCallTextBack"

type Address = tuple[str, int]


class Timer(Protocol):
    """A scheduled callback that can be cancelled."""

    def cancel(self) -> None:
        """Cancel the callback."""


type CallLater = Callable[[float, Callable[[], None]], Timer]


class Endpoint(Protocol):
    """Where a registration sends its requests and sets its timers."""

    def send(self, data: bytes, address: Address) -> None:
        """Send one datagram if the endpoint is open."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run callback after delay seconds."""
