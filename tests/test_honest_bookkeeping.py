"""Issue 13's numbered points, one behaviour per test, in a real Home Assistant.

The SMS provider is a notify service standing in for it (the far edge); the
clock is frozen so retries and delays are reached by moving it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import (
    config_validation as cv,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.script import async_validate_actions_config
from homeassistant.util.file import WriteError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)
import voluptuous as vol

from custom_components.missed_call_textback.const import (
    CONF_ACTION,
    CONF_BUSINESS_NAME,
    CONF_DELAY_SECONDS,
    CONF_LINE_NAME,
    CONF_SENDER,
    CONF_STOP_CONFIRMATION,
    DOMAIN,
)
from custom_components.missed_call_textback.leads import (
    MAX_REPLIES_PER_CALL,
    MAX_REPLY_CHARS,
)
from custom_components.missed_call_textback.sender import ActionSender, SendError

from .conftest import FRITZ_ENTITY, SMS_SERVICE
from .line_helpers import (
    ENTRY_ID,
    OUTBOX_KEY,
    STORE_KEY,
    async_add_line,
    async_miss_call,
    async_pass,
    idle,
    make_entry,
    record_events,
    ring,
)

NOW = datetime(2026, 11, 26, 15, 0, 0, tzinfo=UTC)  # 10:00 in New York
CALLER = "+16502530000"
SWITCH = "switch.main_line_text_back"
MODE = "select.main_line_text_back_mode"
SECOND_ENTRY_ID = "01JTESTLINE0000000000000002"
SECOND_ENTITY = "sensor.fritz_box_call_monitor_2"


@pytest.fixture(autouse=True)
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock: retries and delays are moved through by hand."""
    freezer.move_to(NOW)
    return freezer


