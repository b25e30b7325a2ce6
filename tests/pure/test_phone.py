"""Tests for phone number normalisation and masking."""

from __future__ import annotations

import re

from hypothesis import given, strategies as st
import phonenumbers
import pytest

from custom_components.missed_call_textback.const import SkipReason
from custom_components.missed_call_textback.phone import (
    PhoneNumber,
    known_region,
    mask_number,
    normalize_number,
)

US = PhoneNumber("+16502530000", "US")
DE = PhoneNumber("+4930901820", "DE")
DE_MOBILE = PhoneNumber("+491701234567", "DE")
GB = PhoneNumber("+442079460958", "GB")

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
REGIONS = st.one_of(
    st.none(),
    st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)),
    st.sampled_from(["ZZ", "XX", "001", "", "de", "us"]),
    st.text(max_size=3),
)


def test_fixture_numbers_are_valid_for_phonenumbers() -> None:
    for number in (US, DE, DE_MOBILE, GB):
        parsed = phonenumbers.parse(number.e164)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.region_code_for_number(parsed) == number.region


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "\t\n",
        "-",
        "()",
        "+",
        "anonymous",
        "Anonymous",
        "ANONYMOUS",
        "anonymous caller",
        "unknown",
        "Unknown",
        "unknown caller",
        "Unknown Caller",
        "unknown number",
        "private",
        "PRIVATE",
        "private number",
        "Private Number",
        "withheld",
        "withheld number",
        "Withheld",
        "restricted",
        "RESTRICTED",
        "unavailable",
        "Unavailable",
        "blocked",
        "Blocked",
        "no caller id",
        "No Caller ID",
        "no-caller-id",
        "NO_CALLER_ID",
        "p",
        "P",
        "o",
        "O",
        " P ",
        "<unknown>",
        "Anonymous.",
        "\x00",
        "\U0001f4de",
    ],
)
def test_anonymous_markers_are_anonymous(raw: object) -> None:
    assert normalize_number(raw, "US") is SkipReason.ANONYMOUS
    assert normalize_number(raw, None) is SkipReason.ANONYMOUS


@pytest.mark.parametrize(
    "raw",
    [
        "anonymous@anonymous.invalid",
        "unknown@fritz.box",
        "sip:anonymous@anonymous.invalid",
        "SIP:Anonymous@192.168.178.1",
        "<sip:anonymous@anonymous.invalid>",
        '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=as1234',
        "sips:anonymous@sip.example.com;transport=tls",
        "tel:",
        "sip:@host",
    ],
)
def test_anonymous_sip_user_parts_are_anonymous(raw: str) -> None:
    assert normalize_number(raw, "DE") is SkipReason.ANONYMOUS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tel:+16502530000", US),
        ("tel:+1-650-253-0000", US),
        ("tel:+1-650-253-0000;ext=123", US),
        ("TEL:+16502530000", US),
        ("sip:+4930901820@fritz.box", DE),
        ("sip:+4930901820@fritz.box;transport=udp", DE),
        ("sip:+4930901820;user=phone@fritz.box", DE),
        ("sips:+4930901820@sip.example.com", DE),
        ("<sip:+4930901820@fritz.box>", DE),
        ("<sip:+4930901820@fritz.box;transport=udp>", DE),
        ('"Max Mustermann" <sip:+4930901820@fritz.box>;tag=abc', DE),
        ("<sip:+4930901820@fritz.box", DE),
        ("  sip:+4930901820@fritz.box  ", DE),
        ("+4930901820@fritz.box", DE),
    ],
)
def test_uri_wrappers_are_stripped(raw: str, expected: PhoneNumber) -> None:
    assert normalize_number(raw, None) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("030 901820", "DE", DE),
        ("030/901820", "DE", DE),
        ("00491701234567", "DE", DE_MOBILE),
        ("0170 1234567", "DE", DE_MOBILE),
        ("+49 (0)30 901820", "DE", DE),
        ("(650) 253-0000", "US", US),
        ("650.253.0000", "US", US),
        ("1 650 253 0000", "US", US),
        ("020 7946 0958", "GB", GB),
        ("\uff10\uff13\uff10 \uff19\uff10\uff11\uff18\uff12\uff10", "DE", DE),
        ("030 901820", "de", DE),
    ],
)
def test_national_formats_parse_in_default_region(
    raw: str, region: str, expected: PhoneNumber
) -> None:
    assert normalize_number(raw, region) == expected


