"""Whether to text a missed caller: pure decisions over plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .const import Mode, QuietAction, SkipReason
from .phone import PhoneNumber, known_region


@dataclass(frozen=True, slots=True, kw_only=True)
class Rules:
    """The owner's rules for one line."""

    cooldown: timedelta
    # E.164 numbers or prefixes ("+1900" covers every +1 900 number).
    blocklist: tuple[str, ...] = ()
    allowlist_only: bool = False
    allowlist: tuple[str, ...] = ()
    never_text: tuple[str, ...] = ()
    # Regions (ISO codes) whose numbers may be texted; None: any region.
    countries: frozenset[str] | None = None
    min_ring: timedelta = timedelta(0)
    hourly_cap: int = 0  # 0: no cap
    daily_cap: int = 0
    mode: Mode = Mode.ALWAYS
    busy_only: bool = False
    delay: timedelta = timedelta(0)
    quiet_action: QuietAction = QuietAction.HOLD


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What the line's ledger knows about this call and number."""

    already_handled: bool = False
    last_texted_at: datetime | None = None
    opted_out: bool = False
    sent_last_hour: int = 0
    sent_last_day: int = 0
    # Whether the business was open when the call was missed.
    is_open: bool = True
    # Whether another call on the line was in progress while this one rang.
    while_busy: bool = False
    # When the text would go out falls in quiet hours that end at this moment.
    quiet_until: datetime | None = None
    # The provider said the number cannot take texts (a landline).
    landline: bool = False


@dataclass(frozen=True, slots=True)
class Send:
    """Text this number: now, or at a later moment (a delay, quiet hours)."""

    number: PhoneNumber
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """Do not text; say why."""

    reason: SkipReason


type Decision = Send | Skip


def home_countries(
    region: str | None, others: Iterable[str] = ()
) -> frozenset[str] | None:
    """Return the regions a line texts: its own and those the owner added.

    Without a region of its own (or one no phone number belongs to) a line
    cannot tell home from abroad, so it keeps texting every country as it
    always did.
    """
    if (home := known_region(region)) is None:
        return None
    return frozenset({home, *(other.upper() for other in others)})


def matches(number: str, entries: tuple[str, ...]) -> bool:
    """Return whether a number is on a list of numbers and prefixes."""
    return any(number.startswith(entry) for entry in entries)


def decide(
    *,
    number: PhoneNumber | SkipReason,
    enabled: bool,
    rules: Rules,
    facts: Facts,
    ring_time: timedelta | None,
    now: datetime,
) -> Decision:
    """Decide what to do about one missed call.

    The order matters: a call already handled is never reconsidered; the
    owner's switch and mode win over everything; an untextable number is
    reported as such, and so is a service number or one from a country the
    line does not text (an SMS pumping guard); the caller's own wish
    (opt-out) and the owner's lists come before the timing rules; the caps
    come last, so only texts that would really go out count against them. A
    text that passes is sent now, after the owner's delay, or when quiet hours
    end.
    """
    if facts.already_handled:
        return Skip(SkipReason.DUPLICATE)
    if not enabled:
        return Skip(SkipReason.DISABLED)
    if (reason := _scope(rules, facts)) is not None:
        return Skip(reason)
    if isinstance(number, SkipReason):
        return Skip(number)
    if (reason := _destination(number, rules)) is not None:
        return Skip(reason)
    if facts.landline:
        return Skip(SkipReason.LANDLINE)
    reason = _wish_or_list(number.e164, rules, facts) or _timing(
        rules, facts, ring_time, now
    )
    if reason is not None:
        return Skip(reason)
    if facts.quiet_until is not None:
        if rules.quiet_action is QuietAction.SKIP:
            return Skip(SkipReason.QUIET_HOURS)
        return Send(number, facts.quiet_until)
    return Send(number, now + rules.delay if rules.delay else None)


def _scope(rules: Rules, facts: Facts) -> SkipReason | None:
    """Whether the owner wants texts in this moment at all."""
    if rules.mode is Mode.OFF:
        return SkipReason.MODE_OFF
    if rules.mode is Mode.AFTER_HOURS and facts.is_open:
        return SkipReason.OPEN
    if rules.mode is Mode.BUSINESS_HOURS and not facts.is_open:
        return SkipReason.CLOSED
    if rules.busy_only and not facts.while_busy:
        return SkipReason.NOT_BUSY
    return None


def _destination(number: PhoneNumber, rules: Rules) -> SkipReason | None:
    """Whether a text to this number could cost more than a normal text.

    A service number is reported first: adding its country would not help.
    Regions, not calling codes, are compared: +1 876 (Jamaica), a favourite
    of one-ring scams, is as foreign to a US line as +44 is.
    """
    if number.paid:
        return SkipReason.PAID_NUMBER
    if rules.countries is not None and number.region not in rules.countries:
        return SkipReason.FOREIGN_NUMBER
    return None


def _wish_or_list(e164: str, rules: Rules, facts: Facts) -> SkipReason | None:
    if facts.opted_out:
        return SkipReason.OPTED_OUT
    if matches(e164, rules.never_text):
        return SkipReason.NEVER_TEXT
    if matches(e164, rules.blocklist):
        return SkipReason.BLOCKED
    if rules.allowlist_only and not matches(e164, rules.allowlist):
        return SkipReason.NOT_ALLOWED
    return None


def _timing(
    rules: Rules, facts: Facts, ring_time: timedelta | None, now: datetime
) -> SkipReason | None:
    if ring_time is not None and ring_time < rules.min_ring:
        return SkipReason.SHORT_RING
    if facts.last_texted_at is not None and now - facts.last_texted_at < rules.cooldown:
        return SkipReason.COOLDOWN
    if (rules.hourly_cap and facts.sent_last_hour >= rules.hourly_cap) or (
        rules.daily_cap and facts.sent_last_day >= rules.daily_cap
    ):
        return SkipReason.RATE_CAPPED
    return None
