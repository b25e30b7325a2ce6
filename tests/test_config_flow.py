"""Config, options and reconfigure flows, driven through the real flow managers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)
import voluptuous as vol

from custom_components.missed_call_textback.const import (
    CONF_ACTION,
    CONF_ANSWERED_STATES,
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_ENTITY_ID,
    CONF_IDLE_STATES,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MIN_RING_SECONDS,
    CONF_NAME_ATTRIBUTE,
    CONF_NOTIFY_SERVICE,
    CONF_NUMBER_ATTRIBUTE,
    CONF_PRESET,
    CONF_RINGING_STATES,
    CONF_SENDER,
    CONF_SOURCE,
    CONF_TEXT_VOICEMAIL,
    DOMAIN,
)
from custom_components.missed_call_textback.presets import DEFAULT_MESSAGE

from .conftest import FRITZ_ENTITY, SMS_SERVICE
from .webhook_helpers import WEBHOOK_FORMS, collect_webhook_forms

TRANSLATIONS = json.loads(
    (
        Path(__file__).parent.parent
        / "custom_components"
        / DOMAIN
        / "translations"
        / "en.json"
    ).read_text(encoding="utf-8")
)

MODEM_ENTITY = "sensor.modem_callerid"
GENERIC_ENTITY = "input_select.office_phone"
MESSAGE = "Sorry we missed you! {{ business_name }} will call back soon."
TWILIO_ACTION = [
    {
        "action": "notify.twilio_sms",
        "data": {"message": "{{ message }}", "target": "{{ [number] }}"},
    }
]
GENERIC_INPUT = {
    CONF_RINGING_STATES: ["Ringing"],
    CONF_ANSWERED_STATES: ["Talking"],
    CONF_IDLE_STATES: ["Idle"],
    CONF_NUMBER_ATTRIBUTE: "caller",
    CONF_NAME_ATTRIBUTE: "caller_name",
}


# --- helpers ----------------------------------------------------------------


def _keys(result: FlowResult) -> list[str]:
    """Return the field names of a form, in order."""
    return [str(marker) for marker in result["data_schema"].schema]


def _marker(result: FlowResult, name: str) -> vol.Marker:
    return next(m for m in result["data_schema"].schema if str(m) == name)


def _selector_config(result: FlowResult, name: str) -> dict[str, Any]:
    return dict(result["data_schema"].schema[_marker(result, name)].config)


def _default(result: FlowResult, name: str) -> Any:
    return _marker(result, name).default()


def _suggested(result: FlowResult, name: str) -> Any:
    return (_marker(result, name).description or {}).get("suggested_value")


def _assert_form_error(
    result: FlowResult, step_id: str, errors: dict[str, str], flow: str = "config"
) -> None:
    """Assert the form came back with exactly these errors, each translated."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert result["errors"] == errors
    for key in errors.values():
        assert key in TRANSLATIONS[flow]["error"], key


def _assert_abort(result: FlowResult, reason: str) -> None:
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert reason in TRANSLATIONS["config"]["abort"]


def _set_call_entities(hass: HomeAssistant) -> None:
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    hass.states.async_set(MODEM_ENTITY, "idle", {})
    hass.states.async_set(
        GENERIC_ENTITY,
        "Idle",
        {"options": ["Idle", "Ringing", "Talking"], "caller": None},
    )


@pytest.fixture
def call_entities(hass: HomeAssistant) -> None:
    """Set call-state entities of each kind, all idle."""
    _set_call_entities(hass)


@pytest.fixture
def twilio(hass: HomeAssistant) -> None:
    """Register a legacy SMS notify service for the flow to list (the far edge)."""
    async_mock_service(hass, "notify", "twilio_sms")


