"""FRITZ!Box call monitor sequences, end to end through a real Home Assistant.

The call monitor sensor is played by hass.states.async_set with the exact
attribute shapes of the core fritzbox_callmonitor sensor: its attributes are
replaced on every state, so the caller's number is only there while ringing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntry
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_ENTITY_ID,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MIN_RING_SECONDS,
    CONF_NOTIFY_SERVICE,
    CONF_PRESET,
    CONF_SENDER,
    CONF_TEXT_VOICEMAIL,
    DOMAIN,
)
from custom_components.missed_call_textback.presets import DEFAULT_MESSAGE

from .conftest import FRITZ_ENTITY, SMS_SERVICE

type Events = list[tuple[str, dict[str, Any]]]

CALLER_A = "+16502530000"
CALLER_B = "+12125550123"
BASE_KEYS = {"entry_id", "line_name", "call_id", "number", "caller_name", "variant"}


@pytest.fixture
def options_override() -> dict[str, Any]:
    """Options a test changes on top of the shared line (none by default)."""
    return {}


@pytest.fixture
def entry_options(
    entry_options: dict[str, Any], options_override: dict[str, Any]
) -> dict[str, Any]:
    """Return the shared line's options with this test's changes."""
    return {**entry_options, **options_override}


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


def _dial(hass: HomeAssistant, number: str, at: str = "2026-11-26T09:59:00") -> None:
    hass.states.async_set(
        FRITZ_ENTITY,
        "dialing",
        {
            "type": "outgoing",
            "from": "5551234",
            "to": number,
            "device": "SIP0",
            "initiated": at,
            "to_name": "unknown",
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


def _texted(sms_calls: list[ServiceCall]) -> list[str]:
    """Return the numbers texted, in order (each text has exactly one target)."""
    targets = []
    for call in sms_calls:
        assert len(call.data["target"]) == 1
        targets.append(call.data["target"][0])
    return targets


def _names(events: Events) -> list[str]:
    # Follow-up reminders come due as the clock moves (see test_follow_up.py).
    return [name for name, _ in events if name != "follow_up_due"]


async def _turn_off_text_back(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entity_id = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{entry.entry_id}_text_back"
    )
    assert entity_id is not None
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_ringing_then_idle_texts_the_caller(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, "6502530000", "Jordan")
    _idle(hass)
    await hass.async_block_till_done()
    assert len(sms_calls) == 1
    assert sms_calls[0].data["target"] == ["+16502530000"]
    assert "Acme Plumbing" in sms_calls[0].data["message"]
    assert [name for name, _ in events] == ["missed_call", "text_sent"]


async def test_missed_call_events_carry_the_call_and_caller(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, "Jordan")
    _idle(hass)
    await hass.async_block_till_done()

    assert _names(events) == ["missed_call", "text_sent"]
    (_, missed), (_, sent) = events
    assert set(missed) == BASE_KEYS
    assert set(sent) == BASE_KEYS | {"message"}
    for data in (missed, sent):
        assert data["entry_id"] == init_integration.entry_id
        assert data["line_name"] == "Main line"
        assert data["number"] == CALLER_A
        assert data["caller_name"] == "Jordan"
    assert missed["call_id"] == sent["call_id"]
    assert sent["message"] == sms_calls[0].data["message"]


async def test_number_is_remembered_from_ringing_when_idle_has_none(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    _ring(hass, CALLER_A)
    # The idle state replaces every attribute: only duration and closed remain.
    _idle(hass, duration="0")
    await hass.async_block_till_done()
    assert hass.states.get(FRITZ_ENTITY).attributes == {
        "duration": "0",
        "closed": "2026-11-26T10:01:00",
    }
    assert _texted(sms_calls) == [CALLER_A]


async def test_caller_name_unknown_is_reported_as_none(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, "unknown")
    _idle(hass)
    await hass.async_block_till_done()
    assert _names(events) == ["missed_call", "text_sent"]
    assert [data["caller_name"] for _, data in events] == [None, None]


async def test_call_answered_elsewhere_is_not_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A)
    _talk(hass, CALLER_A)
    _idle(hass, duration="42")
    await hass.async_block_till_done()
    assert sms_calls == []
    assert events == []


async def test_call_taken_by_the_answering_machine_is_not_texted_by_default(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A)
    _talk(hass, CALLER_A, device="40")
    _idle(hass, duration="20")
    await hass.async_block_till_done()
    assert sms_calls == []
    assert events == []


@pytest.mark.parametrize("options_override", [{CONF_TEXT_VOICEMAIL: True}])
async def test_call_taken_by_the_answering_machine_is_texted_when_asked(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, "Jordan")
    _talk(hass, CALLER_A, device="40")
    _idle(hass, duration="20")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_A]
    assert _names(events) == ["missed_call", "text_sent"]


@pytest.mark.parametrize("options_override", [{CONF_TEXT_VOICEMAIL: True}])
async def test_call_answered_by_a_person_is_not_texted_even_with_voicemail_texting(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A)
    _talk(hass, CALLER_A, device="10")
    _idle(hass, duration="20")
    await hass.async_block_till_done()
    assert sms_calls == []
    assert events == []


async def test_two_callers_ringing_one_after_another_are_both_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, "Jordan", at="2026-11-26T10:00:00")
    # The sensor ignores connection ids: B's ring replaces A's attributes.
    _ring(hass, CALLER_B, "Riley", at="2026-11-26T10:00:03")
    _idle(hass)
    await hass.async_block_till_done()

    assert sorted(_texted(sms_calls)) == sorted([CALLER_A, CALLER_B])
    by_number: dict[str, list[str]] = {}
    for name, data in events:
        by_number.setdefault(data["number"], []).append(name)
    assert by_number == {
        CALLER_A: ["missed_call", "text_sent"],
        CALLER_B: ["missed_call", "text_sent"],
    }
    names = {data["number"]: data["caller_name"] for _, data in events}
    assert names == {CALLER_A: "Jordan", CALLER_B: "Riley"}
    call_ids = {data["call_id"] for _, data in events}
    assert len(call_ids) == 2


async def test_second_caller_ringing_during_a_conversation_is_texted_alone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _talk(hass, CALLER_A)
    _ring(hass, CALLER_B, at="2026-11-26T10:02:00")
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_B]
    assert _names(events) == ["missed_call", "text_sent"]
    assert {data["number"] for _, data in events} == {CALLER_B}


async def test_of_two_ringing_callers_only_the_one_not_answered_is_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _ring(hass, CALLER_B, at="2026-11-26T10:00:02")
    # A is picked up although B rang last.
    _talk(hass, CALLER_A)
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_B]
    assert {data["number"] for _, data in events} == {CALLER_B}


async def test_outgoing_call_is_never_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _dial(hass, CALLER_A)
    _talk(hass, CALLER_A)
    _idle(hass, duration="60")
    _dial(hass, CALLER_B, at="2026-11-26T10:05:00")
    # Nobody picked up the outgoing call either.
    _idle(hass)
    await hass.async_block_till_done()
    assert sms_calls == []
    assert events == []


async def test_caller_ringing_during_an_outgoing_call_is_texted_when_missed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _dial(hass, CALLER_A)
    _talk(hass, CALLER_A)
    _ring(hass, CALLER_B, at="2026-11-26T10:00:30")
    _idle(hass, duration="60")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_B]
    assert _names(events) == ["missed_call", "text_sent"]
    assert {data["number"] for _, data in events} == {CALLER_B}


async def test_anonymous_caller_is_skipped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, "")
    _idle(hass)
    await hass.async_block_till_done()
    assert sms_calls == []
    assert _names(events) == ["missed_call", "text_skipped"]
    (_, missed), (_, skipped) = events
    assert set(missed) == BASE_KEYS
    assert set(skipped) == BASE_KEYS | {"reason"}
    assert skipped["reason"] == "anonymous"
    assert skipped["number"] is None
    assert skipped["call_id"] == missed["call_id"]
    assert skipped["entry_id"] == init_integration.entry_id


@pytest.mark.parametrize("dropout", [STATE_UNAVAILABLE, STATE_UNKNOWN])
async def test_call_monitor_dropping_out_while_ringing_keeps_the_call(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    dropout: str,
) -> None:
    _ring(hass, CALLER_A)
    hass.states.async_set(FRITZ_ENTITY, dropout, {})
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_A]


@pytest.mark.parametrize("dropout", [STATE_UNAVAILABLE, STATE_UNKNOWN])
async def test_call_monitor_dropping_out_while_talking_keeps_the_answer(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    dropout: str,
) -> None:
    _ring(hass, CALLER_A)
    _talk(hass, CALLER_A)
    hass.states.async_set(FRITZ_ENTITY, dropout, {})
    _idle(hass, duration="30")
    await hass.async_block_till_done()
    assert sms_calls == []
    assert events == []


async def test_national_number_is_texted_in_e164(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    _ring(hass, "6502530000")
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == ["+16502530000"]


@pytest.mark.parametrize("options_override", [{CONF_COUNTRY: "DE"}])
async def test_german_line_reads_national_numbers_as_german(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    # Home Assistant itself stays in the US (conftest): the line's option wins.
    assert hass.config.country == "US"
    _ring(hass, "030 901820")
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == ["+4930901820"]
    assert [data["number"] for _, data in events] == ["+4930901820"] * 2


async def test_same_caller_ringing_three_times_in_ten_minutes_gets_one_text(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The clock is the far edge: freezer moves it without waiting.
    for minute in (0, 5, 10):
        _ring(hass, CALLER_A, at=f"2026-11-26T10:{minute:02d}:00")
        _idle(hass)
        await hass.async_block_till_done()
        freezer.tick(timedelta(minutes=5))

    assert _texted(sms_calls) == [CALLER_A]
    assert _names(events) == [
        "missed_call",
        "text_sent",
        "missed_call",
        "text_skipped",
        "missed_call",
        "text_skipped",
    ]
    assert [data["reason"] for name, data in events if name == "text_skipped"] == [
        "cooldown",
        "cooldown",
    ]
    # Three separate calls, each with its own id.
    assert len({data["call_id"] for _, data in events}) == 3


async def test_cooldown_ends_exactly_after_its_window(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    freezer: FrozenDateTimeFactory,
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_A]

    # One second before the 24 h window closes the caller is still left alone.
    freezer.tick(timedelta(hours=24) - timedelta(seconds=1))
    async_fire_time_changed(hass)
    _ring(hass, CALLER_A, at="2026-11-27T09:59:59")
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_A]

    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    _ring(hass, CALLER_A, at="2026-11-27T10:00:00")
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_A, CALLER_A]
    assert _names(events) == [
        "missed_call",
        "text_sent",
        "missed_call",
        "text_skipped",
        "missed_call",
        "text_sent",
    ]
    skipped = [data for name, data in events if name == "text_skipped"]
    assert [data["reason"] for data in skipped] == ["cooldown"]


async def test_cooldown_is_per_number(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _idle(hass)
    _ring(hass, CALLER_B, at="2026-11-26T10:01:00")
    _idle(hass)
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER_A, CALLER_B]


async def test_switched_off_line_skips_missed_calls_as_disabled(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    await _turn_off_text_back(hass, init_integration)
    _ring(hass, CALLER_A, "Jordan")
    _idle(hass)
    await hass.async_block_till_done()
    assert sms_calls == []
    assert _names(events) == ["missed_call", "text_skipped"]
    skipped = events[1][1]
    assert skipped["reason"] == "disabled"
    assert skipped["number"] == CALLER_A
    assert skipped["caller_name"] == "Jordan"


# --- blocked calls: the minimum ring time of a new line ------------------------


async def _add_line_through_the_flow(hass: HomeAssistant) -> ConfigEntry:
    """Add a FRITZ!Box line as an owner does, through the config flow."""
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    flow = hass.config_entries.flow
    result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "entity"})
    result = await flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "fritzbox",
            CONF_ENTITY_ID: FRITZ_ENTITY,
        },
    )
    result = await flow.async_configure(
        result["flow_id"],
        {
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: SMS_SERVICE,
            CONF_MESSAGE: DEFAULT_MESSAGE,
            CONF_COOLDOWN_HOURS: 24,
            CONF_COUNTRY: "US",
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    return result["result"]


async def _ring_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Ring and go idle `seconds` later: the line times the ring on its clock."""
    _ring(hass, CALLER_A)
    # The state reaches the line when the event loop runs, not at async_set.
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=seconds))
    _idle(hass)
    await hass.async_block_till_done()


