"""Logbook lines: what the owner reads for each of the five events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook import DOMAIN as LOGBOOK_DOMAIN
from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.missed_call_textback import logbook
from custom_components.missed_call_textback.const import (
    DOMAIN,
    EVENT_FOLLOW_UP_DUE,
    EVENT_LEAD_RESOLVED,
    EVENT_MISSED_CALL,
    EVENT_REPLY_RECEIVED,
    EVENT_TEXT_DELIVERED,
    EVENT_TEXT_FAILED,
    EVENT_TEXT_SCHEDULED,
    EVENT_TEXT_SENT,
    EVENT_TEXT_SKIPPED,
    EVENT_TEXT_UNDELIVERED,
    SkipReason,
)

from .line_helpers import ENTRY_ID, async_miss_call, record_events

type Describe = Callable[[Event[dict[str, Any]]], dict[str, str]]

CALLER = "+16502530000"
BASE = {
    "entry_id": ENTRY_ID,
    "line_name": "Main line",
    "call_id": "01JCALL",
    "number": CALLER,
    "caller_name": "Jordan",
}
ALL_EVENTS = [
    EVENT_MISSED_CALL,
    EVENT_TEXT_SENT,
    EVENT_TEXT_SKIPPED,
    EVENT_TEXT_FAILED,
    EVENT_REPLY_RECEIVED,
    EVENT_TEXT_SCHEDULED,
    EVENT_FOLLOW_UP_DUE,
    EVENT_LEAD_RESOLVED,
    EVENT_TEXT_DELIVERED,
    EVENT_TEXT_UNDELIVERED,
]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Any, enable_custom_integrations: None
) -> None:
    """Replace the conftest fixture: the logbook needs the recorder before hass."""


@pytest.fixture(autouse=True)
async def us_home(recorder_mock: Any, hass: HomeAssistant) -> None:
    """Replace the conftest fixture: the recorder has to start before hass."""
    await hass.config.async_update(country="US", time_zone="America/New_York")


@pytest.fixture
def described(hass: HomeAssistant) -> dict[str, tuple[str, Describe]]:
    """Collect what the integration registers, as the logbook would."""
    seen: dict[str, tuple[str, Describe]] = {}

    def _collect(domain: str, event_type: str, describe: Describe) -> None:
        seen[event_type] = (domain, describe)

    logbook.async_describe_events(hass, _collect)
    return seen


def _line(
    described: dict[str, tuple[str, Describe]], event_type: str, **data: Any
) -> dict[str, str]:
    _, describe = described[event_type]
    return describe(Event(event_type, {**BASE, **data}))


def test_every_event_is_described_for_the_integration(
    described: dict[str, tuple[str, Describe]],
) -> None:
    assert sorted(described) == sorted(ALL_EVENTS)
    assert {domain for domain, _ in described.values()} == {DOMAIN}


def test_missed_call_reads_with_the_caller_and_the_line(
    described: dict[str, tuple[str, Describe]],
) -> None:
    assert _line(described, EVENT_MISSED_CALL) == {
        LOGBOOK_ENTRY_NAME: "Main line",
        LOGBOOK_ENTRY_MESSAGE: f"missed a call from Jordan ({CALLER})",
    }


@pytest.mark.parametrize(
    ("reason", "phrase"),
    [("delay", " at 10:05"), ("quiet_hours", " at 08:00 after quiet hours")],
)
def test_text_scheduled_says_when_it_will_go(
    described: dict[str, tuple[str, Describe]], reason: str, phrase: str
) -> None:
    send_at = (
        "2026-11-26T15:05:00+00:00"
        if reason == "delay"
        else ("2026-11-27T13:00:00+00:00")
    )
    assert _line(described, EVENT_TEXT_SCHEDULED, send_at=send_at, reason=reason) == {
        LOGBOOK_ENTRY_NAME: "Main line",
        LOGBOOK_ENTRY_MESSAGE: f"will text Jordan ({CALLER}) back{phrase}",
    }


def test_text_sent_reads_as_texted_back(
    described: dict[str, tuple[str, Describe]],
) -> None:
    assert _line(described, EVENT_TEXT_SENT, message="Hi") == {
        LOGBOOK_ENTRY_NAME: "Main line",
        LOGBOOK_ENTRY_MESSAGE: f"texted Jordan ({CALLER}) back",
    }


@pytest.mark.parametrize(
    ("reason", "phrase"),
    [
        (SkipReason.DISABLED, "text-back is switched off"),
        (SkipReason.ANONYMOUS, "the number was withheld"),
        (SkipReason.INVALID_NUMBER, "the number cannot receive texts"),
        (SkipReason.SHORT_CODE, "it was a short code"),
        (
            SkipReason.FOREIGN_NUMBER,
            "the number is from a country the line does not text",
        ),
        (
            SkipReason.PAID_NUMBER,
            "it is a premium-rate, toll-free or other service number",
        ),
        (SkipReason.COOLDOWN, "they were texted recently"),
        (SkipReason.DUPLICATE, "this call was already handled"),
        (SkipReason.OPTED_OUT, "they asked for no more texts"),
        (SkipReason.NEVER_TEXT, "they are on the never-text list"),
        (SkipReason.BLOCKED, "the number is blocked"),
        (SkipReason.NOT_ALLOWED, "the number is not on the allowlist"),
        (SkipReason.SHORT_RING, "the call rang only briefly"),
        (SkipReason.RATE_CAPPED, "the text limit was reached"),
        ("some_future_reason", "some_future_reason"),
    ],
)
def test_text_skipped_reads_with_a_reason_phrase(
    described: dict[str, tuple[str, Describe]], reason: str, phrase: str
) -> None:
    assert _line(described, EVENT_TEXT_SKIPPED, reason=reason) == {
        LOGBOOK_ENTRY_NAME: "Main line",
        LOGBOOK_ENTRY_MESSAGE: f"did not text Jordan ({CALLER}) back: {phrase}",
    }


def test_every_skip_reason_has_a_phrase() -> None:
    assert set(logbook.REASONS) == {reason.value for reason in SkipReason}


def test_text_failed_with_a_retry_says_it_will_try_again(
    described: dict[str, tuple[str, Describe]],
) -> None:
    assert _line(
        described,
        EVENT_TEXT_FAILED,
        error="provider down",
        attempt=1,
        retry_at="2026-11-26T10:01:30+00:00",
    ) == {
        LOGBOOK_ENTRY_NAME: "Main line",
        LOGBOOK_ENTRY_MESSAGE: (
            f"could not text Jordan ({CALLER}) back (provider down) and will try again"
        ),
    }


def test_text_failed_for_the_last_time_does_not_promise_a_retry(
    described: dict[str, tuple[str, Describe]],
) -> None:
    assert _line(
        described, EVENT_TEXT_FAILED, error="provider down", attempt=5, retry_at=None
    ) == {
        LOGBOOK_ENTRY_NAME: "Main line",
        LOGBOOK_ENTRY_MESSAGE: f"could not text Jordan ({CALLER}) back (provider down)",
    }


def test_reply_received_quotes_the_reply(
    described: dict[str, tuple[str, Describe]],
) -> None:
    assert _line(
        described,
        EVENT_REPLY_RECEIVED,
        caller_name=None,
        text="STOP",
        keyword="stop",
    ) == {
        LOGBOOK_ENTRY_NAME: "Main line",
        LOGBOOK_ENTRY_MESSAGE: f"got a reply from {CALLER}: \u201cSTOP\u201d",
    }


def test_an_unknown_caller_and_a_missing_line_name_still_read(
    described: dict[str, tuple[str, Describe]],
) -> None:
    assert _line(
        described,
        EVENT_MISSED_CALL,
        number=None,
        caller_name=None,
        line_name=None,
    ) == {
        LOGBOOK_ENTRY_NAME: "Text-back",
        LOGBOOK_ENTRY_MESSAGE: "missed a call from an unknown number",
    }


async def test_the_logbook_describes_the_events_a_real_missed_call_fires(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
) -> None:
    """The real logbook picks up the platform and reads the line's own events."""
    # The logbook depends on the frontend, whose UI package (hass_frontend) is
    # not a test requirement; only the logbook's event registry is under test.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, LOGBOOK_DOMAIN, {})
    await hass.async_block_till_done()
    external = hass.data[LOGBOOK_DOMAIN].external_events
    assert {event_type for event_type in ALL_EVENTS if event_type in external} == set(
        ALL_EVENTS
    )

    seen = record_events(hass)
    await async_miss_call(hass, CALLER, "Jordan")
    await hass.services.async_call(
        DOMAIN, "handle_reply", {"number": CALLER, "text": "Thanks"}, blocking=True
    )
    await hass.async_block_till_done()

    assert [name for name, _ in seen] == ["missed_call", "text_sent", "reply_received"]
    lines = []
    for name, data in seen:
        domain, describe = external[f"{DOMAIN}_{name}"]
        assert domain == DOMAIN
        lines.append(describe(Event(f"{DOMAIN}_{name}", data)))
    assert lines == [
        {
            LOGBOOK_ENTRY_NAME: "Main line",
            LOGBOOK_ENTRY_MESSAGE: f"missed a call from Jordan ({CALLER})",
        },
        {
            LOGBOOK_ENTRY_NAME: "Main line",
            LOGBOOK_ENTRY_MESSAGE: f"texted Jordan ({CALLER}) back",
        },
        {
            LOGBOOK_ENTRY_NAME: "Main line",
            LOGBOOK_ENTRY_MESSAGE: (
                f"got a reply from Jordan ({CALLER}): \u201cThanks\u201d"
            ),
        },
    ]


async def test_events_name_the_call_entity_and_device_so_the_logbook_files_them(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    sms_calls: list[ServiceCall],
    described: dict[str, tuple[str, Describe]],
) -> None:
    seen: list[dict[str, Any]] = []
    hass.bus.async_listen(
        EVENT_MISSED_CALL, callback(lambda event: seen.append(dict(event.data)))
    )
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), ENTRY_ID)
    assert len(devices) == 1

    await async_miss_call(hass, "6502530000", "Jordan")
    await hass.async_block_till_done()

    assert seen[0]["entity_id"] == "event.main_line_call"
    assert seen[0]["device_id"] == devices[0].id
    _, describe = described[EVENT_MISSED_CALL]
    entry = describe(Event(EVENT_MISSED_CALL, seen[0]))
    assert entry[LOGBOOK_ENTRY_ENTITY_ID] == "event.main_line_call"