async def _start_user(hass: HomeAssistant) -> FlowResult:
    """Start adding a line and pick the entity source from the menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "entity"}
    )


async def _to_texting(
    hass: HomeAssistant, preset: str = "fritzbox", entity_id: str = FRITZ_ENTITY
) -> FlowResult:
    """Walk the user step (and generic, if asked) up to the texting form."""
    result = await _start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: preset,
            CONF_ENTITY_ID: entity_id,
        },
    )
    if preset == "generic":
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], GENERIC_INPUT
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "texting"
    return result


def _without_none(form: dict[str, Any]) -> dict[str, Any]:
    """Leave out the fields given as None, as the frontend does for empty ones."""
    return {key: value for key, value in form.items() if value is not None}


def _texting_input(**changes: Any) -> dict[str, Any]:
    return _without_none(
        {
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: "twilio_sms",
            CONF_MESSAGE: MESSAGE,
            CONF_COOLDOWN_HOURS: 12,
            CONF_COUNTRY: "US",
            **changes,
        }
    )


async def _to_action(hass: HomeAssistant) -> FlowResult:
    result = await _to_texting(hass, "modem", MODEM_ENTITY)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(sender="action", notify_service=None)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "action"
    return result


def _options_input(**changes: Any) -> dict[str, Any]:
    """Return the options form as the test line has it, with some fields changed."""
    return _without_none(
        {
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: SMS_SERVICE,
            CONF_MESSAGE: DEFAULT_MESSAGE,
            CONF_COOLDOWN_HOURS: 24,
            CONF_TEXT_VOICEMAIL: False,
            CONF_COUNTRY: "US",
            **changes,
        }
    )


# --- user step --------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "entity_id", "voicemail_field"),
    [("fritzbox", FRITZ_ENTITY, True), ("modem", MODEM_ENTITY, False)],
)
async def test_user_flow_creates_a_line_for_a_preset(
    hass: HomeAssistant,
    call_entities: None,
    twilio: None,
    preset: str,
    entity_id: str,
    voicemail_field: bool,
) -> None:
    result = await _start_user(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "entity"
    assert result["errors"] == {}
    assert _keys(result) == [
        CONF_LINE_NAME,
        CONF_BUSINESS_NAME,
        CONF_PRESET,
        CONF_ENTITY_ID,
    ]
    assert _default(result, CONF_PRESET) == "fritzbox"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "  Main line ",
            CONF_BUSINESS_NAME: " Acme Plumbing  ",
            CONF_PRESET: preset,
            CONF_ENTITY_ID: entity_id,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "texting"
    assert (CONF_TEXT_VOICEMAIL in _keys(result)) is voicemail_field

    texting = _texting_input()
    if voicemail_field:
        texting[CONF_TEXT_VOICEMAIL] = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], texting)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Main line"
    entry = result["result"]
    assert entry.unique_id == f"entity:{entity_id}"
    assert entry.data == {
        CONF_SOURCE: "entity",
        CONF_PRESET: preset,
        CONF_ENTITY_ID: entity_id,
    }
    expected_options = {
        CONF_LINE_NAME: "Main line",
        CONF_BUSINESS_NAME: "Acme Plumbing",
        CONF_SENDER: "notify",
        CONF_NOTIFY_SERVICE: "twilio_sms",
        CONF_MESSAGE: MESSAGE,
        CONF_COOLDOWN_HOURS: 12,
        CONF_COUNTRY: "US",
        # Skips the ring a blocked call flashes (see test_fritzbox.py).
        CONF_MIN_RING_SECONDS: 2,
    }
    if voicemail_field:
        expected_options[CONF_TEXT_VOICEMAIL] = True
    assert entry.options == expected_options
    assert entry.state is ConfigEntryState.LOADED


async def test_user_flow_creates_a_generic_line_with_cleaned_states(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Office",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "generic",
            CONF_ENTITY_ID: GENERIC_ENTITY,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "generic"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_RINGING_STATES: ["Ringing", " Ringing ", "Ringing", "  "],
            CONF_ANSWERED_STATES: ["Talking", "On hold "],
            CONF_IDLE_STATES: [" Idle", "Hung up"],
            CONF_NUMBER_ATTRIBUTE: " caller ",
            CONF_NAME_ATTRIBUTE: " caller_name",
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "texting"
    # Only the FRITZ!Box tells an answering machine from a person.
    assert CONF_TEXT_VOICEMAIL not in _keys(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input()
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Office"
    assert result["result"].data == {
        CONF_SOURCE: "entity",
        CONF_PRESET: "generic",
        CONF_ENTITY_ID: GENERIC_ENTITY,
        CONF_RINGING_STATES: ["Ringing"],
        CONF_ANSWERED_STATES: ["On hold", "Talking"],
        CONF_IDLE_STATES: ["Hung up", "Idle"],
        CONF_NUMBER_ATTRIBUTE: "caller",
        CONF_NAME_ATTRIBUTE: "caller_name",
    }
    assert CONF_RINGING_STATES not in result["result"].options
    # A generic entity's states are the owner's: no ring time is assumed.
    assert CONF_MIN_RING_SECONDS not in result["result"].options


async def test_user_flow_rejects_an_entity_that_does_not_exist(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _start_user(hass)
    user_input = {
        CONF_LINE_NAME: "Main line",
        CONF_BUSINESS_NAME: "Acme Plumbing",
        CONF_PRESET: "modem",
        CONF_ENTITY_ID: "sensor.no_such_phone",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    _assert_form_error(result, "entity", {CONF_ENTITY_ID: "entity_not_found"})
    # The form keeps what the owner typed.
    assert _suggested(result, CONF_LINE_NAME) == "Main line"
    assert _suggested(result, CONF_ENTITY_ID) == "sensor.no_such_phone"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, CONF_ENTITY_ID: MODEM_ENTITY}
    )
    assert result["step_id"] == "texting"


async def test_user_flow_aborts_when_the_entity_already_feeds_a_line(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _to_texting(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input()
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY

    result = await _start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Second line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "modem",
            CONF_ENTITY_ID: FRITZ_ENTITY,
        },
    )
    _assert_abort(result, "already_configured")
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# --- generic step -----------------------------------------------------------


async def _to_generic(hass: HomeAssistant, entity_id: str = GENERIC_ENTITY) -> str:
    result = await _start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Office",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "generic",
            CONF_ENTITY_ID: entity_id,
        },
    )
    assert result["step_id"] == "generic"
    return result["flow_id"]


async def test_generic_step_offers_the_states_and_attributes_of_the_entity(
    hass: HomeAssistant, call_entities: None
) -> None:
    result = await _start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Office",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "generic",
            CONF_ENTITY_ID: GENERIC_ENTITY,
        },
    )
    for key in (CONF_RINGING_STATES, CONF_ANSWERED_STATES, CONF_IDLE_STATES):
        config = _selector_config(result, key)
        assert config["options"] == ["Idle", "Ringing", "Talking"]
        assert config["multiple"] is True
        assert config["custom_value"] is True
    assert _selector_config(result, CONF_NUMBER_ATTRIBUTE)["options"] == [
        "caller",
        "options",
    ]
    assert _default(result, CONF_RINGING_STATES) == ["ringing"]
    assert _default(result, CONF_ANSWERED_STATES) == ["talking"]
    assert _default(result, CONF_IDLE_STATES) == ["idle"]
    assert _default(result, CONF_NUMBER_ATTRIBUTE) == "from"
    assert _suggested(result, CONF_NAME_ATTRIBUTE) == "from_name"


async def test_generic_step_offers_no_states_for_a_sensor_without_options(
    hass: HomeAssistant, call_entities: None
) -> None:
    hass.states.async_set("sensor.pbx_line", "idle", {"cid": "", "cid_name": ""})
    result = await _start_user(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Office",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "generic",
            CONF_ENTITY_ID: "sensor.pbx_line",
        },
    )
    assert _selector_config(result, CONF_RINGING_STATES)["options"] == []
    assert _selector_config(result, CONF_NAME_ATTRIBUTE)["options"] == [
        "cid",
        "cid_name",
    ]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {CONF_RINGING_STATES: []},
            {CONF_RINGING_STATES: "states_required"},
        ),
        (
            {CONF_RINGING_STATES: ["  ", ""]},
            {CONF_RINGING_STATES: "states_required"},
        ),
        ({CONF_IDLE_STATES: []}, {CONF_IDLE_STATES: "states_required"}),
        (
            {CONF_RINGING_STATES: ["Ringing"], CONF_ANSWERED_STATES: [" Ringing"]},
            {"base": "states_overlap"},
        ),
        (
            {CONF_RINGING_STATES: ["Ringing"], CONF_IDLE_STATES: ["Ringing "]},
            {"base": "states_overlap"},
        ),
        (
            {CONF_ANSWERED_STATES: ["Idle"], CONF_IDLE_STATES: ["Idle"]},
            {"base": "states_overlap"},
        ),
        ({CONF_NUMBER_ATTRIBUTE: "   "}, {CONF_NUMBER_ATTRIBUTE: "attribute_required"}),
    ],
)
async def test_generic_step_rejects_unusable_states(
    hass: HomeAssistant,
    call_entities: None,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    flow_id = await _to_generic(hass)
    user_input = {**GENERIC_INPUT, **changes}
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    _assert_form_error(result, "generic", errors)
    # The form shows what the owner entered, not the defaults.
    assert _default(result, CONF_RINGING_STATES) == user_input[CONF_RINGING_STATES]
    assert _default(result, CONF_IDLE_STATES) == user_input[CONF_IDLE_STATES]


async def test_generic_step_takes_a_line_without_a_name_attribute(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    flow_id = await _to_generic(hass)
    user_input = {k: v for k, v in GENERIC_INPUT.items() if k != CONF_NAME_ATTRIBUTE}
    user_input[CONF_ANSWERED_STATES] = []
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["step_id"] == "texting"
    result = await hass.config_entries.flow.async_configure(flow_id, _texting_input())
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_NAME_ATTRIBUTE] == ""
    # Answered states may be left out: any ring that ends idle is then missed.
    assert result["result"].data[CONF_ANSWERED_STATES] == []


async def test_generic_step_still_shows_when_the_entity_vanished(
    hass: HomeAssistant, call_entities: None
) -> None:
    flow_id = await _to_generic(hass)
    hass.states.async_remove(GENERIC_ENTITY)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**GENERIC_INPUT, CONF_IDLE_STATES: []}
    )
    _assert_form_error(result, "generic", {CONF_IDLE_STATES: "states_required"})
    assert _selector_config(result, CONF_IDLE_STATES)["options"] == []
    assert _selector_config(result, CONF_NUMBER_ATTRIBUTE)["options"] == []


# --- texting step -----------------------------------------------------------


async def test_texting_step_lists_only_notify_services_that_take_a_target(
    hass: HomeAssistant, call_entities: None
) -> None:
    for service in ("twilio_sms", "sinch", "persistent_notification", "send_message"):
        async_mock_service(hass, "notify", service)
    result = await _to_texting(hass)
    assert _selector_config(result, CONF_NOTIFY_SERVICE)["options"] == [
        "sinch",
        "twilio_sms",
    ]
    assert _suggested(result, CONF_NOTIFY_SERVICE) == "sinch"
    assert _default(result, CONF_SENDER) == "notify"
    assert _default(result, CONF_MESSAGE) == DEFAULT_MESSAGE
    assert _default(result, CONF_COOLDOWN_HOURS) == 24
    assert _default(result, CONF_TEXT_VOICEMAIL) is False
    assert result["description_placeholders"] == {"error": ""}


async def test_texting_step_fails_when_no_notify_service_can_text(
    hass: HomeAssistant, call_entities: None
) -> None:
    # Neither of these can reach a caller's phone, so they do not count.
    async_mock_service(hass, "notify", "persistent_notification")
    async_mock_service(hass, "notify", "send_message")
    result = await _to_texting(hass)
    assert _selector_config(result, CONF_NOTIFY_SERVICE)["options"] == []
    assert _suggested(result, CONF_NOTIFY_SERVICE) is None

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(notify_service=None)
    )
    _assert_form_error(result, "texting", {"base": "no_notify_services"})

    # Actions of the owner's own need no notify service.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(sender="action", notify_service=None)
    )
    assert result["step_id"] == "action"


async def test_texting_step_requires_a_notify_service_to_be_chosen(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _to_texting(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(notify_service=None)
    )
    _assert_form_error(
        result, "texting", {CONF_NOTIFY_SERVICE: "notify_service_missing"}
    )


async def test_texting_step_rejects_a_notify_service_that_vanished(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _to_texting(hass)
    # twilio_sms was listed when the form opened, then its integration unloaded.
    async_mock_service(hass, "notify", "sinch")
    hass.services.async_remove("notify", "twilio_sms")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(notify_service="twilio_sms")
    )
    _assert_form_error(
        result, "texting", {CONF_NOTIFY_SERVICE: "notify_service_missing"}
    )
    assert _selector_config(result, CONF_NOTIFY_SERVICE)["options"] == ["sinch"]


async def test_texting_form_only_lists_existing_notify_services(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _to_texting(hass)
    with pytest.raises(InvalidData) as err:
        await hass.config_entries.flow.async_configure(
            result["flow_id"], _texting_input(notify_service="clickatell")
        )
    assert list(err.value.schema_errors) == [CONF_NOTIFY_SERVICE]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
        ("{{ '  ' }}", "the message is empty"),
        ("x" * 256, "longer than 255 characters"),
    ],
)
async def test_texting_step_rejects_a_message_that_cannot_be_sent(
    hass: HomeAssistant,
    call_entities: None,
    twilio: None,
    message: str,
    error: str,
) -> None:
    result = await _to_texting(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(message=message)
    )
    _assert_form_error(result, "texting", {CONF_MESSAGE: "invalid_template"})
    assert result["description_placeholders"] == {"error": error}
    assert _default(result, CONF_MESSAGE) == message


async def test_texting_step_accepts_a_message_of_exactly_255_characters(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _to_texting(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(message="x" * 255)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].options[CONF_MESSAGE] == "x" * 255


async def test_texting_step_explains_a_template_syntax_error(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _to_texting(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(message="Hi {{ foo")
    )
    _assert_form_error(result, "texting", {CONF_MESSAGE: "invalid_template"})
    assert "TemplateSyntaxError" in result["description_placeholders"]["error"]
    assert _default(result, CONF_MESSAGE) == "Hi {{ foo"


async def test_texting_step_suggests_the_country_home_assistant_is_set_to(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    await hass.config.async_update(country="DE")
    result = await _to_texting(hass)
    assert _suggested(result, CONF_COUNTRY) == "DE"
    assert _keys(result)[-1] == CONF_COUNTRY

    # Left empty, the line follows Home Assistant's country.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(country=None)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_COUNTRY not in result["result"].options
    assert result["result"].runtime_data.region == "DE"


# --- action step ------------------------------------------------------------


async def test_action_sender_stores_the_actions_and_no_notify_service(
    hass: HomeAssistant, call_entities: None, twilio: None
) -> None:
    result = await _to_texting(hass, "modem", MODEM_ENTITY)
    # The notify service picked before switching to actions is dropped.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _texting_input(sender="action")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "action"
    assert result["errors"] == {}
    assert _keys(result) == [CONF_ACTION]
    assert _marker(result, CONF_ACTION).default is vol.UNDEFINED

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACTION: TWILIO_ACTION}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].options == {
        CONF_LINE_NAME: "Main line",
        CONF_BUSINESS_NAME: "Acme Plumbing",
        CONF_SENDER: "action",
        CONF_MESSAGE: MESSAGE,
        CONF_COOLDOWN_HOURS: 12,
        CONF_COUNTRY: "US",
        CONF_ACTION: TWILIO_ACTION,
        CONF_MIN_RING_SECONDS: 2,
    }
    assert result["result"].state is ConfigEntryState.LOADED


async def test_action_step_requires_an_action(
    hass: HomeAssistant, call_entities: None
) -> None:
    result = await _to_action(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACTION: []}
    )
    _assert_form_error(result, "action", {CONF_ACTION: "action_required"})
    assert result["description_placeholders"] == {"error": ""}


@pytest.mark.parametrize(
    ("actions", "error_part"),
    [
        ([{"action": "not a valid"}], "not a valid"),
        ([{"delay": "soon"}], "delay"),
        (
            [{"device_id": "no_such_device", "domain": "light", "type": "turn_on"}],
            "no_such_device",
        ),
    ],
)
async def test_action_step_rejects_invalid_actions(
    hass: HomeAssistant,
    call_entities: None,
    actions: list[dict[str, Any]],
    error_part: str,
) -> None:
    result = await _to_action(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACTION: actions}
    )
    _assert_form_error(result, "action", {CONF_ACTION: "invalid_action"})
    assert error_part in result["description_placeholders"]["error"]
    assert _default(result, CONF_ACTION) == actions


# --- options flow -----------------------------------------------------------


async def test_options_form_shows_the_line_as_it_is(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_texting_options(hass, init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "texting"
    assert result["errors"] == {}
    assert _keys(result) == [
        CONF_LINE_NAME,
        CONF_BUSINESS_NAME,
        CONF_SENDER,
        CONF_NOTIFY_SERVICE,
        CONF_MESSAGE,
        CONF_COOLDOWN_HOURS,
        CONF_TEXT_VOICEMAIL,
        CONF_COUNTRY,
    ]
    assert _default(result, CONF_LINE_NAME) == "Main line"
    assert _default(result, CONF_BUSINESS_NAME) == "Acme Plumbing"
    assert _default(result, CONF_SENDER) == "notify"
    assert _suggested(result, CONF_NOTIFY_SERVICE) == SMS_SERVICE
    assert _default(result, CONF_MESSAGE) == DEFAULT_MESSAGE
    assert _default(result, CONF_COOLDOWN_HOURS) == 24
    assert _default(result, CONF_TEXT_VOICEMAIL) is False
    assert _suggested(result, CONF_COUNTRY) == "US"


async def test_options_form_falls_back_to_the_title_for_a_line_without_names(
    hass: HomeAssistant, twilio: None
) -> None:
    hass.states.async_set(MODEM_ENTITY, "idle", {})
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Back office",
        data={
            CONF_SOURCE: "entity",
            CONF_PRESET: "modem",
            CONF_ENTITY_ID: MODEM_ENTITY,
        },
        options={CONF_SENDER: "notify", CONF_NOTIFY_SERVICE: "twilio_sms"},
        unique_id=f"entity:{MODEM_ENTITY}",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    result = await _open_texting_options(hass, entry.entry_id)
    assert _default(result, CONF_LINE_NAME) == "Back office"
    assert _default(result, CONF_BUSINESS_NAME) == ""
    assert CONF_TEXT_VOICEMAIL not in _keys(result)


async def test_options_flow_edits_every_field_renames_and_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry, twilio: None
) -> None:
    line_before = init_integration.runtime_data
    result = await _open_texting_options(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "  Emergency line ",
            CONF_BUSINESS_NAME: " Acme Plumbing & Heating ",
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: "twilio_sms",
            CONF_MESSAGE: MESSAGE,
            CONF_COOLDOWN_HOURS: 2.5,
            CONF_TEXT_VOICEMAIL: True,
            CONF_COUNTRY: "CA",
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.title == "Emergency line"
    assert init_integration.options == {
        CONF_LINE_NAME: "Emergency line",
        CONF_BUSINESS_NAME: "Acme Plumbing & Heating",
        CONF_SENDER: "notify",
        CONF_NOTIFY_SERVICE: "twilio_sms",
        CONF_MESSAGE: MESSAGE,
        CONF_COOLDOWN_HOURS: 2.5,
        CONF_TEXT_VOICEMAIL: True,
        CONF_COUNTRY: "CA",
    }
    # The source data is the reconfigure flow's business.
    assert init_integration.data[CONF_ENTITY_ID] == FRITZ_ENTITY
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not line_before
    assert init_integration.runtime_data.sender.service == "twilio_sms"


async def test_options_flow_keeps_the_title_when_the_name_is_unchanged(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    line_before = init_integration.runtime_data
    result = await _open_texting_options(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input(cooldown_hours=48)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.title == "Main line"
    assert init_integration.options[CONF_COOLDOWN_HOURS] == 48
    assert init_integration.runtime_data is not line_before


async def test_options_flow_applies_a_new_message_without_a_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    line_before = init_integration.runtime_data
    assert hass.states.get("text.main_line_message").state == DEFAULT_MESSAGE

    result = await _open_texting_options(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input(message=MESSAGE)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_MESSAGE] == MESSAGE
    assert init_integration.runtime_data is line_before
    assert hass.states.get("text.main_line_message").state == MESSAGE


async def test_options_flow_switches_to_actions_and_drops_the_notify_service(
    hass: HomeAssistant, init_integration: MockConfigEntry, twilio: None
) -> None:
    result = await _open_texting_options(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input(sender="action")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "action"
    assert _marker(result, CONF_ACTION).default is vol.UNDEFINED

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACTION: []}
    )
    _assert_form_error(result, "action", {CONF_ACTION: "action_required"}, "options")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACTION: [{"action": "not a valid"}]}
    )
    _assert_form_error(result, "action", {CONF_ACTION: "invalid_action"}, "options")
    assert "not a valid" in result["description_placeholders"]["error"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACTION: TWILIO_ACTION}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_NOTIFY_SERVICE not in init_integration.options
    assert init_integration.options[CONF_SENDER] == "action"
    assert init_integration.options[CONF_ACTION] == TWILIO_ACTION
    assert init_integration.state is ConfigEntryState.LOADED


async def test_options_action_step_shows_the_actions_the_line_has(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    twilio: None,
) -> None:
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    options = {**mock_config_entry.options, CONF_SENDER: "action"}
    options.pop(CONF_NOTIFY_SERVICE)
    options[CONF_ACTION] = TWILIO_ACTION
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options=options)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    result = await _open_texting_options(hass, mock_config_entry.entry_id)
    assert _default(result, CONF_SENDER) == "action"
    # With no service chosen yet, the first listed one is suggested.
    assert _suggested(result, CONF_NOTIFY_SERVICE) == "twilio_sms"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input(sender="action", notify_service=None)
    )
    assert result["step_id"] == "action"
    assert _default(result, CONF_ACTION) == TWILIO_ACTION


async def test_options_flow_switching_back_to_notify_drops_the_actions(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    options = {**mock_config_entry.options, CONF_SENDER: "action"}
    options.pop(CONF_NOTIFY_SERVICE)
    options[CONF_ACTION] = TWILIO_ACTION
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options=options)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    result = await _open_texting_options(hass, mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input()
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == _options_input()
    assert mock_config_entry.runtime_data.sender.service == SMS_SERVICE


@pytest.mark.parametrize(
    ("changes", "errors", "error_text"),
    [
        (
            {CONF_NOTIFY_SERVICE: None},
            {CONF_NOTIFY_SERVICE: "notify_service_missing"},
            "",
        ),
        (
            {CONF_MESSAGE: "{{ 1 / 0 }}"},
            {CONF_MESSAGE: "invalid_template"},
            "ZeroDivisionError: division by zero",
        ),
        (
            {CONF_MESSAGE: "y" * 256},
            {CONF_MESSAGE: "invalid_template"},
            "longer than 255 characters",
        ),
    ],
)
async def test_options_flow_rejects_what_the_config_flow_rejects(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
    error_text: str,
) -> None:
    options_before = dict(init_integration.options)
    result = await _open_texting_options(hass, init_integration.entry_id)
    user_input = _options_input(line_name="Renamed", **changes)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    _assert_form_error(result, "texting", errors, "options")
    assert result["description_placeholders"] == {"error": error_text}
    # The form keeps the owner's edits; nothing is saved yet.
    assert _default(result, CONF_LINE_NAME) == "Renamed"
    assert init_integration.options == options_before
    assert init_integration.title == "Main line"


async def test_options_flow_fails_when_no_notify_service_can_text(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_texting_options(hass, init_integration.entry_id)
    hass.services.async_remove("notify", SMS_SERVICE)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input()
    )
    _assert_form_error(result, "texting", {"base": "no_notify_services"}, "options")


async def test_options_flow_renders_the_message_with_the_new_business_name(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    # An empty business name makes this message render empty: the check must
    # use the name being saved, not the one the line had.
    result = await _open_texting_options(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        _options_input(business_name="", message="{{ business_name }}"),
    )
    _assert_form_error(result, "texting", {CONF_MESSAGE: "invalid_template"}, "options")
    assert result["description_placeholders"] == {"error": "the message is empty"}


# --- reconfigure flow -------------------------------------------------------


async def test_reconfigure_moves_the_line_to_another_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hass.states.async_set(MODEM_ENTITY, "idle", {})
    line_before = init_integration.runtime_data
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _keys(result) == [CONF_PRESET, CONF_ENTITY_ID]
    assert _default(result, CONF_PRESET) == "fritzbox"
    assert _default(result, CONF_ENTITY_ID) == FRITZ_ENTITY

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRESET: "modem", CONF_ENTITY_ID: MODEM_ENTITY}
    )
    await hass.async_block_till_done()

    _assert_abort(result, "reconfigure_successful")
    assert init_integration.unique_id == f"entity:{MODEM_ENTITY}"
    assert init_integration.data == {
        CONF_SOURCE: "entity",
        CONF_PRESET: "modem",
        CONF_ENTITY_ID: MODEM_ENTITY,
    }
    # Voicemail detection exists only on the FRITZ!Box preset.
    assert CONF_TEXT_VOICEMAIL not in init_integration.options
    assert init_integration.options[CONF_NOTIFY_SERVICE] == SMS_SERVICE
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not line_before


async def test_reconfigure_to_another_fritzbox_keeps_the_voicemail_choice(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hass.states.async_set("sensor.fritz_box_call_monitor_2", "idle", {})
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PRESET: "fritzbox", CONF_ENTITY_ID: "sensor.fritz_box_call_monitor_2"},
    )
    await hass.async_block_till_done()
    _assert_abort(result, "reconfigure_successful")
    assert init_integration.unique_id == "entity:sensor.fritz_box_call_monitor_2"
    assert init_integration.options[CONF_TEXT_VOICEMAIL] is False


async def test_reconfigure_may_keep_the_same_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    # Its own unique id must not count as "another line uses it".
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRESET: "modem", CONF_ENTITY_ID: FRITZ_ENTITY}
    )
    await hass.async_block_till_done()
    _assert_abort(result, "reconfigure_successful")
    assert init_integration.unique_id == f"entity:{FRITZ_ENTITY}"
    assert init_integration.data[CONF_PRESET] == "modem"


async def test_reconfigure_to_generic_asks_for_the_states(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    _set_call_entities(hass)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRESET: "generic", CONF_ENTITY_ID: GENERIC_ENTITY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_generic"
    assert result["errors"] == {}
    assert _selector_config(result, CONF_RINGING_STATES)["options"] == [
        "Idle",
        "Ringing",
        "Talking",
    ]
    assert _default(result, CONF_RINGING_STATES) == ["ringing"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**GENERIC_INPUT, CONF_IDLE_STATES: ["Ringing"]}
    )
    _assert_form_error(result, "reconfigure_generic", {"base": "states_overlap"})
    assert _default(result, CONF_IDLE_STATES) == ["Ringing"]
    assert init_integration.data[CONF_PRESET] == "fritzbox"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**GENERIC_INPUT, CONF_RINGING_STATES: ["Ringing "]}
    )
    await hass.async_block_till_done()
    _assert_abort(result, "reconfigure_successful")
    assert init_integration.unique_id == f"entity:{GENERIC_ENTITY}"
    assert init_integration.data == {
        CONF_SOURCE: "entity",
        CONF_PRESET: "generic",
        CONF_ENTITY_ID: GENERIC_ENTITY,
        CONF_RINGING_STATES: ["Ringing"],
        CONF_ANSWERED_STATES: ["Talking"],
        CONF_IDLE_STATES: ["Idle"],
        CONF_NUMBER_ATTRIBUTE: "caller",
        CONF_NAME_ATTRIBUTE: "caller_name",
    }
    assert CONF_TEXT_VOICEMAIL not in init_integration.options
    assert init_integration.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_RINGING_STATES: []}, {CONF_RINGING_STATES: "states_required"}),
        ({CONF_IDLE_STATES: [" "]}, {CONF_IDLE_STATES: "states_required"}),
        ({CONF_NUMBER_ATTRIBUTE: ""}, {CONF_NUMBER_ATTRIBUTE: "attribute_required"}),
    ],
)
async def test_reconfigure_generic_rejects_unusable_states(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    _set_call_entities(hass)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRESET: "generic", CONF_ENTITY_ID: GENERIC_ENTITY}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**GENERIC_INPUT, **changes}
    )
    _assert_form_error(result, "reconfigure_generic", errors)
    assert init_integration.data[CONF_ENTITY_ID] == FRITZ_ENTITY


async def test_reconfigure_generic_starts_from_the_states_the_line_has(
    hass: HomeAssistant, twilio: None
) -> None:
    _set_call_entities(hass)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Office",
        data={
            CONF_SOURCE: "entity",
            CONF_PRESET: "generic",
            CONF_ENTITY_ID: GENERIC_ENTITY,
            CONF_RINGING_STATES: ["Ringing"],
            CONF_ANSWERED_STATES: ["Talking"],
            CONF_IDLE_STATES: ["Idle"],
            CONF_NUMBER_ATTRIBUTE: "caller",
            CONF_NAME_ATTRIBUTE: "",
        },
        options={
            CONF_LINE_NAME: "Office",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: "twilio_sms",
        },
        unique_id=f"entity:{GENERIC_ENTITY}",
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert _default(result, CONF_PRESET) == "generic"
    assert _default(result, CONF_ENTITY_ID) == GENERIC_ENTITY
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRESET: "generic", CONF_ENTITY_ID: GENERIC_ENTITY}
    )
    assert result["step_id"] == "reconfigure_generic"
    assert _default(result, CONF_RINGING_STATES) == ["Ringing"]
    assert _default(result, CONF_ANSWERED_STATES) == ["Talking"]
    assert _default(result, CONF_IDLE_STATES) == ["Idle"]
    assert _default(result, CONF_NUMBER_ATTRIBUTE) == "caller"
    assert _suggested(result, CONF_NAME_ATTRIBUTE) == ""
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_reconfigure_aborts_when_another_line_uses_the_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hass.states.async_set(MODEM_ENTITY, "idle", {})
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Back office",
        data={
            CONF_SOURCE: "entity",
            CONF_PRESET: "modem",
            CONF_ENTITY_ID: MODEM_ENTITY,
        },
        options={},
        unique_id=f"entity:{MODEM_ENTITY}",
    )
    other.add_to_hass(hass)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRESET: "modem", CONF_ENTITY_ID: MODEM_ENTITY}
    )
    _assert_abort(result, "already_configured")
    assert init_integration.unique_id == f"entity:{FRITZ_ENTITY}"
    assert init_integration.data[CONF_ENTITY_ID] == FRITZ_ENTITY


async def test_reconfigure_rejects_an_entity_that_does_not_exist(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRESET: "modem", CONF_ENTITY_ID: "sensor.gone"}
    )
    _assert_form_error(result, "reconfigure", {CONF_ENTITY_ID: "entity_not_found"})
    # The form keeps the owner's choice rather than resetting to the entry.
    assert _default(result, CONF_PRESET) == "modem"
    assert _default(result, CONF_ENTITY_ID) == "sensor.gone"
    assert init_integration.data[CONF_ENTITY_ID] == FRITZ_ENTITY
    hass.config_entries.flow.async_abort(result["flow_id"])


# --- translations -----------------------------------------------------------


async def _collect_forms(hass: HomeAssistant) -> list[tuple[str, FlowResult]]:
    """Reach every form of every flow; return (flow kind, form) pairs."""
    _set_call_entities(hass)
    async_mock_service(hass, "notify", "twilio_sms")
    forms: list[tuple[str, FlowResult]] = []
    flow = hass.config_entries.flow

    result = await _start_user(hass)
    forms.append(("config", result))
    result = await flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Office",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "generic",
            CONF_ENTITY_ID: GENERIC_ENTITY,
        },
    )
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])

    result = await _to_texting(hass)  # the FRITZ!Box form has every field
    forms.append(("config", result))
    result = await flow.async_configure(
        result["flow_id"], _texting_input(sender="action")
    )
    forms.append(("config", result))
    result = await flow.async_configure(result["flow_id"], {CONF_ACTION: TWILIO_ACTION})
    await hass.async_block_till_done()
    entry = result["result"]

    # A flow-made entry is no MockConfigEntry: start the flow as the UI does.
    result = await flow.async_init(
        DOMAIN,
        context={
            "source": config_entries.SOURCE_RECONFIGURE,
            "entry_id": entry.entry_id,
        },
    )
    forms.append(("config", result))
    result = await flow.async_configure(
        result["flow_id"], {CONF_PRESET: "generic", CONF_ENTITY_ID: GENERIC_ENTITY}
    )
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])

    result = await _open_texting_options(hass, entry.entry_id)
    forms.append(("options", result))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input(notify_service=None, sender="action")
    )
    forms.append(("options", result))
    hass.config_entries.options.async_abort(result["flow_id"])
    for step in (
        "rules",
        "replies",
        "hours",
        "timing",
        "messages",
        "variants",
        "follow_up",
    ):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": step}
        )
        forms.append(("options", result))
        hass.config_entries.options.async_abort(result["flow_id"])
    forms.extend(await collect_webhook_forms(hass))
    forms.extend(await _collect_sip_forms(hass))
    return forms


async def _collect_sip_forms(hass: HomeAssistant) -> list[tuple[str, FlowResult]]:
    """Reach the SIP source's forms (register mode binds nothing until checked)."""
    flow = hass.config_entries.flow
    forms: list[tuple[str, FlowResult]] = []
    result = await flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "sip"})
    forms.append(("config", result))
    sip = {
        "mode": "register",
        "port": 5062,
        "allowed_sources": [],
        "ring_timeout": 60,
        "cause26_answered": True,
    }
    result = await flow.async_configure(
        result["flow_id"],
        {CONF_LINE_NAME: "Desk", CONF_BUSINESS_NAME: "Acme Plumbing", **sip},
    )
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="sip:5062",
        data={CONF_SOURCE: "sip", "registrar": "fritz.box", **sip},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])
    result = await entry.start_reauth_flow(hass)
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])
    return forms


