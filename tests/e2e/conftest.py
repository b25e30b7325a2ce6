"""A real Home Assistant and a headless Chromium for the end-to-end suite.

One Home Assistant (from .venv, as scripts/develop runs it) serves the whole session
from a throwaway config folder on a free loopback port, with a pre-created user and
onboarding marked as done. One browser context (Debian's Chromium, driven by
Playwright, never a downloaded browser) is shared by the tests, which run in order.

Artifacts (tests/e2e/artifacts/): a screenshot per step, one per failing test, and
Home Assistant's log. With E2E_UPDATE_SCREENSHOTS=1 the README's screenshots in
docs/images/ are refreshed too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import importlib.util
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any

from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright
import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_IMAGES = REPO / "docs" / "images"
HASS = REPO / ".venv" / "bin" / "hass"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
USER = "e2e"
PASSWORD = "e2e-textback-password"  # noqa: S105 - a throwaway instance
# The first start installs home-assistant-frontend into .venv (PyPI).
START_TIMEOUT = 300.0
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build_config(config: Path) -> None:
    """A config folder like scripts/develop's, from the committed demo files."""
    shutil.copy(REPO / "config" / "configuration.yaml", config / "configuration.yaml")
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
        [str(HASS), "--script", "auth", "--config", str(config), "add", USER, PASSWORD],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (config / ".storage").mkdir(exist_ok=True)
    (config / ".storage" / "onboarding").write_text(json.dumps(ONBOARDING))


@dataclass
class HomeAssistant:
    """The running instance."""

    url: str
    config: Path
    api: Any  # demo_bootstrap.Api, logged in

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
def home_assistant(artifacts: Path) -> Iterator[HomeAssistant]:
    """Start Home Assistant once for the session; stop it and keep its log."""
    bootstrap = _load_bootstrap()
    config = Path(tempfile.mkdtemp(prefix="mctb-e2e-"))
    _build_config(config)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    output = (artifacts / "hass-output.txt").open("wb")
    process = subprocess.Popen(
        [str(HASS), "--config", str(config)],
        env={**os.environ, "PORT": str(port)},
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
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
        yield HomeAssistant(url=url, config=config, api=api)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
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
