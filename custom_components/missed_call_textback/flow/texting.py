"""The texting step's parts, shared by the config and options flows.

How texts are sent (a notify service, the owner's actions, or a provider's
API: flow.senders) and what they say; the action step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.helpers.script import async_validate_actions_config

from ..compat import vol
from ..const import (
    CONF_ACTION,
    CONF_BOOKING_LINK,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_MESSAGE,
    CONF_NOTIFY_SERVICE,
    CONF_SENDER,
    CONF_SERVICE_AREA,
    CONF_TEXT_VOICEMAIL,
    CONF_TRADE,
    DEFAULT_COOLDOWN_HOURS,
    MAX_COOLDOWN_HOURS,
    SenderKind,
)
from ..message import async_check_message, missing_details
from ..presets import texts_for
from ..sender import NOTIFY_DOMAIN
from ..settings import Details
from .selectors import choice, dropdown, number

# Notify services that cannot text a caller: the entity service has no target,
# and persistent notifications never leave Home Assistant.
_NOT_SMS_SERVICES = frozenset({"send_message", "persistent_notification"})


def notify_services(hass: HomeAssistant) -> list[str]:
    """Return the legacy notify services that could text a caller."""
    return sorted(
        name
        for name in hass.services.async_services_for_domain(NOTIFY_DOMAIN)
        if name not in _NOT_SMS_SERVICES
    )


def texting_schema(
    hass: HomeAssistant, defaults: Mapping[str, Any], *, fritzbox: bool
) -> vol.Schema:
    """Return the texting form (config and options flows)."""
    services = notify_services(hass)
    notify_default = defaults.get(CONF_NOTIFY_SERVICE)
    if notify_default is None and services:
        notify_default = services[0]
    schema: dict[Any, Any] = {
        vol.Required(
            CONF_SENDER, default=defaults.get(CONF_SENDER, SenderKind.NOTIFY)
        ): choice(CONF_SENDER, [kind.value for kind in SenderKind]),
        vol.Optional(
            CONF_NOTIFY_SERVICE,
            description={"suggested_value": notify_default},
        ): dropdown(services),
        vol.Required(
            CONF_MESSAGE,
            # A new line starts in the owner's language.
            default=defaults.get(
                CONF_MESSAGE, texts_for(None, hass.config.language).general.message
            ),
            # A plain text box: the template selector would reject a syntax
            # error with an untranslated schema error before our check runs.
        ): selector.TextSelector(selector.TextSelectorConfig(multiline=True)),
        vol.Required(
            CONF_COOLDOWN_HOURS,
            default=defaults.get(CONF_COOLDOWN_HOURS, DEFAULT_COOLDOWN_HOURS),
        ): number(0, MAX_COOLDOWN_HOURS, "h", step=0.5),
    }
    if fritzbox:
        schema[
            vol.Required(
                CONF_TEXT_VOICEMAIL, default=defaults.get(CONF_TEXT_VOICEMAIL, False)
            )
        ] = selector.BooleanSelector()
    schema[
        vol.Optional(
            CONF_COUNTRY,
            description={
                "suggested_value": defaults.get(CONF_COUNTRY, hass.config.country)
            },
        )
    ] = selector.CountrySelector()
    return vol.Schema(schema)


def validate_texting(
    hass: HomeAssistant,
    user_input: dict[str, Any],
    business_name: str,
    options: Mapping[str, Any] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Return (errors, description placeholders) for the texting step."""
    if user_input[CONF_SENDER] == SenderKind.NOTIFY:
        service = user_input.get(CONF_NOTIFY_SERVICE)
        if not notify_services(hass):
            return {"base": "no_notify_services"}, {}
        if not service or service not in notify_services(hass):
            return {CONF_NOTIFY_SERVICE: "notify_service_missing"}, {}
    options = options or {}
    details = Details(
        booking_link=str(options.get(CONF_BOOKING_LINK, "")),
        trade=str(options.get(CONF_TRADE, "")),
        service_area=str(options.get(CONF_SERVICE_AREA, "")),
    )
    try:
        async_check_message(
            hass, user_input[CONF_MESSAGE], business_name=business_name, details=details
        )
    except TemplateError as err:
        return {CONF_MESSAGE: "invalid_template"}, {"error": str(err)}
    if missing := missing_details(user_input[CONF_MESSAGE], details):
        return {CONF_MESSAGE: "missing_detail"}, {"error": missing[0]}
    return {}, {}


async def validate_action(
    hass: HomeAssistant, actions: Any
) -> tuple[dict[str, str], dict[str, str]]:
    """Check the texting actions; return (errors, placeholders)."""
    if not actions:
        return {CONF_ACTION: "action_required"}, {}
    try:
        await async_validate_actions_config(hass, cv.SCRIPT_SCHEMA(actions))
    except (vol.Invalid, HomeAssistantError) as err:
        return {CONF_ACTION: "invalid_action"}, {"error": str(err)}
    return {}, {}


async def async_action_step(
    flow: ConfigFlow | OptionsFlow,
    user_input: dict[str, Any] | None,
    defaults: Mapping[str, Any],
    options: dict[str, Any],
    done: Callable[[], ConfigFlowResult],
) -> ConfigFlowResult:
    """Run the action step shared by the config and options flows."""
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {"error": ""}
    if user_input is not None:
        errors, found = await validate_action(flow.hass, user_input.get(CONF_ACTION))
        placeholders.update(found)
        if not errors:
            options[CONF_ACTION] = user_input[CONF_ACTION]
            return done()
    return flow.async_show_form(
        step_id="action",
        data_schema=action_schema(user_input or defaults),
        errors=errors,
        description_placeholders=placeholders,
    )


def action_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Return the form that picks the texting actions."""
    return vol.Schema(
        {
            vol.Required(
                CONF_ACTION, default=defaults.get(CONF_ACTION, vol.UNDEFINED)
            ): selector.ActionSelector()
        }
    )


def texting_options(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the texting settings a form stores."""
    options = {
        key: user_input[key]
        for key in (
            CONF_SENDER,
            CONF_NOTIFY_SERVICE,
            CONF_MESSAGE,
            CONF_COOLDOWN_HOURS,
            CONF_TEXT_VOICEMAIL,
            CONF_COUNTRY,
        )
        if user_input.get(key) is not None
    }
    if options[CONF_SENDER] != SenderKind.NOTIFY:
        options.pop(CONF_NOTIFY_SERVICE, None)
    return options
