"""Config flow steps every line shares, and the texting helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.helpers.script import async_validate_actions_config

from ..compat import vol
from ..const import (
    CONF_ACTION,
    CONF_ANSWERED_STATES,
    CONF_BOOKING_LINK,
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_ENTITY_ID,
    CONF_IDLE_STATES,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MIN_RING_SECONDS,
    CONF_NAME_ATTRIBUTE,
    CONF_NOTIFY_SERVICE,
    CONF_NUMBER_ATTRIBUTE,
    CONF_PRESET,
    CONF_RINGING_STATES,
    CONF_SENDER,
    CONF_SERVICE_AREA,
    CONF_SOURCE,
    CONF_TEXT_VOICEMAIL,
    CONF_TRADE,
    DEFAULT_ANSWERED_STATES,
    DEFAULT_COOLDOWN_HOURS,
    DEFAULT_IDLE_STATES,
    DEFAULT_NAME_ATTRIBUTE,
    DEFAULT_NUMBER_ATTRIBUTE,
    DEFAULT_RINGING_STATES,
    MAX_COOLDOWN_HOURS,
    NEW_LINE_MIN_RING_SECONDS,
    Preset,
    SenderKind,
    SourceKind,
)
from ..message import async_check_message, missing_details
from ..presets import texts_for
from ..sender import NOTIFY_DOMAIN
from ..settings import Details
from .selectors import text

# Notify services that cannot text a caller: the entity service has no target,
# and persistent notifications never leave Home Assistant.
_NOT_SMS_SERVICES = frozenset({"send_message", "persistent_notification"})

_ENTITY_DOMAINS = ["sensor", "input_select", "select", "input_text", "text"]


def notify_services(hass: HomeAssistant) -> list[str]:
    """Return the legacy notify services that could text a caller."""
    return sorted(
        name
        for name in hass.services.async_services_for_domain(NOTIFY_DOMAIN)
        if name not in _NOT_SMS_SERVICES
    )


def _source_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(
                CONF_PRESET, default=defaults.get(CONF_PRESET, Preset.FRITZBOX)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=[preset.value for preset in Preset],
                    translation_key=CONF_PRESET,
                    mode=selector.SelectSelectorMode.LIST,
                )
            ),
            vol.Required(
                CONF_ENTITY_ID, default=defaults.get(CONF_ENTITY_ID, vol.UNDEFINED)
            ): selector.EntitySelector(
                selector.EntitySelectorConfig(domain=_ENTITY_DOMAINS)
            ),
        }
    )


def _states_selector(options: list[str]) -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(options=options, multiple=True, custom_value=True)
    )


def _generic_schema(
    hass: HomeAssistant, entity_id: str, defaults: Mapping[str, Any]
) -> vol.Schema:
    # Offer the states and attributes the entity has now; owners may type others.
    state = hass.states.get(entity_id)
    known_states = (
        [str(option) for option in (state.attributes.get("options") or [])]
        if state
        else []
    )
    attributes = sorted(state.attributes) if state else []
    return vol.Schema(
        {
            vol.Required(
                CONF_RINGING_STATES,
                default=list(defaults.get(CONF_RINGING_STATES, DEFAULT_RINGING_STATES)),
            ): _states_selector(known_states),
            vol.Optional(
                CONF_ANSWERED_STATES,
                default=list(
                    defaults.get(CONF_ANSWERED_STATES, DEFAULT_ANSWERED_STATES)
                ),
            ): _states_selector(known_states),
            vol.Required(
                CONF_IDLE_STATES,
                default=list(defaults.get(CONF_IDLE_STATES, DEFAULT_IDLE_STATES)),
            ): _states_selector(known_states),
            vol.Required(
                CONF_NUMBER_ATTRIBUTE,
                default=defaults.get(CONF_NUMBER_ATTRIBUTE, DEFAULT_NUMBER_ATTRIBUTE),
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(options=attributes, custom_value=True)
            ),
            vol.Optional(
                CONF_NAME_ATTRIBUTE,
                description={
                    "suggested_value": defaults.get(
                        CONF_NAME_ATTRIBUTE, DEFAULT_NAME_ATTRIBUTE
                    )
                },
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(options=attributes, custom_value=True)
            ),
        }
    )


def _validate_generic(user_input: dict[str, Any]) -> dict[str, str]:
    lists = [
        {str(state).strip() for state in user_input.get(key, []) if str(state).strip()}
        for key in (CONF_RINGING_STATES, CONF_ANSWERED_STATES, CONF_IDLE_STATES)
    ]
    if not lists[0]:
        return {CONF_RINGING_STATES: "states_required"}
    if not lists[2]:
        return {CONF_IDLE_STATES: "states_required"}
    if lists[0] & lists[1] or lists[0] & lists[2] or lists[1] & lists[2]:
        return {"base": "states_overlap"}
    if not str(user_input.get(CONF_NUMBER_ATTRIBUTE, "")).strip():
        return {CONF_NUMBER_ATTRIBUTE: "attribute_required"}
    return {}


def _clean_generic(user_input: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {
        key: sorted({str(s).strip() for s in user_input.get(key, []) if str(s).strip()})
        for key in (CONF_RINGING_STATES, CONF_ANSWERED_STATES, CONF_IDLE_STATES)
    }
    cleaned[CONF_NUMBER_ATTRIBUTE] = str(user_input[CONF_NUMBER_ATTRIBUTE]).strip()
    cleaned[CONF_NAME_ATTRIBUTE] = str(
        user_input.get(CONF_NAME_ATTRIBUTE) or ""
    ).strip()
    return cleaned


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
        ): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[kind.value for kind in SenderKind],
                translation_key=CONF_SENDER,
                mode=selector.SelectSelectorMode.LIST,
            )
        ),
        vol.Optional(
            CONF_NOTIFY_SERVICE,
            description={"suggested_value": notify_default},
        ): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=services, mode=selector.SelectSelectorMode.DROPDOWN
            )
        ),
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
        ): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=0,
                max=MAX_COOLDOWN_HOURS,
                step=0.5,
                unit_of_measurement="h",
                mode=selector.NumberSelectorMode.BOX,
            )
        ),
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


def _unique_id(entity_id: str) -> str:
    return f"{SourceKind.ENTITY}:{entity_id}"


class ConfigSteps(ConfigFlow):
    """The steps every line shares: its name, how it hears calls, texting.

    The steps of each kind of source build on these (flow.webhook, flow.sip).
    """

    def __init__(self) -> None:
        """Initialize the flow."""
        self._data: dict[str, Any] = {}
        self._options: dict[str, Any] = {}

    async def async_step_user(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Choose how the line hears its calls."""
        return self.async_show_menu(
            step_id="user", menu_options=[kind.value for kind in SourceKind]
        )

    async def async_step_entity(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the line and choose the entity that hears its calls."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entity_id = user_input[CONF_ENTITY_ID]
            await self.async_set_unique_id(_unique_id(entity_id))
            self._abort_if_unique_id_configured()
            if self.hass.states.get(entity_id) is None:
                errors[CONF_ENTITY_ID] = "entity_not_found"
            else:
                self._options = {
                    CONF_LINE_NAME: user_input[CONF_LINE_NAME].strip(),
                    CONF_BUSINESS_NAME: user_input[CONF_BUSINESS_NAME].strip(),
                }
                # Only a new line: one made before keeps the rules it has.
                if seconds := NEW_LINE_MIN_RING_SECONDS.get(user_input[CONF_PRESET]):
                    self._options[CONF_MIN_RING_SECONDS] = seconds
                self._data = {
                    CONF_SOURCE: SourceKind.ENTITY,
                    CONF_PRESET: user_input[CONF_PRESET],
                    CONF_ENTITY_ID: entity_id,
                }
                if user_input[CONF_PRESET] == Preset.GENERIC:
                    return await self.async_step_generic()
                return await self.async_step_texting()
        schema = vol.Schema(
            {
                vol.Required(CONF_LINE_NAME): text(),
                vol.Required(CONF_BUSINESS_NAME): text(),
            }
        ).extend(_source_schema(user_input or {}).schema)
        return self.async_show_form(
            step_id="entity",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            last_step=False,
        )

    async def async_step_generic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the states and the number attribute of a generic entity."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _validate_generic(user_input)
            if not errors:
                self._data.update(_clean_generic(user_input))
                return await self.async_step_texting()
        return self.async_show_form(
            step_id="generic",
            data_schema=_generic_schema(
                self.hass, self._data[CONF_ENTITY_ID], user_input or {}
            ),
            errors=errors,
            last_step=False,
        )

    async def async_step_texting(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose how texts are sent and what they say."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"error": ""}
        if user_input is not None:
            errors, found = validate_texting(
                self.hass, user_input, self._options[CONF_BUSINESS_NAME]
            )
            placeholders.update(found)
            if not errors:
                self._options.update(texting_options(user_input))
                return await self._async_texting_done()
        return self.async_show_form(
            step_id="texting",
            data_schema=texting_schema(
                self.hass,
                user_input or {},
                fritzbox=self._data.get(CONF_PRESET) == Preset.FRITZBOX,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_texting_done(self) -> ConfigFlowResult:
        """Go on to the sender's own step, if it has one (flow.senders adds more)."""
        if self._options[CONF_SENDER] == SenderKind.ACTION:
            return await self.async_step_action()
        return self._async_create()

    async def async_step_action(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the actions that send a text."""
        return await async_action_step(
            self, user_input, {}, self._options, self._async_create
        )

    @callback
    def _async_create(self) -> ConfigFlowResult:
        return self.async_create_entry(
            title=self._options[CONF_LINE_NAME], data=self._data, options=self._options
        )

    async def _async_reconfigure_entity(
        self, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Change the entity (and preset) a line hears its calls through."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            entity_id = user_input[CONF_ENTITY_ID]
            if any(
                other.unique_id == _unique_id(entity_id)
                and other.entry_id != entry.entry_id
                for other in self._async_current_entries(include_ignore=False)
            ):
                return self.async_abort(reason="already_configured")
            if self.hass.states.get(entity_id) is None:
                errors[CONF_ENTITY_ID] = "entity_not_found"
            else:
                self._data = {
                    CONF_SOURCE: SourceKind.ENTITY,
                    CONF_PRESET: user_input[CONF_PRESET],
                    CONF_ENTITY_ID: entity_id,
                }
                if user_input[CONF_PRESET] == Preset.GENERIC:
                    return await self.async_step_reconfigure_generic()
                return self._async_reconfigure_done()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_source_schema(user_input or entry.data),
            errors=errors,
        )

    async def async_step_reconfigure_generic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the states of a generic entity (reconfigure)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _validate_generic(user_input)
            if not errors:
                self._data.update(_clean_generic(user_input))
                return self._async_reconfigure_done()
        entry = self._get_reconfigure_entry()
        return self.async_show_form(
            step_id="reconfigure_generic",
            data_schema=_generic_schema(
                self.hass, self._data[CONF_ENTITY_ID], user_input or entry.data
            ),
            errors=errors,
        )

    @callback
    def _async_reconfigure_done(self) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        # Voicemail detection exists only on the FRITZ!Box preset.
        options = dict(entry.options)
        if self._data[CONF_PRESET] != Preset.FRITZBOX:
            options.pop(CONF_TEXT_VOICEMAIL, None)
        return self.async_update_reload_and_abort(
            entry,
            unique_id=_unique_id(self._data[CONF_ENTITY_ID]),
            data=self._data,
            options=options,
        )
