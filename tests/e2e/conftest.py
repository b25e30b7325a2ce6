"""A real Home Assistant and a headless Chromium for the end-to-end suite.

One Home Assistant (as scripts/develop runs it) serves the whole session from a
throwaway config folder on a free loopback port, with a pre-created user, onboarding
marked as done and the demo's "Demo phone" dashboard. It is the oldest supported
release (from .venv) or, with E2E_HA=newest (scripts/e2e --newest), the newest one:
started with ../shared/tools/ha-latest's Python inside its Debian root, which sees
this repository (and so the config folder, under tests/e2e/artifacts/) at the same
path and shares the host's loopback. One browser context (Debian's Chromium on the
host, driven by Playwright, never a downloaded browser) is shared by the tests,
which run in order.

Artifacts (tests/e2e/artifacts/oldest/ or newest/): a screenshot per step, one per
failing test, and Home Assistant's log. With E2E_UPDATE_SCREENSHOTS=1 the README's
screenshots in docs/images/ are refreshed too. A local server plays the Twilio,
Telnyx and Quo APIs (tests/native/provider_server.py) for the native senders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
import importlib.util
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any

from aiohttp import web
from playwright.sync_api import (
    BrowserContext,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
import pytest

from tests.native.provider_server import ProviderServer

REPO = Path(__file__).resolve().parents[2]
NEWEST = os.environ.get("E2E_HA", "oldest") == "newest"
# One folder per end of the range, so a run on one keeps the other's.
ARTIFACTS = (
    Path(__file__).resolve().parent / "artifacts" / ("newest" if NEWEST else "oldest")
)
DOCS_IMAGES = REPO / "docs" / "images"
HASS = REPO / ".venv" / "bin" / "hass"
HA_LATEST = Path(
    os.environ.get("E2E_HA_LATEST", REPO.parent / "shared" / "tools" / "ha-latest")
)
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
USER = "e2e"
PASSWORD = "e2e-textback-password"  # noqa: S105 - a throwaway instance
# The first start installs the frontend-side packages (home-assistant-frontend and,
# on the newest HA, a few that are compiled in ha-latest's root).
START_TIMEOUT = 900.0 if NEWEST else 300.0
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ONBOARDING = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["user", "core_config", "analytics", "integration"]},
}


# Milliseconds to wait for the integration's first config flow page: on a fresh
# install Home Assistant first installs the integration's requirements from PyPI.
FIRST_FLOW_TIMEOUT = 180_000

# The flow dialog's buttons, as the frontend names them in English and German:
# "Next" on a step followed by another (last_step=False), else "Submit"; at the end
# "Finish", or on HA 2026.10 "Skip and finish" when it offers to name the device.
SUBMIT = re.compile("^(submit|next|ok|weiter)$", re.IGNORECASE)
FINISH = re.compile(
    "^(finish|skip and finish|fertig|fertigstellen|überspringen und fertigstellen)$",
    re.IGNORECASE,
)


def flow_dialog(page: Page) -> Locator:
    """The config or options flow's dialog."""
    return page.locator("dialog-data-entry-flow")


def dialog_surface(flow: Locator) -> Locator:
    """The dialog's visible box (for a screenshot), on either frontend."""
    return flow.locator(".mdc-dialog__surface, dialog").first


def submit_flow(flow: Locator) -> None:
    """Press the flow's forward button."""
    flow.get_by_role("button", name=SUBMIT).click()


def expect_entry_created(flow: Locator, name: str, created: str) -> None:
    """The flow's last page shows that the entry `name` was created.

    HA 2025.4 says so in a sentence (`created`: "Created configuration for
    {name}" in the frontend's language); HA 2026.10 offers to name the entry's
    device instead, with the entry's name filled in.
    """
    if NEWEST:
        expect(flow.get_by_role("textbox").first).to_have_value(name)
    else:
        expect(flow.get_by_text(created)).to_be_visible()


def finish_flow(flow: Locator) -> None:
    """Close the flow's last page with its finish button."""
    flow.get_by_role("button", name=FINISH).click()
    expect(flow).to_be_hidden()


def pick_entity(page: Page, flow: Locator, label: str, search: str, name: str) -> None:
    """Choose the entity called `name` in the flow's entity field labelled `label`.

    HA 2025.4 has a combobox to type into; 2026.10 a field that opens a search
    popup (a dialog named after the field) listing the entities.
    """
    if NEWEST:
        field = flow.locator("ha-selector-entity").filter(has_text=label)
        field.locator("ha-generic-picker").click()
        popup = flow.get_by_role("dialog", name=label)
        popup.get_by_role("textbox").fill(search)
        popup.locator("ha-combo-box-item").filter(has_text=name).first.click()
        expect(popup).to_be_hidden()
        expect(field).to_contain_text(name)
        return
    box = flow.get_by_role("combobox", name=re.compile(f"^{re.escape(label)}"))
    box.fill(search)
    page.get_by_role("option", name=re.compile(re.escape(name))).click()
    expect(box).to_have_value(name)


