"""Options steps for when and what a line texts: hours, timing, messages, variants.

The forms of the messages and variants steps are in flow.messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.core import callback
from homeassistant.helpers import selector

from .. import hours
from ..compat import vol
from ..const import (
    CONF_BOOKING_LINK,
    CONF_BUSY_ONLY,
    CONF_CLOSED_DATES,
    CONF_DELAY_SECONDS,
    CONF_HOLIDAY_COUNTRY,
    CONF_HOLIDAY_SUBDIVISION,
    CONF_HOURS_SOURCE,
    CONF_LINE_NAME,
    CONF_QUIET_ACTION,
    CONF_QUIET_CLOCK,
    CONF_QUIET_END,
    CONF_QUIET_HOURS,
    CONF_QUIET_PRESET,
    CONF_QUIET_START,
    CONF_SCHEDULE_ENTITY,
    CONF_SERVICE_AREA,
    CONF_TRADE,
    CONF_WEEKDAYS,
    DEFAULT_OPEN_HOURS,
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    MAX_DELAY_SECONDS,
    QUIET_PRESETS,
    HoursSource,
    QuietAction,
    QuietClock,
    QuietPreset,
)
from ..presets import TEXTS
from .errors import FlowError
from .messages import (
    clean_messages,
    clean_variants,
    messages_form,
    variants_schema,
    without_variants,
)
from .selectors import choice, number, suggested, text

# Open on weekdays until the owner says otherwise.
_DEFAULT_DAYS = dict.fromkeys(CONF_WEEKDAYS[:5], DEFAULT_OPEN_HOURS)
# A week's response window is the longest promise worth tracking.
MAX_RESPONSE_MINUTES = 7 * 24 * 60
_DETAIL_FIELDS = (CONF_BOOKING_LINK, CONF_TRADE, CONF_SERVICE_AREA)
_DEFAULT_WINDOWS = frozenset(texts.response_window for texts in TEXTS.values())


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
                description=suggested(defaults, CONF_HOLIDAY_SUBDIVISION),
            ): text(),
            vol.Optional(
                CONF_CLOSED_DATES, description=suggested(defaults, CONF_CLOSED_DATES)
            ): text(multiline=True),
            vol.Optional(
                CONF_SCHEDULE_ENTITY,
                description=suggested(defaults, CONF_SCHEDULE_ENTITY),
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
            ): number(0, MAX_DELAY_SECONDS, "s"),
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


class TimingOptionsFlow(OptionsFlow):
    """Options steps: business hours, timing, messages and variants."""

    def __init__(self) -> None:
        """Initialize the options being edited."""
        self._options: dict[str, Any] = {}

    async def _async_edit(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        *,
        clean: Callable[[dict[str, Any]], dict[str, Any]],
        form: Callable[[Mapping[str, Any]], vol.Schema],
        check: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
        placeholder: str | None = None,
        defaults: Mapping[str, Any] | None = None,
        kept: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        """Show a form; save what clean (and check) make of it, or say what is wrong.

        placeholder names the form's placeholder for the error's detail;
        defaults fill an untouched form (the options); kept is what the
        cleaned values are added to (the options).
        """
        options = self.config_entry.options
        errors: dict[str, str] = {}
        placeholders = {placeholder: ""} if placeholder else {}
        if user_input is not None:
            try:
                cleaned = clean(user_input)
                if check is not None:
                    await check(cleaned)
            except FlowError as err:
                errors[err.field] = err.key
                if placeholder:
                    placeholders[placeholder] = err.detail
            else:
                self._options = {**(options if kept is None else kept), **cleaned}
                return self._async_save()
        return self.async_show_form(
            step_id=step_id,
            data_schema=form(user_input or (options if defaults is None else defaults)),
            errors=errors,
            description_placeholders=placeholders or None,
        )

    async def async_step_hours(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the business hours."""
        return await self._async_edit(
            "hours",
            user_input,
            clean=clean_hours,
            check=self._async_check_hours,
            form=lambda defaults: hours_schema(defaults, self.hass.config.country),
            placeholder="detail",
        )

    async def _async_check_hours(self, cleaned: dict[str, Any]) -> None:
        await self.hass.async_add_executor_job(check_region, cleaned)
        check_open_days(cleaned)

    async def async_step_timing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit busy-only, the delay and quiet hours."""
        return await self._async_edit(
            "timing", user_input, clean=clean_timing, form=timing_schema
        )

    async def async_step_messages(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the after-hours message, the details and start from a preset."""
        options = self.config_entry.options
        return await self._async_edit(
            "messages",
            user_input,
            clean=lambda data: clean_messages(self.hass, data, options),
            form=lambda defaults: messages_form(self.hass, defaults),
            # Both errors of this step name what is wrong as {error}.
            placeholder="error",
        )

    async def async_step_variants(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the message variants compared in an A/B test."""
        options = self.config_entry.options
        return await self._async_edit(
            "variants",
            user_input,
            clean=lambda data: clean_variants(self.hass, data, options),
            form=variants_schema,
            placeholder="error",
            # Variants left empty are dropped, not kept from before.
            kept=without_variants(options),
        )

    @callback
    def _async_save(self) -> ConfigFlowResult:
        entry = self.config_entry
        # Only a changed line name renames the entry (a rename in the UI stays).
        if (name := self._options.get(CONF_LINE_NAME)) and name != entry.options.get(
            CONF_LINE_NAME
        ):
            self.hass.config_entries.async_update_entry(entry, title=name)
        return self.async_create_entry(data=self._options)
