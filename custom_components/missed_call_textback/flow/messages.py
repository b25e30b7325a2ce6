"""Options step parts for what a line texts: the messages and their variants.

The forms and the checks of the messages step (a preset, the language, the
after-hours message, the details) and of the variants step (B, C and D in an
A/B test); flow.timing runs them as steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import TemplateError
from homeassistant.helpers import selector

from ..compat import vol
from ..const import (
    CONF_AFTER_HOURS_MESSAGE,
    CONF_BOOKING_LINK,
    CONF_BUSINESS_NAME,
    CONF_MESSAGE,
    CONF_MESSAGE_LANGUAGE,
    CONF_MESSAGE_PRESET,
    CONF_RESPONSE_MINUTES,
    CONF_RESPONSE_WINDOW,
    CONF_SERVICE_AREA,
    CONF_TRADE,
    CONF_VARIANT_MODE,
    DEFAULT_RESPONSE_MINUTES,
    EXTRA_VARIANTS,
    MessagePreset,
    VariantMode,
    variant_key,
)
from ..message import async_check_message, missing_details
from ..presets import AUTO, LANGUAGES, TEXTS, LanguageTexts, texts_for
from ..settings import Details
from .errors import FlowError
from .selectors import choice, number, suggested, text

# A week's response window is the longest promise worth tracking.
MAX_RESPONSE_MINUTES = 7 * 24 * 60
_DETAIL_FIELDS = (CONF_BOOKING_LINK, CONF_TRADE, CONF_SERVICE_AREA)
_DEFAULT_WINDOWS = frozenset(texts.response_window for texts in TEXTS.values())
# Options the variants step owns: one left empty is dropped, not kept.
_VARIANT_PREFIX = "variant_"


def _minutes() -> selector.NumberSelector:
    return number(1, MAX_RESPONSE_MINUTES, "min")


def messages_schema(defaults: Mapping[str, Any], texts: LanguageTexts) -> vol.Schema:
    """Return the messages form: preset, language, after-hours message, details.

    texts: the line's language, for what the form suggests.
    """
    # A form sent back (it has the preset) left out an emptied message.
    after_hours = "" if CONF_MESSAGE_PRESET in defaults else texts.general.after_hours
    return vol.Schema(
        {
            vol.Required(CONF_MESSAGE_PRESET, default=MessagePreset.KEEP): choice(
                CONF_MESSAGE_PRESET, [preset.value for preset in MessagePreset]
            ),
            vol.Required(
                CONF_MESSAGE_LANGUAGE,
                default=defaults.get(CONF_MESSAGE_LANGUAGE, AUTO),
            ): choice(CONF_MESSAGE_LANGUAGE, [AUTO, *LANGUAGES]),
            vol.Optional(
                CONF_AFTER_HOURS_MESSAGE,
                description={
                    "suggested_value": defaults.get(
                        CONF_AFTER_HOURS_MESSAGE, after_hours
                    )
                },
            ): text(multiline=True),
            vol.Optional(
                CONF_BOOKING_LINK, description=suggested(defaults, CONF_BOOKING_LINK)
            ): text(selector.TextSelectorType.URL),
            vol.Optional(
                CONF_TRADE, description=suggested(defaults, CONF_TRADE)
            ): text(),
            vol.Optional(
                CONF_SERVICE_AREA, description=suggested(defaults, CONF_SERVICE_AREA)
            ): text(),
            vol.Required(
                CONF_RESPONSE_WINDOW,
                default=defaults.get(CONF_RESPONSE_WINDOW, texts.response_window),
            ): text(),
            vol.Required(
                CONF_RESPONSE_MINUTES,
                default=defaults.get(CONF_RESPONSE_MINUTES, DEFAULT_RESPONSE_MINUTES),
            ): _minutes(),
        }
    )


def messages_form(hass: HomeAssistant, defaults: Mapping[str, Any]) -> vol.Schema:
    """Return the messages form in the language it shows."""
    return messages_schema(
        defaults,
        texts_for(defaults.get(CONF_MESSAGE_LANGUAGE), hass.config.language),
    )


def clean_messages(
    hass: HomeAssistant, user_input: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Check the messages form; a chosen preset replaces both messages."""
    cleaned: dict[str, Any] = {
        key: str(user_input.get(key) or "").strip()
        for key in (*_DETAIL_FIELDS, CONF_RESPONSE_WINDOW)
    }
    cleaned[CONF_RESPONSE_MINUTES] = int(user_input[CONF_RESPONSE_MINUTES])
    cleaned[CONF_AFTER_HOURS_MESSAGE] = str(
        user_input.get(CONF_AFTER_HOURS_MESSAGE) or ""
    )
    cleaned[CONF_MESSAGE_LANGUAGE] = user_input[CONF_MESSAGE_LANGUAGE]
    chosen = texts_for(cleaned[CONF_MESSAGE_LANGUAGE], hass.config.language)
    message = str(options.get(CONF_MESSAGE) or chosen.general.message)
    preset = MessagePreset(user_input[CONF_MESSAGE_PRESET])
    if preset is not MessagePreset.KEEP:
        texts = chosen.presets[preset]
        message = cleaned[CONF_MESSAGE] = texts.message
        cleaned[CONF_AFTER_HOURS_MESSAGE] = texts.after_hours
        # The form suggested a window in the language shown before.
        if cleaned[CONF_RESPONSE_WINDOW] in _DEFAULT_WINDOWS:
            cleaned[CONF_RESPONSE_WINDOW] = chosen.response_window
    _check_texts(
        hass, message, cleaned[CONF_AFTER_HOURS_MESSAGE], cleaned, options, chosen
    )
    return cleaned


