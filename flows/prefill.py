"""Filling a case from what a message says, whatever was asked (Rasa's `from_entity`).

`fill` takes the entities of one reading (`flows.reading`) into the case's
fields: the customer's mailbox (an address on a hosted domain, never a
sender's or a recipient's at another provider), sending or receiving, the
SMTP server, what webmail does, the mail program, the error text, whether
only certain addresses are affected. A field already known is changed only
when the message says it is a correction ("actually it's receiving"), or at
the summary, where every fact is one. The field being asked is the
question's own business (its reader), and text being copied word for word
(a pasted error, a subject) is never mined for other fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime

from flows.model import Case, Direction, Example
from flows.reading import (
    MESSAGE_WAS,
    OUTGOING_SERVER,
    READ_THERE,
    Reading,
    addresses_in,
    changed_mind,
    direction_in,
    domain_of,
    gazetteer,
    looks_like_smtp,
    own_words,
    said_by_customer,
    ways_named,
)
from flows.understand import tokens

# Questions whose answer is copied as typed: nothing else is read from it.
VERBATIM_STATES = frozenset(
    {
        "email_error",
        "email_addresses",
        "email_client_name",
        "ex_subject",
        "details",
        "description",
        "ticket_question",
    }
)
MAILBOX_STATES = frozenset({"email_mailbox", "admin_mailbox", "password_mailbox"})
DOMAIN_STATES = frozenset({"dns_domain", "domain_name", "hosting_domain"})
EXAMPLE_STATES = frozenset({"ex_sender", "ex_recipient", "ex_subject", "ex_sent_at"})

_CORRECTION = re.compile(
    r"\b(actually|in fact|sorry(?! to (?:have to )?inform)|i meant|i mean|my mistake|correction|"
    r"no wait|not \w+ but|"
    r"wait,? no|oh wait|hang on|aspetta,? no|espera,? no|no,? mejor|mejor con|no,? meglio|"
    r"no,? aspett\w*|no,? asp[eè]|no,? espera|"
    r"better make it|or rather|o meglio|o mejor|forget (?:that|it)|never ?mind|"
    r"lascia(?:mo)? perdere|non importa|olv[ií]d(?:alo|elo|ate de eso|a eso|e eso)|"
    r"anzi|in realt[aà]|scus\w*|mi sono sbagliat\w*|volevo dire|intendevo|ho sbagliato|"
    r"en realidad|perd[oó]n\w*|me equivoqu[eé]|quer[ií]a decir|quise decir|mejor dicho|"
    r"no,? es|no,? [eè]|non [eè] \w+ ma|got it (?:backwards|the wrong way round|wrong)|"
    r"the other way round|it'?s the opposite|i mixed (?:it|them) up|al rev[eé]s|al contrario|"
    r"[eè] il contrario|[eè] l'opposto|me he liado|mi sono confus\w*|i was wrong|"
    # looked up while typing: "raul@… o raul.gomez@…, espera que lo miro... es raul.gomez@…"
    r"espera,? (?:que )?lo (?:miro|compruebo|busco)|d[eé]jame (?:ver|mirar|comprobar)(?:lo)?|"
    r"let me (?:check|look|see)|aspett\w*,? (?:che )?(?:controllo|guardo|verifico)|"
    r"fammi (?:controllare|vedere|guardare)|un attimo che (?:controllo|guardo))\b|"
    r"\s[-\u2013\u2014]+\s*no,\s",  # "10:12 per their log - no, 10:21"
    re.IGNORECASE,
)
_OWN = re.compile(
    r"\b(my|mine|our|mia|mio|nostra|nostro|la mia|il mio|mi|mis|nuestra|nuestro)\b"
    r"[^.@\n]{0,30}$|"
    r"\b(?:abbiamo|ho|tenemos|tengo|we have|i have)\s+(?:la|una|el|un|a|the)?\s*(?:casella|"
    r"mailbox|buz[oó]n|cuenta|account|indirizzo|direcci[oó]n|address)\s*:?\s*$|"
    r"\b(?:e-?mail|mail|mailbox|casella|correo|buz[oó]n|address|indirizzo|direcci[oó]n|account|"
    r"cuenta)\s+(?:is|è|e'|e|es|sarebbe|ser[ií]a)\s*:?\s*$|"  # "the email is ken@btinternet.com"
    r"\b(?:e-?mail|mail|mailbox|casella|correo|buz[oó]n|address|indirizzo|direcci[oó]n|account|"
    r"cuenta)\s+(?:que|che|that|it)\s+(?:\w+\s+){0,2}(?:tiene|usa|uses|has|ha|tengo|uso|"
    r"configurad\w*|configurat\w*|puesta|puesto|messo|messa|impostat\w*|set)\b[^.@\n]{0,20}"
    r"\b(?:is|è|es)\s*:?\s*$|"  # "la cuenta que tiene puesta es x@yahoo.es": the program's
    r"\b(?:password|contrase[nñ]a|clave)\s+(?:della|dell'|di|del|de la|de|of|for)\s*(?:the\s+)?"
    r"(?:e-?mail|mail|casella|account|cuenta|correo|buz[oó]n|mailbox|address|indirizzo)?\s*:?\s*$",
    re.IGNORECASE,
)
_ROLE_BEFORE = re.compile(
    r"\b(from|to|da|a|per|verso|de|para|desde|hacia|cc|sender|mittente|remitente|recipient|"
    r"destinatario)\s*:?\s*$",
    re.IGNORECASE,
)
# Someone else of the customer's, named before their address: "il nostro fornitore (x@…)".
_SOMEONE = re.compile(
    r"\b(?:fornitor\w*|supplier\w*|proveedor\w*|client\w*|customer\w*|commercialista|"
    r"accountant|contador\w*|contable|gestor\w*|banca|bank|banco|wife|husband|moglie|marito|"
    r"esposa|marido|mujer|colleg\w*|colleague\w*|compa[nñ]er\w*|partner|socio|amic\w*|"
    r"friend|amig\w*|figli\w*|son|daughter|hij\w*|boss|capo|jefe|avvocat\w*|lawyer|abogad\w*|"
    r"brother|sister|mother|father|mum|mom|dad|uncle|aunt|cousin|nephew|niece|hermano|hermana|"
    r"madre|padre|t[ií][oa]|prim[oa]|sobrin[oa]|fratello|sorella|mamma|pap[aà]|zi[oa]|cugin[oa]|"
    r"nipote|"
    r"agenzia|agency|agencia|studio|tecnico|technician|t[eé]cnico)\b[^.@\n]{0,25}$",
    re.IGNORECASE,
)
_SERVER_WORDS = re.compile(r"\b(smtp|server|servidor|servizio|outgoing|uscita|salida)\b", re.I)


def is_correction(text: str) -> bool:
    """Tell whether a message corrects something said before."""
    return bool(_CORRECTION.search(text))


def after_correction(text: str) -> str:
    """Return what follows the last correction in a message ("... anzi no, ..."), or all of it."""
    found = [m for m in _CORRECTION.finditer(text) if re.search(r"\w", text[m.end() :])]
    return text[found[-1].end() :] if found else text  # "... - no, 10:21, sorry": not "sorry"


def without_error(r: Reading) -> str:
    """The message without its pasted or quoted error: the customer's own words.

    The error is kept as read, without the blank lines of the paste: where it is not
    in the text as it stands, its lines are left out one by one.
    """
    if not r.error:
        return r.text
    if r.error in r.text:
        return r.text.replace(r.error, " ")
    return own_words(r.text, r.error)


def _find(text: str, address: str) -> int:
    """Where `address` is written in `text` (not inside a longer one: "jose.almacen@…"), or -1."""
    found = re.search(rf"(?<![\w.+-]){re.escape(address)}", text, re.IGNORECASE)
    return found.start() if found else -1


def own_address(text: str, address: str) -> bool:
    """Tell whether `text` speaks of `address` as the customer's own ("my gmail x@...")."""
    at = _find(text, address)
    if at < 0:
        return False
    before = text[:at]
    return (
        bool(_OWN.search(before))
        and not _ROLE_BEFORE.search(before)
        and not (_SOMEONE.search(before[-40:]))
        and not _THEIRS_BEFORE.search(before[-40:])
    )


def _bounce_only_says(r: Reading) -> bool:
    """Tell whether only the pasted bounce, not the customer, says which way mail fails."""
    return direction_in(without_error(r)) is None


def _my_provider(text: str, address: str) -> bool:
    """Tell whether `text` calls the provider of `address` the customer's: "my gmail"."""
    provider = domain_of(address).split(".")[0].lower()
    if len(provider) < 3:
        return False
    mine = r"\b(?:my|mi|mio|mia|la mia|il mio|mis)\s+(?:own\s+)?(?:account\s+|cuenta\s+(?:de\s+)?)?"
    return re.search(rf"{mine}{re.escape(provider)}\b", text, re.IGNORECASE) is not None


# An alias asked for beside the mailbox: "anche un alias s.longo@…", "an alias like x@…".
_ALIAS_BEFORE = re.compile(r"\balias(?:es)?\s*(?:come|como|like|tipo|:)?\s*$", re.IGNORECASE)


def alias_before(before: str) -> bool:
    """Tell whether the words before an address ask for it as an alias ("anche un alias")."""
    return bool(_ALIAS_BEFORE.search(before))


