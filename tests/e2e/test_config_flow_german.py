"""The config flow with the frontend in German, as a German-speaking owner sees it.

A browser context of its own whose language is German (de-DE: the frontend follows
the browser's language when the user has not picked one, so the other tests' user
settings stay untouched) adds a line through the UI. Every step must show the
strings of translations/de.json: never a raw translation key, never the frontend's
"Translation error", never English where de.json says something else (the frontend
falls back to English for a key de.json lacks), never a bare field name.
The line is removed at the end, so the English tests that follow start clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
import json
import re
from typing import Any

from playwright.sync_api import Locator, Page, Playwright, expect
import pytest

from .conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    FIRST_FLOW_TIMEOUT,
    PASSWORD,
    REPO,
    USER,
    HomeAssistant,
    dialog_surface,
    expect_entry_created,
    finish_flow,
    flow_dialog,
    pick_entity,
    picked_value,
    submit_flow,
)

DOMAIN = "missed_call_textback"
TRANSLATIONS = REPO / "custom_components" / DOMAIN / "translations"
LINE = "Empfang"
BUSINESS = "Sanitär Schmidt"
# What the frontend shows instead of a string it cannot find or format.
BROKEN = re.compile(
    r"Translation error|Übersetzungsfehler|component\.[a-z_]+\.|"
    r"\b(config|options|selector)\.(step|error|abort|[a-z_]+\.options)\b|"
    r"\bui\.(panel|dialogs|components|common)\."
)

DocImage = Callable[[Any, str], None]


def _strings(language: str) -> dict[str, Any]:
    strings: dict[str, Any] = json.loads(
        (TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")
    )
    return strings


def _fragment(text: str) -> str:
    """The longest run of `text` the frontend shows as it is (no markdown, no {x})."""
    runs = re.split(r"[{}\[\]*_`<>\n]", text)
    return max((run.strip() for run in runs), key=len)


def _expect_step_in_german(
    flow: Locator, step_id: str, fields: list[str], options: Sequence[str] = ()
) -> None:
    """The step's German title, description, field labels and help are shown.

    `fields` are the fields the step shows (its schema may hide others);
    `options` are (selector, value) pairs written "selector.value" whose German
    labels are shown.
    """
    german = _strings("de")["config"]["step"].get(step_id, {})
    english = _strings("en")["config"]["step"][step_id]
    missing = [] if "title" in german else ["title"]
    missing += [
        f"data.{field}" for field in fields if field not in german.get("data", {})
    ]
    missing += [
        f"data_description.{field}"
        for field in english.get("data_description", {})
        if field in fields and field not in german.get("data_description", {})
    ]
    assert not missing, f"de.json lacks config.step.{step_id}: {missing}"
    expect(flow.get_by_text(german["title"], exact=True).first).to_be_visible()
    shown = [("description", german.get("description"), english.get("description"))]
    shown += [
        (f"help of {field}", german["data_description"][field], english_help)
        for field in fields
        if (english_help := english.get("data_description", {}).get(field))
    ]
    for what, text, english_text in shown:
        if text is None:
            continue
        expect(flow.get_by_text(_fragment(text)).first, what).to_be_visible()
        if english_text and english_text != text:
            expect(flow.get_by_text(_fragment(english_text)), what).to_have_count(0)
    for field in fields:
        label = german["data"][field]
        expect(flow.get_by_text(label).first, field).to_be_visible()
        # No label at all: the frontend shows the field's key.
        expect(flow.get_by_text(re.compile(rf"^{field}\*?$")), field).to_have_count(0)
        english_label = english["data"][field]
        if english_label != label:
            expect(
                flow.get_by_text(re.compile(rf"^{re.escape(english_label)}\*?$")), field
            ).to_have_count(0)
    selectors = _strings("de")["selector"]
    for option in options:
        selector, value = option.split(".")
        label = selectors[selector]["options"][value]
        expect(flow.get_by_text(label, exact=True).first, option).to_be_visible()
    expect(flow.get_by_text(BROKEN)).to_have_count(0)


@pytest.fixture(scope="module")
def german_page(
    playwright: Playwright, home_assistant: HomeAssistant
) -> Iterator[Page]:
    """A logged-in tab in a German browser context of its own."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        device_scale_factor=1,
        color_scheme="light",
        locale="de-DE",
        timezone_id="Europe/Berlin",
        base_url=home_assistant.url,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto("/")
        # The login page speaks German too.
        page.get_by_label("Benutzername").fill(USER)
        page.get_by_role("textbox", name="Passwort").fill(PASSWORD)
        page.get_by_role(
            "button", name=re.compile("^(anmelden|anmeldung)$", re.IGNORECASE)
        ).click()
        page.wait_for_url(re.compile(r"/(lovelace|home)\b"))
        yield page
    except BaseException:
        page.screenshot(path=ARTIFACTS / "FAILED-german-login.png")
        raise
    finally:
        context.close()
        browser.close()


