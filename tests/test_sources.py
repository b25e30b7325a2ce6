"""Entity sources: the modem and generic presets end to end, and each interpreter.

The modem sensor is played with the attribute shapes of the core
modem_callerid sensor on top of the phone_modem library: the first ring of a
call carries only cid_time (the library clears the caller ID), callerid adds
cid_number and cid_name, later rings and idle keep them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.missed_call_textback.calls import (
    CallTracker,
    EndedCall,
    Outcome,
)
from custom_components.missed_call_textback.const import (
    CONF_ANSWERED_STATES,
    CONF_ENTITY_ID,
    CONF_IDLE_STATES,
    CONF_NAME_ATTRIBUTE,
    CONF_NUMBER_ATTRIBUTE,
    CONF_PRESET,
    CONF_RINGING_STATES,
    CONF_SOURCE,
)
from custom_components.missed_call_textback.sources.entity import (
    FritzboxInterpreter,
    GenericInterpreter,
    ModemInterpreter,
    StateInterpreter,
    interpreter_for,
)

type Events = list[tuple[str, dict[str, Any]]]

MODEM_ENTITY = "sensor.phone_modem"
DESK_PHONE = "sensor.desk_phone"
CALLER = "+16502530000"
OTHER = "+12125550123"
CID_TIME = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def _texted(sms_calls: list[ServiceCall]) -> list[str]:
    targets = []
    for call in sms_calls:
        assert len(call.data["target"]) == 1
        targets.append(call.data["target"][0])
    return targets


def _names(events: Events) -> list[str]:
    return [name for name, _ in events]


# --- modem_callerid, end to end --------------------------------------------

MODEM_DATA = {
    CONF_SOURCE: "entity",
    CONF_PRESET: "modem",
    CONF_ENTITY_ID: MODEM_ENTITY,
}


@pytest.fixture
def modem_idle(hass: HomeAssistant) -> None:
    """Start with the modem idle, as the core sensor starts."""
    hass.states.async_set(
        MODEM_ENTITY, "idle", {"cid_time": 0, "cid_number": "", "cid_name": ""}
    )


def _modem_line[F: Callable[..., Any]](test: F) -> F:
    """Run the test on a modem line (entry_data overrides the conftest line)."""
    test = pytest.mark.parametrize("entry_data", [MODEM_DATA], ids=["modem"])(test)
    return pytest.mark.usefixtures("modem_idle")(test)


def _modem(hass: HomeAssistant, state: str, **cid: Any) -> None:
    hass.states.async_set(MODEM_ENTITY, state, {"cid_time": CID_TIME, **cid})


@_modem_line
async def test_rings_around_the_caller_id_make_one_missed_call(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _modem(hass, "ring")
    _modem(hass, "callerid", cid_number="6502530000", cid_name="JORDAN SMITH")
    _modem(hass, "ring", cid_number="6502530000", cid_name="JORDAN SMITH")
    _modem(hass, "idle", cid_number="6502530000", cid_name="JORDAN SMITH")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER]
    assert _names(events) == ["missed_call", "text_sent"]
    assert events[0][1]["caller_name"] == "JORDAN SMITH"
    assert events[0][1]["number"] == CALLER


@_modem_line
async def test_caller_id_without_a_ring_first_is_one_missed_call(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _modem(hass, "callerid", cid_number="6502530000", cid_name="JORDAN SMITH")
    _modem(hass, "idle", cid_number="6502530000", cid_name="JORDAN SMITH")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER]
    assert _names(events) == ["missed_call", "text_sent"]


@_modem_line
@pytest.mark.parametrize("code", ["P", "O"])
async def test_private_or_out_of_area_caller_is_skipped_as_anonymous(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    code: str,
) -> None:
    _modem(hass, "ring")
    _modem(hass, "callerid", cid_number=code, cid_name=code)
    _modem(hass, "ring", cid_number=code, cid_name=code)
    _modem(hass, "idle", cid_number=code, cid_name=code)
    await hass.async_block_till_done()
    assert sms_calls == []
    assert _names(events) == ["missed_call", "text_skipped"]
    assert events[1][1]["reason"] == "anonymous"


@_modem_line
async def test_ring_that_stops_before_the_caller_id_is_skipped_as_anonymous(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _modem(hass, "ring")
    _modem(hass, "idle")
    await hass.async_block_till_done()
    assert sms_calls == []
    assert _names(events) == ["missed_call", "text_skipped"]
    assert events[1][1]["reason"] == "anonymous"
    assert events[1][1]["number"] is None


@_modem_line
async def test_two_calls_in_a_row_are_texted_each(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    _modem(hass, "ring")
    _modem(hass, "callerid", cid_number="6502530000", cid_name="JORDAN")
    _modem(hass, "idle", cid_number="6502530000", cid_name="JORDAN")
    # The library clears the caller ID on the first ring of the next call.
    _modem(hass, "ring")
    _modem(hass, "callerid", cid_number="2125550123", cid_name="RILEY")
    _modem(hass, "idle", cid_number="2125550123", cid_name="RILEY")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER, OTHER]


@_modem_line
async def test_modem_removed_while_ringing_keeps_the_call(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    _modem(hass, "callerid", cid_number="6502530000", cid_name="JORDAN")
    hass.states.async_remove(MODEM_ENTITY)
    await hass.async_block_till_done()
    assert sms_calls == []
    _modem(hass, "idle", cid_number="6502530000", cid_name="JORDAN")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER]


@_modem_line
async def test_out_of_area_name_code_is_not_a_caller_name(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    # North American caller ID sends the number but NAME=O when the
    # network has no name for it; "Hi O" must not reach the caller.
    _modem(hass, "callerid", cid_number="6502530000", cid_name="O")
    _modem(hass, "idle", cid_number="6502530000", cid_name="O")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER]
    assert [data["caller_name"] for _, data in events] == [None, None]


# --- generic preset, end to end ---------------------------------------------

GENERIC_DATA = {
    CONF_SOURCE: "entity",
    CONF_PRESET: "generic",
    CONF_ENTITY_ID: DESK_PHONE,
    CONF_RINGING_STATES: ["Incoming"],
    CONF_ANSWERED_STATES: ["Connected"],
    CONF_IDLE_STATES: ["Ready"],
    CONF_NUMBER_ATTRIBUTE: "caller",
    CONF_NAME_ATTRIBUTE: "",
}
GENERIC_WITH_NAME = {**GENERIC_DATA, CONF_NAME_ATTRIBUTE: "caller_name"}


@pytest.fixture
def desk_ready(hass: HomeAssistant) -> None:
    """Start with the desk phone ready."""
    hass.states.async_set(DESK_PHONE, "Ready", {})


def _generic_line[F: Callable[..., Any]](test: F) -> F:
    """Run the test on a line with the owner's state names (no name attribute)."""
    test = pytest.mark.parametrize("entry_data", [GENERIC_DATA], ids=["generic"])(test)
    return pytest.mark.usefixtures("desk_ready")(test)


