"""Sensors: today's counts, follow-ups owed, and conversion analytics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from .changes import Change
from .data import TextBackConfigEntry
from .entity import TextBackEntity
from .leads import Lead, LeadBook, Tally
from .line import TextBackLine
from .receipts import takes_receipts

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TextBackSensorDescription(SensorEntityDescription):
    """Describes a sensor of a business line."""

    value_fn: Callable[[TextBackLine], float | int | datetime | None]
    # The part of the line the value (and attributes) come from.
    shows: Change
    attributes_fn: Callable[[TextBackLine], dict[str, Any]] | None = None
    # Sensors that only some lines have say so here.
    exists_fn: Callable[[TextBackLine], bool] = lambda _line: True


# Attribute lists are capped so a backlog cannot bloat the state machine.
MAX_LISTED_LEADS = 50


def _lead_row(lead: Lead) -> dict[str, Any]:
    return {
        "call_id": lead.call_id,
        "number": lead.number,
        "caller_name": lead.caller_name,
        "missed_at": lead.missed_at.isoformat(),
        "due_at": lead.due_at.isoformat(),
        "variant": lead.variant,
        "replies": [reply["text"] for reply in lead.replies],
    }


def _cached_list(book: LeadBook, name: str, leads: list[Lead]) -> dict[str, Any]:
    # Rebuilt only when the leads or the count changed, not on every redraw;
    # each lead's row is rendered once and reused until the lead changes.
    return book.memo(
        name,
        len(leads),
        lambda: {"leads": book.rows(name, leads[:MAX_LISTED_LEADS], _lead_row)},
    )


def _to_second(moment: datetime | None) -> datetime | None:
    # A timestamp's state is shown to the second: calls within one second
    # leave it as it is, and so need no state write.
    return None if moment is None else moment.replace(microsecond=0)


def _variants_on(line: TextBackLine) -> bool:
    return len(line.variants) > 1


SENSORS: tuple[TextBackSensorDescription, ...] = (
    TextBackSensorDescription(
        key="missed_calls_today",
        translation_key="missed_calls_today",
        shows=Change.MISSED,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda line: line.ledger.missed_today(dt_util.utcnow()),
    ),
    TextBackSensorDescription(
        key="texts_sent_today",
        translation_key="texts_sent_today",
        shows=Change.TEXTS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda line: line.ledger.sent_today(dt_util.utcnow()),
    ),
    TextBackSensorDescription(
        key="last_missed_call",
        translation_key="last_missed_call",
        shows=Change.MISSED,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda line: _to_second(line.ledger.last_missed_at),
    ),
    TextBackSensorDescription(
        key="awaiting_follow_up",
        translation_key="awaiting_follow_up",
        shows=Change.LEADS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda line: len(line.ledger.leads.open),
        attributes_fn=lambda line: _cached_list(
            line.ledger.leads, "awaiting", line.ledger.leads.sorted_open()
        ),
    ),
    TextBackSensorDescription(
        key="overdue_follow_ups",
        translation_key="overdue_follow_ups",
        shows=Change.LEADS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda line: len(line.ledger.leads.overdue(dt_util.utcnow())),
        attributes_fn=lambda line: _cached_list(
            line.ledger.leads, "overdue", line.ledger.leads.overdue(dt_util.utcnow())
        ),
    ),
    TextBackSensorDescription(
        key="missed_calls",
        translation_key="missed_calls",
        shows=Change.MISSED,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.missed_total,
    ),
    TextBackSensorDescription(
        key="texts_sent",
        translation_key="texts_sent",
        shows=Change.TEXTS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.leads.total.texts,
    ),
    TextBackSensorDescription(
        key="replies",
        translation_key="replies",
        shows=Change.REPLIES,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.leads.replies,
    ),
    TextBackSensorDescription(
        key="reply_rate",
        translation_key="reply_rate",
        shows=Change.TEXTS | Change.REPLIES,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.leads.total.reply_rate,
    ),
    TextBackSensorDescription(
        key="followed_up_in_time",
        translation_key="followed_up_in_time",
        shows=Change.FOLLOW_UPS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.leads.total.resolved_in_time,
    ),
    TextBackSensorDescription(
        key="median_time_to_text",
        translation_key="median_time_to_text",
        shows=Change.TEXTS,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.leads.median_to_text,
    ),
    TextBackSensorDescription(
        key="median_time_to_follow_up",
        translation_key="median_time_to_follow_up",
        shows=Change.FOLLOW_UPS,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.leads.median_to_follow_up,
    ),
    TextBackSensorDescription(
        key="rejected_webhook_requests",
        translation_key="rejected_webhook_requests",
        shows=Change.SOURCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.source.health().rejected_requests,
        exists_fn=lambda line: line.source.health().rejected_requests is not None,
    ),
    # Only a provider's receipts tell; a notify service or actions never do.
    TextBackSensorDescription(
        key="delivered",
        translation_key="delivered",
        shows=Change.RECEIPTS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.delivered_total,
        exists_fn=lambda line: takes_receipts(line.settings.sender),
    ),
    TextBackSensorDescription(
        key="undeliverable",
        translation_key="undeliverable",
        shows=Change.RECEIPTS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda line: line.ledger.undeliverable_total,
        exists_fn=lambda line: takes_receipts(line.settings.sender),
    ),
)


def _tally(line: TextBackLine, variant: str) -> Tally:
    return line.ledger.leads.variants.get(variant) or Tally()


def variant_sensors(variant: str) -> tuple[TextBackSensorDescription, ...]:
    """Return the sensors comparing one message variant with the others."""
    placeholders = {"variant": variant.upper()}
    common: dict[str, Any] = {
        "entity_category": EntityCategory.DIAGNOSTIC,
        "translation_placeholders": placeholders,
        "exists_fn": _variants_on,
    }
    return (
        TextBackSensorDescription(
            key=f"variant_{variant}_texts",
            translation_key="variant_texts",
            shows=Change.TEXTS,
            state_class=SensorStateClass.TOTAL_INCREASING,
            value_fn=lambda line: _tally(line, variant).texts,
            **common,
        ),
        TextBackSensorDescription(
            key=f"variant_{variant}_replies",
            translation_key="variant_replies",
            shows=Change.REPLIES,
            state_class=SensorStateClass.TOTAL_INCREASING,
            value_fn=lambda line: _tally(line, variant).replied,
            **common,
        ),
        TextBackSensorDescription(
            key=f"variant_{variant}_reply_rate",
            translation_key="variant_reply_rate",
            shows=Change.TEXTS | Change.REPLIES,
            native_unit_of_measurement=PERCENTAGE,
            suggested_display_precision=1,
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=lambda line: _tally(line, variant).reply_rate,
            **common,
        ),
        TextBackSensorDescription(
            key=f"variant_{variant}_in_time_rate",
            translation_key="variant_in_time_rate",
            shows=Change.TEXTS | Change.FOLLOW_UPS,
            native_unit_of_measurement=PERCENTAGE,
            suggested_display_precision=1,
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=lambda line: _tally(line, variant).in_time_rate,
            **common,
        ),
    )


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the sensors of a line."""
    line = entry.runtime_data
    descriptions = [
        *SENSORS,
        *(
            description
            for variant in line.variants
            for description in variant_sensors(variant.variant_id)
        ),
    ]
    async_add_entities(
        TextBackSensor(line, description)
        for description in descriptions
        if description.exists_fn(line)
    )


class TextBackSensor(TextBackEntity, SensorEntity):
    """A sensor of a business line."""

    entity_description: TextBackSensorDescription
    # Lead lists change often and hold personal data: keep them out of history.
    _unrecorded_attributes = frozenset({"leads"})

    def __init__(
        self, line: TextBackLine, description: TextBackSensorDescription
    ) -> None:
        """Initialize the sensor; it follows what its description shows."""
        super().__init__(line, description)
        self._shows = description.shows

    async def async_added_to_hass(self) -> None:
        """Read the value before the first state is written."""
        self._shown()
        await super().async_added_to_hass()

    def _shown(self) -> tuple[Any, ...]:
        # The value and attributes are read from the line once per redraw and
        # kept for the state write that follows (and any HA writes later).
        description = self.entity_description
        self._attr_native_value = value = description.value_fn(self.line)
        if description.attributes_fn is None:
            return (value, None)
        attributes = description.attributes_fn(self.line)
        self._attr_extra_state_attributes = attributes
        return (value, attributes)
