"""Fixtures: a real Home Assistant with a FRITZ!Box-style line and an SMS service."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, callback
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_ENTITY_ID,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_NOTIFY_SERVICE,
    CONF_PRESET,
    CONF_SENDER,
    CONF_SOURCE,
    CONF_TEXT_VOICEMAIL,
    DOMAIN,
)
from custom_components.missed_call_textback.presets import DEFAULT_MESSAGE

FRITZ_ENTITY = "sensor.fritz_box_call_monitor"
SMS_SERVICE = "test_sms"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load the integration from custom_components/ in every test."""


@pytest.fixture(autouse=True)
async def us_home(hass: HomeAssistant) -> None:
    """Set up a US business: national numbers are read as US numbers."""
    await hass.config.async_update(country="US", time_zone="America/New_York")


@pytest.fixture
def sms_calls(hass: HomeAssistant) -> list[ServiceCall]:
    """Record texts on a notify service standing in for the SMS provider."""
    return async_mock_service(hass, "notify", SMS_SERVICE)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options of the test line."""
    return {
        CONF_LINE_NAME: "Main line",
        CONF_BUSINESS_NAME: "Acme Plumbing",
        CONF_SENDER: "notify",
        CONF_NOTIFY_SERVICE: SMS_SERVICE,
        CONF_MESSAGE: DEFAULT_MESSAGE,
        CONF_COOLDOWN_HOURS: 24,
        CONF_TEXT_VOICEMAIL: False,
        CONF_COUNTRY: "US",
    }


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """Source data of the test line: a FRITZ!Box call monitor."""
    return {
        CONF_SOURCE: "entity",
        CONF_PRESET: "fritzbox",
        CONF_ENTITY_ID: FRITZ_ENTITY,
    }


@pytest.fixture
def mock_config_entry(
    entry_data: dict[str, Any], entry_options: dict[str, Any]
) -> MockConfigEntry:
    """Return the config entry of one business line."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry_options[CONF_LINE_NAME],
        data=entry_data,
        options=entry_options,
        unique_id=f"entity:{entry_data[CONF_ENTITY_ID]}",
        entry_id="01JTESTLINE0000000000000000",
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> MockConfigEntry:
    """Set up the line with its call monitor idle."""
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def events(hass: HomeAssistant) -> Generator[list[tuple[str, dict[str, Any]]]]:
    """Every bus event of the integration, in order."""
    seen: list[tuple[str, dict[str, Any]]] = []

    @callback
    def _listener(event: Any) -> None:
        if event.event_type.startswith(f"{DOMAIN}_"):
            # The links to the Call entity and the device are tested on their own
            # (test_logbook.py); the rest of the data is compared exactly.
            data = {
                k: v
                for k, v in event.data.items()
                if k not in ("entity_id", "device_id")
            }
            seen.append((event.event_type.removeprefix(f"{DOMAIN}_"), data))

    unsub = hass.bus.async_listen("*", _listener)
    yield seen
    unsub()
