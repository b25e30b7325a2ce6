"""A test text: the line's current message, to the owner's own phone.

The first thing an owner does after setup. It goes through the line's real
sender (so a provider's refusal shows at once) but not through the outbox: it
is sent once, never retried, and not counted in the history or the analytics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import Context
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN, LOGGER
from .message import SAMPLE_CALLER
from .phone import PhoneNumber, mask_number, normalize_number, scrub_numbers
from .sender import SendError

if TYPE_CHECKING:
    from .line import TextBackLine


def e164_or_refuse(value: object, region: str | None) -> str:
    """Return a number an action or a field was given in E.164, or refuse it.

    The refusal says why (too short, not a number, ...) in the owner's language.
    """
    normalized = normalize_number(value, region)
    if not isinstance(normalized, PhoneNumber):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_number",
            translation_placeholders={"reason": normalized.value},
        )
    return normalized.e164


def owner_number(line: TextBackLine, number: object) -> str:
    """Return the owner's number in E.164, or refuse it with the reason."""
    return e164_or_refuse(number, line.region)


async def async_send_test_text(
    line: TextBackLine, number: object, context: Context | None
) -> dict[str, Any]:
    """Send the current message with a test caller's name; say what came of it."""
    e164 = owner_number(line, number)
    message = line.renderer.render_preview()
    result: dict[str, Any] = {
        "entry_id": line.entry.entry_id,
        "number": e164,
        "message": message,
    }
    try:
        message_id = await line.sender.async_send(
            number=e164,
            message=message,
            caller_name=SAMPLE_CALLER,
            line_name=line.line_name,
            context=context,
        )
    except SendError as err:
        LOGGER.warning(
            "%s: the test text to %s failed: %s",
            line.line_name,
            mask_number(e164),
            scrub_numbers(err.detail),
        )
        return {
            **result,
            "result": "failed",
            "error": err.detail,
            "error_kind": err.kind.value,
            "error_code": err.code,
        }
    return {**result, "result": "sent", "message_id": message_id}
