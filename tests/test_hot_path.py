"""The per-call shortcuts give the answers the long way gives.

The number parse is cached, the history's call ids are indexed and the
follow-up timer is kept while its moment stays: each must be invisible in
what the line does.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
import random
import statistics
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.missed_call_textback import ledger as ledger_module, phone
from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_FOLLOW_UP_NOTIFY,
    CONF_MESSAGE,
    HISTORY_CAP,
    SkipReason,
)
from custom_components.missed_call_textback.leads import (
    DURATION_WINDOW,
    LeadBook,
    Window,
)
from custom_components.missed_call_textback.ledger import (
    HistoryRecord,
    Ledger,
    OutboxItem,
)
from custom_components.missed_call_textback.message import TEXTS_KEPT
from custom_components.missed_call_textback.outbox_file import OutboxFile
from custom_components.missed_call_textback.phone import (
    PARSE_CACHE_SIZE,
    PhoneNumber,
    normalize_number,
    time_zones_for,
)
from custom_components.missed_call_textback.records import (
    history_from_stored,
    history_to_stored,
    outbox_from_stored,
    outbox_to_stored,
)

from .line_helpers import (
    ENTRY_ID,
    STORE_KEY,
    async_add_idle_line,
    async_miss_call,
    async_move_to,
)

NOW = datetime(2026, 11, 26, 15, 0, 0, tzinfo=UTC)  # 10:00 in New York
DUE = NOW + timedelta(hours=1)  # the default promise: an hour
REMINDER = DUE - timedelta(minutes=10)  # the default reminder lead time

# Valid, invalid, withheld, short codes, URIs and ints, in several regions.
RAW_NUMBERS: list[tuple[object, str | None]] = [
    ("+16502530000", "US"),
    ("(650) 253-0000", "US"),
    ("6502530000", "US"),
    ("6502530000", "DE"),
    ("030 1234567", "DE"),
    ("tel:+4930123456", None),
    ('"Jordan" <sip:+16502530000@pbx.example;user=phone>', "US"),
    (16502530000, "US"),
    (16502530000, None),
    (6502530000, "US"),
    ("16502530000", None),
    ("+19005550123", "US"),  # premium rate
    ("12345", "US"),  # short code
    ("15", "FR"),  # emergency number
    ("anonymous", "US"),
    ("", "US"),
    ("   ", None),
    ("Jordan", "US"),
    ("+1650", "US"),
    ("0" * 70, "US"),
    ("not a number", "xx"),
]


def _uncached(raw: object, region: str | None) -> PhoneNumber | SkipReason:
    """Classify the long way: what normalize_number answered before the cache."""
    known = phone.known_region(region)
    if isinstance(raw, str):
        return phone._normalize_text(raw, known)
    return phone._classify(str(raw), known, from_int=True)


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Start every test with the parse cache empty: the counts below rely on it."""
    phone._normalize_cached.cache_clear()
    phone._time_zones_cached.cache_clear()


@pytest.mark.parametrize(("raw", "region"), RAW_NUMBERS)
def test_a_cached_parse_answers_what_an_uncached_one_does(
    raw: object, region: str | None
) -> None:
    first = normalize_number(raw, region)
    again = normalize_number(raw, region)

    assert first == again == _uncached(raw, region)
    assert phone._normalize_cached.cache_info().hits == 1


def test_an_int_and_the_same_digits_as_text_are_cached_apart() -> None:
    # An int may be an international number whose '+' a template ate; text is
    # read in the region only. The two must not share a cache slot.
    assert normalize_number("4930123456", "US") == SkipReason.INVALID_NUMBER
    assert normalize_number(4930123456, None) == PhoneNumber("+4930123456", "DE")
    assert normalize_number("4930123456", "US") == SkipReason.INVALID_NUMBER


def test_values_that_are_never_numbers_are_not_cached() -> None:
    assert normalize_number(None, "US") == SkipReason.ANONYMOUS
    flag: object = True  # bool is an int subclass, but never a number
    assert normalize_number(flag, "US") == SkipReason.INVALID_NUMBER
    assert normalize_number(["+16502530000"], "US") == SkipReason.INVALID_NUMBER
    assert normalize_number(10**70, "US") == SkipReason.INVALID_NUMBER
    # Long text is answered but not kept: the cache holds no one's garbage.
    padded = "+1 650 253 0000" + " " * 300
    assert normalize_number(padded, "US") == PhoneNumber("+16502530000", "US")
    assert normalize_number("1" * 300, "US") == SkipReason.INVALID_NUMBER

    assert phone._normalize_cached.cache_info().currsize == 0