async def test_every_form_field_has_a_label_and_a_description(
    hass: HomeAssistant,
) -> None:
    forms = await _collect_forms(hass)
    reached = {(kind, form["step_id"]) for kind, form in forms}
    assert reached == {
        ("config", "entity"),
        ("config", "generic"),
        ("config", "texting"),
        ("config", "action"),
        ("config", "reconfigure"),
        ("config", "reconfigure_generic"),
        ("config", "sip"),
        ("config", "sip_register"),
        ("config", "reconfigure_sip"),
        ("config", "reauth_confirm"),
        ("options", "texting"),
        ("options", "action"),
        ("options", "rules"),
        ("options", "replies"),
        ("options", "hours"),
        ("options", "timing"),
        ("options", "messages"),
        ("options", "variants"),
        ("options", "follow_up"),
        *WEBHOOK_FORMS,
    }
    for kind, form in forms:
        assert form["type"] is FlowResultType.FORM
        step = TRANSLATIONS[kind]["step"][form["step_id"]]
        assert step["title"]
        assert step["description"]
        for field in _keys(form):
            assert step["data"].get(field), (kind, form["step_id"], field)
            assert step["data_description"].get(field), (kind, form["step_id"], field)
        # No label is left over from a field the form no longer has.
        assert set(step.get("data", {})) == set(_keys(form)), (kind, form["step_id"])
        assert set(step.get("data_description", {})) == set(_keys(form))


