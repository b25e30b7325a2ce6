#!/usr/bin/env python3
"""SIP source under a flood of worst-case datagrams from an allowed address.

The SIP user agent listens on 127.0.0.1 in a real Home Assistant core (set up
as in bench_sip.py). A separate process (this script with --send, so it never
competes with the measured event loop) sends --rate datagrams/s for --seconds
from 127.0.0.1, an allowed source, in rotation:

- 64 KiB garbage: random bytes, blank-ish lines, deep folding, a comma list
  of 60000, 16000 one-character headers, one 64 KiB header;
- oversized INVITEs (16 KiB and 60 KiB, few Vias): answered 513, nothing kept;
- INVITEs with 4000 Vias (56 KiB), a new call each: dropped;
- INVITEs whose CSeq or Content-Length has Unicode digits: malformed;
- one valid INVITE retransmitted over and over: 180 each time, one call;
- fresh 8 KiB INVITEs that keep every byte they may (10 Vias, a 7 KiB To
  header every response copies): held until evicted, the byte caps' worst case.

The same measurement runs without the flood first (baseline). In each phase:
the event loop's lag (a task sleeping 10 ms, its overshoot), resident memory
(VmRSS) growth, CPU time of this process, and one normal call placed by SIPp
(INVITE, then CANCEL without Reason) that must be reported missed. It is not a
pass/fail test: the targets are printed next to the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict
import json
import os
from pathlib import Path
import platform
import shutil
import socket
import statistics
import sys
import tempfile
import time
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "sip_flood.json"
SCENARIO = REPO / "tests" / "sip" / "scenarios" / "uac_cancel.xml"
TARGETS = {"max_lag_ms": 20.0, "rss_growth_mb": 20.0}
LIMIT = 65507  # the largest UDP payload over IPv4
SLEEP = 0.010  # the lag probe's sleep
CALL_AT = 3.0  # seconds into a phase when SIPp places the normal call

# --- the flood: a separate process ---------------------------------------------


def _request(
    *,
    branch: str,
    call_id: str,
    vias: int = 1,
    to: str = "<sip:620@127.0.0.1>",
    cseq: str = "1 INVITE",
    extra: str = "",
    body: str = "",
    length: str | None = None,
) -> bytes:
    via_lines = "".join(
        f"Via: SIP/2.0/UDP 127.0.0.1:5999;branch={branch}{'' if i == 0 else i}\r\n"
        for i in range(vias)
    )
    return (
        "INVITE sip:620@127.0.0.1 SIP/2.0\r\n"
        f"{via_lines}"
        "From: <sip:+15550000000@127.0.0.1>;tag=flood\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq}\r\n"
        "Max-Forwards: 70\r\n"
        f"{extra}"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n{body}"
    ).encode()


def _fill(prefix: bytes, unit: bytes, suffix: bytes = b"\r\n\r\n") -> bytes:
    return prefix + unit * ((LIMIT - len(prefix) - len(suffix)) // len(unit)) + suffix


def _garbage() -> list[bytes]:
    head = _request(branch="z9hG4bK-g", call_id="g").split(b"Content-Length")[0]
    return [
        os.urandom(LIMIT),
        _fill(b"", b" \n", b""),
        _fill(head + b"Subject: a\r\n", b" b\r\n"),
        _fill(head + b"Via: SIP/2.0/UDP h;branch=z9hG4bK-c", b","),
        _fill(head, b"a:\n"),
        _fill(head + b"Subject: ", b"x"),
    ]


def _oversized(index: int) -> bytes:
    size = 16384 if index % 2 else 60000
    return _request(
        branch=f"z9hG4bK-big{index}",
        call_id=f"big{index}",
        body="v=0\r\n" + "a=x\r\n" * (size // 5),
    )


def _many_vias(index: int) -> bytes:
    # A new call each: one kept would hold every Via in its responses.
    data = _request(branch=f"z9hG4bK-v{index}", call_id=f"vias{index}")
    return data.replace(b"Via: ", b"Via: " + b"SIP/2.0/UDP h, " * 4000, 1)


def _unicode_digits(index: int) -> bytes:
    # Digits str.isdigit() takes and int() refuses or misreads, and a number
    # too long for int().
    cseqs = ["\u00b21 INVITE", "\u0661 INVITE", "1\uff10 INVITE"]
    lengths = ["\u0663", "9" * 5000]
    branch, call_id = f"z9hG4bK-u{index}", f"u{index}"
    if index % 5 < len(cseqs):
        return _request(branch=branch, call_id=call_id, cseq=cseqs[index % 5])
    return _request(branch=branch, call_id=call_id, length=lengths[index % 5 - 3])


def _fresh(index: int) -> bytes:
    base = _request(
        branch=f"z9hG4bK-f{index}", call_id=f"fresh{index}", vias=10, to="<sip:620@h>"
    )
    pad = b"t" * (8192 - len(base) - len(";x="))
    return base.replace(b"<sip:620@h>", b"<sip:620@h>;x=" + pad, 1)


def flood_mix(count: int) -> list[tuple[str, bytes]]:
    """Return count datagrams, the kinds in rotation."""
    garbage = _garbage()
    retransmitted = _request(branch="z9hG4bK-retransmitted", call_id="retransmitted")
    kinds: list[Callable[[int], bytes]] = [
        lambda i: garbage[i % len(garbage)],
        _oversized,
        _many_vias,
        _unicode_digits,
        lambda _i: retransmitted,
        _fresh,
    ]
    names = [
        "64 KiB garbage",
        "oversized INVITE",
        "4000-Via INVITE",
        "Unicode-digit CSeq/length",
        "INVITE retransmission",
        "fresh 8 KiB INVITE",
    ]
    return [
        (names[i % len(kinds)], kinds[i % len(kinds)](i // len(kinds)))
        for i in range(count)
    ]


def send_flood(port: int, rate: int, seconds: float) -> dict[str, Any]:
    """Send the mix to 127.0.0.1:port at rate per second; count the replies."""
    datagrams = flood_mix(int(rate * seconds))
    sent: Counter[str] = Counter()
    sent_bytes = 0
    replies: Counter[str] = Counter()
    reply_bytes = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 2**20)
        sock.setblocking(False)  # noqa: FBT003
        start = time.perf_counter()
        for index, (kind, data) in enumerate(datagrams):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sock.sendto(data, ("127.0.0.1", port))
            sent[kind] += 1
            sent_bytes += len(data)
            while True:
                try:
                    reply = sock.recv(LIMIT)
                except BlockingIOError:
                    break
                replies[reply.split(b" ", 2)[1].decode(errors="replace")] += 1
                reply_bytes += len(reply)
        elapsed = time.perf_counter() - start
        time.sleep(0.5)  # the last replies
        while True:
            try:
                reply = sock.recv(LIMIT)
            except BlockingIOError:
                break
            replies[reply.split(b" ", 2)[1].decode(errors="replace")] += 1
            reply_bytes += len(reply)
    return {
        "sent": sum(sent.values()),
        "sent_by_kind": dict(sent),
        "sent_bytes": sent_bytes,
        "send_seconds": elapsed,
        "replies": sum(replies.values()),
        "replies_by_status": dict(replies),
        "reply_bytes": reply_bytes,
    }


# --- the measured process -------------------------------------------------------


def free_udp_port() -> int:
    """Return a UDP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_bytes(field: str = "VmRSS") -> int:
    """Return this process's resident memory (VmRSS) or its peak (VmHWM)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


async def async_sipp_call(port: int, number: str, workdir: Path) -> int:
    """Have SIPp place one call (INVITE, CANCEL without Reason); return its code."""
    sipp = shutil.which("sipp")
    if sipp is None:
        raise SystemExit("sipp is not installed: apt-get install -y sip-tester")
    csv = workdir / f"{number}.csv"
    csv.write_text(f"SEQUENTIAL\n{number};X-No-Reason;none;0;\n", encoding="ascii")
    process = await asyncio.create_subprocess_exec(
        sipp,
        f"127.0.0.1:{port}",
        "-sf",
        str(SCENARIO),
        "-inf",
        str(csv),
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        str(free_udp_port()),
        "-nostdin",
        "-timeout",
        "20s",
        "-timeout_error",
        cwd=workdir,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return int(await process.wait())


async def async_flood_process(
    port: int, args: argparse.Namespace
) -> asyncio.subprocess.Process:
    """Start the sender process (this script with --send)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--send",
        str(port),
        "--rate",
        str(args.rate),
        "--seconds",
        str(args.seconds),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )


