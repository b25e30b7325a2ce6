"""Setting up and reconfiguring a SIP line through the real flow manager."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path
import socket
from typing import Any

from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_NOTIFY_SERVICE,
    CONF_SENDER,
    CONF_SOURCE,
    DOMAIN,
)
from custom_components.missed_call_textback.presets import DEFAULT_MESSAGE
from custom_components.missed_call_textback.sources import sip as sip_source
from custom_components.missed_call_textback.sources.sip.const import (
    CONF_ALLOWED_SOURCES,
    CONF_AUTH_USERNAME,
    CONF_CAUSE26_ANSWERED,
    CONF_EXPIRES,
    CONF_MODE,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_REGISTRAR,
    CONF_RING_TIMEOUT,
    CONF_USERNAME,
)
from custom_components.missed_call_textback.sources.sip.message import (
    build_response,
    parse,
)

from .sip_helpers import (
    REGISTRAR_PASSWORD,
    REGISTRAR_USER,
    async_sipp,
    free_udp_port,
    requires_sipp,
)
from .test_config_flow import TRANSLATIONS

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture(autouse=True)
def twilio(hass: HomeAssistant) -> None:
    """Register a legacy SMS notify service for the texting step to list."""
    async_mock_service(hass, "notify", "twilio_sms")


@pytest.fixture
def port(socket_enabled: None) -> int:
    """Return a free UDP port for the line."""
    return free_udp_port()


@pytest.fixture(autouse=True)
def quick_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wait 1 s instead of 6 s for a registrar that never answers."""
    monkeypatch.setattr(sip_source, "CHECK_TIMEOUT", 1.0)


class _Registrar(asyncio.DatagramProtocol):
    """A registrar that answers every REGISTER with one status (the far edge).

    SIPp plays the digest registrar in the tests that need authentication; this
    stands in where only the status of the answer matters.
    """

    def __init__(self, status: int) -> None:
        self.status = status
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        request = parse(data)
        assert self.transport is not None
        self.transport.sendto(
            build_response(request, self.status, "Answer", to_tag="r"), addr
        )


@pytest.fixture
async def registrar(hass: HomeAssistant) -> AsyncGenerator[tuple[_Registrar, int]]:
    """Run a status-only registrar on 127.0.0.1."""
    protocol = _Registrar(200)
    transport, _ = await hass.loop.create_datagram_endpoint(
        lambda: protocol, local_addr=("127.0.0.1", 0)
    )
    yield protocol, int(transport.get_extra_info("sockname")[1])
    transport.close()


def _sip_input(port: int, **changes: Any) -> dict[str, Any]:
    return {
        CONF_LINE_NAME: "Front desk",
        CONF_BUSINESS_NAME: "Acme Plumbing",
        CONF_MODE: "listen",
        CONF_PORT: port,
        CONF_ALLOWED_SOURCES: ["192.168.1.10", " ", "10.0.0.0/8"],
        CONF_RING_TIMEOUT: 45,
        CONF_CAUSE26_ANSWERED: True,
        **changes,
    }


def _register_input(registrar_port: int, **changes: Any) -> dict[str, Any]:
    return {
        CONF_REGISTRAR: f"127.0.0.1:{registrar_port}",
        CONF_USERNAME: REGISTRAR_USER,
        CONF_AUTH_USERNAME: "",
        CONF_PASSWORD: REGISTRAR_PASSWORD,
        CONF_EXPIRES: 300,
        **changes,
    }


async def _start_sip(hass: HomeAssistant) -> FlowResult:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert "sip" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sip"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sip"
    return result


def _assert_error(result: FlowResult, step_id: str, errors: dict[str, str]) -> None:
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert result["errors"] == errors
    for key in errors.values():
        assert key in TRANSLATIONS["config"]["error"], key


async def _finish_texting(hass: HomeAssistant, flow_id: str) -> FlowResult:
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: "twilio_sms",
            CONF_MESSAGE: DEFAULT_MESSAGE,
            CONF_COOLDOWN_HOURS: 24,
        },
    )
    await hass.async_block_till_done()
    return result


