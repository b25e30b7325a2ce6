"""When texts go out: delay and its cancellations, quiet hours, busy-only, variants."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
)

from custom_components.missed_call_textback.const import (
    CONF_BUSY_ONLY,
    CONF_COOLDOWN_HOURS,
    CONF_DAILY_CAP,
    CONF_DELAY_SECONDS,
    CONF_HOURLY_CAP,
    CONF_QUIET_ACTION,
    CONF_QUIET_END,
    CONF_QUIET_HOURS,
    CONF_QUIET_START,
    CONF_VARIANT_MODE,
)

from .conftest import FRITZ_ENTITY
from .line_helpers import (
    DEFAULT_TEXT,
    OUTBOX_KEY,
    async_add_idle_line,
    async_miss_call,
    async_pass,
    idle,
    ring,
)

NOW = datetime(2026, 11, 26, 15, 0, 0, tzinfo=UTC)  # 10:00 in New York
CALLER = "+16502530000"
OTHER = "+14155550123"
QUIET = {
    CONF_QUIET_HOURS: True,
    CONF_QUIET_START: "21:00:00",
    CONF_QUIET_END: "08:00:00",
}
NO_CAPS = {CONF_COOLDOWN_HOURS: 0, CONF_HOURLY_CAP: 0, CONF_DAILY_CAP: 0}


@pytest.fixture(autouse=True)
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock: delays and quiet hours are moved through by hand."""
    freezer.move_to(NOW)
    return freezer


def _names(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in events]


def _texts(sms_calls: list[ServiceCall]) -> list[tuple[str, str]]:
    return [(call.data["target"][0], call.data["message"]) for call in sms_calls]


async def _answered_call(hass: HomeAssistant, number: str, at: str) -> None:
    ring(hass, number, at=at)
    hass.states.async_set(
        FRITZ_ENTITY, "talking", {"with": number, "device": "SIP0", "accepted": at}
    )
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _callback(hass: HomeAssistant, number: str) -> None:
    hass.states.async_set(
        FRITZ_ENTITY,
        "dialing",
        {"type": "outgoing", "to": number, "device": "SIP0", "initiated": "now"},
    )
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


# --- delay ---------------------------------------------------------------------


async def test_a_delayed_text_goes_out_when_the_delay_ends(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 90}
    )

    await async_miss_call(hass, "6502530000", "Jordan")

    assert _names(events) == ["missed_call", "text_scheduled"]
    assert events[1][1]["send_at"] == (NOW + timedelta(seconds=90)).isoformat()
    assert events[1][1]["reason"] == "delay"
    assert events[1][1]["variant"] == "a"
    assert sms_calls == []
    await async_pass(hass, frozen_clock, timedelta(seconds=89))
    assert sms_calls == []

    await async_pass(hass, frozen_clock, timedelta(seconds=1))

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]
    assert _names(events)[-1] == "text_sent"
    assert [record.result for record in entry.runtime_data.ledger.history] == ["sent"]
    assert entry.runtime_data.ledger.outbox == []


async def test_report_missed_call_answers_when_the_text_is_scheduled(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 30}
    )

    response = await hass.services.async_call(
        "missed_call_textback",
        "report_missed_call",
        {"number": CALLER},
        blocking=True,
        return_response=True,
    )

    assert response is not None
    assert response["result"] == "scheduled"
    assert response["send_at"] == (NOW + timedelta(seconds=30)).isoformat()
    assert sms_calls == []


async def test_a_caller_who_rings_again_and_gets_through_is_not_texted(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
    hass_storage: dict[str, Any],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 120}
    )
    await async_miss_call(hass, "6502530000")
    await async_pass(hass, frozen_clock, timedelta(seconds=40))

    await _answered_call(hass, "6502530000", "2026-11-26T10:00:40")

    skipped = [data for name, data in events if name == "text_skipped"]
    assert [data["reason"] for data in skipped] == ["answered_later"]
    assert skipped[0]["number"] == CALLER
    await async_pass(hass, frozen_clock, timedelta(minutes=5))
    assert sms_calls == []
    assert entry.runtime_data.ledger.outbox == []
    assert hass_storage[OUTBOX_KEY]["data"]["outbox"] == []
    assert [record.reason for record in entry.runtime_data.ledger.history] == [
        "answered_later"
    ]


async def test_a_caller_the_owner_calls_back_is_not_texted(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 120}
    )
    await async_miss_call(hass, "6502530000")

    # The FRITZ!Box shows the number dialled as the owner typed it.
    await _callback(hass, "(650) 253-0000")

    assert [data["reason"] for name, data in events if name == "text_skipped"] == [
        "called_back"
    ]
    await async_pass(hass, frozen_clock, timedelta(minutes=5))
    assert sms_calls == []


async def test_a_callback_to_someone_else_keeps_the_text(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 60}
    )
    await async_miss_call(hass, "6502530000")

    await _callback(hass, OTHER)
    await _answered_call(hass, OTHER, "2026-11-26T10:00:20")
    await async_pass(hass, frozen_clock, timedelta(seconds=60))

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]