async def async_phase(
    ua: Any,
    port: int,
    heard: dict[str, str],
    args: argparse.Namespace,
    workdir: Path,
    *,
    flood: bool,
) -> dict[str, Any]:
    """Measure one phase: lag, memory and CPU, with a normal call in it."""
    number = f"+1650253{1 if flood else 0:04d}"
    stats_before = asdict(ua.stats)
    lags: list[float] = []
    rss_before = rss_bytes()
    rss_max = rss_before
    sender = await async_flood_process(port, args) if flood else None
    wall, cpu = time.perf_counter(), time.process_time()
    call = asyncio.ensure_future(
        _after(CALL_AT, async_sipp_call(port, number, workdir))
    )
    samples = 0
    while time.perf_counter() - wall < args.seconds:
        start = time.perf_counter()
        await asyncio.sleep(SLEEP)
        lags.append(time.perf_counter() - start - SLEEP)
        samples += 1
        if samples % 10 == 0:
            rss_max = max(rss_max, rss_bytes())
    sipp_rc = await call
    flood_report = None
    if sender is not None:
        out, _ = await sender.communicate()
        flood_report = json.loads(out)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_max = max(rss_max, rss_bytes())
    stats = {key: value - stats_before[key] for key, value in asdict(ua.stats).items()}
    lags.sort()
    return {
        "flood": flood,
        "seconds": wall,
        "lag_max_ms": 1000 * lags[-1],
        "lag_p999_ms": 1000 * lags[int(0.999 * (len(lags) - 1))],
        "lag_p99_ms": 1000 * lags[int(0.99 * (len(lags) - 1))],
        "lag_median_ms": 1000 * statistics.median(lags),
        "lag_samples": len(lags),
        "lag_samples_over_target": sum(
            1 for lag in lags if 1000 * lag > TARGETS["max_lag_ms"]
        ),
        "rss_before_mb": rss_before / 2**20,
        "rss_growth_mb": (rss_max - rss_before) / 2**20,
        "cpu_pct_of_one_core": 100 * cpu / wall,
        "call_number": number,
        "call_outcome": heard.get(number, "not reported"),
        "sipp_rc": sipp_rc,
        "ua_stats": stats,
        "transactions_held": ua.transactions,
        "transaction_bytes": ua._transaction_bytes,  # noqa: SLF001
        "finished_bytes": ua._finished_bytes,  # noqa: SLF001
        "sender": flood_report,
    }