# A blocked call: the box drops it at once; core's call monitor passes each
# event on 1 s after the one before, so `ringing` lasts about a second.
@pytest.mark.parametrize("seconds", [0.3, 1.0])
async def test_a_blocked_call_flashing_ringing_is_skipped_on_a_new_line(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sms_calls: list[ServiceCall],
    events: Events,
    seconds: float,
) -> None:
    entry = await _add_line_through_the_flow(hass)
    assert entry.options[CONF_MIN_RING_SECONDS] == 2

    await _ring_for(hass, freezer, seconds)

    assert sms_calls == []
    assert _names(events) == ["missed_call", "text_skipped"]
    assert events[1][1]["reason"] == "short_ring"


@pytest.mark.parametrize("seconds", [2.0, 5.0])
async def test_a_caller_who_heard_a_ring_is_texted_on_a_new_line(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sms_calls: list[ServiceCall],
    events: Events,
    seconds: float,
) -> None:
    await _add_line_through_the_flow(hass)

    await _ring_for(hass, freezer, seconds)

    assert _texted(sms_calls) == [CALLER_A]
    assert _names(events) == ["missed_call", "text_sent"]


async def test_a_line_from_before_keeps_texting_short_rings(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    sms_calls: list[ServiceCall],
) -> None:
    assert CONF_MIN_RING_SECONDS not in init_integration.options

    await _ring_for(hass, freezer, 0.3)

    assert _texted(sms_calls) == [CALLER_A]


