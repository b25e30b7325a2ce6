"""A caller's reply as clauses of folded words, ready to be read.

Normalising (NFKC, accents, stretched letters, apostrophes), dropping what is
not the reply itself (signatures, device trailers, quoted mail), splitting into
sentences and clauses, and joining words that spell one keyword ("opt out").
Pure, with no regular expressions: loops over characters and tokens, linear
in the capped input.
"""

from __future__ import annotations

import unicodedata

from .replies_words import word_set

# SMS concatenation tops out at 1600 characters (Twilio's and most carriers'
# limit); nothing longer is a real reply, and the cap keeps the work constant
# whatever a webhook posts.
_MAX_CHARS = 1600
_NFKC_PIECE = 200
_APOSTROPHES = str.maketrans(
    dict.fromkeys("\u2019\u2018\u02bc\u0060\u00b4\u2032\uff07", "'")
)
_SENTENCE_ENDS = frozenset(".!?;:\u00a1\u00bf\u2026")
_CLAUSE_ENDS = frozenset(",\u2014\u2013")
_STOP_SIGNS = frozenset("\U0001f6d1\u26d4\U0001f6ab")
# "don't" is one word; "m'écrire" is two ("m", "ecrire").
_CONTRACTIONS = word_set("t s m re ll ve d")
# Two markers that cannot be words (words are letters and digits).
_END_SENTENCE = "."
_END_CLAUSE = ","
# Split words that mean one keyword: "opt out" is OPTOUT, "hör auf" is STOP.
_JOINS = {
    ("opt", "out"): "optout",
    ("opt", "in"): "optin",
    ("opting", "out"): "optingout",
    ("opted", "out"): "optedout",
    ("un", "subscribe"): "unsubscribe",
    ("re", "subscribe"): "resubscribe",
    ("un", "stop"): "unstop",
    ("stop", "all"): "stopall",
    ("hor", "auf"): "horauf",
    ("hore", "auf"): "horauf",
    ("hoer", "auf"): "horauf",
    ("horen", "auf"): "horauf",
    ("hoeren", "auf"): "horauf",
    ("hort", "auf"): "horauf",
    ("hoert", "auf"): "horauf",
}
_HOREN = frozenset(first for first, second in _JOINS if second == "auf")
# "Hören Sie bitte auf": words that may sit between the verb and its particle.
_HOREN_GAP = word_set("sie bitte doch endlich jetzt mal ihr")
# Mail and phone trailers: the rest of the line is the device's name.
_TRAILERS = (
    ("sent", "from"),
    ("sent", "via"),
    ("sent", "with"),
    ("sent", "using"),
    ("get", "outlook", "for"),
    ("enviado", "desde"),
    ("enviado", "con"),
    ("enviado", "via"),
    ("envoye", "de", "mon"),
    ("envoye", "depuis"),
    ("envoye", "a", "partir"),
    ("gesendet", "von"),
)
_TRAILER_STARTS = frozenset(trailer[0] for trailer in _TRAILERS)
# "On Mon, Jan 1, Acme <…> wrote:" and its translations: a quoted reply follows.
_QUOTE_OPENERS = word_set("on el am le")
_QUOTE_VERBS = word_set("wrote escribio schrieb ecrit")
_RULE_CHARS = "-_=~*\u2014\u2013"


def _fold(word: str) -> str:
    """Lower case without accents: "ARRÊT" and "arret" read the same."""
    word = word.casefold()
    if word.isascii():
        return word
    return "".join(
        char
        for char in unicodedata.normalize("NFD", word)
        if not unicodedata.combining(char)
    )


def _unstretch(word: str) -> str:
    """Count a letter typed 3+ times once: "stooop", "stopppp", "pleeease"."""
    if len(word) < 3:
        return word
    kept: list[str] = []
    start = 0
    while start < len(word):
        end = start
        while end < len(word) and word[end] == word[start]:
            end += 1
        run = word[start:end]
        kept.append(run[0] if len(run) > 2 and run[0].isalpha() else run)
        start = end
    return "".join(kept)


def _words(raw: str) -> list[str]:
    """Words of a run of letters, digits and apostrophes."""
    parts = [part for part in _unstretch(_fold(raw)).split("'") if part]
    if len(parts) == 2 and parts[1] in _CONTRACTIONS and raw[0] != "'":
        return [parts[0] + parts[1]]
    return parts


