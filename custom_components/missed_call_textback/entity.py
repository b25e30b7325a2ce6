"""Base entity of a business line."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .line import TextBackLine


class TextBackEntity(Entity):
    """An entity on the device of one business line."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    # Entities whose state derives from the line's counters redraw on each change.
    _follows_line = True

    def __init__(self, line: TextBackLine, description: EntityDescription) -> None:
        """Initialize the entity."""
        self.line = line
        self.entity_description = description
        entry_id = line.entry.entry_id
        self._attr_unique_id = f"{entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry_id)},
            name=line.line_name,
            manufacturer="Missed Call Text-Back",
            model="Business line",
            entry_type=DeviceEntryType.SERVICE,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the line's changes."""
        await super().async_added_to_hass()
        if self._follows_line:
            self.async_on_remove(
                self.line.async_add_listener(self.async_write_ha_state)
            )
