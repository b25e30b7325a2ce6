"""Config, options and reconfigure flows of Missed Call Text-Back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import re
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.helpers.script import async_validate_actions_config
import phonenumbers

from .compat import vol
from .const import (
    CONF_ACTION,
    CONF_ALLOWED_COUNTRIES,
    CONF_ALLOWLIST,
    CONF_ALLOWLIST_ONLY,
    CONF_ANSWERED_STATES,
    CONF_BLOCKLIST,
    CONF_BOOKING_LINK,
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_DAILY_CAP,
    CONF_ENTITY_ID,
    CONF_FOLLOW_UP_NOTIFY,
    CONF_FORWARD_REPLIES,
    CONF_HELP_MESSAGE,
    CONF_HOURLY_CAP,
    CONF_IDLE_STATES,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MIN_RING_SECONDS,
    CONF_NAME_ATTRIBUTE,
    CONF_NEVER_TEXT,
    CONF_NOTIFY_SERVICE,
    CONF_NUMBER_ATTRIBUTE,
    CONF_PRESET,
    CONF_REMIND_MINUTES,
    CONF_REPLY_EVENT_TYPE,
    CONF_REPLY_NUMBER_KEY,
    CONF_REPLY_SOURCE,
    CONF_REPLY_TEXT_KEY,
    CONF_RETRY_MINUTES,
    CONF_RINGING_STATES,
    CONF_SENDER,
    CONF_SERVICE_AREA,
    CONF_SOURCE,
    CONF_STOP_CONFIRMATION,
    CONF_STOP_MESSAGE,
    CONF_TEXT_VOICEMAIL,
    CONF_TRADE,
    DEFAULT_ANSWERED_STATES,
    DEFAULT_COOLDOWN_HOURS,
    DEFAULT_DAILY_CAP,
    DEFAULT_HELP_MESSAGE,
    DEFAULT_HOURLY_CAP,
    DEFAULT_IDLE_STATES,
    DEFAULT_MESSAGE,
    DEFAULT_NAME_ATTRIBUTE,
    DEFAULT_NUMBER_ATTRIBUTE,
    DEFAULT_REMIND_MINUTES,
    DEFAULT_RETRY_MINUTES,
    DEFAULT_RINGING_STATES,
    DEFAULT_STOP_MESSAGE,
    DOMAIN,
    MAX_COOLDOWN_HOURS,
    MAX_RETRIES,
    NEW_LINE_MIN_RING_SECONDS,
    Preset,
    ReplySource,
    SenderKind,
    SourceKind,
)
from .flow_sip import SipFlowMixin
from .flow_timing import TimingOptionsFlow
from .flow_webhook import WebhookFlowMixin
from .message import Details, async_check_message, missing_details
from .phone import PhoneNumber, normalize_number
from .sender import NOTIFY_DOMAIN

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


def _text() -> selector.TextSelector:
    return selector.TextSelector()


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


def _texting_schema(
    hass: HomeAssistant, defaults: Mapping[str, Any], *, fritzbox: bool
) -> vol.Schema:
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
            default=defaults.get(CONF_MESSAGE, DEFAULT_MESSAGE),
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


def _validate_texting(
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


async def _validate_action(
    hass: HomeAssistant, actions: Any
) -> tuple[dict[str, str], dict[str, str]]:
    if not actions:
        return {CONF_ACTION: "action_required"}, {}
    try:
        await async_validate_actions_config(hass, cv.SCRIPT_SCHEMA(actions))
    except (vol.Invalid, HomeAssistantError) as err:
        return {CONF_ACTION: "invalid_action"}, {"error": str(err)}
    return {}, {}


async def _async_action_step(
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
        errors, found = await _validate_action(flow.hass, user_input.get(CONF_ACTION))
        placeholders.update(found)
        if not errors:
            options[CONF_ACTION] = user_input[CONF_ACTION]
            return done()
    return flow.async_show_form(
        step_id="action",
        data_schema=_action_schema(user_input or defaults),
        errors=errors,
        description_placeholders=placeholders,
    )


def _action_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(
                CONF_ACTION, default=defaults.get(CONF_ACTION, vol.UNDEFINED)
            ): selector.ActionSelector()
        }
    )


def _texting_options(user_input: dict[str, Any]) -> dict[str, Any]:
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
    if options[CONF_SENDER] == SenderKind.ACTION:
        options.pop(CONF_NOTIFY_SERVICE, None)
    return options


def _unique_id(entity_id: str) -> str:
    return f"{SourceKind.ENTITY}:{entity_id}"


_TEXTING_KEYS = frozenset(
    {
        CONF_SENDER,
        CONF_NOTIFY_SERVICE,
        CONF_ACTION,
        CONF_MESSAGE,
        CONF_COOLDOWN_HOURS,
        CONF_TEXT_VOICEMAIL,
        CONF_COUNTRY,
    }
)
_LIST_KEYS = (CONF_NEVER_TEXT, CONF_BLOCKLIST, CONF_ALLOWLIST)
# The regions phonenumbers assigns callers to, with their calling codes: the
# owner reads "+1" or "+44" on a caller ID, not an ISO code.
_COUNTRY_OPTIONS = [
    selector.SelectOptionDict(
        value=region,
        label=f"{region} (+{phonenumbers.country_code_for_region(region)})",
    )
    for region in sorted(phonenumbers.SUPPORTED_REGIONS)
]
_PREFIX = re.compile(r"^\+[1-9]\d{0,14}$")


class _RuleError(Exception):
    def __init__(self, field: str, key: str, entry: str = "") -> None:
        super().__init__(key)
        self.field = field
        self.key = key
        self.entry = entry


def _rules_defaults(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **options,
        CONF_RETRY_MINUTES: ", ".join(
            f"{value:g}"
            for value in options.get(CONF_RETRY_MINUTES, DEFAULT_RETRY_MINUTES)
        ),
    }


def _rules_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    def _count(maximum: int) -> selector.NumberSelector:
        return selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=0, max=maximum, step=1, mode=selector.NumberSelectorMode.BOX
            )
        )

    numbers = selector.TextSelector(
        selector.TextSelectorConfig(multiple=True, type=selector.TextSelectorType.TEL)
    )
    return vol.Schema(
        {
            vol.Optional(
                CONF_NEVER_TEXT, default=list(defaults.get(CONF_NEVER_TEXT, []))
            ): numbers,
            vol.Optional(
                CONF_BLOCKLIST, default=list(defaults.get(CONF_BLOCKLIST, []))
            ): numbers,
            vol.Required(
                CONF_ALLOWLIST_ONLY, default=defaults.get(CONF_ALLOWLIST_ONLY, False)
            ): selector.BooleanSelector(),
            vol.Optional(
                CONF_ALLOWLIST, default=list(defaults.get(CONF_ALLOWLIST, []))
            ): numbers,
            vol.Optional(
                CONF_ALLOWED_COUNTRIES,
                default=list(defaults.get(CONF_ALLOWED_COUNTRIES, [])),
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=_COUNTRY_OPTIONS,
                    multiple=True,
                    mode=selector.SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Required(
                CONF_MIN_RING_SECONDS, default=defaults.get(CONF_MIN_RING_SECONDS, 0)
            ): selector.NumberSelector(
                selector.NumberSelectorConfig(
                    min=0,
                    max=60,
                    step=1,
                    unit_of_measurement="s",
                    mode=selector.NumberSelectorMode.BOX,
                )
            ),
            vol.Required(
                CONF_HOURLY_CAP,
                default=defaults.get(CONF_HOURLY_CAP, DEFAULT_HOURLY_CAP),
            ): _count(10000),
            vol.Required(
                CONF_DAILY_CAP, default=defaults.get(CONF_DAILY_CAP, DEFAULT_DAILY_CAP)
            ): _count(100000),
            vol.Optional(
                CONF_RETRY_MINUTES, default=str(defaults.get(CONF_RETRY_MINUTES, ""))
            ): _text(),
        }
    )


def _clean_list(field: str, values: list[str], region: str | None) -> list[str]:
    """Turn the owner's entries into E.164 numbers and '+' prefixes."""
    cleaned: list[str] = []
    for value in values:
        raw = str(value).strip()
        if not raw:
            continue
        compact = re.sub(r"[\s().-]", "", raw)
        if _PREFIX.match(compact):
            entry = compact
        elif isinstance(number := normalize_number(raw, region), PhoneNumber):
            entry = number.e164
        else:
            raise _RuleError(field, "invalid_list_entry", raw)
        if entry not in cleaned:
            cleaned.append(entry)
    return cleaned


