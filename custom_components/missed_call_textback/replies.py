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
import unicodedata


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


def _set(words: str) -> frozenset[str]:
    """Words written as one string: the lists are long."""
    return frozenset(words.split())


# The carrier keywords (CTIA) and the FCC's words: each alone is an opt-out.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})

# Callers write in their own language. Words are kept as the reader sees them
# after folding: lower case, no accents (ARRÊT is "arret"), "ß" is "ss".
_STOP_BARE = frozenset(word.casefold() for word in STOP_WORDS) | _set(
    # Spanish, German, French.
    "alto parar para basta cancelar baja detener "
    "stopp abmelden abbestellen ende "
    "arret arreter desabonner desinscrire fin"
)
# "yes"/"si" are too common in business replies to read inside a message: a
# START word counts only as the whole message.
_START_BARE = _set("start unstop yes optin subscribe resubscribe alta anmelden")
_HELP_BARE = _set("help info ayuda hilfe aide")

# Not keywords, but as a message's command they mean the same ("Remove!",
# "Arrêtez !", "Hör auf!", a lone stop sign): read as opt-out, inferred.
_STOP_EXTRA = _set(
    "remove unsub unsubcribe unsuscribe unsubscibe unsubscribed enough "
    "stoppen aufhoren horauf "
    "arretez arrete arretes cessez desabonnez desinscrivez desinscris "
    "desinscription desabonnement "
    "cancela cancelen paren pare parad detente "
    "\U0001f6d1 \u26d4 \U0001f6ab"
)
_STOP_COMMAND = _STOP_BARE | _STOP_EXTRA
# Words that also have an everyday business sense ("cancel" an appointment,
# "end" of the day, Spanish "para" = "for", "baja" = "goes down"): they opt out
# as the whole message, but a clause of a message about a booking or a time is
# business.
_WEAK = _set(
    "cancel end para parar fin ende baja cancelar alto detener arret remove "
    "cancela cancelen paren pare parad detente enough"
)
# "Stop it", "quit that": a stop verb takes a pronoun object; "cancel it" does
# not opt out (it is an appointment).
_IT_TAKERS = _set("stop stopall stopp quit stoppen arretez arrete horauf \U0001f6d1")
_OBJECTS = _set("it this that them these those everything")
# Politeness, repetition and emphasis around a command: "pls stop now",
# "STOP thanks", "por favor para", "bitte abmelden", "stop s'il vous plaît".
_POLITE = _set(
    "please pls plz plez plse pleas plss kindly just ok okay k kk hey hi hello "
    "yes yeah yep ya now right away asap immediately already again anymore "
    "forever permanently for good thanks thank you u thx thnx tx ty tysm sorry "
    "sir maam mam dude guys man bro omg seriously said told can could would "
    "will "
    "por favor porfavor porfa xfa xfavor pf plis gracias ya ahora mismo si hola "
    "senor senora oiga "
    "bitte danke jetzt sofort hallo ja sie doch endlich mal "
    "svp stp s il vous te plait merci maintenant oui bonjour salut tout de suite"
)
# "No, stop" is emphasis; "no baja" (the drain does not go down) is not an
# opt-out; "I quit" is one, "can I cancel?" asks about a booking: these count
# only next to a strong word.
_STRONG_ONLY = _set("no nope nah nein non i")
_HELP_POLITE = _set(
    "please pls plz thanks thank you hi hello hey ok por favor porfavor gracias "
    "bitte danke svp stp s il vous plait merci"
)
# A lone strong word followed by a name ("Stop Mike") still opts out; followed
# by one of these it is a business sentence ("stop by", "stop where?").
_CONTINUATIONS = _set(
    "by in at on over off here there the a an my your our his her their sign "
    "valve cock leak leaking water work working job what when where why how who "
    "which if and or but for to from with before after until till is was are be "
    "been me"
)
# Words that make a clause with a weak word ("Cancel, we'll reschedule") about
# a booking rather than about the texts.
_BUSINESS = _set(
    "appointment appointments appt appts reschedule rescheduled rescheduling "
    "booking book booked reservation schedule scheduled visit estimate quote job "
    "order tomorrow today tonight morning afternoon evening week weekend monday "
    "tuesday wednesday thursday friday saturday sunday am pm oclock time "
    "cita manana hoy lunes martes miercoles jueves viernes sabado domingo "
    "termin morgen heute rendez rdv demain"
)

# --- phrases ---------------------------------------------------------------
# Each phrase is a sequence of slots; a slot is a word set (by name) or words
# separated by "|"; a trailing "?" makes it optional. They match inside one
# clause (a comma or a full stop ends it).