async def test_a_callback_after_the_text_went_out_changes_nothing(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 10}
    )
    await async_miss_call(hass, "6502530000")
    await async_pass(hass, frozen_clock, timedelta(seconds=10))

    await _callback(hass, CALLER)

    assert len(sms_calls) == 1
    assert "text_skipped" not in _names(events)
    assert [record.result for record in entry.runtime_data.ledger.history] == ["sent"]


async def test_switching_text_back_off_drops_a_waiting_text(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 60}
    )
    await async_miss_call(hass, "6502530000")

    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.main_line_text_back"}, blocking=True
    )
    await async_pass(hass, frozen_clock, timedelta(seconds=60))

    assert sms_calls == []
    assert [data["reason"] for name, data in events if name == "text_skipped"] == [
        "disabled"
    ]


async def test_a_delayed_text_survives_a_restart_and_is_sent_once(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    hass_storage: dict[str, Any],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 300}
    )
    await async_miss_call(hass, "6502530000")
    (stored,) = hass_storage[OUTBOX_KEY]["data"]["outbox"]
    assert stored["next_attempt_at"] == (NOW + timedelta(seconds=300)).isoformat()
    assert stored["attempts"] == 0
    assert stored["message"] == ""  # rendered when it is due

    assert await hass.config_entries.async_unload(entry.entry_id)
    await async_pass(hass, frozen_clock, timedelta(seconds=100))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert sms_calls == []

    await async_pass(hass, frozen_clock, timedelta(seconds=200))
    await async_pass(hass, frozen_clock, timedelta(minutes=10))

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]


async def test_a_delayed_text_that_came_due_while_stopped_goes_out_at_start(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 60}
    )
    await async_miss_call(hass, "6502530000")
    assert await hass.config_entries.async_unload(entry.entry_id)
    frozen_clock.tick(timedelta(minutes=5))

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]


# --- quiet hours -----------------------------------------------------------------


async def test_quiet_hours_hold_a_text_until_they_end(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **QUIET)
    # 22:30 in New York.
    frozen_clock.move_to(datetime(2026, 11, 27, 3, 30, tzinfo=UTC))

    await async_miss_call(hass, "6502530000")

    end = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 08:00 in New York
    assert events[-1][0] == "text_scheduled"
    assert events[-1][1]["send_at"] == end.isoformat()
    assert events[-1][1]["reason"] == "quiet_hours"
    frozen_clock.move_to(end - timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sms_calls == []

    await async_pass(hass, frozen_clock, timedelta(seconds=1))

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]


async def test_quiet_hours_can_skip_the_text_instead(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(
        hass, entry_data, entry_options, **QUIET, **{CONF_QUIET_ACTION: "skip"}
    )
    frozen_clock.move_to(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))  # 05:00

    await async_miss_call(hass, "6502530000")
    await async_pass(hass, frozen_clock, timedelta(hours=12))

    assert sms_calls == []
    assert events[-1][0] == "text_skipped"
    assert events[-1][1]["reason"] == "quiet_hours"


async def test_quiet_hours_let_daytime_texts_through(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **QUIET)

    await async_miss_call(hass, "6502530000")  # 10:00 in New York

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]


