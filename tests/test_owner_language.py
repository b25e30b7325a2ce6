"""The owner's language and the callers': notes, presets and answers, in a real HA.

Home Assistant runs in German here. The owner's notes go through a real legacy
notify service (Home Assistant's notify integration with a platform whose
phone is the far edge); texts to callers go to the SMS service of conftest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant import config_entries
from homeassistant.components.notify import BaseNotificationService
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, translation
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockPlatform,
    mock_platform,
)

from custom_components.missed_call_textback.const import (
    CONF_AFTER_HOURS_MESSAGE,
    CONF_BOOKING_LINK,
    CONF_BUSINESS_NAME,
    CONF_CLOSED_DATES,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_ENTITY_ID,
    CONF_FOLLOW_UP_NOTIFY,
    CONF_HELP_MESSAGE,
    CONF_HOLIDAY_COUNTRY,
    CONF_HOLIDAY_SUBDIVISION,
    CONF_HOURS_SOURCE,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MESSAGE_LANGUAGE,
    CONF_MESSAGE_PRESET,
    CONF_NOTIFY_SERVICE,
    CONF_PRESET,
    CONF_RESPONSE_MINUTES,
    CONF_RESPONSE_WINDOW,
    CONF_SENDER,
    CONF_SERVICE_AREA,
    CONF_STOP_MESSAGE,
    CONF_TRADE,
    CONF_WEEKDAYS,
    DOMAIN,
)
from custom_components.missed_call_textback.follow_ups import ENGLISH_NOTES, fill
from custom_components.missed_call_textback.presets import TEXTS

from .conftest import FRITZ_ENTITY, SMS_SERVICE
from .line_helpers import (
    async_add_idle_line,
    async_miss_call,
    async_move_to,
    idle,
    ring,
)

TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations"
NOW = datetime(2026, 11, 26, 15, 0, 0, tzinfo=UTC)  # Thursday, 10:00 in New York
DUE = NOW + timedelta(hours=1)
CALLER = "+16502530000"
OWNER_PHONE = "owner_phone"


def _notes(language: str) -> dict[str, str]:
    """Return the owner's notes as a translation file has them."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    return dict(strings["common"])


GERMAN = _notes("de")


class _OwnerPhone(BaseNotificationService):
    """What a legacy notify platform delivers to: the owner's phone."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        self.received.append({"message": message, "title": kwargs.get("title")})


class _PhonePlatform(MockPlatform):
    """A legacy notify platform module, as a phone integration would have."""

    def __init__(self, phone: _OwnerPhone) -> None:
        super().__init__()
        self._phone = phone

    async def async_get_service(self, *_: Any) -> _OwnerPhone:
        """Return the service (called with hass, config, discovery_info)."""
        return self._phone


@pytest.fixture(autouse=True)
async def german_home(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Run Home Assistant in German, the clock frozen on a Thursday morning."""
    freezer.move_to(NOW)
    await hass.config.async_update(language="de")


@pytest.fixture
async def owner_phone(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Set up notify.owner_phone through Home Assistant's notify integration."""
    phone = _OwnerPhone()
    mock_platform(hass, "owner_test.notify", _PhonePlatform(phone))
    assert await async_setup_component(
        hass, "notify", {"notify": [{"platform": "owner_test", "name": OWNER_PHONE}]}
    )
    await hass.async_block_till_done()
    assert hass.services.has_service("notify", OWNER_PHONE)
    return phone.received


async def _owners_line(
    hass: HomeAssistant, entry_data: dict[str, Any], entry_options: dict[str, Any]
) -> MockConfigEntry:
    return await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_FOLLOW_UP_NOTIFY: OWNER_PHONE}
    )


async def _reply(hass: HomeAssistant, text: str) -> None:
    await hass.services.async_call(
        DOMAIN, "handle_reply", {"number": CALLER, "text": text}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


def _text_entity(hass: HomeAssistant, entry_id: str, key: str) -> str:
    """Return the state of a message entity (its id is in the owner's language)."""
    (found,) = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        if entity.domain == "text" and entity.translation_key == key
    ]
    state = hass.states.get(found)
    assert state is not None
    return state.state


