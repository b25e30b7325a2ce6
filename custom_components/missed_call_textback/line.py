"""One business line: source -> tracker -> policy -> outbox -> sender -> ledger."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import EVENT_SERVICE_REGISTERED
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
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.script import async_validate_actions_config
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now
import voluptuous as vol

from .calls import CallTracker, EndedCall, Outcome
from .const import (
    CONF_ACTION,
    CONF_BUSINESS_NAME,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_ENTITY_ID,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_NOTIFY_SERVICE,
    CONF_SENDER,
    CONF_TEXT_VOICEMAIL,
    DEFAULT_COOLDOWN_HOURS,
    DEFAULT_MESSAGE,
    DOMAIN,
    LOGGER,
    CallEvent,
    SenderKind,
)
from .data import TextBackConfigEntry
from .ledger import HistoryRecord, Ledger, OutboxItem
from .message import SAMPLE_CALLER, SAMPLE_NUMBER, message_variables, render
from .outbox import Outbox
from .phone import PhoneNumber, mask_number, normalize_number, scrub_numbers
from .policy import Send, decide
from .sender import NOTIFY_DOMAIN, ActionSender, NotifySender, Sender, SendError
from .sources.entity import EntitySource, interpreter_for

type CallEventListener = Callable[[CallEvent, dict[str, Any]], None]


class TextBackLine:
    """Everything one config entry runs."""

    def __init__(self, hass: HomeAssistant, entry: TextBackConfigEntry) -> None:
        """Initialize the line from its config entry."""
        self.hass = hass
        self.entry = entry
        self.ledger = Ledger(hass, entry.entry_id)
        self.tracker = CallTracker(ulid_now)
        self.enabled = True
        # Built by async_start, once the owner's actions are validated.
        self.sender: Sender
        self.outbox: Outbox
        self._applied_options = dict(entry.options)
        self._listeners: list[CALLBACK_TYPE] = []
        self._event_listeners: list[CallEventListener] = []
        self._templates: dict[str, Template] = {}

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
    def region(self) -> str | None:
        """Return the region national numbers are read in."""
        country = self.entry.options.get(CONF_COUNTRY) or self.hass.config.country
        return str(country) if country else None

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
        ir.async_delete_issue(
            self.hass, DOMAIN, f"template_error_{self.entry.entry_id}"
        )
        self._async_update_listeners()

    # --- lifecycle ---------------------------------------------------------

    async def async_start(self) -> None:
        """Load state, start hearing calls and resume texts left by a restart."""
        self.sender = await self._async_build_sender()
        self.outbox = Outbox(self.ledger, self.sender, self.line_name)
        await self.ledger.async_load()
        source = EntitySource(
            self.hass,
            self.entry.data[CONF_ENTITY_ID],
            interpreter_for(self.entry.data),
            self.tracker,
            self._async_calls_ended,
            dt_util.utcnow,
        )
        self.entry.async_on_unload(source.async_start())
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
        self.entry.async_on_unload(async_at_started(self.hass, self._async_started))

    async def async_stop(self) -> None:
        """Stop running actions and write pending state."""
        if isinstance(self.sender, ActionSender):
            await self.sender.async_stop()
        await self.ledger.async_flush()

    @callback
    def _async_started(self, hass: HomeAssistant) -> None:
        # Notify services of other integrations may register late in startup,
        # so the check and the resend wait until Home Assistant has started.
        self._check_notify_service()
        for item in self.outbox.waiting():
            self.entry.async_create_background_task(
                hass, self._async_resume(item), f"{DOMAIN} resume {item.call_id}"
            )

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
    def _async_calls_ended(self, ended: list[EndedCall]) -> None:
        text_voicemail = bool(self.entry.options.get(CONF_TEXT_VOICEMAIL, False))
        for call in ended:
            if call.outcome is Outcome.ANSWERED or (
                call.outcome is Outcome.VOICEMAIL and not text_voicemail
            ):
                LOGGER.debug("%s: call %s was answered", self.line_name, call.call_id)
                continue
            # A background task: unloading cancels a send that hangs, and the
            # outbox keeps the text for the next start.
            self.entry.async_create_background_task(
                self.hass,
                self.async_handle_missed(
                    call_id=call.call_id,
                    number=call.number,
                    caller_name=call.caller_name,
                    missed_at=call.ended_at,
                ),
                f"{DOMAIN} missed call {call.call_id}",
            )

    async def async_handle_missed(
        self,
        *,
        call_id: str,
        number: object,
        caller_name: str | None,
        missed_at: datetime,
        context: Context | None = None,
    ) -> dict[str, Any]:
        """Run one missed call through policy, outbox and sender."""
        normalized = normalize_number(number, self.region)
        shown = normalized.e164 if isinstance(normalized, PhoneNumber) else _raw(number)
        base = {
            "entry_id": self.entry.entry_id,
            "line_name": self.line_name,
            "call_id": call_id,
            "number": shown,
            "caller_name": caller_name,
        }
        already = self.ledger.is_handled(call_id)
        if not already:
            self.ledger.count_missed(missed_at)
            self._fire(CallEvent.MISSED_CALL, base, context)

        now = dt_util.utcnow()
        decision = decide(
            number=normalized,
            enabled=self.enabled,
            already_handled=already,
            last_texted_at=(
                self.ledger.last_texted_at(normalized.e164)
                if isinstance(normalized, PhoneNumber)
                else None
            ),
            cooldown=self.cooldown,
            now=now,
        )
        if not isinstance(decision, Send):
            LOGGER.debug(
                "%s: not texting %s: %s",
                self.line_name,
                mask_number(shown or ""),
                decision.reason,
            )
            if not already:
                self.ledger.add_history(
                    HistoryRecord(
                        call_id=call_id,
                        missed_at=missed_at.isoformat(),
                        number=shown,
                        caller_name=caller_name,
                        result="skipped",
                        reason=decision.reason,
                    )
                )
            self._fire(
                CallEvent.TEXT_SKIPPED, {**base, "reason": decision.reason}, context
            )
            return {"call_id": call_id, "result": "skipped", "reason": decision.reason}

        # The cooldown starts at the decision, so a burst of calls from one
        # number yields one text even while the first is still being sent.
        self.ledger.mark_texted(decision.number.e164, now, self.cooldown)
        item = OutboxItem(
            call_id=call_id,
            number=decision.number.e164,
            message=self.render_message(decision.number.e164, caller_name, missed_at),
            caller_name=caller_name,
            missed_at=missed_at.isoformat(),
            created_at=now.isoformat(),
        )
        error = await self.outbox.async_submit(item, context)
        return self._record_delivery(item, error, context)

    async def _async_resume(self, item: OutboxItem) -> None:
        error = await self.outbox.async_attempt(item, None)
        self._record_delivery(item, error, None)

    def _record_delivery(
        self, item: OutboxItem, error: SendError | None, context: Context | None
    ) -> dict[str, Any]:
        base = {
            "entry_id": self.entry.entry_id,
            "line_name": self.line_name,
            "call_id": item.call_id,
            "number": item.number,
            "caller_name": item.caller_name,
        }
        now = dt_util.utcnow()
        if error is None:
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
            if isinstance(self.sender, NotifySender):
                ir.async_delete_issue(self.hass, DOMAIN, self._notify_issue_id)
            self._fire(CallEvent.TEXT_SENT, {**base, "message": item.message}, context)
            return {
                "call_id": item.call_id,
                "result": "sent",
                "number": item.number,
                "message": item.message,
            }
        LOGGER.warning(
            "%s: the text for call %s could not be sent: %s",
            self.line_name,
            item.call_id,
            scrub_numbers(error.detail),
        )
        if error.translation_key == "notify_missing":
            self._raise_notify_missing()
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
        self._fire(CallEvent.TEXT_FAILED, {**base, "error": error.detail}, context)
        return {"call_id": item.call_id, "result": "failed", "error": error.detail}

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
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"template_error_{self.entry.entry_id}",
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="template_error",
                translation_placeholders={
                    "line_name": self.line_name,
                    "error": str(err),
                },
            )
            return render(self._template(DEFAULT_MESSAGE), variables)
        ir.async_delete_issue(
            self.hass, DOMAIN, f"template_error_{self.entry.entry_id}"
        )
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

    @property
    def _notify_issue_id(self) -> str:
        return f"notify_missing_{self.entry.entry_id}"

    @callback
    def _is_our_notify_service(self, data: Mapping[str, Any]) -> bool:
        return (
            isinstance(self.sender, NotifySender)
            and data["domain"] == NOTIFY_DOMAIN
            and data["service"] == self.sender.service
        )

    @callback
    def _async_service_registered(self, _event: Event[Mapping[str, Any]]) -> None:
        ir.async_delete_issue(self.hass, DOMAIN, self._notify_issue_id)

    @callback
    def _check_notify_service(self) -> None:
        if isinstance(self.sender, NotifySender) and not self.sender.available:
            self._raise_notify_missing()

    @callback
    def _raise_notify_missing(self) -> None:
        assert isinstance(self.sender, NotifySender)  # noqa: S101
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._notify_issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="notify_missing",
            translation_placeholders={
                "line_name": self.line_name,
                "service": f"{NOTIFY_DOMAIN}.{self.sender.service}",
            },
        )


def _raw(number: object) -> str | None:
    if number is None:
        return None
    text = str(number).strip()
    return text or None
