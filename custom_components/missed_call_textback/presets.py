"""The texts a line starts from, in each language it can text callers in.

Pure data: the message presets (each with its after-hours message), the HELP
and STOP answers and the response window a new line promises, keyed by
language. Every message names the business, owns up to the missed call, asks
an open question and promises when the caller hears back, with the same
template variables in every language. All of them are GSM-7 (one SMS costs
160 characters, not 70): no em dash, no curly quotes, and in French and Spanish
no letter outside the GSM alphabet (such as a, e, i, o, u with an acute or a
circumflex accent other than the e, or a lower-case c with a cedilla).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import re
from types import MappingProxyType
from typing import Final

# "auto": the owner's Home Assistant language, English when there is no preset
# in it.
AUTO: Final = "auto"
FALLBACK: Final = "en"


@dataclass(frozen=True, slots=True, kw_only=True)
class Preset:
    """A message and the one sent instead while the business is closed."""

    message: str
    after_hours: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageTexts:
    """Everything a line texts callers by default, in one language."""

    # By MessagePreset value: general, appointment, contractor.
    presets: Mapping[str, Preset]
    help_message: str
    stop_message: str
    response_window: str

    @property
    def general(self) -> Preset:
        """Return the preset a new line starts with."""
        return self.presets["general"]


_ENGLISH = LanguageTexts(
    presets=MappingProxyType(
        {
            "general": Preset(
                message=(
                    "Hey, you just called {{ business_name }}. We're probably on a "
                    "job right now. What can we help you with? We'll follow up "
                    "{{ response_window }}."
                ),
                after_hours=(
                    "Thanks for calling {{ business_name }}. We're closed right now "
                    "and open again {{ next_open }}. What can we help you with? "
                    "We'll get back to you then."
                ),
            ),
            "appointment": Preset(
                message=(
                    "Hi, you just called {{ business_name }} and we couldn't pick "
                    "up. What can we help you with? Book a time at "
                    "{{ booking_link }} or reply here and we'll get back to you "
                    "{{ response_window }}."
                ),
                after_hours=(
                    "Thanks for calling {{ business_name }}. We're closed right now. "
                    "What can we help you with? Book a time at {{ booking_link }} or "
                    "reply here and we'll get back to you {{ next_open }}."
                ),
            ),
            "contractor": Preset(
                message=(
                    "Hey, you just called {{ business_name }}. We're probably on a "
                    "{{ trade }} job in {{ service_area }} right now. What can we "
                    "help you with? We'll follow up {{ response_window }}."
                ),
                after_hours=(
                    "Thanks for calling {{ business_name }}. We're closed right now "
                    "and back on {{ trade }} jobs in {{ service_area }} "
                    "{{ next_open }}. What can we help you with? We'll get back to "
                    "you then."
                ),
            ),
        }
    ),
    help_message=(
        "{{ business_name }}: we text back callers we could not answer. "
        "Reply STOP to get no more texts."
    ),
    stop_message=(
        "You will get no more texts from {{ business_name }}. Reply START to undo."
    ),
    response_window="within the hour",
)

# German: "Sie", as a business writes to a caller it does not know.
_GERMAN = LanguageTexts(
    presets=MappingProxyType(
        {
            "general": Preset(
                message=(
                    "Hallo, Sie haben gerade bei {{ business_name }} angerufen. Wir "
                    "sind wohl bei einem Kunden. Wie können wir helfen? Wir melden "
                    "uns {{ response_window }}."
                ),
                after_hours=(
                    "Danke für Ihren Anruf bei {{ business_name }}. Wir haben gerade "
                    "geschlossen und sind {{ next_open }} wieder da. Wie können wir "
                    "helfen? Wir melden uns dann."
                ),
            ),
            "appointment": Preset(
                message=(
                    "Hallo, Sie haben gerade bei {{ business_name }} angerufen und "
                    "wir konnten nicht rangehen. Wie können wir helfen? Termin "
                    "buchen: {{ booking_link }} oder hier antworten, wir melden uns "
                    "{{ response_window }}."
                ),
                after_hours=(
                    "Danke für Ihren Anruf bei {{ business_name }}. Wir haben gerade "
                    "geschlossen. Wie können wir helfen? Termin buchen: "
                    "{{ booking_link }} oder hier antworten, wir melden uns "
                    "{{ next_open }}."
                ),
            ),
            "contractor": Preset(
                message=(
                    "Hallo, Sie haben gerade bei {{ business_name }} angerufen. Wir "
                    "sind vermutlich gerade bei einem {{ trade }}-Einsatz in "
                    "{{ service_area }}. Wie können wir helfen? Wir melden uns "
                    "{{ response_window }}."
                ),
                after_hours=(
                    "Danke für Ihren Anruf bei {{ business_name }}. Wir haben gerade "
                    "geschlossen und sind {{ next_open }} wieder für {{ trade }} in "
                    "{{ service_area }} unterwegs. Wie können wir helfen? Wir "
                    "melden uns dann."
                ),
            ),
        }
    ),
    help_message=(
        "{{ business_name }}: Wir antworten per SMS auf Anrufe, die wir nicht "
        "annehmen konnten. Antworten Sie STOP, um keine SMS mehr zu erhalten."
    ),
    stop_message=(
        "Sie erhalten keine SMS mehr von {{ business_name }}. Antworten Sie START, "
        "um das rückgängig zu machen."
    ),
    response_window="innerhalb einer Stunde",
)

# Spanish: "usted", as US businesses write to callers; worded around the
# accented a, i, o and u, which are not in the GSM alphabet. next_open is never
# last in a sentence: with a 12-hour clock it ends in "a. m.".
_SPANISH = LanguageTexts(
    presets=MappingProxyType(
        {
            "general": Preset(
                message=(
                    "Hola, acaba de llamar a {{ business_name }}. Seguramente "
                    "estamos en un trabajo ahora mismo. ¿En qué le podemos ayudar? "
                    "Le respondemos {{ response_window }}."
                ),
                after_hours=(
                    "Gracias por llamar a {{ business_name }}. ¿En qué le podemos "
                    "ayudar? Ahora estamos cerrados, pero {{ next_open }} le "
                    "respondemos."
                ),
            ),
            "appointment": Preset(
                message=(
                    "Hola, acaba de llamar a {{ business_name }} y no pudimos "
                    "contestar. ¿En qué le podemos ayudar? Reserve una cita en "
                    "{{ booking_link }} o responda a este mensaje y le respondemos "
                    "{{ response_window }}."
                ),
                after_hours=(
                    "Gracias por llamar a {{ business_name }}. Ahora estamos "
                    "cerrados. ¿En qué le podemos ayudar? Reserve una cita en "
                    "{{ booking_link }} o responda a este mensaje y {{ next_open }} "
                    "le respondemos."
                ),
            ),
            "contractor": Preset(
                message=(
                    "Hola, acaba de llamar a {{ business_name }}. Seguramente "
                    "estamos en un trabajo de {{ trade }} en {{ service_area }}. "
                    "¿En qué le podemos ayudar? Le respondemos {{ response_window }}."
                ),
                after_hours=(
                    "Gracias por llamar a {{ business_name }}. ¿En qué le podemos "
                    "ayudar? Ahora estamos cerrados, pero {{ next_open }} volvemos a "
                    "los trabajos de {{ trade }} en {{ service_area }} y le "
                    "respondemos."
                ),
            ),
        }
    ),
    help_message=(
        "{{ business_name }}: respondemos por SMS a las llamadas que no pudimos "
        "atender. Responda STOP para dejar de recibir mensajes."
    ),
    stop_message=(
        "Ya no le enviaremos mensajes de {{ business_name }}. Responda START para "
        "volver a recibirlos."
    ),
    response_window="en menos de una hora",
)

# French: "vous"; worded around the circumflex accents and the lower-case c
# with a cedilla, which are not in the GSM alphabet.
_FRENCH = LanguageTexts(
    presets=MappingProxyType(
        {
            "general": Preset(
                message=(
                    "Bonjour, vous venez d'appeler {{ business_name }} et nous "
                    "n'avons pas pu répondre. Comment pouvons-nous vous aider ? Nous "
                    "revenons vers vous {{ response_window }}."
                ),
                after_hours=(
                    "Merci d'avoir appelé {{ business_name }}. Nous sommes fermés "
                    "et rouvrons {{ next_open }}. Comment pouvons-nous "
                    "vous aider ? Nous vous répondrons dès la réouverture."
                ),
            ),
            "appointment": Preset(
                message=(
                    "Bonjour, vous venez d'appeler {{ business_name }} et nous "
                    "n'avons pas pu répondre. Comment pouvons-nous vous aider ? "
                    "Réservez un créneau sur {{ booking_link }} ou répondez ici, "
                    "nous revenons vers vous {{ response_window }}."
                ),
                after_hours=(
                    "Merci d'avoir appelé {{ business_name }}. Nous sommes fermés "
                    "pour le moment. Comment pouvons-nous vous aider ? Réservez un "
                    "créneau sur {{ booking_link }} ou répondez ici, nous revenons "
                    "vers vous {{ next_open }}."
                ),
            ),
            "contractor": Preset(
                message=(
                    "Bonjour, vous venez d'appeler {{ business_name }}. Nous sommes "
                    "sans doute sur un chantier de {{ trade }} à {{ service_area }}. "
                    "Comment pouvons-nous vous aider ? Nous revenons vers vous "
                    "{{ response_window }}."
                ),
                after_hours=(
                    "Merci d'avoir appelé {{ business_name }}. Nous sommes fermés et "
                    "reprenons les chantiers de {{ trade }} à {{ service_area }} "
                    "{{ next_open }}. Comment pouvons-nous vous aider ? Nous vous "
                    "répondrons dès la réouverture."
                ),
            ),
        }
    ),
    help_message=(
        "{{ business_name }} : nous répondons par SMS aux appels que nous n'avons "
        "pas pu prendre. Répondez STOP pour ne plus recevoir de SMS."
    ),
    stop_message=(
        "Vous ne recevrez plus de SMS de {{ business_name }}. Répondez START pour "
        "les recevoir à nouveau."
    ),
    response_window="dans l'heure",
)

TEXTS: Final[Mapping[str, LanguageTexts]] = MappingProxyType(
    {"en": _ENGLISH, "de": _GERMAN, "es": _SPANISH, "fr": _FRENCH}
)
LANGUAGES: Final = tuple(TEXTS)

# English, for what has no line to ask for its language.
DEFAULT_MESSAGE: Final = _ENGLISH.general.message
DEFAULT_AFTER_HOURS_MESSAGE: Final = _ENGLISH.general.after_hours
DEFAULT_RESPONSE_WINDOW: Final = _ENGLISH.response_window
DEFAULT_HELP_MESSAGE: Final = _ENGLISH.help_message
DEFAULT_STOP_MESSAGE: Final = _ENGLISH.stop_message


def line_language(choice: object, home_language: str | None) -> str:
    """Return the language a line texts in.

    choice is the line's option (a language, or auto or nothing: the owner's
    Home Assistant language). A tag like "de-CH" or "pt_BR" counts as its base
    language; a language without presets gets English.
    """
    wanted = choice if isinstance(choice, str) and choice != AUTO else home_language
    base = re.split(r"[-_]", wanted or "", maxsplit=1)[0].casefold()
    return base if base in TEXTS else FALLBACK


def texts_for(choice: object, home_language: str | None) -> LanguageTexts:
    """Return the texts of a line's language (see line_language)."""
    return TEXTS[line_language(choice, home_language)]