# --- the answering machine, as core's call monitor shows it --------------------


def _core_states(hass: HomeAssistant, number: str, device: str) -> None:
    """Play one call the answering machine takes, with every attribute core sets."""
    # RING: the device is the line the call came in on.
    hass.states.async_set(
        FRITZ_ENTITY,
        "ringing",
        {
            "type": "incoming",
            "from": number,
            "to": "5551234",
            "device": "SIP0",
            "initiated": "2026-11-26T10:00:00",
            "from_name": "Jordan",
            "vip": False,
        },
    )
    # CONNECT: the device is the extension that picked up; 40-49 are the
    # FRITZ!Box's own answering machines.
    hass.states.async_set(
        FRITZ_ENTITY,
        "talking",
        {
            "with": number,
            "device": device,
            "accepted": "2026-11-26T10:00:20",
            "with_name": "Jordan",
            "vip": False,
        },
    )
    hass.states.async_set(
        FRITZ_ENTITY, "idle", {"duration": "35", "closed": "2026-11-26T10:00:55"}
    )


@pytest.mark.parametrize("device", ["40", "49"])
async def test_the_answering_machine_picking_up_is_voicemail_not_a_person(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    device: str,
) -> None:
    _core_states(hass, CALLER_A, device)
    await hass.async_block_till_done()

    assert sms_calls == []
    assert events == []