async def test_a_delay_that_ends_in_quiet_hours_is_held_until_morning(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(
        hass, entry_data, entry_options, **QUIET, **{CONF_DELAY_SECONDS: 600}
    )
    frozen_clock.move_to(datetime(2026, 11, 27, 1, 55, tzinfo=UTC))  # 20:55

    await async_miss_call(hass, "6502530000")

    assert (
        events[-1][1]["send_at"]
        == datetime(2026, 11, 27, 13, 0, tzinfo=UTC).isoformat()
    )
    await async_pass(hass, frozen_clock, timedelta(minutes=10))
    assert sms_calls == []


async def test_a_held_text_survives_a_restart(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = await async_add_idle_line(hass, entry_data, entry_options, **QUIET)
    frozen_clock.move_to(datetime(2026, 11, 27, 4, 0, tzinfo=UTC))  # 23:00
    await async_miss_call(hass, "6502530000")
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    frozen_clock.move_to(datetime(2026, 11, 27, 13, 0, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]


# --- only when the line is busy ----------------------------------------------------


async def test_busy_only_skips_a_call_missed_on_a_free_line(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **{CONF_BUSY_ONLY: True})

    await async_miss_call(hass, "6502530000")

    assert sms_calls == []
    assert events[-1][1]["reason"] == "not_busy"


async def test_busy_only_texts_a_call_missed_while_another_was_in_progress(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **{CONF_BUSY_ONLY: True})

    # On the phone with one customer while another rings and gives up.
    ring(hass, OTHER, at="2026-11-26T09:58:00")
    hass.states.async_set(FRITZ_ENTITY, "talking", {"with": OTHER, "device": "SIP0"})
    ring(hass, "6502530000", at="2026-11-26T10:00:00")
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]


async def test_busy_only_texts_a_caller_who_rang_before_another_call_was_answered(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **{CONF_BUSY_ONLY: True})

    # Two callers ring at once; the owner picks up the second.
    ring(hass, "6502530000", at="2026-11-26T10:00:00")
    ring(hass, OTHER, at="2026-11-26T10:00:01")
    hass.states.async_set(FRITZ_ENTITY, "talking", {"with": OTHER, "device": "SIP0"})
    idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]


# --- message variants ------------------------------------------------------------

VARIANTS = {
    CONF_VARIANT_MODE: "round_robin",
    "variant_b_response_window": "within 30 minutes",
    "variant_b_response_minutes": 30,
    "variant_c_message": "{{ business_name }} here: sorry we missed you! Reply now.",
}


async def test_round_robin_variants_are_assigned_in_turn_and_balanced(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **VARIANTS, **NO_CAPS
    )

    for _ in range(300):
        await async_miss_call(hass, "6502530000")

    sent = [data for name, data in events if name == "text_sent"]
    assert [data["variant"] for data in sent[:6]] == ["a", "b", "c", "a", "b", "c"]
    assert Counter(data["variant"] for data in sent) == {"a": 100, "b": 100, "c": 100}
    messages = [call.data["message"] for call in sms_calls[:3]]
    assert messages[0] == DEFAULT_TEXT
    assert messages[1] == DEFAULT_TEXT.replace("within the hour", "within 30 minutes")
    assert messages[2] == "Acme Plumbing here: sorry we missed you! Reply now."
    # The history keeps the newest 200 calls: numbers 100 to 299 of the turn.
    history = entry.runtime_data.ledger.history
    assert [record.variant for record in history] == [
        "abc"[index % 3] for index in range(100, 300)
    ]


async def test_random_variants_draw_every_variant(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(
        hass,
        entry_data,
        entry_options,
        **{**VARIANTS, CONF_VARIANT_MODE: "random"},
        **NO_CAPS,
    )

    for _ in range(300):
        await async_miss_call(hass, "6502530000")

    counts = Counter(data["variant"] for name, data in events if name == "text_sent")
    assert sum(counts.values()) == 300
    # 100 expected each; 50..150 is more than 7 standard deviations wide.
    assert set(counts) == {"a", "b", "c"}
    assert all(50 <= count <= 150 for count in counts.values()), counts


async def test_the_round_robin_turn_survives_a_restart(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **VARIANTS, **NO_CAPS
    )
    await async_miss_call(hass, "6502530000")
    await async_miss_call(hass, "6502530000")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await async_miss_call(hass, "6502530000")

    sent = [data["variant"] for name, data in events if name == "text_sent"]
    assert sent == ["a", "b", "c"]


async def test_variants_off_always_sends_the_message(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(
        hass,
        entry_data,
        entry_options,
        **{**VARIANTS, CONF_VARIANT_MODE: "off"},
        **NO_CAPS,
    )

    for _ in range(4):
        await async_miss_call(hass, "6502530000")

    assert {data["variant"] for name, data in events if name == "text_sent"} == {"a"}


async def test_a_reply_carries_the_variant_its_call_was_texted_with(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    await async_add_idle_line(hass, entry_data, entry_options, **VARIANTS, **NO_CAPS)
    await async_miss_call(hass, OTHER)
    await async_miss_call(hass, "6502530000")

    await hass.services.async_call(
        "missed_call_textback",
        "handle_reply",
        {"number": CALLER, "text": "Can you come today?"},
        blocking=True,
    )

    reply = next(data for name, data in events if name == "reply_received")
    assert reply["variant"] == "b"


async def test_a_variant_removed_later_falls_back_to_the_message(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    entry = await async_add_idle_line(
        hass, entry_data, entry_options, **VARIANTS, **NO_CAPS, delay_seconds=60
    )
    await async_miss_call(hass, OTHER)  # variant a
    await async_miss_call(hass, "6502530000")  # variant b, waiting

    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_VARIANT_MODE: "off"}
    )
    await hass.async_block_till_done()
    await async_pass(hass, frozen_clock, timedelta(seconds=60))

    assert sorted(_texts(sms_calls)) == sorted(
        [(OTHER, DEFAULT_TEXT), (CALLER, DEFAULT_TEXT)]
    )


async def test_the_call_event_entity_shows_a_scheduled_text(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 300}
    )

    await async_miss_call(hass, "6502530000", "Jordan")

    state = hass.states.get("event.main_line_call")
    assert state is not None
    assert state.attributes["event_type"] == "text_scheduled"
    assert state.attributes["variant"] == "a"
    assert sms_calls == []


async def test_an_answered_call_from_a_withheld_number_cancels_nothing(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    sms_calls: list[ServiceCall],
) -> None:
    await async_add_idle_line(
        hass, entry_data, entry_options, **{CONF_DELAY_SECONDS: 60}
    )
    await async_miss_call(hass, "6502530000")

    await _answered_call(hass, "", "2026-11-26T10:00:10")
    await async_pass(hass, frozen_clock, timedelta(seconds=60))

    assert _texts(sms_calls) == [(CALLER, DEFAULT_TEXT)]
