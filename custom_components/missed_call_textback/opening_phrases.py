"""Saying when the business opens again: "tomorrow at 8:00 AM", per language.

Pure, time injected: the phrases of each language and the hour format a
country uses every day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import re
from typing import Final, Literal
from zoneinfo import ZoneInfo

from .hours import to_utc

type HourFormat = Literal[12, 24]

# Where the 12-hour clock is the everyday convention (CLDR's preferred hour
# cycle "h" among the larger countries); everywhere else gets 24 hours.
_TWELVE_HOUR_COUNTRIES: Final = frozenset(
    {"AU", "BD", "CA", "EG", "IN", "NZ", "PH", "PK", "SA", "US"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Phrases:
    today: str
    tomorrow: str
    on_weekday: str
    on_date: str
    day_month: str
    day_month_year: str
    weekdays: tuple[str, ...]  # Monday first
    months: tuple[str, ...]
    at: str
    at_one: str = ""  # Spanish says "a la 1:00" but "a las 8:00"
    first_of_month: str = "1"
    clock_24: str = "{hour}:{minute:02d}"
    am: str = "AM"
    pm: str = "PM"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_PHRASES: Final[dict[str, _Phrases]] = {
    "en": _Phrases(
        today="today {at} {time}",
        tomorrow="tomorrow {at} {time}",
        on_weekday="on {weekday} {at} {time}",
        on_date="on {date} {at} {time}",
        day_month="{day} {month}",
        day_month_year="{day} {month} {year}",
        weekdays=_words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday"),
        months=_words(
            "January February March April May June "
            "July August September October November December"
        ),
        at="at",
    ),
    "de": _Phrases(
        today="heute {at} {time}",
        tomorrow="morgen {at} {time}",
        on_weekday="am {weekday} {at} {time}",
        on_date="am {date} {at} {time}",
        day_month="{day}. {month}",
        day_month_year="{day}. {month} {year}",
        weekdays=_words("Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag"),
        months=_words(
            "Januar Februar März April Mai Juni "
            "Juli August September Oktober November Dezember"
        ),
        at="um",
    ),
    "fr": _Phrases(
        today="aujourd'hui {at} {time}",
        tomorrow="demain {at} {time}",
        on_weekday="{weekday} {at} {time}",
        on_date="le {date} {at} {time}",
        day_month="{day} {month}",
        day_month_year="{day} {month} {year}",
        weekdays=_words("lundi mardi mercredi jeudi vendredi samedi dimanche"),
        months=_words(
            "janvier février mars avril mai juin "
            "juillet août septembre octobre novembre décembre"
        ),
        at="à",
        first_of_month="1er",
        clock_24="{hour}h{minute:02d}",
    ),
    "es": _Phrases(
        today="hoy {at} {time}",
        tomorrow="mañana {at} {time}",
        on_weekday="el {weekday} {at} {time}",
        on_date="el {date} {at} {time}",
        day_month="{day} de {month}",
        day_month_year="{day} de {month} de {year}",
        weekdays=_words("lunes martes miércoles jueves viernes sábado domingo"),
        months=_words(
            "enero febrero marzo abril mayo junio "
            "julio agosto septiembre octubre noviembre diciembre"
        ),
        at="a las",
        at_one="a la",
        am="a. m.",
        pm="p. m.",
    ),
    "nl": _Phrases(
        today="vandaag {at} {time}",
        tomorrow="morgen {at} {time}",
        on_weekday="op {weekday} {at} {time}",
        on_date="op {date} {at} {time}",
        day_month="{day} {month}",
        day_month_year="{day} {month} {year}",
        weekdays=_words("maandag dinsdag woensdag donderdag vrijdag zaterdag zondag"),
        months=_words(
            "januari februari maart april mei juni "
            "juli augustus september oktober november december"
        ),
        at="om",
    ),
}


def describe_next_open(
    when: datetime,
    now: datetime,
    tz: ZoneInfo,
    language: str,
    hour_format: HourFormat,
) -> str:
    """Say when `when` is, seen from `now`, in the zone's local time.

    "today at 13:00", "tomorrow at 8:00 AM", "on Monday at 8:00" (2 to 6 days
    ahead), "on 24 December at 8:00" (later; with the year from 365 days
    ahead). Languages en, de, fr, es, nl; a tag like "de-CH" uses its base
    language, and any other language gets English.
    """
    phrases = _PHRASES.get(_base_language(language), _PHRASES["en"])
    local = to_utc(when).astimezone(tz)
    days_ahead = (local.date() - to_utc(now).astimezone(tz).date()).days
    hour = local.hour
    if hour_format == 12:
        hour = hour % 12 or 12
        meridiem = phrases.pm if local.hour >= 12 else phrases.am
        clock = f"{hour}:{local.minute:02d} {meridiem}"
    else:
        clock = phrases.clock_24.format(hour=hour, minute=local.minute)
    at = phrases.at_one if hour == 1 and phrases.at_one else phrases.at
    if days_ahead == 0:
        template = phrases.today
    elif days_ahead == 1:
        template = phrases.tomorrow
    elif 2 <= days_ahead <= 6:
        template = phrases.on_weekday
    else:
        template = phrases.on_date
    day = phrases.first_of_month if local.day == 1 else str(local.day)
    day_month = phrases.day_month_year if days_ahead >= 365 else phrases.day_month
    return template.format(
        at=at,
        time=clock,
        weekday=phrases.weekdays[local.weekday()],
        date=day_month.format(
            day=day, month=phrases.months[local.month - 1], year=local.year
        ),
    )


def default_hour_format(country: str | None) -> HourFormat:
    """Return 12 where the 12-hour clock is the everyday convention, else 24."""
    return 12 if country and country.upper() in _TWELVE_HOUR_COUNTRIES else 24


def _base_language(language: str) -> str:
    return re.split(r"[-_]", language, maxsplit=1)[0].casefold()
