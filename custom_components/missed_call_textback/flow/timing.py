"""Options steps for when and what a line texts: hours, timing, messages, variants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.core import callback
from homeassistant.exceptions import TemplateError
from homeassistant.helpers import selector

from .. import hours
from ..compat import vol
from ..const import (
    CONF_AFTER_HOURS_MESSAGE,
    CONF_BOOKING_LINK,
    CONF_BUSINESS_NAME,
    CONF_BUSY_ONLY,
    CONF_CLOSED_DATES,
    CONF_DELAY_SECONDS,
    CONF_HOLIDAY_COUNTRY,
    CONF_HOLIDAY_SUBDIVISION,
    CONF_HOURS_SOURCE,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MESSAGE_LANGUAGE,
    CONF_MESSAGE_PRESET,
    CONF_QUIET_ACTION,
    CONF_QUIET_CLOCK,
    CONF_QUIET_END,
    CONF_QUIET_HOURS,
    CONF_QUIET_PRESET,
    CONF_QUIET_START,
    CONF_RESPONSE_MINUTES,
    CONF_RESPONSE_WINDOW,
    CONF_SCHEDULE_ENTITY,
    CONF_SERVICE_AREA,
    CONF_TRADE,
    CONF_VARIANT_MODE,
    CONF_WEEKDAYS,
    DEFAULT_OPEN_HOURS,
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DEFAULT_RESPONSE_MINUTES,
    EXTRA_VARIANTS,
    MAX_DELAY_SECONDS,
    QUIET_PRESETS,
    HoursSource,
    MessagePreset,
    QuietAction,
    QuietClock,
    QuietPreset,
    VariantMode,
    variant_key,
)
from ..message import async_check_message, missing_details
from ..presets import AUTO, LANGUAGES, TEXTS, LanguageTexts, texts_for
from ..settings import Details
from .errors import FlowError
from .selectors import choice, text

# Open on weekdays until the owner says otherwise.
_DEFAULT_DAYS = dict.fromkeys(CONF_WEEKDAYS[:5], DEFAULT_OPEN_HOURS)
# A week's response window is the longest promise worth tracking.
MAX_RESPONSE_MINUTES = 7 * 24 * 60
_DETAIL_FIELDS = (CONF_BOOKING_LINK, CONF_TRADE, CONF_SERVICE_AREA)
_DEFAULT_WINDOWS = frozenset(texts.response_window for texts in TEXTS.values())


def _minutes() -> selector.NumberSelector:
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=1,
            max=MAX_RESPONSE_MINUTES,
            step=1,
            unit_of_measurement="min",
            mode=selector.NumberSelectorMode.BOX,
        )
    )


def _suggested(defaults: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {"suggested_value": defaults.get(key)}


def hours_schema(defaults: Mapping[str, Any], country: str | None) -> vol.Schema:
    """Return the business-hours form."""
    # Suggest office hours and the home's country only to a line without hours:
    # a form sent back leaves out the fields the owner emptied.
    fresh = CONF_HOURS_SOURCE not in defaults
    schema: dict[Any, Any] = {
        vol.Required(
            CONF_HOURS_SOURCE,
            default=defaults.get(CONF_HOURS_SOURCE, HoursSource.NONE),
        ): choice(CONF_HOURS_SOURCE, [source.value for source in HoursSource]),
    }
    for day in CONF_WEEKDAYS:
        schema[
            vol.Optional(
                day,
                description={
                    "suggested_value": defaults.get(
                        day, _DEFAULT_DAYS.get(day, "") if fresh else ""
                    )
                },
            )
        ] = text()
    schema.update(
        {
            vol.Optional(
                CONF_HOLIDAY_COUNTRY,
                description={
                    "suggested_value": defaults.get(
                        CONF_HOLIDAY_COUNTRY, country if fresh else None
                    )
                },
            ): selector.CountrySelector(),
            vol.Optional(
                CONF_HOLIDAY_SUBDIVISION,
                description=_suggested(defaults, CONF_HOLIDAY_SUBDIVISION),
            ): text(),
            vol.Optional(
                CONF_CLOSED_DATES, description=_suggested(defaults, CONF_CLOSED_DATES)
            ): text(multiline=True),
            vol.Optional(
                CONF_SCHEDULE_ENTITY,
                description=_suggested(defaults, CONF_SCHEDULE_ENTITY),
            ): selector.EntitySelector(
                selector.EntitySelectorConfig(domain="schedule")
            ),
        }
    )
    return vol.Schema(schema)


def clean_hours(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise the weekly schedule; the region is checked apart."""
    source = HoursSource(user_input[CONF_HOURS_SOURCE])
    cleaned: dict[str, Any] = {CONF_HOURS_SOURCE: source.value}
    for day in CONF_WEEKDAYS:
        text = str(user_input.get(day) or "")
        try:
            cleaned[day] = hours.format_intervals(hours.parse_intervals(text))
        except hours.HoursError as err:
            raise FlowError(day, err.key, err.detail or text) from err
    dates = str(user_input.get(CONF_CLOSED_DATES) or "")
    try:
        cleaned[CONF_CLOSED_DATES] = hours.format_dates(hours.parse_dates(dates))
    except hours.HoursError as err:
        raise FlowError(CONF_CLOSED_DATES, err.key, err.detail or dates) from err
    cleaned[CONF_HOLIDAY_COUNTRY] = str(user_input.get(CONF_HOLIDAY_COUNTRY) or "")
    cleaned[CONF_HOLIDAY_SUBDIVISION] = str(
        user_input.get(CONF_HOLIDAY_SUBDIVISION) or ""
    ).strip()
    entity = user_input.get(CONF_SCHEDULE_ENTITY)
    if source is HoursSource.SCHEDULE and not entity:
        raise FlowError(CONF_SCHEDULE_ENTITY, "schedule_required")
    if entity:
        cleaned[CONF_SCHEDULE_ENTITY] = entity
    return cleaned


