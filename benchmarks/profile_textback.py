#!/usr/bin/env python3
"""Profile the integration's hot path with the benchmark's harness.

    .venv/bin/python benchmarks/profile_textback.py --mode latency --calls 2000
    .venv/bin/python benchmarks/profile_textback.py --mode burst --calls 1000
    .venv/bin/python benchmarks/profile_textback.py --what-if --calls 1000

--mode runs the integration (b) alone on a fresh line under cProfile (on
Python 3.12+ cProfile sees every thread, so the Store's executor writes are
in it too) and also times those writes directly.

--what-if measures (a) and (b) as is, then (b) with one cost taken away or
one fix prototyped at a time, by patching this process only: the
integration's files are not touched. "no durable write before send" drops the
write-before-send guarantee and is there only as the upper bound of what any
faster persistence can save; the journal prototype keeps the guarantee.
"""

# The what-ifs patch private parts of the integration and of HA's Store, in
# this process only: that is what they are for.
# ruff: noqa: SLF001

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
import cProfile
import dataclasses
import io
import logging
from pathlib import Path
import pstats
import statistics
import sys
import time
from typing import Any

import bench_textback as bench
from homeassistant.core import HomeAssistant
from homeassistant.helpers import storage
from homeassistant.helpers.json import json_bytes

WRITE_STATS: dict[str, list[float]] = {"executor_ms": [], "await_ms": []}


@contextmanager
def timed_store_writes() -> Iterator[None]:
    """Time the line Store's writes: in the worker, and as awaited on the loop."""
    original_write = storage.Store._write_data
    original_async_write = storage.Store._async_write_data

    def _write_data(self: storage.Store, path: str, data: dict) -> None:
        start = time.perf_counter_ns()
        try:
            original_write(self, path, data)
        finally:
            if self.key.startswith(bench.DOMAIN):
                WRITE_STATS["executor_ms"].append(
                    (time.perf_counter_ns() - start) / 1e6
                )

    async def _async_write_data(self: storage.Store, path: str, data: dict) -> None:
        start = time.perf_counter_ns()
        try:
            await original_async_write(self, path, data)
        finally:
            if self.key.startswith(bench.DOMAIN):
                WRITE_STATS["await_ms"].append((time.perf_counter_ns() - start) / 1e6)

    storage.Store._write_data = _write_data  # type: ignore[method-assign]
    storage.Store._async_write_data = _async_write_data  # type: ignore[method-assign]
    try:
        yield
    finally:
        storage.Store._write_data = original_write  # type: ignore[method-assign]
        storage.Store._async_write_data = original_async_write  # type: ignore[method-assign]


# --- what-ifs ---------------------------------------------------------------


def _ledger_module() -> Any:
    from custom_components.missed_call_textback import ledger  # noqa: PLC0415

    return ledger


def _events_module() -> Any:
    from custom_components.missed_call_textback import events  # noqa: PLC0415

    return events


@contextmanager
def patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    """Replace obj.name for the duration (failing loudly if the name is gone)."""
    if not hasattr(obj, name):
        raise SystemExit(f"what-if out of date: {obj.__name__} has no {name}")
    original = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, original)


@contextmanager
def no_durable_write() -> Iterator[None]:
    """Upper bound only: the decided text is NOT on disk before the send."""
    ledger = _ledger_module().Ledger

    async def async_put_outbox(self: Any, item: Any) -> None:
        self._outbox[item.call_id] = item
        self._request_outbox_write()  # not awaited: the send does not wait

    with patched(ledger, "async_put_outbox", async_put_outbox):
        yield


@contextmanager
def memo_asdict() -> Iterator[None]:
    """Turn each (frozen) record into a dict once, not on every save."""
    module = _ledger_module()
    original = dataclasses.asdict
    cache: dict[int, tuple[Any, dict[str, Any]]] = {}

    def asdict(obj: Any) -> dict[str, Any]:
        hit = cache.get(id(obj))
        if hit is not None and hit[0] is obj:
            return dict(hit[1])
        data = original(obj)
        cache[id(obj)] = (obj, data)
        return dict(data)

    with patched(module, "asdict", asdict):
        yield
    cache.clear()


