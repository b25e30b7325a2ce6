"""Actions of Missed Call Text-Back."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import VolSchemaType
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
from homeassistant.util.ulid import ulid_now

from .compat import vol
from .const import (
    ATTR_CALL_ID,
    ATTR_CALLER_NAME,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_NUMBER,
    ATTR_TEXT,
    DOMAIN,
    SERVICE_HANDLE_REPLY,
    SERVICE_OPT_IN,
    SERVICE_OPT_OUT,
    SERVICE_REPORT_MISSED_CALL,
    SERVICE_RESOLVE_LEAD,
    SERVICE_SEND_TEST_TEXT,
)
from .send_test import async_send_test_text, e164_or_refuse

if TYPE_CHECKING:
    from .data import TextBackConfigEntry


def _number(value: object) -> str:
    # Templates render "+15550000000" to an int; keep whatever digits arrive
    # and let normalization decide, but refuse structures and empty values.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise vol.Invalid("expected a phone number")
    text = str(value).strip()
    if not text or len(text) > 64:
        raise vol.Invalid("expected a phone number")
    return text


_LINE_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
    }
)
REPORT_MISSED_CALL_SCHEMA = _LINE_SCHEMA.extend(
    {
        vol.Required(ATTR_NUMBER): _number,
        vol.Optional(ATTR_CALLER_NAME): vol.Any(
            None, vol.All(cv.string, vol.Length(max=100))
        ),
    }
)
# An SMS is at most 10 segments of 153 characters in practice; anything far
# longer is not a reply from a phone.
HANDLE_REPLY_SCHEMA = _LINE_SCHEMA.extend(
    {
        vol.Required(ATTR_NUMBER): _number,
        vol.Required(ATTR_TEXT): vol.All(cv.string, vol.Length(max=2000)),
    }
)
OPT_SCHEMA = _LINE_SCHEMA.extend({vol.Required(ATTR_NUMBER): _number})
SEND_TEST_TEXT_SCHEMA = OPT_SCHEMA
RESOLVE_LEAD_SCHEMA = vol.All(
    _LINE_SCHEMA.extend(
        {
            vol.Exclusive(ATTR_NUMBER, "lead"): _number,
            vol.Exclusive(ATTR_CALL_ID, "lead"): vol.All(
                cv.string, vol.Length(min=1, max=64)
            ),
        }
    ),
    cv.has_at_least_one_key(ATTR_NUMBER, ATTR_CALL_ID),
)


type _Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]


def _admin_only(hass: HomeAssistant, handler: _Handler) -> _Handler:
    """Refuse a call made by a user who is no administrator.

    Each action texts strangers or rewrites who is texted, at the owner's
    expense. Calls without a user (automations, scripts) are the owner's own.
    Home Assistant 2025.4's async_register_admin_service drops responses, so
    the check is done here.
    """

    async def _checked(call: ServiceCall) -> ServiceResponse:
        if user_id := call.context.user_id:
            user = await hass.auth.async_get_user(user_id)
            if user is None:
                raise UnknownUser(context=call.context)
            if not user.is_admin:
                raise Unauthorized(context=call.context)
        return await handler(call)

    return _checked


def _drawn(hass: HomeAssistant, handler: _Handler) -> _Handler:
    """Redraw the lines' entities before an action returns (redraw.py).

    Whoever called reads the entities' new states on their next step.
    """

    async def _and_drawn(call: ServiceCall) -> ServiceResponse:
        try:
            return await handler(call)
        finally:
            for entry in hass.config_entries.async_entries(DOMAIN):
                if entry.state is ConfigEntryState.LOADED:
                    entry.runtime_data.redraws.flush()

    return _and_drawn


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, in async_setup)."""

    async def _async_report_missed_call(call: ServiceCall) -> ServiceResponse:
        entry = _resolve_entry(hass, call)
        now = dt_util.utcnow()
        return await entry.runtime_data.missed.async_handle_missed(
            call_id=ulid_now(),
            number=call.data[ATTR_NUMBER],
            caller_name=call.data.get(ATTR_CALLER_NAME) or None,
            missed_at=now,
            context=call.context,
        )

    async def _async_handle_reply(call: ServiceCall) -> ServiceResponse:
        targeted, entries = _resolve_entries(hass, call)
        results = [
            await entry.runtime_data.replies.async_handle(
                number=call.data[ATTR_NUMBER],
                text=call.data[ATTR_TEXT],
                answer_help=targeted,
                context=call.context,
            )
            for entry in entries
        ]
        return {"lines": cast("list[JsonValueType]", results)}

    async def _async_opt(call: ServiceCall) -> ServiceResponse:
        _, entries = _resolve_entries(hass, call)
        changed: list[JsonValueType] = []
        for entry in entries:
            line = entry.runtime_data
            if await line.replies.async_set_opt_out(
                e164_or_refuse(call.data[ATTR_NUMBER], line.region),
                opted_out=call.service == SERVICE_OPT_OUT,
            ):
                changed.append(entry.entry_id)
        return {"changed": changed}

    async def _async_resolve_lead(call: ServiceCall) -> ServiceResponse:
        _, entries = _resolve_entries(hass, call)
        resolved: list[JsonValueType] = []
        for entry in entries:
            line = entry.runtime_data
            number = call.data.get(ATTR_NUMBER)
            resolved.extend(
                line.follow_ups.async_resolve(
                    number=e164_or_refuse(number, line.region) if number else None,
                    call_id=call.data.get(ATTR_CALL_ID),
                    context=call.context,
                )
            )
        return {"resolved": resolved}

    handlers: tuple[tuple[str, _Handler, VolSchemaType], ...] = (
        (
            SERVICE_SEND_TEST_TEXT,
            partial(_async_send_test_text, hass),
            SEND_TEST_TEXT_SCHEMA,
        ),
        (SERVICE_RESOLVE_LEAD, _async_resolve_lead, RESOLVE_LEAD_SCHEMA),
        (SERVICE_HANDLE_REPLY, _async_handle_reply, HANDLE_REPLY_SCHEMA),
        (SERVICE_OPT_OUT, _async_opt, OPT_SCHEMA),
        (SERVICE_OPT_IN, _async_opt, OPT_SCHEMA),
        (
            SERVICE_REPORT_MISSED_CALL,
            _async_report_missed_call,
            REPORT_MISSED_CALL_SCHEMA,
        ),
    )
    for service, handler, schema in handlers:
        hass.services.async_register(
            DOMAIN,
            service,
            _admin_only(hass, _drawn(hass, handler)),
            schema=schema,
            supports_response=SupportsResponse.OPTIONAL,
        )