def _default(result: FlowResult, name: str) -> Any:
    marker = next(m for m in result["data_schema"].schema if str(m) == name)
    return marker.default()


async def _options_step(
    hass: HomeAssistant, entry: MockConfigEntry, step: str
) -> FlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    return result


# --- the owner's notes -------------------------------------------------------------


async def test_a_forwarded_reply_and_the_reminder_reach_a_german_owner_in_german(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_phone: list[dict[str, Any]],
) -> None:
    await _owners_line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000", "Jordan")

    await _reply(hass, "Der Wasserhahn tropft, {line} heute?")
    await async_move_to(hass, freezer, DUE - timedelta(minutes=10))

    caller = f"Jordan ({CALLER})"
    # A caller's braces stay as written: the values go in in one pass.
    text = "Der Wasserhahn tropft, {line} heute?"
    assert owner_phone == [
        {
            "message": fill(
                GERMAN["reply_forwarded"],
                {"caller": caller, "line": "Main line", "text": text},
            ),
            "title": "Main line",
        },
        {
            "message": fill(
                GERMAN["follow_up_reminder_replied"],
                {"caller": caller, "due": "11:00", "line": "Main line", "reply": text},
            ),
            "title": "Main line",
        },
    ]
    assert GERMAN["reply_forwarded"] != ENGLISH_NOTES["reply_forwarded"]
    assert owner_phone[0]["message"].startswith("Antwort von Jordan")


async def test_a_reminder_without_a_reply_and_an_opt_out_are_in_german(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_phone: list[dict[str, Any]],
) -> None:
    await _owners_line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")

    await async_move_to(hass, freezer, DUE - timedelta(minutes=10))
    await _reply(hass, "Please stop texting me")

    assert [note["message"] for note in owner_phone] == [
        fill(
            GERMAN["follow_up_reminder"],
            {"caller": CALLER, "due": "11:00", "line": "Main line"},
        ),
        fill(
            GERMAN["reply_forwarded_opt_out"],
            {"caller": CALLER, "line": "Main line", "text": "Please stop texting me"},
        ),
    ]


async def test_an_owner_in_a_language_without_translations_reads_english(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_phone: list[dict[str, Any]],
) -> None:
    await hass.config.async_update(language="nl")
    await _owners_line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")

    await async_move_to(hass, freezer, DUE - timedelta(minutes=10))

    assert [note["message"] for note in owner_phone] == [
        f"Follow up with {CALLER} by 11:00 (Main line)."
    ]


async def test_a_translation_file_that_cannot_be_read_leaves_the_notes_english(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    owner_phone: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _owners_line(hass, entry_data, entry_options)
    await async_miss_call(hass, "6502530000")
    real_load_json = translation.load_json

    def _load_json(path: Path, *args: Any, **kwargs: Any) -> Any:
        # The far edge: the disk gives back a French file that is not JSON.
        if Path(path) == TRANSLATIONS / "fr.json":
            raise HomeAssistantError(f"Error while parsing {path}")
        return real_load_json(path, *args, **kwargs)

    with patch.object(translation, "load_json", _load_json):
        await hass.config.async_update(language="fr")
        await async_move_to(hass, freezer, DUE - timedelta(minutes=10))

    assert [note["message"] for note in owner_phone] == [
        f"Follow up with {CALLER} by 11:00 (Main line)."
    ]
    assert "Could not load the fr notes" in caplog.text


def test_the_built_in_english_notes_are_en_json_s() -> None:
    # Used when no translation loads: they must not drift from en.json.
    assert _notes("en") == ENGLISH_NOTES


# --- the callers' language -----------------------------------------------------


async def test_a_line_created_with_language_auto_gets_the_german_preset(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sms_calls: list[ServiceCall]
) -> None:
    german = TEXTS["de"]
    hass.states.async_set(FRITZ_ENTITY, "idle", {})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "entity"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_PRESET: "fritzbox",
            CONF_ENTITY_ID: FRITZ_ENTITY,
        },
    )
    assert result["step_id"] == "texting"
    assert _default(result, CONF_MESSAGE) == german.general.message

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: SMS_SERVICE,
            CONF_MESSAGE: _default(result, CONF_MESSAGE),
            CONF_COOLDOWN_HOURS: 24,
            CONF_COUNTRY: "US",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = result["result"]
    assert CONF_MESSAGE_LANGUAGE not in entry.options

    # What the owner did not write follows Home Assistant's language too.
    assert _text_entity(hass, entry.entry_id, "message") == german.general.message
    assert (
        _text_entity(hass, entry.entry_id, "after_hours_message")
        == german.general.after_hours
    )
    # A new FRITZ!Box line skips rings shorter than 2 s.
    ring(hass, "6502530000")
    await hass.async_block_till_done()
    freezer.tick(5)
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await _reply(hass, "HELP")
    assert [call.data["message"] for call in sms_calls] == [
        (
            "Hallo, Sie haben gerade bei Acme Plumbing angerufen. Wir sind wohl bei "
            "einem Kunden. Wie können wir helfen? Wir melden uns innerhalb einer "
            "Stunde."
        ),
        german.help_message.replace("{{ business_name }}", "Acme Plumbing"),
    ]
    replies = await _options_step(hass, entry, "replies")
    assert _default(replies, CONF_STOP_MESSAGE) == german.stop_message
    assert _default(replies, CONF_HELP_MESSAGE) == german.help_message
    messages = await _options_step(hass, entry, "messages")
    assert _default(messages, CONF_MESSAGE_LANGUAGE) == "auto"
    assert _default(messages, CONF_RESPONSE_WINDOW) == german.response_window


