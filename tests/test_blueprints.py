"""The automation blueprints, loaded and run in a real Home Assistant.

Each blueprint is read by Home Assistant's own blueprint loader from a config
folder of the test's own (as an owner's import leaves it), used by an automation
through `use_blueprint`, and driven by the integration's real events: a missed
call on the FRITZ!Box stand-in, a reply through `handle_reply`, a reminder that
comes due as the frozen clock moves. Only the owner's phone is a stand-in (a
mocked notify action): it is the far edge.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.missed_call_textback.const import DOMAIN

from .line_helpers import async_miss_call

BLUEPRINTS = Path(__file__).parents[1] / "blueprints" / "automation" / DOMAIN
SOURCE = (
    "https://github.com/missed-call-textback/missed_call_textback/blob/main/"
    f"blueprints/automation/{DOMAIN}/"
)
NAMES = (
    "notify_missed_call.yaml",
    "forward_replies.yaml",
    "follow_up_reminder.yaml",
    "after_hours_when_home.yaml",
)
OWNER_PHONE = "notify.owner_phone"
CALLER = "+16502530000"
MODE = "select.main_line_text_back_mode"
PERSON = "person.alex"
NOW = datetime(2026, 11, 26, 15, 0, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture
def blueprint_folder(
    hass: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Give Home Assistant a config folder holding the blueprints, as imported.

    The blueprint loader reads `<config>/blueprints/automation/<path>`; the test
    instance's config folder is shared by every test run, so it moves to tmp_path.
    """
    folder = tmp_path / "blueprints" / "automation" / DOMAIN
    shutil.copytree(BLUEPRINTS, folder)
    monkeypatch.setattr(hass.config, "config_dir", str(tmp_path))
    return folder


@pytest.fixture
def owner_phone(hass: HomeAssistant) -> list[ServiceCall]:
    """Record what reaches the owner's phone (a mobile app's notify action)."""
    return async_mock_service(hass, "notify", "owner_phone")


