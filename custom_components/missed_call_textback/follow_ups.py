"""Follow-ups: remind the owner before a promise falls due; record call-backs.

The pure bookkeeping is leads.py's LeadBook (kept in the line's ledger); this
stage owns the one timer for the next reminder or deadline, the reminders
themselves, the resolutions and the owner's own notify service.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .compat import vol
from .const import LOGGER, CallEvent
from .events import LineEvents
from .leads import Resolution, Resolved
from .ledger import Ledger
from .phone import PhoneNumber, normalize_number, scrub_numbers
from .sender import NOTIFY_DOMAIN
from .settings import LineSettings


def who(number: str, caller_name: str | None) -> str:
    """Name a caller for the owner: "Jordan (+1650...)" or the number."""
    return f"{caller_name} ({number})" if caller_name else number


class FollowUps:
    """The line's promises to call back, and the owner's reminders of them."""

    def __init__(
        self,
        hass: HomeAssistant,
        ledger: Ledger,
        settings: Callable[[], LineSettings],
        events: LineEvents,
        track: Callable[[Coroutine[Any, Any, Any], str], None],
        changed: CALLBACK_TYPE,
    ) -> None:
        """Initialize the stage of one line."""
        self._hass = hass
        self._ledger = ledger
        self._settings = settings
        self._events = events
        self._track = track
        self._changed = changed
        self._timer: CALLBACK_TYPE | None = None

    @callback
    def async_cancel_timer(self) -> None:
        """Drop the timer (the line stops; reminders resume at the next start)."""
        if self._timer is not None:
            self._timer()
            self._timer = None

    @callback
    def async_resolve_number(
        self, number: object, at: datetime, resolution: Resolution
    ) -> None:
        """Mark the open leads of a number (as a source reported it) followed up."""
        normalized = normalize_number(number, self._settings().region)
        if isinstance(normalized, PhoneNumber):
            self._async_resolved(
                self._ledger.leads.resolve_number(normalized.e164, at, resolution)
            )

    @callback
    def async_resolve(
        self,
        *,
        number: str | None = None,
        call_id: str | None = None,
        context: Context | None = None,
    ) -> list[str]:
        """Mark the leads of a number or a call followed up; return their calls."""
        now = dt_util.utcnow()
        leads = self._ledger.leads
        resolved = (
            leads.resolve_call(call_id, now, Resolution.MANUAL)
            if call_id is not None
            else leads.resolve_number(number or "", now, Resolution.MANUAL)
        )
        self._async_resolved(resolved, context)
        return [done.lead.call_id for done in resolved]

    @callback
    def async_resolve_oldest(self, context: Context | None = None) -> str | None:
        """Mark the most urgent open lead followed up; return its call."""
        if not (waiting := self._ledger.leads.sorted_open()):
            return None
        self.async_resolve(call_id=waiting[0].call_id, context=context)
        return waiting[0].call_id

    @callback
    def _async_resolved(
        self, resolved: list[Resolved], context: Context | None = None
    ) -> None:
        if not resolved:
            return
        self._ledger.leads_changed()
        for done in resolved:
            lead = done.lead
            self._events.fire(
                CallEvent.LEAD_RESOLVED,
                {
                    **self._events.data(
                        lead.call_id, lead.number, lead.caller_name, lead.variant
                    ),
                    "resolution": done.resolution.value,
                    "resolved_at": done.resolved_at.isoformat(),
                    "due_at": lead.due_at.isoformat(),
                    "within_promise": done.within_promise,
                    "minutes": round(done.took.total_seconds() / 60, 1),
                },
                context,
            )
        self._schedule()

    @callback
    def _schedule(self) -> None:
        """Set the timer for the next reminder or deadline."""
        self.async_cancel_timer()
        moment = self._ledger.leads.next_moment(
            dt_util.utcnow(), self._settings().remind_before
        )
        if moment is not None:
            self._timer = async_track_point_in_utc_time(
                self._hass, self.async_moment, moment
            )

    @callback
    def async_moment(self, now: datetime, *, redraw: bool = True) -> None:
        """Remind the owner of follow-ups coming due; redraw the overdue count."""
        settings = self._settings()
        for lead in self._ledger.leads.due_reminders(now, settings.remind_before):
            lead.reminded = True
            self._ledger.leads_changed()
            self._events.fire(
                CallEvent.FOLLOW_UP_DUE,
                {
                    **self._events.data(
                        lead.call_id, lead.number, lead.caller_name, lead.variant
                    ),
                    "due_at": lead.due_at.isoformat(),
                    "missed_at": lead.missed_at.isoformat(),
                    "replies": [reply["text"] for reply in lead.replies],
                },
                None,
            )
            due = dt_util.as_local(lead.due_at).strftime("%H:%M")
            reply = (
                f' They replied: "{lead.replies[-1]["text"]}"' if lead.replies else ""
            )
            self._track(
                self.async_tell_owner(
                    f"Follow up with {who(lead.number, lead.caller_name)} by {due}"
                    f" ({settings.line_name}).{reply}",
                    None,
                ),
                "reminder",
            )
        if redraw:
            self._changed()
        self._schedule()

    async def async_tell_owner(self, message: str, context: Context | None) -> None:
        """Send a note to the owner's own notify service, if one is set."""
        settings = self._settings()
        if not (service := settings.follow_up_notify):
            return
        try:
            await self._hass.services.async_call(
                NOTIFY_DOMAIN,
                service,
                {"message": message, "title": settings.line_name},
                blocking=True,
                context=context,
            )
        except (HomeAssistantError, vol.Invalid) as err:
            LOGGER.warning(
                "%s: could not notify the owner: %s",
                settings.line_name,
                scrub_numbers(str(err)),
            )
