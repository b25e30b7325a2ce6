"""Event entity: every missed call and what became of it."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .changes import Change
from .const import CallEvent
from .data import TextBackConfigEntry
from .entity import TextBackEntity

PARALLEL_UPDATES = 0

CALL_EVENT = EventEntityDescription(
    key="call",
    translation_key="call",
    event_types=[event.value for event in CallEvent],
)

# The entry id and line are the entity's own context; repeating them on every
# event would only bloat the recorder.
_OMITTED = frozenset({"entry_id", "line_name"})


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the event entity of a line."""
    async_add_entities([TextBackCallEvent(entry.runtime_data, CALL_EVENT)])


class TextBackCallEvent(TextBackEntity, EventEntity):
    """Fires every call event of the line (missed call, text sent, reply...)."""

    # It writes its state at each event itself and shows nothing else.
    _shows = Change.NONE

    async def async_added_to_hass(self) -> None:
        """Listen to the line's call events."""
        await super().async_added_to_hass()
        self.async_on_remove(self.line.async_add_event_listener(self._async_call_event))

    @callback
    def _async_call_event(self, event: CallEvent, data: dict[str, Any]) -> None:
        self._trigger_event(
            event.value, {k: v for k, v in data.items() if k not in _OMITTED}
        )
        self.async_write_shown()
