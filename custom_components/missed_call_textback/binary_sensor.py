"""Binary sensors: whether the business is open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .data import TextBackConfigEntry
from .entity import TextBackEntity
from .line import TextBackLine

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TextBackBinarySensorDescription(BinarySensorEntityDescription):
    """Describes a binary sensor of a business line."""

    is_on_fn: Callable[[TextBackLine], bool]
    attributes_fn: Callable[[TextBackLine], dict[str, Any]] = lambda _line: {}
    # Binary sensors that only some lines have say so here.
    exists_fn: Callable[[TextBackLine], bool] = lambda _line: True


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
        is_on_fn=lambda line: line.hours.state().is_open,
        attributes_fn=_open_attributes,
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

    @property
    def is_on(self) -> bool:
        """Return the state."""
        return self.entity_description.is_on_fn(self.line)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the attributes."""
        return self.entity_description.attributes_fn(self.line)
