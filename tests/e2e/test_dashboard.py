"""The README's example dashboard (docs/dashboard.yaml), pasted into a real HA.

The test adds a line called "Main line" (the name the example is written for),
misses three calls on it through `report_missed_call`, lets one caller reply and
follows one up, then saves docs/dashboard.yaml as a new dashboard (what the Raw
configuration editor does: `lovelace/config/save`) and opens it in a browser.

It keeps to itself so the UI tests, which run after it and start from a fresh
instance, see no trace of it: a browser context of its own (theirs starts logged
out), and the line and the dashboard are removed at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
import re
from typing import Any

from playwright.sync_api import Page, Playwright, expect
import pytest
import yaml

from .conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    REPO,
    USER,
    HomeAssistant,
)

DASHBOARD = REPO / "docs" / "dashboard.yaml"
URL_PATH = "textback-example"
LINE = "Main line"
DOMAIN = "missed_call_textback"
# (number, caller name); the last caller's name is withheld.
CALLERS = [
    ("+14155550142", "Jordan Smith"),
    ("+13105550199", "Sam Lee"),
    ("+12125550188", None),
]
REPLY = "Water heater is leaking - can you come today?"
# What the cards show, as Home Assistant names the entities from translations/en.json.
ENTITY_NAMES = [
    "Business hours",
    "Text-back",
    "Text-back mode",
    "Missed calls today",
    "Texts sent today",
    "Awaiting follow-up",
    "Overdue follow-ups",
    "Resolve oldest follow-up",
    "Reply rate",
    "Followed up in time",
]
ENTITY_ID = re.compile(r"\b[a-z_]+\.main_line_[a-z0-9_]+\b")

DocImage = Callable[[Any, str], None]


def _create_line(home_assistant: HomeAssistant) -> str:
    """Walk the config flow through the REST API; return the entry id."""
    api = home_assistant.api
    answers = [
        {"next_step_id": "entity"},
        {
            "line_name": LINE,
            "business_name": "Acme Plumbing",
            "preset": "fritzbox",
            "entity_id": "sensor.demo_phone_line",
        },
        {
            "sender": "notify",
            "notify_service": "demo_sms",
            "cooldown_hours": 24,
            "text_voicemail": False,
            "country": "US",
        },
    ]
    status, step = api.request(
        "POST", "/api/config/config_entries/flow", json_body={"handler": DOMAIN}
    )
    assert status == HTTPStatus.OK, step
    for answer in answers:
        status, step = api.request(
            "POST",
            f"/api/config/config_entries/flow/{step['flow_id']}",
            json_body=answer,
        )
        assert status == HTTPStatus.OK, step
        assert not step.get("errors"), step
    assert step["type"] == "create_entry", step
    return str(step["result"]["entry_id"])


@pytest.fixture(scope="module")
def main_line(home_assistant: HomeAssistant) -> Iterator[str]:
    """A line named "Main line" with three missed calls, a reply and a follow-up."""
    entry_id = _create_line(home_assistant)
    try:
        for number, name in CALLERS:
            data: dict[str, str] = {"config_entry_id": entry_id, "number": number}
            if name:
                data["caller_name"] = name
            home_assistant.call_service(DOMAIN, "report_missed_call", **data)
            home_assistant.wait_for_text(number)
        home_assistant.call_service(
            DOMAIN, "handle_reply", number=CALLERS[0][0], text=REPLY
        )
        home_assistant.call_service(DOMAIN, "resolve_lead", number=CALLERS[2][0])
        yield entry_id
    finally:
        status, body = home_assistant.api.request(
            "DELETE", f"/api/config/config_entries/entry/{entry_id}"
        )
        assert status == HTTPStatus.OK, body


@pytest.fixture(scope="module")
def own_page(playwright: Playwright, home_assistant: HomeAssistant) -> Iterator[Page]:
    """A logged-in tab in a browser context of its own (light theme, English)."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    context = browser.new_context(
        viewport={"width": 1440, "height": 1040},
        device_scale_factor=1,
        color_scheme="light",
        locale="en-US",
        timezone_id="America/Los_Angeles",
        base_url=home_assistant.url,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_label("Username").fill(USER)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/(lovelace|home)\b"))
        yield page
    except BaseException:
        page.screenshot(path=ARTIFACTS / "FAILED-dashboard.png")
        raise
    finally:
        context.close()
        browser.close()