# Tried again, or looked just now: what it shows now wins over what was said before.
_TRIED_AGAIN = re.compile(
    r"\b(?:ho riprovato|riprovato|ho appena (?:provato|guardato|controllato|visto)|"
    r"acabo de (?:entrar|mirar|probar|ver)|he vuelto a (?:mirar|entrar|probar)|"
    r"just (?:tried|checked|looked|logged)|tried (?:it )?again|checked again|looked again|"
    r"(?:now|just now) (?:i )?(?:checked|looked|tried))\b",
    re.IGNORECASE,
)
# Someone else's address, said as theirs: "His address is x@…", "la sua mail è x@…".
_THEIRS_BEFORE = re.compile(
    r"\b(?:his|her|their|suo|sua|loro|su|sus)\s+(?:e-?mail|mail|address|indirizzo|direcci[oó]n|"
    r"correo|account|cuenta)(?:\s+(?:address|e-?mail))?\s+(?:is|è|e'|e|es|era|was)\s*:?\s*$",
    re.IGNORECASE,
)


# The mailbox a problem is about, named as such: "la casella x@… non riceve", "my
# account x@…", "le mail su gmail, x@…", "x@… doesn't receive".
_MAILBOX_BEFORE = re.compile(
    r"\b(?:casella|mailbox|account|cuenta|buz[oó]n|indirizzo|direcci[oó]n|address|inbox|"
    r"(?:el|il|la|my|mi|our|nuestro|nostra|uso el|uso la) (?:correo|e-?mail|mail|posta)|"
    r"(?:casella|cuenta|account|mailbox|indirizzo|buz[oó]n|address) (?:che|que|that|it) "
    r"(?:usa|uses|utilizza|tiene|has|usiamo|usamos|we use),?|"
    r"(?:e-?mails?|mails?|posta|correos?|messaggi|mensajes|niente|nulla|nada|nothing|anything)"
    r"\s+(?:su|sulla|sull'|en|on)|"
    r"(?:get into|log ?in(?:to)?|sign in(?:to)?|access|entrar en|entrar a|accedere a|accedere alla|"
    r"entrare in|entrare nella)|"  # "can't get into mike@… on my phone"
    r"(?:casella|mailbox|account|cuenta|buz[oó]n|indirizzo|direcci[oó]n|address)\s+(?:de|del|"
    r"della|dello|di|of|of the|de la)\s+(?:\w+\s+){0,2}?\w+,|"  # "la cuenta del hostal, x@…"
    # "la mail dello studio è x@…", "el correo de la tienda es x@…"
    r"(?:la|il|el|the|our|my|mi|nuestr[oa]|nostr[oa]) (?:e-?mail|mail|posta|correo|casella|"
    r"address|indirizzo|direcci[oó]n)\s+(?:de|del|della|dello|di|of|of the|de la|dell')\s*"
    r"(?:\w+\s+){0,2}?\w+\s+(?:[eè]|e'|es|is|era|was)|"
    r"(?:download\w*|scaric\w*|descarg\w*)(?:\s+\w+){0,3}?\s+(?:from|da|dalla|de|desde))"  # the
    r"(?: di posta| de correo| e-?mail| mail| elettronica)?"  # the account a program reads
    r"(?: antigu[oa]| viej[oa]| vecchi[ao]| old| nuev[oa]| nuov[ao]| new)?"
    # "Cuenta afectada: x@…", "Affected mailbox: x@…"
    r"(?: afectad[oa]| interessat[ao]| coinvolt[ao]| affected| con (?:el|il) problema)?"
    r"(?: sua| mia| tua| suya| m[ií]a| nostra)?,?\s*:?\s*$|"  # "sulla casella sua, x@…"
    r"\b(?:affected|impacted)\s+(?:mailbox|account|address)\s*:?\s*$",
    re.IGNORECASE,
)
# Mail that does not reach someone else: "no llegan los correos a un cliente".
_TO_A_PARTY = re.compile(
    r"\b(?:lleg\w*|arriv\w*|reach\w*|get(?:s|ting)? through)\s+(?:\w+\s+){0,3}?(?:a|ai|al|alle|"
    r"agli|to)\s+(?:un|una|unos|los|las|mis|nuestros|i|gli|le|the|our|my|some|a|nostri|un solo)?\s*"
    r"(?:client\w*|destinat\w*|recipient\w*|proveedor\w*|fornitor\w*|supplier\w*|customer\w*)",
    re.IGNORECASE,
)
# The mail said to be hosted by someone: "their mail is hosted at GoDaddy", "è su Aruba".
_HOSTED_ELSEWHERE = re.compile(
    r"\b(?:hosted (?:at|with|by|on)|alojad[oa]s? (?:en|con|por)|ospitat[ao]s? (?:su|da|presso)|"
    r"(?:is|are|sta|stanno|est[aá]n?) (?:with|con|presso) (?!you|us|voi|vosotros|ustedes)\w+|"
    r"(?:posta|mail|dominio|correo|e-?mail|domain)\s+(?:\w+\s+){0,3}?(?:sono|[eè]|sta|stanno|"
    r"est[aá]n?|is|are)\s+(?:su|con|presso|en|on|at|with)\s+(?!voi|you|vosotros|ustedes|us)\w+)",
    re.IGNORECASE,
)
# The account a mail program's popup names: 'La contraseña de la cuenta "x@…" es incorrecta'.
_POPUP_ACCOUNT = re.compile(
    r"\b(?:account|cuenta|conto|username|user name|user|utente|nome utente|usuario|"
    r"nombre de usuario)\s*(?:di posta\s*|de correo\s*)?[\"\u201c\u00ab']?\s*$",
    re.IGNORECASE,
)
_FAILS_AFTER = re.compile(
    r"^\W{0,3}(?:\([^)]{0,40}\)\W{0,3})?(?:non|nn|no|not|never|doesn'?t|does not|can'?t|"
    r"cannot|won'?t|isn'?t|is not|ha smesso|stopped|dej[oó]|ya no|has stopped|keeps)\b",
    re.IGNORECASE,
)


def _provider_before(before: str) -> bool:
    """Tell whether a mail provider is named just before an address ("su gmail, x@…")."""
    words = [w for w in tokens(before) if any(ch.isalnum() for ch in w)][-2:]
    g = gazetteer()
    return bool(words) and any(n in (words[-1], " ".join(words)) for n in (*g.free_mail, *g.isps))


# The mailbox named at the end of the story: "..., es x@…", "... - it's x@…".
_IT_IS_BEFORE = re.compile(
    r"[,.;:\u2013-]\s*(?:es|[eè]|e'|it'?s|it is|is|la mia [eè])\s*:?\s*$", re.I
)
_MY_MAIL = re.compile(
    r"\b(?:mi|my|la mia|il mio|our|nuestro|nuestra|la nostra|il nostro)\s+"
    r"(?:(?:husband|wife|son|daughter|mum|mom|dad|father|mother|partner|boss|colleague)'?s?\s+)?"
    r"(?:correo|e-?mail|mail|posta|casella|cuenta|account|buz[oó]n|inbox|mailbox)\b|"
    # "la mail di mio marito", "el correo de mi mujer"
    r"\b(?:la|il|el)\s+(?:mail|casella|posta|correo|cuenta|buz[oó]n)\s+(?:di|de|del|della)\s+"
    r"(?:mio|mia|mi|nuestro|nuestra)\s+\w+",
    re.IGNORECASE,
)
# Mail not reaching the customer, at the address that follows: "no me llegan los correos a
# x@…", "non mi arriva niente su x@…", "I'm not getting anything at x@…".
_NOT_REACHING_ME_AT = re.compile(
    r"(?:\b(?:no|non|nn)\s+(?:me|mi|ci|nos)\s+(?:llega\w*|arriva\w*|entra\w*)|"
    r"\b(?:i'?m|we'?re|i am|we are|i|we)\s+(?:not|never|don'?t|do not)\s+"
    r"(?:getting|receiving|recieving|get|receive|recieve)|\bnothing (?:is )?(?:coming|arriving))"
    r"\b[^.;!?\n@]{0,30}?\b(?:a|al|su|sulla|sull'|in|en|at|on|to|into)\s*$",
    re.IGNORECASE,
)


def named_mailbox(text: str, address: str, direction: str | None = None) -> bool:
    """Tell whether `text` names `address` as the mailbox that has the problem.

    Sending, the address mail goes out from is it: "...is not sending the reminders from x@…".
    """
    at = _find(text, address)
    if at < 0:
        return False
    if direction in ("send", "both") and re.search(
        r"\b(?:from|da|dalla|desde|de)\s*:?\s*<?$", text[:at]
    ):  # "...non riesco a mandare né ricevere mail da x@…"
        return not _SOMEONE.search(text[:at][-40:])
    if _MAILBOX_BEFORE.search(text[:at]) or _provider_before(text[:at]):
        return True  # "the lawyer's gmail x@…": a mailbox, whoever's it is
    if _IT_IS_BEFORE.search(text[:at]) and _MY_MAIL.search(text[:at]):
        return True  # "no puedo entrar en mi correo, me dice contraseña incorrecta, es x@…"
    if direction != "send" and _NOT_REACHING_ME_AT.search(text[:at]):
        return True  # "no me llegan los correos a x@… desde ayer"
    if _SOMEONE.search(text[:at][-40:]):
        return False  # "il mio fornitore x@… non riceve": my mail to them
    return own_address(text, address) or bool(_FAILS_AFTER.search(text[at + len(address) :]))


# A name given as a pattern, not a domain: "like www.something.com", "tipo www.qualcosa.it".
_PLACEHOLDER_LABELS = frozenset(
    "something somethin qualcosa algo xxx xyz abc tuonome nome name yourname yourcompany mysite "
    "miweb minombre miempresa nombre ejemplo esempio whatever blabla tusitio".split()
)


def _placeholder(text: str, host: str) -> bool:
    label = host.lower().removeprefix("www.").split(".")[0]
    before = text[: max(text.lower().find(host.lower()), 0)][-12:].lower()
    return label in _PLACEHOLDER_LABELS or bool(
        re.search(r"\b(?:like|e\.g\.|tipo|come|como|ad esempio|por ejemplo)\s*:?\s*$", before)
    )


