"""Receipts: what a provider says of the line's texts, and what its errors mean.

A native sender (Twilio, Telnyx, Quo) answers each send with the message's id
and later posts a receipt for it. This stage keeps the two together: a final
receipt is noted once per text (text_delivered / text_undelivered, the
analytics), and a provider's error, at send time or in a receipt, is applied
to the number and the line:

- LANDLINE: the number is never texted again (skip reason ``landline``) and
  the owner is told once;
- FILTERED: a repair explains A2P 10DLC registration;
- OPTED_OUT: the number is opted out, as if it had replied STOP;
- AUTH (at send time): the owner is asked for new credentials;
- RETRY: the next attempt waits at least as long as the provider asked.

A receipt nothing proved (no signature) is noted, but changes no number.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from . import repairs
from .changes import Change
from .const import LOGGER, CallEvent, SenderKind, SkipReason
from .events import LineEvents
from .ledger import HistoryRecord, Ledger
from .native import classify_code
from .phone import mask_number
from .sender import SendError, SendErrorKind
from .settings import LineSettings
from .sources import CallSource, LineSink
from .sources.providers import CONF_ACCEPT_UNSIGNED, DeliveryReport, ProviderKind
from .sources.providers.registry import PROVIDERS
from .sources.webhook import WebhookSource
from .sources.webhook_config import CONF_WEBHOOK_ID

if TYPE_CHECKING:
    from .calls import CallTracker, EndedCall

# Receipts that came before the send they belong to was recorded (a fast
# carrier, a slow disk): kept a little while, the newest few only.
_EARLY_RECEIPTS = 32
# The senders whose provider posts receipts, and the webhook provider that
# reads them.
_RECEIPT_PROVIDERS = {
    SenderKind.TWILIO: ProviderKind.TWILIO,
    SenderKind.TELNYX: ProviderKind.TELNYX,
    SenderKind.QUO: ProviderKind.QUO,
}


def takes_receipts(sender: SenderKind) -> bool:
    """Return whether texts of this sender get receipts (a native sender)."""
    return sender in _RECEIPT_PROVIDERS


class Receipts:
    """Receipts and provider errors of one line's texts."""

    def __init__(
        self,
        *,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        ledger: Ledger,
        settings: Callable[[], LineSettings],
        events: LineEvents,
        save_now: Callable[[], Coroutine[Any, Any, None]],
        track: Callable[[Coroutine[Any, Any, Any], str], None],
    ) -> None:
        """Initialize the stage of one line."""
        self._hass = hass
        self._entry = entry
        self._ledger = ledger
        self._settings = settings
        self._events = events
        self._save_now = save_now
        self._track = track
        self._early: OrderedDict[str, tuple[DeliveryReport, bool]] = OrderedDict()

    # --- at send time -----------------------------------------------------

    @staticmethod
    def retry_at(error: SendError, now: datetime, delay: timedelta) -> datetime:
        """Return when to try again: the schedule's delay or the provider's wait."""
        if error.retry_after is not None and error.retry_after > 0:
            delay = max(delay, timedelta(seconds=error.retry_after))
        return now + delay

    @callback
    def async_send_failed(self, number: str, error: SendError) -> None:
        """Apply what the provider's refusal of a text means."""
        if error.kind is SendErrorKind.AUTH:
            LOGGER.warning(
                "%s: the provider refused the credentials; asking for new ones",
                self._settings().line_name,
            )
            self._entry.async_start_reauth(self._hass)
            return
        self._apply(error.kind, number, error.code)

    @callback
    def async_sent(self, record: HistoryRecord) -> None:
        """Take a receipt that came before its text was recorded as sent."""
        if record.message_id is not None and (
            early := self._early.pop(record.message_id, None)
        ):
            self.async_report(early[0], verified=early[1])

    # --- receipts ---------------------------------------------------------

    @callback
    def async_report(self, report: DeliveryReport, *, verified: bool) -> None:
        """Note a text's final receipt once and apply what it means."""
        if not report.final:
            # A step on the way (queued, sent to the carrier): nothing known yet.
            return
        record = self._ledger.record_delivery(
            report.message_id,
            delivered=report.delivered,
            error_code=report.error_code,
        )
        if record is None:
            if self._ledger.record_of_message(report.message_id) is None:
                # Not (yet) a text of this line's history: a test text, an
                # answer to HELP, or a receipt faster than the send's end.
                self._early[report.message_id] = (report, verified)
                if len(self._early) > _EARLY_RECEIPTS:
                    self._early.popitem(last=False)
            return
        base = {
            **self._events.data(
                record.call_id, record.number, record.caller_name, record.variant
            ),
            "message_id": report.message_id,
        }
        if report.delivered:
            repairs.clear_filtered(self._hass, self._entry.entry_id)
            self._events.fire(CallEvent.TEXT_DELIVERED, base, None, Change.RECEIPTS)
            return
        meaning = classify_code(self._settings().sender, report.error_code)
        self._events.fire(
            CallEvent.TEXT_UNDELIVERED,
            {
                **base,
                "error_code": report.error_code,
                "meaning": meaning.value if meaning is not None else None,
            },
            None,
            Change.RECEIPTS,
        )
        if meaning is None or record.number is None:
            return
        if not verified:
            LOGGER.debug(
                "%s: an unsigned receipt changes no number",
                self._settings().line_name,
            )
            return
        self._apply(meaning, record.number, report.error_code)

    def _apply(self, kind: SendErrorKind, number: str, code: str | None) -> None:
        settings = self._settings()
        entry_id = self._entry.entry_id
        if kind is SendErrorKind.LANDLINE:
            if self._ledger.mark_not_textable(
                number, SkipReason.LANDLINE, dt_util.utcnow()
            ):
                LOGGER.debug(
                    "%s: %s cannot take texts; it will not be texted again",
                    settings.line_name,
                    mask_number(number),
                )
                repairs.raise_not_textable(
                    self._hass, entry_id, settings.line_name, number
                )
        elif kind is SendErrorKind.FILTERED:
            repairs.raise_filtered(
                self._hass,
                entry_id,
                settings.line_name,
                settings.sender.value.capitalize(),
                code or "",
            )
        elif kind is SendErrorKind.OPTED_OUT and self._ledger.opt_out(
            number, dt_util.utcnow()
        ):
            # On disk at once, like a STOP the line heard itself.
            self._track(self._save_now(), "opt-out")


