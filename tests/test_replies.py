"""Callers' replies: STOP/START/HELP, the reply event, the actions and the options step.

Everything runs in a real Home Assistant; the SMS provider is the recorded
notify service of the `sms_calls` fixture (the far edge we cannot run here).
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
import voluptuous as vol

from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_HELP_MESSAGE,
    CONF_LINE_NAME,
    CONF_REPLY_EVENT_TYPE,
    CONF_REPLY_NUMBER_KEY,
    CONF_REPLY_SOURCE,
    CONF_REPLY_TEXT_KEY,
    CONF_STOP_CONFIRMATION,
    CONF_STOP_MESSAGE,
    DOMAIN,
)
from custom_components.missed_call_textback.ledger import SAVE_DELAY
from custom_components.missed_call_textback.presets import (
    DEFAULT_HELP_MESSAGE,
    DEFAULT_STOP_MESSAGE,
)

from .conftest import SMS_SERVICE
from .line_helpers import (
    DEFAULT_TEXT,
    ENTRY_ID,
    STORE_KEY,
    async_add_line,
    async_miss_call,
    make_entry,
    record_events,
)

type Events = list[tuple[str, dict[str, Any]]]

CALLER = "+16502530000"
OTHER_CALLER = "+12125550123"
HELP_TEXT = (
    "Acme Plumbing: we text back callers we could not answer. "
    "Reply STOP to get no more texts."
)
STOP_TEXT = "You will get no more texts from Acme Plumbing. Reply START to undo."
SECOND_ENTITY = "sensor.fritz_box_call_monitor_2"
SECOND_ENTRY_ID = "01JTESTLINE0000000000000002"
SECOND_HELP_TEXT = (
    "Bravo Electric: we text back callers we could not answer. "
    "Reply STOP to get no more texts."
)


@pytest.fixture
def events(hass: HomeAssistant) -> Events:
    """Every bus event of the integration, in firing order (replaces conftest's)."""
    return record_events(hass)


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


@pytest.fixture
async def second_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> MockConfigEntry:
    """Add a second business line (another call monitor, another business)."""
    entry = make_entry(
        entry_data,
        entry_options,
        entry_id=SECOND_ENTRY_ID,
        entity_id=SECOND_ENTITY,
        **{CONF_LINE_NAME: "Second line", CONF_BUSINESS_NAME: "Bravo Electric"},
    )
    await async_add_line(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _reply(hass: HomeAssistant, number: Any, text: Any, **line: Any) -> Any:
    response = await hass.services.async_call(
        DOMAIN,
        "handle_reply",
        {"number": number, "text": text, **line},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return response


async def _opt(hass: HomeAssistant, service: str, number: Any, **line: Any) -> Any:
    response = await hass.services.async_call(
        DOMAIN,
        service,
        {"number": number, **line},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return response


def _texts(sms_calls: list[ServiceCall]) -> list[tuple[list[str], str]]:
    return [(call.data["target"], call.data["message"]) for call in sms_calls]


def _skip_reasons(events: Events) -> list[str]:
    return [data["reason"] for name, data in events if name == "text_skipped"]


def _handled(
    keyword: str,
    *,
    call_id: str | None = None,
    opted_out: bool = False,
    answered: bool = False,
    entry_id: str = ENTRY_ID,
) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "result": "handled",
        "keyword": keyword,
        "call_id": call_id,
        "opted_out": opted_out,
        "answered": answered,
    }


def _sent_call_id(events: Events) -> str:
    (call_id,) = [data["call_id"] for name, data in events if name == "text_sent"]
    return str(call_id)


# --- STOP / START ---


async def test_stop_opts_the_caller_out_and_the_next_missed_call_is_skipped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    await async_miss_call(hass, CALLER)
    call_id = _sent_call_id(events)

    response = await _reply(hass, CALLER, "STOP")

    assert response == {"lines": [_handled("stop", call_id=call_id, opted_out=True)]}
    events.clear()
    await async_miss_call(hass, CALLER)
    assert [name for name, _ in events] == ["missed_call", "text_skipped"]
    assert _skip_reasons(events) == ["opted_out"]
    assert _texts(sms_calls) == [([CALLER], DEFAULT_TEXT)]


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "REVOKE",
        "stop",
        "unsubscribe",
        "Stop.",
        "  stop! ",
        "Quit!!",
    ],
)
async def test_each_stop_word_opts_out_whatever_its_case_and_punctuation(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    text: str,
) -> None:
    response = await _reply(hass, CALLER, text)

    assert response == {"lines": [_handled("stop", opted_out=True)]}
    await async_miss_call(hass, CALLER)
    assert _skip_reasons(events) == ["opted_out"]
    assert sms_calls == []


@pytest.mark.parametrize(
    "text",
    ["please stop texting me", "STOP IT", "stopp", "Opt-out", "STOP\u00a0STOP"],
)
async def test_an_opt_out_phrase_opts_out_and_the_owner_is_told(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    text: str,
) -> None:
    """The FCC's "any reasonable means": phrases and variants opt out too."""
    response = await _reply(hass, CALLER, text)

    assert response == {"lines": [_handled("stop", opted_out=True)]}
    (reply,) = [data for name, data in events if name == "reply_received"]
    assert reply["keyword"] == "stop"
    await async_miss_call(hass, CALLER)
    assert sms_calls == []


@pytest.mark.parametrize(
    "text",
    [
        "don't stop",
        "HELP ME",
        "Can you stop by tomorrow at 3?",
        "The leak won't stop",
        "Don't stop the work, just call me",
    ],
)
async def test_a_keyword_inside_a_longer_message_is_just_a_reply(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    text: str,
) -> None:
    response = await _reply(hass, CALLER, text)

    assert response == {"lines": [_handled("none")]}
    assert sms_calls == []
    await async_miss_call(hass, CALLER)
    assert _texts(sms_calls) == [([CALLER], DEFAULT_TEXT)]


async def test_opt_out_survives_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    await _reply(hass, "650-253-0000", "STOP")

    # The ledger coalesces writes: move the clock past its save delay.
    freezer.tick(timedelta(seconds=SAVE_DELAY + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert list(hass_storage[STORE_KEY]["data"]["opted_out"]) == [CALLER]

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await async_miss_call(hass, CALLER)
    assert _skip_reasons(events) == ["opted_out"]
    assert sms_calls == []


@pytest.mark.parametrize("word", ["START", "UNSTOP", "YES", "start", "Yes!"])
async def test_start_words_opt_back_in_and_the_next_missed_call_is_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    word: str,
) -> None:
    await _reply(hass, CALLER, "STOP")

    response = await _reply(hass, CALLER, word)

    assert response == {"lines": [_handled("start")]}
    await async_miss_call(hass, CALLER)
    assert _texts(sms_calls) == [([CALLER], DEFAULT_TEXT)]
    assert _skip_reasons(events) == []


# --- HELP and the STOP confirmation ---


async def test_help_to_a_named_line_gets_exactly_one_answer(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    response = await _reply(
        hass, CALLER, "help", config_entry_id=init_integration.entry_id
    )

    assert response == {"lines": [_handled("help", answered=True)]}
    assert _texts(sms_calls) == [([CALLER], HELP_TEXT)]


async def test_help_to_a_line_named_by_its_device_gets_an_answer(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    (device,) = dr.async_entries_for_config_entry(
        dr.async_get(hass), init_integration.entry_id
    )

    response = await _reply(hass, CALLER, "HELP", **{ATTR_DEVICE_ID: device.id})

    assert response == {"lines": [_handled("help", answered=True)]}
    assert _texts(sms_calls) == [([CALLER], HELP_TEXT)]


async def test_broadcast_help_is_answered_only_by_the_line_that_texted_the_caller(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    await async_miss_call(hass, CALLER)
    call_id = _sent_call_id(events)
    sms_calls.clear()

    response = await _reply(hass, CALLER, "HELP")

    assert response == {
        "lines": [
            _handled("help", call_id=call_id, answered=True),
            _handled("help", entry_id=SECOND_ENTRY_ID),
        ]
    }
    assert _texts(sms_calls) == [([CALLER], HELP_TEXT)]


async def test_broadcast_help_from_a_number_no_line_texted_gets_no_answer(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    response = await _reply(hass, CALLER, "HELP")

    assert response == {
        "lines": [_handled("help"), _handled("help", entry_id=SECOND_ENTRY_ID)]
    }
    assert sms_calls == []


async def test_help_message_is_rendered_with_each_lines_business_name(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await _reply(hass, CALLER, "HELP", config_entry_id=SECOND_ENTRY_ID)

    assert _texts(sms_calls) == [([CALLER], SECOND_HELP_TEXT)]


@pytest.mark.parametrize("options_override", [{CONF_STOP_CONFIRMATION: True}])
async def test_stop_confirmation_is_sent_once_and_not_after_a_second_stop(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    first = await _reply(hass, CALLER, "STOP")
    assert first == {"lines": [_handled("stop", opted_out=True, answered=True)]}
    assert _texts(sms_calls) == [([CALLER], STOP_TEXT)]

    second = await _reply(hass, CALLER, "stop")

    assert second == {"lines": [_handled("stop", opted_out=True)]}
    assert len(sms_calls) == 1


@pytest.mark.parametrize(
    "options_override",
    [
        {
            CONF_STOP_CONFIRMATION: True,
            CONF_STOP_MESSAGE: "{{ line_name }} will not text {{ caller_number }}.",
        }
    ],
)
async def test_stop_confirmation_uses_the_owners_template(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await _reply(hass, "6502530000", "STOP")

    assert _texts(sms_calls) == [([CALLER], f"Main line will not text {CALLER}.")]


async def test_without_stop_confirmation_stop_sends_nothing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    assert CONF_STOP_CONFIRMATION not in init_integration.options

    response = await _reply(hass, CALLER, "STOP")

    assert response == {"lines": [_handled("stop", opted_out=True)]}
    assert sms_calls == []


@pytest.mark.parametrize("options_override", [{CONF_STOP_CONFIRMATION: False}])
async def test_stop_confirmation_switched_off_sends_nothing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await _reply(hass, CALLER, "STOP")

    assert sms_calls == []


# --- the reply event, history and the event entity ---


async def test_a_reply_fires_an_event_with_the_texted_call(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    await async_miss_call(hass, CALLER, "Jordan")
    call_id = _sent_call_id(events)
    events.clear()

    await _reply(hass, "(650) 253-0000", "Running late, call me at 3")

    assert events == [
        (
            "reply_received",
            {
                "entry_id": ENTRY_ID,
                "line_name": "Main line",
                "call_id": call_id,
                "number": CALLER,
                "caller_name": "Jordan",
                "variant": "a",
                "text": "Running late, call me at 3",
                "keyword": "none",
                "inferred": False,
            },
        )
    ]


@pytest.mark.parametrize(
    ("text", "keyword"),
    [("STOP", "stop"), ("START", "start"), ("HELP", "help"), ("Thanks!", "none")],
)
async def test_every_reply_names_its_keyword_in_the_event(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
    text: str,
    keyword: str,
) -> None:
    await _reply(hass, CALLER, text)

    assert [(name, data["keyword"], data["text"]) for name, data in events] == [
        ("reply_received", keyword, text)
    ]


async def test_a_reply_from_a_number_never_texted_has_no_call(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    await _reply(hass, OTHER_CALLER, "Who is this?")

    assert [(name, data["call_id"], data["number"]) for name, data in events] == [
        ("reply_received", None, OTHER_CALLER)
    ]


async def test_a_reply_is_attached_to_the_newest_texted_call_in_the_history(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    await async_miss_call(hass, CALLER)
    call_id = _sent_call_id(events)
    # A skipped call from the same number (cooldown) takes no replies.
    await async_miss_call(hass, CALLER)
    assert _skip_reasons(events) == ["cooldown"]

    await _reply(hass, CALLER, "Yes please call back")

    line = init_integration.runtime_data
    records = {record.call_id: record for record in line.ledger.history}
    assert len(records) == 2
    assert [reply["text"] for reply in records[call_id].replies] == [
        "Yes please call back"
    ]
    assert all(
        record.replies == () for cid, record in records.items() if cid != call_id
    )

    freezer.tick(timedelta(seconds=SAVE_DELAY + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = {
        record["call_id"]: record
        for record in hass_storage[STORE_KEY]["data"]["history"]
    }
    assert [reply["text"] for reply in stored[call_id]["replies"]] == [
        "Yes please call back"
    ]


async def test_the_event_entity_shows_the_reply(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    entity_id = entity_registry.async_get_entity_id(
        "event", DOMAIN, f"{init_integration.entry_id}_call"
    )
    assert entity_id is not None

    await _reply(hass, CALLER, "Thanks")

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["event_type"] == "reply_received"
    assert state.attributes["text"] == "Thanks"
    assert state.attributes["number"] == CALLER
    assert "entry_id" not in state.attributes


async def test_a_reply_from_a_number_that_cannot_be_texted_is_ignored(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    response = await _reply(hass, "anonymous", "STOP")

    assert response == {"lines": [{"entry_id": ENTRY_ID, "result": "ignored"}]}
    assert events == []


# --- the actions' responses ---


async def test_handle_reply_named_line_answers_for_that_line_only(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    events: Events,
) -> None:
    response = await _reply(hass, CALLER, "STOP", config_entry_id=SECOND_ENTRY_ID)

    assert response == {
        "lines": [_handled("stop", opted_out=True, entry_id=SECOND_ENTRY_ID)]
    }
    assert [data["entry_id"] for _, data in events] == [SECOND_ENTRY_ID]
    await async_miss_call(hass, CALLER)
    assert [name for name, _ in events][1:] == ["missed_call", "text_sent"]


async def test_broadcast_stop_opts_out_on_every_line(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    events: Events,
) -> None:
    response = await _reply(hass, CALLER, "STOP")

    assert response == {
        "lines": [
            _handled("stop", opted_out=True),
            _handled("stop", opted_out=True, entry_id=SECOND_ENTRY_ID),
        ]
    }
    assert [(name, data["entry_id"]) for name, data in events] == [
        ("reply_received", ENTRY_ID),
        ("reply_received", SECOND_ENTRY_ID),
    ]


async def test_handle_reply_can_be_called_without_asking_for_a_response(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    assert (
        await hass.services.async_call(
            DOMAIN, "handle_reply", {"number": CALLER, "text": "STOP"}, blocking=True
        )
        is None
    )
    assert init_integration.runtime_data.ledger.is_opted_out(CALLER)


async def test_opt_out_and_opt_in_actions_report_what_changed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    assert await _opt(hass, "opt_out", "650 253 0000") == {"changed": [ENTRY_ID]}
    assert await _opt(hass, "opt_out", CALLER) == {"changed": []}
    await async_miss_call(hass, CALLER)
    assert _skip_reasons(events) == ["opted_out"]

    assert await _opt(hass, "opt_in", CALLER) == {"changed": [ENTRY_ID]}
    assert await _opt(hass, "opt_in", CALLER) == {"changed": []}
    await async_miss_call(hass, CALLER)
    assert _texts(sms_calls) == [([CALLER], DEFAULT_TEXT)]


async def test_opt_out_action_updates_the_opted_out_count_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    line = init_integration.runtime_data
    updates: list[None] = []
    unsub = line.async_add_listener(lambda: updates.append(None))

    await _opt(hass, "opt_out", CALLER)

    assert line.ledger.opted_out_count == 1
    assert updates
    unsub()


async def test_opt_out_action_for_a_named_line_and_for_all_lines(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    events: Events,
) -> None:
    assert await _opt(hass, "opt_out", CALLER, config_entry_id=SECOND_ENTRY_ID) == {
        "changed": [SECOND_ENTRY_ID]
    }
    await async_miss_call(hass, CALLER, entity_id=SECOND_ENTITY)
    await async_miss_call(hass, CALLER)
    assert [
        (name, data["entry_id"]) for name, data in events if name != "missed_call"
    ] == [("text_skipped", SECOND_ENTRY_ID), ("text_sent", ENTRY_ID)]

    assert await _opt(hass, "opt_out", CALLER) == {"changed": [ENTRY_ID]}
    assert await _opt(hass, "opt_in", CALLER) == {
        "changed": [ENTRY_ID, SECOND_ENTRY_ID]
    }


# --- bad input ---


@pytest.mark.parametrize(
    "data",
    [
        {"text": "STOP"},
        {"number": "", "text": "STOP"},
        {"number": "   ", "text": "STOP"},
        {"number": {"n": CALLER}, "text": "STOP"},
        {"number": True, "text": "STOP"},
        {"number": "1" * 65, "text": "STOP"},
        {"number": CALLER},
        {"number": CALLER, "text": "x" * 2001},
    ],
)
async def test_handle_reply_refuses_malformed_input(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
    data: dict[str, Any],
) -> None:
    # Recent Home Assistant wraps schema errors in ServiceValidationError.
    with pytest.raises((vol.Invalid, ServiceValidationError)):
        await hass.services.async_call(
            DOMAIN, "handle_reply", data, blocking=True, return_response=True
        )
    assert events == []


async def test_handle_reply_accepts_the_longest_allowed_text(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    await _reply(hass, CALLER, "x" * 2000)

    assert [name for name, _ in events] == ["reply_received"]


async def test_handle_reply_accepts_a_number_a_template_turned_into_an_int(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    response = await _reply(hass, 16502530000, "STOP")

    assert response == {"lines": [_handled("stop", opted_out=True)]}
    assert init_integration.runtime_data.ledger.is_opted_out(CALLER)


@pytest.mark.parametrize("service", ["opt_out", "opt_in"])
@pytest.mark.parametrize(
    "data", [{}, {"number": ""}, {"number": {"n": CALLER}}, {"number": [CALLER]}]
)
async def test_opt_actions_refuse_malformed_input(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
) -> None:
    with pytest.raises((vol.Invalid, ServiceValidationError)):
        await hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=True
        )


@pytest.mark.parametrize("service", ["opt_out", "opt_in"])
@pytest.mark.parametrize(("number", "reason"), [("123", "short_code"), ("abc", None)])
async def test_opt_actions_refuse_a_number_that_cannot_be_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service: str,
    number: str,
    reason: str | None,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _opt(hass, service, number)

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "invalid_number"
    assert err.value.translation_placeholders is not None
    if reason is not None:
        assert err.value.translation_placeholders == {"reason": reason}
    assert init_integration.runtime_data.ledger.opted_out_count == 0


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("handle_reply", {"number": CALLER, "text": "STOP"}),
        ("opt_out", {"number": CALLER}),
        ("opt_in", {"number": CALLER}),
    ],
)
async def test_actions_refuse_an_unknown_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            service,
            {**data, "config_entry_id": "01JNOSUCHLINE000000000000"},
            blocking=True,
            return_response=True,
        )

    assert err.value.translation_key == "unknown_line"
    assert not init_integration.runtime_data.ledger.is_opted_out(CALLER)


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("handle_reply", {"number": CALLER, "text": "STOP"}),
        ("opt_out", {"number": CALLER}),
        ("opt_in", {"number": CALLER}),
    ],
)
async def test_actions_need_a_loaded_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
) -> None:
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=True
        )

    assert err.value.translation_key == "line_required"


async def test_actions_refuse_a_named_line_that_is_not_running(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await _reply(hass, CALLER, "STOP", config_entry_id=init_integration.entry_id)

    assert err.value.translation_key == "line_not_loaded"
    assert err.value.translation_placeholders == {"line_name": "Main line"}


# --- replies heard from events ---


@pytest.mark.parametrize("options_override", [{CONF_REPLY_SOURCE: "twilio"}])
async def test_a_twilio_sms_stop_opts_the_caller_out(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    hass.bus.async_fire(
        "twilio_data_received",
        {
            "webhook_id": "abc",
            "MessageSid": "SM1",
            "From": "+16502530000",
            "To": "+15551234567",
            "Body": "STOP",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [(name, data["keyword"]) for name, data in events] == [
        ("reply_received", "stop")
    ]
    await async_miss_call(hass, CALLER)
    assert _skip_reasons(events) == ["opted_out"]
    assert sms_calls == []


@pytest.mark.parametrize("options_override", [{CONF_REPLY_SOURCE: "twilio"}])
async def test_an_unsigned_twilio_start_does_not_lift_an_opt_out(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    """Core's Twilio webhook is unsigned: anyone could post START as the caller."""
    await _opt(hass, "opt_out", CALLER)
    hass.bus.async_fire(
        "twilio_data_received",
        {"webhook_id": "abc", "MessageSid": "SM2", "From": CALLER, "Body": "START"},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.runtime_data.ledger.is_opted_out(CALLER)
    assert [data["keyword"] for name, data in events if name == "reply_received"] == [
        "none"
    ]
    # The owner's own action still opts the caller back in.
    await _opt(hass, "opt_in", CALLER)
    assert not init_integration.runtime_data.ledger.is_opted_out(CALLER)


@pytest.mark.parametrize("options_override", [{CONF_REPLY_SOURCE: "twilio"}])
async def test_a_twilio_voice_callback_is_not_a_reply(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    hass.bus.async_fire(
        "twilio_data_received",
        {
            "webhook_id": "abc",
            "CallSid": "CA1",
            "From": "+16502530000",
            "To": "+15551234567",
            "CallStatus": "ringing",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert events == []


@pytest.mark.parametrize("options_override", [{CONF_REPLY_SOURCE: "twilio"}])
async def test_a_twilio_help_from_a_texted_caller_is_answered(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await async_miss_call(hass, CALLER)
    hass.bus.async_fire("twilio_data_received", {"From": CALLER, "Body": "help"})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _texts(sms_calls) == [([CALLER], DEFAULT_TEXT), ([CALLER], HELP_TEXT)]


@pytest.mark.parametrize("options_override", [{CONF_REPLY_SOURCE: "twilio"}])
async def test_a_twilio_help_from_a_stranger_is_not_answered(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    hass.bus.async_fire("twilio_data_received", {"From": CALLER, "Body": "HELP"})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [name for name, _ in events] == ["reply_received"]
    assert sms_calls == []


CUSTOM_EVENT_OPTIONS = {
    CONF_REPLY_SOURCE: "event",
    CONF_REPLY_EVENT_TYPE: "my_sms_received",
    CONF_REPLY_NUMBER_KEY: "sender",
    CONF_REPLY_TEXT_KEY: "message",
}


@pytest.mark.parametrize("options_override", [CUSTOM_EVENT_OPTIONS])
@pytest.mark.parametrize("number", ["+16502530000", "650-253-0000", 16502530000])
async def test_a_custom_event_reply_is_read_with_the_owners_keys(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
    number: str | int,
) -> None:
    hass.bus.async_fire("my_sms_received", {"sender": number, "message": "Stop."})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [
        (name, data["number"], data["text"], data["keyword"]) for name, data in events
    ] == [("reply_received", CALLER, "Stop.", "stop")]
    assert init_integration.runtime_data.ledger.is_opted_out(CALLER)


@pytest.mark.parametrize("options_override", [CUSTOM_EVENT_OPTIONS])
@pytest.mark.parametrize(
    "data",
    [
        {"sender": {"number": CALLER}, "message": "STOP"},
        {"sender": CALLER},
        {"message": "STOP"},
        {"sender": CALLER, "message": 5},
        {"sender": None, "message": "STOP"},
        {"sender": [CALLER], "message": "STOP"},
        {"From": CALLER, "Body": "STOP"},
    ],
)
async def test_a_malformed_reply_event_is_ignored(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
    caplog: pytest.LogCaptureFixture,
    data: dict[str, Any],
) -> None:
    hass.bus.async_fire("my_sms_received", data)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert events == []
    assert not init_integration.runtime_data.ledger.is_opted_out(CALLER)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("options_override", [CUSTOM_EVENT_OPTIONS])
async def test_a_custom_event_line_does_not_hear_twilio(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    hass.bus.async_fire("twilio_data_received", {"From": CALLER, "Body": "STOP"})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert events == []


@pytest.mark.parametrize(
    "options_override",
    [
        {CONF_REPLY_SOURCE: "none"},
        {},
        {**CUSTOM_EVENT_OPTIONS, CONF_REPLY_EVENT_TYPE: ""},
    ],
)
async def test_a_line_without_a_reply_source_ignores_reply_events(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    hass.bus.async_fire("twilio_data_received", {"From": CALLER, "Body": "STOP"})
    hass.bus.async_fire("my_sms_received", {"sender": CALLER, "message": "STOP"})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert events == []
    assert not init_integration.runtime_data.ledger.is_opted_out(CALLER)


@pytest.mark.parametrize("options_override", [{CONF_REPLY_SOURCE: "twilio"}])
async def test_a_reply_event_stops_being_heard_when_the_line_unloads(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    hass.bus.async_fire("twilio_data_received", {"From": CALLER, "Body": "STOP"})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert events == []


# --- answering fails ---


async def test_a_failing_sender_while_answering_help_is_logged_and_the_reply_kept(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await async_miss_call(hass, CALLER)
    call_id = _sent_call_id(events)
    events.clear()

    # The SMS provider rejects the answer (and names the number, as providers do).
    async def _reject(call: ServiceCall) -> None:
        raise HomeAssistantError(f"provider rejected {call.data['target'][0]}")

    hass.services.async_register("notify", SMS_SERVICE, _reject)

    response = await _reply(hass, CALLER, "HELP", config_entry_id=ENTRY_ID)

    assert response == {"lines": [_handled("help", call_id=call_id)]}
    assert [(name, data["call_id"]) for name, data in events] == [
        ("reply_received", call_id)
    ]
    (record,) = [
        r for r in init_integration.runtime_data.ledger.history if r.call_id == call_id
    ]
    assert [reply["text"] for reply in record.replies] == ["HELP"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings if "answer a reply" in r.getMessage()]
    for r in warnings:
        assert "6502530000" not in r.getMessage()


@pytest.mark.parametrize("options_override", [{CONF_HELP_MESSAGE: "{{ 1 / 0 }}"}])
async def test_a_broken_help_template_is_logged_and_nothing_is_sent(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = await _reply(hass, CALLER, "HELP", config_entry_id=ENTRY_ID)

    assert response == {"lines": [_handled("help")]}
    assert sms_calls == []
    assert [name for name, _ in events] == ["reply_received"]
    assert "Main line: could not answer a reply" in caplog.text


# --- the replies options step ---


async def _open_replies(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "replies"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "replies"
    assert result["errors"] == {}
    return str(result["flow_id"])


def _replies_input(**changes: Any) -> dict[str, Any]:
    return {
        CONF_REPLY_SOURCE: "none",
        CONF_STOP_CONFIRMATION: False,
        CONF_STOP_MESSAGE: DEFAULT_STOP_MESSAGE,
        CONF_HELP_MESSAGE: DEFAULT_HELP_MESSAGE,
        **changes,
    }


async def test_options_menu_offers_texting_rules_and_replies(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "init"
    assert result["menu_options"] == [
        "texting",
        "messages",
        "hours",
        "timing",
        "variants",
        "follow_up",
        "rules",
        "replies",
    ]
    hass.config_entries.options.async_abort(result["flow_id"])


async def test_replies_form_shows_the_defaults(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "replies"}
    )

    schema = result["data_schema"]
    assert schema is not None
    assert schema({}) == _replies_input()
    hass.config_entries.options.async_abort(result["flow_id"])


@pytest.mark.parametrize(
    "missing", [CONF_REPLY_EVENT_TYPE, CONF_REPLY_NUMBER_KEY, CONF_REPLY_TEXT_KEY]
)
@pytest.mark.parametrize("value", [None, "", "   "])
async def test_event_source_needs_every_event_field(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    missing: str,
    value: str | None,
) -> None:
    flow_id = await _open_replies(hass, init_integration)
    user_input = _replies_input(
        **{
            CONF_REPLY_SOURCE: "event",
            CONF_REPLY_EVENT_TYPE: "my_sms_received",
            CONF_REPLY_NUMBER_KEY: "sender",
            CONF_REPLY_TEXT_KEY: "message",
        }
    )
    if value is None:
        del user_input[missing]
    else:
        user_input[missing] = value

    result = await hass.config_entries.options.async_configure(flow_id, user_input)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {missing: "event_field_required"}
    assert CONF_REPLY_SOURCE not in init_integration.options
    hass.config_entries.options.async_abort(flow_id)


@pytest.mark.parametrize("field", [CONF_STOP_MESSAGE, CONF_HELP_MESSAGE])
@pytest.mark.parametrize("template", ["{{ business_name", "{{ '' }}", "x" * 256])
async def test_a_broken_stop_or_help_template_is_refused_with_the_error(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    field: str,
    template: str,
) -> None:
    flow_id = await _open_replies(hass, init_integration)

    result = await hass.config_entries.options.async_configure(
        flow_id, _replies_input(**{field: template})
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "invalid_template"}
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["error"]
    assert CONF_REPLY_SOURCE not in init_integration.options
    hass.config_entries.options.async_abort(flow_id)


async def test_event_source_saves_the_trimmed_event_fields(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    flow_id = await _open_replies(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        flow_id,
        _replies_input(
            **{
                CONF_REPLY_SOURCE: "event",
                CONF_REPLY_EVENT_TYPE: " my_sms_received ",
                CONF_REPLY_NUMBER_KEY: "sender ",
                CONF_REPLY_TEXT_KEY: " message",
                CONF_STOP_CONFIRMATION: True,
                CONF_STOP_MESSAGE: "Bye from {{ business_name }}",
                CONF_HELP_MESSAGE: "{{ business_name }} help",
            }
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    before = {
        k: v
        for k, v in init_integration.options.items()
        if k
        not in {
            CONF_REPLY_SOURCE,
            CONF_REPLY_EVENT_TYPE,
            CONF_REPLY_NUMBER_KEY,
            CONF_REPLY_TEXT_KEY,
            CONF_STOP_CONFIRMATION,
            CONF_STOP_MESSAGE,
            CONF_HELP_MESSAGE,
        }
    }
    assert before[CONF_COOLDOWN_HOURS] == 24
    assert dict(init_integration.options) == {
        **before,
        CONF_REPLY_SOURCE: "event",
        CONF_REPLY_EVENT_TYPE: "my_sms_received",
        CONF_REPLY_NUMBER_KEY: "sender",
        CONF_REPLY_TEXT_KEY: "message",
        CONF_STOP_CONFIRMATION: True,
        CONF_STOP_MESSAGE: "Bye from {{ business_name }}",
        CONF_HELP_MESSAGE: "{{ business_name }} help",
    }


async def test_saved_event_source_is_heard_after_the_options_change(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: Events,
) -> None:
    flow_id = await _open_replies(hass, init_integration)
    await hass.config_entries.options.async_configure(
        flow_id,
        _replies_input(
            **{**CUSTOM_EVENT_OPTIONS, CONF_STOP_CONFIRMATION: True},
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.LOADED

    hass.bus.async_fire("my_sms_received", {"sender": CALLER, "message": "STOP"})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [name for name, _ in events] == ["reply_received"]
    assert _texts(sms_calls) == [([CALLER], STOP_TEXT)]


@pytest.mark.parametrize("source", ["twilio", "none"])
async def test_other_sources_do_not_store_event_fields(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    source: str,
) -> None:
    flow_id = await _open_replies(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        flow_id,
        _replies_input(
            **{
                CONF_REPLY_SOURCE: source,
                CONF_REPLY_EVENT_TYPE: "my_sms_received",
                CONF_REPLY_NUMBER_KEY: "sender",
                CONF_REPLY_TEXT_KEY: "message",
            }
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = init_integration.options
    assert options[CONF_REPLY_SOURCE] == source
    assert options[CONF_STOP_CONFIRMATION] is False
    assert options[CONF_STOP_MESSAGE] == DEFAULT_STOP_MESSAGE
    assert options[CONF_HELP_MESSAGE] == DEFAULT_HELP_MESSAGE
    for key in (CONF_REPLY_EVENT_TYPE, CONF_REPLY_NUMBER_KEY, CONF_REPLY_TEXT_KEY):
        assert key not in options


@pytest.mark.parametrize("options_override", [CUSTOM_EVENT_OPTIONS])
async def test_switching_away_from_the_event_source_drops_nothing_else(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    flow_id = await _open_replies(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        flow_id, _replies_input(**{CONF_REPLY_SOURCE: "twilio"})
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_REPLY_SOURCE] == "twilio"
    assert init_integration.options[CONF_BUSINESS_NAME] == "Acme Plumbing"


async def test_handle_reply_refuses_an_unknown_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _reply(hass, CALLER, "STOP", **{ATTR_DEVICE_ID: "no-such-device"})

    assert err.value.translation_key == "unknown_device"
    assert err.value.translation_placeholders == {"device_id": "no-such-device"}
    assert events == []


async def test_handle_reply_refuses_two_lines_at_once(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    events: Events,
) -> None:
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), SECOND_ENTRY_ID)

    with pytest.raises(ServiceValidationError) as err:
        await _reply(
            hass,
            CALLER,
            "STOP",
            config_entry_id=ENTRY_ID,
            **{ATTR_DEVICE_ID: device.id},
        )

    assert err.value.translation_key == "one_line_only"
    assert events == []


async def test_handle_reply_refuses_an_entry_of_another_integration(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
) -> None:
    other = MockConfigEntry(domain="demo", entry_id="01JOTHERINTEGRATION0000000")
    other.add_to_hass(hass)

    with pytest.raises(ServiceValidationError) as err:
        await _reply(hass, CALLER, "STOP", config_entry_id=other.entry_id)

    assert err.value.translation_key == "unknown_line"
    assert events == []


async def test_a_pending_retry_is_not_sent_after_the_caller_opts_out(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    events: Events,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The SMS provider fails the first attempt (the far edge, recorded here).
    texts: list[ServiceCall] = []

    async def _fail(call: ServiceCall) -> None:
        raise HomeAssistantError("provider timeout")

    async def _record(call: ServiceCall) -> None:
        texts.append(call)

    hass.services.async_register("notify", SMS_SERVICE, _fail)
    await async_miss_call(hass, CALLER)
    assert [
        data["retry_at"] is not None for n, data in events if n == "text_failed"
    ] == [True]

    await _reply(hass, CALLER, "STOP")
    hass.services.async_register("notify", SMS_SERVICE, _record)
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert texts == []
