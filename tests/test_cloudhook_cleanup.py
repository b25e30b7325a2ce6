"""A removed line takes its Home Assistant Cloud webhooks with it.

The cloud integration's own functions are replaced (no test can log in to
Home Assistant Cloud); everything else is a real Home Assistant.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import cloud
from homeassistant.core import HomeAssistant
import pytest

from custom_components.missed_call_textback.const import CONF_RECEIPT_WEBHOOK_ID

from .line_helpers import async_add_line, make_entry


async def _remove_line(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    **options: Any,
) -> None:
    entry = make_entry(entry_data, entry_options, **options)
    await async_add_line(hass, entry)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()


async def test_removing_a_line_deletes_its_cloudhooks(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The receipt webhook's cloudhook goes; a hook never made is no error."""
    deleted: list[str] = []

    async def _delete(_hass: HomeAssistant, webhook_id: str) -> None:
        deleted.append(webhook_id)
        if webhook_id != "receipts":
            raise ValueError("Hook is not enabled for the cloud.")

    hass.config.components.add("cloud")
    monkeypatch.setattr(cloud, "async_delete_cloudhook", _delete)
    await _remove_line(
        hass, entry_data, entry_options, **{CONF_RECEIPT_WEBHOOK_ID: "receipts"}
    )
    assert deleted == ["receipts"]


async def test_removing_a_line_without_cloud_touches_no_cloud(
    hass: HomeAssistant,
    entry_data: dict[str, Any],
    entry_options: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the cloud integration loaded, nothing is asked of it."""

    async def _delete(_hass: HomeAssistant, _webhook_id: str) -> None:
        raise AssertionError("the cloud was asked")

    monkeypatch.setattr(cloud, "async_delete_cloudhook", _delete)
    await _remove_line(
        hass, entry_data, entry_options, **{CONF_RECEIPT_WEBHOOK_ID: "receipts"}
    )
    assert hass.config_entries.async_entries("missed_call_textback") == []
