"""Understanding typed answers: cleaning customer text and matching phrasings.

The phrase lists are data: each intent lists phrasings that mean it. A phrase
matches when it appears as whole words in the normalized answer. When more
than one intent of a question matches, the longest phrase wins (so "it doesn't
work in webmail either" is about webmail failing, though it also contains
"work"); a tie means the answer is unclear and is asked again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

MAX_TEXT = 8000

_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1 controls, but tab and newline
    r"\u00ad\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"[ \t]+")

INTENTS: dict[str, tuple[str, ...]] = {
    "yes": (
        "yes",
        "y",
        "yeah",
        "yep",
        "yup",
        "sure",
        "of course",
        "correct",
        "right",
        "indeed",
        "ok",
        "okay",
        "affirmative",
        "it does",
        "i do",
        "it is",
        "true",
        "absolutely",
    ),
    "no": (
        "no",
        "n",
        "nope",
        "nah",
        "not really",
        "no way",
        "negative",
        "it doesn't",
        "it does not",
        "i don't",
        "i do not",
        "false",
        "never",
    ),
    "unsure": (
        "not sure",
        "i don't know",
        "i do not know",
        "dunno",
        "no idea",
        "unsure",
        "don't know",
        "maybe",
        "how do i check",
        "how can i check",
    ),
    "send": (
        "send",
        "sending",
        "sent",
        "outgoing",
        "can't send",
        "cannot send",
        "unable to send",
        "won't send",
        "doesn't send",
        "not sending",
        "smtp",
        "send mail",
        "sending mail",
        "outbox",
        "my mails don't go out",
        "don't go out",
        "bounce",
        "bounces",
        "i can receive",
        "can receive",
    ),
    "receive": (
        "receive",
        "receiving",
        "received",
        "incoming",
        "can't receive",
        "cannot receive",
        "not receiving",
        "don't receive",
        "doesn't arrive",
        "don't arrive",
        "not arriving",
        "no mail arrives",
        "inbox",
        "get mail",
        "getting mail",
        "can't get",
        "imap",
        "pop",
        "pop3",
        "i can send",
        "can send",
    ),
    "webmail_fails": (
        "webmail too",
        "in webmail too",
        "also in webmail",
        "webmail either",
        "doesn't work in webmail",
        "does not work in webmail",
        "not in webmail either",
        "webmail doesn't work",
        "webmail does not work",
        "webmail fails",
        "webmail is broken",
        "webmail also",
        "same in webmail",
        "it fails in webmail",
        "fails in webmail too",
        "yes",
        "yep",
        "yeah",
        "it does",
        "it fails",
    ),
    "webmail_works": (
        "webmail works",
        "works in webmail",
        "webmail is fine",
        "webmail ok",
        "fine in webmail",
        "webmail is ok",
        "webmail works fine",
        "only in my client",
        "only in outlook",
        "only in the client",
        "not in webmail",
        "no",
        "nope",
        "it works",
    ),
    "not_tried": (
        "not tried",
        "haven't tried",
        "have not tried",
        "didn't try",
        "did not try",
        "never tried",
        "don't use webmail",
        "what is webmail",
        "how do i try",
    ),
    "only_webmail": (
        "webmail",
        "only webmail",
        "just webmail",
        "browser",
        "webmail only",
        "no client",
        "i don't use a client",
        "i only use webmail",
    ),
    "both": (
        "both",
        "client",
        "mail program",
        "app",
        "outlook",
        "thunderbird",
        "apple mail",
        "mail app",
        "phone",
        "iphone",
        "android",
        "both of them",
        "everywhere",
        "client too",
    ),
    "no_error": (
        "no error",
        "no message",
        "none",
        "no error message",
        "there is no error",
        "nothing",
        "no errors",
        "it just doesn't arrive",
        "no error shown",
    ),
    "no_subject": ("no subject", "without subject", "empty subject", "none", "blank"),
    "nothing_to_add": ("nothing", "nothing to add", "no", "none", "that's all", "nope", "skip"),
    "create": ("create", "new", "add", "new mailbox", "open", "make"),
    "topic_email": (
        "email",
        "e-mail",
        "mail",
        "mails",
        "emails",
        "e-mails",
        "my mail",
        "mail problem",
        "email problem",
        "email doesn't work",
        "mail doesn't work",
        "messages",
    ),
    "topic_mailbox_admin": (
        "new mailbox",
        "create a mailbox",
        "create mailbox",
        "delete mailbox",
        "delete a mailbox",
        "remove mailbox",
        "add a mailbox",
        "another mailbox",
        "mailbox",
        "mailboxes",
        "new address",
        "new email address",
        "email account",
        "new account",
    ),
    "topic_password": (
        "password",
        "change password",
        "change my password",
        "forgot password",
        "forgotten password",
        "reset password",
        "lost password",
        "new password",
    ),
    "topic_dns_check": (
        "dns",
        "spf",
        "dkim",
        "dmarc",
        "authentication",
        "mail authentication",
        "check my domain",
        "domain check",
        "spam",
        "mx",
        "mx record",
    ),
    "topic_sales": (
        "billing",
        "bill",
        "invoice",
        "invoices",
        "payment",
        "pay",
        "price",
        "prices",
        "renewal",
        "renew",
        "contract",
        "commercial",
        "sales",
        "quote",
        "subscription",
        "plan",
        "upgrade",
    ),
    "topic_domain": (
        "domain",
        "domain registration",
        "register a domain",
        "register domain",
        "transfer domain",
        "domain transfer",
        "domain name",
        "buy a domain",
    ),
    "topic_hosting": ("hosting", "website", "web site", "site", "wordpress", "ftp", "web space"),
    "topic_other": ("something else", "other", "else", "none of these"),
    "firewall": ("firewall", "router", "port", "ports blocked", "blocked port"),
    "antivirus": ("antivirus", "anti-virus", "avast", "eset", "norton", "kaspersky", "mcafee"),
    "internet_connection": (
        "internet",
        "internet connection",
        "connection",
        "wifi",
        "wi-fi",
        "adsl",
        "fiber",
        "fibre",
        "modem",
        "dsl",
        "my connection",
        "no internet",
    ),
    "mail_client": (
        "mail client",
        "mail program",
        "install outlook",
        "install thunderbird",
        "outlook",
        "thunderbird",
        "apple mail",
        "configure outlook",
        "learn",
        "training",
        "how to use",
        "set up my client",
        "setup outlook",
        "install",
    ),
    "other_provider": (
        "other provider",
        "another provider",
        "gmail",
        "hotmail",
        "yahoo",
        "outlook.com",
        "libero",
        "virgilio",
        "icloud",
        "another account",
        "other account",
    ),
    "something_else": ("something else", "other", "else", "none of these", "none"),
    "lang_en": ("english", "en", "inglese", "ingles"),
    "lang_it": ("italiano", "italian", "it", "italiana"),
    "lang_es": ("espanol", "spanish", "es", "castellano", "spagnolo"),
    "delete": ("delete", "remove", "close", "cancel", "drop", "deactivate"),
}


def clean(text: str) -> str:
    """Return the customer's text without control or invisible characters."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def normalize(text: str, keep: str = "") -> str:
    """Fold an answer for matching: lower case, no accents, single spaces.

    Punctuation other than ``@ . ' + -`` and the characters in `keep` becomes
    a space.
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'")
    text = re.sub(rf"[^\w@.'+{re.escape(keep)}-]+", " ", text)
    return " ".join(text.strip(" .!?").split())


_NEGATORS = frozenset({"not", "never", "no"})


def _negated(said: str, start: int, end: int) -> bool:
    """Tell whether a match is negated: "not right", "it does not", "don't ...", "isn't"."""
    before = said[:start].split()[-1:]
    after = said[end:].split()[:1]
    return bool(
        (before and (before[0] in _NEGATORS or before[0].endswith("n't")))
        or (after and after[0] in ("not", "n't"))
    )


def _hits(said: str, phrase: str) -> list[tuple[int, int]]:
    pattern = rf"(?<![\w'])({re.escape(phrase)})(?![\w'])"
    return [m.span() for m in re.finditer(pattern, said) if not _negated(said, *m.span())]


def match_intent(
    text: str, intents: Iterable[str], extra: Mapping[str, Iterable[str]] | None = None
) -> str | None:
    """Return the one intent `text` expresses among `intents`, or None when unclear."""
    table = {i: (*INTENTS.get(i, ()), *(extra or {}).get(i, ())) for i in intents}
    return match_phrases(text, table)


def match_phrases(text: str, table: Mapping[str, Iterable[str]]) -> str | None:
    """Return the one key of `table` whose phrases `text` expresses, or None when unclear.

    A phrase said exactly wins. Otherwise phrases found inside the answer count
    unless negated ("not right") or inside a longer phrase found ("webmail
    either" inside "not in webmail either"). When several keys remain, the
    answer is unclear, unless one is said with a phrase of several words and
    the other only with one short word ("no, it doesn't work in webmail either").
    """
    said = normalize(text)
    if not said:
        return None
    exact: set[str] = set()
    hits: list[tuple[int, int, str]] = []
    for intent, phrases in table.items():
        for phrase in phrases:
            folded = normalize(phrase)
            if not folded:
                continue
            if said == folded:
                exact.add(intent)
            hits.extend((a, b, intent) for a, b in _hits(said, folded))
    if exact:
        return exact.pop() if len(exact) == 1 else None
    longest: dict[str, str] = {}
    for a, b, intent in hits:
        inside_longer = any(o[0] <= a and b <= o[1] and o[1] - o[0] > b - a for o in hits)
        if not inside_longer and b - a > len(longest.get(intent, "")):
            longest[intent] = said[a:b]
    if len(longest) <= 1:
        return next(iter(longest), None)
    if len(longest) == 2:
        (i1, p1), (_, p2) = sorted(longest.items(), key=lambda item: -len(item[1]))
        if " " in p1 and " " not in p2 and len(p1) >= 2 * len(p2):
            return i1
    return None