def _check_template(
    hass: HomeAssistant,
    field: str,
    message: str,
    options: Mapping[str, Any],
    details: Details,
) -> None:
    """Refuse a message whose template does not render."""
    try:
        async_check_message(
            hass,
            message,
            business_name=str(options.get(CONF_BUSINESS_NAME, "")),
            details=details,
        )
    except TemplateError as err:
        raise FlowError(field, "invalid_template", str(err)) from err


def _check_texts(
    hass: HomeAssistant,
    message: str,
    after_hours: str,
    cleaned: Mapping[str, Any],
    options: Mapping[str, Any],
    texts: LanguageTexts,
) -> None:
    details = Details(
        booking_link=cleaned[CONF_BOOKING_LINK],
        trade=cleaned[CONF_TRADE],
        service_area=cleaned[CONF_SERVICE_AREA],
        response_window=cleaned[CONF_RESPONSE_WINDOW] or texts.response_window,
    )
    if after_hours.strip():
        _check_template(hass, CONF_AFTER_HOURS_MESSAGE, after_hours, options, details)
    # Variants use the same details: emptying one they need is refused too.
    variants = " ".join(
        str(options.get(variant_key(variant, "message")) or "")
        for variant in EXTRA_VARIANTS
    )
    if missing := missing_details(f"{message} {after_hours} {variants}", details):
        raise FlowError(missing[0], "missing_detail", missing[0])


def variants_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Return the variants form: the mode and variants B, C and D."""
    schema: dict[Any, Any] = {
        vol.Required(
            CONF_VARIANT_MODE, default=defaults.get(CONF_VARIANT_MODE, VariantMode.OFF)
        ): choice(CONF_VARIANT_MODE, [mode.value for mode in VariantMode]),
    }
    for variant in EXTRA_VARIANTS:
        for field, widget in (
            ("message", text(multiline=True)),
            ("response_window", text()),
            ("response_minutes", _minutes()),
        ):
            key = variant_key(variant, field)
            schema[vol.Optional(key, description=suggested(defaults, key))] = widget
    return vol.Schema(schema)


def without_variants(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options the variants step keeps (none of its own)."""
    return {
        key: value
        for key, value in options.items()
        if not key.startswith(_VARIANT_PREFIX)
    }


def clean_variants(
    hass: HomeAssistant, user_input: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Check the variants form; a variant left empty is not stored."""
    cleaned: dict[str, Any] = {CONF_VARIANT_MODE: user_input[CONF_VARIANT_MODE]}
    details = Details(
        booking_link=str(options.get(CONF_BOOKING_LINK, "")),
        trade=str(options.get(CONF_TRADE, "")),
        service_area=str(options.get(CONF_SERVICE_AREA, "")),
    )
    defined = 0
    for variant in EXTRA_VARIANTS:
        message_key = variant_key(variant, "message")
        window_key = variant_key(variant, "response_window")
        minutes_key = variant_key(variant, "response_minutes")
        message = str(user_input.get(message_key) or "").strip()
        window = str(user_input.get(window_key) or "").strip()
        minutes = user_input.get(minutes_key)
        if message:
            _check_template(hass, message_key, message, options, details)
            if missing := missing_details(message, details):
                raise FlowError(message_key, "missing_detail", missing[0])
            cleaned[message_key] = message
        if window:
            cleaned[window_key] = window
        if minutes:
            cleaned[minutes_key] = int(minutes)
        defined += bool(message or window or minutes)
    if cleaned[CONF_VARIANT_MODE] != VariantMode.OFF and not defined:
        raise FlowError("base", "no_variants")
    return cleaned
