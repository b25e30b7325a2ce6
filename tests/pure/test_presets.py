"""The presets in every language: what each says, its variables and its SMS cost."""

from __future__ import annotations

import re

import jinja2
from jinja2 import meta
import pytest

from custom_components.missed_call_textback.const import (
    MAX_MESSAGE_LENGTH,
    MessagePreset,
)
from custom_components.missed_call_textback.presets import (
    AUTO,
    LANGUAGES,
    TEXTS,
    line_language,
    texts_for,
)
from custom_components.missed_call_textback.sms import SmsEncoding, sms_info

ENV = jinja2.Environment(autoescape=False)  # noqa: S701 - SMS text, not HTML
PRESETS = [preset.value for preset in MessagePreset if preset is not MessagePreset.KEEP]
# Every message of every language, by (language, preset, which one).
MESSAGES = [
    (language, preset, field)
    for language in LANGUAGES
    for preset in PRESETS
    for field in ("message", "after_hours")
]

# What each of the four elements looks like in each language.
MARKERS: dict[str, dict[str, str]] = {
    "en": {
        "miss": r"you just called|Thanks for calling",
        "question": r"What can we help you with\?",
    },
    "de": {
        "miss": r"Sie haben gerade bei .* angerufen|Danke für Ihren Anruf",
        "question": r"Wie können wir helfen\?",
    },
    "es": {
        "miss": r"acaba de llamar|Gracias por llamar",
        "question": r"¿En qué le podemos ayudar\?",
    },
    "fr": {
        "miss": r"vous venez d'appeler|Merci d'avoir appelé",
        "question": r"Comment pouvons-nous vous aider \?",
    },
}
# How next_open reads in each language (hours.describe_next_open's phrases).
NEXT_OPEN = {
    "en": "tomorrow at 8:00 AM",
    "de": "morgen um 8:00",
    "es": "mañana a las 8:00",
    "fr": "demain à 8h00",
}
DETAILS = {
    "business_name": "Acme Plumbing",
    "booking_link": "https://book.example.com",
    "trade": "plumbing",
    "service_area": "Springfield",
}


def _text(language: str, preset: str, field: str) -> str:
    return str(getattr(TEXTS[language].presets[preset], field))


def _render(language: str, source: str) -> str:
    return ENV.from_string(source).render(
        **DETAILS,
        response_window=TEXTS[language].response_window,
        next_open=NEXT_OPEN[language],
    )


def _variables(source: str) -> set[str]:
    return meta.find_undeclared_variables(ENV.parse(source))


def test_every_language_has_every_preset_and_both_answers() -> None:
    assert LANGUAGES == ("en", "de", "es", "fr")
    for texts in TEXTS.values():
        assert set(texts.presets) == set(PRESETS)
        assert texts.general is texts.presets["general"]
        assert texts.help_message.strip()
        assert texts.stop_message.strip()
        assert texts.response_window.strip()


@pytest.mark.parametrize(("language", "preset", "field"), MESSAGES)
def test_each_message_names_the_business_owns_the_miss_asks_and_promises(
    language: str, preset: str, field: str
) -> None:
    source = _text(language, preset, field)

    assert "{{ business_name }}" in source
    assert re.search(MARKERS[language]["miss"], source), source
    assert re.search(MARKERS[language]["question"], source), source
    # The promise: a window while open, the next opening while closed.
    window = "{{ response_window }}" if field == "message" else "{{ next_open }}"
    assert window in source


@pytest.mark.parametrize(("language", "preset", "field"), MESSAGES)
def test_each_message_uses_the_same_variables_as_the_english_one(
    language: str, preset: str, field: str
) -> None:
    assert _variables(_text(language, preset, field)) == _variables(
        _text("en", preset, field)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_answers_name_the_business_and_their_keyword(language: str) -> None:
    texts = TEXTS[language]

    assert _variables(texts.help_message) == {"business_name"}
    assert _variables(texts.stop_message) == {"business_name"}
    assert "STOP" in texts.help_message
    assert "START" in texts.stop_message


@pytest.mark.parametrize(("language", "preset", "field"), MESSAGES)
def test_each_message_is_gsm7_and_at_most_two_parts(
    language: str, preset: str, field: str
) -> None:
    source = _text(language, preset, field)
    info = sms_info(_render(language, source))

    # Even the accents: French and Spanish are worded around the ones the GSM
    # alphabet lacks, so no text is sent as UCS-2 (70 characters a part).
    assert info.encoding is SmsEncoding.GSM7, (language, preset, field)
    assert info.segments <= 2
    # The template fits the Message entity.
    assert len(source) <= MAX_MESSAGE_LENGTH


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_general_message_and_the_answers_are_one_part_each(
    language: str,
) -> None:
    texts = TEXTS[language]

    for source in (texts.general.message, texts.help_message, texts.stop_message):
        info = sms_info(_render(language, source))
        assert info.encoding is SmsEncoding.GSM7
        assert info.segments == 1, (language, source)


@pytest.mark.parametrize("preset", PRESETS)
def test_a_12_hour_opening_never_ends_a_spanish_sentence(preset: str) -> None:
    # "8:00 a. m." ends in a period: a sentence ending there would read "a. m..".
    source = _text("es", preset, "after_hours")
    text = ENV.from_string(source).render(
        **DETAILS, next_open="el lunes a las 8:00 a. m."
    )

    assert ".." not in text


def test_no_preset_has_an_em_dash_or_curly_quotes() -> None:
    sources = [_text(*key) for key in MESSAGES] + [
        text
        for texts in TEXTS.values()
        for text in (texts.help_message, texts.stop_message, texts.response_window)
    ]
    for source in sources:
        assert not set(source) & set("\u2014\u2013\u2018\u2019\u201c\u201d")


@pytest.mark.parametrize(
    ("choice", "home", "expected"),
    [
        (None, "de", "de"),
        (AUTO, "fr", "fr"),
        (AUTO, "de-CH", "de"),
        (AUTO, "pt_BR", "en"),
        (AUTO, None, "en"),
        ("es", "de", "es"),
        ("en", "de", "en"),
        # An option from a later release this one does not know.
        ("nl", "de", "en"),
        (42, "es", "es"),
    ],
)
def test_a_line_speaks_its_choice_or_the_owners_language(
    choice: object, home: str | None, expected: str
) -> None:
    assert line_language(choice, home) == expected
    assert texts_for(choice, home) is TEXTS[expected]