_SETS: dict[str, frozenset[str]] = {
    # Verbs that stop a kind of message: "stop the texts", "basta de mensajes".
    "STOPN": _set(
        "stop stopall quit cease end cancel halt basta alto para parar paren pare "
        "cancelar cancela cancelen detener stopp stoppen arretez arrete arreter "
        "cessez fin ende"
    ),
    "STOPG": _set("stop stopall quit cease"),
    # "stop texting", "quit calling", "stop sending" (an object is checked).
    "GER": _set(
        "texting txting texing textin messaging msging contacting calling emailing "
        "spamming bothering bugging harassing pestering sending getting receiving "
        "writing smsing text txt"
    ),
    "DET": _set(
        "the these those this your ur my our all any of with more such text damn "
        "los las el la sus tus de a mit den die der ihre ihren sie les vos ces des "
        "tes aux"
    ),
    "CNOUN": _set(
        "text texts txt txts message messages msg msgs mssg sms smss notification "
        "notifications alert alerts spam calls robocalls communication "
        "communications promo promos promotions ads marketing reminders "
        "subscription subscriptions "
        "mensajes mensaje textos texto msj msjs notificaciones llamadas suscripcion "
        "nachrichten nachricht textnachrichten texte mitteilungen werbung anrufe "
        "benachrichtigungen abo abonnement "
        "appels pubs"
    ),
    # "No calls, text only" asks for texts: the "no …" phrases name messages.
    "MSGNOUN": _set(
        "text texts txt txts message messages msg msgs mssg sms smss notification "
        "notifications alert alerts spam promo promos promotions ads marketing "
        "mensajes mensaje textos texto msj msjs notificaciones "
        "nachrichten nachricht textnachrichten texte mitteilungen werbung "
        "benachrichtigungen pubs"
    ),
    # "don't text me", "never message me again".
    "NEG": _set("dont never"),
    "CV": _set(
        "text txt message msg sms contact spam bother write harass bug send call "
        "email phone ring"
    ),
    "ME": _set("me us"),
    "MY": _set("my this our"),
    "NUMBER": _set("number cell info contact details name"),
    # Spanish: "no me escribas", "no me envíes más mensajes".
    "ESV": _set(
        "escribas escriba escriban escribir envies envie envien enviar mandes mande "
        "manden mandar contactes contacte contacten contactar textees textee "
        "molestes moleste molesten"
    ),
    "ESCALL": _set("llames llame llamen"),
    "ESINF": _set(
        "escribirme escribir enviarme enviar mandarme mandar contactarme contactar "
        "molestarme molestar textearme llamarme escribirnos enviarnos mandarnos"
    ),
    "ESQUIT": _set("deja dejen deje dejar dejad para paren pare parar"),
    "ESLEAVE": _set("dejame dejeme dejenme dejanos dejennos"),
    "ESOFF": _set("darme dame denme dar darse darnos den dan da"),
    "ESDEL": _set("borra borre borren elimina elimine eliminen quita quiten"),
    "ESOUT": _set(
        "sacame saquenme quitame quitenme borrame borrenme eliminame eliminenme"
    ),
    # German: "hör auf, mir zu schreiben", "keine SMS mehr".
    "KEINE": _set("keine kein"),
    "LASS": _set("lass lassen lasst"),
    "MELDE": _set("melde melden meldet"),
    # French: "arrêtez de m'écrire", "ne m'écrivez plus".
    "FRSTOP": _set("arretez arrete arreter arretes cessez cesse stop arret"),
    "FRV": _set(
        "ecrire envoyer contacter texter appeler harceler deranger spammer relancer "
        "solliciter"
    ),
    "FRC": _set(
        "ecrivez ecris envoyez envoie envoies contactez contacte textez texte "
        "harcelez derangez derange appelez appelle spammez relancez sollicitez"
    ),
    "FRME": _set("m me nous"),
    "FRLEAVE": _set("laissez laisse laisses"),
    "FRDEL": _set("retirez retire enlevez enleve supprimez supprime effacez efface"),
    # "unsubscribe" and friends have no business sense: anywhere, they opt out.
    "UNSUB": _set(
        "unsubscribe unsubcribe unsuscribe unsubscibe unsubscribed unsub optout "
        "stopall optingout optedout abmelden abbestellen desinscrire desinscrivez "
        "desinscris desinscription desabonner desabonnez desabonne desabonnement"
    ),
    "RUDE": _set("f fuck fucking effing fn freaking frickin hell heck"),
    "LIST": _set("mailing texting text sms contact contacts call calling"),
    "REVOKE": _set("revoke withdraw rescind revoking withdrawing"),
    "CONSENT": _set("consent permission authorization authorisation consents"),
}

