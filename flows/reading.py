"""One reading of every customer message: its intent and the facts it carries.

`read(text, policy)` is called once per message. It returns a `Reading`: the
likeliest intents (learned, `flows.intents`), and the entities found by
rules where rules are exact — e-mail addresses (and which of them are on a
domain the provider hosts), host names, sending / receiving / both, what the
customer said of webmail, the mail program, the error text (SMTP replies,
enhanced status codes, Outlook's 0x codes, a quoted message, a pasted
bounce), whether only certain addresses are affected, and out-of-scope
signals (firewalls, antivirus, the customer's own connection). Names of
programs and providers are data (`flows/gazetteer.toml`).

The dialog decides what to take from the reading: a fact fills its field
from any message (Rasa's `from_entity`), free text only the field asked
(`from_text`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from flows.intents import Guess, load_model
from flows.understand import clean, match_phrases, one_edit, tokens

Said = Literal["send", "receive", "both"]
PHRASE_WORDS = 12  # longer messages are not matched against the phrase table
Webmail = Literal["fails", "works", "not_tried"]


class Cue:
    """A pattern to tell whether a text says something, in any case.

    It is searched in the lower-cased text: Python's `re` is four to nine times
    slower with IGNORECASE, and reading a message searches a few hundred cues.
    The pattern is written in lower case; where lower-casing would change the
    text's length (a rare letter), the text is searched as it is, ignoring case.
    """

    __slots__ = ("_any_case", "_lower")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._lower = re.compile(pattern, flags)
        self._any_case = re.compile(pattern, flags | re.IGNORECASE)

    def search(self, text: str) -> bool:
        low = text.lower()
        if len(low) == len(text):
            return self._lower.search(low) is not None
        return self._any_case.search(text) is not None

    def match(self, text: str) -> bool:
        low = text.lower()
        if len(low) == len(text):
            return self._lower.match(low) is not None
        return self._any_case.match(text) is not None


# Addresses: a local part, @, and labels with a letter-only top-level label.
# Stops at spaces and at punctuation that can't end a domain ("info@x.example,").
_ADDRESS = re.compile(
    r"(?<![\w.+-])([\w.+'-]{1,64})@((?:[a-z0-9\u00a0-\uffff](?:[a-z0-9\u00a0-\uffff-]{0,61}"
    r"[a-z0-9\u00a0-\uffff])?\.)+[a-z\u00a0-\uffff]{2,24})(?![\w-])",
    re.IGNORECASE,
)
_MESSAGE_IDS = re.compile(
    r"^[ \t>]*(?:message-id|references|in-reply-to|x-[\w-]*id)[ \t]*:.*$",
    re.IGNORECASE | re.MULTILINE,
)
_HOSTNAME = re.compile(
    r"(?<![\w.-])(?<![\w.+-]@)"  # "@hierrosdelsur.es" names a domain; "x@y.es" is an address
    r"((?:https?://)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})"
    r"(?![\w@-])",
    re.IGNORECASE,
)
# Dotted words that are not domains: file names, abbreviations.
_NOT_DOMAIN = frozenset(
    "pdf doc docx xls xlsx ppt pptx jpg jpeg png gif zip rar txt csv exe msi html htm php "
    "eml pst ost mp4 mp3 dmg apk js py xml json bmp tif tiff heic".split()
)
_SMTP_HOST = re.compile(r"^(smtp|smtps|mail|out|outgoing|authsmtp|relay|posta|correo)\d*[.-]")
# "550 5.7.1 ...", "552-5.2.2 ...", "5.7.26", "0x800CCC0E", "error 421".
_REPLY = re.compile(r"\b[2-5]\d\d(?:[ -][245]\.\d{1,3}\.\d{1,3})?\b(?=[ -:,]|$)")
_ENHANCED = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")
_OUTLOOK = re.compile(r"\b0x[0-9a-f]{8}\b", re.IGNORECASE)
_QUOTED = re.compile(
    r"[\"“”«»„]([^\"“”«»„\n]{6,300})[\"“”«»„]|(?<![\w'])'([^'\n]{6,300})'(?![\w'])"
)
_ERROR_CUES = Cue(
    r"\b(error|errore|errori|err|messaggio|message|mensaje|dice|says|say|said|sale|compare|"
    r"scrive|mi scrive|me pone|pone|writes|reads|"
    r"appare|aparece|appears|shows|avviso|aviso|warning|popup|pop-up|ventana|finestra|"
    r"undeliverable|non recapitabile|rejected|rifiutat\w*|rechazad\w*|bounce\w*|"
    r"delivery|failure|failed|denied|unable|impossibile|imposible|cannot|could not|fallad\w*|"
    r"fallit\w*|no se puede|non si pu[oò]|me tira|me sale|mi dice|me dice|mi d[aà]|me da|"
    r"fallisce|falla|fall[oó]|fallid[oa]s?|fails|failing)\b"
)
_BOUNCE_LINE = Cue(
    r"(deliver|mail system|mailer|recapit|entrega|rejected|rifiutat|rechaz|diagnostic|remote-mta|"
    r"status:|action: failed|final-recipient|permanent|temporar|returned|mailer-daemon|"
    r"postmaster|smtp|relay|denied|[2-5]\d\d[ -][245]\.\d)"
)
# Where a pasted error ends inside a sentence of the customer's own.
# The customer's facts as "key: value" lines (not a paste's headers).
# The labels of the customer's own facts ("Mailbox: x@…", "Cuenta afectada:"), not a paste's
# headers: a line "label: …" with one of them is theirs.
_OWN_LABELS = (
    r"mailbox|casella|buz[oó]n|client|cliente|program|programma|programa|problem|problema|"
    r"direction|webmail|example|esempio|ejemplo|note|nota|account|cuenta|since|issue|symptom|"
    r"sintomo|s[ií]ntoma|smtp|imap"
)
# The customer's facts as "key: value" lines (not a paste's headers).
_FACT_LINE = re.compile(
    rf"^\s*(?P<key>{_OWN_LABELS}|pop3?|affected|dal|desde|error|errore|error message|"
    r"messaggio di errore|mensaje de error|port|porta|puerto|server|servidor|"
    r"recipients?|destinatari|destinatarios|sender|mittente|remitente)"
    r"\s*:\s*(?P<value>\S.*)$",
    re.IGNORECASE,
)
_ERROR_KEYS = frozenset(
    {"error", "errore", "error message", "messaggio di errore", "mensaje de error"}
)
_SERVER_SAYS = re.compile(
    r"^\s*(?:remote server|il server remoto|el servidor remoto|server remoto|servidor remoto)\b",
    re.IGNORECASE,
)
_ERROR_END = re.compile(
    # (not the dot of an address, "<x@example.org>", nor the semicolon inside a server's reply,
    # "554 5.7.1 Service unavailable; Client host [x] blocked using zen.spamhaus.org")
    r"(?<!\d)(?:[.!?]|;(?!\s*(?:client|sender|recipient|host|https?:|see|please|blocked|"
    r"rejected|(?-i:[A-Z]))))(?!\d)(?![\w-])|"
    r"\s(?:quando|when|cuando|mentre|while|mientras|e poi|and then|y luego|"
    r"perch[eé]|because|porque|ma|but|pero|per[oò]|da quando|since|desde|dopo|after|despu[eé]s|"
    r"se|if|si|ogni volta|every time|cada vez|anche|also|tambi[eé]n|e ora|and now|y ahora)\s|"
    # the customer speaking again, in a message typed without stops: "…try again later i use
    # your smtp.example.net and its with every recipient"
    r"\s(?-i:i|we|and i|and we|and its|and it'?s|io|noi|yo)\s(?:use|used|send|sent|have|"
    r"tried|think|checked|am|was|with|uso|usiamo|ho|abbiamo|tengo|tenemos|he|hemos)\b",
    re.IGNORECASE,
)
_NEGATIVE_AROUND = Cue(r"\b(neither|nor|n[eé]|ni|manco|nemmeno|neanche|neppure|tampoco)\b")
# A negation and the few words between it and the verb it denies.
_DENIED_WAY = re.compile(
    r"\b(?:neither|nor|n[eé]|ni|no|non|nn|nun|not|cannot|can'?t|couldn'?t|unable to|manco|"
    r"nemmeno|neanche|neppure|tampoco)\s+"
    r"(?:(?:me|mi|se|si|ci|nos|lo|la|le|los|las|posso|puedo|podemos|possiamo|riesco|"
    r"riusciamo|can|i|we|to|a|able to|be able to|pa|p|x|para|per|que|che|il|el|the|"
    r"va|funziona|funciona|works)\s+){0,3}(?:l['\u2019]\s*)?",  # "non va né l'invio né la…"
    re.IGNORECASE,
)
_SEND_STEM = Cue(
    r"\b(invi\w*|sped\w*|mand\w*|envi\w*|env[ií]\w*|send(?!ers?\b)\w*|sent|outgoing|outbox|"
    r"mann(?:a|o|ano|amo|are|ato|at[ie]|à)|"  # (Neapolitan "nun manna")
    r"uscita|salida|salient\w*|partono|"
    r"(?<!ninguna )(?<!alguna )(?<!otra )(?<!nessuna )(?<!altra )(?<!mayor )(?<!maggior )"
    r"(?<!en )(?<!in )(?<!da )(?<!de )(?<!por )(?<!per )(?<! a )"
    r"parte(?!\s+(?:de|di|del|della|dei)\b)|"
    r"salen|(?:escono|esce)(?!\s+(?:(?:nessun[ao]?|alcun[ao]?|un[ao]?|l'|il|lo|gli|degli)"
    r"\s*)?(?:error\w*|messagg\w*|avvis\w*|scritt\w*|finestr\w*|pop-?up|notific\w*))|"
    # ("non esce nessun errore": a message shows)
    r"go(?:es)? out|going out|(?<=don't )go(?! (?:to|into|in)\b)|(?<=dont )go(?! (?:to|into|in)\b)|"
    r"(?<=doesn't )go(?! (?:to|into|in)\b)|(?<=won't )go(?! (?:to|into|in)\b)|"
    r"(?<=no )sale(?=\s+(?:(?:ning[uú]n|ni un|el|mi|un)\s+)?(?:correo|mail|e-?mail)\b)|"
    r"(?<=no )sale(?=\s+nada\b)|(?<=non )esce(?=\s+(?:niente|nulla)\b)|"
    r"(?:en|in) (?:cola|coda)\b|(?:in the )?queue\b|"
    r"out ?going|"
    r"scrivo a|scriviamo a|scrivendo a|escribo a|escribimos a|escribiendo a|i write to|"
    r"we write to|writing to|i email|emailing|"
    r"(?:riesco a|riusciamo a|posso|possiamo|puedo|podemos|consigo|conseguimos|i can'?t|"
    r"we can'?t|i cannot|we cannot|i'?m unable to|we'?re unable to)\s+(?:pi[uù]\s+|m[aá]s\s+)?"
    r"(?:scrivere|escribir(?:le|les)?|write|email) (?:a|ad|al|alla|ai|agli|to)\b)\b"
)
_RECEIVE_STEM = Cue(
    r"\b((?<!le )(?<!la )(?<!delle )(?<!della )(?<!una )(?<!alle )(?<!sulle )(?<!nelle )ricev\w*|"
    r"rivev\w*|ricezione|arriv\w*|recib\w*|recv\w*|recepci(?!onist)\w*|lleg\w*|"
    r"receiv\w*|reciev\w*|recive\w*|incoming|entrata|entrada|entrant\w*|inbox|"
    r"com(?:es|ing|e|in'?) (?:in|into|through|thru)|"
    r"get(?:s|ting)? (?:through|thru)|reach(?:es|ed|ing)? (?:me|us)|entrano|entran|entra|"
    r"get(?:s|ting)? (?:anything|nothing|stuff|much|any) (?:in|through)\b|"
    r"(?<=me )riv(?:a|ano|à)\b|(?<=mi )riv(?:a|ano|à)\b|(?<=ne )riv(?:a|ano|à)\b|"  # Venetian
    r"(?<=stopped )coming|(?<=stop )coming|(?:n'?t|not|never) (?:be )?coming(?! out)\b|"
    r"entrando|scaric\w*|"
    r"descarg\w*|download\w*|no me baja|no me bajan|no se bajan|bajar el correo|baja el correo|"
    r"baja los correos|bajan los correos|"
    r"get (?:any |new |my )?(?:e-?mails?|mail)|gett?in[g']? (?:any |new |my )?(?:e-?mails?|mail)|"
    r"(?:nn|non) (?:ho|abbiamo) (?:mai |ancora )?visto|no (?:he|hemos) visto|"
    r"(?:i|we) (?:haven'?t|have not|never) seen|"
    r"(?:i|we) (?:never|haven'?t|have not|didn'?t|did not|still haven'?t|still didn'?t) "
    r"(?:got|get|gotten)(?! (?:an? |any )?(?:error|message|warning|reply|answer))\b|"
    r"had (?:any |no |a single |one )?(?:e-?mails?|mail|messages?)|"
    r"get mail|show(?:s|ing)? up|posta nuova|nuove (?:e-?)?mail|(?:e-?)?mail nuove|"
    r"new (?:e-?)?mails?|correos? nuevos?|nuevos correos|mensajes nuevos|leggere la posta|"
    r"leggere le (?:e-?)?mail|leer (?:el|los) correos?|read (?:my |the )?(?:e-?)?mails?)\b"
)
_FIRST_PERSON_SEND = Cue(
    r"\b(mando|mandiamo|mandamos|invio|inviamo|invi[oò]|env[ií]o|enviamos|envi[eé]|spedisco|"
    r"spediamo|i send|we send|i sent|we sent|i'?m sending|we'?re sending|i try to send|"
    r"ho inviato|ho mandato|he enviado|hemos enviado|outgoing|uscita|salida|al enviar|al mandar|"
    r"cuando env[ií]o|cuando mando|quando invio|quando mando|al inviare|nell'invio|"
    r"when i send|when sending|while sending|when i try to send)\b"
)
# Mail sent to the customer by others: "mi mandano", "me los mandan", "email us".
_TO_ME = Cue(
    r"\b(?:e-?mails?|mails?|messages?)\s+to\s+(?:me|us)\b|"  # "their mails to me come back"
    r"\b(?:me|mi|ci|nos|ce|te)\s+(?:l[oaie]s?\s+|la\s+|han\s+|ha\s+|hanno\s+)?"
    r"(?:(?:intenta|intentan|prova|provano|trata de|tratan de)\s+(?:a\s+)?)?"  # "me intenta
    # escribir"
    r"(?:mand|invi|envi|scriv|escrib|gir|reenvi|inoltr)\w*|"
    r"\b(?:m'|c'|me l'|mi l')(?:ha|hanno|han|hann)\s+(?:mand|invi|scritt|spedit)\w*|"
    r"\b(?:me|nos|ci|mi)\s+(?:puede|pueden|pu[oò]|possono|riesce a|riescono a|consigue|consiguen)"
    r"\s+(?:escribir|scrivere|mandar|enviar|inviare|mandare)\b|"
    r"\b(?:send|sends|sent|sending|email|emails|emailed|emailing|write|writes|writing|"
    r"wrote|mail)\s+(?:to\s+)?(?:me|us)\b|\bescribirnos\b|\bscriverci\b|\bescribirme\b|"
    r"\bscrivermi\b|\bmandarme\b|\bmandarmi\b"
)
# A mail program that does not send for the customer: "outlook nn me lo manda".
_PROGRAM_SENDS = Cue(
    r"\b(?:outlook|thunderbird|(?<!le )(?<!the )(?<!las )(?<!los )(?<!my )(?<!mie )mail|"
    r"il programma|el programa|l'app|la app|il telefono|el "
    r"tel[eé]fono|el celular|el m[oó]vil|iphone|gmail)\s+(?:\w+\s+)?(?:non|nn|no|ya no|pi[uù])?\s*"
    r"(?:me|mi)\s+(?:l[oaie]s?\s+)?(?:manda|invia|env[ií]a|spedisce|deja enviar|lascia inviare)"
)
# Others who send to the customer: "the emails they send to orders@… bounce back".
_THEY_SEND = Cue(
    r"\b(?:they|customers|clients|people|suppliers|he|she|senders)\s+(?:[\w']+\s+){0,2}?"
    r"(?:send|sent|are sending|email)\b|"
    r"\b(?:che|que|q)\s+(?:mi\s+|ci\s+|me\s+|nos\s+)?(?:manda|mandano|invia|inviano|spedisce|"
    r"spediscono|mandan|env[ií]a|env[ií]an|enviaron|mandaron|mand[oó]|envi[oó])\b|"
    r"\b(?:ellos|ellas|loro|lui|lei|[eé]l)\s+(?:\w+\s+)?(?:mand|envi|invi|sped)\w*"
)
# Someone named who sends to the customer: "Brenda sends the rota every week".
_NAMED_SENDS = re.compile(
    r"\b(?!(?:Outlook|Thunderbird|Windows|Apple|Gmail|Mail|It|This|That|He|She|They)\b)"
    r"[A-Z][a-zà-ÿ]+\s+(?:always\s+|usually\s+|normally\s+|still\s+)?"
    r"(?:sends|manda|env[ií]a|invia)\b"
)
# Others who do not receive what the customer sends: "i clienti non ricevono".
_THEY_RECEIVE = Cue(
    r"\b(ricevono|reciben|receive them|don'?t receive|doesn'?t receive|don'?t get|"
    r"doesn'?t get|never get|won'?t get|les llega\w*|gli arriva\w*|le arriva\w*|"
    r"(?:non|nn|no)\s+(?:le|li)\s+riceve|no\s+(?:los|las)\s+recibe)\b"  # "il Comune non le riceve"
)
# It did not reach them: "a mi hermana tampoco le ha llegado", "non gli è arrivata".
_REACHED_THEM = Cue(
    r"\b(?:les? (?:ha|han) llegado|les? lleg[oó]|les? llega\w*|(?:gli|le) (?:[eè]|sono) arrivat\w*|"
    r"gli arriva\w*|(?:hasn'?t|never|didn'?t) (?:reached|reach|got to) (?:her|him|them))\b"
)
# What the customer sent did not arrive: "I sent a test to a customer and it didn't arrive".
_IT_DID_NOT_ARRIVE = Cue(
    r"\b(?:it|they) (?:didn'?t|did not|never|hasn'?t|has not) "
    r"(?:arrive|arrived|get there|got there)\b"
)
# Others who do not get the customer's mail: "i clienti dicono che non gli arrivano".
_OTHERS_MISS = Cue(
    r"\b(?:gli|les|them|a loro)\b.{0,12}\b(?:arriv|lleg|get|reach)\w*.{0,3}$|"
    r"\b(?:non|nn|no|not|never|mai|nunca)\s+(?:\w+\s+)?(?:gli|les|them)\s+(?:\w+\s+)?"
    r"(?:arriv|lleg|get|reach)\w*|"
    r"(?<!\bdei )(?<!\bdelle )(?<!\bde los )(?<!\bde )(?<!\bfrom )(?<!\bof )(?<!\bda )"
    r"\b(?:clienti|clientes|clients|customers|recipients|destinatari|destinatarios|they|ellos|"
    r"loro)\b.{0,40}\b(?:non|nn|no|not|don'?t|never|nunca|mai)\b.{0,20}\b(?:arriv|lleg|ricev|"
    r"recib|receiv|get)\w*"
)
# Others who do not get what is the customer's: "customers never receive my quotes".
_MINE_MISSED = Cue(
    r"\b(?:they|customers|clients|people|recipients|nobody|no one|clienti|clientes|loro|ellos|"
    r"nessuno|nadie)\b.{0,30}\b(?:receiv\w*|get|gets|getting|got|ricev\w*|recib\w*)\s+"
    r"(?:\w+\s+)?(?:my|our|le mie|i miei|le nostre|i nostri|mis|nuestr[oa]s)\b|"
    r"\b(?:non|nn|no|not|never|mai|nunca|don'?t|aren'?t)\s+(?:\w+\s+)?(?:arriv\w*|lleg\w*|reach\w*|"
    r"get\w*)\s+(?:a|ai|alle|agli|al|a los|a las|a mis|to|to the|to my|to our)\s+(?:\w+\s+)?"
    r"(?:clienti|clientes|clients|customers|destinatari|destinatarios|recipients)\b|"
    # "no les llegan mis correos", "non gli arrivano le mie mail"
    r"\b(?:no|non|nn)\s+(?:les|gli|le)\s+(?:llega\w*|arriva\w*)\s+(?:\w+\s+)?(?:mis|nuestr[oa]s|"
    r"le mie|i miei|le nostre|i nostri)\b|"
    # "the mails to only one client not arrive": what goes to them
    r"\b(?:e-?mails?|mails?|messages?)\s+to\s+(?:\w+\s+){0,3}?(?:clients?|customers?|recipients?|"
    r"hotel|them|him|her|suppliers?)\b[^.;!?\n]{0,20}?\b(?:not|never|don'?t|doesn'?t|no)\s+"
    r"(?:arriv\w*|reach\w*|get\w*)|"
    # "people tell me my emails aren't reaching them"
    r"\b(?:my|our|le mie|i miei|le nostre|i nostri|mis|nuestr[oa]s)\s+(?:e-?mails?|mails?|"
    r"messages?|correos|mensajes|messaggi|replies|risposte|respuestas)\s+(?:are(?:n'?t| not)|"
    r"do(?:n'?t| not)|never|non|no)\s+(?:reach\w*|getting through|get through|go(?:ing)? through|"
    r"arriv\w*|lleg\w*)"
)
_BOTH_WAYS = Cue(
    r"(?<!same thing )(?<!same )(?<!same problem )(?<!same issue )"  # "iPhone and browser, same
    r"\b(?:both ways|in both directions|both directions|entrambe le direzioni|in entrambi i sensi|"
    r"en ambos sentidos|en las dos direcciones|ni de ida ni de vuelta)\b"
)
_THE_OTHERS = Cue(
    r"\b(?:le altre|gli altri|the others|the other ones|everyone else|everybody else|los dem[aá]s|"
    r"las dem[aá]s|las otras|los otros|il resto|the rest|el resto|tutte le altre|tutti gli altri|"
    r"everything else|todo lo dem[aá]s|tutto il resto|"
    # "regular emails arrive fine", "le mail normali arrivano", "los demás correos llegan"
    r"(?:regular|normal|other|ordinary|everyday|all other)\s+(?:e-?mails?|mails?|messages)|"
    r"(?:altre|normali)\s+(?:e-?mail|mail|posta)|(?:e-?mail|mail)\s+(?:normali|abituali)|"
    r"(?:otros|dem[aá]s)\s+(?:e-?mails?|correos|mensajes)|correos\s+(?:normales|habituales))\b"
)
# Both at the end of a story: "insomma tutte e due le cose", "las dos cosas, creo".
_BOTH_THINGS = Cue(
    r"\b(?:tutte e due le cose|tutt[ei] e due(?:,| credo| mi sa| direi| allora|$)|"
    r"entrambe le cose|las dos cosas(?: entonces)?|ambas cosas|both things|a bit of both|"
    r"both,? really|both,? i think|both then|both i guess)"
)
# "Arrive" and "reach" say nothing of the way: "the mails I send don't arrive".
_STRONG_RECEIVE = Cue(
    r"\b(mi ha mandato|mi hanno mandato|me ha mandado|me han mandado|me mand[oó]|me envi[oó]|"
    r"me ha enviado|has sent me|have sent me|sent me|mi ha scritto|mi hanno scritto|me escribi[oó]|"
    r"mi ha inviato|mi hanno inviato|scaric\w*|download\w*|descarg\w*|me mandan|mi mandano|"
    r"me env[ií]an|mi inviano|"
    r"mi scrivono|me escriben|send me|sent me|sending me|write to me|writing to me|email me|"
    r"emailing me|ricev\w*|rivev\w*|ricezione|recib\w*|recv\w*|recepci\w*|receiv\w*|reciev\w*|"
    r"recive\w*|incoming|entrata|entrada|entrant\w*|inbox|reach(?:es|ed|ing)? (?:me|us))\b"
)
_URGENT = re.compile(
    r"\b(pi[uù] grave|pi[uù] urgente|soprattutto|prima di tutto|partiamo da|m[aá]s urgente|"
    r"m[aá]s me urge|m[aá]s grave|sobre todo|lo primero|most urgent|main problem|worst|"
    r"above all|first of all|more urgent|urgent one)\b",
    re.IGNORECASE,
)
# "no" that undoes what was said, not one that starts the next sentence: "perdón, no, era..."
# but not "perdón, no me llegan los correos".
_UNDOING_NO = (
    r"no(?=\s*[,.;:!?\u2013\u2014-]|\s*$|\s+(?:es|era|eran|fue|quise|quer[ií]a|is|was|it'?s|"
    r"i meant|[eè]|volevo|intendevo|sorry|scusa|scusi|perd[oó]n)\b)"
)
_CORRECTED = re.compile(
    rf"\b(?:anzi|actually|i mean|i meant|sorry,? {_UNDOING_NO}|no wait|wait,? {_UNDOING_NO}|"
    rf"mejor dicho|perd[oó]n,? {_UNDOING_NO}|"
    rf"no aspett\w|aspett\w,? {_UNDOING_NO}|no espera|espera,? {_UNDOING_NO}|"
    rf"en realidad|in realt[aà]|scusi,? {_UNDOING_NO}|bueno,? {_UNDOING_NO}|pues {_UNDOING_NO}|"
    r"correction|me expliqu[eé] mal|mi sono spiegat[oa] male|"
    r"i explained (?:it )?badly|i misspoke|me equivoqu[eé]|mi sono sbagliat[oa]|i was wrong|"
    r"ho sbagliato|no,? mejor dicho|ah no,? scus\w*|"
    r"no aspe|no,? wait|no,? scus(?:ate|i|a|ami|atemi)\b|no,? perdon(?:a|e|ad)?\b|"
    r"(?:no,? )?sorry,? i(?:'ve| have)? got (?:that|it) (?:the wrong way round|"
    r"backwards?|wrong)|i(?:'ve| have)? got (?:that|it) (?:the wrong way round|backwards?)|"
    r"l'ho detto al contrario|al rev[eé]s|lo he dicho al rev[eé]s|"
    # "I thought at first I couldn't SEND, but no, sending is fine": the first thought undone
    r"(?:but|ma|pero|per[oò])\s+no(?=,))\b",
    re.IGNORECASE,
)
# A change of mind about the whole request: "quería borrar la cuenta... bueno no, pensándolo
# mejor, lo que necesito es cambiarle la contraseña".
_CHANGED_MIND = re.compile(
    rf"\b(?:pens[aá]ndolo (?:mejor|bien)|bueno,? {_UNDOING_NO}|mejor no|ahora que lo pienso|"
    r"ripensandoci|"
    r"a pensarci bene|on second thought|second thoughts|thinking about it|or rather|o meglio|"
    r"anzi no|no anzi|actually no|no actually|scratch that|lasciate perdere|olvidad lo anterior|"
    r"forget (?:that|what i said))\b",
    re.IGNORECASE,
)


# What the customer wants, said after what they do not: "...lo que quiero es cambiarle la clave".
_WANTED = re.compile(
    r"\b(?:lo que (?:quiero|quer[ií]a|necesito|queremos|necesitamos|pido) es|"
    r"what (?:i|we) (?:want|need|would like|really need) is|"
    r"quello che (?:voglio|vorrei|chiedo|ci serve|mi serve|serve) [eè]|"
    r"ci[oò] che (?:voglio|vorrei|ci serve|mi serve) [eè])\b",
    re.IGNORECASE,
)


def changed_mind(text: str) -> str | None:
    """Return what a message asks after the customer changes their mind, or None."""
    found = list(_CHANGED_MIND.finditer(text))
    if not found:
        return None
    tail = text[found[-1].end() :]
    wanted = _WANTED.search(tail)
    return tail[wanted.start() :] if wanted else tail


_UNTRIED = Cue(
    r"\b(non (?:ci )?ho (?:neanche |nemmeno |ancora )?provato|haven'?t (?:even )?tried|"
    r"didn'?t try|no (?:lo )?he probado|ni lo he probado|not tried)\b"
)
_CLAUSES = re.compile(
    r"[.;!?\n()\u2600-\u27bf\U0001f300-\U0001faff]+|,|:(?=\s)|"  # an emoji ends a sentence too
    r"\b(?:but|ma|pero|per[oò]|however|mentre|while|mientras)\b",
    re.IGNORECASE,
)
_WORKS = Cue(
    # "ricevere ricevo", "recibir, recibo": that way, it does
    r"\b(?:ricevere,? ricev\w+|inviare,? invi\w+|mandare,? mand\w+|recibir,? recib\w+|"
    r"enviar,? env[ií]\w+|mandar,? mand\w+)\b|"
    r"\b(ok|okay|fine|works?|working|funziona\w*|va bene|vanno bene|bene|bien|funciona\w*|"
    r"riesco|puedo|posso|can|arrivano|llegan|no problem|senza problemi|sin problema\w*|"
    r"regolarmente|normalmente|normally|normal)\b"
)
_FAILS = Cue(
    r"(\b(not|no|non|nun|nothing|niente|nulla|nada|never|mai|nunca|nn|ni|n[eé]|neither|nor|"
    r"cannot|stopped|smesso|dejado|dejaron|error|errore|(?<!without )fail\w*|bounc\w*|problem\w*|"
    r"impossibile|imposible|unable|impossible|"
    r"(?:every time|each time|whenever|ogni volta che|cada vez que) (?:i|we )?(?:try|provo|"
    r"proviamo|intento|intentamos)|red (?:cross|circle|x)|pops? up|"
    r"rimbalz\w*|rebot\w*|issue\w*|trouble|stuck|bloccat\w*|bloquead\w*|atascad\w*|"
    r"rechaz\w*|rifiut\w*|reject\w*|denied|deneg\w*|retras\w*|ritard\w*|delay\w*|"
    r"impossibile|imposible|unable|senza|sin|without(?! fail)|more|pi[uù]|"
    r"torn\w* (?:\w+ )?indietro|"
    r"devuelv\w*|devuelto|vuelv\w*|volvi\w*|regresa\w*|returned|come back|comes back|"
    r"coming back|spam|junk|sitting|sits|stuck|se quedan|se queda|rimangono|restano|"
    r"indesiderat\w*|no deseado|sparisc\w*|spariscono|desaparec\w*|vanish\w*|"
    r"disappear\w*|nobody|no one|no-one|noone|nadie|nessuno|nessuna|none|ninguno|ninguna|"
    r"ning[uú]n|tampoco|nemmeno|neanche|neppure)\b|n't|"
    r"\b(?:do|does|did|is|are|was|were|ca|wo|have|has|had|could|would|"
    r"should|ai|aren|isn|doesn|didn|won|can)nt\b)"
)
# (but "in both", "en los dos" are places: "receiving is fine in both, it's just sending")
_BOTH_WORDS = Cue(
    # (a word start that may begin one of them first: the look-behinds only there)
    r"\b(?=both|entramb|ambo|ambas|tutt|los dos|las dos|in and|n[eé] in|ni entra)"
    r"(?<!\bin )(?<!\bon )(?<!\ben )(?<!\bsu )(?<!\bda )(?<!\bfrom )(?<!\bwith )(?<!\bcon )"
    r"(?<!\bin the )(?<!\bon the )(?<!\bdesde )(?<!\bdesde los )(?<!\bdesde las )(?<!\ben los )"
    r"(?<!\ben las )(?<!\bsu tutti )(?<!\bin tutti )(?<!\bda tutti )(?<!\bin tutte )"
    r"\b(both|entrambi|entrambe|ambos|ambas|tutti e due|tutte e due|los dos|las dos|"
    r"in and out|n[eé] in entrata n[eé] in uscita|ni entra ni sale)\b|"
    r"\b(?:both|entrambi|ambos|los dos)\s+(?:send\w*|receiv\w*|ways|directions|"
    r"invio|ricezione|env[ií]o|recepci[oó]n|in uscita|in entrata)"
)
# Nothing comes in or goes out, said without the verbs of mail: "no me entra ni sale nada".
# The bounce goes back to them, who wrote to us: "keep bouncing back to her", "gli tornano
# indietro", "les rebotan" (not "mi tornano indietro": mine, sent; nor "le", her own).
_BACK_TO_THEM = Cue(
    r"\b(?:bounc\w*|com(?:e|es|ing)|go(?:es|ing)?|sent) back to (?:her|him|them)\b|"
    r"\bgli tornano indietro\b|\bles (?:rebotan|vuelven|devuelven)\b"
)
_NOTHING = r"noth(?:ing|ign|in)"  # (typed fast: "nothign in or out")
_IN_NOR_OUT = Cue(
    r"\b(?:ni|no|nn|non|n[eé])\s+(?:me\s+|nos\s+|le\s+|mi\s+|ci\s+)?entra(?:n|no)?\s+"
    r"(?:ni|n[eé]|e\s+(?:non|nn)|y\s+no)\s+(?:me\s+|nos\s+|le\s+|mi\s+|ci\s+)?"
    r"(?:salen?|esc[eo]no|esce)\b|"
    rf"\b{_NOTHING} (?:comes|is coming|coming|gets|getting) in,? (?:or|and|nor) (?:{_NOTHING} )?"
    r"(?:goes|going|gets|getting|is going) out\b|"
    rf"\b{_NOTHING} (?:goes|going|is going) out,? (?:or|and|nor) (?:{_NOTHING} )?"
    r"(?:comes|coming|is coming) in\b|"
    rf"\b{_NOTHING} in,? (?:and |or |nor )?nothing out\b|"
    rf"\b{_NOTHING}(?:'s| is)? (?:going|coming|getting|goes|gets|comes) in (?:or|nor|and) out\b|"
    rf"\b{_NOTHING} (?:in|incoming) (?:or|nor|and) "
    rf"(?:out|outgoing)\b|\b{_NOTHING} (?:is )?(?:going|coming|getting) in (?:or|nor|and) "
    r"(?:out|outgoing)\b|\bniente in entrata,? (?:e |n[eé] )?niente in uscita\b|"
    r"\bnada entra,? (?:ni )?nada sale\b|"
    r"\b(?:not|n'?t|never) (?:going|coming|getting|go|come|get) (?:out|in),? (?:or|nor|and|,) "
    r"(?:not )?(?:coming|going|getting|come|go|get) (?:in|out)\b|"  # "not going out OR coming in"
    r"\b(?:can'?t|cannot|unable to|can not) send\b.{0,12}\b(?:and|,)\s+(?:also\s+)?(?:nothing|no "
    r"(?:new )?(?:mail|e-?mails?)) (?:new )?(?:comes?|is coming|coming|arriv\w*|gets? through)\b"
)
_ONLY = Cue(
    r"\b(only|solo|s[oó]lo|soltanto|solamente|unicamente|únicamente)\b|"
    r"\bjust (?=(?:to|from|with|for|one|some|a few|certain|the ones?|that|this|those|these)\b)|"
    r"\bnada m[aá]s (?=(?:los|las|el|la|con|de|a|al|un|una|que|cuando|esos|esas)\b)"  # "only"
)
_EVERYONE_WORDS = (
    r"\b(everyone|everybody|anybody|anyone|all addresses|any address|every address|nobody|"
    r"no one|all of them|whoever|a chiunque|da chiunque|de cualquiera|de nadie|it is all|"
    r"it'?s all|sono tutt[ie]|son tod[oa]s|es con todos|[eè] con tutti|"
    r"tutti|chiunque|nessuno|qualsiasi|todos|todas|cualquier\w*|nadie|"
    r"ning[uú]n (?:destinatario|remitente|dominio)|nessun (?:destinatario|mittente|dominio)|"
    r"any (?:recipient|sender|domain)|no (?:recipient|sender)s?|every (?:recipient|sender|domain)|"
    r"all (?:the )?(?:recipients|senders|domains)|tutti i (?:destinatari|mittenti|domini)|"
    r"todos los (?:destinatarios|remitentes|dominios)|not one in particular|"
    r"all (?:the )?(?:people|contacts|customers|clients)|not (?:just )?one (?:address|person)|"
    r"tutte le persone|todo el mundo|toda la gente|"
    r"non uno in particolare|no uno en concreto|every (?:correspondent|contact)s?|"
    r"not (?:specific|particular|certain) (?:addresses|people|senders|recipients)|"
    r"ning[uú]n (?:cliente|contacto|proveedor)|nessun (?:cliente|contatto|fornitore)|"
    r"(?:da igual|no importa|non importa|doesn'?t matter|no matter) (?:a )?(?:qui[eé]n|chi|who)|"
    r"(?:any|no) (?:client|customer|contact)s?)\b"
)
# An answer that starts with "everything": all of the mail, from anyone ("Everything as far as
# I can tell"), not "everything I send to one client".
_ALL_OF_IT = Cue(
    r"^\W*(?:everything|all of it|tutto|todo)\b(?!\s+(?:i|we|that|he|she|they|che|que|lo que|"
    r"quello che|ci[oò] che|what)\b)"
)
_EVERYONE = Cue(_EVERYONE_WORDS)
_WEBMAIL = Cue(
    r"\b(web ?mail|webmai|wbmail|webmial|webmeil|correo web|posta web|dal browser|"
    r"nel browser|from the browser|in the browser|in chrome|en la web|in the web|desde la web|"
    r"el navegador|del navegador|en el navegador|pagina web|p[aá]gina web|sito della posta|"
    r"dal sito|desde la web|por la web|da internet|dal sito web|web version|versione web|"
    r"versi[oó]n web|p[aá]gina del correo|pagina della posta|mail page|entrando por internet|"
    r"por internet|pagina dove leggo la posta|p[aá]gina donde leo (?:el|los|mis) correos?|"
    r"web ?page|log(?:ged)? ?in on the website|on the website on|la web del correo|"
    # "the internet page for the email", "la página de internet del correo"
    r"(?:the |an )?internet page|p[aá]gina de internet|pagina (?:di |de )?internet|"
    r"pagina internet|"
    # the lay words: "the email website", "the email page", "from the website", "the blue E"
    r"(?:e-?mail|mail) (?:website|web site|page|site)|from the website|on the website|"
    r"the website|the blue e|la e blu|la e azul|il sito (?:della|per la) (?:posta|mail)|"
    r"la pagina (?:della|per la) (?:posta|mail)|la p[aá]gina (?:del|de) (?:correo|los correos)|"
    r"desde la p[aá]gina|dalla pagina|la web de(?:l)? correo)\b"
)
_WEBMAIL_CLAUSES = re.compile(r"[.;!?]+(?=\s|$)|\n+|,|\b(?:ma|but|pero|per[oò]|mentre|while)\b")
_WEBMAIL_WORKS = Cue(
    r"(?<!\w)(funziona|funzionava|va bene|va benissimo|ci sono|si vedono|le vedo|arrivano|"
    r"properly|correctly|correttamente|correctamente|"
    r"went (?:straight |right )?in|sitting there|me ha llegado|mi [eè] arrivat[ao]|"
    r"(?:they|it|yes|yeah) (?:do )?(?:go|goes|went|arrive[ds]?)(?! (?:back|nowhere))\b|"
    r"(?<!n't )(?<!nt )(?<!not )(?<!never )(?<!yet )(?:got|received|gets) it\b|"
    r"lleg[oó] (?:en un segundo|enseguida|al momento|al instante)|"
    r"arrived (?:straight away|instantly|at once|right away|in seconds)|"
    r"c'[eè] tutt[ao]|c'[eè] tutto|c'[eè] la posta|"
    r"entro|accedo|vedo tutt\w|tranquillamente|senza problemi|regolarmente|perfettamente|"
    r"tutto bene|todo bien|all good|bene|bien|ok|okay|alright|all right|va|van|vanno|partono|"
    r"no problem|nessun problema|ning[uú]n problema|sin problemas?|"
    r"salen|sale|parte|goes|go through|sends fine|se ven|si vedono|shows?|show up|ci sono|"
    r"partit[aoie]|sal(?:i[oó]|ieron)|went (?:out|through)|got through|se envi[oó]|se mand[oó]|"
    r"est[aá]n|(?:they|it|all|everything)(?:'re| are| is|'s)? (?:all )?there|"
    r"(?:are|is|were|was) (?:all )?(?:in )?there|s[ií] que|though|"
    r"instead|invece|en cambio|"
    r"perfectly|perfectamente|without problems|just fine|sin problemas|i see (?:all|every)\w*|"
    r"veo todos|los veo|las veo|i can see|can see them|vedo le|le vedo|"
    r"riesco|tutto ok|works|working|fine|no problem|is ok|they are there|i can see|i see them|"
    r"shows them|they arrive|arrive|funciona|va bien|est[aá]n|los veo|las veo|llegan|puedo|"
    r"sin problema|aparecen|appaiono|compaiono|entr[eé]|s[ií] (?:aparecen|est[aá]n|llegan|salen)|"
    r"ah[ií] s[ií]|l[ií] s[iì]|l[aà] s[iì]|sent (?:straight|right) away|sent (?:it )?fine|"
    r"(?:it|they) sent|[eè] partit[ao] subito|"
    r"se envi[oó] (?:enseguida|al momento|sin m[aá]s))(?!\w)"
)
_WEBMAIL_FAILS = Cue(
    r"(?<!\w)(shows this|shows me this|says this|gives (?:me )?this|dice questo|mi dice questo|"
    r"not the client|non (?:è|e) (?:il|un problema del) client\w*|no es (?:el|cosa del) cliente|"
    r"not (?:a|the) client(?:-side)? (?:issue|problem)|same (?:thing |problem |issue )?in|"
    r"esce questo|mi d[aà] questo|me sale esto|me dice esto|me da esto|aparece esto|"
    r"shows an error|gives an error|da error|d[aà] errore|"
    r"incorrect\w*|sbagliat\w*|errat[ao]|non (?:è )?valid\w*|no (?:es )?v[aá]lid\w*|invalid\w*|"
    r"(?<!what's )(?<!whats )(?<!what is )wrong|"  # (not "so what's wrong with it??")
    r"rechaz\w*|rifiut\w*|denied|login failed|fallisce|falla|"
    r"spinning|keeps loading|never loads|won'?t load|connection error|error de conexi[oó]n|"
    r"errore di connessione|se queda cargando|resta (?:a|in) caricamento|non carica|timed? out|"
    r"se queda colgad[oa]|queda colgad[oa]|si blocca|resta bloccat[oa]|hangs|is stuck|"
    r"couldn'?t|could not|spun|froze|bounc\w*|came back|only (?:showed|turned) up|"
    r"arriv\w* (?:\w+ )?late|in ritardo|con retraso|"
    r"times out|"
    r"that'?s (?:what'?s|the one that'?s|the thing that'?s) (?:broken|not working|failing)|"
    r"tp|tmp|tmb|tb|tbn|ta[nm]poc\w*|nemmen\w*|neanch\w*|idem|ni siquiera|nemmeno|"
    r"not even|anke|"
    r"(?:nn|non|no) (?:l[aoe]s? |li |le |me l[aoe]s? )?(?:veo|vedo|vediamo|vemos|encuentro|trovo)|"
    r"(?:nn|non|no|not) (?:me |mi |nos |ci |le |les |se |si |gli )?(?:est[aá]n? )?"
    r"(?:va|vanno|funziona\w*|parte|partono|arriva\w*|llega\w*|funciona\w*|sale|"
    r"salen|carga\w*|entra\w*|riesc\w*|pued\w*|se ven?|si vedono|si vede|c'[eè]|hay|est[aá]n?|"
    r"ci sono|works?|sends?|"
    r"loads?|opens?|ricev\w*|recib\w*|inv\w*|env[ií]\w*|mand\w*)|nada|niente|nulla|nothing|"
    r"never|mai|nunca|turned up|didn'?t (?:arrive|turn up|get there)|non [eè] arrivat\w*|"
    r"no difference|nessuna differenza|ninguna diferencia|da igual|lo stesso|lo mismo|"
    r"non funziona|non va|neanche|nemmeno|neppure|stess[oa](?! password)|uguale|anche|pure|"
    r"doesn't|does not|doesnt|not work\w*|isn't|fails|failing|either|too|also|"
    r"same(?! (?:password|login|credentials|username))|"
    r"no funciona|no va|tampoco|tambi[eé]n|igual|mism[oa](?! (?:contrase|clave|usuario))|"
    r"non arrivano|no llegan|"
    r"nothing there|non c'[eè]|no est[aá]n|no aparecen|non si vedono|non le vedo|"
    r"(?:are|is)n'?t there|(?:are|is) not there|not there either|nothing new|"
    r"non riesco|no puedo|can't|cannot|cant|won't|wont|both|entrambi|ambos|ambas|"
    r"tutti e due|los dos|do it|does it|lo fa|lo hace|either|neither|ni|n[eéè]|empty|vuot\w|"
    r"sia d[aie]\w*|sia in|sia con|sia su|tanto en|tanto desde|tanto con|both in|both on|both from|"
    r"vac[ií]\w|as well)(?!\w)"
)
_NOT_FAILING = Cue(
    r"\b(?:not|doesn'?t|does not|didn'?t|never|non|no|nunca|mai)\s+(?:\w+\s+)?"
    r"(?:fail\w*|give\w* (?:an? )?(?:error|problem)|falla\w*|fallisce|d[aà] (?:errore|problemi)|"
    r"da (?:error|problemas)|ha problemi|tiene problemas|have (?:a |any )?problems?)\b"
)
_WEBMAIL_UNTRIED = Cue(
    r"(non so cosa|nn so cosa|nn so cos|no s[eé] lo que|no s[eé] que|no s[eé] q|don'?t know what|"
    r"never used|ever used|mai usat\w|nunca (?:lo |la )?he usado|non l'ho mai|no lo he usado nunca|"
    r"ni lo he mirado|no lo he mirado|no he mirado|non l'ho guardat\w|non ho guardato|"
    r"haven'?t looked|didn'?t (?:look|check)|not looked|non ho controllato|no s[eé] entrar|"
    r"non so entrare|don'?t know how to (?:log|get) in|"
    r"non ho provato|non l'ho provat|mai provat|not tried|haven't tried|havent tried|"
    r"didn't try|didnt try|never tried|no he probado|no lo he probado|no prob[eé]|"
    r"nunca he|cos'[eè]|\bche cos(?:'|a\b)|"
    r"(?<!thats )(?<!that's )(?<!that is )(?:what is|what's|whats)"  # "thats whats broken"
    r"(?!\s+(?:broken|wrong|not|failing|happening|going on|the (?:problem|issue)))|"
    r"no s[eé] qu[eé]|"
    r"qu[eé] es (?:el|la|eso|esto|un|una|lo)(?!\w)|¿\s*qu[eé] es(?!\w)|^\s*qu[eé] es(?!\w)|"
    r"qu[eé] es\s*\??\s*$|"
    r"non so cos|non so come|don't know how|dont know how|no s[eé] c[oó]mo|never used|"
    r"non la uso|non lo uso|no lo uso|no la uso|don't use|dont use|no lo prob[eé]|no la prob[eé]|"
    r"todav[ií]a no|a[uú]n no|not yet|non ancora|ancora no)"
)
_NO_ERROR = Cue(
    r"\b(?:no|nessun|nessuno|ningun|ningún|sin|senza|without|never|nunca|mai|there'?s no|"
    r"there is no|non c'[eè]|non ci sono|non (?:mi )?d[aà]|no (?:me )?da|no hay|no sale|"
    r"no aparece|non compare|non esce|doesn'?t (?:give|show)|no me sale|don'?t get|do not get|"
    r"didn'?t get|non ricev\w*|no recib\w*|without any|senza alcun\w*|sin ning[uú]n\w*)\b"
    # "non ci sono e ... mi da errore", "no va, me da errore": another clause
    r"(?:(?!\s(?:e|y|and|ma|but|pero|però)\s)[^.,;!?\n]){0,25}?"
    r"\b(?:error|errors|errore|errori|error message|messaggio d'errore|mensaje de error|"
    r"avviso|aviso|warning)|"
    r"\b(?:errors?|errori?|errores|error messages?|avvisi)\s+(?:(?:nn|non|no|not|none|nessuno|"
    r"ninguno|niente|nada)\b[^.;!?\n]{0,25}?\b(?:vediamo|vedo|vemos|veo|see|seen|get|got|"
    r"compar\w*|sal\w*|aparec\w*|escon\w*|ricev\w*|recib\w*|ne vediamo|ne ho visti|"
    r"ce n'?(?:e|è)|ce ne sono|c'[eè]|ci sono|hay|there (?:are|is|were|was))|"
    r"(?:nessuno|ninguno|none)\b)|"
    # nothing shows on screen: "no sale ningún mensaje", "non compare nessun messaggio"
    r"\b(?:no (?:me )?sale|no aparece|no pone|non (?:mi )?compare|non (?:mi )?esce|non appare|"
    r"doesn'?t (?:show|pop up|come up)|nothing (?:shows|pops up|comes up))\s+(?:(?:ning[uú]n|"
    r"nessun|any|a|an|un|una)\s+)?(?:mensaje|messaggio|message|cartel|aviso|avviso|ventana|"
    r"finestra|pop-?up|box|sign)\b|\bnothing pops up\b"
)
_ONLY_WEBMAIL = re.compile(
    r"\b(?:(?:that'?s|thats|it'?s|its|is) the only (?:way|place) (?:i|we) (?:read|check|see|get)|"
    r"[eè] l'unico modo (?:in cui|con cui|per) (?:leggo|leggere)|"
    r"es la [uú]nica (?:forma|manera) (?:en )?(?:que|de) (?:leo|leer|miro|mirar)|"
    r"no (?:uso|usa|usamos|usan) (?:ning[uú]n )?programas?|"
    r"non (?:uso|usa|usiamo|usano) (?:nessun )?programm[ai]|"
    r"(?:doesn'?t|don'?t) use (?:any )?(?:mail )?programs?|"
    r"don'?t (?:use|have) (?:any |a )?(?:mail )?(?:programs?|clients?|apps?)|"
    r"nessun programma|ning[uú]n programa|sin programa|no (?:mail )?(?:programs?|clients?))\b|"
    r"\b(only|solo|s[oó]lo|soltanto|solamente|sempre|always|siempre)\b[^.,;]{0,20}"
    r"\b((?:la|the|el) web(?![\w-])(?!\s*(?:site|page|p[aá]gina))|(?:la|the) (?:p[aá]gina|page)\b|"
    r"web ?mail|browser|navegador|navigatore|p[aá]gina web|the website|il sito|"
    r"pagina (?:di )?internet|p[aá]gina de internet|e-?mail website|e-?mail page|the blue e|"
    r"sito della posta)\b|"
    r"\b(?:programmi non ne ho|programas no tengo|no programs|nessun altro programma)\b|"
    r"\b(?:web ?mail|browser|website|blue e|pagina internet|p[aá]gina)\b[^.;]{0,30}\b(?:nothing "
    r"else|niente altro|nient'altro|nada m[aá]s|nothing more)\b|"
    r"\bjust (?:use |go on |go to )?(?:the )?(?:blue e|browser|web ?mail|website)\b|"
    r"\bjust (?:(?:in|on|from|through|via|use|using)\s+)?(?:the\s+)?(?:web ?mail|browser)\b|"
    r"\b(web ?mail)\b\s+(only|soltanto|solamente)|"
    r"\bweb ?mail (?:is|è|es) (?:the only (?:thing|one)|l'unic[ao] (?:cosa )?|lo [uú]nico)|"
    r"\b(?:no tengo|non ho|i don'?t have|i have no)\s+(?:ning[uú]n |nessun |any )?"
    r"(?:programas?|programm[ai]|programs?|apps?)\b|"
    # "no tengo outlook ni nada de eso"
    r"\b(?:no tengo|non ho|i don'?t have|i have no|no uso|non uso|i don'?t use)\s+"
    r"(?:[\w-]+\s+){1,2}?(?:ni nada|n[eé] niente|n[eé] altro|or anything|nor anything)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Gazetteer:
    """Names from `flows/gazetteer.toml`, folded for matching."""

    programs: dict[str, tuple[str, ...]]
    by_first_word: dict[str, tuple[str, ...]]  # a spelling's first word: the programs it may be
    free_mail: tuple[str, ...]
    isps: tuple[str, ...]
    firewalls: tuple[str, ...]
    antivirus: tuple[str, ...]
    connection: tuple[str, ...]
    connection_down: tuple[str, ...]
    devices: frozenset[str] = frozenset()  # programs named by the phone they come with
    free_mail_domains: dict[str, str] = field(default_factory=dict)  # "gmail": "gmail.com"


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Load and fold the names the desk recognizes."""
    data = tomllib.loads(Path(__file__).with_name("gazetteer.toml").read_text(encoding="utf-8"))

    def names(section: str) -> tuple[str, ...]:
        return tuple(" ".join(tokens(n)) for n in data[section]["names"])

    programs = {  # (an apostrophe is a space in the text read: "dell'iPad")
        k: tuple(" ".join(tokens(n.replace("'", " "))) for n in v)
        for k, v in data["programs"].items()
    }
    first: dict[str, list[str]] = {}
    for name, spellings in programs.items():
        for spelling in spellings:
            first.setdefault(spelling.split(" ")[0], []).append(name)
    return Gazetteer(
        programs=programs,
        by_first_word={w: tuple(dict.fromkeys(names)) for w, names in first.items()},
        free_mail=names("free_mail"),
        isps=names("isps"),
        firewalls=names("firewalls"),
        antivirus=names("antivirus"),
        connection=names("connection"),
        connection_down=names("connection_down"),
        devices=frozenset(data["devices"]["names"]),
        free_mail_domains=dict(data["free_mail"].get("domains", {})),
    )