def _registrar(text: str, host: str) -> bool:
    """The host is where the domain is kept now, not the domain: "un dominio che adesso è
    registrato su Register.it", "registered with GoDaddy.com", "lo tengo en dondominio.com"."""
    before = text[: max(text.lower().find(host.lower()), 0)][-60:].lower()
    return bool(_KEPT_AT.search(before))


_KEPT_AT = re.compile(
    r"\b(?:registrat[oia]|registered|registrad[oa]s?|ospitat[oa]|hosted|alojad[oa]|gestit[oa]|"
    r"managed|tengo|tenemos|ho|abbiamo|have|si trova|sta|est[aá]|is|currently|attualmente|"
    r"adesso|ahora|now|da|from|desde)\b[^.;!?\n]{0,25}?"
    r"\b(?:su|presso|con|at|with|on|en|con|da|from|desde|by|via)\s+(?:il |el |the )?$"
)


def fill(
    case: Case,
    r: Reading,
    asked: str | None,
    hosted: Callable[[str], bool],
    smtp_host: str,
    at_summary: bool = False,
) -> list[str]:
    """Take what `r` says into `case`; return the names of the fields it filled or changed."""
    # (a correction in the customer's words: a bounce's "I'm sorry to have to inform you" is none)
    changes = at_summary or is_correction(without_error(r))
    reads_in = asked == "email_addresses" and r.program and READ_THERE.search(r.text)
    if reads_in and case.client is None and case.client_name is None:  # "the hotmail ones. I
        case.client, case.client_name = "both", r.program  # read my mail in Apple Mail and…"
        return ["client", "client_name"]
    if asked in VERBATIM_STATES and not (changes and asked in ("email_error", "details")):
        return []  # copied word for word, unless it corrects something said before
    if asked == "details":  # "Sorry, my mistake!! its t.rizzi@…": what follows the correction
        tail = after_correction(r.text)  # (not "…go to info@… instead? if not, never mind")
        tail = "" if tail == r.text else tail
        r = replace(
            r,
            addresses=tuple(a for a in r.addresses if _find(tail, a) >= 0),
            hosts=tuple(h for h in r.hosts if _find(tail, h) >= 0),
        )
    filled: list[str] = []

    def put(name: str, current: object, value: object) -> bool:
        if value is None or value == current or (current is not None and not changes):
            return False
        setattr(case, name, value)
        filled.append(name)
        return True

    topic = case.topic
    if topic in ("email", "mailbox_admin", "password") and asked not in MAILBOX_STATES:
        ours = [a for a in r.addresses if hosted(a)]
        if asked in EXAMPLE_STATES:
            ours = []  # the example's sender and recipient are the example's own
        if len(ours) > 1:  # "debe ser contabilidad@…, no contadora@…"
            ours = [a for a in ours if not _denied(r.text, a)] or ours
        if len(ours) > 1 and changes:  # "from sales@example.com, sorry, I mean sales@example.org"
            for fix in reversed(list(_CORRECTION.finditer(r.text))):  # ("perdona, antes puse
                after = r.text[fix.end() :].lower()  # x@… pero es y@…, me equivoqué de dominio")
                if said := [a for a in ours if a.lower() in after]:
                    ours = [max(said, key=lambda a: after.rfind(a.lower()))]
                    break
        rethought = changed_mind(r.text) if len(ours) > 1 else None
        if rethought is not None:  # "borrad marta@…, bueno no... una cuenta nueva: lucia@…"
            ours = [a for a in ours if _find(rethought, a) >= 0] or ours
        if len(ours) > 1:  # "...la de almacen@… NO hay que tocarla": not that one
            ours = [a for a in ours if not spared(r.text, a)] or ours
        if len(ours) > 1:  # "sara.longo@…. Se si può anche un alias s.longo@…": the alias is
            ours = [a for a in ours if not alias_before(r.text[: _find(r.text, a)])] or ours
        if topic == "mailbox_admin":  # "delete his mailbox; his mail should go to office@…"
            ours = [a for a in ours if not _FORWARD_TARGET.search(r.text[: _find(r.text, a)])]
        if len(ours) > 1 and topic == "mailbox_admin":  # "make her one, jean@…? Mine is bill@…"
            ours = [a for a in ours if not _MINE_IS.search(r.text[: _find(r.text, a)])] or ours
        if len(ours) > 1 and topic == "mailbox_admin":  # "…giulia.neri@…? Stesse impostazioni
            ours = [a for a in ours if not _MODEL_BEFORE.search(r.text[: _find(r.text, a)])] or ours
        if len(ours) > 1 and topic in ("email", "password"):  # "...payroll@… and hr@… are fine"
            ours = [a for a in ours if not fine_as_listed(r.text, a)] or ours
        if len(ours) > 1:  # "il problema riguarda solo amministrazione@…"
            one = [a for a in ours if _THE_ONE.search(r.text[: _find(r.text, a)])]
            ours = one if len(one) == 1 else ours
        if len(ours) > 1 and not changes:  # "per la casella ordini@… - esempio: da ordini@… a x@…"
            introduced = [a for a in ours if _MAILBOX_BEFORE.search(r.text[: _find(r.text, a)])]
            ours = introduced if len(introduced) == 1 else ours
        if len(ours) > 1 and topic == "email":  # "at info@… from anna@…": not the sender
            roles = _roles(r.text, ours)
            # ...but sending "desde pedidos@… a contabilidad@…", the sender is the mailbox
            own_role = {"send": "sender", "receive": "recipient"}.get(r.direction or "")
            mine = [a for a in ours if own_role and roles.get(own_role) == a]
            others_ = [a for a in ours if a not in roles.values()]
            ours = mine if len(mine) == 1 else others_ or ours
        own = [a for a in r.addresses if not hosted(a) and own_address(r.text, a)]
        if ours and own and asked is None and all(said_fine(r.text, a) for a in ours):
            ours = []  # "la mia casella x@libero.it non riceve; quella dell'ufficio va benissimo"
        failing = [a for a in r.addresses if not hosted(a) and _fails_by_name(r.text, a)]
        if ours and len(failing) == 1 and asked is None and _FINE.search(r.text):
            ours = []  # "info@… va perfecta, y una de gmail ... la que falla es la de gmail"
            put("mailbox", case.mailbox, failing[0])
        if len(ours) == 1:
            put("mailbox", case.mailbox, ours[0])
        elif (
            not ours
            and changes
            and case.mailbox is not None
            and len(r.addresses) == 1
            and asked not in EXAMPLE_STATES
            and (
                own_address(r.text, r.addresses[0])
                or named_mailbox(r.text, r.addresses[0], r.direction)
            )
        ):  # "ho sbagliato io, quella che non riceve è la mia personale, x@libero.it"
            put("mailbox", case.mailbox, r.addresses[0])
        elif not ours and case.mailbox is None and asked is None:
            own = [a for a in r.addresses if own_address(r.text, a)]
            if not own and len(r.addresses) == 1 and not r.error:
                own = [a for a in r.addresses if named_mailbox(r.text, a, r.direction)]
                if not own and not hosted(r.addresses[0]) and _HOSTED_ELSEWHERE.search(r.text):
                    own = list(r.addresses)  # "my client x@… isn't receiving; hosted at GoDaddy"
                if not own and _my_provider(r.text, r.addresses[0]):
                    own = list(r.addresses)  # "my gmail isn't receiving …, jean@gmail.com"
            elif not own and r.error:  # "la casella x@… non riceve, tornano indietro: <paste>"
                words = without_error(r)
                own = [a for a in addresses_in(words) if named_mailbox(words, a, r.direction)]
                if not addresses_in(
                    words
                ):  # a program's popup: 'the password of the account "x@…"'
                    own = [
                        a
                        for a in r.addresses
                        if _POPUP_ACCOUNT.search(r.error[: _find(r.error, a)])
                    ]
            if len(own) == 1:
                put("mailbox", None, own[0])  # another provider's: the path ends
    if topic in ("domain", "hosting", "dns_check") and asked not in DOMAIN_STATES:
        names = [
            h
            for h in r.hosts
            if not looks_like_smtp(h) and not _placeholder(r.text, h) and not _registrar(r.text, h)
        ]
        names += [a.rsplit("@", 1)[1] for a in r.addresses]
        # "spam on Gmail and Outlook.com ... check rossi-srl.example": ours first, then
        # any but the big mail providers the message names as the recipients' ones.
        names.sort(key=lambda n: 0 if hosted(f"x@{n}") else 2 if _free_mail(n) else 1)
        if topic == "domain":  # to register or bring over: not ours yet, and not an address's
            new = [h for h in r.hosts if not looks_like_smtp(h) and not hosted(f"x@{h}")]
            new = [h for h in new if not _placeholder(r.text, h) and not _registrar(r.text, h)]
            names = new + [n for n in names if n not in new]
        if len(names) > 1 and changes:  # "elrinconcito.es … en realidad es elrinconcitodepaco.es"
            tail = after_correction(r.text)
            said = [n for n in names if _find(tail, n) >= 0]
            names = said + [n for n in names if n not in said]
        if names:
            put("domain", case.domain, names[0])
    if topic != "email":
        return filled
    if case.direction is None and r.error and asked != "email_direction":
        bounced = rejected_in(r.error)  # whose address did the bounce reject? Ours: a sender
        if bounced and (r.direction is None or (hosted(bounced[0]) and _bounce_only_says(r))):
            r = replace(r, direction="receive" if hosted(bounced[0]) else "send")  # forwarded it
    if case.direction is None and r.direction is None and asked != "email_direction":
        ways = {way_of(r.text, a) for a in r.addresses if hosted(a)} - {None}
        if len(ways) == 1:  # "emails from info@… to gmail addresses are bouncing"
            r = replace(r, direction=ways.pop())
    if r.direction == "receive" and asked != "email_direction" and _TO_A_PARTY.search(r.text):
        ways = {way_of(r.text, a) for a in r.addresses if hosted(a)} - {None}
        if ways == {"send"}:  # "desde notaria@… no llegan los correos a un cliente concreto"
            r = replace(r, direction="send")
    if (
        asked != "email_direction"
        and case.direction in ("send", "receive")
        and r.direction == "both"
        and not changes
        and not _SELF_TEST.search(r.text)  # "me la sono mandata sul cellulare e non è arrivata"
    ):  # "...e adesso che ci guardo non mi arriva più niente neanche in entrata"
        case.direction = "both"
        filled.append("direction")
    elif (
        asked != "email_direction"
        and r.direction is not None
        and not (asked in EXAMPLE_STATES and case.direction is not None)
    ):  # (an example's "no wait... he sent it at 9:15" corrects the time, not the way)
        before = case.direction
        way: Direction | None = r.direction  # a correction changes the way only where it says
        if changes and before is not None and not at_summary:  # it: not "…the domain is .org"
            way = direction_in(after_correction(without_error(r)))
        if put("direction", case.direction, way) and way == "receive" and before:
            case.smtp_is_provider = None
    if asked != "email_smtp":
        put("smtp_is_provider", case.smtp_is_provider, smtp_answer(r, smtp_host))
    elif _BY_WEBMAIL.search(r.text):  # "its the webmail so yours i guess": webmail sends
        put("smtp_is_provider", case.smtp_is_provider, True)  # through our server
    if asked != "email_webmail" and r.webmail in ("fails", "works"):
        fails = r.webmail == "fails"
        if (
            case.webmail_fails is not None
            and fails != case.webmail_fails
            and _TRIED_AGAIN.search(r.text)
        ):  # "aspetti, ho riprovato adesso dalla webmail e le mail ci sono tutte": seen now
            case.webmail_fails = fails
            filled.append("webmail_fails")
        else:
            put("webmail_fails", case.webmail_fails, fails)
    if asked == "email_client" and r.program is not None and case.client == "both":
        put("client_name", case.client_name, r.program)  # "Outlook and webmail": both
    elif asked not in ("email_client", "email_client_name"):
        if r.program is not None:
            if put("client", case.client, "both") or case.client == "both":
                put("client_name", case.client_name, r.program)
        elif r.only_webmail and put("client", case.client, "webmail"):
            case.client_name = None
    if asked not in EXAMPLE_STATES and r.error is not None:
        put("error_text", case.error_text, r.error)
    if case.client == "webmail":  # webmail only: it fails there, and it sends through us
        put("webmail_fails", case.webmail_fails, True)
        if case.direction in ("send", "both"):
            put("smtp_is_provider", case.smtp_is_provider, True)
    if at_summary and _REST_IS_RIGHT.search(r.text):
        r = replace(r, only_some=None)  # "…, il resto è giusto" speaks of the summary
    if asked in ("email_scope", "email_addresses") and r.only_some and _THAT_ONE.search(r.text):
        if party := _example_party(case):  # "just that one, the others went ok": the example's
            put("addresses_limited", case.addresses_limited, True)
            put("addresses", case.addresses, party)
    elif asked not in ("email_scope", "email_addresses") and r.only_some is not None:
        named = others(r, hosted) if r.only_some else ""
        sentence = _sentence_with_only(r.text) if r.only_some else ""
        if named and r.error and _SOME_OF_THEM.search(without_error(r)):
            words = without_error(r)  # "a algunos proveedores" and a bounce for one: which?
            told = replace(r, text=words, error=None, addresses=tuple(addresses_in(words)))
            named = others(told, hosted)
        if named or sentence:  # "only external recipients" is searchable; "only the bank": which?
            kind = sentence if _KIND.search(sentence) else None
            put("addresses_limited", case.addresses_limited, True)
            put("addresses", case.addresses, named or kind)
        elif r.only_some is False and put("addresses_limited", case.addresses_limited, False):
            case.addresses = None
    return filled


