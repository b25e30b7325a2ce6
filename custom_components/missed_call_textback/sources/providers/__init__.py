"""Phone-provider webhooks: each module reads one provider's requests.

A provider module is pure (no Home Assistant): ``verify`` checks a request's
signature and ``parse`` turns its body into signals. The webhook source does
the HTTP around them and hands the signals to the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import json
from typing import Any, Literal, Protocol

# Providers retry deliveries for a while, but a signed request older than
# this (or this far in the future) is a replay or a wrong clock.
MAX_SKEW_SECONDS = 300
MAX_RING_SECONDS = 86400
# No provider sends a number, id, name or status this long. A longer value is
# read as missing, so no later step (a regex, a log line, the memory of seen
# call ids) ever works on the 64 KiB a request body may hold.
MAX_FIELD_CHARS = 256


class MalformedError(ValueError):
    """The request body is not what the provider sends."""


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """One HTTP request, as a provider module sees it."""

    # Header names in lower case.
    headers: Mapping[str, str]
    body: bytes
    # The URLs the provider may have called (signed by Twilio).
    urls: tuple[str, ...]
    now: datetime

    def header(self, name: str) -> str:
        """Return a header's value, or an empty string."""
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True, slots=True)
class CallEnded:
    """An incoming call ended; missed or answered, as the provider tells."""

    call_id: str
    number: str | None
    caller_name: str | None
    missed: bool
    # How long it rang (or lasted), when the provider says.
    ring_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class CallPlaced:
    """The line called a number (the owner calling a caller back)."""

    number: str


@dataclass(frozen=True, slots=True)
class ReplyReceived:
    """A text message to the line."""

    number: str
    text: str


@dataclass(frozen=True, slots=True)
class CallProgress:
    """One step of a call a source streams (ringing, answered, ended)."""

    key: str
    stage: Literal["ringing", "answered", "ended"]
    number: str | None = None
    caller_name: str | None = None


type ProviderSignal = CallEnded | CallPlaced | ReplyReceived | CallProgress


class Provider(Protocol):
    """What the webhook source needs of a provider module."""

    # The media type of its requests (without parameters).
    content_type: str
    # Whether verify checks a signature; False when the line takes unsigned
    # requests (by the owner's choice, or ha-sip, which cannot sign).
    signed: bool

    def verify(self, request: InboundRequest) -> bool:
        """Return whether the request is signed with the line's secret."""

    def parse(self, request: InboundRequest) -> list[ProviderSignal]:
        """Read the request's body; raise MalformedError when it cannot be read."""


class ProviderKind(StrEnum):
    """The providers a webhook line can hear."""

    TWILIO = "twilio"
    QUO = "quo"
    TELNYX = "telnyx"
    HA_SIP = "ha_sip"
    GENERIC = "generic"
    # Home Assistant's own Twilio integration (its event; no webhook of ours).
    TWILIO_INTEGRATION = "twilio_integration"


def json_object(body: bytes) -> dict[str, Any]:
    """Decode a JSON object body; raise MalformedError for anything else."""
    try:
        value = json.loads(body)
    except RecursionError as err:
        # The interpreter's recursion limit is the nesting cap: a body of
        # "[[[[..." fails fast here, and nothing shallower costs more than
        # linear time.
        raise MalformedError("JSON nested too deeply") from err
    except (UnicodeDecodeError, ValueError) as err:
        raise MalformedError("not JSON") from err
    if not isinstance(value, dict):
        raise MalformedError("not a JSON object")
    return value


def text_or_none(value: object) -> str | None:
    """Return a non-empty string (numbers as text) of a sane length, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int)):
        # json already refuses integers of more than 4300 digits, so str() of
        # one is cheap.
        text = str(value).strip()
        return text if 0 < len(text) <= MAX_FIELD_CHARS else None
    return None


def seconds_between(start: object, end: object) -> float | None:
    """Return the seconds between two ISO 8601 times, or None if either is not one."""
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        began = datetime.fromisoformat(start)
        ended = datetime.fromisoformat(end)
        seconds = (ended - began).total_seconds()
    except (ValueError, TypeError):
        return None
    # Negative or day-long "rings" are bad data, not calls.
    return seconds if 0 <= seconds <= MAX_RING_SECONDS else None


def fresh(timestamp: str, now: datetime, *, milliseconds: bool = False) -> bool:
    """Return whether a signature timestamp is within the allowed skew."""
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 16:
        return False
    # Not floored to whole seconds: that would stretch the window by up to
    # a second into the future.
    seconds = int(timestamp) / 1000 if milliseconds else int(timestamp)
    return abs(now.timestamp() - seconds) <= MAX_SKEW_SECONDS
