"""Twilio: voice status and <Dial action> callbacks, inbound SMS, SMS status callbacks.

Twilio posts form fields and signs them: X-Twilio-Signature is
Base64(HMAC-SHA1(auth token, URL + each field name and value, sorted by name)).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
import hashlib
import hmac
import re
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

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
    WebhookReply,
    secret_setting,
    text_or_none,
)

CONF_AUTH_TOKEN: Final = "auth_token"  # noqa: S105 - a setting's name
# The URL as Twilio calls it, when a proxy makes it differ from ours.
CONF_PUBLIC_URL: Final = "public_url"

CONTENT_TYPE = "application/x-www-form-urlencoded"
SIGNATURE_HEADER = "X-Twilio-Signature"
# An empty TwiML document: Twilio does nothing more (no reply SMS, no call step).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# Statuses of a call (or, in a <Dial action> callback, of the dialled leg)
# that mean nobody picked up.
MISSED_STATUSES = frozenset({"no-answer", "busy", "failed", "canceled"})
ANSWERED_STATUSES = frozenset({"completed", "answered"})
# MessageStatus of a status callback that ends a text's way: it reached the
# phone ("read" is WhatsApp's), or Twilio gave up on it (ErrorCode says why).
# queued, accepted, sending, sent and scheduled are steps on the way.
DELIVERED_STATUSES = frozenset({"delivered", "read"})
UNDELIVERED_STATUSES = frozenset({"undelivered", "failed"})
_DEFAULT_PORTS = {"https": 443, "http": 80}
HMAC_SHA1 = "HMAC_SHA1"
HMAC_SHA256 = "HMAC_SHA256"
_ALGORITHMS = {HMAC_SHA1: hashlib.sha1, HMAC_SHA256: hashlib.sha256}
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
# Twilio sends a few dozen fields; more is no callback of Twilio's.
MAX_FORM_FIELDS = 500
# Twilio escapes every "%" it sends, so a bare one means the body is no form
# of Twilio's (and _unquote relies on every "%" starting an escape).
_BARE_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def form_fields(body: bytes) -> dict[str, list[str]]:
    """Decode a form body; raise MalformedError when it is not one.

    The fields are those of parse_qsl(keep_blank_values=True,
    strict_parsing=True): every field has a "=", none is empty.
    """
    fields: dict[str, list[str]] = {}
    if not body:
        return fields
    pairs = body.split(b"&", MAX_FORM_FIELDS)
    if len(pairs) > MAX_FORM_FIELDS or _BARE_PERCENT.search(body):
        raise MalformedError("not a form")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedError("not a form") from err
    for pair in pairs:
        name, separator, value = pair.partition(b"=")
        if not separator:
            raise MalformedError("not a form")
        fields.setdefault(_unquote(name), []).append(_unquote(value))
    return fields


def _unquote(raw: bytes) -> str:
    r"""Return what urllib's unquote_plus makes of raw (which has no bare "%").

    urllib takes a Python step per escape, 7 ms for a 64 KiB field of them;
    the unicode_escape codec reads "\xHH" in C. Backslashes are doubled first
    so they stay themselves, and the codec reads other bytes as Latin-1, so
    they come back unchanged for the UTF-8 decoding.
    """
    escaped = raw.replace(b"+", b" ").replace(b"\\", b"\\\\").replace(b"%", b"\\x")
    return (
        escaped.decode("unicode_escape")
        .encode("latin-1")
        .decode("utf-8", errors="replace")
    )


def compute_signature(
    auth_token: str,
    url: str,
    fields: Mapping[str, list[str]],
    algorithm: str = HMAC_SHA1,
) -> str:
    """Return the signature Twilio sends for a request to url with these fields."""
    return _sign(auth_token.encode(), url, _signed_fields(fields), algorithm)


def _signed_fields(fields: Mapping[str, list[str]]) -> bytes:
    return "".join(
        name + value for name in sorted(fields) for value in sorted(set(fields[name]))
    ).encode()


def _sign(key: bytes, url: str, signed_fields: bytes, algorithm: str) -> str:
    digest = hmac.new(key, url.encode() + signed_fields, _ALGORITHMS[algorithm])
    return base64.b64encode(digest.digest()).decode()


def signature_algorithm(settings: str) -> str | None:
    """Return the algorithm X-Twilio-Webhooks-Signature-Settings names.

    No header means the auth token's HMAC-SHA1; None means one we do not know.
    """
    for part in settings.split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "algorithm" and value.strip():
            algorithm = value.strip().upper()
            return algorithm if algorithm in _ALGORITHMS else None
    return HMAC_SHA1


def url_variants(url: str) -> list[str]:
    """Return url as given, without its port and with the default port.

    Twilio signs the URL as configured, and its own validator tries these
    forms, since proxies add or drop ports.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return [url]
    variants = [url]
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        variants.append(urlunsplit(parts._replace(netloc=host.rsplit(":", 1)[0])))
    elif (default := _DEFAULT_PORTS.get(parts.scheme)) is not None and host:
        variants.append(urlunsplit(parts._replace(netloc=f"{host}:{default}")))
    return variants


