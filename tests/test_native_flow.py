"""Native senders in the flows: credentials, reauth, reconfigure, public URLs.

Credentials are checked with the provider before they are saved; a refused
sender asks for new ones; the webhook URL shown is one a provider on the
internet can reach, or the form says why not.

The providers' APIs are played by the local server of tests/native (the one
edge replaced): the flow checks the credentials over real HTTP through Home
Assistant's shared session. Home Assistant Cloud is replaced at its edge only
(the functions core's cloud integration offers), since no test can log in.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from aiohttp.test_utils import TestServer
from homeassistant import config_entries
from homeassistant.components import cloud
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.missed_call_textback import diagnostics
from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_CREDENTIALS,
    CONF_ENTITY_ID,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_NOTIFY_SERVICE,
    CONF_PRESET,
    CONF_RECEIPT_URL,
    CONF_RECEIPT_WEBHOOK_ID,
    CONF_SENDER,
    CONF_SOURCE,
    CONF_TEXT_VOICEMAIL,
    DOMAIN,
    SenderKind,
)
from custom_components.missed_call_textback.public_url import (
    WHY_INTERNAL,
    WHY_NOT_HTTPS,
    async_public_webhook_url,
)
from custom_components.missed_call_textback.settings import LineSettings

from .conftest import FRITZ_ENTITY
from .native.provider_server import (
    FROM_NUMBER,
    QUO_API_KEY,
    QUO_NUMBER_ID,
    TELNYX_API_KEY,
    TELNYX_PROFILE_ID,
    TWILIO_ACCOUNT_SID,
    TWILIO_API_KEY_SECRET,
    TWILIO_API_KEY_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_SERVICE_SID,
    ProviderServer,
    Reply,
)
from .test_config_flow import TRANSLATIONS, _keys, _suggested
from .webhook_helpers import start_webhook

MESSAGE = "Sorry we missed you! {{ business_name }} will call back soon."
TELNYX_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
QUO_SIGNING_KEY = "a2V5"
OTHER_NUMBER = "+15550001111"
CLOUDHOOK = "https://hooks.nabu.casa/gAAAAABl-test"
TWILIO_INPUT = {
    "account_sid": TWILIO_ACCOUNT_SID,
    "auth_token": TWILIO_AUTH_TOKEN,
    "from_number": FROM_NUMBER,
}
TWILIO_FORM = [
    "account_sid",
    "auth_token",
    "api_key_sid",
    "api_key_secret",
    "from_number",
    "messaging_service_sid",
]


@pytest.fixture
async def provider(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncGenerator[ProviderServer]:
    """Play Twilio, Telnyx and Quo on 127.0.0.1 and point the senders at it."""
    server = ProviderServer()
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    server.base = str(test_server.make_url("")).rstrip("/")
    for kind in ("TWILIO", "TELNYX", "QUO"):
        monkeypatch.setenv(f"MISSED_CALL_TEXTBACK_API_BASE_{kind}", server.base)
    yield server
    server.release()
    await test_server.close()


@pytest.fixture
def logged_in_cloud(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Play a Home Assistant Cloud subscription; return the webhooks hooked."""
    hooked: list[str] = []

    async def _cloudhook(hass: HomeAssistant, webhook_id: str) -> str:
        hooked.append(webhook_id)
        return f"{CLOUDHOOK}{webhook_id[:4]}"

    hass.config.components.add("cloud")
    monkeypatch.setattr(cloud, "async_active_subscription", lambda _hass: True)
    monkeypatch.setattr(cloud, "async_get_or_create_cloudhook", _cloudhook)
    return hooked


# --- helpers ----------------------------------------------------------------


async def _submit(
    hass: HomeAssistant, result: FlowResult, data: dict[str, Any]
) -> FlowResult:
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