@dataclass(frozen=True)
class Reading:
    """What one message says: its intents and the facts found in it."""

    text: str
    guess: Guess | None = None
    addresses: tuple[str, ...] = ()  # every e-mail address, as written (domain lower-cased)
    hosts: tuple[str, ...] = ()  # host and domain names that are not part of an address
    direction: Said | None = None
    webmail: Webmail | None = None
    only_webmail: bool = False
    program: str | None = None
    error: str | None = None  # "" when the message says there is no error message
    only_some: bool | None = None  # True: only certain addresses; False: all of them
    signals: frozenset[str] = field(default_factory=frozenset)  # out-of-scope words found

    @property
    def intent(self) -> str | None:
        return self.guess.intent if self.guess else None

    @property
    def confidence(self) -> float:
        return self.guess.confidence if self.guess else 0.0


# An address or a domain spelled out, or typed with spaces: "bookings at example dot org",
# "marta.vidal arroba rossi-srl.example", "accounts @ rossi-srl . example". After the first
# label, labels are lower case: "info @ shop.example. Thanks" ends before "Thanks".
_DOT = r"(?:\s*\.\s*|\s+(?i:dot|punto|punt)\s+)"
_SPELLED_ADDRESS = re.compile(
    r"(?<![\w.+@-])([A-Za-z0-9][\w.+-]*?(?:\s+(?i:dot|punto|punt)\s+[A-Za-z0-9][\w.+-]*?)*)"
    r"(?:\s+(?i:(?:e poi |y luego |and then )?(?:la |el |the )?)?(?i:at|arroba|chiocciola|"
    r"chiocciolina)\s+|\s*@\s+)"  # "los de @x.es": a domain; "e poi la chiocciola"
    rf"([A-Za-z0-9][\w-]*(?:{_DOT}[a-z0-9][a-z0-9-]*)+)(?![\w@-])"
)
_SPELLED_DOMAIN = re.compile(
    r"(?<![\w.@-])([A-Za-z0-9][\w-]*(?:\s+(?i:dot|punto|punt)\s+[a-z0-9][a-z0-9-]*)+)(?![\w@-])"
)


