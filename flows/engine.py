"""The engine: one machine, many conversations, and how each message is taken.

`Engine.handle` applies one customer event to a conversation: commands,
language switches, attachments, then the message read once
(`flows.reading.read`) — an opening routed to its form (or "did you mean
...?"), an answer taken by the question asked and every other fact by the
form (`flows.prefill`), an answer not understood asked again once and then
handed to a person. The table and the dialog are in `flows.triage`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from functools import lru_cache
from queue import Empty, SimpleQueue
from typing import Any

from transitions import Machine

from flows.model import AttachmentRef, Context, Conversation, Event, Notice
from flows.policy import Policy
from flows.prefill import (
    VERBATIM_STATES,
    after_correction,
    others,
    own_address,
    smtp_answer,
    way_of,
    written_by_us,
)
from flows.questions import QUESTIONS, YES_NO_INTENTS, Question
from flows.reading import (
    ACTION_UNSAID,
    DELETE_MAILBOX,
    JUST_CHANGED,
    NOT_BEFORE,
    PHRASE_WORDS,
    Reading,
    action_said,
    changed_mind,
    gazetteer,
    looks_like_smtp,
    own_words,
    read,
    ways_named,
)
from flows.replies import own_message
from flows.text import N_, Bubble, Choice, Lines, T, Turn, t, tn
from flows.texts import CATEGORY_LABELS, STATUS_LABELS, TOPIC_LABELS
from flows.triage import (
    AS_TYPED,
    FUTURE_DATE,
    MAX_SHORT,
    OLD_DATE,
    STALE,
    TRANSITIONS,
    Dialog,
    Invalid,
    _action_of,
    _states,
)
from flows.understand import (
    INTENTS,
    LANGUAGES,
    clean,
    identifiable,
    match_phrases,
    normalize,
    phrase_keys,
    switch_request,
    tokens,
)

IDENTIFY_CONFIDENCE = 0.8  # how sure the language identifier must be to switch by itself

# Reading the opening message (see `Engine._open`).
AFTER_END = ("done", "out_of_scope", "anything_else")
_REQUESTS = ("mailbox_admin", "password", "dns_check", "sales", "domain", "hosting")
SECOND_REQUEST = 0.12  # an intent this likely, in an opening that asks for two things, is one
# "Two things: …", "tengo dos cosas", "mi servono due cose".
_SEVERAL = re.compile(
    r"\b(?:two|2|a couple of|due|dos|un par de)\s+(?:things|issues|problems|requests|questions|"
    r"cose|problemi|richieste|domande|cosas|problemas|peticiones|preguntas)\b",
    re.IGNORECASE,
)
_AND_ALSO = re.compile(
    r"\b(?:and also|and i also|also i|e anche|e poi anche|inoltre|y adem[aá]s|y tambi[eé]n|"
    r"adem[aá]s)\b",
    re.IGNORECASE,
)
# When the ticket will be looked at, asked after it is open: "cuando me van a contestar??".
_WHEN_ANSWERED = re.compile(
    r"\b(?:when|cu[aá]ndo|quando)\b[^?]{0,40}\b(?:answer|reply|respond|call|look|fix|hear|"
    r"contest\w*|respond\w*|llam\w*|mir\w*|arregl\w*|rispond\w*|chiam\w*|guard\w*|sistem\w*|"
    r"risolv\w*|resuelv\w*|someone|somebody|alguien|qualcuno)\w*",
    re.IGNORECASE,
)
# Help refused, protested: "so you cant help me??", "¿no me podéis ayudar?".
_CANT_HELP = re.compile(
    r"\b(?:(?:so )?you (?:can'?t|cannot|won'?t) (?:just )?(?:help|do anything|fix)|"
    r"can'?t you (?:just )?(?:help|do|fix)|no me pod[eé]is ayudar|no me pueden ayudar|"
    r"no pod[eé]is hacer nada|no pueden hacer nada|non (?:mi )?potete (?:aiutar\w*|fare niente)|"
    r"non potete fare nulla|quindi non mi aiutate)\b",
    re.IGNORECASE,
)
ANSWER_GOES_ON = timedelta(minutes=10)  # a message this soon after answering a technician
MORE_WORDS = 60  # ...and no longer is more of that answer, added to the same ticket
HUMAN = "human"  # the choice offered after two misunderstandings
OPENING = ("menu", "clarify", "which_first")
ROUTE_CONFIDENCE = 0.5  # below it, "did you mean ...?" with the likeliest topics
CLARIFY_CONFIDENCE = 0.2  # the likeliest intent below it: nothing we know, the menu again
SOCIAL_CONFIDENCE = 0.5  # "a person please"
VAGUE_PHRASE_WORDS = 4  # a vague message names a menu topic only in a few words ("otra cosa"),
# not buried in a story ("lo del otro día sigue igual")
SURE_CONFIDENCE = 0.45  # an intent this sure
LEAVE_CONFIDENCE = 0.7  # an answer this surely out of scope ends the path there
SIGNAL_CONFIDENCE = 0.2  # an out-of-scope subject named, and this likely the request
SURE_LEAD = 0.2  # ... and this far ahead of the next intent ("receiving" 0.45, "sending" 0.3: ask)
LEAD_CONFIDENCE = 0.3  # an unsure request of a specific form this likely ...
LEAD = 0.12  # ... and this far ahead of the next one is taken without asking
OTHER_CONFIDENCE = 0.35  # a question for none of the forms, with no fact of mail, this likely ...
OTHER_LEAD = 0.2  # ... and this far ahead is a general request, without asking
SIGNALS = {
    "antivirus": "oos_antivirus",
    "firewall": "oos_firewall",
    "internet_connection": "oos_internet",  # "nothing works, not even google, the modem's red"
}
SHORT_ANSWER = 3  # words: a longer answer is read for its facts before its phrases
SOCIAL_WORDS = 6  # a greeting or a thank-you alone is a short message
PERSON_STORY = 80  # words: an opening this long that asks for a person in so many words gets one
PERSON_WORDS = 14  # a longer message that asks for a person also says something else
CHANGED_WORDS = 5  # what is asked after a change of mind, when this long, decides the topic
DESCRIBED_WORDS = 4  # an opening this long describes the request: it is kept as its description
# A question asked back: "where do I see that?", "¿y eso dónde lo veo?", "come faccio?".
_ASKED_BACK = re.compile(
    r"(?:\b(?:where|how|what|which|d[oó]nde|c[oó]mo|qu[eé]|cu[aá]l|dove|come|cosa|che cos|"
    r"cos'[eè]|quale)\b[^?]*\?)",
    re.IGNORECASE,
)
# The customer's own outgoing server, said as theirs: "set up to go out through smtp.x".
_GOES_OUT_THROUGH = re.compile(
    r"\b(?:go(?:es)? out (?:through|via)|sends? (?:through|via)|set up to (?:go|send)|"
    r"outgoing (?:server )?(?:is|=|:)|servidor de salida|server (?:di posta )?in uscita|"
    r"sale por|escono da|passa(?:no)? da)\b",
    re.IGNORECASE,
)
# The whole answer "the same" to "does it happen in webmail too?": yes, there too.
_THE_SAME = frozenset(
    {"same", "the same", "same thing", "idem", "uguale", "lo stesso", "igual", "lo mismo"}
)
# What the question means, asked back: "what do you mean by mailbox?", "el asunto, ¿qué es?".
_WHAT_IT_MEANS = re.compile(
    r"\b(?:what(?:'s| is| does| do you mean)|what'?s that|che cos\w*|cos'[eè]|cosa (?:intende|"
    r"vuol dire|significa|sarebbe)|qu[eé] (?:es|significa|quiere decir|ser[ií]a)|"
    r"a qu[eé] se refiere|no (?:s[eé]|entiendo) (?:qu[eé]|lo que) es|non so cos\w*|"
    r"i don'?t know what (?:that|it) is|don'?t understand)\b",
    re.IGNORECASE,
)


def _asks_what_it_means(text: str, reading: Reading | None) -> bool:
    """Tell whether a short message only asks what the question means (no answer in it)."""
    facts = reading is not None and (reading.addresses or reading.hosts or reading.error)
    return (
        not facts
        and "?" in text
        and len(text.split()) <= 10
        and _WHAT_IT_MEANS.search(text) is not None
    )


# A technician to look at it, said in so many words: the DNS check's "open a ticket".
_HAVE_IT_LOOKED_AT = re.compile(
    r"\b(?:someone|somebody|a technician|one of your (?:people|technicians|team)|your (?:people|"
    r"technicians|team)|alguien(?: vuestro| de vosotros)?|un t[eé]cnico|qualcuno|un (?:vostro )?"
    r"tecnico|uno de vuestros t[eé]cnicos)\b[^.?!]{0,30}?\b(?:look\w*|check\w*|mir[ea]\w*|"
    r"revis\w*|guard\w*|controll\w*|verific\w*|sort\w*|fix\w*|arregl\w*|sistem\w*)|"
    r"\b(?:lo mire|lo revise|ci guardi|lo guardi|look at it|looked at|take a look|"
    r"echar un vistazo|dare un'occhiata|open a ticket|abrid un ticket|aprite un ticket)\b",
    re.IGNORECASE,
)
# One of two requests said to come first, or to wait.
_URGENT_ONE = re.compile(
    r"\b(?:the (?:important|urgent|main) one|most (?:important|urgent)|first(?:,)? and (?:it'?s )?"
    r"the (?:important|urgent)|lo (?:m[aá]s )?urgente|lo (?:m[aá]s )?importante|primero y m[aá]s|"
    r"la (?:prima|pi[uù]) (?:e pi[uù] )?urgente|la pi[uù] importante|la cosa pi[uù] urgente|"
    r"prima di tutto|innanzitutto|first of all|above all)\b",
    re.IGNORECASE,
)
_CAN_WAIT = re.compile(
    r"\b(?:(?:that|it|this) can wait|less urgent|not urgent|no rush|no hurry|when you can|"
    r"cuando se pueda|cuando pod[aá]is|no corre prisa|no es urgente|menos urgente|con calma|"
    r"non [eè] urgente|meno urgente|quando potete|senza fretta)\b",
    re.IGNORECASE,
)
_LEAD = re.compile(r"[,.;:!?\n]|\s[-\u2013]\s")  # the end of an answer's first words
# Where an answer's conclusion starts: "..., so receiving I suppose", "quindi la ricezione".
_CONCLUSION = re.compile(
    r"[,.;:!?\n]\s*(?:so|quindi|insomma|as[ií] que|o sea|por lo tanto|thus|then)\b|"
    r"\b(?:so|quindi|as[ií] que|o sea|por lo tanto)\s",
    re.IGNORECASE,
)
# A request for a person in so many words: "can I talk to a real person", "un operatore".
_PERSON = re.compile(
    # "¿me puede atender una persona?", "prefiero hablarlo con alguien", "ne parlerei con qualcuno"
    r"\b(?:me (?:puede|podr[ií]a|pueden) atender|que me atienda|atenderme)\s+(?:una\s+|un\s+)?"
    r"(?:persona|humano|t[eé]cnico|operador|alguien)\b|"
    r"\b(?:hablarlo|comentarlo|parlarne) con (?:alguien|una persona|qualcuno)\b|"
    r"\btalk it (?:over|through) with (?:someone|somebody|a person)\b|"
    r"\b(?:(?:talk|speak|chat)\s+(?:to|with)|put me through to|transfer me to|"
    r"connect me (?:to|with)|"
    r"hablar con|p[aá]s(?:e|a|ar)me con|comunicarme con|parlare con|passa(?:te)?mi|"
    r"mettetemi in contatto con)\s+(?:a\s+|an\s+|some\s*one|somebody|una\s+|un\s+|qualcuno|"
    r"alguien)?\s*(?:real\s+|actual\s+|human\s+|vera\s+|de verdad\s+)?"
    r"(?:person|human|agent|operator|technician|persona|operatore|operador|tecnico|t[eé]cnico|"
    r"humano|qualcuno|alguien|someone|somebody)|"
    r"\b(?:real|actual|human) (?:person|human|being)\b|"
    r"\b(?:persona|qualcuno|alguien|someone|somebody|person)\s+(?:vera\s+|real\s+)?"
    r"(?:con (?:cui|quien|la que|el que)|(?:i|we) (?:can|could) (?:talk|speak) (?:to|with)|"
    r"to talk to)"
    r"(?:\s+(?:posso|pueda|puedo|possa))?(?:\s+(?:parlare|hablar))?|"
    r"\b(?:persona (?:vera|reale|real|de verdad)|operatore umano|un humano)\b|"
    # "mi fa chiamare da un tecnico vero?", "que me llame un técnico", "have a technician call me"
    r"\bmi\s+(?:passa|passi|passate|pu[oò] passare|potete passare)\s+(?:un|una|il|l'|qualcuno)\s*"
    r"(?:operat\w+|tecnic\w+|collega|responsabile|persona|umano|qualcuno)?|"
    r"\b(?:tecnico|operatore|t[eé]cnico|operador|technician|engineer)\s+"
    r"(?:vero|in carne e ossa|de verdad|real|de carne y hueso)\b|"
    r"\breal\s+(?:technician|engineer)\b|"
    # "me podéis pasar con una persona?", "me pasa con alguien?"
    r"\bme\s+(?:pasa|pasas|pasan|pas[aá]is|puede[ns]?\s+pasar|pod[eé]is\s+pasar|podr[ií]an?\s+pasar)"
    r"\s+con\s+(?:una?\s+)?(?:persona|alguien|operador\w*|t[eé]cnico|humano|agente|compa[ñn]er\w*)",
    re.IGNORECASE,
)
# A call asked for: a request for a person, but at "anything to add?" a note for the technician.
_CALLBACK = re.compile(
    r"\b(?:mi\s+(?:fa|faccia|fate|potete|pu[oò])\s+(?:ri)?chiamare|(?:que\s+me|me\s+pueden?)\s+"
    r"(?:llame|llamen|llamar)|(?:have|get)\s+(?:a|an|some)\s+\w+\s+(?:to\s+)?(?:call|ring)\s+me)\b",
    re.IGNORECASE,
)
# A word of the request for a person: the classifier's "human" counts only with one of them
# ("ALEALEALE…", a word it never saw, came out as a person request at 0.99).
_PERSONISH = re.compile(
    r"\b(?:person\w*|human\w*|humano|operat\w*|operador\w*|agent\w*|someone|somebody|anyone|"
    r"qualcuno|alguien|nadie|nessuno|t[eé]cnic\w*|technician|staff|people|gente|call\w*|chiam\w*|"
    r"llam\w*|phone\w*|telefon\w*|tel[eé]fono|talk\w*|speak\w*|hablar|parlare|parlo|hablo|"
    r"real|vera|vero|de verdad|help ?desk|assistenza|soporte|support|bot|robot|machine|m[aá]quina|"
    r"macchina|ayuda|aiuto|help)\b",
    re.IGNORECASE,
)
OFFER_PERSON = N_(
    "I'm sorry, I still don't understand. Please choose one of the options, or I can pass "
    "your request to a person."
)
# Questions whose answer, the second time it can't be read, is kept as typed.
KEEP_AS_TYPED = frozenset({"ex_sender", "ex_recipient", "ex_sent_at"})
SOCIAL = frozenset({"greeting", "thanks", "human", "vague"})  # never a topic offered
# The out-of-scope intents (flows/nlu) and the subject each one is about.
OUT_OF_SCOPE_INTENTS = {
    "oos_firewall": "firewall",
    "oos_antivirus": "antivirus",
    "oos_internet": "internet_connection",
    "oos_mail_client": "mail_client",
    "oos_other_provider": "other_provider",
}
# Where each intent (flows/nlu) leads: (topic, fields it sets). "answer": said at once.
ROUTES: dict[str, tuple[str, dict[str, Any]]] = {
    "email_send": ("email", {"direction": "send"}),
    "email_receive": ("email", {"direction": "receive"}),
    "email_both": ("email", {"direction": "both"}),
    "email_generic": ("email", {}),
    "email_settings": ("answer", {}),
    "mailbox_create": ("mailbox_admin", {"action": "create"}),
    "mailbox_delete": ("mailbox_admin", {"action": "delete"}),
    "password_change": ("password", {}),
    "dns_check": ("dns_check", {}),
    "sales_billing": ("sales", {}),
    "sales_renewal": ("sales", {}),
    "sales_support": ("sales", {}),
    "domain_register": ("domain", {}),
    "domain_transfer": ("domain", {}),
    "hosting": ("hosting", {}),
    "webmail_advice": ("other", {"other_topic": "something_else"}),
    "other_request": ("other", {"other_topic": "something_else"}),
    # an out-of-scope intent, or its subject chosen by name: that subject's explanation
    **{
        name: ("other", {"other_topic": subject})
        for intent, subject in OUT_OF_SCOPE_INTENTS.items()
        for name in (intent, subject)
    },
}
# What "did you mean" offers for each intent: a menu topic or an out-of-scope subject.
_OFFER = {
    **{i: topic for i, (topic, _) in ROUTES.items() if topic not in ("other", "answer")},
    "email_settings": "email",
    "webmail_advice": "other",
    "other_request": "other",
    **OUT_OF_SCOPE_INTENTS,
}


def _routes(ranked: tuple[tuple[str, float], ...]) -> list[tuple[str, float]]:
    """Rank the destinations by their likeliest intent, each with its intents' total.

    "Sending" at 0.3 and "receiving" at 0.3 are an e-mail problem at 0.6: the
    form then asks which way, or has it already from the message. The order
    is the single likeliest intent's (summing first would favour the topics
    with many intents).
    """
    totals: dict[str, float] = {}
    names: dict[str, str] = {}
    for intent, p in ranked:  # best first
        key = _OFFER.get(intent, intent)
        totals[key] = totals.get(key, 0.0) + p
        names.setdefault(key, intent)
    return [(names[k], totals[k]) for k in names]


@lru_cache(maxsize=256)
def _phrase_table(
    intents: tuple[tuple[str, str], ...], ids: frozenset[str]
) -> dict[str, list[str]]:
    """The phrases of each offered choice of a closed question.

    The question's own phrases win over plain yes and no: to "webmail too?",
    "tampoco" says it fails there, not "no".
    """
    own = {
        normalize(p)
        for intent, choice in intents
        if choice in ids and intent not in YES_NO_INTENTS
        for p in INTENTS.get(intent, ())
    }
    table: dict[str, list[str]] = {}
    for intent, choice in intents:
        if choice in ids:
            phrases = INTENTS.get(intent, ())
            if intent in YES_NO_INTENTS:
                phrases = tuple(p for p in phrases if normalize(p) not in own)
            table.setdefault(choice, []).extend(phrases)
    return table


_FIREWALL_WORD = re.compile(r"\bfirewall\b", re.IGNORECASE)
# Mail forwarded elsewhere as a setting: "el gmail lo uso para reenviar", "forwarding to".
_FORWARDED = re.compile(
    r"\b(?:para reenviar|to forward|per inoltrare|per girare|forwarding|reenv[ií]o|inoltro|"
    r"redirecci[oó]n|(?:reenv\w*|forward\w*|inoltr\w*|redirig\w*|redirect\w*|gir\w*)\s+"
    r"(?:a|al|to|alla|su|verso|hacia|para|into)\s)",
    re.IGNORECASE,
)
# What is the customer's own, which webmail failing too rules out.
_THEIRS_TOO = ("oos_firewall", "oos_antivirus", "oos_internet", "oos_mail_client")


def _without(ranked: list[tuple[str, float]], name: str) -> list[tuple[str, float]]:
    """Rank the destinations again as if `name` had not been a candidate."""
    rest = [(k, p) for k, p in ranked if k != name]
    total = sum(p for _, p in rest) or 1.0
    return [(k, p / total) for k, p in rest]


def _beside_person(text: str) -> bool:
    """Tell whether a request for a person also says what it is about, in another sentence.

    "Prefiero hablar con una persona. Es por la migración de los correos...": a story.
    """
    rest = [x for x in re.split(r"(?<=[.!?;])\s+|\n", text) if not _PERSON.search(x)]
    return len(" ".join(rest).split()) >= DESCRIBED_WORDS + 2


def _facts(reading: Reading) -> bool:
    return bool(reading.addresses or reading.hosts or reading.error or reading.direction)


def _evidence(reading: Reading) -> str | None:
    """Route an unsure opening by its facts: an error code or a direction is a mail problem."""
    web = _WEB_ERROR.search(reading.text)
    pasted = reading.error or ""  # "Please contact the server administrator at webmaster@…"
    if web and not reading.direction and not [a for a in reading.addresses if a not in pasted]:
        return "hosting"  # "503 Service Unavailable ... Apache Server at www.…": the website
    if reading.error or reading.direction or reading.webmail or _MAIL_TROUBLE.search(reading.text):
        return "email_generic"
    return None


# A problem said to be with the mail itself: "we have a problem with the mail x@…".
_MAIL_TROUBLE = re.compile(
    r"\b(?:problem\w*|issues?|trouble|guai|l[ií]os?)\s+(?:with|con|col|coi|con la|con el)\s+"
    r"(?:the |my |our |la |il |el |mi |mis |nuestro |nuestra |nostra |nostro |le |los |i )?"
    r"(?:mails?|e-?mails?|correos?|posta|inbox|email account)\b",
    re.IGNORECASE,
)


# Any word of mail: without one (nor an address, an error, a way, a program), an opening is
# not yet an e-mail problem, whatever the classifier leans to.
_MAIL_WORD = re.compile(
    r"\b(?:e-?mails?|\w*mail\w*|correos?|posta|inbox|buz[oó]n\w*|casell\w*|mensaj\w*|"
    r"messag\w*(?! (?:you|us|me)\b)|"  # (not "my nephew told me to message you guys")
    r"send\w*|sent|receiv\w*|invi\w*|ricev\w*|env[ií]\w*|recib\w*|mand\w*|arriv\w*|lleg\w*|"
    r"smtp|imap|pop3?|password|contrase\w*|clave|account|cuenta|bounce\w*|rebot\w*|rimbalz\w*|"
    r"torna\w* indietro|scriver\w*|escribir\w*|write|writing|"
    r"spam|allegat\w*|adjunt\w*|attach\w*|outlook|thunderbird|firma|signature|"
    r"destinatari\w*|recipient\w*|mittent\w*|remitent\w*|sender\w*)\b",
    re.IGNORECASE,
)


# Asking for a new mailbox password, in so many words.
_NEW_PASSWORD = re.compile(  # not "non cambiare": a change of mind
    rf"\b{NOT_BEFORE}(?:change|reset|cambiare|cambiar|cambia|cambio|modificare|reimpostare|resetear|"
    r"restablecer|a new|new|"
    r"una nuova|nuova|una nueva|nueva|otra)\s+(?:\w+\s+){0,3}?(?:password|contrase[nñ]a|clave)\b",
    re.IGNORECASE,
)
# A mailbox, named as one: "el buzón antiguo", "la casella", "the mailbox", "an account".
_BOX_WORD = re.compile(
    r"\b(?:buz[oó]n\w*|casell\w*|mailbox\w*|accounts?|cuentas?|indirizz\w*|e-?mail address\w*)\b",
    re.IGNORECASE,
)
# A password already changed, which the mail now fails after (seed 002: a program that sends
# through the mailbox stops): "ho cambiato la password", "after I changed the password".
_PASSWORD_CHANGED = re.compile(
    r"\b(?:ho|abbiamo|hanno|ha|aver|avere|he|hemos|han|i|we|they|have|has|had|i've|we've)\s+"
    r"(?:gi[aà]\s+|ya\s+|just\s+|recently\s+)?(?:cambiat[oa]|modificat[oa]|cambiado|modificado|"
    r"changed|reset|updated)\s+(?:\w+\s+){0,2}?(?:password|contrase[nñ]a|clave)\b|"
    r"\b(?:cambié|cambiamos|cambió|modifiqué)\s+(?:\w+\s+){0,2}?(?:contrase[nñ]a|clave|password)\b|"
    r"\b(?:dopo|despu[eé]s de|after)\s+(?:aver\s+|haber\s+)?(?:cambiat[oa]|cambiar|cambiado|"
    r"changing|resetting)\s+(?:\w+\s+){0,2}?(?:password|contrase[nñ]a|clave)\b",
    re.IGNORECASE,
)
# Another provider, said without its name: "it's with another company", "otro proveedor".
_ELSEWHERE = re.compile(
    r"\b(?:another|other|different|altro|altra|otro|otra|diverso|distinto)\s+"
    r"(?:provider|proveedor|fornitore|gestore|company|compa[nñ][ií]a|societ[aà]|empresa|"
    r"operatore|operador|servizio|servicio|service|host\w*)\b|"
    r"\b(?:not|isn'?t|non [eè]|no es|no est[aá])\s+(?:\w+\s+){0,2}(?:with you|con voi|con ustedes|"
    r"vostr[ao]|vuestr[ao]|yours)\b",
    re.IGNORECASE,
)
# Installing, setting up or learning a mail program, or one of its features.
_LEARN_OR_SET_UP = re.compile(
    r"\b(?:install\w*|instal[ae]r\w*|configur\w*|(?<!our )(?<!my )(?<!the )set ?up|setting up|"
    r"impar\w*|learn\w*|aprend\w*|"
    r"cors[oi]|courses?|curso|tutorial|insegn\w*|ense[nñ]\w*|spieg\w*|explic\w*|explain\w*|"
    r"come si usa|how (?:do|to|can) (?:i |we )?use|c[oó]mo se usa|firma|signature|regol[ae]|"
    r"rules?|reglas?|cartell[ae]|folders?|carpetas?|nuovo (?:pc|computer)|(?:pc|computer) nuovo|"
    r"nuevo ordenador|ordenador nuevo|new (?:pc|computer|laptop|phone)|migra\w*|trasfer\w*|"
    r"move my (?:e-?mails?|mail)|passare le mail|pasar los correos)\b",
    re.IGNORECASE,
)
# Asking to be taught to use the mail: "¿me pueden enseñar a usarlo?", "can you show me how".
_TEACH = re.compile(
    r"\b(?:ense[nñ]ar\w*|ens[eé][nñ]e\w*|insegnar\w*|insegn\w+ a usar\w*|teach\w*|show me how|"
    r"spiegarmi come|explicarme c[oó]mo|a usarl[oa]|ad usarl[oa]|to use it)\b",
    re.IGNORECASE,
)
_WEBMAIL_NAMED = re.compile(r"\bweb ?-?mail\b", re.IGNORECASE)
# Someone who left: their mailbox is to be closed (or handed over), not its password changed.
_LEAVER = re.compile(
    r"\b(?:andat[oa] in pensione|in pensione|retired|retiring|se (?:ha )?jubil\w*|jubilad[oa]|"
    r"left the company|has left(?! (?:me|us|a|the|it|his|her)\b)|"
    r"ha lasciato (?:l'azienda|la ditta|lo studio|l'ufficio|il lavoro|la societ[aà])|"
    r"ci ha lasciat[oi](?! (?:il|un|una|le|la|lo|detto|scritto)\b)|non lavora pi[uù]|ya no trabaja|"
    r"no longer works|doesn'?t work (?:here|at \w+|for us)|se ha ido de la empresa|dimess[oa]|"
    r"licenziat[oa]|despedid[oa])\b",
    re.IGNORECASE,
)
# The password, named: "password", "pasword", "contraseña", "clave", "pwd", "parola d'ordine".
_PASSWORD_WORD = re.compile(
    r"\b(?:pass\w*|pasword\w*|contrase\w*|clave|pwd|psw|parola d'ordine|credenzial\w*|"
    r"credencial\w*)\b",
    re.IGNORECASE,
)
# Asking to have a product set up: with a firewall or an antivirus named, its request.
_SET_UP = re.compile(
    r"\b(?:configur\w*|impost\w*|set (?:it )?up|setup|set\b|ajust\w*|sblocc\w*|desbloque\w*|"
    r"whitelist\w*|excep\w*|eccezion\w*|dejar pasar|deje pasar|lasci\w* passare|let\b.{0,20}"
    r"through|allow\w*|permit\w*|"
    r"open\b.{0,20}\bports?|apr\w*\b.{0,20}\bport[ae]|"  # "open whatever ports outlook needs"
    r"abr\w*\b.{0,20}\bpuertos?)",
    re.IGNORECASE,
)


@lru_cache(maxsize=4)
def _set_up_pattern(signal: str) -> re.Pattern[str]:
    g = gazetteer()
    names = "|".join(re.escape(n) for n in (g.antivirus if signal == "antivirus" else g.firewalls))
    verb = _SET_UP.pattern
    return re.compile(rf"(?:{verb})\W+(?:\w+\W+){{0,2}}(?:{names})\b", re.IGNORECASE)


def _sets_up(signal: str, text: str) -> bool:
    """Tell whether the message asks to set up the product it names ("set up Norton so...")."""
    if signal not in ("antivirus", "firewall"):
        return False
    return _set_up_pattern(signal).search(" ".join(text.lower().split())) is not None


# A web server's error, not a mail server's: the site is down.
_WEB_ERROR = re.compile(
    r"\b(?:HTTP(?:/\d(?:\.\d)?)?\s+[45]\d\d|[45]0[0-9]\s+(?:Service Unavailable|Internal Server "
    r"Error|Bad Gateway|Gateway Time-?out|Not Found|Forbidden)|[45]0[0-9]s|Apache|nginx|IIS|"
    r"Internal Server Error|the server encountered an internal error|"
    r"cloudflare|wp-admin|wp-config(?:\.php)?|wordpress|joomla|prestashop|woocommerce|"
    r"error establishing a database connection|database connection|php|mysql|"
    r"(?<=error )[45]0\d|(?<=errore )[45]0\d|(?<=c[oó]digo )[45]0\d|"
    r"ERR_CONNECTION_\w+|DNS_PROBE_\w+|ERR_NAME_NOT_RESOLVED)\b",
    re.IGNORECASE,
)


# Words that may surround a free-text answer's phrase without adding to it ("no, niente
# altro grazie").
_THANKS = frozenset(
    "thanks thank you thx grazie mille gracias ok okay per ora for now por ahora".split()
)


@lru_cache(maxsize=512)
def _phrase_words(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The words of each phrase, longest first."""
    found = (tuple(w for w in tokens(p) if w != ",") for p in phrases)
    return tuple(sorted(found, key=len, reverse=True))


