"""Webhook test helpers: the config flow's webhook steps, and hostile requests.

The flow walk is shared with the translation checks; the hostile requests with
both the provider modules' timing test and the HTTP one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import json
from typing import Any
from urllib.parse import urlencode

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType

from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_LINE_NAME,
    DOMAIN,
)
from custom_components.missed_call_textback.sources.webhook import MAX_BODY_BYTES

# Every form the webhook steps show, as (flow kind, step id).
WEBHOOK_FORMS = {
    ("config", "webhook"),
    ("config", "webhook_twilio"),
    ("config", "webhook_quo"),
    ("config", "webhook_telnyx"),
    ("config", "webhook_generic"),
    ("config", "webhook_url_twilio"),
    ("config", "webhook_url_quo"),
    ("config", "webhook_url_telnyx"),
    ("config", "webhook_url_ha_sip"),
    ("config", "webhook_url_generic"),
}
WEBHOOK_SELECTORS = {"provider", "auth_mode"}

# Provider forms filled in so they pass.
PROVIDER_INPUT = {
    "twilio": {"auth_token": "a" * 32, "accept_unsigned": False},
    "quo": {"signing_key": "a2V5", "accept_unsigned": False},
    "telnyx": {"public_key": "", "accept_unsigned": True},
    "generic": {
        "number_path": "from",
        "status_path": "status",
        "missed_values": ["missed"],
        "auth_mode": "header",
        "secret_header": "X-Webhook-Secret",
        "secret": "s",
        "accept_unsigned": False,
    },
}


async def start_webhook(hass: HomeAssistant, provider: str) -> FlowResult:
    """Open the webhook step and choose a provider."""
    flow = hass.config_entries.flow
    result = await flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "webhook"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook"
    return await flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            "provider": provider,
        },
    )


async def collect_webhook_forms(hass: HomeAssistant) -> list[tuple[str, FlowResult]]:
    """Reach every form of the webhook steps."""
    flow = hass.config_entries.flow
    forms: list[tuple[str, FlowResult]] = []
    result = await flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "webhook"})
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])
    for provider, user_input in PROVIDER_INPUT.items():
        result = await start_webhook(hass, provider)
        forms.append(("config", result))
        result = await flow.async_configure(result["flow_id"], user_input)
        forms.append(("config", result))
        flow.async_abort(result["flow_id"])
    result = await start_webhook(hass, "ha_sip")
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])
    return forms


# --- Hostile requests: 64 KiB of what once made, or could make, a parser slow --

CAP = MAX_BODY_BYTES
CALLER = "+16502530000"
# What a long field repeats: the scheme and delimiters a SIP-URI regex
# backtracks on, digits of another script, padding that strip() eats, and
# what form decoding unquotes.
UNITS = (
    "sip:",
    "sips:",
    "<sip:",
    "sip:1",
    "<",
    ">",
    "@",
    ";",
    ":",
    "\u0661",
    "9",
    " ",
    "+",
    "%",
)
# The largest integer json decodes (it refuses more than 4300 digits).
HUGE_INT = 10**4299 - 1

# One event of each kind a provider reads. Every string in it becomes, in
# turn, a 64 KiB run of each unit (and, in JSON, the largest integer).
JSON_SHAPES: dict[str, list[dict[str, Any]]] = {
    "ha_sip": [
        {
            "event": "incoming_call",
            "internal_id": "call-1",
            "parsed_caller": "",
            "caller": f"<sip:{CALLER}@fritz.box>",
        }
    ],
    "quo": [
        {
            "type": "call.completed",
            "data": {
                "object": {
                    "id": "AC1",
                    "direction": "incoming",
                    "from": CALLER,
                    "participants": [CALLER],
                    "createdAt": "2026-11-26T10:00:00.000Z",
                    "completedAt": "2026-11-26T10:00:30.000Z",
                }
            },
        },
        {"type": "message.received", "data": {"object": {"from": CALLER, "body": "x"}}},
    ],
    "telnyx": [
        {
            "data": {
                "event_type": "call.hangup",
                "payload": {
                    "direction": "incoming",
                    "call_session_id": "s1",
                    "call_control_id": "v3:1",
                    "from": CALLER,
                    "caller_id_name": "Jane",
                    "hangup_cause": "timeout",
                    "start_time": "2026-11-26T10:00:00.000000Z",
                    "end_time": "2026-11-26T10:00:25.000000Z",
                },
            }
        },
        {
            "data": {
                "event_type": "call.initiated",
                "payload": {"direction": "outgoing", "to": CALLER},
            }
        },
        {
            "data": {
                "event_type": "message.received",
                "payload": {"from": {"phone_number": CALLER}, "text": "x"},
            }
        },
    ],
    # Read with the paths of GENERIC_PATHS.
    "generic": [{"call": {"id": "c1", "from": CALLER, "name": "Ann", "result": "x"}}],
}
GENERIC_PATHS = {
    "number_path": "call.from",
    "status_path": "call.result",
    "name_path": "call.name",
    "call_id_path": "call.id",
}
FORM_SHAPES: list[dict[str, str]] = [
    {
        "CallSid": "CA1",
        "From": CALLER,
        "To": "+15005550006",
        "Direction": "inbound",
        "CallStatus": "completed",
        "DialCallStatus": "no-answer",
        "CallerName": "Jane",
    },
    {"CallSid": "CA2", "To": CALLER, "Direction": "outbound-api"},
    {"MessageSid": "SM1", "From": CALLER, "Body": "x"},
]


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _form(value: dict[str, str]) -> bytes:
    return urlencode(value).encode()


RAW_JSON: dict[str, bytes] = {
    "nested arrays": b"[" * CAP,
    "nested objects": b'{"a":' * (CAP // 5),
    "nested 900 deep": b'{"a":' * 900 + b"1" + b"}" * 900,
    "a huge integer": b"9" * CAP,
    "a huge float": b"0." + b"1" * (CAP - 2),
    "an infinite float": b'{"internal_id": 1e99999, "event": "incoming_call"}',
    "escaped other-script digits": b'"' + b"\\u0661" * ((CAP - 2) // 6) + b'"',
    "whitespace": b" " * (CAP - 2) + b"{}",
    "many keys": _json({f"{i:x}": 0 for i in range(CAP // 11)}),
    "a long participant list": _json(
        {
            "type": "call.completed",
            "data": {
                "object": {
                    "id": "A",
                    "direction": "incoming",
                    "participants": [0] * (CAP // 3 - 100),
                }
            },
        }
    ),
}
RAW_FORMS: dict[str, bytes] = {
    "10000 form keys": "&".join(f"{i:x}=" for i in range(10000)).encode(),
    "499 long fields": "&".join(f"k{i}=" + "%2B" * 40 for i in range(499)).encode(),
    "ampersands": b"&" * CAP,
    "equals signs": b"=" * CAP,
    "bare percent signs": b"From=" + b"%" * (CAP - 5),
    "escaped other-script digits": b"From=" + b"%D9%A1" * ((CAP - 5) // 6),
    "escaped NULs": b"Body=" + b"%00" * ((CAP - 5) // 3),
    "plus signs": b"From=" + b"+" * (CAP - 5),
    "one long key": b"%41" * (CAP // 3 - 1) + b"=",
    "no equals sign": b"a" * CAP,
}


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def _replace(value: Any, path: tuple[Any, ...], new: object) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], tuple(rest), new)
    return copy


def _filled(
    encode: Callable[[Any], bytes], shape: Any, path: tuple[Any, ...], unit: str
) -> bytes:
    """Return shape with the leaf at path a run of unit, the body just under CAP."""
    base = len(encode(_replace(shape, path, "")))
    per_unit = len(encode(_replace(shape, path, unit))) - base
    return encode(_replace(shape, path, unit * ((CAP - base) // per_unit)))


def hostile_bodies(provider: str) -> list[tuple[str, bytes]]:
    """Return (what it is, body) of every hostile body for a provider kind."""
    bodies: list[tuple[str, bytes]] = []
    if provider == "twilio":
        for number, shape in enumerate(FORM_SHAPES):
            for path in _leaves(shape):
                bodies.extend(
                    (
                        f"form {number}: {path[0]}={unit!r}*",
                        _filled(_form, shape, path, unit),
                    )
                    for unit in UNITS
                )
        return bodies + list(RAW_FORMS.items())
    for number, shape in enumerate(JSON_SHAPES[provider]):
        for path in _leaves(shape):
            where = f"event {number}: " + ".".join(map(str, path))
            bodies.extend(
                (f"{where}={unit!r}*", _filled(_json, shape, path, unit))
                for unit in UNITS
            )
            bodies.append((f"{where}=huge int", _json(_replace(shape, path, HUGE_INT))))
    return bodies + list(RAW_JSON.items())


# Signature headers stretched as far as a header goes (the pure tests only:
# aiohttp caps a header line at 8 KiB before the webhook sees it).
HOSTILE_HEADERS: list[dict[str, str]] = [
    {"x-twilio-signature": "A" * CAP},
    {
        "x-twilio-signature": "A",
        "x-twilio-webhooks-signature-settings": "a=," * (CAP // 3),
    },
    {"openphone-signature": ";" * CAP},
    {"openphone-signature": "hmac;1;" + "9" * CAP + ";A"},
    {
        "webhook-id": "m",
        "webhook-timestamp": "\u0661" * CAP,
        "webhook-signature": "v1,A",
    },
    {
        "webhook-id": "m",
        "webhook-timestamp": "1",
        "webhook-signature": "v1,A " * (CAP // 5),
    },
    {"telnyx-timestamp": "9" * CAP, "telnyx-signature-ed25519": "AAAA"},
    {"telnyx-timestamp": "1", "telnyx-signature-ed25519": "A" * CAP},
    {"x-sig": "sha256=" + "a" * CAP},
]