async def _use(hass: HomeAssistant, blueprint: str, **inputs: Any) -> None:
    """Set up one automation from a blueprint and check that it is on."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "from_blueprint",
                    "alias": "From blueprint",
                    "use_blueprint": {"path": f"{DOMAIN}/{blueprint}", "input": inputs},
                }
            ]
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.from_blueprint")
    assert state is not None
    assert state.state == "on"


def _mode(hass: HomeAssistant) -> str:
    state = hass.states.get(MODE)
    assert state is not None
    return state.state


def _sent(calls: list[ServiceCall]) -> list[dict[str, Any]]:
    return [dict(call.data) for call in calls]


async def _miss_call(hass: HomeAssistant, number: str, name: str = "unknown") -> None:
    await async_miss_call(hass, number, name)
    # The automation's action runs after the missed_call event the line fires
    # last; one more turn lets it finish.
    await hass.async_block_till_done()


async def _reply(hass: HomeAssistant, number: str, text: str) -> None:
    await hass.services.async_call(
        DOMAIN, "handle_reply", {"number": number, "text": text}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


def test_the_four_blueprints_are_there() -> None:
    assert sorted(path.name for path in BLUEPRINTS.glob("*.yaml")) == sorted(NAMES)


@pytest.mark.usefixtures("blueprint_folder")
@pytest.mark.parametrize("name", NAMES)
async def test_blueprint_loads_and_imports_from_its_own_url(
    hass: HomeAssistant, name: str
) -> None:
    blueprint = await async_get_blueprints(hass).async_get_blueprint(f"{DOMAIN}/{name}")

    assert blueprint.domain == "automation"
    assert blueprint.validate() is None  # min_version met on this Home Assistant
    assert blueprint.metadata["source_url"] == SOURCE + name
    assert blueprint.inputs
    for key, spec in blueprint.inputs.items():
        assert spec.get("name"), key
        assert spec.get("selector"), key


# --- notify me of a missed call ----------------------------------------------------


@pytest.mark.usefixtures("blueprint_folder")
async def test_a_missed_call_reaches_the_owner_with_the_caller_and_the_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    owner_phone: list[ServiceCall],
) -> None:
    await _use(
        hass,
        "notify_missed_call.yaml",
        notify_action=OWNER_PHONE,
        line=init_integration.entry_id,
    )

    await _miss_call(hass, "6502530000", "Jordan Smith")

    assert _sent(owner_phone) == [
        {
            "title": "Missed call",
            "message": f"Missed call from Jordan Smith ({CALLER}) on Main line.",
        }
    ]


@pytest.mark.usefixtures("blueprint_folder", "init_integration")
async def test_a_caller_without_a_name_is_named_by_number_not_as_an_integer(
    hass: HomeAssistant, owner_phone: list[ServiceCall]
) -> None:
    await _use(hass, "notify_missed_call.yaml", notify_action=OWNER_PHONE)

    await _miss_call(hass, "6502530000")

    assert [call.data["message"] for call in owner_phone] == [
        f"Missed call from {CALLER} on Main line."
    ]


@pytest.mark.usefixtures("blueprint_folder", "init_integration")
async def test_a_missed_call_on_another_line_is_not_notified(
    hass: HomeAssistant, owner_phone: list[ServiceCall]
) -> None:
    await _use(
        hass,
        "notify_missed_call.yaml",
        notify_action=OWNER_PHONE,
        line="01JOTHERLINE000000000000000",
    )

    await _miss_call(hass, "6502530000", "Jordan Smith")

    assert owner_phone == []


# --- forward replies to my phone ---------------------------------------------------


@pytest.mark.usefixtures("blueprint_folder", "init_integration")
async def test_a_reply_is_forwarded_with_the_number_and_the_text(
    hass: HomeAssistant, owner_phone: list[ServiceCall]
) -> None:
    await _use(hass, "forward_replies.yaml", notify_action=OWNER_PHONE)
    await _miss_call(hass, "6502530000", "Jordan Smith")

    await _reply(hass, CALLER, "Leaking tap, any time after 3")

    assert _sent(owner_phone) == [
        {
            "title": "Reply on Main line",
            "message": (
                f'Reply from Jordan Smith ({CALLER}): "Leaking tap, any time after 3"'
            ),
        }
    ]


@pytest.mark.usefixtures("blueprint_folder", "init_integration")
async def test_keyword_replies_are_left_out_when_the_owner_says_so(
    hass: HomeAssistant, owner_phone: list[ServiceCall]
) -> None:
    await _use(
        hass,
        "forward_replies.yaml",
        notify_action=OWNER_PHONE,
        include_keywords=False,
    )
    await _miss_call(hass, "6502530000", "Jordan Smith")

    await _reply(hass, CALLER, "HELP")
    await _reply(hass, CALLER, "Is Monday fine?")
    await _reply(hass, CALLER, "STOP")

    assert [call.data["message"] for call in owner_phone] == [
        f'Reply from Jordan Smith ({CALLER}): "Is Monday fine?"'
    ]


# --- remind me before the follow-up deadline ---------------------------------------


@pytest.mark.usefixtures("blueprint_folder", "init_integration")
async def test_the_reminder_names_the_caller_the_deadline_and_the_replies(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    owner_phone: list[ServiceCall],
) -> None:
    freezer.move_to(NOW)
    await _use(hass, "follow_up_reminder.yaml", notify_action=OWNER_PHONE)
    await _miss_call(hass, "6502530000", "Jordan Smith")
    await _reply(hass, CALLER, "Kitchen sink, today please")

    # The line reminds 10 minutes before its promise of 60 minutes.
    freezer.move_to(NOW + timedelta(minutes=49))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert owner_phone == []

    freezer.move_to(NOW + timedelta(minutes=50))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _sent(owner_phone) == [
        {
            "title": "Follow up by 11:00",
            "message": (
                f"Call back Jordan Smith ({CALLER}) by 11:00 (Main line)."
                ' They replied: "Kitchen sink, today please"'
            ),
        }
    ]


@pytest.mark.usefixtures("blueprint_folder", "init_integration")
async def test_a_caller_called_back_before_the_reminder_is_not_reminded_of(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    owner_phone: list[ServiceCall],
) -> None:
    freezer.move_to(NOW)
    await _use(hass, "follow_up_reminder.yaml", notify_action=OWNER_PHONE)
    await _miss_call(hass, "6502530000", "Jordan Smith")
    await hass.services.async_call(
        DOMAIN, "resolve_lead", {"number": CALLER}, blocking=True
    )

    freezer.move_to(NOW + timedelta(minutes=50))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert owner_phone == []


# --- after-hours mode when I get home ----------------------------------------------


@pytest.mark.usefixtures("blueprint_folder", "init_integration")
async def test_coming_home_switches_to_after_hours_and_leaving_back_to_always(
    hass: HomeAssistant,
) -> None:
    hass.states.async_set(PERSON, "not_home")
    await _use(hass, "after_hours_when_home.yaml", person=PERSON, mode_select=[MODE])
    assert _mode(hass) == "always"

    hass.states.async_set(PERSON, "home")
    await hass.async_block_till_done()
    assert _mode(hass) == "after_hours"

    hass.states.async_set(PERSON, "Work")
    await hass.async_block_till_done()
    assert _mode(hass) == "always"


@pytest.mark.usefixtures("blueprint_folder", "init_integration")
async def test_leaving_can_keep_the_mode_and_a_restart_changes_nothing(
    hass: HomeAssistant,
) -> None:
    hass.states.async_set(PERSON, "not_home")
    await _use(
        hass,
        "after_hours_when_home.yaml",
        person=PERSON,
        mode_select=[MODE],
        when_leaving="keep",
    )
    hass.states.async_set(PERSON, "home")
    await hass.async_block_till_done()
    await hass.services.async_call(
        "select", "select_option", {"entity_id": MODE, "option": "off"}, blocking=True
    )

    # Unavailable and back (a restart of the tracker) is neither leaving nor coming.
    for state in ("unavailable", "home", "not_home"):
        hass.states.async_set(PERSON, state)
        await hass.async_block_till_done()

    assert _mode(hass) == "off"
