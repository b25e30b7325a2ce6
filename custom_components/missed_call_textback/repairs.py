"""Repair issues a line raises, and clears once the cause is gone."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

# Issues the owner may take their time over; every other one is an error.
_WARNINGS = frozenset({"rate_capped", "not_textable"})


def _create(hass: HomeAssistant, kind: str, entry_id: str, **placeholders: str) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{kind}_{entry_id}",
        is_fixable=False,
        severity=(
            ir.IssueSeverity.WARNING if kind in _WARNINGS else ir.IssueSeverity.ERROR
        ),
        translation_key=kind,
        translation_placeholders=placeholders,
    )


@callback
def raise_notify_missing(
    hass: HomeAssistant, entry_id: str, line_name: str, service: str
) -> None:
    """Report that the line's notify service does not exist."""
    _create(hass, "notify_missing", entry_id, line_name=line_name, service=service)


@callback
def clear_notify_missing(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the report: the line's notify service exists (again)."""
    ir.async_delete_issue(hass, DOMAIN, f"notify_missing_{entry_id}")


@callback
def raise_template_error(
    hass: HomeAssistant, entry_id: str, line_name: str, error: str
) -> None:
    """Report a failed template (the default text went out instead)."""
    _create(hass, "template_error", entry_id, line_name=line_name, error=error)


@callback
def clear_template_error(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the report: the line's message template works (again)."""
    ir.async_delete_issue(hass, DOMAIN, f"template_error_{entry_id}")


@callback
def raise_send_failed(
    hass: HomeAssistant, entry_id: str, line_name: str, error: str
) -> None:
    """Report that every attempt to send a text failed."""
    _create(hass, "send_failed", entry_id, line_name=line_name, error=error)


@callback
def raise_invalid_data(
    hass: HomeAssistant, entry_id: str, line_name: str, service: str, error: str
) -> None:
    """Report that the sender refused a text's data (never retried)."""
    _create(
        hass,
        "invalid_data",
        entry_id,
        line_name=line_name,
        service=service,
        error=error,
    )


@callback
def raise_store_failed(
    hass: HomeAssistant, entry_id: str, line_name: str, error: str
) -> None:
    """Report that the line's state could not be written to disk."""
    _create(hass, "store_failed", entry_id, line_name=line_name, error=error)


@callback
def clear_store_failed(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the report: a write of the line's state succeeded."""
    ir.async_delete_issue(hass, DOMAIN, f"store_failed_{entry_id}")


@callback
def raise_rate_capped(hass: HomeAssistant, entry_id: str, line_name: str) -> None:
    """Report that the line reached a cap and skipped a caller."""
    _create(hass, "rate_capped", entry_id, line_name=line_name)


@callback
def clear_send_problems(hass: HomeAssistant, entry_id: str) -> None:
    """Clear send reports: a text went out, so sending works and caps allow it."""
    for kind in ("notify_missing", "send_failed", "invalid_data", "rate_capped"):
        ir.async_delete_issue(hass, DOMAIN, f"{kind}_{entry_id}")


@callback
def raise_not_textable(
    hass: HomeAssistant, entry_id: str, line_name: str, number: str
) -> None:
    """Tell the owner a caller's number cannot take texts (a landline)."""
    _create(hass, "not_textable", entry_id, line_name=line_name, number=number)


@callback
def raise_filtered(
    hass: HomeAssistant, entry_id: str, line_name: str, provider: str, code: str
) -> None:
    """Report that carriers filter the line's texts (A2P 10DLC registration)."""
    _create(
        hass,
        "texts_filtered",
        entry_id,
        line_name=line_name,
        provider=provider,
        code=code or "-",
    )


@callback
def clear_filtered(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the report: a text of the line was delivered."""
    ir.async_delete_issue(hass, DOMAIN, f"texts_filtered_{entry_id}")
