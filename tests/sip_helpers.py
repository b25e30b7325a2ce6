"""Run SIPp (the real SIP peer of the SIP tests) and talk raw UDP."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
import shutil
import socket

import pytest

SCENARIOS = Path(__file__).parent / "sip" / "scenarios"
SIPP = shutil.which("sipp")

requires_sipp = pytest.mark.skipif(
    SIPP is None,
    reason="sipp is not installed (apt-get install -y sip-tester; .ci/run installs it)",
)

# Registrar scenario's account (tests/sip/scenarios/uas_registrar.xml).
REGISTRAR_USER = "620"
REGISTRAR_PASSWORD = "hunter2-sip"  # noqa: S105 - the test registrar's


@dataclass(frozen=True, slots=True)
class Call:
    """One call SIPp places: caller number and how the call ends."""

    number: str
    # Reason header of the CANCEL: None for none, else (protocol, cause).
    reason: tuple[str, str] | None = None


def free_udp_port() -> int:
    """Return a UDP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_calls(path: Path, calls: list[Call]) -> Path:
    """Write SIPp's injection file: number;header name;protocol;cause."""
    lines = ["SEQUENTIAL"]
    for call in calls:
        if call.reason is None:
            # The scenario always writes a header: an unknown one means no Reason.
            lines.append(f"{call.number};X-No-Reason;none;0;")
        else:
            lines.append(f"{call.number};Reason;{call.reason[0]};{call.reason[1]};")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


@dataclass(frozen=True, slots=True)
class SippResult:
    """How a SIPp run ended."""

    returncode: int
    stderr: str


async def async_sipp(
    scenario: str,
    *args: str,
    cwd: Path,
    seconds: float = 60,
) -> SippResult:
    """Run SIPp with a scenario of tests/sip/scenarios until it exits.

    Exit code 0: every call succeeded; 1: at least one failed.
    """
    assert SIPP is not None
    process = await asyncio.create_subprocess_exec(
        SIPP,
        "-sf",
        str(SCENARIOS / scenario),
        "-i",
        "127.0.0.1",
        "-nostdin",
        "-timeout",
        f"{int(seconds)}s",
        "-timeout_error",
        *args,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode is not None
    return SippResult(process.returncode, stderr.decode(errors="replace"))


async def async_place_calls(
    port: int,
    calls: list[Call],
    tmp_path: Path,
    *,
    rate: int = 20,
    scenario: str = "uac_cancel.xml",
    extra: tuple[str, ...] = (),
    seconds: float = 60,
) -> SippResult:
    """Have SIPp place calls to 127.0.0.1:port, one per entry, at rate per second."""
    csv = write_calls(tmp_path / "calls.csv", calls)
    return await async_sipp(
        scenario,
        f"127.0.0.1:{port}",
        "-inf",
        str(csv),
        "-m",
        str(len(calls)),
        "-r",
        str(rate),
        "-l",
        "1000",
        "-p",
        str(free_udp_port()),
        *extra,
        cwd=tmp_path,
        seconds=seconds,
    )
