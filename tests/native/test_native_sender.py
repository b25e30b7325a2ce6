"""The native sender: built from a sender kind, sends through the provider's API.

The API clients talk real HTTP through Home Assistant's shared session to the
local server that plays the providers (the far edge), reached the way the
browser end-to-end run reaches it: MISSED_CALL_TEXTBACK_API_BASE_<PROVIDER>.
"""

from __future__ import annotations

import logging

import aiohttp
import pytest

from custom_components.missed_call_textback.const import SenderKind
from custom_components.missed_call_textback.native import (
    NATIVE_SENDERS,
    SECRET_KEYS,
    NativeSender,
    api_base,
    build_api,
    classify_code,
)
from custom_components.missed_call_textback.native.common import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY,
    CONF_AUTH_TOKEN,
    CONF_FROM_NUMBER,
)
from custom_components.missed_call_textback.native.quo import QuoApi
from custom_components.missed_call_textback.native.telnyx import TelnyxApi
from custom_components.missed_call_textback.native.twilio import TwilioApi
from custom_components.missed_call_textback.sender import SendError, SendErrorKind

from .provider_server import (
    CALLER,
    FROM_NUMBER,
    QUO_API_KEY,
    TELNYX_API_KEY,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    ProviderServer,
)

CALLBACK = "https://hooks.example.com/api/webhook/receipts"
CREDENTIALS = {
    SenderKind.TWILIO: {
        CONF_ACCOUNT_SID: TWILIO_ACCOUNT_SID,
        CONF_AUTH_TOKEN: TWILIO_AUTH_TOKEN,
        CONF_FROM_NUMBER: FROM_NUMBER,
    },
    SenderKind.TELNYX: {CONF_API_KEY: TELNYX_API_KEY, CONF_FROM_NUMBER: FROM_NUMBER},
    SenderKind.QUO: {CONF_API_KEY: QUO_API_KEY, CONF_FROM_NUMBER: FROM_NUMBER},
}
SECRETS = (TWILIO_AUTH_TOKEN, TELNYX_API_KEY, QUO_API_KEY)


