"""Set up and use Missed Call Text-Back the way an owner does: through HA's UI.

The tests run in file order against one Home Assistant and one browser tab; each
builds on the previous one (log in, add the line, look at it, miss calls, change
the message). Every step saves a screenshot into tests/e2e/artifacts/.
"""

from __future__ import annotations

from collections.abc import Callable
import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from .conftest import (
    FIRST_FLOW_TIMEOUT,
    PASSWORD,
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

LINE = "Front desk"
BUSINESS = "Acme Plumbing"
FIRST_CALLER = "+16502530000"
SECOND_CALLER = "+14155550123"
NEW_MESSAGE = (
    "Sorry we missed you at {{ business_name }}! Reply with your address "
    "and we will call you back."
)
# The entities on the line's device, by their translated names.
ENTITY_NAMES = [
    "Text-back",
    "Message",
    "Call",
    "Missed calls today",
    "Texts sent today",
    "Last missed call",
    "Text-back mode",
    "After-hours message",
    "Business hours",
]
# Translation errors the frontend showed, by flow step (see the last test).
TRANSLATION_ERRORS: dict[str, int] = {}

Shot = Callable[[str], None]
DocImage = Callable[[Any, str], None]


def _note_translation_errors(dialog: Locator, step: str) -> None:
    """Count the frontend's "Translation error: ..." placeholders in a form."""
    expect(dialog.locator("ha-form").first).to_be_visible()
    count = dialog.get_by_text("Translation error").count()
    if count:
        TRANSLATION_ERRORS[step] = count


def _simulate_call(page: Page, home_assistant: HomeAssistant, number: str) -> None:
    """Ring the simulated line from `number`, then hang up: a missed call.

    The stand-in for the FRITZ!Box call monitor is driven through HA's REST API
    (its dropdown proved flaky to operate headless); the demo's "Demo phone"
    dashboard then shows the line following it.
    """
    home_assistant.call_service(
        "input_text",
        "set_value",
        entity_id="input_text.demo_caller_number",
        value=number,
    )
    page.goto(home_assistant.demo_dashboard)
    line = page.locator("hui-simple-entity-row, hui-generic-entity-row").filter(
        has_text="Demo phone line"
    )
    for state in ("ringing", "idle"):
        home_assistant.call_service(
            "input_select",
            "select_option",
            entity_id="input_select.demo_phone_line",
            option=state,
        )
        expect(line.first).to_contain_text(state)
        if state == "ringing":
            # A caller rings for seconds; a new FRITZ!Box line skips rings
            # under 2 s (the flash of a number the box blocks).
            page.wait_for_timeout(2500)


def test_log_in(page: Page, home_assistant: HomeAssistant, shot: Shot) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(USER)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    shot("login")
    page.get_by_role("button", name="Log in").click()
    # The default dashboard: /lovelace on HA 2025.4, /home/overview on 2026.10.
    page.wait_for_url(re.compile(r"/(lovelace|home)\b"))
    shot("overview")
    page.get_by_role("link", name="Demo phone").or_(
        page.get_by_role("option", name="Demo phone")
    ).first.click()
    page.wait_for_url(re.compile(re.escape(home_assistant.demo_dashboard)))
    expect(page.get_by_text("Simulate phone line").first).to_be_visible()
    shot("demo-phone-dashboard")


def test_add_the_line_through_the_config_flow(
    page: Page, home_assistant: HomeAssistant, shot: Shot, doc_image: DocImage
) -> None:
    page.goto("/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    page.locator("dialog-add-integration input").fill("Missed Call Text-Back")
    shot("add-integration-search")
    page.locator("ha-integration-list-item").filter(
        has_text="Missed Call Text-Back"
    ).click()

    flow = flow_dialog(page)
    expect(flow.get_by_text("Add a business line")).to_be_visible(
        timeout=FIRST_FLOW_TIMEOUT
    )
    if count := flow.get_by_text("Translation error").count():
        TRANSLATION_ERRORS["user"] = count
    shot("config-flow-menu")
    flow.get_by_text(re.compile("^A phone entity")).click()
    expect(flow.get_by_text("Calls from an entity")).to_be_visible()
    _note_translation_errors(flow, "entity")
    flow.get_by_role("textbox", name=re.compile("^Line name")).fill(LINE)
    flow.get_by_role("textbox", name=re.compile("^Business name")).fill(BUSINESS)
    flow.get_by_role("radio", name="FRITZ!Box call monitor").check()
    pick_entity(page, flow, "Call-state entity", "demo_phone_line", "Demo phone line")
    shot("config-flow-user")
    doc_image(dialog_surface(flow), "config-flow-line")
    submit_flow(flow)

    expect(flow.get_by_text("Send the text")).to_be_visible()
    _note_translation_errors(flow, "texting")
    expect(flow.get_by_role("radio", name="A notify service")).to_be_checked()
    expect(picked_value(flow, "Notify service")).to_contain_text("demo_sms")
    flow.get_by_role("spinbutton", name=re.compile("^Cooldown")).fill("0")
    shot("config-flow-texting")
    submit_flow(flow)

    expect_entry_created(flow, LINE, f"Created configuration for {LINE}")
    shot("config-flow-done")
    finish_flow(flow)

    status, entries = home_assistant.api.request(
        "GET", "/api/config/config_entries/entry?domain=missed_call_textback"
    )
    assert status == 200
    assert [(entry["title"], entry["state"]) for entry in entries] == [(LINE, "loaded")]


def test_device_page_shows_the_translated_entities(
    page: Page, shot: Shot, doc_image: DocImage
) -> None:
    page.goto("/config/devices/dashboard")
    page.get_by_text(LINE, exact=True).first.click()
    page.wait_for_url(re.compile(r"/config/devices/device/"))
    device = page.locator("ha-config-device-page")
    expect(device.get_by_text("Business line").first).to_be_visible()
    for name in ENTITY_NAMES:
        expect(device.get_by_text(name, exact=True).first).to_be_visible()
    shot("device-page")


def test_a_missed_call_is_texted_back(
    page: Page, home_assistant: HomeAssistant, shot: Shot, doc_image: DocImage
) -> None:
    _simulate_call(page, home_assistant, FIRST_CALLER)
    shot("first-call-simulated")

    text = home_assistant.wait_for_text(FIRST_CALLER)
    assert BUSINESS in text["message"]

    # The line's card on the "Demo phone" dashboard: "Last missed call" is known.
    last_call = page.locator("hui-sensor-entity-row, hui-simple-entity-row").filter(
        has_text="Last missed call"
    )
    expect(last_call).not_to_contain_text("Unknown")
    expect(
        page.locator("hui-sensor-entity-row, hui-simple-entity-row").filter(
            has_text="Texts sent today"
        )
    ).to_contain_text("1")
    shot("first-call-overview")

    # The device page: the sensor has a value and the activity shows the call.
    page.goto("/config/devices/dashboard")
    page.get_by_text(LINE, exact=True).first.click()
    device = page.locator("ha-config-device-page")
    sensors = device.locator("ha-device-entities-card").filter(has_text="Sensors")
    expect(sensors).to_contain_text("Last missed call")
    # Each row reads value first: "1  Missed calls today  Open  Business hours  1 ...".
    expect(sensors).to_contain_text(
        re.compile(r"(?<!\d)1\s*Missed calls today\s*.*?(?<!\d)1\s*Texts sent today")
    )
    expect(sensors).not_to_contain_text("Unknown")
    expect(
        device.locator("ha-device-entities-card").filter(has_text="Events")
    ).to_contain_text("Text sent")
    shot("device-page-after-call")
    doc_image(device, "device-page")

    page.goto("/logbook")
    logbook = page.locator("ha-logbook")
    expect(
        logbook.get_by_text(f"missed a call from Pat Example ({FIRST_CALLER})").first
    ).to_be_visible()
    expect(
        logbook.get_by_text(f"texted Pat Example ({FIRST_CALLER}) back").first
    ).to_be_visible()
    shot("logbook")
    doc_image(logbook, "logbook")


def test_options_flow_changes_the_message(
    page: Page, home_assistant: HomeAssistant, shot: Shot, doc_image: DocImage
) -> None:
    page.goto("/config/integrations/integration/missed_call_textback")
    page.get_by_role("button", name="Configure").first.click()
    flow = flow_dialog(page)
    expect(flow.get_by_text("Business line options")).to_be_visible()
    shot("options-menu")
    doc_image(dialog_surface(flow), "options-menu")
    flow.get_by_text("Names, sending and message").click()

    message = flow.get_by_role("textbox", name=re.compile("^Message"))
    expect(message).to_be_visible()
    _note_translation_errors(flow, "options texting")
    message.fill(NEW_MESSAGE)
    shot("options-texting")
    submit_flow(flow)
    expect(flow.get_by_text("Options successfully saved.")).to_be_visible()
    finish_flow(flow)

    _simulate_call(page, home_assistant, SECOND_CALLER)
    shot("second-call-simulated")
    text = home_assistant.wait_for_text(SECOND_CALLER)
    assert text["message"] == NEW_MESSAGE.replace("{{ business_name }}", BUSINESS)


def test_no_translation_errors_in_the_flows() -> None:
    assert TRANSLATION_ERRORS == {}
