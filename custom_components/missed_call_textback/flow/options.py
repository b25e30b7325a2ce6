"""Options flow: edit a line's texting, rules and replies (timing in flow.timing)."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import TemplateError
from homeassistant.helpers import selector
import phonenumbers

from ..compat import vol
from ..const import (
    CONF_ACTION,
    CONF_ALLOWED_COUNTRIES,
    CONF_ALLOWLIST,
    CONF_ALLOWLIST_ONLY,
    CONF_BLOCKLIST,
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_CREDENTIALS,
    CONF_DAILY_CAP,
    CONF_FOLLOW_UP_NOTIFY,
    CONF_FORWARD_REPLIES,
    CONF_HELP_MESSAGE,
    CONF_HOURLY_CAP,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MESSAGE_LANGUAGE,
    CONF_MIN_RING_SECONDS,
    CONF_NEVER_TEXT,
    CONF_NOTIFY_SERVICE,
    CONF_PRESET,
    CONF_RECEIPT_URL,
    CONF_RECEIPT_WEBHOOK_ID,
    CONF_REMIND_MINUTES,
    CONF_REPLY_EVENT_TYPE,
    CONF_REPLY_NUMBER_KEY,
    CONF_REPLY_SOURCE,
    CONF_REPLY_TEXT_KEY,
    CONF_RETRY_MINUTES,
    CONF_SENDER,
    CONF_STOP_CONFIRMATION,
    CONF_STOP_MESSAGE,
    CONF_TEXT_VOICEMAIL,
    DEFAULT_DAILY_CAP,
    DEFAULT_HOURLY_CAP,
    DEFAULT_REMIND_MINUTES,
    DEFAULT_RETRY_MINUTES,
    MAX_RETRIES,
    Preset,
    ReplySource,
    SenderKind,
)
from ..message import async_check_message
from ..phone import PhoneNumber, normalize_number
from ..presets import LanguageTexts, texts_for
from ..sender import NOTIFY_DOMAIN
from .errors import FlowError
from .selectors import choice, dropdown, number, text
from .senders import SenderOptionsSteps, is_native
from .texting import (
    async_action_step,
    texting_options,
    texting_schema,
    validate_texting,
)

_TEXTING_KEYS = frozenset(
    {
        CONF_SENDER,
        CONF_NOTIFY_SERVICE,
        CONF_ACTION,
        CONF_MESSAGE,
        CONF_COOLDOWN_HOURS,
        CONF_TEXT_VOICEMAIL,
        CONF_COUNTRY,
        # A native sender's step sets them again; any other sender drops them.
        CONF_CREDENTIALS,
        CONF_RECEIPT_WEBHOOK_ID,
        CONF_RECEIPT_URL,
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


def _rules_defaults(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **options,
        CONF_RETRY_MINUTES: ", ".join(
            f"{value:g}"
            for value in options.get(CONF_RETRY_MINUTES, DEFAULT_RETRY_MINUTES)
        ),
    }


def _rules_schema(defaults: Mapping[str, Any]) -> vol.Schema:
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
            ): number(0, 60, "s"),
            vol.Required(
                CONF_HOURLY_CAP,
                default=defaults.get(CONF_HOURLY_CAP, DEFAULT_HOURLY_CAP),
            ): number(0, 10000),
            vol.Required(
                CONF_DAILY_CAP, default=defaults.get(CONF_DAILY_CAP, DEFAULT_DAILY_CAP)
            ): number(0, 100000),
            vol.Optional(
                CONF_RETRY_MINUTES, default=str(defaults.get(CONF_RETRY_MINUTES, ""))
            ): text(),
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
            raise FlowError(field, "invalid_list_entry", raw)
        if entry not in cleaned:
            cleaned.append(entry)
    return cleaned


def _clean_rules(user_input: dict[str, Any], region: str | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {
        key: _clean_list(key, user_input.get(key, []), region) for key in _LIST_KEYS
    }
    if user_input[CONF_ALLOWLIST_ONLY] and not cleaned[CONF_ALLOWLIST]:
        raise FlowError(CONF_ALLOWLIST, "allowlist_empty")
    text = str(user_input.get(CONF_RETRY_MINUTES) or "")
    try:
        retries = [
            float(part) for part in text.replace(";", ",").split(",") if part.strip()
        ]
    except ValueError as err:
        raise FlowError(CONF_RETRY_MINUTES, "invalid_retries") from err
    if len(retries) > MAX_RETRIES or any(not 0 < value <= 1440 for value in retries):
        raise FlowError(CONF_RETRY_MINUTES, "invalid_retries")
    return {
        **cleaned,
        CONF_ALLOWLIST_ONLY: bool(user_input[CONF_ALLOWLIST_ONLY]),
        CONF_ALLOWED_COUNTRIES: sorted(set(user_input.get(CONF_ALLOWED_COUNTRIES, []))),
        CONF_MIN_RING_SECONDS: int(user_input[CONF_MIN_RING_SECONDS]),
        CONF_HOURLY_CAP: int(user_input[CONF_HOURLY_CAP]),
        CONF_DAILY_CAP: int(user_input[CONF_DAILY_CAP]),
        CONF_RETRY_MINUTES: retries,
    }


def _replies_schema(defaults: Mapping[str, Any], texts: LanguageTexts) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(
                CONF_REPLY_SOURCE,
                default=defaults.get(CONF_REPLY_SOURCE, ReplySource.NONE),
            ): choice(CONF_REPLY_SOURCE, [source.value for source in ReplySource]),
            vol.Optional(
                CONF_REPLY_EVENT_TYPE,
                description={"suggested_value": defaults.get(CONF_REPLY_EVENT_TYPE)},
            ): text(),
            vol.Optional(
                CONF_REPLY_NUMBER_KEY,
                description={"suggested_value": defaults.get(CONF_REPLY_NUMBER_KEY)},
            ): text(),
            vol.Optional(
                CONF_REPLY_TEXT_KEY,
                description={"suggested_value": defaults.get(CONF_REPLY_TEXT_KEY)},
            ): text(),
            vol.Required(
                CONF_STOP_CONFIRMATION,
                default=defaults.get(CONF_STOP_CONFIRMATION, False),
            ): selector.BooleanSelector(),
            vol.Required(
                CONF_STOP_MESSAGE,
                default=defaults.get(CONF_STOP_MESSAGE, texts.stop_message),
            ): selector.TextSelector(selector.TextSelectorConfig(multiline=True)),
            vol.Required(
                CONF_HELP_MESSAGE,
                default=defaults.get(CONF_HELP_MESSAGE, texts.help_message),
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


class TextBackOptionsFlow(SenderOptionsSteps):
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
                ): dropdown(services),
                vol.Required(
                    CONF_REMIND_MINUTES,
                    default=defaults.get(CONF_REMIND_MINUTES, DEFAULT_REMIND_MINUTES),
                ): number(0, 1440, "min"),
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
            errors, found = validate_texting(
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
                    **texting_options(user_input),
                }
                if user_input[CONF_SENDER] == SenderKind.ACTION:
                    return await self.async_step_action()
                if is_native(user_input[CONF_SENDER]):
                    return await self.async_step_sender()
                return self._async_save()
        defaults = user_input or entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_LINE_NAME, default=defaults.get(CONF_LINE_NAME, entry.title)
                ): text(),
                vol.Required(
                    CONF_BUSINESS_NAME, default=defaults.get(CONF_BUSINESS_NAME, "")
                ): text(),
            }
        ).extend(
            texting_schema(
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
        return await async_action_step(
            self, user_input, self.config_entry.options, self._options, self._async_save
        )

    async def async_step_rules(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit who is texted, how often, and the retries."""
        options = self.config_entry.options
        region = options.get(CONF_COUNTRY) or self.hass.config.country
        return await self._async_edit(
            "rules",
            user_input,
            clean=lambda data: _clean_rules(data, region),
            form=_rules_schema,
            placeholder="entry",
            defaults=_rules_defaults(options),
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
            data_schema=_replies_schema(
                user_input or entry.options,
                # The default answers speak the line's language.
                texts_for(
                    entry.options.get(CONF_MESSAGE_LANGUAGE), self.hass.config.language
                ),
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
