"""The message: its template variables and a check before it is used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util

from .const import MAX_MESSAGE_LENGTH

# A number reserved for fiction (NANP 555-01xx) stands in for a real caller.
SAMPLE_NUMBER = "+12025550143"
SAMPLE_CALLER = "Jordan Smith"


def message_variables(
    *,
    business_name: str,
    line_name: str,
    caller_number: str,
    caller_name: str | None,
    called_at: datetime,
) -> dict[str, Any]:
    """Return the variables a message template sees."""
    return {
        "business_name": business_name,
        "line_name": line_name,
        "caller_number": caller_number,
        "caller_name": caller_name or "",
        "called_at": dt_util.as_local(called_at).replace(microsecond=0),
    }


@callback
def async_check_message(
    hass: HomeAssistant,
    source: str,
    *,
    business_name: str = "Acme Plumbing",
    line_name: str = "Main line",
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
        ),
    )


def render(template: Template, variables: dict[str, Any]) -> str:
    """Render a message as plain text; an empty text is an error too."""
    text = str(template.async_render(variables, parse_result=False))
    if not text.strip():
        raise TemplateError("the message is empty")
    return text
