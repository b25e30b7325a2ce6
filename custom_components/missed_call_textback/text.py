"""Text entity: the line's message template, with its SMS cost."""

from __future__ import annotations

from typing import Any

from homeassistant.components.text import TextEntity, TextEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError, TemplateError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import CONF_MESSAGE, DOMAIN, MAX_MESSAGE_LENGTH
from .data import TextBackConfigEntry
from .entity import TextBackEntity
from .message import async_check_message
from .sms import sms_info

PARALLEL_UPDATES = 0

MESSAGE_TEXT = TextEntityDescription(
    key="message",
    translation_key="message",
    entity_category=EntityCategory.CONFIG,
    native_max=MAX_MESSAGE_LENGTH,
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the message entity of a line."""
    async_add_entities([TextBackMessage(entry.runtime_data, MESSAGE_TEXT)])


class TextBackMessage(TextBackEntity, TextEntity):
    """The message template; attributes tell what one text will cost."""

    @property
    def native_value(self) -> str:
        """Return the template."""
        return self.line.message_template

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the segment count and encoding of a typical rendered text."""
        preview = self.line.render_preview()
        info = sms_info(preview)
        return {
            "encoding": info.encoding.value,
            "segments": info.segments,
            "length": info.length,
        }

    async def async_set_value(self, value: str) -> None:
        """Check the new template, then store it in the line's options."""
        try:
            async_check_message(self.hass, value)
        except TemplateError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_template",
                translation_placeholders={"error": str(err)},
            ) from err
        entry = self.line.entry
        self.hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_MESSAGE: value}
        )