def _desk(hass: HomeAssistant, state: str, **attributes: Any) -> None:
    hass.states.async_set(DESK_PHONE, state, attributes)


@_generic_line
async def test_incoming_then_ready_texts_the_caller(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _desk(hass, "Incoming", caller="(650) 253-0000", caller_name="Jordan")
    _desk(hass, "Ready")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER]
    assert _names(events) == ["missed_call", "text_sent"]
    # No name attribute configured: the name is not read.
    assert [data["caller_name"] for _, data in events] == [None, None]


@pytest.mark.parametrize("entry_data", [GENERIC_WITH_NAME], ids=["generic"])
@pytest.mark.usefixtures("desk_ready")
async def test_name_attribute_names_the_caller(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _desk(hass, "Incoming", caller="6502530000", caller_name="Jordan")
    _desk(hass, "Ready")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER]
    assert [data["caller_name"] for _, data in events] == ["Jordan", "Jordan"]


@_generic_line
async def test_connected_call_is_not_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _desk(hass, "Incoming", caller="6502530000")
    _desk(hass, "Connected", caller="6502530000")
    _desk(hass, "Ready")
    await hass.async_block_till_done()
    assert sms_calls == []
    assert events == []


@_generic_line
async def test_caller_ringing_during_a_connected_call_is_texted_when_missed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    _desk(hass, "Incoming", caller="6502530000")
    _desk(hass, "Connected", caller="6502530000")
    # Call waiting: another caller rings while the first call is connected,
    # gives up, and the line goes ready when the first call ends.
    _desk(hass, "Incoming", caller="2125550123")
    _desk(hass, "Ready")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [OTHER]
    assert {data["number"] for _, data in events} == {OTHER}


