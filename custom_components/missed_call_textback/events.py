"""A line's bus events: their payload, their links to the logbook, their listeners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .changes import Change
from .const import DOMAIN, CallEvent

type CallEventListener = Callable[[CallEvent, dict[str, Any]], None]


class LineEvents:
    """Fires the line's events and tells its entities about them."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        line_name: Callable[[], str],
        changed: Callable[[Change], None],
    ) -> None:
        """Initialize; changed redraws the entities showing what an event changed."""
        self._hass = hass
        self._entry_id = entry_id
        self._line_name = line_name
        self._changed = changed
        self._listeners: list[CallEventListener] = []

    @callback
    def async_add_listener(self, listener: CallEventListener) -> CALLBACK_TYPE:
        """Call listener with every event of this line (the Call event entity)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def data(
        self,
        call_id: str | None,
        number: str | None,
        caller_name: str | None,
        variant: str | None = None,
    ) -> dict[str, Any]:
        """Return the fields every event of the line carries."""
        return {
            "entry_id": self._entry_id,
            "line_name": self._line_name(),
            "call_id": call_id,
            "number": number,
            "caller_name": caller_name,
            "variant": variant,
        }

    @callback
    def fire(
        self,
        event: CallEvent,
        data: dict[str, Any],
        context: Context | None,
        changed: Change = Change.ALL,
    ) -> None:
        """Fire an event on the bus and hand it to the line's listeners.

        changed: what the event changed of what the entities show (the Call
        event entity hears every event anyway).
        """
        self._hass.bus.async_fire(
            f"{DOMAIN}_{event}", {**data, **self._links()}, context=context
        )
        for listener in list(self._listeners):
            listener(event, data)
        if changed:
            self._changed(changed)

    def _links(self) -> dict[str, str]:
        """Return the Call entity and the device, so the logbook files events there.

        Looked up at every event (two dictionary lookups): an entity the owner
        renamed is linked by its new id at once.
        """
        registry = er.async_get(self._hass)
        entity_id = registry.async_get_entity_id(
            "event", DOMAIN, f"{self._entry_id}_call"
        )
        entity = registry.async_get(entity_id) if entity_id else None
        if entity is None or entity.device_id is None:
            return {}  # not registered yet
        return {"entity_id": entity.entity_id, "device_id": entity.device_id}