@pytest.mark.parametrize("region", [None, "", "ZZ", "XX", "001", "Germany"])
def test_national_format_without_usable_region_is_invalid(region: str | None) -> None:
    assert normalize_number("030 901820", region) is SkipReason.INVALID_NUMBER


@pytest.mark.parametrize("region", [None, "", "ZZ", "XX", "US"])
def test_international_format_parses_in_any_region(region: str | None) -> None:
    assert normalize_number("+49 30 901820", region) == DE


def test_region_is_the_numbers_own_not_the_default() -> None:
    assert normalize_number("+1 650 253 0000", "DE") == US
    # +44 7911 is a Guernsey mobile range, so phonenumbers reports GG, not GB.
    assert normalize_number("07911 123456", "GB") == PhoneNumber("+447911123456", "GG")


def test_non_geographic_number_has_no_region() -> None:
    # +800 is the international freephone code: a service number too.
    assert normalize_number("+800 1234 5678", None) == PhoneNumber(
        "+80012345678", None, paid=True
    )


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        (16502530000, "US", US),
        (6502530000, "US", US),
        (16502530000, None, US),
        (16502530000, "ZZ", US),
        (16502530000, "DE", US),
        (4930901820, "DE", DE),
        (4930901820, None, DE),
        (491701234567, "US", DE_MOBILE),
    ],
)
def test_int_input_parses(raw: int, region: str | None, expected: PhoneNumber) -> None:
    assert normalize_number(raw, region) == expected


def test_short_int_failing_in_default_region_is_not_retried_as_international() -> None:
    # 10 digits could be a mistyped national number; guessing a country is worse.
    assert normalize_number(4930901820, "US") is SkipReason.INVALID_NUMBER


def test_int_without_region_that_is_not_international_is_invalid() -> None:
    assert normalize_number(6502530000, None) is SkipReason.INVALID_NUMBER


@pytest.mark.parametrize(
    "raw",
    [
        True,
        False,
        -16502530000,
        -1,
        1.5,
        16502530000.0,
        b"+16502530000",
        ["+16502530000"],
        object(),
    ],
)
def test_other_types_are_invalid(raw: object) -> None:
    assert normalize_number(raw, "US") is SkipReason.INVALID_NUMBER


def test_huge_int_is_invalid_without_converting_it_to_str() -> None:
    # str() of an int this big raises ValueError in Python 3.11+.
    assert normalize_number(10**5000, "US") is SkipReason.INVALID_NUMBER
    assert normalize_number(10**64, "US") is SkipReason.INVALID_NUMBER


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("72345", "US"),
        ("8080", "US"),
        ("72-345", "US"),
        (72345, "US"),
        ("116117", "DE"),
        ("22333", None),
        ("123456", "ZZ"),
        ("\uff17\uff12\uff13\uff14\uff15", "US"),
        ("15", "FR"),
    ],
)
def test_short_codes_are_short_code(raw: object, region: str | None) -> None:
    assert normalize_number(raw, region) is SkipReason.SHORT_CODE


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("112", "DE"),
        ("112", None),
        (112, "DE"),
        ("110", "DE"),
        ("911", "US"),
        (911, "US"),
        ("999", "GB"),
        ("000", "AU"),
        ("15", "FR"),
        ("17", "FR"),
        ("18", "FR"),
    ],
)
def test_emergency_numbers_are_short_code(raw: object, region: str | None) -> None:
    assert normalize_number(raw, region) is SkipReason.SHORT_CODE


def test_short_code_that_phonenumbers_calls_valid_is_still_short_code() -> None:
    # German fixed lines may be as short as 5 digits and phonenumbers accepts
    # them without the trunk 0, so only the digit count keeps SMS short codes
    # from being texted.
    for raw in ("30000", "301234"):
        assert phonenumbers.is_valid_number(phonenumbers.parse(raw, "DE"))
        assert normalize_number(raw, "DE") is SkipReason.SHORT_CODE


