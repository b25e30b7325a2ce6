"""The message: its template variables and a check before it is used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import re
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util

from .const import DEFAULT_RESPONSE_WINDOW, MAX_MESSAGE_LENGTH

# A number reserved for fiction (NANP 555-01xx) stands in for a real caller.
SAMPLE_NUMBER = "+12025550143"
SAMPLE_CALLER = "Jordan Smith"


@dataclass(frozen=True, slots=True, kw_only=True)
class Details:
    """What the owner tells callers beyond the business's name."""

    booking_link: str = ""
    trade: str = ""
    service_area: str = ""
    response_window: str = DEFAULT_RESPONSE_WINDOW


# Shown where a message is checked or previewed, before a real call exists.
SAMPLE_NEXT_OPEN = "tomorrow at 8:00"


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
