"""Text entities: the line's message templates, with their SMS cost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.text import TextEntity, TextEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError, TemplateError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .changes import Change
from .const import CONF_AFTER_HOURS_MESSAGE, CONF_MESSAGE, DOMAIN, MAX_MESSAGE_LENGTH
from .data import TextBackConfigEntry
from .entity import TextBackEntity
from .line import TextBackLine
from .message import async_check_message, missing_details
from .send_test import owner_number
from .sms import sms_info

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TextBackTextDescription(TextEntityDescription):
    """Describes a message template of a business line."""

    option: str
    value_fn: Callable[[TextBackLine], str]


TEXTS: tuple[TextBackTextDescription, ...] = (
    TextBackTextDescription(
        key="message",
        translation_key="message",
        entity_category=EntityCategory.CONFIG,
        native_max=MAX_MESSAGE_LENGTH,
        option=CONF_MESSAGE,
        value_fn=lambda line: line.message_template,
    ),
    TextBackTextDescription(
        key="after_hours_message",
        translation_key="after_hours_message",
        entity_category=EntityCategory.CONFIG,
        # Empty: callers who ring while closed get the main message.
        native_min=0,
        native_max=MAX_MESSAGE_LENGTH,
        option=CONF_AFTER_HOURS_MESSAGE,
        value_fn=lambda line: line.after_hours_template,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the message entities of a line."""
    line = entry.runtime_data
    async_add_entities(
        [
            *(TextBackMessage(line, description) for description in TEXTS),
            TextBackTestNumber(line, TEST_NUMBER),
        ]
    )


class TextBackMessage(TextBackEntity, TextEntity):
    """A message template; attributes tell what one text will cost."""

    entity_description: TextBackTextDescription
    # The preview's "next_open" and "is_open" follow the business hours.
    _shows = Change.SETTINGS | Change.HOURS
    _cost: tuple[str, dict[str, Any]] | None = None

    @property
    def native_value(self) -> str:
        """Return the template."""
        return self.entity_description.value_fn(self.line)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the segment count and encoding of a typical rendered text."""
        if not (source := self.native_value).strip():
            return {"encoding": None, "segments": 0, "length": 0}
        # The renderer keeps the preview; its count is kept here.
        preview = self.line.renderer.render_preview(source)
        if self._cost is None or self._cost[0] != preview:
            info = sms_info(preview)
            self._cost = (
                preview,
                {
                    "encoding": info.encoding.value,
                    "segments": info.segments,
                    "length": info.length,
                },
            )
        return self._cost[1]

    async def async_set_value(self, value: str) -> None:
        """Check the new template, then store it in the line's options."""
        if value.strip() or self.entity_description.option == CONF_MESSAGE:
            details = self.line.details(self.line.variants[0])
            try:
                async_check_message(self.hass, value, details=details)
            except TemplateError as err:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="invalid_template",
                    translation_placeholders={"error": str(err)},
                ) from err
            if missing := missing_details(value, details):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="missing_detail",
                    translation_placeholders={"detail": missing[0]},
                )
        entry = self.line.entry
        self.hass.config_entries.async_update_entry(
            entry, options={**entry.options, self.entity_description.option: value}
        )


# The owner's own phone, where the Send test text button sends (kept in the
# line's Store, so changing it reloads nothing).
TEST_NUMBER = TextEntityDescription(
    key="test_number",
    translation_key="test_number",
    entity_category=EntityCategory.CONFIG,
    native_min=0,
    native_max=32,
    pattern=r"^[0-9+()./ -]*$",
)


class TextBackTestNumber(TextBackEntity, TextEntity):
    """The number test texts go to (the owner's own mobile)."""

    _shows = Change.SETTINGS

    @property
    def native_value(self) -> str:
        """Return the number, or nothing when none is set."""
        return self.line.ledger.test_number or ""

    async def async_set_value(self, value: str) -> None:
        """Keep the number in E.164 (an empty value clears it)."""
        number = owner_number(self.line, value) if value.strip() else None
        self.line.ledger.set_test_number(number)
        self.async_write_shown()
