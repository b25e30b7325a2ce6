"""Diagnostics: the line's setup and recent history, with every number hidden."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ACTION,
    CONF_ALLOWLIST,
    CONF_BLOCKLIST,
    CONF_CREDENTIALS,
    CONF_NEVER_TEXT,
    CONF_RECEIPT_URL,
    CONF_RECEIPT_WEBHOOK_ID,
)
from .data import TextBackConfigEntry
from .phone import mask_number, scrub_numbers
from .sources.sip.const import CONF_AUTH_USERNAME, CONF_PASSWORD, CONF_USERNAME
from .sources.webhook_config import CONF_PUBLIC_URL, SECRET_KEYS

# Caller names are personal data too; numbers are masked, not dropped, so an
# owner can still recognise a call in a bug report.
TO_REDACT = {"caller_name", "message"}
# Provider secrets, the webhook id and the public URL that carries it, and the
# SIP account: a user name is half a login and often the line's own number.
DATA_TO_REDACT = {
    *SECRET_KEYS,
    CONF_PUBLIC_URL,
    CONF_USERNAME,
    CONF_AUTH_USERNAME,
    CONF_PASSWORD,
}
# The owner's own actions hold whatever they chose to send: tokens, numbers.
# A native sender's credentials, and the receipt webhook (its id is a secret).
OPTIONS_TO_REDACT = {
    CONF_ACTION,
    CONF_CREDENTIALS,
    CONF_RECEIPT_WEBHOOK_ID,
    CONF_RECEIPT_URL,
}
# Lists of callers' numbers and prefixes, masked like the history's numbers.
NUMBER_LISTS = (CONF_NEVER_TEXT, CONF_BLOCKLIST, CONF_ALLOWLIST)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: TextBackConfigEntry,
) -> dict[str, Any]:
    """Return diagnostics for a line."""
    line = entry.runtime_data
    health = line.source.health()
    ledger = line.ledger
    now = dt_util.utcnow()
    history = [
        {
            **asdict(record),
            "number": mask_number(record.number or ""),
            "error": scrub_numbers(record.error) if record.error else None,
            # A reply is the caller's own words: count them, never show them.
            "replies": len(record.replies),
        }
        for record in ledger.history
    ]
    outbox = [
        {**asdict(item), "number": mask_number(item.number)} for item in ledger.outbox
    ]
    hours = line.hours.state(now)
    leads = ledger.leads
    diagnostics: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), DATA_TO_REDACT),
            "options": _options(entry.options),
        },
        "enabled": line.enabled,
        "mode": line.mode,
        "hours": {
            "source": line.hours.source,
            "open": hours.is_open,
            "next_open": hours.next_open.isoformat() if hours.next_open else None,
            "next_close": hours.next_close.isoformat() if hours.next_close else None,
        },
        "variants": [variant.variant_id for variant in line.variants],
        "follow_ups": {
            "open": len(leads.open),
            "overdue": len(leads.overdue(now)),
            "totals": asdict(leads.total),
            "by_variant": {key: asdict(tally) for key, tally in leads.variants.items()},
        },
        "region": line.region,
        "calls_in_progress": line.tracker.in_progress,
        "missed_today": ledger.missed_today(now),
        "sent_today": ledger.sent_today(now),
        "numbers_in_cooldown": ledger.cooldown_count,
        "numbers_opted_out": ledger.opted_out_count,
        **health.diagnostics,
        "outbox": async_redact_data(outbox, TO_REDACT),
        "history": async_redact_data(history, TO_REDACT),
    }
    if (rejected := health.rejected_requests) is not None:
        diagnostics["rejected_webhook_requests"] = rejected
    return diagnostics


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options with number lists masked and the actions hidden."""
    shown = async_redact_data(dict(options), OPTIONS_TO_REDACT)
    for key in NUMBER_LISTS:
        if key in shown:
            shown[key] = [mask_number(str(entry)) for entry in shown[key]]
    return shown
