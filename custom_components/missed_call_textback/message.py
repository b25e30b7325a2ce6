"""The message: its template variables and a check before it is used."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import re
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util

from . import repairs
from .business_hours import BusinessHours
from .const import LOGGER, MAX_MESSAGE_LENGTH
from .ledger import OutboxItem
from .phone import scrub_numbers
from .presets import TEXTS
from .pure_template import pure_inputs
from .settings import Details

if TYPE_CHECKING:
    from .hours import OpenState
    from .settings import LineSettings

# A number reserved for fiction (NANP 555-01xx) stands in for a real caller.
SAMPLE_NUMBER = "+12025550143"
SAMPLE_CALLER = "Jordan Smith"


# Shown where a message is checked or previewed, before a real call exists.
SAMPLE_NEXT_OPEN = "tomorrow at 8:00"
# Previews kept (the messages in use and a few the owner just replaced).
_PREVIEWS_KEPT = 8
# Texts kept of templates that read only their variables (pure_template.py):
# one per message in use, times the hours' states and days it is sent in.
TEXTS_KEPT = 32


def message_variables(
    *,
    business_name: str,
    line_name: str,
    caller_number: str,
    caller_name: str | None,
    called_at: datetime,
    details: Details | None = None,
    is_open: bool = True,
    next_open: str = "",
) -> dict[str, Any]:
    """Return the variables a message template sees."""
    details = details or Details()
    return {
        "business_name": business_name,
        "line_name": line_name,
        "caller_number": caller_number,
        "caller_name": caller_name or "",
        "called_at": dt_util.as_local(called_at).replace(microsecond=0),
        "is_open": is_open,
        "next_open": next_open,
        "booking_link": details.booking_link,
        "trade": details.trade,
        "service_area": details.service_area,
        "response_window": details.response_window,
    }


def missing_details(source: str, details: Details) -> list[str]:
    """Return the owner's details a template uses but that are empty."""
    return [
        name
        for name in ("booking_link", "trade", "service_area", "response_window")
        if re.search(rf"\b{name}\b", source) and not getattr(details, name).strip()
    ]


@callback
def async_check_message(
    hass: HomeAssistant,
    source: str,
    *,
    business_name: str = "Acme Plumbing",
    line_name: str = "Main line",
    details: Details | None = None,
) -> str:
    """Render a template with sample values; raise TemplateError if it fails.

    Returns the rendered sample so callers can show what a text looks like.
    """
    if len(source) > MAX_MESSAGE_LENGTH:
        raise TemplateError(f"longer than {MAX_MESSAGE_LENGTH} characters")
    template = Template(source, hass)
    template.ensure_valid()
    return render(
        template,
        message_variables(
            business_name=business_name,
            line_name=line_name,
            caller_number=SAMPLE_NUMBER,
            caller_name=SAMPLE_CALLER,
            called_at=dt_util.utcnow(),
            details=details,
            is_open=False,
            next_open=SAMPLE_NEXT_OPEN,
        ),
    )


def render(template: Template, variables: dict[str, Any]) -> str:
    """Render a message as plain text; an empty text is an error too."""
    text = str(template.async_render(variables, parse_result=False))
    if not text.strip():
        raise TemplateError("the message is empty")
    return text


class MessageRenderer:
    """Renders one line's texts: templates compiled once, the default on failure."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        settings: Callable[[], LineSettings],
        business_hours: BusinessHours,
    ) -> None:
        """Initialize the renderer of one line."""
        self._hass = hass
        self._entry_id = entry_id
        self._settings = settings
        self._hours = business_hours
        self._templates: dict[str, Template] = {}
        # Previews by source, with what they were rendered from (render_preview).
        self._previews: dict[str, tuple[tuple[Any, ...], str]] = {}
        # Texts of pure templates by source and the values they read.
        self._texts: dict[tuple[Any, ...], str] = {}

    def template(self, source: str) -> Template:
        """Return the compiled template of a source text (kept for reuse)."""
        if (template := self._templates.get(source)) is None:
            template = self._templates[source] = Template(source, self._hass)
        return template

    def render_item(self, item: OutboxItem) -> str:
        """Render a decided text; on a template error fall back to the default.

        A call missed while closed gets the after-hours message (when one is
        set); every text sees its variant's response window.
        """
        settings = self._settings()
        variant = settings.variant(item.variant)
        missed_at = dt_util.parse_datetime(item.missed_at) or dt_util.utcnow()
        now = dt_util.utcnow()
        after_hours = item.after_hours and bool(settings.after_hours_template.strip())
        # The fallback speaks the line's language too.
        preset = TEXTS[settings.language].general
        source, fallback = (
            (settings.after_hours_template, preset.after_hours)
            if after_hours
            else (variant.message, preset.message)
        )
        state = self._hours.state(missed_at)
        variables = message_variables(
            business_name=settings.business_name,
            line_name=settings.line_name,
            caller_number=item.number,
            caller_name=item.caller_name,
            called_at=missed_at,
            details=settings.details_for(variant),
            is_open=state.is_open,
            next_open=self._hours.describe(state.next_open, now, settings.language),
        )
        try:
            text = self._render(source, variables)
        except TemplateError as err:
            LOGGER.warning(
                "%s: the message template failed (%s); sent the default text",
                settings.line_name,
                scrub_numbers(str(err)),
            )
            repairs.raise_template_error(
                self._hass,
                self._entry_id,
                settings.line_name,
                scrub_numbers(str(err)),
            )
            return render(self.template(fallback), variables)
        repairs.clear_template_error(self._hass, self._entry_id)
        return text

    def _render(self, source: str, variables: dict[str, Any]) -> str:
        """Render a text, or reuse it if its template reads only these values."""
        inputs = pure_inputs(source, variables)
        if inputs is None:
            return render(self.template(source), variables)
        key = (source, *(variables[name] for name in inputs))
        if (text := self._texts.get(key)) is None:
            text = render(self.template(source), variables)
            if len(self._texts) >= TEXTS_KEPT:
                del self._texts[next(iter(self._texts))]  # the oldest
            self._texts[key] = text
        return text

    def render_preview(self, source: str | None = None) -> str:
        """Render a message for a sample caller (what one text looks like).

        Rendered again only when the settings, the hours or the day changed:
        the entities show its cost on every redraw.
        """
        settings = self._settings()
        source = settings.message_template if source is None else source
        now = dt_util.utcnow()
        state = self._hours.state(now)
        # The day matters to "next_open" ("today at 8:00", "tomorrow ...").
        key = (settings, state, now.astimezone(self._hours.tz).date())
        cached = self._previews.get(source)
        if cached is not None and cached[0][0] is settings and cached[0][1:] == key[1:]:
            return cached[1]
        text = self._render_preview(source, settings, now, state)
        if len(self._previews) >= _PREVIEWS_KEPT:
            self._previews.clear()  # old templates the owner replaced
        self._previews[source] = (key, text)
        return text

    def _render_preview(
        self, source: str, settings: LineSettings, now: datetime, state: OpenState
    ) -> str:
        variables = message_variables(
            business_name=settings.business_name,
            line_name=settings.line_name,
            caller_number=SAMPLE_NUMBER,
            caller_name=SAMPLE_CALLER,
            called_at=now,
            details=settings.details_for(settings.variants[0]),
            is_open=state.is_open,
            next_open=self._hours.describe(state.next_open, now, settings.language)
            or SAMPLE_NEXT_OPEN,
        )
        try:
            return render(self.template(source), variables)
        except TemplateError:
            return source
