"""The SIP source end to end: SIPp rings a real Home Assistant's SIP line.

SIPp (sip-tester) is the real peer on 127.0.0.1: it places calls as a PBX
would fork them, and plays a digest registrar. Nothing on the SIP side is
mocked; the SMS provider is the recording notify service of conftest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
import socket
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.missed_call_textback.calls import EndedCall, Outcome
from custom_components.missed_call_textback.const import (
    CONF_COOLDOWN_HOURS,
    CONF_DAILY_CAP,
    CONF_HOURLY_CAP,
    CONF_LINE_NAME,
    CONF_SOURCE,
    DOMAIN,
)
from custom_components.missed_call_textback.sources.sip.const import (
    CONF_ALLOWED_SOURCES,
    CONF_CAUSE26_ANSWERED,
    CONF_EXPIRES,
    CONF_MODE,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_REGISTRAR,
    CONF_RING_TIMEOUT,
    CONF_USERNAME,
)
from custom_components.missed_call_textback.sources.sip.register import RegState

from .portable_snapshot import PortableSnapshotExtension
from .sip_helpers import (
    REGISTRAR_PASSWORD,
    REGISTRAR_USER,
    Call,
    async_place_calls,
    async_sipp,
    free_udp_port,
    requires_sipp,
)

pytestmark = [requires_sipp, pytest.mark.usefixtures("socket_enabled")]

ANSWERED_ELSEWHERE = ("SIP", "200")
NON_SELECTED = ("Q.850", "26")
CALLER_HUNG_UP = ("Q.850", "16")


def _number(index: int) -> str:
    return f"+1650253{index:04d}"


@pytest.fixture
def sip_port(socket_enabled: None) -> int:
    """Return the UDP port of the line under test."""
    return free_udp_port()


@pytest.fixture
def sip_data() -> dict[str, Any]:
    """SIP settings a test changes (none by default)."""
    return {}


@pytest.fixture
def entry_data(sip_port: int, sip_data: dict[str, Any]) -> dict[str, Any]:
    """Source data: a SIP line listening for the PBX on 127.0.0.1."""
    return {
        CONF_SOURCE: "sip",
        CONF_MODE: "listen",
        CONF_PORT: sip_port,
        CONF_ALLOWED_SOURCES: ["127.0.0.1"],
        CONF_RING_TIMEOUT: 30,
        CONF_CAUSE26_ANSWERED: True,
        **sip_data,
    }


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """No cooldown or caps in the way: every missed call is texted."""
    return {
        **entry_options,
        CONF_COOLDOWN_HOURS: 0,
        CONF_HOURLY_CAP: 100000,
        CONF_DAILY_CAP: 100000,
    }


@pytest.fixture
def mock_config_entry(
    entry_data: dict[str, Any], entry_options: dict[str, Any]
) -> MockConfigEntry:
    """Return the config entry of the SIP line."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry_options[CONF_LINE_NAME],
        data=entry_data,
        options=entry_options,
        unique_id=f"sip:{entry_data[CONF_PORT]}",
        entry_id="01JTESTSIPLINE000000000000",
    )


@pytest.fixture
def ended(init_integration: MockConfigEntry) -> list[EndedCall]:
    """Every call the line heard end, whatever the outcome (a spy on the line)."""
    line = init_integration.runtime_data
    seen: list[EndedCall] = []
    take: Callable[[list[EndedCall]], None] = line.calls_ended

    def _spy(calls: list[EndedCall]) -> None:
        seen.extend(calls)
        take(calls)

    line.calls_ended = _spy  # type: ignore[method-assign]
    return seen


def _texted(sms_calls: list[ServiceCall]) -> list[str]:
    return [target for call in sms_calls for target in call.data["target"]]


async def test_a_cancelled_call_is_missed_and_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ended: list[EndedCall],
    sms_calls: list[ServiceCall],
    sip_port: int,
    tmp_path: Path,
) -> None:
    result = await async_place_calls(
        sip_port,
        [Call(_number(1)), Call(_number(2), CALLER_HUNG_UP)],
        tmp_path,
    )
    await hass.async_block_till_done()

    assert result.returncode == 0, result.stderr
    assert [(call.number, call.outcome) for call in ended] == [
        (_number(1), Outcome.MISSED),
        (_number(2), Outcome.MISSED),
    ]
    assert all(call.call_id.startswith("sip-") for call in ended)
    assert _texted(sms_calls) == [_number(1), _number(2)]
    assert "Acme Plumbing" in sms_calls[0].data["message"]


