"""Binary sensors of a business line: open or closed, SIP registration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

try:  # Home Assistant 2026.10 keeps it in const (re-exported implicitly only)
    from homeassistant.components.binary_sensor.const import (  # type: ignore[import-not-found,unused-ignore]
        BinarySensorDeviceClass,
    )
except ImportError:  # older Home Assistant
    from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined,no-redef,unused-ignore]
        BinarySensorDeviceClass,
    )

from .changes import Change
from .data import TextBackConfigEntry
from .entity import TextBackEntity
from .line import TextBackLine

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TextBackBinarySensorDescription(BinarySensorEntityDescription):
    """Describes a binary sensor of a business line."""

    value_fn: Callable[[TextBackLine], bool | None]
    # The part of the line the value (and attributes) come from.
    shows: Change
    attributes_fn: Callable[[TextBackLine], dict[str, Any]] | None = None
    exists_fn: Callable[[TextBackLine], bool] = lambda _line: True
    # Extra change notifications besides the line's own (e.g. the source's).
    subscribe_fn: Callable[[TextBackLine, CALLBACK_TYPE], CALLBACK_TYPE] | None = None


def _source_subscribe(line: TextBackLine, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
    return line.source.async_add_listener(update)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _open_attributes(line: TextBackLine) -> dict[str, Any]:
    state = line.hours.state()
    return {"next_open": _iso(state.next_open), "next_close": _iso(state.next_close)}


BINARY_SENSORS: tuple[TextBackBinarySensorDescription, ...] = (
    TextBackBinarySensorDescription(
        key="open",
        translation_key="open",
        device_class=BinarySensorDeviceClass.OPENING,
        shows=Change.HOURS,
        value_fn=lambda line: line.hours.state().is_open,
        attributes_fn=_open_attributes,
    ),
    TextBackBinarySensorDescription(
        key="sip_registered",
        translation_key="sip_registered",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        shows=Change.SOURCE,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda line: line.source.health().registers,
        value_fn=lambda line: line.source.health().registered,
        subscribe_fn=_source_subscribe,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the binary sensors of a line."""
    line = entry.runtime_data
    async_add_entities(
        TextBackBinarySensor(line, description)
        for description in BINARY_SENSORS
        if description.exists_fn(line)
    )


class TextBackBinarySensor(TextBackEntity, BinarySensorEntity):
    """A binary sensor of a business line."""

    entity_description: TextBackBinarySensorDescription

    def __init__(
        self, line: TextBackLine, description: TextBackBinarySensorDescription
    ) -> None:
        """Initialize the binary sensor; it follows what its description shows."""
        super().__init__(line, description)
        self._shows = description.shows

    async def async_added_to_hass(self) -> None:
        """Follow the line and, if the description says so, its source."""
        await super().async_added_to_hass()
        if (subscribe := self.entity_description.subscribe_fn) is not None:
            self.async_on_remove(subscribe(self.line, self.async_write_shown))

    @property
    def is_on(self) -> bool | None:
        """Return the value."""
        return self.entity_description.value_fn(self.line)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the attributes, if the sensor has any."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn(self.line)