# A message sent to oneself to try: it did not arrive, but that says sending, not both ways.
_SELF_TEST = re.compile(
    r"\b(?:me l[ao] sono mandat[ao]|me l[ao] sono inviat[ao]|l'ho mandata a me stess[ao]|"
    r"mandat[ao] a me stess[ao]|inviat[ao] a me stess[ao]|sent (?:one|it|a test|an email) to "
    r"myself|sent myself|emailed myself|me lo (?:mand[eé]|envi[eé]) a m[ií] mism[oa]|"
    r"me (?:mand[eé]|envi[eé]) uno|me lo mand[eé]|probamos a mandarnos|"
    r"mandarme uno a m[ií] mism[oa])\b",
    re.IGNORECASE,
)


# Sending from webmail, said to "do you send through our SMTP server?".
_BY_WEBMAIL = re.compile(
    r"\b(?:it'?s|its|is|è|e'|es|just|only|solo|s[oó]lo|i use|uso|usiamo|usamos|from|dalla|desde|"
    r"con|with|through|via|by)\s+(?:the |la |el |il )?web ?mail\b(?!\s+(?:is|va|works?)\b)",
    re.IGNORECASE,
)


# The party of the example already told, pointed at: "just that one", "solo quello".
_THAT_ONE = re.compile(
    r"\b(?:(?:just|only) (?:that|this) (?:one|address|person|recipient|sender)|(?:just|only) "
    r"(?:that|this) one|that one only|(?:just|only) (?:him|her|them|that client|this client)|"
    r"solo (?:con |a |da |verso )?(?:quell[oa]|quest[oa]|quell'indirizzo|lui|lei|loro|"
    r"(?:questo|quel) (?:cliente|fornitore|indirizzo))|"
    r"s[oó]lo (?:con |a |de )?(?:ese|esa|este|esta|[eé]l|ella|ellos)(?: direcci[oó]n| cliente| "
    r"proveedor)?|[uú]nicamente (?:ese|esa))\b",
    re.IGNORECASE,
)


def _example_party(case: Case) -> str:
    """The other party of the example message told so far, or ""."""
    example = case.examples[0] if case.examples else case.draft
    if example is None:
        return ""
    mine = (case.mailbox or "").lower()
    parties = [a for a in (example.sender, example.recipient) if a and a.lower() != mine]
    return parties[0] if parties else ""


# Several parties, one of them in the bounce pasted: "no puedo enviar a algunos proveedores".
_SOME_OF_THEM = re.compile(
    r"\b(?:alcuni|alcune|certi|certe|algunos|algunas|ciertos|ciertas|some|certain|several|"
    r"diversi|diverse|varios|varias)\s+(?:de\s+(?:mis|nuestros|nuestras)\s+|dei\s+|of\s+(?:my|our)"
    r"\s+|(?:miei|nostri|mie|nostre|my|our)\s+)?(?:clienti|fornitori|destinatari|indirizzi|"
    r"clientes|proveedores|destinatarios|direcciones|clients|customers|suppliers|recipients|"
    r"addresses|contatti|contactos|contacts)\b",
    re.IGNORECASE,
)


# The rest of the summary is right: "il resto è giusto", "everything else is correct".
_REST_IS_RIGHT = re.compile(
    r"\b(?:il resto|tutto il resto|the rest|everything else|all the rest|lo dem[aá]s|el resto|"
    r"todo lo dem[aá]s|todo lo otro)\W+(?:(?:is|'s|è|e'|es|est[aá]|va|looks|sembra|parece)\s+)?"
    r"(?:all\s+|tutto\s+|todo\s+)?(?:giusto|corretto|ok|okay|bene|right|correct|fine|good|bien|"
    r"correcto|perfecto|perfetto|perfect)\b",
    re.IGNORECASE,
)


# Addresses named by their kind, which a technician can search for: "only external
# recipients". A party named without its address ("only the bank") is asked for.
_KIND = re.compile(
    r"\b(external|outside|esterni|esterne|esterno|fuori|de fuera|externos|externas|externo|"
    r"other domains?|altri domini|otros dominios|internal|interni|interne|internos|internas|"
    r"inside the company|dentro l'azienda|dentro la empresa|large|big|grandi|grandes|"
    r"foreign|estero|extranjero|abroad|all'estero|al extranjero)\b",
    re.IGNORECASE,
)
_ONLY_CUE = re.compile(
    r"\b(only|just|solo|s[oó]lo|soltanto|solamente|except|excepto|tranne|eccetto|salvo|"
    r"menos|external|esterni|de fuera|fuori|fuera|outside|altri|altre|others|other|dem[aá]s|"
    r"resto|rest|"
    r"else)\b",
    re.IGNORECASE,
)