# Tokens that, walked back over from a phrase, lead to a negation:
# "I don't want you to stop texting me" is not an opt-out.
_BRIDGES = _set(
    "ever please pls you u want wanna to like need ya just really even gonna going i"
)
_NEGATIONS = _set("dont not never didnt doesnt wont cant cannot shouldnt wouldnt")
# "Don't you stop texting me" / "why won't you stop": a demand, not a negation.
_YOU = _set("you u ya")
# "I'll stop texting you": the caller talks about themself.
_SELF = _set("i ill we well im ive weve id")
_SELF_BRIDGES = _set("will can just now gonna going to am wanna want should must need")
# "I don't text, call me": a statement about the writer, not an order.
_SUBJECTS = _set("i we they he she it you u ya people kids wife husband that which who")
# "Don't text me before 9", "don't text me back": a preference, not an opt-out.
_TIMING = _set(
    "until till til before after between during at on tomorrow today tonight "
    "early late past around while when unless yet back antes despues hasta "
    "durante"
)
# "don't call me" alone often means "text me instead" in a texting channel.
# "Don't text me/this number/here …": what sits between the verb and a time.
_ORDER_OBJECTS = _set("me us this my number phone cell here")
_SOFT_CONTACT = _set("call email phone ring")
_AGAIN = _set("again anymore ever more")
_CHANNELS = _set("call phone ring email")
_CALL_LEADS = _set("just please pls plz only but")
_CALL_OBJECTS = _set("me us instead my")
# What "stop sending …" may send and still mean the texts.
_SEND_SKIP = _set(
    "me us the any more all your ur so many such stupid annoying damn text these "
    "those this that them"
)
_SENT_THINGS = _set("stuff things anything crap junk shit garbage nonsense")
_SENDING = _set("sending getting receiving send")
# "Remove me from the waitlist" is business; "from your list" is not.
_BUSINESS_OBJECTS = _set(
    "schedule calendar appointment appt waitlist waiting job booking reservation "
    "roster class team account order slot"
)
_DE_CONTACT = _set(
    "schreiben schreibt schreib simsen texten senden schicken kontaktieren "
    "anschreiben anrufen belastigen nerven zuschicken zusenden whatsappen"
)
# "Wrong number" from someone who called by mistake: not a customer, so no
# more texts; a clause of only these words says just that.
_WRONG_WORDS = _set(
    "sorry you have got the a this is its thats wrong number num person guy i "
    "called dialed dialled texted youve ur your u my bad oops it was has"
)
_WRONG_NOUNS = _set("number num person guy no")
# Telegram style, "who is this stop": what a caller says before a trailing STOP
# when it is not "the leak won't stop".
_COMPLAINTS = (
    ("not", "interested"),
    ("who", "is", "this"),
    ("whoever", "this", "is"),
    ("who", "dis"),
    ("didnt", "call"),
    ("did", "not", "call"),
    ("never", "called"),
    ("spam",),
    ("scam",),
    ("harassment",),
    ("asked", "you", "to"),
    ("told", "you", "to"),
)

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
    index = _walk_back(clause, start, _BRIDGES)
    if index < 0 or clause[index] not in _NEGATIONS:
        return True
    return clause[index + 1] in _YOU


def _not_self(clause: _Clause, start: int, end: int) -> bool:
    index = _walk_back(clause, start, _SELF_BRIDGES)
    # "How do I stop getting these texts?" asks for the opt-out.
    if index >= 0 and clause[index] in _SELF and clause[index - 1 : index] != ["do"]:
        return False
    return end >= len(clause) or clause[end] not in _YOU


def _sends_messages(clause: _Clause, _start: int, end: int) -> bool:
    """Check that "stop sending …" sends the texts, not an invoice or a tech."""
    if clause[end - 1] not in _SENDING:
        return True
    index = end
    while index < len(clause) and clause[index] in _SEND_SKIP:
        index += 1
    if index == len(clause):
        return True
    thing = clause[index]
    return thing in _SETS["CNOUN"] or thing in _SENT_THINGS


def _not_self_object(clause: _Clause, _start: int, end: int) -> bool:
    """Take "I don't want these texts" but not "… these texts to stop"."""
    return "stop" not in clause[end:]


def _an_order(clause: _Clause, start: int, end: int) -> bool:
    """Take "don't text me" as an order, not "I don't text" nor "… at 7"."""
    if start > 0 and clause[start - 1] in _SUBJECTS:
        return False
    index = end
    while index < len(clause) and clause[index] in _ORDER_OBJECTS:
        index += 1
    following = clause[index:]
    if following and following[0] in _TIMING:
        return False
    verb = clause[end - 1]
    if verb in _SOFT_CONTACT:
        return clause[start] == "never" or any(word in _AGAIN for word in following)
    return _sends_messages(clause, start, end)