@pytest.mark.parametrize("options_override", [{CONF_TEXT_VOICEMAIL: True}])
@pytest.mark.parametrize(("device", "texted"), [("40", True), ("10", False)])
async def test_voicemail_texting_tells_the_answering_machine_from_a_handset(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    device: str,
    texted: bool,
) -> None:
    # 10 is the first DECT handset: a person answered.
    _core_states(hass, CALLER_A, device)
    await hass.async_block_till_done()

    assert _texted(sms_calls) == ([CALLER_A] if texted else [])


# --- two calls at once (core issue 95191) -------------------------------------
#
# The sensor has one state for the whole box and no connection ids: the first
# `idle` ends every call it knows. The orders below complete those tested
# above: both ring then idle (both texted), A answered while B rings (B
# texted), B rings while A talks (B texted), B rings while dialling out (B
# texted).


async def test_overlap_b_answered_while_a_rings_texts_a(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _ring(hass, CALLER_B, at="2026-11-26T10:00:02")
    _talk(hass, CALLER_B)
    _idle(hass)
    await hass.async_block_till_done()

    assert _texted(sms_calls) == [CALLER_A]
    assert {data["number"] for _, data in events} == {CALLER_A}


async def test_overlap_b_answered_on_call_waiting_texts_nobody(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _talk(hass, CALLER_A)
    _ring(hass, CALLER_B, at="2026-11-26T10:01:00")
    _talk(hass, CALLER_B)  # A is on hold
    _idle(hass, duration="30")
    _idle(hass, duration="90")
    await hass.async_block_till_done()

    assert sms_calls == []
    assert events == []


async def test_overlap_b_giving_up_first_texts_b_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _ring(hass, CALLER_B, at="2026-11-26T10:00:02")
    _talk(hass, CALLER_A)
    _idle(hass)  # B gave up
    _idle(hass, duration="120")  # A hung up
    await hass.async_block_till_done()

    assert _texted(sms_calls) == [CALLER_B]
    assert _names(events) == ["missed_call", "text_sent"]


async def test_overlap_b_answered_after_a_gave_up_is_texted_too(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _ring(hass, CALLER_B, at="2026-11-26T10:00:02")
    # A gave up: idle ends B as well, although B still rings...
    _idle(hass)
    # ...and is answered: the sensor no longer knows a call to match.
    _talk(hass, CALLER_B)
    _idle(hass, duration="60")
    await hass.async_block_till_done()

    assert sorted(_texted(sms_calls)) == sorted([CALLER_A, CALLER_B])


async def test_overlap_b_answered_after_a_hung_up_is_texted_while_busy(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _talk(hass, CALLER_A)
    _ring(hass, CALLER_B, at="2026-11-26T10:01:00")
    _idle(hass, duration="60")  # A hung up; B still rings
    _talk(hass, CALLER_B)
    _idle(hass, duration="30")
    await hass.async_block_till_done()

    assert _texted(sms_calls) == [CALLER_B]


async def test_overlap_b_ringing_while_the_answering_machine_has_a_is_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _talk(hass, CALLER_A, device="40")
    _ring(hass, CALLER_B, at="2026-11-26T10:00:30")
    _idle(hass, duration="25")
    await hass.async_block_till_done()

    assert _texted(sms_calls) == [CALLER_B]
    assert {data["number"] for _, data in events} == {CALLER_B}


async def test_overlap_a_hanging_up_as_b_starts_to_ring_skips_b_on_a_new_line(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    await _add_line_through_the_flow(hass)
    _ring(hass, CALLER_A, at="2026-11-26T10:00:00")
    _talk(hass, CALLER_A)
    _ring(hass, CALLER_B, at="2026-11-26T10:01:00")
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=1))
    _idle(hass, duration="60")  # A hung up one second into B's ring
    await hass.async_block_till_done()

    assert sms_calls == []
    assert [data.get("reason") for _, data in events] == [None, "short_ring"]
    assert {data["number"] for _, data in events} == {CALLER_B}