def _assert_form(
    result: FlowResult,
    step_id: str,
    errors: dict[str, str] | None = None,
    flow: str = "config",
) -> None:
    """Assert the form came back with exactly these errors, each translated."""
    assert result["type"] is FlowResultType.FORM, result
    assert result["step_id"] == step_id
    assert result["errors"] == (errors or {})
    for key in (errors or {}).values():
        assert TRANSLATIONS[flow]["error"][key], key


def _texting(sender: str) -> dict[str, Any]:
    return {
        CONF_SENDER: sender,
        CONF_MESSAGE: MESSAGE,
        CONF_COOLDOWN_HOURS: 12,
        CONF_TEXT_VOICEMAIL: False,
        CONF_COUNTRY: "US",
    }


async def _to_sender(hass: HomeAssistant, sender: str) -> FlowResult:
    """Set up a FRITZ!Box line up to the sender's own step."""
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await _submit(hass, result, {"next_step_id": "entity"})
    assert result["last_step"] is False
    result = await _submit(
        hass,
        result,
        {
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "fritzbox",
            CONF_ENTITY_ID: FRITZ_ENTITY,
        },
    )
    assert result["step_id"] == "texting"
    return await _submit(hass, result, _texting(sender))


async def _webhook_line_to_sender(
    hass: HomeAssistant, provider_kind: str, settings: dict[str, Any], sender: str
) -> FlowResult:
    """Set up a provider-webhook line up to the sender's own step."""
    result = await start_webhook(hass, provider_kind)
    result = await _submit(hass, result, settings)
    assert result["step_id"] == f"webhook_url_{provider_kind}"
    result = await _submit(hass, result, {})
    assert result["step_id"] == "texting"
    texting = _texting(sender)
    # Only the FRITZ!Box knows an answering machine.
    del texting[CONF_TEXT_VOICEMAIL]
    return await _submit(hass, result, texting)