# A yes or a no said first, then qualified: "sì ma solo a volte", "no, not that I know".
_YES_NO_BUT = re.compile(
    r"^(?:(?P<yes>s[iìí]|yes|yep|yeah|yup)|no|nope|nah)\b\s*[,.;!]*\s*"
    r"(?:(?:ma|but|pero|però|aunque|although|though|anche se|not that i know|non che io sappia|"
    r"que yo sepa|i think|credo|creo)\b|,)"
)


def _ways_in(texts: list[str]) -> bool:
    """Tell whether any of `texts` names a way of mail (sending, receiving)."""
    return any(ways_named(x) or _IN_OR_OUT.search(x) for x in texts)


# Mail's ways said without a verb of sending: "nothing goes in or out", "ni entra ni sale".
_IN_OR_OUT = re.compile(
    r"\b(?:in (?:or|and|nor) out|out (?:or|and|nor) in|goes (?:in|out)|comes? in|entra\w*|"
    r"sal[ei]\w*|esc[eo]\w*|entrata|uscita|entrada|salida|incoming|outgoing|inbound|outbound)\b",
    re.IGNORECASE,
)


def _only_phrases(plain: list[str], phrases: Iterable[str]) -> bool:
    """Tell whether `plain` (an answer's words) says only `phrases`, and thanks."""
    rest = [w for w in plain if w not in _THANKS]
    if not rest:
        return False
    found = _phrase_words(tuple(phrases))
    i = 0
    while i < len(rest):
        size = next((len(f) for f in found if f and tuple(rest[i : i + len(f)]) == f), 0)
        if not size:
            return False
        i += size
    return True


