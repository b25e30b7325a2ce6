"""One business line: source -> tracker -> policy -> outbox -> sender -> ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CALLBACK_TYPE, Context, Event, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from . import repairs
from .build_sender import async_build_sender
from .business_hours import BusinessHours
from .calls import CallTracker, EndedCall
from .changes import Change
from .const import CONF_AFTER_HOURS_MESSAGE, CONF_MESSAGE, DOMAIN, Mode
from .delivery import Delivery
from .events import CallEventListener, LineEvents
from .follow_ups import FollowUps
from .ledger import Ledger, OutboxItem
from .message import MessageRenderer
from .missed_calls import MissedCalls
from .outbox import Outbox
from .receipts import Receipts, build_receipt_source
from .redraw import Redraws
from .reply_desk import ReplyDesk
from .send_repairs import SendRepairs
from .sender import ActionSender, Sender
from .settings import Details, LineSettings, Variant
from .sources import CallSource, LineSink
from .sources.providers import DeliveryReport
from .switches import OwnerSwitches

# Options a line takes into use without a reload (the text entities set them).
LIVE_OPTIONS = frozenset({CONF_MESSAGE, CONF_AFTER_HOURS_MESSAGE})

type Clock = Callable[[], datetime]
# Builds the line's source (sources/build.py's build_source). Passed in, so the
# line imports no source kind and no source imports lead back to the line.
type SourceFactory = Callable[
    [HomeAssistant, ConfigEntry[TextBackLine], LineSink, CALLBACK_TYPE, Clock],
    CallSource,
]


class TextBackLine:
    """Everything one config entry runs: it wires the stages and owns the lifecycle."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[TextBackLine],
        build_source: SourceFactory,
    ) -> None:
        """Initialize the line from its config entry."""
        self.hass = hass
        self.entry = entry
        # The one clock of the line and its stages.
        self.now: Clock = dt_util.utcnow
        self._build_source = build_source
        self.ledger = Ledger(hass, entry.entry_id)
        self.tracker = CallTracker(ulid_now, on_outgoing=self.call_placed)
        self.redraws = Redraws(
            lambda coro: entry.async_create_task(
                hass, coro, f"{DOMAIN} redraw", eager_start=False
            )
        )
        self.hours = BusinessHours(
            hass, entry.options, lambda: self.redraws.now(Change.HOURS)
        )
        # Built by async_start, once the owner's actions are validated.
        self.sender: Sender
        self.outbox: Outbox
        self.source: CallSource
        self._applied_options = dict(entry.options)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._settings: LineSettings | None = None
        self._settings_of: tuple[Mapping[str, Any], str] = ({}, "")
        self.renderer = MessageRenderer(
            hass, entry.entry_id, lambda: self.settings, self.hours
        )
        # Call events redraw at the end of the loop turn; the rest at once.
        self.events = LineEvents(
            hass, entry.entry_id, lambda: self.line_name, self.redraws.soon
        )
        self.switches = OwnerSwitches(
            hass,
            entry.entry_id,
            self.ledger,
            lambda: self.line_name,
            lambda: self.redraws.now(Change.SWITCHES),
        )
        self.follow_ups = FollowUps(
            hass,
            self.ledger,
            lambda: self.settings,
            self.events,
            self._track,
            self.redraws.now,
        )
        self.replies = ReplyDesk(
            entry_id=entry.entry_id,
            ledger=self.ledger,
            settings=lambda: self.settings,
            events=self.events,
            follow_ups=self.follow_ups,
            sender=lambda: self.sender,
            template=self.renderer.template,
            save_now=self.switches.async_save_now,
            track=self._track,
            changed=self.redraws.now,
        )
        self.send_repairs = SendRepairs(
            hass, entry.entry_id, lambda: self.line_name, lambda: self.sender
        )
        self.delivery = Delivery(
            hass, self.ledger, self._async_deliver, self._create_task
        )
        self.receipts = Receipts(
            hass=hass,
            entry=entry,
            ledger=self.ledger,
            settings=lambda: self.settings,
            events=self.events,
            save_now=self.switches.async_save_now,
            track=self._track,
        )
        self.missed = MissedCalls(
            ledger=self.ledger,
            delivery=self.delivery,
            outbox=lambda: self.outbox,
            events=self.events,
            follow_ups=self.follow_ups,
            settings=lambda: self.settings,
            switches=self.switches,
            hours=self.hours,
            renderer=self.renderer,
            send_repairs=self.send_repairs,
            receipts=self.receipts,
            now=self.now,
            track=self._track,
        )

    # --- the owner's switches (switches.py) ----------------------------------

    @property
    def enabled(self) -> bool:
        """Return whether the master switch lets the line text back."""
        return self.switches.enabled

    @property
    def mode(self) -> Mode:
        """Return when the line texts back (always, after hours, ...)."""
        return self.switches.mode

    async def async_set_enabled(self, *, enabled: bool) -> None:
        """Turn texting back on or off; on disk before it returns."""
        await self.switches.async_set_enabled(enabled=enabled)

    async def async_set_mode(self, mode: Mode) -> None:
        """Change the mode; on disk before it returns."""
        await self.switches.async_set_mode(mode)

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
                options, title, self.hass.config.country, self.hass.config.language
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
        self.redraws.now(Change.SETTINGS)

    # --- lifecycle ---------------------------------------------------------

    async def async_start(self) -> None:
        """Load state, start hearing calls and resume texts left by a restart."""
        # The Store first: the master switch, the mode and the outbox are
        # known before anything can hear a call or resume a text.
        await self.ledger.async_load()
        self.switches.adopt_restored()
        self.sender = await async_build_sender(self.hass, self.settings)
        self.outbox = Outbox(self.ledger.outbox_file, self.sender, self.line_name)
        self.entry.async_on_unload(await self.hours.async_start())
        self.source = self._build_source(
            self.hass, self.entry, self, self._source_changed, self.now
        )
        self.entry.async_on_unload(await self.source.async_start())
        if (
            receipts := build_receipt_source(
                self.hass,
                self.entry,
                self.settings,
                self,
                self._source_changed,
            )
        ) is not None:
            # A native sender's own webhook for its receipts and replies.
            self.entry.async_on_unload(await receipts.async_start())
        self.entry.async_on_unload(
            async_track_time_change(
                self.hass, self._async_new_day, hour=0, minute=0, second=0
            )
        )
        self.entry.async_on_unload(self.send_repairs.async_watch())
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
        self.redraws.flush()
        if isinstance(self.sender, ActionSender):
            await self.sender.async_stop()
        await self.ledger.async_flush()

    @callback
    def _async_started(self, _hass: HomeAssistant) -> None:
        # Notify services of other integrations may register late in startup,
        # so the check and the resend wait until Home Assistant has started.
        self.send_repairs.async_check()
        now = self.now()
        # Reminders that came due while Home Assistant was down go out now.
        self.follow_ups.async_moment(now)
        # Texts left on disk, or decided while Home Assistant was starting:
        # Delivery gives each one timer or one send, whatever it has already.
        self.delivery.resume(now)

    # --- listeners for entities -------------------------------------------

    @callback
    def async_add_listener(
        self, update: CALLBACK_TYPE, shows: Change = Change.ALL
    ) -> CALLBACK_TYPE:
        """Call update whenever something it shows changes (redraw.py)."""
        return self.redraws.async_add_listener(update, shows)

    @callback
    def async_add_event_listener(self, listener: CallEventListener) -> CALLBACK_TYPE:
        """Call listener with every call event of this line."""
        return self.events.async_add_listener(listener)

    @callback
    def _source_changed(self) -> None:
        self.redraws.now(Change.SOURCE)

    @callback
    def _async_new_day(self, now: datetime) -> None:
        self.redraws.now()
        self._track(self.hours.async_new_day(now), "new day")

    # --- what the source hears (missed_calls.py) ----------------------------

    @callback
    def call_placed(self, number: object, at: datetime) -> None:
        """Take an outgoing call the owner placed: a waiting text to it is moot."""
        self.missed.call_placed(number, at)

    @callback
    def calls_ended(self, ended: list[EndedCall]) -> None:
        """Text back the missed calls among the calls that ended."""
        self.missed.calls_ended(ended)

    @callback
    def reply_received(
        self, number: object, text: str, *, verified: bool = True
    ) -> None:
        """Take a caller's text message heard by the source."""
        self._track(
            self.replies.async_handle(
                number=number, text=text, answer_help=False, verified=verified
            ),
            "reply",
        )

    @callback
    def delivery_reported(self, report: DeliveryReport, *, verified: bool) -> None:
        """Take the provider's receipt of a text (receipts.py)."""
        self.receipts.async_report(report, verified=verified)

    @callback
    def _track(self, coro: Coroutine[Any, Any, Any], call_id: str) -> None:
        """Run a coroutine the line cancels (and awaits) when it stops."""
        task = self.entry.async_create_task(self.hass, coro, f"{DOMAIN} call {call_id}")
        if not task.done():
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _async_deliver(
        self, item: OutboxItem, context: Context | None
    ) -> dict[str, Any]:
        """Attempt one persisted text (missed_calls.py); only Delivery calls this."""
        return await self.missed.async_deliver(item, context)

    @callback
    def _create_task(
        self, coro: Coroutine[Any, Any, Any], name: str
    ) -> asyncio.Task[Any]:
        """Start a send on the next loop turn, after Delivery marked it in flight."""
        return self.entry.async_create_task(self.hass, coro, name, eager_start=False)
