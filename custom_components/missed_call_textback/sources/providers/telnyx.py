"""Telnyx: call.hangup, call.initiated and message.* webhooks.

message.received is a caller's reply; message.sent and message.finalized tell
what became of a text the line sent (``payload.to[].status``, with
``payload.errors[].code`` when it was not delivered).

Telnyx signs with ed25519: ``telnyx-signature-ed25519`` (base64) over
``<telnyx-timestamp>|<raw body>``, checked with the account's public key as
the Mission Control portal shows it (base64).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import (
    CallEnded,
    CallPlaced,
    DeliveryReport,
    FormErrors,
    FormField,
    InboundRequest,
    MalformedError,
    ProviderDescription,
    ProviderKind,
    ProviderSignal,
    ReplyReceived,
    fresh,
    json_object,
    seconds_between,
    secret_setting,
    text_or_none,
)

CONTENT_TYPE = "application/json"
CONF_PUBLIC_KEY: Final = "public_key"
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
# Hang-up causes of an incoming call nobody answered.
MISSED_CAUSES = frozenset({"no_answer", "originator_cancel", "timeout", "user_busy"})
# A recipient's status in message.finalized: delivered, or given up on.
# delivery_unconfirmed (the carrier sent no receipt) tells neither.
DELIVERED_STATUSES = frozenset({"delivered"})
UNDELIVERED_STATUSES = frozenset({"delivery_failed", "sending_failed", "expired"})


def load_public_key(key: str) -> Ed25519PublicKey | None:
    """Return the ed25519 public key from its base64 form, or None."""
    try:
        raw = base64.b64decode(key.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        return None


class TelnyxProvider:
    """Reads Telnyx's webhooks for one line."""

    content_type = CONTENT_TYPE

    def __init__(self, public_key: str | None) -> None:
        """Initialize with the account's public key (None: unsigned accepted)."""
        self.signed = public_key is not None
        # An empty or malformed key is None: it verifies nothing.
        self._key = load_public_key(public_key) if public_key is not None else None

    def verify(self, request: InboundRequest) -> bool:
        """Check the ed25519 signature and reject stale timestamps."""
        if not self.signed:
            return True
        timestamp = request.header(TIMESTAMP_HEADER)
        if self._key is None or not fresh(timestamp, request.now):
            return False
        try:
            signature = base64.b64decode(
                request.header(SIGNATURE_HEADER), validate=True
            )
            self._key.verify(signature, timestamp.encode() + b"|" + request.body)
        except (binascii.Error, ValueError, InvalidSignature):
            return False
        return True

    def parse(self, request: InboundRequest) -> list[ProviderSignal]:
        """Read one Telnyx event."""
        event = json_object(request.body)
        data = event.get("data")
        payload = data.get("payload") if isinstance(data, dict) else None
        kind = data.get("event_type") if isinstance(data, dict) else None
        if not isinstance(kind, str) or not isinstance(payload, dict):
            raise MalformedError("not a Telnyx event")
        if kind == "call.hangup":
            return _hangup(payload)
        if kind == "call.initiated" and payload.get("direction") == "outgoing":
            to = text_or_none(payload.get("to"))
            return [CallPlaced(number=to)] if to else []
        if kind == "message.received":
            return _message(payload)
        if kind in ("message.sent", "message.finalized"):
            return [_delivery_report(payload, finalized=kind == "message.finalized")]
        return []


def _hangup(payload: dict[str, Any]) -> list[ProviderSignal]:
    if payload.get("direction") != "incoming":
        return []
    call_id = text_or_none(payload.get("call_session_id")) or text_or_none(
        payload.get("call_control_id")
    )
    if call_id is None:
        raise MalformedError("a hang-up without a call id")
    return [
        CallEnded(
            call_id=f"telnyx:{call_id}",
            number=text_or_none(payload.get("from")),
            caller_name=text_or_none(payload.get("caller_id_name")),
            missed=payload.get("hangup_cause") in MISSED_CAUSES,
            ring_seconds=seconds_between(
                payload.get("start_time"), payload.get("end_time")
            ),
        )
    ]


def _message(payload: dict[str, Any]) -> list[ProviderSignal]:
    sender = payload.get("from")
    number = (
        text_or_none(sender.get("phone_number")) if isinstance(sender, dict) else None
    )
    text = payload.get("text")
    if number is None or not isinstance(text, str):
        raise MalformedError("a message without sender or text")
    return [ReplyReceived(number=number, text=text)]


def _delivery_report(payload: dict[str, Any], *, finalized: bool) -> DeliveryReport:
    message_id = text_or_none(payload.get("id"))
    if message_id is None:
        raise MalformedError("a message status without its message")
    # The line texts one number per message: the first recipient is it.
    recipients = payload.get("to")
    recipient = recipients[0] if isinstance(recipients, list) and recipients else {}
    if not isinstance(recipient, dict):
        recipient = {}
    status = text_or_none(recipient.get("status"))
    errors = payload.get("errors")
    error = errors[0] if isinstance(errors, list) and errors else {}
    code = text_or_none(error.get("code")) if isinstance(error, dict) else None
    delivered = status in DELIVERED_STATUSES
    return DeliveryReport(
        message_id=message_id,
        delivered=delivered,
        error_code=None if delivered else code,
        final=finalized and (delivered or status in UNDELIVERED_STATUSES),
    )


def _build(data: Mapping[str, Any]) -> TelnyxProvider:
    return TelnyxProvider(secret_setting(data, CONF_PUBLIC_KEY))


def _check_signed(cleaned: Mapping[str, Any]) -> FormErrors:
    if load_public_key(cleaned[CONF_PUBLIC_KEY]) is None:
        return {CONF_PUBLIC_KEY: "invalid_public_key"}
    return {}


DESCRIPTION: Final = ProviderDescription(
    kind=ProviderKind.TELNYX,
    translation_key=ProviderKind.TELNYX.value,
    build=_build,
    secret_field=CONF_PUBLIC_KEY,
    # A public key: nothing to hide, and the owner checks it by reading it.
    fields=(FormField(key=CONF_PUBLIC_KEY),),
    check_signed=_check_signed,
)