@_generic_line
async def test_number_lost_its_plus_to_a_template_is_still_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    # A template sensor renders "+16502530000" as the int 16502530000.
    _desk(hass, "Incoming", caller=16502530000)
    _desk(hass, "Ready")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER]


@_generic_line
async def test_states_the_owner_did_not_name_change_nothing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    _desk(hass, "Incoming", caller="6502530000")
    # Names are case sensitive: "ready" and "connected" are not the owner's.
    _desk(hass, "connected", caller="6502530000")
    _desk(hass, "ready")
    await hass.async_block_till_done()
    assert sms_calls == []
    _desk(hass, "Ready")
    await hass.async_block_till_done()
    assert _texted(sms_calls) == [CALLER]


# --- interpreters, unit level ------------------------------------------------


def _tracker() -> CallTracker:
    ids = count(1)
    return CallTracker(lambda: f"call{next(ids)}")


def _feed(
    interpreter: StateInterpreter,
    states: list[tuple[str, dict[str, Any]]],
) -> list[EndedCall]:
    """Feed states a second apart to a fresh tracker; return every ended call."""
    tracker = _tracker()
    ended: list[EndedCall] = []
    for i, (state, attributes) in enumerate(states):
        ended.extend(
            interpreter.feed(tracker, state, attributes, T0 + timedelta(seconds=i))
        )
    assert tracker.in_progress == 0
    return ended


