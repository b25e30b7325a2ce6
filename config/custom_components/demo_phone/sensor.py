"""sensor.demo_phone_line, shaped like fritzbox_callmonitor's sensor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.core import Event, EventStateChangedData, callback
from homeassistant.helpers.event import async_track_state_change_event
import homeassistant.util.dt as dt_util

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddEntitiesCallback
    from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

LINE = "input_select.demo_phone_line"
CALLER_NUMBER = "input_text.demo_caller_number"
CALLER_NAME = "input_text.demo_caller_name"
OWN_NUMBER = "+14155550100"  # the business's number, as the box reports "to"
SIP_LINE = "SIP0"
HANDSET = "10"  # a DECT handset; 40-49 would be the box's answering machines
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"  # fritzbox_callmonitor's, local time


async def async_setup_platform(
    hass: HomeAssistant,  # noqa: ARG001 - required by the platform interface
    config: ConfigType,  # noqa: ARG001 - the platform takes no options
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,  # noqa: ARG001
) -> None:
    """Add the demo phone line sensor."""
    async_add_entities([DemoPhoneLine()])


class DemoPhoneLine(SensorEntity):
    """Follows the input_select; attributes as a FRITZ!Box reports them."""

    _attr_name = "Demo phone line"
    _attr_unique_id = "demo_phone_line"
    _attr_icon = "mdi:phone-classic"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = ["idle", "ringing", "dialing", "talking"]  # noqa: RUF012 - never mutated
    _attr_should_poll = False
    _attr_native_value = "idle"

    def __init__(self) -> None:
        """Start idle, with no call."""
        self._attributes: dict[str, str | bool] = {}
        self._accepted: float | None = None

    @property
    def extra_state_attributes(self) -> dict[str, str | bool]:
        """Return the attributes of the current state only."""
        return self._attributes

    async def async_added_to_hass(self) -> None:
        """Follow the input_select."""
        self.async_on_remove(
            async_track_state_change_event(self.hass, [LINE], self._line_changed)
        )

    @callback
    def _line_changed(self, event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is None or new_state.state == self._attr_native_value:
            return
        self._enter(new_state.state)
        self.async_write_ha_state()

    def _text(self, entity_id: str) -> str:
        state = self.hass.states.get(entity_id)
        return state.state if state else ""

    def _enter(self, call_state: str) -> None:
        now = dt_util.now()
        isotime = now.strftime(TIME_FORMAT)
        number = self._text(CALLER_NUMBER)
        name = self._text(CALLER_NAME)
        if call_state == "ringing":
            self._accepted = None
            self._attributes = {
                "type": "incoming",
                "from": number,
                "to": OWN_NUMBER,
                "device": SIP_LINE,
                "initiated": isotime,
                "from_name": name,
                "vip": False,
            }
        elif call_state == "talking":
            self._accepted = now.timestamp()
            self._attributes = {
                "with": number,
                "device": HANDSET,
                "accepted": isotime,
                "with_name": name,
                "vip": False,
            }
        else:
            talked = now.timestamp() - self._accepted if self._accepted else 0
            self._accepted = None
            call_state = "idle"
            self._attributes = {"duration": str(round(talked)), "closed": isotime}
        self._attr_native_value = call_state
