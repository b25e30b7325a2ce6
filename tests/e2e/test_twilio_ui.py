"""Set up a line that texts through Twilio directly, the way an owner does: in the UI.

The session's local provider server (conftest.provider_api) plays Twilio's REST
API: Home Assistant's Twilio sender calls it instead of api.twilio.com, so the
credentials are really checked over HTTP and the text really posted. Home
Assistant gets a public https URL first (https://textback.example, its external
URL), as a line needs one for Twilio to post delivery receipts to; this test then
posts the receipt Twilio would, to the local address, signed over that URL.

The tests run in order and build on each other (add the line, miss a call, take
the receipt); the line and the external URL are removed at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
import re
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

from playwright.sync_api import Page, expect
import pytest
from twilio.request_validator import RequestValidator

from tests.native.provider_server import (
    FROM_NUMBER,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
)

from .conftest import (
    FIRST_FLOW_TIMEOUT,
    PASSWORD,
    USER,
    HomeAssistant,
    ProviderApi,
    expect_entry_created,
    finish_flow,
    flow_dialog,
    pick_entity,
    submit_flow,
)

DOMAIN = "missed_call_textback"
LINE = "Twilio line"
BUSINESS = "Acme Plumbing"
CALLER = "+14155550188"
CALLER_NAME = "Pat Example"  # the demo's simulated caller name
MESSAGE = "Sorry we missed your call at Acme Plumbing. We will call you back soon."
# Twilio posts receipts to a public https URL; the e2e instance pretends to have one.
EXTERNAL_URL = "https://textback.example"
SEND = "twilio.send"
WRONG_TOKEN = "not-the-auth-token"  # noqa: S105 - a test value
# The translated error the form shows when Twilio refuses the credentials.
INVALID_AUTH = "The provider refused these credentials. Check them and try again."

Shot = Callable[[str], None]
DocImage = Callable[[Any, str], None]


def _line_entries(home_assistant: HomeAssistant) -> list[dict[str, Any]]:
    status, entries = home_assistant.api.request(
        "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
    )
    assert status == HTTPStatus.OK, entries
    return list(entries)


def _remove_lines(home_assistant: HomeAssistant) -> None:
    for entry in _line_entries(home_assistant):
        status, body = home_assistant.api.request(
            "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
        )
        assert status == HTTPStatus.OK, body


def _set_external_url(home_assistant: HomeAssistant, url: str | None) -> None:
    """Set Home Assistant's external URL (Settings, System, Network) by websocket."""
    with home_assistant.api.websocket() as connection:
        connection.call("config/core/update", external_url=url)


@pytest.fixture(scope="module", autouse=True)
def twilio_setup(home_assistant: HomeAssistant) -> Iterator[None]:
    """A public https URL, and the demo phone entity free for a new line.

    One line per entity: the earlier tests' line on the demo phone goes first.
    """
    _remove_lines(home_assistant)
    _set_external_url(home_assistant, EXTERNAL_URL)
    try:
        yield
    finally:
        _remove_lines(home_assistant)
        _set_external_url(home_assistant, None)


def _ensure_logged_in(page: Page) -> None:
    """Log the shared tab in, unless an earlier test did (this file may run alone)."""
    page.goto("/")
    login = page.locator("ha-authorize")
    expect(login.or_(page.locator("home-assistant-main"))).to_be_attached()
    if login.count():
        page.get_by_label("Username").fill(USER)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/(lovelace|home)\b"))
    # Logged in once the frontend holds a live connection (and so its tokens).
    page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.connected"
    )


def _simulate_call(page: Page, home_assistant: HomeAssistant, number: str) -> None:
    """Ring the simulated line from `number`, then hang up (as test_textback_ui)."""
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
            # A new FRITZ!Box line skips rings under 2 s.
            page.wait_for_timeout(2500)


