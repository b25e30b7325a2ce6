"""One business line: source -> tracker -> policy -> outbox -> sender -> ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any

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
    TemplateError,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_time_change,
)
from homeassistant.helpers.script import async_validate_actions_config
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from . import repairs
from .calls import CallTracker, EndedCall, Outcome
from .compat import vol
from .const import (
    CONF_ACTION,
    CONF_ALLOWLIST,
    CONF_ALLOWLIST_ONLY,
    CONF_BLOCKLIST,
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_DAILY_CAP,
    CONF_ENTITY_ID,
    CONF_HELP_MESSAGE,
    CONF_HOURLY_CAP,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MIN_RING_SECONDS,
    CONF_NEVER_TEXT,
    CONF_NOTIFY_SERVICE,
    CONF_REPLY_EVENT_TYPE,
    CONF_REPLY_NUMBER_KEY,
    CONF_REPLY_SOURCE,
    CONF_REPLY_TEXT_KEY,
    CONF_RETRY_MINUTES,
    CONF_SENDER,
    CONF_SOURCE,
    CONF_STOP_CONFIRMATION,
    CONF_STOP_MESSAGE,
    CONF_TEXT_VOICEMAIL,
    DEFAULT_COOLDOWN_HOURS,
    DEFAULT_DAILY_CAP,
    DEFAULT_HELP_MESSAGE,
    DEFAULT_HOURLY_CAP,
    DEFAULT_MESSAGE,
    DEFAULT_RETRY_MINUTES,
    DEFAULT_STOP_MESSAGE,
    DOMAIN,
    LOGGER,
    TWILIO_EVENT,
    TWILIO_NUMBER_KEY,
    TWILIO_TEXT_KEY,
    CallEvent,
    ReplySource,
    SenderKind,
    SkipReason,
    SourceKind,
)
from .data import TextBackConfigEntry
from .ledger import HistoryRecord, Ledger, OutboxItem
from .message import SAMPLE_CALLER, SAMPLE_NUMBER, message_variables, render
from .outbox import Outbox
from .phone import PhoneNumber, mask_number, normalize_number, scrub_numbers
from .policy import Facts, Rules, Send, decide
from .replies import Keyword, classify
from .sender import NOTIFY_DOMAIN, ActionSender, NotifySender, Sender, SendError
from .sources import CallSource
from .sources.entity import EntitySource, interpreter_for
from .sources.sip import SipSource

type CallEventListener = Callable[[CallEvent, dict[str, Any]], None]


class TextBackLine:
    """Everything one config entry runs."""

    def __init__(self, hass: HomeAssistant, entry: TextBackConfigEntry) -> None:
        """Initialize the line from its config entry."""
        self.hass = hass
        self.entry = entry
        self.ledger = Ledger(hass, entry.entry_id)
        self.tracker = CallTracker(ulid_now, on_outgoing=self.call_placed)
        self.enabled = True
        # Built by async_start, once the owner's actions are validated.
        self.sender: Sender
        self.outbox: Outbox
        self.source: CallSource
        self._applied_options = dict(entry.options)
        self._listeners: list[CALLBACK_TYPE] = []
        self._event_listeners: list[CallEventListener] = []
        self._templates: dict[str, Template] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._retry_timers: dict[str, CALLBACK_TYPE] = {}

    # --- configuration -----------------------------------------------------

    @property
    def line_name(self) -> str:
        """Return the line's name."""
        return str(self.entry.options.get(CONF_LINE_NAME) or self.entry.title)

    @property
    def business_name(self) -> str:
        """Return the business's name."""
        return str(self.entry.options.get(CONF_BUSINESS_NAME, ""))

    @property
    def message_template(self) -> str:
        """Return the message template."""
        return str(self.entry.options.get(CONF_MESSAGE) or DEFAULT_MESSAGE)

    @property
    def cooldown(self) -> timedelta:
        """Return how long a texted number is left alone."""
        hours = self.entry.options.get(CONF_COOLDOWN_HOURS, DEFAULT_COOLDOWN_HOURS)
        return timedelta(hours=float(hours))

    @property
    def rules(self) -> Rules:
        """Return the owner's rules for this line."""
        options = self.entry.options
        return Rules(
            cooldown=self.cooldown,
            blocklist=tuple(options.get(CONF_BLOCKLIST, ())),
            allowlist_only=bool(options.get(CONF_ALLOWLIST_ONLY, False)),
            allowlist=tuple(options.get(CONF_ALLOWLIST, ())),
            never_text=tuple(options.get(CONF_NEVER_TEXT, ())),
            min_ring=timedelta(seconds=float(options.get(CONF_MIN_RING_SECONDS, 0))),
            hourly_cap=int(options.get(CONF_HOURLY_CAP, DEFAULT_HOURLY_CAP)),
            daily_cap=int(options.get(CONF_DAILY_CAP, DEFAULT_DAILY_CAP)),
        )

    @property
    def retry_delays(self) -> list[timedelta]:
        """Return the waits before each retry of a failed text."""
        minutes = self.entry.options.get(CONF_RETRY_MINUTES, DEFAULT_RETRY_MINUTES)
        return [timedelta(minutes=float(value)) for value in minutes]

    @property
    def region(self) -> str | None:
        """Return the region national numbers are read in."""
        country = self.entry.options.get(CONF_COUNTRY) or self.hass.config.country
        return str(country) if country else None

    def _build_source(self) -> CallSource:
        data = self.entry.data
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
        options = self.entry.options
        if options.get(CONF_SENDER) != SenderKind.ACTION:
            return NotifySender(self.hass, str(options.get(CONF_NOTIFY_SERVICE, "")))
        try:
            actions = await async_validate_actions_config(
                self.hass, cv.SCRIPT_SCHEMA(options[CONF_ACTION])
            )
        except (vol.Invalid, HomeAssistantError) as err:
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="invalid_action",
                translation_placeholders={"error": str(err)},
            ) from err
        return ActionSender(self.hass, actions, self.line_name)

    def applies_live(self, options: Mapping[str, Any]) -> bool:
        """Return whether new options change nothing but the message."""
        return {k: v for k, v in options.items() if k != CONF_MESSAGE} == {
            k: v for k, v in self._applied_options.items() if k != CONF_MESSAGE
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
        self.sender = await self._async_build_sender()
        self.outbox = Outbox(self.ledger, self.sender, self.line_name)
        await self.ledger.async_load()
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
        if (event_type := self._reply_event_type) is not None:
            self.entry.async_on_unload(
                self.hass.bus.async_listen(event_type, self._async_reply_event)
            )
        self.entry.async_on_unload(async_at_started(self.hass, self._async_started))
        # The ledger debounces its writes itself; flush them as HA stops.
        self.entry.async_on_unload(
            self.hass.bus.async_listen(
                EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write
            )
        )

    async def _async_final_write(self, _event: Event) -> None:
        await self.ledger.async_flush()

    @property
    def _reply_event_type(self) -> str | None:
        source = self.entry.options.get(CONF_REPLY_SOURCE, ReplySource.NONE)
        if source == ReplySource.TWILIO:
            return TWILIO_EVENT
        if source == ReplySource.EVENT:
            return str(self.entry.options.get(CONF_REPLY_EVENT_TYPE) or "") or None
        return None

    async def async_stop(self) -> None:
        """Stop sends in progress and write pending state.

        A send cut off here stays in the outbox and goes out at the next start.
        """
        for cancel in self._retry_timers.values():
            cancel()
        self._retry_timers.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if isinstance(self.sender, ActionSender):
            await self.sender.async_stop()
        await self.ledger.async_flush()

    @callback
    def _async_started(self, _hass: HomeAssistant) -> None:
        # Notify services of other integrations may register late in startup,
        # so the check and the resend wait until Home Assistant has started.
        self._check_notify_service()
        now = dt_util.utcnow()
        for item in self.outbox.waiting():
            retry_at = (
                dt_util.parse_datetime(item.next_attempt_at)
                if item.next_attempt_at
                else None
            )
            if retry_at is not None and retry_at > now:
                self._schedule_retry(item, retry_at)
            else:
                self._track(self._async_deliver(item, None), item.call_id)

    # --- listeners for entities -------------------------------------------

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call update whenever counters or state change."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def async_add_event_listener(self, listener: CallEventListener) -> CALLBACK_TYPE:
        """Call listener with every call event of this line."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    @callback
    def _async_update_listeners(self) -> None:
        for update in list(self._listeners):
            update()

    @callback
    def _async_new_day(self, _now: datetime) -> None:
        self._async_update_listeners()

    # --- the pipeline ------------------------------------------------------

    @callback
    def call_placed(self, number: object, at: datetime) -> None:  # noqa: ARG002
        """Take an outgoing call the owner placed (a callback to a caller)."""
        LOGGER.debug("%s: outgoing call at %s", self.line_name, at)

    @callback
    def reply_received(self, number: object, text: str) -> None:
        """Take a caller's text message heard by the source."""
        self._track(
            self.async_handle_reply(number=number, text=text, answer_help=False),
            "reply",
        )

    @callback
    def calls_ended(self, ended: list[EndedCall]) -> None:
        """Text back the missed calls among the calls that ended."""
        text_voicemail = bool(self.entry.options.get(CONF_TEXT_VOICEMAIL, False))
        for call in ended:
            if call.outcome is Outcome.ANSWERED or (
                call.outcome is Outcome.VOICEMAIL and not text_voicemail
            ):
                LOGGER.debug("%s: call %s was answered", self.line_name, call.call_id)
                continue
            self._track(
                self.async_handle_missed(
                    call_id=call.call_id,
                    number=call.number,
                    caller_name=call.caller_name,
                    missed_at=call.ended_at,
                    ring_time=call.ended_at - call.started_at,
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
        context: Context | None = None,
    ) -> dict[str, Any]:
        """Run one missed call through policy, outbox and sender."""
        normalized = normalize_number(number, self.region)
        shown = normalized.e164 if isinstance(normalized, PhoneNumber) else _raw(number)
        base = self._event_data(call_id, shown, caller_name)
        already = self.ledger.is_handled(call_id)
        if not already:
            self.ledger.count_missed(missed_at)
            self._fire(CallEvent.MISSED_CALL, base, context)

        now = dt_util.utcnow()
        rules = self.rules
        decision = decide(
            number=normalized,
            enabled=self.enabled,
            rules=rules,
            facts=self._facts(normalized, now, already_handled=already),
            ring_time=ring_time,
            now=now,
        )
        if not isinstance(decision, Send):
            return self._record_skip(
                base, decision.reason, missed_at, context, new=not already
            )

        # The cooldown and the caps count at the decision, so a burst of calls
        # yields one text per number even while the first is still being sent.
        self.ledger.mark_texted(decision.number.e164, now, self.cooldown)
        self.ledger.note_send(now, keep=max(rules.hourly_cap, rules.daily_cap))
        item = OutboxItem(
            call_id=call_id,
            number=decision.number.e164,
            message=self.render_message(decision.number.e164, caller_name, missed_at),
            caller_name=caller_name,
            missed_at=missed_at.isoformat(),
            created_at=now.isoformat(),
        )
        await self.outbox.async_put(item)
        return await self._async_deliver(item, context)

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
                )
            )
        if reason is SkipReason.RATE_CAPPED:
            repairs.raise_rate_capped(self.hass, self.entry.entry_id, self.line_name)
        self._fire(CallEvent.TEXT_SKIPPED, {**base, "reason": reason}, context)
        return {"call_id": base["call_id"], "result": "skipped", "reason": reason}

    async def _async_deliver(
        self, item: OutboxItem, context: Context | None
    ) -> dict[str, Any]:
        """Attempt a persisted text; on failure retry later or give up."""
        base = self._event_data(item.call_id, item.number, item.caller_name)
        if self.ledger.is_opted_out(item.number):
            # STOP arrived while the text waited for a retry or a restart.
            self.outbox.give_up(item)
            missed_at = dt_util.parse_datetime(item.missed_at) or dt_util.utcnow()
            return self._record_skip(
                base, SkipReason.OPTED_OUT, missed_at, context, new=True
            )
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
        delays = self.retry_delays
        if item.attempts < len(delays):
            retry_at = dt_util.utcnow() + delays[item.attempts]
            later = await self.outbox.async_retry_later(item, retry_at)
            self._schedule_retry(later, retry_at)
            self._fire(
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
            )
        )
        repairs.raise_send_failed(
            self.hass, self.entry.entry_id, self.line_name, scrub_numbers(error.detail)
        )
        self._fire(
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
            )
        )
        repairs.clear_send_problems(self.hass, self.entry.entry_id)
        self._fire(CallEvent.TEXT_SENT, {**base, "message": item.message}, context)
        return {
            "call_id": item.call_id,
            "result": "sent",
            "number": item.number,
            "message": item.message,
        }

    @callback
    def _schedule_retry(self, item: OutboxItem, at: datetime) -> None:
        @callback
        def _retry(_now: datetime) -> None:
            self._retry_timers.pop(item.call_id, None)
            self._track(self._async_deliver(item, None), item.call_id)

        self._retry_timers[item.call_id] = async_track_point_in_utc_time(
            self.hass, _retry, at
        )

    @callback
    def _track(self, coro: Coroutine[Any, Any, Any], call_id: str) -> None:
        """Run a coroutine the line cancels (and awaits) when it stops."""
        task = self.entry.async_create_task(self.hass, coro, f"{DOMAIN} call {call_id}")
        if not task.done():
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _event_data(
        self, call_id: str | None, number: str | None, caller_name: str | None
    ) -> dict[str, Any]:
        return {
            "entry_id": self.entry.entry_id,
            "line_name": self.line_name,
            "call_id": call_id,
            "number": number,
            "caller_name": caller_name,
        }

    # --- replies -----------------------------------------------------------

    async def async_handle_reply(
        self,
        *,
        number: object,
        text: str,
        answer_help: bool,
        context: Context | None = None,
    ) -> dict[str, Any]:
        """Take a caller's reply: opt-out keywords, HELP, and the reply itself."""
        normalized = normalize_number(number, self.region)
        if not isinstance(normalized, PhoneNumber):
            return {"entry_id": self.entry.entry_id, "result": "ignored"}
        e164 = normalized.e164
        now = dt_util.utcnow()
        keyword = classify(text)
        call_id = self.ledger.attach_reply(e164, text, now)
        answer: str | None = None
        if keyword is Keyword.STOP:
            if self.ledger.opt_out(e164, now) and self.entry.options.get(
                CONF_STOP_CONFIRMATION, False
            ):
                answer = self.entry.options.get(CONF_STOP_MESSAGE, DEFAULT_STOP_MESSAGE)
        elif keyword is Keyword.START:
            self.ledger.opt_in(e164)
        elif keyword is Keyword.HELP and (answer_help or self.ledger.has_texted(e164)):
            answer = self.entry.options.get(CONF_HELP_MESSAGE, DEFAULT_HELP_MESSAGE)
        self._fire(
            CallEvent.REPLY_RECEIVED,
            {
                **self._event_data(call_id, e164, None),
                "text": text,
                "keyword": keyword.value,
            },
            context,
        )
        answered = answer is not None and await self._async_answer(
            e164, answer, context
        )
        return {
            "entry_id": self.entry.entry_id,
            "result": "handled",
            "keyword": keyword.value,
            "call_id": call_id,
            "opted_out": self.ledger.is_opted_out(e164),
            "answered": answered,
        }

    async def _async_answer(
        self, number: str, source: str, context: Context | None
    ) -> bool:
        """Send one compliance answer (HELP, STOP confirmation); no retries."""
        variables = message_variables(
            business_name=self.business_name,
            line_name=self.line_name,
            caller_number=number,
            caller_name=None,
            called_at=dt_util.utcnow(),
        )
        try:
            message = render(self._template(source), variables)
            await self.sender.async_send(
                number=number,
                message=message,
                caller_name=None,
                line_name=self.line_name,
                context=context,
            )
        except (TemplateError, SendError) as err:
            LOGGER.warning(
                "%s: could not answer a reply: %s",
                self.line_name,
                scrub_numbers(str(err)),
            )
            return False
        return True

    @callback
    def async_set_opt_out(self, number: str, *, opted_out: bool) -> bool:
        """Opt a number out or back in for the owner; return whether it changed."""
        if opted_out:
            changed = self.ledger.opt_out(number, dt_util.utcnow())
        else:
            changed = self.ledger.opt_in(number)
        self._async_update_listeners()
        return changed

    @callback
    def _async_reply_event(self, event: Event[Mapping[str, Any]]) -> None:
        source = self.entry.options.get(CONF_REPLY_SOURCE, ReplySource.NONE)
        if source == ReplySource.TWILIO:
            number_key, text_key = TWILIO_NUMBER_KEY, TWILIO_TEXT_KEY
        else:
            number_key = self.entry.options.get(CONF_REPLY_NUMBER_KEY, "")
            text_key = self.entry.options.get(CONF_REPLY_TEXT_KEY, "")
        number, text = event.data.get(number_key), event.data.get(text_key)
        if not isinstance(text, str) or not isinstance(number, (str, int)):
            # Twilio's voice callbacks share the event and carry no Body.
            return
        self._track(
            self.async_handle_reply(
                number=number, text=text, answer_help=False, context=event.context
            ),
            "reply",
        )

    def render_message(
        self, number: str, caller_name: str | None, called_at: datetime
    ) -> str:
        """Render the line's message; on a template error fall back to the default."""
        variables = message_variables(
            business_name=self.business_name,
            line_name=self.line_name,
            caller_number=number,
            caller_name=caller_name,
            called_at=called_at,
        )
        source = self.message_template
        try:
            text = render(self._template(source), variables)
        except TemplateError as err:
            LOGGER.warning(
                "%s: the message template failed (%s); sent the default text",
                self.line_name,
                scrub_numbers(str(err)),
            )
            repairs.raise_template_error(
                self.hass,
                self.entry.entry_id,
                self.line_name,
                scrub_numbers(str(err)),
            )
            return render(self._template(DEFAULT_MESSAGE), variables)
        repairs.clear_template_error(self.hass, self.entry.entry_id)
        return text

    def render_preview(self) -> str:
        """Render the message for a sample caller (what one text looks like)."""
        variables = message_variables(
            business_name=self.business_name,
            line_name=self.line_name,
            caller_number=SAMPLE_NUMBER,
            caller_name=SAMPLE_CALLER,
            called_at=dt_util.utcnow(),
        )
        try:
            return render(self._template(self.message_template), variables)
        except TemplateError:
            return self.message_template

    def _template(self, source: str) -> Template:
        if (template := self._templates.get(source)) is None:
            template = self._templates[source] = Template(source, self.hass)
        return template

    @callback
    def _fire(
        self, event: CallEvent, data: dict[str, Any], context: Context | None
    ) -> None:
        self.hass.bus.async_fire(f"{DOMAIN}_{event}", data, context=context)
        for listener in list(self._event_listeners):
            listener(event, data)
        self._async_update_listeners()

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
    def _raise_notify_missing(self) -> None:
        if isinstance(self.sender, NotifySender):
            repairs.raise_notify_missing(
                self.hass,
                self.entry.entry_id,
                self.line_name,
                f"{NOTIFY_DOMAIN}.{self.sender.service}",
            )


def _raw(number: object) -> str | None:
    if number is None:
        return None
    text = str(number).strip()
    return text or None
