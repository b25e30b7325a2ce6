"""The report_missed_call action: finding the line, the decision it returns."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.exceptions import (
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.script import Script, async_validate_actions_config
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)
import voluptuous as vol

from custom_components.missed_call_textback.const import CONF_MESSAGE, DOMAIN

from .line_helpers import (
    DEFAULT_TEXT,
    ENTRY_ID,
    async_add_line,
    make_entry,
    record_events,
)


@pytest.fixture
def events(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Every bus event of the integration, in order (replaces the conftest one)."""
    return record_events(hass)


SECOND_ENTITY = "sensor.fritz_box_call_monitor_2"
SECOND_ENTRY_ID = "01JTESTLINE0000000000000002"


async def _report(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "report_missed_call",
        data,
        blocking=True,
        return_response=True,
    )
    # Let anything the call set off settle before the test looks.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response is not None
    return dict(response)


@pytest.fixture
async def second_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> MockConfigEntry:
    """Add a second business line next to the conftest one."""
    entry = make_entry(
        entry_data,
        entry_options,
        entry_id=SECOND_ENTRY_ID,
        entity_id=SECOND_ENTITY,
        line_name="Second line",
    )
    await async_add_line(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def _device_id(hass: HomeAssistant, entry_id: str) -> str:
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    assert len(devices) == 1
    return devices[0].id


# --- finding the line -------------------------------------------------------


async def test_report_by_entry_texts_the_caller_and_returns_what_was_sent(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    response = await _report(
        hass, config_entry_id=ENTRY_ID, number="+16502530000", caller_name="Jordan"
    )

    assert [(call.data["target"], call.data["message"]) for call in sms_calls] == [
        (["+16502530000"], DEFAULT_TEXT)
    ]
    call_id = events[0][1]["call_id"]
    assert response == {
        "call_id": call_id,
        "result": "sent",
        "number": "+16502530000",
        "message": DEFAULT_TEXT,
        "variant": "a",
    }
    assert [name for name, _ in events] == ["missed_call", "text_sent"]
    assert events[0][1] == {
        "entry_id": ENTRY_ID,
        "line_name": "Main line",
        "call_id": call_id,
        "number": "+16502530000",
        "caller_name": "Jordan",
        "variant": None,
    }


async def test_report_by_device_reaches_that_line(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    response = await _report(
        hass,
        device_id=_device_id(hass, SECOND_ENTRY_ID),
        number="+16502530000",
    )

    assert response["result"] == "sent"
    assert [data["entry_id"] for _, data in events] == [SECOND_ENTRY_ID] * 2
    assert [data["line_name"] for _, data in events] == ["Second line"] * 2
    assert len(sms_calls) == 1


async def test_report_without_a_line_uses_the_only_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    response = await _report(hass, number="+16502530000")

    assert response["result"] == "sent"
    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]


async def test_report_carries_the_callers_context_onto_the_events(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    # Logbook entries link back to whatever reported the call through it.
    missed = async_capture_events(hass, f"{DOMAIN}_missed_call")
    sent = async_capture_events(hass, f"{DOMAIN}_text_sent")
    context = Context()

    await hass.services.async_call(
        DOMAIN,
        "report_missed_call",
        {"number": "+16502530000"},
        blocking=True,
        context=context,
    )

    assert [event.context.id for event in (*missed, *sent)] == [context.id] * 2
    assert sms_calls[0].context.id == context.id


async def test_report_needs_a_line_when_there_are_two(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, number="+16502530000")
    assert err.value.translation_key == "line_required"
    assert sms_calls == []


async def test_report_needs_a_line_when_none_is_loaded(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await hass.config_entries.async_unload(init_integration.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, number="+16502530000")
    assert err.value.translation_key == "line_required"


async def test_report_refuses_two_lines_at_once(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _report(
            hass,
            config_entry_id=ENTRY_ID,
            device_id=_device_id(hass, SECOND_ENTRY_ID),
            number="+16502530000",
        )
    assert err.value.translation_key == "one_line_only"
    assert sms_calls == []


async def test_report_by_entry_and_its_own_device_is_one_line(
    hass: HomeAssistant,
    second_line: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    response = await _report(
        hass,
        config_entry_id=ENTRY_ID,
        device_id=[_device_id(hass, ENTRY_ID)],
        number="+16502530000",
    )
    assert response["result"] == "sent"
    assert {data["entry_id"] for _, data in events} == {ENTRY_ID}


async def test_report_to_an_unknown_entry_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, config_entry_id="01JNOSUCHENTRY", number="+16502530000")
    assert err.value.translation_key == "unknown_line"
    assert sms_calls == []


async def test_report_to_an_entry_of_another_integration_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    other = MockConfigEntry(domain="other_integration", entry_id="01JOTHERENTRY")
    other.add_to_hass(hass)

    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, config_entry_id=other.entry_id, number="+16502530000")
    assert err.value.translation_key == "unknown_line"
    assert sms_calls == []


async def test_report_to_an_unknown_device_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, device_id="no-such-device", number="+16502530000")
    assert err.value.translation_key == "unknown_device"
    assert err.value.translation_placeholders == {"device_id": "no-such-device"}
    assert sms_calls == []


async def test_report_to_a_device_of_another_integration_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    device_registry: dr.DeviceRegistry,
) -> None:
    other = MockConfigEntry(domain="other_integration", entry_id="01JOTHERENTRY")
    other.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other_integration", "x")}
    )

    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, device_id=device.id, number="+16502530000")
    assert err.value.translation_key == "unknown_device"
    assert sms_calls == []


