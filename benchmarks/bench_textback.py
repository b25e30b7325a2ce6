#!/usr/bin/env python3
"""Text-back latency and throughput: this integration next to a plain HA automation.

One real Home Assistant core runs in this process, set up the way
pytest-homeassistant-custom-component sets up its ``hass`` fixture but with a
temporary config dir, so the integration's Store writes real files. In the
same run it measures:

(a) baseline: a YAML-equivalent automation doing a naive text-back: a
    FRITZ!Box-style sensor goes ``ringing`` -> ``idle``, the action calls
    ``notify.bench_sms`` with a message template and
    ``target: "{{ trigger.from_state.attributes.from }}"``;
(b) the integration on an identical sensor, texting through
    ``notify.bench_sms_b`` (cooldown 0, no rate caps, every caller a new
    number, so every call is texted).

Both notify services are recording handlers: they note time.perf_counter_ns()
and the target. Latency is the time from the ``idle`` state write to the
handler being called. benchmarks/README.md says how to read the output. It is
not a pass/fail test: the issue's targets are printed next to the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
import dataclasses
from dataclasses import dataclass, field
import datetime as dt
import gc
import json
import logging
import math
import os
from pathlib import Path
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The plugin's enable_custom_integrations fixture relies on the repo root being
# importable, so that `custom_components` is ours.
sys.path.insert(0, str(REPO))

from homeassistant import loader  # noqa: E402
from homeassistant.const import EVENT_STATE_CHANGED, MATCH_ALL  # noqa: E402
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback  # noqa: E402
from homeassistant.helpers import (  # noqa: E402
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.setup import async_setup_component  # noqa: E402
import phonenumbers  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

DOMAIN = "missed_call_textback"
RESULTS_DIR = Path(__file__).resolve().parent / "results"

BASELINE_ENTITY = "sensor.baseline_line"
LINE_ENTITY = "sensor.textback_line"
BASELINE_SERVICE = "bench_sms"
LINE_SERVICE = "bench_sms_b"

BUSINESS_NAME = "Acme Plumbing"
# The integration's default message; the automation renders the same template.
MESSAGE = (
    "Hey \u2014 you just called {{ business_name }}. We're probably on a job right "
    "now. What can we help you with? We'll follow up within the hour."
)

# Exchanges whose 10,000 subscriber numbers phonenumbers calls valid (spot
# checked at start): a distinct caller for every call of a run.
CALLER_PREFIXES = ("+1650253", "+1415555", "+1212555", "+1312555", "+1617253")

# Calls a fresh line takes before it is measured: more than the history cap,
# so the line is in its steady state (history full).
WARMUP_CALLS = 250
# Warm-ups and the memory run send calls in waves of this many back to back:
# much quicker than one at a time, too short to build a backlog.
WAVE = 20
# A throughput run checks its resident memory every this many calls.
RSS_EVERY = 25

STORE_GROWTH_OK = 0.05  # of the file's size after the warm-up

COLORS = {"a": "#8c8c8c", "b": "#1f77b4"}
LABELS = {"a": "automation (a)", "b": "integration (b)"}

# The redesign's targets; the first plan's latency ratio is still shown.
TARGETS = {
    "ratio_b_over_a_median": 1.0,
    "p99_ms": 5.0,
    "calls_per_s": 1000.0,
    "throughput_ratio": 0.5,
    "setup_ms": 50.0,
    "memory_growth_bytes": 100 * 1024,  # per --memory-calls (10,000) calls
}

LOG = logging.getLogger("bench_textback")


# --- the calls ------------------------------------------------------------


class Callers:
    """Hands out runs of distinct valid numbers, rotating through a pool."""

    def __init__(self) -> None:
        """Build the pool and spot-check that phonenumbers calls it valid."""
        self._pool = [
            f"{prefix}{i:04d}" for prefix in CALLER_PREFIXES for i in range(10_000)
        ]
        for sample in self._pool[:: len(self._pool) // 50]:
            if not phonenumbers.is_valid_number(phonenumbers.parse(sample)):
                raise SystemExit(f"caller pool number {sample} is not valid")
        self._next = 0

    def take(self, count: int) -> list[str]:
        """Return the next `count` numbers, none of them in the previous run."""
        if count > len(self._pool):
            raise SystemExit(f"at most {len(self._pool)} calls per run")
        if self._next + count > len(self._pool):
            self._next = 0
        numbers = self._pool[self._next : self._next + count]
        self._next += count
        return numbers


def digits(target: object) -> str:
    """Return the caller's digits in a notify target, whatever its shape.

    The integration passes ["+1650..."]; the automation's template turns
    "+1650..." into the int 1650... (the pitfall in shared/FACTS.md).
    """
    if isinstance(target, list | tuple):
        target = target[0] if target else ""
    return "".join(ch for ch in str(target) if ch.isdigit())


_tick = iter(range(10**12))


def ring(hass: HomeAssistant, entity_id: str, number: str) -> None:
    """Show an incoming call, with fritzbox_callmonitor's attributes."""
    tick = next(_tick)
    hass.states.async_set(
        entity_id,
        "ringing",
        {
            "type": "incoming",
            "from": number,
            "to": "6502530000",
            "device": "SIP0",
            "initiated": f"26.11.26 10:00:{tick % 60:02d}.{tick}",
            "from_name": "unknown",
        },
    )


def hang_up(hass: HomeAssistant, entity_id: str) -> None:
    """Go idle: the caller hung up before anyone answered."""
    hass.states.async_set(
        entity_id, "idle", {"duration": "0", "closed": f"t{next(_tick)}"}
    )