def picked_value(flow: Locator, label: str) -> Locator:
    """The flow's dropdown field labelled `label` (to read its value)."""
    if NEWEST:
        return flow.locator("ha-picker-field").filter(has_text=label).first
    return flow.get_by_role("combobox", name=re.compile(f"^{re.escape(label)}"))


def _load_bootstrap() -> Any:
    """scripts/demo_bootstrap.py: its tiny REST client logs in and waits for HA."""
    spec = importlib.util.spec_from_file_location(
        "demo_bootstrap", REPO / "scripts" / "demo_bootstrap.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BASH = "/bin/bash"
# Runs Home Assistant (the arguments) and stops its whole process group (with ha-latest
# it is a grandchild inside a chroot) on SIGTERM, or once pytest is gone without its
# teardown (pytest-timeout ends a hung run with os._exit, `timeout` with SIGKILL).
_GROUP_STOPPER = """
stop() { trap '' TERM; kill -TERM -- -$$; }
trap stop TERM
parent=$PPID
(while kill -0 "$parent" 2>/dev/null; do sleep 2; done; kill -TERM "$$") &
watcher=$!
"$@" &
child=$!
wait "$child"
status=$?
wait "$child" 2>/dev/null  # after a SIGTERM: until it has stopped
kill "$watcher" 2>/dev/null
exit "$status"
"""


def _hass(*args: str) -> list[str]:
    """The command line that runs `hass` of the Home Assistant under test."""
    if NEWEST:
        # ha-latest mounts the current folder (REPO: run with cwd=REPO) at the
        # same path inside its root and runs the command with the root's venv.
        return [BASH, str(HA_LATEST), "--", "hass", *args]
    return [str(HASS), *args]


def pytest_report_header() -> str:
    """Say which end of the supported range runs."""
    if NEWEST:
        return f"Home Assistant: the newest, through {HA_LATEST}"
    return f"Home Assistant: the oldest supported, {HASS}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give the first test the time Home Assistant's first start may take."""
    if items:
        items[0].add_marker(pytest.mark.timeout(START_TIMEOUT + 240))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build_config(config: Path, port: int, bootstrap: Any) -> None:
    """A config folder like scripts/develop's, from the committed demo files."""
    source = REPO / "config" / "configuration.yaml"
    if NEWEST:
        bootstrap.write_newest_config(config, port, source)
    else:
        shutil.copy(source, config / "configuration.yaml")
    components = config / "custom_components"
    components.mkdir()
    for demo in ("demo_phone", "demo_sms"):
        shutil.copytree(
            REPO / "config" / "custom_components" / demo,
            components / demo,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    (components / "missed_call_textback").symlink_to(
        REPO / "custom_components" / "missed_call_textback"
    )
    subprocess.run(
        _hass("--script", "auth", "--config", str(config), "add", USER, PASSWORD),
        check=True,
        capture_output=True,
        timeout=120,
        cwd=REPO,
    )
    (config / ".storage").mkdir(exist_ok=True)
    (config / ".storage" / "onboarding").write_text(json.dumps(ONBOARDING))


# The native senders call the providers' APIs at these bases when the variables are
# set (custom_components/missed_call_textback/native/__init__.py): the session's
# local provider server plays all three, so no text leaves the machine.
ENV_API_BASE = "MISSED_CALL_TEXTBACK_API_BASE_"
API_PROVIDERS = ("TWILIO", "TELNYX", "QUO")


class RecordingProviderServer(ProviderServer):
    """The unit tests' provider server (tests/native), noting the ids it answers."""

    def __init__(self) -> None:
        """Start with no message sent."""
        super().__init__()
        self.twilio_message_ids: list[str] = []

    async def _twilio_send(self, request: web.Request) -> web.Response:
        response = await super()._twilio_send(request)
        if response.status == 201 and isinstance(response.body, bytes):
            self.twilio_message_ids.append(str(json.loads(response.body)["sid"]))
        return response


@dataclass
class ProviderApi:
    """The local provider server, served by a loop in a thread of its own."""

    server: RecordingProviderServer

    @property
    def environment(self) -> dict[str, str]:
        """The variables that point Home Assistant's native senders here."""
        return {f"{ENV_API_BASE}{name}": self.server.base for name in API_PROVIDERS}

    def wait_for_requests(
        self, route: str, count: int, timeout: float = 30
    ) -> list[Any]:
        """Poll until `count` requests reached `route`; return them all."""
        deadline = time.monotonic() + timeout
        while len(got := self.server.sent(route)) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"{len(got)} of {count} requests to {route} in {timeout}s")
            time.sleep(0.2)
        return got


@pytest.fixture(scope="session")
def provider_api() -> Iterator[ProviderApi]:
    """Serve the providers' APIs on a free loopback port (before HA starts).

    Home Assistant reads the base URLs from its environment, so the server must
    listen before it starts; with ha-latest it shares the host's loopback.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="provider-api", daemon=True)
    thread.start()

    async def start() -> tuple[RecordingProviderServer, web.AppRunner]:
        server = RecordingProviderServer()
        runner = web.AppRunner(server.app())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        server.base = f"http://{host}:{port}"
        return server, runner

    server, runner = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        yield ProviderApi(server)
    finally:
        loop.call_soon_threadsafe(server.release)
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@dataclass
class HomeAssistant:
    """The running instance."""

    url: str
    config: Path
    api: Any  # demo_bootstrap.Api, logged in
    version: str
    demo_dashboard: str  # the "Demo phone" dashboard's first view

    @property
    def newest(self) -> bool:
        """Whether this is the newest Home Assistant (scripts/e2e --newest)."""
        return NEWEST

    @property
    def texts_log(self) -> Path:
        """Where notify.demo_sms appends the texts it 'sends'."""
        return self.config / "demo_texts.log"

    def texts(self) -> list[dict[str, str]]:
        """The texts sent so far."""
        if not self.texts_log.exists():
            return []
        return [
            json.loads(line)
            for line in self.texts_log.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def wait_for_text(self, to: str, timeout: float = 30) -> dict[str, str]:
        """Poll the log until a text to `to` is there; return the newest one."""
        deadline = time.monotonic() + timeout
        while True:
            sent = [text for text in self.texts() if text["to"] == to]
            if sent:
                return sent[-1]
            if time.monotonic() > deadline:
                pytest.fail(f"no text to {to} within {timeout}s; sent: {self.texts()}")
            time.sleep(0.2)

    def call_service(self, domain: str, service: str, **data: object) -> None:
        """Call an action through the REST API."""
        status, body = self.api.request(
            "POST", f"/api/services/{domain}/{service}", json_body=data
        )
        assert status == 200, body


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A fresh artifacts folder for this run."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def home_assistant(
    artifacts: Path, provider_api: ProviderApi
) -> Iterator[HomeAssistant]:
    """Start Home Assistant once for the session; stop it and keep its log."""
    bootstrap = _load_bootstrap()
    # Under the repository, which ha-latest's root sees at the same path.
    config = artifacts / "config"
    config.mkdir()
    port = _free_port()
    _build_config(config, port, bootstrap)
    url = f"http://127.0.0.1:{port}"
    output = (artifacts / "hass-output.txt").open("wb")
    environment = {**os.environ, "PORT": str(port), **provider_api.environment}
    if NEWEST:
        # ha-latest hands the command only the variables HA_LATEST_ENV names.
        environment["HA_LATEST_ENV"] = " ".join(
            [*os.environ.get("HA_LATEST_ENV", "").split(), *provider_api.environment]
        )
    # A session of its own, which _GROUP_STOPPER stops as a whole on SIGTERM.
    process = subprocess.Popen(
        [BASH, "-c", _GROUP_STOPPER, "hass", *_hass("--config", str(config))],
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=REPO,
    )
    api = bootstrap.Api(url)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"Home Assistant exited with {process.returncode}")
            try:
                api.request("GET", "/auth/providers")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("Home Assistant's web server did not come up")
                time.sleep(0.5)
        api.login(USER, PASSWORD)
        api.wait_until_running(deadline)
        bootstrap.create_demo_dashboard(api)
        _, about = api.request("GET", "/api/config")
        yield HomeAssistant(
            url=url,
            config=config,
            api=api,
            version=str(about["version"]),
            demo_dashboard=f"/{bootstrap.DASHBOARD_URL_PATH}/0",
        )
    finally:
        if process.poll() is None:
            # One SIGTERM, relayed once: a second one ends Home Assistant mid-stop.
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        output.close()
        for name in ("home-assistant.log", "demo_texts.log"):
            if (config / name).exists():
                shutil.copy(config / name, artifacts / name)
        shutil.rmtree(config, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser_context(
    playwright: Playwright, home_assistant: HomeAssistant
) -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, fresh profile, light theme, English."""
    profile = tempfile.mkdtemp(prefix="mctb-e2e-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
        device_scale_factor=1,
        color_scheme="light",
        locale="en-US",
        timezone_id="America/Los_Angeles",
        base_url=home_assistant.url,
    )
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def page(browser_context: BrowserContext) -> Page:
    """The one tab the tests drive, in order."""
    return (
        browser_context.pages[0]
        if browser_context.pages
        else browser_context.new_page()
    )


@pytest.fixture(scope="session")
def shot(page: Page, artifacts: Path) -> Callable[[str], None]:
    """Save a numbered full-page screenshot of the current step."""
    counter = iter(range(1, 1000))

    def save(name: str) -> None:
        page.screenshot(path=artifacts / f"{next(counter):02d}-{name}.png")

    return save


@pytest.fixture(scope="session")
def doc_image() -> Callable[[Any, str], None]:
    """Save a cropped screenshot of a locator into docs/images (when refreshing)."""
    update = os.environ.get("E2E_UPDATE_SCREENSHOTS") == "1"

    def save(locator: Any, name: str) -> None:
        locator.screenshot(path=ARTIFACTS / f"doc-{name}.png")
        if update:
            DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
            shutil.copy(ARTIFACTS / f"doc-{name}.png", DOCS_IMAGES / f"{name}.png")

    return save


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, for the failure screenshot."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and "page" in request.fixturenames:
        page: Page = request.getfixturevalue("page")
        page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}.png")
