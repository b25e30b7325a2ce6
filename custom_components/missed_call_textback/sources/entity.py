"""Source: a call-state entity (FRITZ!Box call monitor, modem caller ID, generic)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.event import async_track_state_change_event

from ..calls import CallTracker, EndedCall
from ..const import (
    CONF_ANSWERED_STATES,
    CONF_IDLE_STATES,
    CONF_NAME_ATTRIBUTE,
    CONF_NUMBER_ATTRIBUTE,
    CONF_PRESET,
    CONF_RINGING_STATES,
    DEFAULT_ANSWERED_STATES,
    DEFAULT_IDLE_STATES,
    DEFAULT_NAME_ATTRIBUTE,
    DEFAULT_NUMBER_ATTRIBUTE,
    DEFAULT_RINGING_STATES,
    FRITZBOX_ANSWERING_MACHINE_DEVICES,
    Preset,
)
from . import LineSink, QuietSource

# Names call monitors report when they do not know the caller; modems send
# the caller-ID codes O (out of area) and P (private) in the name field too.
_NO_NAME = frozenset(
    {"", "unknown", "none", "null", "o", "p", "private", "anonymous", "out of area"}
)


def _caller_name(value: object) -> str | None:
    if value is None:
        return None
    name = str(value).strip()
    return None if name.lower() in _NO_NAME else name


class StateInterpreter(Protocol):
    """Reads one state of a call-state entity into tracker signals."""

    def feed(
        self,
        tracker: CallTracker,
        state: str,
        attributes: Mapping[str, Any],
        at: datetime,
    ) -> list[EndedCall]:
        """Apply one new state; return the calls that ended."""


class FritzboxInterpreter:
    """The core fritzbox_callmonitor sensor.

    Its attributes are replaced on every state and it ignores connection ids,
    so each ringing state is a call of its own (keyed by number and start
    time), talking matches the call by its number, and idle ends all calls.
    """

    def __init__(self, *, voicemail_devices: frozenset[str]) -> None:
        """Initialize with the device ids that are answering machines."""
        self._voicemail_devices = voicemail_devices

    def feed(
        self,
        tracker: CallTracker,
        state: str,
        attributes: Mapping[str, Any],
        at: datetime,
    ) -> list[EndedCall]:
        """Apply one FRITZ!Box state."""
        if state == "ringing":
            number = attributes.get("from")
            key = f"in|{number}|{attributes.get('initiated', '')}"
            tracker.ringing(key, number, _caller_name(attributes.get("from_name")), at)
        elif state == "dialing":
            number = attributes.get("to")
            tracker.outgoing(
                f"out|{number}|{attributes.get('initiated', '')}", number, at
            )
        elif state == "talking":
            device = str(attributes.get("device", "")).strip()
            tracker.answered(
                number=attributes.get("with"),
                voicemail=device in self._voicemail_devices,
            )
        elif state == "idle":
            return tracker.all_ended(at)
        return []


class ModemInterpreter:
    """The core modem_callerid sensor: ring / callerid, then idle.

    A pickup on another handset looks exactly like the caller hanging up, so
    every call that rang is reported missed.
    """

    _KEY = "modem"

    def feed(
        self,
        tracker: CallTracker,
        state: str,
        attributes: Mapping[str, Any],
        at: datetime,
    ) -> list[EndedCall]:
        """Apply one modem state."""
        if state in ("ring", "callerid"):
            tracker.ringing(
                self._KEY,
                attributes.get("cid_number"),
                _caller_name(attributes.get("cid_name")),
                at,
            )
        elif state == "idle":
            return tracker.all_ended(at)
        return []


class GenericInterpreter:
    """Any entity whose states the owner names.

    Such an entity shows one call at a time, so a ring after the call was
    answered, or with another number, starts a call of its own.
    """

    def __init__(
        self,
        *,
        ringing_states: frozenset[str],
        answered_states: frozenset[str],
        idle_states: frozenset[str],
        number_attribute: str,
        name_attribute: str | None,
    ) -> None:
        """Initialize with the owner's state names and attributes."""
        self.ringing_states = ringing_states
        self.answered_states = answered_states
        self.idle_states = idle_states
        self.number_attribute = number_attribute
        self.name_attribute = name_attribute
        self._calls = 0
        self._key = "call|0"

    def feed(
        self,
        tracker: CallTracker,
        state: str,
        attributes: Mapping[str, Any],
        at: datetime,
    ) -> list[EndedCall]:
        """Apply one state by the owner's names."""
        if state in self.ringing_states:
            number = attributes.get(self.number_attribute)
            if tracker.is_new_call(self._key, number):
                self._calls += 1
                self._key = f"call|{self._calls}"
            name = attributes.get(self.name_attribute) if self.name_attribute else None
            tracker.ringing(self._key, number, _caller_name(name), at)
        elif state in self.answered_states:
            tracker.answered(key=self._key)
        elif state in self.idle_states:
            return tracker.all_ended(at)
        return []


def interpreter_for(data: Mapping[str, Any]) -> StateInterpreter:
    """Build the interpreter a config entry's source data asks for."""
    preset = Preset(data[CONF_PRESET])
    if preset is Preset.FRITZBOX:
        return FritzboxInterpreter(voicemail_devices=FRITZBOX_ANSWERING_MACHINE_DEVICES)
    if preset is Preset.MODEM:
        return ModemInterpreter()
    return GenericInterpreter(
        ringing_states=frozenset(data.get(CONF_RINGING_STATES, DEFAULT_RINGING_STATES)),
        answered_states=frozenset(
            data.get(CONF_ANSWERED_STATES, DEFAULT_ANSWERED_STATES)
        ),
        idle_states=frozenset(data.get(CONF_IDLE_STATES, DEFAULT_IDLE_STATES)),
        number_attribute=data.get(CONF_NUMBER_ATTRIBUTE, DEFAULT_NUMBER_ATTRIBUTE),
        name_attribute=data.get(CONF_NAME_ATTRIBUTE, DEFAULT_NAME_ATTRIBUTE) or None,
    )


class EntitySource(QuietSource):
    """Listens to one call-state entity and reports ended calls."""

    def __init__(
        self,
        hass: HomeAssistant,
        entity_id: str,
        interpreter: StateInterpreter,
        sink: LineSink,
        now: Callable[[], datetime],
    ) -> None:
        """Initialize the source."""
        self._hass = hass
        self._entity_id = entity_id
        self._interpreter = interpreter
        self._sink = sink
        self._now = now

    async def async_start(self) -> CALLBACK_TYPE:
        """Start listening to the entity."""
        return async_track_state_change_event(
            self._hass, self._entity_id, self._async_state_changed
        )

    @callback
    def _async_state_changed(self, event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is None or new_state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            # A source dropping out says nothing about the calls in progress.
            return
        ended = self._interpreter.feed(
            self._sink.tracker, new_state.state, new_state.attributes, self._now()
        )
        if ended:
            self._sink.calls_ended(ended)