_NOT_A_LABEL = frozenset(
    "mi my tu your su il el la lo un una a the our their nostro nostra nuestro nuestra suo sua "
    "un' uno his her del de di of eso esto quello questo that this con with".split()
)


def spelled(text: str) -> str:
    """Write the addresses and domains `text` spells out as they are written."""

    def joined(m: re.Match[str]) -> str:
        labels = re.split(_DOT, m[m.lastindex or 1])
        if not re.fullmatch(r"[a-z]{2,12}", labels[-1]):
            return m[0]  # no top-level label: not a name
        if m.lastindex != 2 and labels[0].lower() in _NOT_A_LABEL:
            return m[0]  # "mi punto com": a dot-com of one's own, not the domain mi.com
        domain = ".".join(labels).lower()
        local = ".".join(re.split(_DOT, m[1])) if m.lastindex == 2 else ""
        return f"{local}@{domain}" if m.lastindex == 2 else domain

    if _SPELLED_SIGN.search(text):  # "rossi dash srl dot example": the signs said too
        text = _SPELLED_DASH.sub("-", _SPELLED_UNDERSCORE.sub("_", text))
    return _SPELLED_DOMAIN.sub(joined, _SPELLED_ADDRESS.sub(joined, text))


_SPELLED_SIGN = re.compile(r"\s(?i:at|arroba|chiocciola|dot|punto|punt)\s")
_SPELLED_DASH = re.compile(r"(?<=\w)\s+(?i:dash|hyphen|trattino|gui[oó]n|minus)\s+(?=\w)")
_SPELLED_UNDERSCORE = re.compile(r"(?<=\w)\s+(?i:underscore|trattino basso|gui[oó]n bajo)\s+(?=\w)")


def addresses_in(text: str) -> list[str]:
    """Return the e-mail addresses in `text`, in order, without trailing punctuation.

    When none is written as usual, one spelled out counts ("info at example dot com").
    """
    found = []
    text = _MESSAGE_IDS.sub(" ", text)  # "Message-ID: <2026...@rossi-srl.example>"
    for m in _ADDRESS.finditer(text):
        # (in lower case: "Pedidos@garcia.example", capitalized by a phone, is pedidos@…)
        local, domain = m[1].strip(".'").lower(), m[2].lower().rstrip(".")
        if local and "." in domain and domain.rsplit(".", 1)[1] not in _NOT_DOMAIN:
            address = f"{local}@{domain}"
            if address not in found:
                found.append(address)
    if not found and (rewritten := spelled(text)) != text:
        return addresses_in(rewritten)
    return found


def hosts_in(text: str) -> list[str]:
    """Return the host and domain names in `text` that are not inside an address."""
    found = _hosts_in(text)
    if not found and (rewritten := spelled(text)) != text:
        found = _hosts_in(rewritten)  # "hartleyjoinery dot co dot uk"
    return found


def _hosts_in(text: str) -> list[str]:
    without = _ADDRESS.sub(" ", text)
    found = []
    for m in _HOSTNAME.finditer(without):
        host = re.sub(r"^https?://", "", m[1].lower()).removeprefix("www.")
        labels = host.split(".")
        if labels[-1] in _NOT_DOMAIN or len(labels) < 2 or host in found:
            continue
        if all(len(label) == 1 for label in labels[:-1]):  # "e.g", "p.es"
            continue
        found.append(host)
    return found


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def domain_of(address: str) -> str:
    """Return the domain of an e-mail address."""
    return address.rsplit("@", 1)[-1]


