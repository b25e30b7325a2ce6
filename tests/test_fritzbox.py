"""FRITZ!Box call monitor sequences, end to end through a real Home Assistant."""

from __future__ import annotations

from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant, ServiceCall

from .conftest import FRITZ_ENTITY


def _ring(
    hass: HomeAssistant,
    number: str,
    name: str = "unknown",
    at: str = "2026-11-26T10:00:00",
) -> None:
    hass.states.async_set(
        FRITZ_ENTITY,
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


def _talk(hass: HomeAssistant, number: str, device: str = "10") -> None:
    hass.states.async_set(
        FRITZ_ENTITY,
        "talking",
        {
            "with": number,
            "device": device,
            "accepted": "2026-11-26T10:00:05",
            "with_name": "unknown",
        },
    )


def _idle(hass: HomeAssistant, duration: str = "0") -> None:
    hass.states.async_set(
        FRITZ_ENTITY, "idle", {"duration": duration, "closed": "2026-11-26T10:01:00"}
    )


async def test_ringing_then_idle_texts_the_caller(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    _ring(hass, "6502530000", "Jordan")
    _idle(hass)
    await hass.async_block_till_done()
    assert len(sms_calls) == 1
    assert sms_calls[0].data["target"] == ["+16502530000"]
    assert "Acme Plumbing" in sms_calls[0].data["message"]
    assert [name for name, _ in events] == ["missed_call", "text_sent"]
