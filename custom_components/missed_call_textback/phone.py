"""Turn whatever a call source reports into a textable E.164 number."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
import re
from typing import Final

import phonenumbers
from phonenumbers import shortnumberinfo
from phonenumbers.timezone import UNKNOWN_TIMEZONE, time_zones_for_number

from .const import SkipReason

# Far above the longest real number plus formatting, so only garbage is cut
# off before it reaches phonenumbers.
_MAX_LENGTH: Final = 64

# phonenumbers calls a few 6-digit service numbers (Iranian UANs) valid; that
# is too short for a subscriber number, so they count as short codes.
_E164: Final = re.compile(r"\+[1-9]\d{6,14}")

# An int that fails in the default region may be an international number whose
# '+' a template ate, or a mistyped national one; guessing a country for the
# latter would text a stranger abroad, so only numbers as long as a NANP number
# with its country code are retried.
_MIN_INT_INTERNATIONAL_DIGITS: Final = 11

_SHORT_CODE_DIGITS: Final = range(3, 7)
_KEPT_DIGITS: Final = 2
_SEPARATORS: Final = re.compile(r"[\s().\-]")
_NOT_WORD: Final = re.compile(r"[\W_]+")
_URI_SCHEMES: Final = frozenset({"tel", "sip", "sips"})

# Parsing with phonenumbers is the costliest step of a call; the same caller
# is read several times per call (ringing, ended, the decision) and again when
# they ring back. The answers are immutable, so recent ones are kept: bounded,
# in memory only, for as long as the process runs.
PARSE_CACHE_SIZE: Final = 256
# A source may hand over anything (a webhook's field): longer text is answered
# without being kept, so the cache stays small whatever it is fed.
_MAX_CACHED_LENGTH: Final = 256

# Number types a text-back must not go to. Premium-rate, shared-cost, UAN and
# personal numbers (UK 070, US 5XX) bill the sender or forward at a premium:
# they are what SMS pumping and one-ring scams ring from. Pagers and voicemail
# access numbers reach no one who can answer. Toll-free numbers usually cannot
# take a text, and a toll-free caller ID is a call centre's presentation
# number, not a phone anyone reads texts on. Mobile, fixed-line, VoIP and
# numbers phonenumbers cannot type are real callers and stay textable.
_PAID_TYPES: Final = frozenset(
    {
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.UAN,
        phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
        phonenumbers.PhoneNumberType.PAGER,
        phonenumbers.PhoneNumberType.VOICEMAIL,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    }
)

# "p" and "o" are the modem caller ID codes for private and out of area.
_ANONYMOUS_MARKERS: Final = frozenset(
    {
        "anonymous",
        "anonymous caller",
        "blocked",
        "no caller id",
        "o",
        "p",
        "private",
        "private number",
        "restricted",
        "unavailable",
        "unknown",
        "unknown caller",
        "unknown number",
        "withheld",
        "withheld number",
    }
)


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number that can be texted."""

    e164: str
    region: str | None
    # A premium-rate or other service number: see _PAID_TYPES.
    paid: bool = False


def normalize_number(
    raw: object, default_region: str | None
) -> PhoneNumber | SkipReason:
    """Return the E.164 number in raw, or why it cannot be texted.

    raw is what a call source reported: None, a string (possibly a tel: or
    sip: URI) or an int (templates render "+15550000000" as 15550000000).
    default_region is the ISO region national formats are read in.
    """
    region = known_region(default_region)
    if isinstance(raw, str) and len(raw) > _MAX_CACHED_LENGTH:
        return _normalize_text(raw, region)
    # bool is an int subclass but never a number; huge ints make str() raise.
    if isinstance(raw, str) or (
        isinstance(raw, int)
        and not isinstance(raw, bool)
        and 0 <= raw < 10**_MAX_LENGTH
    ):
        return _normalize_cached(raw, region)
    return SkipReason.ANONYMOUS if raw is None else SkipReason.INVALID_NUMBER


@lru_cache(maxsize=PARSE_CACHE_SIZE, typed=True)
def _normalize_cached(raw: str | int, region: str | None) -> PhoneNumber | SkipReason:
    """Classify a caller ID string or int (typed: 15550000000 is not "15550000000")."""
    if isinstance(raw, str):
        return _normalize_text(raw, region)
    return _classify(str(raw), region, from_int=True)


def time_zones_for(e164: str) -> tuple[str, ...]:
    """Return the time zones a number may ring in; () when phonenumbers cannot tell.

    A country with several zones and no area code to tell them apart (a mobile
    in Russia or Australia) gives every zone it has.
    """
    return _time_zones_cached(e164)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _time_zones_cached(e164: str) -> tuple[str, ...]:
    parsed = _parse(e164, None)
    if parsed is None:
        return ()
    return tuple(
        zone for zone in time_zones_for_number(parsed) if zone != UNKNOWN_TIMEZONE
    )


