"""Helpers shared by the line tests: FRITZ!Box call sequences and test lines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import MATCH_ALL
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache,
)

from custom_components.missed_call_textback.const import (
    CONF_ENTITY_ID,
    CONF_LINE_NAME,
    DOMAIN,
)

from .conftest import FRITZ_ENTITY

ENTRY_ID = "01JTESTLINE0000000000000000"
STORE_KEY = f"{DOMAIN}.{ENTRY_ID}"
# Pending texts live in a small file of their own, written before each send.
OUTBOX_KEY = f"{STORE_KEY}.outbox"


def ring(
    hass: HomeAssistant,
    number: str,
    name: str = "unknown",
    *,
    entity_id: str = FRITZ_ENTITY,
    at: str = "2026-11-26T10:00:00",
) -> None:
    """Let the FRITZ!Box call monitor show an incoming call."""
    hass.states.async_set(
        entity_id,
        "ringing",
        {
            "type": "incoming",
            "from": number,
            "to": "5551234",
            "device": "SIP0",
            "initiated": at,
            "from_name": name,
        },
    )


def idle(hass: HomeAssistant, *, entity_id: str = FRITZ_ENTITY) -> None:
    """Let the FRITZ!Box call monitor go idle (every call on it ended)."""
    hass.states.async_set(
        entity_id, "idle", {"duration": "0", "closed": "2026-11-26T10:01:00"}
    )


async def async_miss_call(
    hass: HomeAssistant,
    number: str,
    name: str = "unknown",
    *,
    entity_id: str = FRITZ_ENTITY,
) -> None:
    """Ring and hang up without an answer, then let the line act on it."""
    ring(hass, number, name, entity_id=entity_id)
    idle(hass, entity_id=entity_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def make_entry(
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    *,
    entry_id: str = ENTRY_ID,
    entity_id: str | None = None,
    **options: Any,
) -> MockConfigEntry:
    """Build a line like the conftest one, with other options or another entity."""
    data = {**entry_data}
    if entity_id is not None:
        data[CONF_ENTITY_ID] = entity_id
    merged = {**entry_options, **options}
    return MockConfigEntry(
        domain=DOMAIN,
        title=merged[CONF_LINE_NAME],
        data=data,
        options=merged,
        unique_id=f"entity:{data[CONF_ENTITY_ID]}",
        entry_id=entry_id,
    )


async def async_add_line(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add a line to Home Assistant with its call-state entity idle."""
    hass.states.async_set(entry.data[CONF_ENTITY_ID], "idle", {})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


# The default message as Acme Plumbing's callers receive it.
DEFAULT_TEXT = (
    "Hey, you just called Acme Plumbing. We're probably on a job right now. "
    "What can we help you with? We'll follow up within the hour."
)


def record_events(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Record every bus event of the integration, in the order it was fired.

    The conftest `events` listener is a plain function, which Home Assistant
    runs in its executor: two events can land out of order. A callback runs
    in the event loop as each event fires.
    """
    seen: list[tuple[str, dict[str, Any]]] = []

    @callback
    def _listener(event: Event) -> None:
        if event.event_type.startswith(f"{DOMAIN}_"):
            # The links to the Call entity and the device: see test_logbook.py.
            data = {
                k: v
                for k, v in event.data.items()
                if k not in ("entity_id", "device_id")
            }
            seen.append((event.event_type.removeprefix(f"{DOMAIN}_"), data))

    hass.bus.async_listen(MATCH_ALL, _listener)
    return seen


async def async_pass(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, wait: timedelta
) -> None:
    """Let time pass and run whatever timers came due."""
    freezer.tick(wait)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def async_move_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, at: datetime
) -> None:
    """Move the clock to a moment and run whatever timers came due."""
    freezer.move_to(at)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def async_add_idle_line(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    **options: Any,
) -> MockConfigEntry:
    """Add the conftest line with other options, its call monitor idle."""
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    entry = make_entry(entry_data, entry_options, **options)
    await async_add_line(hass, entry)
    return entry


def restore_from_older_version(hass: HomeAssistant, *states: State) -> None:
    """Leave entity states as a version that kept the switches in them did.

    Such a version ran before: its entities are in the registry and their last
    states in the restore cache; the line's Store has no switch or mode yet.
    """
    registry = er.async_get(hass)
    for state in states:
        domain, object_id = state.entity_id.split(".", 1)
        key = {"switch": "text_back", "select": "mode"}[domain]
        registry.async_get_or_create(
            domain, DOMAIN, f"{ENTRY_ID}_{key}", suggested_object_id=object_id
        )
    mock_restore_cache(hass, list(states))