@pytest.fixture
def provider_env(provider: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every provider's API base at the local server."""
    for kind in NATIVE_SENDERS:
        monkeypatch.setenv(f"MISSED_CALL_TEXTBACK_API_BASE_{kind.name}", provider.base)


@pytest.mark.usefixtures("provider_env")
@pytest.mark.parametrize(
    ("kind", "route", "message_id"),
    [
        (SenderKind.TWILIO, "twilio.send", "SM" + "1".rjust(32, "0")),
        (SenderKind.TELNYX, "telnyx.send", "40385f64-5717-4562-b3fc-2c963f66a001"),
        (SenderKind.QUO, "quo.send", "AC000001"),
    ],
)
async def test_each_native_sender_texts_through_its_provider(
    provider: ProviderServer,
    session: aiohttp.ClientSession,
    kind: SenderKind,
    route: str,
    message_id: str,
) -> None:
    sender = NativeSender(build_api(kind, session, CREDENTIALS[kind]), CALLBACK)

    await sender.api.async_check()
    sent = await sender.async_send(
        number=CALLER,
        message="Sorry we missed you",
        caller_name="Pat",
        line_name="Main line",
        context=None,
    )

    assert sent == message_id
    assert len(provider.sent(route)) == 1


@pytest.mark.usefixtures("provider_env")
async def test_the_send_and_its_log_show_no_secret_and_no_full_number(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.missed_call_textback")
    for kind in NATIVE_SENDERS:
        sender = NativeSender(build_api(kind, session, CREDENTIALS[kind]), CALLBACK)
        await sender.async_send(
            number=CALLER,
            message="Hi",
            caller_name=None,
            line_name="Main line",
            context=None,
        )
        assert "accepted the text to +*********67" in caplog.text
        for shown in (caplog.text, repr(sender)):
            assert CALLER not in shown
            assert FROM_NUMBER not in shown
            assert CALLBACK not in shown
            for secret in SECRETS:
                assert secret not in shown


async def test_a_text_longer_than_the_provider_takes_fails_without_a_request(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    api = TelnyxApi(session, CREDENTIALS[SenderKind.TELNYX], provider.base)
    sender = NativeSender(api, None)

    with pytest.raises(SendError) as caught:
        await sender.async_send(
            number=CALLER,
            message="x" * (api.max_body + 1),
            caller_name=None,
            line_name="Main line",
            context=None,
        )

    assert caught.value.kind is SendErrorKind.PERMANENT
    assert caught.value.translation_key == "message_too_long"
    assert caught.value.detail == (
        "the text has 1531 characters; the provider takes at most 1530"
    )
    assert not provider.requests


async def test_the_send_error_of_the_api_reaches_the_caller(
    provider: ProviderServer, session: aiohttp.ClientSession
) -> None:
    wrong = {**CREDENTIALS[SenderKind.QUO], CONF_API_KEY: "wrong"}
    sender = NativeSender(QuoApi(session, wrong, provider.base), None)

    with pytest.raises(SendError) as caught:
        await sender.async_send(
            number=CALLER,
            message="Hi",
            caller_name=None,
            line_name="Main line",
            context=None,
        )

    assert caught.value.kind is SendErrorKind.AUTH


async def test_build_api_uses_the_providers_own_hosts_by_default(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    for kind in NATIVE_SENDERS:
        monkeypatch.delenv(f"MISSED_CALL_TEXTBACK_API_BASE_{kind.name}", raising=False)

    twilio = build_api(SenderKind.TWILIO, session, CREDENTIALS[SenderKind.TWILIO])
    telnyx = build_api(SenderKind.TELNYX, session, CREDENTIALS[SenderKind.TELNYX])
    quo = build_api(SenderKind.QUO, session, CREDENTIALS[SenderKind.QUO])

    assert isinstance(twilio, TwilioApi)
    assert twilio._api_base == "https://api.twilio.com"
    assert twilio._messaging_base == "https://messaging.twilio.com"
    assert isinstance(telnyx, TelnyxApi)
    assert telnyx._base == "https://api.telnyx.com/v2"
    assert isinstance(quo, QuoApi)
    assert quo._base == "https://api.quo.com/v1"


def test_api_base_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MISSED_CALL_TEXTBACK_API_BASE_QUO", " http://127.0.0.1:8300/ ")
    monkeypatch.setenv("MISSED_CALL_TEXTBACK_API_BASE_TELNYX", "")
    monkeypatch.delenv("MISSED_CALL_TEXTBACK_API_BASE_TWILIO", raising=False)

    assert api_base(SenderKind.QUO) == "http://127.0.0.1:8300"
    assert api_base(SenderKind.TELNYX) is None
    assert api_base(SenderKind.TWILIO) is None


async def test_build_api_knows_only_native_senders(
    session: aiohttp.ClientSession,
) -> None:
    assert {SenderKind.TWILIO, SenderKind.TELNYX, SenderKind.QUO} == NATIVE_SENDERS
    with pytest.raises(KeyError):
        build_api(SenderKind.NOTIFY, session, {})
    with pytest.raises(KeyError):
        build_api(SenderKind.TWILIO, session, {CONF_FROM_NUMBER: FROM_NUMBER})


@pytest.mark.parametrize(
    ("kind", "code", "meaning"),
    [
        (SenderKind.TWILIO, "30006", SendErrorKind.LANDLINE),
        (SenderKind.TWILIO, "30007", SendErrorKind.FILTERED),
        (SenderKind.TWILIO, "30034", SendErrorKind.FILTERED),
        (SenderKind.TWILIO, "21610", SendErrorKind.OPTED_OUT),
        (SenderKind.TWILIO, "30003", None),
        (SenderKind.TELNYX, "40001", SendErrorKind.LANDLINE),
        (SenderKind.TELNYX, "40002", SendErrorKind.FILTERED),
        (SenderKind.TELNYX, "40300", SendErrorKind.OPTED_OUT),
        (SenderKind.TELNYX, "40006", None),
        (SenderKind.QUO, "0206400", SendErrorKind.FILTERED),
        (SenderKind.QUO, "0200400", None),
        (SenderKind.TWILIO, None, None),
        (SenderKind.TWILIO, "", None),
        (SenderKind.NOTIFY, "30006", None),
        (SenderKind.ACTION, "30006", None),
    ],
)
def test_receipt_error_codes_are_classified_per_provider(
    kind: SenderKind, code: str | None, meaning: SendErrorKind | None
) -> None:
    assert classify_code(kind, code) is meaning


@pytest.mark.parametrize(
    ("arguments", "kind", "permanent"),
    [
        ({}, SendErrorKind.RETRY, False),
        ({"permanent": True}, SendErrorKind.PERMANENT, True),
        ({"kind": SendErrorKind.AUTH}, SendErrorKind.AUTH, True),
        ({"kind": SendErrorKind.LANDLINE}, SendErrorKind.LANDLINE, True),
        ({"kind": SendErrorKind.OPTED_OUT}, SendErrorKind.OPTED_OUT, True),
        ({"kind": SendErrorKind.FILTERED}, SendErrorKind.FILTERED, True),
        # The kind decides: a retryable kind is never permanent.
        ({"permanent": True, "kind": SendErrorKind.RETRY}, SendErrorKind.RETRY, False),
    ],
)
def test_send_error_kind_and_permanence(
    arguments: dict[str, object], kind: SendErrorKind, permanent: bool
) -> None:
    error = SendError("send_failed", "detail", **arguments)  # type: ignore[arg-type]

    assert error.kind is kind
    assert error.permanent is permanent
    assert error.code is None
    assert error.retry_after is None
    assert str(error) == "detail"


def test_every_secret_credential_is_listed_for_redaction() -> None:
    assert {CONF_AUTH_TOKEN, CONF_API_KEY} <= SECRET_KEYS
    assert CONF_FROM_NUMBER not in SECRET_KEYS
