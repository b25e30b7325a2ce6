"""Button: mark the most urgent follow-up done."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import DOMAIN
from .data import TextBackConfigEntry
from .entity import TextBackEntity

PARALLEL_UPDATES = 0

RESOLVE_BUTTON = ButtonEntityDescription(
    key="resolve_follow_up", translation_key="resolve_follow_up"
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the button of a line."""
    async_add_entities([TextBackResolveButton(entry.runtime_data, RESOLVE_BUTTON)])


class TextBackResolveButton(TextBackEntity, ButtonEntity):
    """Marks the open follow-up with the nearest deadline done."""

    _follows_line = False

    async def async_press(self) -> None:
        """Resolve the most urgent follow-up."""
        if self.line.async_resolve_oldest_lead(self._context) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_open_follow_ups"
            )
