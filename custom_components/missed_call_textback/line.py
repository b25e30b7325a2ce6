"""One business line: source -> tracker -> policy -> outbox -> sender -> ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.const import (
    EVENT_HOMEASSISTANT_FINAL_WRITE,
    EVENT_SERVICE_REGISTERED,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event,
    HomeAssistant,
    callback,
)
from homeassistant.exceptions import (
    ConfigEntryError,
    HomeAssistantError,
)
from homeassistant.helpers import (
    config_validation as cv,
    entity_registry as er,
    restore_state,
)
from homeassistant.helpers.event import (
    async_track_time_change,
)
from homeassistant.helpers.script import async_validate_actions_config
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from . import hours, repairs
from .business_hours import BusinessHours
from .calls import CallTracker, EndedCall, Outcome
from .compat import vol
from .const import (
    CONF_AFTER_HOURS_MESSAGE,
    CONF_ENTITY_ID,
    CONF_MESSAGE,
    CONF_SOURCE,
    DOMAIN,
    LOGGER,
    CallEvent,
    Mode,
    SenderKind,
    SkipReason,
    SourceKind,
    VariantMode,
)
from .data import TextBackConfigEntry
from .delivery import Delivery
from .events import CallEventListener, LineEvents
from .follow_ups import FollowUps
from .leads import Lead, Resolution
from .ledger import HistoryRecord, Ledger, OutboxItem, StoreWriteError
from .message import (
    Details,
    MessageRenderer,
)
from .outbox import Outbox
from .phone import PhoneNumber, mask_number, normalize_number, scrub_numbers
from .policy import Facts, Send, decide
from .reply_desk import ReplyDesk
from .sender import NOTIFY_DOMAIN, ActionSender, NotifySender, Sender, SendError
from .settings import LineSettings, Variant
from .sources import CallSource
from .sources.entity import EntitySource, interpreter_for
from .sources.sip import SipSource
from .sources.webhook import build_webhook_source

# Options a line takes into use without a reload (the text entities set them).
LIVE_OPTIONS = frozenset({CONF_MESSAGE, CONF_AFTER_HOURS_MESSAGE})


class TextBackLine:
    """Everything one config entry runs."""

    def __init__(self, hass: HomeAssistant, entry: TextBackConfigEntry) -> None:
        """Initialize the line from its config entry."""
        self.hass = hass
        self.entry = entry
        self.ledger = Ledger(hass, entry.entry_id)
        self.tracker = CallTracker(ulid_now, on_outgoing=self.call_placed)
        self.delivery = Delivery(
            hass, self.ledger, self._async_deliver, self._create_task
        )
        self.hours = BusinessHours(hass, entry.options, self._async_update_listeners)
        # Built by async_start, once the owner's actions are validated.
        self.sender: Sender
        self.outbox: Outbox
        self.source: CallSource
        self._applied_options = dict(entry.options)
        self._listeners: list[CALLBACK_TYPE] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.renderer = MessageRenderer(
            hass, entry.entry_id, lambda: self.settings, self.hours
        )
        self.events = LineEvents(
            hass, entry.entry_id, lambda: self.line_name, self._async_update_listeners
        )
        self.follow_ups = FollowUps(
            hass,
            self.ledger,
            lambda: self.settings,
            self.events,
            self._track,
            self._async_update_listeners,
        )
        self.replies = ReplyDesk(
            entry_id=entry.entry_id,
            ledger=self.ledger,
            settings=lambda: self.settings,
            events=self.events,
            follow_ups=self.follow_ups,
            sender=lambda: self.sender,
            template=self.renderer.template,
            save_now=self._async_save_now,
            track=self._track,
            changed=self._async_update_listeners,
        )
        self._settings: LineSettings | None = None
        self._settings_of: tuple[Mapping[str, Any], str] = ({}, "")

    # --- the owner's switches (kept in the line's Store) ---------------------

    @property
    def enabled(self) -> bool:
        """Return whether the master switch lets the line text back."""
        return self.ledger.enabled is not False

    @property
    def mode(self) -> Mode:
        """Return when the line texts back (always, after hours, ...)."""
        try:
            return Mode(self.ledger.mode or Mode.ALWAYS)
        except ValueError:
            return Mode.ALWAYS

    async def async_set_enabled(self, *, enabled: bool) -> None:
        """Turn texting back on or off; on disk before it returns."""
        self.ledger.enabled = enabled
        await self._async_save_now()
        self._async_update_listeners()

    async def async_set_mode(self, mode: Mode) -> None:
        """Change the mode; on disk before it returns."""
        self.ledger.mode = mode.value
        await self._async_save_now()
        self._async_update_listeners()

    async def _async_save_now(self) -> None:
        """Write the line's state now; a failure raises a repair, never an error.

        What failed to reach the disk is kept in memory and honoured.
        """
        try:
            await self.ledger.async_save_now()
        except StoreWriteError as err:
            self._raise_store_failed(err)
        else:
            repairs.clear_store_failed(self.hass, self.entry.entry_id)

    def _adopt_restored_switches(self) -> None:
        """Take the switch and mode from the entities' last states, once.

        Lines set up before the switches lived in the Store kept them only as
        the entities' restored states; they are read here, before the line
        starts, so a text resumed at start already sees them.
        """
        if self.ledger.enabled is not None and self.ledger.mode is not None:
            return
        registry = er.async_get(self.hass)
        last_states = restore_state.async_get(self.hass).last_states
        entry_id = self.entry.entry_id

        def _last(domain: str, key: str) -> str | None:
            entity_id = registry.async_get_entity_id(
                domain, DOMAIN, f"{entry_id}_{key}"
            )
            stored = last_states.get(entity_id) if entity_id else None
            return stored.state.state if stored is not None else None

        if self.ledger.enabled is None and (state := _last("switch", "text_back")):
            self.ledger.enabled = state != "off"
        if self.ledger.mode is None and (state := _last("select", "mode")):
            self.ledger.mode = state if state in set(Mode) else None

    # --- configuration -----------------------------------------------------

    @property
    def settings(self) -> LineSettings:
        """Return the line's settings, parsed again only when the options changed.

        Home Assistant replaces entry.options (and may rename the entry) on every
        update, so comparing identities tells a change without reading a key.
        """
        options, title = self.entry.options, self.entry.title
        if (
            self._settings is None
            or self._settings_of[0] is not options
            or self._settings_of[1] != title
        ):
            self._settings = LineSettings.from_options(
                options, title, self.hass.config.country
            )
            self._settings_of = (options, title)
        return self._settings

    @property
    def line_name(self) -> str:
        """Return the line's name."""
        return self.settings.line_name

    @property
    def region(self) -> str | None:
        """Return the region national numbers are read in."""
        return self.settings.region

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Return the message variants in use; the main message is variant a."""
        return self.settings.variants

    @property
    def message_template(self) -> str:
        """Return the message template."""
        return self.settings.message_template

    @property
    def after_hours_template(self) -> str:
        """Return the after-hours message template ("" when none is set)."""
        return self.settings.after_hours_template

    def details(self, variant: Variant) -> Details:
        """Return the owner's details as one variant's text sees them."""
        return self.settings.details_for(variant)

    def _assign_variant(self) -> str:
        settings = self.settings
        variants = [variant.variant_id for variant in settings.variants]
        if len(variants) == 1:
            return variants[0]
        if settings.variant_mode == VariantMode.RANDOM:
            return secrets.choice(variants)
        return self.ledger.next_variant(variants)

    def _build_source(self) -> CallSource:
        data = self.entry.data
        if data.get(CONF_SOURCE) == SourceKind.WEBHOOK:
            return build_webhook_source(
                self.hass, self.entry, self, self._async_update_listeners
            )
        if data.get(CONF_SOURCE) == SourceKind.SIP:
            return SipSource(
                self.hass,
                data,
                self,
                dt_util.utcnow,
                on_auth_failed=lambda: self.entry.async_start_reauth(self.hass),
            )
        return EntitySource(
            self.hass,
            data[CONF_ENTITY_ID],
            interpreter_for(data),
            self,
            dt_util.utcnow,
        )

    async def _async_build_sender(self) -> Sender:
        settings = self.settings
        if settings.sender is not SenderKind.ACTION:
            return NotifySender(self.hass, settings.notify_service)
        try:
            actions = await async_validate_actions_config(
                self.hass, cv.SCRIPT_SCHEMA(settings.action)
            )
        except (vol.Invalid, HomeAssistantError) as err:
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="invalid_action",
                translation_placeholders={"error": str(err)},
            ) from err
        return ActionSender(self.hass, actions, self.line_name)

    def applies_live(self, options: Mapping[str, Any]) -> bool:
        """Return whether new options change nothing but the messages."""
        return {k: v for k, v in options.items() if k not in LIVE_OPTIONS} == {
            k: v for k, v in self._applied_options.items() if k not in LIVE_OPTIONS
        }

    @callback
    def async_options_applied(self) -> None:
        """Take the new message into use (the entities show it at once)."""
        self._applied_options = dict(self.entry.options)
        repairs.clear_template_error(self.hass, self.entry.entry_id)
        self._async_update_listeners()

    # --- lifecycle ---------------------------------------------------------

    async def async_start(self) -> None:
        """Load state, start hearing calls and resume texts left by a restart."""
        # The Store first: the master switch, the mode and the outbox are
        # known before anything can hear a call or resume a text.
        await self.ledger.async_load()
        self._adopt_restored_switches()
        self.sender = await self._async_build_sender()
        self.outbox = Outbox(self.ledger, self.sender, self.line_name)
        self.entry.async_on_unload(await self.hours.async_start())
        self.source = self._build_source()
        self.entry.async_on_unload(await self.source.async_start())
        self.entry.async_on_unload(
            async_track_time_change(
                self.hass, self._async_new_day, hour=0, minute=0, second=0
            )
        )
        if isinstance(self.sender, NotifySender):
            self.entry.async_on_unload(
                self.hass.bus.async_listen(
                    EVENT_SERVICE_REGISTERED,
                    self._async_service_registered,
                    event_filter=self._is_our_notify_service,
                )
            )
        if (event_type := self.settings.replies.event_type) is not None:
            self.entry.async_on_unload(
                self.hass.bus.async_listen(event_type, self.replies.async_reply_event)
            )
        self.entry.async_on_unload(async_at_started(self.hass, self._async_started))
        # The ledger debounces its writes itself; flush them as HA stops.
        self.entry.async_on_unload(
            self.hass.bus.async_listen(
                EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write
            )
        )

    async def _async_final_write(self, _event: Event) -> None:
        # Home Assistant stops without unloading the line: timers end here, and
        # whatever they were for is on disk and resumes at the next start.
        self._cancel_timers()
        await self.ledger.async_flush()

    @callback
    def _cancel_timers(self) -> None:
        self.delivery.cancel_timers()
        self.follow_ups.async_cancel_timer()

    async def async_stop(self) -> None:
        """Stop sends in progress and write pending state.

        A send cut off here stays in the outbox and goes out at the next start.
        """
        sends = self.delivery.stop()
        self._cancel_timers()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*sends, *self._tasks, return_exceptions=True)
        if isinstance(self.sender, ActionSender):
            await self.sender.async_stop()
        await self.ledger.async_flush()

    @callback
    def _async_started(self, _hass: HomeAssistant) -> None:
        # Notify services of other integrations may register late in startup,
        # so the check and the resend wait until Home Assistant has started.
        self._check_notify_service()
        now = dt_util.utcnow()
        # Reminders that came due while Home Assistant was down go out now.
        self.follow_ups.async_moment(now)
        # Texts left on disk, or decided while Home Assistant was starting:
        # Delivery gives each one timer or one send, whatever it has already.
        self.delivery.resume(now)

    # --- listeners for entities -------------------------------------------

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call update whenever counters or state change."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def async_add_event_listener(self, listener: CallEventListener) -> CALLBACK_TYPE:
        """Call listener with every call event of this line."""
        return self.events.async_add_listener(listener)

    @callback
    def _async_update_listeners(self) -> None:
        for update in list(self._listeners):
            update()

    @callback
    def _async_new_day(self, now: datetime) -> None:
        self._async_update_listeners()
        self._track(self.hours.async_new_day(now), "new day")

    # --- the pipeline ------------------------------------------------------

    @callback
    def call_placed(self, number: object, at: datetime) -> None:
        """Take an outgoing call the owner placed: a waiting text to it is moot."""
        LOGGER.debug("%s: outgoing call at %s", self.line_name, at)
        self._cancel_scheduled(number, SkipReason.CALLED_BACK)
        self.follow_ups.async_resolve_number(number, at, Resolution.CALLED_BACK)

    @callback
    def _cancel_scheduled(self, number: object, reason: SkipReason) -> None:
        """Drop the texts to a number that still wait for their first attempt."""
        normalized = normalize_number(number, self.region)
        if not isinstance(normalized, PhoneNumber):
            return
        for item in self.ledger.scheduled_for(normalized.e164):
            if self.delivery.in_flight(item.call_id):
                continue  # already being sent: too late to take it back
            self.delivery.cancel(item.call_id)
            self.outbox.give_up(item)
            missed_at = _when(item.missed_at)
            self._record_skip(
                self.events.data(
                    item.call_id, item.number, item.caller_name, item.variant
                ),
                reason,
                missed_at,
                None,
                new=True,
            )

    @callback
    def reply_received(
        self, number: object, text: str, *, verified: bool = True
    ) -> None:
        """Take a caller's text message heard by the source."""
        self._track(
            self.async_handle_reply(
                number=number, text=text, answer_help=False, verified=verified
            ),
            "reply",
        )

    @callback
    def calls_ended(self, ended: list[EndedCall]) -> None:
        """Text back the missed calls among the calls that ended."""
        text_voicemail = self.settings.text_voicemail
        for call in ended:
            if call.outcome is Outcome.ANSWERED:
                LOGGER.debug("%s: call %s was answered", self.line_name, call.call_id)
                # The caller rang again and got through: no text needed.
                self._cancel_scheduled(call.number, SkipReason.ANSWERED_LATER)
                self.follow_ups.async_resolve_number(
                    call.number, call.started_at, Resolution.ANSWERED
                )
                continue
            if call.outcome is Outcome.VOICEMAIL and not text_voicemail:
                LOGGER.debug(
                    "%s: call %s reached voicemail", self.line_name, call.call_id
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
    ) -> dict[str, Any]:
        """Run one missed call through policy, outbox and sender."""
        normalized = normalize_number(number, self.region)
        shown = normalized.e164 if isinstance(normalized, PhoneNumber) else _raw(number)
        base = self.events.data(call_id, shown, caller_name)
        # Awaited before the ledger is read: from there to the outbox nothing
        # yields, so a second call from the number cannot slip in between.
        zones = await self._async_quiet_zones(normalized)
        already = self.ledger.is_handled(call_id)
        if not already:
            self.ledger.count_missed(missed_at)
            self.events.fire(CallEvent.MISSED_CALL, base, context)

        now = dt_util.utcnow()
        settings = self.settings
        rules = settings.rules(self.mode)
        is_open = self.hours.state(missed_at).is_open
        quiet_until = self._quiet_until(now + rules.delay, zones)
        decision = decide(
            number=normalized,
            enabled=self.enabled,
            rules=rules,
            facts=replace(
                self._facts(normalized, now, already_handled=already),
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
        self.ledger.mark_texted(decision.number.e164, now, settings.cooldown)
        self.ledger.note_send(now, keep=max(rules.hourly_cap, rules.daily_cap))
        item = OutboxItem(
            call_id=call_id,
            number=decision.number.e164,
            message="",
            caller_name=caller_name,
            missed_at=missed_at.isoformat(),
            created_at=now.isoformat(),
            variant=self._assign_variant(),
            after_hours=self.hours.configured and not is_open,
        )
        if decision.at is None or decision.at <= now:
            item = replace(item, message=self.render_item(item))
            await self.outbox.async_put(item)
            return await self._async_send_now(item, context)
        # Rendered when due, so "next_open" is said from the moment it is sent.
        item = replace(item, next_attempt_at=decision.at.isoformat())
        await self.outbox.async_put(item)
        self.delivery.schedule(call_id, decision.at)
        why = "delay" if quiet_until is None else "quiet_hours"
        self.events.fire(
            CallEvent.TEXT_SCHEDULED,
            {
                **self.events.data(call_id, item.number, caller_name, item.variant),
                "send_at": decision.at.isoformat(),
                "reason": why,
            },
            context,
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
        if self.settings.quiet_in_callers_time and isinstance(number, PhoneNumber):
            return await self.hours.async_caller_zones(number.e164)
        return [self.hours.tz]

    def _quiet_until(self, send_at: datetime, zones: list[ZoneInfo]) -> datetime | None:
        """Return when quiet hours end, if a text sent at send_at falls in them."""
        if (quiet := self.settings.quiet_hours) is None:
            return None
        return hours.quiet_until(quiet, send_at, zones)

    def _facts(
        self,
        number: PhoneNumber | SkipReason,
        now: datetime,
        *,
        already_handled: bool,
    ) -> Facts:
        if not isinstance(number, PhoneNumber):
            return Facts(already_handled=already_handled)
        return Facts(
            already_handled=already_handled,
            last_texted_at=self.ledger.last_texted_at(number.e164),
            opted_out=self.ledger.is_opted_out(number.e164),
            sent_last_hour=self.ledger.sent_since(now - timedelta(hours=1)),
            sent_last_day=self.ledger.sent_since(now - timedelta(days=1)),
        )

    def _record_skip(
        self,
        base: dict[str, Any],
        reason: SkipReason,
        missed_at: datetime,
        context: Context | None,
        *,
        new: bool,
    ) -> dict[str, Any]:
        LOGGER.debug(
            "%s: not texting %s: %s",
            self.line_name,
            mask_number(base["number"] or ""),
            reason,
        )
        if new:
            self.ledger.add_history(
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
            repairs.raise_rate_capped(self.hass, self.entry.entry_id, self.line_name)
        self.events.fire(CallEvent.TEXT_SKIPPED, {**base, "reason": reason}, context)
        return {"call_id": base["call_id"], "result": "skipped", "reason": reason}

    async def _async_send_now(
        self, item: OutboxItem, context: Context | None
    ) -> dict[str, Any]:
        """Send a text just decided and return what became of it."""
        pending = {"call_id": item.call_id, "result": "pending"}
        if (task := self.delivery.start(item.call_id, context)) is None:
            # Another path (the resume at start) is sending it already.
            return pending
        try:
            result: dict[str, Any] = await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            # The line stopped mid-send: the text stays on disk for the next start.
            return pending
        return result

    async def _async_deliver(
        self, item: OutboxItem, context: Context | None
    ) -> dict[str, Any]:
        """Attempt a persisted text; on failure retry later or give up.

        Only Delivery calls this, at most once at a time per item.
        """
        base = self.events.data(
            item.call_id, item.number, item.caller_name, item.variant
        )
        stop = (
            SkipReason.OPTED_OUT
            if self.ledger.is_opted_out(item.number)
            # The owner switched texting off while the text waited its turn.
            else SkipReason.DISABLED
            if item.scheduled and not self.enabled
            else None
        )
        if stop is not None:
            # STOP arrived while the text waited for a retry or a restart.
            self.outbox.give_up(item)
            missed_at = _when(item.missed_at)
            return self._record_skip(base, stop, missed_at, context, new=True)
        if not item.message:
            item = replace(item, message=self.render_item(item))
        error = await self.outbox.async_attempt(item, context)
        if error is None:
            return self._record_sent(item, base, context)
        LOGGER.warning(
            "%s: attempt %s to text call %s failed: %s",
            self.line_name,
            item.attempts + 1,
            item.call_id,
            scrub_numbers(error.detail),
        )
        if error.translation_key == "notify_missing":
            self._raise_notify_missing()
        delays = self.settings.retry_delays
        if not error.permanent and item.attempts < len(delays):
            retry_at = dt_util.utcnow() + delays[item.attempts]
            # Delivery sets the retry's timer once this attempt is over.
            later = await self.outbox.async_retry_later(item, retry_at)
            self.events.fire(
                CallEvent.TEXT_FAILED,
                {
                    **base,
                    "error": error.detail,
                    "attempt": later.attempts,
                    "retry_at": retry_at.isoformat(),
                },
                context,
            )
            return {
                "call_id": item.call_id,
                "result": "failed",
                "error": error.detail,
                "retry_at": retry_at.isoformat(),
            }
        self.outbox.give_up(item)
        self.ledger.add_history(
            HistoryRecord(
                call_id=item.call_id,
                missed_at=item.missed_at,
                number=item.number,
                caller_name=item.caller_name,
                result="failed",
                error=error.detail,
                variant=item.variant,
            )
        )
        if error.translation_key == "invalid_data":
            self._raise_invalid_data(error)
        else:
            repairs.raise_send_failed(
                self.hass,
                self.entry.entry_id,
                self.line_name,
                scrub_numbers(error.detail),
            )
        self.events.fire(
            CallEvent.TEXT_FAILED,
            {
                **base,
                "error": error.detail,
                "attempt": item.attempts + 1,
                "retry_at": None,
            },
            context,
        )
        return {"call_id": item.call_id, "result": "failed", "error": error.detail}

    def _record_sent(
        self, item: OutboxItem, base: dict[str, Any], context: Context | None
    ) -> dict[str, Any]:
        now = dt_util.utcnow()
        self.ledger.count_sent(now)
        self.ledger.add_history(
            HistoryRecord(
                call_id=item.call_id,
                missed_at=item.missed_at,
                number=item.number,
                caller_name=item.caller_name,
                result="sent",
                texted_at=now.isoformat(),
                variant=item.variant,
            )
        )
        variant = self.settings.variant(item.variant)
        self.ledger.leads.add(
            Lead(
                call_id=item.call_id,
                number=item.number,
                caller_name=item.caller_name,
                variant=item.variant,
                missed_at=_when(item.missed_at),
                texted_at=now,
                due_at=now + timedelta(minutes=variant.response_minutes),
            )
        )
        self.ledger.leads_changed()
        repairs.clear_send_problems(self.hass, self.entry.entry_id)
        self.events.fire(
            CallEvent.TEXT_SENT, {**base, "message": item.message}, context
        )
        # A promise shorter than the reminder lead time is reminded of at once.
        self.follow_ups.async_moment(now, redraw=False)
        return {
            "call_id": item.call_id,
            "result": "sent",
            "number": item.number,
            "message": item.message,
            "variant": item.variant,
        }

    @callback
    def _track(self, coro: Coroutine[Any, Any, Any], call_id: str) -> None:
        """Run a coroutine the line cancels (and awaits) when it stops."""
        task = self.entry.async_create_task(self.hass, coro, f"{DOMAIN} call {call_id}")
        if not task.done():
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @callback
    def _create_task(
        self, coro: Coroutine[Any, Any, Any], name: str
    ) -> asyncio.Task[Any]:
        """Start a send on the next loop turn, after Delivery marked it in flight."""
        return self.entry.async_create_task(self.hass, coro, name, eager_start=False)

    # --- follow-ups (follow_ups.py) -----------------------------------------

    @callback
    def async_resolve_leads(
        self,
        *,
        number: str | None = None,
        call_id: str | None = None,
        context: Context | None = None,
    ) -> list[str]:
        """Mark the leads of a number or a call followed up; return their calls."""
        return self.follow_ups.async_resolve(
            number=number, call_id=call_id, context=context
        )

    @callback
    def async_resolve_oldest_lead(self, context: Context | None = None) -> str | None:
        """Mark the most urgent open lead followed up; return its call."""
        return self.follow_ups.async_resolve_oldest(context)

    # --- replies (reply_desk.py) ------------------------------------------------

    async def async_handle_reply(
        self,
        *,
        number: object,
        text: str,
        answer_help: bool,
        context: Context | None = None,
        verified: bool = True,
    ) -> dict[str, Any]:
        """Take a caller's reply: opt-out keywords, HELP, and the reply itself."""
        return await self.replies.async_handle(
            number=number,
            text=text,
            answer_help=answer_help,
            context=context,
            verified=verified,
        )

    async def async_set_opt_out(self, number: str, *, opted_out: bool) -> bool:
        """Opt a number out or back in for the owner; return whether it changed."""
        return await self.replies.async_set_opt_out(number, opted_out=opted_out)

    def render_item(self, item: OutboxItem) -> str:
        """Render a decided text (message.py's MessageRenderer)."""
        return self.renderer.render_item(item)

    def render_preview(self, source: str | None = None) -> str:
        """Render a message for a sample caller (what one text looks like)."""
        return self.renderer.render_preview(source)

    # --- notify service health --------------------------------------------

    @callback
    def _is_our_notify_service(self, data: Mapping[str, Any]) -> bool:
        return (
            isinstance(self.sender, NotifySender)
            and data["domain"] == NOTIFY_DOMAIN
            and data["service"] == self.sender.service
        )

    @callback
    def _async_service_registered(self, _event: Event[Mapping[str, Any]]) -> None:
        repairs.clear_notify_missing(self.hass, self.entry.entry_id)

    @callback
    def _check_notify_service(self) -> None:
        if isinstance(self.sender, NotifySender) and not self.sender.available:
            self._raise_notify_missing()

    @callback
    def _raise_store_failed(self, err: StoreWriteError) -> None:
        LOGGER.error(
            "%s: could not write the line's state (kept in memory): %s",
            self.line_name,
            err,
        )
        repairs.raise_store_failed(
            self.hass, self.entry.entry_id, self.line_name, str(err)
        )

    @callback
    def _raise_invalid_data(self, error: SendError) -> None:
        service = (
            f"{NOTIFY_DOMAIN}.{self.sender.service}"
            if isinstance(self.sender, NotifySender)
            else self.line_name
        )
        repairs.raise_invalid_data(
            self.hass,
            self.entry.entry_id,
            self.line_name,
            service,
            scrub_numbers(error.detail),
        )

    @callback
    def _raise_notify_missing(self) -> None:
        if isinstance(self.sender, NotifySender):
            repairs.raise_notify_missing(
                self.hass,
                self.entry.entry_id,
                self.line_name,
                f"{NOTIFY_DOMAIN}.{self.sender.service}",
            )


def _when(stored: str) -> datetime:
    """Read a stored moment; an unreadable one counts as now."""
    return dt_util.parse_datetime(stored) or dt_util.utcnow()


def _raw(number: object) -> str | None:
    if number is None:
        return None
    text = str(number).strip()
    return text or None