async def _start_while_starting(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set a line up while Home Assistant is still starting."""
    hass.set_state(CoreState.starting)
    await async_add_line(hass, entry)


async def _finish_starting(hass: HomeAssistant) -> None:
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _reply(hass: HomeAssistant, text: str, **line: Any) -> Any:
    response = await hass.services.async_call(
        DOMAIN,
        "handle_reply",
        {"number": CALLER, "text": text, **line},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return response


# --- 1. one timer and one send per outbox item --------------------------------


async def test_a_delayed_call_missed_while_starting_is_texted_once(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = make_entry(entry_data, entry_options, **{CONF_DELAY_SECONDS: 60})
    await _start_while_starting(hass, entry)
    await async_miss_call(hass, CALLER)
    await _finish_starting(hass)

    await async_pass(hass, frozen_clock, timedelta(seconds=61))
    await async_pass(hass, frozen_clock, timedelta(hours=1))

    assert [call.data["target"] for call in sms_calls] == [[CALLER]]


async def test_a_call_whose_first_send_failed_while_starting_is_texted_once(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    # The SMS integration is not loaded yet: the first attempt fails.
    entry = make_entry(entry_data, entry_options)
    await _start_while_starting(hass, entry)
    await async_miss_call(hass, CALLER)
    sms_calls = async_mock_service(hass, "notify", SMS_SERVICE)
    await _finish_starting(hass)

    await async_pass(hass, frozen_clock, timedelta(seconds=31))
    await async_pass(hass, frozen_clock, timedelta(hours=1))

    assert [call.data["target"] for call in sms_calls] == [[CALLER]]


async def test_a_call_missed_while_starting_is_sent_once_even_mid_send(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    """Home Assistant finishes starting while the first send is in flight."""
    sent: list[str] = []

    async def _slow_provider(call: ServiceCall) -> None:
        # Home Assistant reports started while this request is in flight.
        hass.set_state(CoreState.running)
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
        for _ in range(5):  # let the line's start listener run meanwhile
            await asyncio.sleep(0)
        sent.append(call.data["target"][0])

    hass.services.async_register("notify", SMS_SERVICE, _slow_provider)
    await _start_while_starting(hass, make_entry(entry_data, entry_options))
    await async_miss_call(hass, CALLER)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert sent == [CALLER]


# --- 2. the master switch and the mode are known before the line starts ------


def _stored_line(**data: Any) -> dict[str, Any]:
    return {"version": 1, "minor_version": 3, "key": STORE_KEY, "data": data}


async def test_a_text_due_at_start_sees_the_stored_switch_off(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    frozen_clock: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    events = record_events(hass)
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    # On disk at once, not after the usual save delay.
    assert hass_storage[STORE_KEY]["data"]["enabled"] is False
    await hass.config_entries.async_unload(init_integration.entry_id)
    # A delayed text waited in the outbox and fell due while the line was down.
    hass_storage[OUTBOX_KEY] = {
        "version": 1,
        "minor_version": 3,
        "key": OUTBOX_KEY,
        "data": {
            "outbox": [
                {
                    "call_id": "01JWAITING",
                    "number": CALLER,
                    "message": "",
                    "caller_name": None,
                    "missed_at": NOW.isoformat(),
                    "created_at": NOW.isoformat(),
                    "next_attempt_at": (NOW + timedelta(seconds=60)).isoformat(),
                }
            ]
        },
    }
    frozen_clock.tick(timedelta(minutes=5))
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert sms_calls == []
    assert ("text_skipped", "disabled") in [
        (name, data.get("reason")) for name, data in events
    ]
    assert hass.states.get(SWITCH).state == "off"


async def test_switch_and_mode_stored_by_the_line_win_over_old_entity_states(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    hass_storage[STORE_KEY] = _stored_line(enabled=False, mode="after_hours")
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    line = mock_config_entry.runtime_data
    assert (line.enabled, line.mode) == (False, "after_hours")
    assert hass.states.get(SWITCH).state == "off"
    assert hass.states.get(MODE).state == "after_hours"


async def test_a_mode_change_is_on_disk_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: MODE, "option": "business_hours"},
        blocking=True,
    )
    assert hass_storage[STORE_KEY]["data"]["mode"] == "business_hours"


# --- 3. a STOP is on disk before its confirmation leaves ----------------------


async def test_the_opt_out_is_on_disk_before_the_stop_confirmation_is_sent(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    hass_storage: dict[str, Any],
) -> None:
    on_disk_when_sent: list[bool] = []

    @callback
    def _provider(call: ServiceCall) -> None:
        stored = hass_storage.get(STORE_KEY, {}).get("data", {})
        on_disk_when_sent.append(call.data["target"][0] in stored.get("opted_out", {}))

    hass.services.async_register("notify", SMS_SERVICE, _provider)
    entry = make_entry(entry_data, entry_options, **{CONF_STOP_CONFIRMATION: True})
    await async_add_line(hass, entry)

    await _reply(hass, "STOP", config_entry_id=ENTRY_ID)

    assert on_disk_when_sent == [True]


async def test_a_failed_write_raises_a_repair_and_keeps_the_opt_out(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    with patch(
        "homeassistant.helpers.storage.Store._async_write_data",
        side_effect=WriteError("disk full"),
    ):
        response = await _reply(hass, "STOP", config_entry_id=ENTRY_ID)

    assert response["lines"][0]["opted_out"] is True
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"store_failed_{ENTRY_ID}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "line_name": "Main line",
        "error": "disk full",
    }
    # Still honoured from memory.
    await async_miss_call(hass, CALLER)
    assert sms_calls == []
    assert init_integration.runtime_data.ledger.is_opted_out(CALLER)

    # The next write that works clears the repair.
    await hass.services.async_call(
        DOMAIN, "opt_in", {"number": CALLER}, blocking=True, return_response=True
    )
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"store_failed_{ENTRY_ID}") is None
    )


# --- 4. reply bookkeeping tells the truth ------------------------------------


async def test_a_reply_counts_only_on_the_line_that_texted_the_number(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    second = make_entry(
        entry_data,
        entry_options,
        entry_id=SECOND_ENTRY_ID,
        entity_id=SECOND_ENTITY,
        **{CONF_LINE_NAME: "Second line", CONF_BUSINESS_NAME: "Bravo Electric"},
    )
    await async_add_line(hass, second)
    await async_miss_call(hass, CALLER)
    assert len(sms_calls) == 1

    await _reply(hass, "Can you come today?")

    assert init_integration.runtime_data.ledger.leads.replies == 1
    assert second.runtime_data.ledger.leads.replies == 0
    assert hass.states.get("sensor.main_line_replies").state == "1"
    assert hass.states.get("sensor.second_line_replies").state == "0"


async def test_a_text_that_finally_failed_does_not_make_the_number_texted(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    async def _refuse(call: ServiceCall) -> None:
        raise vol.Invalid("never reached")

    hass.services.async_register("notify", SMS_SERVICE, _refuse)
    await async_add_line(hass, make_entry(entry_data, entry_options))
    await async_miss_call(hass, CALLER)
    line = hass.config_entries.async_get_entry(ENTRY_ID).runtime_data
    assert [record.result for record in line.ledger.history] == ["failed"]

    response = await _reply(hass, "HELP")

    assert response["lines"][0]["answered"] is False
    assert response["lines"][0]["call_id"] is None
    assert line.ledger.leads.replies == 0


async def test_replies_per_call_are_capped_in_number_and_length(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await async_miss_call(hass, CALLER)
    for index in range(MAX_REPLIES_PER_CALL + 5):
        await _reply(hass, f"{index} " + "x" * 1500)

    line = init_integration.runtime_data
    (record,) = line.ledger.history
    assert len(record.replies) == MAX_REPLIES_PER_CALL
    assert record.replies[-1]["text"].startswith(f"{MAX_REPLIES_PER_CALL + 4} ")
    assert all(len(reply["text"]) == MAX_REPLY_CHARS for reply in record.replies)
    (lead,) = line.ledger.leads.open.values()
    assert len(lead.replies) == MAX_REPLIES_PER_CALL
    assert all(len(reply["text"]) == MAX_REPLY_CHARS for reply in lead.replies)


async def test_help_is_answered_at_most_once_per_number_per_day(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    frozen_clock: FrozenDateTimeFactory,
    sms_calls: list[ServiceCall],
) -> None:
    await async_miss_call(hass, CALLER)
    answers = [
        (await _reply(hass, text))["lines"][0]["answered"]
        for text in ("HELP", "help", "Help!")
    ]
    assert answers == [True, False, False]

    # The next local day (New York) it is answered again.
    frozen_clock.move_to(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    assert (await _reply(hass, "HELP"))["lines"][0]["answered"] is True
    assert len(sms_calls) == 3  # the text and two answers


# --- 5. sender errors are never silent ----------------------------------------


async def test_a_notify_service_refusing_the_data_fails_the_text_for_good(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    # A notify platform whose schema takes no target (as notify entities do).
    hass.services.async_register(
        "notify",
        SMS_SERVICE,
        lambda _call: None,
        schema=vol.Schema({vol.Required("message"): str}),
    )
    events = record_events(hass)
    await async_add_line(hass, make_entry(entry_data, entry_options))
    await async_miss_call(hass, CALLER)

    line = hass.config_entries.async_get_entry(ENTRY_ID).runtime_data
    assert line.ledger.outbox == []
    failed = [data for name, data in events if name == "text_failed"]
    assert [data["retry_at"] for data in failed] == [None]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"invalid_data_{ENTRY_ID}")
    assert issue is not None
    assert issue.translation_placeholders["service"] == f"notify.{SMS_SERVICE}"
    assert CALLER not in str(issue.translation_placeholders)


async def test_an_action_sequence_that_did_not_run_is_not_sent(
    hass: HomeAssistant,
) -> None:
    """Script's run limit: the second run is skipped, and that is a failure."""
    hass.states.async_set("sensor.go", "off")
    actions = await async_validate_actions_config(
        hass,
        cv.SCRIPT_SCHEMA([{"wait_template": "{{ is_state('sensor.go', 'on') }}"}]),
    )
    sender = ActionSender(hass, actions, "x")
    sender._script.max_runs = 1
    first = hass.async_create_task(
        sender.async_send(
            number=CALLER,
            message="hi",
            caller_name=None,
            line_name="x",
            context=None,
        )
    )
    for _ in range(5):  # the first run starts and waits
        await asyncio.sleep(0)
    with pytest.raises(SendError) as err:
        await sender.async_send(
            number=CALLER, message="hi", caller_name=None, line_name="x", context=None
        )
    assert err.value.translation_key == "action_failed"
    hass.states.async_set("sensor.go", "on")
    await hass.async_block_till_done()
    await first  # the first run did run: no error
    await sender.async_stop()


async def test_an_action_sequence_line_with_a_bad_service_call_fails_for_good(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    hass.services.async_register(
        "notify",
        "strict",
        lambda _call: None,
        schema=vol.Schema({vol.Required("message"): str}),
    )
    entry = make_entry(
        entry_data,
        entry_options,
        **{
            CONF_SENDER: "action",
            CONF_ACTION: [
                {
                    "action": "notify.strict",
                    "data": {"message": "{{ message }}", "target": "{{ number }}"},
                }
            ],
        },
    )
    await async_add_line(hass, entry)
    await async_miss_call(hass, CALLER)

    assert entry.runtime_data.ledger.outbox == []
    assert [r.result for r in entry.runtime_data.ledger.history] == ["failed"]
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"invalid_data_{ENTRY_ID}")


# --- 6. logbook links follow a renamed Call entity ----------------------------


async def test_events_name_the_call_entity_by_its_current_id(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    seen: list[str] = []
    hass.bus.async_listen(
        f"{DOMAIN}_missed_call", lambda event: seen.append(event.data["entity_id"])
    )
    await async_miss_call(hass, CALLER)
    er.async_get(hass).async_update_entity(
        "event.main_line_call", new_entity_id="event.shop_phone_call"
    )
    await hass.async_block_till_done()
    ring(hass, "+14155550123")
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert seen == ["event.main_line_call", "event.shop_phone_call"]