def _sentence_with_only(text: str) -> str:
    """Return the customer's own words for which addresses: the sentence that says "only"."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        if _ONLY_CUE.search(sentence):
            return sentence.strip()[:300]
    return ""


_REJECTED = re.compile(
    r"<([^<>\s]+@[^<>\s]+)>\s*:(?!\s*sender\b)|"  # (not "<x@…>: Sender address rejected")
    r"(?:recipients?|destinatari\w*|the following)[^@\n]{0,60}\n?"
    r"\s*(?<![\w.+-])([^\s<>:;]+@[^\s<>:,;]+)",
    re.IGNORECASE,
)


# A mailbox named only to say it must stay as it is.
_SPARED = re.compile(
    r"\b(?:no (?:hay|hace falta) (?:que|q) toc\w*|no (?:la |lo |las |los )?toqu\w*|"
    r"non (?:va |vanno |la |lo |le |li )?tocca\w*|non toccate|non toccare|"
    r"(?:don'?t|do not|please don'?t) (?:touch|delete|remove|change)|leave (?:it|that|this)|"
    r"(?:la|lo) seguimos usando|(?:la|lo) usiamo ancora|we still use|still in use|"
    r"(?:deve|debe) (?:restare|quedar)|must stay|should stay|not that one|non quella|no esa|"
    r"sigue igual|se queda (?:igual|como est[aá])|queda igual|stays (?:the same|as it is)|"
    r"rimane (?:cos[iì]|uguale|com'[eè])|resta (?:cos[iì]|uguale|com'[eè])|"
    r"ya (?:la |lo )?tenemos|(?:l'|la |lo )?abbiamo gi[aà]|we already have|"
    r"(?:i|we) (?:want to |would like to )?keep|da tenere|(?:la|lo) teniamo|(?:la|lo) tengo|"
    r"(?:la|lo) dejamos|"
    # "His own is ken@… and that one stays", "quella resta", "esa se queda"
    r"(?:that one|this one|it|quella|questa|esa|esta|ese|este)\s+(?:stays|remains|resta|rimane|"
    r"se queda|sigue)\b(?!\s+(?:down|off|empty|vuot|cos[iì]\s+non))|"
    r"(?:he|she|we|i)(?:'d| would)? (?:like to |wants to |want to )?keep (?:it|that|this|his|her)|"
    r"(?:his|her|their|my) own (?:one )?(?:is|è|es))",
    re.IGNORECASE,
)


_DENIED = re.compile(
    r"(?:\b(?:no|not|non|nicht|instead of|rather than|invece di|al posto di|en vez de|"
    r"en lugar de)|\bnon (?:è|e'|era)|\bno (?:es|era)|\bnot|isn'?t)[\s:]*$",
    re.IGNORECASE,
)


def _denied(text: str, address: str) -> bool:
    """Tell whether `address` is named only to be denied: "..., no contadora@…"."""
    at = _find(text, address)
    return at >= 0 and bool(_DENIED.search(text[max(0, at - 20) : at]))


def _free_mail(domain: str) -> bool:
    name = domain.lower().rsplit(".", 1)[0]
    return name in gazetteer().free_mail or domain.lower() in gazetteer().free_mail


_FINE = re.compile(
    r"\b(?:va|vanno|funziona\w*|works?|working|is|are|va|funciona\w*|anda|andan|est[aá]n?|"
    r"sono|son|van)\s+"
    r"(?:benissimo|bene|bien|fine|perfectly|perfettamente|normalmente|normally|ok|okay|"
    r"perfecta|perfecto|perfetta|perfetto|de maravilla|alla grande|great|"
    r"sin problemas?|senza problemi|a la perfecci[oó]n)\b|\bno problems?\b|"
    r"\bnessun problema\b|\bning[uú]n problema\b|\bsin problemas?\b|\bsenza problemi\b|"
    r"\bwithout (?:any )?problems?\b",
    re.IGNORECASE,
)
# ...and of one address, in its own sentence: "yo con javier@… envío bien", "paolo@… ma quella va"
_WORKS_FOR_IT = re.compile(
    r"\b(?:env[ií]o|mando|recibo|ricevo|invio|sends?|receives?|ricevono|ricevo|arrivano|arriva|"
    r"llegan?|arrives?|entran?|salen?)\s+(?:bien|bene|fine|ok|okay|normalmente|regolarmente|"
    r"normally|sin problemas?|senza problemi|perfectamente|perfettamente)\b|"
    r"\b(?:quella|quello|questa|questo|esa|ese|esta|este|that one|this one|mine|la mia|"
    r"la m[ií]a|el m[ií]o)\s+(?:s[ií]\s+)?(?:va|funziona|works|funciona|anda)\b",
    re.IGNORECASE,
)


def fine_as_listed(text: str, address: str) -> bool:
    """Tell whether `address` works, said of it or of the list it is in ("payroll@… and
    hr@… use identical settings and are fine")."""
    if said_fine(text, address):
        return True
    at = _find(text, address) + len(address)
    for other in addresses_in(text[at:]):
        between = text[at : _find(text, other)]
        if not re.fullmatch(r"\s*(?:,|and|y|e|ed|i|&)\s*", between, re.IGNORECASE):
            return False
        if said_fine(text, other):
            return True
        at = _find(text, other) + len(other)
    return False


# The customer's own address, said as theirs: "Mine is bill@…", "la mia è …".
_MINE_IS = re.compile(
    r"\b(?:mine is|mine's|la mia [eè]|il mio [eè]|el m[ií]o es|la m[ií]a es|my own is|"
    r"my (?:own )?(?:address|e-?mail|mailbox) is|la mia (?:mail|casella) [eè]|"
    r"il mio indirizzo [eè]|mi (?:correo|direcci[oó]n|buz[oó]n) es|"
    # "…instead of emailing me directly at amy@…", "scrivono a me su anna@…"
    r"(?:email(?:ing)?|writ(?:e|ing) to|contact(?:ing)?|mail(?:ing)?) me(?: directly| personally)?"
    r" (?:at|on)|(?:a me|scrivermi|scrivendomi|escribirme|escribi[eé]ndome)"
    r"(?: direttamente| directamente)? (?:su|a|al|en))\s*:?\s*$",
    re.IGNORECASE,
)
# Where a closed mailbox's mail is to go: not the mailbox to close.
_FORWARD_TARGET = re.compile(
    r"\b(?:(?:should|must|can|to|will|could) (?:go|be forwarded|be redirected|be sent) to|"
    r"forward(?:ed|ing)? (?:it |them |everything |all )?to|redirect(?:ed)? (?:it |them )?to|"
    r"(?:vada|vadano|finisca|finiscano|arrivi|arrivino) (?:a|ad|su|in)|"
    r"(?:inoltrat\w*|girat\w*|reindirizzat\w*|inoltrare|girare|reindirizzare)(?: tutto| le mail)?"
    r" (?:a|ad|su|verso)|"
    r"(?:vaya|vayan|llegue|lleguen|pase|pasen) (?:a|al)|"
    r"(?:reenviad\w*|redirigid\w*|reenviar|redirigir|reenv[ií]en|redirijan)(?: todo| los correos)?"
    r" (?:a|al|hacia))\s*:?\s*$",
    re.IGNORECASE,
)
# A mailbox named as the model of the new one: "stesse impostazioni di amministrazione@…".
_MODEL_BEFORE = re.compile(
    r"\b(?:stesse impostazioni (?:di|della)|come|like|same (?:settings )?as|igual que|como|"
    r"uguale a|copia di|copy of|mismas? (?:configuraci[oó]n|ajustes) que|as for)\s*"
    r"(?:la |el |the )?(?:casella |buz[oó]n |cuenta |mailbox )?$",
    re.IGNORECASE,
)
# The one mailbox of several that has the problem: "il problema riguarda solo amministrazione@…".
_THE_ONE = re.compile(
    r"\b(?:(?:il )?problema (?:riguarda|[eè]|c'[eè]) (?:solo )?(?:con |su |per |nella |la )?|"
    r"(?:the )?problem is (?:only )?(?:with |on )?|(?:el )?problema es (?:solo )?(?:con |en |de )?|"
    r"only|solo|s[oó]lo|soltanto|just)\s*$",
    re.IGNORECASE,
)


_SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n")
_PART_END = re.compile(r"[,;:]|\s(?:and|but|e|ma|y|pero)\s")


def _sentence_of(text: str, address: str) -> str:
    """Return the sentence of `text` that names `address`, or "".

    A sentence that names another address too is cut between them: "ventas@… para la
    chica nueva, ya tenemos pedidos@… y ese sigue igual" says nothing of ventas@….
    """
    at = _find(text, address)
    if at < 0:
        return ""
    end_of = at + len(address)
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)
    end = next((m.start() for m in _SENTENCE_END.finditer(text, end_of)), len(text))
    for other in addresses_in(text[start:end]):
        where = _find(text, other)
        if other.lower() == address.lower() or where < start:
            continue
        if where >= end_of:  # after it: up to the last break before the other one
            cuts = [m.start() for m in _PART_END.finditer(text, end_of, where)]
            end = min(end, cuts[-1] if cuts else where)
        elif where + len(other) <= at:  # before it: from the last break after the other one
            cuts = [m.end() for m in _PART_END.finditer(text, where + len(other), at)]
            start = max(start, cuts[-1] if cuts else where + len(other))
    return text[start:end]


def _fails_by_name(text: str, address: str) -> bool:
    """Tell whether `text` says the account of a free mail provider is the one that fails.

    "la gmail invece da ieri non scarica piu niente", "La que falla es la de gmail": the
    provider named (not the address) in a clause that fails, and no hosted address in it.
    """
    name = address.rsplit("@", 1)[1].split(".")[0].lower()
    if not _free_mail(address.rsplit("@", 1)[1]):
        return False
    named = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
    return any(
        named.search(clause) and not addresses_in(clause) and _FAILS_IN.search(clause)
        for clause in re.split(r"[.;!?\n]|,\s*(?:y|e|and|pero|ma|but)\b", text)
    )


# A clause that says something does not work: "non scarica piu niente", "la que falla".
_FAILS_IN = re.compile(
    r"\b(?:non|nn|no|doesn'?t|does not|won'?t|can'?t|cannot|isn'?t|not)\s+(?:\w+\s+){0,2}?"
    r"(?:scarica|riceve|arriva|funziona|va|descarga|recibe|llega|funciona|anda|download\w*|"
    r"receiv\w*|work\w*|sync\w*)|\b(?:falla|fails|failing|fallisce|quella che non|la que no)\b|"
    r"\b(?:stopped|ha smesso di|smesso di|dej[oó] de|ha dejado de|ya no)\s+(?:\w+\s+)?"
    r"(?:download\w*|receiv\w*|work\w*|sync\w*|scaric\w*|ricev\w*|funzion\w*|descarg\w*|"
    r"recib\w*|funcion\w*|llega\w*|arriv\w*)",
    re.IGNORECASE,
)