def test_the_parse_cache_is_bounded() -> None:
    for index in range(PARSE_CACHE_SIZE + 50):
        assert isinstance(normalize_number(f"+1650253{index:04d}", "US"), PhoneNumber)

    info = phone._normalize_cached.cache_info()
    assert info.maxsize == PARSE_CACHE_SIZE
    assert info.currsize == PARSE_CACHE_SIZE
    # The oldest numbers were let go and are parsed again, with the same answer.
    assert normalize_number("+16502530000", "US") == PhoneNumber("+16502530000", "US")
    assert phone._normalize_cached.cache_info().misses == PARSE_CACHE_SIZE + 51


def test_time_zones_are_cached_and_the_same() -> None:
    assert time_zones_for("+16502530000") == ("America/Los_Angeles",)
    assert time_zones_for("+16502530000") == ("America/Los_Angeles",)
    assert time_zones_for("+") == ()
    assert phone._time_zones_cached.cache_info().hits == 1


def _record(call_id: str) -> HistoryRecord:
    return HistoryRecord(
        call_id=call_id,
        missed_at=NOW.isoformat(),
        number="+16502530000",
        caller_name=None,
        result="skipped",
        reason="cooldown",
    )


def _stored(history: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": 1,
        "minor_version": 4,
        "key": STORE_KEY,
        "data": {"history": history},
    }


async def test_is_handled_forgets_calls_trimmed_off_the_history(
    hass: HomeAssistant,
) -> None:
    ledger = Ledger(hass, ENTRY_ID)
    await ledger.async_load()
    for index in range(HISTORY_CAP + 3):
        ledger.add_history(_record(f"call-{index}"))

    assert len(ledger.history) == HISTORY_CAP
    assert [ledger.is_handled(f"call-{index}") for index in range(4)] == [
        False,
        False,
        False,
        True,
    ]
    assert ledger.is_handled(f"call-{HISTORY_CAP + 2}")
    assert not ledger.is_handled("call-never")
    await ledger.async_flush()  # the delayed save, not left to linger


async def test_a_call_recorded_twice_stays_handled_until_both_records_drop_off(
    hass: HomeAssistant,
) -> None:
    ledger = Ledger(hass, ENTRY_ID)
    await ledger.async_load()
    ledger.add_history(_record("twice"))
    ledger.add_history(_record("twice"))
    for index in range(HISTORY_CAP - 2):
        ledger.add_history(_record(f"call-{index}"))

    ledger.add_history(_record("pushes-the-first-out"))
    assert ledger.is_handled("twice")
    ledger.add_history(_record("pushes-the-second-out"))
    assert not ledger.is_handled("twice")
    await ledger.async_flush()  # the delayed save, not left to linger


