"""Keeping the promise: leads, reminders, resolutions, forwarded replies, analytics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.missed_call_textback.const import (
    CONF_COOLDOWN_HOURS,
    CONF_DELAY_SECONDS,
    CONF_FOLLOW_UP_NOTIFY,
    CONF_FORWARD_REPLIES,
    CONF_REMIND_MINUTES,
    CONF_RESPONSE_MINUTES,
    CONF_VARIANT_MODE,
    DOMAIN,
)

from .conftest import FRITZ_ENTITY
from .line_helpers import (
    OUTBOX_KEY,
    STORE_KEY,
    async_add_idle_line,
    async_miss_call,
    async_move_to,
    idle,
    ring,
)

NOW = datetime(2026, 11, 26, 15, 0, 0, tzinfo=UTC)  # 10:00 in New York
DUE = NOW + timedelta(hours=1)
CALLER = "+16502530000"
OTHER = "+14155550123"
OWNER = {CONF_FOLLOW_UP_NOTIFY: "owner_phone"}
AWAITING = "sensor.main_line_awaiting_follow_up"
OVERDUE = "sensor.main_line_overdue_follow_ups"
BUTTON = "button.main_line_resolve_oldest_follow_up"


@pytest.fixture(autouse=True)
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock: deadlines and reminders are moved through by hand."""
    freezer.move_to(NOW)
    return freezer


@pytest.fixture
def owner_notes(hass: HomeAssistant) -> list[ServiceCall]:
    """Record what reaches the owner's phone (the far edge: a mobile app)."""
    return async_mock_service(hass, "notify", "owner_phone")


