"""Work out how a text is encoded and how many SMS segments it costs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# 3GPP TS 23.038 GSM 7-bit default alphabet, in code order 0x00-0x7F. 0x1B is
# the escape to the extension table, not a character, so it is left out.
GSM7_BASIC: Final = (
    "@\N{POUND SIGN}$\N{YEN SIGN}\N{LATIN SMALL LETTER E WITH GRAVE}"
    "\N{LATIN SMALL LETTER E WITH ACUTE}\N{LATIN SMALL LETTER U WITH GRAVE}"
    "\N{LATIN SMALL LETTER I WITH GRAVE}\N{LATIN SMALL LETTER O WITH GRAVE}"
    "\N{LATIN CAPITAL LETTER C WITH CEDILLA}\n\N{LATIN CAPITAL LETTER O WITH STROKE}"
    "\N{LATIN SMALL LETTER O WITH STROKE}\r\N{LATIN CAPITAL LETTER A WITH RING ABOVE}"
    "\N{LATIN SMALL LETTER A WITH RING ABOVE}"
    "\N{GREEK CAPITAL LETTER DELTA}_\N{GREEK CAPITAL LETTER PHI}"
    "\N{GREEK CAPITAL LETTER GAMMA}\N{GREEK CAPITAL LETTER LAMDA}"
    "\N{GREEK CAPITAL LETTER OMEGA}\N{GREEK CAPITAL LETTER PI}"
    "\N{GREEK CAPITAL LETTER PSI}\N{GREEK CAPITAL LETTER SIGMA}"
    "\N{GREEK CAPITAL LETTER THETA}\N{GREEK CAPITAL LETTER XI}"
    "\N{LATIN CAPITAL LETTER AE}\N{LATIN SMALL LETTER AE}"
    "\N{LATIN SMALL LETTER SHARP S}\N{LATIN CAPITAL LETTER E WITH ACUTE}"
    " !\"#\N{CURRENCY SIGN}%&'()*+,-./0123456789:;<=>?"
    "\N{INVERTED EXCLAMATION MARK}ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "\N{LATIN CAPITAL LETTER A WITH DIAERESIS}\N{LATIN CAPITAL LETTER O WITH DIAERESIS}"
    "\N{LATIN CAPITAL LETTER N WITH TILDE}\N{LATIN CAPITAL LETTER U WITH DIAERESIS}"
    "\N{SECTION SIGN}\N{INVERTED QUESTION MARK}abcdefghijklmnopqrstuvwxyz"
    "\N{LATIN SMALL LETTER A WITH DIAERESIS}\N{LATIN SMALL LETTER O WITH DIAERESIS}"
    "\N{LATIN SMALL LETTER N WITH TILDE}\N{LATIN SMALL LETTER U WITH DIAERESIS}"
    "\N{LATIN SMALL LETTER A WITH GRAVE}"
)

# The extension table characters a phone can send; each costs an escape
# septet plus its own.
GSM7_EXTENSION: Final = "\f^{}\\[~]|\N{EURO SIGN}"

_GSM7_SEPTETS: Final = dict.fromkeys(GSM7_BASIC, 1) | dict.fromkeys(GSM7_EXTENSION, 2)

# Characters beyond the Basic Multilingual Plane are a surrogate pair in UTF-16.
_BMP_LAST: Final = 0xFFFF

_GSM7_SINGLE: Final = 160
_GSM7_PER_SEGMENT: Final = 153  # 7 septets go to the concatenation header
_UCS2_SINGLE: Final = 70
_UCS2_PER_SEGMENT: Final = 67  # 3 code units go to the concatenation header


class SmsEncoding(StrEnum):
    """How a text is encoded over the air."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SmsInfo:
    """Encoding, length and segment count of a text."""

    encoding: SmsEncoding
    length: int
    segments: int


def sms_info(text: str) -> SmsInfo:
    """Return the encoding, length and segment count of text.

    length is in septets for GSM-7 (extension characters count 2) and in
    UTF-16 code units for UCS-2; segments is 0 for an empty text.
    """
    if all(char in _GSM7_SEPTETS for char in text):
        encoding = SmsEncoding.GSM7
        costs = [_GSM7_SEPTETS[char] for char in text]
        single, per_segment = _GSM7_SINGLE, _GSM7_PER_SEGMENT
    else:
        encoding = SmsEncoding.UCS2
        costs = [2 if ord(char) > _BMP_LAST else 1 for char in text]
        single, per_segment = _UCS2_SINGLE, _UCS2_PER_SEGMENT
    length = sum(costs)
    return SmsInfo(encoding, length, _segments(costs, single, per_segment))


def _segments(costs: list[int], single: int, per_segment: int) -> int:
    """Count segments, never splitting a character's units across two."""
    if not costs:
        return 0
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments, used = segments + 1, 0
        used += cost
    return segments
