"""Whether to text a missed caller: pure decisions over plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .const import SkipReason
from .phone import PhoneNumber


@dataclass(frozen=True, slots=True)
class Send:
    """Text this number now."""

    number: PhoneNumber


@dataclass(frozen=True, slots=True)
class Skip:
    """Do not text; say why."""

    reason: SkipReason


type Decision = Send | Skip


def decide(
    *,
    number: PhoneNumber | SkipReason,
    enabled: bool,
    already_handled: bool,
    last_texted_at: datetime | None,
    cooldown: timedelta,
    now: datetime,
) -> Decision:
    """Decide what to do about one missed call.

    The order matters: a call already handled is never reconsidered, the
    owner's switch wins over everything else, and an untextable number is
    reported as such before any per-number rule.
    """
    if already_handled:
        return Skip(SkipReason.DUPLICATE)
    if not enabled:
        return Skip(SkipReason.DISABLED)
    if isinstance(number, SkipReason):
        return Skip(number)
    if last_texted_at is not None and now - last_texted_at < cooldown:
        return Skip(SkipReason.COOLDOWN)
    return Send(number)