class Journal:
    """Append-only write-ahead file with group commit (prototype).

    Every record appended while a write is in flight goes out in the next
    write; each appender may await the write that holds its record. One
    executor hop per batch, payload = the new records only.
    """

    def __init__(self, hass: HomeAssistant, path: str) -> None:
        """Append to the file at path."""
        self._hass = hass
        self._path = path
        self._pending: list[bytes] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._task: asyncio.Task[None] | None = None
        self.writes = 0

    def append(self, record: dict[str, Any]) -> asyncio.Future[None]:
        """Queue a record; the future is done once a write holding it is."""
        future: asyncio.Future[None] = self._hass.loop.create_future()
        self._pending.append(json_bytes(record) + b"\n")
        self._waiters.append(future)
        if self._task is None:
            self._task = self._hass.async_create_background_task(self._run(), "journal")
        return future

    async def _run(self) -> None:
        try:
            while self._pending:
                data, waiters = b"".join(self._pending), self._waiters
                self._pending, self._waiters = [], []
                try:
                    await self._hass.async_add_executor_job(self._write, data)
                except OSError as err:
                    for waiter in waiters:
                        waiter.set_exception(err)
                    continue
                self.writes += 1
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
        finally:
            self._task = None

    def _write(self, data: bytes) -> None:
        path = Path(self._path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as fh:
            fh.write(data)


@contextmanager
def journal_group_commit() -> Iterator[None]:
    """Prototype of the proposed fix: WAL + group commit, Store as checkpoint.

    put: append {"put": item} and await the write that holds it (same
    guarantee as today: on disk before the send). done: append {"done": id}
    without waiting (as prompt as today's delay-0 save) and let the full
    Store be written by the usual coalesced delayed save, which acts as the
    checkpoint after which the journal can be truncated (not prototyped).
    """
    ledger = _ledger_module().Ledger
    journals: dict[int, Journal] = {}

    def journal(self: Any) -> Journal:
        if (j := journals.get(id(self))) is None:
            j = journals[id(self)] = Journal(
                self._store.hass, self._store.path + ".journal"
            )
        return j

    async def async_put_outbox(self: Any, item: Any) -> None:
        self._outbox[item.call_id] = item
        await journal(self).append({"put": dataclasses.asdict(item)})

    def pop_outbox(self: Any, call_id: str) -> None:
        self._outbox.pop(call_id, None)
        journal(self).append({"done": call_id})
        self._schedule_save()

    with (
        patched(ledger, "async_put_outbox", async_put_outbox),
        patched(ledger, "pop_outbox", pop_outbox),
    ):
        yield


@contextmanager
def fanout_after_send() -> Iterator[None]:
    """Entities and the missed_call event still update, but after the send starts."""
    events = _events_module().LineEvents
    original = events.fire

    def fire(self: Any, event: Any, *args: Any) -> None:
        if str(event) == "missed_call":
            self._hass.loop.call_soon(original, self, event, *args)
            return
        original(self, event, *args)

    with patched(events, "fire", fire):
        yield


@contextmanager
def no_sent_times() -> Iterator[None]:
    """Upper bound: no per-text timestamps for the caps (the caps are off here)."""
    ledger = _ledger_module().Ledger

    def note_send(*_args: Any, **_kwargs: Any) -> None:
        return None

    with patched(ledger, "note_send", note_send):
        yield


@contextmanager
def all_fixes() -> Iterator[None]:
    """Apply the four fixes at once."""
    with ExitStack() as stack:
        for fix in (
            journal_group_commit,
            memo_asdict,
            fanout_after_send,
            no_sent_times,
        ):
            stack.enter_context(fix())
        yield


@contextmanager
def nothing() -> Iterator[None]:
    """Change nothing."""
    yield


WHAT_IFS: dict[str, Callable[[], Any]] = {
    "b as is": nothing,
    "b, no durable write before send (bound)": no_durable_write,
    "b, asdict once per record": memo_asdict,
    "b, no sent_times bookkeeping (bound)": no_sent_times,
    "b, fan-out after the send": fanout_after_send,
    "b, journal + group commit (prototype)": journal_group_commit,
    "b, all four fixes together": all_fixes,
}


# --- runs -------------------------------------------------------------------


async def async_run(args: argparse.Namespace) -> None:
    """Start Home Assistant with both variants, then profile or run the what-ifs."""
    callers = bench.Callers()

    async def body(hass: HomeAssistant) -> None:
        baseline = await bench.async_setup_baseline(hass)
        line = await bench.async_setup_integration(hass)
        for variant in (baseline, line):
            await bench.async_latency_run(hass, variant, callers.take(50), 60)
            await bench.async_burst(hass, variant, callers.take(50), 60)
        if args.what_if:
            await async_what_ifs(hass, baseline, line, callers, args)
        elif args.mode == "floor":
            await async_floor(hass, args)
        else:
            await async_profile(hass, line, callers, args)

    with bench.home_assistant_config_dir() as config_dir:
        await bench.async_with_hass(config_dir, body)


async def async_profile(
    hass: HomeAssistant,
    line: bench.Variant,
    callers: bench.Callers,
    args: argparse.Namespace,
) -> None:
    """Profile (b) on a fresh line, with the what-ifs named by --with applied."""
    await line.fresh()
    await bench.async_waves(hass, line, callers.take(bench.WARMUP_CALLS), 60)
    numbers = callers.take(args.calls)
    profiler = cProfile.Profile()
    with ExitStack() as fixes, timed_store_writes():
        for name in args.with_ or ():
            fixes.enter_context(WHAT_IFS[name]())
        start = time.perf_counter()
        profiler.enable()
        if args.mode == "latency":
            latencies = await bench.async_latency_run(hass, line, numbers, 600)
        else:
            burst = await bench.async_burst(hass, line, numbers, 600)
        profiler.disable()
        wall = time.perf_counter() - start
    if args.mode == "latency":
        print(
            f"latency run, {args.calls} calls one at a time on a fresh line after"
            f" {bench.WARMUP_CALLS}: median {statistics.median(latencies):.3f} ms"
            f" (with the profiler on), wall {wall:.2f} s"
        )
    else:
        print(
            f"burst of {args.calls} calls: {burst['calls_per_s']:.0f} calls/s"
            f" (profiler on), wall {wall:.2f} s"
        )
    ex, aw = WRITE_STATS["executor_ms"], WRITE_STATS["await_ms"]
    if ex:
        print(
            f"Store writes of the line: {len(ex)} ({len(ex) / args.calls:.2f} per"
            f" call); in the worker median {statistics.median(ex):.3f} ms, total"
            f" {sum(ex) / 1000:.2f} s; awaited on the loop median"
            f" {statistics.median(aw):.3f} ms, total {sum(aw) / 1000:.2f} s"
        )
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"cProfile: {total:.2f} s in profiled functions (all threads)")
    print("\n=== by stage ===")
    print("\n".join(stage_lines(stats, args.calls)))
    for key in ("tottime", "cumulative"):
        stream.seek(0)
        stream.truncate()
        stats.sort_stats(key).print_stats(args.top)
        text = stream.getvalue()
        print(f"\n=== top {args.top} by {key} ===")
        print(text[text.find("   ncalls") :])
    if args.pstats:
        stats.dump_stats(args.pstats)
        print(f"wrote {args.pstats}")


