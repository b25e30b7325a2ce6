"""Tests for SMS encoding and segment counting."""

from __future__ import annotations

import math

from hypothesis import given, strategies as st
import pytest

from custom_components.missed_call_textback.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsEncoding,
    SmsInfo,
    sms_info,
)

EMOJI = "\U0001f600"
CYRILLIC = "\N{CYRILLIC SMALL LETTER ZHE}"
EURO = "\N{EURO SIGN}"
EM_DASH = "\N{EM DASH}"
ACME = (
    "Hey \N{EM DASH} you just called Acme Plumbing. We're probably on a job right "
    "now. What can we help you with? We'll follow up within the hour."
)

# Mostly GSM-7 characters, so long texts with many segments stay GSM-7 often.
TEXTS = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM7_BASIC + GSM7_EXTENSION),
        st.sampled_from([EMOJI, CYRILLIC, EM_DASH]),
        st.characters(),
    ),
    max_size=500,
)


def test_gsm7_tables_have_every_spec_character_once() -> None:
    # 128 code points minus the escape to the extension table.
    assert len(GSM7_BASIC) == len(set(GSM7_BASIC)) == 127
    assert "\x1b" not in GSM7_BASIC
    assert len(GSM7_EXTENSION) == len(set(GSM7_EXTENSION)) == 10
    assert not set(GSM7_BASIC) & set(GSM7_EXTENSION)


def test_gsm7_basic_table_is_in_spec_code_order() -> None:
    table = GSM7_BASIC[:0x1B] + "\x1b" + GSM7_BASIC[0x1B:]
    assert table[0x00:0x0A] == "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7"
    assert table[0x0A:0x10] == "\n\u00d8\u00f8\r\u00c5\u00e5"
    assert (
        table[0x10:0x1B]
        == "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e"
    )
    assert table[0x1C:0x20] == "\u00c6\u00e6\u00df\u00c9"
    assert table[0x24] == "\N{CURRENCY SIGN}"
    assert table[0x40] == "\N{INVERTED EXCLAMATION MARK}"
    assert table[0x41:0x5B] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert table[0x5B:0x61] == "\u00c4\u00d6\u00d1\u00dc\u00a7\u00bf"
    assert table[0x61:0x7B] == "abcdefghijklmnopqrstuvwxyz"
    assert table[0x7B:0x80] == "\u00e4\u00f6\u00f1\u00fc\u00e0"
    assert len(table) == 128


def test_empty_text_has_no_segments() -> None:
    assert sms_info("") == SmsInfo(SmsEncoding.GSM7, 0, 0)


@pytest.mark.parametrize("char", list(GSM7_BASIC))
def test_basic_characters_are_one_septet(char: str) -> None:
    assert sms_info(char) == SmsInfo(SmsEncoding.GSM7, 1, 1)


@pytest.mark.parametrize("char", list(GSM7_EXTENSION))
def test_extension_characters_are_two_septets(char: str) -> None:
    assert sms_info(char) == SmsInfo(SmsEncoding.GSM7, 2, 1)


@pytest.mark.parametrize(
    "char",
    [
        "\u00e9",
        "\u00e0",
        "\u00c4",
        "\u00f1",
        "\u00fc",
        "\u00a3",
        "\u00a5",
        "\u00e8",
        "\u00c7",
        "\u00df",
        "\u00a7",
        "\n",
        "\r",
    ],
)
def test_accented_letters_in_the_basic_table_stay_gsm7(char: str) -> None:
    assert sms_info(f"Caf{char}").encoding is SmsEncoding.GSM7


@pytest.mark.parametrize(
    "char",
    [
        "\u00e7",  # only the capital C cedilla is in the table
        EM_DASH,
        "\N{EN DASH}",
        "\N{LEFT SINGLE QUOTATION MARK}",
        "\N{RIGHT SINGLE QUOTATION MARK}",
        "\N{LEFT DOUBLE QUOTATION MARK}",
        "\N{RIGHT DOUBLE QUOTATION MARK}",
        "\N{HORIZONTAL ELLIPSIS}",
        "\N{NO-BREAK SPACE}",
        "\u00ea",
        "`",
        "\t",
        "\x1b",
        CYRILLIC,
        EMOJI,
    ],
)
def test_characters_outside_gsm7_force_ucs2(char: str) -> None:
    assert sms_info(f"Hello {char}").encoding is SmsEncoding.UCS2


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_segment_boundaries(length: int, segments: int) -> None:
    assert sms_info("a" * length) == SmsInfo(SmsEncoding.GSM7, length, segments)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_segment_boundaries(length: int, segments: int) -> None:
    assert sms_info(CYRILLIC * length) == SmsInfo(SmsEncoding.UCS2, length, segments)


