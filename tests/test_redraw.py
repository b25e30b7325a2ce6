"""Entities redraw only when what they show changed, asked only about their topics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.missed_call_textback import message
from custom_components.missed_call_textback.changes import Change
from custom_components.missed_call_textback.const import DOMAIN, CallEvent
from custom_components.missed_call_textback.entity import TextBackEntity
from custom_components.missed_call_textback.leads import (
    MAX_OPEN_LEADS,
    ROWS_KEPT_UNLISTED,
    Lead,
    LeadBook,
)

from .line_helpers import async_miss_call, idle, ring

CALLER = "6502530000"
OTHER_CALLER = "6502530001"

# What a texted missed call changes: the missed and sent counts, the open
# follow-ups, the time to text and the reply rate (texts are its base).
SHOW_A_CALL = {
    "sensor.main_line_missed_calls_today",
    "sensor.main_line_missed_calls",
    "sensor.main_line_last_missed_call",
    "sensor.main_line_texts_sent_today",
    "sensor.main_line_texts_sent",
    "sensor.main_line_median_time_to_text",
    "sensor.main_line_reply_rate",
    "sensor.main_line_awaiting_follow_up",
    "sensor.main_line_overdue_follow_ups",
}


@pytest.fixture
def asked(hass: HomeAssistant) -> Generator[Counter[str]]:
    """Count how often the line asks each entity whether it changed.

    A spy that calls through: the entities work as they do, the test only
    sees which of them the line asked. Requested before init_integration, so
    the entities subscribe through it.
    """
    counts: Counter[str] = Counter()
    original = TextBackEntity._async_line_changed

    def spy(entity: TextBackEntity) -> None:
        counts[entity.entity_id] += 1
        original(entity)

    with patch.object(TextBackEntity, "_async_line_changed", spy):
        yield counts


@pytest.fixture
def written(hass: HomeAssistant) -> Generator[Counter[str]]:
    """Count the state writes of each entity, changed or not (a calling spy)."""
    counts: Counter[str] = Counter()
    original = TextBackEntity.async_write_ha_state

    def spy(entity: TextBackEntity) -> None:
        counts[entity.entity_id] += 1
        original(entity)

    with patch.object(TextBackEntity, "async_write_ha_state", spy):
        yield counts


async def test_a_missed_call_asks_only_the_entities_showing_calls_and_texts(
    hass: HomeAssistant, asked: Counter[str], init_integration: MockConfigEntry
) -> None:
    await async_miss_call(hass, CALLER)
    asked.clear()

    await async_miss_call(hass, OTHER_CALLER)

    assert set(asked) == SHOW_A_CALL
    # The messages, the switches, the hours and the test number are not asked.
    for entity_id in (
        "text.main_line_message",
        "text.main_line_after_hours_message",
        "switch.main_line_text_back",
        "select.main_line_text_back_mode",
        "sensor.main_line_replies",
        "sensor.main_line_followed_up_in_time",
    ):
        assert hass.states.get(entity_id) is not None
        assert entity_id not in asked


async def test_each_entity_writes_at_most_once_per_event_of_a_call(
    hass: HomeAssistant, init_integration: MockConfigEntry, written: Counter[str]
) -> None:
    await async_miss_call(hass, CALLER)
    written.clear()

    await async_miss_call(hass, OTHER_CALLER)

    # The Call entity shows both events (missed call, text sent); every
    # counter is written once, by the one event that changed it.
    assert written.pop("event.main_line_call") == 2
    assert set(written.values()) == {1}
    assert {
        "sensor.main_line_missed_calls_today",
        "sensor.main_line_missed_calls",
        "sensor.main_line_texts_sent_today",
        "sensor.main_line_texts_sent",
        "sensor.main_line_awaiting_follow_up",
    } <= set(written)
    # Shown the same as before: not written.
    assert "sensor.main_line_overdue_follow_ups" not in written
    assert "sensor.main_line_reply_rate" not in written


async def test_texts_sent_together_redraw_the_counters_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, written: Counter[str]
) -> None:
    await async_miss_call(hass, CALLER)
    written.clear()

    # Five calls end in one loop turn (as a burst on a busy line): their
    # texts share one outbox write and are sent together.
    callers = [f"415555012{digit}" for digit in range(5)]
    for number in callers:
        ring(hass, number)
        idle(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.states.get("sensor.main_line_texts_sent_today").state == "6"
    assert hass.states.get("sensor.main_line_missed_calls_today").state == "6"
    assert hass.states.get("sensor.main_line_awaiting_follow_up").state == "6"
    # Every event still reaches the Call entity; the counters are drawn once.
    assert written.pop("event.main_line_call") == 10
    for entity_id in (
        "sensor.main_line_texts_sent_today",
        "sensor.main_line_texts_sent",
        "sensor.main_line_awaiting_follow_up",
        "sensor.main_line_missed_calls_today",
        "sensor.main_line_missed_calls",
    ):
        assert written[entity_id] == 1, entity_id


async def test_an_action_returns_with_the_entities_showing_what_it_did(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "report_missed_call",
        {"number": "+16502530000"},
        blocking=True,
        return_response=True,
    )

    # Read at once, without letting the loop run on.
    assert response is not None
    assert response["result"] == "sent"
    assert hass.states.get("sensor.main_line_missed_calls_today").state == "1"
    assert hass.states.get("sensor.main_line_texts_sent_today").state == "1"
    assert hass.states.get("sensor.main_line_awaiting_follow_up").state == "1"

    # An action that changes the line without waiting on anything.
    await hass.services.async_call(
        DOMAIN, "resolve_lead", {"number": "+16502530000"}, blocking=True
    )
    assert hass.states.get("sensor.main_line_awaiting_follow_up").state == "0"
    assert hass.states.get("sensor.main_line_followed_up_in_time").state == "1"


async def test_calls_within_one_second_leave_the_last_missed_call_as_it_is(
    hass: HomeAssistant, init_integration: MockConfigEntry, written: Counter[str]
) -> None:
    line = init_integration.runtime_data
    at = dt_util.utcnow().replace(microsecond=100)
    line.ledger.count_missed(at)
    line.redraws.flush()
    line.events.fire(
        CallEvent.MISSED_CALL, line.events.data("c1", None, None), None, Change.MISSED
    )
    await hass.async_block_till_done()
    written.clear()

    line.ledger.count_missed(at.replace(microsecond=900_000))
    line.events.fire(
        CallEvent.MISSED_CALL, line.events.data("c2", None, None), None, Change.MISSED
    )
    await hass.async_block_till_done()
    assert "sensor.main_line_last_missed_call" not in written

    line.ledger.count_missed(at + timedelta(seconds=1))
    line.events.fire(
        CallEvent.MISSED_CALL, line.events.data("c3", None, None), None, Change.MISSED
    )
    await hass.async_block_till_done()
    assert written["sensor.main_line_last_missed_call"] == 1


async def test_a_change_without_topics_asks_every_entity_that_follows_the_line(
    hass: HomeAssistant, asked: Counter[str], init_integration: MockConfigEntry
) -> None:
    line = init_integration.runtime_data

    line.redraws.now()

    assert set(asked) > SHOW_A_CALL
    assert {
        "text.main_line_message",
        "switch.main_line_text_back",
        "select.main_line_text_back_mode",
    } <= set(asked)
    # They write their own state at each event or press.
    assert "event.main_line_call" not in asked
    assert "button.main_line_resolve_oldest_follow_up" not in asked


async def test_the_switch_asks_only_the_entities_showing_it(
    hass: HomeAssistant, asked: Counter[str], init_integration: MockConfigEntry
) -> None:
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.main_line_text_back"}, blocking=True
    )

    assert set(asked) == {
        "switch.main_line_text_back",
        "select.main_line_text_back_mode",
    }
    assert hass.states.get("switch.main_line_text_back").state == "off"


async def test_a_listener_without_topics_hears_every_change(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    line = init_integration.runtime_data
    heard: list[str] = []
    unsub = line.async_add_listener(lambda: heard.append("all"))
    unsub_hours = line.async_add_listener(lambda: heard.append("hours"), Change.HOURS)

    await async_miss_call(hass, CALLER)

    assert heard == ["all", "all"]  # the missed call, the text sent
    unsub()
    unsub_hours()


async def test_the_message_preview_is_rendered_once_until_the_message_changes(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    line = init_integration.runtime_data
    entity_id = "text.main_line_message"
    with patch.object(message, "render", wraps=message.render) as render:
        line.redraws.now()
        line.redraws.now()
        assert render.call_count == 0  # rendered when the entity was added

        await hass.services.async_call(
            "text",
            "set_value",
            {
                "entity_id": entity_id,
                "value": "Sorry we missed you! {{ business_name }}",
            },
            blocking=True,
        )
        await hass.async_block_till_done()
        rendered = render.call_count
        line.redraws.now()

    assert rendered >= 1
    assert render.call_count == rendered
    assert hass.states.get(entity_id).attributes["segments"] == 1


async def test_the_preview_follows_the_day_it_is_seen_on(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    renderer = init_integration.runtime_data.renderer
    today = renderer.render_preview()
    assert renderer.render_preview() is today

    with patch.object(
        dt_util, "utcnow", return_value=dt_util.utcnow() + timedelta(days=1)
    ):
        tomorrow = renderer.render_preview()

    assert tomorrow is not today
    assert tomorrow == today  # the default message says no day


def _lead(call_id: str) -> Lead:
    now = dt_util.utcnow()
    return Lead(
        call_id=call_id,
        number="+16502530000",
        caller_name=None,
        variant="a",
        missed_at=now,
        texted_at=now,
        due_at=now + timedelta(hours=1),
    )


def test_a_listed_lead_is_rendered_once_until_a_reply_changes_it() -> None:
    book = LeadBook()
    first, second = _lead("1"), _lead("2")
    book.add(first)
    book.add(second)
    built: list[str] = []

    def build(lead: Lead) -> dict[str, Any]:
        built.append(lead.call_id)
        return {"call_id": lead.call_id, "replies": len(lead.replies)}

    rows = book.rows("awaiting", [first, second], build)
    again = book.rows("awaiting", [first, second], build)
    assert built == ["1", "2"]
    assert again[0] is rows[0]
    assert again[1] is rows[1]

    book.reply("+16502530000", "Call me", dt_util.utcnow())
    replied = book.rows("awaiting", [first, second], build)

    # Only the lead that got the reply (the newest text) is rendered again.
    assert built == ["1", "2", "2"]
    assert replied[0] is rows[0]
    assert replied[1] == {"call_id": "2", "replies": 1}
    # Rows of leads no longer listed stay a while (a lead may be listed
    # again), and are dropped once they outnumber the listed ones.
    book.rows("awaiting", [first], build)
    assert book.rows("awaiting", [second], build)[0] is replied[1]
    many = [_lead(f"more-{i}") for i in range(ROWS_KEPT_UNLISTED + 4)]
    book.rows("awaiting", many, build)
    book.rows("awaiting", [first], build)
    built.clear()
    assert book.rows("awaiting", [second], build)[0] is not replied[1]
    assert built == ["2"]


def test_at_the_cap_the_lead_due_first_is_dropped_and_the_order_kept() -> None:
    book = LeadBook()
    start = dt_util.utcnow()
    # Deadlines out of order, with ties: a lead is dropped only at the cap.
    dues = [(7 * i) % 13 for i in range(MAX_OPEN_LEADS + 30)]
    expected: dict[str, Lead] = {}
    held = book.sorted_open()
    for i, minutes in enumerate(dues):
        lead = replace(_lead(str(i)), due_at=start + timedelta(minutes=minutes))
        book.add(lead)
        expected[lead.call_id] = lead
        if len(expected) > MAX_OPEN_LEADS:
            del expected[min(expected.values(), key=lambda x: x.due_at).call_id]
        assert book.open == expected
        assert book.sorted_open() == sorted(expected.values(), key=lambda x: x.due_at)
    # A list handed out before stays as it was.
    assert held == []
    # A lead added again under its call id replaces the one before.
    again = replace(book.sorted_open()[-1], due_at=start - timedelta(minutes=1))
    book.add(again)
    assert book.sorted_open()[0] is again
    assert len(book.open) == MAX_OPEN_LEADS


async def test_previews_of_replaced_messages_are_not_kept_forever(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    renderer = init_integration.runtime_data.renderer
    first = renderer.render_preview("Hi {{ business_name }} 0")
    for i in range(1, 12):
        renderer.render_preview(f"Hi {{{{ business_name }}}} {i}")

    assert len(renderer._previews) <= 8
    # Rendered again after it was dropped: the same text, a new render.
    again = renderer.render_preview("Hi {{ business_name }} 0")
    assert again == first
    assert again is not first


async def test_a_redraw_that_never_ran_does_not_hold_up_the_next_one(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    line = init_integration.runtime_data
    heard: list[str] = []
    unsub = line.redraws.async_add_listener(lambda: heard.append("texts"), Change.TEXTS)

    # The first redraw's task is cancelled before it runs (as at an unload).
    line.redraws.soon(Change.TEXTS)
    for task in list(init_integration._background_tasks | init_integration._tasks):
        if "redraw" in task.get_name():
            task.cancel()
    await hass.async_block_till_done()
    assert heard == []

    line.redraws.soon(Change.TEXTS)
    await hass.async_block_till_done()
    assert heard == ["texts"]

    # A change made during a redraw is drawn by a redraw of its own.
    def again() -> None:
        heard.append("again")
        if len(heard) == 2:
            line.redraws.soon(Change.LEADS)

    unsub_leads = line.redraws.async_add_listener(again, Change.LEADS)
    line.redraws.soon(Change.LEADS)
    await hass.async_block_till_done()
    assert heard == ["texts", "again", "again"]
    unsub()
    unsub_leads()