async def _after(delay: float, work: Awaitable[int]) -> int:
    await asyncio.sleep(delay)
    return await work


async def async_bench(hass: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the baseline, then the flood, against one SIP endpoint."""
    from custom_components.missed_call_textback.sources.sip import (  # noqa: PLC0415
        SipEndpoint,
    )
    from custom_components.missed_call_textback.sources.sip.ua import (  # noqa: PLC0415
        CallReport,
    )

    heard: dict[str, str] = {}

    def _record(report: CallReport) -> None:
        heard[str(report.number)] = str(report.outcome)

    port = free_udp_port()
    data = {
        "source": "sip",
        "mode": "listen",
        "port": port,
        "allowed_sources": ["127.0.0.1"],
        "ring_timeout": 60,
        "cause26_answered": True,
    }
    endpoint = SipEndpoint(hass, data, _record, lambda _state: None)
    await endpoint.async_open()
    try:
        with tempfile.TemporaryDirectory(prefix="bench_sip_flood_") as tmp:
            workdir = Path(tmp)
            # Warm up imports and code paths.
            await async_sipp_call(port, "+12025550000", workdir)
            return [
                await async_phase(endpoint.ua, port, heard, args, workdir, flood=flood)
                for flood in (False, True)
            ]
    finally:
        endpoint.close()


async def async_with_hass(
    body: Callable[[Any], Awaitable[list[dict[str, Any]]]],
) -> list[dict[str, Any]]:
    """Run body against one Home Assistant core, as the plugin's hass fixture does."""
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        async_test_home_assistant,
    )

    with tempfile.TemporaryDirectory(prefix="bench_sip_flood_ha_") as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            try:
                return await body(hass)
            finally:
                await hass.async_stop(force=True)