def _clean_rules(user_input: dict[str, Any], region: str | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {
        key: _clean_list(key, user_input.get(key, []), region) for key in _LIST_KEYS
    }
    if user_input[CONF_ALLOWLIST_ONLY] and not cleaned[CONF_ALLOWLIST]:
        raise _RuleError(CONF_ALLOWLIST, "allowlist_empty")
    text = str(user_input.get(CONF_RETRY_MINUTES) or "")
    try:
        retries = [
            float(part) for part in text.replace(";", ",").split(",") if part.strip()
        ]
    except ValueError as err:
        raise _RuleError(CONF_RETRY_MINUTES, "invalid_retries") from err
    if len(retries) > MAX_RETRIES or any(not 0 < value <= 1440 for value in retries):
        raise _RuleError(CONF_RETRY_MINUTES, "invalid_retries")
    return {
        **cleaned,
        CONF_ALLOWLIST_ONLY: bool(user_input[CONF_ALLOWLIST_ONLY]),
        CONF_ALLOWED_COUNTRIES: sorted(set(user_input.get(CONF_ALLOWED_COUNTRIES, []))),
        CONF_MIN_RING_SECONDS: int(user_input[CONF_MIN_RING_SECONDS]),
        CONF_HOURLY_CAP: int(user_input[CONF_HOURLY_CAP]),
        CONF_DAILY_CAP: int(user_input[CONF_DAILY_CAP]),
        CONF_RETRY_MINUTES: retries,
    }


def _replies_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(
                CONF_REPLY_SOURCE,
                default=defaults.get(CONF_REPLY_SOURCE, ReplySource.NONE),
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=[source.value for source in ReplySource],
                    translation_key=CONF_REPLY_SOURCE,
                    mode=selector.SelectSelectorMode.LIST,
                )
            ),
            vol.Optional(
                CONF_REPLY_EVENT_TYPE,
                description={"suggested_value": defaults.get(CONF_REPLY_EVENT_TYPE)},
            ): _text(),
            vol.Optional(
                CONF_REPLY_NUMBER_KEY,
                description={"suggested_value": defaults.get(CONF_REPLY_NUMBER_KEY)},
            ): _text(),
            vol.Optional(
                CONF_REPLY_TEXT_KEY,
                description={"suggested_value": defaults.get(CONF_REPLY_TEXT_KEY)},
            ): _text(),
            vol.Required(
                CONF_STOP_CONFIRMATION,
                default=defaults.get(CONF_STOP_CONFIRMATION, False),
            ): selector.BooleanSelector(),
            vol.Required(
                CONF_STOP_MESSAGE,
                default=defaults.get(CONF_STOP_MESSAGE, DEFAULT_STOP_MESSAGE),
            ): selector.TextSelector(selector.TextSelectorConfig(multiline=True)),
            vol.Required(
                CONF_HELP_MESSAGE,
                default=defaults.get(CONF_HELP_MESSAGE, DEFAULT_HELP_MESSAGE),
            ): selector.TextSelector(selector.TextSelectorConfig(multiline=True)),
        }
    )