async def test_every_source_kind_in_the_menu_is_translated(
    hass: HomeAssistant,
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    labels = TRANSLATIONS["config"]["step"]["user"]["menu_options"]
    assert set(result["menu_options"]) == set(labels)
    assert all(labels.values())


async def test_every_translated_select_option_exists(hass: HomeAssistant) -> None:
    forms = await _collect_forms(hass)
    checked = set()
    for _, form in forms:
        for field in _keys(form):
            config = _selector_config(form, field)
            key = config.get("translation_key")
            if key is None:
                continue
            labels = TRANSLATIONS["selector"][key]["options"]
            assert set(labels) == set(config["options"]), key
            assert all(labels.values())
            checked.add(key)
    assert checked == set(TRANSLATIONS["selector"])


def test_config_and_options_errors_are_translated_alike() -> None:
    # The options flow has the config flow's errors, plus those of its own steps.
    assert (
        TRANSLATIONS["options"]["error"].items()
        >= TRANSLATIONS["config"]["error"].items()
    )
    for text in (
        TRANSLATIONS["config"]["error"]["invalid_template"],
        TRANSLATIONS["config"]["error"]["invalid_action"],
    ):
        assert "{error}" in text


async def _open_texting_options(hass: HomeAssistant, entry_id: str) -> FlowResult:
    """Open a line's options and choose the texting form from the menu."""
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
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
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "texting"}
    )


async def test_saving_options_keeps_a_title_renamed_in_the_ui(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(init_integration, title="Shop phone")

    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "timing"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "busy_only": False,
            "delay_seconds": 0,
            "quiet_hours": False,
            "quiet_start": "21:00:00",
            "quiet_end": "08:00:00",
            "quiet_action": "hold",
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.title == "Shop phone"
