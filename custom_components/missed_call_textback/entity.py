"""Base entity of a business line."""

from __future__ import annotations

from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .changes import Change
from .const import DOMAIN
from .line import TextBackLine


class TextBackEntity(Entity):
    """An entity on the device of one business line."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    # What of the line the entity shows: it is asked after changes to these
    # only (Change.NONE: it writes its own state, e.g. the Call event entity).
    _shows = Change.ALL

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

    _last_shown: tuple[Any, ...] | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the changes of the line that the entity shows."""
        await super().async_added_to_hass()
        if self._shows:
            self.async_on_remove(
                self.line.async_add_listener(self._async_line_changed, self._shows)
            )

    @callback
    def _async_line_changed(self) -> None:
        """Write the state only when what the entity shows changed.

        The line calls only the entities showing a topic that changed; a
        counter at a cap or a list that kept its order stays as it is.
        """
        if (shown := self._shown()) != self._last_shown:
            self._last_shown = shown
            self.async_write_ha_state()

    @callback
    def async_write_shown(self) -> None:
        """Write the state and remember what it showed.

        The entities of this integration write through here, never through
        async_write_ha_state alone, so the comparison above is never stale.
        """
        if self._shows:
            # Only what the line may ask about again is worth remembering.
            self._last_shown = self._shown()
        self.async_write_ha_state()

    def _shown(self) -> tuple[Any, ...]:
        """Return what the entity shows, cheaper to compare than its state."""
        return (self.available, self.state, self.extra_state_attributes)