def _native_entry(hass: HomeAssistant, **options: Any) -> MockConfigEntry:
    """Add a FRITZ!Box line that texts through Twilio (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Main line",
        unique_id=f"entity:{FRITZ_ENTITY}",
        data={
            CONF_SOURCE: "entity",
            CONF_PRESET: "fritzbox",
            CONF_ENTITY_ID: FRITZ_ENTITY,
        },
        options={
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_SENDER: "twilio",
            CONF_MESSAGE: MESSAGE,
            CONF_COUNTRY: "US",
            CONF_CREDENTIALS: dict(TWILIO_INPUT),
            CONF_RECEIPT_WEBHOOK_ID: "receipts0123",
            CONF_RECEIPT_URL: "https://old.example.org/api/webhook/receipts0123",
            **options,
        },
    )
    entry.add_to_hass(hass)
    return entry


# --- the texting step --------------------------------------------------------


async def test_texting_step_offers_the_providers_and_names_only_working_senders(
    hass: HomeAssistant,
) -> None:
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await _submit(hass, result, {"next_step_id": "entity"})
    result = await _submit(
        hass,
        result,
        {
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "fritzbox",
            CONF_ENTITY_ID: FRITZ_ENTITY,
        },
    )
    marker = next(m for m in result["data_schema"].schema if str(m) == CONF_SENDER)
    options = result["data_schema"].schema[marker].config["options"]
    assert options == ["notify", "action", "twilio", "telnyx", "quo"]
    labels = TRANSLATIONS["selector"]["sender"]["options"]
    assert labels["twilio"] == "Twilio (send directly)"
    assert set(labels) == set(options)
    for flow in ("config", "options"):
        help_text = TRANSLATIONS[flow]["step"]["texting"]["data_description"]["sender"]
        # ClickSend ignores the recipient; the SMS modem integration is gone.
        assert "ClickSend" not in help_text
        assert "modem" not in help_text
        assert "Telnyx" in help_text


# --- credentials, checked with the provider ----------------------------------


async def test_twilio_credentials_are_checked_before_the_line_is_made(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    result = await _to_sender(hass, "twilio")
    # No URL of Home Assistant is known: the path, and what to do about it.
    _assert_form(result, "sender_twilio", {"base": WHY_INTERNAL})
    url = result["description_placeholders"]["url"]
    assert url.startswith("http://")
    assert "/api/webhook/" in url
    assert _keys(result) == TWILIO_FORM
    secret = next(m for m in result["data_schema"].schema if str(m) == "auth_token")
    assert result["data_schema"].schema[secret].config["type"] == "password"

    for user_input, errors in (
        (
            {"account_sid": TWILIO_ACCOUNT_SID, "from_number": FROM_NUMBER},
            {"auth_token": "twilio_auth_required"},
        ),
        (
            {**TWILIO_INPUT, "api_key_sid": TWILIO_API_KEY_SID},
            {"api_key_secret": "api_key_incomplete"},
        ),
        (
            {**TWILIO_INPUT, "api_key_secret": TWILIO_API_KEY_SECRET},
            {"api_key_sid": "api_key_incomplete"},
        ),
        (
            {"account_sid": TWILIO_ACCOUNT_SID, "auth_token": TWILIO_AUTH_TOKEN},
            {"from_number": "from_or_service_required"},
        ),
        ({**TWILIO_INPUT, "from_number": "12"}, {"from_number": "invalid_from_number"}),
        ({**TWILIO_INPUT, "account_sid": "  "}, {"account_sid": "credential_required"}),
        ({**TWILIO_INPUT, "auth_token": "wrong"}, {"base": "invalid_auth"}),
        (
            {**TWILIO_INPUT, "from_number": OTHER_NUMBER},
            {"from_number": "number_not_on_account"},
        ),
        (
            {**TWILIO_INPUT, "messaging_service_sid": "MG" + "9" * 32},
            {"messaging_service_sid": "messaging_service_not_found"},
        ),
    ):
        result = await _submit(hass, result, user_input)
        _assert_form(result, "sender_twilio", errors)
        # The URL shown stays the one that will be saved.
        assert result["description_placeholders"]["url"] == url

    provider.queue("twilio.account", Reply(503, {"message": "busy"}))
    result = await _submit(hass, result, TWILIO_INPUT)
    _assert_form(result, "sender_twilio", {"base": "cannot_connect"})

    # A national number is read in the line's country.
    result = await _submit(
        hass, result, {**TWILIO_INPUT, "from_number": "(555) 765-4321"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = result["options"]
    assert options[CONF_SENDER] == "twilio"
    assert options[CONF_CREDENTIALS] == TWILIO_INPUT
    assert options[CONF_RECEIPT_WEBHOOK_ID] == url.rsplit("/", 1)[1]
    # Twilio could not reach the URL: no receipts are asked for.
    assert CONF_RECEIPT_URL not in options
    assert CONF_NOTIFY_SERVICE not in options
    # Checked with the account, then the number, with the account's own auth.
    assert [request.route for request in provider.requests[-2:]] == [
        "twilio.account",
        "twilio.numbers",
    ]


async def test_twilio_api_key_and_messaging_service_are_enough(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    result = await _to_sender(hass, "twilio")
    _assert_form(result, "sender_twilio")
    url = result["description_placeholders"]["url"]
    assert url.startswith("https://home.example.org/api/webhook/")
    credentials = {
        "account_sid": TWILIO_ACCOUNT_SID,
        "api_key_sid": TWILIO_API_KEY_SID,
        "api_key_secret": TWILIO_API_KEY_SECRET,
        "messaging_service_sid": TWILIO_SERVICE_SID,
    }
    result = await _submit(hass, result, credentials)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_CREDENTIALS] == credentials
    assert result["options"][CONF_RECEIPT_URL] == url


async def test_quo_number_and_key_are_checked(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    result = await _to_sender(hass, "quo")
    _assert_form(result, "sender_quo")
    assert _keys(result) == ["api_key", "from_number", "signing_key"]
    for user_input, errors in (
        (
            {"api_key": "  ", "from_number": FROM_NUMBER},
            {"api_key": "credential_required"},
        ),
        ({"api_key": "wrong", "from_number": FROM_NUMBER}, {"base": "invalid_auth"}),
        (
            {"api_key": QUO_API_KEY, "from_number": OTHER_NUMBER},
            {"from_number": "number_not_on_account"},
        ),
        (
            {"api_key": QUO_API_KEY, "from_number": FROM_NUMBER, "signing_key": "%%"},
            {"signing_key": "invalid_signing_key"},
        ),
    ):
        result = await _submit(hass, result, user_input)
        _assert_form(result, "sender_quo", errors)

    # Quo's own id of the number is as good as the number.
    result = await _submit(
        hass,
        result,
        {
            "api_key": QUO_API_KEY,
            "from_number": QUO_NUMBER_ID,
            "signing_key": QUO_SIGNING_KEY,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_CREDENTIALS] == {
        "api_key": QUO_API_KEY,
        "from_number": QUO_NUMBER_ID,
        "signing_key": QUO_SIGNING_KEY,
    }


# --- a line heard through the same provider's webhook ------------------------


async def test_telnyx_line_reuses_its_call_webhook_and_public_key(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    result = await _webhook_line_to_sender(
        hass, "telnyx", {"public_key": TELNYX_KEY, "accept_unsigned": False}, "telnyx"
    )
    _assert_form(result, "sender_telnyx")
    url = result["description_placeholders"]["url"]
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    webhook_id = flow["context"]["unique_id"]
    assert url == f"https://home.example.org/api/webhook/{webhook_id}"
    assert _suggested(result, "public_key") == TELNYX_KEY
    assert _suggested(result, "api_key") is None

    for user_input, errors in (
        ({"api_key": TELNYX_API_KEY}, {"from_number": "from_or_profile_required"}),
        ({"api_key": "wrong", "from_number": FROM_NUMBER}, {"base": "invalid_auth"}),
        (
            {"api_key": TELNYX_API_KEY, "messaging_profile_id": "nope"},
            {"messaging_profile_id": "messaging_service_not_found"},
        ),
        (
            {"api_key": TELNYX_API_KEY, "from_number": FROM_NUMBER, "public_key": "x"},
            {"public_key": "invalid_public_key"},
        ),
    ):
        result = await _submit(hass, result, user_input)
        _assert_form(result, "sender_telnyx", errors)

    result = await _submit(
        hass,
        result,
        {
            "api_key": TELNYX_API_KEY,
            "from_number": FROM_NUMBER,
            "messaging_profile_id": TELNYX_PROFILE_ID,
            "public_key": TELNYX_KEY,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = result["options"]
    # Receipts and replies arrive on the webhook Telnyx already calls.
    assert options[CONF_RECEIPT_WEBHOOK_ID] == webhook_id
    assert options[CONF_RECEIPT_URL] == url
    settings = LineSettings.from_options(options, "Main line", "US")
    assert settings.sender is SenderKind.TELNYX
    assert settings.receipt_webhook_id == webhook_id
    assert settings.receipt_url == url
    assert settings.credentials["api_key"] == TELNYX_API_KEY


async def test_twilio_line_reuses_its_auth_token_and_public_url(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    result = await _webhook_line_to_sender(
        hass,
        "twilio",
        {
            "auth_token": TWILIO_AUTH_TOKEN,
            "public_url": "https://phone.example.com/hook",
            "accept_unsigned": False,
        },
        "twilio",
    )
    # The URL Twilio calls the line's webhook at (and signs).
    _assert_form(result, "sender_twilio")
    assert result["description_placeholders"]["url"] == "https://phone.example.com/hook"
    # The token is never sent back to the browser.
    assert _suggested(result, "auth_token") is None

    result = await _submit(
        hass, result, {"account_sid": TWILIO_ACCOUNT_SID, "from_number": FROM_NUMBER}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.options[CONF_CREDENTIALS] == TWILIO_INPUT
    assert entry.options[CONF_RECEIPT_WEBHOOK_ID] == entry.data["webhook_id"]
    assert entry.options[CONF_RECEIPT_URL] == "https://phone.example.com/hook"


async def test_a_line_heard_through_another_provider_gets_a_webhook_of_its_own(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    result = await _webhook_line_to_sender(
        hass,
        "quo",
        {"signing_key": QUO_SIGNING_KEY, "accept_unsigned": False},
        "twilio",
    )
    _assert_form(result, "sender_twilio")
    # Quo's signing key is no Twilio credential.
    result = await _submit(hass, result, {"account_sid": TWILIO_ACCOUNT_SID})
    _assert_form(result, "sender_twilio", {"auth_token": "twilio_auth_required"})
    result = await _submit(hass, result, TWILIO_INPUT)
    entry = result["result"]
    receipts = entry.options[CONF_RECEIPT_WEBHOOK_ID]
    assert receipts != entry.data["webhook_id"]
    assert entry.options[CONF_RECEIPT_URL].endswith(f"/api/webhook/{receipts}")


# --- options: switching to a native sender and back --------------------------


async def _texting_options(
    hass: HomeAssistant, entry: ConfigEntry, sender: str, **changes: Any
) -> FlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "texting"}
    )
    form = {
        CONF_LINE_NAME: "Main line",
        CONF_BUSINESS_NAME: "Acme Plumbing",
        **_texting(sender),
        **changes,
    }
    return await hass.config_entries.options.async_configure(
        result["flow_id"],
        {key: value for key, value in form.items() if value is not None},
    )


async def test_options_switch_to_twilio_keep_secrets_and_switch_back(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    # The notify service the line texts through before (the far edge).
    async_mock_service(hass, "notify", "twilio_sms")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Main line",
        data={
            CONF_SOURCE: "entity",
            CONF_PRESET: "fritzbox",
            CONF_ENTITY_ID: FRITZ_ENTITY,
        },
        options={
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: "twilio_sms",
            CONF_MESSAGE: MESSAGE,
        },
    )
    entry.add_to_hass(hass)

    result = await _texting_options(hass, entry, "twilio")
    _assert_form(result, "sender_twilio", flow="options")
    url = result["description_placeholders"]["url"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**TWILIO_INPUT, "auth_token": "wrong"}
    )
    _assert_form(result, "sender_twilio", {"base": "invalid_auth"}, flow="options")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], TWILIO_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_CREDENTIALS] == TWILIO_INPUT
    assert entry.options[CONF_RECEIPT_URL] == url
    assert CONF_NOTIFY_SERVICE not in entry.options

    # Opened again: the saved values are suggested, a blank secret stays.
    result = await _texting_options(hass, entry, "twilio")
    assert _suggested(result, "account_sid") == TWILIO_ACCOUNT_SID
    assert _suggested(result, "auth_token") is None
    assert result["description_placeholders"]["url"] == url
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"account_sid": TWILIO_ACCOUNT_SID, "from_number": FROM_NUMBER},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_CREDENTIALS] == TWILIO_INPUT
    assert entry.options[CONF_RECEIPT_URL] == url

    # Back to the notify service: the credentials go.
    result = await _texting_options(
        hass, entry, "notify", **{CONF_NOTIFY_SERVICE: "twilio_sms"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    for key in (CONF_CREDENTIALS, CONF_RECEIPT_WEBHOOK_ID, CONF_RECEIPT_URL):
        assert key not in entry.options
    settings = LineSettings.from_options(entry.options, entry.title, "US")
    assert settings.credentials == {}
    assert settings.receipt_webhook_id is None
    assert settings.receipt_url is None


# --- reauth and reconfigure ---------------------------------------------------


async def test_a_refused_sender_asks_for_new_credentials(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    entry = _native_entry(
        hass, **{CONF_CREDENTIALS: {**TWILIO_INPUT, "auth_token": "revoked"}}
    )
    result = await entry.start_reauth_flow(hass)
    _assert_form(result, "reauth_sender")
    assert result["description_placeholders"]["provider"] == "Twilio"
    assert _keys(result) == TWILIO_FORM
    assert _suggested(result, "account_sid") == TWILIO_ACCOUNT_SID

    # A blank token keeps the refused one: still refused.
    result = await _submit(
        hass, result, {"account_sid": TWILIO_ACCOUNT_SID, "from_number": FROM_NUMBER}
    )
    _assert_form(result, "reauth_sender", {"base": "invalid_auth"})
    result = await _submit(hass, result, {**TWILIO_INPUT, "from_number": "nope"})
    _assert_form(result, "reauth_sender", {"from_number": "invalid_from_number"})

    result = await _submit(hass, result, TWILIO_INPUT)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_sender_successful"
    assert TRANSLATIONS["config"]["abort"]["reauth_sender_successful"]
    assert entry.options[CONF_CREDENTIALS] == TWILIO_INPUT
    # Everything else stays.
    assert entry.options[CONF_RECEIPT_WEBHOOK_ID] == "receipts0123"


@pytest.mark.parametrize(
    ("token", "step_id"),
    [("revoked", "reauth_sender"), (TWILIO_AUTH_TOKEN, "reauth_confirm")],
)
async def test_a_registered_sip_line_asks_whoever_refused(
    hass: HomeAssistant, provider: ProviderServer, token: str, step_id: str
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Front desk",
        unique_id="sip:5062",
        data={
            CONF_SOURCE: "sip",
            "mode": "register",
            "port": 5062,
            "registrar": "pbx.example.org",
            "username": "621",
            "password": "secret",
        },
        options={
            CONF_LINE_NAME: "Front desk",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_SENDER: "twilio",
            CONF_CREDENTIALS: {**TWILIO_INPUT, "auth_token": token},
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    _assert_form(result, step_id)


async def test_reconfigure_changes_the_credentials_and_keeps_the_url(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    # The external URL moved since: the URL pasted into Twilio stays.
    await hass.config.async_update(external_url="https://new.example.org")
    entry = _native_entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reconfigure_menu"
    labels = TRANSLATIONS["config"]["step"]["reconfigure_menu"]["menu_options"]
    assert result["menu_options"] == list(labels)

    result = await _submit(hass, result, {"next_step_id": "reconfigure_sender"})
    _assert_form(result, "sender_twilio")
    assert (
        result["description_placeholders"]["url"]
        == "https://old.example.org/api/webhook/receipts0123"
    )
    changed = {
        "account_sid": TWILIO_ACCOUNT_SID,
        "messaging_service_sid": TWILIO_SERVICE_SID,
    }
    result = await _submit(hass, result, changed)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "sender_reconfigured"
    assert TRANSLATIONS["config"]["abort"]["sender_reconfigured"]
    assert entry.options[CONF_CREDENTIALS] == {
        **changed,
        "auth_token": TWILIO_AUTH_TOKEN,
    }
    assert entry.options[CONF_RECEIPT_WEBHOOK_ID] == "receipts0123"
    assert (
        entry.options[CONF_RECEIPT_URL]
        == "https://old.example.org/api/webhook/receipts0123"
    )


async def test_reconfigure_of_a_native_line_still_changes_its_call_source(
    hass: HomeAssistant,
) -> None:
    entry = _native_entry(hass)
    hass.states.async_set("sensor.modem_callerid", "idle", {})
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result, {"next_step_id": "reconfigure_calls"})
    _assert_form(result, "reconfigure")
    result = await _submit(
        hass, result, {CONF_PRESET: "modem", CONF_ENTITY_ID: "sensor.modem_callerid"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_ENTITY_ID] == "sensor.modem_callerid"
    assert entry.options[CONF_CREDENTIALS] == TWILIO_INPUT


# --- the URL a provider can reach --------------------------------------------


async def test_public_url_prefers_https_then_says_why_not(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without Home Assistant's HTTP server settings there is only the path.
    api = hass.config.api
    monkeypatch.setattr(hass.config, "api", None)
    found = await async_public_webhook_url(hass, "hook")
    assert (found.url, found.reachable, found.why) == (
        "/api/webhook/hook",
        False,
        WHY_INTERNAL,
    )
    monkeypatch.setattr(hass.config, "api", api)
    await hass.config.async_update(internal_url="http://192.168.1.10:8123")
    found = await async_public_webhook_url(hass, "hook")
    assert (found.url, found.reachable, found.why) == (
        "http://192.168.1.10:8123/api/webhook/hook",
        False,
        WHY_INTERNAL,
    )
    await hass.config.async_update(external_url="http://home.example.org")
    found = await async_public_webhook_url(hass, "hook")
    assert (found.url, found.reachable, found.why) == (
        "http://home.example.org/api/webhook/hook",
        False,
        WHY_NOT_HTTPS,
    )
    await hass.config.async_update(external_url="https://home.example.org")
    found = await async_public_webhook_url(hass, "hook")
    assert (found.url, found.reachable, found.why, found.cloudhook) == (
        "https://home.example.org/api/webhook/hook",
        True,
        None,
        False,
    )
    for why in (WHY_INTERNAL, WHY_NOT_HTTPS):
        text = TRANSLATIONS["config"]["error"][why]
        assert "https" in text
        assert "Home Assistant Cloud" in text
        assert "Settings, System, Network" in text


async def test_public_url_takes_the_cloudhook_when_the_owner_has_cloud(
    hass: HomeAssistant, logged_in_cloud: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    found = await async_public_webhook_url(hass, "hook")
    assert (found.url, found.reachable, found.cloudhook) == (
        f"{CLOUDHOOK}hook",
        True,
        True,
    )
    assert logged_in_cloud == ["hook"]

    async def _not_connected(hass: HomeAssistant, webhook_id: str) -> str:
        raise cloud.CloudNotConnected

    monkeypatch.setattr(cloud, "async_get_or_create_cloudhook", _not_connected)
    found = await async_public_webhook_url(hass, "hook")
    assert found.url == "https://home.example.org/api/webhook/hook"

    monkeypatch.setattr(cloud, "async_active_subscription", lambda _hass: False)
    found = await async_public_webhook_url(hass, "hook")
    assert found.url == "https://home.example.org/api/webhook/hook"


async def test_twilio_webhook_step_offers_the_cloudhook_and_signs_with_it(
    hass: HomeAssistant, logged_in_cloud: list[str]
) -> None:
    result = await start_webhook(hass, "twilio")
    _assert_form(result, "webhook_twilio")
    assert result["last_step"] is False
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    webhook_id = flow["context"]["unique_id"]
    cloudhook = f"{CLOUDHOOK}{webhook_id[:4]}"
    assert result["description_placeholders"]["url"] == cloudhook

    result = await _submit(
        hass, result, {"auth_token": TWILIO_AUTH_TOKEN, "accept_unsigned": False}
    )
    _assert_form(result, "webhook_url_twilio")
    assert result["last_step"] is False
    assert result["description_placeholders"]["url"] == cloudhook
    result = await _submit(hass, result, {})
    result = await _submit(
        hass,
        result,
        {
            key: value
            for key, value in _texting("action").items()
            if key != CONF_TEXT_VOICEMAIL
        },
    )
    result = await _submit(
        hass,
        result,
        {"action": [{"action": "persistent_notification.create", "data": {}}]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Twilio signs the URL it calls: the source must check against this one.
    assert result["result"].data["public_url"] == cloudhook


async def test_webhook_steps_say_when_the_provider_cannot_reach_the_url(
    hass: HomeAssistant,
) -> None:
    await hass.config.async_update(internal_url="http://192.168.1.10:8123")
    result = await start_webhook(hass, "quo")
    _assert_form(result, "webhook_quo", {"base": WHY_INTERNAL})
    result = await _submit(
        hass, result, {"signing_key": QUO_SIGNING_KEY, "accept_unsigned": False}
    )
    _assert_form(result, "webhook_url_quo", {"base": WHY_INTERNAL})
    assert result["description_placeholders"]["url"].startswith(
        "http://192.168.1.10:8123/api/webhook/"
    )
    hass.config_entries.flow.async_abort(result["flow_id"])

    # ha-sip posts from the local network: its local URL is the right one.
    result = await start_webhook(hass, "ha_sip")
    _assert_form(result, "webhook_url_ha_sip")


# --- translations --------------------------------------------------------------


def test_every_sender_field_is_labelled_and_explained() -> None:
    forms = {
        "sender_twilio": TWILIO_FORM,
        "sender_telnyx": [
            "api_key",
            "from_number",
            "messaging_profile_id",
            "public_key",
        ],
        "sender_quo": ["api_key", "from_number", "signing_key"],
    }
    for flow in ("config", "options"):
        for step_id, fields in forms.items():
            step = TRANSLATIONS[flow]["step"][step_id]
            assert "{url}" in step["description"]
            assert set(step["data"]) == set(fields)
            assert set(step["data_description"]) == set(fields)
    reauth = TRANSLATIONS["config"]["step"]["reauth_sender"]
    assert {field for fields in forms.values() for field in fields} <= set(
        reauth["data"]
    )
    assert "{provider}" in reauth["description"]


def test_settings_of_a_notify_line_have_no_credentials() -> None:
    settings = LineSettings.from_options(
        {CONF_SENDER: "notify", CONF_CREDENTIALS: {"api_key": "left over"}},
        "Main line",
        "US",
    )
    assert settings.sender is SenderKind.NOTIFY
    assert settings.credentials == {}
    assert LineSettings.from_options({CONF_SENDER: "fax"}, "x", None).sender is (
        SenderKind.NOTIFY
    )


async def test_switching_provider_leaves_the_call_webhook_to_its_provider(
    hass: HomeAssistant, provider: ProviderServer
) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    result = await _webhook_line_to_sender(
        hass,
        "twilio",
        {"auth_token": TWILIO_AUTH_TOKEN, "accept_unsigned": False},
        "twilio",
    )
    result = await _submit(
        hass, result, {"account_sid": TWILIO_ACCOUNT_SID, "from_number": FROM_NUMBER}
    )
    entry = result["result"]
    assert entry.options[CONF_RECEIPT_WEBHOOK_ID] == entry.data["webhook_id"]

    # Telnyx's receipts cannot arrive on the webhook that checks Twilio's
    # signatures: the line gets a webhook of its own, and a URL for it.
    result = await _texting_options(hass, entry, "telnyx", text_voicemail=None)
    _assert_form(result, "sender_telnyx", flow="options")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"api_key": TELNYX_API_KEY, "from_number": FROM_NUMBER}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    receipts = entry.options[CONF_RECEIPT_WEBHOOK_ID]
    assert receipts != entry.data["webhook_id"]
    assert entry.options[CONF_RECEIPT_URL] == (
        f"https://home.example.org/api/webhook/{receipts}"
    )


def test_diagnostics_hide_the_credentials_and_the_receipt_webhook() -> None:
    shown = diagnostics._options(
        {
            CONF_SENDER: "twilio",
            CONF_CREDENTIALS: dict(TWILIO_INPUT),
            CONF_RECEIPT_WEBHOOK_ID: "receipts0123",
            CONF_RECEIPT_URL: "https://home.example.org/api/webhook/receipts0123",
        }
    )
    assert shown[CONF_SENDER] == "twilio"
    for key in (CONF_CREDENTIALS, CONF_RECEIPT_WEBHOOK_ID, CONF_RECEIPT_URL):
        assert shown[key] == "**REDACTED**"
