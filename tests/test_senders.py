"""Sending the text: the owner's actions, a legacy notify service, their failures."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceNotFound
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.missed_call_textback.const import CONF_MESSAGE, DOMAIN

from .conftest import SMS_SERVICE
from .line_helpers import (
    DEFAULT_TEXT,
    ENTRY_ID,
    OUTBOX_KEY,
    STORE_KEY,
    async_add_line,
    async_miss_call,
    idle,
    make_entry,
    record_events,
    ring,
)


@pytest.fixture
def events(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Every bus event of the integration, in order (replaces the conftest one)."""
    return record_events(hass)


NOTIFY_ISSUE = f"notify_missing_{ENTRY_ID}"
TEMPLATE_ISSUE = f"template_error_{ENTRY_ID}"

# The owner's action, written the way the options flow tells them to.
SEND_SMS_ACTION = [
    {
        "action": "test.send_sms",
        "data": {
            "to": "{{ [number] }}",
            "text": "{{ message }}",
            "who": "{{ caller_name }}",
            "line": "{{ line_name }}",
        },
    }
]


def _history(entry: MockConfigEntry) -> list[dict[str, Any]]:
    return [
        {"result": record.result, "error": record.error, "number": record.number}
        for record in entry.runtime_data.ledger.history
    ]


async def _action_line(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    action: list[dict[str, Any]],
    **options: Any,
) -> MockConfigEntry:
    entry = make_entry(
        entry_data, entry_options, sender="action", action=action, **options
    )
    await async_add_line(hass, entry)
    return entry


# --- the owner's actions ----------------------------------------------------


