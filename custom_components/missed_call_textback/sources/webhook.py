"""Source: a phone provider's webhook (Twilio, Quo, Telnyx, ha-sip, any JSON).

Each line registers one Home Assistant webhook. A request is read once, at
most 64 KiB, checked for the provider's signature, and turned into signals for
the line. The answer never gives more away than the status: 413 for a body
that is too large, 415 for the wrong media type, 401 for a missing, wrong or
stale signature, 400 for a body that cannot be read, 200 otherwise. Nothing
raises out of the handler, so Home Assistant never answers 500.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
import contextlib
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util

from ..calls import EndedCall, Outcome
from ..const import (
    CONF_RECEIPT_URL,
    CONF_RECEIPT_WEBHOOK_ID,
    CONF_REPLY_SOURCE,
    DOMAIN,
    LOGGER,
    TWILIO_EVENT,
    ReplySource,
)
from . import CallSource, LineSink, QuietSource, SourceHealth
from .providers import (
    CallEnded,
    CallPlaced,
    CallProgress,
    DeliveryReport,
    InboundRequest,
    MalformedError,
    Provider,
    ProviderDescription,
    ProviderKind,
    ProviderSignal,
    ReplyReceived,
)
from .providers.registry import PROVIDERS
from .providers.twilio import parse_fields
from .webhook_config import CONF_PROVIDER, CONF_PUBLIC_URL, CONF_WEBHOOK_ID

MAX_BODY_BYTES = 64 * 1024
# Call ids already taken, so a provider's retried callback is handled once
# even while the first delivery is still being texted.
_SEEN_CALLS = 512
# Twilio and generic webhooks give no start of a call; such a call counts as
# having rung long enough, so the minimum-ring rule cannot drop it.
UNKNOWN_START = datetime(2000, 1, 1, tzinfo=UTC)


class SignalDispatcher:
    """Hands provider signals to the line, each provider call once."""

    def __init__(
        self, sink: LineSink, *, replies: bool = True, verified: bool = True
    ) -> None:
        """Initialize for one line; replies=False drops text messages.

        verified=False when the signals come unsigned (the owner accepts
        unsigned requests, or Home Assistant's Twilio integration, which
        checks no signature): anyone who knows the URL could have sent them.
        """
        self._sink = sink
        self._replies = replies
        self.verified = verified
        self._seen: OrderedDict[str, None] = OrderedDict()

    @callback
    def dispatch(self, signals: list[ProviderSignal], now: datetime) -> None:
        """Apply the signals of one request."""
        for signal in signals:
            if isinstance(signal, CallEnded):
                self._call_ended(signal, now)
            elif isinstance(signal, CallPlaced):
                self._sink.call_placed(signal.number, now)
            elif isinstance(signal, ReplyReceived):
                if self._replies:
                    self._sink.reply_received(
                        signal.number, signal.text, verified=self.verified
                    )
            elif isinstance(signal, DeliveryReport):
                self._sink.delivery_reported(signal, verified=self.verified)
            else:
                self._progress(signal, now)

    def _call_ended(self, signal: CallEnded, now: datetime) -> None:
        if signal.call_id in self._seen:
            LOGGER.debug("Call %s was already reported", signal.call_id)
            return
        self._seen[signal.call_id] = None
        if len(self._seen) > _SEEN_CALLS:
            self._seen.popitem(last=False)
        self._sink.calls_ended(
            [
                EndedCall(
                    call_id=signal.call_id,
                    number=signal.number,
                    caller_name=signal.caller_name,
                    started_at=UNKNOWN_START
                    if signal.ring_seconds is None
                    else now - timedelta(seconds=signal.ring_seconds),
                    ended_at=now,
                    outcome=Outcome.MISSED if signal.missed else Outcome.ANSWERED,
                )
            ]
        )

    def _progress(self, signal: CallProgress, now: datetime) -> None:
        tracker = self._sink.tracker
        if signal.stage == "ringing":
            tracker.ringing(signal.key, signal.number, signal.caller_name, now)
        elif signal.stage == "answered":
            # Only a call we saw ring: ha-sip also reports its outgoing calls,
            # and the tracker would otherwise mark the newest ringing call.
            if not tracker.is_new_call(signal.key, None):
                tracker.answered(key=signal.key)
        elif ended := tracker.ended(signal.key, now):
            self._sink.calls_ended(ended)


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


class WebhookSource(QuietSource):
    """Hears one line's calls through a provider's webhook."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        name: str,
        webhook_id: str,
        provider: Provider,
        description: ProviderDescription,
        sink: LineSink,
        now: Callable[[], datetime],
        public_url: str | None = None,
        receipt_url: str | None = None,
        on_rejected: Callable[[], None],
    ) -> None:
        """Initialize the source.

        receipt_url is the URL a native sender asks its receipts at, when they
        come to this webhook: the provider signs it, not the calls' URL.
        """
        self._hass = hass
        self._name = name
        self.webhook_id = webhook_id
        self._provider = provider
        self._dispatcher = SignalDispatcher(sink, verified=provider.signed)
        self._now = now
        self._description = description
        self._public_url = public_url
        self._receipt_url = receipt_url
        self._on_rejected = on_rejected
        self.rejected = 0
        self._warned = False

    def health(self) -> SourceHealth:
        """Return how many requests were refused (forged, stale, malformed)."""
        return SourceHealth(rejected_requests=self.rejected)

    async def async_start(self) -> CALLBACK_TYPE:
        """Register the webhook."""
        webhook.async_register(
            self._hass,
            DOMAIN,
            self._name,
            self.webhook_id,
            self._async_handle,
            local_only=self._description.local_only,
            allowed_methods=["POST"],
        )

        @callback
        def _unregister() -> None:
            webhook.async_unregister(self._hass, self.webhook_id)

        return _unregister

    async def _async_handle(
        self,
        hass: HomeAssistant,  # noqa: ARG002
        webhook_id: str,  # noqa: ARG002
        request: Request,
    ) -> Response:
        try:
            return await self._async_answer(request)
        except Exception:  # noqa: BLE001 - a provider must never see a 500
            LOGGER.debug(
                "%s: could not read a webhook request", self._name, exc_info=True
            )
            return self._reject(HTTPStatus.BAD_REQUEST, "unreadable request")

    async def _async_answer(self, request: Request) -> Response:
        length = request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return self._reject(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too large")
        media_type = _media_type(request.headers.get("Content-Type", ""))
        if media_type != self._provider.content_type:
            return self._reject(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "wrong media type")
        body = await self._async_read(request)
        if body is None:
            return self._reject(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too large")
        now = self._now()
        inbound = InboundRequest(
            headers={key.lower(): value for key, value in request.headers.items()},
            body=body,
            urls=self._signed_urls(request) if self._description.signs_url else (),
            now=now,
        )
        try:
            if not self._provider.verify(inbound):
                return self._reject_signature()
            signals = self._provider.parse(inbound)
        except MalformedError as err:
            return self._reject(HTTPStatus.BAD_REQUEST, str(err))
        self._dispatcher.dispatch(signals, now)
        if (reply := self._description.reply) is not None:
            return Response(
                text=reply.body, content_type=reply.content_type, status=HTTPStatus.OK
            )
        return Response(status=HTTPStatus.OK)

    @staticmethod
    async def _async_read(request: Request) -> bytes | None:
        """Read the body, or None when it is larger than the cap."""
        # Once: Home Assistant Cloud's stand-in request makes a new reader
        # each time its content is asked for.
        content = request.content
        body = b""
        while len(body) <= MAX_BODY_BYTES:
            chunk = await content.read(MAX_BODY_BYTES + 1 - len(body))
            if not chunk:
                return body
            body += chunk
        return None

    def _signed_urls(self, request: Request) -> tuple[str, ...]:
        """Return the URLs a provider may have signed, the likeliest first."""
        query = f"?{request.query_string}" if request.query_string else ""
        path = webhook.async_generate_path(self.webhook_id)
        urls = [
            public if "?" in public else public + query
            for public in (self._public_url, self._receipt_url)
            if public
        ]
        with contextlib.suppress(NoURLAvailableError):
            external = get_url(self._hass, allow_internal=False, allow_cloud=False)
            urls.append(external + path + query)
        with contextlib.suppress(NoURLAvailableError):
            # The URL the setup flow showed the owner to paste into Twilio
            # (webhook_url): with no external URL set, the internal one.
            shown = webhook.async_generate_url(self._hass, self.webhook_id)
            urls.append(shown + query)
        # As the request itself says (behind a proxy Home Assistant trusts,
        # from its X-Forwarded headers).
        seen = str(getattr(request, "url", "") or "")
        if seen.startswith(("http://", "https://")):
            urls.append(seen)
        # A reverse proxy that terminates TLS without X-Forwarded-Proto (or an
        # owner who published the http URL behind one) makes Twilio sign the
        # https form of a URL that reads http here.
        urls += [
            "https://" + url.removeprefix("http://")
            for url in urls
            if url.startswith("http://")
        ]
        return tuple(dict.fromkeys(urls))

    def _reject_signature(self) -> Response:
        if not self._warned:
            # Once per start: a wrong secret or URL shows in the log, a flood
            # of forged requests does not.
            self._warned = True
            LOGGER.warning(
                "%s: a webhook request had no valid signature; check the secret "
                "and, for Twilio, the webhook URL in the line's settings",
                self._name,
            )
        return self._reject(HTTPStatus.UNAUTHORIZED, "bad or stale signature")

    def _reject(self, status: HTTPStatus, why: str) -> Response:
        LOGGER.debug("%s: webhook request rejected (%s): %s", self._name, status, why)
        self.rejected += 1
        self._on_rejected()
        return Response(status=status)


class TwilioEventSource(QuietSource):
    """Hears calls through Home Assistant's Twilio integration (unsigned).

    Core twilio does not check X-Twilio-Signature; it fires its event with
    whatever was posted to its webhook.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        sink: LineSink,
        now: Callable[[], datetime],
        *,
        replies: bool,
    ) -> None:
        """Initialize; replies=False when the line hears them elsewhere."""
        self._hass = hass
        self._dispatcher = SignalDispatcher(sink, replies=replies, verified=False)
        self._now = now

    async def async_start(self) -> CALLBACK_TYPE:
        """Listen to the Twilio integration's event."""
        return self._hass.bus.async_listen(TWILIO_EVENT, self._async_event)

    @callback
    def _async_event(self, event: Event[Mapping[str, Any]]) -> None:
        try:
            signals = parse_fields(event.data)
        except MalformedError as err:
            LOGGER.debug("Ignored a Twilio event: %s", err)
            return
        self._dispatcher.dispatch(signals, self._now())


def build_webhook_source(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    sink: LineSink,
    on_rejected: Callable[[], None],
) -> CallSource:
    """Build the source a webhook line's config entry asks for."""
    data = entry.data
    description = PROVIDERS[ProviderKind(data[CONF_PROVIDER])]
    if not description.webhook:
        # Home Assistant's Twilio integration, the only provider heard without
        # a webhook; the line's replies option may already take its messages.
        replies = entry.options.get(CONF_REPLY_SOURCE) != ReplySource.TWILIO
        return TwilioEventSource(hass, sink, dt_util.utcnow, replies=replies)
    options = entry.options
    # A native sender of the same provider has its receipts sent here.
    takes_receipts = options.get(CONF_RECEIPT_WEBHOOK_ID) == data[CONF_WEBHOOK_ID]
    return WebhookSource(
        hass,
        name=entry.title,
        webhook_id=data[CONF_WEBHOOK_ID],
        provider=description.build(data),
        description=description,
        sink=sink,
        now=dt_util.utcnow,
        public_url=str(data.get(CONF_PUBLIC_URL) or "") or None,
        receipt_url=(str(options.get(CONF_RECEIPT_URL) or "") or None)
        if takes_receipts
        else None,
        on_rejected=on_rejected,
    )


def webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """Return the URL a provider should call (the external one when set)."""
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)