def _post_status_callback(
    home_assistant: HomeAssistant,
    callback_url: str,
    fields: dict[str, str],
    auth_token: str = TWILIO_AUTH_TOKEN,
) -> int:
    """Post a status callback as Twilio does: a signed form, no HA login.

    Twilio signs the URL it was given (the public one); the request goes to the
    same path on the local address, as a reverse proxy would pass it on.
    """
    signature = RequestValidator(auth_token).compute_signature(callback_url, fields)
    public = urllib.parse.urlsplit(callback_url)
    request = urllib.request.Request(  # noqa: S310 - the local http address
        home_assistant.url + public.path,
        data=urllib.parse.urlencode(fields).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
            "User-Agent": "TwilioProxy/1.1",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_add_a_twilio_line_through_the_config_flow(
    page: Page, home_assistant: HomeAssistant, provider_api: ProviderApi, shot: Shot
) -> None:
    _ensure_logged_in(page)
    page.goto("/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    page.locator("dialog-add-integration input").fill("Missed Call Text-Back")
    page.locator("ha-integration-list-item").filter(
        has_text="Missed Call Text-Back"
    ).click()

    flow = flow_dialog(page)
    expect(flow.get_by_text("Add a business line")).to_be_visible(
        timeout=FIRST_FLOW_TIMEOUT
    )
    flow.get_by_text(re.compile("^A phone entity")).click()
    expect(flow.get_by_text("Calls from an entity")).to_be_visible()
    flow.get_by_role("textbox", name=re.compile("^Line name")).fill(LINE)
    flow.get_by_role("textbox", name=re.compile("^Business name")).fill(BUSINESS)
    flow.get_by_role("radio", name="FRITZ!Box call monitor").check()
    pick_entity(page, flow, "Call-state entity", "demo_phone_line", "Demo phone line")
    submit_flow(flow)

    expect(flow.get_by_text("Send the text")).to_be_visible()
    flow.get_by_role("radio", name="Twilio (send directly)").check()
    flow.get_by_role("textbox", name=re.compile("^Message")).fill(MESSAGE)
    flow.get_by_role("spinbutton", name=re.compile("^Cooldown")).fill("0")
    shot("twilio-texting")
    submit_flow(flow)

    # The Twilio step names the URL receipts arrive at: the public https one.
    expect(flow.get_by_text("Texts go out from your Twilio number")).to_be_visible()
    expect(
        flow.get_by_text(re.compile(re.escape(f"{EXTERNAL_URL}/api/webhook/")))
    ).to_be_visible()
    flow.get_by_role("textbox", name=re.compile("^Account SID")).fill(
        TWILIO_ACCOUNT_SID
    )
    # A password field has no textbox role, and HA 2026.10 does not label its
    # input: the form's first password field is the auth token (then the API
    # key's secret).
    auth_token = flow.locator("input[type=password]").first
    auth_token.fill(WRONG_TOKEN)
    flow.get_by_role("textbox", name=re.compile("^From number")).fill(FROM_NUMBER)
    shot("twilio-credentials-wrong")
    submit_flow(flow)

    # Twilio (the local server) refused the token: the form says so, translated.
    expect(flow.get_by_text(INVALID_AUTH)).to_be_visible()
    refused = provider_api.server.sent("twilio.account")
    assert [request.method for request in refused] == ["GET"]
    shot("twilio-invalid-auth")

    auth_token.fill(TWILIO_AUTH_TOKEN)
    shot("twilio-credentials")
    submit_flow(flow)

    expect_entry_created(flow, LINE, f"Created configuration for {LINE}")
    shot("twilio-line-created")
    finish_flow(flow)

    # The right token: the account and the From number were looked up with it.
    assert len(provider_api.server.sent("twilio.account")) == 2
    numbers = provider_api.server.sent("twilio.numbers")
    assert [request.query.get("PhoneNumber") for request in numbers] == [FROM_NUMBER]
    assert [
        (entry["title"], entry["state"]) for entry in _line_entries(home_assistant)
    ] == [(LINE, "loaded")]


def test_a_missed_call_is_texted_through_twilio(
    page: Page, home_assistant: HomeAssistant, provider_api: ProviderApi, shot: Shot
) -> None:
    _simulate_call(page, home_assistant, CALLER)
    shot("twilio-call-simulated")

    (sent,) = provider_api.wait_for_requests(SEND, 1)
    assert sent.method == "POST"
    assert sent.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
    assert sent.form is not None
    callback = sent.form.get("StatusCallback", "")
    assert re.fullmatch(
        re.escape(EXTERNAL_URL) + r"/api/webhook/[A-Za-z0-9_-]+", callback
    ), callback
    assert {key: sent.form[key] for key in ("To", "From", "Body")} == {
        "To": CALLER,
        "From": FROM_NUMBER,
        "Body": MESSAGE,
    }
    page.goto("/logbook")
    expect(
        page.locator("ha-logbook")
        .get_by_text(f"texted {CALLER_NAME} ({CALLER}) back")
        .first
    ).to_be_visible()
    # One text per missed call: nothing more reached Twilio.
    assert len(provider_api.server.sent(SEND)) == 1


def test_a_delivery_receipt_shows_in_the_logbook(
    page: Page,
    home_assistant: HomeAssistant,
    provider_api: ProviderApi,
    shot: Shot,
    doc_image: DocImage,
) -> None:
    (sent,) = provider_api.server.sent(SEND)
    assert sent.form is not None
    (message_sid,) = provider_api.server.twilio_message_ids
    # The fields of Twilio's status callback for an SMS.
    fields = {
        "AccountSid": TWILIO_ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": FROM_NUMBER,
        "MessageSid": message_sid,
        "MessageStatus": "delivered",
        "SmsSid": message_sid,
        "SmsStatus": "delivered",
        "To": CALLER,
    }
    callback_url = sent.form["StatusCallback"]
    # Signed with another token: not Twilio's, refused.
    forged = _post_status_callback(
        home_assistant, callback_url, fields, auth_token=WRONG_TOKEN
    )
    assert forged != HTTPStatus.OK
    assert _post_status_callback(home_assistant, callback_url, fields) == HTTPStatus.OK

    page.goto("/logbook")
    logbook = page.locator("ha-logbook")
    expect(
        logbook.get_by_text(f"delivered the text to {CALLER_NAME} ({CALLER})").first
    ).to_be_visible()
    shot("twilio-delivered")
    doc_image(logbook, "twilio-delivered")