async def test_action_sender_passes_number_message_and_names(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    # A recording service stands in for the owner's SMS gateway (the far edge).
    sent = async_mock_service(hass, "test", "send_sms")
    entry = await _action_line(hass, entry_data, entry_options, SEND_SMS_ACTION)
    assert entry.state is ConfigEntryState.LOADED

    await async_miss_call(hass, "6502530000", "Jordan")

    assert [dict(call.data) for call in sent] == [
        {
            "to": ["+16502530000"],
            "text": DEFAULT_TEXT,
            "who": "Jordan",
            "line": "Main line",
        }
    ]
    assert [name for name, _ in events] == ["missed_call", "text_sent"]
    assert _history(entry) == [
        {"result": "sent", "error": None, "number": "+16502530000"}
    ]


async def test_a_bare_number_template_in_an_action_loses_its_plus(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    # The documented pitfall: HA renders "+16502530000" to an int. This test
    # pins it so the advice in the options flow stays true.
    sent = async_mock_service(hass, "test", "send_sms")
    action = [{"action": "test.send_sms", "data": {"to": "{{ number }}"}}]
    await _action_line(hass, entry_data, entry_options, action)

    await async_miss_call(hass, "6502530000")

    assert [call.data["to"] for call in sent] == [16502530000]


async def test_an_action_that_fails_fails_the_text(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async_mock_service(
        hass,
        "test",
        "send_sms",
        raise_exception=HomeAssistantError("Gateway refused +16502530000: no credit"),
    )
    # No retries: the first failure is final.
    entry = await _action_line(
        hass, entry_data, entry_options, SEND_SMS_ACTION, retry_minutes=[]
    )

    with caplog.at_level(logging.WARNING, logger="custom_components"):
        await async_miss_call(hass, "6502530000")

    assert [name for name, _ in events] == ["missed_call", "text_failed"]
    assert events[1][1]["error"] == "Gateway refused +16502530000: no credit"
    assert events[1][1]["number"] == "+16502530000"
    assert _history(entry) == [
        {
            "result": "failed",
            "error": "Gateway refused +16502530000: no credit",
            "number": "+16502530000",
        }
    ]
    assert entry.runtime_data.ledger.outbox == []
    # The integration's own warning hides the number inside the provider's text.
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.missed_call_textback")
    ]
    assert any("Gateway refused +*********00: no credit" in line for line in ours)
    assert not any("6502530000" in line for line in ours)


async def test_an_action_calling_a_missing_service_fails_the_text(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    # No retries: the first failure is final.
    entry = await _action_line(
        hass, entry_data, entry_options, SEND_SMS_ACTION, retry_minutes=[]
    )

    await async_miss_call(hass, "6502530000")

    assert [name for name, _ in events] == ["missed_call", "text_failed"]
    assert events[1][1]["error"] == str(ServiceNotFound("test", "send_sms"))
    assert _history(entry)[0]["result"] == "failed"
    # Only a notify sender's own service gets a repair: the actions are the owner's.
    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is None


async def test_an_action_raising_a_bare_error_names_its_type(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    async_mock_service(hass, "test", "send_sms", raise_exception=ValueError())
    await _action_line(hass, entry_data, entry_options, SEND_SMS_ACTION)

    await async_miss_call(hass, "6502530000")

    assert [(name, data.get("error")) for name, data in events] == [
        ("missed_call", None),
        ("text_failed", "ValueError"),
    ]


async def test_overlapping_calls_each_run_the_actions(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    # A slow gateway: each send waits until the test lets it finish.
    started: list[str] = []
    both_started = asyncio.Event()
    release = asyncio.Event()

    async def slow_send(call: ServiceCall) -> None:
        started.append(call.data["to"][0])
        if len(started) == 2:
            both_started.set()
        await release.wait()

    hass.services.async_register("test", "send_sms", slow_send)
    await _action_line(hass, entry_data, entry_options, SEND_SMS_ACTION)

    ring(hass, "6502530000")
    ring(hass, "4155550123")
    idle(hass)
    # A queued or single script would never start the second run here.
    await asyncio.wait_for(both_started.wait(), timeout=5)
    assert started == ["+16502530000", "+14155550123"]
    release.set()
    await hass.async_block_till_done(wait_background_tasks=True)

    sent = sorted(data["number"] for name, data in events if name == "text_sent")
    assert sent == ["+14155550123", "+16502530000"]


async def test_invalid_actions_in_the_options_fail_the_setup(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    entry = await _action_line(
        hass, entry_data, entry_options, [{"delay": "not a duration"}]
    )

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "The actions that send texts are not valid" in entry.reason
    assert er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id) == []


async def test_unloading_stops_an_action_in_progress(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    started = asyncio.Event()

    async def hanging_send(call: ServiceCall) -> None:
        started.set()
        await asyncio.Event().wait()

    hass.services.async_register("test", "send_sms", hanging_send)
    entry = await _action_line(hass, entry_data, entry_options, SEND_SMS_ACTION)
    ring(hass, "6502530000")
    idle(hass)
    await asyncio.wait_for(started.wait(), timeout=5)

    # Unloading must not wait for the gateway forever.
    await asyncio.wait_for(hass.config_entries.async_unload(entry.entry_id), 5)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_a_text_cut_off_by_unloading_is_sent_at_the_next_start(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    hass_storage: dict[str, Any],
) -> None:
    started = asyncio.Event()

    async def hanging_send(call: ServiceCall) -> None:
        started.set()
        await asyncio.Event().wait()

    hass.services.async_register("test", "send_sms", hanging_send)
    entry = await _action_line(hass, entry_data, entry_options, SEND_SMS_ACTION)
    ring(hass, "6502530000")
    idle(hass)
    await asyncio.wait_for(started.wait(), timeout=5)
    [waiting] = entry.runtime_data.ledger.outbox
    call_id = waiting.call_id

    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    # Nobody knows whether the gateway got it: the text stays in the outbox
    # rather than vanish without a trace.
    data = hass_storage[STORE_KEY]["data"]
    outbox = hass_storage[OUTBOX_KEY]["data"]["outbox"]
    assert [item["call_id"] for item in outbox] == [call_id]
    assert data["history"] == []

    sent = async_mock_service(hass, "test", "send_sms")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [call.data["to"] for call in sent] == [["+16502530000"]]
    assert [(r.call_id, r.result) for r in entry.runtime_data.ledger.history] == [
        (call_id, "sent")
    ]
    assert entry.runtime_data.ledger.outbox == []


# --- a legacy notify service ------------------------------------------------


async def test_notify_sender_calls_the_service_with_a_target_list(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await async_miss_call(hass, "6502530000", "Jordan")

    assert [dict(call.data) for call in sms_calls] == [
        {"message": DEFAULT_TEXT, "target": ["+16502530000"]}
    ]


async def test_a_vanished_notify_service_fails_the_text_and_raises_a_repair(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    # No retries: the first failure is final.
    entry = make_entry(entry_data, entry_options, retry_minutes=[])
    await async_add_line(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is None
    # The SMS integration was removed after the line was set up.
    hass.services.async_remove("notify", SMS_SERVICE)

    await async_miss_call(hass, "6502530000")

    assert [(name, data.get("error")) for name, data in events] == [
        ("missed_call", None),
        ("text_failed", str(ServiceNotFound("notify", SMS_SERVICE))),
    ]
    assert _history(entry)[0]["result"] == "failed"
    issue = issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE)
    assert issue is not None
    assert issue.translation_key == "notify_missing"
    assert issue.translation_placeholders == {
        "line_name": "Main line",
        "service": f"notify.{SMS_SERVICE}",
    }
    assert issue.severity is ir.IssueSeverity.ERROR

    # Another notify service showing up changes nothing.
    async_mock_service(hass, "notify", "something_else")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is not None

    # The SMS integration is back: the repair goes away and texts flow again.
    back = async_mock_service(hass, "notify", SMS_SERVICE)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is None
    await async_miss_call(hass, "4155550123")
    assert [call.data["target"] for call in back] == [["+14155550123"]]


async def test_a_missing_notify_service_is_reported_once_home_assistant_started(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    hass.set_state(CoreState.starting)
    entry = make_entry(entry_data, entry_options, notify_service="not_there_yet")
    await async_add_line(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    # Other integrations may still register it while Home Assistant starts.
    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is None

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)

    issue = issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders["service"] == "notify.not_there_yet"


async def test_a_notify_service_registered_during_startup_raises_no_repair(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    hass.set_state(CoreState.starting)
    entry = make_entry(entry_data, entry_options, notify_service="late_sms")
    await async_add_line(hass, entry)
    async_mock_service(hass, "notify", "late_sms")

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is None


async def test_a_missing_notify_service_at_setup_is_reported_at_once_when_running(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = make_entry(entry_data, entry_options, notify_service="not_there")
    await async_add_line(hass, entry)

    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is not None


async def test_a_notify_service_error_fails_the_text_without_a_repair(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    async_mock_service(
        hass,
        "notify",
        "flaky_sms",
        raise_exception=HomeAssistantError("Twilio error 21610: unsubscribed"),
    )
    # No retries: the first failure is final.
    entry = make_entry(
        entry_data, entry_options, notify_service="flaky_sms", retry_minutes=[]
    )
    await async_add_line(hass, entry)

    await async_miss_call(hass, "6502530000")

    assert [(name, data.get("error")) for name, data in events] == [
        ("missed_call", None),
        ("text_failed", "Twilio error 21610: unsubscribed"),
    ]
    assert _history(entry)[0]["result"] == "failed"
    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is None


async def test_a_notify_service_raising_a_bare_error_names_its_type(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    async_mock_service(hass, "notify", "flaky_sms", raise_exception=OSError())
    # No retries: the first failure is final.
    entry = make_entry(
        entry_data, entry_options, notify_service="flaky_sms", retry_minutes=[]
    )
    await async_add_line(hass, entry)

    await async_miss_call(hass, "6502530000")

    assert events[-1] == (
        "text_failed",
        {
            "entry_id": ENTRY_ID,
            "line_name": "Main line",
            "call_id": events[0][1]["call_id"],
            "number": "+16502530000",
            "caller_name": None,
            "variant": "a",
            "error": "OSError",
            "attempt": 1,
            "retry_at": None,
        },
    )


# --- a message template that fails at run time -------------------------------


async def _set_message(hass: HomeAssistant, template: str) -> None:
    """Set the message the way an owner does, through its text entity."""
    await hass.services.async_call(
        "text",
        "set_value",
        {ATTR_ENTITY_ID: "text.main_line_message", "value": template},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_template_failing_at_run_time_sends_the_default_and_raises_a_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    issue_registry: ir.IssueRegistry,
) -> None:
    # Fine for the sample caller the check renders, a division by zero for a
    # caller without a name.
    template = "{{ business_name }}: {{ 100 // (caller_name | length) }}% on it!"
    await _set_message(hass, template)
    assert init_integration.options[CONF_MESSAGE] == template

    await async_miss_call(hass, "6502530000")

    assert [call.data["message"] for call in sms_calls] == [DEFAULT_TEXT]
    issue = issue_registry.async_get_issue(DOMAIN, TEMPLATE_ISSUE)
    assert issue is not None
    assert issue.translation_key == "template_error"
    assert issue.translation_placeholders["line_name"] == "Main line"
    assert "division" in issue.translation_placeholders["error"]

    # A caller with a name renders fine: the repair goes away.
    await async_miss_call(hass, "4155550123", "Ann")
    assert sms_calls[-1].data["message"] == "Acme Plumbing: 33% on it!"
    assert issue_registry.async_get_issue(DOMAIN, TEMPLATE_ISSUE) is None


async def test_a_template_rendering_empty_sends_the_default_and_raises_a_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    issue_registry: ir.IssueRegistry,
) -> None:
    await _set_message(hass, "{{ caller_name }}")

    await async_miss_call(hass, "6502530000")

    assert [call.data["message"] for call in sms_calls] == [DEFAULT_TEXT]
    issue = issue_registry.async_get_issue(DOMAIN, TEMPLATE_ISSUE)
    assert issue is not None
    assert "empty" in issue.translation_placeholders["error"]


async def test_fixing_the_message_clears_the_template_repair_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    issue_registry: ir.IssueRegistry,
) -> None:
    await _set_message(hass, "{{ caller_name }}")
    await async_miss_call(hass, "6502530000")
    assert issue_registry.async_get_issue(DOMAIN, TEMPLATE_ISSUE) is not None

    await _set_message(hass, "{{ business_name }} will call you back.")

    assert issue_registry.async_get_issue(DOMAIN, TEMPLATE_ISSUE) is None


async def test_a_template_that_does_not_parse_sends_the_default(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    issue_registry: ir.IssueRegistry,
) -> None:
    # Options written around the checks (a hand edit of .storage).
    entry = make_entry(entry_data, entry_options, message="Hi {{ caller_name ")
    await async_add_line(hass, entry)

    await async_miss_call(hass, "6502530000")

    assert [call.data["message"] for call in sms_calls] == [DEFAULT_TEXT]
    assert issue_registry.async_get_issue(DOMAIN, TEMPLATE_ISSUE) is not None
