"""Reliability: retries, restarts, duplicate source events, caps, lists and rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import HomeAssistantError, ServiceNotFound
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.missed_call_textback.const import (
    CONF_ALLOWED_COUNTRIES,
    CONF_ALLOWLIST,
    CONF_ALLOWLIST_ONLY,
    CONF_BLOCKLIST,
    CONF_DAILY_CAP,
    CONF_HOURLY_CAP,
    CONF_MIN_RING_SECONDS,
    CONF_NEVER_TEXT,
    CONF_RETRY_MINUTES,
    DOMAIN,
)

from .conftest import FRITZ_ENTITY, SMS_SERVICE
from .line_helpers import (
    DEFAULT_TEXT,
    ENTRY_ID,
    OUTBOX_KEY,
    STORE_KEY,
    async_add_line,
    async_miss_call,
    async_pass,
    idle,
    make_entry,
    record_events,
    ring,
)

NOW = datetime(2026, 11, 26, 15, 0, 0, tzinfo=UTC)  # 10:00 in New York
SEND_FAILED_ISSUE = f"send_failed_{ENTRY_ID}"
NOTIFY_ISSUE = f"notify_missing_{ENTRY_ID}"
RATE_ISSUE = f"rate_capped_{ENTRY_ID}"
# The default waits before each retry.
WAITS = [
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
]


class SmsProvider:
    """The far edge: an SMS gateway behind a legacy notify service.

    It is the one part the tests replace, because a real provider would send
    real texts; it fails or succeeds on command and records every attempt.
    """

    def __init__(self, hass: HomeAssistant, service: str = SMS_SERVICE) -> None:
        """Initialize a provider that succeeds until told to fail."""
        self._hass = hass
        self.service = service
        self.failures_left = 0  # fail this many attempts, then succeed
        self.attempts: list[str] = []
        self.sent: list[str] = []

    def register(self) -> None:
        """Register notify.<service>."""
        self._hass.services.async_register("notify", self.service, self._handle)

    def fail(self, times: int = 1_000_000) -> None:
        """Fail the next attempts (all of them by default)."""
        self.failures_left = times

    async def _handle(self, call: ServiceCall) -> None:
        number = call.data["target"][0]
        self.attempts.append(number)
        if self.failures_left:
            self.failures_left -= 1
            raise HomeAssistantError("Gateway timeout")
        self.sent.append(number)


@pytest.fixture
def events(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Every bus event of the integration, in order (replaces the conftest one)."""
    return record_events(hass)


@pytest.fixture
def provider(hass: HomeAssistant) -> SmsProvider:
    """Register an SMS provider that succeeds until told to fail."""
    sms = SmsProvider(hass)
    sms.register()
    return sms