def said_fine(text: str, address: str) -> bool:
    """Tell whether the sentence naming `address` says it works ("..., va benissimo")."""
    if _FINE.search(_sentence_of(text, address)):
        return True
    at = _find(text, address)
    if at < 0:
        return False
    start = max(text.rfind(mark, 0, at) for mark in ".;:,!?\n") + 1
    stops = [i for mark in ".;:,!?\n" if (i := text.find(mark, at + len(address))) >= 0]
    return bool(_WORKS_FOR_IT.search(text[start : min(stops) if stops else len(text)]))


def spared(text: str, address: str) -> bool:
    """Tell whether the sentence naming `address` says to leave it alone."""
    return bool(_SPARED.search(_sentence_of(text, address)))


def rejected_in(error: str) -> list[str]:
    """Return the address a pasted bounce says was refused ("<x@y>: host ... said")."""
    return [a for m in _REJECTED.finditer(error) for a in addresses_in(m[1] or m[2] or "")]


_CONFIGURED = re.compile(
    rf"(?:{OUTGOING_SERVER}|(?:^|\n|,)\s*(?:server|servidor|nome server|server name|outgoing|smtp|"
    r"salida|uscita|in uscita|posta in uscita)(?=\s*:)|"
    r"\b(?:server|servidor)(?=\s*[\"'“«]|\s+smtp[\w-]*\.))"  # Mac: 'el servidor "smtp.…"'
    r"\s*(?:\(smtp\))?\s*:?\s*[\"'“«]?([a-z0-9-]+(?:\.[a-z0-9-]+)+)",  # "Servidor: smtp.…" too
    re.IGNORECASE,
)


def written_by_us(r: Reading, smtp_host: str) -> bool:
    """Tell whether a pasted bounce was written by one of the provider's servers ("This is the
    mail system at host smtp.example.net"): the customer's mail went through us."""
    ours = smtp_host.lower()
    site = ours.split(".", 1)[-1]
    return any(
        h.lower() == ours or h.lower().endswith(f".{site}") for h in _WRITTEN_BY.findall(r.text)
    )


def smtp_answer(r: Reading, smtp_host: str) -> bool | None:
    """Return whether the message says the customer sends through our SMTP server."""
    # The hosts of a pasted bounce are not the customer's settings, but the outgoing server
    # a mail program's error names is: "...connection to Outgoing server (SMTP) smtp.x was lost".
    own = (r.text if r.error and said_by_customer(r.error) else without_error(r)).lower()
    configured = {h.lower() for h in _CONFIGURED.findall(r.error or "")}
    servers = [h for h in r.hosts if looks_like_smtp(h) and (h in own or h in configured)]
    ours = smtp_host.lower()
    if ours in servers and _NEVER_BEFORE.search(own[: own.find(ours)][-40:]):
        servers.remove(ours)  # "the outgoing server is smtp.vodafone.it, we never used smtp.…",
        # "non passiamo da smtp.example.net:" (and the paste shows the relayhost)
    if len(servers) > 1 and is_correction(own):  # "smtp.example.net.. no aspetta, c'e scritto
        tail = after_correction(own)  # out.alice.it": the one said after
        servers = [h for h in servers if h in tail] or servers
    if ours in servers:
        return True
    if servers:
        return False
    if written_by_us(r, smtp_host):
        return True  # a bounce our server wrote: "This is the mail system at host smtp.…"
    if r.error and re.search(
        rf"\b(?:su|on|at|via|tramite|en|con|from|da|desde|server|servidor|for|per|para)\s+"
        rf"{re.escape(ours)}\b",
        r.error,
        re.IGNORECASE,
    ):
        return True  # "535 5.7.8 authentication failed su smtp.example.net da stamattina"
    through = {
        h.lower().split(":")[0].strip("[]")
        for h in (*_SENT_BY.findall(r.text), *_AS_SMARTHOST.findall(r.text))
    }
    if through:  # a test against a server ("openssl s_client -connect smtp.example.net:465"),
        # a setting listed ("- SMTP smtp.example.net:465 SSL", "relayhost = [smtp.x.it]:587")
        return ours in through
    for sentence in re.split(r"[.;!?\n]+", own):  # "smtp de movistar", but not "cambiamos
        words = f" {' '.join(_WORD.findall(sentence))} "  # de Movistar a Digi... Error SMTP"
        if _SERVER_WORDS.search(sentence) and any(f" {n} " in words for n in gazetteer().isps):
            return False
    if _YOUR_SERVER.search(own) and not _NOT_YOUR_SERVER.search(own):
        return True  # "yes I use your smtp server", "uso il vostro server di posta in uscita"
    if _NO_OTHER_SERVER.search(own):
        return True  # "I suppose so, we don't have any other server"
    return None


# The server a paste shows the message went through, or was tried against.
_WRITTEN_BY = re.compile(
    r"(?:mail system at host|reporting-mta:\s*dns;)\s*([\w.-]+\.[a-z]{2,})", re.IGNORECASE
)
_SENT_BY = re.compile(
    r"(?m:(?:s_client\s+-connect|-connect|telnet|swaks\b.*?--server|"
    r"^\W*smtp|relayhost\s*=|smarthost|relay=)\s*\[?"
    r"([\w.-]+\.[a-z]{2,}(?:\]?:\d+)?))",
    re.IGNORECASE,
)


_AS_SMARTHOST = re.compile(
    r"\b([\w.-]+\.[a-z]{2,})(?::\d+)?\s+(?:como|as|as a|as the|come|como el)\s+"
    r"(?:smarthost|relay ?host|relay)\b",
    re.IGNORECASE,
)


_NO_OTHER_SERVER = re.compile(
    r"\b(?:(?:we|i) (?:don'?t|do not) have (?:any )?(?:other|another) (?:mail )?server|"
    r"non (?:abbiamo|ho) altri server|no (?:tenemos|tengo) otro servidor)\b",
    re.IGNORECASE,
)


# Our outgoing server named as "yours", in the customer's own words.
_YOUR_OUTGOING = (
    r"(?:your|vostro|vuestro|su)\s+(?:own\s+)?(?:smtp|outgoing(?:\s+mail)?\s+server|"
    r"mail\s+server\s+to\s+send|server\s+(?:smtp|di\s+posta\s+in\s+uscita|in\s+uscita|"
    r"della\s+posta\s+in\s+uscita)|servidor\s+(?:smtp|de\s+(?:correo\s+)?salida|saliente))"
)
_YOUR_SERVER = re.compile(rf"\b{_YOUR_OUTGOING}", re.I)
_NOT_YOUR_SERVER = re.compile(
    rf"(?:\b(?:not|never|non|no|nunca|mai|instead\s+of|invece\s+del?|en\s+vez\s+del?)\b|n'?t\b)"
    rf"(?:\s+\S+){{0,4}}\s+{_YOUR_OUTGOING}",
    re.I,
)


# Our server named only to say it is not the one used: "we never used smtp.example.net".
_NEVER_BEFORE = re.compile(
    r"\b(?:never|not|don'?t|didn'?t|no|non|nn|nunca|mai|jam[aá]s)\b(?:\s+\w+){0,3}\s+$|"
    r"\b(?:instead of|invece di|en vez de|en lugar de|al posto di|rather than|not)\s+$"
)

_WORD = re.compile(r"[\w.]+")


def others(r: Reading, hosted: Callable[[str], bool]) -> str:
    """Return the addresses, domains or providers a message names besides ours."""
    names = [a for a in r.addresses if not hosted(a)]
    own = without_error(r).lower()  # not a bounce's hosts
    if r.error:  # nor the hosts the error names ("blocked using zen.spamhaus.org"), typed inline
        own = own.replace(r.error.lower(), " ")
    names += [
        h
        for h in r.hosts
        if not looks_like_smtp(h)
        and not _MAIL_ACCESS.match(h)  # "dalla webmail (webmail.example.net)": a place
        and not hosted(f"x@{h}")
        and h.lower() in own
    ]
    words = " " + " ".join(_WORD.findall(r.text.lower())) + " "
    known = gazetteer()
    names += [
        known.free_mail_domains.get(n, n)  # "people with Gmail": gmail.com
        for n in known.free_mail
        if f" {n} " in words
        and not any(n in x for x in names)
        and not re.search(
            rf" (?:{n} (?:app|application|applicazione)|(?:app|l'app|applicazione|"
            rf"aplicaci[oó]n) (?:di |de |del |of )?{n}) ",
            words,
        )  # a program
    ]
    if r.error and (m := _REPORTING_MTA.search(r.error)) and not hosted(f"x@{m[1]}"):
        party = _SERVER_LABEL.sub("", m[1].lower())  # the bounce their own server wrote
        if not any(party in x for x in names):
            names.append(party)
    return ", ".join(dict.fromkeys(names))


_MAIL_ACCESS = re.compile(r"(?:webmail|imap|pop3?|owa|autodiscover)\d*\.", re.I)
_REPORTING_MTA = re.compile(r"^\s*Reporting-MTA:\s*dns;\s*([\w.-]+\.[a-z]{2,})", re.I | re.M)
_SERVER_LABEL = re.compile(r"^(?:mail|smtp|mx|mta|out|outbound|relay)\d*\.")