@pytest.fixture(scope="module")
def dashboard(own_page: Page) -> Iterator[dict[str, Any]]:
    """docs/dashboard.yaml saved as a new dashboard, as the raw editor saves it."""
    config = yaml.safe_load(DASHBOARD.read_text(encoding="utf-8"))
    own_page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.connected"
    )
    created = own_page.evaluate(
        """async ([urlPath, config]) => {
            const hass = document.querySelector("home-assistant").hass;
            const item = await hass.callWS({
                type: "lovelace/dashboards/create",
                url_path: urlPath,
                title: config.title,
                icon: "mdi:phone-missed",
                mode: "storage",
            });
            await hass.callWS(
                {type: "lovelace/config/save", url_path: urlPath, config}
            );
            return item;
        }""",
        [URL_PATH, config],
    )
    try:
        yield config
    finally:
        own_page.evaluate(
            """async (id) => document.querySelector("home-assistant").hass.callWS(
                {type: "lovelace/dashboards/delete", dashboard_id: id})""",
            created["id"],
        )


@pytest.mark.usefixtures("main_line")
def test_the_example_dashboard_names_only_entities_the_line_has(
    home_assistant: HomeAssistant,
) -> None:
    status, states = home_assistant.api.request("GET", "/api/states")
    assert status == HTTPStatus.OK
    existing = {state["entity_id"] for state in states}

    named = set(ENTITY_ID.findall(DASHBOARD.read_text(encoding="utf-8")))

    assert len(named) >= 12
    assert named - existing == set()
    for entity_id in named:
        state = next(state for state in states if state["entity_id"] == entity_id)
        assert state["state"] != "unavailable", entity_id
        # A button's state is when it was last pressed: unknown until then.
        if not entity_id.startswith("button."):
            assert state["state"] != "unknown", entity_id
        assert state["attributes"]["friendly_name"].startswith(f"{LINE} "), state


@pytest.mark.usefixtures("main_line")
def test_the_example_dashboard_shows_the_line(
    home_assistant: HomeAssistant,
    own_page: Page,
    dashboard: dict[str, Any],
    doc_image: DocImage,
) -> None:
    page = own_page
    page.goto(f"/{URL_PATH}/{dashboard['views'][0]['path']}")
    view = page.locator("hui-sections-view")
    expect(view).to_be_visible()

    for name in ENTITY_NAMES:
        expect(view.get_by_text(f"{LINE} {name}", exact=True).first).to_be_visible()
    # Translated states: the mode select and the opening binary sensor.
    expect(view.get_by_text("Always", exact=True).first).to_be_visible()
    expect(view.get_by_text("Open", exact=True).first).to_be_visible()

    # The follow-up list: both open leads, the reply, the number as a phone link.
    leads = view.locator("hui-markdown-card")
    expect(leads).to_contain_text("Jordan Smith")
    expect(leads).to_contain_text("Sam Lee")
    expect(leads).to_contain_text(REPLY)
    expect(leads).not_to_contain_text(CALLERS[2][0])  # followed up: off the list
    expect(leads.locator(f'a[href="tel:{CALLERS[0][0]}"]')).to_be_visible()

    tiles = view.locator("hui-tile-card")
    expect(tiles.filter(has_text=f"{LINE} Awaiting follow-up").first).to_contain_text(
        "2"
    )
    expect(tiles.filter(has_text=f"{LINE} Reply rate").first).to_contain_text("33.3")
    expect(view.locator("hui-history-graph-card")).to_be_visible()
    # The Call entity's changes: HA 2025.4 names the entity (the readable
    # descriptions are not tied to it); 2026.10 shows the events' descriptions.
    logbook = view.locator("hui-logbook-card")
    if home_assistant.newest:
        expect(logbook).to_contain_text(f"missed a call from {CALLERS[1][1]}")
    else:
        expect(logbook).to_contain_text(f"{LINE} Call")

    for broken in ("Entity not available", "Translation error", "Unknown"):
        expect(view.get_by_text(broken)).to_have_count(0)
    expect(page.locator("hui-error-card")).to_have_count(0)

    page.wait_for_timeout(1500)  # let the charts finish drawing
    page.screenshot(path=ARTIFACTS / "dashboard-full.png", full_page=True)
    doc_image(page.locator("ha-panel-lovelace"), "dashboard")

    # The button's tile follows up the most urgent lead: Jordan Smith's.
    tiles.filter(has_text=f"{LINE} Resolve oldest follow-up").first.click()
    expect(leads).not_to_contain_text("Jordan Smith")
    expect(leads).to_contain_text("Sam Lee")
    expect(tiles.filter(has_text=f"{LINE} Awaiting follow-up").first).to_contain_text(
        "1"
    )
