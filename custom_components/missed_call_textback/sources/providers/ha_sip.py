"""The ha-sip add-on: call progress posted as JSON, keyed by internal_id.

ha-sip posts every call event to a Home Assistant webhook: incoming_call,
call_established, call_disconnected and ring_timeout (plus menu, DTMF and
playback events, which say nothing about a missed call). It cannot sign its
requests, so its webhook only takes requests from the local network.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any, Final

from . import (
    MAX_FIELD_CHARS,
    CallProgress,
    InboundRequest,
    MalformedError,
    ProviderDescription,
    ProviderKind,
    ProviderSignal,
    json_object,
    text_or_none,
)

CONTENT_TYPE = "application/json"
# Bounded: an open-ended [^@;>]+ backtracks over the whole rest of the field
# at every "sip:" (seconds on a field of "sip:sip:sip:..."); no SIP user part
# of a phone call is longer than this.
_SIP_USER = re.compile(r"sips?:([^@;>]{1,64})@")


def _number(parsed: object, uri: object) -> str | None:
    if (number := text_or_none(parsed)) is not None:
        return number
    if (
        isinstance(uri, str)
        and len(uri) <= MAX_FIELD_CHARS
        and (match := _SIP_USER.search(uri))
    ):
        return match.group(1)
    return None


class HaSipProvider:
    """Reads ha-sip's call events for one line."""

    content_type = CONTENT_TYPE
    signed = False

    def verify(self, request: InboundRequest) -> bool:  # noqa: ARG002
        """Accept: ha-sip cannot sign, its webhook is local-only instead."""
        return True

    def parse(self, request: InboundRequest) -> list[ProviderSignal]:
        """Read one ha-sip event."""
        event = json_object(request.body)
        kind = event.get("event")
        internal_id = text_or_none(event.get("internal_id"))
        if not isinstance(kind, str) or internal_id is None:
            raise MalformedError("not an ha-sip call event")
        key = f"ha_sip:{internal_id}"
        if kind == "incoming_call":
            return [
                CallProgress(
                    key=key,
                    stage="ringing",
                    number=_number(event.get("parsed_caller"), event.get("caller")),
                )
            ]
        if kind == "call_established":
            return [CallProgress(key=key, stage="answered")]
        if kind in ("call_disconnected", "ring_timeout"):
            return [CallProgress(key=key, stage="ended")]
        return []


def _build(data: Mapping[str, Any]) -> HaSipProvider:  # noqa: ARG001
    return HaSipProvider()


DESCRIPTION: Final = ProviderDescription(
    kind=ProviderKind.HA_SIP,
    translation_key=ProviderKind.HA_SIP.value,
    build=_build,
    local_only=True,
)