# Where the event loop's time goes, by stage: each stage is the cumulative time
# of functions that do not call one another (file suffix, function name).
# "events/logbook" is fire() less the entity writes it triggers.
_PKG = "missed_call_textback/"
STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "number parsing (phone.py)": ((_PKG + "phone.py", "normalize_number"),),
    "policy (decide, facts, handled?)": (
        (_PKG + "policy.py", "decide"),
        (_PKG + "missed_calls.py", "_facts"),
        (_PKG + "ledger.py", "is_handled"),
    ),
    "rendering the text": ((_PKG + "message.py", "render_item"),),
    "persistence on the loop (outbox, Store snapshots)": (
        (_PKG + "ledger.py", "async_put_outbox"),
        (_PKG + "ledger.py", "pop_outbox"),
        (_PKG + "ledger.py", "_async_write_outbox"),
        (_PKG + "ledger.py", "_async_save_due"),
    ),
    "bookkeeping (history, counters, leads, caps)": (
        (_PKG + "ledger.py", "count_missed"),
        (_PKG + "ledger.py", "count_sent"),
        (_PKG + "ledger.py", "add_history"),
        (_PKG + "ledger.py", "mark_texted"),
        (_PKG + "ledger.py", "note_send"),
        (_PKG + "leads.py", "add"),
        (_PKG + "follow_ups.py", "async_moment"),
    ),
    "notify call (sender, service call, handler)": (
        (_PKG + "outbox.py", "async_send"),
    ),
    "entity writes (sensors, Call event entity)": (
        (_PKG + "line.py", "_async_update_listeners"),
        (_PKG + "event.py", "_async_call_event"),
    ),
}
_FIRE = (_PKG + "events.py", "fire")
_LOOP = ("asyncio/events.py", "_run")
_STORE_WRITE = ("homeassistant/helpers/storage.py", "_write_data")