def ascii_domain(domain: str) -> str | None:
    """Return the ASCII (IDNA) form of a domain, or None when it is not a valid name."""
    try:
        name = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    return name


def looks_like_smtp(host: str) -> bool:
    return bool(_SMTP_HOST.match(host)) or "smtp" in host


def _words(text: str) -> str:
    return " " + " ".join(w for w in tokens(text) if w != ",") + " "


def _has_name(folded: str, names: tuple[str, ...]) -> bool:
    return any(f" {n} " in folded for n in names)


def _without_names(folded: str, names: tuple[str, ...]) -> str:
    for n in names:
        if " " in n and f" {n} " in folded:
            folded = folded.replace(f" {n} ", "  ")
    return folded


# A mail program spoken of without its name: "the program that came with the computer".
_A_PROGRAM = re.compile(
    r"\b(?:programm[ai]|programs?|programas?|applicazione|app|aplicaci[oó]n|"
    r"client(?:e|e di posta)?|"
    # a program shown by its icon: "I click on the little envelope", "la busta blu", "el sobre"
    r"(?:little |small |white |blue |yellow )?envelope|(?:la |una |sulla )?bustin?a|icon[ae]?|"
    r"icono|(?:un|el|del|al|ese) sobre(?:cito)?|sobrecito|the blue o|la o (?:azul|blu)|"
    r"uccellino|pajarito|little bird)\b",
    re.IGNORECASE,
)
_NO_PROGRAM_USED = re.compile(
    r"\b(?:nessun|ning[uú]n|no|not? any|non uso|no uso|don'?t use)\s+(?:\w+\s+)?"
    r"(?:programm[ai]|programs?|programas?|app)\b",
    re.IGNORECASE,
)
# A name said as a name: "Posta si chiama", "se llama Correo", "it's called Mail".
_CALLED = re.compile(
    r"\b(?P<name>[A-Z][\w.-]{1,24}(?: [A-Z][\w.-]{1,24})?) si chiama\b|"
    r"\b(?:si chiama|se llama|it'?s called|called|chiamato|llamad[oa])\s+"
    r"[\"“«']?(?P<after>[A-Z][\w.-]{1,24}(?: [A-Z][\w.-]{1,24})?)|"
    r"\b(?:programma|program|programa|app|applicazione|aplicaci[oó]n)\s+[\"“«']?"
    r"(?P<named>[A-Z][\w.-]{1,24})",  # "il programma Posta che c'era già"
)


def unnamed_program(text: str) -> tuple[bool, str | None]:
    """Tell whether a mail program is spoken of without a known name, and the name it is given.

    "uso il programma che c'era già nel computer, Posta si chiama": (True, "Posta").
    """
    if not _A_PROGRAM.search(text) or _NO_PROGRAM_USED.search(text):
        return False, None
    named = _CALLED.search(text)
    return True, (named["name"] or named["after"] or named["named"]) if named else None


def program_in(text: str) -> str | None:
    """Return the mail program named in `text` ("Outlook 2019"), or None.

    Several programs are all kept, in the customer's order: "en el movil con la app de gmail y
    en el portatil con outlook" is "Gmail app (app de gmail), Outlook".
    """
    folded = _words(text.replace("'", " ").replace("\u2019", " "))  # "dell'iPad"
    found: list[tuple[int, int, str, str]] = []  # start, end, name, spelling
    known = gazetteer()
    candidates = {n for w in folded.split() for n in known.by_first_word.get(w, ())}
    for name, spellings in known.programs.items():
        if name not in candidates:
            continue  # (none of its spellings starts with a word of the text)
        best: tuple[int, int, str, str] | None = None
        for s in spellings:
            at = folded.find(f" {s} ")
            while at >= 0 and _NO_PROGRAM.search(folded[max(0, at - 20) : at + 1]):
                at = folded.find(f" {s} ", at + 1)  # "solo webmail, niente outlook"
            if at >= 0 and (best is None or len(s) > len(best[3])):
                best = (at, at + len(s) + 1, name, s)
        if best is not None:
            found.append(best)
    # A spelling inside a longer one of another program is that one's: "apple mail", "mail".
    kept = [
        f
        for f in found
        if not any(o is not f and o[0] <= f[0] and f[1] <= o[1] and o[1] - o[0] > f[1] - f[0]
                   for o in found)
    ]  # fmt: skip
    if len(kept) > 1:  # "spark on my iphone": Spark, on the phone
        kept = [
            f
            for f in kept
            if not (
                f[2] in known.devices and _ON_DEVICE.search(folded[max(0, f[0] - 14) : f[0] + 1])
            )
        ] or kept
    if not kept:
        return None
    names = [_program_name(folded, f) for f in sorted(kept)]
    names = [
        n for n in names if not any(o != n and o.startswith(n) for o in names)
    ]  # "Outlook 365"
    return ", ".join(dict.fromkeys(names))


_ON_DEVICE = re.compile(
    r"\b(?:on|in|sul|su|nel|dal|en|del|de)"
    r"(?: my| the| il mio| mio| il| lo| la| mi| el| la mia)?\s+$"
)
_NO_PROGRAM = re.compile(
    r"\b(?:nobody has(?: it)? in|no one has(?: it)? in|nobody uses|no one uses|nessuno usa|"
    r"nessuno (?:ce l )?ha su|nadie usa|nadie lo tiene en|"  # "a shared box nobody has in Outlook"
    r"niente|nessun|sin|without|senza|non uso|no uso|not using|don t use|dont use|"
    r"no tengo|non ho|don t have|dont have|do not have|do not use|have no|never use|"
    r"non ho mai usato|no he usado nunca)\s+$"
)


def _program_name(folded: str, found: tuple[int, int, str, str]) -> str:
    at, _, name, spelling = found
    after = folded[at + len(spelling) + 2 :].split()
    version = after[0] if after and re.fullmatch(r"(19|20)\d\d|\d{2,3}|365|xp", after[0]) else ""
    if version and version not in name.lower():
        name = f"{name} {version}"
    if spelling not in name.lower():
        name = f"{name} ({spelling})"  # the customer's words too: "Android mail (samsung)"
    return name


# No bounce comes back (to the sender): it says nothing of which way fails.
_NO_BOUNCE = re.compile(
    r"\b(?:(?:don'?t|do not|doesn'?t|does not|didn'?t|did not|never)\s+(?:get|got|receive)\s+"
    r"(?:anything|nothing|any\s+\w+|an?\s+\w+)\s+back|nothing\s+(?:comes|came|bounces)\s+back|"
    r"non\s+(?:gli|le|mi|ci)\s+(?:torna|ritorna|rimbalza|tornano)\s+(?:indietro\s+)?"
    r"(?:niente|nulla)|no\s+(?:les|le|me|nos)\s+(?:rebota|rebotan|vuelve|devuelve)\s+nada)\b",
    re.IGNORECASE,
)


# A line of a message's pasted headers: the servers' words, not the customer's.
_HEADER_LINE = re.compile(
    r"^[ \t]*(?:received|date|from|to|cc|subject|message-id|return-path|delivered-to|reply-to|"
    r"x-[\w-]+|authentication-results|dkim-signature|arc-[\w-]+|mime-version|content-[\w-]+|"
    r"received-spf)[ \t]*:.*$",
    re.IGNORECASE | re.MULTILINE,
)


# Mail missing from the mailbox: "mi mancano delle mail", "me faltan correos".
_MAIL_MISSING = Cue(
    r"\b(?:mi|ci) mancan\w* (?:delle |le |alcune |diverse |molte )?(?:mail|e-?mail|messaggi)\b|"
    r"\bme faltan (?:algunos |unos |muchos )?(?:correos|mensajes|e-?mails)\b|"
    r"\b(?:i'?m|we'?re|i am|we are) missing (?:some |a few |lots of )?(?:e-?mails|mails|messages)\b"
)
# Mail to others that comes back: "nos rebotan los correos a los clientes", "bounce to clients".
_BOUNCE_TO_THEM = Cue(
    r"\b(?:rebot\w*|bounc\w*|torna(?:no)? indietro|tornano|respint\w*|devuelt\w*|devuelven|"
    r"come back|comes back|coming back)\b[^.;!?\n]{0,40}?\b(?:a|to|ai|agli|alle|al|para|verso)\s+"
    r"(?:los |las |i |gli |le |our |my |the |mis |nuestros |nostri |miei |alcuni |algunos |some )?"
    r"(?:clientes?|clienti|customers?|clients?|proveedores?|fornitori|suppliers?|destinatari\w*|"
    r"recipients?|contacts?|contatti|contactos)\b"
)
_ASIDE = re.compile(r"\([^()]{12,}\)")  # a remark in brackets, beside the point
# The answer's conclusion, in a word: "..., so it's sending", "quindi è l'invio".
_SO_ITS = re.compile(
    r"(?:^|[,.;:!?\n]\s*)(?:so|quindi|insomma|as[ií] que|o sea(?: que)?|entonces|por lo tanto)\s+"
    r"(?:it'?s|it is|its|the problem is|è|e'|[eè] in|es|il problema [eè]|el problema es)?\s*"
    r"(?:the |l'|la |il |el |lo |in )?(?P<way>[^\W\d_]+)(?:\s+(?:side|part|then|parte|lato))?"
    r"(?:\s+(?:i think|i suppose|i guess|credo|penso|supongo|creo))?\W*$",
    re.IGNORECASE,
)


def direction_in(text: str) -> Said | None:
    """Return whether the message says sending, receiving, or both are affected.

    Read clause by clause: a way that works ("stuff comes in ok but nothing
    goes out", "riesco a ricevere ma non a inviare") points at the other one.
    Addresses and host names are left out ("recepcion@…" says nothing).
    """
    if ":" in text:
        text = _HEADER_LINE.sub(" ", text)  # pasted headers ("Received: from … outbound…")
    text = _HOSTNAME.sub(" ", _ADDRESS.sub(" ", text.replace("\u2019", "'")))
    if "'un " in text:
        text = _TUSCAN_NOT.sub("non ", text)  # "'un mi scarica più la posta"
    if _IN_QUOTED.search(text) and _OUT_QUOTED.search(text):
        return "both"  # 'In arrivo: "Impossibile ricevere…" In uscita: "Impossibile inviare…"'
    text = _QUOTED.sub(" ", text)  # a quoted error or button ("Invio/ricezione") is not theirs
    low = text.lower()  # (each rewrite below only where its words are: a turn is short of time)
    text = _without_button(text)  # "cada vez que le doy a enviar y recibir"
    if "recep" in low:
        text = _RECEPTION_DESK.sub(" ", text)  # "es recepcion@…, la de la recepción": the desk
    if "entra" in low:
        text = _C_ENTRA.sub(" ", text)  # "il pc non c'entra": no mail coming in
    text = _ISSUE_COMES.sub(" ", text)  # "same issue is coming in webmail also": it happens
    if "back" in low or "rebot" in low or "indietro" in low or "devuelv" in low:
        text = _NO_BOUNCE.sub(" ", text)  # "the senders don't get anything back": no bounce
    text = _POPS_UP.sub(" error ", text)  # "esce un errore di connessione": a message shows
    text = _NOTICE_BACK.sub(" error ", text)  # "mi arriva un messaggio che dice …": a bounce
    if "sal" in low or "esc" in low:
        text = _ON_SCREEN.sub(" ", text)  # "lo que salía antes en la pantalla": what it showed
    if "c" in low or "how" in low:
        text = _HOW_ONE.sub(" ", text)  # "no sé cómo se mandan las fotos": to learn, not a fault
    text = _SERVER_SETTING.sub(" ", text)  # "¿el servidor de salida?" names a setting
    plain = _ASIDE.sub(" ", text) if "(" in text else text
    if plain != text and (said := direction_in(plain)) is not None:
        return said  # "Mando le offerte (abbiamo anche rossi-group.it, ma non c'entra) e…"
    fixed = _CORRECTED.split(text)
    if len(fixed) > 1 and (after := direction_in(fixed[-1])) is not None:
        return after  # "non ricevo... anzi no, è l'invio che non va"
    if (m := _SO_ITS.search(text)) is not None and (said := direction_in(m["way"])) is not None:
        return (
            said  # "...she gets emails fine, it's her replies that never arrive. So it's sending."
        )
    urgent = _URGENT.split(text, maxsplit=1)
    if len(urgent) == 3 and (first := direction_in(urgent[2])) in ("send", "receive"):
        return first  # "né ricevo né invio, ma la cosa più grave è che non arrivano"
    if (failing := _WHAT_FAILS_IS.search(text)) is not None:
        return "send" if failing["send"] else "receive"  # "lo que falla es el envío"
    if " no" in low and (this_not_that := _THIS_NOT_THAT.search(text)) is not None:
        return "receive" if this_not_that["receive"] else "send"  # "ricezione, non invio"
    if ("never" in low or "n't" in low or "no" in low) and _THEIRS_UNSEEN.search(text):
        return "receive"  # "customers say they've emailed orders but I never see them"
    if _IN_NOR_OUT.search(text):
        return "both"
    if _MAIL_MISSING.search(text) and not _SEND_STEM.search(text):
        return "receive"  # "su paola@… mi mancano delle mail"
    if _BOUNCE_TO_THEM.search(text) and not _TO_ME.search(text):
        return "send"  # "nos rebotan los correos a los clientes que tienen Gmail"
    if _BOTH_WAYS.search(text) and _FAILS.search(text):
        return "both"  # "my shop email doesnt work both ways"
    if _BOTH_THINGS.search(text) and ways_named(text):
        return "both"  # "...a singhiozzo... le nostre non arrivano... insomma tutte e due"
    if _BACK_TO_THEM.search(text) and not (_SEND_STEM.search(text) or _MINE_MISSED.search(text)):
        return "receive"  # "Emails from our accountant keep bouncing back to her"
    if not (
        _SEND_STEM.search(text)
        or _RECEIVE_STEM.search(text)
        or _TO_ME.search(text)
        or _MINE_MISSED.search(text)
    ):
        return _phrase_direction(text)  # no way of mail named: nothing for the clauses
    for part in re.split(r"[.;!?\n]+", text):  # "né ricevo né invio", in one sentence
        if _joined(part) and _FAILS.search(part):
            return "both"  # "cant send or get anything"
        if (
            _SEND_STEM.search(part)
            and _RECEIVE_STEM.search(part)
            and (_neither_nor(part) or _BOTH_WORDS.search(part))
        ):
            return "both"
    broken: set[str] = set()
    working: set[str] = set()
    weak: set[str] = set()
    i_send = bool(_FIRST_PERSON_SEND.search(text))
    theirs_missed = False  # others do not get what the customer sends
    for clause in _CLAUSES.split(text):
        ways = {
            w
            for w, stem in (("send", _SEND_STEM), ("receive", _RECEIVE_STEM))
            if stem.search(clause)
        }
        to_me = bool(_TO_ME.search(clause))
        if not ways and i_send and _THEY_RECEIVE.search(clause):
            ways = {"send"}  # "mando le mail, ma il Comune non le riceve"
        elif not ways and not to_me and _MINE_MISSED.search(clause):
            ways = {"send"}  # "they just never get our replies"
            theirs_missed = True
        if not ways and not to_me:
            continue  # no way of mail in this clause
        sent_it = _FIRST_PERSON_SEND.search(clause) and _IT_DID_NOT_ARRIVE.search(clause)
        if ways == {"send", "receive"} and not to_me and (_REACHED_THEM.search(clause) or sent_it):
            ways = {"send"}  # "probamos a mandar uno a mi hermana y tampoco le ha llegado"
        elif (
            ways == {"send", "receive"} and not _joined(clause) and not _EITHER.search(clause)
        ):  # "le mail che mando...": which?
            if _THEY_RECEIVE.search(clause) and _FIRST_PERSON_SEND.search(clause):
                ways = {"send"}  # "no reciben las facturas que les mando"
            elif to_me or not _FIRST_PERSON_SEND.search(clause):
                ways = {"receive"}  # "mi mandano", "la pasarela manda ... no llegan"
            else:
                ways = {"send"}
        elif ways == {"send"} and to_me and _PROGRAM_SENDS.search(clause):
            pass  # "outlook nn me lo manda": the program does not send it for me
        elif ways == {"send"} and to_me:
            ways = {"receive"}  # "rebotan los correos que me mandan"
        elif ways == {"send"} and _NOT_OUT.search(clause):
            pass  # "lo que manda no sale": whoever sends, it does not leave
        elif (
            ways == {"send"}
            and not i_send
            and (_THEY_SEND.search(clause) or _NAMED_SENDS.search(clause))
        ):
            ways = {"receive"}  # "the emails they send to orders@… bounce back"
        elif not ways and to_me:
            ways = {"receive"}  # "no one can email us"
        elif ways == {"receive"} and _MINE_MISSED.search(clause) and not to_me:
            ways = {"send"}  # "my customers never receive my quotes"
            theirs_missed = True
        elif (
            ways == {"receive"}
            and (_OTHERS_MISS.search(clause) or _THEY_RECEIVE.search(clause))
            and i_send
            and not to_me
        ):  # "le mail che mando ... i clienti dicono che non gli arrivano", "...no las recibe"
            ways = {"send"}
        if not ways or _UNTRIED.search(clause):
            continue  # "inviare non ci ho neanche provato" says nothing of sending
        if _FAILS.search(clause):
            broken |= ways
            if ways == {"receive"} and not _STRONG_RECEIVE.search(clause) and not to_me:
                weak.add("receive")  # "it never arrives": arrives where?
        elif _WORKS.search(clause) and not _THE_OTHERS.search(clause) and not _ONLY.search(clause):
            working |= ways  # (not "le altre arrivano regolarmente": that is about addresses)
    if broken == {"send", "receive"} and "receive" in weak and (i_send or theirs_missed):
        return "send"  # "I email my accountant ... it just never arrives"
    if broken == {"send", "receive"}:
        if _joined(text) or _EITHER.search(text):  # "can't send, and nothing coming in either"
            return "both"
        return _phrase_direction(text)
    if len(broken) == 1:
        return "send" if "send" in broken else "receive"
    if len(working) == 1:
        return "receive" if "send" in working else "send"
    return _phrase_direction(text)


# Mail that does not leave: the way is sending, whoever the sender ("lo que manda no sale").
_NOT_OUT = Cue(
    r"\b(?:no|non|nn)\s+(?:(?:me|le|se|mi|gli|ci|nos)\s+)?(?:sale|salen|esce|escono|parte|"
    r"partono)\b(?!\s+(?:(?:ning[uú]n|un|una|nessun|alcun)\s+)?(?:error|mensaje|aviso|"
    r"errore|messaggio|avviso))|"
    r"\b(?:doesn'?t|does not|don'?t|won'?t|never)\s+(?:go|goes|get|gets)\s+out\b|"
    r"\bnever leaves?\b|\bno se env[ií]an?\b|\bnon (?:si |viene |vengono )?(?:invia|inviano|"
    r"inviat[ae])\b"
)