def _alone(clause: _Clause, start: int, end: int) -> bool:
    """Check the phrase is the clause, give or take politeness ("no texts pls")."""
    return all(word in _POLITE for word in (*clause[:start], *clause[end:]))


def _not_business_after(clause: _Clause, _start: int, end: int) -> bool:
    return not any(
        word in _BUSINESS_OBJECTS or word in _BUSINESS for word in clause[end : end + 6]
    )


def _de_contact(clause: _Clause, _start: int, _end: int) -> bool:
    return any(word in _DE_CONTACT for word in clause)


def _no_timing_after(clause: _Clause, _start: int, end: int) -> bool:
    return end >= len(clause) or clause[end] not in _TIMING


def _phrase(pattern: str, *checks: _Check, order: bool = False) -> _Phrase:
    slots = []
    for spec in pattern.split():
        name = spec.removesuffix("?")
        words = _SETS.get(name) or frozenset(name.split("|"))
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


# --- normalising -----------------------------------------------------------

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
_CONTRACTIONS = _set("t s m re ll ve d")
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
_HOREN_GAP = _set("sie bitte doch endlich jetzt mal ihr")
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
_QUOTE_OPENERS = _set("on el am le")
_QUOTE_VERBS = _set("wrote escribio schrieb ecrit")
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


# --- reading ---------------------------------------------------------------


def _command_strength(clause: _Clause) -> int:
    """2: a strong opt-out command ("stop pls"); 1: a weak one ("cancel"); 0: not."""
    strength = 0
    takes_object = False
    refused = False
    for word in clause:
        if word in _STOP_COMMAND:
            strength = max(strength, 1 if word in _WEAK else 2)
            takes_object = takes_object or word in _IT_TAKERS
        elif word in _STRONG_ONLY:
            refused = True
        elif not (
            word in _POLITE
            or (takes_object and word in _OBJECTS)
            or (strength and word == "all")
        ):
            return 0
    return 0 if refused and strength < 2 else strength


def _wrong_number(clause: _Clause) -> bool:
    return (
        "wrong" in clause
        and all(
            word in _WRONG_WORDS or word in _POLITE or word in _STOP_COMMAND
            for word in clause
        )
        and any(
            word == "wrong" and nxt in _WRONG_NOUNS for word, nxt in pairwise(clause)
        )
    )


def _has_digit(word: str) -> bool:
    """Tell times and dates ("3pm", "10", "5/12"): a message about a booking."""
    return any(char.isdigit() for char in word)


def _complaint_then_stop(clause: _Clause) -> bool:
    """Read "Not interested, stop" without its comma ("not interested please stop")."""
    end = len(clause)
    strong = False
    while end > 0 and (clause[end - 1] in _POLITE or clause[end - 1] in _STOP_COMMAND):
        strong = strong or (
            clause[end - 1] in _STOP_COMMAND and clause[end - 1] not in _WEAK
        )
        end -= 1
    head = tuple(clause[:end])
    return strong and any(head[-len(words) :] == words for words in _COMPLAINTS)


def _short_stop(words: _Clause) -> bool:
    """Read "Stop Mike": a strong word first in a short message, no business after."""
    if len(words) > 3 or words[0] not in _STOP_COMMAND or words[0] in _WEAK:
        return False
    return not any(
        word in _CONTINUATIONS or word in _BUSINESS or _has_digit(word)
        for word in words[1:]
    )


def _asks_for_a_call(clauses: list[list[str]]) -> bool:
    """Tell "don't text, call 555-0101": a channel preference, not an opt-out."""
    for clause in clauses:
        for index, word in enumerate(clause):
            if word not in _CHANNELS:
                continue
            before = clause[index - 1] if index else ""
            after = clause[index + 1] if index + 1 < len(clause) else ""
            if before in _NEGATIONS:
                continue
            if not before or before in _CALL_LEADS or after in _CALL_OBJECTS:
                return True
    return False


def _reads_as_stop(clauses: list[list[str]], words: _Clause) -> bool:
    if _short_stop(words):
        return True
    business = any(word in _BUSINESS or _has_digit(word) for word in words)
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
    return any(word in _HELP_BARE for word in words) and all(
        word in _HELP_BARE or word in _HELP_POLITE for word in words
    )


def read_reply(text: str) -> Reading:
    """Read a caller's reply for STOP, START or HELP, and whether it was inferred."""
    clauses = _clauses(_message_units(text))
    words = [word for clause in clauses for word in clause]
    if not words:
        return Reading(Keyword.NONE, inferred=False)
    if len(words) == 1:
        for keyword, bare in (
            (Keyword.STOP, _STOP_BARE),
            (Keyword.START, _START_BARE),
            (Keyword.HELP, _HELP_BARE),
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
