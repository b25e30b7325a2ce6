"""Create the demo business line in a running development instance (scripts/develop).

Waits for Home Assistant to answer, logs in as the demo user, and, when no
missed_call_textback entry exists yet, walks the integration's config flow through
HA's REST API: line "Demo line" for "Acme Plumbing" on sensor.demo_phone_line
(FRITZ!Box preset), texting through notify.demo_sms with no cooldown.
Standard library only, so it runs with any Python >= 3.13.

Usage: python scripts/demo_bootstrap.py [--url URL] [--user demo] [--password PW]
"""

from __future__ import annotations

import argparse
from http import HTTPStatus
import json
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

DOMAIN = "missed_call_textback"

# The menu item to pick, by step id (the first step asks for the kind of source).
MENU_CHOICES: dict[str, str] = {"user": "entity"}
# The answer to each form of the config flow, by step id.
FLOW_ANSWERS: dict[str, dict[str, Any]] = {
    "entity": {
        "line_name": "Demo line",
        "business_name": "Acme Plumbing",
        "preset": "fritzbox",
        "entity_id": "sensor.demo_phone_line",
    },
    "texting": {
        "sender": "notify",
        "notify_service": "demo_sms",
        "cooldown_hours": 0,  # so the same caller can be "missed" again and again
        "text_voicemail": False,
        "country": "US",
    },
}


class BootstrapError(Exception):
    """Something the person running scripts/develop should read."""


class Api:
    """A tiny client for Home Assistant's HTTP API."""

    def __init__(self, base_url: str) -> None:
        """Talk to the instance at base_url."""
        self.base_url = base_url.rstrip("/")
        self.token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Send one request; return the status and the decoded JSON body (or text)."""
        headers = {}
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - base_url is http(s) by argparse
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw or b"null")
        except json.JSONDecodeError:
            return status, raw.decode(errors="replace")

    def wait_until_up(self, deadline: float) -> None:
        """Wait until the HTTP server answers (on a page that needs no login)."""
        while True:
            try:
                self.request("GET", "/auth/providers")
            except OSError:
                if time.monotonic() > deadline:
                    raise BootstrapError(
                        f"{self.base_url} did not answer in time"
                    ) from None
                time.sleep(1)
            else:
                return

    def login(self, username: str, password: str) -> None:
        """Get an access token through the login flow, as the frontend does."""
        client_id = self.base_url + "/"
        status, flow = self.request(
            "POST",
            "/auth/login_flow",
            json_body={
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": client_id,
            },
        )
        if status != HTTPStatus.OK:
            raise BootstrapError(f"login flow did not start ({status}): {flow}")
        status, result = self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json_body={
                "client_id": client_id,
                "username": username,
                "password": password,
            },
        )
        if result.get("type") != "create_entry":
            raise BootstrapError(
                f"login as {username!r} failed ({status}): {result.get('errors')}"
            )
        status, token = self.request(
            "POST",
            "/auth/token",
            form={
                "grant_type": "authorization_code",
                "code": result["result"],
                "client_id": client_id,
            },
        )
        if status != HTTPStatus.OK:
            raise BootstrapError(f"token request failed ({status}): {token}")
        self.token = token["access_token"]

    def wait_until_running(self, deadline: float) -> None:
        """Wait until Home Assistant has finished starting."""
        while True:
            _, config = self.request("GET", "/api/config")
            if isinstance(config, dict) and config.get("state") == "RUNNING":
                return
            if time.monotonic() > deadline:
                raise BootstrapError("Home Assistant did not finish starting in time")
            time.sleep(1)


def create_demo_line(api: Api) -> str:
    """Walk the config flow with FLOW_ANSWERS; return the new entry's title."""
    status, step = api.request(
        "POST",
        "/api/config/config_entries/flow",
        json_body={"handler": DOMAIN, "show_advanced_options": False},
    )
    if status != HTTPStatus.OK:
        raise BootstrapError(
            f"cannot start the {DOMAIN} config flow ({status}): {step}. "
            "Does custom_components/missed_call_textback/config_flow.py import?"
        )
    while step.get("type") in ("form", "menu"):
        if step.get("type") == "menu":
            choice = MENU_CHOICES.get(step["step_id"])
            if choice is None or choice not in step.get("menu_options", []):
                raise BootstrapError(
                    f"config flow menu {step['step_id']!r} offers "
                    f"{step.get('menu_options')}, not what this script picks"
                )
            status, step = api.request(
                "POST",
                f"/api/config/config_entries/flow/{step['flow_id']}",
                json_body={"next_step_id": choice},
            )
            if status != HTTPStatus.OK:
                raise BootstrapError(f"config flow menu failed ({status}): {step}")
            continue
        if step.get("errors"):
            raise BootstrapError(
                f"config flow step {step['step_id']!r} rejected the demo answers: "
                f"{step['errors']}"
            )
        answers = FLOW_ANSWERS.get(step["step_id"])
        if answers is None:
            raise BootstrapError(
                f"config flow asked for step {step['step_id']!r}, which this script "
                f"does not know; its fields: {step.get('data_schema')}"
            )
        status, step = api.request(
            "POST",
            f"/api/config/config_entries/flow/{step['flow_id']}",
            json_body=answers,
        )
        if status != HTTPStatus.OK:
            raise BootstrapError(f"config flow step failed ({status}): {step}")
    if step.get("type") != "create_entry":
        raise BootstrapError(f"config flow ended without an entry: {step}")
    return str(step.get("title"))


def main() -> int:
    """Run the bootstrap; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password", default="demo-textback")
    parser.add_argument("--timeout", type=float, default=600, help="seconds")
    args = parser.parse_args()
    if not args.url.startswith(("http://", "https://")):
        parser.error("--url must start with http:// or https://")

    api = Api(args.url)
    deadline = time.monotonic() + args.timeout
    try:
        api.wait_until_up(deadline)
        api.login(args.user, args.password)
        api.wait_until_running(deadline)
        _, entries = api.request(
            "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        if entries:
            print(f"demo_bootstrap: {DOMAIN} already set up ({len(entries)} entry)")
            return 0
        title = create_demo_line(api)
    except BootstrapError as err:
        print(f"demo_bootstrap: ERROR: {err}", file=sys.stderr)
        return 1
    print(f"demo_bootstrap: created the demo business line {title!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
