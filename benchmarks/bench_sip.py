#!/usr/bin/env python3
"""SIP source under load: SIPp rings a real Home Assistant's SIP line.

One Home Assistant core runs in this process (set up as in bench_textback.py);
SIPp (a separate process) places N calls at R calls/s to 127.0.0.1 with a mix
of endings: caller hung up (no Reason), answered elsewhere (SIP;cause=200),
non-selected user clearing (Q.850;cause=26, counted as answered) and normal
clearing (Q.850;cause=16, missed). In the same run it measures:

(a) baseline: the same SIP user agent on its own port with a sink that only
    records each call's outcome (no line, no texts);
(b) the integration: a SIP line (listen mode) texting every missed caller
    through a recording notify service (cooldown 0, no caps): half the calls,
    150 texts/s, each persisted, sent, recorded and evented;
(c) the same SIP line with every call answered elsewhere (SIP;cause=200): the
    SIP source and the line's classification, without the text pipeline.

For each run: calls misclassified, reported twice, or never reported; the CPU
time of this (Home Assistant's) process over the wall time of the run, in %
of one core; resident memory. It is not a pass/fail test: the issue's targets
are printed next to the numbers. benchmarks/README.md says how to read them.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import json
import logging
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
sys.path.insert(0, str(REPO))

from homeassistant import loader  # noqa: E402
from homeassistant.core import HomeAssistant, ServiceCall, callback  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.missed_call_textback.calls import Outcome  # noqa: E402
from custom_components.missed_call_textback.sources.sip import (  # noqa: E402
    SipEndpoint,
)
from custom_components.missed_call_textback.sources.sip.ua import (  # noqa: E402
    CallReport,
)

DOMAIN = "missed_call_textback"
RESULTS = Path(__file__).resolve().parent / "results" / "sip.json"
SCENARIO = REPO / "tests" / "sip" / "scenarios" / "uac_cancel.xml"
SERVICE = "bench_sip_sms"
TARGETS = {"misclassified": 0, "duplicates": 0, "cpu_pct_of_one_core": 15.0}

# (header, protocol, cause) of the CANCEL, and the outcome each means.
ENDINGS: list[tuple[tuple[str, str, str], Outcome]] = [
    (("X-No-Reason", "none", "0"), Outcome.MISSED),
    (("Reason", "SIP", "200"), Outcome.ANSWERED),
    (("Reason", "Q.850", "26"), Outcome.ANSWERED),
    (("Reason", "Q.850", "16"), Outcome.MISSED),
]
PREFIXES = ("+1650253", "+1415555", "+1212555", "+1312555", "+1617253")

LOG = logging.getLogger("bench_sip")
# Numbers the recording notify service was called with (registered once).
SENT: list[str] = []


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


@dataclass
class Run:
    """What one SIPp run did to one variant."""

    variant: str
    calls: int
    wall_s: float
    cpu_s: float
    sipp_rc: int
    heard: int
    misclassified: int
    duplicates: int
    missing: int
    texts: int | None
    expected_texts: int
    rss_before: int
    rss_after: int

    @property
    def cpu_pct(self) -> float:
        """Return CPU time over wall time, in % of one core."""
        return 100 * self.cpu_s / self.wall_s


class Plan:
    """The calls of one run: a distinct caller each, endings in rotation."""

    def __init__(
        self,
        count: int,
        prefix: str,
        endings: list[tuple[tuple[str, str, str], Outcome]] = ENDINGS,
    ) -> None:
        """Plan count calls from numbers prefix + 0000..9999."""
        self.endings = endings
        self.numbers = [f"{prefix}{i:04d}" for i in range(count)]
        self.expected = {
            number: endings[i % len(endings)][1]
            for i, number in enumerate(self.numbers)
        }

    def write(self, path: Path) -> Path:
        """Write SIPp's injection file."""
        lines = ["SEQUENTIAL"]
        for i, number in enumerate(self.numbers):
            header, protocol, cause = self.endings[i % len(self.endings)][0]
            lines.append(f"{number};{header};{protocol};{cause};")
        path.write_text("\n".join(lines) + "\n", encoding="ascii")
        return path

    def score(self, heard: list[tuple[str | None, Outcome]]) -> tuple[int, int, int]:
        """Return (misclassified, duplicates, missing)."""
        seen = Counter(number for number, _ in heard)
        duplicates = sum(count - 1 for count in seen.values())
        misclassified = sum(
            1 for number, outcome in heard if self.expected.get(str(number)) != outcome
        )
        missing = sum(1 for number in self.numbers if number not in seen)
        return misclassified, duplicates, missing