def _scan(line: str) -> list[str]:
    """Split a line into words and clause/sentence markers; the rest is spacing."""
    units: list[str] = []
    word: list[str] = []
    spaced = True
    for char in line:
        if char.isalnum() or char == "'":
            word.append(char)
            spaced = False
            continue
        category = unicodedata.category(char)
        # Invisible format characters (zero-width space, soft hyphen, BOM) and
        # combining marks belong to the word they sit in.
        if category == "Cf" or category[0] == "M":
            continue
        if word:
            units.extend(_words("".join(word)))
            word.clear()
        if char in _STOP_SIGNS:
            units.append(char)
        elif char == "#" and units[-1:] == ["wrong"]:
            units.append("number")
        elif char in _SENTENCE_ENDS:
            units.append(_END_SENTENCE)
        elif char in _CLAUSE_ENDS or (char == "-" and spaced):
            # "Stop -John": a dash after a space starts a sign-off, not a word.
            units.append(_END_CLAUSE)
        spaced = char.isspace()
    if word:
        units.extend(_words("".join(word)))
    return units


def _cut_trailer(units: list[str]) -> list[str]:
    for index, unit in enumerate(units):
        if unit in _TRAILER_STARTS and any(
            tuple(units[index : index + len(trailer)]) == trailer
            for trailer in _TRAILERS
        ):
            return units[:index]
    if units[:2] == ["von", "meinem"] and units[-1:] == ["gesendet"]:
        return []
    return units


def _is_quote_header(units: list[str]) -> bool:
    if units[:2] == ["original", "message"]:
        return True
    return bool(units) and (
        units[0] in _QUOTE_OPENERS and any(unit in _QUOTE_VERBS for unit in units)
    )


def _is_phone_number(units: list[str]) -> bool:
    words = [unit for unit in units if unit not in {_END_SENTENCE, _END_CLAUSE}]
    return len(words) > 1 and all(word.isdigit() for word in words)


def _nfkc(text: str) -> str:
    """Normalise to NFKC, stopping once the cap is reached.

    NFKC turns some characters into up to 18, so the text is normalised a
    piece at a time. A piece may end between a letter and its accent; the
    reader drops accents anyway.
    """
    pieces: list[str] = []
    size = 0
    for start in range(0, len(text), _NFKC_PIECE):
        piece = unicodedata.normalize("NFKC", text[start : start + _NFKC_PIECE])
        pieces.append(piece)
        size += len(piece)
        if size >= _MAX_CHARS:
            break
    return "".join(pieces)[:_MAX_CHARS]


def _message_units(text: str) -> list[str]:
    """Take the words of the reply itself: no signature, trailer or quoted text."""
    text = _nfkc(text[:_MAX_CHARS].translate(_APOSTROPHES))
    units: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if units and len(stripped) > 1 and not stripped.strip(_RULE_CHARS):
            break  # "--": a signature follows.
        if stripped.startswith(">"):
            continue
        line_units = _scan(line)
        if units and _is_quote_header(line_units):
            break
        if units and _is_phone_number(line_units):
            continue  # A signature's number, not a time: "Cancel\nJo\n555-0101".
        units.extend(_cut_trailer(line_units))
        units.append(_END_SENTENCE)
    return units


def _join(clause: list[str]) -> list[str]:
    """Join the words that spell one keyword ("opt out", "hören Sie auf")."""
    joined: list[str] = []
    index = 0
    while index < len(clause):
        word = clause[index]
        pair = (
            _JOINS.get((word, clause[index + 1])) if index + 1 < len(clause) else None
        )
        if pair is not None:
            joined.append(pair)
            index += 2
            continue
        if word in _HOREN:
            gap = index + 1
            while gap < len(clause) and gap - index <= 3 and clause[gap] in _HOREN_GAP:
                gap += 1
            if gap < len(clause) and clause[gap] == "auf":
                joined.append("horauf")
                index = gap + 1
                continue
        joined.append(word)
        index += 1
    return joined


def _clauses(units: list[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for unit in units:
        if unit in {_END_SENTENCE, _END_CLAUSE}:
            if clauses[-1]:
                clauses.append([])
        else:
            clauses[-1].append(unit)
    return [_join(clause) for clause in clauses if clause]


def reply_clauses(text: str) -> list[list[str]]:
    """Return the clauses of a reply, each a list of folded words."""
    return _clauses(_message_units(text))