def test_local_numbers_of_six_digit_numbering_plans_need_a_country_code() -> None:
    # The price of the digit count rule: the Faroes' whole plan is 6 digits.
    assert normalize_number("201234", "FO") is SkipReason.SHORT_CODE
    assert normalize_number("+298 201234", "FO") == PhoneNumber("+298201234", "FO")


def test_valid_six_digit_e164_is_short_code() -> None:
    # phonenumbers calls this Iranian UAN valid, but it is too short for E.164.
    assert phonenumbers.is_valid_number(phonenumbers.parse("+989601"))
    assert normalize_number("+989601", None) is SkipReason.SHORT_CODE


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("1-800-FLOWERS", "US"),
        ("Max Mustermann", "DE"),
        ("+1 650 253 0000 ext. 12", "US"),
        ("+1 650 253 0000 x12", "US"),
        ("sip:max@example.com", "DE"),
        ("+1 555 000 0000", None),
        ("07700 900123", "GB"),
        ("1234567", "US"),
        ("15", "US"),
        ("12", "DE"),
        ("1", "US"),
        ("0", "US"),
        ("+12", "US"),
    ],
)
def test_unusable_numbers_are_invalid(raw: str, region: str | None) -> None:
    assert normalize_number(raw, region) is SkipReason.INVALID_NUMBER


def test_input_up_to_the_length_limit_still_parses() -> None:
    raw = "+1" + " " * 50 + "650 253 0000"
    assert len(raw) == 64
    assert normalize_number(raw, None) == US


def test_over_long_input_is_invalid_without_calling_phonenumbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*_args: object) -> None:
        pytest.fail("phonenumbers.parse was called")

    monkeypatch.setattr(phonenumbers, "parse", fail)
    assert (
        normalize_number("+1" + " " * 51 + "650 253 0000", None)
        is SkipReason.INVALID_NUMBER
    )
    assert normalize_number("1" * 65, "US") is SkipReason.INVALID_NUMBER
    assert normalize_number(10**64 + 1, "US") is SkipReason.INVALID_NUMBER


def test_long_sip_uri_counts_only_its_user_part() -> None:
    raw = "<sip:+4930901820@a-long-hostname.sip.provider.example.com;transport=udp>"
    assert len(raw) > 64
    assert normalize_number(raw, None) == DE


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+4930901820", "+********20"),
        ("+16502530000", "+*********00"),
        ("030 901820", "********20"),
        ("tel:+1", "******"),
        ("123", "*23"),
        ("+12", "+**"),
        ("+++", "+**"),
        ("anonymous", "*********"),
        ("12", "**"),
        ("1", "**"),
        ("", "**"),
    ],
)
def test_mask_number_hides_all_but_plus_and_last_two_digits(
    number: str, masked: str
) -> None:
    assert mask_number(number) == masked


@given(st.text())
def test_mask_number_never_returns_longer_input_unchanged(number: str) -> None:
    masked = mask_number(number)
    if len(number) <= 2:
        assert masked == "**"
    else:
        assert masked != number
        assert len(masked) == len(number)
        assert sum(char.isdecimal() for char in masked) <= 2


@given(st.one_of(st.none(), st.text(), st.integers()), REGIONS)
def test_normalize_never_raises(raw: object, region: str | None) -> None:
    result = normalize_number(raw, region)
    assert isinstance(result, PhoneNumber | SkipReason)
    if isinstance(result, PhoneNumber):
        _assert_canonical(result, region)


def _example_numbers() -> list[phonenumbers.PhoneNumber]:
    examples = [
        phonenumbers.example_number_for_type(region, number_type)
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
        for number_type in range(phonenumbers.PhoneNumberType.VOICEMAIL + 1)
    ]
    examples += [
        phonenumbers.example_number_for_non_geo_entity(code)
        for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
    ]
    return [example for example in examples if example is not None]


_EXAMPLES = _example_numbers()
_FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]
_WRAPPERS = ["{}", " {} ", "tel:{}", "sip:{}@host", "<sips:{};user=phone@host>"]