async def test_a_listening_line_is_created_after_its_port_is_checked(
    hass: HomeAssistant, port: int
) -> None:
    result = await _start_sip(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _sip_input(port)
    )
    assert result["step_id"] == "texting"
    # No FRITZ!Box voicemail option on a SIP line.
    assert "text_voicemail" not in [str(key) for key in result["data_schema"].schema]

    result = await _finish_texting(hass, result["flow_id"])

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.title == "Front desk"
    assert entry.unique_id == f"sip:{port}"
    assert entry.data == {
        CONF_SOURCE: "sip",
        CONF_MODE: "listen",
        CONF_PORT: port,
        CONF_ALLOWED_SOURCES: ["192.168.1.10", "10.0.0.0/8"],
        CONF_RING_TIMEOUT: 45,
        CONF_CAUSE26_ANSWERED: True,
    }
    assert entry.options[CONF_BUSINESS_NAME] == "Acme Plumbing"
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("sources", "mode", "error"),
    [
        ([], "listen", "sources_required"),
        (["pbx.local"], "listen", "invalid_source"),
        (["192.168.1.300"], "register", "invalid_source"),
    ],
)
async def test_allowed_sources_must_be_addresses(
    hass: HomeAssistant, port: int, sources: list[str], mode: str, error: str
) -> None:
    result = await _start_sip(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _sip_input(port, **{CONF_ALLOWED_SOURCES: sources, CONF_MODE: mode}),
    )

    _assert_error(result, "sip", {CONF_ALLOWED_SOURCES: error})


@pytest.mark.parametrize(
    ("sources", "mode"),
    [
        (["0.0.0.0/0"], "listen"),
        (["192.168.1.10", "::/0"], "listen"),
        (["0.0.0.0/0"], "register"),
        # Two halves let in as much as the whole.
        (["0.0.0.0/1", "128.0.0.0/1"], "listen"),
    ],
    ids=["ipv4_everything", "ipv6_everything", "register_mode", "two_halves"],
)
async def test_allowed_sources_that_let_everyone_in_are_refused(
    hass: HomeAssistant, port: int, sources: list[str], mode: str
) -> None:
    result = await _start_sip(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _sip_input(port, **{CONF_ALLOWED_SOURCES: sources, CONF_MODE: mode}),
    )

    _assert_error(result, "sip", {CONF_ALLOWED_SOURCES: "sources_everything"})
    # A wide network that is not everything is the owner's call.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _sip_input(port, **{CONF_ALLOWED_SOURCES: ["0.0.0.0/1"]})
    )
    assert result["step_id"] == "texting"
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_a_port_in_use_is_reported_before_the_line_is_created(
    hass: HomeAssistant, port: int
) -> None:
    result = await _start_sip(hass)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("0.0.0.0", port))  # noqa: S104
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _sip_input(port)
        )
    _assert_error(result, "sip", {CONF_PORT: "port_in_use"})

    # Once the port is free the same form goes on.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _sip_input(port)
    )
    assert result["step_id"] == "texting"
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_a_second_line_on_the_same_port_is_refused(
    hass: HomeAssistant, port: int
) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id=f"sip:{port}").add_to_hass(hass)
    result = await _start_sip(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _sip_input(port)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "port_configured"
    assert result["reason"] in TRANSLATIONS["config"]["abort"]


@requires_sipp
async def test_a_registering_line_is_created_once_the_registrar_accepts_it(
    hass: HomeAssistant, port: int, tmp_path: Path
) -> None:
    registrar_port = free_udp_port()
    result = await _start_sip(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _sip_input(port, **{CONF_MODE: "register", CONF_ALLOWED_SOURCES: []}),
    )
    assert result["step_id"] == "sip_register"

    # Wrong password first: SIPp's registrar answers 403.
    sipp = hass.async_create_task(
        async_sipp(
            "uas_registrar.xml", "-p", str(registrar_port), "-m", "1", cwd=tmp_path
        )
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _register_input(registrar_port, **{CONF_PASSWORD: "nope"})
    )
    _assert_error(result, "sip_register", {"base": "auth_failed"})
    await sipp

    sipp = hass.async_create_task(
        async_sipp(
            "uas_registrar.xml",
            "-p",
            str(registrar_port),
            "-m",
            "2",
            cwd=tmp_path,
            seconds=10,
        )
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _register_input(registrar_port)
    )
    assert result["step_id"] == "texting"
    result = await _finish_texting(hass, result["flow_id"])

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_REGISTRAR] == f"127.0.0.1:{registrar_port}"
    assert entry.data[CONF_PASSWORD] == REGISTRAR_PASSWORD
    assert entry.data[CONF_ALLOWED_SOURCES] == []
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)
    sipp.cancel()
    await asyncio.gather(sipp, return_exceptions=True)


