"""Sensors: missed calls and texts today, the last missed call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from .data import TextBackConfigEntry
from .entity import TextBackEntity
from .line import TextBackLine
from .sources.webhook import WebhookSource, rejected_requests

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TextBackSensorDescription(SensorEntityDescription):
    """Describes a sensor of a business line."""

    value_fn: Callable[[TextBackLine], int | datetime | None]
    # Sensors that only some source kinds have say so here.
    exists_fn: Callable[[TextBackLine], bool] = lambda _line: True


SENSORS: tuple[TextBackSensorDescription, ...] = (
    TextBackSensorDescription(
        key="missed_calls_today",
        translation_key="missed_calls_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda line: line.ledger.missed_today(dt_util.utcnow()),
    ),
    TextBackSensorDescription(
        key="texts_sent_today",
        translation_key="texts_sent_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda line: line.ledger.sent_today(dt_util.utcnow()),
    ),
    TextBackSensorDescription(
        key="last_missed_call",
        translation_key="last_missed_call",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda line: line.ledger.last_missed_at,
    ),
    TextBackSensorDescription(
        key="rejected_webhook_requests",
        translation_key="rejected_webhook_requests",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: rejected_requests(line.source),
        exists_fn=lambda line: isinstance(line.source, WebhookSource),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the sensors of a line."""
    line = entry.runtime_data
    async_add_entities(
        TextBackSensor(line, description)
        for description in SENSORS
        if description.exists_fn(line)
    )


class TextBackSensor(TextBackEntity, SensorEntity):
    """A sensor of a business line."""

    entity_description: TextBackSensorDescription

    @property
    def native_value(self) -> int | datetime | None:
        """Return the value."""
        return self.entity_description.value_fn(self.line)