def summarize(phases: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Return the report: both phases and the flood's ratios to the baseline."""
    base, flood = phases
    sender = flood["sender"]
    return {
        "rate": args.rate,
        "seconds": args.seconds,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "targets": TARGETS,
        "baseline": base,
        "flood": flood,
        "ratios": {
            "lag_max": flood["lag_max_ms"] / max(base["lag_max_ms"], 1e-9),
            "lag_p99": flood["lag_p99_ms"] / max(base["lag_p99_ms"], 1e-9),
            "cpu": flood["cpu_pct_of_one_core"]
            / max(base["cpu_pct_of_one_core"], 1e-9),
            "reply_bytes_over_sent_bytes": sender["reply_bytes"]
            / max(sender["sent_bytes"], 1),
        },
        "rss_peak_mb": rss_bytes("VmHWM") / 2**20,
    }


def print_report(report: dict[str, Any]) -> None:
    """Print the table and the targets."""
    base, flood = report["baseline"], report["flood"]
    sender = flood["sender"]
    print()
    print(
        f"SIP flood: {sender['sent']} datagrams in {sender['send_seconds']:.1f} s "
        f"({sender['sent_bytes'] / 2**20:.0f} MiB) from an allowed address, "
        "vs the same without flood"
    )
    print(f"| {'measure':<34} | {'no flood':>10} | {'flood':>10} | {'ratio':>7} |")
    print(f"|{'-' * 36}|{'-' * 12}|{'-' * 12}|{'-' * 9}|")
    rows = [
        ("event-loop lag, max ms", "lag_max_ms", "{:.2f}"),
        ("event-loop lag, p99.9 ms", "lag_p999_ms", "{:.2f}"),
        ("event-loop lag, p99 ms", "lag_p99_ms", "{:.2f}"),
        ("event-loop lag, median ms", "lag_median_ms", "{:.2f}"),
        ("RSS growth, MB", "rss_growth_mb", "{:.1f}"),
        ("CPU, % of one core", "cpu_pct_of_one_core", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        # A growth of nearly nothing makes no ratio worth printing.
        ratio = f"{flood[key] / base[key]:.2f}" if base[key] >= 0.1 else "-"
        print(
            f"| {label:<34} | {fmt.format(base[key]):>10} | "
            f"{fmt.format(flood[key]):>10} | {ratio:>7} |"
        )
    print(
        f"| {'lag samples over the target':<34} | "
        f"{base['lag_samples_over_target']:>10} | "
        f"{flood['lag_samples_over_target']:>10} | {'':>7} |"
    )
    print(
        f"| {'normal call (INVITE, CANCEL)':<34} | {base['call_outcome']:>10} | "
        f"{flood['call_outcome']:>10} | {'':>7} |"
    )
    print(
        f"| {'SIPp exit code':<34} | {base['sipp_rc']:>10} | "
        f"{flood['sipp_rc']:>10} | {'':>7} |"
    )
    stats = flood["ua_stats"]
    print()
    print(
        "sent by kind: "
        + ", ".join(f"{k} {v}" for k, v in sender["sent_by_kind"].items())
    )
    print(
        f"user agent: received {stats['received']} (the call's included), malformed "
        f"{stats['dropped_malformed']}, too many Vias/oversize dropped "
        f"{stats['dropped_oversize']}, answered 513 {stats['refused_oversize']}, "
        f"calls {stats['calls']}, evicted {stats['evicted']}; held at the end: "
        f"{flood['transactions_held']} transactions, "
        f"{flood['transaction_bytes'] / 2**20:.1f} MiB counted, finished cache "
        f"{flood['finished_bytes'] / 2**20:.1f} MiB"
    )
    print(
        f"replies: {sender['replies']} ({sender['replies_by_status']}), "
        f"{sender['reply_bytes'] / 2**20:.1f} MiB = "
        f"{report['ratios']['reply_bytes_over_sent_bytes']:.2f} x the bytes sent"
    )
    lag, rss = TARGETS["max_lag_ms"], TARGETS["rss_growth_mb"]
    print(
        f"targets: max lag < {lag:.0f} ms -> {flood['lag_max_ms']:.1f} ms; "
        f"RSS growth < {rss:.0f} MB -> {flood['rss_growth_mb']:.1f} MB; "
        f"normal call missed -> {flood['call_outcome']}"
    )


def main() -> None:
    """Parse arguments, run, print and save the report (or send, with --send)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000, help="datagrams per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--send", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send is not None:
        print(json.dumps(send_flood(args.send, args.rate, args.seconds)))
        return
    sys.path.insert(0, str(REPO))
    phases = asyncio.run(async_with_hass(lambda hass: async_bench(hass, args)))
    report = summarize(phases, args)
    print_report(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
