"""A line's settings, parsed once from its options whenever they change.

Pure: plain data from the entry's options (and the Home Assistant country as a
fallback); nothing here reads Home Assistant at run time. The line and its
stages take what they need from one frozen LineSettings instead of re-reading
and re-converting `entry.options` on every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from types import MappingProxyType
from typing import Any

from . import hours
from .const import (
    CONF_ACTION,
    CONF_AFTER_HOURS_MESSAGE,
    CONF_ALLOWED_COUNTRIES,
    CONF_ALLOWLIST,
    CONF_ALLOWLIST_ONLY,
    CONF_BLOCKLIST,
    CONF_BOOKING_LINK,
    CONF_BUSINESS_NAME,
    CONF_BUSY_ONLY,
    CONF_COOLDOWN_HOURS,
    CONF_COUNTRY,
    CONF_CREDENTIALS,
    CONF_DAILY_CAP,
    CONF_DELAY_SECONDS,
    CONF_FOLLOW_UP_NOTIFY,
    CONF_FORWARD_REPLIES,
    CONF_HELP_MESSAGE,
    CONF_HOURLY_CAP,
    CONF_LINE_NAME,
    CONF_MESSAGE,
    CONF_MESSAGE_LANGUAGE,
    CONF_MIN_RING_SECONDS,
    CONF_NEVER_TEXT,
    CONF_NOTIFY_SERVICE,
    CONF_QUIET_ACTION,
    CONF_QUIET_CLOCK,
    CONF_QUIET_END,
    CONF_QUIET_HOURS,
    CONF_QUIET_START,
    CONF_RECEIPT_URL,
    CONF_RECEIPT_WEBHOOK_ID,
    CONF_REMIND_MINUTES,
    CONF_REPLY_EVENT_TYPE,
    CONF_REPLY_NUMBER_KEY,
    CONF_REPLY_SOURCE,
    CONF_REPLY_TEXT_KEY,
    CONF_RESPONSE_MINUTES,
    CONF_RESPONSE_WINDOW,
    CONF_RETRY_MINUTES,
    CONF_SENDER,
    CONF_SERVICE_AREA,
    CONF_STOP_CONFIRMATION,
    CONF_STOP_MESSAGE,
    CONF_TEXT_VOICEMAIL,
    CONF_TRADE,
    CONF_VARIANT_MODE,
    DEFAULT_COOLDOWN_HOURS,
    DEFAULT_DAILY_CAP,
    DEFAULT_HOURLY_CAP,
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DEFAULT_REMIND_MINUTES,
    DEFAULT_RESPONSE_MINUTES,
    DEFAULT_RETRY_MINUTES,
    EXTRA_VARIANTS,
    TWILIO_EVENT,
    TWILIO_NUMBER_KEY,
    TWILIO_TEXT_KEY,
    Mode,
    QuietAction,
    QuietClock,
    ReplySource,
    SenderKind,
    VariantMode,
    variant_key,
)
from .policy import Rules, home_countries
from .presets import DEFAULT_RESPONSE_WINDOW, TEXTS, LanguageTexts, line_language


@dataclass(frozen=True, slots=True, kw_only=True)
class Details:
    """What the owner tells callers beyond the business's name."""

    booking_link: str = ""
    trade: str = ""
    service_area: str = ""
    response_window: str = DEFAULT_RESPONSE_WINDOW


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """One version of the message, compared with the others in an A/B test."""

    variant_id: str
    message: str
    response_window: str
    response_minutes: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplySettings:
    """How the line hears and answers replies."""

    source: ReplySource
    # The bus event replies arrive on (None: none), and where its fields are.
    event_type: str | None
    number_key: str
    text_key: str
    # Replies come from core's Twilio integration, which checks no signature.
    unsigned: bool
    forward: bool
    stop_confirmation: bool
    stop_message: str
    help_message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LineSettings:
    """Everything a line reads from its options, converted once."""

    line_name: str
    business_name: str
    region: str | None
    # The language of the texts the owner did not write (presets, defaults).
    language: str
    message_template: str
    after_hours_template: str
    variants: tuple[Variant, ...]
    variant_mode: VariantMode
    details: Details
    # The owner's rules, without the mode (kept in the line's Store).
    cooldown: timedelta
    blocklist: tuple[str, ...]
    allowlist_only: bool
    allowlist: tuple[str, ...]
    never_text: tuple[str, ...]
    countries: frozenset[str] | None
    min_ring: timedelta
    hourly_cap: int
    daily_cap: int
    busy_only: bool
    delay: timedelta
    quiet_action: QuietAction
    quiet_hours: hours.QuietHours | None
    quiet_in_callers_time: bool
    text_voicemail: bool
    retry_delays: tuple[timedelta, ...]
    remind_before: timedelta
    follow_up_notify: str | None
    sender: SenderKind
    notify_service: str
    action: Any
    # A native sender's credentials (empty for a notify service or actions).
    credentials: Mapping[str, str]
    # The webhook a native sender's receipts and replies arrive on: the
    # source's own when the calls come from the same provider's webhook.
    receipt_webhook_id: str | None
    # The URL the provider calls with receipts; None: ask for none.
    receipt_url: str | None
    replies: ReplySettings

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, Any],
        title: str,
        home_country: str | None,
        home_language: str | None = None,
    ) -> LineSettings:
        """Parse a line's options (home_*: Home Assistant's country, language)."""
        country = options.get(CONF_COUNTRY) or home_country
        region = str(country) if country else None
        language = line_language(options.get(CONF_MESSAGE_LANGUAGE), home_language)
        texts = TEXTS[language]
        message = str(options.get(CONF_MESSAGE) or texts.general.message)
        quiet = (
            hours.QuietHours(
                time.fromisoformat(options.get(CONF_QUIET_START, DEFAULT_QUIET_START)),
                time.fromisoformat(options.get(CONF_QUIET_END, DEFAULT_QUIET_END)),
            )
            if options.get(CONF_QUIET_HOURS, False)
            else None
        )
        sender = _sender(options)
        native = sender not in (SenderKind.NOTIFY, SenderKind.ACTION)
        return cls(
            line_name=str(options.get(CONF_LINE_NAME) or title),
            business_name=str(options.get(CONF_BUSINESS_NAME, "")),
            region=region,
            language=language,
            message_template=message,
            after_hours_template=str(
                options.get(CONF_AFTER_HOURS_MESSAGE, texts.general.after_hours)
            ),
            variants=_variants(options, message, texts),
            variant_mode=VariantMode(options.get(CONF_VARIANT_MODE, VariantMode.OFF)),
            details=Details(
                booking_link=str(options.get(CONF_BOOKING_LINK, "")),
                trade=str(options.get(CONF_TRADE, "")),
                service_area=str(options.get(CONF_SERVICE_AREA, "")),
                response_window="",
            ),
            cooldown=timedelta(
                hours=float(options.get(CONF_COOLDOWN_HOURS, DEFAULT_COOLDOWN_HOURS))
            ),
            blocklist=tuple(options.get(CONF_BLOCKLIST, ())),
            allowlist_only=bool(options.get(CONF_ALLOWLIST_ONLY, False)),
            allowlist=tuple(options.get(CONF_ALLOWLIST, ())),
            never_text=tuple(options.get(CONF_NEVER_TEXT, ())),
            countries=home_countries(region, options.get(CONF_ALLOWED_COUNTRIES, ())),
            min_ring=timedelta(seconds=float(options.get(CONF_MIN_RING_SECONDS, 0))),
            hourly_cap=int(options.get(CONF_HOURLY_CAP, DEFAULT_HOURLY_CAP)),
            daily_cap=int(options.get(CONF_DAILY_CAP, DEFAULT_DAILY_CAP)),
            busy_only=bool(options.get(CONF_BUSY_ONLY, False)),
            delay=timedelta(seconds=float(options.get(CONF_DELAY_SECONDS, 0))),
            quiet_action=QuietAction(options.get(CONF_QUIET_ACTION, QuietAction.HOLD)),
            quiet_hours=quiet,
            quiet_in_callers_time=quiet is not None
            and options.get(CONF_QUIET_CLOCK) == QuietClock.CALLER,
            text_voicemail=bool(options.get(CONF_TEXT_VOICEMAIL, False)),
            retry_delays=tuple(
                timedelta(minutes=float(value))
                for value in options.get(CONF_RETRY_MINUTES, DEFAULT_RETRY_MINUTES)
            ),
            remind_before=timedelta(
                minutes=float(options.get(CONF_REMIND_MINUTES, DEFAULT_REMIND_MINUTES))
            ),
            follow_up_notify=options.get(CONF_FOLLOW_UP_NOTIFY) or None,
            sender=sender,
            notify_service=str(options.get(CONF_NOTIFY_SERVICE, "")),
            action=options.get(CONF_ACTION),
            credentials=MappingProxyType(
                {
                    str(key): str(value)
                    for key, value in (options.get(CONF_CREDENTIALS) or {}).items()
                    if value is not None
                }
                if native
                else {}
            ),
            receipt_webhook_id=(options.get(CONF_RECEIPT_WEBHOOK_ID) or None)
            if native
            else None,
            receipt_url=(options.get(CONF_RECEIPT_URL) or None) if native else None,
            replies=_reply_settings(options, texts),
        )

    def rules(self, mode: Mode) -> Rules:
        """Return the policy's rules under the line's current mode."""
        return Rules(
            cooldown=self.cooldown,
            blocklist=self.blocklist,
            allowlist_only=self.allowlist_only,
            allowlist=self.allowlist,
            never_text=self.never_text,
            countries=self.countries,
            min_ring=self.min_ring,
            hourly_cap=self.hourly_cap,
            daily_cap=self.daily_cap,
            mode=mode,
            busy_only=self.busy_only,
            delay=self.delay,
            quiet_action=self.quiet_action,
        )

    def variant(self, variant_id: str | None) -> Variant:
        """Return a variant by id; one the owner removed falls back to the main one."""
        return next(
            (v for v in self.variants if v.variant_id == variant_id), self.variants[0]
        )

    def details_for(self, variant: Variant) -> Details:
        """Return the owner's details as one variant's text sees them."""
        return Details(
            booking_link=self.details.booking_link,
            trade=self.details.trade,
            service_area=self.details.service_area,
            response_window=variant.response_window,
        )