async def _line(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    **options: Any,
) -> MockConfigEntry:
    return await async_add_idle_line(
        hass, entry_data, entry_options, **{**OWNER, **options}
    )


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def _of(events: list[tuple[str, dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    return [data for event, data in events if event == name]


async def _reply(hass: HomeAssistant, number: str, text: str) -> None:
    await hass.services.async_call(
        DOMAIN, "handle_reply", {"number": number, "text": text}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


# --- a lead and its deadline -----------------------------------------------------


async def test_a_texted_caller_awaits_follow_up_by_the_promised_time(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await _line(hass, entry_data, entry_options)

    await async_miss_call(hass, "6502530000", "Jordan")

    assert len(sms_calls) == 1
    assert _state(hass, AWAITING) == "1"
    assert _state(hass, OVERDUE) == "0"
    (lead,) = hass.states.get(AWAITING).attributes["leads"]
    assert lead == {
        "call_id": lead["call_id"],
        "number": CALLER,
        "caller_name": "Jordan",
        "missed_at": NOW.isoformat(),
        "due_at": DUE.isoformat(),
        "variant": "a",
        "replies": [],
    }


async def test_the_owner_is_reminded_before_the_deadline_then_it_is_overdue(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000", "Jordan")

    await async_move_to(hass, frozen_clock, DUE - timedelta(minutes=10, seconds=1))
    assert _of(events, "follow_up_due") == []
    assert owner_notes == []

    await async_move_to(hass, frozen_clock, DUE - timedelta(minutes=10))
    (due,) = _of(events, "follow_up_due")
    assert due["number"] == CALLER
    assert due["due_at"] == DUE.isoformat()
    assert due["replies"] == []
    assert [call.data for call in owner_notes] == [
        {
            "message": f"Follow up with Jordan ({CALLER}) by 11:00 (Main line).",
            "title": "Main line",
        }
    ]
    assert _state(hass, OVERDUE) == "0"

    await async_move_to(hass, frozen_clock, DUE - timedelta(seconds=1))
    assert _state(hass, OVERDUE) == "0"
    await async_move_to(hass, frozen_clock, DUE)
    assert _state(hass, OVERDUE) == "1"
    assert hass.states.get(OVERDUE).attributes["leads"][0]["number"] == CALLER
    # One reminder per lead, however long it stays open.
    await async_move_to(hass, frozen_clock, DUE + timedelta(hours=5))
    assert len(owner_notes) == 1


async def test_a_reminder_set_to_zero_comes_at_the_deadline(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
) -> None:
    await _line(hass, entry_data, entry_options, **{CONF_REMIND_MINUTES: 0})
    await async_miss_call(hass, "6502530000")

    await async_move_to(hass, frozen_clock, DUE - timedelta(seconds=1))
    assert owner_notes == []
    await async_move_to(hass, frozen_clock, DUE)
    assert len(owner_notes) == 1


async def test_a_promise_shorter_than_the_reminder_is_reminded_of_at_once(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _line(hass, entry_data, entry_options, **{CONF_RESPONSE_MINUTES: 5})

    await async_miss_call(hass, "6502530000")

    assert [name for name, _ in events][-2:] == ["text_sent", "follow_up_due"]
    assert len(owner_notes) == 1


async def test_without_a_notify_service_the_reminder_is_only_an_event(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _line(hass, entry_data, entry_options, **{CONF_FOLLOW_UP_NOTIFY: ""})
    await async_miss_call(hass, "6502530000")

    await async_move_to(hass, frozen_clock, DUE)

    assert len(_of(events, "follow_up_due")) == 1
    assert owner_notes == []


async def test_a_missing_owner_notify_service_is_logged_not_fatal(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _line(
        hass, entry_data, entry_options, **{CONF_FOLLOW_UP_NOTIFY: "gone_phone"}
    )
    await async_miss_call(hass, "6502530000")

    await async_move_to(hass, frozen_clock, DUE)

    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("could not notify the owner" in message for message in logged)
    assert not any(CALLER in message for message in logged)
    assert _state(hass, OVERDUE) == "1"


# --- how a lead is resolved --------------------------------------------------------


async def test_calling_the_caller_back_resolves_the_lead_in_time(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000", "Jordan")
    callback_at = NOW + timedelta(minutes=25)
    frozen_clock.move_to(callback_at)

    hass.states.async_set(
        FRITZ_ENTITY, "dialing", {"to": "6502530000", "initiated": "10:25"}
    )
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    (resolved,) = _of(events, "lead_resolved")
    assert resolved["resolution"] == "called_back"
    assert resolved["within_promise"] is True
    assert resolved["minutes"] == 25.0
    assert resolved["resolved_at"] == callback_at.isoformat()
    assert _state(hass, AWAITING) == "0"
    assert _state(hass, "sensor.main_line_followed_up_in_time") == "1"
    assert _state(hass, "sensor.main_line_median_time_to_follow_up") == "25.0"


async def test_a_caller_who_rings_again_and_gets_through_resolves_the_lead(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")
    frozen_clock.move_to(NOW + timedelta(minutes=90))

    ring(hass, "6502530000", at="2026-11-26T11:30:00")
    hass.states.async_set(FRITZ_ENTITY, "talking", {"with": "6502530000"})
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    (resolved,) = _of(events, "lead_resolved")
    assert resolved["resolution"] == "answered"
    assert resolved["within_promise"] is False
    assert _state(hass, "sensor.main_line_followed_up_in_time") == "0"
    assert len(sms_calls) == 1


async def test_resolve_lead_by_number_and_by_call(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")
    await async_miss_call(hass, OTHER)
    leads = entry.runtime_data.ledger.leads.sorted_open()
    other_call = next(lead.call_id for lead in leads if lead.number == OTHER)

    by_number = await hass.services.async_call(
        DOMAIN,
        "resolve_lead",
        {"number": "(650) 253-0000"},
        blocking=True,
        return_response=True,
    )
    by_call = await hass.services.async_call(
        DOMAIN,
        "resolve_lead",
        {"call_id": other_call},
        blocking=True,
        return_response=True,
    )
    again = await hass.services.async_call(
        DOMAIN,
        "resolve_lead",
        {"call_id": other_call},
        blocking=True,
        return_response=True,
    )

    assert by_number is not None
    assert len(by_number["resolved"]) == 1  # type: ignore[arg-type]
    assert by_call == {"resolved": [other_call]}
    assert again == {"resolved": []}
    assert _state(hass, AWAITING) == "0"


async def test_resolve_lead_refuses_a_number_that_cannot_be_texted(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    await _line(hass, entry_data, entry_options)

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "resolve_lead", {"number": "112"}, blocking=True
        )

    assert raised.value.translation_key == "invalid_number"


async def test_the_button_resolves_the_most_urgent_lead(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")
    frozen_clock.tick(timedelta(minutes=5))
    await async_miss_call(hass, OTHER)

    await hass.services.async_call(
        "button", "press", {"entity_id": BUTTON}, blocking=True
    )

    (resolved,) = _of(events, "lead_resolved")
    assert resolved["number"] == CALLER
    assert resolved["resolution"] == "manual"
    assert _state(hass, AWAITING) == "1"


async def test_the_button_says_so_when_nothing_waits(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    await _line(hass, entry_data, entry_options)

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            "button", "press", {"entity_id": BUTTON}, blocking=True
        )

    assert raised.value.translation_key == "no_open_follow_ups"


# --- replies ----------------------------------------------------------------


async def test_a_reply_is_forwarded_to_the_owner_and_attached_to_the_lead(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000", "Jordan")

    await _reply(hass, CALLER, "Leaking tap, can you come today?")
    await _reply(hass, CALLER, "Any time after 2")

    assert [call.data["message"] for call in owner_notes] == [
        f'Jordan ({CALLER}) replied to Main line: "Leaking tap, can you come today?"',
        f'Jordan ({CALLER}) replied to Main line: "Any time after 2"',
    ]
    (lead,) = hass.states.get(AWAITING).attributes["leads"]
    assert lead["replies"] == ["Leaking tap, can you come today?", "Any time after 2"]
    assert _state(hass, "sensor.main_line_replies") == "2"
    assert _state(hass, "sensor.main_line_reply_rate") == "100.0"
    # The reminder carries what the caller wrote.
    await async_move_to(hass, frozen_clock, DUE - timedelta(minutes=10))
    assert owner_notes[-1].data["message"].endswith('They replied: "Any time after 2"')
    assert _of(events, "follow_up_due")[0]["replies"] == [
        "Leaking tap, can you come today?",
        "Any time after 2",
    ]


async def test_replies_are_not_forwarded_when_the_owner_says_so(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
) -> None:
    await _line(hass, entry_data, entry_options, **{CONF_FORWARD_REPLIES: False})
    await async_miss_call(hass, "6502530000")

    await _reply(hass, CALLER, "Hello?")

    assert owner_notes == []


async def test_an_opt_out_read_from_a_phrase_is_forwarded_as_such(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000", "Jordan")

    await _reply(hass, CALLER, "Please stop texting me")
    await _reply(hass, OTHER, "remove me from your list")

    assert [call.data["message"] for call in owner_notes] == [
        (
            f'Jordan ({CALLER}) replied to Main line: "Please stop texting me"'
            " (treated as opt-out)"
        ),
        # Never texted, but every opt-out reaches the owner.
        (
            f'{OTHER} replied to Main line: "remove me from your list"'
            " (treated as opt-out)"
        ),
    ]
    assert [(d["keyword"], d["inferred"]) for d in _of(events, "reply_received")] == [
        ("stop", True),
        ("stop", True),
    ]
    assert len(sms_calls) == 1


async def test_a_text_from_someone_never_texted_is_not_forwarded(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    owner_notes: list[ServiceCall],
) -> None:
    await _line(hass, entry_data, entry_options)

    await _reply(hass, OTHER, "Who is this?")

    assert owner_notes == []
    assert _state(hass, "sensor.main_line_reply_rate") == "unknown"


# --- restarts ---------------------------------------------------------------


async def test_open_leads_and_their_reminders_survive_a_restart(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    entry = await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[STORE_KEY]["data"]["leads"]["open"][0]["number"] == CALLER
    assert hass_storage[OUTBOX_KEY]["data"]["outbox"] == []

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _state(hass, AWAITING) == "1"
    await async_move_to(hass, frozen_clock, DUE - timedelta(minutes=10))

    assert len(owner_notes) == 1


async def test_a_reminder_missed_while_stopped_goes_out_at_start(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
) -> None:
    entry = await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")
    assert await hass.config_entries.async_unload(entry.entry_id)
    frozen_clock.move_to(DUE - timedelta(minutes=5))

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert len(owner_notes) == 1


async def test_a_deadline_passed_while_stopped_is_overdue_without_a_late_reminder(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_notes: list[ServiceCall],
) -> None:
    entry = await _line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")
    assert await hass.config_entries.async_unload(entry.entry_id)
    frozen_clock.move_to(DUE + timedelta(hours=1))

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert owner_notes == []
    assert _state(hass, OVERDUE) == "1"


# --- analytics --------------------------------------------------------------


async def test_analytics_sensors_are_long_term_statistics(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await _line(
        hass,
        entry_data,
        entry_options,
        **{CONF_DELAY_SECONDS: 45, CONF_COOLDOWN_HOURS: 0},
    )
    await async_miss_call(hass, "6502530000")
    await async_miss_call(hass, "anonymous")
    await async_move_to(hass, frozen_clock, NOW + timedelta(seconds=45))

    expected = {
        "sensor.main_line_missed_calls": ("2", "total_increasing", None),
        "sensor.main_line_texts_sent": ("1", "total_increasing", None),
        "sensor.main_line_replies": ("0", "total_increasing", None),
        "sensor.main_line_reply_rate": ("0.0", "measurement", "%"),
        "sensor.main_line_followed_up_in_time": ("0", "total_increasing", None),
        "sensor.main_line_median_time_to_text": ("45.0", "measurement", "s"),
        "sensor.main_line_median_time_to_follow_up": ("unknown", "measurement", "min"),
    }
    for entity_id, (value, state_class, unit) in expected.items():
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state == value, entity_id
        assert state.attributes["state_class"] == state_class, entity_id
        assert state.attributes.get("unit_of_measurement") == unit, entity_id


async def test_each_variant_gets_its_deadline_and_its_own_figures(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await _line(
        hass,
        entry_data,
        entry_options,
        **{
            CONF_VARIANT_MODE: "round_robin",
            "variant_b_response_window": "within 30 minutes",
            "variant_b_response_minutes": 30,
        },
    )
    await async_miss_call(hass, "6502530000")  # variant a
    await async_miss_call(hass, OTHER)  # variant b

    await _reply(hass, OTHER, "Yes please")
    await hass.services.async_call(
        DOMAIN, "resolve_lead", {"number": OTHER}, blocking=True
    )
    await hass.async_block_till_done()

    leads = {
        lead["number"]: lead for lead in hass.states.get(AWAITING).attributes["leads"]
    }
    assert leads[CALLER]["due_at"] == DUE.isoformat()
    figures = {
        variant: [
            _state(hass, f"sensor.main_line_variant_{variant}_{name}")
            for name in ("texts", "replies", "reply_rate", "followed_up_in_time")
        ]
        for variant in ("a", "b")
    }
    assert figures == {"a": ["1", "0", "0.0", "0.0"], "b": ["1", "1", "100.0", "100.0"]}


async def test_lines_without_variants_have_no_variant_sensors(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    await _line(hass, entry_data, entry_options)

    assert hass.states.get("sensor.main_line_variant_a_texts") is None
