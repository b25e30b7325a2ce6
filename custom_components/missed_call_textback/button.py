"""Buttons: mark the most urgent follow-up done; send a test text."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .changes import Change
from .const import DOMAIN
from .data import TextBackConfigEntry
from .entity import TextBackEntity
from .send_test import async_send_test_text

PARALLEL_UPDATES = 0

RESOLVE_BUTTON = ButtonEntityDescription(
    key="resolve_follow_up", translation_key="resolve_follow_up"
)
TEST_TEXT_BUTTON = ButtonEntityDescription(
    key="send_test_text",
    translation_key="send_test_text",
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the buttons of a line."""
    line = entry.runtime_data
    async_add_entities(
        [
            TextBackResolveButton(line, RESOLVE_BUTTON),
            TextBackTestTextButton(line, TEST_TEXT_BUTTON),
        ]
    )


class TextBackResolveButton(TextBackEntity, ButtonEntity):
    """Marks the open follow-up with the nearest deadline done."""

    _shows = Change.NONE

    async def async_press(self) -> None:
        """Resolve the most urgent follow-up."""
        if self.line.follow_ups.async_resolve_oldest(self._context) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_open_follow_ups"
            )
        # The press returns with the follow-up sensors showing it.
        self.line.redraws.flush()


class TextBackTestTextButton(TextBackEntity, ButtonEntity):
    """Sends the current message to the owner's own number (the Test number)."""

    _shows = Change.NONE

    async def async_press(self) -> None:
        """Send the test text; a refusal shows as the press's error."""
        if not (number := self.line.ledger.test_number):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_test_number"
            )
        result = await async_send_test_text(self.line, number, self._context)
        if result["result"] != "sent":
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="test_text_failed",
                translation_placeholders={"error": result["error"]},
            )