def check_open_days(cleaned: dict[str, Any]) -> None:
    """Refuse a weekly schedule that is never open (every call after hours)."""
    if cleaned[CONF_HOURS_SOURCE] == HoursSource.WEEKLY and not any(
        cleaned[day] for day in CONF_WEEKDAYS
    ):
        raise FlowError("base", "no_open_hours")


def check_region(cleaned: dict[str, Any]) -> None:
    """Check the holiday region (imports country modules: run in an executor)."""
    if not (country := cleaned[CONF_HOLIDAY_COUNTRY]):
        return
    try:
        code, subdivision = hours.validate_region(
            country, cleaned[CONF_HOLIDAY_SUBDIVISION] or None
        )
    except hours.HoursError as err:
        field = (
            CONF_HOLIDAY_SUBDIVISION
            if err.key == "invalid_subdivision"
            else CONF_HOLIDAY_COUNTRY
        )
        raise FlowError(field, err.key, err.detail) from err
    cleaned[CONF_HOLIDAY_COUNTRY] = code
    cleaned[CONF_HOLIDAY_SUBDIVISION] = subdivision or ""


def timing_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Return the timing form: busy-only, delay and quiet hours."""
    return vol.Schema(
        {
            vol.Required(
                CONF_BUSY_ONLY, default=defaults.get(CONF_BUSY_ONLY, False)
            ): selector.BooleanSelector(),
            vol.Required(
                CONF_DELAY_SECONDS, default=defaults.get(CONF_DELAY_SECONDS, 0)
            ): selector.NumberSelector(
                selector.NumberSelectorConfig(
                    min=0,
                    max=MAX_DELAY_SECONDS,
                    step=1,
                    unit_of_measurement="s",
                    mode=selector.NumberSelectorMode.BOX,
                )
            ),
            vol.Required(
                CONF_QUIET_HOURS, default=defaults.get(CONF_QUIET_HOURS, False)
            ): selector.BooleanSelector(),
            vol.Required(
                CONF_QUIET_PRESET,
                default=defaults.get(CONF_QUIET_PRESET, QuietPreset.CUSTOM),
            ): choice(CONF_QUIET_PRESET, [preset.value for preset in QuietPreset]),
            vol.Required(
                CONF_QUIET_START,
                default=defaults.get(CONF_QUIET_START, DEFAULT_QUIET_START),
            ): selector.TimeSelector(),
            vol.Required(
                CONF_QUIET_END, default=defaults.get(CONF_QUIET_END, DEFAULT_QUIET_END)
            ): selector.TimeSelector(),
            vol.Required(
                CONF_QUIET_CLOCK,
                default=defaults.get(CONF_QUIET_CLOCK, QuietClock.LINE),
            ): choice(CONF_QUIET_CLOCK, [clock.value for clock in QuietClock]),
            vol.Required(
                CONF_QUIET_ACTION,
                default=defaults.get(CONF_QUIET_ACTION, QuietAction.HOLD),
            ): choice(CONF_QUIET_ACTION, [action.value for action in QuietAction]),
        }
    )


def clean_timing(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise the timing options; a chosen rule sets the times."""
    preset = QuietPreset(user_input[CONF_QUIET_PRESET])
    if preset is QuietPreset.CUSTOM:
        start = _timetext(user_input[CONF_QUIET_START])
        end = _timetext(user_input[CONF_QUIET_END])
    else:
        start, end = QUIET_PRESETS[preset]
    if user_input[CONF_QUIET_HOURS] and start == end:
        raise FlowError(CONF_QUIET_END, "quiet_hours_empty")
    return {
        CONF_BUSY_ONLY: bool(user_input[CONF_BUSY_ONLY]),
        CONF_DELAY_SECONDS: int(user_input[CONF_DELAY_SECONDS]),
        CONF_QUIET_HOURS: bool(user_input[CONF_QUIET_HOURS]),
        CONF_QUIET_PRESET: preset.value,
        CONF_QUIET_START: start,
        CONF_QUIET_END: end,
        CONF_QUIET_CLOCK: QuietClock(user_input[CONF_QUIET_CLOCK]).value,
        CONF_QUIET_ACTION: user_input[CONF_QUIET_ACTION],
    }


