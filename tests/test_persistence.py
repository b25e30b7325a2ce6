"""What a line remembers across restarts: history, cooldowns, counts and the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.missed_call_textback.const import (
    HISTORY_CAP,
    STORAGE_MINOR_VERSION,
)

from .conftest import SMS_SERVICE
from .line_helpers import (
    DEFAULT_TEXT,
    OUTBOX_KEY,
    STORE_KEY,
    async_add_line,
    async_miss_call,
    make_entry,
    record_events,
)


@pytest.fixture
def events(hass: HomeAssistant) -> list[tuple[str, dict[str, Any]]]:
    """Every bus event of the integration, in order (replaces the conftest one)."""
    return record_events(hass)


NOW = "2026-11-26T15:00:00+00:00"  # 10:00 in New York


@pytest.fixture(autouse=True)
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock so stored timestamps are exact."""
    freezer.move_to(NOW)
    return freezer


def _stored(data: dict[str, Any], minor_version: int = 1) -> dict[str, Any]:
    return {
        "version": 1,
        "minor_version": minor_version,
        "key": STORE_KEY,
        "data": data,
    }


def _record(call_id: str, number: str = "+14155550123") -> dict[str, Any]:
    return {
        "call_id": call_id,
        "missed_at": "2026-11-25T15:00:00+00:00",
        "number": number,
        "caller_name": None,
        "result": "sent",
        "reason": None,
        "error": None,
        "texted_at": "2026-11-25T15:00:00+00:00",
    }