class ReceiptSink:
    """What a line's own receipt webhook hands on: receipts and replies, no calls.

    Its provider's number may still post call callbacks there; the line hears
    its calls elsewhere, so they are dropped.
    """

    def __init__(self, line: LineSink) -> None:
        """Initialize for one line."""
        self._line = line

    @property
    def tracker(self) -> CallTracker:
        """Return the line's call tracker (for the protocol; never used)."""
        return self._line.tracker

    def calls_ended(self, ended: list[EndedCall]) -> None:
        """Drop calls: the line hears them from its own source."""
        LOGGER.debug("Receipt webhook: %s call(s) ignored", len(ended))

    def call_placed(self, number: object, at: datetime) -> None:  # noqa: ARG002
        """Drop outgoing calls, like incoming ones."""
        LOGGER.debug("Receipt webhook: an outgoing call ignored")

    def reply_received(
        self, number: object, text: str, *, verified: bool = True
    ) -> None:
        """Hand a caller's reply (STOP, HELP, ...) to the line."""
        self._line.reply_received(number, text, verified=verified)

    def delivery_reported(self, report: DeliveryReport, *, verified: bool) -> None:
        """Hand a receipt to the line."""
        self._line.delivery_reported(report, verified=verified)


def build_receipt_source(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    settings: LineSettings,
    line: LineSink,
    on_rejected: Callable[[], None],
) -> CallSource | None:
    """Build the webhook that takes a native sender's receipts and replies.

    None when the line has none, or when its calls come from the same
    provider's webhook, which takes them already.
    """
    webhook_id = settings.receipt_webhook_id
    kind = _RECEIPT_PROVIDERS.get(settings.sender)
    if kind is None or not webhook_id or webhook_id == entry.data.get(CONF_WEBHOOK_ID):
        return None
    description = PROVIDERS[kind]
    secret_field = description.secret_field or ""
    secret = str(settings.credentials.get(secret_field) or "").strip()
    # Without the secret nothing can be verified: receipts are then noted
    # but change no number, and a reply may opt out but never back in.
    provider = description.build(
        {secret_field: secret, CONF_ACCEPT_UNSIGNED: not secret}
    )
    return WebhookSource(
        hass,
        name=f"{entry.title} receipts",
        webhook_id=webhook_id,
        provider=provider,
        description=description,
        sink=ReceiptSink(line),
        now=dt_util.utcnow,
        public_url=settings.receipt_url,
        on_rejected=on_rejected,
    )