# The reception desk, not mail coming in: "la de la recepción", "el ordenador de recepción".
_RECEPTION_DESK = re.compile(
    r"\b(?:la|el|lo) de (?:la )?recepci[oó]n\b|\b(?:buz[oó]n|correo|cuenta|mail|e-?mail|ordenador|"
    r"pc|chica|chico|mostrador|casella|computer|ragazza|ragazzo)\s+(?:de|della|di|del)\s+"
    r"(?:la\s+)?(?:recepci[oó]n|reception)\b",
    re.IGNORECASE,
)
_C_ENTRA = re.compile(r"\bc[' ]?entra(?:no|va)?\b", re.IGNORECASE)
# One way said, and the other denied right after it: "ricezione, non invio".
# What others sent, never seen: "they've emailed orders but I never see them".
_THEIRS_UNSEEN = Cue(
    r"\b(?:they|they'?ve|customers|clients|people|suppliers|someone|everyone|he|she|i clienti|"
    r"clienti|fornitori|mi hanno|ci hanno|me han|nos han|los clientes|clientes|proveedores)\b"
    r"[^.;!?\n]{0,40}?\b(?:emailed|e-mailed|mailed|sent|written|wrote|scritto|mandato|inviato|"
    r"spedito|escrito|enviado|mandado)\b[^.;!?\n]{0,50}?\b(?:(?:but|ma|pero|però)\s+"
    r"(?:i|we|io|noi|yo|nosotros|a me|a mi|a m[ií])?\s*(?:never|don'?t|do not|can'?t|cannot|"
    r"non|no|nunca|mai)\s+(?:\w+\s+)?(?:see|find|get|vedo|vediamo|trovo|veo|vemos|encuentro|"
    r"me (?:llega|aparece)|mi (?:arriva|compare))\w*\b|"
    # "...saying they've sent stuff and I've got nothing"
    r"(?:and|but)\s+(?:i|we)(?:'ve| have)?\s+(?:got|had|received|seen|get)\s+nothing\b)"
)
_IN_WORD = r"(?:ricezione|in entrata|recepci[oó]n|de entrada|receiving|incoming|inbound)"
_OUT_WORD = r"(?:invio|in uscita|env[ií]o|de salida|sending|outgoing|outbound)"
_TUSCAN_NOT = re.compile(r"(?:(?<=\s)|^)'un (?=(?:mi|ti|ci|si|le|la|lo|gli|ne|[eè]|va|funziona)\b)")
# Each way labelled, with its own message quoted: 'In arrivo: "Impossibile ricevere…"'.
_IN_QUOTED = re.compile(rf"\b(?:{_IN_WORD}|in arrivo)\s*:\s*[\"\u201c\u00ab']", re.IGNORECASE)
_OUT_QUOTED = re.compile(rf"\b{_OUT_WORD}\s*:\s*[\"\u201c\u00ab']", re.IGNORECASE)
_IN_OR_VERB = rf"(?:{_IN_WORD}|recibir|ricevere|receive)"  # "es recibir, no enviar"
_OUT_OR_VERB = rf"(?:{_OUT_WORD}|enviar|mandar|inviare|mandare|send)"
_THIS_NOT_THAT = re.compile(  # (not "I can send, not receive": that one works)
    r"(?<!can )(?<!riesco a )(?<!riusciamo a )(?<!posso )(?<!puedo )(?<!podemos )"
    rf"\b(?:(?P<receive>{_IN_OR_VERB})\s*[,;:]?\s*(?:non|nn|no|not)\s+(?:l'|el |la |il )?"
    rf"{_OUT_OR_VERB}|"
    rf"(?P<send>{_OUT_OR_VERB})\s*[,;:]?\s*(?:non|nn|no|not)\s+(?:la |el |il )?{_IN_OR_VERB})\b",
    re.IGNORECASE,
)
# The way that fails, said as such: "lo que falla es el envío", "the problem is sending".
_WHAT_FAILS_IS = re.compile(
    r"\b(?:lo que falla es|lo que no va es|el problema es|what fails is|what'?s not working is|"
    r"the problem is|the issue is|il problema [eè]|quello che non va [eè]|ci[oò] che non va [eè])"
    rf"\s+(?:el |la |l'|il |lo |the |with |con )?(?:(?P<send>{_OUT_WORD}|mandar|enviar|inviare|"
    rf"mandare)|{_IN_WORD}|recibir|ricevere)\b",
    re.IGNORECASE,
)
# Outlook's Send/Receive button, pressed: no way of mail ("le doy a enviar y recibir").
_SEND_RECEIVE_BUTTON = re.compile(
    r"\b(?:le doy a|doy a|darle a|le das a|pulso|pulsar|presiono|hago clic en|clic en|click on|"
    # what the program shows while it works: "se queda poniendo enviando y recibiendo"
    r"poniendo|pone|dice|says|saying|shows|showing|mostra|scrive|rimane su|resta su|stuck on|"
    r"se queda en|"
    r"clicking|click|press(?:ing)?|hit(?:ting)?|premo|premere|clicco su|clicco|schiaccio)\s+"
    r"(?:(?:el|il|the|on|sul|su|en)\s+)?(?:(?:bot[oó]n|tasto|pulsante|button)\s+(?:de\s+|di\s+)?)?"
    r"(?:enviar y recibir|enviar/recibir|invia(?:re)? e ricev(?:i|ere)|invia/ricevi|"
    r"send(?:/| and | & )receive|enviando y recibiendo|sending and receiving|"
    r"invio e ricezione|invio/ricezione)\b",
    re.IGNORECASE,
)
# What shows on the screen, not mail that goes out: "lo que salía antes en la pantalla".
_ON_SCREEN = re.compile(
    # "no sale nada nuevo"
    r"\b(?:sale|esce)\s+(?:nada|niente|nulla)\s+(?:de\s+|di\s+)?nu[eo]v[oa]|"
    r"\b(?:lo que|quello che|ci[oò] che|quel che)\s+(?:me |mi |nos |ci )?"
    r"(?:sal[ií]\w*|sale|esc\w*)\b|"
    r"\b(?:sal[ií]\w*|sale|salen|esc\w*)\s+(?:\w+\s+){0,2}?(?:en|sulla|sullo|nella|nello|in)\s+"
    r"(?:la |lo |el )?(?:pantalla|schermo|display|tablet|tableta)\b",
    re.IGNORECASE,
)
# Not knowing how one sends or reads mail: a lesson to ask for, no way that fails.
_HOW_ONE = re.compile(
    r"\b(?:no s[eé]|non so|non sappiamo|no sabemos|(?:i|we) (?:don'?t|do not) know|i dunno|"
    r"dont know)\s+(?:c[oó]mo|come|how)\s+(?:to\s+|se\s+|si\s+|puedo\s+|posso\s+|i can\s+)?"
    r"(?:send|receiv|invi|ricev|envi|recib|mand|contest|rispond|repl|answer|leer|legg|read)\w*",
    re.IGNORECASE,
)
# A message that shows up, not mail that goes out: "esce un errore", "me sale un aviso".
_POPS_UP = re.compile(
    r"\b(?:mi |me |ci )?(?:esce|escono|sale|salen|appare|aparece|compare)\s+(?:fuori\s+)?"
    r"(?:un[ao']?\s*|l'|il |la |el |questo |questa |este |esta )?(?:errore|error|messaggio|"
    r"mensaje|avviso|aviso|scritta|cartel|finestra|ventana|pop-?up)",
    re.IGNORECASE,
)
# A notice that comes back is an error, not mail received: "mi arriva un messaggio che dice
# mail delivery failed", "me llega un correo de error", "I get an email back saying".
_NOTICE_BACK = re.compile(
    r"\b(?:(?:mi|me|ci|nos)\s+(?:arriva|arrivano|arrivato|torna|tornano|llega|llegan|lleg[oó]|"
    r"devuelve|devuelven)|i (?:get|got|receive|received)|we (?:get|got|receive|received))\s+"
    r"(?:indietro\s+|de vuelta\s+|back\s+)?(?:un[ao']?\s*|l'|il |la |el |an? |this |the )?"
    r"(?:messaggio|mensaje|mail|e-?mail|correo|avviso|aviso|notifica|notificaci[oó]n|message|"
    r"notice|notification|reply)\s+(?:back\s+)?(?:di errore|de error|d'errore|che dice|que dice|"
    r"que pone|dicendo|diciendo|con scritto|saying|that says|which says|telling me)",
    re.IGNORECASE,
)
# A problem that "comes" somewhere happens there: "same issue is coming in webmail also".
_ISSUE_COMES = re.compile(
    r"\b(?:issue|problem|error|thing)s?\s+(?:\w+\s+){0,2}?com(?:es|ing|e)\s+(?:in|on|into)\b",
    re.IGNORECASE,
)


NOT_BEFORE = r"(?<!non )(?<!not )(?<!no )(?<!nn )(?<!n't )(?<!dont )"  # "non cancellare"
# A mailbox to create, in so many words: "a NEW one for the new girl", "una casella nuova".
NEW_MAILBOX = re.compile(
    r"\b(?:an?|one|una|uno|un)\s+(?:new|nuov[ao]|nuev[ao])\s+(?:one|mailbox|address|account|"
    r"e-?mail|casella|indirizzo|buz[oó]n|cuenta|correo|direcci[oó]n)\b|"
    r"\b(?:casella|indirizzo|buz[oó]n|cuenta|mailbox|address|account)\s+(?:nuov[ao]|nuev[ao])\b|"
    r"\b(?:crearne|aprirne|attivarne|aggiungerne|farne)\s+(?:una|uno|un'altra|un altro)\b|"
    r"\b(?:crear|abrir|dar de alta)\s+(?:otr[oa]|un[oa]?\s+nuev[oa])\b|"
    # "crear el buzón ventas2@…", "create the mailbox x@…"
    r"\b(?:crear|create|creare|attivare|activar|set up)\s+(?:el |il |la |the |un |una |a |lo )?"
    r"(?:buz[oó]n|casella|mailbox|cuenta de correo|account|indirizzo)\b",
    re.IGNORECASE,
)
# A mailbox to delete, in so many words: "va proprio cancellata", "just delete the whole thing".
DELETE_MAILBOX = re.compile(
    rf"\b{NOT_BEFORE}(?:cancellat[aoe]|cancellarl[ao]|cancellare|eliminat[aoe]|eliminarl[ao]|"
    r"eliminare|elimin(?:i|a)(?:la|lo)?|cancell(?:i|a)(?:la|lo)|bórr(?:ala|alo|enla|enlo)|"
    r"borr(?:ala|alo|en|enla|enlo|[eé]is|eis|e|es)|elim[ií]n(?:ala|alo|en|[eé]is|e|es)|"
    r"cancell(?:ate|iate|atela|atelo)|elimin(?:ate|iate|atela|atelo)|"
    r"chiuder(?:e|la|lo)|borrar(?:la|lo)?|borrad[ao]|elim[ií]nenl[ao]|dar(?:la|lo)? de baja|"
    r"delete(?:d)?|remove(?:d)?|close (?:it|the account|the mailbox)|get rid of it)\b",
    re.IGNORECASE,
)


# A request about a mailbox that says neither create nor delete: "gestionar un buzón".
ACTION_UNSAID = Cue(
    r"\b(?:gestionar|gestire|manage|managing|administrar|amministrare|sistemare|sort out|"
    r"sorting out|fix up|tidy up|arreglar|una modifica (?:a|alle|alla)|modificare|modificar|"
    r"(?:una|alguna|unas) gesti[oó]n(?:es)? (?:con|de|sobre|en)|un cambio (?:en|con|de))\s+"
    r"(?:\w+\s+){0,3}(?:buz[oó]n|buzones|casell[ae]|mailbox\w*|cuentas?|account\w*|"
    r"indirizz\w*|direcci\w*)\b"
)


def action_said(text: str) -> Literal["create", "delete"] | None:
    """Return the action a message asks in so many words ("a NEW one", "va cancellata")."""
    if NEW_MAILBOX.search(text):
        return "create"
    if DELETE_MAILBOX.search(text):
        return "delete"
    return None


# How the customer's outgoing server is named: "outgoing server", "server in uscita".
OUTGOING_SERVER = (
    r"outgoing (?:mail )?server|server (?:di posta )?in uscita|servidor(?: de correo)? (?:de )?"
    r"salida|servidor(?: de correo)? saliente|smtp server|server smtp|servidor smtp"
)
# The name of a setting, not a way of mail that fails: "¿el servidor de salida?".
_SERVER_SETTING = re.compile(
    rf"\b(?:{OUTGOING_SERVER}|servidor(?: de correo)? (?:de entrada|entrante)|"
    r"server (?:di posta )?in entrata|incoming (?:mail )?server|(?:imap|pop3?) server|"
    r"server (?:imap|pop3?)|servidor (?:imap|pop3?))\b",
    re.IGNORECASE,
)


def ways_named(text: str) -> set[str]:
    """Return the ways of mail a text speaks of, failing or not ("the last mail i got...")."""
    text = _HOSTNAME.sub(" ", _ADDRESS.sub(" ", text))
    ways = {
        w for w, stem in (("send", _SEND_STEM), ("receive", _RECEIVE_STEM)) if stem.search(text)
    }
    if _TO_ME.search(text) or _GOT.search(text):
        ways.add("receive")
    return ways


_GOT = Cue(r"\b(?:i|we) (?:got|get|have got)\b|\blast (?:new )?(?:e-?mail|mail|message) (?:i|we)\b")
_EITHER = Cue(r"\b(either|neither|tampoco|nemmeno|neanche|neppure|manco)\b")


def _joined(text: str) -> bool:
    """Tell whether sending and receiving are named together ("send or receive")."""
    return bool(_JOINED.search(text))


_JOINED = Cue(
    r"(send\w*|invi\w*|envi\w*|mand\w*|sped\w*|esce|escono|salen?)\s+"
    r"(?:or|and|nor|e|o|n[eé]|ni|y|/)\s+(?:to\s+|a\s+|non\s+|nn\s+|no\s+)?"
    r"(receiv\w*|reciev\w*|ricev\w*|recib\w*|get|entra|entrano|entran)\b|"
    r"(receiv\w*|reciev\w*|ricev\w*|recib\w*|entra|entrano|entran)\s+"
    r"(?:or|and|nor|e|o|n[eé]|ni|y|/)\s+(?:to\s+|a\s+|non\s+|nn\s+|no\s+)?"
    r"(send\w*|invi\w*|envi\w*|mand\w*|sped\w*|esce|escono|salen?)\b"
)


def _phrase_direction(text: str) -> Said | None:
    if len(text.split()) > PHRASE_WORDS:
        return None  # the phrase table reads answers; a story is read by its clauses
    if not set(tokens(text)) & _direction_words():
        return None  # no word of any sending or receiving phrase: nothing to match
    found = match_phrases(text, {"send": _phrases("send"), "receive": _phrases("receive")})
    return "send" if found == "send" else "receive" if found == "receive" else None


def _neither_nor(text: str) -> bool:
    """Tell whether both ways are denied: "né ricevo né invio", "no envía ni recibe".

    Each negation must bear on a verb of a way: "no me llegó ninguna, ni en spam
    ni en ningún lado" denies nothing of sending.
    """
    denied: dict[str, int] = {}
    for m in _DENIED_WAY.finditer(text):
        rest = text[m.end() :]
        if _SEND_STEM.match(rest):
            denied.setdefault("send", m.start())
        elif _RECEIVE_STEM.match(rest):
            denied.setdefault("receive", m.start())
    if denied.keys() != {"send", "receive"}:
        return False
    if _NEGATIVE_AROUND.search(text):
        return True
    # Two plain negations, one after the other: "non parte niente e non arriva niente".
    between = text[min(denied.values()) : max(denied.values())]
    return len(between.split()) <= 6 and bool(re.search(r"\s(?:e|y|and|o|or)\s|,", between))


@lru_cache(maxsize=1)
def _direction_words() -> frozenset[str]:
    return frozenset(w for i in ("send", "receive") for p in _phrases(i) for w in tokens(p))


@lru_cache(maxsize=64)
def _phrases(intent: str) -> tuple[str, ...]:
    from flows.understand import INTENTS

    return INTENTS.get(intent, ())


_CONTRAST_WORKS = Cue(
    r"\b(invece|instead|en cambio|in cambio|whereas|mentre|mientras|but|ma|per[oò]|pero)\b"
)


# A question about webmail itself: how to get in, where it is, what it is.
_ASKS_ABOUT_WEBMAIL = Cue(
    r"(?:\b(?:c[oó]mo|how|come|dove|d[oó]nde|where|what|qu[eé]|cos'?[eè]|che cos\w*|cual|cu[aá]l)\b"
    r"[^?.!]{0,40}\bweb\s?-?mail\b[^?.!]{0,30}\?)"
)


# Works, in words no failure shares: "lì entro senza problemi e vedo anche le mail".
_SURELY_WORKS = Cue(
    r"\b(?:senza (?:alcun )?problem[ai]|sin (?:ning[uú]n )?problemas?|without (?:any )?problems?|"
    r"tranquillamente|perfettamente|perfectamente|perfectly|just fine|nessun problema|"
    r"ning[uú]n problema)\b"
)


# What webmail says, and it is a failure: "webmail login says Your account has been
# temporarily disabled", "e mi da Login fallito", "me sale contraseña incorrecta".
_WEBMAIL_SAYS_BAD = Cue(
    r"\b(?:says|said|shows|gives me|gives|dice|mi d[aà]|me da|me sale|sale|pone|mi dice|me dice|"
    r"risponde|responde|answers|replies)\b[^.;!?\n]{0,40}?\b(?:disabled|disattivat\w*|"
    r"desactivad\w*|suspended|sospes\w*|suspendid\w*|blocked|bloccat\w*|bloquead\w*|"
    r"failed|fallit\w*|fallid\w*|fallo|incorrect\w*|sbagliat\w*|errat\w*|wrong|denied|negat\w*|"
    r"denegad\w*|invalid\w*|non valid\w*|no v[aá]lid\w*|non riuscit\w*|superat\w*|exceeded|"
    r"excedid\w*|rechazad\w*|rifiutat\w*|rejected)\b"
)


# At a loss, and not about webmail: "no sé qué hacer", "non so cosa vuol dire" (the bounce).
_AT_A_LOSS = re.compile(
    r"\b(?:no s[eé] (?:qu[eé]|q) (?:hacer|pasa|est[aá] pasando|ocurre|sucede|significa|"
    r"quiere decir|le pasa|m[aá]s hacer)|"
    r"non so (?:pi[uù] )?(?:cosa|che|cos') ?(?:fare|succede|sta succedendo|sia successo|"
    r"vuol dire|voglia dire|significa|pensare)|"
    r"(?:i )?(?:don'?t|do not) know what (?:to do|else to do|"
    r"(?:is|'s) (?:happening|going on|wrong)|it means|that means|this means)|"
    # how it was before, not what it does now: "antes funcionaba perfectamente"
    r"(?:antes|hasta ayer|hasta ahora|siempre|prima|fino a ieri|fino ad ora|sempre|before|always)"
    r" (?:me |mi |it |lo |la )?(?:funcionaba|iba|funzionava|andava|worked|used to work)"
    r"(?: (?:perfectamente|bien|de maravilla|sin problemas|perfettamente|benissimo|bene|"
    r"senza problemi|perfectly|fine|just fine|ok))?|"
    r"(?:it )?used to work(?: (?:perfectly|fine|just fine|ok))?)\b",
    re.IGNORECASE,
)


