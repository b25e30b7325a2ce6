"""Follow-ups: remind the owner before a promise falls due; record call-backs.

The pure bookkeeping is leads.py's LeadBook (kept in the line's ledger); this
stage owns the one timer for the next reminder or deadline, the reminders
themselves, the resolutions and the owner's own notify service.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
import re
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .changes import Change
from .compat import vol
from .const import DOMAIN, LOGGER, CallEvent
from .events import LineEvents
from .leads import Resolution, Resolved
from .ledger import Ledger
from .phone import PhoneNumber, normalize_number, scrub_numbers
from .sender import NOTIFY_DOMAIN
from .settings import LineSettings

# The owner's notes are translation strings: the "common" category holds the
# texts an integration builds in code (core's media_source reads its own there).
NOTES_CATEGORY: Final = "common"
# English, if the owner's language cannot be loaded (en.json holds the same).
ENGLISH_NOTES: Final = {
    "follow_up_reminder": "Follow up with {caller} by {due} ({line}).",
    "follow_up_reminder_replied": (
        'Follow up with {caller} by {due} ({line}). They replied: "{reply}"'
    ),
    "reply_forwarded": '{caller} replied to {line}: "{text}"',
    "reply_forwarded_opt_out": (
        '{caller} replied to {line}: "{text}" (treated as opt-out)'
    ),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def who(number: str, caller_name: str | None) -> str:
    """Name a caller for the owner: "Jordan (+1650...)" or the number."""
    return f"{caller_name} ({number})" if caller_name else number


def fill(text: str, values: Mapping[str, str]) -> str:
    """Put the values into a translation's {placeholders}, in one pass.

    One pass: a caller's reply that holds "{line}" stays as the caller wrote it.
    """
    return _PLACEHOLDER.sub(lambda found: values.get(found[1], found[0]), text)


class OwnerNotes:
    """The notes to the owner, in the owner's Home Assistant language."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Initialize the notes; each language's strings are loaded once."""
        self._hass = hass
        self._loaded: dict[str, dict[str, str]] = {}

    async def async_text(self, key: str, values: Mapping[str, str]) -> str:
        """Return one note, English where the owner's language lacks it."""
        language = self._hass.config.language
        if (strings := self._loaded.get(language)) is None:
            try:
                translations = await async_get_translations(
                    self._hass, language, NOTES_CATEGORY, {DOMAIN}
                )
            except HomeAssistantError as err:
                # A translation file that cannot be read: the note still goes.
                LOGGER.warning("Could not load the %s notes: %s", language, err)
                translations = {}
            prefix = f"component.{DOMAIN}.{NOTES_CATEGORY}."
            strings = self._loaded[language] = {
                name: translations[prefix + name]
                for name in ENGLISH_NOTES
                if prefix + name in translations
            }
        return fill(strings.get(key, ENGLISH_NOTES[key]), values)


class FollowUps:
    """The line's promises to call back, and the owner's reminders of them."""

    def __init__(
        self,
        hass: HomeAssistant,
        ledger: Ledger,
        settings: Callable[[], LineSettings],
        events: LineEvents,
        track: Callable[[Coroutine[Any, Any, Any], str], None],
        changed: Callable[[Change], None],
    ) -> None:
        """Initialize the stage of one line."""
        self._hass = hass
        self._ledger = ledger
        self._settings = settings
        self._events = events
        self._track = track
        self._changed = changed
        self._timer: CALLBACK_TYPE | None = None
        # When the timer fires: most texts leave the next moment where it
        # was, and the timer is then kept rather than cancelled and made anew.
        self._timer_at: datetime | None = None
        self._notes = OwnerNotes(hass)

    @callback
    def async_cancel_timer(self) -> None:
        """Drop the timer (the line stops; reminders resume at the next start)."""
        if self._timer is not None:
            self._timer()
            self._timer = None
        self._timer_at = None

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
                Change.LEADS | Change.FOLLOW_UPS,
            )
        self._schedule()

    @callback
    def _schedule(self) -> None:
        """Set the timer for the next reminder or deadline."""
        moment = self._ledger.leads.next_moment(
            dt_util.utcnow(), self._settings().remind_before
        )
        # A timer set for no later than the moment stays: when it fires it
        # finds nothing due yet and sets the next one. A text at the open
        # leads' cap moves the next moment at every call.
        kept = self._timer_at
        if moment is not None and kept is not None and kept <= moment:
            return
        self.async_cancel_timer()
        if moment is not None:
            self._timer = async_track_point_in_utc_time(
                self._hass, self._async_timer_fired, moment
            )
            self._timer_at = moment

    @callback
    def _async_timer_fired(self, now: datetime) -> None:
        """Take the moment the timer was set for; the fired timer is spent."""
        self._timer = None
        self._timer_at = None
        self.async_moment(now)

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
                Change.LEADS,
            )
            values = {
                "caller": who(lead.number, lead.caller_name),
                "due": dt_util.as_local(lead.due_at).strftime("%H:%M"),
                "line": settings.line_name,
            }
            key = "follow_up_reminder"
            if lead.replies:
                key = "follow_up_reminder_replied"
                values["reply"] = lead.replies[-1]["text"]
            self._track(self.async_tell_owner(key, values, None), "reminder")
        if redraw:
            self._changed(Change.LEADS)
        self._schedule()

    async def async_tell_owner(
        self, key: str, values: Mapping[str, str], context: Context | None
    ) -> None:
        """Send a note (key: its translation) to the owner's notify service, if set."""
        settings = self._settings()
        if not (service := settings.follow_up_notify):
            return
        message = await self._notes.async_text(key, values)
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
