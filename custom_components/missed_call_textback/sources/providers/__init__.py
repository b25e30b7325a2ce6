"""Phone-provider webhooks: each module reads one provider's requests.

A provider module is pure (no Home Assistant): ``verify`` checks a request's
signature and ``parse`` turns its body into signals. The webhook source does
the HTTP around them and hands the signals to the line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import json
from typing import Any, Final, Literal, Protocol

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


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What the provider learned of a text the line sent (a status callback).

    final is False for a step on the way (queued, sent to the carrier): only a
    final report says whether the text reached the phone. error_code is the
    provider's own code for an undelivered text, when it gives one.
    """

    message_id: str
    delivered: bool
    error_code: str | None
    final: bool


type ProviderSignal = (
    CallEnded | CallPlaced | ReplyReceived | CallProgress | DeliveryReport
)


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


# Config entry data every signed provider has: the owner's choice to take
# requests without a signature (then the secret may be left empty).
CONF_ACCEPT_UNSIGNED: Final = "accept_unsigned"


class FieldKind(StrEnum):
    """How a provider's setting is entered in the setup form."""

    TEXT = "text"
    PASSWORD = "password"  # noqa: S105 - a kind of field
    URL = "url"
    TEXT_LIST = "text_list"
    CHOICE = "choice"
    FLAG = "flag"


@dataclass(frozen=True, slots=True, kw_only=True)
class FormField:
    """One setting of a provider, as the setup form asks for it.

    Plain data, so provider modules stay free of Home Assistant; the config
    flow turns each kind into its selector.
    """

    key: str
    kind: FieldKind = FieldKind.TEXT
    # With a default the field is required; without one it is optional and
    # the stored value is only suggested, so it can be cleared.
    default: str | bool | tuple[str, ...] | None = None
    # The values of a CHOICE (translated under the field's key).
    choices: tuple[str, ...] = ()
    # A credential: diagnostics and logs never show it.
    secret: bool = False

    def clean(self, value: Any) -> Any:
        """Return the value as the entry stores it."""
        if self.kind is FieldKind.TEXT_LIST:
            return sorted(
                {str(item).strip() for item in value or [] if str(item).strip()}
            )
        if self.kind is FieldKind.FLAG:
            return bool(value)
        return str(value or "").strip()


UNSIGNED_FIELD: Final = FormField(
    key=CONF_ACCEPT_UNSIGNED, kind=FieldKind.FLAG, default=False
)


@dataclass(frozen=True, slots=True)
class WebhookReply:
    """What a provider expects in the body of a 200."""

    body: str
    content_type: str


type FormErrors = dict[str, str]


def no_errors(cleaned: Mapping[str, Any]) -> FormErrors:  # noqa: ARG001
    """Find nothing wrong (a provider with no check of its own)."""
    return {}


@dataclass(frozen=True, kw_only=True)
class ProviderDescription:
    """All the rest of the integration knows of one provider.

    The flow builds its form and checks from it, the webhook source its
    provider and answer: adding a provider is its module, its description in
    the registry, its translations (steps ``webhook_<translation_key>`` and
    ``webhook_url_<translation_key>``) and its tests.
    """

    kind: ProviderKind
    translation_key: str
    # Read an entry's data into the provider (its verify and parse).
    build: Callable[[Mapping[str, Any]], Provider]
    # The setting that holds what verifies a signature; None when the
    # provider cannot sign.
    secret_field: str | None = None
    # The settings the setup form asks for, besides accept_unsigned.
    fields: tuple[FormField, ...] = ()
    # Checks of the settings before the secret is looked at.
    check_form: Callable[[Mapping[str, Any]], FormErrors] = no_errors
    # Checks that only matter when a secret is given.
    check_signed: Callable[[Mapping[str, Any]], FormErrors] = no_errors
    # The body of a 200; None for an empty one.
    reply: WebhookReply | None = None
    # Whether the signature covers the URL called (so the source must guess
    # which of the line's URLs the provider used).
    signs_url: bool = False
    # Only the local network may call a webhook whose requests are unsigned.
    local_only: bool = False
    # False when calls come some other way than a webhook of this line.
    webhook: bool = True

    @property
    def signed(self) -> bool:
        """Return whether the provider signs its requests."""
        return self.secret_field is not None

    @property
    def form(self) -> tuple[FormField, ...]:
        """Return the settings the setup form asks for."""
        return (*self.fields, UNSIGNED_FIELD) if self.signed else self.fields

    def clean(self, user_input: Mapping[str, Any]) -> dict[str, Any]:
        """Return the form's settings as the entry stores them."""
        return {
            field.key: field.clean(user_input.get(field.key)) for field in self.form
        }

    def errors(self, cleaned: Mapping[str, Any]) -> FormErrors:
        """Return what is wrong with cleaned settings, by field."""
        if errors := self.check_form(cleaned):
            return errors
        if self.secret_field is None:
            return {}
        if not cleaned[self.secret_field]:
            if not cleaned[CONF_ACCEPT_UNSIGNED]:
                return {self.secret_field: "secret_required"}
            return {}
        return self.check_signed(cleaned)


def secret_setting(data: Mapping[str, Any], key: str) -> str | None:
    """Return the secret, or None when the owner chose unsigned requests."""
    value = str(data.get(key) or "").strip()
    if not value and data.get(CONF_ACCEPT_UNSIGNED, False):
        return None
    # An empty secret without the unsigned choice verifies nothing.
    return value


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