def webmail_in(text: str) -> Webmail | None:
    """Return what the message says of webmail, when it speaks of webmail.

    Read in the clause that names webmail; when that clause says nothing
    either way ("webmail? haven't tried"), in the one that follows it.
    """
    text = _AT_A_LOSS.sub(" ", text.replace("\u2019", "'"))
    fixed = _CORRECTED.split(text)
    if len(fixed) > 1 and _WEBMAIL.search(fixed[-1]) and (corrected := webmail_in(fixed[-1])):
        return corrected  # "nothing there... ah no, sorry, I was in Sent: in the inbox they are"
    if _ASKS_ABOUT_WEBMAIL.search(text):  # "¿como entro a la webmail?": not tried yet, unless
        after = text[text.rfind("?") + 1 :]  # "what do you mean by webmail? anyway it fails"
        return (_webmail_says(after) if after.strip() else None) or "not_tried"
    clauses = [c for c in _WEBMAIL_CLAUSES.split(text) if c and c.strip()]
    result: Webmail | None = None
    for i, clause in enumerate(clauses):
        if not _WEBMAIL.search(clause):
            continue
        found = _webmail_says(clause)
        after = clauses[i + 1] if i + 1 < len(clauses) else ""
        if (
            found == "works"
            and after
            and ((_LOGS_IN.search(clause) and _NEGATED.search(after)) or _EITHER.search(after))
            and not program_in(after)
            and not _WEBMAIL.search(after)
            and _webmail_says(after) == "fails"
        ):
            found = "fails"  # "entro ma le mail nuove non ci sono", "...e non entra neanche lì"
        if found is not None:
            result = found  # said in the clause that names webmail: the latest such wins
            continue
        if result is not None:
            continue  # already said; the clauses around another mention do not change it
        before = clauses[i - 1] if i else ""
        if (
            _ONLY.search(clause)
            and before
            and not program_in(before)
            and not READ_THERE.search(clause)
        ):
            found = _webmail_says(before)  # "mi arrivano le mail, ma solo sulla webmail"
        for following in clauses[i + 1 : i + 4]:  # "webmail? haven't tried", "..., that one fails"
            if found == "fails" or _WEBMAIL.search(following) or program_in(following):
                break  # said, or the next clauses speak of webmail again, or of a program
            then = _webmail_says(following)  # "it logs in but the inbox never loads"
            if found == "works" and then == "fails" and not _FAILS.search(following):
                continue  # "ci sono tutte! anche quelle di ieri": "also" more of them, there
            if found is None or then == "fails":
                found = then  # "entro ma le mail nuove non ci sono": logging in is not enough
        result = found
    if result == "not_tried" and (tried := _tried_now(clauses)) is not None:
        return tried  # "la webmail non l'avevo mai usata... provo... anche da lì non parte"
    if (
        result is None
        and "web" in text.lower()  # (the two searches below are slow: only where they can match)
        and (_FAILS.search(text) or _IT_HAPPENS.search(text))
        and _program_beside_webmail(text)
    ):
        return "fails"  # "it happens in Outlook and in webmail alike", "dead… Outlook AND webmail"
    if result is None and any(  # "webmail login says Your account has been disabled",
        _WEBMAIL.search(sentence) and _WEBMAIL_SAYS_BAD.search(sentence)  # "dalla webmail
        for sentence in re.split(r"[.;!?\n]+", text)  # con la password giusta (...) mi da
    ):  # Login fallito"
        return "fails"
    return result


def _program_beside_webmail(text: str) -> bool:
    """Tell whether a program is named right beside webmail ("Outlook AND webmail").

    Searched only around each "webmail": over a whole long message the two patterns'
    lazy scans cost a fifth of a millisecond.
    """
    for at in _WEBMAIL_WORD.finditer(text):
        before = text[max(0, at.start() - 80) : at.end() + 12]
        after = text[at.start() : at.end() + 80]
        if any(program_in(m["program"]) for m in _PROGRAM_AND_WEBMAIL.finditer(before)) or any(
            program_in(m["program"]) for m in _WEBMAIL_AND_PROGRAM.finditer(after)
        ):
            return True
    return False


_WEBMAIL_WORD = re.compile(r"\bweb ?mail\b", re.IGNORECASE)
# A program and webmail named together as where it fails: "in Outlook and in webmail alike".
_PROGRAM_AND_WEBMAIL = re.compile(
    r"(?P<program>[^.;!?\n,]{2,30}?)\s+(?:and|e|y|as well as|sia|that in|come in|como en|\+|&|/)\s+"
    r"(?:(?:in|on|from|en|da|dalla|nella|sulla|la|el|the|also|anche|tambi[eé]n)\s+)*web ?mail\b"
    r"(?!\s+(?:is|are|works?|va|funziona|funciona|est[aá]|sono|si)\b)",
    re.IGNORECASE,
)


# ...and the other way round: "pasa en el webmail y en Thunderbird".
_WEBMAIL_AND_PROGRAM = re.compile(
    r"\bweb ?mail\s+(?:and|e|y|as well as|come|como|that in)\s+"
    r"(?:(?:in|on|from|en|da|dal|dalla|nel|nella|sul|sulla|el|the|also|anche|tambi[eé]n)\s+)*"
    r"(?P<program>[^.;!?\n,]{2,30})",
    re.IGNORECASE,
)


def _tried_now(clauses: list[str]) -> Webmail | None:
    """What webmail did when tried there and then, after "never used it": "provo... ok, anche
    da lì non parte"."""
    last = max(i for i, c in enumerate(clauses) if _WEBMAIL.search(c))
    later = clauses[last + 1 :]
    if not any(_TRYING_NOW.search(c) for c in later):
        return None
    verdicts = [
        v for c in later if len(c.split()) > 1 and (v := _webmail_says(c)) in ("fails", "works")
    ]
    return ("fails" if "fails" in verdicts else verdicts[-1]) if verdicts else None


_TRYING_NOW = Cue(
    r"\b(?:they say|they tell me|mi dicono|me dicen|dicen que|dicono che|seg[uú]n ellos|"
    r"secondo loro|my colleague says|il collega dice|mi colega dice|"
    r"provo|riprovo|sto provando|ho appena provato|adesso provo|ora provo|pruebo|"
    r"lo pruebo|estoy probando|acabo de probar|ahora pruebo|let me try|trying (?:it )?now|"
    r"just tried|tried (?:it )?just now|i'?ll try)\b"
)


_IT_HAPPENS = Cue(
    r"\b(?:happens?|happening|dead|down|broken|succede|capita|pasa|ocurre|alike|uguale|igual|"
    r"same (?:result|thing|error|problem|behaviou?r)|stesso (?:risultato|errore|problema)|"
    r"mismo (?:resultado|error|problema))\b"
)


# Where the mail is read, not how it goes: "el correo solo lo miramos en la webmail".
READ_THERE = Cue(
    r"\b(?:miramos|miro|leemos|leo|usamos|uso|usiamo|guardiamo|guardo|leggiamo|leggo|"
    r"consult\w+|apriamo|apro|abrimos|abro|read|check|use|look at)\b"
)


# Getting into webmail, which is not yet its working: "entro", "I can log in".
_LOGS_IN = Cue(
    r"\b(?:entro|entrato|entrata|accedo|riesco ad entrare|riesco a entrare|entr[eoó]|puedo entrar|"
    r"logg?(?:ed|ing)? ?in|log in|can get in|got in|i get in|me deja entrar)\b"
)


_NEGATED = Cue(r"\b(?:non|nn|no|not|never|mai|nunca|errore?|error|nada|niente|nothing)\b|n't\b")


def webmail_answer(text: str) -> Webmail | None:
    """Read an answer to "does it happen in webmail too?" that does not name webmail ("ya entré
    y tampoco están ahí"): it speaks of webmail, unless it names a mail program.
    """
    if program_in(text):
        return None
    if _WEBMAIL_UNTRIED.search(text):
        return "not_tried"  # "todavía no lo probé, ahora no puedo"
    said = _THE_PAGE.sub(" webmail ", text)  # asked of webmail: "en la página tampoco llegan"
    if said != text and (found := webmail_in(said)) is not None:
        return found
    if not (_TRIED.search(text) or _THERE_TOO.search(text)):
        return None  # "the web one is the web one innit": nothing tried, nothing said
    return webmail_in(f"webmail {text}")


# The page asked about, said as a page: "en la página", "the page", "il sito".
_THE_PAGE = re.compile(
    r"\b(?:(?:en|in|on|from|desde|da|dalla|nella|sulla|sul)\s+)?(?:la|the|il|el|that|quella|"
    r"quel|esa|ese|this|questa)\s+(?:p[aá]gina|page|site|sito)\b"
    r"(?:\s+(?:del|de|dell'|of the|on the|sul|su)\s*"
    r"(?:ordenador|computer|pc|port[aá]til|laptop|navegador|browser))?",
    re.IGNORECASE,
)
# It fails there as well, the place not named: "tampoco", "not there either".
_THERE_TOO = Cue(
    r"\b(?:tampoco|neanche|nemmeno|neppure|either|ni ah[ií]|anche l[iì]|anche da l[iì]|"
    r"there too|there as well|even there|ah[ií] tampoco|tambi[eé]n|anche|too|also|as well)\b"
)


_TRIED = Cue(
    r"\b(?:entr[eéoó]\w*|log(?:ged)? ?in|logged|open(?:ed)?|tried|try|checked|looked|provat\w*|"
    r"provo|riprovat\w*|guardat\w*|controllat\w*|entrat\w*|prob[eé]\w*|mir[eé]|revis[eé]|"
    r"acced\w*|aperto|abr[ií]\w*)\b"
)


# Webmail shows a message, quoted: it is an error (what works shows nothing to quote).
_QUOTES_A_MESSAGE = Cue(
    r"\b(?:dice|says|said|shows|show|me sale|sale|pone|mi d[aà]|me da|y da|e d[aà]|gives|scrive|"
    r"aparece|"
    r"appare|compare|esce|pops up|i get|i got|we get|we got)\b\s*:?\s*[\"“«']"
)


def _webmail_says(clause: str) -> Webmail | None:
    if _WEBMAIL_UNTRIED.search(clause):
        return "not_tried"
    if _NOT_FAILING.search(clause):
        return "works"
    if _QUOTES_A_MESSAGE.search(clause) or _WEBMAIL_SAYS_BAD.search(clause):
        return "fails"  # 'la webmail invece dice "Errore di autenticazione"', "mi dice Invio…"
    if _NOT_THERE_EITHER.search(clause) or _SHOWS_A_WARNING.search(clause):
        return "fails"  # "not in Outlook, not in webmail", "me sale una pantalla roja"
    if (_CONTRAST_WORKS.search(clause) or _SURELY_WORKS.search(clause)) and _WEBMAIL_WORKS.search(
        clause
    ):
        return "works"  # "dalla webmail invece entro tranquillamente", "entro senza problemi"
    if _WEBMAIL_FAILS.search(clause):
        if _PLAINLY_WORKS.search(clause) and not _WEBMAIL_FAILS.search(_ALSO.sub(" ", clause)):
            return "works"  # "I can log into the webmail ... and I can send too": "too" is all
        return "fails"
    if _WEBMAIL_WORKS.search(clause):
        return "works"
    return None


# The mail missing in webmail too, said by where it is not: "not in webmail", "ni en la webmail".
_NOT_THERE_EITHER = Cue(
    r"\b(?:not|nor|neither|nothing|non|nn|ni|n[eé]|nada|niente|nulla|tampoco|nemmeno|neanche|"
    r"neppure|manco)\s+(?:even\s+|either\s+|anche\s+)?(?:in|on|en|nella|sulla|in the|on the|"
    r"dalla|nel|sul|desde|from|from the|da|dal)\s+(?:la\s+|the\s+|il\s+|el\s+)?web ?mail\b"
)


# Webmail shows a warning or an error page instead of the mail.
_SHOWS_A_WARNING = Cue(
    r"\b(?:me sale|me salen|me aparece|me aparecen|sale|aparece|mi esce|esce|mi compare|compare|"
    r"mi appare|appare|i get|we get|it shows|shows|comes up|pops up|there'?s)\s+"
    r"(?:un|una|uno|a|an|the|la|el|il|lo)\s+(?:\w+\s+)?(?:pantalla|p[aá]gina|ventana|aviso|"
    r"advertencia|mensaje|error|errore|avviso|schermata|pagina|finestra|messaggio|warning|"
    r"error page|page|screen|message|popup|pop-up)\b"
)


# Words that make a verdict "the same in webmail", either way: only they say it fails when
# the clause says plainly that webmail works ("...all my emails are there and I can send too").
_ALSO = re.compile(
    r"(?<!\w)(?:too|also|as well|same(?: one)?|anche|pure|lo stesso|stess[oa]|uguale|idem|"
    r"tambi[eé]n|tb|tbn|tmb|igual|lo mismo|mism[oa])(?!\w)",
    re.I,
)
_PLAINLY_WORKS = Cue(
    r"\b(?:i can (?:log|see|send|get|read|open|access|receive)|"
    r"(?:all|every) (?:of )?(?:my|the|our) (?:e-?mails?|mails?|messages?) "
    r"(?:are|is) (?:all )?there|"
    r"(?:everything|all) (?:is|are|'s) there|works? (?:fine|perfectly|ok)|"
    r"riesco a (?:entrare|vedere|inviare|mandare|leggere|ricevere)|ci sono tutte|"
    r"(?:los|las) veo|(?:li|le) vedo|(?:i|we) see them|se ven|si vedono|"
    r"puedo (?:entrar|ver|enviar|mandar|leer|recibir)|est[aá]n todos|est[aá]n todas)\b"
)


def error_in(text: str) -> str | None:
    """Return the error message quoted or pasted in `text`, word for word, or None."""
    lines = [line for line in text.split("\n") if line.strip()]
    facts = [m for line in lines if (m := _FACT_LINE.match(line))]
    if len(facts) >= 3 and len(facts) >= len(lines) - 1:  # "mailbox: x@…\nsmtp: …\nwebmail: …"
        said = [m["value"].strip() for m in facts if m["key"].lower() in _ERROR_KEYS]
        return said[0] if said else None  # the facts, as "key: value" lines; the error, if one
    bullets = [m[1] for line in lines if (m := _BULLET.match(line))]
    if len(bullets) >= 3:  # a list of facts: the error is the items that are errors
        errors = [b for b in bullets if (":" in b and _ERROR_ITEM.search(b)) or _code_at(b)]
        return "\n".join(errors) if errors else None
    if len(lines) > 1:
        for i, line in enumerate(lines):
            if i + 1 < len(lines) and _INTRODUCES.search(line) and _looks_pasted(lines[i + 1]):
                return _pasted(lines[i + 1 :])  # "...and then it says" / the message, below
            if (
                i + 1 < len(lines)
                and line.rstrip().endswith(":")
                and _THROWS.search(line)
                and _looks_pasted(lines[i + 1])
            ):  # "Thunderbird keeps throwing this when I check mail on x@…:" / the message
                return _pasted(lines[i + 1 :])
            if not (
                _BOUNCE_LINE.search(_HOSTNAME.sub(" ", line))
                or _OUTLOOK.search(line)
                or _quotes(line)
            ):
                continue  # (a host name alone is a setting read out: "ok it says smtp.sky.com")
            # (a remote server's line quotes its reply too: it is the paste, not a sentence)
            in_line = _quotes(line) if len(line) > 120 and not _SERVER_SAYS.match(line) else []
            if in_line and (not _code_at(line) or any(_code_at(q[0]) for q in in_line)):
                continue  # a sentence of the customer's that quotes the error: the quote
            if i + 1 < len(lines) and line.rstrip().endswith(":"):
                return _pasted(lines[i + 1 :])  # "...this is the error:" introduces it
            if _SPEAKER.search(line) and not _MACHINE.search(line) and i + 1 < len(lines):
                continue  # the customer's own sentence that names "smtp.virginmedia.com"
            if i + 1 < len(lines) and _told(line):
                continue  # "Mailbox: x@… (…). Sending via …. Since yesterday … is refused."
            # "...esce solo questo:" two lines up introduces the paste: it starts after it
            intro = [j for j in range(max(0, i - 3), i) if lines[j].rstrip().endswith(":")]
            return _pasted(lines[intro[-1] + 1 if intro else i :])
    code = _code_at(text)
    quotes = _quotes(text)
    if quotes and _ERROR_CUES.search(text):
        # The quote with the code in it; a code said outside the quotes wins over them.
        with_code = [q for q in quotes if _code_at(q[0]) is not None]
        if code is None or with_code:
            m = (with_code or quotes)[0]
            quoted = (m[1] or m[2]).strip()
            said_by = _SAYS_BEFORE.search(text[max(0, m.start() - 30) : m.start()])
            if len(quoted.split()) <= 2 and not with_code and not said_by:
                around = _sentence_around(text, m.start(), m.end())  # 'la cuenta "tienda" es …'
                if _ERROR_CUES.search(around) or not _NO_ERROR.search(text):
                    return around
                return None  # "NO ERROR MSG. … SENT INVOICE 'INV-7781'": a title, no error
            # (but "el programa dice 'Autenticación fallida'": the message itself)
            # Each way its own message: 'in ricezione dice "..." e in invio "..."': all of them.
            others = [
                (q[1] or q[2]).strip()
                for q in quotes
                if q is not m and len((q[1] or q[2]).split()) > 2 and not with_code
            ]
            return "\n".join([quoted, *others])
    if code is None:
        return _notice_title(text)
    start = code.start()
    tail = text[start:]
    end = _ERROR_END.search(tail, code.end() - start)
    return tail[: end.start() if end else len(tail)].strip(" ,:;-")


# The title of a bounce notice, typed without quotes after what shows it: "mi arriva un
# messaggio che dice mail delivery failed returning message to sender", "says Undeliverable".
_NOTICE_TITLE = re.compile(
    r"\b(?:dice|dicendo|says|saying|said|que dice|que pone|pone|con scritto|scritto|reads|"
    r"titled|called|oggetto|asunto|subject)\s*:?\s*(?P<title>(?:mail delivery (?:failed|failure)|"
    r"undelivered mail|undeliverable|delivery status notification|delivery (?:has )?failed|"
    r"message not delivered|returned mail|mail delivery system|mail delivery subsystem|"
    r"non recapitabile|impossibile recapitare|mancato recapito|errore di (?:consegna|recapito)|"
    r"no se (?:ha )?(?:puede|pudo) entregar|mensaje no entregado|correo no entregado|"
    r"error de entrega|notificaci[oó]n de estado de entrega|unzustellbar)\b.*)",
    re.IGNORECASE | re.DOTALL,
)


_SPEAKING_AGAIN = re.compile(
    r"\s(?:(?:y|e|and)\s+)?(?:no s[eé]|non so|i don'?t know|i do not know|no entiendo|"
    r"non capisco|i don'?t understand)\b",
    re.IGNORECASE,
)


def _notice_title(text: str) -> str | None:
    """The title of a bounce notice said in a sentence, up to where the customer goes on."""
    m = _NOTICE_TITLE.search(text)
    if m is None:
        return None
    title = _AT_A_LOSS.split(m["title"], maxsplit=1)[0]
    title = _SPEAKING_AGAIN.split(title, maxsplit=1)[0]
    end = _ERROR_END.search(title)
    return title[: end.start() if end else len(title)].strip(" ,:;-") or None


# The items of a list of facts ("- smtp è il vostro", "• error: 0x800CCC0E").
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+(.+)$")
_ERROR_ITEM = Cue(
    r"\b(?:error\w*|errore|errori|fehler|failed|fallit\w*|non riuscit\w*|fallid\w*|rejected|"
    r"rifiutat\w*|rechazad\w*|denied|impossibile|imposible|unable|cannot|can'?t|says|dice|"
    r"mi d[aà]|me da|sale)\b"
)


# A message named by its title: 'El mensaje que rebotó era "Factura F-0934"' (a subject).
MESSAGE_WAS = re.compile(
    r"\b(?:mensaje|messaggio|message|mail|correo|e-?mail|(?:last|latest|first) one|"
    r"l'ultim[ao]|el [uú]ltimo|la [uú]ltima)\b"
    r"(?:(?!error|errore|aviso|avviso|warning)[^\"\u201c\u00ab]){0,40}\b(?:era|was|is|es|"
    r"[eè]|fue|called|titled|titulado|intitolat[ao]|si chiama|se llama(?:ba)?)"
    r"\s*:?\s*[\"\u201c\u00ab]",
    re.I,
)
_SUBJECT_BEFORE = Cue(
    r"\b(?:oggetto|subject|asunto|titolo|t[ií]tulo|re|fwd?|called|chiamat[oa]|titled)\b[\s:=]*"
    r"(?:era|was|es|è|e|de|del)?\s*$"
)


