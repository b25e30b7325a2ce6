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
# A native sender (Twilio, Telnyx, Quo): its credentials (keys in native/), the
# webhook that takes its delivery receipts and replies, and that webhook's URL
# as the provider calls it (kept, so reconfiguring never moves it).
CONF_CREDENTIALS: Final = "credentials"
CONF_RECEIPT_WEBHOOK_ID: Final = "receipt_webhook_id"
CONF_RECEIPT_URL: Final = "receipt_url"
# Rules (options, "Rules" step).
CONF_BLOCKLIST: Final = "blocklist"
CONF_ALLOWLIST_ONLY: Final = "allowlist_only"
CONF_ALLOWLIST: Final = "allowlist"
CONF_NEVER_TEXT: Final = "never_text"
# Countries besides the line's own whose numbers may be texted.
CONF_ALLOWED_COUNTRIES: Final = "allowed_countries"
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
# Business hours (options, "Business hours" step).
CONF_HOURS_SOURCE: Final = "hours_source"
CONF_SCHEDULE_ENTITY: Final = "schedule_entity"
CONF_HOLIDAY_COUNTRY: Final = "holiday_country"
CONF_HOLIDAY_SUBDIVISION: Final = "holiday_subdivision"
CONF_CLOSED_DATES: Final = "closed_dates"
# One field per weekday, Monday first, holding that day's open intervals.
CONF_WEEKDAYS: Final = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
# When to text (options, "Timing" step).
CONF_BUSY_ONLY: Final = "busy_only"
CONF_DELAY_SECONDS: Final = "delay_seconds"
CONF_QUIET_HOURS: Final = "quiet_hours"
CONF_QUIET_START: Final = "quiet_start"
CONF_QUIET_END: Final = "quiet_end"
CONF_QUIET_ACTION: Final = "quiet_action"
CONF_QUIET_PRESET: Final = "quiet_preset"
CONF_QUIET_CLOCK: Final = "quiet_clock"
# What the texts say (options, "Messages" step).
CONF_MESSAGE_PRESET: Final = "message_preset"
# The language of the presets and default answers (auto: Home Assistant's).
CONF_MESSAGE_LANGUAGE: Final = "message_language"
CONF_AFTER_HOURS_MESSAGE: Final = "after_hours_message"
CONF_BOOKING_LINK: Final = "booking_link"
CONF_TRADE: Final = "trade"
CONF_SERVICE_AREA: Final = "service_area"
CONF_RESPONSE_WINDOW: Final = "response_window"
CONF_RESPONSE_MINUTES: Final = "response_minutes"
# Follow-up (options, "Follow-up" step).
CONF_FOLLOW_UP_NOTIFY: Final = "follow_up_notify"
CONF_REMIND_MINUTES: Final = "remind_minutes"
CONF_FORWARD_REPLIES: Final = "forward_replies"
DEFAULT_REMIND_MINUTES: Final = 10
# Message variants (options, "Variants" step): B, C and D besides the main message A.
CONF_VARIANT_MODE: Final = "variant_mode"
EXTRA_VARIANTS: Final = ("b", "c", "d")


def variant_key(variant: str, field: str) -> str:
    """Return the option key of one field of variant b, c or d."""
    return f"variant_{variant}_{field}"


class SourceKind(StrEnum):
    """How a line hears calls."""

    ENTITY = "entity"
    WEBHOOK = "webhook"
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


class HoursSource(StrEnum):
    """Where a line's business hours come from."""

    NONE = "none"
    WEEKLY = "weekly"
    SCHEDULE = "schedule"


class Mode(StrEnum):
    """When the line texts (the Text-back mode select)."""

    ALWAYS = "always"
    AFTER_HOURS = "after_hours"
    BUSINESS_HOURS = "business_hours"
    OFF = "off"


class QuietAction(StrEnum):
    """What happens to a text due in quiet hours."""

    HOLD = "hold"
    SKIP = "skip"


class QuietClock(StrEnum):
    """Whose local time quiet hours are read in."""

    LINE = "line"
    CALLER = "caller"


class QuietPreset(StrEnum):
    """Common US calling-hour rules to start quiet hours from (not legal advice)."""

    CUSTOM = "custom"
    US_FEDERAL = "us_federal"
    US_8_TO_20 = "us_8_to_20"
    US_9_TO_20 = "us_9_to_20"


# The quiet hours (start, end) each rule leaves: texts go out from end to start.
# Federal: 47 CFR 64.1200(c)(1), 8:00-21:00; 8:00-20:00 in Florida, Oklahoma
# and Maryland; 9:00-20:00 in Connecticut. All are read in the caller's time.
QUIET_PRESETS: Final = {
    QuietPreset.US_FEDERAL: ("21:00:00", "08:00:00"),
    QuietPreset.US_8_TO_20: ("20:00:00", "08:00:00"),
    QuietPreset.US_9_TO_20: ("20:00:00", "09:00:00"),
}


class MessagePreset(StrEnum):
    """Starting points for the messages."""

    KEEP = "keep"
    GENERAL = "general"
    APPOINTMENT = "appointment"
    CONTRACTOR = "contractor"


class VariantMode(StrEnum):
    """How missed calls are assigned a message variant."""

    OFF = "off"
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"


class SenderKind(StrEnum):
    """How a line sends texts."""

    NOTIFY = "notify"
    ACTION = "action"
    # Straight to the provider's messaging API (native/).
    TWILIO = "twilio"
    TELNYX = "telnyx"
    QUO = "quo"


