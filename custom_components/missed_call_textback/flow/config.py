"""Config flow steps every line shares (the texting forms are in flow.texting)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import selector

from ..compat import vol
from ..const import (
    CONF_ANSWERED_STATES,
    CONF_BUSINESS_NAME,
    CONF_ENTITY_ID,
    CONF_IDLE_STATES,
    CONF_LINE_NAME,
    CONF_MIN_RING_SECONDS,
    CONF_NAME_ATTRIBUTE,
    CONF_NUMBER_ATTRIBUTE,
    CONF_PRESET,
    CONF_RINGING_STATES,
    CONF_SENDER,
    CONF_SOURCE,
    CONF_TEXT_VOICEMAIL,
    DEFAULT_ANSWERED_STATES,
    DEFAULT_IDLE_STATES,
    DEFAULT_NAME_ATTRIBUTE,
    DEFAULT_NUMBER_ATTRIBUTE,
    DEFAULT_RINGING_STATES,
    NEW_LINE_MIN_RING_SECONDS,
    Preset,
    SenderKind,
    SourceKind,
)
from .selectors import choice, text
from .texting import (
    async_action_step,
    texting_options,
    texting_schema,
    validate_texting,
)

# The entities a line can hear its calls through.
_ENTITY_DOMAINS = ["sensor", "input_select", "select", "input_text", "text"]


def _source_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(
                CONF_PRESET, default=defaults.get(CONF_PRESET, Preset.FRITZBOX)
            ): choice(CONF_PRESET, [preset.value for preset in Preset]),
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
        errors = _validate_generic(user_input) if user_input is not None else {}
        if user_input is None or errors:
            return self._show_generic(
                "generic", user_input, {}, errors, last_step=False
            )
        self._data.update(_clean_generic(user_input))
        return await self.async_step_texting()

    def _show_generic(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        defaults: Mapping[str, Any],
        errors: dict[str, str],
        *,
        last_step: bool | None = None,
    ) -> ConfigFlowResult:
        """Show the states form, with what is wrong with user_input."""
        return self.async_show_form(
            step_id=step_id,
            data_schema=_generic_schema(
                self.hass, self._data[CONF_ENTITY_ID], user_input or defaults
            ),
            errors=errors,
            last_step=last_step,
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
        errors = _validate_generic(user_input) if user_input is not None else {}
        if user_input is None or errors:
            entry = self._get_reconfigure_entry()
            return self._show_generic(
                "reconfigure_generic", user_input, entry.data, errors
            )
        self._data.update(_clean_generic(user_input))
        return self._async_reconfigure_done()

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