# What introduces a message shown, just before its quote: "dice", "it says:".
_SAYS_BEFORE = re.compile(
    r"\b(?:dice|says|said|pone|sale|shows|reads|scrive|appare|aparece|esce|error|errore)\s*:?\s*$",
    re.IGNORECASE,
)


# A line that ends by introducing the message below it, without a colon: "the iphone keeps saying".
_INTRODUCES = re.compile(
    r"\b(?:says?|saying|said|shows?|showing|reads|gives me|pops up|i get|i got|dice|mi dice|"
    r"me dice|pone|"
    r"me pone|me sale|mi esce|esce|aparece|appare|compare|scrive|questo|esto|this|"
    # "me sale esta ventana:", "I get this popup:"
    r"(?:esta|este|questa|questo|this|the following|il seguente|la seguente)\s+(?:ventana|"
    r"ventanita|finestra|finestrella|pop-?up|mensaje|messaggio|message|error|errore|aviso|"
    r"avviso|warning|notice|box|window|cartel|schermata|pantalla|screen))\s*:?\s*$",
    re.IGNORECASE,
)


# A program that shows something, said anywhere in a line that ends with a colon.
_THROWS = Cue(
    r"\b(?:throw\w*|says?|shows?|gives? me|pops? up|i get|comes? up|this|these|esto|questo|"
    r"quest[ao]|est[ae]|dice|sale|esce|aparece|appare|compare)\b"
)


def _told(line: str) -> bool:
    """A paragraph of the customer's facts, before a paste: "Mailbox: x@… (…). Sending via
    …. Since yesterday …": a label of theirs, several sentences, no reply code, no <address>."""
    return (
        _FACT_LABEL.match(line) is not None
        and len(line.split()) >= 12
        and len(re.findall(r"[.!?](?:\s|$)", line)) >= 2
        and _code_at(line) is None
        and "<" not in line
    )


_FACT_LABEL = re.compile(rf"^\s*(?:{_OWN_LABELS})\s*:", re.IGNORECASE)


def _looks_pasted(line: str) -> bool:
    """Tell whether a line reads as a program's message, not as the customer's own words."""
    return bool(
        _BOUNCE_LINE.search(line)
        or _OUTLOOK.search(line)
        or _code_at(line)
        or (_ERROR_CUES.search(line) and not _PROSE.search(line))
    )


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of `text` that holds the span start-end."""
    begin = max(text.rfind(mark, 0, start) for mark in (". ", "! ", "? ", ": ", "\n")) + 1
    stops = [i for mark in (". ", "! ", "? ", "\n") if (i := text.find(mark, end)) >= 0]
    return text[begin : min(stops) + 1 if stops else len(text)].strip()


def _quotes(text: str) -> list[re.Match[str]]:
    """The quoted passages of `text`, but a quoted subject ("oggetto "fatture ottobre"")."""
    return [
        m
        for m in _QUOTED.finditer(text)
        if not _SUBJECT_BEFORE.search(text[max(0, m.start() - 20) : m.start()])
        and not (MESSAGE_WAS.search(text[max(0, m.start() - 50) : m.end()]) and not _code_at(m[0]))
    ]


# The customer's own words after a paste: "cosa devo fare?", "but it can't be full, I deleted...".
_PROSE = Cue(
    r"\b(io|mi|ho|abbiamo|non riesco|nn|cosa devo|che faccio|grazie|i|i'?m|my|we|our|what do i|"
    r"what should|thanks|thank you|yo|me|tengo|tenemos|no puedo|qu[eé] hago|gracias|"
    r"porfa|aiuto|ayuda|saludos|cordiali saluti|regards|"
    r"la casella|il mio|la mia|mio|mia|nostro|nostra|nuestro|nuestra|agli altri|gli altri|"
    r"le altre|a los dem[aá]s|los dem[aá]s|the others|le mail|los correos|the emails|webmail|"
    r"veo|vedo|i see|leemos|leggiamo|usamos|usiamo|uso|nos|el buz[oó]n|ejemplo|esempio|"
    r"vuestro|vuestra|vostro|vostra|usan|usano|inviano|env[ií]an|they use|they send|"
    r"nada raro|niente di strano|scrivo|scriviamo|escribo|escribimos|i'?m sending|i send|we send|"
    r"cosa vuol dire|che vuol dire|cosa significa|what does (?:this|it|that) mean|"
    r"qu[eé] significa|qu[eé] quiere decir)\b"
)


def said_by_customer(line: str) -> bool:
    """Tell whether a line read as an error is the customer's own sentence ("le puse el
    servidor de Gmail (smtp.gmail.com) porque me daba error, y se quedan en 'Enviando'")."""
    return "\n" not in line.strip() and bool(_SPEAKER.search(line)) and not _MACHINE.search(line)


_SPEAKER = Cue(  # the customer speaking of themselves, or to us
    r"\b(i|i'?m|i'?ve|my|me|us|we|our|io|ho|abbiamo|mio|mia|ci|nostro|nostra|yo|tengo|tenemos|"
    r"mi|mis|nos|usiamo|usamos|ciao|hola|hello|buongiorno|buenos|buenas|salve|"
    r"nuestro|nuestra)\b"
)
_MACHINE = Cue(
    rf"^\s|^(?!(?:{_OWN_LABELS})\s*:)[\w-]+:\s|"  # (not the customer's labels)
    r"<[^<>\s]+@[^<>\s]+>|[2-5]\d\d[ -][245]\.\d|\b[245]\.\d{1,3}\.\d{1,3}\b|"
    r"\b0x[0-9a-f]{8}\b|^-{2,}|^>"
)


def _pasted(lines: list[str]) -> str:
    kept = _without_prose(lines)
    # "...and when I try to send it says" between two pastes: the customer's, not the error's
    kept = kept[:1] + [x for x in kept[1:] if not (_INTRODUCES.search(x) and not _looks_pasted(x))]
    # A sentence after the paste that shows a second message: "Y en la webmail pone: Error
    # SMTP (535): Fallo en la autenticación" (the other way, or the other program, fails too).
    more = [
        m[1].strip()
        for line in lines[len(kept) :]
        if (m := _SHOWS_INLINE.search(line)) and (_code_at(m[1]) or _ERROR_CUES.search(m[1]))
    ]
    return "\n".join([*kept, *more]).strip()


_SHOWS_INLINE = re.compile(
    r"\b(?:dice|says|said|pone|sale|shows|reads|scrive|appare|aparece|esce|compare|gives)\s*:\s*"
    r"(\S.{4,})$",
    re.IGNORECASE,
)


def _without_prose(lines: list[str]) -> list[str]:
    """Drop the customer's own sentences that follow a pasted error, from the end."""
    end = len(lines)
    while end > 1 and (
        _EXAMPLE_LINE.match(lines[end - 1])
        or MESSAGE_WAS.search(lines[end - 1])  # 'El mensaje que rebotó era "Factura…", enviado…'
        or (_SUBJECT_QUOTED.search(lines[end - 1]) and not _MACHINE.search(lines[end - 1]))
        or (_SETTING_LINE.match(lines[end - 1]) and not _code_at(lines[end - 1]))
        or (
            not _MACHINE.search(lines[end - 1])
            and (_PROSE.search(lines[end - 1]) or lines[end - 1].rstrip().endswith(("!", "?")))
        )
    ):
        end -= 1
    return lines[:end]


# An example told after a paste: 'Real message that failed: to x@…, subject "Invoice 7"'.
_SUBJECT_QUOTED = Cue(r"\b(?:subject|oggetto|asunto)\s*(?::|was|era|es|è)?\s*[\"\u201c\u00ab]")


# The customer's setting said after a paste: "using smtp.example.net 587 as always".
_SETTING_LINE = Cue(  # (not a bounce's indented "    using zen.spamhaus.org")
    r"^(?:using|i use|we use|uso|usamos|usiamo|utilizzo|via|through|tramite|con|sending via|"
    r"sent via|inviato con|enviado con|"
    # "Outgoing is smtp.example.net 465 SSL/TLS, auth on, same settings as the other PCs"
    r"(?:the )?outgoing(?: server)?(?: is| =|:)|(?:the )?smtp(?: server)?(?: is| =|:)|"
    r"(?:el )?servidor de salida(?: es|:)|(?:il )?server (?:di posta )?in uscita(?: [eè]|:))\s+"
    r"(?:smtp|mail|out|outgoing|relay)\.[\w-]+(?:\.[\w-]+)+\b[^\n]{0,120}$"
)


# The customer's example after a paste: "Example: Mon 16/11 at 08:15 I sent ...".
_EXAMPLE_LINE = Cue(r"^\s*(?:example|for example|e\.g\.|ejemplo|por ejemplo|esempio|ad esempio)\b")


def _code_at(text: str) -> re.Match[str] | None:
    for pattern in (_OUTLOOK, _ENHANCED, _REPLY):
        for m in pattern.finditer(text):
            if pattern is _REPLY and not _plausible_reply(text, m):
                continue
            if pattern is _ENHANCED:  # take the basic reply code before it too
                before = re.search(r"[2-5]\d\d[ -]$", text[: m.start()])
                if before:
                    return re.search(re.escape(text[before.start() : m.end()]), text)
            return m
    return None


def _plausible_reply(text: str, m: re.Match[str]) -> bool:
    """A bare three-digit number is a reply code only next to error words."""
    if "." in m[0]:
        return True
    if re.search(
        r"\b(?:port[ao]?|puerto|porte)\s*:?\s*$", text[max(0, m.start() - 12) : m.start()], re.I
    ):
        return False  # "porta 587": a port
    window = text[max(0, m.start() - 30) : m.end() + 40]
    return bool(_ERROR_CUES.search(window)) and m[0][0] in "45"


_ONLY_FROM = Cue(
    r"\b(?:only|solo|s[oó]lo|soltanto|solamente)\s+(?:\w+\s+){0,3}?(?:coming from|from|da|dal|"
    r"dalla|"
    r"de|del|desde|to|verso|a|al|para)\s+(?:the\s+|our\s+|my\s+|il\s+|la\s+|el\s+|nostr\w+\s+|"
    r"nuestr\w+\s+|mi\s+|un\s+|una\s+)?(?!webmail|outlook|thunderbird|iphone|pc|mac|casa|home)"
    r"[a-zà-ú]{3,}"
)


# A clause that says the mail with someone goes fine: "con gmail no pasa", "to gmail it works".
_GOES_FINE = re.compile(
    r"\b(?:no pasa|non succede|non capita|va bien|van bien|funciona\w*|va bene|vanno bene|"
    r"funziona\w*|works?|is fine|are fine|fine|no problem\w*|nessun problema|sin problemas?|"
    r"doesn'?t happen|arriva\w*|llega\w*|arrive)\b",
    re.IGNORECASE,
)


def _one_provider_fails(text: str) -> bool:
    """Tell whether the mail with one big provider fails and with another one goes fine."""
    names = [n for n in gazetteer().free_mail if "." not in n and " " not in n]
    found = [
        (m.start(), m[0].lower())
        for m in re.finditer(rf"\b(?:{'|'.join(names)})\b", text, re.IGNORECASE)
    ]
    if len({name for _, name in found}) < 2:
        return False
    clauses = [c for c in re.split(r"[.;!?\n]|,\s*(?:pero|ma|but|mentre|mientras)\b", text) if c]
    fine = {
        n
        for c in clauses
        for n in names
        if re.search(rf"\b{n}\b", c, re.I) and _GOES_FINE.search(c) and not _NEGATED_FINE.search(c)
    }
    failing = {
        n for c in clauses for n in names if re.search(rf"\b{n}\b", c, re.I) and n not in fine
    }
    return bool(fine) and bool(failing - fine)


_NEGATED_FINE = re.compile(
    r"\b(?:no|non|not|nn)\s+(?:\w+\s+)?(?:funciona\w*|va|van|funziona\w*|works?|arriva\w*|"
    r"llega\w*|arrive)\b|n't (?:work|arrive)",
    re.IGNORECASE,
)


# Nobody who changed something: "nessuno l'ha mai toccato", "nobody has changed anything".
_NOBODY_TOUCHED = re.compile(
    r"\b(?:nessuno|nobody|no one|no-one|nadie)\s+(?:[\w']+\s+){0,3}?(?:toccat\w*|"
    r"cambiat\w*|modificat\w*|touch\w*|chang\w*|tocad\w*|toc[oó]|cambiad\w*|cambi[oó]|"
    r"modificad\w*|modific[oó]|messo mano|puesto la mano)",
    re.IGNORECASE,
)


# The customer's other mailboxes, not other correspondents: "le altre caselle del dominio
# invece vanno", "el resto de cuentas del dominio van bien".
_OTHER_MAILBOXES = re.compile(
    r"\b(?:(?:tutte )?le altre|gli altri|altre|altri|(?:all )?(?:the )?other|"
    r"el resto de(?: las| los)?|las dem[aá]s|los dem[aá]s|las otras|los otros|otras|otros)\s+"
    r"(?:caselle|account|cuentas|"
    r"buzones|mailboxes|accounts|inboxes|utenti|users|usuarios|colleghi|colleagues|"
    r"compa[ñn]eros|addresses of the domain|indirizzi del dominio|direcciones del dominio)\b",
    re.IGNORECASE,
)


# It happens with anyone: "da igual el destinatario", "doesn't matter who I send to".
_ANYONE_AT_ALL = Cue(
    r"\b(?:da igual|no importa|non importa|[eè] uguale|doesn'?t matter|does not matter|no matter|"
    r"whatever)\b.{0,20}?\b(?:destinatari\w*|remitente\w*|mittent\w*|a qui[eé]n|qui[eé]n|a chi|"
    r"chi|who|whom|recipient\w*|sender\w*|address\w*|direcci[oó]n\w*|indirizz\w*)|"
    r"\b(?:venga de quien venga|sea quien sea|sea de quien sea|da chiunque (?:venga|arrivi)|"
    r"chiunque (?:lo )?mandi|whoever (?:sends|it'?s from)|no matter who)\b"
)
_EVERY_DAY = re.compile(
    r"\b(?:todos los d[ií]as|todo el d[ií]a|tutti i giorni|tutto il giorno|ogni giorno|every ?day|"
    r"all day|cada d[ií]a|todas las (?:ma[nñ]anas|tardes|semanas)|"
    r"tutte le (?:mattine|sere|settimane)|"
    r"every (?:morning|evening|week))\b",
    re.IGNORECASE,
)
_FROM_NOBODY = Cue(  # (but "from nobody at gmail": only theirs; "de nadie de fuera": all)
    r"\b(?:de|from|da|a|to)\s+(?:nadie|nobody|no one|no-one|nessuno|ninguno)\b"
    r"(?!\s+(?:at|di|en|in|on)\b|\s+de\s+(?!fuera))"
)
# Everyone else's mail does arrive: "da tutti gli altri arrivano", "everyone else's comes in".
_ALL_THE_OTHERS_FINE = Cue(
    r"\b(?:tutti gli altri|tutte le altre|tutti l'artri|l'artri|todos los dem[aá]s|todas las "
    r"dem[aá]s|all the others|everyone else'?s?|everybody else'?s?)\b[^.;!?\n]{0,20}?\b(?:arriv\w*|"
    r"lleg\w*|vann?o|van|funzion\w*|funcion\w*|work\w*|come|comes|fine|ok|bien|bene)\b"
)
_ALMOST_ALL = Cue(r"\b(?:casi tod[oa]s?|quasi tutt[oiea]|almost (?:all|everything)|nearly all)\b")
_SOME_RECEIVE_FINE = Cue(
    r"\b(?:ricevono|receive them|receive|reciben|get them|le ricevono|los reciben|gets them)\s+"
    r"(?:regolarmente|bene|fine|normally|sin problemas?|senza problemi|normalmente|bien|ok)\b|"
    # the others yes, after the ones that fail: "... a gmail y demás sí", "agli altri sì"
    r"\b(?:a|con|to|with|agli|ai|alle)\s+(?:\w+\s+){0,3}?(?:y|e|and)\s+(?:a\s+|agli\s+)?"
    r"(?:dem[aá]s|otros|otras|others|the others|the rest|el resto|altri|gli altri|il resto)\s+"
    r"(?:(?:sale|salen|llega|llegan|va|van|arriva|arrivano|vanno|parte|partono|go|goes|work|"
    r"works|funciona|funcionan|funziona|funzionano)\s+)?(?:s[ií]|yes|fine|ok|bien|bene|va|van|"
    r"vanno)\b"
)
_EVERY_RECIPIENT = Cue(
    r"\b(?:a )?(?:todos los destinatarios|tutti i destinatari|all (?:the )?(?:our )?recipients|"
    r"every recipient|any recipient|cualquier destinatario|qualsiasi destinatario|"
    r"all (?:external|outside) (?:recipients|addresses))\b"
)
_KIND_WORD = Cue(r"\b(?:extern\w*|estern\w*|outside|fuera)\b")
_ALL_KINDS = Cue(
    r"\b(?:too|also|as well|anche|pure|tambi[eé]n|incluso|even|internal\w*|intern[ie]|"
    r"internos|internas)\b"
)
# One party pointed at: "just her", "solo lui", "sólo ella".
_JUST_THEM = Cue(
    r"^\W*(?:yes,?\s+|s[iì],?\s+)?(?:just|only|solo|s[oó]lo|soltanto|solamente|[uú]nicamente)\s+"
    r"(?:(?:con|da|de|from|to|with|a)\s+)?(?:him|her|them|lui|lei|loro|[eé]l|ella|ellos|ellas|"
    r"that (?:one|person|client|customer|supplier)|quell[oa]|ese|esa|this (?:one|person))\b"
)
# No mail at all, from no one in particular: "nothing at all is coming in", "niente di niente".
_NOTHING_AT_ALL = Cue(
    r"\bnothing(?: at all| whatsoever)? (?:is )?(?:coming in|comes in|getting through)\b|"
    r"\bnon (?:mi |ci )?entra (?:pi[uù] )?(?:niente|nulla)\b|\bno (?:me |nos )?entra (?:ya )?nada\b"
)
_MAILBOX_WORDS = (
    "casell", "account", "cuenta", "buz", "mailbox", "inbox", "utenti", "users", "usuarios",
    "colleg", "compa", "del dominio", "of the domain",
)  # fmt: skip
_NONE_IN_PARTICULAR = Cue(
    r"\b(?:no|not|non|nn|ni)\s+(?:(?:a|con|with|to|from|da|de|con|verso|hacia)\s+)?"
    r"(?:(?:un|una|uno|a|one|some|certain|alcun[ie]|algun[oa]s)\s+)?"
    r"(?:destinatari\w*|direcci\w*|indirizz\w*|remitent\w*|mittent\w*|address\w*|recipients?|"
    r"senders?|person[ae]?|people|clientes?|clienti|customers?)\s+(?:concret\w*|specific\w*|"
    r"particular\w*|determinad\w*|in particolare|en particular|precis\w*)"
)


# Those it happens with, by where they are: "the ones complaining are all on yahoo.com".
_THE_ONES_ON = Cue(
    r"\b(?:the ones|those|quell[ie]|los que|las que|i clienti|los clientes|the customers)\s+"
    r"(?:[\w']+\s+){0,3}?(?:are|sono|son|have|hanno|tienen)\s+(?:all\s+|tutti\s+|todos\s+)?"
    r"(?:on|at|with|from|su|con|de|en|di|da)\s+@?[\w-]+\.[a-z]{2,}"
)