class TwilioProvider:
    """Reads Twilio's callbacks for one line."""

    content_type = CONTENT_TYPE

    def __init__(self, auth_token: str | None) -> None:
        """Initialize with the account's auth token (None: unsigned accepted)."""
        self.signed = auth_token is not None
        # A blank token is kept as no key at all (see verify).
        self._key = auth_token.encode() if auth_token and auth_token.strip() else b""
        self._read: tuple[bytes, dict[str, list[str]]] | None = None

    def _fields(self, body: bytes) -> dict[str, list[str]]:
        # verify and then parse read the same request's body: unquoting up to
        # 64 KiB of escapes is the costliest step, so it is done once.
        if self._read is None or self._read[0] is not body:
            self._read = (body, form_fields(body))
        return self._read[1]

    def verify(self, request: InboundRequest) -> bool:
        """Check X-Twilio-Signature against every URL Twilio may have called."""
        if not self.signed:
            return True
        signature = request.header(SIGNATURE_HEADER)
        algorithm = signature_algorithm(request.header(SETTINGS_HEADER))
        # An HMAC with an empty key is one anybody can compute: an empty
        # token verifies nothing.
        if not self._key or not signature or algorithm is None:
            return False
        signed_fields = _signed_fields(self._fields(request.body))
        return any(
            hmac.compare_digest(
                _sign(self._key, variant, signed_fields, algorithm).encode(),
                signature.encode(),
            )
            for url in request.urls
            for variant in url_variants(url)
        )

    def parse(self, request: InboundRequest) -> list[ProviderSignal]:
        """Read a voice or SMS callback."""
        return parse_fields(
            {key: values[-1] for key, values in self._fields(request.body).items()}
        )


def parse_fields(fields: Mapping[str, object]) -> list[ProviderSignal]:
    """Read Twilio's fields (from a webhook or from Home Assistant's event)."""
    number = text_or_none(fields.get("From"))
    if "Body" in fields and not fields.get("CallSid"):
        text = fields.get("Body")
        if number is None or not isinstance(text, str):
            raise MalformedError("an SMS without sender or body")
        return [ReplyReceived(number=number, text=text)]
    call_sid = text_or_none(fields.get("CallSid"))
    if call_sid is None:
        if "MessageStatus" in fields:
            return [_delivery_report(fields)]
        raise MalformedError("neither a call nor a message")
    direction = str(fields.get("Direction") or "inbound")
    if direction != "inbound":
        # outbound-dial legs are the forwarding of an inbound call (they have
        # a parent call); outbound-api calls are the owner calling someone.
        to = text_or_none(fields.get("To"))
        if fields.get("ParentCallSid") or to is None:
            return []
        return [CallPlaced(number=to)]
    # A forwarded call ends "completed" on the parent leg even when the
    # forward rang out: the dialled leg's status decides when present.
    status = str(fields.get("DialCallStatus") or fields.get("CallStatus") or "")
    if status not in MISSED_STATUSES and status not in ANSWERED_STATUSES:
        return []  # still in progress
    return [
        CallEnded(
            call_id=f"twilio:{call_sid}",
            number=number,
            caller_name=text_or_none(fields.get("CallerName")),
            missed=status in MISSED_STATUSES,
        )
    ]


def _delivery_report(fields: Mapping[str, object]) -> DeliveryReport:
    """Read the status callback Twilio posts for a text the line sent."""
    message_sid = text_or_none(fields.get("MessageSid"))
    status = str(fields.get("MessageStatus") or "").strip().lower()
    if message_sid is None or not status:
        raise MalformedError("a message status without its message")
    return DeliveryReport(
        message_id=message_sid,
        delivered=status in DELIVERED_STATUSES,
        error_code=text_or_none(fields.get("ErrorCode")),
        final=status in DELIVERED_STATUSES or status in UNDELIVERED_STATUSES,
    )


def _build(data: Mapping[str, Any]) -> TwilioProvider:
    return TwilioProvider(secret_setting(data, CONF_AUTH_TOKEN))


def _check_signed(cleaned: Mapping[str, Any]) -> FormErrors:
    public_url = cleaned.get(CONF_PUBLIC_URL)
    if public_url and not public_url.startswith(("https://", "http://")):
        return {CONF_PUBLIC_URL: "invalid_url"}
    return {}


DESCRIPTION: Final = ProviderDescription(
    kind=ProviderKind.TWILIO,
    translation_key=ProviderKind.TWILIO.value,
    build=_build,
    secret_field=CONF_AUTH_TOKEN,
    fields=(
        FormField(key=CONF_AUTH_TOKEN, kind=FieldKind.PASSWORD, secret=True),
        FormField(key=CONF_PUBLIC_URL, kind=FieldKind.URL),
    ),
    check_signed=_check_signed,
    # Any other 200 body Twilio reads as TwiML it cannot run, and logs.
    reply=WebhookReply(EMPTY_TWIML, "text/xml"),
    signs_url=True,
)

# Home Assistant's own Twilio integration: its event carries the calls, no
# webhook of this line hears them, and nothing is signed.
INTEGRATION_DESCRIPTION: Final = ProviderDescription(
    kind=ProviderKind.TWILIO_INTEGRATION,
    translation_key=ProviderKind.TWILIO_INTEGRATION.value,
    build=_build,
    webhook=False,
)