async def test_report_to_an_unloaded_line_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED

    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, config_entry_id=ENTRY_ID, number="+16502530000")
    assert err.value.translation_key == "line_not_loaded"
    assert err.value.translation_placeholders == {"line_name": "Main line"}
    assert sms_calls == []


async def test_report_is_registered_without_any_line(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert hass.services.has_service(DOMAIN, "report_missed_call")

    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, number="+16502530000")
    assert err.value.translation_key == "line_required"


# --- the number -------------------------------------------------------------


async def test_a_number_that_arrives_as_an_int_is_texted_with_its_plus(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    response = await _report(hass, number=16502530000)

    assert response["number"] == "+16502530000"
    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]


async def test_a_templated_plus_number_from_a_script_is_texted_with_its_plus(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    # What an owner's automation does: the template renders "+16502530000" to
    # the int 16502530000 before the action sees it.
    actions = await async_validate_actions_config(
        hass,
        cv.SCRIPT_SCHEMA(
            [
                {
                    "action": f"{DOMAIN}.report_missed_call",
                    "data": {"number": "{{ caller }}"},
                }
            ]
        ),
    )
    script = Script(hass, actions, "owner automation", "test")

    await script.async_run({"caller": "+16502530000"}, Context())
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("anonymous", "anonymous"),
        ("Private Number", "anonymous"),
        ("22333", "short_code"),
        ("911", "short_code"),
        ("12", "invalid_number"),
        ("not a number", "invalid_number"),
    ],
)
async def test_an_untextable_number_is_skipped_with_its_reason(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    number: str,
    reason: str,
) -> None:
    response = await _report(hass, number=number)

    call_id = events[0][1]["call_id"]
    assert response == {"call_id": call_id, "result": "skipped", "reason": reason}
    assert sms_calls == []
    assert [(name, data.get("reason")) for name, data in events] == [
        ("missed_call", None),
        ("text_skipped", reason),
    ]
    assert events[1][1]["number"] == number


