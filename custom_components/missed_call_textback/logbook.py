"""Logbook lines a non-technical owner can read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import (
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
)

REASONS = {
    "disabled": "text-back is switched off",
    "anonymous": "the number was withheld",
    "invalid_number": "the number cannot receive texts",
    "short_code": "it was a short code",
    "foreign_number": "the number is from a country the line does not text",
    "paid_number": "it is a premium-rate, toll-free or other service number",
    "cooldown": "they were texted recently",
    "duplicate": "this call was already handled",
    "opted_out": "they asked for no more texts",
    "never_text": "they are on the never-text list",
    "blocked": "the number is blocked",
    "not_allowed": "the number is not on the allowlist",
    "short_ring": "the call rang only briefly",
    "rate_capped": "the text limit was reached",
    "mode_off": "the text-back mode is off",
    "open": "the business was open (after-hours mode)",
    "closed": "the business was closed (business-hours mode)",
    "not_busy": "no other call was in progress",
    "quiet_hours": "it was during quiet hours",
    "answered_later": "they called again and got through",
    "called_back": "you called them back",
    "landline": "the number cannot receive texts (a landline)",
}

# What an undelivered text's error code means (SendErrorKind values).
MEANINGS = {
    "landline": ": the number cannot receive texts (a landline or unreachable)",
    "filtered": ": the carrier blocked it (A2P 10DLC registration needed)",
    "opted_out": ": they opted out of texts at the provider",
}


RESOLUTIONS = {
    "called_back": ": you called them back",
    "answered": ": they called again and got through",
    "manual": "",
}


def _who(data: dict[str, Any]) -> str:
    number = data.get("number") or "an unknown number"
    if name := data.get("caller_name"):
        return f"{name} ({number})"
    return str(number)


def _describe(event: Event[dict[str, Any]]) -> str:
    data = event.data
    who = _who(data)
    if event.event_type == EVENT_MISSED_CALL:
        return f"missed a call from {who}"
    if event.event_type == EVENT_TEXT_SENT:
        return f"texted {who} back"
    if event.event_type == EVENT_TEXT_SKIPPED:
        reason = REASONS.get(str(data.get("reason")), str(data.get("reason")))
        return f"did not text {who} back: {reason}"
    if event.event_type == EVENT_TEXT_SCHEDULED:
        why = " after quiet hours" if data.get("reason") == "quiet_hours" else ""
        when = dt_util.parse_datetime(str(data.get("send_at") or ""))
        at = f" at {dt_util.as_local(when):%H:%M}" if when else ""
        return f"will text {who} back{at}{why}"
    if event.event_type == EVENT_FOLLOW_UP_DUE:
        when = dt_util.parse_datetime(str(data.get("due_at") or ""))
        by = f" by {dt_util.as_local(when):%H:%M}" if when else ""
        return f"should follow up with {who}{by}"
    if event.event_type == EVENT_LEAD_RESOLVED:
        how = RESOLUTIONS.get(str(data.get("resolution")), "")
        late = "" if data.get("within_promise") else " (later than promised)"
        return f"followed up with {who}{how}{late}"
    if event.event_type == EVENT_TEXT_DELIVERED:
        return f"delivered the text to {who}"
    if event.event_type == EVENT_TEXT_UNDELIVERED:
        code = f" (error {data['error_code']})" if data.get("error_code") else ""
        meaning = MEANINGS.get(str(data.get("meaning")), "")
        return f"could not deliver the text to {who}{code}{meaning}"
    if event.event_type == EVENT_TEXT_FAILED:
        retry = " and will try again" if data.get("retry_at") else ""
        return f"could not text {who} back ({data.get('error')}){retry}"
    return f"got a reply from {who}: “{data.get('text', '')}”"


@callback
def async_describe_events(
    hass: HomeAssistant,  # noqa: ARG001
    async_describe_event: Callable[
        [str, str, Callable[[Event[dict[str, Any]]], dict[str, str]]], None
    ],
) -> None:
    """Describe the integration's events in the logbook."""

    @callback
    def _entry(event: Event[dict[str, Any]]) -> dict[str, str]:
        entry = {
            LOGBOOK_ENTRY_NAME: str(event.data.get("line_name") or "Text-back"),
            LOGBOOK_ENTRY_MESSAGE: _describe(event),
        }
        # The line's Call entity: its logbook and the device page list the line.
        if entity_id := event.data.get("entity_id"):
            entry[LOGBOOK_ENTRY_ENTITY_ID] = str(entity_id)
        return entry

    for event_type in (
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
    ):
        async_describe_event(DOMAIN, event_type, _entry)