def test_extension_characters_fill_a_single_segment_by_septets() -> None:
    assert sms_info(EURO * 80) == SmsInfo(SmsEncoding.GSM7, 160, 1)
    assert sms_info(EURO * 80 + "a") == SmsInfo(SmsEncoding.GSM7, 161, 2)


def test_escape_pair_at_segment_boundary_moves_to_next_segment() -> None:
    text = "a" * 152 + EURO + "a" * 152
    # ceil(306 / 153) would say 2, but the euro cannot straddle segments 1 and 2.
    assert sms_info(text) == SmsInfo(SmsEncoding.GSM7, 306, 3)


def test_escape_pair_that_fits_stays_in_its_segment() -> None:
    text = "a" * 151 + EURO + "a" * 153
    assert sms_info(text) == SmsInfo(SmsEncoding.GSM7, 306, 2)


def test_emoji_counts_two_code_units() -> None:
    assert sms_info(EMOJI) == SmsInfo(SmsEncoding.UCS2, 2, 1)
    assert sms_info(EMOJI * 35) == SmsInfo(SmsEncoding.UCS2, 70, 1)
    assert sms_info(EMOJI * 35 + "a") == SmsInfo(SmsEncoding.UCS2, 71, 2)


def test_emoji_at_ucs2_segment_boundary_moves_to_next_segment() -> None:
    text = CYRILLIC * 66 + EMOJI + CYRILLIC * 66
    # ceil(134 / 67) would say 2, but the surrogate pair cannot be split.
    assert sms_info(text) == SmsInfo(SmsEncoding.UCS2, 134, 3)


def test_emoji_that_fits_stays_in_its_segment() -> None:
    text = CYRILLIC * 65 + EMOJI + CYRILLIC * 67
    assert sms_info(text) == SmsInfo(SmsEncoding.UCS2, 134, 2)


def test_default_message_with_em_dash_is_ucs2_in_two_segments() -> None:
    assert sms_info(ACME) == SmsInfo(SmsEncoding.UCS2, 131, 2)


def test_default_message_with_hyphen_is_gsm7_in_one_segment() -> None:
    assert sms_info(ACME.replace(EM_DASH, "-")) == SmsInfo(SmsEncoding.GSM7, 131, 1)


def test_encoding_values_are_display_names() -> None:
    assert str(SmsEncoding.GSM7) == "GSM-7"
    assert str(SmsEncoding.UCS2) == "UCS-2"


@given(TEXTS)
def test_length_and_segments_agree_with_encoding(text: str) -> None:
    info = sms_info(text)
    if info.encoding is SmsEncoding.GSM7:
        assert info.length == len(text) + sum(char in GSM7_EXTENSION for char in text)
        single, per_segment = 160, 153
    else:
        assert info.length == len(text.encode("utf-16-le", "surrogatepass")) // 2
        single, per_segment = 70, 67
    if not text:
        assert info.segments == 0
    elif info.length <= single:
        assert info.segments == 1
    else:
        # Never splitting a character wastes at most one unit per segment.
        assert math.ceil(info.length / per_segment) <= info.segments
        assert info.segments <= math.ceil(info.length / (per_segment - 1))


@given(TEXTS.filter(bool))
def test_nonempty_text_has_at_least_one_segment(text: str) -> None:
    assert sms_info(text).segments >= 1


@given(
    TEXTS,
    st.one_of(st.sampled_from(GSM7_BASIC + GSM7_EXTENSION + EMOJI), st.characters()),
)
def test_appending_a_character_never_reduces_segments(text: str, char: str) -> None:
    assert sms_info(text + char).segments >= sms_info(text).segments
