"""Missed calls: from a call that ended to a text sent, scheduled or skipped.

A missed call runs through policy.py's decision; a text decided is on disk
(the outbox) before any attempt, and Delivery starts or schedules each attempt.
This stage holds both ends: the decision, and what one attempt leaves behind
(history, the caller's lead, a retry or a repair). Time comes in through `now`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import datetime, timedelta
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.core import Context, callback
from homeassistant.util import dt as dt_util

from . import quiet
from .business_hours import BusinessHours
from .calls import EndedCall, Outcome
from .changes import Change
from .const import LOGGER, CallEvent, Mode, SkipReason, VariantMode
from .delivery import Delivery
from .events import LineEvents
from .follow_ups import FollowUps
from .leads import Lead, Resolution
from .ledger import HistoryRecord, Ledger, OutboxItem
from .message import MessageRenderer
from .outbox import Outbox, Sent
from .phone import PhoneNumber, mask_number, normalize_number, scrub_numbers
from .policy import Facts, Rules, Send, decide
from .receipts import Receipts
from .send_repairs import SendRepairs
from .sender import SendError, SendErrorKind
from .settings import LineSettings
from .switches import OwnerSwitches

type Result = dict[str, Any]


class MissedCalls:
    """Texts back one line's missed calls."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        delivery: Delivery,
        outbox: Callable[[], Outbox],
        events: LineEvents,
        follow_ups: FollowUps,
        settings: Callable[[], LineSettings],
        switches: OwnerSwitches,
        hours: BusinessHours,
        renderer: MessageRenderer,
        send_repairs: SendRepairs,
        receipts: Receipts,
        now: Callable[[], datetime],
        track: Callable[[Coroutine[Any, Any, Any], str], None],
    ) -> None:
        """Initialize the stage of one line; outbox is built when the line starts."""
        self._ledger = ledger
        self._delivery = delivery
        self._outbox = outbox
        self._events = events
        self._follow_ups = follow_ups
        self._settings = settings
        self._switches = switches
        self._hours = hours
        self._renderer = renderer
        self._send_repairs = send_repairs
        self._receipts = receipts
        self._now = now
        self._track = track
        self._kept_rules: tuple[LineSettings, Mode, Rules] | None = None

    # --- calls the source heard --------------------------------------------

    @callback
    def call_placed(self, number: object, at: datetime) -> None:
        """Take an outgoing call the owner placed: a waiting text to it is moot."""
        LOGGER.debug("%s: outgoing call at %s", self._settings().line_name, at)
        self._cancel_scheduled(number, SkipReason.CALLED_BACK)
        self._follow_ups.async_resolve_number(number, at, Resolution.CALLED_BACK)

    @callback
    def calls_ended(self, ended: list[EndedCall]) -> None:
        """Text back the missed calls among the calls that ended."""
        settings = self._settings()
        for call in ended:
            if call.outcome is Outcome.ANSWERED:
                LOGGER.debug(
                    "%s: call %s was answered", settings.line_name, call.call_id
                )
                # The caller rang again and got through: no text needed.
                self._cancel_scheduled(call.number, SkipReason.ANSWERED_LATER)
                self._follow_ups.async_resolve_number(
                    call.number, call.started_at, Resolution.ANSWERED
                )
                continue
            if call.outcome is Outcome.VOICEMAIL and not settings.text_voicemail:
                LOGGER.debug(
                    "%s: call %s reached voicemail", settings.line_name, call.call_id
                )
                continue
            self._track(
                self.async_handle_missed(
                    call_id=call.call_id,
                    number=call.number,
                    caller_name=call.caller_name,
                    missed_at=call.ended_at,
                    ring_time=call.ended_at - call.started_at,
                    while_busy=call.while_busy,
                ),
                call.call_id,
            )

    @callback
    def _cancel_scheduled(self, number: object, reason: SkipReason) -> None:
        """Drop the texts to a number that still wait for their first attempt."""
        normalized = normalize_number(number, self._settings().region)
        if not isinstance(normalized, PhoneNumber):
            return
        for item in self._ledger.scheduled_for(normalized.e164):
            if self._delivery.in_flight(item.call_id):
                continue  # already being sent: too late to take it back
            self._delivery.cancel(item.call_id)
            self._outbox().give_up(item)
            self._record_skip(self._item_data(item), reason, self._when(item), None)

    # --- the decision ------------------------------------------------------

    async def async_handle_missed(
        self,
        *,
        call_id: str,
        number: object,
        caller_name: str | None,
        missed_at: datetime,
        ring_time: timedelta | None = None,
        while_busy: bool = False,
        context: Context | None = None,
    ) -> Result:
        """Run one missed call through policy, outbox and sender."""
        normalized = normalize_number(number, self._settings().region)
        shown = normalized.e164 if isinstance(normalized, PhoneNumber) else _raw(number)
        base = self._events.data(call_id, shown, caller_name)
        # Awaited before the ledger is read: from there to the outbox nothing
        # yields, so a second call from the number cannot slip in between.
        zones = await self._async_quiet_zones(normalized)
        already = self._ledger.is_handled(call_id)
        if not already:
            self._ledger.count_missed(missed_at)
            self._events.fire(CallEvent.MISSED_CALL, base, context, Change.MISSED)

        now = self._now()
        settings = self._settings()  # as it is after the await
        rules = self._rules(settings, self._switches.mode)
        is_open = self._hours.state(missed_at).is_open
        quiet_until = (
            None
            if settings.quiet_hours is None
            else quiet.quiet_until(settings.quiet_hours, now + rules.delay, zones)
        )
        decision = decide(
            number=normalized,
            enabled=self._switches.enabled,
            rules=rules,
            facts=self._facts(
                normalized,
                now,
                already_handled=already,
                is_open=is_open,
                while_busy=while_busy,
                quiet_until=quiet_until,
            ),
            ring_time=ring_time,
            now=now,
        )
        if not isinstance(decision, Send):
            return self._record_skip(
                base, decision.reason, missed_at, context, new=not already
            )

        # The cooldown and the caps count at the decision, so a burst of calls
        # yields one text per number even while the first is still being sent.
        self._ledger.mark_texted(decision.number.e164, now, settings.cooldown)
        self._ledger.note_send(now, keep=max(rules.hourly_cap, rules.daily_cap))
        item = OutboxItem(
            call_id=call_id,
            number=decision.number.e164,
            message="",
            caller_name=caller_name,
            missed_at=missed_at.isoformat(),
            created_at=now.isoformat(),
            variant=self._assign_variant(settings),
            after_hours=self._hours.configured and not is_open,
        )
        if decision.at is None or decision.at <= now:
            item = replace(item, message=self._renderer.render_item(item))
            await self._outbox().async_put(item)
            return await self._async_send_now(item, context)
        # Rendered when due, so "next_open" is said from the moment it is sent.
        item = replace(item, next_attempt_at=decision.at.isoformat())
        await self._outbox().async_put(item)
        self._delivery.schedule(call_id, decision.at)
        self._events.fire(
            CallEvent.TEXT_SCHEDULED,
            {
                **self._item_data(item),
                "send_at": decision.at.isoformat(),
                "reason": "delay" if quiet_until is None else "quiet_hours",
            },
            context,
            Change.NONE,  # no entity shows waiting texts
        )
        return {
            "call_id": call_id,
            "result": "scheduled",
            "send_at": decision.at.isoformat(),
            "variant": item.variant,
        }

    async def _async_quiet_zones(
        self, number: PhoneNumber | SkipReason
    ) -> list[ZoneInfo]:
        """Return the zones whose quiet hours hold a text to this number."""
        if self._settings().quiet_in_callers_time and isinstance(number, PhoneNumber):
            return await self._hours.async_caller_zones(number.e164)
        return [self._hours.tz]

    def _facts(
        self,
        number: PhoneNumber | SkipReason,
        now: datetime,
        *,
        already_handled: bool,
        is_open: bool,
        while_busy: bool,
        quiet_until: datetime | None,
    ) -> Facts:
        e164 = number.e164 if isinstance(number, PhoneNumber) else None
        ledger = self._ledger
        return Facts(
            already_handled=already_handled,
            is_open=is_open,
            while_busy=while_busy,
            quiet_until=quiet_until,
            # What is known of the number (nothing, if it is none).
            last_texted_at=None if e164 is None else ledger.last_texted_at(e164),
            opted_out=e164 is not None and ledger.is_opted_out(e164),
            landline=e164 is not None and ledger.is_not_textable(e164),
            sent_last_hour=ledger.sent_since(now - timedelta(hours=1)),
            sent_last_day=ledger.sent_since(now - timedelta(days=1)),
        )

    def _rules(self, settings: LineSettings, mode: Mode) -> Rules:
        """Return the policy's rules, built again only when settings or mode change."""
        kept = self._kept_rules
        if kept is None or kept[0] is not settings or kept[1] is not mode:
            kept = self._kept_rules = (settings, mode, settings.rules(mode))
        return kept[2]

    def _assign_variant(self, settings: LineSettings) -> str:
        variants = [variant.variant_id for variant in settings.variants]
        if len(variants) == 1:
            return variants[0]
        if settings.variant_mode == VariantMode.RANDOM:
            return secrets.choice(variants)
        return self._ledger.next_variant(variants)

    def _record_skip(
        self,
        base: dict[str, Any],
        reason: SkipReason,
        missed_at: datetime,
        context: Context | None,
        *,
        new: bool = True,
    ) -> Result:
        line_name = self._settings().line_name
        LOGGER.debug(
            "%s: not texting %s: %s",
            line_name,
            mask_number(base["number"] or ""),
            reason,
        )
        if new:
            self._ledger.add_history(
                HistoryRecord(
                    call_id=base["call_id"],
                    missed_at=missed_at.isoformat(),
                    number=base["number"],
                    caller_name=base["caller_name"],
                    result="skipped",
                    reason=reason,
                    variant=base["variant"],
                )
            )
        if reason is SkipReason.RATE_CAPPED:
            self._send_repairs.rate_capped()
        self._events.fire(
            CallEvent.TEXT_SKIPPED, {**base, "reason": reason}, context, Change.NONE
        )
        return {"call_id": base["call_id"], "result": "skipped", "reason": reason}

    # --- the send ------------------------------------------------------------

    async def _async_send_now(
        self, item: OutboxItem, context: Context | None
    ) -> Result:
        """Send a text just decided and return what became of it."""
        pending = {"call_id": item.call_id, "result": "pending"}
        if (task := self._delivery.start(item.call_id, context)) is None:
            # Another path (the resume at start) is sending it already.
            return pending
        try:
            result: Result = await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            # The line stopped mid-send: the text stays on disk for the next start.
            return pending
        return result

    async def async_deliver(self, item: OutboxItem, context: Context | None) -> Result:
        """Attempt a persisted text; on failure retry later or give up.

        Only Delivery calls this, at most once at a time per item.
        """
        base = self._item_data(item)
        outbox = self._outbox()
        stop = (
            SkipReason.OPTED_OUT
            if self._ledger.is_opted_out(item.number)
            # The owner switched texting off while the text waited its turn.
            else SkipReason.DISABLED
            if item.scheduled and not self._switches.enabled
            else None
        )
        if stop is not None:
            # STOP arrived while the text waited for a retry or a restart.
            outbox.give_up(item)
            return self._record_skip(base, stop, self._when(item), context)
        if not item.message:
            item = replace(item, message=self._renderer.render_item(item))
        outcome = await outbox.async_send(item, context)
        if isinstance(outcome, Sent):
            return self._record_sent(item, base, context, outcome.message_id)
        error = outcome
        settings = self._settings()
        LOGGER.warning(
            "%s: attempt %s to text call %s failed: %s",
            settings.line_name,
            item.attempts + 1,
            item.call_id,
            scrub_numbers(error.detail),
        )
        if error.translation_key == "notify_missing":
            self._send_repairs.notify_missing()
        # A landline, a filtered text, an opt-out or refused credentials mean
        # more than this text failed (receipts.py).
        self._receipts.async_send_failed(item.number, error)
        delays = settings.retry_delays
        retry_at: datetime | None = None
        attempt = item.attempts + 1
        if not error.permanent and item.attempts < len(delays):
            retry_at = self._receipts.retry_at(
                error, self._now(), delays[item.attempts]
            )
            # Delivery sets the retry's timer once this attempt is over.
            attempt = (await outbox.async_retry_later(item, retry_at)).attempts
        else:
            self._give_up(item, error)
        self._events.fire(
            CallEvent.TEXT_FAILED,
            {
                **base,
                "error": error.detail,
                "attempt": attempt,
                "retry_at": retry_at.isoformat() if retry_at else None,
            },
            context,
            Change.NONE,
        )
        result = {"call_id": item.call_id, "result": "failed", "error": error.detail}
        if retry_at is not None:
            result["retry_at"] = retry_at.isoformat()
        return result

    def _give_up(self, item: OutboxItem, error: SendError) -> None:
        """Drop a text no attempt will send; say so in its history and a repair."""
        self._outbox().give_up(item)
        self._ledger.add_history(_history(item, "failed", error=error.detail))
        if error.kind in (SendErrorKind.PERMANENT, SendErrorKind.RETRY):
            # The other kinds have a repair or a flow of their own.
            self._send_repairs.gave_up(error)

    def _record_sent(
        self,
        item: OutboxItem,
        base: dict[str, Any],
        context: Context | None,
        message_id: str | None,
    ) -> Result:
        now = self._now()
        self._ledger.count_sent(now)
        record = _history(
            item, "sent", texted_at=now.isoformat(), message_id=message_id
        )
        self._ledger.add_history(record)
        variant = self._settings().variant(item.variant)
        self._ledger.leads.add(
            Lead(
                call_id=item.call_id,
                number=item.number,
                caller_name=item.caller_name,
                variant=item.variant,
                missed_at=self._when(item),
                texted_at=now,
                due_at=now + timedelta(minutes=variant.response_minutes),
            )
        )
        self._ledger.leads_changed()
        self._send_repairs.sent()
        sent = {**base, "message": item.message}
        if message_id is not None:
            sent["message_id"] = message_id
        self._events.fire(
            CallEvent.TEXT_SENT, sent, context, Change.TEXTS | Change.LEADS
        )
        # A receipt may have come before the send's answer did.
        self._receipts.async_sent(record)
        # A promise shorter than the reminder lead time is reminded of at once.
        self._follow_ups.async_moment(now, redraw=False)
        return {
            "call_id": item.call_id,
            "result": "sent",
            "number": item.number,
            "message": item.message,
            "variant": item.variant,
        }

    def _item_data(self, item: OutboxItem) -> dict[str, Any]:
        """Return the fields every event about a decided text carries."""
        return self._events.data(
            item.call_id, item.number, item.caller_name, item.variant
        )

    def _when(self, item: OutboxItem) -> datetime:
        """Read when an item's call was missed; an unreadable moment counts as now."""
        return dt_util.parse_datetime(item.missed_at) or self._now()


def _raw(number: object) -> str | None:
    if number is None:
        return None
    text = str(number).strip()
    return text or None


def _history(
    item: OutboxItem,
    result: str,
    *,
    error: str | None = None,
    texted_at: str | None = None,
    message_id: str | None = None,
) -> HistoryRecord:
    """Return the history record of a decided text that was sent or given up on."""
    return HistoryRecord(
        call_id=item.call_id,
        missed_at=item.missed_at,
        number=item.number,
        caller_name=item.caller_name,
        result=result,
        error=error,
        texted_at=texted_at,
        variant=item.variant,
        message_id=message_id,
    )