def _cumulative(stats: pstats.Stats, where: tuple[str, str]) -> float:
    suffix, name = where
    return sum(
        row[3]
        for (path, _line, func), row in stats.stats.items()  # type: ignore[attr-defined]
        if func == name and path.endswith(suffix)
    )


def stage_lines(stats: pstats.Stats, calls: int) -> list[str]:
    """Return the share of the event loop's time per stage, per call."""
    loop = _cumulative(stats, _LOOP)
    rows = {
        name: sum(_cumulative(stats, where) for where in functions)
        for name, functions in STAGES.items()
    }
    rows["events and logbook links (bus)"] = _cumulative(stats, _FIRE) - sum(
        _cumulative(stats, where)
        for where in STAGES["entity writes (sensors, Call event entity)"]
    )
    rows["the rest: HA core (state machine, tasks, loop)"] = loop - sum(rows.values())
    return [
        f"{'stage (event loop, profiler on)':<52} {'ms/call':>8} {'share':>6}",
        *(
            f"{name:<52} {1000 * t / calls:8.3f} {100 * t / loop:5.1f}%"
            for name, t in rows.items()
        ),
        f"{'event loop busy':<52} {1000 * loop / calls:8.3f} 100.0%",
        (
            f"{'Store writes in the executor (off the loop)':<52}"
            f" {1000 * _cumulative(stats, _STORE_WRITE) / calls:8.3f}"
        ),
    ]


async def async_floor(hass: HomeAssistant, args: argparse.Namespace) -> None:
    """Time what any write-before-send costs at least: executor hops and writes."""
    path = Path(hass.config.path(".storage", "bench_floor.journal"))
    record = b'{"put": {"call_id": "01JX", "number": "+16502530000"}}\n' * 3

    def append() -> None:
        with path.open("ab") as fh:
            fh.write(record)

    def noop() -> None:
        return None

    store = storage.Store[dict[str, Any]](hass, 1, "bench_floor")
    small = {"outbox": [{"call_id": "01JX", "message": "x" * 160}]}
    rows = {}
    for name, job in (
        ("executor round trip, no work", lambda: hass.async_add_executor_job(noop)),
        (
            "executor + append ~170 B to a file",
            lambda: hass.async_add_executor_job(append),
        ),
        ("Store.async_save of a 1-item outbox", lambda: store.async_save(small)),
    ):
        times = []
        for _ in range(args.calls):
            start = time.perf_counter_ns()
            await job()
            times.append((time.perf_counter_ns() - start) / 1e6)
        rows[name] = times
    print(f"floor of a write before the send ({args.calls} each, ms):")
    for name, times in rows.items():
        print(
            f"  {name:<40} median {statistics.median(times):.3f}"
            f"  p99 {bench.percentile(times, 99):.3f}"
        )


