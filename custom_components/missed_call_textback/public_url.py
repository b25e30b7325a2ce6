"""The URL a phone provider's servers can call a line's webhook at.

Twilio, Telnyx and Quo post from the internet: a LAN address or a plain-http
URL does not reach Home Assistant (or, for Telnyx and Quo, is refused). The
best URL is a Home Assistant Cloud webhook (it needs no open port), then the
external https URL the owner set; anything else is shown but marked as not
reachable, with the reason the flow explains to the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import LOGGER

# Why a URL cannot be reached from the internet; each is a translated form
# error of the steps that show the URL.
WHY_INTERNAL: Final = "url_internal"
WHY_NOT_HTTPS: Final = "url_not_https"


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicUrl:
    """A webhook's URL and whether a provider on the internet can call it."""

    url: str
    reachable: bool
    # WHY_INTERNAL or WHY_NOT_HTTPS when not reachable.
    why: str | None = None
    # A Home Assistant Cloud webhook: requests arrive relayed, so a provider
    # that signs the URL it calls (Twilio) signs this one.
    cloudhook: bool = False


async def async_public_webhook_url(hass: HomeAssistant, webhook_id: str) -> PublicUrl:
    """Return the best URL a provider could call the webhook at."""
    if url := await _async_cloudhook(hass, webhook_id):
        return PublicUrl(url=url, reachable=True, cloudhook=True)
    path = webhook.async_generate_path(webhook_id)
    try:
        base = get_url(hass, allow_internal=False, require_ssl=True)
    except NoURLAvailableError:
        pass
    else:
        return PublicUrl(url=base + path, reachable=True)
    try:
        base = get_url(hass, allow_internal=False)
    except NoURLAvailableError:
        pass
    else:
        return PublicUrl(url=base + path, reachable=False, why=WHY_NOT_HTTPS)
    try:
        # No external URL exists by now: this is the internal one.
        url = webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        url = path
    return PublicUrl(url=url, reachable=False, why=WHY_INTERNAL)


async def _async_cloudhook(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return the webhook's cloudhook when the owner has Home Assistant Cloud."""
    if "cloud" not in hass.config.components:
        return None
    # Imported here: the cloud integration (and its client library) loads
    # only where the owner set it up.
    from homeassistant.components import cloud  # noqa: PLC0415

    if not cloud.async_active_subscription(hass):
        return None
    try:
        # Returns the webhook's existing cloudhook, so its URL stays the same.
        return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        # Logged in but not connected right now: the external URL still works.
        LOGGER.debug("Home Assistant Cloud is not connected; no cloudhook")
        return None


async def async_delete_cloudhooks(hass: HomeAssistant, webhook_ids: list[str]) -> None:
    """Delete the cloudhooks a removed line had (nothing without HA Cloud)."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    for webhook_id in webhook_ids:
        try:
            await cloud.async_delete_cloudhook(hass, webhook_id)
        except (cloud.CloudNotAvailable, ValueError):
            # Not logged in, or this webhook never had a cloudhook.
            LOGGER.debug("No cloudhook to delete for a removed line")