async def test_a_call_answered_elsewhere_is_not_texted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ended: list[EndedCall],
    sms_calls: list[ServiceCall],
    sip_port: int,
    tmp_path: Path,
) -> None:
    result = await async_place_calls(
        sip_port,
        [Call(_number(1), ANSWERED_ELSEWHERE), Call(_number(2), NON_SELECTED)],
        tmp_path,
    )
    await hass.async_block_till_done()

    assert result.returncode == 0, result.stderr
    assert [call.outcome for call in ended] == [Outcome.ANSWERED, Outcome.ANSWERED]
    assert sms_calls == []


@pytest.mark.parametrize("sip_data", [{CONF_CAUSE26_ANSWERED: False}])
async def test_cause_26_counts_as_missed_when_the_owner_says_so(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ended: list[EndedCall],
    sms_calls: list[ServiceCall],
    sip_port: int,
    tmp_path: Path,
) -> None:
    result = await async_place_calls(
        sip_port,
        [Call(_number(1), NON_SELECTED), Call(_number(2), ANSWERED_ELSEWHERE)],
        tmp_path,
    )
    await hass.async_block_till_done()

    assert result.returncode == 0, result.stderr
    assert [call.outcome for call in ended] == [Outcome.MISSED, Outcome.ANSWERED]
    assert _texted(sms_calls) == [_number(1)]


@pytest.mark.parametrize("sip_data", [{CONF_RING_TIMEOUT: 1}])
async def test_a_call_nobody_cancels_times_out_with_480_and_is_missed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ended: list[EndedCall],
    sms_calls: list[ServiceCall],
    sip_port: int,
    tmp_path: Path,
) -> None:
    # The scenario fails unless a 480 arrives and is ACKed.
    result = await async_place_calls(
        sip_port, [Call(_number(7))], tmp_path, scenario="uac_timeout.xml"
    )
    await hass.async_block_till_done()

    assert result.returncode == 0, result.stderr
    assert len(ended) == 1
    assert ended[0].outcome is Outcome.MISSED
    assert (ended[0].ended_at - ended[0].started_at).total_seconds() >= 1
    assert _texted(sms_calls) == [_number(7)]


def _mix(count: int) -> list[Call]:
    reasons = [None, ANSWERED_ELSEWHERE, NON_SELECTED, CALLER_HUNG_UP]
    return [Call(_number(i), reasons[i % 4]) for i in range(count)]


def _expected(call: Call) -> Outcome:
    return (
        Outcome.ANSWERED
        if call.reason in (ANSWERED_ELSEWHERE, NON_SELECTED)
        else Outcome.MISSED
    )


async def test_a_burst_of_500_calls_is_classified_once_each(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ended: list[EndedCall],
    sms_calls: list[ServiceCall],
    sip_port: int,
    tmp_path: Path,
) -> None:
    calls = _mix(500)
    result = await async_place_calls(sip_port, calls, tmp_path, rate=50, seconds=90)
    await hass.async_block_till_done()

    assert result.returncode == 0, result.stderr
    heard = {call.number: call.outcome for call in ended}
    assert len(ended) == len(heard) == 500  # none twice
    assert heard == {str(call.number): _expected(call) for call in calls}
    missed = [call.number for call in calls if _expected(call) is Outcome.MISSED]
    assert sorted(_texted(sms_calls)) == sorted(missed)
    assert Counter(c.outcome for c in ended) == {
        Outcome.MISSED: 250,
        Outcome.ANSWERED: 250,
    }


