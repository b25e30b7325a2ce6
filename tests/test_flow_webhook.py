"""Config flow of provider-webhook lines, driven through the real flow manager."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from homeassistant import config_entries
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers.network import NoURLAvailableError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.missed_call_textback.const import (
    CONF_LINE_NAME,
    CONF_SOURCE,
    CONF_TEXT_VOICEMAIL,
    DOMAIN,
)
from custom_components.missed_call_textback.diagnostics import (
    async_get_config_entry_diagnostics,
)

from .test_config_flow import TRANSLATIONS, _keys, _suggested, _texting_input
from .webhook_helpers import PROVIDER_INPUT, start_webhook

type ClientFactory = Callable[[], Awaitable[TestClient]]

TELNYX_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="


@pytest.fixture(autouse=True)
def twilio_sms(hass: HomeAssistant) -> list[ServiceCall]:
    """Register a legacy SMS notify service for the texting step (the far edge)."""
    return async_mock_service(hass, "notify", "twilio_sms")


async def _submit(
    hass: HomeAssistant, result: FlowResult, data: dict[str, Any]
) -> FlowResult:
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


async def _finish(hass: HomeAssistant, result: FlowResult) -> FlowResult:
    """Pass the URL step and the texting step; return the created entry."""
    assert result["step_id"].startswith("webhook_url_")
    result = await _submit(hass, result, {})
    assert result["step_id"] == "texting"
    # Only the FRITZ!Box knows an answering machine.
    assert CONF_TEXT_VOICEMAIL not in _keys(result)
    result = await _submit(hass, result, _texting_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result


def _assert_error(result: FlowResult, step_id: str, errors: dict[str, str]) -> None:
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert result["errors"] == errors
    for key in errors.values():
        assert TRANSLATIONS["config"]["error"][key]


async def test_twilio_line_is_set_up_and_shows_its_url(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    twilio_sms: list[ServiceCall],
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    result = await start_webhook(hass, "twilio")
    assert result["step_id"] == "webhook_twilio"
    url = result["description_placeholders"]["url"]
    assert url.startswith("https://home.example.org/api/webhook/")
    webhook_id = url.rsplit("/", 1)[1]
    assert len(webhook_id) >= 32

    result = await _submit(hass, result, {"accept_unsigned": False})
    _assert_error(result, "webhook_twilio", {"auth_token": "secret_required"})
    result = await _submit(
        hass,
        result,
        {
            "auth_token": "t" * 32,
            "public_url": "phone.example.com/x",
            "accept_unsigned": False,
        },
    )
    _assert_error(result, "webhook_twilio", {"public_url": "invalid_url"})
    result = await _submit(
        hass,
        result,
        {
            "auth_token": " " + "t" * 32,
            "public_url": "https://p.example.com/x",
            "accept_unsigned": False,
        },
    )
    assert result["step_id"] == "webhook_url_twilio"
    assert result["description_placeholders"]["url"] == url
    assert _keys(result) == []

    created = await _finish(hass, result)
    entry = created["result"]
    assert entry.unique_id == webhook_id
    assert entry.title == "Main line"
    assert dict(entry.data) == {
        CONF_SOURCE: "webhook",
        "provider": "twilio",
        "webhook_id": webhook_id,
        "auth_token": "t" * 32,
        "public_url": "https://p.example.com/x",
        "accept_unsigned": False,
    }
    # The line listens: a request signed with another token is refused.
    client = await hass_client_no_auth()
    response = await client.post(
        f"/api/webhook/{webhook_id}",
        data=urlencode(
            {"CallSid": "CA1", "From": "+16502530000", "CallStatus": "busy"}
        ),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": "x",
        },
    )
    assert response.status == 401
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["entry"]["data"]["auth_token"] == "**REDACTED**"  # noqa: S105
    assert diagnostics["entry"]["data"]["webhook_id"] == "**REDACTED**"
    assert diagnostics["rejected_webhook_requests"] == 1
    assert twilio_sms == []


async def test_url_falls_back_to_the_path_without_any_home_assistant_url(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test instance always knows an internal URL; a Home Assistant that
    # knows none is what the stub stands for.
    def _no_url(*_args: Any, **_kwargs: Any) -> str:
        raise NoURLAvailableError

    monkeypatch.setattr(webhook, "async_generate_url", _no_url)
    result = await start_webhook(hass, "quo")
    assert result["description_placeholders"]["url"].startswith("/api/webhook/")


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({"accept_unsigned": False}, {"signing_key": "secret_required"}),
        (
            {"signing_key": "not base64!", "accept_unsigned": False},
            {"signing_key": "invalid_signing_key"},
        ),
    ],
)
async def test_quo_step_rejects_a_missing_or_broken_key(
    hass: HomeAssistant, user_input: dict[str, Any], errors: dict[str, str]
) -> None:
    result = await start_webhook(hass, "quo")
    result = await _submit(hass, result, user_input)
    _assert_error(result, "webhook_quo", errors)


async def test_quo_line_keeps_its_signing_key(hass: HomeAssistant) -> None:
    result = await start_webhook(hass, "quo")
    result = await _submit(
        hass, result, {"signing_key": "whsec_a2V5", "accept_unsigned": False}
    )
    created = await _finish(hass, result)
    assert created["result"].data["signing_key"] == "whsec_a2V5"


async def test_telnyx_step_checks_the_public_key(hass: HomeAssistant) -> None:
    result = await start_webhook(hass, "telnyx")
    result = await _submit(
        hass, result, {"public_key": "a2V5", "accept_unsigned": False}
    )
    _assert_error(result, "webhook_telnyx", {"public_key": "invalid_public_key"})
    result = await _submit(
        hass, result, {"public_key": TELNYX_KEY, "accept_unsigned": False}
    )
    created = await _finish(hass, result)
    assert created["result"].data["public_key"] == TELNYX_KEY


async def test_unsigned_choice_needs_no_secret(hass: HomeAssistant) -> None:
    result = await start_webhook(hass, "telnyx")
    result = await _submit(hass, result, PROVIDER_INPUT["telnyx"])
    created = await _finish(hass, result)
    assert created["result"].data["accept_unsigned"] is True


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"number_path": " "}, {"number_path": "path_required"}),
        ({"status_path": ""}, {"status_path": "path_required"}),
        ({"missed_values": [" "]}, {"missed_values": "missed_values_required"}),
        ({"secret_header": ""}, {"secret_header": "header_required"}),
        ({"secret": ""}, {"secret": "secret_required"}),
    ],
)
async def test_generic_step_rejects_incomplete_settings(
    hass: HomeAssistant, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    result = await start_webhook(hass, "generic")
    result = await _submit(hass, result, {**PROVIDER_INPUT["generic"], **changes})
    _assert_error(result, "webhook_generic", errors)


async def test_generic_line_stores_cleaned_paths(hass: HomeAssistant) -> None:
    result = await start_webhook(hass, "generic")
    result = await _submit(
        hass,
        result,
        {
            **PROVIDER_INPUT["generic"],
            "number_path": " call.from ",
            "missed_values": ["busy", " missed ", "busy"],
            "name_path": "call.name",
        },
    )
    created = await _finish(hass, result)
    data = created["result"].data
    assert data["number_path"] == "call.from"
    assert data["missed_values"] == ["busy", "missed"]
    assert data["name_path"] == "call.name"
    assert data["call_id_path"] == ""


async def test_ha_sip_line_shows_its_webhook_id(hass: HomeAssistant) -> None:
    result = await start_webhook(hass, "ha_sip")
    assert result["step_id"] == "webhook_url_ha_sip"
    webhook_id = result["description_placeholders"]["webhook_id"]
    assert result["description_placeholders"]["url"].endswith(webhook_id)
    created = await _finish(hass, result)
    assert dict(created["result"].data) == {
        CONF_SOURCE: "webhook",
        "provider": "ha_sip",
        "webhook_id": webhook_id,
    }


async def test_twilio_integration_line_goes_to_texting_and_exists_once(
    hass: HomeAssistant,
) -> None:
    result = await start_webhook(hass, "twilio_integration")
    assert result["step_id"] == "texting"
    result = await _submit(hass, result, _texting_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(result["result"].data) == {
        CONF_SOURCE: "webhook",
        "provider": "twilio_integration",
    }
    await hass.async_block_till_done()
    result = await start_webhook(hass, "twilio_integration")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- reconfigure ----------------------------------------------------------------


async def _webhook_entry(
    hass: HomeAssistant, entry_options: dict[str, Any], data: dict[str, Any]
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry_options[CONF_LINE_NAME],
        data={CONF_SOURCE: "webhook", **data},
        options=entry_options,
        unique_id=data.get("webhook_id", "webhook:twilio_integration"),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    return await hass.config_entries.flow.async_init(
        DOMAIN,
        context={
            "source": config_entries.SOURCE_RECONFIGURE,
            "entry_id": entry.entry_id,
        },
    )


@pytest.mark.usefixtures("sms_calls")
async def test_reconfigure_changes_the_token_and_keeps_the_url(
    hass: HomeAssistant, entry_options: dict[str, Any]
) -> None:
    entry = await _webhook_entry(
        hass,
        entry_options,
        {
            "provider": "twilio",
            "webhook_id": "hook1",
            "auth_token": "old",
            "accept_unsigned": False,
        },
    )
    result = await _reconfigure(hass, entry)
    assert result["step_id"] == "webhook_twilio"
    assert result["description_placeholders"]["url"].endswith("/api/webhook/hook1")
    assert _suggested(result, "auth_token") == "old"
    result = await _submit(hass, result, {"auth_token": "", "accept_unsigned": False})
    _assert_error(result, "webhook_twilio", {"auth_token": "secret_required"})
    result = await _submit(
        hass, result, {"auth_token": "new", "accept_unsigned": False}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["auth_token"] == "new"  # noqa: S105
    assert entry.data["webhook_id"] == "hook1"
    assert entry.unique_id == "hook1"


@pytest.mark.usefixtures("sms_calls")
async def test_reconfigure_of_an_ha_sip_line_shows_its_webhook_id(
    hass: HomeAssistant, entry_options: dict[str, Any]
) -> None:
    entry = await _webhook_entry(
        hass, entry_options, {"provider": "ha_sip", "webhook_id": "hook2"}
    )
    result = await _reconfigure(hass, entry)
    assert result["step_id"] == "webhook_url_ha_sip"
    assert result["description_placeholders"]["webhook_id"] == "hook2"
    result = await _submit(hass, result, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


@pytest.mark.usefixtures("sms_calls")
async def test_reconfigure_of_a_twilio_integration_line_has_nothing_to_change(
    hass: HomeAssistant, entry_options: dict[str, Any]
) -> None:
    entry = await _webhook_entry(
        hass, entry_options, {"provider": "twilio_integration"}
    )
    result = await _reconfigure(hass, entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "nothing_to_reconfigure"
    assert TRANSLATIONS["config"]["abort"]["nothing_to_reconfigure"]
