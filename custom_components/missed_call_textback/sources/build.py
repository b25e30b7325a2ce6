"""Build the source a line's config entry asks for.

Kept apart from the line, which takes this function as an argument: the line
imports no source kind, and no import leads from a source back to the line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant

from ..const import CONF_ENTITY_ID, CONF_SOURCE, SourceKind
from . import CallSource, LineSink
from .entity import EntitySource, interpreter_for
from .sip import SipSource
from .webhook import build_webhook_source

if TYPE_CHECKING:
    from ..data import TextBackConfigEntry


def build_source(
    hass: HomeAssistant,
    entry: TextBackConfigEntry,
    sink: LineSink,
    changed: CALLBACK_TYPE,
    now: Callable[[], datetime],
) -> CallSource:
    """Return the line's source; changed redraws the entities showing its health."""
    data = entry.data
    if data.get(CONF_SOURCE) == SourceKind.WEBHOOK:
        return build_webhook_source(hass, entry, sink, changed)
    if data.get(CONF_SOURCE) == SourceKind.SIP:
        return SipSource(
            hass,
            data,
            sink,
            now,
            on_auth_failed=lambda: entry.async_start_reauth(hass),
        )
    return EntitySource(hass, data[CONF_ENTITY_ID], interpreter_for(data), sink, now)