def _sender(options: Mapping[str, Any]) -> SenderKind:
    """Return the line's sender; an unknown one reads as a notify service."""
    try:
        return SenderKind(options.get(CONF_SENDER, SenderKind.NOTIFY))
    except ValueError:
        return SenderKind.NOTIFY


def _variants(
    options: Mapping[str, Any], message: str, texts: LanguageTexts
) -> tuple[Variant, ...]:
    """Return the message variants in use; the main message is variant a."""
    main = Variant(
        variant_id="a",
        message=message,
        response_window=str(options.get(CONF_RESPONSE_WINDOW) or texts.response_window),
        response_minutes=float(
            options.get(CONF_RESPONSE_MINUTES, DEFAULT_RESPONSE_MINUTES)
        ),
    )
    if options.get(CONF_VARIANT_MODE, VariantMode.OFF) == VariantMode.OFF:
        return (main,)
    found = [main]
    for variant_id in EXTRA_VARIANTS:
        text = str(options.get(variant_key(variant_id, "message")) or "")
        window = str(options.get(variant_key(variant_id, "response_window")) or "")
        minutes = options.get(variant_key(variant_id, "response_minutes"))
        if not (text.strip() or window.strip() or minutes):
            continue
        found.append(
            Variant(
                variant_id=variant_id,
                message=text.strip() or main.message,
                response_window=window.strip() or main.response_window,
                response_minutes=float(minutes or main.response_minutes),
            )
        )
    return tuple(found)


def _reply_settings(options: Mapping[str, Any], texts: LanguageTexts) -> ReplySettings:
    source = ReplySource(options.get(CONF_REPLY_SOURCE, ReplySource.NONE))
    if source == ReplySource.TWILIO:
        event_type: str | None = TWILIO_EVENT
        number_key, text_key = TWILIO_NUMBER_KEY, TWILIO_TEXT_KEY
    elif source == ReplySource.EVENT:
        event_type = str(options.get(CONF_REPLY_EVENT_TYPE) or "") or None
        number_key = str(options.get(CONF_REPLY_NUMBER_KEY, ""))
        text_key = str(options.get(CONF_REPLY_TEXT_KEY, ""))
    else:
        event_type, number_key, text_key = None, "", ""
    return ReplySettings(
        source=source,
        event_type=event_type,
        number_key=number_key,
        text_key=text_key,
        unsigned=source == ReplySource.TWILIO,
        forward=bool(options.get(CONF_FORWARD_REPLIES, True)),
        stop_confirmation=bool(options.get(CONF_STOP_CONFIRMATION, False)),
        stop_message=str(options.get(CONF_STOP_MESSAGE, texts.stop_message)),
        help_message=str(options.get(CONF_HELP_MESSAGE, texts.help_message)),
    )