# --- the recording notify services ----------------------------------------


class RecordingNotify:
    """A notify service that notes when each caller's text arrived."""

    def __init__(self, hass: HomeAssistant, service: str) -> None:
        """Register notify.<service>."""
        self.service = service
        self.arrived: dict[str, int] = {}
        self.targets: list[object] = []
        self._waiting: dict[str, asyncio.Future[int]] = {}
        self._all: asyncio.Future[None] | None = None
        self._expected = 0
        hass.services.async_register("notify", service, self._handle)

    @callback
    def _handle(self, call: ServiceCall) -> None:
        now = time.perf_counter_ns()
        target = call.data.get("target")
        key = digits(target)
        self.arrived[key] = now
        if len(self.targets) < 3:
            self.targets.append(target)
        if (future := self._waiting.pop(key, None)) is not None and not future.done():
            future.set_result(now)
        if (
            self._all is not None
            and not self._all.done()
            and len(self.arrived) >= self._expected
        ):
            self._all.set_result(None)

    def reset(self) -> None:
        """Forget the texts of the previous run."""
        self.arrived.clear()
        self._waiting.clear()
        self._all = None

    def wait_for(self, number: str) -> asyncio.Future[int]:
        """Return a future for the arrival time of the text to number."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[digits(number)] = future
        return future

    def wait_for_all(self, count: int) -> asyncio.Future[None]:
        """Return a future done once `count` texts arrived since the reset."""
        self._expected = count
        self._all = asyncio.get_running_loop().create_future()
        if len(self.arrived) >= count:
            self._all.set_result(None)
        return self._all


# --- the two variants -----------------------------------------------------


@dataclass
class Variant:
    """One way of texting missed callers back, driven by one sensor."""

    key: str
    label: str
    entity_id: str
    notify: RecordingNotify
    # Start over from a clean state (the integration: a fresh line).
    fresh: Callable[[], Awaitable[None]]
    entry: Callable[[], MockConfigEntry | None] = lambda: None


async def async_nothing() -> None:
    """Do nothing: the automation keeps no state worth starting over from."""


async def async_setup_baseline(hass: HomeAssistant) -> Variant:
    """Set up (a): the automation an owner would write instead of installing us."""
    notify = RecordingNotify(hass, BASELINE_SERVICE)
    hass.states.async_set(BASELINE_ENTITY, "idle", {})
    config = {
        "automation": [
            {
                "id": "bench_naive_textback",
                "alias": "Naive text-back",
                # The one change from a copy-pasted automation: the default
                # mode (single) drops calls that come in while a run is busy,
                # which would lose texts in the back-to-back throughput run.
                # One call at a time, both modes behave the same.
                "mode": "parallel",
                "max": 100_000,
                "variables": {"business_name": BUSINESS_NAME},
                "triggers": [
                    {
                        "trigger": "state",
                        "entity_id": BASELINE_ENTITY,
                        "from": "ringing",
                        "to": "idle",
                    }
                ],
                "actions": [
                    {
                        "action": f"notify.{BASELINE_SERVICE}",
                        "data": {
                            "message": MESSAGE,
                            "target": "{{ trigger.from_state.attributes.from }}",
                        },
                    }
                ],
            }
        ]
    }
    if not await async_setup_component(hass, "automation", config):
        raise SystemExit("the baseline automation did not set up")
    await hass.async_block_till_done()
    return Variant("a", "automation (a)", BASELINE_ENTITY, notify, async_nothing)


def line_entry(entity_id: str, service: str) -> MockConfigEntry:
    """Return a FRITZ!Box line texting through a notify service (as in conftest)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Bench {entity_id}",
        data={"source": "entity", "preset": "fritzbox", "entity_id": entity_id},
        options={
            "line_name": f"Bench {entity_id}",
            "business_name": BUSINESS_NAME,
            "sender": "notify",
            "notify_service": service,
            "message": MESSAGE,
            "cooldown_hours": 0,
            "text_voicemail": False,
            "country": "US",
            # Every call is texted: no rate caps, no minimum ring time (the
            # simulated calls ring for well under a second).
            "hourly_cap": 0,
            "daily_cap": 0,
            "min_ring_seconds": 0,
        },
        unique_id=f"entity:{entity_id}",
    )