class Engine:
    """Runs customer events through the triage flow: one machine, many conversations."""

    def __init__(
        self,
        policy: Policy,
        translate: Callable[[str, T | str], str],
        identify: Callable[[str], tuple[str, float] | None] | None = None,
    ) -> None:
        """`identify` names the language a text is written in, with a confidence 0-1."""
        self.policy = policy
        self.translate = translate
        self.identify = identify
        self.machine = Machine(
            model=None,
            states=_states(),
            transitions=TRANSITIONS,
            initial="new",
            auto_transitions=False,
            model_attribute="state",
            after_state_change="mark_moved",
        )
        # Models are registered once and reused: a Dialog reads its state from
        # the conversation it is bound to, so binding is all a turn needs.
        self._idle: SimpleQueue[Dialog] = SimpleQueue()

    @contextmanager
    def _dialog(self, conv: Conversation, ctx: Context) -> Iterator[Dialog]:
        """Borrow a registered dialog bound to `conv` for one turn."""
        try:
            d = self._idle.get_nowait()
        except Empty:
            d = Dialog(Conversation(channel="", user=""), ctx, self.policy)
            self.machine.add_model(d)
        d.bind(conv, ctx)
        try:
            yield d
        finally:
            self._idle.put(d)

    def handle(self, conv: Conversation, event: Event, ctx: Context) -> Turn:
        """Apply one customer event to `conv` (changing it) and say what to answer."""
        if conv.state not in self.machine.states:
            conv.state = "menu"
        with self._dialog(conv, ctx) as d:
            return self._handle(d, event)

    def _handle(self, d: Dialog, event: Event) -> Turn:
        conv = d.conv
        if event.kind == "text":  # the answer, not the question quoted back or the signature
            event = replace(event, value=own_message(clean(event.value)))
        for notice in conv.notices:  # ticket news not told yet: first of all
            if not (conv.state == "ticket_question" and conv.question == notice):
                d.say(*self.notice_texts(d, notice))  # (a question is the state's intro)
        conv.notices = []
        if event.kind == "attachment":
            return self._attachment(d, event)
        if event.kind == "start":
            if conv.state in ("new", "closed"):
                d.trigger("wake")
                return self._turn(d)
            d.say(t("Welcome back! Let's continue where we left off."))
            return self._turn(d)
        if event.kind == "command":
            return self._command(d, event.value)
        if event.kind == "text" and conv.state != "language":
            asked = switch_request(event.value)
            if asked is not None:
                return self._switch(d, asked)
            self._notice_language(d, event.value)
        if conv.state in ("new", "closed"):
            d.trigger("wake")
            menu = QUESTIONS["menu"]
            if event.kind != "text" and not (
                event.kind == "choice" and event.ref is None and event.value in dict(menu.choices)
            ):
                return self._turn(d)
        if conv.state not in AFTER_END:
            conv.answered = None  # (more of an answer comes only at "another problem?")
        reading = read(event.value) if event.kind == "text" and conv.state != "language" else None
        if reading is not None and reading.text and conv.state != "ticket_question":
            d.remember(reading.text)
        if event.kind == "choice" and event.value == HUMAN and event.ref in (None, conv.asked):
            return self._hand_off(d)
        if reading is not None and conv.state in OPENING:
            return self._open(d, event, reading)
        if event.kind == "choice" and conv.state in OPENING:
            offered = {c.id for c in self.choices(d, QUESTIONS[conv.state])}
            if event.value in offered and event.ref in (None, conv.asked):
                if conv.state == "which_first":
                    return self._take_first(d, event.value)
                return self._route(d, event.value, None)
        person = reading is not None and self._wants_person(reading) and not d.case.handoff
        now_asked = QUESTIONS.get(conv.state)
        if person and now_asked and now_asked.asking == "description" and reading is not None:
            person = bool(_PERSON.search(reading.text))  # "...preferiamo essere richiamati": noted
        if person and reading is not None and not self._agrees(d, reading):
            return self._hand_off(d)  # (once: then what they say is what it is about)
        left = self._leaves_scope(d, reading) if reading is not None else None
        if left is not None:
            return self._route(d, left, reading)  # "nn so usare Thunderbird"
        if reading is not None and conv.state in AFTER_END and reading.text:
            q = QUESTIONS[conv.state]
            if self._resolve(d, q, reading.text) is None and self._more_of_answer(d, reading):
                return self._reply_more(d, reading.text)  # "y a hotmail igual", right after
            conv.answered = None
            ticket = conv.last_ticket if conv.state == "done" else None
            if ticket is not None and _WHEN_ANSWERED.search(reading.text):
                added = self._add_to_ticket(d, ticket.code, reading.text)  # (its urgency)
                d.say(d.office_hours_text(), added)
                return self._turn(d, intro=False)  # "no gracias. y cuando me van a contestar??"
            if conv.state == "out_of_scope" and _CANT_HELP.search(reading.text):
                return self._hand_off(d)  # "so you cant help me?? i dont have an IT guy": a person
            if self._resolve(d, q, reading.text) is None and len(reading.text.split()) > 2:
                d.trigger("another")  # "Another problem?" answered with the problem itself
                d.remember(reading.text)
                return self._open(d, event, reading)
        question = QUESTIONS[conv.state]
        try:
            value = self._read(d, question, event, reading)
        except Invalid as bad:
            if reading is not None and conv.state not in VERBATIM_STATES:
                if conv.state == "summary" and d.fill(reading, "summary"):
                    d.moved = True  # a correction typed at the summary: shown again
                    return self._turn(d)
                if conv.state != "summary" and d.fill(reading, conv.state):
                    d.check_dns_when_known()
                    d.trigger("advance")  # it said something else the form needed
                    return self._turn(d)
            return self._missed(d, question, event, bad.hint)
        if conv.state == "language":
            return self._switch(d, value)
        if conv.state == "ticket_question":
            return self._reply(d, value)
        asked = conv.state
        trigger = getattr(d, f"take_{asked}")(value) or "advance"
        if asked in AFTER_END and conv.later is not None:
            later, text = conv.later, conv.later_text
            conv.later, conv.later_text = None, ""
            if value == "yes":  # "You also wrote about…": the other request, from its opening
                d.trigger(trigger)
                d.remember(text)
                return self._route(d, later, None)
        if reading is not None:
            d.fill(reading, asked)
        d.check_dns_when_known()
        d.trigger(trigger)
        return self._turn(d)

    # Reading the opening message --------------------------------------------------
    def _open(self, d: Dialog, event: Event, reading: Reading) -> Turn:
        """Route a description of the problem to its form, with everything it said filled."""
        conv = d.conv
        q = QUESTIONS[conv.state]
        said = normalize(reading.text)
        for c in self.choices(d, q):  # a topic's id or label, typed
            if said == normalize(c.id) or any(
                said == normalize(self.translate(lang, c.label)) for lang in LANGUAGES
            ):
                return self._route(d, c.id, reading)
        if said.isdigit():
            return self._missed(d, q, event, t(q.hint))
        guess = reading.guess
        if guess is None:
            return self._missed(d, q, event, t(q.hint))
        tail = changed_mind(own_words(reading.text))
        if tail is not None and len(tail.split()) >= CHANGED_WORDS:
            rethought = read(tail).guess  # "...bueno no, lo que necesito es cambiar la clave"
            ahead = rethought.confidence - rethought.ranked[1][1] if rethought else 0.0
            if rethought is not None and rethought.confidence >= LEAD_CONFIDENCE and ahead >= LEAD:
                guess = rethought
        ranked = _routes(guess.ranked)
        if _facts(reading):  # an address, an error, a way of mail: not "that thing again"
            ranked = _without(ranked, "vague")
        if not _LEARN_OR_SET_UP.search(reading.text) and not reading.program:
            # Nothing to install, set up or learn, no program named: "mi si è bloccata la
            # posta sul computer... non so come fare" is a mail problem to ask about.
            ranked = _without(ranked, "oos_mail_client")
        provider_named = others(reading, d.hosted) or _ELSEWHERE.search(reading.text)
        if not provider_named or written_by_us(reading, self.policy.provider.smtp_host):
            # No other provider named, no address elsewhere: "my email doesnt work anymore"
            # is a mail problem to ask about, not a mailbox at another provider; nor is a
            # bounce our own server wrote (the customer sends through us, to a Yahoo user).
            ranked = _without(ranked, "oos_other_provider")
        webmail_fails = reading.webmail == "fails" and bool(reading.direction)
        if webmail_fails:  # "...un firewall nuevo, pero en la webmail desde casa tampoco me
            for theirs in _THEIRS_TOO:  # llega nada": webmail fails too, so the fault is ours
                ranked = _without(ranked, theirs)
        best, sure = ranked[0]
        ours_named = [h for h in (*reading.hosts, *reading.addresses) if d.hosted(h.split("@")[-1])]
        forwarded = _FORWARDED.search(reading.text) and ours_named
        if forwarded and _OFFER.get(best, best) in ("domain", "dns_check", "hosting"):
            # "el dominio lo tengo con vosotros, garcia.example, y el gmail lo uso para
            # reenviar": mail to our domain forwarded elsewhere, not a question of the domain
            return self._route(d, "email_generic", reading)
        if best == "email_settings" and (
            (reading.error and (reading.direction or reading.addresses))
            or (reading.direction and reading.addresses)
        ):
            best = "email_generic"  # "...configured with Movistar's SMTP. Now: 550 Unable to
            # relay. Is it yours?", "Outlook won't send from office@…. The outgoing server in
            # the settings is …": a failure to look into, not a request for the settings
        short = len(reading.text.split()) <= SOCIAL_WORDS and not _facts(reading)
        if best == "greeting" and short:
            if d.began_in in ("new", "closed"):
                return self._turn(d)  # the greeting, and the menu
            d.say(t("Hello! Tell me in your own words what the problem is, or choose a topic."))
            return self._turn(d, intro=False)
        if best == "thanks" and short:
            d.say(t("You're welcome! Write to me whenever you need help."))
            d.trigger("thank")
            return self._turn(d)
        if best == "human" and sure >= SOCIAL_CONFIDENCE and _PERSONISH.search(reading.text):
            return self._hand_off(d)
        asked_for = len(reading.text.split()) <= PERSON_STORY and _PERSON.search(reading.text)
        mail_facts = reading.error or reading.direction  # a named domain is what it is about
        if (asked_for and not mail_facts) or (
            self._wants_person(reading) and (conv.state == "clarify" or sure < ROUTE_CONFIDENCE)
        ):
            return self._hand_off(d)  # "not sure which one. can i just talk to a real person"
        if best == "vague" and not _facts(reading):  # "it's doing that thing again"
            phrased = self._resolve(d, QUESTIONS["menu"], reading.text)  # "otra cosa": a topic
            if phrased is not None and len(reading.text.split()) <= VAGUE_PHRASE_WORDS:
                return self._route(d, phrased, reading)
            return self._missed(d, q, event, t(QUESTIONS["menu"].hint))
        if conv.state == "which_first":
            first = self._first_of(d, reading, ranked)
            if first is not None:  # "the website first, we're losing customers"
                return self._take_first(d, first, reading.text)
        elif (several := self._requests(d, reading, ranked)) is not None:
            conv.options, conv.later_text = several, reading.text
            lead = self._said_first(d, reading.text, several)
            if lead is not None:  # "Lo urgente: …. Y luego, cuando se pueda, …": that one
                return self._take_first(d, lead, reading.text)
            d.trigger("ask_first")  # "Two things. Our website … and also I can't send …"
            return self._turn(d)
        signal_of = {intent: signal for signal, intent in SIGNALS.items()}
        if best in signal_of and not reading.signals & {signal_of[best], "firewall", "antivirus"}:
            evidence = _evidence(reading)  # "smtp.movistar.es... the Movistar man": no firewall
            if evidence is not None:
                return self._route(d, evidence, reading)
        likely = dict(guess.ranked)
        signals = list(SIGNALS.items())
        if {"firewall", "antivirus"} <= reading.signals and _FIREWALL_WORD.search(reading.text):
            signals = [(s, i) for s, i in signals if s != "antivirus"]  # "our Sophos XGS firewall"
        for signal, intent in () if webmail_fails else signals:  # "how do I set Norton"
            down = signal == "internet_connection" and "internet_down" in reading.signals
            floor = (
                SIGNAL_CONFIDENCE / 2 if _SET_UP.search(reading.text) or down else SIGNAL_CONFIDENCE
            )
            if (
                signal == "internet_connection"
                and not down
                and (
                    reading.direction
                    or smtp_answer(reading, self.policy.provider.smtp_host) is False
                )
            ):
                continue  # "since the fibre, nobody can send... he set smtp.fastwebnet.it": mail
            if signal in reading.signals and likely.get(intent, 0.0) >= floor:
                return self._route(d, intent, reading)  # "¿me pueden configurar el Norton?"
            if signal in reading.signals and _sets_up(signal, reading.text):
                return self._route(d, intent, reading)  # "How do I set up Norton so it stops…"
        if d.conv.misses >= 2 and guess.confidence < SURE_CONFIDENCE:
            return self._missed(d, q, event, t(q.hint))  # twice not understood: a person
        if tail is not None and DELETE_MAILBOX.search(tail) and reading.addresses:
            return self._route(d, "mailbox_delete", reading)  # "...anzi no, va cancellata"
        asks_password = _NEW_PASSWORD.search(tail or reading.text) and not reading.error
        wants_password = asks_password and not reading.direction
        changed = best == "password_change" and _PASSWORD_CHANGED.search(reading.text)
        if changed and reading.direction and not asks_password:  # "ho cambiato la password di
            return self._route(d, "email_generic", reading)  # x@… e il gestionale nn manda più"
        if asks_password and best == "password_change":  # "...porque me salen correos enviados
            return self._route(d, "password", reading)  # que yo no he mandado": the request
        if best == "webmail_advice" and reading.program and not _WEBMAIL_NAMED.search(reading.text):
            return self._route(d, "oos_mail_client", reading)  # "how do I make Outlook move…"
        leaver = best == "password_change" and _LEAVER.search(reading.text)
        if leaver and not _PASSWORD_WORD.search(reading.text) and not mail_facts:  # "una collega
            # è in pensione" (not "…in ferie, mi ha lasciato il compito… non entrano le mail")
            return self._route(d, "mailbox_admin", reading)
        boxed = _BOX_WORD.search(reading.text) and tail is None  # (a change of mind: below)
        action = action_said(reading.text) if boxed else None
        unsure_password = best == "password_change" and not _PASSWORD_WORD.search(reading.text)
        if (
            action
            and not mail_facts
            and (_OFFER.get(best, best) in ("other", "mailbox_admin") or unsure_password)
        ):  # "hay que borrar el buzón antiguo x@…", "ci serve una nuova casella per la collega"
            wanted = "mailbox_delete" if action == "delete" else "mailbox_create"
            return self._route(d, wanted, reading, sure=True)  # (the action, said in words)
        managed = ACTION_UNSAID.search(reading.text) and not _PASSWORD_WORD.search(reading.text)
        if managed and not mail_facts and _OFFER.get(best, best) in ("other", "mailbox_admin"):
            return self._route(d, "mailbox_admin", reading)  # "un cambio en los buzones": which?
        if wants_password and (_OFFER.get(best, best) in ("email", "other") or tail is not None):
            return self._route(d, "password", reading)  # "I must change the password of my e-mail"
        if best == "oos_mail_client" and _TEACH.search(reading.text) and not _evidence(reading):
            return self._route(d, best, reading)  # "¿me pueden enseñar a usarlo?": a lesson
        ours = [a for a in reading.addresses if d.hosted(a)]
        mail_to_us = ours and (reading.direction or any(way_of(reading.text, a) for a in ours))
        if (
            _OFFER.get(best, best) == "hosting"
            and mail_to_us
            and not _WEB_ERROR.search(reading.text)
        ):
            return self._route(d, "email_generic", reading)  # "nothing from our website's form
            # reaches enquiries@…": the mail is the problem, the site only sends it
        if (
            _OFFER.get(best) == "dns_check"
            and reading.direction
            and _GOES_OUT_THROUGH.search(reading.text)
            and smtp_answer(reading, self.policy.provider.smtp_host) is False
        ):  # "...set up to go out through smtp.office365.com ... 535 Authentication
            return self._route(d, "email_generic", reading)  # unsuccessful": mail, elsewhere
        if _OFFER.get(best) == "email" and _evidence(reading) == "hosting" and not reading.webmail:
            return self._route(d, "hosting", reading)  # "throwing 503s, wp-admin too": the site
        if (
            _OFFER.get(best) == "email"
            and sure >= ROUTE_CONFIDENCE  # (unsure, the topics it may be are offered)
            and not (_facts(reading) or reading.program or reading.webmail)
            and not _MAIL_WORD.search(reading.text)
        ):  # "my grandson set up everything on the computer and it doesnt go anymore": what?
            return self._missed(d, q, event, t(QUESTIONS["menu"].hint))
        if sure < ROUTE_CONFIDENCE:
            phrased = self._resolve(d, QUESTIONS["menu"], reading.text)  # the phrase table
            evidence = _evidence(reading)
            offered = [_OFFER.get(key, key) for key, _ in ranked[:3]]
            unsure = guess.confidence < CLARIFY_CONFIDENCE
            runner_up = max((p for _, p in ranked[1:]), default=0.0)  # totals: not in order
            specific = best in OUT_OF_SCOPE_INTENTS or ROUTES.get(best, ("", {}))[0] not in (
                "email",
                "other",
                "answer",
            )
            if best == "oos_mail_client" and reading.direction:
                specific = False  # "on the new PC my mail doesn't arrive": webmail tells
            leads = specific and sure >= LEAD_CONFIDENCE and sure - runner_up >= LEAD
            if best == "other_request" and "?" in reading.text and not _facts(reading):
                leads = sure >= OTHER_CONFIDENCE and sure - runner_up >= OTHER_LEAD  # "il GDPR..."
            buried = phrased is not None and len(reading.text.split()) > PHRASE_WORDS
            if buried and not unsure and (offered[0] == "other" or leads):
                phrased = None  # "...something about changes to the email": a word, not a topic
            if phrased is not None and (phrased in offered or unsure):
                return self._route(d, phrased, reading)
            if leads:
                return self._route(d, best, reading)  # "...cambiar la clave urgente": a form
            mail_like = ("email", "password", "other", "oos_other_provider")
            if evidence is None and (_OFFER.get(best, best) in mail_like or best in mail_like):
                elsewhere = [a for a in reading.addresses if not d.hosted(a)]
                only_elsewhere = elsewhere and len(elsewhere) == len(reading.addresses)
                if only_elsewhere and any(own_address(reading.text, a) for a in elsewhere):
                    evidence = "email_generic"  # "i cant get into my email x@libero.it"
            if evidence is not None:
                return self._route(d, evidence, reading)
            topics = self._topics_named(d, reading.text)
            if guess.confidence < CLARIFY_CONFIDENCE and len(topics) < 2:  # no idea: the menu
                return self._missed(d, q, event, t(QUESTIONS["menu"].hint))
            options = [_OFFER.get(key, key) for key, _ in ranked if key not in SOCIAL][:3]
            if phrased is None and len(topics) >= 2:  # "lo de la web y el correo": which?
                options = [*topics, *(o for o in options if o not in topics)][:3]
            if conv.state == "clarify" and set(options) == set(conv.options):
                return self._missed(d, q, event, t(q.hint))
            conv.options = options
            d.trigger("ask_which")
            return self._turn(d)
        second = guess.ranked[1][1] if len(guess.ranked) > 1 else 0.0
        sure = guess.confidence >= SURE_CONFIDENCE and guess.confidence - second >= SURE_LEAD
        return self._route(d, best, reading, sure=sure)

    def _topics_named(self, d: Dialog, text: str) -> list[str]:
        """The menu topics whose phrases `text` says, in the order said."""
        menu = QUESTIONS["menu"]
        ids = frozenset(c.id for c in self.choices(d, menu))
        return phrase_keys(text, _phrase_table(tuple(menu.intents.items()), ids))

    def _requests(
        self, d: Dialog, reading: Reading, ranked: list[tuple[str, float]]
    ) -> list[str] | None:
        """The topics of an opening that makes more than one request, or None: "two things:
        …", or two topics named with "and also"."""
        if not (_SEVERAL.search(reading.text) or _AND_ALSO.search(reading.text)):
            return None
        named = self._topics_named(d, reading.text)
        likely = [_OFFER.get(k, k) for k, p in ranked if p >= SECOND_REQUEST]
        topics = [k for k in dict.fromkeys([*named, *likely]) if k in TOPIC_LABELS and k != "other"]
        if len(topics) < 2:
            return None
        if not _SEVERAL.search(reading.text):  # "...and also": two requests, not a mail story
            named = [k for k in dict.fromkeys(named) if k in _REQUESTS and k in likely]
            return named[:2] if len(named) >= 2 else None
        return topics[:2]

    def _said_first(self, d: Dialog, text: str, options: list[str]) -> str | None:
        """The request the customer put first themselves: the one said to be urgent ("La prima
        e più urgente: …"), or the other of one said to wait ("…, but that can wait")."""
        sentences = [x for x in re.split(r"(?<=[.!?\n])\s+", text) if x.strip()]
        for cue, pick_it in ((_URGENT_ONE, True), (_CAN_WAIT, False)):
            said = next((x for x in sentences if cue.search(x)), None)
            if said is None:
                continue
            guess = read(said).guess
            named = self._topics_named(d, said)
            named += [_OFFER.get(k, k) for k, p in (guess.ranked if guess else ()) if p >= 0.3]
            this = next((k for k in named if k in options), None)
            if this is None:
                continue
            return this if pick_it else next((o for o in options if o != this), None)
        return None

    def _first_of(self, d: Dialog, reading: Reading, ranked: list[tuple[str, float]]) -> str | None:
        """Which of the requests offered the answer to "which one first?" names."""
        options = d.conv.options
        named = self._topics_named(d, reading.text)
        named += [_OFFER.get(k, k) for k, p in ranked if p >= SECOND_REQUEST]
        return next((k for k in named if k in options), None)

    def _take_first(self, d: Dialog, first: str, said: str = "") -> Turn:
        """Start with the request chosen; the other one waits for the end of this one."""
        conv = d.conv
        conv.later = next((o for o in conv.options if o != first), None)
        if first == "mailbox_admin":  # "delete Tom's mailbox first": which of the two it is
            action = action_said(said) or action_said(conv.later_text)
            if action is not None:
                key = "mailbox_delete" if action == "delete" else "mailbox_create"
                return self._route(d, key, None, sure=True)
        return self._route(d, first, None)

    def _route(self, d: Dialog, key: str, reading: Reading | None, sure: bool = False) -> Turn:
        """Start the form of `key` (a topic, an intent or an out-of-scope subject)."""
        case = d.case
        topic, preset = ROUTES.get(key, (key, {}))
        if topic == "answer":
            d.say(*d.settings_texts())
            d.trigger("answered")
            return self._turn(d)
        if case.topic != topic and d.conv.state not in OPENING:
            d.conv.state = "menu"  # another topic's form, from its start (what is known stays)
        case.topic = topic
        opening = [x for x in case.said if normalize(x) not in self._labels()]
        for text in opening:  # the facts first: "I can't receive" beats a guessed "both"
            d.fill(read(text, classify=False))
        # What the intent says of the direction or the action counts only when it
        # is sure of it: "el correo no va" says neither.
        guessed = [
            name
            for name in preset
            if getattr(case, name) is None
            and (sure or name not in ("direction", "action"))
            and not (name == "action" and any(ACTION_UNSAID.search(x) for x in opening))
            # "both" only where a way of mail is named: "tengo problemas con el correo"
            and not (name == "direction" and preset[name] == "both" and not _ways_in(opening))
        ]
        for name in guessed:
            setattr(case, name, preset[name])
        if guessed and case.draft is None and not case.examples:
            for text in opening:  # an example needs the direction: "from him to me"
                d.fill(read(text, classify=False))
        if topic == "other" and key == "other":
            case.other_topic = None  # the menu's "something else": which one?
        if topic in ("sales", "other", "mailbox_admin", "password", "domain", "hosting"):
            described = [x for x in opening if len(x.split()) >= DESCRIBED_WORDS]
            general = case.other_topic in (None, "something_else")
            if described and case.description is None and general:
                case.description = "\n".join(described)
                case.taken.append("description")
        if topic == "mailbox_admin" and reading and reading.guess:
            tail = after_correction(reading.text)  # "cancellare... anzi no, una nuova"
            if tail == reading.text:  # "...bueno no, pensándolo mejor... una cuenta nueva"
                tail = changed_mind(own_words(reading.text)) or tail
            said_again = tail != reading.text and len(tail.split()) >= 2
            corrected = read(tail).guess if said_again else None
            said = action_said(tail) if said_again else None  # "...wait no, a NEW one"
            if said is not None:
                case.action = said
            elif corrected is not None:
                case.action = _action_of(corrected.ranked) or case.action
            if case.action is None and not ACTION_UNSAID.search(reading.text):
                case.action = _action_of(reading.guess.ranked)  # "gestionar un buzón": asked
        d.check_dns_when_known()
        d.trigger("advance")
        if topic == "password" and d.conv.state != "password_mailbox":
            d.say(*d.password_intro())  # the mailbox said already: the warnings all the same
        return self._turn(d)

    def _labels(self) -> set[str]:
        return {
            normalize(self.translate(lang, label))
            for _, label in QUESTIONS["menu"].choices
            for lang in LANGUAGES
        }

    def _leaves_scope(self, d: Dialog, reading: Reading) -> str | None:
        """Return the out-of-scope intent an answer says plainly, or None."""
        guess = reading.guess
        if guess is None or len(reading.text.split()) <= SOCIAL_WORDS:
            return None
        state = d.conv.state
        if state in ("summary", "ticket_question", "email_client", "email_client_name", *AFTER_END):
            return None  # (a program is what "where do you read your mail?" asks for)
        likely = dict(guess.ranked)
        # "...and our IT guy swapped out the office firewall last night": what changed is
        # theirs, said with an answer or with the error pasted (not read for facts otherwise)
        for subject in ("firewall", "antivirus"):
            intent = SIGNALS[subject]
            if (
                subject in reading.signals
                and likely.get(intent, 0.0) >= SIGNAL_CONFIDENCE
                and JUST_CHANGED.search(reading.text)
                and (state not in VERBATIM_STATES or state == "email_error")
                and not self._answers_plainly(d, reading)
            ):
                return intent
        if (
            guess.intent in OUT_OF_SCOPE_INTENTS
            and guess.confidence >= LEAVE_CONFIDENCE
            and state not in VERBATIM_STATES
            and not self._answers_plainly(d, reading)
        ):
            return guess.intent
        return None

    def _answers_plainly(self, d: Dialog, reading: Reading) -> bool:
        """Tell whether a message answers the closed question asked, naming no outside subject.

        "My nephew opened it on the internet page, nothing new there either" answers
        "webmail too?": it is no request about the customer's Internet connection.
        """
        q = QUESTIONS[d.conv.state]
        if not q.choices:
            return False
        ids = {c.id for c in self.choices(d, q)}
        if (
            d.conv.state == "email_smtp"
            and smtp_answer(reading, self.policy.provider.smtp_host) is not None
        ):
            return True  # the server named answers it: "c'è scritto smtp.fastwebnet.it, ... fibra"
        subject = OUT_OF_SCOPE_INTENTS.get(reading.intent or "")
        if subject in reading.signals:
            return False
        return (
            self._resolve(d, q, reading.text) is not None or d.answer_from(reading, ids) is not None
        )

    def _wants_person(self, reading: Reading) -> bool:
        guess = reading.guess
        words = len(reading.text.split())
        if words <= 2 * PERSON_WORDS and (
            _PERSON.search(reading.text) or _CALLBACK.search(reading.text)
        ):
            return True  # "not sure which one it is. can i just talk to a real person please"
        return (
            guess is not None
            and guess.intent == "human"
            and guess.confidence >= SOCIAL_CONFIDENCE
            and words <= PERSON_WORDS  # a longer one also asks something else
            and not _facts(reading)  # "no, tengo smtp.movistar.es, lo dejó el técnico": a fact
            and bool(_PERSONISH.search(reading.text))  # not a guess on words it never saw
        )

    def _agrees(self, d: Dialog, reading: Reading) -> bool:
        """Tell whether the message answers the closed question yes ("sì, lo guardi un tecnico").

        A yes to "open the ticket?" already puts a person on it.
        """
        q = QUESTIONS[d.conv.state]
        return bool(q.choices or q.choices_from) and self._resolve(d, q, reading.text) == "yes"

    # Nobody is stuck ----------------------------------------------------------------
    def _missed(self, d: Dialog, q: Question, event: Event, hint: T) -> Turn:
        """An answer not understood: ask again once, then change strategy."""
        conv = d.conv
        text = event.value if event.kind == "text" else ""
        if hint.msgid == STALE or (event.kind == "text" and not clean(text)):
            return self._turn(d, hint=hint, intro=False)  # nothing said: no misunderstanding
        conv.misses += 1
        if conv.misses < 2:
            return self._turn(d, hint=hint, intro=False)
        if conv.state == "language":  # no other language understood: go on in this one
            return self._switch(d, conv.language)
        if conv.state in AFTER_END:  # nothing else, it seems
            d.trigger("cancel")
            return self._turn(d)
        surely_wrong = hint.msgid in (FUTURE_DATE, OLD_DATE)  # refused, however often
        if conv.state in KEEP_AS_TYPED and text.strip() and not surely_wrong:
            value = clean(text)[:MAX_SHORT]
            day = d.best_day(value) if conv.state == "ex_sent_at" else None
            if day is not None:  # shown, to be confirmed or changed at the summary
                d.say(
                    t(
                        "I couldn't read the whole date and time, so I noted it as you wrote it: "
                        "“{text}”. I understood {day}: if that is wrong, change it in the summary.",
                        text=value,
                        day=day,
                    )
                )
            elif conv.state == "ex_sent_at":
                d.say(
                    t(
                        "I couldn't read that date, so I noted it as you wrote it: “{text}”.",
                        text=value,
                    )
                )
            d.answer = AS_TYPED
            getattr(d, f"take_{conv.state}")(value)
            d.trigger("advance")
            return self._turn(d)
        if conv.misses >= 3:
            return self._hand_off(d)
        return self._turn(d, hint=t(OFFER_PERSON), intro=False, person=True)

    def _hand_off(self, d: Dialog) -> Turn:
        """Pass the customer to a person: a general ticket with everything said so far."""
        case = d.case
        case.handoff = True
        d.conv.misses = 0
        story = [x for x in case.said if _beside_person(x) or not self._wants_person(read(x))]
        if case.topic is None:
            case.topic, case.other_topic = "other", "something_else"
        if not story:  # "a person, please" and nothing else: what is it about?
            d.trigger("describe")
            return self._turn(d)
        said = "\n".join(case.said)
        case.description = said if not case.description else case.description
        d.say(t("All right: I am passing your request to a person, with everything you told me."))
        d.trigger("hand_off")
        return self._turn(d)

    def again(self, conv: Conversation, ctx: Context) -> Turn:
        """Ask the open question again, changing nothing (a message with nothing in it)."""
        if conv.state not in self.machine.states:
            conv.state = "menu"
        with self._dialog(conv, ctx) as d:
            q = QUESTIONS.get(conv.state)
            hint = t(q.hint) if q is not None else None
            return self._turn(d, hint=hint)

    def tell(self, conv: Conversation, notice: Notice, ctx: Context) -> Turn:
        """Tell the customer about a change of their ticket (from the staff side).

        A technician's question becomes the question asked: the customer's
        next message answers it, then the conversation goes on where it was.
        """
        with self._dialog(conv, ctx) as d:
            if notice.status == "waiting" and notice.note:  # the question is the state's intro
                if conv.state not in ("ticket_question", "language"):
                    conv.resume = conv.state if conv.state not in ("new", "closed") else None
                conv.question = notice
                conv.state = "ticket_question"
            else:
                d.say(*self.notice_texts(d, notice))
            return self._turn(d)

    def notice_texts(self, d: Dialog, notice: Notice) -> list[T | Lines]:
        status = t(STATUS_LABELS.get(notice.status, notice.status))
        if notice.status == "in_progress":
            head = t("Good news: a technician has taken your ticket {code}.", code=notice.code)
        elif notice.status == "waiting":
            head = t(
                "The technician working on your ticket {code} has a question for you:",
                code=notice.code,
            )
        elif notice.status == "resolved":
            head = t("Your ticket {code} has been resolved.", code=notice.code)
        else:
            head = t("Your ticket {code} is now: {status}.", code=notice.code, status=status)
        if notice.note and notice.status != "waiting":
            return [head, t("Note from the technician: {note}", note=notice.note)]
        if notice.note:
            return [head, t("“{note}”", note=notice.note)]
        return [head]

    def _reply(self, d: Dialog, text: str) -> Turn:
        conv = d.conv
        question = conv.question
        if question is not None:
            d.ctx.desk.add_reply(question.code, text, conv.language)
            d.say(t("Thank you: I added your answer to ticket {code}.", code=question.code))
            conv.answered, conv.answered_at = question.code, d.ctx.now
        conv.question = None
        conv.state = conv.resume or "menu"
        conv.resume = None
        return self._turn(d)

    def _more_of_answer(self, d: Dialog, reading: Reading) -> bool:
        """Tell whether a message goes on with the answer just given to a technician's
        question: soon after it, short, naming no mailbox of ours besides the ticket's."""
        conv = d.conv
        if conv.answered is None or conv.answered_at is None:
            return False
        if d.ctx.now - conv.answered_at > ANSWER_GOES_ON:
            return False
        ours = [a for a in reading.addresses if d.hosted(a)]
        mailbox = (d.case.mailbox or "").lower()
        return len(reading.text.split()) <= MORE_WORDS and all(a.lower() == mailbox for a in ours)

    def _reply_more(self, d: Dialog, text: str) -> Turn:
        d.say(self._add_to_ticket(d, d.conv.answered or "", text))
        d.conv.answered_at = d.ctx.now
        return self._turn(d)

    def _add_to_ticket(self, d: Dialog, code: str, text: str) -> T:
        """Add what the customer wrote to ticket `code`; return what tells them so."""
        d.ctx.desk.add_reply(code, text, d.conv.language)
        return t("I added this to ticket {code} too.", code=code)

    def _attachment(self, d: Dialog, event: Event) -> Turn:
        """Keep a screenshot or document with the request it belongs to."""
        conv, tickets = d.conv, self.policy.tickets
        limit_mb = f"{tickets.max_attachment_bytes / 1_048_576:g}"
        name = clean(event.value)[:200] or "file"
        in_case = conv.state not in ("new", "closed", "menu", "language", "out_of_scope")
        after_ticket = conv.state == "done" and conv.last_ticket is not None
        if not (in_case or after_ticket):
            d.say(
                t(
                    "Please tell me first what the problem is; then send the screenshot and "
                    "I will attach it to your request."
                )
            )
        elif event.size > tickets.max_attachment_bytes or event.data is None:
            d.say(
                t(
                    "{name} is too big: files of up to {limit} MB can be attached. You can "
                    "send a smaller screenshot, or go on without it.",
                    name=name,
                    limit=limit_mb,
                )
            )
        elif not after_ticket and len(conv.case.attachments) >= tickets.max_attachments:
            d.say(
                t("That is as many files as one request can take; I did not add {name}.", name=name)
            )
        else:
            code = conv.last_ticket.code if after_ticket and conv.last_ticket else None
            attachment_id = d.ctx.desk.save_attachment(
                conv.channel,
                conv.user,
                name,
                event.content_type or "application/octet-stream",
                event.data,
                ticket=code,
            )
            if code is None:
                conv.case.attachments.append(
                    AttachmentRef(
                        id=attachment_id,
                        filename=name,
                        content_type=event.content_type,
                        size=len(event.data),
                    )
                )
                d.say(t("I attached {name} to your request.", name=name))
            else:
                d.say(t("I attached {name} to ticket {code}.", name=name, code=code))
        return self._turn(d, intro=False)

    def _switch(self, d: Dialog, language: str) -> Turn:
        """Go on in `language`, asking the current question again; nothing is lost."""
        conv = d.conv
        conv.language = language
        if conv.state == "language":
            conv.state = conv.resume or "menu"
            conv.resume = None
        if conv.state in ("new", "closed"):
            d.trigger("wake")
        d.say(t("From now on I will write in English."))
        return self._turn(d)

    def _notice_language(self, d: Dialog, text: str) -> None:
        """Switch when the customer plainly writes in another of our languages."""
        q = QUESTIONS.get(d.conv.state)
        words = identifiable(own_words(text))  # a bounce in English says nothing of them
        if self.identify is None or (q is not None and q.copied) or words is None:
            return
        found = self.identify(words)
        if found is None:
            return
        language, confidence = found
        if confidence >= IDENTIFY_CONFIDENCE and language != d.conv.language:
            d.conv.language = language
            d.say(
                t(
                    "You are writing in English, so I will go on in English. "
                    "(/lang changes the language.)"
                )
            )

    def _command(self, d: Dialog, value: str) -> Turn:
        name, _, argument = value.partition(" ")
        language = switch_request(argument) or argument.strip().lower()
        if name == "help":
            d.say(
                t(
                    "Answer with the buttons or type your answer in your own words. Commands: "
                    "/help shows this help, /status lists your tickets and their status, "
                    "/cancel drops the current request, /restart starts over, /lang changes the "
                    "language."
                )
            )
            if d.state in ("new", "closed"):
                d.trigger("wake")  # /help as the first message: then what can I help you with?
            return self._turn(d, intro=False)
        if name == "status":
            d.say(*self._status(d))
            return self._turn(d, intro=False)
        if name == "cancel":
            ticket = d.conv.last_ticket if d.state == "done" else None
            d.trigger("cancel")
            if ticket is not None:
                d.say(
                    t(
                        "All right. Your ticket {code} stays open: write to me whenever you "
                        "need help.",
                        code=ticket.code,
                    )
                )
            else:
                d.say(t("Request cancelled: nothing was sent. Write to me whenever you need help."))
            return self._turn(d)
        if name in ("restart", "start", "menu"):
            if name == "start" and d.state not in ("new", "closed"):
                d.say(t("Welcome back! Let's continue where we left off."))
                return self._turn(d)
            d.trigger("restart")
            return self._turn(d)
        if name in ("lang", "language"):
            if language in LANGUAGES:
                return self._switch(d, language)
            if d.state != "language":
                d.conv.resume = d.state if d.state not in ("new", "closed") else "menu"
                d.state = "language"
            return self._turn(d)
        d.say(t("I don't know that command. Type /help to see what I can do."))
        return self._turn(d, intro=False)

    def _status(self, d: Dialog) -> list[T | Lines]:
        tickets = d.ctx.desk.customer_tickets(d.conv.channel, d.conv.user)
        if not tickets:
            return [t("You have no tickets with us yet.")]
        lines = tuple(
            t(
                "{code} — {category} — {status}",
                code=ref.code,
                category=t(CATEGORY_LABELS.get(ref.category, ref.category)),
                status=t(STATUS_LABELS.get(ref.status, ref.status)),
            )
            for ref in tickets
        )
        return [tn("Your ticket:", "Your tickets:", len(lines)), Lines(lines)]

    def _read(self, d: Dialog, q: Question, event: Event, reading: Reading | None = None) -> str:
        choices = self.choices(d, q)
        ids = {c.id for c in choices}
        if event.kind == "choice":
            if event.value in ids and event.ref in (None, d.conv.asked):
                d.answer = event.value
                return event.value
            raise Invalid(t(STALE))
        # A sentence is read for its facts first ("no, en el webmail tampoco llegan"
        # is no "no"); a short answer by the phrase table first ("no").
        long = reading is not None and len(reading.text.split()) > SHORT_ANSWER
        # "webmail sends ok": the verdict on webmail, not the "ok" ("yes") in it
        told = reading is not None and (
            (reading.webmail is not None and q.asking == "webmail_fails")
            # "not sure.. let me look / ok it says smtp.sky.com": the server named wins
            or (q.asking == "smtp_is_provider" and any(looks_like_smtp(h) for h in reading.hosts))
        )
        facts_first = long or (told and len(event.value.split()) > 1)
        resolved = d.answer_from(reading, ids) if facts_first and reading is not None else None
        if (
            resolved is None
            and q.asking == "dns_ticket"
            and "yes" in ids
            and _HAVE_IT_LOOKED_AT.search(event.value)
        ):
            resolved = "yes"  # "…so I'd rather someone looked at it properly": a ticket
        if resolved is None and q.reader is None and _ASKED_BACK.search(event.value):
            # "¿y eso dónde lo veo?": unsure, explained where there is an explanation
            resolved = next((i for i in ("unsure", "not_tried") if i in ids), None)
            if resolved is None:
                raise Invalid(t(q.hint))
        if resolved is None:
            resolved = self._resolve(d, q, event.value)
        if (
            resolved is None
            and q.asking == "webmail_fails"
            and "yes" in ids
            and normalize(event.value).strip(" .!") in _THE_SAME
        ):
            resolved = "yes"  # "same", the whole answer: it happens there too
        if resolved is None and reading is not None and not long:
            resolved = d.answer_from(reading, ids)
        if resolved is None and reading is not None and long and q.reader is None:
            lead = _LEAD.split(event.value, maxsplit=1)[0]
            if lead != event.value and len(lead.split()) <= SHORT_ANSWER:
                resolved = self._resolve(d, q, lead)  # "recibir, no me bajan los correos..."
            last = _CONCLUSION.split(event.value)[-1]
            if resolved is None and last != event.value and len(last.split()) <= SHORT_ANSWER + 2:
                resolved = self._resolve(d, q, last)  # "...when it checks for mail, so receiving"
        if resolved is not None:
            d.answer = resolved
            return resolved
        if q.reader is None:
            raise Invalid(t(q.hint))
        if q.explain and _asks_what_it_means(event.value, reading):
            raise Invalid(t(q.explain))  # "the subject? what is that": told, and asked again
        d.answer = None
        value: str = getattr(d, q.reader)(event.value)
        return value

    def _resolve(self, d: Dialog, q: Question, text: str) -> str | None:
        """Find which choice typed text means, or None."""
        choices = self.choices(d, q)
        said = normalize(text)
        if not said:
            return None
        for c in choices:  # a choice's id, or its label in any of our languages
            if said == normalize(c.id) or any(
                said == normalize(self.translate(lang, c.label)) for lang in LANGUAGES
            ):
                return c.id
        if not q.intents:
            return None
        ids = {c.id for c in choices}
        table = _phrase_table(tuple(q.intents.items()), frozenset(ids))
        if q.reader is not None:  # free text wins unless its phrases are all it says
            plain = [w for w in tokens(text) if w != ","]
            table = {c: ps if _only_phrases(plain, ps) else [] for c, ps in table.items()}
        # One word buried in a long answer is no answer, but for the topic ("...my email...").
        found = match_phrases(text, table, buried_words=q.asking == "topic")
        if found is None and q.reader is None and {"yes", "no"} <= ids:
            lead = _YES_NO_BUT.match(text.strip().casefold())  # "sì ma solo a volte", "no,
            if lead is not None:  # not that I know": the yes or the no, then a qualifier
                found = "yes" if lead["yes"] else "no"
        return found

    def choices(self, d: Dialog, q: Question) -> list[Choice]:
        if q.choices_from:
            result: list[Choice] = getattr(d, q.choices_from)()
            return result
        return [
            Choice(cid, t(label) if label not in LITERAL_LABELS else label)
            for cid, label in q.choices
        ]

    def _turn(
        self, d: Dialog, hint: T | None = None, intro: bool = True, person: bool = False
    ) -> Turn:
        conv = d.conv
        bubbles = list(d.said)
        q = QUESTIONS.get(conv.state)
        choices: list[Choice] = []
        asking = None
        if q is not None:
            if intro and q.intro:
                parts = getattr(d, q.intro)()
                if parts:
                    bubbles.append(Bubble(tuple(parts)))
            args = getattr(d, q.prompt_args)() if q.prompt_args else {}
            prompt = T(q.prompt, args)
            bubbles.append(Bubble((hint, prompt) if hint else (prompt,)))
            choices = self.choices(d, q)
            if person:
                choices = [*choices, Choice(HUMAN, t("Talk to a person"))]
            asking = q.asking
        elif conv.state == "closed" and not bubbles:
            goodbye = t("Thank you, and goodbye! Write to me whenever you need help.")
            bubbles.append(Bubble((goodbye,)))
        if d.moved or conv.state != d.began_in:
            conv.asked += 1
            conv.misses = 0
        return Turn(
            bubbles,
            choices,
            conv.state,
            asking,
            conv.language,
            d.ticket,
            conv.asked,
            understood=hint is None,
        )


LITERAL_LABELS = frozenset({"English", "Italiano", "Español"})