async def _settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the ledger's 2 s delayed save happen."""
    freezer.tick(timedelta(seconds=3))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_missed_call_is_saved_after_the_save_delay(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    await async_miss_call(hass, "6502530000", "Jordan")
    assert len(sms_calls) == 1
    call_id = init_integration.runtime_data.ledger.history[0].call_id

    await _settle(hass, frozen_clock)

    assert hass_storage[STORE_KEY] == _stored(
        {
            "history": [
                {
                    "call_id": call_id,
                    "missed_at": NOW,
                    "number": "+16502530000",
                    "caller_name": "Jordan",
                    "result": "sent",
                    "reason": None,
                    "error": None,
                    "texted_at": NOW,
                    "replies": [],
                    "variant": "a",
                    # A notify service gives no message id, so no receipt.
                    "message_id": None,
                    "delivery": None,
                    "delivery_error": None,
                }
            ],
            "cooldowns": {"+16502530000": NOW},
            "counters": {"date": "2026-11-26", "missed": 1, "sent": 1},
            "last_missed_at": NOW,
            "opted_out": {},
            "sent_times": [NOW],
            "variant_turn": 0,
            "leads": {
                "open": [
                    {
                        "call_id": call_id,
                        "number": "+16502530000",
                        "caller_name": "Jordan",
                        "variant": "a",
                        "missed_at": NOW,
                        "texted_at": NOW,
                        "due_at": "2026-11-26T16:00:00+00:00",
                        "reminded": False,
                        "replies": [],
                    }
                ],
                "total": {
                    "texts": 1,
                    "replied": 0,
                    "resolved": 0,
                    "resolved_in_time": 0,
                },
                "variants": {
                    "a": {
                        "texts": 1,
                        "replied": 0,
                        "resolved": 0,
                        "resolved_in_time": 0,
                    }
                },
                "replies": 0,
                "to_text": [0.0],
                "to_follow_up": [],
            },
            "missed_total": 1,
            # The owner's switches: never touched, so the defaults apply.
            "enabled": None,
            "mode": None,
            "help_answered": {},
            "not_textable": {},
            "delivered_total": 0,
            "undeliverable_total": 0,
            "test_number": None,
        },
        minor_version=STORAGE_MINOR_VERSION,
    )


async def test_the_text_is_on_disk_before_it_is_handed_to_the_provider(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    on_disk_at_send: list[list[dict[str, Any]]] = []

    async def provider(call: ServiceCall) -> None:
        on_disk_at_send.append(hass_storage[OUTBOX_KEY]["data"]["outbox"])

    hass.services.async_register("notify", SMS_SERVICE, provider)

    await async_miss_call(hass, "6502530000", "Jordan")

    call_id = init_integration.runtime_data.ledger.history[0].call_id
    assert on_disk_at_send == [
        [
            {
                "call_id": call_id,
                "number": "+16502530000",
                "message": DEFAULT_TEXT,
                "caller_name": "Jordan",
                "missed_at": NOW,
                "created_at": NOW,
                "attempts": 0,
                "next_attempt_at": None,
                "variant": "a",
                "after_hours": False,
            }
        ]
    ]


async def test_unloading_writes_pending_changes_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    await async_miss_call(hass, "anonymous")

    await hass.config_entries.async_unload(init_integration.entry_id)

    data = hass_storage[STORE_KEY]["data"]
    assert [(r["result"], r["reason"], r["number"]) for r in data["history"]] == [
        ("skipped", "anonymous", "anonymous")
    ]
    assert data["counters"] == {"date": "2026-11-26", "missed": 1, "sent": 0}


async def test_stored_counts_and_history_are_loaded(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[STORE_KEY] = _stored(
        {
            "history": [_record("01JOLDCALL00000000000000001")],
            "cooldowns": {"+14155550123": "2026-11-26T09:00:00+00:00"},
            "outbox": [],
            "counters": {"date": "2026-11-26", "missed": 4, "sent": 3},
            "last_missed_at": "2026-11-26T09:00:00+00:00",
        }
    )

    await async_add_line(hass, mock_config_entry)

    assert hass.states.get("sensor.main_line_missed_calls_today").state == "4"
    assert hass.states.get("sensor.main_line_texts_sent_today").state == "3"
    assert (
        hass.states.get("sensor.main_line_last_missed_call").state
        == "2026-11-26T09:00:00+00:00"
    )
    ledger = mock_config_entry.runtime_data.ledger
    assert [record.call_id for record in ledger.history] == [
        "01JOLDCALL00000000000000001"
    ]
    # The stored cooldown (6 h ago, 24 h window) still holds.
    await async_miss_call(hass, "4155550123")
    assert sms_calls == []
    assert ledger.history[-1].reason == "cooldown"


async def test_counts_stored_on_an_earlier_day_start_from_zero(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[STORE_KEY] = _stored(
        {"counters": {"date": "2026-11-25", "missed": 9, "sent": 9}}
    )

    await async_add_line(hass, mock_config_entry)
    assert hass.states.get("sensor.main_line_missed_calls_today").state == "0"

    await async_miss_call(hass, "6502530000")
    assert hass.states.get("sensor.main_line_missed_calls_today").state == "1"
    assert hass.states.get("sensor.main_line_texts_sent_today").state == "1"


async def test_an_unreadable_cooldown_is_ignored(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[STORE_KEY] = _stored({"cooldowns": {"+16502530000": "yesterday"}})

    await async_add_line(hass, mock_config_entry)
    await async_miss_call(hass, "6502530000")

    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]


async def test_a_store_written_by_a_newer_minor_version_still_loads(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    # Rolling back after an upgrade: the newer release added a top-level key.
    hass_storage[STORE_KEY] = _stored(
        {
            "history": [_record("01JOLDCALL00000000000000001")],
            "counters": {"date": "2026-11-26", "missed": 2, "sent": 1},
            "opt_outs": ["+14155550123"],
        },
        minor_version=STORAGE_MINOR_VERSION + 1,
    )

    await async_add_line(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.main_line_missed_calls_today").state == "2"
    assert len(mock_config_entry.runtime_data.ledger.history) == 1
    assert hass_storage[STORE_KEY]["minor_version"] == STORAGE_MINOR_VERSION


async def test_cooldown_survives_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_miss_call(hass, "6502530000")
    assert len(sms_calls) == 1

    await _reload(hass, init_integration)
    await async_miss_call(hass, "6502530000")

    assert len(sms_calls) == 1
    assert events[-1][0] == "text_skipped"
    assert events[-1][1]["reason"] == "cooldown"


async def test_expired_cooldowns_are_pruned_from_the_store(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[STORE_KEY] = _stored(
        {
            "cooldowns": {
                "+14155550123": "2026-11-24T15:00:00+00:00",  # 2 days: expired
                "+12125550199": "2026-11-26T14:00:00+00:00",  # 1 h: still on
            }
        }
    )
    await async_add_line(hass, mock_config_entry)

    await async_miss_call(hass, "6502530000")
    await _settle(hass, frozen_clock)

    assert hass_storage[STORE_KEY]["data"]["cooldowns"] == {
        "+12125550199": "2026-11-26T14:00:00+00:00",
        "+16502530000": NOW,
    }


async def test_a_text_left_in_the_outbox_by_a_crash_is_sent_once(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    hass_storage: dict[str, Any],
) -> None:
    left = {
        "call_id": "01JCRASHED0000000000000001",
        "number": "+16502530000",
        "message": "Sorry we missed you!",
        "caller_name": "Jordan",
        "missed_at": "2026-11-26T14:59:00+00:00",
        "created_at": "2026-11-26T14:59:01+00:00",
    }
    hass_storage[STORE_KEY] = _stored({"outbox": [left]})

    await async_add_line(hass, mock_config_entry)

    assert [dict(call.data) for call in sms_calls] == [
        {"message": "Sorry we missed you!", "target": ["+16502530000"]}
    ]
    # The missed_call event fired before the crash; only the outcome is new.
    assert [(name, data["call_id"]) for name, data in events] == [
        ("text_sent", "01JCRASHED0000000000000001")
    ]
    await _settle(hass, frozen_clock)
    data = hass_storage[STORE_KEY]["data"]
    # Read from the first layout (outbox inside the line's data), written back
    # to the outbox's own file.
    assert hass_storage[OUTBOX_KEY]["data"]["outbox"] == []
    assert [(r["call_id"], r["result"]) for r in data["history"]] == [
        ("01JCRASHED0000000000000001", "sent")
    ]

    await _reload(hass, mock_config_entry)
    assert len(sms_calls) == 1


async def test_the_outbox_waits_for_home_assistant_to_start(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[STORE_KEY] = _stored(
        {
            "outbox": [
                {
                    "call_id": "01JCRASHED0000000000000001",
                    "number": "+16502530000",
                    "message": "Sorry we missed you!",
                    "caller_name": None,
                    "missed_at": "2026-11-26T14:59:00+00:00",
                    "created_at": "2026-11-26T14:59:01+00:00",
                }
            ]
        }
    )
    hass.set_state(CoreState.starting)
    await async_add_line(hass, mock_config_entry)
    # The SMS integration may not be up yet.
    assert sms_calls == []

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [call.data["target"] for call in sms_calls] == [["+16502530000"]]


async def test_a_resent_text_that_fails_is_recorded_as_failed(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    events: list[tuple[str, dict[str, Any]]],
    hass_storage: dict[str, Any],
) -> None:
    # No SMS service at all: the resend fails and is not retried forever.
    hass_storage[STORE_KEY] = _stored(
        {
            "outbox": [
                {
                    "call_id": "01JCRASHED0000000000000001",
                    "number": "+16502530000",
                    "message": "Sorry we missed you!",
                    "caller_name": None,
                    "missed_at": "2026-11-26T14:59:00+00:00",
                    "created_at": "2026-11-26T14:59:01+00:00",
                }
            ]
        }
    )

    # No retries: the first failure is final.
    entry = make_entry(entry_data, entry_options, retry_minutes=[])
    await async_add_line(hass, entry)

    assert [name for name, _ in events] == ["text_failed"]
    ledger = entry.runtime_data.ledger
    assert ledger.outbox == []
    assert [(r.call_id, r.result) for r in ledger.history] == [
        ("01JCRASHED0000000000000001", "failed")
    ]


async def test_history_keeps_the_newest_records_up_to_the_cap(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    assert HISTORY_CAP == 200
    hass_storage[STORE_KEY] = _stored(
        {"history": [_record(f"01JOLDCALL{i:016d}") for i in range(HISTORY_CAP)]}
    )
    await async_add_line(hass, mock_config_entry)

    await async_miss_call(hass, "6502530000")
    await _settle(hass, frozen_clock)

    history = hass_storage[STORE_KEY]["data"]["history"]
    assert len(history) == 200
    assert history[0]["call_id"] == f"01JOLDCALL{1:016d}"
    assert history[-2]["call_id"] == f"01JOLDCALL{199:016d}"
    assert history[-1]["number"] == "+16502530000"


async def test_a_call_already_in_history_is_not_handled_again(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    line = init_integration.runtime_data
    await async_miss_call(hass, "6502530000")
    call_id = line.ledger.history[0].call_id
    events.clear()

    # A source that reports the same call twice (a replayed webhook, say).
    response = await line.missed.async_handle_missed(
        call_id=call_id,
        number="+16502530000",
        caller_name=None,
        missed_at=line.ledger.last_missed_at,
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert response == {"call_id": call_id, "result": "skipped", "reason": "duplicate"}
    assert [name for name, _ in events] == ["text_skipped"]
    assert len(line.ledger.history) == 1
    assert hass.states.get("sensor.main_line_missed_calls_today").state == "1"
    assert len(sms_calls) == 1


async def test_removing_the_line_deletes_its_store(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    await async_miss_call(hass, "6502530000")
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert STORE_KEY in hass_storage

    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert STORE_KEY not in hass_storage
