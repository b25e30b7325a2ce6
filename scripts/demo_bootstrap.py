"""Create the demo business line in a running development instance (scripts/develop).

Waits for Home Assistant to answer, logs in as the demo user, and, when no
missed_call_textback entry exists yet, walks the integration's config flow through
HA's REST API: line "Demo line" for "Acme Plumbing" on sensor.demo_phone_line
(FRITZ!Box preset), texting through notify.demo_sms with no cooldown. It also adds
the "Demo phone" dashboard (through HA's websocket API, as the frontend does): the
auto-generated entity overview of HA 2025.4, which the newest HA's Overview no
longer is, so the simulated phone line's helpers are one click away on both.
Standard library only, so it runs with any Python >= 3.13.

Usage: python scripts/demo_bootstrap.py [--url URL] [--user demo] [--password PW]
       python scripts/demo_bootstrap.py newest-config --config DIR --port PORT
The second form prepares a config folder for the newest Home Assistant (see
write_newest_config) before it starts.
"""

from __future__ import annotations

import argparse
import base64
from collections.abc import Iterator
from contextlib import contextmanager
import hashlib
from http import HTTPStatus
import json
import os
from pathlib import Path
import re
import socket
import ssl
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


# The "Demo phone" dashboard: HA's auto-generated entity overview ("original-states",
# the Overview of HA 2025.4; HA 2026's new Overview shows devices by area only).
DASHBOARD_URL_PATH = "demo-phone"
DASHBOARD: dict[str, Any] = {
    "url_path": DASHBOARD_URL_PATH,
    "title": "Demo phone",
    "icon": "mdi:phone-ring",
    "show_in_sidebar": True,
    "require_admin": False,
}
DASHBOARD_CONFIG: dict[str, Any] = {"strategy": {"type": "original-states"}}

WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3


class BootstrapError(Exception):
    """Something the person running scripts/develop should read."""


class WebSocket:
    """Just enough of RFC 6455 to send Home Assistant a few websocket commands.

    Text frames of JSON, one message per frame (the client asks for no coalescing);
    pings are answered. The standard library has no websocket client.
    """

    def __init__(self, base_url: str, token: str, timeout: float = 30) -> None:
        """Connect to base_url's /api/websocket and authenticate with token."""
        parts = urllib.parse.urlsplit(base_url)
        secure = parts.scheme == "https"
        host = parts.hostname or "127.0.0.1"
        sock = socket.create_connection(
            (host, parts.port or (443 if secure else 80)), timeout=timeout
        )
        if secure:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        self._sock = sock
        self._buffer = b""
        self._last_id = 0
        key = base64.b64encode(os.urandom(16))
        path = parts.path.rstrip("/") + "/api/websocket"
        self._sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        accept = base64.b64encode(
            hashlib.sha1(key + WEBSOCKET_GUID, usedforsecurity=False).digest()
        ).decode()
        if not head.startswith("HTTP/1.1 101") or accept not in head:
            raise BootstrapError(
                f"{base_url} refused the websocket: {head.splitlines()[0]}"
            )
        self._receive()  # auth_required
        self._send({"type": "auth", "access_token": token})
        if (reply := self._receive()).get("type") != "auth_ok":
            raise BootstrapError(f"websocket login failed: {reply}")

    def call(self, command: str, **data: Any) -> Any:
        """Send one command; return its result or raise with HA's error."""
        self._last_id += 1
        self._send({"id": self._last_id, "type": command, **data})
        while True:
            message = self._receive()
            if message.get("id") == self._last_id and message.get("type") == "result":
                if not message.get("success"):
                    raise BootstrapError(f"{command} failed: {message.get('error')}")
                return message.get("result")

    def close(self) -> None:
        """Say goodbye (a close frame) and close the connection."""
        try:
            self._send_frame(0x8, b"")
        finally:
            self._sock.close()

    def _send(self, message: dict[str, Any]) -> None:
        self._send_frame(0x1, json.dumps(message).encode())

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        # A client masks every frame (RFC 6455, section 5.3).
        size = len(payload)
        if size < 126:
            header = bytes([0x80 | opcode, 0x80 | size])
        elif size < 1 << 16:
            header = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
        else:
            header = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self._sock.sendall(header + mask + masked)

    def _receive(self) -> dict[str, Any]:
        """Return the next JSON message, reassembled from its frames."""
        message = b""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                size = int.from_bytes(self._read(2), "big")
            elif size == 127:
                size = int.from_bytes(self._read(8), "big")
            mask = self._read(4) if second & 0x80 else b""
            payload = self._read(size)
            if mask:
                payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
            opcode = first & 0x0F
            if opcode == 0x8:
                raise BootstrapError("Home Assistant closed the websocket")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:
                    result: dict[str, Any] = json.loads(message)
                    return result

    def _read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._fill()
        data, _, self._buffer = self._buffer.partition(marker)
        return data

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise BootstrapError("Home Assistant closed the websocket")
        self._buffer += chunk


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

    @contextmanager
    def websocket(self) -> Iterator[WebSocket]:
        """Open a logged-in websocket connection (log in first)."""
        if self.token is None:
            raise BootstrapError("log in before opening the websocket")
        connection = WebSocket(self.base_url, self.token)
        try:
            yield connection
        finally:
            connection.close()

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


