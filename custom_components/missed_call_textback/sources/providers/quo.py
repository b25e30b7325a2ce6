"""Quo (formerly OpenPhone): call.completed and message.received webhooks.

Quo's webhooks have no call.missed: an incoming call.completed without
answeredAt is a missed call. Webhooks made in the Quo app (legacy) sign with
``openphone-signature: hmac;1;<timestamp ms>;<base64 digest>``, the HMAC-SHA256
with the base64-decoded signing key over ``<timestamp>.<raw body>``. Webhooks
of Quo's newer webhook API sign the Standard Webhooks way (``webhook-id``,
``webhook-timestamp`` in seconds, ``webhook-signature: v1,<base64>`` over
``<id>.<timestamp>.<raw body>`` with a ``whsec_`` key); both signatures are
checked. Calls and replies are read from the legacy payload (``data.object``)
only; delivery receipts from both: the legacy ``message.delivered`` and the
newer API's ``message.delivered`` / ``message.failed`` (``data.resource``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
import hashlib
import hmac
from typing import Any, Final

from . import (
    CallEnded,
    CallPlaced,
    DeliveryReport,
    FieldKind,
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
CONF_SIGNING_KEY: Final = "signing_key"
LEGACY_HEADER = "openphone-signature"
# Receipts of a text the line sent; Quo tells only the end of its way.
_DELIVERED = "message.delivered"
_RECEIPTS = frozenset({_DELIVERED, "message.failed"})
_STANDARD_PREFIX = "whsec_"


def decode_key(key: str) -> bytes | None:
    """Return the HMAC key from the key Quo shows (base64, maybe whsec_-prefixed)."""
    raw = key.strip().removeprefix(_STANDARD_PREFIX)
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded or None


def _digest(key: bytes, data: bytes) -> bytes:
    return base64.b64encode(hmac.new(key, data, hashlib.sha256).digest())


class QuoProvider:
    """Reads Quo's webhooks for one line."""

    content_type = CONTENT_TYPE

    def __init__(self, signing_key: str | None) -> None:
        """Initialize with the webhook's signing key (None: unsigned accepted)."""
        self.signed = signing_key is not None
        # An empty or undecodable key is None: it verifies nothing.
        self._key = decode_key(signing_key) if signing_key is not None else None

    def verify(self, request: InboundRequest) -> bool:
        """Check either signature scheme and reject stale timestamps."""
        if not self.signed:
            return True
        if self._key is None:
            return False
        if legacy := request.header(LEGACY_HEADER):
            return self._verify_legacy(legacy, request)
        return self._verify_standard(request)

    def _verify_legacy(self, header: str, request: InboundRequest) -> bool:
        assert self._key is not None  # noqa: S101
        parts = header.split(";")
        if len(parts) != 4 or parts[0] != "hmac" or parts[1] != "1":
            return False
        timestamp, signature = parts[2], parts[3]
        if not fresh(timestamp, request.now, milliseconds=True):
            return False
        expected = _digest(self._key, timestamp.encode() + b"." + request.body)
        return hmac.compare_digest(expected, signature.strip().encode())

    def _verify_standard(self, request: InboundRequest) -> bool:
        assert self._key is not None  # noqa: S101
        delivery = request.header("webhook-id")
        timestamp = request.header("webhook-timestamp")
        signatures = request.header("webhook-signature")
        if not delivery or not signatures or not fresh(timestamp, request.now):
            return False
        expected = _digest(
            self._key, f"{delivery}.{timestamp}.".encode() + request.body
        )
        return any(
            hmac.compare_digest(expected, candidate.removeprefix("v1,").encode())
            for candidate in signatures.split()
            if candidate.startswith("v1,")
        )

    def parse(self, request: InboundRequest) -> list[ProviderSignal]:
        """Read one Quo event."""
        event = json_object(request.body)
        data = event.get("data")
        kind = event.get("type")
        if isinstance(data, dict) and "resource" in data and "object" not in data:
            # The beta webhook API's envelope: signed like the rest, but its
            # resources are not documented enough to read calls from yet;
            # its receipts name the message the line sent.
            resource = data["resource"]
            if kind in _RECEIPTS and isinstance(resource, dict):
                return [_delivery_report(resource, delivered=kind == _DELIVERED)]
            return []
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(kind, str) or not isinstance(obj, dict):
            raise MalformedError("not a Quo event")
        if kind == "call.completed":
            return _call(obj)
        if kind == "message.received":
            return _message(obj)
        if kind == _DELIVERED:
            return [_delivery_report(obj, delivered=True)]
        return []


def _participant(obj: dict[str, Any], field: str) -> str | None:
    if (number := text_or_none(obj.get(field))) is not None:
        return number
    participants = obj.get("participants")
    if isinstance(participants, list) and participants:
        return text_or_none(participants[0])
    return None


def _call(obj: dict[str, Any]) -> list[ProviderSignal]:
    call_id = text_or_none(obj.get("id"))
    direction = obj.get("direction")
    if direction == "outgoing":
        to = _participant(obj, "to")
        return [CallPlaced(number=to)] if to else []
    if direction != "incoming" or call_id is None:
        raise MalformedError("a call without id or direction")
    return [
        CallEnded(
            call_id=f"quo:{call_id}",
            number=_participant(obj, "from"),
            caller_name=None,
            missed=obj.get("answeredAt") is None,
            ring_seconds=seconds_between(obj.get("createdAt"), obj.get("completedAt")),
        )
    ]


def _message(obj: dict[str, Any]) -> list[ProviderSignal]:
    number = text_or_none(obj.get("from"))
    text = obj.get("body", obj.get("text"))
    if number is None or not isinstance(text, str):
        raise MalformedError("a message without sender or text")
    return [ReplyReceived(number=number, text=text)]


def _delivery_report(message: dict[str, Any], *, delivered: bool) -> DeliveryReport:
    message_id = text_or_none(message.get("id"))
    if message_id is None:
        raise MalformedError("a message status without its message")
    # Unverified: Quo says message.failed "includes a carrier or provider
    # error code when available" without naming the field here; errorCode
    # and error.code are read, and a report without either still counts.
    error = message.get("error")
    code = text_or_none(message.get("errorCode")) or (
        text_or_none(error.get("code")) if isinstance(error, dict) else None
    )
    return DeliveryReport(
        message_id=message_id,
        delivered=delivered,
        error_code=None if delivered else code,
        final=True,
    )


def _build(data: Mapping[str, Any]) -> QuoProvider:
    return QuoProvider(secret_setting(data, CONF_SIGNING_KEY))


def _check_signed(cleaned: Mapping[str, Any]) -> FormErrors:
    if decode_key(cleaned[CONF_SIGNING_KEY]) is None:
        return {CONF_SIGNING_KEY: "invalid_signing_key"}
    return {}


DESCRIPTION: Final = ProviderDescription(
    kind=ProviderKind.QUO,
    translation_key=ProviderKind.QUO.value,
    build=_build,
    secret_field=CONF_SIGNING_KEY,
    fields=(FormField(key=CONF_SIGNING_KEY, kind=FieldKind.PASSWORD, secret=True),),
    check_signed=_check_signed,
)