async def async_sipp(port: int, csv: Path, args: argparse.Namespace) -> int:
    """Run SIPp against 127.0.0.1:port; return its exit code."""
    sipp = shutil.which("sipp")
    if sipp is None:
        raise SystemExit("sipp is not installed: apt-get install -y sip-tester")
    process = await asyncio.create_subprocess_exec(
        sipp,
        f"127.0.0.1:{port}",
        "-sf",
        str(SCENARIO),
        "-inf",
        str(csv),
        "-m",
        str(args.calls),
        "-r",
        str(args.rate),
        "-l",
        "5000",
        "-i",
        "127.0.0.1",
        "-p",
        str(free_udp_port()),
        "-nostdin",
        "-timeout",
        f"{int(args.calls / args.rate) + 60}s",
        "-timeout_error",
        cwd=csv.parent,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    if process.returncode:
        LOG.warning("sipp: %s", stderr.decode(errors="replace")[-400:])
    return int(process.returncode or 0)


def sip_data(port: int) -> dict[str, Any]:
    """Return the SIP settings of a listening line on port."""
    return {
        "source": "sip",
        "mode": "listen",
        "port": port,
        "allowed_sources": ["127.0.0.1"],
        "ring_timeout": 60,
        "cause26_answered": True,
    }


async def async_measure(
    hass: HomeAssistant,
    variant: str,
    plan: Plan,
    port: int,
    heard: list[tuple[str | None, Outcome]],
    texts: Callable[[], int | None],
    args: argparse.Namespace,
    workdir: Path,
) -> Run:
    """Run SIPp once against a variant already listening on port."""
    csv = plan.write(workdir / f"{variant}.csv")
    expected_texts = sum(1 for o in plan.expected.values() if o is Outcome.MISSED)
    await hass.async_block_till_done()
    rss_before = rss_bytes()
    wall, cpu = time.perf_counter(), time.process_time()
    rc = await async_sipp(port, csv, args)
    # The texts of the last calls are still on their way: wait for them.
    for _ in range(200):
        await hass.async_block_till_done()
        sent = texts()
        if sent is None or sent >= expected_texts:
            break
        await asyncio.sleep(0.05)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    misclassified, duplicates, missing = plan.score(heard)
    return Run(
        variant=variant,
        calls=args.calls,
        wall_s=wall,
        cpu_s=cpu,
        sipp_rc=rc,
        heard=len(heard),
        misclassified=misclassified,
        duplicates=duplicates,
        missing=missing,
        texts=texts(),
        expected_texts=expected_texts,
        rss_before=rss_before,
        rss_after=rss_bytes(),
    )


async def async_baseline(
    hass: HomeAssistant, plan: Plan, args: argparse.Namespace, workdir: Path
) -> Run:
    """Measure (a): the user agent alone, recording outcomes."""
    heard: list[tuple[str | None, Outcome]] = []
    port = free_udp_port()

    def _record(report: CallReport) -> None:
        heard.append((report.number, report.outcome))

    endpoint = SipEndpoint(hass, sip_data(port), _record, lambda _state: None)
    await endpoint.async_open()
    try:
        return await async_measure(
            hass, "a", plan, port, heard, lambda: None, args, workdir
        )
    finally:
        endpoint.close()


async def async_integration(
    hass: HomeAssistant,
    plan: Plan,
    args: argparse.Namespace,
    workdir: Path,
    rep: int,
    variant: str = "b",
) -> Run:
    """Measure (b) or (c): a SIP line texting every missed caller."""
    port = free_udp_port()

    @callback
    def _sms(call: ServiceCall) -> None:
        SENT.extend(call.data["target"])

    if not hass.services.has_service("notify", SERVICE):
        hass.services.async_register("notify", SERVICE, _sms)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Bench SIP {variant}{rep}",
        unique_id=f"sip:{port}",
        data=sip_data(port),
        options={
            "line_name": f"Bench SIP {variant}{rep}",
            "business_name": "Acme Plumbing",
            "sender": "notify",
            "notify_service": SERVICE,
            "cooldown_hours": 0,
            "country": "US",
            "hourly_cap": 0,
            "daily_cap": 0,
            "min_ring_seconds": 0,
        },
    )
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise SystemExit(f"the SIP line did not set up: {entry.state}")
    await hass.async_block_till_done()
    line = entry.runtime_data
    heard: list[tuple[str | None, Outcome]] = []
    take = line.calls_ended

    def _spy(calls: list[Any]) -> None:
        heard.extend((str(call.number), call.outcome) for call in calls)
        take(calls)

    line.calls_ended = _spy
    SENT.clear()
    try:
        return await async_measure(
            hass, variant, plan, port, heard, lambda: len(SENT), args, workdir
        )
    finally:
        await hass.config_entries.async_remove(entry.entry_id)


async def async_bench(hass: HomeAssistant, args: argparse.Namespace) -> list[Run]:
    """Alternate (a) and (b) for each repeat."""
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench_sip_") as tmp:
        workdir = Path(tmp)
        # Warm up imports and code paths with a short run of each.
        warm = argparse.Namespace(**{**vars(args), "calls": 100})
        await async_baseline(hass, Plan(100, "+1202555"), warm, workdir)
        await async_integration(hass, Plan(100, "+1202555"), warm, workdir, 0)
        answered = [ENDINGS[1]]
        for rep in range(args.repeat):
            for i, key in enumerate("abc" if rep % 2 == 0 else "cba"):
                plan = Plan(
                    args.calls,
                    PREFIXES[(3 * rep + i) % len(PREFIXES)],
                    answered if key == "c" else ENDINGS,
                )
                if key == "a":
                    run = await async_baseline(hass, plan, args, workdir)
                else:
                    run = await async_integration(
                        hass, plan, args, workdir, rep + 1, key
                    )
                LOG.info("repeat %d %s: %s", rep + 1, key, run)
                runs.append(run)
    return runs


