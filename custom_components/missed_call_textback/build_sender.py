"""The line's sender, built from its settings: a provider, notify or actions."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    HomeAssistantError,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.script import async_validate_actions_config

from .compat import vol
from .const import DOMAIN, SenderKind
from .native import NATIVE_SENDERS, NativeSender, build_api
from .sender import ActionSender, NotifySender, Sender
from .settings import LineSettings


async def async_build_sender(hass: HomeAssistant, settings: LineSettings) -> Sender:
    """Return the sender the settings name; raise what the line's setup needs.

    Missing provider credentials start reauth; actions that do not validate
    stop the setup with the reason.
    """
    if settings.sender in NATIVE_SENDERS:
        try:
            api = build_api(
                settings.sender, async_get_clientsession(hass), settings.credentials
            )
        except KeyError as err:
            # The provider cannot be asked without them: ask the owner.
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="credentials_missing",
                translation_placeholders={"credential": str(err)},
            ) from err
        return NativeSender(api, settings.receipt_url)
    if settings.sender is not SenderKind.ACTION:
        return NotifySender(hass, settings.notify_service)
    try:
        actions = await async_validate_actions_config(
            hass, cv.SCRIPT_SCHEMA(settings.action)
        )
    except (vol.Invalid, HomeAssistantError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_action",
            translation_placeholders={"error": str(err)},
        ) from err
    return ActionSender(hass, actions, settings.line_name)
