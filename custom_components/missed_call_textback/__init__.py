"""Missed Call Text-Back: text a caller back when a call to the business is missed."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_RECEIPT_WEBHOOK_ID, DOMAIN
from .data import TextBackConfigEntry
from .ledger import Ledger
from .line import TextBackLine
from .public_url import async_delete_cloudhooks
from .services import async_setup_services
from .sources.build import build_source
from .sources.webhook_config import CONF_WEBHOOK_ID

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TEXT,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TextBackConfigEntry) -> bool:
    """Set up one business line."""
    line = TextBackLine(hass, entry, build_source)
    await line.async_start()
    entry.runtime_data = line
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TextBackConfigEntry) -> bool:
    """Unload a business line."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: TextBackConfigEntry) -> None:
    """Delete a removed line's stored history and its cloudhooks."""
    await Ledger(hass, entry.entry_id).async_remove()
    webhook_ids = [
        webhook_id
        for webhook_id in (
            entry.data.get(CONF_WEBHOOK_ID),
            entry.options.get(CONF_RECEIPT_WEBHOOK_ID),
        )
        if isinstance(webhook_id, str)
    ]
    await async_delete_cloudhooks(hass, webhook_ids)


async def _async_options_updated(
    hass: HomeAssistant, entry: TextBackConfigEntry
) -> None:
    """Apply a message edit live; reload for anything else."""
    line = entry.runtime_data
    if line.applies_live(entry.options):
        line.async_options_applied()
        return
    await hass.config_entries.async_reload(entry.entry_id)