async def async_with_hass(
    body: Callable[[HomeAssistant], Awaitable[list[Run]]],
) -> list[Run]:
    """Run body against one Home Assistant core, as the plugin's hass fixture does."""
    with tempfile.TemporaryDirectory(prefix="bench_sip_ha_") as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            await hass.config.async_update(country="US", time_zone="America/New_York")
            try:
                return await body(hass)
            finally:
                await hass.async_stop(force=True)


def summarize(runs: list[Run], args: argparse.Namespace) -> dict[str, Any]:
    """Return the report: medians per variant and every run."""
    report: dict[str, Any] = {
        "calls": args.calls,
        "rate": args.rate,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "targets": TARGETS,
        "variants": {},
        "runs": [{**vars(run), "cpu_pct": run.cpu_pct} for run in runs],
    }
    for key in "abc":
        mine = [run for run in runs if run.variant == key]
        report["variants"][key] = {
            "cpu_pct_median": statistics.median(run.cpu_pct for run in mine),
            "misclassified": sum(run.misclassified for run in mine),
            "duplicates": sum(run.duplicates for run in mine),
            "missing": sum(run.missing for run in mine),
            "sipp_failed_runs": sum(1 for run in mine if run.sipp_rc),
            "texts": [run.texts for run in mine],
            "expected_texts": [run.expected_texts for run in mine],
            "rss_after_mb_max": max(run.rss_after for run in mine) / 2**20,
        }
    a, b, c = (report["variants"][key] for key in "abc")
    report["ratio_cpu_b_over_a"] = b["cpu_pct_median"] / max(a["cpu_pct_median"], 1e-9)
    report["ratio_cpu_c_over_a"] = c["cpu_pct_median"] / max(a["cpu_pct_median"], 1e-9)
    report["rss_peak_mb"] = rss_bytes("VmHWM") / 2**20
    return report


def print_report(report: dict[str, Any]) -> None:
    """Print the table and the targets."""
    variants = [report["variants"][key] for key in "abc"]
    print()
    print(
        f"SIP: {report['calls']} calls at {report['rate']} calls/s, "
        f"{report['repeat']} repeat(s) per variant (medians; counts summed)"
    )
    heads = ["UA only (a)", "line, texts (b)", "line, none (c)"]
    print(f"| {'measure':<34} | " + " | ".join(f"{h:>15}" for h in heads) + " |")
    print(f"|{'-' * 36}|" + "|".join("-" * 17 for _ in heads) + "|")
    rows = [
        ("CPU, % of one core", "cpu_pct_median", "{:.1f}"),
        ("misclassified calls", "misclassified", "{}"),
        ("calls reported twice", "duplicates", "{}"),
        ("calls never reported", "missing", "{}"),
        ("runs SIPp counted a failed call", "sipp_failed_runs", "{}"),
        ("RSS after the run, MB (max)", "rss_after_mb_max", "{:.0f}"),
    ]
    for label, key, fmt in rows:
        cells = " | ".join(f"{fmt.format(v[key]):>15}" for v in variants)
        print(f"| {label:<34} | {cells} |")
    texts = [
        "-"
        if v["texts"][0] is None
        else f"{sum(v['texts'])}/{sum(v['expected_texts'])}"
        for v in variants
    ]
    cells = " | ".join(f"{t:>15}" for t in texts)
    print(f"| {'texts sent / missed calls':<34} | {cells} |")
    print()
    print(
        f"CPU ratio b/a: {report['ratio_cpu_b_over_a']:.2f}, "
        f"c/a: {report['ratio_cpu_c_over_a']:.2f}"
    )
    print(f"peak RSS of the process: {report['rss_peak_mb']:.0f} MB")
    a, b, c = variants
    limit = TARGETS["cpu_pct_of_one_core"]
    print(
        "targets: misclassified 0 -> "
        f"{b['misclassified'] + c['misclassified']}, duplicates 0 -> "
        f"{b['duplicates'] + c['duplicates']}, CPU < {limit:.0f} % -> "
        f"(a) {a['cpu_pct_median']:.1f} %, (c) {c['cpu_pct_median']:.1f} %, "
        f"(b) {b['cpu_pct_median']:.1f} %"
    )


def main() -> None:
    """Parse arguments, run, print and save the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per run")
    parser.add_argument("--rate", type=int, default=300, help="calls per second")
    parser.add_argument("--repeat", type=int, default=2, help="runs per variant")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    LOG.setLevel(logging.INFO if args.verbose else logging.WARNING)
    runs = asyncio.run(async_with_hass(lambda hass: async_bench(hass, args)))
    report = summarize(runs, args)
    print_report(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