def _fritz_ring(number: str, at: str, name: str = "unknown") -> tuple[str, dict]:
    return (
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


def _fritz_talk(number: str, device: object) -> tuple[str, dict]:
    return (
        "talking",
        {
            "with": number,
            "device": device,
            "accepted": "2026-11-26T10:00:05",
            "with_name": "unknown",
        },
    )


FRITZ_IDLE = ("idle", {"duration": "0", "closed": "2026-11-26T10:01:00"})


def test_fritzbox_preset_builds_the_fritzbox_interpreter() -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox", CONF_ENTITY_ID: "x"})
    assert isinstance(interpreter, FritzboxInterpreter)
    # Its answering machines are the box's built-in ones, devices 40-49.
    for device, outcome in (
        ("40", Outcome.VOICEMAIL),
        ("49", Outcome.VOICEMAIL),
        ("50", Outcome.ANSWERED),
        ("39", Outcome.ANSWERED),
        ("4", Outcome.ANSWERED),
    ):
        ended = _feed(
            interpreter,
            [_fritz_ring(CALLER, "t"), _fritz_talk(CALLER, device), FRITZ_IDLE],
        )
        assert [call.outcome for call in ended] == [outcome], device


def test_modem_preset_builds_the_modem_interpreter() -> None:
    assert isinstance(interpreter_for({CONF_PRESET: "modem"}), ModemInterpreter)


def test_generic_preset_builds_the_owners_state_names() -> None:
    interpreter = interpreter_for(
        {
            CONF_PRESET: "generic",
            CONF_RINGING_STATES: ["Incoming", "Ringing"],
            CONF_ANSWERED_STATES: ["Connected"],
            CONF_IDLE_STATES: ["Ready"],
            CONF_NUMBER_ATTRIBUTE: "caller",
            CONF_NAME_ATTRIBUTE: "caller_name",
        }
    )
    assert isinstance(interpreter, GenericInterpreter)
    assert _settings(interpreter) == (
        frozenset({"Incoming", "Ringing"}),
        frozenset({"Connected"}),
        frozenset({"Ready"}),
        "caller",
        "caller_name",
    )


def test_generic_preset_with_an_empty_name_attribute_reads_no_name() -> None:
    interpreter = interpreter_for(
        {
            CONF_PRESET: "generic",
            CONF_RINGING_STATES: ["Incoming"],
            CONF_ANSWERED_STATES: [],
            CONF_IDLE_STATES: ["Ready"],
            CONF_NUMBER_ATTRIBUTE: "caller",
            CONF_NAME_ATTRIBUTE: "",
        }
    )
    assert isinstance(interpreter, GenericInterpreter)
    assert interpreter.name_attribute is None
    assert interpreter.answered_states == frozenset()
    [call] = _feed(
        interpreter,
        [("Incoming", {"caller": CALLER, "": "Jordan"}), ("Ready", {})],
    )
    assert (call.number, call.caller_name) == (CALLER, None)


def test_generic_preset_without_state_names_uses_the_call_monitor_defaults() -> None:
    interpreter = interpreter_for({CONF_PRESET: "generic"})
    assert isinstance(interpreter, GenericInterpreter)
    assert _settings(interpreter) == (
        frozenset({"ringing"}),
        frozenset({"talking"}),
        frozenset({"idle"}),
        "from",
        "from_name",
    )


def _settings(
    interpreter: GenericInterpreter,
) -> tuple[frozenset[str], frozenset[str], frozenset[str], str, str | None]:
    return (
        interpreter.ringing_states,
        interpreter.answered_states,
        interpreter.idle_states,
        interpreter.number_attribute,
        interpreter.name_attribute,
    )


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="sip"):
        interpreter_for({CONF_PRESET: "sip"})


def test_fritzbox_missed_call_keeps_number_and_name_from_ringing() -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox"})
    assert _feed(interpreter, [_fritz_ring(CALLER, "t", "Jordan"), FRITZ_IDLE]) == [
        EndedCall(
            call_id="call1",
            number=CALLER,
            caller_name="Jordan",
            started_at=T0,
            ended_at=T0 + timedelta(seconds=1),
            outcome=Outcome.MISSED,
        )
    ]


def test_fritzbox_voicemail_device_is_read_as_text() -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox"})
    # The device id may arrive as a number or padded text.
    for device in (40, " 41 "):
        [call] = _feed(
            interpreter,
            [_fritz_ring(CALLER, "t"), _fritz_talk(CALLER, device), FRITZ_IDLE],
        )
        assert call.outcome is Outcome.VOICEMAIL


def test_fritzbox_talking_without_a_device_is_answered_by_a_person() -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox"})
    [call] = _feed(
        interpreter,
        [_fritz_ring(CALLER, "t"), ("talking", {"with": CALLER}), FRITZ_IDLE],
    )
    assert call.outcome is Outcome.ANSWERED


def test_fritzbox_same_caller_ringing_twice_is_two_calls() -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox"})
    ended = _feed(
        interpreter,
        [
            _fritz_ring(CALLER, "2026-11-26T10:00:00"),
            _fritz_ring(CALLER, "2026-11-26T10:00:20"),
            FRITZ_IDLE,
        ],
    )
    assert [(call.call_id, call.number) for call in ended] == [
        ("call1", CALLER),
        ("call2", CALLER),
    ]


def test_fritzbox_ringing_without_initiated_is_still_a_call() -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox"})
    ended = _feed(interpreter, [("ringing", {"from": CALLER}), FRITZ_IDLE])
    assert [(call.number, call.outcome) for call in ended] == [(CALLER, Outcome.MISSED)]