_SUBJECT = re.compile(
    r"\b(?:oggetto|subject|asunto|titolo|t[ií]tulo|ogg\.|subj\.|obj\.)(?!\w)\s*"
    # "l'oggetto esatto era '…'", "the subject line was actually …"
    r"(?:(?:esatto|exact|correct|corretto|giusto|vero|real|right|exacto|correcto|preciso|line)"
    r"\s+)?"
    r"(?:(?:[:=]|era|was|is|es|è|e'|e|de|del|would be|sarebbe|ser[ií]a)(?!\w))?\s*"
    r"(?:(?:actually|really|in realtà|en realidad|invece|then|quindi)(?!\w)\s*:?\s*)?"
    r"(?:[\"\u201c\u00ab'\u2018]([^\"\u201d\u00bb'\u2019\n]{1,200})[\"\u201d\u00bb'\u2019]|"
    r"((?:(?:re|r|fwd?|i|rv|tr|aw|wg)\s?:\s*)?[^,.;:!?\n]{1,120}))",  # (with its "Re: ")
    re.IGNORECASE,
)


# When the problem began, not when a message was sent: "da ieri pomeriggio verso le 4, ...".
# When something comes every day, not when the example was sent: "la mail della banca che
# arriva ogni mattina alle 7", "the newsletter that comes every Monday at 9".
_HABITUAL = re.compile(
    r"\b(?:ogni|every|cada|tutte le|tutti i|todas las|todos los)\s+(?:\w+\s+){0,1}?"
    r"(?:mattin[ae]|morning|ma[nñ]anas?|giorn[oi]|day|d[ií]as?|ser[ae]|evenings?|tardes?|noches?|"
    r"nott[ei]|night|week|settimana|semana|luned[iì]|monday|lunes|luned)\b[^,.;\n]*",
    re.IGNORECASE,
)
_SINCE = re.compile(
    r"\b(?:da|dal|dalla|dalle|desde|since|ever since|a partire da|starting)\s+(?:~|about |circa "
    r"|verso |le |las |around |tipo |like |roughly |sobre las |hacia las |intorno alle )?"
    r"(?:ieri|l'altro ieri|stamattina|stamatina|sta mattina|stamani|stamane|stanotte|oggi|"
    r"stasera|luned|marted|mercoled|"
    r"gioved|venerd|sabato|domenica|ayer|anoche|anteayer|esta|hoy|el lunes|el martes|"
    r"el mi[eé]rcoles|el jueves|el viernes|el s[aá]bado|el domingo|yesterday|this|today|"
    r"last|monday|tuesday|wednesday|thursday|friday|saturday|sunday|le |las |\d|"
    r"the day before yesterday|antes de ayer|antier|avantieri)"
    r"[^,.;\n]*?(?=\s+(?:eg|e\.g\.|for example|for instance|ad esempio|per esempio|"
    r"por ejemplo|p\.ej\.)\b|[,.;\n]|$)",
    re.IGNORECASE,
)
_SYSTEM = re.compile(r"^(mailer-daemon|postmaster|no-?reply-?bounce|bounces?)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned to sender|returned mail|delivery status|delivery failure|"
    r"mail delivery failed|non recapitabil|mancato recapito|no se puede entregar|"
    r"no entregado|failure notice",
    re.I,
)


# A subject corrected: "el asunto no era ese, era …", "the subject wasn't that, it was …".
_NOT_THAT_SUBJECT = re.compile(
    r"\b(?:asunto|oggetto|subject)\s+(?:no era|non era|no es|non [eè]|wasn'?t|was not|isn'?t|"
    r"is not|is wrong|was wrong|[eè] sbagliato|era sbagliato|est[aá] mal|estaba mal|"
    r"es incorrecto)\s*(?:ese|eso|quello|questo|that|this|it|correct|giusto|correcto|right)?"
    r"\s*[,;:]?\s*"
    r"(?:sino|ma|but|pero)?\s*(?:era|was|es|[eè]|is|it was|it'?s)\s+",
    re.IGNORECASE,
)


def subject_in(text: str) -> str | None:
    """Return the subject a message names ("con oggetto “Fattura 42”"), not a bounce's own."""
    if wrong := _NOT_THAT_SUBJECT.search(text):  # "el asunto no era ese, era Pedido 47"
        text = f"{text[: wrong.start()]} subject: {text[wrong.end() :]}"
    m = next((m for m in _SUBJECT.finditer(text) if not _BOUNCE_SUBJECT.search(m[0])), None)
    if m is None:
        last = _LAST_ONE_TITLED.search(text) or _DOCUMENT_SENT.search(text)
        return last["title"].strip() if last else None  # "ultima che aspettavo: Estratto
        # conto ottobre, mandata da noreply@…", "i sent invoice 5521 to payables@…"
    subject = (m[1] or m[2] or "").strip()
    if m[2]:  # unquoted: up to the next words that are not the subject's
        subject = re.split(
            r"\s(?:e|and|y|ma|but|pero|che|que|that|which|il|el|on|del|inviat\w*|sent|enviad\w*|"
            r"alle|at|a las|ieri|yesterday|ayer|oggi|today|hoy)\s",
            f"{subject} ",
            maxsplit=1,
        )[0].strip()
    return subject or None


# An example named by its title after a colon, then who sent it: "l'ultima che aspettavo:
# Estratto conto ottobre, mandata da …", "the last one: Order 5521, sent by …".
_LAST_ONE_TITLED = re.compile(
    r"\b(?:ultima|ultimo|last one|the last|latest|el [uú]ltimo|la [uú]ltima|[uú]ltimo|[uú]ltima)"
    r"\b[^:\n]{0,30}:\s*(?P<title>[^,.;:!?\n@]{3,80}?)\s*,?\s+(?:mandat\w*|inviat\w*|spedit\w*|"
    r"arrivat\w*|sent|emailed|from|enviad\w*|mandad\w*|de parte)\b",
    re.IGNORECASE,
)


# A numbered document sent, which names the message: "yesterday at 10 i sent invoice 5521 to …".
_DOCUMENT_SENT = re.compile(
    r"\b(?:sent|emailed|mailed|inviat[oaie]|mandat[oaie]|spedit[oaie]|ho (?:inviato|mandato)|"
    r"envi[eé]|mand[eé]|enviad[oa]s?|mandad[oa]s?)\s+(?:them |him |her |le |gli |les? )?"
    r"(?:(?:to |a )?[\w.+-]+@[\w.-]+\s+)?"  # "i sent orders@kentpaper.example PO 7781"
    r"(?:the |an? |our |my |la |il |l'|el |un |una |lo |nuestra |nuestro |la nostra |il nostro )?"
    r"(?P<title>(?:invoice|quote|quotation|order|offer|estimate|fattura|preventivo|offerta|"
    r"po|p\.o\.|purchase order|ddt|bolla|"
    r"ordine|ordinativo|factura|presupuesto|pedido|oferta|albar[aá]n|contratto|contrato|"
    r"contract)\s+(?:n\.?\s?|no\.?\s?|nr\.?\s?|n[uú]m(?:ero)?\.?\s?|#\s?)?"
    r"[\w/-]*\d[\w/-]*)",
    re.IGNORECASE,
)


_HEADER = re.compile(
    r"^\s*(from|to|subject|date|sent|da|a|oggetto|data|inviato|de|para|asunto|fecha|enviado|"
    r"mittente|remitente|destinatario|inviato il|enviado el)"
    r"\s*:\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_ROLES = {
    "from": "sender", "da": "sender", "de": "sender",
    "to": "recipient", "a": "recipient", "para": "recipient",
    "subject": "subject", "oggetto": "subject", "asunto": "subject",
    "date": "sent_at", "sent": "sent_at", "data": "sent_at", "inviato": "sent_at",
    "fecha": "sent_at", "enviado": "sent_at", "mittente": "sender", "remitente": "sender",
    "destinatario": "recipient", "inviato il": "sent_at", "enviado el": "sent_at",
}  # fmt: skip


def headers_in(text: str, when: Callable[[str | datetime], str | None]) -> dict[str, str]:
    """Read a pasted message's header lines (From:, To:, Subject:, Date:)."""
    found: dict[str, str] = {}
    for m in _HEADER.finditer(text):
        role, value = _HEADER_ROLES[m[1].lower()], m[2]  # the last one: a bounce quotes
        # its own headers first, then the original message's
        if role in ("sender", "recipient"):
            addresses = addresses_in(value)
            if addresses:
                found[role] = addresses[0]
        elif role == "subject":
            found[role] = value
        else:
            try:
                moment = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                moment = None
            iso = when(value if moment is None or moment.tzinfo is None else moment)
            if iso:
                found[role] = iso
    return found


def pasted_example(text: str, when: Callable[[str | datetime], str | None]) -> Example | None:
    """The example a pasted message gives by its header lines (a bounce quotes the original's
    last): at least three of them, with its sender and its recipient."""
    pasted = headers_in(text, when)
    original = "subject" in pasted and not _BOUNCE_SUBJECT.search(pasted["subject"])
    if (
        original
        and "recipient" not in pasted
        and "sender" not in pasted
        and (refused := rejected_in(text))
    ):
        pasted["recipient"] = refused[0]  # Outlook's "The following recipient(s) cannot be
        pasted["sender"] = ""  # reached: x@… on 19/11/2026": the customer's own message
    if len(pasted) < 3 or "sender" not in pasted or "recipient" not in pasted:
        return None
    if pasted["sender"] and _SYSTEM.match(pasted["sender"]):  # a bounce's own headers: it
        sender = pasted["recipient"]  # went back to the sender, from whom it refused
        refused = [a for a in rejected_in(text) if a.lower() != sender.lower()]
        return Example(
            sender=sender,
            recipient=refused[0] if refused else "",
            sent_at=pasted.get("sent_at", ""),
        )
    return Example(
        sender=pasted["sender"],
        recipient=pasted["recipient"],
        subject=pasted.get("subject"),
        sent_at=pasted.get("sent_at", ""),
    )