@pytest.mark.parametrize(
    ("registrar_value", "status", "error", "field"),
    [
        ("host:port:extra", 200, "invalid_registrar", CONF_REGISTRAR),
        ("[::1", 200, "invalid_registrar", CONF_REGISTRAR),
        (None, 404, "register_failed", "base"),
        (None, 403, "auth_failed", "base"),
        ("127.0.0.1:9", 200, "registrar_unreachable", "base"),
    ],
)
async def test_registration_problems_are_reported_on_the_form(
    hass: HomeAssistant,
    port: int,
    registrar: tuple[_Registrar, int],
    registrar_value: str | None,
    status: int,
    error: str,
    field: str,
) -> None:
    protocol, registrar_port = registrar
    protocol.status = status
    result = await _start_sip(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _sip_input(port, **{CONF_MODE: "register"})
    )
    value = registrar_value or f"127.0.0.1:{registrar_port}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _register_input(0, **{CONF_REGISTRAR: value})
    )

    _assert_error(result, "sip_register", {field: error})


async def test_an_unresolvable_registrar_is_unreachable(hass: HomeAssistant) -> None:
    with pytest.raises(sip_source.SipSetupError) as err:
        await sip_source.async_resolve(hass, "host:notaport")

    assert err.value.key == "registrar_unreachable"


def test_registrar_addresses_are_split_into_host_and_port() -> None:
    split = sip_source.split_host_port
    assert split("fritz.box") == ("fritz.box", 5060)
    assert split("192.168.1.1:5070") == ("192.168.1.1", 5070)
    assert split("[2001:db8::1]:5080") == ("2001:db8::1", 5080)
    assert split("[2001:db8::1]") == ("2001:db8::1", 5060)
    for bad in ("", ":5060", "h:0", "h:70000", "2001:db8::1"):
        with pytest.raises(ValueError, match=r"^"):
            split(bad)


# --- reconfigure --------------------------------------------------------------


