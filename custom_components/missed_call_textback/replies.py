"""Reading a caller's reply: the opt-out keywords carriers and the law expect."""

from __future__ import annotations

from enum import StrEnum
import string


class Keyword(StrEnum):
    """What a reply asks for."""

    STOP = "stop"
    START = "start"
    HELP = "help"
    NONE = "none"


STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})

# Phones add a full stop or an exclamation mark; "Stop." still means STOP.
_TRIM = string.whitespace + string.punctuation


def classify(text: str) -> Keyword:
    """Classify a reply; a keyword counts only as the whole message."""
    word = text.strip(_TRIM).upper()
    if word in STOP_WORDS:
        return Keyword.STOP
    if word in START_WORDS:
        return Keyword.START
    if word in HELP_WORDS:
        return Keyword.HELP
    return Keyword.NONE