def _timetext(value: str) -> str:
    # The time selector sends "21:00:00"; older frontends send "21:00".
    return value if value.count(":") == 2 else f"{value}:00"


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
                CONF_BOOKING_LINK, description=_suggested(defaults, CONF_BOOKING_LINK)
            ): selector.TextSelector(
                selector.TextSelectorConfig(type=selector.TextSelectorType.URL)
            ),
            vol.Optional(
                CONF_TRADE, description=_suggested(defaults, CONF_TRADE)
            ): text(),
            vol.Optional(
                CONF_SERVICE_AREA, description=_suggested(defaults, CONF_SERVICE_AREA)
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
            schema[vol.Optional(key, description=_suggested(defaults, key))] = widget
    return vol.Schema(schema)


class TimingOptionsFlow(OptionsFlow):
    """Options steps: business hours, timing, messages and variants."""

    def __init__(self) -> None:
        """Initialize the options being edited."""
        self._options: dict[str, Any] = {}

    async def async_step_hours(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the business hours."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders = {"detail": ""}
        if user_input is not None:
            try:
                cleaned = clean_hours(user_input)
                await self.hass.async_add_executor_job(check_region, cleaned)
                check_open_days(cleaned)
            except FlowError as err:
                errors[err.field] = err.key
                placeholders["detail"] = err.detail
            else:
                self._options = {**entry.options, **cleaned}
                return self._async_save()
        return self.async_show_form(
            step_id="hours",
            data_schema=hours_schema(
                user_input or entry.options, self.hass.config.country
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_timing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit busy-only, the delay and quiet hours."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                cleaned = clean_timing(user_input)
            except FlowError as err:
                errors[err.field] = err.key
            else:
                self._options = {**entry.options, **cleaned}
                return self._async_save()
        return self.async_show_form(
            step_id="timing",
            data_schema=timing_schema(user_input or entry.options),
            errors=errors,
        )

    async def async_step_messages(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the after-hours message, the details and start from a preset."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            cleaned: dict[str, Any] = {
                key: str(user_input.get(key) or "").strip()
                for key in (*_DETAIL_FIELDS, CONF_RESPONSE_WINDOW)
            }
            cleaned[CONF_RESPONSE_MINUTES] = int(user_input[CONF_RESPONSE_MINUTES])
            cleaned[CONF_AFTER_HOURS_MESSAGE] = str(
                user_input.get(CONF_AFTER_HOURS_MESSAGE) or ""
            )
            cleaned[CONF_MESSAGE_LANGUAGE] = user_input[CONF_MESSAGE_LANGUAGE]
            chosen = texts_for(
                cleaned[CONF_MESSAGE_LANGUAGE], self.hass.config.language
            )
            message = str(entry.options.get(CONF_MESSAGE) or chosen.general.message)
            preset = MessagePreset(user_input[CONF_MESSAGE_PRESET])
            if preset is not MessagePreset.KEEP:
                texts = chosen.presets[preset]
                message = cleaned[CONF_MESSAGE] = texts.message
                cleaned[CONF_AFTER_HOURS_MESSAGE] = texts.after_hours
                # The form suggested a window in the language shown before.
                if cleaned[CONF_RESPONSE_WINDOW] in _DEFAULT_WINDOWS:
                    cleaned[CONF_RESPONSE_WINDOW] = chosen.response_window
            try:
                self._check_texts(
                    message,
                    cleaned[CONF_AFTER_HOURS_MESSAGE],
                    cleaned,
                    entry.options,
                    chosen,
                )
            except FlowError as err:
                errors[err.field] = err.key
                # Both errors of this step name what is wrong as {error}.
                placeholders["error"] = err.detail
            else:
                self._options = {**entry.options, **cleaned}
                return self._async_save()
        return self.async_show_form(
            step_id="messages",
            data_schema=messages_schema(
                user_input or entry.options,
                texts_for(
                    (user_input or entry.options).get(CONF_MESSAGE_LANGUAGE),
                    self.hass.config.language,
                ),
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _check_texts(
        self,
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
            try:
                async_check_message(
                    self.hass,
                    after_hours,
                    business_name=str(options.get(CONF_BUSINESS_NAME, "")),
                    details=details,
                )
            except TemplateError as err:
                raise FlowError(
                    CONF_AFTER_HOURS_MESSAGE, "invalid_template", str(err)
                ) from err
        # Variants use the same details: emptying one they need is refused too.
        variants = " ".join(
            str(options.get(variant_key(variant, "message")) or "")
            for variant in EXTRA_VARIANTS
        )
        if missing := missing_details(f"{message} {after_hours} {variants}", details):
            raise FlowError(missing[0], "missing_detail", missing[0])

    async def async_step_variants(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the message variants compared in an A/B test."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            try:
                cleaned = self._clean_variants(user_input, entry.options)
            except FlowError as err:
                errors[err.field] = err.key
                placeholders["error"] = err.detail
            else:
                # Variants left empty are dropped, not kept from before.
                kept = {
                    key: value
                    for key, value in entry.options.items()
                    if not key.startswith("variant_")
                }
                self._options = {**kept, **cleaned}
                return self._async_save()
        return self.async_show_form(
            step_id="variants",
            data_schema=variants_schema(user_input or entry.options),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _clean_variants(
        self, user_input: Mapping[str, Any], options: Mapping[str, Any]
    ) -> dict[str, Any]:
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
                try:
                    async_check_message(
                        self.hass,
                        message,
                        business_name=str(options.get(CONF_BUSINESS_NAME, "")),
                        details=details,
                    )
                except TemplateError as err:
                    raise FlowError(message_key, "invalid_template", str(err)) from err
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

    @callback
    def _async_save(self) -> ConfigFlowResult:
        entry = self.config_entry
        # Only a changed line name renames the entry (a rename in the UI stays).
        if (name := self._options.get(CONF_LINE_NAME)) and name != entry.options.get(
            CONF_LINE_NAME
        ):
            self.hass.config_entries.async_update_entry(entry, title=name)
        return self.async_create_entry(data=self._options)