# The one that should have come, not the last that did: "l'ultima che doveva arrivare".
_SHOULD_HAVE = re.compile(
    r"\b(?:doveva|dovevano|avrebbe dovuto|should have|was supposed to|were supposed to|"
    r"deb[ií]a|deb[ií]an|ten[ií]a que|ten[ií]an que|aspettavo|esperaba|i was expecting)\b",
    re.IGNORECASE,
)


# The last mail that did arrive: "last email in it is from yesterday about 6pm".
_LAST_GOOD = re.compile(
    r"\b(?:last|latest|ultim[ao]|[uú]ltim[oa])\b(?:(?!\bno\b|\bnon\b|\bnot\b|n't)[^.,;]){0,30}?"
    r"\b(?:arriv\w*|receiv\w*|got|"
    r"in (?:it|the inbox)|ricevut\w*|arrivat\w*|lleg[oó]|recibid\w*|entr[oó]|in (?:arrivo|posta)|"
    r"que hay|che c'[eè]|there is|i have|tengo|aparece)|"
    r"\blast (?:e-?mail|mail|message)(?: in (?:it|there|the inbox)| there)? (?:is|was|'s) from|"
    r"\b(?:inbox|bandeja|casella|posta in arrivo|buz[oó]n)\b[^.,;]{0,20}?\b(?:ferm[ao]|bloccat[ao]|"
    # "la inbox è ferma alle 7:58"
    r"parad[ao]|stuck|frozen|stopped|stops|congelad[ao]|si ferma|se para|se queda)\b",
    re.IGNORECASE,
)


def _of_way(text: str, direction: str | None) -> str:
    """Leave out the clauses about mail that did arrive ("last email in it is from yesterday
    about 6pm") and, for a sending problem, about mail received ("the last new mail i got was
    at 8:02"): no time of a message with the problem. (Every example was sent: "sent 11/19 at
    2:10 PM" may be a receiving problem's.)
    """
    clauses = re.split(r"(?<=[.!?;\n,])\s+", text)
    return " ".join(
        c
        for c in clauses
        if not (_LAST_GOOD.search(c) and not _SHOULD_HAVE.search(c))
        and (direction != "send" or ways_named(c) != {"receive"})
    )


def example_in(
    r: Reading,
    case: Case,
    hosted: Callable[[str], bool],
    when: Callable[[str | datetime], str | None],
) -> Example | None:
    """Read an example message from a description of the problem, when it gives one.

    The customer's mailbox is the example's recipient for a receiving problem,
    its sender for a sending one; the other party is the address of someone
    else the message names. A lone date ("since yesterday") is no example:
    two of the other party, the subject and the time are needed.
    """
    if case.topic != "email" or case.examples or case.draft:
        return None
    pasted = pasted_example(r.text, when)
    if pasted is not None:
        told = subject_in(without_error(r)) if r.error else None  # "Real message that failed:
        return pasted.model_copy(update={"subject": told}) if told else pasted  # …, subject "…""
    if case.mailbox is None:
        return None
    others_ = [a for a in r.addresses if a != case.mailbox.lower() and a != case.mailbox]
    others_ = [a for a in others_ if not (hosted(a) and fine_as_listed(r.text, a))]  # "yo con
    own = (
        without_error(r) if r.error else r.text
    )  # javier@… envío bien": another box of ours  # the customer's own words first: a paste
    subject = (
        subject_in(own) or subject_in(r.text) or quoted_subject(r, others_)
    )  # may hold a test's
    timed = r.text.replace(subject, " ") if subject else r.text  # "oggetto "Assemblea 25/11""
    sent_at = when(_of_way(_HABITUAL.sub(" ", _SINCE.sub(" ", timed)), case.direction))
    roles = _roles(r.text, others_)  # "from info@… to my own x@gmail.com": a party still
    others_ = [
        a
        for a in others_
        if (a in roles.values() or not own_address(r.text, a)) and not _SYSTEM.match(a)
    ]
    if is_correction(r.text):  # "from sales@example.com, sorry, I mean sales@example.org"
        others_ = [a for a in others_ if not hosted(a)]
    if len(others_) > 1:  # "abbiamo info@, … e direzione@…": our other boxes, not the party
        others_ = [a for a in others_ if not hosted(a) or a in roles.values()] or others_
    lone = (len(others_) == 1 or (sent_at is not None and not others_)) and case.direction in (
        "send",
        "receive",
    )  # one other party, or a time said: "ci ha mandato le fatture ieri verso le 16"
    if not lone and sum(x is not None and x != [] for x in (others_ or None, subject, sent_at)) < 2:
        return None  # a lone date ("since yesterday") is no example; one other party is
    roles = _roles(r.text, others_)
    other = others_[0] if others_ else ""
    mine = _roles(r.text, [case.mailbox])  # both ways: "my test went from frontdesk@… to …"
    if (
        case.direction == "send"
        or roles.get("recipient") == other
        or (case.direction == "both" and "sender" in mine)
    ):
        sender, recipient = case.mailbox, roles.get("recipient", other)
    elif case.direction in ("receive", "both") or roles.get("sender") == other:
        sender, recipient = roles.get("sender", other), case.mailbox
    else:
        return None
    return Example(sender=sender, recipient=recipient, subject=subject, sent_at=sent_at or "")


_QUOTED_SUBJECT = re.compile(
    r"[\"\u201c\u00ab]([^\"\u201d\u00bb\n]{2,80})[\"\u201d\u00bb]|(?<!\w)'([^'\n]{2,80}?)'(?!\w)"
)


def quoted_subject(r: Reading, others_: list[str]) -> str | None:
    """A quoted title in the sentence that tells the example ("I sent "Pedido 3391" to x@…")."""
    own = without_error(r)
    for sentence in re.split(r"(?<=[.!?])\s+|\n", own):
        if (
            any(a.lower() in sentence.lower() for a in others_)
            or _EXAMPLE_WORD.search(sentence)
            or MESSAGE_WAS.search(sentence)  # 'El mensaje que rebotó era "Factura F-0934"'
        ):
            for m in _QUOTED_SUBJECT.finditer(sentence):
                title = m[1] or m[2]
                if not re.search(r"\b[2-5]\d\d[ -]|\b[245]\.\d\.\d|0x[0-9a-f]{8}", title, re.I):
                    return title.strip()
    return None


_EXAMPLE_WORD = re.compile(  # the word, not the domain "example.com"
    r"(?<![@.\w])(?:example|e\.g\.|ejemplo|esempio)(?![.\w-])", re.I
)


def way_of(text: str, address: str) -> Direction | None:
    """Tell the way of mail an unambiguous "from" or "to" before our address says."""
    before = text[: max(_find(text, address), 0)][-24:].lower()
    if re.search(r"\b(?:from|desde|sent from|inviate dalla)\s*:?\s*<?$", before):
        return "send"
    reached = r"(?:(?:not|n'?t|never) (?:reach\w*|get(?:ting)? (?:in)?to)|reach(?:es|ed|ing)?)"
    if re.search(rf"\b(?:to|verso|hacia|para|{reached})\s*:?\s*<?$", before):
        return "receive"  # "emails from our bank are not reaching finance@…"
    if re.search(
        r"\b(?:e-?mails?|mail|messaggi|correos?|mensajes)\s+(?:a|al|alla)\s*:?\s*<?$", before
    ):
        return "receive"  # "le sue email a commerciale@… gli tornano indietro": mail to ours
    return None


# Between "to" and the address: "to our accountant ", "al nostro commercialista ", ": <".
_PARTY = (
    r"(?:\s+(?:our|my|the|your|il|la|lo|l'|al|alla|nostro|nostra|mio|mia|nuestro|nuestra|mi|el|"
    r"los|las|un|una|a)\b)*(?:\s+(?!(?:from|da|dal|dalla|de|desde|to|per|para|a)\b)[a-zà-ú'-]+){0,2}"
    r"\s*:?\s*[<(]?"
)

_TO_ROLE = re.compile(
    rf"\b(to|a|al|alla|ai|agli|per|verso|para|hacia|destinatario|recipient){_PARTY}$"
)
_FROM_ROLE = re.compile(rf"\b(from|da|dal|dalla|dai|de|desde|mittente|remitente|sender){_PARTY}$")


_FOR_EXAMPLE = re.compile(
    r"\b(?:per esempio|per es\.?|por ejemplo|for example|for instance)\s*:?\s*$"
)


def _roles(text: str, addresses: list[str]) -> dict[str, str]:
    roles: dict[str, str] = {}
    for address in addresses[:3]:
        before = text[: max(_find(text, address), 0)][-40:].lower()
        before = _FOR_EXAMPLE.sub(" ", before)  # "…, per esempio x@…": no "per" (to) in it
        if _TO_ROLE.search(before):
            roles.setdefault("recipient", address)
        elif _FROM_ROLE.search(before):
            roles.setdefault("sender", address)
    return roles


def example_from(r: Reading, asked: str) -> dict[str, str]:
    """Read more of an example than was asked: "from x@a to y@b", a quoted subject."""
    found: dict[str, str] = {}
    if asked not in ("ex_sender", "ex_recipient") or len(r.addresses) < 2:
        return found
    if is_correction(r.text) and addresses_in(after_correction(r.text)):
        return found  # "x@…, perdón, es y@…": one address, the one asked (`read_address`)
    roles = _roles(r.text, list(r.addresses))
    first, second = r.addresses[0], r.addresses[1]
    if asked == "ex_sender":
        found["sender"] = roles.get("sender", first)
        found["recipient"] = roles.get("recipient", second if found["sender"] == first else first)
    else:
        found["recipient"] = roles.get("recipient", first)
    return found
