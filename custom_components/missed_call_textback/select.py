"""Select: when the line texts back (always, after hours, business hours, off)."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .const import Mode
from .data import TextBackConfigEntry
from .entity import TextBackEntity

PARALLEL_UPDATES = 0

MODE_SELECT = SelectEntityDescription(
    key="mode",
    translation_key="mode",
    options=[mode.value for mode in Mode],
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the mode select of a line."""
    async_add_entities([TextBackModeSelect(entry.runtime_data, MODE_SELECT)])


class TextBackModeSelect(TextBackEntity, SelectEntity, RestoreEntity):
    """The text-back mode; remembered across restarts."""

    async def async_added_to_hass(self) -> None:
        """Restore the owner's last choice (always for a new line)."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and (
            last.state in self.options
        ):
            self.line.mode = Mode(last.state)

    @property
    def current_option(self) -> str:
        """Return the mode."""
        return self.line.mode.value

    async def async_select_option(self, option: str) -> None:
        """Change the mode."""
        self.line.mode = Mode(option)
        self.async_write_ha_state()
