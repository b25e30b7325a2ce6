"""Call sources: each turns what it observes into call-tracker signals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from homeassistant.core import CALLBACK_TYPE

from ..calls import EndedCall

type EndedCallsCallback = Callable[[list[EndedCall]], None]


class CallSource(Protocol):
    """What every source offers the line: start listening, get an unsubscribe."""

    def async_start(self) -> CALLBACK_TYPE:
        """Start listening; return a callback that stops it."""