async def async_what_ifs(
    hass: HomeAssistant,
    baseline: bench.Variant,
    line: bench.Variant,
    callers: bench.Callers,
    args: argparse.Namespace,
) -> None:
    """Measure (a), (b) and (b) under each what-if, on fresh lines, repeatedly."""
    names = list(WHAT_IFS) if args.only is None else ["b as is", *args.only]
    rows: dict[str, dict[str, list[float]]] = {}

    async def measure(name: str, variant: bench.Variant) -> None:
        await variant.fresh()
        await bench.async_waves(hass, variant, callers.take(bench.WARMUP_CALLS), 60)
        lat = await bench.async_latency_run(hass, variant, callers.take(args.calls), 60)
        burst = await bench.async_burst(
            hass,
            variant,
            callers.take(args.burst_calls),
            120,
            bench.BurstLimits(seconds=args.burst_budget, memory_bytes=2**30),
        )
        row = rows.setdefault(name, {"median": [], "p99": [], "tput": []})
        row["median"].append(statistics.median(lat))
        row["p99"].append(bench.percentile(lat, 99))
        row["tput"].append(burst["calls_per_s"])

    for rep in range(args.repeat):
        await measure("automation (a)", baseline)
        for name in names:
            with WHAT_IFS[name]():
                await measure(name, line)
        print(f"repeat {rep + 1}/{args.repeat} done", file=sys.stderr)
    a_med = statistics.median(rows["automation (a)"]["median"])
    b_med = statistics.median(rows["b as is"]["median"])
    print(
        f"\nwhat-ifs: a fresh line, {bench.WARMUP_CALLS} warm-up calls, then"
        f" {args.calls} calls one at a time and a burst of {args.burst_calls};"
        f" medians of {args.repeat} repeats"
    )
    print(
        f"{'variant':<42} {'median ms':>9} {'p99 ms':>7} {'x a':>6} {'x b':>6}"
        f" {'calls/s':>8}"
    )
    for name, row in rows.items():
        m = statistics.median(row["median"])
        print(
            f"{name:<42} {m:9.3f} {statistics.median(row['p99']):7.3f} {m / a_med:6.2f}"
            f" {m / b_med:6.2f} {statistics.median(row['tput']):8.0f}"
        )


def main() -> int:
    """Profile or measure the what-ifs, as the command line says."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--mode",
        choices=("latency", "burst", "floor"),
        default="latency",
        help="profile one-at-a-time calls or a burst; floor: time executor hops",
    )
    parser.add_argument(
        "--calls",
        type=int,
        default=1000,
        help="one-at-a-time calls (or the burst, with --mode burst)",
    )
    parser.add_argument(
        "--burst-calls", type=int, default=1000, help="burst size for --what-if"
    )
    parser.add_argument(
        "--burst-budget", type=float, default=20, help="burst budget for --what-if"
    )
    parser.add_argument("--repeat", type=int, default=3, help="repeats for --what-if")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--pstats", help="also dump the cProfile stats to this file")
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="measure the what-ifs instead of profiling",
    )
    parser.add_argument(
        "--with",
        dest="with_",
        nargs="+",
        choices=list(WHAT_IFS)[1:],
        help="with --mode: profile with these what-ifs applied",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(WHAT_IFS)[1:],
        help="with --what-if: just these",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(async_run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