async def test_is_handled_knows_the_stored_history_after_a_restart(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    stored = [_as_stored(_record(f"old-{index}")) for index in range(HISTORY_CAP)]
    hass_storage[STORE_KEY] = _stored(stored)
    ledger = Ledger(hass, ENTRY_ID)
    await ledger.async_load()

    assert ledger.is_handled("old-0")
    assert ledger.is_handled(f"old-{HISTORY_CAP - 1}")
    ledger.add_history(_record("new"))
    assert not ledger.is_handled("old-0")
    assert ledger.is_handled("old-1")

    # What it wrote is what the next run knows.
    await ledger.async_flush()
    restarted = Ledger(hass, ENTRY_ID)
    await restarted.async_load()
    assert not restarted.is_handled("old-0")
    assert restarted.is_handled("old-1")
    assert restarted.is_handled("new")


def _as_stored(record: HistoryRecord) -> dict[str, Any]:
    return {
        "call_id": record.call_id,
        "missed_at": record.missed_at,
        "number": record.number,
        "caller_name": record.caller_name,
        "result": record.result,
        "reason": record.reason,
    }


async def test_a_call_handled_before_a_reload_is_not_texted_again(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    await async_miss_call(hass, "6502530000")
    call_id = init_integration.runtime_data.ledger.history[-1].call_id

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    line = init_integration.runtime_data
    assert line.ledger.is_handled(call_id)
    await line.missed.async_handle_missed(
        call_id=call_id,
        number="+16502530000",
        caller_name=None,
        missed_at=NOW,
    )

    assert len(sms_calls) == 1


@pytest.fixture
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock: the follow-up timer's moments are moved through by hand."""
    freezer.move_to(NOW)
    return freezer


async def test_the_follow_up_timer_is_kept_while_its_moment_stays(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    owner_notes = async_mock_service(hass, "notify", "owner_phone")
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_FOLLOW_UP_NOTIFY: "owner_phone"}
    )
    follow_ups = entry.runtime_data.follow_ups
    await async_miss_call(hass, "6502530000", "Jordan")
    first_timer = follow_ups._timer
    assert first_timer is not None
    assert follow_ups._timer_at == REMINDER

    # A later caller's reminder comes after the first one: same moment, same timer.
    await async_move_to(hass, frozen_clock, NOW + timedelta(minutes=5))
    await async_miss_call(hass, "4155550123", "Sam")
    assert len(sms_calls) == 2
    assert follow_ups._timer is first_timer
    assert follow_ups._timer_at == REMINDER

    # The first lead is resolved: the earlier timer stays. It fires, finds
    # nothing due, and moves to the second one's reminder.
    (first_call, *_) = follow_ups.async_resolve(number="+16502530000")
    assert first_call
    assert follow_ups._timer is first_timer
    assert follow_ups._timer_at == REMINDER

    await async_move_to(hass, frozen_clock, REMINDER)
    assert owner_notes == []
    assert follow_ups._timer_at == REMINDER + timedelta(minutes=5)
    await async_move_to(hass, frozen_clock, REMINDER + timedelta(minutes=5))
    assert len(owner_notes) == 1
    assert "Sam" in owner_notes[0].data["message"]
    # The fired timer is spent; the next one waits for Sam's deadline.
    assert follow_ups._timer_at == DUE + timedelta(minutes=5)


def test_records_are_stored_as_asdict_stored_them() -> None:
    record = HistoryRecord(
        call_id="call",
        missed_at=NOW.isoformat(),
        number="+16502530000",
        caller_name="Jordan",
        result="sent",
        texted_at=NOW.isoformat(),
        replies=({"at": NOW.isoformat(), "text": "Thanks"},),
        variant="b",
        message_id="SM1",
        delivery="delivered",
    )
    item = OutboxItem(
        call_id="call",
        number="+16502530000",
        message="Sorry we missed you",
        caller_name=None,
        missed_at=NOW.isoformat(),
        created_at=NOW.isoformat(),
        attempts=2,
        next_attempt_at=NOW.isoformat(),
        variant="b",
        after_hours=True,
    )

    (stored,) = history_to_stored([record])
    assert stored == {**asdict(record), "replies": [dict(r) for r in record.replies]}
    assert list(stored) == list(asdict(record))
    assert list(history_from_stored([stored])) == [record]
    assert outbox_to_stored([item]) == {"outbox": [asdict(item)]}
    assert outbox_from_stored(outbox_to_stored([item])["outbox"]) == {"call": item}


async def test_a_message_naming_the_caller_is_rendered_for_each_caller(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(
        hass,
        entry_data,
        entry_options,
        **{CONF_MESSAGE: "Hi {{ caller_name }}, {{ business_name }} here."},
    )
    await async_miss_call(hass, "6502530000", "Jordan")
    await async_miss_call(hass, "4155550123", "Sam")

    assert [call.data["message"] for call in sms_calls] == [
        "Hi Jordan, Acme Plumbing here.",
        "Hi Sam, Acme Plumbing here.",
    ]


async def test_a_message_reading_the_clock_is_rendered_at_each_text(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(
        hass,
        entry_data,
        entry_options,
        **{CONF_MESSAGE: "{{ business_name }} at {{ now().strftime('%H:%M') }}"},
    )
    await async_miss_call(hass, "6502530000")
    await async_move_to(hass, frozen_clock, NOW + timedelta(minutes=7))
    await async_miss_call(hass, "4155550123")

    assert [call.data["message"] for call in sms_calls] == [
        "Acme Plumbing at 10:00",
        "Acme Plumbing at 10:07",
    ]


async def test_a_shared_text_is_rendered_once_and_again_when_its_values_change(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_MESSAGE: "{{ business_name }}"}
    )
    with patch.object(
        Template, "async_render", autospec=True, side_effect=Template.async_render
    ) as rendered:
        for number in ("6502530000", "4155550123", "2125550123"):
            await async_miss_call(hass, number)
        texts_rendered = sum(
            call.args[0].template == "{{ business_name }}"
            for call in rendered.call_args_list
        )
        hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_BUSINESS_NAME: "Acme Roofing"}
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_miss_call(hass, "3125550123")

    assert texts_rendered == 1
    assert [call.data["message"] for call in sms_calls] == [
        "Acme Plumbing",
        "Acme Plumbing",
        "Acme Plumbing",
        "Acme Roofing",
    ]


def test_the_running_median_is_the_median_of_the_newest_values() -> None:
    # Random values with repeats, past the window's size: every median is
    # statistics.median of the newest DURATION_WINDOW values.
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    window = Window(DURATION_WINDOW)
    values: list[float] = []
    assert window.median() is None
    for _ in range(3 * DURATION_WINDOW):
        value = float(rng.choice([rng.randint(0, 30), rng.random() * 1000]))
        window.append(value)
        values.append(value)
        newest = values[-DURATION_WINDOW:]
        assert window.median() == statistics.median(newest)
        assert list(window) == newest
    assert len(window) == DURATION_WINDOW


def test_stored_durations_that_are_not_numbers_are_left_out() -> None:
    book = LeadBook()
    book.load({"to_text": [3, "nan", 5.0, "inf"], "to_follow_up": [600]})
    assert book.median_to_text == 4.0
    assert book.median_to_follow_up == 10.0


@pytest.mark.parametrize(
    "zone",
    [
        "America/New_York",
        # Clocks that skip or repeat midnight for summer time.
        "America/Santiago",
        "America/Havana",
        "Asia/Beirut",
        "America/Asuncion",
        # Offsets off the hour, and a half-hour summer time.
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        # A day that never was (the date line moved).
        "Pacific/Apia",
    ],
)
def test_the_local_day_of_a_moment_is_the_one_as_local_gives(zone: str) -> None:
    original = dt_util.get_default_time_zone()
    rng = random.Random(zone)  # noqa: S311 - reproducible test data
    dt_util.set_default_time_zone(ZoneInfo(zone))
    try:
        moment = datetime(2011, 1, 1, tzinfo=UTC)
        for _ in range(20_000):
            moment += timedelta(minutes=rng.randint(1, 600), seconds=rng.random())
            assert ledger_module._local_day(moment) == dt_util.as_local(moment).date()
    finally:
        dt_util.set_default_time_zone(original)


def _outbox_item(*, call_id: str, message: str) -> OutboxItem:
    """Return a text decided at NOW for the usual caller."""
    return OutboxItem(
        call_id=call_id,
        number="+16502530000",
        message=message,
        caller_name=None,
        missed_at=NOW.isoformat(),
        created_at=NOW.isoformat(),
    )


async def test_a_failed_outbox_write_reaches_its_waiters_and_the_next_one_works(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    # The Store is the far edge here: its write is made to fail once.
    outbox = OutboxFile(hass, ENTRY_ID)
    await outbox.async_load([])
    first = _outbox_item(call_id="c1", message="Hi")
    second = replace(first, call_id="c2")
    saved: list[list[str]] = []

    async def save(data: dict[str, Any]) -> None:
        if not saved:
            saved.append([])
            raise RuntimeError("disk full")
        saved.append([item["call_id"] for item in data["outbox"]])

    with patch.object(outbox._store, "async_save", side_effect=save):
        with pytest.raises(RuntimeError, match="disk full"):
            await outbox.async_put(first)
        assert "Could not write the outbox: disk full" in caplog.text
        # The text stays in memory and goes to disk with the next write.
        await outbox.async_put(second)
        outbox.pop("c1")
        await hass.async_block_till_done()

    assert saved[1:] == [["c1", "c2"], ["c2"]]


async def test_texts_kept_for_reuse_are_bounded(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_MESSAGE: "Hi {{ caller_name }}"}
    )
    renderer = entry.runtime_data.renderer
    item = _outbox_item(call_id="c", message="")
    names = [f"Caller {i}" for i in range(100)]

    texts = [renderer.render_item(replace(item, caller_name=name)) for name in names]

    assert texts == [f"Hi {name}" for name in names]
    assert len(renderer._texts) == TEXTS_KEPT
    # The newest are kept: the last caller's text is reused, not rendered again.
    with patch.object(Template, "async_render", side_effect=AssertionError):
        assert renderer.render_item(replace(item, caller_name="Caller 99")) == (
            "Hi Caller 99"
        )
