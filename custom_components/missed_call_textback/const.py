"""Constants for Missed Call Text-Back."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "missed_call_textback"
LOGGER = logging.getLogger(__package__)

# Config entry data: how calls are heard (changed by the reconfigure flow).
CONF_SOURCE: Final = "source"
CONF_PRESET: Final = "preset"
CONF_ENTITY_ID: Final = "entity_id"
CONF_RINGING_STATES: Final = "ringing_states"
CONF_ANSWERED_STATES: Final = "answered_states"
CONF_IDLE_STATES: Final = "idle_states"
CONF_NUMBER_ATTRIBUTE: Final = "number_attribute"
CONF_NAME_ATTRIBUTE: Final = "name_attribute"

# Config entry options: everything else (edited by the options flow).
CONF_LINE_NAME: Final = "line_name"
CONF_BUSINESS_NAME: Final = "business_name"
CONF_SENDER: Final = "sender"
CONF_NOTIFY_SERVICE: Final = "notify_service"
CONF_ACTION: Final = "action"
CONF_MESSAGE: Final = "message"
CONF_COOLDOWN_HOURS: Final = "cooldown_hours"
CONF_TEXT_VOICEMAIL: Final = "text_voicemail"
CONF_COUNTRY: Final = "country"
# Rules (options, "Rules" step).
CONF_BLOCKLIST: Final = "blocklist"
CONF_ALLOWLIST_ONLY: Final = "allowlist_only"
CONF_ALLOWLIST: Final = "allowlist"
CONF_NEVER_TEXT: Final = "never_text"
CONF_MIN_RING_SECONDS: Final = "min_ring_seconds"
CONF_HOURLY_CAP: Final = "hourly_cap"
CONF_DAILY_CAP: Final = "daily_cap"
CONF_RETRY_MINUTES: Final = "retry_minutes"
# Replies (options, "Replies" step).
CONF_REPLY_SOURCE: Final = "reply_source"
CONF_REPLY_EVENT_TYPE: Final = "reply_event_type"
CONF_REPLY_NUMBER_KEY: Final = "reply_number_key"
CONF_REPLY_TEXT_KEY: Final = "reply_text_key"
CONF_STOP_CONFIRMATION: Final = "stop_confirmation"
CONF_HELP_MESSAGE: Final = "help_message"
CONF_STOP_MESSAGE: Final = "stop_message"


class SourceKind(StrEnum):
    """How a line hears calls."""

    ENTITY = "entity"
    SIP = "sip"


class Preset(StrEnum):
    """Call-state entity presets."""

    FRITZBOX = "fritzbox"
    MODEM = "modem"
    GENERIC = "generic"


class ReplySource(StrEnum):
    """Where a line hears the callers' replies (besides the handle_reply action)."""

    NONE = "none"
    TWILIO = "twilio"
    EVENT = "event"


# Core twilio fires this with Twilio's POST fields (unsigned: it does not check
# X-Twilio-Signature).
TWILIO_EVENT: Final = "twilio_data_received"
TWILIO_NUMBER_KEY: Final = "From"
TWILIO_TEXT_KEY: Final = "Body"


class SenderKind(StrEnum):
    """How a line sends texts."""

    NOTIFY = "notify"
    ACTION = "action"


DEFAULT_MESSAGE: Final = (
    "Hey \u2014 you just called {{ business_name }}. We're probably on a job right "
    "now. What can we help you with? We'll follow up within the hour."
)
DEFAULT_COOLDOWN_HOURS: Final = 24
# The text entity holds the template; Home Assistant caps text entities at 255.
MAX_MESSAGE_LENGTH: Final = 255
MAX_COOLDOWN_HOURS: Final = 720
DEFAULT_HOURLY_CAP: Final = 20
DEFAULT_DAILY_CAP: Final = 100
DEFAULT_RETRY_MINUTES: Final = (0.5, 2.0, 10.0, 30.0)
MAX_RETRIES: Final = 10
DEFAULT_HELP_MESSAGE: Final = (
    "{{ business_name }}: we text back callers we could not answer. "
    "Reply STOP to get no more texts."
)
DEFAULT_STOP_MESSAGE: Final = (
    "You will get no more texts from {{ business_name }}. Reply START to undo."
)
DEFAULT_RINGING_STATES: Final = ("ringing",)
DEFAULT_ANSWERED_STATES: Final = ("talking",)
DEFAULT_IDLE_STATES: Final = ("idle",)
DEFAULT_NUMBER_ATTRIBUTE: Final = "from"
DEFAULT_NAME_ATTRIBUTE: Final = "from_name"

# FRITZ!Box built-in answering machines answer on device ids 40-49.
FRITZBOX_ANSWERING_MACHINE_DEVICES: Final = frozenset(str(i) for i in range(40, 50))

# History kept per line; cooldowns older than their window are pruned.
HISTORY_CAP: Final = 200

STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1

# Bus events.
EVENT_MISSED_CALL: Final = f"{DOMAIN}_missed_call"
EVENT_TEXT_SENT: Final = f"{DOMAIN}_text_sent"
EVENT_TEXT_SKIPPED: Final = f"{DOMAIN}_text_skipped"
EVENT_TEXT_FAILED: Final = f"{DOMAIN}_text_failed"
EVENT_REPLY_RECEIVED: Final = f"{DOMAIN}_reply_received"


class CallEvent(StrEnum):
    """Event types of the Call event entity (bus events are DOMAIN + '_' + value)."""

    MISSED_CALL = "missed_call"
    TEXT_SENT = "text_sent"
    TEXT_SKIPPED = "text_skipped"
    TEXT_FAILED = "text_failed"
    REPLY_RECEIVED = "reply_received"


class SkipReason(StrEnum):
    """Why a missed call was not texted."""

    DISABLED = "disabled"
    ANONYMOUS = "anonymous"
    INVALID_NUMBER = "invalid_number"
    SHORT_CODE = "short_code"
    COOLDOWN = "cooldown"
    DUPLICATE = "duplicate"
    OPTED_OUT = "opted_out"
    NEVER_TEXT = "never_text"
    BLOCKED = "blocked"
    NOT_ALLOWED = "not_allowed"
    SHORT_RING = "short_ring"
    RATE_CAPPED = "rate_capped"


SERVICE_REPORT_MISSED_CALL: Final = "report_missed_call"
SERVICE_HANDLE_REPLY: Final = "handle_reply"
SERVICE_OPT_OUT: Final = "opt_out"
SERVICE_OPT_IN: Final = "opt_in"
ATTR_TEXT: Final = "text"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_NUMBER: Final = "number"
ATTR_CALLER_NAME: Final = "caller_name"
