"""Select: when the line texts back (always, after hours, business hours, off)."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .changes import Change
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


class TextBackModeSelect(TextBackEntity, SelectEntity):
    """The text-back mode; kept in the line's Store, known before it starts."""

    _shows = Change.SWITCHES

    @property
    def current_option(self) -> str:
        """Return the mode."""
        return self.line.mode.value

    async def async_select_option(self, option: str) -> None:
        """Change the mode."""
        await self.line.async_set_mode(Mode(option))
        self.async_write_shown()
