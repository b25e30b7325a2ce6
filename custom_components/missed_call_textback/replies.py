"""Reading a caller's reply: opt-out as carriers and the FCC read it.

47 CFR 64.1200(a)(10) lets a called party revoke consent "by any reasonable
means"; a reply using stop, quit, end, revoke, opt out, cancel or unsubscribe
revokes it outright. So a reply opts out when an opt-out word is its command
("STOP", "stop please", "STOP STOP"), when it says so in an explicit phrase
("stop texting me", "remove me from your list", "no me escribas"), or when an
opt-out word stands alone as a clause of it ("Stop. Who is this?"). A customer
talking business ("can you stop by at 3?", "the leak won't stop", "can I
cancel my appointment?") is not opted out.

Everything is pure and runs in time linear in the (capped) input: no regular
expressions, only loops over characters and tokens with bounded look-around.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from .replies_clauses import reply_clauses
from .replies_words import (
    AGAIN,
    BRIDGES,
    BUSINESS,
    BUSINESS_OBJECTS,
    CALL_LEADS,
    CALL_OBJECTS,
    CHANNELS,
    COMPLAINTS,
    CONTINUATIONS,
    DE_CONTACT,
    HELP_BARE,
    HELP_POLITE,
    IT_TAKERS,
    NEGATIONS,
    OBJECTS,
    ORDER_OBJECTS,
    POLITE,
    SELF,
    SELF_BRIDGES,
    SEND_SKIP,
    SENDING,
    SENT_THINGS,
    SETS,
    SOFT_CONTACT,
    START_BARE,
    STOP_BARE,
    STOP_COMMAND,
    STRONG_ONLY,
    SUBJECTS,
    TIMING,
    WEAK,
    WRONG_NOUNS,
    WRONG_WORDS,
    YOU,
)


class Keyword(StrEnum):
    """What a reply asks for."""

    STOP = "stop"
    START = "start"
    HELP = "help"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Reading:
    """How a reply was read."""

    keyword: Keyword
    # True when the keyword was read from a phrase or a longer message rather than
    # being the whole message (the owner is told "treated as opt-out").
    inferred: bool


# --- phrases ---------------------------------------------------------------
# Each phrase is a sequence of slots; a slot is a word set (by name) or words
# separated by "|"; a trailing "?" makes it optional. They match inside one
# clause (a comma or a full stop ends it).

type _Clause = Sequence[str]
type _Check = Callable[[_Clause, int, int], bool]


@dataclass(frozen=True, slots=True)
class _Slot:
    words: frozenset[str]
    optional: bool


@dataclass(frozen=True, slots=True)
class _Phrase:
    slots: tuple[_Slot, ...]
    checks: tuple[_Check, ...]
    # "Don't text me": dropped when the caller asks for a call instead.
    order: bool


def _walk_back(clause: _Clause, start: int, over: frozenset[str]) -> int:
    """Index of the first token before start that is not in over (-1 if none)."""
    index = start - 1
    while index >= 0 and clause[index] in over:
        index -= 1
    return index


def _not_negated(clause: _Clause, start: int, _end: int) -> bool:
    index = _walk_back(clause, start, BRIDGES)
    if index < 0 or clause[index] not in NEGATIONS:
        return True
    return clause[index + 1] in YOU


def _not_self(clause: _Clause, start: int, end: int) -> bool:
    index = _walk_back(clause, start, SELF_BRIDGES)
    # "How do I stop getting these texts?" asks for the opt-out.
    if index >= 0 and clause[index] in SELF and clause[index - 1 : index] != ["do"]:
        return False
    return end >= len(clause) or clause[end] not in YOU


def _sends_messages(clause: _Clause, _start: int, end: int) -> bool:
    """Check that "stop sending …" sends the texts, not an invoice or a tech."""
    if clause[end - 1] not in SENDING:
        return True
    index = end
    while index < len(clause) and clause[index] in SEND_SKIP:
        index += 1
    if index == len(clause):
        return True
    thing = clause[index]
    return thing in SETS["CNOUN"] or thing in SENT_THINGS


def _not_self_object(clause: _Clause, _start: int, end: int) -> bool:
    """Take "I don't want these texts" but not "… these texts to stop"."""
    return "stop" not in clause[end:]


def _an_order(clause: _Clause, start: int, end: int) -> bool:
    """Take "don't text me" as an order, not "I don't text" nor "… at 7"."""
    if start > 0 and clause[start - 1] in SUBJECTS:
        return False
    index = end
    while index < len(clause) and clause[index] in ORDER_OBJECTS:
        index += 1
    following = clause[index:]
    if following and following[0] in TIMING:
        return False
    verb = clause[end - 1]
    if verb in SOFT_CONTACT:
        return clause[start] == "never" or any(word in AGAIN for word in following)
    return _sends_messages(clause, start, end)


def _alone(clause: _Clause, start: int, end: int) -> bool:
    """Check the phrase is the clause, give or take politeness ("no texts pls")."""
    return all(word in POLITE for word in (*clause[:start], *clause[end:]))


def _not_business_after(clause: _Clause, _start: int, end: int) -> bool:
    return not any(
        word in BUSINESS_OBJECTS or word in BUSINESS for word in clause[end : end + 6]
    )


def _de_contact(clause: _Clause, _start: int, _end: int) -> bool:
    return any(word in DE_CONTACT for word in clause)


def _no_timing_after(clause: _Clause, _start: int, end: int) -> bool:
    return end >= len(clause) or clause[end] not in TIMING


def _phrase(pattern: str, *checks: _Check, order: bool = False) -> _Phrase:
    slots = []
    for spec in pattern.split():
        name = spec.removesuffix("?")
        words = SETS.get(name) or frozenset(name.split("|"))
        slots.append(_Slot(words, optional=spec.endswith("?")))
    return _Phrase(tuple(slots), checks, order)


_PHRASES = (
    # English.
    _phrase("STOPG GER", _not_negated, _not_self, _sends_messages),
    _phrase("STOPN DET? DET? DET? CNOUN", _not_negated),
    _phrase("NEG ever? CV", _an_order, order=True),
    _phrase("do not ever? CV", _an_order, order=True),
    _phrase("no more DET? DET? MSGNOUN"),
    _phrase("no more", _alone),
    _phrase("no DET? MSGNOUN", _alone),
    _phrase("remove|delete|erase ME", _not_negated, _not_business_after),
    _phrase("remove|delete|erase|lose|forget MY phone? NUMBER", _not_negated),
    _phrase("take ME off", _not_negated, _not_business_after),
    _phrase("take MY phone? NUMBER off", _not_negated, _not_business_after),
    _phrase("leave ME the? RUDE? alone", _not_negated),
    _phrase("remove|delete|take ME? from|off DET? LIST? list|lists", _not_negated),
    _phrase("opt me|us|my|this number? out", _not_negated),
    _phrase("UNSUB", _not_negated),
    _phrase("REVOKE MY? CONSENT", _not_negated),
    _phrase("i|we revoke|rescind"),
    _phrase("i|we dont|didnt|never consent|consented"),
    _phrase("i|we do|did not consent|consented"),
    _phrase("never|didnt signed|sign up"),
    _phrase("did not sign up"),
    _phrase("never|didnt opted|opt in"),
    _phrase("dont|not want DET? DET? MSGNOUN", _not_self_object),
    _phrase(
        "dont|not want|wanna to? receive|get|any DET? DET? MSGNOUN", _not_self_object
    ),
    _phrase("no longer want|wish to? receive|get? DET? DET? MSGNOUN"),
    _phrase("cease and desist"),
    # Spanish.
    _phrase("no me|nos|le|les ESV", _no_timing_after),
    _phrase("no me|nos ESCALL mas|nunca"),
    _phrase("no mas DET? DET? MSGNOUN"),
    _phrase("no mas", _alone),
    _phrase("no quiero|queremos recibir? mas? DET? CNOUN"),
    _phrase("no quiero|queremos que me|nos ESV"),
    _phrase("ESQUIT de ESINF"),
    _phrase("ESLEAVE en paz"),
    _phrase("ESOFF de baja"),
    _phrase("ESDEL mi|este numero"),
    _phrase("ESOUT de su|tu|la|sus|vuestra? lista"),
    # German.
    _phrase("nicht mehr", _de_contact),
    _phrase("KEINE DET? MSGNOUN mehr"),
    _phrase("KEINE MSGNOUN", _alone),
    _phrase("LASS sie? bitte? mich|uns in ruhe"),
    _phrase("MELDE sie? mich|uns bitte? ab"),
    _phrase("horauf", _de_contact),
    _phrase("horauf DET? DET? CNOUN"),
    # French.
    _phrase("FRSTOP de|d FRME? FRV"),
    _phrase("ne FRME FRC plus"),
    _phrase("ne plus FRME FRV"),
    _phrase("plus de|d DET? MSGNOUN"),
    _phrase("plus recevoir de|d|vos|les|des? CNOUN"),
    _phrase("FRLEAVE moi|nous tranquille|tranquilles"),
    _phrase("FRLEAVE moi|nous en paix"),
    _phrase("fichez|foutez|fiche|fous moi|nous la paix"),
    _phrase("FRDEL moi|nous"),
    _phrase("FRDEL mon numero|contact"),
)


def _index(phrases: Sequence[_Phrase]) -> dict[str, tuple[_Phrase, ...]]:
    """Phrases by the words they can start with (the first slot is required)."""
    index: dict[str, list[_Phrase]] = {}
    for phrase in phrases:
        for word in phrase.slots[0].words:
            index.setdefault(word, []).append(phrase)
    return {word: tuple(found) for word, found in index.items()}


_PHRASE_INDEX = _index(_PHRASES)


def _match(slots: Sequence[_Slot], clause: _Clause, pos: int) -> int | None:
    """End of a match of slots at pos, or None; patterns are a few slots long."""
    if not slots:
        return pos
    slot = slots[0]
    if pos < len(clause) and clause[pos] in slot.words:
        end = _match(slots[1:], clause, pos + 1)
        if end is not None:
            return end
    return _match(slots[1:], clause, pos) if slot.optional else None


def _has_phrase(clause: _Clause, *, orders: bool) -> bool:
    for start, word in enumerate(clause):
        for phrase in _PHRASE_INDEX.get(word, ()):
            if phrase.order and not orders:
                continue
            end = _match(phrase.slots, clause, start)
            if end is not None and all(
                check(clause, start, end) for check in phrase.checks
            ):
                return True
    return False


# --- reading ---------------------------------------------------------------


def _command_strength(clause: _Clause) -> int:
    """2: a strong opt-out command ("stop pls"); 1: a weak one ("cancel"); 0: not."""
    strength = 0
    takes_object = False
    refused = False
    for word in clause:
        if word in STOP_COMMAND:
            strength = max(strength, 1 if word in WEAK else 2)
            takes_object = takes_object or word in IT_TAKERS
        elif word in STRONG_ONLY:
            refused = True
        elif not (
            word in POLITE
            or (takes_object and word in OBJECTS)
            or (strength and word == "all")
        ):
            return 0
    return 0 if refused and strength < 2 else strength


def _wrong_number(clause: _Clause) -> bool:
    return (
        "wrong" in clause
        and all(
            word in WRONG_WORDS or word in POLITE or word in STOP_COMMAND
            for word in clause
        )
        and any(
            word == "wrong" and nxt in WRONG_NOUNS for word, nxt in pairwise(clause)
        )
    )


def _has_digit(word: str) -> bool:
    """Tell times and dates ("3pm", "10", "5/12"): a message about a booking."""
    return any(char.isdigit() for char in word)


def _complaint_then_stop(clause: _Clause) -> bool:
    """Read "Not interested, stop" without its comma ("not interested please stop")."""
    end = len(clause)
    strong = False
    while end > 0 and (clause[end - 1] in POLITE or clause[end - 1] in STOP_COMMAND):
        strong = strong or (
            clause[end - 1] in STOP_COMMAND and clause[end - 1] not in WEAK
        )
        end -= 1
    head = tuple(clause[:end])
    return strong and any(head[-len(words) :] == words for words in COMPLAINTS)


def _short_stop(words: _Clause) -> bool:
    """Read "Stop Mike": a strong word first in a short message, no business after."""
    if len(words) > 3 or words[0] not in STOP_COMMAND or words[0] in WEAK:
        return False
    return not any(
        word in CONTINUATIONS or word in BUSINESS or _has_digit(word)
        for word in words[1:]
    )


def _asks_for_a_call(clauses: list[list[str]]) -> bool:
    """Tell "don't text, call 555-0101": a channel preference, not an opt-out."""
    for clause in clauses:
        for index, word in enumerate(clause):
            if word not in CHANNELS:
                continue
            before = clause[index - 1] if index else ""
            after = clause[index + 1] if index + 1 < len(clause) else ""
            if before in NEGATIONS:
                continue
            if not before or before in CALL_LEADS or after in CALL_OBJECTS:
                return True
    return False


def _reads_as_stop(clauses: list[list[str]], words: _Clause) -> bool:
    if _short_stop(words):
        return True
    business = any(word in BUSINESS or _has_digit(word) for word in words)
    orders = not _asks_for_a_call(clauses)
    for clause in clauses:
        if (
            _has_phrase(clause, orders=orders)
            or _wrong_number(clause)
            or _complaint_then_stop(clause)
        ):
            return True
        strength = _command_strength(clause)
        if strength == 2 or (strength == 1 and not business):
            return True
    return False


def _is_help(words: _Clause) -> bool:
    return any(word in HELP_BARE for word in words) and all(
        word in HELP_BARE or word in HELP_POLITE for word in words
    )


def read_reply(text: str) -> Reading:
    """Read a caller's reply for STOP, START or HELP, and whether it was inferred."""
    clauses = reply_clauses(text)
    words = [word for clause in clauses for word in clause]
    if not words:
        return Reading(Keyword.NONE, inferred=False)
    if len(words) == 1:
        for keyword, bare in (
            (Keyword.STOP, STOP_BARE),
            (Keyword.START, START_BARE),
            (Keyword.HELP, HELP_BARE),
        ):
            if words[0] in bare:
                return Reading(keyword, inferred=False)
    if _reads_as_stop(clauses, words):
        return Reading(Keyword.STOP, inferred=True)
    if _is_help(words):
        return Reading(Keyword.HELP, inferred=True)
    return Reading(Keyword.NONE, inferred=False)


def classify(text: str) -> Keyword:
    """Classify a reply (see read_reply)."""
    return read_reply(text).keyword