@pytest.fixture
async def sip_entry(hass: HomeAssistant, port: int) -> MockConfigEntry:
    """Set up a listening SIP line."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Front desk",
        unique_id=f"sip:{port}",
        data={
            CONF_SOURCE: "sip",
            CONF_MODE: "listen",
            CONF_PORT: port,
            CONF_ALLOWED_SOURCES: ["192.168.1.10"],
            CONF_RING_TIMEOUT: 45,
            CONF_CAUSE26_ANSWERED: True,
        },
        options={
            CONF_LINE_NAME: "Front desk",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: "twilio_sms",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_sip"
    return result


def _reconfigure_input(port: int, **changes: Any) -> dict[str, Any]:
    values = _sip_input(port, **changes)
    del values[CONF_LINE_NAME], values[CONF_BUSINESS_NAME]
    return values


async def test_reconfigure_keeps_the_port_the_line_already_holds(
    hass: HomeAssistant, sip_entry: MockConfigEntry, port: int
) -> None:
    result = await _reconfigure(hass, sip_entry)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _reconfigure_input(port, **{CONF_ALLOWED_SOURCES: ["192.168.1.0/24"]}),
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert sip_entry.data[CONF_ALLOWED_SOURCES] == ["192.168.1.0/24"]
    assert sip_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_moves_the_line_to_another_port(
    hass: HomeAssistant, sip_entry: MockConfigEntry
) -> None:
    new_port = free_udp_port()
    result = await _reconfigure(hass, sip_entry)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _reconfigure_input(new_port)
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert sip_entry.unique_id == f"sip:{new_port}"
    assert sip_entry.data[CONF_PORT] == new_port


async def test_reconfigure_reports_errors_and_taken_ports(
    hass: HomeAssistant, sip_entry: MockConfigEntry
) -> None:
    other = free_udp_port()
    MockConfigEntry(domain=DOMAIN, unique_id=f"sip:{other}").add_to_hass(hass)
    result = await _reconfigure(hass, sip_entry)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _reconfigure_input(other, **{CONF_ALLOWED_SOURCES: []})
    )
    _assert_error(result, "reconfigure_sip", {CONF_ALLOWED_SOURCES: "sources_required"})

    busy = free_udp_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("0.0.0.0", busy))  # noqa: S104
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _reconfigure_input(busy)
        )
    _assert_error(result, "reconfigure_sip", {CONF_PORT: "port_in_use"})

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _reconfigure_input(other)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "port_configured"


async def test_reconfigure_switches_a_line_to_register_mode(
    hass: HomeAssistant,
    sip_entry: MockConfigEntry,
    port: int,
    registrar: tuple[_Registrar, int],
) -> None:
    _, registrar_port = registrar
    result = await _reconfigure(hass, sip_entry)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _reconfigure_input(port, **{CONF_MODE: "register"})
    )
    assert result["step_id"] == "sip_register"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _register_input(registrar_port)
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert sip_entry.data[CONF_MODE] == "register"
    assert sip_entry.data[CONF_USERNAME] == REGISTRAR_USER
    assert sip_entry.state is ConfigEntryState.LOADED


# --- reauth -----------------------------------------------------------------------


async def test_a_refused_account_asks_for_new_credentials(
    hass: HomeAssistant, port: int, registrar: tuple[_Registrar, int]
) -> None:
    protocol, registrar_port = registrar
    protocol.status = 403
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Front desk",
        unique_id=f"sip:{port}",
        data={
            CONF_SOURCE: "sip",
            CONF_MODE: "register",
            CONF_PORT: port,
            CONF_ALLOWED_SOURCES: [],
            CONF_RING_TIMEOUT: 45,
            CONF_CAUSE26_ANSWERED: True,
            **_register_input(registrar_port, **{CONF_PASSWORD: "old"}),
        },
        options={
            CONF_LINE_NAME: "Front desk",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            CONF_SENDER: "notify",
            CONF_NOTIFY_SERVICE: "twilio_sms",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    for _ in range(50):
        await hass.async_block_till_done()
        if flows := hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            break
        await asyncio.sleep(0.02)
    [flow] = flows
    assert flow["context"]["source"] == config_entries.SOURCE_REAUTH
    assert flow["context"]["entry_id"] == entry.entry_id

    # Still refused: the form says so.
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"],
        {CONF_USERNAME: "621", CONF_AUTH_USERNAME: "", CONF_PASSWORD: "still wrong"},
    )
    _assert_error(result, "reauth_confirm", {"base": "auth_failed"})

    protocol.status = 200
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_USERNAME: "621", CONF_AUTH_USERNAME: "auth621", CONF_PASSWORD: "new"},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_USERNAME] == "621"
    assert entry.data[CONF_AUTH_USERNAME] == "auth621"
    assert entry.data[CONF_PASSWORD] == "new"
    assert entry.data[CONF_PORT] == port
    assert entry.state is ConfigEntryState.LOADED
    source = entry.runtime_data.source
    for _ in range(50):
        if source.registration_state.value != "registering":
            break
        await asyncio.sleep(0.02)
    assert source.registration_state.value == "registered"