async def test_ten_percent_packet_loss_changes_no_outcome_and_duplicates_none(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ended: list[EndedCall],
    sms_calls: list[ServiceCall],
    sip_port: int,
    tmp_path: Path,
) -> None:
    # SIPp drops 10 % of what it sends and receives and retransmits; so do we
    # (the 487 until the ACK). Every retransmitted INVITE and CANCEL must be
    # answered again and never reported again.
    calls = _mix(200)
    result = await async_place_calls(
        sip_port,
        calls,
        tmp_path,
        rate=50,
        extra=("-lost", "10", "-deadcall_wait", "60000"),
        seconds=120,
    )
    await hass.async_block_till_done()

    assert result.returncode == 0, result.stderr
    heard = {call.number: call.outcome for call in ended}
    assert len(ended) == len(heard) == 200
    assert heard == {str(call.number): _expected(call) for call in calls}
    assert len(sms_calls) == 100
    ua = init_integration.runtime_data.source.endpoint.ua
    # It did see retransmissions: more requests than INVITE, CANCEL and ACK once each.
    assert ua.stats.received > 3 * 200 * 0.9


async def test_sip_from_an_address_not_allowed_is_ignored(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    sip_port: int,
    tmp_path: Path,
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_ALLOWED_SOURCES: ["192.0.2.0/24"]},
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)

    result = await async_place_calls(sip_port, [Call(_number(1))], tmp_path, seconds=4)
    await hass.async_block_till_done()

    assert result.returncode != 0  # SIPp heard nothing back
    assert sms_calls == []
    ua = mock_config_entry.runtime_data.source.endpoint.ua
    assert ua.stats.dropped_source > 0
    assert ua.stats.calls == 0


MALFORMED = [
    b"",
    b"\r\n\r\n",
    b"\x00\xff\xfe garbage \x80",
    b"INVITE sip:x@y SIP/2.0\r\n\r\n",  # no headers at all
    (
        b"INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\n"
        b"CSeq: one INVITE\r\n\r\n"
    ),
    (
        b"INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\n"
        b"CSeq: 1 INVITE\r\nContent-Length: 999\r\n\r\nshort"
    ),
    b"SIP/2.0 2000 OK\r\n\r\n",
    b"NOT A SIP MESSAGE",
    b"INVITE sip:x@y SIP/2.0\r\n" + b"X: y\r\n" * 300 + b"\r\n",
    b"A" * 60000,
]


async def test_malformed_datagrams_are_dropped_and_calls_still_work(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ended: list[EndedCall],
    sms_calls: list[ServiceCall],
    sip_port: int,
    tmp_path: Path,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for datagram in MALFORMED:
            sender.sendto(datagram, ("127.0.0.1", sip_port))
    ua = init_integration.runtime_data.source.endpoint.ua
    await hass.async_block_till_done()

    result = await async_place_calls(sip_port, [Call(_number(3))], tmp_path)
    await hass.async_block_till_done()

    assert ua.stats.received == len(MALFORMED) + 3  # + INVITE, CANCEL, ACK
    assert ua.stats.dropped_malformed == len(MALFORMED) - 2  # two are blank
    assert result.returncode == 0, result.stderr
    assert _texted(sms_calls) == [_number(3)]
    assert init_integration.state is ConfigEntryState.LOADED


async def test_a_port_in_use_makes_the_line_retry_with_a_clear_message(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sip_port: int,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("0.0.0.0", sip_port))  # noqa: S104
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

        assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
        assert str(sip_port) in (mock_config_entry.reason or "")
        assert "in use" in (mock_config_entry.reason or "")
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_unloading_the_line_frees_its_port(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sip_port: int,
) -> None:
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", sip_port))  # noqa: S104


# --- register mode ---------------------------------------------------------


@pytest.fixture
def registrar_port(socket_enabled: None) -> int:
    """Return the UDP port of SIPp playing the registrar."""
    return free_udp_port()


def _register_data(registrar_port: int, password: str) -> dict[str, Any]:
    return {
        CONF_MODE: "register",
        CONF_ALLOWED_SOURCES: [],
        CONF_REGISTRAR: f"127.0.0.1:{registrar_port}",
        CONF_USERNAME: REGISTRAR_USER,
        CONF_PASSWORD: password,
        CONF_EXPIRES: 60,
    }


async def _register_against_sipp(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    registrar_port: int,
    tmp_path: Path,
) -> tuple[int, str | None]:
    """Run SIPp's registrar as the line starts; return its exit code and the sensor."""
    registrar = hass.async_create_task(
        async_sipp(
            "uas_registrar.xml",
            "-p",
            str(registrar_port),
            "-m",
            "1",
            cwd=tmp_path,
            seconds=15,
        )
    )
    # No wait for SIPp to bind: a REGISTER sent too early is retransmitted.
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await registrar
    await hass.async_block_till_done()
    entity_id = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry.entry_id}_sip_registered"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    return result.returncode, state.state if state else None


