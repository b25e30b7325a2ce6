"""Settings of the SIP source (config entry data)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

CONF_MODE: Final = "mode"
CONF_PORT: Final = "port"
CONF_ALLOWED_SOURCES: Final = "allowed_sources"
CONF_REGISTRAR: Final = "registrar"
CONF_USERNAME: Final = "username"
CONF_AUTH_USERNAME: Final = "auth_username"
CONF_PASSWORD: Final = "password"  # noqa: S105 - a field name
CONF_EXPIRES: Final = "expires"
CONF_RING_TIMEOUT: Final = "ring_timeout"
CONF_CAUSE26_ANSWERED: Final = "cause26_answered"

DEFAULT_PORT: Final = 5062
DEFAULT_SIP_PORT: Final = 5060
DEFAULT_EXPIRES: Final = 300
DEFAULT_RING_TIMEOUT: Final = 60
MIN_EXPIRES: Final = 60
MAX_EXPIRES: Final = 3600
MAX_RING_TIMEOUT: Final = 600
# The config flow waits this long for the registrar's answer.
CHECK_TIMEOUT: Final = 6.0


class SipMode(StrEnum):
    """How the SIP source hears calls."""

    LISTEN = "listen"
    REGISTER = "register"