async def _async_send_test_text(
    hass: HomeAssistant, call: ServiceCall
) -> ServiceResponse:
    """Send the line's current message to the owner's number; return the answer."""
    entry = _resolve_entry(hass, call)
    result = await async_send_test_text(
        entry.runtime_data, call.data[ATTR_NUMBER], call.context
    )
    if result["result"] != "sent" and not call.return_response:
        # Nobody reads the response: the failure must show.
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="test_text_failed",
            translation_placeholders={"error": result["error"]},
        )
    return cast("ServiceResponse", result)


def _resolve_entries(
    hass: HomeAssistant, call: ServiceCall
) -> tuple[bool, list[TextBackConfigEntry]]:
    """Find the line a call names, else every loaded line; say which it was.

    A caller's STOP must reach every line that could text them.
    """
    if call.data.get(ATTR_CONFIG_ENTRY_ID) or call.data.get(ATTR_DEVICE_ID):
        return True, [_resolve_entry(hass, call)]
    loaded: list[TextBackConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if not loaded:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="line_required"
        )
    return False, loaded


def _resolve_entry(hass: HomeAssistant, call: ServiceCall) -> TextBackConfigEntry:
    """Find the line an action call is for: by entry, by device, or the only one."""
    entry_ids: set[str] = set()
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        entry_ids.add(entry_id)
    device_registry = dr.async_get(hass)
    for device_id in call.data.get(ATTR_DEVICE_ID, []):
        device = device_registry.async_get(device_id)
        if device is None or not any(
            (entry := hass.config_entries.async_get_entry(entry_id))
            and entry.domain == DOMAIN
            for entry_id in device.config_entries
        ):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_device",
                translation_placeholders={"device_id": device_id},
            )
        entry_ids.update(
            entry_id
            for entry_id in device.config_entries
            if (entry := hass.config_entries.async_get_entry(entry_id))
            and entry.domain == DOMAIN
        )
    if not entry_ids:
        loaded = hass.config_entries.async_loaded_entries(DOMAIN)
        if len(loaded) != 1:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="line_required"
            )
        return loaded[0]
    if len(entry_ids) > 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="one_line_only"
        )
    entry = hass.config_entries.async_get_entry(entry_ids.pop())
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="unknown_line"
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="line_not_loaded",
            translation_placeholders={"line_name": entry.title},
        )
    return entry
