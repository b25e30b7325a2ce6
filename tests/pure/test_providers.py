"""Provider modules without Home Assistant: signatures and payload reading."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings, strategies as st
import pytest
from twilio.request_validator import RequestValidator

from custom_components.missed_call_textback.calls import CallTracker, EndedCall
from custom_components.missed_call_textback.sources.providers import (
    MAX_FIELD_CHARS,
    CallEnded,
    CallPlaced,
    CallProgress,
    DeliveryReport,
    InboundRequest,
    MalformedError,
    Provider,
    ReplyReceived,
    fresh,
    json_object,
    seconds_between,
    text_or_none,
)
from custom_components.missed_call_textback.sources.providers.generic import (
    MAX_PATH_PARTS,
    AuthMode,
    GenericProvider,
    lookup,
)
from custom_components.missed_call_textback.sources.providers.ha_sip import (
    HaSipProvider,
)
from custom_components.missed_call_textback.sources.providers.quo import (
    QuoProvider,
    decode_key,
)
from custom_components.missed_call_textback.sources.providers.telnyx import (
    TelnyxProvider,
    load_public_key,
)
from custom_components.missed_call_textback.sources.providers.twilio import (
    HMAC_SHA256,
    TwilioProvider,
    compute_signature,
    form_fields,
    parse_fields,
    signature_algorithm,
    url_variants,
)
from custom_components.missed_call_textback.sources.webhook import (
    _SEEN_CALLS,
    SignalDispatcher,
)
from custom_components.missed_call_textback.sources.webhook_config import (
    build_provider,
)

from ..webhook_helpers import (
    CAP,
    GENERIC_PATHS,
    HOSTILE_HEADERS,
    hostile_bodies,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TS = int(NOW.timestamp())
CALLER = "+16502530000"
URL = "https://home.example.org/api/webhook/abc"


def _request(
    body: bytes, headers: dict[str, str] | None = None, urls: tuple[str, ...] = ()
) -> InboundRequest:
    return InboundRequest(
        headers={k.lower(): v for k, v in (headers or {}).items()},
        body=body,
        urls=urls,
        now=NOW,
    )


# --- shared helpers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "milliseconds", "expected"),
    [
        (str(TS), False, True),
        (str(TS - 300), False, True),
        (str(TS - 301), False, False),
        (str(TS + 301), False, False),
        (str(TS * 1000 + 999), True, True),
        (str((TS - 301) * 1000), True, False),
        (str((TS + 300) * 1000), True, True),
        (str((TS + 300) * 1000 + 1), True, False),
        ("", False, False),
        ("-5", False, False),
        (" 12", False, False),
        ("\uff11\uff12", False, False),
        ("9" * 40, False, False),
    ],
)
def test_fresh_allows_five_minutes_either_way(
    timestamp: str, milliseconds: bool, expected: bool
) -> None:
    assert fresh(timestamp, NOW, milliseconds=milliseconds) is expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-11-26T10:00:00.000Z", "2026-11-26T10:00:04.500Z", 4.5),
        ("2026-11-26T10:00:00+00:00", "2026-11-26T10:00:00+00:00", 0.0),
        ("2026-11-26T10:00:05Z", "2026-11-26T10:00:00Z", None),
        ("0001-01-01T00:00:00Z", "9999-01-01T00:00:00Z", None),
        ("2026-11-26T10:00:00", "2026-11-26T10:00:00Z", None),
        ("yesterday", "2026-11-26T10:00:00Z", None),
        (None, "2026-11-26T10:00:00Z", None),
    ],
)
def test_seconds_between(start: object, end: object, expected: float | None) -> None:
    assert seconds_between(start, end) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" +1 ", "+1"),
        (5, "5"),
        (True, None),
        (None, None),
        ("  ", None),
        (1.5, None),
        ("1" * MAX_FIELD_CHARS, "1" * MAX_FIELD_CHARS),
        (f" {'1' * MAX_FIELD_CHARS} ", "1" * MAX_FIELD_CHARS),
        # Longer than any number, id or name: read as missing, not cut.
        ("1" * (MAX_FIELD_CHARS + 1), None),
        (10**MAX_FIELD_CHARS, None),
    ],
)
def test_text_or_none(value: object, expected: str | None) -> None:
    assert text_or_none(value) == expected


# --- Twilio --------------------------------------------------------------------

_field_names = st.text(
    alphabet=st.characters(categories=["L", "N"], max_codepoint=0x24F),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200)
@given(
    fields=st.dictionaries(_field_names, st.text(max_size=30), max_size=8),
    query=st.text(alphabet="abc=&1", max_size=10),
)
def test_twilio_signature_matches_the_official_validator(
    fields: dict[str, str], query: str
) -> None:
    url = f"{URL}?{query}" if query else URL
    expected = RequestValidator("token").compute_signature(url, fields)
    assert compute_signature("token", url, {k: [v] for k, v in fields.items()}) == (
        expected
    )


def test_twilio_signature_with_repeated_fields_matches_the_official_validator() -> None:
    class _Multi(dict[str, list[str]]):
        def getall(self, name: str) -> list[str]:
            return self[name]

    fields = {"To": ["+1b", "+1a", "+1a"], "From": ["x"]}
    expected = RequestValidator("t").compute_signature(URL, _Multi(fields))
    assert compute_signature("t", URL, fields) == expected


def test_twilio_sha256_signature_when_the_settings_header_says_so() -> None:
    fields = {"CallSid": "CA1", "CallStatus": "busy", "From": CALLER}
    body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
    body = body.replace(b"+", b"%2B")
    signature = RequestValidator("shared").compute_signature(
        URL, fields, algorithm=HMAC_SHA256
    )
    headers = {
        "X-Twilio-Signature": signature,
        "X-Twilio-Webhooks-Signature-Settings": "key=k1,algorithm=HMAC_SHA256",
    }
    assert TwilioProvider("shared").verify(_request(body, headers, (URL,)))
    headers["X-Twilio-Webhooks-Signature-Settings"] = "algorithm=HMAC_MD5"
    assert not TwilioProvider("shared").verify(_request(body, headers, (URL,)))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "HMAC_SHA1"),
        ("key=abc", "HMAC_SHA1"),
        ("key=abc, algorithm=hmac_sha256", "HMAC_SHA256"),
        ("algorithm=RSA", None),
    ],
)
def test_twilio_signature_algorithm(header: str, expected: str | None) -> None:
    assert signature_algorithm(header) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://h.example/p?q=1",
            ["https://h.example/p?q=1", "https://h.example:443/p?q=1"],
        ),
        ("http://h.example:8123/p", ["http://h.example:8123/p", "http://h.example/p"]),
        ("https://[::1]/p", ["https://[::1]/p", "https://[::1]:443/p"]),
        ("ftp://h.example/p", ["ftp://h.example/p"]),
        ("https://h.example:bad/p", ["https://h.example:bad/p"]),
    ],
)
def test_twilio_url_variants_mirror_the_official_validator(
    url: str, expected: list[str]
) -> None:
    assert url_variants(url) == expected


def test_twilio_unsigned_provider_and_missing_signature() -> None:
    body = b"CallSid=CA1"
    assert TwilioProvider(None).verify(_request(body))
    assert not TwilioProvider("token").verify(_request(body, urls=(URL,)))


@pytest.mark.parametrize(
    "body", [b"\xff", b"a=1&&b=2", b"a", b"a=%", b"a=%4", b"a=%zz", b"a=1&" * 501]
)
def test_twilio_form_that_is_no_form_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedError):
        form_fields(body)


def test_twilio_empty_body_has_no_fields() -> None:
    assert form_fields(b"") == {}


# Pieces of form bodies: escapes of split UTF-8 sequences, backslashes (which
# the fast unquoting must keep), raw non-ASCII text, separators; never a bare
# "%", which form_fields refuses where parse_qsl would not.
_form_pieces = st.lists(
    st.sampled_from(
        [
            *("a", "=", "&", "+", "%2B", "%25", "%00", "%5C", "%C3", "%A9", "%e2%82"),
            *("%FF", "\\", "\\x41", "\\N{DASH}", "\u00e9", "\u20ac", "\U0001f600"),
        ]
    ),
    max_size=12,
)


@settings(max_examples=500)
@given(pieces=_form_pieces)
def test_twilio_form_fields_are_those_of_parse_qsl(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        with pytest.raises(MalformedError):
            form_fields(text.encode())
        return
    expected: dict[str, list[str]] = {}
    for name, value in pairs:
        expected.setdefault(name, []).append(value)
    assert form_fields(text.encode()) == expected


def test_twilio_form_keeps_escaped_percent_signs() -> None:
    assert form_fields(b"Body=100%25+sure%21") == {"Body": ["100% sure!"]}


def test_twilio_parse_reads_its_own_request_after_verify_read_another() -> None:
    provider = TwilioProvider("token")
    first = b"CallSid=CA1&From=%2B1&CallStatus=busy"
    assert not provider.verify(_request(first, {"X-Twilio-Signature": "x"}, (URL,)))
    second = b"MessageSid=SM1&From=%2B1&Body=hi"
    assert provider.parse(_request(second)) == [ReplyReceived("+1", "hi")]
    assert provider.parse(_request(first)) == [
        CallEnded("twilio:CA1", "+1", None, missed=True)
    ]


@pytest.mark.parametrize("token", ["", "  "])
def test_twilio_blank_token_refuses_what_a_blank_token_signs(token: str) -> None:
    fields = {"CallSid": "CA1", "From": CALLER, "CallStatus": "busy"}
    body = b"CallSid=CA1&From=%2B16502530000&CallStatus=busy"
    forged = RequestValidator(token).compute_signature(URL, fields)
    assert compute_signature(token, URL, {k: [v] for k, v in fields.items()}) == forged
    headers = {"X-Twilio-Signature": forged}
    assert not TwilioProvider(token).verify(_request(body, headers, (URL,)))
    provider = build_provider({"provider": "twilio", "auth_token": token})
    assert not provider.verify(_request(body, headers, (URL,)))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"CallSid": "CA1", "From": CALLER, "CallStatus": "no-answer"},
            [CallEnded("twilio:CA1", CALLER, None, missed=True)],
        ),
        (
            {
                "CallSid": "CA1",
                "From": CALLER,
                "CallStatus": "completed",
                "DialCallStatus": "busy",
                "CallerName": "Ann",
            },
            [CallEnded("twilio:CA1", CALLER, "Ann", missed=True)],
        ),
        (
            {"CallSid": "CA1", "From": CALLER, "CallStatus": "completed"},
            [CallEnded("twilio:CA1", CALLER, None, missed=False)],
        ),
        ({"CallSid": "CA1", "From": CALLER, "CallStatus": "queued"}, []),
        (
            {"CallSid": "CA1", "To": CALLER, "Direction": "outbound-api"},
            [CallPlaced(CALLER)],
        ),
        ({"CallSid": "CA1", "Direction": "outbound-api"}, []),
        (
            {
                "CallSid": "C2",
                "To": CALLER,
                "Direction": "outbound-dial",
                "ParentCallSid": "C1",
            },
            [],
        ),
        (
            {"MessageSid": "SM1", "From": CALLER, "Body": "hi"},
            [ReplyReceived(CALLER, "hi")],
        ),
    ],
)
def test_twilio_fields(fields: dict[str, Any], expected: list[Any]) -> None:
    assert parse_fields(fields) == expected


@pytest.mark.parametrize(
    "fields", [{}, {"Body": "hi"}, {"From": CALLER, "Body": 5}, {"From": CALLER}]
)
def test_twilio_fields_that_are_neither_call_nor_message(
    fields: dict[str, Any],
) -> None:
    with pytest.raises(MalformedError):
        parse_fields(fields)


# --- Quo -------------------------------------------------------------------------

QUO_KEY = base64.b64encode(b"the key").decode()


def _legacy(body: bytes, timestamp: str, key: str = QUO_KEY) -> dict[str, str]:
    digest = hmac.new(
        base64.b64decode(key), timestamp.encode() + b"." + body, hashlib.sha256
    ).digest()
    return {
        "openphone-signature": f"hmac;1;{timestamp};{base64.b64encode(digest).decode()}"
    }


def test_quo_legacy_signature() -> None:
    body = b'{"type":"call.completed"}'
    provider = QuoProvider(QUO_KEY)
    assert provider.verify(_request(body, _legacy(body, str(TS * 1000))))
    assert not provider.verify(_request(body, _legacy(body, str((TS - 400) * 1000))))
    assert not provider.verify(_request(body, {"openphone-signature": "hmac;1;2"}))


def test_quo_standard_signature_takes_a_whsec_key() -> None:
    body = b"{}"
    key = "whsec_" + QUO_KEY
    digest = hmac.new(b"the key", f"m1.{TS}.".encode() + body, hashlib.sha256)
    headers = {
        "webhook-id": "m1",
        "webhook-timestamp": str(TS),
        "webhook-signature": "v1," + base64.b64encode(digest.digest()).decode(),
    }
    assert QuoProvider(key).verify(_request(body, headers))
    assert not QuoProvider(key).verify(_request(body, {**headers, "webhook-id": "m2"}))
    assert not QuoProvider(key).verify(
        _request(body, {**headers, "webhook-signature": "v2,abc"})
    )


@pytest.mark.parametrize("key", ["", "not base64!", "whsec_", "===="])
def test_quo_bad_key_is_none_and_verifies_nothing(key: str) -> None:
    assert decode_key(key) is None
    body = b"{}"
    assert not QuoProvider(key).verify(_request(body, _legacy(body, str(TS * 1000))))
    # What an empty key signs, in both schemes.
    empty = hmac.new(b"", f"{TS * 1000}.".encode() + body, hashlib.sha256)
    legacy = f"hmac;1;{TS * 1000};{base64.b64encode(empty.digest()).decode()}"
    assert not QuoProvider(key).verify(_request(body, {"openphone-signature": legacy}))
    empty = hmac.new(b"", f"m1.{TS}.".encode() + body, hashlib.sha256)
    standard = {
        "webhook-id": "m1",
        "webhook-timestamp": str(TS),
        "webhook-signature": "v1," + base64.b64encode(empty.digest()).decode(),
    }
    assert not QuoProvider(key).verify(_request(body, standard))


def test_quo_unsigned_provider_accepts() -> None:
    assert QuoProvider(None).verify(_request(b"{}"))


def _quo(kind: str, **obj: Any) -> bytes:
    return json.dumps({"type": kind, "data": {"object": obj}}).encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            _quo(
                "call.completed",
                id="C1",
                direction="incoming",
                answeredAt=None,
                participants=[CALLER],
            ),
            [CallEnded("quo:C1", CALLER, None, missed=True)],
        ),
        (
            _quo(
                "call.completed",
                id="C1",
                direction="incoming",
                answeredAt="2026",
                **{"from": CALLER},
            ),
            [CallEnded("quo:C1", CALLER, None, missed=False)],
        ),
        (
            _quo("call.completed", id="C1", direction="incoming", participants=[]),
            [CallEnded("quo:C1", None, None, missed=True)],
        ),
        (
            _quo("call.completed", id="C1", direction="outgoing", to=CALLER),
            [CallPlaced(CALLER)],
        ),
        (_quo("call.completed", id="C1", direction="outgoing"), []),
        (
            _quo("message.received", text="hi", **{"from": CALLER}),
            [ReplyReceived(CALLER, "hi")],
        ),
        (_quo("call.ringing", id="C1"), []),
        (
            json.dumps({"type": "call.missed", "data": {"resource": {}}}).encode(),
            [],
        ),
    ],
)
def test_quo_events(body: bytes, expected: list[Any]) -> None:
    assert QuoProvider(None).parse(_request(body)) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"{",
        json.dumps({"type": "call.completed", "data": []}).encode(),
        _quo("call.completed", direction="incoming"),
        _quo("call.completed", id="C1", direction="sideways"),
        _quo("message.received", body=3, **{"from": CALLER}),
    ],
)
def test_quo_malformed_events(body: bytes) -> None:
    with pytest.raises(MalformedError):
        QuoProvider(None).parse(_request(body))


# --- Telnyx ------------------------------------------------------------------------


def test_telnyx_signature() -> None:
    private = Ed25519PrivateKey.generate()
    public = base64.b64encode(
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    body = b'{"data":{}}'
    signature = base64.b64encode(private.sign(f"{TS}|".encode() + body)).decode()
    headers = {"telnyx-timestamp": str(TS), "telnyx-signature-ed25519": signature}
    assert TelnyxProvider(public).verify(_request(body, headers))
    assert not TelnyxProvider(public).verify(_request(body + b" ", headers))
    assert TelnyxProvider(None).verify(_request(body))


@pytest.mark.parametrize("key", ["", "not base64", base64.b64encode(b"short").decode()])
def test_telnyx_bad_public_key(key: str) -> None:
    assert load_public_key(key) is None
    headers = {"telnyx-timestamp": str(TS), "telnyx-signature-ed25519": "AAAA"}
    assert not TelnyxProvider(key).verify(_request(b"{}", headers))


def _telnyx(kind: str, **payload: Any) -> bytes:
    return json.dumps({"data": {"event_type": kind, "payload": payload}}).encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            _telnyx(
                "call.hangup",
                direction="incoming",
                call_control_id="v3:1",
                hangup_cause="timeout",
                caller_id_name="Bo",
                **{"from": CALLER},
            ),
            [CallEnded("telnyx:v3:1", CALLER, "Bo", missed=True)],
        ),
        (_telnyx("call.hangup", direction="outgoing", hangup_cause="timeout"), []),
        (_telnyx("call.initiated", direction="outgoing"), []),
        (_telnyx("call.initiated", direction="incoming", to=CALLER), []),
    ],
)
def test_telnyx_events(body: bytes, expected: list[Any]) -> None:
    assert TelnyxProvider(None).parse(_request(body)) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        _telnyx("call.hangup", direction="incoming"),
        _telnyx("message.received", text="x", **{"from": CALLER}),
        json.dumps({"data": {"event_type": "x", "payload": []}}).encode(),
    ],
)
def test_telnyx_malformed_events(body: bytes) -> None:
    with pytest.raises(MalformedError):
        TelnyxProvider(None).parse(_request(body))


# --- ha-sip --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            {
                "event": "incoming_call",
                "internal_id": 7,
                "parsed_caller": None,
                "caller": "<sip:0301234@fritz.box>",
            },
            [CallProgress("ha_sip:7", "ringing", "0301234")],
        ),
        (
            {"event": "incoming_call", "internal_id": "a", "caller": "unknown"},
            [CallProgress("ha_sip:a", "ringing", None)],
        ),
        (
            {"event": "call_established", "internal_id": "a"},
            [CallProgress("ha_sip:a", "answered")],
        ),
        (
            {"event": "ring_timeout", "internal_id": "a"},
            [CallProgress("ha_sip:a", "ended")],
        ),
        ({"event": "entered_menu", "internal_id": "a"}, []),
    ],
)
def test_ha_sip_events(event: dict[str, Any], expected: list[Any]) -> None:
    assert HaSipProvider().parse(_request(json.dumps(event).encode())) == expected


@pytest.mark.parametrize(
    ("parsed", "caller", "number"),
    [
        # A parsed caller too long to be a number: the URI is read instead.
        ("1" * (MAX_FIELD_CHARS + 1), "<sip:0301234@fritz.box>", "0301234"),
        (None, f"<sip:{'1' * 64}@fritz.box>", "1" * 64),
        (None, f"<sip:{'1' * 65}@fritz.box>", None),
        (None, "<sip:anonymous;tag=1> sip:0301@x", "0301"),
        (None, f"<sip:0301234@{'f' * MAX_FIELD_CHARS}>", None),
    ],
)
def test_ha_sip_caller_uri_is_read_within_bounds(
    parsed: str | None, caller: str, number: str | None
) -> None:
    event = {
        "event": "incoming_call",
        "internal_id": "a",
        "parsed_caller": parsed,
        "caller": caller,
    }
    (signal,) = HaSipProvider().parse(_request(json.dumps(event).encode()))
    assert signal == CallProgress("ha_sip:a", "ringing", number)


# --- generic -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a.b", 1),
        ("a.list.1", "y"),
        ("a.list.5", None),
        ("a.list.x", None),
        ("a.b.c", None),
        ("missing", None),
        # Digits int() refuses, or of another script: no index.
        ("a.list.\u00b9", None),
        ("a.list.\u0661", None),
    ],
)
def test_generic_lookup(path: str, expected: object) -> None:
    assert lookup({"a": {"b": 1, "list": ["x", "y"]}}, path) == expected


def test_generic_lookup_follows_paths_up_to_the_cap() -> None:
    deep: object = "found"
    for _ in range(MAX_PATH_PARTS + 1):
        deep = {"a": deep}
    assert lookup(deep, ".".join(["a"] * MAX_PATH_PARTS)) == {"a": "found"}
    assert lookup(deep, ".".join(["a"] * (MAX_PATH_PARTS + 1))) is None


def _generic(mode: AuthMode, secret: str = "s", **paths: str | None) -> GenericProvider:  # noqa: S107
    return GenericProvider(
        number_path=paths.get("number_path") or "n",
        status_path=paths.get("status_path") or "s",
        missed_values=["Missed "],
        name_path=paths.get("name_path"),
        call_id_path=paths.get("call_id_path"),
        auth_mode=mode,
        header="X-Sig",
        secret=secret,
    )


def test_generic_empty_secret_refuses_what_an_empty_secret_signs() -> None:
    body = b'{"n": "+1", "s": "missed"}'
    empty_mac = hmac.new(b"", body, hashlib.sha256).hexdigest()
    assert not _generic(AuthMode.HMAC, secret="").verify(
        _request(body, {"X-Sig": empty_mac})
    )
    assert not _generic(AuthMode.HEADER, secret="").verify(
        _request(body, {"X-Sig": ""})
    )


def test_generic_auth_modes() -> None:
    body = b'{"n": "+1", "s": "missed"}'
    mac = hmac.new(b"s", body, hashlib.sha256).hexdigest()
    assert _generic(AuthMode.HEADER).verify(_request(body, {"X-Sig": "s"}))
    assert not _generic(AuthMode.HEADER).verify(_request(body, {"X-Sig": "t"}))
    assert not _generic(AuthMode.HEADER).verify(_request(body))
    assert not _generic(AuthMode.HEADER, secret="").verify(
        _request(body, {"X-Sig": "x"})
    )
    assert _generic(AuthMode.HMAC).verify(_request(body, {"X-Sig": mac.upper()}))
    assert not _generic(AuthMode.HMAC).verify(_request(body, {"X-Sig": "s"}))
    assert _generic(AuthMode.NONE).verify(_request(body))


def test_generic_call_id_is_the_body_hash_without_a_path() -> None:
    body = b'{"n": "+1", "s": "MISSED"}'
    (signal,) = _generic(AuthMode.NONE).parse(_request(body))
    assert signal == CallEnded(
        f"generic:{hashlib.sha256(body).hexdigest()[:32]}", "+1", None, missed=True
    )
    with_paths = _generic(AuthMode.NONE, call_id_path="id", name_path="who")
    body = b'{"n": "+1", "s": "done", "id": 4, "who": "Al"}'
    assert with_paths.parse(_request(body)) == [
        CallEnded("generic:4", "+1", "Al", missed=False)
    ]


def test_generic_without_status_is_malformed() -> None:
    with pytest.raises(MalformedError):
        _generic(AuthMode.NONE).parse(_request(b'{"n": "+1"}'))


# --- building from config entry data -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "provider_type"),
    [
        ({"provider": "twilio", "auth_token": "t"}, TwilioProvider),
        ({"provider": "twilio_integration"}, TwilioProvider),
        ({"provider": "quo", "signing_key": QUO_KEY}, QuoProvider),
        ({"provider": "telnyx", "public_key": ""}, TelnyxProvider),
        ({"provider": "ha_sip"}, HaSipProvider),
        (
            {
                "provider": "generic",
                "number_path": "n",
                "status_path": "s",
                "secret": "x",
            },
            GenericProvider,
        ),
    ],
)
def test_build_provider(data: dict[str, Any], provider_type: type) -> None:
    assert isinstance(build_provider(data), provider_type)


@pytest.mark.parametrize(
    ("accept_unsigned", "accepted"), [(True, True), (False, False)]
)
def test_empty_secret_verifies_only_with_the_unsigned_choice(
    accept_unsigned: bool, accepted: bool
) -> None:
    for data in (
        {"provider": "twilio", "auth_token": " "},
        {"provider": "quo"},
        {"provider": "telnyx"},
        {"provider": "generic", "number_path": "n", "status_path": "s"},
    ):
        provider = build_provider({**data, "accept_unsigned": accept_unsigned})
        request = _request(b'{"n": 1, "s": 2}', urls=(URL,))
        assert provider.verify(request) is accepted, data
        # What the line is told: a reply that came unsigned is not verified.
        assert provider.signed is not accepted, data


@pytest.mark.parametrize(
    ("data", "signed"),
    [
        ({"provider": "twilio", "auth_token": "t", "accept_unsigned": True}, True),
        ({"provider": "quo", "signing_key": QUO_KEY}, True),
        ({"provider": "telnyx", "public_key": "x"}, True),
        ({"provider": "ha_sip"}, False),
        (
            {
                "provider": "generic",
                "number_path": "n",
                "status_path": "s",
                "secret": "x",
                "accept_unsigned": True,
            },
            True,
        ),
    ],
)
def test_a_provider_with_a_secret_is_signed(data: dict[str, Any], signed: bool) -> None:
    assert build_provider(data).signed is signed


def test_dispatcher_knows_whether_its_signals_were_verified() -> None:
    assert SignalDispatcher(_Sink()).verified
    assert not SignalDispatcher(_Sink(), verified=False).verified


# --- fuzzing: only MalformedError escapes, nothing verifies without the secret ------

_PRIVATE = Ed25519PrivateKey.generate()
_SIGNED: list[Provider] = [
    TwilioProvider("token"),
    QuoProvider(QUO_KEY),
    TelnyxProvider(
        base64.b64encode(
            _PRIVATE.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode()
    ),
    _generic(AuthMode.HMAC),
    _generic(AuthMode.HEADER, secret="a long shared secret"),  # noqa: S106
]
_headers = st.dictionaries(
    st.sampled_from(
        [
            "x-twilio-signature",
            "x-twilio-webhooks-signature-settings",
            "openphone-signature",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
            "telnyx-signature-ed25519",
            "telnyx-timestamp",
            "x-sig",
        ]
    ),
    st.text(max_size=60),
)


@settings(max_examples=300)
@given(body=st.binary(max_size=200), headers=_headers)
def test_fuzzed_requests_are_refused_or_malformed_never_crash(
    body: bytes, headers: dict[str, str]
) -> None:
    request = InboundRequest(headers=headers, body=body, urls=(URL,), now=NOW)
    for provider in [*_SIGNED, HaSipProvider()]:
        try:
            verified = provider.verify(request)
            provider.parse(request)
        except MalformedError:
            continue
        if provider in _SIGNED:
            assert not verified


@settings(max_examples=300)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "type",
                        "data",
                        "object",
                        "payload",
                        "event_type",
                        "event",
                        "internal_id",
                        "direction",
                        "from",
                        "id",
                        "answeredAt",
                        "text",
                        "body",
                        "participants",
                        "hangup_cause",
                        "call_session_id",
                        "n",
                        "s",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_fuzzed_json_parses_to_signals_or_malformed(value: object) -> None:
    request = _request(json.dumps(value).encode())
    for provider in [*_SIGNED[1:], HaSipProvider()]:
        try:
            signals = provider.parse(request)
        except MalformedError:
            continue
        assert all(
            isinstance(
                s,
                (CallEnded, CallPlaced, ReplyReceived, CallProgress, DeliveryReport),
            )
            for s in signals
        )


# --- the dispatcher's memory of reported calls ----------------------------------------


class _Sink:
    """Records what the dispatcher hands a line (tested over HTTP elsewhere)."""

    def __init__(self) -> None:
        self.tracker = CallTracker(lambda: "id")
        self.ended: list[str] = []

    def calls_ended(self, ended: list[EndedCall]) -> None:
        self.ended.extend(call.call_id for call in ended)

    def call_placed(self, number: object, at: datetime) -> None:
        """Not used here."""

    def reply_received(self, number: object, text: str) -> None:
        """Not used here."""


def test_dispatcher_remembers_the_latest_calls_only() -> None:
    sink = _Sink()
    dispatcher = SignalDispatcher(sink)
    calls = [
        CallEnded(f"c{i}", CALLER, None, missed=True) for i in range(_SEEN_CALLS + 1)
    ]
    dispatcher.dispatch([*calls, calls[-1]], NOW)
    assert len(sink.ended) == _SEEN_CALLS + 1
    # The oldest was forgotten to bound memory; the ledger still knows it.
    dispatcher.dispatch([calls[0], calls[-1]], NOW)
    assert sink.ended[-1] == "c0"
    assert len(sink.ended) == _SEEN_CALLS + 2


# --- hostile requests: linear time, nothing but MalformedError -----------------

# The budget of one request's verify and parse, best of three runs: each
# provider takes about 1 ms for 64 KiB; the ha-sip caller regex took seconds.
PARSE_BUDGET_SECONDS = 0.020

_TELNYX_PUBLIC = base64.b64encode(
    Ed25519PrivateKey.generate()
    .public_key()
    .public_bytes(Encoding.Raw, PublicFormat.Raw)
).decode()


# Signed (verify does all its work before refusing) and unsigned (parse
# always runs) lines of each provider.
_LINES: dict[str, list[Provider]] = {
    "twilio": [TwilioProvider("token"), TwilioProvider(None)],
    "quo": [QuoProvider(QUO_KEY), QuoProvider(None)],
    "telnyx": [TelnyxProvider(_TELNYX_PUBLIC), TelnyxProvider(None)],
    "ha_sip": [HaSipProvider()],
    "generic": [
        _generic(AuthMode.HMAC, **GENERIC_PATHS),
        _generic(AuthMode.NONE, **GENERIC_PATHS),
    ],
}
# Signatures of the right form that do not match (fresh timestamps).
_SIGNATURES = {
    "x-twilio-signature": "x",
    "openphone-signature": f"hmac;1;{TS * 1000};eA==",
    "telnyx-timestamp": str(TS),
    "telnyx-signature-ed25519": "eA==",
    "x-sig": "x",
}
# Twilio's candidate URLs as the webhook builds them.
_URLS = (
    "https://phone.example.com/hooks/line1",
    URL,
    "http://homeassistant.local:8123/api/webhook/abc",
    "http://127.0.0.1:8123/api/webhook/abc?x=1",
)


def _seconds_to_read(provider: Provider, body: bytes, headers: dict[str, str]) -> float:
    """Return the best of three runs of verify and then parse, as the webhook does."""
    best = float("inf")
    for _ in range(3):
        # A new body each run, as each request has: nothing read is reused.
        request = InboundRequest(
            headers=headers, body=bytes(bytearray(body)), urls=_URLS, now=NOW
        )
        start = time.perf_counter()
        try:
            provider.verify(request)
            provider.parse(request)
        except MalformedError:
            pass
        best = min(best, time.perf_counter() - start)
        if best < PARSE_BUDGET_SECONDS:
            break
    return best


@pytest.mark.parametrize("kind", list(_LINES))
def test_hostile_requests_are_read_in_linear_time(kind: str) -> None:
    bodies = hostile_bodies(kind)
    requests = [(what, body, _SIGNATURES) for what, body in bodies]
    requests += [
        (f"headers {', '.join(headers)}", bodies[0][1], {**_SIGNATURES, **headers})
        for headers in HOSTILE_HEADERS
    ]
    slow = {
        what: f"{seconds * 1000:.1f} ms"
        for provider in _LINES[kind]
        for what, body, headers in requests
        if (seconds := _seconds_to_read(provider, body, headers)) > PARSE_BUDGET_SECONDS
    }
    assert not slow


def test_json_nested_past_the_recursion_limit_is_malformed() -> None:
    # Python 3.13 raises RecursionError (read as "nested too deeply"); 3.14's
    # decoder reports the depth as a ValueError ("not JSON"): malformed either way.
    for body in (b"[" * CAP, b'{"a":' * (CAP // 5)):
        with pytest.raises(MalformedError, match=r"nested too deeply|not JSON"):
            json_object(body)
