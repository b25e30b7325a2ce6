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


class SourceKind(StrEnum):
    """How a line hears calls."""

    ENTITY = "entity"


class Preset(StrEnum):
    """Call-state entity presets."""

    FRITZBOX = "fritzbox"
    MODEM = "modem"
    GENERIC = "generic"


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


class CallEvent(StrEnum):
    """Event types of the Call event entity (bus events are DOMAIN + '_' + value)."""

    MISSED_CALL = "missed_call"
    TEXT_SENT = "text_sent"
    TEXT_SKIPPED = "text_skipped"
    TEXT_FAILED = "text_failed"


class SkipReason(StrEnum):
    """Why a missed call was not texted."""

    DISABLED = "disabled"
    ANONYMOUS = "anonymous"
    INVALID_NUMBER = "invalid_number"
    SHORT_CODE = "short_code"
    COOLDOWN = "cooldown"
    DUPLICATE = "duplicate"


SERVICE_REPORT_MISSED_CALL: Final = "report_missed_call"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_NUMBER: Final = "number"
ATTR_CALLER_NAME: Final = "caller_name"