async def test_the_same_caller_again_is_skipped_for_cooldown(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    first = await _report(hass, number="+16502530000")
    # The same number written nationally is the same caller.
    second = await _report(hass, number="(650) 253-0000")

    assert first["result"] == "sent"
    assert second["result"] == "skipped"
    assert second["reason"] == "cooldown"
    assert len(sms_calls) == 1


async def test_the_caller_name_reaches_the_message_template(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    hass.config_entries.async_update_entry(
        init_integration,
        options={
            **init_integration.options,
            CONF_MESSAGE: "Hi {{ caller_name }}, {{ business_name }} here.",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    response = await _report(hass, number="+16502530000", caller_name="Jordan")

    assert response["message"] == "Hi Jordan, Acme Plumbing here."
    assert [call.data["message"] for call in sms_calls] == [
        "Hi Jordan, Acme Plumbing here."
    ]


# --- schema -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="number missing"),
        pytest.param({"number": ""}, id="number empty"),
        pytest.param({"number": "   "}, id="number blank"),
        pytest.param({"number": {"e164": "+16502530000"}}, id="number a dict"),
        pytest.param({"number": ["+16502530000"]}, id="number a list"),
        pytest.param({"number": True}, id="number a bool"),
        pytest.param({"number": "1" * 65}, id="number too long"),
        pytest.param(
            {"number": "+16502530000", "caller_name": "x" * 101}, id="name too long"
        ),
        pytest.param({"number": "+16502530000", "unexpected": 1}, id="unknown field"),
    ],
)
async def test_malformed_reports_are_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    data: dict[str, Any],
) -> None:
    # HA 2025.4 raises vol.Invalid; newer releases wrap it for the caller.
    with pytest.raises((vol.Invalid, ServiceValidationError)):
        await _report(hass, **data)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sms_calls == []
    assert events == []


async def test_report_without_response_still_texts(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    result = await hass.services.async_call(
        DOMAIN,
        "report_missed_call",
        {ATTR_DEVICE_ID: _device_id(hass, ENTRY_ID), "number": "+16502530000"},
        blocking=True,
    )
    assert result is None
    assert len(sms_calls) == 1


# --- who may call the actions ---------------------------------------------------

CALLER = "+16502530000"
# Every action, in an order that leaves each one something to do.
ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("report_missed_call", {"number": CALLER}),
    ("handle_reply", {"number": CALLER, "text": "Can you come tomorrow?"}),
    ("resolve_lead", {"number": CALLER}),
    ("opt_out", {"number": CALLER}),
    ("opt_in", {"number": CALLER}),
]


@pytest.mark.parametrize(("action", "data"), ACTIONS, ids=[a for a, _ in ACTIONS])
async def test_a_user_who_is_no_admin_may_not_call_an_action(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    hass_read_only_user: MockUser,
    action: str,
    data: dict[str, Any],
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            action,
            data,
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
            return_response=True,
        )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert sms_calls == []
    assert events == []
    assert init_integration.runtime_data.ledger.opted_out_count == 0


@pytest.mark.parametrize(("action", "data"), ACTIONS, ids=[a for a, _ in ACTIONS])
async def test_a_call_in_the_name_of_a_user_who_does_not_exist_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    action: str,
    data: dict[str, Any],
) -> None:
    with pytest.raises(UnknownUser):
        await hass.services.async_call(
            DOMAIN,
            action,
            data,
            blocking=True,
            context=Context(user_id="01JNOSUCHUSER0000000000000"),
        )
    assert sms_calls == []


@pytest.mark.parametrize("who", ["admin", "automation"])
async def test_an_admin_and_an_automation_may_call_every_action(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_admin_user: MockUser,
    who: str,
) -> None:
    # An automation's actions run without a user.
    context = Context(user_id=hass_admin_user.id if who == "admin" else None)
    responses: dict[str, Any] = {}
    for action, data in ACTIONS:
        responses[action] = await hass.services.async_call(
            DOMAIN, action, data, blocking=True, context=context, return_response=True
        )
        await hass.async_block_till_done(wait_background_tasks=True)

    assert responses["report_missed_call"]["result"] == "sent"
    assert [call.data["target"] for call in sms_calls] == [[CALLER]]
    assert len(responses["resolve_lead"]["resolved"]) == 1
    assert responses["opt_out"] == {"changed": [ENTRY_ID]}
    assert responses["opt_in"] == {"changed": [ENTRY_ID]}
