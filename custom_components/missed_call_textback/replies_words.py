"""The words a caller's reply is read with: keywords, politeness, phrases' slots.

Pure data for replies.py (the reading) and replies_clauses.py (the splitting).
"""

from __future__ import annotations


def word_set(words: str) -> frozenset[str]:
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
STOP_BARE = frozenset(word.casefold() for word in STOP_WORDS) | word_set(
    # Spanish, German, French.
    "alto parar para basta cancelar baja detener "
    "stopp abmelden abbestellen ende "
    "arret arreter desabonner desinscrire fin"
)
# "yes"/"si" are too common in business replies to read inside a message: a
# START word counts only as the whole message.
START_BARE = word_set("start unstop yes optin subscribe resubscribe alta anmelden")
HELP_BARE = word_set("help info ayuda hilfe aide")

# Not keywords, but as a message's command they mean the same ("Remove!",
# "Arrêtez !", "Hör auf!", a lone stop sign): read as opt-out, inferred.
STOP_EXTRA = word_set(
    "remove unsub unsubcribe unsuscribe unsubscibe unsubscribed enough "
    "stoppen aufhoren horauf "
    "arretez arrete arretes cessez desabonnez desinscrivez desinscris "
    "desinscription desabonnement "
    "cancela cancelen paren pare parad detente "
    "\U0001f6d1 \u26d4 \U0001f6ab"
)
STOP_COMMAND = STOP_BARE | STOP_EXTRA
# Words that also have an everyday business sense ("cancel" an appointment,
# "end" of the day, Spanish "para" = "for", "baja" = "goes down"): they opt out
# as the whole message, but a clause of a message about a booking or a time is
# business.
WEAK = word_set(
    "cancel end para parar fin ende baja cancelar alto detener arret remove "
    "cancela cancelen paren pare parad detente enough"
)
# "Stop it", "quit that": a stop verb takes a pronoun object; "cancel it" does
# not opt out (it is an appointment).
IT_TAKERS = word_set("stop stopall stopp quit stoppen arretez arrete horauf \U0001f6d1")
OBJECTS = word_set("it this that them these those everything")
# Politeness, repetition and emphasis around a command: "pls stop now",
# "STOP thanks", "por favor para", "bitte abmelden", "stop s'il vous plaît".
POLITE = word_set(
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
STRONG_ONLY = word_set("no nope nah nein non i")
HELP_POLITE = word_set(
    "please pls plz thanks thank you hi hello hey ok por favor porfavor gracias "
    "bitte danke svp stp s il vous plait merci"
)
# A lone strong word followed by a name ("Stop Mike") still opts out; followed
# by one of these it is a business sentence ("stop by", "stop where?").
CONTINUATIONS = word_set(
    "by in at on over off here there the a an my your our his her their sign "
    "valve cock leak leaking water work working job what when where why how who "
    "which if and or but for to from with before after until till is was are be "
    "been me"
)
# Words that make a clause with a weak word ("Cancel, we'll reschedule") about
# a booking rather than about the texts.
BUSINESS = word_set(
    "appointment appointments appt appts reschedule rescheduled rescheduling "
    "booking book booked reservation schedule scheduled visit estimate quote job "
    "order tomorrow today tonight morning afternoon evening week weekend monday "
    "tuesday wednesday thursday friday saturday sunday am pm oclock time "
    "cita manana hoy lunes martes miercoles jueves viernes sabado domingo "
    "termin morgen heute rendez rdv demain"
)

SETS: dict[str, frozenset[str]] = {
    # Verbs that stop a kind of message: "stop the texts", "basta de mensajes".
    "STOPN": word_set(
        "stop stopall quit cease end cancel halt basta alto para parar paren pare "
        "cancelar cancela cancelen detener stopp stoppen arretez arrete arreter "
        "cessez fin ende"
    ),
    "STOPG": word_set("stop stopall quit cease"),
    # "stop texting", "quit calling", "stop sending" (an object is checked).
    "GER": word_set(
        "texting txting texing textin messaging msging contacting calling emailing "
        "spamming bothering bugging harassing pestering sending getting receiving "
        "writing smsing text txt"
    ),
    "DET": word_set(
        "the these those this your ur my our all any of with more such text damn "
        "los las el la sus tus de a mit den die der ihre ihren sie les vos ces des "
        "tes aux"
    ),
    "CNOUN": word_set(
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
    "MSGNOUN": word_set(
        "text texts txt txts message messages msg msgs mssg sms smss notification "
        "notifications alert alerts spam promo promos promotions ads marketing "
        "mensajes mensaje textos texto msj msjs notificaciones "
        "nachrichten nachricht textnachrichten texte mitteilungen werbung "
        "benachrichtigungen pubs"
    ),
    # "don't text me", "never message me again".
    "NEG": word_set("dont never"),
    "CV": word_set(
        "text txt message msg sms contact spam bother write harass bug send call "
        "email phone ring"
    ),
    "ME": word_set("me us"),
    "MY": word_set("my this our"),
    "NUMBER": word_set("number cell info contact details name"),
    # Spanish: "no me escribas", "no me envíes más mensajes".
    "ESV": word_set(
        "escribas escriba escriban escribir envies envie envien enviar mandes mande "
        "manden mandar contactes contacte contacten contactar textees textee "
        "molestes moleste molesten"
    ),
    "ESCALL": word_set("llames llame llamen"),
    "ESINF": word_set(
        "escribirme escribir enviarme enviar mandarme mandar contactarme contactar "
        "molestarme molestar textearme llamarme escribirnos enviarnos mandarnos"
    ),
    "ESQUIT": word_set("deja dejen deje dejar dejad para paren pare parar"),
    "ESLEAVE": word_set("dejame dejeme dejenme dejanos dejennos"),
    "ESOFF": word_set("darme dame denme dar darse darnos den dan da"),
    "ESDEL": word_set("borra borre borren elimina elimine eliminen quita quiten"),
    "ESOUT": word_set(
        "sacame saquenme quitame quitenme borrame borrenme eliminame eliminenme"
    ),
    # German: "hör auf, mir zu schreiben", "keine SMS mehr".
    "KEINE": word_set("keine kein"),
    "LASS": word_set("lass lassen lasst"),
    "MELDE": word_set("melde melden meldet"),
    # French: "arrêtez de m'écrire", "ne m'écrivez plus".
    "FRSTOP": word_set("arretez arrete arreter arretes cessez cesse stop arret"),
    "FRV": word_set(
        "ecrire envoyer contacter texter appeler harceler deranger spammer relancer "
        "solliciter"
    ),
    "FRC": word_set(
        "ecrivez ecris envoyez envoie envoies contactez contacte textez texte "
        "harcelez derangez derange appelez appelle spammez relancez sollicitez"
    ),
    "FRME": word_set("m me nous"),
    "FRLEAVE": word_set("laissez laisse laisses"),
    "FRDEL": word_set(
        "retirez retire enlevez enleve supprimez supprime effacez efface"
    ),
    # "unsubscribe" and friends have no business sense: anywhere, they opt out.
    "UNSUB": word_set(
        "unsubscribe unsubcribe unsuscribe unsubscibe unsubscribed unsub optout "
        "stopall optingout optedout abmelden abbestellen desinscrire desinscrivez "
        "desinscris desinscription desabonner desabonnez desabonne desabonnement"
    ),
    "RUDE": word_set("f fuck fucking effing fn freaking frickin hell heck"),
    "LIST": word_set("mailing texting text sms contact contacts call calling"),
    "REVOKE": word_set("revoke withdraw rescind revoking withdrawing"),
    "CONSENT": word_set("consent permission authorization authorisation consents"),
}

# Tokens that, walked back over from a phrase, lead to a negation:
# "I don't want you to stop texting me" is not an opt-out.
BRIDGES = word_set(
    "ever please pls you u want wanna to like need ya just really even gonna going i"
)
NEGATIONS = word_set("dont not never didnt doesnt wont cant cannot shouldnt wouldnt")
# "Don't you stop texting me" / "why won't you stop": a demand, not a negation.
YOU = word_set("you u ya")
# "I'll stop texting you": the caller talks about themself.
SELF = word_set("i ill we well im ive weve id")
SELF_BRIDGES = word_set(
    "will can just now gonna going to am wanna want should must need"
)
# "I don't text, call me": a statement about the writer, not an order.
SUBJECTS = word_set(
    "i we they he she it you u ya people kids wife husband that which who"
)
# "Don't text me before 9", "don't text me back": a preference, not an opt-out.
TIMING = word_set(
    "until till til before after between during at on tomorrow today tonight "
    "early late past around while when unless yet back antes despues hasta "
    "durante"
)
# "don't call me" alone often means "text me instead" in a texting channel.
# "Don't text me/this number/here …": what sits between the verb and a time.
ORDER_OBJECTS = word_set("me us this my number phone cell here")
SOFT_CONTACT = word_set("call email phone ring")
AGAIN = word_set("again anymore ever more")
CHANNELS = word_set("call phone ring email")
CALL_LEADS = word_set("just please pls plz only but")
CALL_OBJECTS = word_set("me us instead my")
# What "stop sending …" may send and still mean the texts.
SEND_SKIP = word_set(
    "me us the any more all your ur so many such stupid annoying damn text these "
    "those this that them"
)
SENT_THINGS = word_set("stuff things anything crap junk shit garbage nonsense")
SENDING = word_set("sending getting receiving send")
# "Remove me from the waitlist" is business; "from your list" is not.
BUSINESS_OBJECTS = word_set(
    "schedule calendar appointment appt waitlist waiting job booking reservation "
    "roster class team account order slot"
)
DE_CONTACT = word_set(
    "schreiben schreibt schreib simsen texten senden schicken kontaktieren "
    "anschreiben anrufen belastigen nerven zuschicken zusenden whatsappen"
)
# "Wrong number" from someone who called by mistake: not a customer, so no
# more texts; a clause of only these words says just that.
WRONG_WORDS = word_set(
    "sorry you have got the a this is its thats wrong number num person guy i "
    "called dialed dialled texted youve ur your u my bad oops it was has"
)
WRONG_NOUNS = word_set("number num person guy no")
# Telegram style, "who is this stop": what a caller says before a trailing STOP
# when it is not "the leak won't stop".
COMPLAINTS = (
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