async def async_add_line(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Add and set up a line; return the setup time in ms."""
    hass.states.async_set(entry.data["entity_id"], "idle", {})
    entry.add_to_hass(hass)
    start = time.perf_counter_ns()
    ok = await hass.config_entries.async_setup(entry.entry_id)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if not ok:
        raise SystemExit(f"the line {entry.title} did not set up: {entry.state}")
    await hass.async_block_till_done(wait_background_tasks=True)
    return elapsed


async def async_setup_integration(hass: HomeAssistant) -> Variant:
    """Set up (b): this integration on an identical sensor; fresh() replaces it."""
    notify = RecordingNotify(hass, LINE_SERVICE)
    current: list[MockConfigEntry] = []

    async def fresh() -> None:
        # Removing a line cancels whatever it still had running.
        for entry in current:
            await hass.config_entries.async_remove(entry.entry_id)
        current.clear()
        await hass.async_block_till_done(wait_background_tasks=True)
        entry = line_entry(LINE_ENTITY, LINE_SERVICE)
        await async_add_line(hass, entry)
        current.append(entry)

    await fresh()
    return Variant(
        "b", "integration (b)", LINE_ENTITY, notify, fresh, lambda: current[0]
    )


# --- measurements ---------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: p99 of 1000 values is the 990th smallest."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


async def async_latency_run(
    hass: HomeAssistant, variant: Variant, numbers: list[str], wait_s: float
) -> list[float]:
    """One call at a time; ms from the idle write to the notify handler."""
    notify = variant.notify
    notify.reset()
    latencies: list[float] = []
    for number in numbers:
        ring(hass, variant.entity_id, number)
        arrived = notify.wait_for(number)
        start = time.perf_counter_ns()
        hang_up(hass, variant.entity_id)
        try:
            end = await asyncio.wait_for(arrived, wait_s)
        except TimeoutError:
            raise SystemExit(
                f"{variant.label}: no text for call {len(latencies) + 1}"
                f" within {wait_s} s"
            ) from None
        latencies.append((end - start) / 1e6)
        # Let the rest of this call (bookkeeping, entities) finish before the
        # next one, so every call is measured on a quiet system.
        await hass.async_block_till_done(wait_background_tasks=True)
    return latencies


def rss_bytes() -> int | None:
    """Return the resident memory of this process (Linux), None elsewhere."""
    try:
        pages = Path("/proc/self/statm").read_text(encoding="ascii").split()[1]
    except (OSError, IndexError):
        return None
    return int(pages) * os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, kw_only=True)
class BurstLimits:
    """How far a throughput run may go before it is cut short ("capped")."""

    seconds: float | None = None  # writing the calls, and again waiting for texts
    memory_bytes: int | None = None  # resident memory grown while writing


async def async_burst(
    hass: HomeAssistant,
    variant: Variant,
    numbers: list[str],
    wait_s: float,
    limits: BurstLimits | None = None,
) -> dict[str, Any]:
    """Write all calls back to back (ringing + idle each), then wait for the texts.

    Past a limit, writing stops and waiting is bounded by the time limit:
    the run is "capped", its throughput is over the texts that arrived, and
    the variant starts over so no backlog is left behind.
    """
    limits = limits or BurstLimits()
    errors_before = WARNINGS.total
    notify = variant.notify
    notify.reset()
    rss_start = rss_bytes()
    rss_peak = rss_start
    start = time.perf_counter_ns()
    deadline = start + int(limits.seconds * 1e9) if limits.seconds else None
    written = 0
    cut = None
    for number in numbers:
        ring(hass, variant.entity_id, number)
        hang_up(hass, variant.entity_id)
        written += 1
        # One turn of the event loop per call, as when each state comes from
        # its own message of the call monitor: listeners of state changes run
        # there, so what they do before their first real wait is paid here.
        await asyncio.sleep(0)
        if deadline is not None and time.perf_counter_ns() > deadline:
            cut = "time"
            break
        if written % RSS_EVERY == 0 and rss_start is not None:
            rss_peak = max(rss_peak or 0, rss_bytes() or 0)
            if limits.memory_bytes and rss_peak - rss_start > limits.memory_bytes:
                cut = "memory"
                break
    wrote = time.perf_counter_ns()
    if rss_start is not None:
        rss_peak = max(rss_peak or 0, rss_bytes() or 0)
    done = notify.wait_for_all(written)
    try:
        await asyncio.wait_for(
            done, limits.seconds if cut and limits.seconds else wait_s
        )
    except TimeoutError:
        if not cut:
            LOG.warning(
                "%s: %d of %d texts within %s s",
                variant.label,
                len(notify.arrived),
                written,
                wait_s,
            )
    last = max(notify.arrived.values(), default=time.perf_counter_ns())
    handled = len(notify.arrived)
    if handled < written:
        cut = cut or "time"
        await variant.fresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    seconds = (last - start) / 1e9
    return {
        "calls": len(numbers),
        "written": written,
        "handled": handled,
        "capped": cut is not None,
        "cut_by": cut,
        "seconds": round(seconds, 3),
        "calls_per_s": handled / seconds if seconds > 0 else 0.0,
        "write_loop_s": round((wrote - start) / 1e9, 3),
        "rss_growth_bytes": (
            rss_peak - rss_start if rss_start is not None and rss_peak else None
        ),
        "warnings_logged": WARNINGS.total - errors_before,
    }


async def async_waves(
    hass: HomeAssistant,
    variant: Variant,
    numbers: list[str],
    wait_s: float,
    deadline: float | None = None,
) -> int:
    """Send calls in short waves; stop early at the deadline; return calls made."""
    made = 0
    for i in range(0, len(numbers), WAVE):
        if deadline is not None and time.perf_counter() > deadline:
            break
        wave = numbers[i : i + WAVE]
        await async_burst(hass, variant, wave, wait_s)
        made += len(wave)
    return made


@dataclass
class RunResult:
    """One repeat of one variant at one N."""

    median_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    latency_calls: int
    burst: dict[str, Any] | None
    latencies: list[float] = field(repr=False)


async def async_measure(
    hass: HomeAssistant,
    variant: Variant,
    callers: Callers,
    calls: int,
    args: argparse.Namespace,
    *,
    burst: bool,
) -> RunResult:
    """Latency (one call at a time), then throughput (N back to back)."""
    await variant.fresh()
    await async_waves(hass, variant, callers.take(WARMUP_CALLS), args.timeout)
    gc.collect()
    latencies = await async_latency_run(
        hass, variant, callers.take(min(calls, args.latency_calls)), args.timeout
    )
    throughput = None
    if burst:
        gc.collect()
        throughput = await async_burst(
            hass, variant, callers.take(calls), args.timeout, args.burst_limits
        )
    return RunResult(
        median_ms=statistics.median(latencies),
        p99_ms=percentile(latencies, 99),
        mean_ms=statistics.fmean(latencies),
        max_ms=max(latencies),
        latency_calls=len(latencies),
        burst=throughput,
        latencies=latencies,
    )


async def async_setup_times(hass: HomeAssistant, samples: int) -> dict[str, Any]:
    """Set up fresh lines (each on its own sensor and service); ms per setup."""
    times: list[float] = []
    entries: list[MockConfigEntry] = []
    for i in range(samples):
        service = f"bench_setup_{i}"
        RecordingNotify(hass, service)
        entry = line_entry(f"sensor.setup_line_{i}", service)
        times.append(await async_add_line(hass, entry))
        entries.append(entry)
    for entry in entries:
        await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    cold = times.pop(0)
    return {"cold_ms": cold, "samples_ms": times, "median_ms": statistics.median(times)}


async def async_store_size(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    """Reload the line (unloading writes its Store, setup reads it back); bytes."""
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    path = hass.config.path(".storage", f"{DOMAIN}.{entry.entry_id}")
    return await hass.async_add_executor_job(os.path.getsize, path)


def snapshot() -> tracemalloc.Snapshot:
    """Live traced allocations, less the benchmark's own records of the calls."""
    gc.collect()
    return tracemalloc.take_snapshot().filter_traces(
        [
            tracemalloc.Filter(inclusive=False, filename_pattern=__file__),
            tracemalloc.Filter(inclusive=False, filename_pattern=tracemalloc.__file__),
        ]
    )


def warm_registries(hass: HomeAssistant) -> None:
    """Build the registries' cached JSON now, before the first snapshot.

    A fresh line replaces the entities of the one before it; the registries
    save that 10 s later and cache each entry's JSON then. Built here, it is
    not counted as growth of the calls that happen to run during the save.
    """
    registries = (er.async_get(hass), dr.async_get(hass))
    for registry in registries:
        for kind in ("entities", "deleted_entities", "devices", "deleted_devices"):
            for item in getattr(registry, kind, {}).values():
                getattr(item, "as_storage_fragment", None)


async def async_growth(
    hass: HomeAssistant,
    variant: Variant,
    callers: Callers,
    calls: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Memory (tracemalloc) and Store growth over `calls` calls on a fresh line.

    Tracing starts before a warm-up that cycles the capped history once, so
    records replacing older ones net out: what is left is growth no cap
    stops. With a budget the run may stop short of `calls`; growth per
    `calls` is then extrapolated from the calls made (and flagged).
    """
    await variant.fresh()
    entry = variant.entry()
    result: dict[str, Any] = {"calls": calls, "wave": WAVE}
    started = time.perf_counter()
    tracemalloc.start(1)
    try:
        await async_waves(hass, variant, callers.take(WARMUP_CALLS), args.timeout)
        if entry is not None:
            result["store_bytes_before"] = await async_store_size(hass, entry)
        warm_registries(hass)
        before = snapshot()
        deadline = (
            time.perf_counter() + args.memory_budget if args.memory_budget else None
        )
        made = await async_waves(
            hass, variant, callers.take(calls), args.timeout, deadline
        )
        if entry is not None:
            result["store_bytes_after"] = await async_store_size(hass, entry)
        after = snapshot()
    finally:
        tracemalloc.stop()
    diff = after.compare_to(before, "lineno")
    growth = sum(stat.size_diff for stat in diff)
    scale = calls / made
    result |= {
        "calls_made": made,
        "extrapolated": made < calls,
        "seconds": round(time.perf_counter() - started, 1),
        "growth_bytes_measured": growth,
        "growth_bytes": round(growth * scale),
        "top_growth": [
            {
                "where": str(stat.traceback),
                "bytes": stat.size_diff,
                "count": stat.count_diff,
            }
            for stat in diff[:6]
        ],
    }
    if entry is not None:
        store_growth = result["store_bytes_after"] - result["store_bytes_before"]
        result["store_growth_bytes"] = round(store_growth * scale)
        result["store_bytes_at_calls"] = (
            result["store_bytes_before"] + result["store_growth_bytes"]
        )
    return result


async def async_event_counts(
    hass: HomeAssistant, variant: Variant, callers: Callers, calls: int
) -> dict[str, float]:
    """Count bus events and state writes per call (a recorder stores each)."""
    seen: Counter[str] = Counter()

    @callback
    def _count(event: Event) -> None:
        if event.event_type == EVENT_STATE_CHANGED:
            if event.data["entity_id"] == variant.entity_id:
                return  # the simulated call monitor itself
            seen["state writes"] += 1
            # Which entities write, to tell a redraw from a change.
            seen[f"state writes: {event.data['entity_id']}"] += 1
        else:
            seen["other bus events"] += 1

    unsub = hass.bus.async_listen(MATCH_ALL, _count)
    try:
        await async_latency_run(hass, variant, callers.take(calls), 30)
    finally:
        unsub()
    return {kind: count / calls for kind, count in sorted(seen.items())}


# --- reporting ------------------------------------------------------------


def med(values: Sequence[float]) -> float:
    """Return the median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


def summarize(runs: dict[str, list[RunResult]]) -> dict[str, Any]:
    """Take medians over repeats; ratios are taken within a repeat, then the median."""
    out: dict[str, Any] = {}
    for key, results in runs.items():
        pooled = [x for r in results for x in r.latencies]
        bursts = [r.burst for r in results if r.burst is not None]
        out[key] = {
            "median_ms": med([r.median_ms for r in results]),
            "p99_ms": med([r.p99_ms for r in results]),
            "mean_ms": med([r.mean_ms for r in results]),
            "latency_calls_per_repeat": results[0].latency_calls,
            "pooled_percentiles_ms": {
                f"p{p}": percentile(pooled, p) for p in (1, 10, 50, 90, 99, 99.9)
            }
            | {"max": max(pooled)},
            "calls_per_s": med([t["calls_per_s"] for t in bursts]),
            "burst_capped": any(t["capped"] for t in bursts),
            "bursts": bursts,
            "repeats": [
                {
                    k: v
                    for k, v in dataclasses.asdict(r).items()
                    if k not in ("latencies", "burst")
                }
                for r in results
            ],
        }
    pairs = list(zip(runs["a"], runs["b"], strict=True))
    ratios = [rb.median_ms / ra.median_ms for ra, rb in pairs]
    out["ratio_b_over_a_median"] = med(ratios)
    out["ratio_b_over_a_p99"] = med([rb.p99_ms / ra.p99_ms for ra, rb in pairs])
    out["ratios_per_repeat"] = [round(r, 3) for r in ratios]
    out["throughput_ratio_b_over_a"] = out["b"]["calls_per_s"] / out["a"]["calls_per_s"]
    return out


def fmt_bytes(n: float, *, signed: bool = True) -> str:
    """Format a byte count (or difference) for people."""
    sign = ("-" if n < 0 else "+") if signed else ""
    n = abs(n)
    if n < 1024:
        return f"{sign}{n:.0f} B"
    if n < 1024 * 1024:
        return f"{sign}{n / 1024:.1f} KiB"
    return f"{sign}{n / 1024 / 1024:.1f} MiB"


def tput(res: dict[str, Any]) -> str:
    """Format throughput, marked when the burst ran into its time budget."""
    return f"{res['calls_per_s']:.0f}{'*' if res['burst_capped'] else ''}"


def rss_note(burst: dict[str, Any]) -> str:
    """Say how much resident memory writing a burst's calls took."""
    grown = burst.get("rss_growth_bytes")
    return "" if grown is None else f" (resident memory {fmt_bytes(grown)})"


def table_lines(report: dict[str, Any]) -> list[str]:
    """Return the latency and throughput table, one row per N."""
    meta, results = report["meta"], report["results"]
    header = (
        f"{'N':>6} {'lat.calls':>9}  {'a med':>6} {'a p99':>6}  {'b med':>6}"
        f" {'b p99':>6}  {'b/a med':>7} {'b/a p99':>7}  {'a calls/s':>9}"
        f" {'b calls/s':>9} {'b/a':>6}"
    )
    lines = [
        (
            f"Text-back benchmark, medians of {meta['repeat']} repeats"
            f" (HA {meta['homeassistant']}, Python {meta['python']},"
            f" {meta['machine']}, integration {meta['integration_commit']})"
        ),
        (
            "latency: ms from the idle state write to the notify call, one call"
            " at a time; throughput: N calls back to back"
        ),
        header,
        "-" * len(header),
    ]
    for n, res in results.items():
        a, b = res["a"], res["b"]
        lines.append(
            f"{n:>6} {a['latency_calls_per_repeat']:>9}  {a['median_ms']:6.3f}"
            f" {a['p99_ms']:6.3f}  {b['median_ms']:6.3f} {b['p99_ms']:6.3f}"
            f"  {res['ratio_b_over_a_median']:7.2f} {res['ratio_b_over_a_p99']:7.2f}"
            f"  {tput(a):>9} {tput(b):>9} {res['throughput_ratio_b_over_a']:6.3f}"
        )
    lines.extend(
        f"* N={n} {key} capped ({t['cut_by']} limit): {t['written']} of"
        f" {t['calls']} calls written in {t['write_loop_s']:.1f} s"
        f"{rss_note(t)}, {t['handled']} texted after {t['seconds']:.1f} s;"
        " not repeated"
        for n, res in results.items()
        for key in ("a", "b")
        for t in res[key]["bursts"]
        if t["capped"]
    )
    lines.extend(
        f"! N={n} {key}: {t['warnings_logged']} warnings/errors logged during the"
        f" burst, {t['written'] - t['handled']} of {t['written']} calls not texted"
        for n, res in results.items()
        for key in ("a", "b")
        for t in res[key]["bursts"]
        if t.get("warnings_logged")
    )
    return lines


def other_lines(report: dict[str, Any]) -> list[str]:
    """Return setup time, memory and Store growth, and events per call."""
    meta, setup = report["meta"], report["setup"]
    lines = [
        (
            f"setup of a line: {setup['median_ms']:.1f} ms median of"
            f" {len(setup['samples_ms'])} fresh lines (the first, cold, importing"
            f" the integration: {setup['cold_ms']:.1f} ms)"
        )
    ]
    for n, res in report["results"].items():
        grown = {
            key: [t["rss_growth_bytes"] or 0 for t in res[key]["bursts"]]
            for key in ("a", "b")
        }
        lines.append(
            f"resident memory grown while writing a burst of N={n}:"
            f" a {fmt_bytes(med(grown['a']))}, b {fmt_bytes(med(grown['b']))}"
            " (median)"
        )
    mem = report.get("memory") or {}
    for key, label in (("b", "integration (b)"), ("a", "automation (a)")):
        if key not in mem:
            continue
        m = mem[key]
        how = (
            f"extrapolated from {m['calls_made']} calls made in"
            f" {meta['memory_budget_s']:.0f} s"
            if m["extrapolated"]
            else "measured"
        )
        lines.append(
            f"memory growth {label}: {fmt_bytes(m['growth_bytes'])} per"
            f" {m['calls']} calls ({how}; tracemalloc, after {WARMUP_CALLS} calls)"
        )
        if "store_growth_bytes" in m:
            lines.append(
                "store file of the line:"
                f" {fmt_bytes(m['store_bytes_before'], signed=False)} after"
                f" {WARMUP_CALLS} calls,"
                f" {fmt_bytes(m['store_bytes_at_calls'], signed=False)} after"
                f" {m['calls']} more ({how}; history cap {meta['history_cap']})"
            )
    lines.extend(
        f"per call, {label}: "
        + ", ".join(f"{v:.1f} {k}" for k, v in counts.items() if ": " not in k)
        for label, counts in (report.get("events_per_call") or {}).items()
    )
    return lines


def target_lines(report: dict[str, Any]) -> list[str]:
    """Return the issue's targets, each met or missed."""
    results, setup = report["results"], report["setup"]
    rows = results.values()
    checks = [
        (
            "b/a <= 1.0 at the median (first plan: latency)",
            all(r["ratio_b_over_a_median"] <= 1.0 for r in rows),
            ", ".join(f"{r['ratio_b_over_a_median']:.2f}" for r in rows),
        ),
        (
            f"p99 of b under {TARGETS['p99_ms']:g} ms",
            all(r["b"]["p99_ms"] < TARGETS["p99_ms"] for r in rows),
            ", ".join(f"{r['b']['p99_ms']:.2f} ms" for r in rows),
        ),
        (
            "b at least 1000 calls/s",
            all(r["b"]["calls_per_s"] >= TARGETS["calls_per_s"] for r in rows),
            ", ".join(tput(r["b"]) for r in rows),
        ),
        (
            f"b at least {TARGETS['throughput_ratio']:g}x a's calls/s",
            all(
                r["throughput_ratio_b_over_a"] >= TARGETS["throughput_ratio"]
                for r in rows
            ),
            ", ".join(f"{r['throughput_ratio_b_over_a']:.3f}" for r in rows),
        ),
        (
            "setup under 50 ms",
            setup["median_ms"] < TARGETS["setup_ms"],
            f"{setup['median_ms']:.1f} ms",
        ),
    ]
    if m := (report.get("memory") or {}).get("b"):
        checks.append(
            (
                "memory grows at most 100 KiB per 10000 calls, the store not",
                m["growth_bytes"] * 10_000 / m["calls"]
                <= TARGETS["memory_growth_bytes"]
                and m["store_growth_bytes"] < STORE_GROWTH_OK * m["store_bytes_before"],
                (
                    f"memory {fmt_bytes(m['growth_bytes'])}, store"
                    f" {fmt_bytes(m['store_growth_bytes'])} per {m['calls']} calls"
                ),
            )
        )
    return ["targets from the issue (not assertions):"] + [
        f"  [{'met ' if ok else 'MISS'}] {text}: {value}" for text, ok, value in checks
    ]


def print_report(report: dict[str, Any]) -> None:
    """Print the tables and the targets."""
    for block in (table_lines, other_lines, target_lines):
        print()
        print("\n".join(block(report)))
    print()


def draw_latency(
    ax: Any, report: dict[str, Any], pooled: dict[str, list[float]]
) -> None:
    """Draw the per-call latency distribution of a and b."""
    import numpy as np  # noqa: PLC0415

    results = report["results"]
    low = max(min(min(v) for v in pooled.values()), 1e-3)
    high = max(*(max(v) for v in pooled.values()), TARGETS["p99_ms"])
    bins = np.logspace(np.log10(low * 0.9), np.log10(high * 1.1), 90)
    for key in ("a", "b"):
        m, p99 = percentile(pooled[key], 50), percentile(pooled[key], 99)
        ax.hist(
            pooled[key],
            bins=bins,
            histtype="stepfilled",
            alpha=0.5,
            color=COLORS[key],
            label=f"{LABELS[key]}: median {m:.2f} ms, p99 {p99:.2f} ms",
        )
        ax.axvline(m, color=COLORS[key], linewidth=1.5)
        ax.axvline(p99, color=COLORS[key], linewidth=1.5, linestyle=":")
    ax.axvline(
        TARGETS["p99_ms"],
        color="#d62728",
        linestyle="--",
        linewidth=1,
        label=f"p99 target ({TARGETS['p99_ms']:g} ms)",
    )
    ax.set_xscale("log")
    ax.set_xlabel("ms from the idle state write to the notify call (log scale)")
    ax.set_ylabel("calls")
    ratios = ", ".join(
        f"{r['ratio_b_over_a_median']:.1f} at N={n}" for n, r in results.items()
    )
    ax.set_title(
        f"Per-call latency, one call at a time: {len(pooled['a'])} calls each, all"
        " N and repeats pooled\n"
        f"(solid = median, dotted = p99; b/a at the median: {ratios})",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper right")


def draw_throughput(ax: Any, report: dict[str, Any]) -> None:
    """Draw throughput bars of a and b per N."""
    import numpy as np  # noqa: PLC0415

    results = report["results"]
    ns = sorted(results, key=int)
    width = 0.38
    x = np.arange(len(ns))
    for offset, key in ((-width / 2, "a"), (width / 2, "b")):
        values = [results[n][key]["calls_per_s"] for n in ns]
        spread = [[t["calls_per_s"] for t in results[n][key]["bursts"]] for n in ns]
        err = np.array(
            [
                [v - min(s) for v, s in zip(values, spread, strict=True)],
                [max(s) - v for v, s in zip(values, spread, strict=True)],
            ]
        )
        bars = ax.bar(
            x + offset,
            values,
            width,
            yerr=err,
            capsize=3,
            color=COLORS[key],
            label=LABELS[key],
        )
        ax.bar_label(
            bars,
            labels=[tput(results[n][key]) for n in ns],
            fontsize=8,
            padding=2,
        )
    ax.axhline(
        TARGETS["calls_per_s"],
        color="#d62728",
        linestyle="--",
        linewidth=1,
        label="target (1000/s)",
    )
    ax.set_yscale("log")
    ax.set_xticks(x, [f"N = {n}" for n in ns])
    ax.set_ylabel("calls/s, log scale (median; whiskers min..max)")
    ax.set_title(
        "Throughput: N calls back to back\n"
        "(* capped: ran into its time or memory limit, see the table)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="best")


def draw_chart(
    report: dict[str, Any], latencies: dict[str, dict[str, list[float]]], path: Path
) -> None:
    """Write the PNG: latency distributions left, throughput right."""
    import matplotlib as mpl  # noqa: PLC0415

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [1.5, 1]}
    )
    pooled = {
        key: [x for per_n in latencies.values() for x in per_n[key]]
        for key in ("a", "b")
    }
    draw_latency(left, report, pooled)
    draw_throughput(right, report)
    meta = report["meta"]
    fig.suptitle(
        "Missed-call text-back vs a plain automation:"
        f" HA {meta['homeassistant']}, integration {meta['integration_commit']},"
        f" {meta['machine']}, {meta['date'][:10]}",
        fontsize=11,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- the run --------------------------------------------------------------


class WarningCounter(logging.Handler):
    """Counts warnings and errors, so a run that lost texts says so."""

    def __init__(self) -> None:
        """Count from WARNING up."""
        super().__init__(logging.WARNING)
        self.seen: Counter[str] = Counter()
        self.total = 0
        # The last line of each distinct error (an exception's type and text).
        self.kinds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record by level and logger, and by what it says."""
        self.total += 1
        self.seen[f"{record.levelname} {record.name}"] += 1
        if record.exc_info and record.exc_info[1] is not None:
            err = record.exc_info[1]
            self.kinds[f"{type(err).__name__}: {err}"] += 1
        else:
            self.kinds[record.getMessage().strip().splitlines()[-1][:200]] += 1


class OncePerKind(logging.Filter):
    """Lets each distinct message through to the console once (they are counted)."""

    def __init__(self) -> None:
        """Remember nothing yet."""
        super().__init__()
        self._shown: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        """Show a record unless one like it was shown."""
        key = (record.name, str(record.msg)[:80])
        if key in self._shown:
            return False
        self._shown.add(key)
        return True


WARNINGS = WarningCounter()


@contextmanager
def home_assistant_config_dir() -> Iterator[str]:
    """Yield a temporary config dir: the Store writes real files into it."""
    with tempfile.TemporaryDirectory(prefix="bench_textback_") as config_dir:
        yield config_dir


async def async_with_hass(
    config_dir: str, body: Callable[[HomeAssistant], Awaitable[Any]]
) -> Any:
    """Run body against one Home Assistant core, as the plugin's hass fixture does."""
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        # What the plugin's enable_custom_integrations fixture does.
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        await hass.config.async_update(country="US", time_zone="America/New_York")
        try:
            return await body(hass)
        finally:
            await hass.async_stop(force=True)


def integration_commit() -> str:
    """Return the commit measured (+dirty if the integration's files differ)."""
    git = shutil.which("git")
    if git is None:
        return "unknown"

    def run(*args: str) -> str:
        # Fixed arguments, no shell: only the repository path varies.
        return subprocess.run(  # noqa: S603
            [git, "-C", str(REPO), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = run("rev-parse", "--short", "HEAD")
        dirty = run("status", "--porcelain", "custom_components")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


async def async_bench(
    hass: HomeAssistant, args: argparse.Namespace, callers: Callers
) -> dict[str, Any]:
    """Measure everything on one Home Assistant; return the raw report parts."""
    baseline = await async_setup_baseline(hass)
    # Setup is timed before the measured line exists: the first (cold) setup
    # also imports the integration and sets up its platforms' components.
    setup = await async_setup_times(hass, args.setup_samples + 1)
    line = await async_setup_integration(hass)
    variants = {"a": baseline, "b": line}
    for variant in variants.values():  # imports, template compiles, caches
        await async_latency_run(hass, variant, callers.take(50), args.timeout)
        await async_burst(hass, variant, callers.take(50), args.timeout)

    results: dict[str, Any] = {}
    latencies: dict[str, dict[str, list[float]]] = {}
    for n in args.calls:
        runs: dict[str, list[RunResult]] = {"a": [], "b": []}
        capped: set[str] = set()
        for rep in range(args.repeat):
            # Alternate the order so drift on a noisy machine hits both.
            for key in ("a", "b") if rep % 2 == 0 else ("b", "a"):
                t = time.perf_counter()
                run = await async_measure(
                    hass, variants[key], callers, n, args, burst=key not in capped
                )
                if run.burst is not None and run.burst["capped"]:
                    capped.add(key)
                runs[key].append(run)
                LOG.info(
                    "N=%d repeat %d %s: median %.3f ms, p99 %.3f ms, %s (%.1f s)",
                    n,
                    rep + 1,
                    key,
                    run.median_ms,
                    run.p99_ms,
                    f"{run.burst['calls_per_s']:.0f} calls/s"
                    if run.burst
                    else "burst not repeated",
                    time.perf_counter() - t,
                )
        results[str(n)] = summarize(runs)
        latencies[str(n)] = {
            k: [x for r in v for x in r.latencies] for k, v in runs.items()
        }

    events = {}
    for key in ("a", "b"):
        await variants[key].fresh()
        events[variants[key].label] = await async_event_counts(
            hass, variants[key], callers, 200
        )
    memory: dict[str, Any] = {}
    if args.memory_calls:
        for key in ("b", "a") if args.memory_baseline else ("b",):
            t = time.perf_counter()
            memory[key] = await async_growth(
                hass, variants[key], callers, args.memory_calls, args
            )
            LOG.info("memory and store %s: %.1f s", key, time.perf_counter() - t)
    return {
        "results": results,
        "setup": setup,
        "memory": memory,
        "events_per_call": events,
        "targets_seen": {"a": baseline.notify.targets, "b": line.notify.targets},
        "latencies": latencies,
    }


async def async_main(args: argparse.Namespace) -> dict[str, Any]:
    """Run everything in one Home Assistant; return the report and raw latencies."""
    began = time.perf_counter()
    # Before Home Assistant imports the integration: the commit measured.
    commit = integration_commit()
    callers = Callers()
    logging.getLogger().addHandler(WARNINGS)
    with home_assistant_config_dir() as config_dir:
        measured = await async_with_hass(
            config_dir, lambda hass: async_bench(hass, args, callers)
        )

    import homeassistant.const as ha_const  # noqa: PLC0415

    from custom_components.missed_call_textback.const import HISTORY_CAP  # noqa: PLC0415

    if (now := integration_commit()) != commit:
        LOG.warning("the integration changed during the run: %s, now %s", commit, now)
        commit = f"{commit} (changed during the run to {now})"
    latencies = measured.pop("latencies")
    targets_seen = measured.pop("targets_seen")
    report = {
        "meta": {
            "command": " ".join(["python", *sys.argv]),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "homeassistant": ha_const.__version__,
            "integration_commit": commit,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "calls": args.calls,
            "repeat": args.repeat,
            "latency_calls_per_repeat": args.latency_calls,
            "warmup_calls": WARMUP_CALLS,
            "burst_budget_s": args.burst_budget,
            "burst_memory_mib": args.burst_memory,
            "memory_budget_s": args.memory_budget,
            "history_cap": HISTORY_CAP,
            "runtime_s": round(time.perf_counter() - began, 1),
            "log_warnings": dict(WARNINGS.seen),
            "log_warning_kinds": dict(WARNINGS.kinds.most_common(10)),
            # What each notify service got as `target` (the automation's lost '+').
            "targets_seen": {k: [repr(t) for t in v] for k, v in targets_seen.items()},
            "targets": TARGETS,
        },
        **measured,
    }
    return {"report": report, "latencies": latencies}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--calls", type=int, nargs="+", default=[1000, 10000], help="N per run"
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="repeats per N and variant"
    )
    parser.add_argument(
        "--latency-calls",
        type=int,
        default=2000,
        help="one-at-a-time calls per latency run: min(N, this); the throughput"
        " run makes all N",
    )
    parser.add_argument(
        "--burst-budget",
        type=float,
        default=12,
        help="seconds a throughput run may spend writing its calls, and again"
        " waiting for their texts; a run that needs more is capped and not"
        " repeated (0: no budget)",
    )
    parser.add_argument(
        "--burst-memory",
        type=float,
        default=1024,
        help="MiB a throughput run may grow this process's resident memory by while"
        " writing its calls; past it the run is capped as above (0: no limit)",
    )
    parser.add_argument(
        "--setup-samples", type=int, default=7, help="fresh lines timed for setup"
    )
    parser.add_argument(
        "--memory-calls",
        type=int,
        default=10000,
        help="calls traced for memory and Store growth (0: skip)",
    )
    parser.add_argument(
        "--memory-budget",
        type=float,
        default=20,
        help="seconds the memory run may take; growth is extrapolated to --memory-calls"
        " if it stops short (0: no budget)",
    )
    parser.add_argument(
        "--memory-baseline",
        action="store_true",
        help="trace the automation's memory too",
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds to wait for a run's texts"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS_DIR,
        help="where latest.json and latency.png go",
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each repeat to stderr"
    )
    args = parser.parse_args(argv)
    args.burst_budget = args.burst_budget or None
    args.burst_limits = BurstLimits(
        seconds=args.burst_budget,
        memory_bytes=int(args.burst_memory * 2**20) if args.burst_memory else None,
    )
    args.memory_budget = args.memory_budget or None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; write latest.json and latency.png; print the tables."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(OncePerKind())
    # Said once per run: the integration is a custom one.
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    LOG.setLevel(logging.INFO if args.verbose else logging.WARNING)
    out = asyncio.run(async_main(args))
    report = out["report"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    written = [args.out / "latest.json"]
    if not args.no_chart:
        try:
            draw_chart(report, out["latencies"], args.out / "latency.png")
        except ImportError:
            print("no chart: matplotlib is not installed (benchmarks/requirements.txt)")
        else:
            written.append(args.out / "latency.png")
    print(f"wrote {', '.join(str(p) for p in written)}")
    print(f"runtime {report['meta']['runtime_s']:.0f} s")
    if report["meta"]["log_warnings"]:
        print(f"log warnings/errors during the run: {report['meta']['log_warnings']}")
        for kind, count in report["meta"]["log_warning_kinds"].items():
            print(f"  {count} x {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
