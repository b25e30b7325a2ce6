"""Switch: the line's master on/off for texting back."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .changes import Change
from .data import TextBackConfigEntry
from .entity import TextBackEntity

PARALLEL_UPDATES = 0

TEXT_BACK_SWITCH = SwitchEntityDescription(key="text_back", translation_key="text_back")


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the switch of a line."""
    async_add_entities([TextBackSwitch(entry.runtime_data, TEXT_BACK_SWITCH)])


class TextBackSwitch(TextBackEntity, SwitchEntity):
    """Texting back on or off; kept in the line's Store, known before it starts."""

    _shows = Change.SWITCHES

    @property
    def is_on(self) -> bool:
        """Return whether missed callers are texted."""
        return self.line.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Start texting missed callers."""
        await self.line.async_set_enabled(enabled=True)
        self.async_write_shown()

    async def async_turn_off(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Stop texting missed callers."""
        await self.line.async_set_enabled(enabled=False)
        self.async_write_shown()