def test_fritzbox_outgoing_call_is_not_reported_and_does_not_hide_a_ring() -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox"})
    tracker = _tracker()
    dialing = {
        "type": "outgoing",
        "from": "5551234",
        "to": OTHER,
        "device": "SIP0",
        "initiated": "2026-11-26T09:59:00",
        "to_name": "unknown",
    }
    assert interpreter.feed(tracker, "dialing", dialing, T0) == []
    assert tracker.in_progress == 1
    interpreter.feed(tracker, *_fritz_talk(OTHER, "10"), T0)
    interpreter.feed(tracker, *_fritz_ring(CALLER, "t"), T0)
    ended = interpreter.feed(tracker, *FRITZ_IDLE, T0)
    assert [(call.number, call.outcome) for call in ended] == [(CALLER, Outcome.MISSED)]


def test_fritzbox_states_it_does_not_know_change_nothing() -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox"})
    tracker = _tracker()
    interpreter.feed(tracker, *_fritz_ring(CALLER, "t"), T0)
    assert interpreter.feed(tracker, "on_hold", {"with": CALLER}, T0) == []
    [call] = interpreter.feed(tracker, *FRITZ_IDLE, T0)
    assert call.outcome is Outcome.MISSED


@pytest.mark.parametrize("no_name", ["unknown", "UNKNOWN", "", "  ", "None", "null"])
def test_placeholder_caller_names_are_no_name(no_name: str) -> None:
    interpreter = interpreter_for({CONF_PRESET: "fritzbox"})
    [call] = _feed(interpreter, [_fritz_ring(CALLER, "t", no_name), FRITZ_IDLE])
    assert call.caller_name is None


def test_caller_name_is_trimmed() -> None:
    interpreter = interpreter_for({CONF_PRESET: "modem"})
    [call] = _feed(
        interpreter,
        [("callerid", {"cid_number": CALLER, "cid_name": "  Jordan "}), ("idle", {})],
    )
    assert call.caller_name == "Jordan"


def test_modem_reports_every_call_that_rang_as_missed() -> None:
    interpreter = interpreter_for({CONF_PRESET: "modem"})
    ended = _feed(
        interpreter,
        [
            ("ring", {"cid_time": CID_TIME}),
            ("callerid", {"cid_time": CID_TIME, "cid_number": CALLER}),
            ("ring", {"cid_time": CID_TIME, "cid_number": CALLER}),
            # A pickup elsewhere would look the same: the modem cannot tell.
            ("idle", {"cid_time": CID_TIME, "cid_number": CALLER}),
        ],
    )
    assert [(c.call_id, c.number, c.caller_name, c.outcome) for c in ended] == [
        ("call1", CALLER, None, Outcome.MISSED)
    ]
    assert ended[0].started_at == T0


def test_modem_ignores_states_it_does_not_know() -> None:
    interpreter = interpreter_for({CONF_PRESET: "modem"})
    tracker = _tracker()
    assert interpreter.feed(tracker, "failed", {}, T0) == []
    assert tracker.in_progress == 0


def test_generic_answered_state_answers_the_ringing_call() -> None:
    interpreter = interpreter_for(
        {
            CONF_PRESET: "generic",
            CONF_RINGING_STATES: ["Incoming"],
            CONF_ANSWERED_STATES: ["Connected"],
            CONF_IDLE_STATES: ["Ready", "Off hook"],
            CONF_NUMBER_ATTRIBUTE: "caller",
            CONF_NAME_ATTRIBUTE: "caller_name",
        }
    )
    ended = _feed(
        interpreter,
        [
            ("Incoming", {"caller": CALLER, "caller_name": "Jordan"}),
            ("Unheard of", {}),
            ("Connected", {}),
            ("Off hook", {}),
        ],
    )
    assert [(c.number, c.caller_name, c.outcome) for c in ended] == [
        (CALLER, "Jordan", Outcome.ANSWERED)
    ]
