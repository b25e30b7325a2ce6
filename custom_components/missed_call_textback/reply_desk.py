"""Replies: what a caller texts back, read for STOP, START and HELP.

An opt-out is on disk before any answer leaves; a reply counts on this line only
if the line's text reached the number; HELP is answered once a day per number;
an unsigned source may opt a number out but never back in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, Context, Event, callback
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util

from .changes import Change
from .const import LOGGER, CallEvent
from .events import LineEvents
from .follow_ups import FollowUps, who
from .leads import Lead
from .ledger import Ledger
from .message import message_variables, render
from .phone import PhoneNumber, normalize_number, scrub_numbers
from .replies import Keyword, read_reply
from .sender import Sender, SendError
from .settings import LineSettings

# A reply is cut here: ten SMS parts, more than any phone sends as one text.
MAX_SMS_CHARS = 1600


class ReplyDesk:
    """Takes the replies of one line's callers."""

    def __init__(
        self,
        *,
        entry_id: str,
        ledger: Ledger,
        settings: Callable[[], LineSettings],
        events: LineEvents,
        follow_ups: FollowUps,
        sender: Callable[[], Sender],
        template: Callable[[str], Template],
        save_now: Callable[[], Awaitable[None]],
        track: Callable[[Coroutine[Any, Any, Any], str], None],
        changed: CALLBACK_TYPE,
    ) -> None:
        """Initialize the stage of one line."""
        self._entry_id = entry_id
        self._ledger = ledger
        self._settings = settings
        self._events = events
        self._follow_ups = follow_ups
        self._sender = sender
        self._template = template
        self._save_now = save_now
        self._track = track
        self._changed = changed

    async def async_handle(
        self,
        *,
        number: object,
        text: str,
        answer_help: bool,
        context: Context | None = None,
        verified: bool = True,
    ) -> dict[str, Any]:
        """Take a caller's reply: opt-out keywords, HELP, and the reply itself.

        An unverified reply (a source without a signature) may opt out, never
        back in: a forged START must not lift a caller's opt-out.
        """
        normalized = normalize_number(number, self._settings().region)
        if not isinstance(normalized, PhoneNumber):
            return {"entry_id": self._entry_id, "result": "ignored"}
        e164 = normalized.e164
        now = dt_util.utcnow()
        # Longer than any SMS (10 parts): the rest is not a caller's reply.
        text = text[:MAX_SMS_CHARS]
        reading = read_reply(text)
        keyword = reading.keyword
        if keyword is Keyword.START and not verified:
            LOGGER.debug("%s: unsigned START ignored", self._settings().line_name)
            keyword = Keyword.NONE
        # A reply belongs to this line only if the line's text reached the number.
        texted = self._ledger.has_texted(e164)
        call_id: str | None = None
        lead: Lead | None = None
        if texted:
            call_id = self._ledger.attach_reply(e164, text, now)
            lead = self._ledger.leads.reply(e164, text, now)
            self._ledger.leads_changed()
        changed, answer = self._apply_keyword(
            keyword, e164, now, may_help=answer_help or texted
        )
        if changed or answer is not None:
            # The opt-out (and the HELP bookkeeping) is on disk before any
            # answer leaves.
            await self._save_now()
        self._events.fire(
            CallEvent.REPLY_RECEIVED,
            {
                **self._events.data(
                    call_id,
                    e164,
                    lead.caller_name if lead else None,
                    self._ledger.variant_of(call_id),
                ),
                "text": text,
                "keyword": keyword.value,
                # Read from a phrase ("please stop texting me"), not a bare word.
                "inferred": reading.inferred and keyword is reading.keyword,
            },
            context,
            Change.REPLIES | Change.LEADS,
        )
        opted_out_now = keyword is Keyword.STOP and changed
        if (call_id is not None or opted_out_now) and self._settings().replies.forward:
            self._track(
                self._follow_ups.async_tell_owner(
                    "reply_forwarded_opt_out"
                    if opted_out_now and reading.inferred
                    else "reply_forwarded",
                    {
                        "caller": who(e164, lead.caller_name if lead else None),
                        "line": self._settings().line_name,
                        "text": text,
                    },
                    context,
                ),
                "forward",
            )
        answered = answer is not None and await self._async_answer(
            e164, answer, context
        )
        return {
            "entry_id": self._entry_id,
            "result": "handled",
            "keyword": keyword.value,
            "call_id": call_id,
            "opted_out": self._ledger.is_opted_out(e164),
            "answered": answered,
        }

    def _apply_keyword(
        self, keyword: Keyword, number: str, now: datetime, *, may_help: bool
    ) -> tuple[bool, str | None]:
        """Apply STOP/START/HELP; return whether consent changed and any answer."""
        replies = self._settings().replies
        if keyword is Keyword.STOP:
            changed = self._ledger.opt_out(number, now)
            confirm = changed and replies.stop_confirmation
            return changed, replies.stop_message if confirm else None
        if keyword is Keyword.START:
            return self._ledger.opt_in(number), None
        today = dt_util.as_local(now).date()
        if (
            keyword is Keyword.HELP
            and may_help
            and self._ledger.may_answer_help(number, today)
        ):
            self._ledger.help_answered(number, today)
            return False, replies.help_message
        return False, None

    async def _async_answer(
        self, number: str, source: str, context: Context | None
    ) -> bool:
        """Send one compliance answer (HELP, STOP confirmation); no retries."""
        variables = message_variables(
            business_name=self._settings().business_name,
            line_name=self._settings().line_name,
            caller_number=number,
            caller_name=None,
            called_at=dt_util.utcnow(),
        )
        try:
            message = render(self._template(source), variables)
            await self._sender().async_send(
                number=number,
                message=message,
                caller_name=None,
                line_name=self._settings().line_name,
                context=context,
            )
        except (TemplateError, SendError) as err:
            LOGGER.warning(
                "%s: could not answer a reply: %s",
                self._settings().line_name,
                scrub_numbers(str(err)),
            )
            return False
        return True

    async def async_set_opt_out(self, number: str, *, opted_out: bool) -> bool:
        """Opt a number out or back in for the owner; return whether it changed.

        The change is on disk before this returns.
        """
        if opted_out:
            changed = self._ledger.opt_out(number, dt_util.utcnow())
        else:
            changed = self._ledger.opt_in(number)
        if changed:
            await self._save_now()
        self._changed()
        return changed

    @callback
    def async_reply_event(self, event: Event[Mapping[str, Any]]) -> None:
        """Take a reply that arrived as a bus event (the owner's reply source)."""
        replies = self._settings().replies
        number = event.data.get(replies.number_key)
        text = event.data.get(replies.text_key)
        if not isinstance(text, str) or not isinstance(number, (str, int)):
            # Twilio's voice callbacks share the event and carry no Body.
            return
        self._track(
            self.async_handle(
                number=number,
                text=text,
                answer_help=False,
                context=event.context,
                # Core's Twilio integration checks no signature: anyone who
                # knows its webhook can post as any number.
                verified=not replies.unsigned,
            ),
            "reply",
        )