# The texts themselves (presets, HELP and STOP answers) are in presets.py.
DEFAULT_RESPONSE_MINUTES: Final = 60
MAX_DELAY_SECONDS: Final = 600
DEFAULT_QUIET_START: Final = "21:00:00"
DEFAULT_QUIET_END: Final = "08:00:00"
DEFAULT_OPEN_HOURS: Final = "08:00-17:00"
DEFAULT_COOLDOWN_HOURS: Final = 24
# The text entity holds the template; Home Assistant caps text entities at 255.
MAX_MESSAGE_LENGTH: Final = 255
MAX_COOLDOWN_HOURS: Final = 720
DEFAULT_HOURLY_CAP: Final = 20
DEFAULT_DAILY_CAP: Final = 100
DEFAULT_RETRY_MINUTES: Final = (0.5, 2.0, 10.0, 30.0)
MAX_RETRIES: Final = 10
DEFAULT_RINGING_STATES: Final = ("ringing",)
DEFAULT_ANSWERED_STATES: Final = ("talking",)
DEFAULT_IDLE_STATES: Final = ("idle",)
DEFAULT_NUMBER_ATTRIBUTE: Final = "from"
DEFAULT_NAME_ATTRIBUTE: Final = "from_name"

# New FRITZ!Box and modem lines skip calls that rang for less than this. A call
# the FRITZ!Box blocks is dropped within milliseconds, yet shows `ringing` for
# about a second: core's call monitor waits 1 s after each event it passes on.
# A real caller hears at least one ring cycle (4-5 s in Europe, 6 s in the US)
# and the phones ring from the first one. core's modem sensor idles only 10 s
# after the last RING, so a modem line never loses a real call to it either.
# Lines made before keep their setting.
NEW_LINE_MIN_RING_SECONDS: Final = {Preset.FRITZBOX: 2, Preset.MODEM: 2}

# FRITZ!Box built-in answering machines answer on device ids 40-49.
FRITZBOX_ANSWERING_MACHINE_DEVICES: Final = frozenset(str(i) for i in range(40, 50))

# History kept per line; cooldowns older than their window are pruned.
HISTORY_CAP: Final = 200

STORAGE_VERSION: Final = 1
# Minor 4: a sent text keeps the provider's message id and its delivery.
STORAGE_MINOR_VERSION: Final = 4

# Bus events.
EVENT_MISSED_CALL: Final = f"{DOMAIN}_missed_call"
EVENT_TEXT_SENT: Final = f"{DOMAIN}_text_sent"
EVENT_TEXT_SKIPPED: Final = f"{DOMAIN}_text_skipped"
EVENT_TEXT_FAILED: Final = f"{DOMAIN}_text_failed"
EVENT_REPLY_RECEIVED: Final = f"{DOMAIN}_reply_received"
EVENT_TEXT_SCHEDULED: Final = f"{DOMAIN}_text_scheduled"
EVENT_FOLLOW_UP_DUE: Final = f"{DOMAIN}_follow_up_due"
EVENT_LEAD_RESOLVED: Final = f"{DOMAIN}_lead_resolved"
EVENT_TEXT_DELIVERED: Final = f"{DOMAIN}_text_delivered"
EVENT_TEXT_UNDELIVERED: Final = f"{DOMAIN}_text_undelivered"


class CallEvent(StrEnum):
    """Event types of the Call event entity (bus events are DOMAIN + '_' + value)."""

    MISSED_CALL = "missed_call"
    TEXT_SENT = "text_sent"
    TEXT_SKIPPED = "text_skipped"
    TEXT_FAILED = "text_failed"
    REPLY_RECEIVED = "reply_received"
    TEXT_SCHEDULED = "text_scheduled"
    FOLLOW_UP_DUE = "follow_up_due"
    LEAD_RESOLVED = "lead_resolved"
    TEXT_DELIVERED = "text_delivered"
    TEXT_UNDELIVERED = "text_undelivered"


class SkipReason(StrEnum):
    """Why a missed call was not texted."""

    DISABLED = "disabled"
    ANONYMOUS = "anonymous"
    INVALID_NUMBER = "invalid_number"
    SHORT_CODE = "short_code"
    FOREIGN_NUMBER = "foreign_number"
    PAID_NUMBER = "paid_number"
    COOLDOWN = "cooldown"
    DUPLICATE = "duplicate"
    OPTED_OUT = "opted_out"
    NEVER_TEXT = "never_text"
    BLOCKED = "blocked"
    NOT_ALLOWED = "not_allowed"
    SHORT_RING = "short_ring"
    RATE_CAPPED = "rate_capped"
    MODE_OFF = "mode_off"
    OPEN = "open"
    CLOSED = "closed"
    NOT_BUSY = "not_busy"
    QUIET_HOURS = "quiet_hours"
    ANSWERED_LATER = "answered_later"
    CALLED_BACK = "called_back"
    # The provider said the number cannot take texts (a landline, unreachable).
    LANDLINE = "landline"


SERVICE_REPORT_MISSED_CALL: Final = "report_missed_call"
SERVICE_HANDLE_REPLY: Final = "handle_reply"
SERVICE_OPT_OUT: Final = "opt_out"
SERVICE_OPT_IN: Final = "opt_in"
SERVICE_RESOLVE_LEAD: Final = "resolve_lead"
SERVICE_SEND_TEST_TEXT: Final = "send_test_text"
ATTR_CALL_ID: Final = "call_id"
ATTR_TEXT: Final = "text"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_NUMBER: Final = "number"
ATTR_CALLER_NAME: Final = "caller_name"