def create_demo_dashboard(api: Api) -> bool:
    """Add the "Demo phone" dashboard unless it exists; return whether it was added."""
    with api.websocket() as connection:
        dashboards = connection.call("lovelace/dashboards/list")
        if any(item.get("url_path") == DASHBOARD_URL_PATH for item in dashboards):
            return False
        connection.call("lovelace/dashboards/create", **DASHBOARD)
        connection.call(
            "lovelace/config/save", url_path=DASHBOARD_URL_PATH, config=DASHBOARD_CONFIG
        )
    return True


def newest_configuration(yaml_text: str) -> str:
    """configuration.yaml without its top-level `http:` block.

    HA 2026.10 keeps its HTTP settings in .storage/http, set in the UI: an `http:`
    block is deprecated there, moved to storage on the first start as a trial, and
    reverted (HA restarts on port 8123) unless confirmed within 5 minutes.
    """
    kept: list[str] = []
    skipping = False
    for line in yaml_text.splitlines(keepends=True):
        if re.match(r"http:\s*(#.*)?$", line):
            skipping = True
            continue
        if skipping and line.strip() and not line[0].isspace():
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)


def write_newest_config(config: Path, port: int, source: Path) -> None:
    """Prepare `config` for HA 2026.10: its configuration.yaml and HTTP settings.

    configuration.yaml is `source` without `http:`. The port and the loopback-only
    address go into .storage/http, in the format HA 2025.4 writes there (version 1),
    which HA 2026.10 migrates on start to its own as the confirmed ("stable")
    settings: no trial, no revert. Rewritten on every start, so PORT always wins.
    """
    config.mkdir(parents=True, exist_ok=True)
    header = (
        "# Written by scripts/demo_bootstrap.py from config/configuration.yaml\n"
        "# for the newest Home Assistant; its HTTP settings are in .storage/http.\n"
    )
    (config / "configuration.yaml").write_text(
        header + newest_configuration(source.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    storage = config / ".storage"
    storage.mkdir(exist_ok=True)
    http = {
        "version": 1,
        "minor_version": 1,
        "key": "http",
        "data": {"server_host": ["127.0.0.1"], "server_port": port},
    }
    (storage / "http").write_text(json.dumps(http, indent=2), encoding="utf-8")


def newest_config_main(argv: list[str]) -> int:
    """`newest-config --config DIR --port PORT`: run write_newest_config."""
    parser = argparse.ArgumentParser(
        prog="demo_bootstrap.py newest-config",
        description="Prepare a config folder for the newest Home Assistant: "
        "configuration.yaml without http:, the port in .storage/http.",
    )
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--source",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "config" / "configuration.yaml",
    )
    args = parser.parse_args(argv)
    write_newest_config(args.config, args.port, args.source)
    return 0


def main() -> int:
    """Run the bootstrap; return the exit code."""
    if sys.argv[1:2] == ["newest-config"]:
        return newest_config_main(sys.argv[2:])
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
        if create_demo_dashboard(api):
            print('demo_bootstrap: added the "Demo phone" dashboard')
        _, entries = api.request(
            "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        if entries:
            print(f"demo_bootstrap: {DOMAIN} already set up ({len(entries)} entry)")
            return 0
        title = create_demo_line(api)
    except (BootstrapError, OSError) as err:
        print(f"demo_bootstrap: ERROR: {err}", file=sys.stderr)
        return 1
    print(f"demo_bootstrap: created the demo business line {title!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