def only_some_in(text: str) -> bool | None:
    """Return True for "only with certain addresses", False for "with everyone"."""
    text = _ONLY_WEBMAIL.sub(" ", text)  # "solo da webmail" says where, not with whom
    text = _EVERY_DAY.sub(" ", text)  # "la uso todos los días": when, not with whom
    low = text.lower()  # (each rewrite below only where its words are: a turn is short of time)
    if any(w in low for w in ("nessuno", "nobody", "no one", "no-one", "nadie")):
        text = _NOBODY_TOUCHED.sub(" ", text)  # "...e nessuno l'ha mai toccato": the settings
    if any(w in low for w in _MAILBOX_WORDS):
        text = _OTHER_MAILBOXES.sub(" ", text)  # "le altre caselle del dominio vanno": which box
    text = re.sub(r"\b(?:solo|only|just|s[oó]lo)\s+(?:un |an? )?alias\b", " ", text, flags=re.I)
    text = re.sub(
        r"\b(?:only|just|solo|s[oó]lo|soltanto)\s+(?:\w+\s+){0,2}?(?:outlook|thunderbird|"
        r"iphone|ipad|android|phone|telefono|tel[eé]fono|m[oó]vil|cellulare|pc|mac|computer|"
        r"ordenador|portatile|port[aá]til|laptop|app)\b",
        " ",
        text,
        flags=re.I,
    )
    low = text.lower()  # searched in lower case: several times faster than IGNORECASE
    text, flags = (low, 0) if len(low) == len(text) else (text, re.I)
    if re.search(
        r"\b(non|nn|not|no)\s+(?:[eè]\s+|es\s+|is\s+|it'?s\s+)?(solo|s[oó]lo|only|just|soltanto)\b",
        text,
        flags,
    ):
        return False  # "con tutti, non solo con uno"
    if _NONE_IN_PARTICULAR.search(text) or _ANYONE_AT_ALL.search(text) or _ALL_OF_IT.match(text):
        return False  # "pasa con todo el mundo, no con un destinatario concreto"
    if _JUST_THEM.search(text):
        return True  # "Just her as far as I know", "solo lui"
    if _ALL_THE_OTHERS_FINE.search(text) or _ALMOST_ALL.search(text):
        return True  # "Da tutti l'artri arriveno, da libero.it no", "recibimos bien casi todo"
    if _SOME_RECEIVE_FINE.search(text):
        return True  # "non consegna più a indirizzi Hotmail; Gmail, Aruba ecc. ricevono bene"
    if _EVERY_RECIPIENT.search(text):  # "a todos los destinatarios externos": a kind; "every
        return bool(_KIND_WORD.search(text)) and not _ALL_KINDS.search(text)  # recipient,
        # internal ones too": all
    if (_FROM_NOBODY.search(text) or _NOTHING_AT_ALL.search(text)) and not _ONLY.search(text):
        return False  # "no, de nadie de fuera", "I think nothing at all is coming in"
    if "." in text and _THE_ONES_ON.search(text):
        return True  # "not sure if its everyone. the ones complaining are all on yahoo.com"
    one = re.search(
        r"\b(?:a|to|con|with|da|from|de|desde|verso|hacia)\s+(?:un|uno|una|one|a single|un solo|"
        r"un sol|un [uú]nico|una sola|just one|only one)\s+"
        r"(?:of (?:our|my) |dei (?:nostri|miei) |delle (?:nostre|mie) |de (?:nuestros|mis) |"
        r"\w+\s+)?(?:client[ie]s?|customers?|proveedor(?:es)?|fornitor[ei]|suppliers?|"
        r"destinatari[oi]?s?|recipients?|contactos?|contatt[oi]|contacts?|"
        r"mittent[ei]|remitentes?|senders?|persona|person)\b",
        text,
        flags,
    )
    denied = one and re.search(
        r"\b(?:no|non|nn|not|isn'?t)\s+(?:es|è|e|is|it'?s|solo|only)?\s*$",
        text[: one.start()],
        flags,
    )
    if (
        one
        and re.search(  # "el último que intenté fue a un cliente, x@…": the example's
            r"\b(?:(?:el|la) [uú]ltim[oa]|l'ultim[ao]|the last(?: one)?|ejemplo|esempio|example)\b",
            text[max(0, text.rfind(".", 0, one.start()) + 1) : one.start()],
            flags,
        )
    ):
        one = None
    one_party = bool(one and not denied)  # "los mails que le mando a un cliente": all of
    # them, or only theirs? Asked, not taken for "everyone" ("me vuelven todos").
    if re.search(
        r"\b(?:internal and external|external and internal|interni e(?:d)? esterni|"
        r"esterni e interni|internos y externos|externos e internos)\b",
        text,
        flags,
    ):
        return False  # "everyone, internal and external"
    if re.search(
        r"\b(?:not (?:to |from |with )?(?:all|every\w*)|non (?:a |da |con )?tutt[ie]|"
        r"no (?:a |de |con )?tod[oa]s|not to everyone|not from everyone)\b",
        text,
        flags,
    ):
        return True  # "not all of them: the court's mail still comes in"
    if _ONLY.search(text) and _only_with_whom(text, flags):
        return True
    if re.search(  # "nothing from whitfieldlaw.com reaches docket@…": that sender's
        r"\b(?:nothing|no (?:e-?)?mails?|niente|nulla|nada|ning[uú]n correo|nessuna mail)\s+"
        r"(?:\w+\s+){0,2}?(?:from|da|dal|dalla|de|desde)\s+\S*[\w-]\.[a-z]{2,}\b"
        r"(?:\s*\([^)]*\))?\s+(?:\w+\s+){0,2}?(?:reach\w*|arriv\w*|lleg\w*|entr\w*|"
        r"gets? (?:to|through|in)|comes? (?:in|through))",
        text,
        flags,
    ):
        return True
    if re.search(  # "no entran las de Booking... Las de Expedia sí llegan": one source
        r"\b(?:las|los|quell[ei]|those|the ones)\s+(?:de|di|da|del|della|dal|from)\s+\w+\s+"
        r"(?:s[ií]\s+|do\s+|invece\s+)?"
        r"(?:llegan|arrivano|arrive|come in|entran|entrano|van|vanno)\b",
        text,
        flags,
    ):
        return True
    if _one_provider_fails(text):
        return True  # "los que mando a clientes con hotmail rebotan. Con gmail no pasa"
    if re.search(
        r"\b(alcun|algun|some|cert|ciert)\w*\b.{0,40}\b(altri|altre|otros|otras|others|other|rest)\b",
        text,
        flags,
    ):
        return True  # "a algunos sí y a otros no"
    if re.search(
        r"\b(alcun[ie]|algun[oa]s|some|certain|cert[ie]|ciert[oa]s|un paio di|a few|unos pocos)\s+"
        r"(?:\w+\s+)?(clienti|clientes|clients|customers|mail|correos|emails|indirizzi|"
        r"direcciones|addresses|persone|personas|people|mittenti|remitentes|senders|destinatari|"
        r"destinatarios|recipients|fornitori|proveedores|suppliers|domini|dominios|domains)\b",
        text,
        flags,
    ):
        return True  # "alcuni clienti"
    others_fine = re.search(
        r"\b(are|is|work|works|go through|get through|arrive|funzionano|vanno|arrivano|van|"
        r"llegan|funcionan|salen|partono)\s+(fine|ok|okay|bene|bien|normalmente|normally|"
        r"regularly|regolarmente|normali|sin problemas?|senza problemi|without problems)\b",
        text,
        flags,
    )
    if re.search(
        r"\b(?:other|altri|altre|otros|otras)\s+(?:domains|domini|dominios|addresses|indirizzi|"
        r"direcciones|recipients|destinatari|destinatarios)\s+(?:are\s+|sono\s+|van\s+|vanno\s+)?"
        r"(?:ok|okay|fine|bene|bien|work|funzionano|funcionan)\b|"
        r"\b(?:any|every|qualsiasi|ogni|cualquier)\s+(?:[\w-]+\.[a-z]{2,}|gmail|hotmail|yahoo|"
        r"libero|outlook)\s+(?:address\w*|indirizz\w*|direcci\w*|recipient\w*)",
        text,
        flags,
    ):
        return True  # "can't send to any gmail.com address, other domains ok"
    if re.search(
        r"\b(?:other|altri|altre|otros|otras|dem[aá]s)\s+(?:\w+\s+)?(?:mails?|e-?mails?|messages|"
        r"senders|recipients|mittenti|destinatari|remitentes|destinatarios|correos|clients|"
        r"clienti|clientes|customers)\b.{0,30}\b(?:fine|ok|okay|normal\w*|bene|bien|regolar\w*|"
        r"regular\w*|sin problemas|senza problemi)\b|"
        r"\b(?:un|una|a|one)\s+(?:\w+\s+)?(?:cliente|client|customer|proveedor|fornitore|supplier|"
        r"remitente|mittente|sender|destinatario|recipient)\s+(?:concret[oa]|specific|particular|"
        r"in particolare|en particular|determinad[oa]|specific[oa])\b",
        text,
        flags,
    ):
        return True  # "de un cliente concreto ... de otros remitentes llega todo normal"
    if others_fine and (addresses_in(text) or _has_name(_words(text), gazetteer().free_mail)):
        return True  # "to Gmail it bounces; Yahoo and Outlook.com addresses are fine"
    if re.search(
        r"\b(menos de|menos a|except|excepto|tranne|eccetto|salvo|all but|only (?:e-?mails? )?"
        r"(?:from|to)|solo (?:le mail |i messaggi )?d[ai]|a las dem[aá]s no|a los dem[aá]s no|"
        r"los de fuera|quell[ie] (?:che mando )?fuori|external|esterni|esterne|de fuera|"
        r"everything else|tutto il resto|todo lo dem[aá]s|only one (?:sender|client|customer)|"
        r"un solo (?:mittente|cliente|fornitore|remitente|proveedor))\b",
        text,
        flags,
    ):
        return True  # "everything comes in but from my bank", "los de fuera no"
    if re.search(
        r"\b(tutti gli altri|tutte le altre|todos los dem[aá]s|all the others|everyone else|"
        r"everybody else|gli altri|los dem[aá]s|the others|the rest|il resto|el resto|al resto|"
        r"del resto|dal resto|"
        r"le altre|las dem[aá]s|anyone outside|anybody outside|nobody outside|outside the company|"
        r"fuori dall'azienda|fuera de la empresa|de fuera de la empresa|agli altri|alle altre|"
        r"a los dem[aá]s|a las dem[aá]s|a los otros|a las otras|to the others|to everyone else|"
        r"others are fine|altri s[iì]|otros s[ií])\b",
        text,
        flags,
    ):
        return True  # "a un cliente su libero non arrivano, a tutti gli altri sì"
    if not one_party and any(
        _EVERYONE.search(part) and (_OF_MAIL.search(part) or ways_named(part))
        for part in [*re.split(r"[.;!?\n]+", text), *re.split(r"[.;!?\n,]+", text)]
    ):  # (by clauses too: "Not sure, I think it is all, he is just the one who told me")
        return False
    return None


# Whether "everyone" speaks of mail ("with everyone", "nobody gets my mails"), not of
# something else the customer did ("I had to ring round everybody").
_OF_MAIL = Cue(
    r"^\W*(?:\w+\W+){0,6}\w*\W*$|"  # a short answer: "con tutti", "everyone, yes"
    r"\b(?:with|to|from|con|a|da|de|desde|para|per|verso|hacia)\s+" + _EVERYONE_WORDS[2:] + "|"
    r"\b(?:e-?mails?|mail|correos?|posta|messag\w*|mensaj\w*|address\w*|indirizz\w*|"
    r"direcci\w*|destinat\w*|mittent\w*|remitent\w*|senders?|recipients?|domin\w*|"
    r"rimbalz\w*|rebot\w*|bounc\w*|writ\w*|scriv\w*|escrib\w*)\b"
)


def _only_with_whom(text: str, flags: int) -> bool:
    """Tell whether a sentence says "only" and with whom: "its only hartley-foods"."""
    labels = {  # "…to @hartley-foods.co.uk comes back… its only hartley-foods"
        n.split(".")[0].lower()
        for n in [*hosts_in(text), *(a.rsplit("@", 1)[1] for a in addresses_in(text))]
        if not looks_like_smtp(n)
    }
    for part in re.split(r"(?<=[.!?;])\s+|\n", text):  # "only", and with whom, in one sentence
        if _ONLY.search(part) and (
            any(re.search(rf"(?<![\w.-]){re.escape(x)}(?![\w-])", part.lower()) for x in labels)
            or _ONLY_FROM.search(part)  # "only mails coming from our bank"
            or addresses_in(part)
            or [h for h in hosts_in(part) if not looks_like_smtp(h)]  # not "smtp.x only"
            or _has_name(_words(part), gazetteer().free_mail)
            or re.search(
                r"\b(some|alcun\w*|algun\w*|cert\w*|ciert\w*|clients?|clienti|cliente|"
                r"clientes|customers?|fornitor\w*|proveedor\w*|supplier\w*)\b",
                part,
                flags,
            )
        ):
            return True
    return False


# A product of theirs just put in or changed: "swapped out the firewall last night",
# "Bitdefender renewed itself and switched on some 'email protection'".
JUST_CHANGED = re.compile(
    r"\b(?:new|nuov[oa]|nuev[oa]|instal\w*|install\w*|swapp\w*|chang\w*|replac\w*|put in|"
    r"cambiat[oa]|cambi[oó]|cambiad[oa]|sostituit[oa]|mess[oa] su|montat[oa]|montad[oa]|"
    r"mont[oó]|upgrad\w*|aggiorn\w*|actualiz\w*|updat\w*|renew\w*|rinnov\w*|renov\w*|"
    r"switch\w* on|turned on|enabled|activat\w*|attivat\w*|activ[oó]|activad[oa])\b",
    re.IGNORECASE,
)


def product_just_changed(texts: Iterable[str]) -> str | None:
    """The customer's firewall or antivirus that their messages say was just put in or
    changed ("...started after Bitdefender switched on its email protection"), or None."""
    for text in texts:
        named = sorted(signals_in(text) & {"antivirus", "firewall"})
        if len(named) == 1 and JUST_CHANGED.search(text):
            return named[0]
    return None


def signals_in(text: str) -> frozenset[str]:
    """Return the out-of-scope subjects the message names ("the router's light is red")."""
    g, folded = gazetteer(), _words(text.replace("'", " ").replace("\u2019", " "))
    found = set()
    if _has_name(folded, g.firewalls):
        found.add("firewall")
    # "Sophos XG" is the firewall, not Sophos's antivirus: an antivirus name inside a firewall's
    if _has_name(_without_names(folded, g.firewalls), g.antivirus):
        found.add("antivirus")
    if _has_name(folded, g.connection):
        found.add("internet_connection")
    if _has_name(folded, g.connection_down):
        found |= {"internet_connection", "internet_down"}  # its own signal: said to be down
    return frozenset(found)


def _way_of_error(error: str | None, own: str, text: str) -> Said | None:
    """The way a pasted error names, when the customer's own words name none.

    "Outlook me dice esto: / Error de envío (0x80042109)...": sending. Only one
    way: Outlook's "invio e ricezione" task says nothing of which fails.
    """
    if not error or own == text:
        return None
    if _RELAY_DENIED.search(error):
        return "send"  # "550 5.7.1 Unable to relay": only mail being sent is relayed
    if _SMTP_SESSION.search(error) and not _INCOMING_TEST.search(own):
        return "send"  # a session the customer drove: "~> MAIL FROM:<…>", "swaks --to …"
    way = direction_in(error)
    if way == "both":  # a message for each way: 'In arrivo: "Impossibile ricevere…" In uscita:
        lines = {direction_in(line) for line in error.split("\n")}  # "Impossibile inviare…"'
        return "both" if {"send", "receive"} <= lines else None
    return way if way in ("send", "receive") else None


_SMTP_SESSION = Cue(
    r"(?:^|\n)\s*(?:~>|c:|>>>|->)\s*(?:mail from|rcpt to|ehlo|helo|auth)\b|\bswaks\s+--|"
    r"\bs_client\s+-connect\s+smtp|(?:^|\n)\s*\$?\s*telnet\s+smtp"
)
_INCOMING_TEST = Cue(r"\b(?:inbound|incoming|in entrata|entrante|receiv\w*|ricev\w*|recib\w*)\b")
_RELAY_DENIED = Cue(r"\b(?:unable to relay|relay(?:ing)? (?:access )?denied|relay not permitted)\b")


def _without_button(text: str) -> str:
    low = text.lower()
    if "recib" in low or "ricev" in low or "receive" in low or "/" in low:
        return _SLASHED_TASK.sub(" ", _SEND_RECEIVE_BUTTON.sub(" ", text))
    return text


# Outlook's task written as its button: "Errore in Invio/Ricezione", "Send/Receive error".
_SLASHED_TASK = re.compile(
    r"\b(?:invio\s*/\s*ricezione|send\s*/\s*receive|enviar\s*/\s*recibir|env[ií]o\s*/\s*recepci[oó]n|"
    r"invia\s*/\s*ricevi)\b",
    re.IGNORECASE,
)


def own_words(text: str, error: str | None = None) -> str:
    """Return `text` without a pasted error block: what the customer wrote themselves.

    `error` is the message's error, when already read (`error_in`).
    """
    pasted = error_in(text) if error is None else error
    if not pasted:
        return text
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if "\n" not in pasted and (pasted.strip() not in lines or len(lines) == 1):
        return text  # quoted inside a sentence of the customer's: read with it
    block = {line.strip() for line in pasted.split("\n")}
    return "\n".join(line for line in text.split("\n") if line.strip() not in block)


# Said between an address typed wrong and the same typed again: "info@rosi-srl.example...
# scusate ho scritto male, è info@rossi-srl.example", "antonio@… uy no, esa no!! … antonia@…".
_RETYPED = Cue(
    r"\b(?:scritto male|ho sbagliato|typo|mistyped|misspel\w*|wrong(?:ly)?|quise decir|"
    r"me equivoqu[eé]|esa no|quella no|not that one|perd[oó]n|scus\w+|sorry|i mean|i meant|"
    r"cio[eè]|o sea|anzi|actually|no wait|mejor dicho|correct\w*|corrig\w*|corregg\w*)\b"
)


def _retyped_left_out(addresses: list[str], text: str) -> list[str]:
    """The addresses of a message without one typed wrong and then again, corrected."""
    low = text.lower()
    kept = []
    for i, a in enumerate(addresses):
        at = low.find(a.lower())
        later = [
            b
            for b in addresses[i + 1 :]
            if one_edit(a.lower(), b.lower()) and _RETYPED.search(low[at : low.find(b.lower())])
        ]
        if not later:
            kept.append(a)
    return kept


_LIKEWISE = Cue(r"^\W*(?:anche|also|too|tambi[eé]n|igual|same|stesso|lo stesso|lo mismo|even)\b")


def _webmail_in_paste(error: str | None) -> Webmail | None:
    """What the customer's own lines inside a paste say of webmail ("Anche dalla webmail stesso
    identico risultato, torna indietro con lo stesso 554")."""
    lines = [
        x
        for x in (error or "").splitlines()
        if _WEBMAIL.search(x) and (said_by_customer(x) or _LIKEWISE.search(x))
    ]
    return webmail_in(" ".join(lines)) if lines else None


def read(text: str, classify: bool = True) -> Reading:
    """Read a customer message once: intents (when `classify`) and entities."""
    text = clean(text)
    error = error_in(text)
    # The customer's own words: a pasted bounce says nothing of what they want.
    own = own_words(text, error or "")
    return Reading(
        text=text,
        guess=load_model().guess(_without_button(own))  # a button: no way of mail
        if classify and own.strip()
        else None,
        addresses=tuple(_retyped_left_out(addresses_in(text), text)),
        hosts=tuple(hosts_in(text)),
        direction=direction_in(own) or _way_of_error(error, own, text),
        webmail=webmail_in(own) or _webmail_in_paste(error),
        only_webmail=bool(_ONLY_WEBMAIL.search(own)),
        program=program_in(own),
        error=error or ("" if _NO_ERROR.search(own) else None),
        only_some=only_some_in(own),
        signals=signals_in(own),
    )