@pytest.fixture
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock: the retry waits are minutes long."""
    freezer.move_to(NOW)
    return freezer


def _names(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    # Follow-up reminders come due as the clock moves (see test_follow_up.py).
    return [name for name, _ in events if name != "follow_up_due"]


def _at(offset: timedelta) -> str:
    return (NOW + offset).isoformat()


# --- retries ------------------------------------------------------------------


async def test_a_failing_text_is_retried_after_each_wait_then_given_up(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    provider: SmsProvider,
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    provider.fail()
    await async_miss_call(hass, "6502530000")
    assert len(provider.attempts) == 1

    elapsed = timedelta(0)
    for number, wait in enumerate(WAITS, start=2):
        # Nothing happens a second before the wait is over.
        await async_pass(hass, frozen_clock, wait - timedelta(seconds=1))
        assert len(provider.attempts) == number - 1
        assert issue_registry.async_get_issue(DOMAIN, SEND_FAILED_ISSUE) is None
        await async_pass(hass, frozen_clock, timedelta(seconds=1))
        elapsed += wait
        assert len(provider.attempts) == number

    call_id = events[0][1]["call_id"]
    base = {
        "entry_id": ENTRY_ID,
        "line_name": "Main line",
        "call_id": call_id,
        "number": "+16502530000",
        "caller_name": None,
        "variant": "a",
        "error": "Gateway timeout",
    }
    assert events == [
        (
            "missed_call",
            {**{k: base[k] for k in base if k != "error"}, "variant": None},
        ),
        ("text_failed", {**base, "attempt": 1, "retry_at": _at(WAITS[0])}),
        (
            "text_failed",
            {**base, "attempt": 2, "retry_at": _at(sum(WAITS[:2], timedelta()))},
        ),
        (
            "text_failed",
            {**base, "attempt": 3, "retry_at": _at(sum(WAITS[:3], timedelta()))},
        ),
        (
            "text_failed",
            {**base, "attempt": 4, "retry_at": _at(sum(WAITS, timedelta()))},
        ),
        ("text_failed", {**base, "attempt": 5, "retry_at": None}),
    ]
    assert provider.attempts == ["+16502530000"] * 5
    assert provider.sent == []
    ledger = init_integration.runtime_data.ledger
    assert ledger.outbox == []
    assert [(r.call_id, r.result, r.error) for r in ledger.history] == [
        (call_id, "failed", "Gateway timeout")
    ]
    issue = issue_registry.async_get_issue(DOMAIN, SEND_FAILED_ISSUE)
    assert issue is not None
    assert issue.translation_key == "send_failed"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "line_name": "Main line",
        "error": "Gateway timeout",
    }

    # Nothing is tried again once given up, however long it waits.
    await async_pass(hass, frozen_clock, timedelta(hours=2))
    assert len(provider.attempts) == 5

    # The gateway works again: the next text clears the repair.
    provider.failures_left = 0
    await async_miss_call(hass, "4155550123")
    assert provider.sent == ["+14155550123"]
    assert issue_registry.async_get_issue(DOMAIN, SEND_FAILED_ISSUE) is None


async def test_the_failed_attempts_are_kept_in_the_stored_outbox(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    provider: SmsProvider,
    hass_storage: dict[str, Any],
) -> None:
    provider.fail()
    await async_miss_call(hass, "6502530000", "Jordan")
    await async_pass(hass, frozen_clock, WAITS[0])

    call_id = init_integration.runtime_data.ledger.outbox[0].call_id
    assert hass_storage[OUTBOX_KEY]["data"]["outbox"] == [
        {
            "call_id": call_id,
            "number": "+16502530000",
            "message": DEFAULT_TEXT,
            "caller_name": "Jordan",
            "missed_at": NOW.isoformat(),
            "created_at": NOW.isoformat(),
            "attempts": 2,
            "next_attempt_at": _at(WAITS[0] + WAITS[1]),
            "variant": "a",
            "after_hours": False,
        }
    ]


async def test_a_text_that_succeeds_on_the_third_attempt_is_sent_once(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    provider: SmsProvider,
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    provider.fail(times=2)
    await async_miss_call(hass, "6502530000")
    for wait in WAITS:
        await async_pass(hass, frozen_clock, wait)
    await async_pass(hass, frozen_clock, timedelta(hours=2))

    assert provider.attempts == ["+16502530000"] * 3
    assert provider.sent == ["+16502530000"]
    assert _names(events) == ["missed_call", "text_failed", "text_failed", "text_sent"]
    assert [
        data.get("attempt") for name, data in events if name != "follow_up_due"
    ] == [None, 1, 2, None]
    sent = [data for name, data in events if name == "text_sent"]
    assert [data["message"] for data in sent] == [DEFAULT_TEXT]
    ledger = init_integration.runtime_data.ledger
    assert ledger.outbox == []
    assert [r.result for r in ledger.history] == ["sent"]
    assert ledger.sent_today(NOW) == 1
    assert issue_registry.async_get_issue(DOMAIN, SEND_FAILED_ISSUE) is None


# --- restarts -----------------------------------------------------------------


async def test_a_text_waiting_for_its_retry_survives_a_restart(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    provider: SmsProvider,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    numbers = ["+16502530000", "+14155550123", "+12125550199"]
    provider.fail()
    for number in numbers:
        await async_miss_call(hass, number)
    assert provider.sent == []

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    provider.failures_left = 0
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    # The retry is still 30 s away: nothing is sent at the start.
    assert provider.sent == []
    await async_pass(hass, frozen_clock, WAITS[0] - timedelta(seconds=1))
    assert provider.sent == []
    await async_pass(hass, frozen_clock, timedelta(seconds=1))
    assert sorted(provider.sent) == sorted(numbers)
    # None goes out twice, however long Home Assistant keeps running.
    await async_pass(hass, frozen_clock, timedelta(hours=2))
    assert sorted(provider.attempts) == sorted(numbers * 2)
    assert sorted(provider.sent) == sorted(numbers)
    assert _names(events).count("text_sent") == 3
    ledger = init_integration.runtime_data.ledger
    assert ledger.outbox == []
    assert sorted(r.number for r in ledger.history if r.result == "sent") == sorted(
        numbers
    )


async def test_a_retry_due_while_home_assistant_was_down_is_sent_at_start(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    provider: SmsProvider,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    provider.fail()
    await async_miss_call(hass, "6502530000")
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    # Down for a minute: the retry moment passes meanwhile.
    await async_pass(hass, frozen_clock, timedelta(minutes=1))
    assert provider.attempts == ["+16502530000"]
    provider.failures_left = 0
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert provider.sent == ["+16502530000"]
    await async_pass(hass, frozen_clock, timedelta(hours=2))
    assert provider.attempts == ["+16502530000"] * 2
    assert provider.sent == ["+16502530000"]
    assert _names(events) == ["missed_call", "text_failed", "text_sent"]
    assert init_integration.runtime_data.ledger.outbox == []


async def test_a_reload_mid_retry_neither_loses_nor_repeats_the_text(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    provider: SmsProvider,
) -> None:
    provider.fail(times=2)
    await async_miss_call(hass, "6502530000")
    await async_pass(hass, frozen_clock, WAITS[0])
    assert len(provider.attempts) == 2

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert provider.sent == []
    await async_pass(hass, frozen_clock, WAITS[1])
    await async_pass(hass, frozen_clock, timedelta(hours=2))

    assert provider.attempts == ["+16502530000"] * 3
    assert provider.sent == ["+16502530000"]


# --- the notify service comes late ------------------------------------------


async def test_a_notify_service_registered_later_gets_the_retried_text(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = make_entry(entry_data, entry_options, notify_service="late_sms")
    await async_add_line(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is not None

    await async_miss_call(hass, "6502530000")
    assert events[-1] == (
        "text_failed",
        {
            "entry_id": ENTRY_ID,
            "line_name": "Main line",
            "call_id": events[0][1]["call_id"],
            "number": "+16502530000",
            "caller_name": None,
            "variant": "a",
            "error": str(ServiceNotFound("notify", "late_sms")),
            "attempt": 1,
            "retry_at": _at(WAITS[0]),
        },
    )
    issue = issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders == {
        "line_name": "Main line",
        "service": "notify.late_sms",
    }

    late = SmsProvider(hass, "late_sms")
    late.register()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, NOTIFY_ISSUE) is None

    await async_pass(hass, frozen_clock, WAITS[0])
    assert late.sent == ["+16502530000"]
    assert _names(events) == ["missed_call", "text_failed", "text_sent"]
    assert issue_registry.async_get_issue(DOMAIN, SEND_FAILED_ISSUE) is None


# --- duplicate source events ------------------------------------------------


async def test_a_call_reported_twice_by_the_source_is_texted_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    ringing = {
        "type": "incoming",
        "from": "6502530000",
        "to": "5551234",
        "device": "SIP0",
        "initiated": "2026-11-26T10:00:00",
        "from_name": "Jordan",
    }
    ended = {"duration": "0", "closed": "2026-11-26T10:01:00"}
    # force_update: Home Assistant passes the repeated state on, as a source
    # that re-sends its state (a reconnecting integration) does.
    hass.states.async_set(FRITZ_ENTITY, "ringing", ringing, force_update=True)
    hass.states.async_set(FRITZ_ENTITY, "ringing", ringing, force_update=True)
    hass.states.async_set(FRITZ_ENTITY, "idle", ended, force_update=True)
    hass.states.async_set(FRITZ_ENTITY, "idle", ended, force_update=True)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]
    assert _names(events) == ["missed_call", "text_sent"]
    assert len(init_integration.runtime_data.ledger.history) == 1


# --- caps ---------------------------------------------------------------------


@pytest.mark.freeze_time("2026-11-26T15:00:00+00:00", tick=True)
async def test_a_storm_of_missed_calls_is_capped_at_the_hourly_cap(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    # The clock ticks (tick=True) so the lag probe's sleeps end; the hour
    # after the storm is skipped with freezer.tick.
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)

    prober = asyncio.create_task(probe())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    for index in range(1000):
        ring(hass, f"650253{index:04d}")
        idle(hass)
        # Yield like a real source does between its state writes.
        await asyncio.sleep(0)
    await hass.async_block_till_done(wait_background_tasks=True)
    duration = time.perf_counter() - started
    done.set()
    await prober

    skipped = [data["reason"] for name, data in events if name == "text_skipped"]
    print(  # noqa: T201
        f"\nstorm: 1000 missed calls in {duration:.2f} s, "
        f"max event loop lag {max(lags) * 1000:.1f} ms over {len(lags)} probes"
    )
    assert len(sms_calls) == 20
    assert [call.data["target"] for call in sms_calls] == [
        [f"+1650253{index:04d}"] for index in range(20)
    ]
    assert _names(events).count("missed_call") == 1000
    assert skipped == ["rate_capped"] * 980
    assert issue_registry.async_get_issue(DOMAIN, RATE_ISSUE) is not None
    assert max(lags) < 1.0

    # An hour later the window is empty again and callers are texted.
    freezer.tick(timedelta(hours=1, seconds=1))
    async_fire_time_changed(hass)
    await async_miss_call(hass, "4155550123")
    assert sms_calls[-1].data["target"] == ["+14155550123"]
    assert len(sms_calls) == 21
    assert issue_registry.async_get_issue(DOMAIN, RATE_ISSUE) is None


async def test_the_daily_cap_skips_callers_once_reached(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = make_entry(
        entry_data, entry_options, **{CONF_HOURLY_CAP: 0, CONF_DAILY_CAP: 2}
    )
    await async_add_line(hass, entry)

    for number in ("6502530000", "4155550123"):
        await async_miss_call(hass, number)
    await async_pass(hass, frozen_clock, timedelta(hours=5))
    await async_miss_call(hass, "2125550199")

    assert len(sms_calls) == 2
    assert events[-1][0] == "text_skipped"
    assert events[-1][1]["reason"] == "rate_capped"
    issue = issue_registry.async_get_issue(DOMAIN, RATE_ISSUE)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {"line_name": "Main line"}


# --- lists and ring time ----------------------------------------------------


@pytest.mark.parametrize(
    ("options", "number", "reason"),
    [
        ({CONF_NEVER_TEXT: ["+16502530000"]}, "6502530000", "never_text"),
        ({CONF_BLOCKLIST: ["+1212"]}, "2125550199", "blocked"),
        (
            {CONF_ALLOWLIST_ONLY: True, CONF_ALLOWLIST: ["+1415"]},
            "6502530000",
            "not_allowed",
        ),
    ],
    ids=["never_text", "blocklist_prefix", "allowlist_only"],
)
async def test_the_owners_lists_keep_callers_from_being_texted(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    options: dict[str, Any],
    number: str,
    reason: str,
) -> None:
    entry = make_entry(entry_data, entry_options, **options)
    await async_add_line(hass, entry)

    await async_miss_call(hass, number)
    # A caller on no list (and on the allowlist) is still texted.
    await async_miss_call(hass, "4155550123")

    assert [(name, data.get("reason")) for name, data in events] == [
        ("missed_call", None),
        ("text_skipped", reason),
        ("missed_call", None),
        ("text_sent", None),
    ]
    assert [call.data["target"] for call in sms_calls] == [["+14155550123"]]
    assert [(r.result, r.reason) for r in entry.runtime_data.ledger.history] == [
        ("skipped", reason),
        ("sent", None),
    ]


@pytest.mark.parametrize(
    ("options", "number", "reason"),
    [
        ({}, "011 49 170 1234567", "foreign_number"),
        # Jamaica dials like a US number but is abroad.
        ({}, "876 234 5678", "foreign_number"),
        ({}, "900 555 0123", "paid_number"),
        ({CONF_ALLOWED_COUNTRIES: ["DE"]}, "1 800 234 5678", "paid_number"),
    ],
    ids=["german_mobile", "jamaica", "premium_rate", "toll_free"],
)
async def test_callers_abroad_and_paid_numbers_are_not_texted(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    options: dict[str, Any],
    number: str,
    reason: str,
) -> None:
    entry = make_entry(entry_data, entry_options, **options)
    await async_add_line(hass, entry)

    await async_miss_call(hass, number)
    # A caller at home is still texted.
    await async_miss_call(hass, "4155550123")

    assert [(name, data.get("reason")) for name, data in events] == [
        ("missed_call", None),
        ("text_skipped", reason),
        ("missed_call", None),
        ("text_sent", None),
    ]
    assert [call.data["target"] for call in sms_calls] == [["+14155550123"]]


async def test_a_caller_from_a_country_the_owner_added_is_texted(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = make_entry(
        entry_data, entry_options, **{CONF_ALLOWED_COUNTRIES: ["DE", "GB"]}
    )
    await async_add_line(hass, entry)

    await async_miss_call(hass, "011 49 170 1234567")

    assert [call.data["target"] for call in sms_calls] == [["+491701234567"]]


async def test_a_call_shorter_than_the_minimum_ring_is_not_texted(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    entry = make_entry(entry_data, entry_options, **{CONF_MIN_RING_SECONDS: 3})
    await async_add_line(hass, entry)

    ring(hass, "6502530000")
    await hass.async_block_till_done()
    await async_pass(hass, frozen_clock, timedelta(seconds=1))
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    ring(hass, "4155550123")
    await hass.async_block_till_done()
    await async_pass(hass, frozen_clock, timedelta(seconds=5))
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [(name, data["number"], data.get("reason")) for name, data in events] == [
        ("missed_call", "+16502530000", None),
        ("text_skipped", "+16502530000", "short_ring"),
        ("missed_call", "+14155550123", None),
        ("text_sent", "+14155550123", None),
    ]
    assert [call.data["target"] for call in sms_calls] == [["+14155550123"]]


# --- the rules options step -------------------------------------------------


async def _open_rules(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "rules"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "rules"
    return result


def _defaults(result: dict[str, Any]) -> dict[str, Any]:
    return {str(key): key.default() for key in result["data_schema"].schema}


VALID_RULES: dict[str, Any] = {
    CONF_NEVER_TEXT: [],
    CONF_BLOCKLIST: [],
    CONF_ALLOWLIST_ONLY: False,
    CONF_ALLOWLIST: [],
    CONF_ALLOWED_COUNTRIES: [],
    CONF_MIN_RING_SECONDS: 0,
    CONF_HOURLY_CAP: 20,
    CONF_DAILY_CAP: 100,
    CONF_RETRY_MINUTES: "0.5, 2, 10, 30",
}


async def test_the_rules_step_shows_the_defaults(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_rules(hass, init_integration)

    assert _defaults(result) == VALID_RULES
    assert result["errors"] == {}
    await hass.config_entries.options.async_configure(result["flow_id"], VALID_RULES)


async def test_the_rules_step_saves_normalized_entries_and_float_retries(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entry_options: dict[str, Any],
) -> None:
    result = await _open_rules(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **VALID_RULES,
            # Blank and repeated entries are dropped.
            CONF_NEVER_TEXT: ["650 253 0000", " ", "+1 (650) 253-0000"],
            CONF_BLOCKLIST: ["+1 900"],
            CONF_ALLOWLIST_ONLY: True,
            CONF_ALLOWLIST: ["(415) 555-0123", "+44"],
            CONF_MIN_RING_SECONDS: 3,
            CONF_HOURLY_CAP: 5,
            CONF_DAILY_CAP: 0,
            CONF_RETRY_MINUTES: "1; 5.5, 20",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        **entry_options,
        CONF_NEVER_TEXT: ["+16502530000"],
        CONF_BLOCKLIST: ["+1900"],
        CONF_ALLOWLIST_ONLY: True,
        CONF_ALLOWLIST: ["+14155550123", "+44"],
        CONF_ALLOWED_COUNTRIES: [],
        CONF_MIN_RING_SECONDS: 3,
        CONF_HOURLY_CAP: 5,
        CONF_DAILY_CAP: 0,
        CONF_RETRY_MINUTES: [1.0, 5.5, 20.0],
    }
    assert all(
        type(value) is float for value in init_integration.options[CONF_RETRY_MINUTES]
    )
    # The form shows the saved rules the next time.
    result = await _open_rules(hass, init_integration)
    assert _defaults(result)[CONF_RETRY_MINUTES] == "1, 5.5, 20"
    assert _defaults(result)[CONF_NEVER_TEXT] == ["+16502530000"]
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**VALID_RULES, CONF_RETRY_MINUTES: ""}
    )
    assert init_integration.options[CONF_RETRY_MINUTES] == []


async def test_the_rules_step_refuses_an_entry_that_is_no_number(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_rules(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**VALID_RULES, CONF_BLOCKLIST: ["+1900", "call me"]}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_BLOCKLIST: "invalid_list_entry"}
    assert result["description_placeholders"] == {"entry": "call me"}
    # What the owner typed stays in the form.
    assert _defaults(result)[CONF_BLOCKLIST] == ["+1900", "call me"]
    await hass.config_entries.options.async_configure(result["flow_id"], VALID_RULES)


async def test_the_rules_step_refuses_allowlist_only_without_an_allowlist(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_rules(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**VALID_RULES, CONF_ALLOWLIST_ONLY: True}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ALLOWLIST: "allowlist_empty"}
    assert result["description_placeholders"] == {"entry": ""}
    await hass.config_entries.options.async_configure(result["flow_id"], VALID_RULES)


async def test_the_rules_step_saves_the_countries_texted_besides_the_lines_own(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    result = await _open_rules(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**VALID_RULES, CONF_ALLOWED_COUNTRIES: ["GB", "DE", "GB"]}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_ALLOWED_COUNTRIES] == ["DE", "GB"]
    # The form shows them the next time, and a German caller is now texted.
    result = await _open_rules(hass, init_integration)
    assert _defaults(result)[CONF_ALLOWED_COUNTRIES] == ["DE", "GB"]
    hass.config_entries.options.async_abort(result["flow_id"])
    await async_miss_call(hass, "011 49 170 1234567")
    assert [call.data["target"] for call in sms_calls] == [["+491701234567"]]


async def test_the_rules_step_offers_every_country_with_its_calling_code(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _open_rules(hass, init_integration)

    config = next(
        value.config
        for key, value in result["data_schema"].schema.items()
        if key == CONF_ALLOWED_COUNTRIES
    )
    assert config["multiple"] is True
    options = {option["value"]: option["label"] for option in config["options"]}
    assert options["DE"] == "DE (+49)"
    assert options["JM"] == "JM (+1)"
    assert "001" not in options  # non-geographic numbers are no country
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**VALID_RULES, CONF_ALLOWED_COUNTRIES: ["XX"]}
        )
    hass.config_entries.options.async_abort(result["flow_id"])


@pytest.mark.parametrize(
    "retries",
    ["abc", "0", ", ".join(["1"] * 11), "2000", "-1", "1, nope"],
    ids=["not_a_number", "zero", "eleven_waits", "over_a_day", "negative", "mixed"],
)
async def test_the_rules_step_refuses_invalid_retries(
    hass: HomeAssistant, init_integration: MockConfigEntry, retries: str
) -> None:
    result = await _open_rules(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**VALID_RULES, CONF_RETRY_MINUTES: retries}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_RETRY_MINUTES: "invalid_retries"}
    assert init_integration.options.get(CONF_RETRY_MINUTES) is None
    await hass.config_entries.options.async_configure(result["flow_id"], VALID_RULES)


async def test_stored_times_that_cannot_be_read_are_ignored(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {
            "opted_out": {"+16502530000": "not a time"},
            "sent_times": ["not a time"] * 50,
        },
    }
    await async_add_line(hass, mock_config_entry)

    await async_miss_call(hass, "6502530000")

    # Neither the broken opt-out nor the broken send times hold the text back.
    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]
