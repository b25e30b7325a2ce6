"""A snapshot format that reads the same on the oldest and the newest Home Assistant.

The tests run on HA 2025.4 and on the newest release. Their snapshot serializers
differ in ways that say nothing about this integration: newer releases key state
attributes by StrEnum members and add registry fields of their own. This
extension writes enum members as their plain values and leaves those fields
out, so one snapshot file checks both.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)
from syrupy.types import SerializableData

# Registry fields that exist (or are shaped differently) in only some releases;
# this integration sets none of them.
_VERSION_SPECIFIC_REGISTRY_FIELDS = ("aliases", "object_id_base", "suggested_object_id")


class PortableSnapshotSerializer(HomeAssistantSnapshotSerializer):
    """The HA serializer with version-specific details normalized away."""

    @classmethod
    def _serialize(cls, data: SerializableData, **kwargs: Any) -> str:
        if isinstance(data, Enum) and isinstance(data, str):
            data = data.value
        return super()._serialize(data, **kwargs)

    @classmethod
    def _serializable_entity_registry_entry(
        cls, data: er.RegistryEntry
    ) -> SerializableData:
        serialized = super()._serializable_entity_registry_entry(data)
        for field in _VERSION_SPECIFIC_REGISTRY_FIELDS:
            serialized.pop(field, None)
        return serialized


class PortableSnapshotExtension(HomeAssistantSnapshotExtension):
    """Snapshots in tests/snapshots/, portable across HA releases."""

    serializer_class = PortableSnapshotSerializer