async def test_registering_with_the_right_password_turns_the_sensor_on(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    registrar_port: int,
    tmp_path: Path,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SIP line",
        data={
            **mock_config_entry.data,
            **_register_data(registrar_port, REGISTRAR_PASSWORD),
        },
        options=mock_config_entry.options,
        unique_id="sip:register",
    )
    returncode, state = await _register_against_sipp(
        hass, entry, registrar_port, tmp_path
    )

    # SIPp checked the digest of the REGISTER and of its refresh (expires 2 s).
    assert returncode == 0
    source = entry.runtime_data.source
    assert source.registration_state is RegState.REGISTERED
    registration = source.endpoint.registration
    assert registration is not None
    assert registration.status == 200
    assert registration.granted == 2
    assert state == "on"
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"][CONF_PASSWORD] == "**REDACTED**"
    assert REGISTRAR_PASSWORD not in str(diagnostics)
    assert diagnostics["sip"]["registration"] == {
        "state": "registered",
        "status": 200,
        "granted": 2,
    }
    assert diagnostics["sip"]["stats"]["dropped_source"] == 0


async def test_registering_with_a_wrong_password_leaves_the_sensor_off(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    registrar_port: int,
    tmp_path: Path,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SIP line",
        data={**mock_config_entry.data, **_register_data(registrar_port, "wrong")},
        options=mock_config_entry.options,
        unique_id="sip:register",
    )
    returncode, state = await _register_against_sipp(
        hass, entry, registrar_port, tmp_path
    )

    assert returncode == 0
    source = entry.runtime_data.source
    assert source.registration_state is RegState.AUTH_FAILED
    assert source.endpoint.registration.status == 403
    assert state == "off"
    # The line still runs; it tries again later (not in a tight loop).
    assert entry.state is ConfigEntryState.LOADED


async def test_no_route_to_the_registrar_makes_the_line_retry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    registrar_port: int,
    sip_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def _no_route(_remote: object) -> str:
        # The far edge: the host's routing table has no way to the registrar.
        raise OSError("Network is unreachable")

    monkeypatch.setattr(
        "custom_components.missed_call_textback.sources.sip.local_address_for",
        _no_route,
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SIP line",
        data={
            **mock_config_entry.data,
            **_register_data(registrar_port, REGISTRAR_PASSWORD),
        },
        options=mock_config_entry.options,
        unique_id="sip:register",
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "cannot be reached" in (entry.reason or "")
    # The port it had bound is free again.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", sip_port))  # noqa: S104
    await hass.config_entries.async_unload(entry.entry_id)


async def test_diagnostics_of_a_listening_line_show_its_counters(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    sip_port: int,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"garbage", ("127.0.0.1", sip_port))
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics["sip"]["registration"] is None
    assert diagnostics["sip"]["stats"]["dropped_malformed"] == 1
    assert diagnostics["sip"]["transactions"] == 0


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize Home Assistant objects the HA way, into tests/snapshots/."""
    return snapshot.use_extension(PortableSnapshotExtension)


async def test_binary_sensor_platform_matches_snapshot(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    registrar_port: int,
) -> None:
    # Nobody answers on the registrar's port: the line is still registering.
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SIP line",
        data={
            **mock_config_entry.data,
            **_register_data(registrar_port, REGISTRAR_PASSWORD),
        },
        options=mock_config_entry.options,
        unique_id="sip:register",
        entry_id="01JTESTSIPREGISTER00000000",
    )
    entry.add_to_hass(hass)
    with patch(
        "custom_components.missed_call_textback.PLATFORMS", [Platform.BINARY_SENSOR]
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_listening_line_has_no_registration_sensor(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    entities = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    assert entities
    assert not [e for e in entities if e.translation_key == "sip_registered"]