@st.composite
def _plausible_numbers(draw: st.DrawFn) -> tuple[object, str | None]:
    example = draw(st.sampled_from(_EXAMPLES))
    region = phonenumbers.region_code_for_number(example)
    text = phonenumbers.format_number(example, draw(st.sampled_from(_FORMATS)))
    wrapped = draw(st.sampled_from(_WRAPPERS)).format(text)
    raw: object = wrapped
    if draw(st.booleans()):
        raw = int(
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
        )
    return raw, draw(st.one_of(st.just(region), REGIONS))


@given(_plausible_numbers())
def test_plausible_numbers_normalize_to_canonical_e164(
    case: tuple[object, str | None],
) -> None:
    raw, region = case
    result = normalize_number(raw, region)
    if isinstance(result, PhoneNumber):
        _assert_canonical(result, region)


@given(st.from_regex(r"\+?[0-9 ()\-]{0,20}", fullmatch=True), REGIONS)
def test_digit_strings_normalize_to_canonical_e164(
    raw: str, region: str | None
) -> None:
    result = normalize_number(raw, region)
    if isinstance(result, PhoneNumber):
        _assert_canonical(result, region)


def _assert_canonical(number: PhoneNumber, region: str | None) -> None:
    assert E164.match(number.e164)
    assert normalize_number(number.e164, region) == number
    assert normalize_number(number.e164, None) == number


# --- service numbers (SMS pumping guard) ------------------------------------


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("0901 234 5678", "GB"),  # premium rate
        ("(900) 234-5678", "US"),  # premium rate
        ("0180 1 2345", "DE"),  # shared cost
        ("055 1234 5678", "GB"),  # UAN
        ("070 1234 5678", "GB"),  # personal number, looks like a mobile
        ("(500) 234-5678", "US"),  # personal communications service
        ("076 4012 3456", "GB"),  # pager
        ("0177 99 1234567", "DE"),  # voicemail access
        ("0800 123 4567", "GB"),  # toll free
        ("1-800-234-5678", "US"),  # toll free
    ],
)
def test_service_numbers_are_marked_paid(raw: str, region: str) -> None:
    number = normalize_number(raw, region)
    assert isinstance(number, PhoneNumber)
    assert number.paid


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("(650) 253-0000", "US"),  # fixed line or mobile: the US does not tell
        ("07400 123456", "GB"),  # mobile
        ("0121 234 5678", "GB"),  # fixed line
        ("056 1234 5678", "GB"),  # VoIP: many small businesses call from one
        ("0170 1234567", "DE"),  # mobile
        ("+882 13 000000", None),  # non-geographic VoIP
    ],
)
def test_personal_and_business_phones_are_not_paid(raw: str, region: str) -> None:
    number = normalize_number(raw, region)
    assert isinstance(number, PhoneNumber)
    assert not number.paid


@pytest.mark.parametrize(
    ("region", "expected"),
    [("US", "US"), ("de", "DE"), (None, None), ("", None), ("AQ", None)],
)
def test_known_region_names_only_regions_with_phone_numbers(
    region: str | None, expected: str | None
) -> None:
    # Antarctica is a country Home Assistant offers, with no numbering plan.
    assert known_region(region) == expected


def _examples() -> list[str]:
    """Every region's example numbers of every type, and each one a digit short."""
    numbers: list[str] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(phonenumbers.PhoneNumberType.VOICEMAIL + 1):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(
                example, phonenumbers.PhoneNumberFormat.E164
            )
            numbers += [e164, e164[:-1]]
    return numbers


def test_a_number_is_textable_exactly_when_phonenumbers_calls_it_valid() -> None:
    # The validity check reads the number's type once instead of calling
    # is_valid_number: both must agree on every kind of number everywhere.
    disagree = []
    examples = _examples()
    for e164 in examples:
        parsed = phonenumbers.parse(e164)
        formatted = phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164
        )
        result = normalize_number(e164, None)
        valid = phonenumbers.is_valid_number(parsed) and E164.match(formatted)
        textable = isinstance(result, PhoneNumber) and result.e164 == formatted
        if bool(valid) != textable:
            disagree.append(e164)
    assert len(examples) > 2000
    assert disagree == []