@pytest.fixture
def removes_the_german_line(home_assistant: HomeAssistant) -> Iterator[None]:
    """Delete the line this test adds, so the English tests start without it."""
    yield
    _, entries = home_assistant.api.request(
        "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
    )
    for entry in entries:
        if entry["title"] == LINE:
            status, body = home_assistant.api.request(
                "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
            )
            assert status == HTTPStatus.OK, body


@pytest.mark.usefixtures("removes_the_german_line")
def test_the_config_flow_speaks_german(
    german_page: Page, home_assistant: HomeAssistant, doc_image: DocImage
) -> None:
    page = german_page
    language = page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.language"
    ).json_value()
    assert language == "de"
    german = _strings("de")
    menu = german["config"]["step"]["user"]["menu_options"]

    page.goto("/config/integrations/dashboard")
    page.get_by_role("button", name="Integration hinzufügen").click()
    page.locator("dialog-add-integration input").fill("Missed Call Text-Back")
    page.locator("ha-integration-list-item").filter(
        has_text="Missed Call Text-Back"
    ).click()

    flow = flow_dialog(page)
    expect(
        flow.get_by_text(german["config"]["step"]["user"]["title"], exact=True)
    ).to_be_visible(timeout=FIRST_FLOW_TIMEOUT)
    for option in menu.values():
        expect(flow.get_by_text(option).first).to_be_visible()
    for option in _strings("en")["config"]["step"]["user"]["menu_options"].values():
        expect(flow.get_by_text(option)).to_have_count(0)
    expect(flow.get_by_text(BROKEN)).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "german-01-menu.png")
    flow.get_by_text(menu["entity"]).click()

    entity = german["config"]["step"]["entity"]
    expect(flow.get_by_text(entity["title"], exact=True)).to_be_visible()
    flow.get_by_role(
        "textbox", name=re.compile(f"^{re.escape(entity['data']['line_name'])}")
    ).fill(LINE)
    flow.get_by_role(
        "textbox", name=re.compile(f"^{re.escape(entity['data']['business_name'])}")
    ).fill(BUSINESS)
    flow.get_by_role(
        "radio", name=german["selector"]["preset"]["options"]["fritzbox"]
    ).check()
    pick_entity(
        page,
        flow,
        entity["data"]["entity_id"],
        "demo_phone_line",
        "Demo phone line",
    )
    _expect_step_in_german(
        flow,
        "entity",
        ["line_name", "business_name", "preset", "entity_id"],
        ["preset.fritzbox", "preset.modem", "preset.generic"],
    )
    page.screenshot(path=ARTIFACTS / "german-02-entity.png")
    doc_image(dialog_surface(flow), "config-flow-line-de")
    submit_flow(flow)

    texting = german["config"]["step"]["texting"]
    expect(flow.get_by_text(texting["title"], exact=True)).to_be_visible()
    expect(
        flow.get_by_role(
            "radio", name=german["selector"]["sender"]["options"]["notify"]
        )
    ).to_be_checked()
    expect(picked_value(flow, texting["data"]["notify_service"])).to_contain_text(
        "demo_sms"
    )
    _expect_step_in_german(
        flow,
        "texting",
        ["sender", "notify_service", "message", "cooldown_hours", "country"],
        ["sender.notify", "sender.action"],
    )
    page.screenshot(path=ARTIFACTS / "german-03-texting.png")
    submit_flow(flow)

    expect_entry_created(flow, LINE, f"Konfiguration für {LINE} erstellt")
    expect(flow.get_by_text(BROKEN)).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "german-04-done.png")
    finish_flow(flow)

    status, entries = home_assistant.api.request(
        "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
    )
    assert status == HTTPStatus.OK
    assert (LINE, "loaded") in [(entry["title"], entry["state"]) for entry in entries]