def _validate_replies(
    hass: HomeAssistant, user_input: dict[str, Any], entry: ConfigEntry
) -> tuple[dict[str, str], dict[str, str]]:
    if user_input[CONF_REPLY_SOURCE] == ReplySource.EVENT:
        for key in (CONF_REPLY_EVENT_TYPE, CONF_REPLY_NUMBER_KEY, CONF_REPLY_TEXT_KEY):
            if not str(user_input.get(key) or "").strip():
                return {key: "event_field_required"}, {}
    business_name = str(entry.options.get(CONF_BUSINESS_NAME, ""))
    for key in (CONF_STOP_MESSAGE, CONF_HELP_MESSAGE):
        try:
            async_check_message(hass, user_input[key], business_name=business_name)
        except TemplateError as err:
            return {key: "invalid_template"}, {"error": str(err)}
    return {}, {}


def _clean_replies(user_input: dict[str, Any]) -> dict[str, Any]:
    cleaned = {
        CONF_REPLY_SOURCE: user_input[CONF_REPLY_SOURCE],
        CONF_STOP_CONFIRMATION: bool(user_input[CONF_STOP_CONFIRMATION]),
        CONF_STOP_MESSAGE: user_input[CONF_STOP_MESSAGE],
        CONF_HELP_MESSAGE: user_input[CONF_HELP_MESSAGE],
    }
    if user_input[CONF_REPLY_SOURCE] == ReplySource.EVENT:
        for key in (CONF_REPLY_EVENT_TYPE, CONF_REPLY_NUMBER_KEY, CONF_REPLY_TEXT_KEY):
            cleaned[key] = str(user_input[key]).strip()
    return cleaned