async def test_choosing_spanish_in_the_options_flow_gives_spanish(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    spanish = TEXTS["es"]
    entry = await async_add_idle_line(
        hass,
        entry_data,
        entry_options,
        **{
            CONF_HOURS_SOURCE: "weekly",
            **dict.fromkeys(CONF_WEEKDAYS[:5], "08:00-17:00"),
            CONF_HOLIDAY_COUNTRY: "",
            CONF_HOLIDAY_SUBDIVISION: "",
            CONF_CLOSED_DATES: "",
        },
    )
    result = await _options_step(hass, entry, "messages")
    # Shown in Home Assistant's language until the owner picks another.
    assert _default(result, CONF_RESPONSE_WINDOW) == TEXTS["de"].response_window

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_MESSAGE_PRESET: "contractor",
            CONF_MESSAGE_LANGUAGE: "es",
            CONF_BOOKING_LINK: "",
            CONF_TRADE: "plomería",
            CONF_SERVICE_AREA: "Houston",
            # The window as the form suggested it, in German: it follows along.
            CONF_RESPONSE_WINDOW: TEXTS["de"].response_window,
            CONF_RESPONSE_MINUTES: 60,
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    contractor = spanish.presets["contractor"]
    assert entry.options[CONF_MESSAGE_LANGUAGE] == "es"
    assert entry.options[CONF_MESSAGE] == contractor.message
    assert entry.options[CONF_AFTER_HOURS_MESSAGE] == contractor.after_hours
    assert entry.options[CONF_RESPONSE_WINDOW] == spanish.response_window
    await async_miss_call(hass, "6502530000")
    # Saturday morning: closed, and the next opening is said in Spanish too.
    await async_move_to(hass, freezer, datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
    await async_miss_call(hass, "4155550123")
    await _reply(hass, "HELP")
    assert [call.data["message"] for call in sms_calls] == [
        (
            "Hola, acaba de llamar a Acme Plumbing. Seguramente estamos en un "
            "trabajo de plomería en Houston. ¿En qué le podemos ayudar? Le "
            "respondemos en menos de una hora."
        ),
        (
            "Gracias por llamar a Acme Plumbing. ¿En qué le podemos ayudar? Ahora "
            "estamos cerrados, pero el lunes a las 8:00 a. m. volvemos a los "
            "trabajos de plomería en Houston y le respondemos."
        ),
        spanish.help_message.replace("{{ business_name }}", "Acme Plumbing"),
    ]
    replies = await _options_step(hass, entry, "replies")
    assert _default(replies, CONF_STOP_MESSAGE) == spanish.stop_message
    messages = await _options_step(hass, entry, "messages")
    assert _default(messages, CONF_MESSAGE_LANGUAGE) == "es"