def known_region(region: str | None) -> str | None:
    """Return region as phonenumbers names it, or None if it has no numbers."""
    upper = region.upper() if region else None
    return upper if upper in phonenumbers.SUPPORTED_REGIONS else None


def mask_number(number: str) -> str:
    """Hide a number for logs, keeping a leading '+' and the last 2 digits."""
    if len(number) <= _KEPT_DIGITS:
        return "*" * _KEPT_DIGITS
    digit_positions = [i for i, char in enumerate(number) if char.isdecimal()]
    # Keeping the last digits only hides something if there are more.
    kept = (
        set(digit_positions[-_KEPT_DIGITS:])
        if len(digit_positions) > _KEPT_DIGITS
        else set()
    )
    if number.startswith("+"):
        kept.add(0)
    return "".join(char if i in kept else "*" for i, char in enumerate(number))


def _normalize_text(raw: str, region: str | None) -> PhoneNumber | SkipReason:
    """Classify a caller ID string."""
    text = _unwrap(raw)
    if len(text) > _MAX_LENGTH:
        return SkipReason.INVALID_NUMBER
    # Nothing left that could be a number or a name counts as withheld too.
    marker = _NOT_WORD.sub(" ", text.casefold()).strip()
    if not marker or marker in _ANONYMOUS_MARKERS:
        return SkipReason.ANONYMOUS
    # phonenumbers would turn vanity letters into digits and read "ext."
    # suffixes; a caller ID with letters is a name, not a number.
    if any(char.isalpha() for char in text):
        return SkipReason.INVALID_NUMBER
    return _classify(text, region, from_int=False)


def _unwrap(raw: str) -> str:
    """Return the user part of a tel:/sip: URI, or the stripped text."""
    text = raw.strip()
    # SIP headers put the URI in angle brackets after an optional display name.
    start = text.find("<")
    if start != -1:
        end = text.find(">", start)
        text = text[start + 1 : end if end != -1 else None]
    scheme, colon, rest = text.partition(":")
    if colon and scheme.strip().casefold() in _URI_SCHEMES:
        text = rest
    return text.partition("@")[0].partition(";")[0].strip()


def _classify(
    text: str, region: str | None, *, from_int: bool
) -> PhoneNumber | SkipReason:
    """Parse text that has no letters in it."""
    bare = _SEPARATORS.sub("", text)
    if bare.isdecimal() and len(bare) in _SHORT_CODE_DIGITS:
        return SkipReason.SHORT_CODE
    parsed = _parse(text, region)
    result = _valid(parsed)
    if (
        result is None
        and from_int
        and (region is None or len(bare) >= _MIN_INT_INTERNATIONAL_DIGITS)
    ):
        result = _valid(_parse(f"+{text}", None))
    if result is not None:
        return result
    # Catches 1-2 digit service and emergency numbers (France's 15, 17, 18),
    # which the digit count rule above leaves alone. Emergency numbers are all
    # valid short numbers in phonenumbers' metadata.
    if (
        region is not None
        and parsed is not None
        and shortnumberinfo.is_valid_short_number_for_region(parsed, region)
    ):
        return SkipReason.SHORT_CODE
    return SkipReason.INVALID_NUMBER


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """Parse text, or return None if phonenumbers cannot read it at all."""
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _valid(parsed: phonenumbers.PhoneNumber | None) -> PhoneNumber | SkipReason | None:
    """Return the PhoneNumber for a valid parse, SHORT_CODE or None."""
    if parsed is None:
        return None
    # What is_valid_number does, in one reading of the number's type: for a
    # number in the region phonenumbers places it in, valid means its type is
    # known (a NANP number is tried against each of the plan's 25 regions).
    region = phonenumbers.region_code_for_number(parsed)
    if region is None:
        return None
    kind = phonenumbers.number_type(parsed)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not _E164.fullmatch(e164):
        return SkipReason.SHORT_CODE
    # Non-geographic numbers (+800, +882, ...) report the pseudo-region "001".
    return PhoneNumber(
        e164,
        region if region in phonenumbers.SUPPORTED_REGIONS else None,
        paid=kind in _PAID_TYPES,
    )


# Anything that looks like a phone number inside free text (a provider's error).
_NUMBER_IN_TEXT = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def scrub_numbers(text: str) -> str:
    """Mask phone numbers inside free text before it is logged or shown."""
    return _NUMBER_IN_TEXT.sub(lambda match: mask_number(match.group()), text)