class TextBackConfigFlow(WebhookFlowMixin, SipFlowMixin, ConfigFlow, domain=DOMAIN):
    """Set up a business line."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Initialize the flow."""
        self._data: dict[str, Any] = {}
        self._options: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TextBackOptionsFlow:  # noqa: ARG004
        """Return the options flow."""
        return TextBackOptionsFlow()

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
                vol.Required(CONF_LINE_NAME): _text(),
                vol.Required(CONF_BUSINESS_NAME): _text(),
            }
        ).extend(_source_schema(user_input or {}).schema)
        return self.async_show_form(
            step_id="entity",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
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
        )

    async def async_step_texting(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose how texts are sent and what they say."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"error": ""}
        if user_input is not None:
            errors, found = _validate_texting(
                self.hass, user_input, self._options[CONF_BUSINESS_NAME]
            )
            placeholders.update(found)
            if not errors:
                self._options.update(_texting_options(user_input))
                if user_input[CONF_SENDER] == SenderKind.ACTION:
                    return await self.async_step_action()
                return self._async_create()
        return self.async_show_form(
            step_id="texting",
            data_schema=_texting_schema(
                self.hass,
                user_input or {},
                fritzbox=self._data.get(CONF_PRESET) == Preset.FRITZBOX,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_action(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the actions that send a text."""
        return await _async_action_step(
            self, user_input, {}, self._options, self._async_create
        )

    @callback
    def _async_create(self) -> ConfigFlowResult:
        return self.async_create_entry(
            title=self._options[CONF_LINE_NAME], data=self._data, options=self._options
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how the line hears its calls."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_SOURCE) == SourceKind.WEBHOOK:
            return await self.async_step_reconfigure_webhook()
        if entry.data.get(CONF_SOURCE) == SourceKind.SIP:
            return await self.async_step_reconfigure_sip(user_input)
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


class TextBackOptionsFlow(TimingOptionsFlow):
    """Edit a line: texting, hours, timing, messages, variants, rules, replies."""

    async def async_step_init(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Choose what to edit."""
        return self.async_show_menu(
            step_id="init",
            menu_options=[
                "texting",
                "messages",
                "hours",
                "timing",
                "variants",
                "follow_up",
                "rules",
                "replies",
            ],
        )

    async def async_step_follow_up(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit how the owner is reminded of follow-ups and told of replies."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        services = sorted(self.hass.services.async_services_for_domain(NOTIFY_DOMAIN))
        if user_input is not None:
            service = user_input.get(CONF_FOLLOW_UP_NOTIFY)
            if service and service not in services:
                errors[CONF_FOLLOW_UP_NOTIFY] = "notify_service_missing"
            else:
                self._options = {
                    **entry.options,
                    CONF_FOLLOW_UP_NOTIFY: service or "",
                    CONF_REMIND_MINUTES: int(user_input[CONF_REMIND_MINUTES]),
                    CONF_FORWARD_REPLIES: bool(user_input[CONF_FORWARD_REPLIES]),
                }
                return self._async_save()
        defaults = user_input or entry.options
        schema = vol.Schema(
            {
                vol.Optional(
                    CONF_FOLLOW_UP_NOTIFY,
                    description={
                        "suggested_value": defaults.get(CONF_FOLLOW_UP_NOTIFY) or None
                    },
                ): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=services, mode=selector.SelectSelectorMode.DROPDOWN
                    )
                ),
                vol.Required(
                    CONF_REMIND_MINUTES,
                    default=defaults.get(CONF_REMIND_MINUTES, DEFAULT_REMIND_MINUTES),
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=0,
                        max=1440,
                        step=1,
                        unit_of_measurement="min",
                        mode=selector.NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(
                    CONF_FORWARD_REPLIES,
                    default=defaults.get(CONF_FORWARD_REPLIES, True),
                ): selector.BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="follow_up", data_schema=schema, errors=errors
        )

    async def async_step_texting(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the names, the sender and the message."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"error": ""}
        if user_input is not None:
            errors, found = _validate_texting(
                self.hass,
                user_input,
                user_input[CONF_BUSINESS_NAME].strip(),
                entry.options,
            )
            placeholders.update(found)
            if not errors:
                # Keep the rules and replies; replace the texting settings.
                kept = {
                    k: v for k, v in entry.options.items() if k not in _TEXTING_KEYS
                }
                self._options = {
                    **kept,
                    CONF_LINE_NAME: user_input[CONF_LINE_NAME].strip(),
                    CONF_BUSINESS_NAME: user_input[CONF_BUSINESS_NAME].strip(),
                    **_texting_options(user_input),
                }
                if user_input[CONF_SENDER] == SenderKind.ACTION:
                    return await self.async_step_action()
                return self._async_save()
        defaults = user_input or entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_LINE_NAME, default=defaults.get(CONF_LINE_NAME, entry.title)
                ): _text(),
                vol.Required(
                    CONF_BUSINESS_NAME, default=defaults.get(CONF_BUSINESS_NAME, "")
                ): _text(),
            }
        ).extend(
            _texting_schema(
                self.hass,
                defaults,
                fritzbox=entry.data.get(CONF_PRESET) == Preset.FRITZBOX,
            ).schema
        )
        return self.async_show_form(
            step_id="texting",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_action(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the actions that send a text."""
        return await _async_action_step(
            self, user_input, self.config_entry.options, self._options, self._async_save
        )

    async def async_step_rules(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit who is texted, how often, and the retries."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"entry": ""}
        if user_input is not None:
            region = entry.options.get(CONF_COUNTRY) or self.hass.config.country
            try:
                cleaned = _clean_rules(user_input, region)
            except _RuleError as err:
                errors[err.field] = err.key
                placeholders["entry"] = err.entry
            else:
                self._options = {**entry.options, **cleaned}
                return self._async_save()
        return self.async_show_form(
            step_id="rules",
            data_schema=_rules_schema(user_input or _rules_defaults(entry.options)),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_replies(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit where replies come from and the answers to STOP and HELP."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"error": ""}
        if user_input is not None:
            errors, found = _validate_replies(self.hass, user_input, entry)
            placeholders.update(found)
            if not errors:
                self._options = {**entry.options, **_clean_replies(user_input)}
                return self._async_save()
        return self.async_show_form(
            step_id="replies",
            data_schema=_replies_schema(user_input or entry.options),
            errors=errors,
            description_placeholders=placeholders,
        )
