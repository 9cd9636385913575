"""Italian, Spanish and English, switchable at any moment (issue 3).

Everything here drives the real desk as a customer would and asserts on what
the customer reads (rendered text and choice labels, checked against the
catalogs) and on what is stored (the ticket, the saved conversation):

- whole e-mail conversations in it, es and en, typed in the customer's own
  words, give the same ticket;
- a switch (a typed request, /lang, or simply writing in another language)
  keeps everything collected and asks the current question again; a restart
  keeps the new language; the `--jsonl` chat speaks the current language;
- every closed question understands typed answers in all three languages,
  whatever the conversation's language;
- dates are read in all three languages and shown back in the customer's
  locale, in the provider's time zone;
- the first language comes from the channel's language code; plural forms.

Conversations that open tickets run on SQLite and PostgreSQL (the `desk`
fixture); the many short ones run on one SQLite desk shared by the module.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po

from bot.i18n import LOCALES, Renderer, normalize_language
from bot.langid import LanguageIdentifier
from bot.service import Desk
from flows.engine import LITERAL_LABELS
from flows.form import states_of
from flows.model import Case, Conversation
from flows.policy import Policy, load_policy
from flows.questions import QUESTIONS
from flows.text import T
from flows.texts import too_long
from flows.triage import MAX_SHORT, MAX_TEXT
from storage.store import SqlStore
from tests.support.chat import Chat, Clock
from tests.support.cli_env import clean_env

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=ROME)  # Friday, office hours (as the `clock` fixture)
POLICY = load_policy()
RENDER = Renderer(POLICY.office_hours.zone)
LANGS = ("it", "es", "en")
CODE = re.compile(r"^SPT-\d{3}-\d{5}$")
_users = itertools.count()

# What the bot says when it switches (each is rendered in the new language).
SWITCHED = "From now on I will write in English."
NOTICED = "You are writing in English, so I will go on in English. (/lang changes the language.)"
WELCOME_BACK = "Welcome back! Let's continue where we left off."
GREETING = (
    "Hello! I'm the support assistant of {provider}. I can help with e-mail problems, "
    "mailboxes, domains and hosting, and open a ticket for our technicians when needed."
)
DATE_HINT = "Please give the date and time it was sent, for example: yesterday 15:30."
TIME_HINT = "Please add the time too, even roughly, for example: yesterday 15:30."
FUTURE_HINT = "That date is in the future. When was the message sent?"
EXAMINED_FROM = "{schedule} Your ticket will be examined from {when}."

ERROR_EN = (
    "Delivery has failed to these recipients or groups:\n"
    "mario@example.com\n"
    "Remote server returned '550 5.7.1 <mario@example.com>: Recipient address rejected: "
    "Access denied [AM0PR01MB1234.eurprd01.prod.outlook.com]'"
)
ERROR_IT = "Impossibile ricevere i messaggi: la casella è piena (errore 552 5.2.2)."
ADDRESSES = "anna@rossi-srl.example, tutto da @fornitore.example"


# ---------------------------------------------------------------------------
# Reading what the customer sees, in a language
# ---------------------------------------------------------------------------


def tr(lang: str, msgid: str, **args: Any) -> str:
    """`msgid` as the customer reads it in `lang`, with its arguments."""
    return RENDER.text(lang, T(msgid, args))


def prompt(lang: str, state: str) -> str:
    q = QUESTIONS[state]
    args = (
        {"smtp_host": POLICY.provider.smtp_host, "webmail_url": POLICY.provider.webmail_url}
        if q.prompt_args == "host_args"
        else {}
    )
    return tr(lang, q.prompt, **args)


def labels(lang: str, state: str) -> list[str]:
    return [
        label if label in LITERAL_LABELS else tr(lang, label)
        for _, label in QUESTIONS[state].choices
    ]


def paragraphs(chat: Chat) -> list[str]:
    return chat.text.split("\n\n")


def language(chat: Chat) -> str:
    assert chat.turn is not None
    return chat.turn.language


def assert_asks(chat: Chat, state: str, lang: str) -> None:
    """The customer is asked the question of `state`, in `lang`, and reads it last."""
    assert chat.state == state, chat.text
    assert language(chat) == lang, chat.text
    assert paragraphs(chat)[-1] == prompt(lang, state), chat.text
    if QUESTIONS[state].choices:
        assert chat.labels() == labels(lang, state)


def saved(chat: Chat) -> Conversation:
    """The conversation as the store holds it now."""
    with chat.desk.store.transaction() as tx:
        conv = tx.load_conversation(chat.channel, chat.user)
    assert conv is not None
    return conv


def ticket_of(chat: Chat) -> dict[str, Any]:
    """The ticket this turn opened."""
    code = chat.ticket
    assert code is not None and CODE.match(code), chat.text
    ticket = chat.desk.store.ticket(code)
    assert ticket is not None
    return ticket


def full_date(day: date | datetime, lang: str, hhmm: str) -> str:
    """A day and time as the Renderer writes it (Babel's full date, 24-hour time)."""
    plain = day.date() if isinstance(day, datetime) else day
    return f"{format_date(plain, 'full', locale=Locale.parse(lang))}, {hhmm}"


def start(desk: Desk, lang: str | None, user: str | None = None) -> Chat:
    chat = Chat(desk, user or f"lang-{next(_users)}", language=lang)
    chat.start()
    return chat


def play(chat: Chat, steps: list[tuple[str, str]]) -> None:
    """Answer each question: (the state that must be asking, what is typed)."""
    for state, typed in steps:
        assert chat.state == state, f"expected {state} before {typed!r}:\n{chat.text}"
        chat.say(typed)


# The way to each question with buttons only (no text in any language).
Route = list[tuple[str, str]]
_EMAIL: Route = [("choose", "email"), ("say", "mario@example.com")]
_WEBMAIL: Route = [*_EMAIL, ("choose", "receive")]
_SCOPE: Route = [*_WEBMAIL, ("choose", "yes")]
_CLIENT: Route = [*_SCOPE, ("choose", "no")]
_ERROR: Route = [*_CLIENT, ("choose", "webmail")]
_SENDER: Route = [*_ERROR, ("choose", "none")]
_SENT_AT: Route = [
    *_SENDER,
    ("say", "anna@rossi-srl.example"),
    ("say", "Fattura 42"),
]
TO: dict[str, Route] = {
    "menu": [],
    "email_mailbox": [("choose", "email")],
    "email_direction": _EMAIL,
    "email_smtp": [*_EMAIL, ("choose", "send")],
    "email_webmail": _WEBMAIL,
    "email_scope": _SCOPE,
    "email_client": _CLIENT,
    "email_client_name": [*_CLIENT, ("choose", "both")],
    "email_error": _ERROR,
    "ex_sender": _SENDER,
    "ex_subject": _SENT_AT[:-1],
    "ex_sent_at": _SENT_AT,
    "ex_more": [*_SENT_AT, ("say", "19/11/2026 15:30")],
    "summary": [*_SENT_AT, ("say", "19/11/2026 15:30"), ("choose", "no")],
    "admin_action": [("choose", "mailbox_admin")],
    "description": [("choose", "sales")],
    "out_of_scope": [("choose", "other"), ("choose", "firewall")],
}


def reach(desk: Desk, lang: str, state: str) -> Chat:
    chat = start(desk, lang)
    for action, value in TO[state]:
        getattr(chat, action)(value)
    assert chat.state == state, chat.text
    assert language(chat) == lang
    return chat


# ---------------------------------------------------------------------------
# Fixtures: one light SQLite desk for the many short conversations
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def light_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    s = SqlStore(f"sqlite:///{tmp_path_factory.mktemp('languages') / 'light.db'}")
    yield s
    s.close()


def desk_at(store: SqlStore, identify: LanguageIdentifier, now: datetime) -> Desk:
    return Desk(store, POLICY, clock=Clock(now), identify=identify)


@pytest.fixture(scope="module")
def light(light_store: SqlStore, identify: LanguageIdentifier) -> Desk:
    """The real desk on SQLite, Friday 20 November 2026, 11:00 in Rome."""
    return desk_at(light_store, identify, NOW)


# ---------------------------------------------------------------------------
# 1. The same e-mail problem told in Italian, Spanish and English
# ---------------------------------------------------------------------------

STORIES: dict[str, list[tuple[str, str]]] = {
    "it": [
        ("menu", "ho un problema con la posta"),
        ("email_mailbox", "mario@example.com"),
        ("email_direction", "non riesco a ricevere"),
        ("email_webmail", "sì, anche da webmail"),
        ("email_scope", "sì"),
        ("email_addresses", ADDRESSES),
        ("email_client", "entrambi"),
        ("email_client_name", "Thunderbird 128"),
        ("email_error", ERROR_EN),
        ("ex_sender", "anna@rossi-srl.example"),
        ("ex_subject", "Fattura n° 42 — urgente"),
        ("ex_sent_at", "ieri alle 15:30"),
        ("ex_more", "sì"),
        ("ex_sender", "Luca Bianchi <luca@fornitore.example>"),
        ("ex_subject", "Ordine 7"),
        ("ex_sent_at", "l'altro ieri alle 9"),
        ("ex_more", "no, è tutto"),
    ],
    "es": [
        ("menu", "tengo un problema con el correo"),
        ("email_mailbox", "mario@example.com"),
        ("email_direction", "no me llegan los correos"),
        ("email_webmail", "tampoco en el webmail"),
        ("email_scope", "sí"),
        ("email_addresses", ADDRESSES),
        ("email_client", "los dos"),
        ("email_client_name", "Thunderbird 128"),
        ("email_error", ERROR_EN),
        ("ex_sender", "anna@rossi-srl.example"),
        ("ex_subject", "Fattura n° 42 — urgente"),
        ("ex_sent_at", "ayer a las 15:30"),
        ("ex_more", "sí"),
        ("ex_sender", "Luca Bianchi <luca@fornitore.example>"),
        ("ex_subject", "Ordine 7"),
        ("ex_sent_at", "anteayer a las 9"),
        ("ex_more", "no, eso es todo"),
    ],
    "en": [
        ("menu", "I have a problem with my email"),
        ("email_mailbox", "mario@example.com"),
        ("email_direction", "I can't receive"),
        ("email_webmail", "it doesn't work in webmail either"),
        ("email_scope", "yes"),
        ("email_addresses", ADDRESSES),
        ("email_client", "both"),
        ("email_client_name", "Thunderbird 128"),
        ("email_error", ERROR_EN),
        ("ex_sender", "anna@rossi-srl.example"),
        ("ex_subject", "Fattura n° 42 — urgente"),
        ("ex_sent_at", "yesterday at 3:30pm"),
        ("ex_more", "yes"),
        ("ex_sender", "Luca Bianchi <luca@fornitore.example>"),
        ("ex_subject", "Ordine 7"),
        ("ex_sent_at", "the day before yesterday at 9am"),
        ("ex_more", "no, that's all"),
    ],
}
CONFIRM = {"it": "sì", "es": "sí", "en": "yes"}
STORY_TICKET = {
    "category": "email_receiving",
    "team": "technical",
    "priority": "normal",
    "status": "open",
    "channel": "terminal",
    "topic": "email",
    "mailbox": "mario@example.com",
    "domain": "example.com",
    "direction": "receive",
    "smtp_is_provider": None,
    "webmail_fails": True,
    "addresses": ADDRESSES,
    "client": "both",
    "client_name": "Thunderbird 128",
    "error_text": ERROR_EN,
    "examples": [
        {
            "sender": "anna@rossi-srl.example",
            "recipient": "mario@example.com",
            "subject": "Fattura n° 42 — urgente",
            "sent_at": "2026-11-19T15:30+01:00",
        },
        {
            "sender": "luca@fornitore.example",
            "recipient": "mario@example.com",
            "subject": "Ordine 7",
            "sent_at": "2026-11-18T09:00+01:00",
        },
    ],
}
# The summary's example dates, as a native speaker writes them.
STORY_DATES = {
    "it": ("giovedì 19 novembre 2026, 15:30", "mercoledì 18 novembre 2026, 09:00"),
    "es": ("jueves, 19 de noviembre de 2026, 15:30", "miércoles, 18 de noviembre de 2026, 09:00"),
    "en": ("Thursday, November 19, 2026, 15:30", "Wednesday, November 18, 2026, 09:00"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_whole_email_conversation_in_each_language_gives_the_same_ticket(
    desk: Desk, lang: str
) -> None:
    chat = start(desk, lang, user=f"story-{lang}")
    assert_asks(chat, "menu", lang)
    assert paragraphs(chat)[0] == tr(lang, GREETING, provider=POLICY.provider.name)
    for state, typed in STORIES[lang]:
        assert_asks(chat, state, lang)
        chat.say(typed)
    assert_asks(chat, "summary", lang)
    summary = chat.text
    first, second = STORY_DATES[lang]
    example = tr(
        lang,
        "Example {n}: from {sender} to {recipient}, subject \u201c{subject}\u201d, sent {sent_at}",
        n=1,
        sender="anna@rossi-srl.example",
        recipient="mario@example.com",
        subject="Fattura n° 42 — urgente",
        sent_at=datetime(2026, 11, 19, 15, 30, tzinfo=ROME),
    )
    assert example in summary
    assert first in summary and second in summary, summary
    assert tr(lang, "Problem also in webmail: {answer}", answer=T("yes")) in summary
    assert tr(lang, "Error message: {error}", error=ERROR_EN) in summary

    chat.say(CONFIRM[lang])
    assert_asks(chat, "done", lang)
    ticket = ticket_of(chat)
    assert {k: ticket[k] for k in STORY_TICKET} == STORY_TICKET
    assert ticket["language"] == lang
    assert (
        tr(
            lang,
            "Your ticket {code} is open: {category}, priority {priority}.",
            code=ticket["code"],
            category=T("E-mail: receiving"),
            priority=T("normal"),
        )
        in chat.text
    )


# ---------------------------------------------------------------------------
# 2. Switched it -> es while the example message is being collected
# ---------------------------------------------------------------------------

IT_TO_EXAMPLE = [
    ("menu", "non riesco a ricevere la posta"),  # the topic, and already the direction
    ("email_mailbox", "mario@example.com"),
    ("email_webmail", "non funziona neanche da webmail"),
    ("email_scope", "no"),
    ("email_client", "solo webmail"),
    ("email_error", ERROR_IT),
    ("ex_sender", "anna@rossi-srl.example"),
]
EXAMPLE_REST = [
    ("ex_subject", "Fattura n° 42 — urgente"),
    ("ex_sent_at", "anteayer a las 9"),
    ("ex_more", "no"),
    ("summary", "sí"),
]


@pytest.mark.parametrize(
    ("at", "switch"),
    [
        ("ex_subject", ["¿podemos seguir en español?"]),
        ("ex_subject", ["/lang es"]),
        ("ex_sent_at", ["/lang", "3"]),  # the language question, then its third choice
        ("ex_sent_at", ["/lang", "español"]),
    ],
    ids=["typed-request", "lang-es", "lang-then-button", "lang-then-typed"],
)
def test_switch_to_spanish_while_collecting_the_example(
    desk: Desk, at: str, switch: list[str]
) -> None:
    chat = start(desk, "it", user="switcher")
    play(chat, IT_TO_EXAMPLE)
    rest = list(EXAMPLE_REST)
    while rest[0][0] != at:
        state, typed = rest.pop(0)
        assert_asks(chat, state, "it")
        chat.say(typed)
    assert_asks(chat, at, "it")
    before = saved(chat).case

    for typed in switch[:-1]:  # "/lang": which language?
        chat.say(typed)
        assert_asks(chat, "language", "it")
        assert chat.choices == ["en", "it", "es"]
        assert chat.labels() == ["English", "Italiano", "Español"]
    chat.say(switch[-1])

    assert_asks(chat, at, "es")  # the same question, now in Spanish
    assert paragraphs(chat)[0] == tr("es", SWITCHED) == "A partir de ahora le escribo en español."
    after = saved(chat)
    assert after.language == "es"
    assert after.case == before  # nothing collected is lost, the example in progress included
    assert after.case.draft is not None and after.case.draft.sender == "anna@rossi-srl.example"

    play(chat, rest)
    assert_asks(chat, "done", "es")
    ticket = ticket_of(chat)
    assert ticket["language"] == "es"
    assert {k: ticket[k] for k in ("mailbox", "direction", "webmail_fails", "addresses")} == {
        "mailbox": "mario@example.com",
        "direction": "receive",
        "webmail_fails": True,
        "addresses": None,
    }
    assert ticket["client"] == "webmail"
    assert ticket["error_text"] == ERROR_IT  # the customer's Italian words, verbatim
    assert ticket["examples"] == [
        {
            "sender": "anna@rossi-srl.example",
            "recipient": "mario@example.com",
            "subject": "Fattura n° 42 — urgente",
            "sent_at": "2026-11-18T09:00+01:00",
        }
    ]


# ---------------------------------------------------------------------------
# 3. Switched by simply writing in English
# ---------------------------------------------------------------------------

WRITTEN_IN_ENGLISH = {
    # the menu: the topic and the direction are both taken from the sentence
    "menu": (
        "it",
        [],
        "I cannot receive any email since this morning",
        "email_mailbox",
        [
            ("email_mailbox", "mario@example.com"),  # no direction question: already said
            ("email_webmail", "yes"),
            ("email_scope", "no"),
            ("email_client", "only webmail"),
            ("email_error", "there is no error"),
            ("ex_sender", "anna@rossi-srl.example"),
            ("ex_subject", "Invoice 42"),
            ("ex_sent_at", "yesterday 3:30pm"),
            ("ex_more", "no"),
            ("summary", "yes"),
        ],
        {"category": "email_receiving", "direction": "receive", "webmail_fails": True},
    ),
    # a closed question: the answer is "fails in webmail too"
    "closed-question": (
        "es",
        [("choose", "email"), ("say", "mario@example.com"), ("say", "recepción")],
        "no, it doesn't work in webmail either",
        "email_scope",
        [
            ("email_scope", "no"),
            ("email_client", "only webmail"),
            ("email_error", "none"),
            ("ex_sender", "anna@rossi-srl.example"),
            ("ex_subject", "Invoice 42"),
            ("ex_sent_at", "yesterday 3:30pm"),
            ("ex_more", "no"),
            ("summary", "yes"),
        ],
        {"category": "email_receiving", "direction": "receive", "webmail_fails": True},
    ),
    # a description: kept word for word
    "description": (
        "it",
        [("choose", "sales")],
        "I would like to know the price of a second mailbox for my company",
        "summary",
        [("summary", "yes")],
        {
            "category": "sales_administration",
            "description": "I would like to know the price of a second mailbox for my company",
        },
    ),
}


@pytest.mark.parametrize("where", list(WRITTEN_IN_ENGLISH))
def test_writing_in_english_switches_to_english_and_the_answer_counts(
    desk: Desk, where: str
) -> None:
    lang, path, sentence, then, rest, fields = WRITTEN_IN_ENGLISH[where]
    chat = start(desk, lang, user=f"writer-{where}")
    for action, value in path:
        getattr(chat, action)(value)
    chat.say(sentence)

    assert_asks(chat, then, "en")
    notice = paragraphs(chat)[0]
    assert notice == tr("en", NOTICED)  # said once, in English, in one short line
    assert "\n" not in notice and len(notice) <= 100
    assert chat.text.count(notice) == 1
    if then == "summary":
        assert tr("en", "Details: {description}", description=sentence) in chat.text

    for state, typed in rest:
        assert_asks(chat, state, "en")
        assert NOTICED not in chat.text or state == then  # said once, not at every turn
        chat.say(typed)
    assert_asks(chat, "done", "en")
    ticket = ticket_of(chat)
    assert ticket["language"] == "en"
    assert {k: ticket[k] for k in fields} == fields


# ---------------------------------------------------------------------------
# 4. A restart after a switch keeps the new language
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("switch", "lang", "answer"),
    [
        ("/lang es", "es", "tampoco en el webmail"),
        ("english please", "en", "it fails in webmail too"),
        ("I would rather go on in English, if that is all right with you", "en", "yes"),
    ],
    ids=["lang-command", "typed-request", "written-in-english"],
)
def test_a_restart_after_a_switch_keeps_the_new_language(
    store: SqlStore,
    desk: Desk,
    policy: Policy,
    clock: Clock,
    identify: LanguageIdentifier,
    switch: str,
    lang: str,
    answer: str,
) -> None:
    chat = start(desk, "it", user="restarted")
    play(chat, [("menu", "posta"), ("email_mailbox", "mario@example.com")])
    chat.say("ricezione")
    assert_asks(chat, "email_webmail", "it")
    chat.say(switch)
    assert language(chat) == lang

    # The bot restarts: a new desk on the same store; the channel still says "it".
    again = Desk(store, policy, clock=clock, identify=identify)
    resumed = Chat(again, "restarted", language="it")
    resumed.start()
    assert_asks(resumed, "email_webmail", lang)
    assert paragraphs(resumed)[0] == tr(lang, WELCOME_BACK)
    assert saved(resumed).case.direction == "receive"

    resumed.say(answer)
    assert_asks(resumed, "email_scope", lang)
    steps = ["no", "webmail", "none", "anna@rossi-srl.example", "mario@example.com", "none"]
    for step in steps:
        if "@" in step:
            resumed.say(step)
        else:
            resumed.choose(step)
    resumed.say("19/11/2026 15:30")
    resumed.choose("no")
    resumed.choose("yes")
    assert_asks(resumed, "done", lang)
    assert ticket_of(resumed)["language"] == lang
    resumed.choose("no")
    assert resumed.state == "closed"

    # And once more after the case is closed: greeted from the menu, still in the new language.
    third = Chat(Desk(store, policy, clock=clock, identify=identify), "restarted", language="it")
    third.start()
    assert_asks(third, "menu", lang)
    assert paragraphs(third)[0] == tr(lang, GREETING, provider=policy.provider.name)


# ---------------------------------------------------------------------------
# 5. The --jsonl chat shows every text and label in the current language
# ---------------------------------------------------------------------------


@cache
def catalog_pairs(lang: str) -> tuple[tuple[str, str], ...]:
    """(English message, its translation in `lang`) for every message and plural form."""
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    pairs: list[tuple[str, str]] = []
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, str):
            pairs.append((m.id, str(m.string)))
        else:
            forms = list(m.string)
            pairs.append((m.id[0], forms[0]))
            pairs.extend((m.id[1], form) for form in forms[1:])
    return tuple(pairs)


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(p) for p in re.split(r"\{\w+\}", text)), re.S)


@cache
def line_patterns(lang: str) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    """Patterns of the texts of `lang`, and of the English texts `lang` says differently."""
    pairs = catalog_pairs(lang)
    ours = [_pattern(translated) for _, translated in pairs]
    english_only = [_pattern(en) for en, translated in pairs if en != translated]
    return ours, english_only


def assert_in_language(turn: dict[str, Any], lang: str) -> None:
    """Every line of the text and every label is in `lang`, per its catalog."""
    ours, english_only = line_patterns(lang)
    for line in turn["text"].splitlines():
        if not line.strip():
            continue
        assert any(p.fullmatch(line) for p in ours), f"not {lang}: {line!r}"
        if lang != "en":
            assert not any(p.fullmatch(line) for p in english_only), f"English: {line!r}"
    translated = {tr_ for _, tr_ in catalog_pairs(lang) if "{" not in tr_}
    english = {en for en, tr_ in catalog_pairs(lang) if en != tr_}
    for choice in turn["choices"]:
        label = choice["label"]
        if label in LITERAL_LABELS:
            continue
        assert label in translated, f"not {lang}: {label!r}"
        assert label not in english or lang == "en", f"English: {label!r}"


def test_the_language_check_catches_english() -> None:
    """The checker of the next test fails on an English turn (it is not vacuous)."""
    english = {"text": tr("en", prompt("en", "email_direction")), "choices": []}
    with pytest.raises(AssertionError):
        assert_in_language(english, "it")
    label = {"text": prompt("it", "email_direction"), "choices": [{"id": "x", "label": "Sending"}]}
    with pytest.raises(AssertionError):
        assert_in_language(label, "it")
    assert_in_language({"text": prompt("it", "email_direction"), "choices": []}, "it")


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path)


def test_the_jsonl_chat_speaks_the_current_language(cli_env: dict[str, str]) -> None:
    lines = [
        "posta",
        "mario@example.com",
        "ricezione",
        "sì",
        "no",
        "entrambi",
        "Thunderbird",
        "Messaggio non recapitato: casella piena",
        "anna@rossi-srl.example",
        "mario@example.com",
        "Fattura 42",
        "ieri alle 15:30",
        "no",  # the summary, in Italian
        "/lang",  # which language? (asked in Italian)
        "3",  # Español: the summary again, in Spanish
        "sí",  # the ticket
        "no",  # goodbye
    ]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--jsonl", "--lang", "it", "--user", "cli"],
        input="\n".join([*lines, ""]),
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=cli_env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == len(lines) + 1
    states = [t["state"] for t in turns]
    switched = states.index("language") + 1
    assert states[switched - 2 : switched + 2] == ["summary", "language", "summary", "done"]
    assert states[-1] == "closed"

    for i, turn in enumerate(turns):
        assert_in_language(turn, "it" if i < switched else "es")
    assert turns[0]["text"].startswith(tr("it", GREETING, provider=POLICY.provider.name))
    chooser = turns[switched - 1]["choices"]
    assert [c["label"] for c in chooser] == ["English", "Italiano", "Español"]

    # The example's date, in each locale (yesterday in Rome; either side of midnight).
    today = datetime.now(ROME).date()
    days = [today - timedelta(days=1), today - timedelta(days=2)]
    assert any(full_date(d, "it", "15:30") in turns[switched - 2]["text"] for d in days)
    assert any(full_date(d, "es", "15:30") in turns[switched]["text"] for d in days)
    assert " de " in turns[switched]["text"].split("Ejemplo 1:", 1)[1]
    assert "Messaggio non recapitato: casella piena" in turns[switched]["text"]  # verbatim


# ---------------------------------------------------------------------------
# 6. Closed questions understand typed answers in all three languages
# ---------------------------------------------------------------------------

# (what is typed, the choice it means), at least 20 per question across it, es, en.
CLOSED: dict[str, list[tuple[str, str]]] = {
    "menu": [
        ("posta", "email"),
        ("la posta non funziona", "email"),
        ("non riesco a ricevere", "email"),
        ("no puedo enviar", "email"),
        ("el correo no funciona", "email"),
        ("my email doesn't work", "email"),
        ("E-MAIL", "email"),
        ("nuova casella", "mailbox_admin"),
        ("crear un buzón", "mailbox_admin"),
        ("new mailbox", "mailbox_admin"),
        ("password", "password"),
        ("contrasena", "password"),
        ("pasword", "password"),
        ("ho dimenticato la password", "password"),
        ("Change a mailbox password", "password"),  # the English button, typed
        ("I forgot my mailbox password", "password"),
        ("dns", "dns_check"),
        ("SPF", "dns_check"),
        ("fattura", "sales"),
        ("Facturación", "sales"),
        ("invoice", "sales"),
        ("rinnovo del contratto", "sales"),
        ("dominio", "domain"),
        ("register a domain", "domain"),
        ("hosting", "hosting"),
        ("il mio sito", "hosting"),
        ("mi página web", "hosting"),
        ("my website", "hosting"),
        ("altro", "other"),
        ("otra cosa", "other"),
        ("something else", "other"),
    ],
    "email_direction": [
        ("invio", "send"),
        ("INVIO", "send"),
        ("SPEDIRE", "send"),
        ("non parte", "send"),
        ("non riesco a inviare", "send"),
        ("Envío", "send"),
        ("envio", "send"),
        ("enviar", "send"),
        ("no puedo enviar correos", "send"),
        ("sending", "send"),
        ("I can't send", "send"),
        ("outgoing mail", "send"),
        ("ricevere", "receive"),
        ("Ricezione", "receive"),
        ("non arrivano", "receive"),
        ("non mi arriva niente", "receive"),
        ("no me llegan", "receive"),
        ("no me llegan los correos", "receive"),
        ("recepcion", "receive"),
        ("recibir", "receive"),
        ("receive", "receive"),
        ("recieve", "receive"),
        ("mails don't arrive", "receive"),
        ("both", "both"),
        ("né ricevo né invio", "both"),
        ("ni envío ni recibo", "both"),
        ("I can't send or receive", "both"),
        ("entrambi", "both"),
        ("ambos", "both"),
    ],
    "email_smtp": [
        ("sì", "yes"),
        ("si", "yes"),
        ("Sì, uso smtp.example.net", "yes"),
        ("certo", "yes"),
        ("sí", "yes"),
        ("claro", "yes"),
        ("vale", "yes"),
        ("YES", "yes"),
        ("sure", "yes"),
        ("no", "no"),
        ("nope", "no"),
        ("macché", "no"),
        ("no, uso otro servidor", "no"),
        ("no, I use another server", "no"),
        ("non lo so", "unsure"),
        ("Non lo so", "unsure"),
        ("boh", "unsure"),
        ("no sé", "unsure"),
        ("No se", "unsure"),
        ("ni idea", "unsure"),
        ("I don't know", "unsure"),
        ("not sure", "unsure"),
        ("how do I check?", "unsure"),
    ],
    "email_webmail": [
        ("sì", "yes"),
        ("si", "yes"),
        ("Sì, anche da webmail", "yes"),
        ("certo", "yes"),
        ("neanche da webmail", "yes"),
        ("neanche da webmial", "yes"),
        ("non funziona neanche in webmail", "yes"),
        ("sí", "yes"),
        ("claro", "yes"),
        ("tampoco en el webmail", "yes"),
        ("también en el webmail", "yes"),
        ("yes", "yes"),
        ("it doesn't work in webmail either", "yes"),
        ("same problem in webmail", "yes"),
        ("no", "no"),
        ("macché", "no"),
        ("No, la webmail funziona", "no"),
        ("in webmail va bene", "no"),
        ("en el webmail funciona", "no"),
        ("el webmail va bien", "no"),
        ("webmail works", "no"),
        ("webmial works", "no"),
        ("nope", "no"),
        ("non ho provato", "not_tried"),
        ("no lo he probado", "not_tried"),
        ("I haven't tried", "not_tried"),
        ("cos'è la webmail?", "not_tried"),
        ("¿qué es el webmail?", "not_tried"),
    ],
    "email_scope": [
        ("sì", "yes"),
        ("Si", "yes"),
        ("certo", "yes"),
        ("esatto", "yes"),
        ("sí", "yes"),
        ("claro", "yes"),
        ("vale", "yes"),
        ("de acuerdo", "yes"),
        ("yes", "yes"),
        ("Yes!", "yes"),
        ("yep", "yes"),
        ("solo con alcuni", "yes"),
        ("solo con algunas", "yes"),
        ("only some", "yes"),
        ("no", "no"),
        ("No.", "no"),
        ("macché", "no"),
        ("per niente", "no"),
        ("para nada", "no"),
        ("nope", "no"),
        ("con tutti", "no"),
        ("con todas", "no"),
        ("With every address", "no"),
    ],
    "email_client": [
        ("solo webmail", "webmail"),
        ("solo webmial", "webmail"),
        ("solo da webmail", "webmail"),
        ("dal browser", "webmail"),
        ("solo el webmail", "webmail"),
        ("solo en el webmail", "webmail"),
        ("desde el navegador", "webmail"),
        ("only webmail", "webmail"),
        ("just webmail", "webmail"),
        ("Webmail", "webmail"),
        ("entrambi", "both"),
        ("tutti e due", "both"),
        ("programma di posta", "both"),
        ("Outlook e webmail", "both"),
        ("los dos", "both"),
        ("ambos", "both"),
        ("el móvil", "both"),
        ("Outlook y webmail", "both"),
        ("both", "both"),
        ("BOTH", "both"),
        ("thunderbird", "both"),
        ("Outlook and webmail", "both"),
    ],
    "admin_action": [
        ("crea", "create"),
        ("CREARE", "create"),
        ("nuova", "create"),
        ("creare una nuova casella", "create"),
        ("crear", "create"),
        ("dar de alta", "create"),
        ("Crear uno nuevo", "create"),
        ("create", "create"),
        ("a new one", "create"),
        ("create one", "create"),
        ("elimina", "delete"),
        ("cancellare", "delete"),
        ("Elimina la casella", "delete"),
        ("borrar", "delete"),
        ("dar de baja", "delete"),
        ("borrar el buzón", "delete"),
        ("delete", "delete"),
        ("remove it", "delete"),
        ("delete it", "delete"),
        ("eliminar", "delete"),
    ],
    "ex_more": [
        ("sì", "yes"),
        ("si", "yes"),
        ("certo", "yes"),
        ("sí", "yes"),
        ("claro", "yes"),
        ("vale", "yes"),
        ("yes", "yes"),
        ("sure", "yes"),
        ("no", "no"),
        ("NO", "no"),
        ("no, è tutto", "no"),
        ("macché", "no"),
        ("per niente", "no"),
        ("No, eso es todo", "no"),  # the Spanish button, typed
        ("no, eso es todo, gracias", "no"),
        ("para nada", "no"),
        ("no, that's all", "no"),
        ("nope", "no"),
        ("No, that's all", "no"),
        ("nah", "no"),
    ],
    "out_of_scope": [  # "Can I help you with anything else?"
        ("sì", "yes"),
        ("si", "yes"),
        ("certo", "yes"),
        ("sí", "yes"),
        ("claro", "yes"),
        ("vale", "yes"),
        ("yes", "yes"),
        ("yes please", "yes"),
        ("no", "no"),
        ("no grazie", "no"),
        ("no, grazie", "no"),
        ("macché", "no"),
        ("no gracias", "no"),
        ("para nada", "no"),
        ("No, eso es todo", "no"),
        ("no thanks", "no"),
        ("no, thank you", "no"),
        ("nope", "no"),
        ("No, thank you", "no"),
        ("nah", "no"),
    ],
}


@cache
def _pressed(desk: Desk, state: str, choice: str, lang: str) -> tuple[str, str, Case]:
    """What pressing `choice` at `state` does: the state, the text, and the case."""
    chat = reach(desk, lang, state)
    chat.choose(choice)
    return chat.state, chat.text, saved(chat).case


def _closed_cases() -> list[Any]:
    return [
        pytest.param(state, typed, choice, id=f"{state}-{typed}")
        for state, answers in CLOSED.items()
        for typed, choice in answers
    ]


def test_every_closed_question_has_twenty_phrasings() -> None:
    for state, answers in CLOSED.items():
        assert len(answers) >= 20, state
        assert {c for _, c in answers} == {c for c, _ in QUESTIONS[state].choices}, state


@pytest.mark.parametrize(("state", "typed", "choice"), _closed_cases())
def test_closed_questions_understand_typed_answers_in_any_language(
    light: Desk, state: str, typed: str, choice: str
) -> None:
    """Typing the answer does what pressing its button does, whatever the current language."""
    for lang in LANGS:
        chat = reach(light, lang, state)
        chat.say(typed)
        now = language(chat)  # the same, or the language the answer is plainly written in
        got_case = saved(chat).case
        want_state, want_text, want_case = _pressed(light, state, choice, now)
        if chat.state != want_state and state in ("menu", "email_client"):
            # "nuova casella", "Outlook e webmail": the answer also answers the next
            # question, which is skipped; the form is the same.
            assert got_case.topic == want_case.topic, f"{typed!r} in {lang}:\n{chat.text}"
            assert chat.state in states_of(want_case.topic or "other"), chat.text
            continue
        assert chat.state == want_state, f"{typed!r} in a conversation in {lang}:\n{chat.text}"
        assert chat.text.endswith(want_text), f"{typed!r} in {lang}:\n{chat.text}"
        # What the customer wrote is kept for a person who may take over, and a
        # description at the menu ("non riesco a ricevere") also fills its fields.
        ignored = {"said": [], "taken": []}
        if state == "menu":
            ignored |= {"direction": None, "description": None, "action": None}
        got_case = got_case.model_copy(update=ignored)
        want_case = want_case.model_copy(update=ignored)
        assert got_case == want_case, f"{typed!r} in a conversation in {lang}"


# ---------------------------------------------------------------------------
# 7. Dates and times, read in three languages and shown back in the customer's
# ---------------------------------------------------------------------------

TUESDAY = datetime(2026, 11, 24, 12, 0, tzinfo=ROME)


@pytest.fixture(scope="module")
def tuesday(light_store: SqlStore, identify: LanguageIdentifier) -> Desk:
    """The desk on Tuesday 24 November 2026, 12:00 in Rome."""
    return desk_at(light_store, identify, TUESDAY)


@pytest.mark.parametrize(
    ("said", "moment"),
    [
        ("ieri alle 15:30", (23, 15, 30)),
        ("oggi verso le 10", (24, 10, 0)),
        ("stamattina alle 8", (24, 8, 0)),
        ("ieri alle 3 del pomeriggio", (23, 15, 0)),
        ("21 novembre alle 10", (21, 10, 0)),
        ("lunedì alle 9", (23, 9, 0)),
        ("anteayer a las 9", (22, 9, 0)),
        ("ayer a las 4 de la tarde", (23, 16, 0)),
        ("el lunes a las 9 de la mañana", (23, 9, 0)),
        ("el 21 de noviembre a las 10", (21, 10, 0)),
        ("yesterday 3pm", (23, 15, 0)),
        ("the day before yesterday at 9am", (22, 9, 0)),
        ("November 21 at 10am", (21, 10, 0)),
        ("21/11/2026 10:05", (21, 10, 5)),
    ],
)
def test_dates_are_understood_in_any_language_and_shown_in_the_customers(
    tuesday: Desk, said: str, moment: tuple[int, int, int]
) -> None:
    day, hour, minute = moment
    expected = datetime(2026, 11, day, hour, minute, tzinfo=ROME)
    for lang in LANGS:
        chat = reach(tuesday, lang, "ex_sent_at")
        chat.say(said)
        now = language(chat)
        assert_asks(chat, "ex_more", now)
        assert saved(chat).case.examples[-1].sent_at == expected.isoformat(timespec="minutes")
        chat.choose("no")
        assert_asks(chat, "summary", now)
        assert full_date(expected, now, f"{hour:02d}:{minute:02d}") in chat.text


@pytest.mark.parametrize(
    ("lang", "native"),
    [
        ("it", "martedì 24 novembre 2026, 15:30"),
        ("es", "martes, 24 de noviembre de 2026, 15:30"),
        ("en", "Tuesday, November 24, 2026, 15:30"),
    ],
)
def test_dates_are_read_and_shown_in_the_providers_time_zone(
    light_store: SqlStore, identify: LanguageIdentifier, lang: str, native: str
) -> None:
    # 23:30 UTC on the 24th is already 00:30 on the 25th in Rome: "yesterday" is the 24th.
    desk = desk_at(light_store, identify, datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    chat = reach(desk, lang, "ex_sent_at")
    chat.say({"it": "ieri alle 15:30", "es": "ayer a las 15:30", "en": "yesterday 15:30"}[lang])
    assert saved(chat).case.examples[-1].sent_at == "2026-11-24T15:30+01:00"
    chat.choose("no")
    assert_asks(chat, "summary", lang)
    assert native in chat.text


@pytest.mark.parametrize(
    ("lang", "said", "hint", "example"),
    [
        ("it", "boh, non ricordo", DATE_HINT, "ieri 15:30"),
        ("it", "la settimana scorsa", DATE_HINT, "ieri 15:30"),
        ("it", "ieri", TIME_HINT, "ieri 15:30"),
        ("it", "domani alle 10", FUTURE_HINT, None),
        ("es", "no me acuerdo", DATE_HINT, "ayer 15:30"),
        ("es", "ayer", TIME_HINT, "ayer 15:30"),
        ("es", "mañana a las 10", FUTURE_HINT, None),
        ("en", "no idea, sorry", DATE_HINT, "yesterday 15:30"),
        ("en", "yesterday", TIME_HINT, "yesterday 15:30"),
    ],
)
def test_an_unclear_date_is_asked_again_with_an_example_in_the_customers_language(
    light: Desk, lang: str, said: str, hint: str, example: str | None
) -> None:
    chat = reach(light, lang, "ex_sent_at")
    chat.say(said)
    assert_asks(chat, "ex_sent_at", lang)
    assert paragraphs(chat)[-2] == tr(lang, hint)
    if example is not None:
        assert example in paragraphs(chat)[-2]
    assert saved(chat).case.examples == []


@pytest.mark.parametrize(
    ("lang", "asked", "native", "week"),
    [
        (
            "it",
            "Vorrei sapere quando scade il mio contratto",
            "lunedì 23 novembre 2026, 09:00",
            "lunedì\u2013venerdì",
        ),
        (
            "es",
            "Quisiera saber cuándo vence mi contrato",
            "lunes, 23 de noviembre de 2026, 09:00",
            "lunes\u2013viernes",
        ),
        (
            "en",
            "I would like to know when my contract expires",
            "Monday, November 23, 2026, 09:00",
            "Monday\u2013Friday",
        ),
    ],
)
def test_the_examination_date_is_told_in_the_customers_locale(
    light_store: SqlStore,
    identify: LanguageIdentifier,
    lang: str,
    asked: str,
    native: str,
    week: str,
) -> None:
    # Friday 17:00 UTC is 18:00 in Rome: after office hours, so Monday 09:00 in Rome.
    desk = desk_at(light_store, identify, datetime(2026, 11, 20, 17, 0, tzinfo=UTC))
    chat = reach(desk, lang, "description")
    chat.say(asked)
    assert_asks(chat, "summary", lang)
    chat.choose("yes")
    assert_asks(chat, "done", lang)
    [line] = [p for p in paragraphs(chat) if native in p]
    assert week in line
    assert _pattern(tr(lang, EXAMINED_FROM)).fullmatch(line), line
    assert ticket_of(chat)["language"] == lang


# ---------------------------------------------------------------------------
# 8. The first language comes from the channel's language code
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("it", "it"),
        ("it-IT", "it"),
        ("IT", "it"),
        ("es", "es"),
        ("es-419", "es"),
        ("es_ES", "es"),
        ("en", "en"),
        ("en-GB", "en"),
        ("de", "en"),
        ("pt-BR", "en"),
        ("fr-IT", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_channel_language_code_gives_the_first_language(code: str | None, lang: str) -> None:
    assert normalize_language(code) == lang


@pytest.mark.parametrize(
    ("code", "lang"), [("es-419", "es"), ("it-IT", "it"), ("pt-BR", "en"), (None, "en")]
)
def test_the_greeting_is_in_the_channels_language(light: Desk, code: str | None, lang: str) -> None:
    chat = start(light, code)
    assert_asks(chat, "menu", lang)
    assert paragraphs(chat)[0] == tr(lang, GREETING, provider=POLICY.provider.name)
    assert saved(chat).language == lang


def test_greeted_in_spanish_from_es_419(light: Desk) -> None:
    chat = start(light, "es-419")
    assert paragraphs(chat)[0].startswith("¡Hola! Soy el asistente"), chat.text
    assert chat.labels()[0] == "Un problema al enviar o recibir correo"


# ---------------------------------------------------------------------------
# 9. What switches the language, and what does not
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "state", "typed", "new"),
    [
        ("en", "email_webmail", ["in italiano per favore"], "it"),
        ("es", "ex_subject", ["english please"], "en"),
        ("it", "menu", ["¿podemos seguir en español?"], "es"),
        ("it", "email_client", ["parla inglese?"], "en"),
        ("en", "email_direction", ["/lang es"], "es"),
        ("es", "summary", ["/lang", "Italiano"], "it"),
        ("it", "ex_sent_at", ["/lang", "english"], "en"),
        ("en", "out_of_scope", ["can you speak spanish?"], "es"),
        ("es", "description", ["in italian please"], "it"),
        ("it", "email_smtp", ["/lang en"], "en"),
        ("es", "admin_action", ["¿habla inglés?"], "en"),
    ],
)
def test_a_typed_request_switches_at_any_step(
    light: Desk, lang: str, state: str, typed: list[str], new: str
) -> None:
    chat = reach(light, lang, state)
    before = saved(chat).case
    for line in typed[:-1]:
        chat.say(line)
        assert_asks(chat, "language", lang)
    chat.say(typed[-1])
    assert_asks(chat, state, new)
    assert paragraphs(chat)[0] == tr(new, SWITCHED)
    after = saved(chat)
    assert (after.language, after.case) == (new, before)


@pytest.mark.parametrize(
    ("lang", "description"),
    [
        ("it", "Vorrei sapere quanto costa tradurre il sito in inglese e in spagnolo, per favore"),
        ("es", "Quisiera saber si el webmail está también en inglés para mis empleados"),
        ("en", "Please could you set up the Italian version of the configuration portal for us"),
        ("it", "Vorrei la fattura in inglese"),
        ("en", "I need the invoice in Spanish"),
    ],
)
def test_a_description_that_mentions_a_language_does_not_switch(
    light: Desk, lang: str, description: str
) -> None:
    chat = reach(light, lang, "description")
    chat.say(description)
    assert_asks(chat, "summary", lang)
    assert saved(chat).case.description == description


@pytest.mark.parametrize(
    ("lang", "error"),
    [
        ("it", ERROR_EN),
        ("it", "Your message couldn't be delivered because the recipient's mailbox is full."),
        ("es", "Your message couldn't be delivered because the recipient's mailbox is full."),
        ("en", ERROR_IT),
    ],
)
def test_a_pasted_error_message_does_not_switch(light: Desk, lang: str, error: str) -> None:
    chat = reach(light, lang, "email_error")
    chat.say(error)
    assert_asks(chat, "ex_sender", lang)
    assert saved(chat).case.error_text == error
    assert tr(lang, SWITCHED) not in chat.text and tr(lang, NOTICED) not in chat.text


@pytest.mark.parametrize(
    ("lang", "state", "typed", "choice"),
    [
        ("it", "email_scope", "ok", "yes"),
        ("it", "email_scope", "yes", "yes"),
        ("it", "ex_more", "no", "no"),
        ("es", "email_scope", "yes", "yes"),
        ("es", "email_smtp", "ok", "yes"),
        ("es", "out_of_scope", "no", "no"),
        ("en", "email_scope", "sì", "yes"),
        ("en", "email_smtp", "vale", "yes"),
        ("en", "email_webmail", "si", "yes"),
        ("en", "ex_more", "no", "no"),
        ("it", "email_direction", "send", "send"),
        ("es", "email_client", "both", "both"),
    ],
)
def test_short_answers_never_switch(
    light: Desk, lang: str, state: str, typed: str, choice: str
) -> None:
    chat = reach(light, lang, state)
    chat.say(typed)
    want_state, want_text, _ = _pressed(light, state, choice, lang)
    assert language(chat) == lang
    assert saved(chat).language == lang
    assert (chat.state, chat.text) == (want_state, want_text)


@pytest.mark.parametrize(
    ("lang", "typed"),
    [
        ("it", "Outlook e webmail"),
        ("it", "Thunderbird e webmail"),
        ("es", "Outlook y webmail"),
    ],
)
def test_program_names_in_a_short_answer_do_not_switch(light: Desk, lang: str, typed: str) -> None:
    """Product names are English words: they say nothing about the customer's language."""
    chat = reach(light, lang, "email_client")
    chat.say(typed)
    assert language(chat) == lang, chat.text
    assert tr("en", NOTICED) not in chat.text


# ---------------------------------------------------------------------------
# 10. Plural forms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "one", "many"),
    [
        (
            "it",
            "Il testo è di 5 caratteri, ma il limite è di 1 carattere. La prego di accorciarlo.",
            "Il testo è di 301 caratteri, ma il limite è di 300 caratteri. "
            "La prego di accorciarlo.",
        ),
        (
            "es",
            "El texto tiene 5 caracteres y el límite es de 1 carácter. Acórtelo, por favor.",
            "El texto tiene 301 caracteres y el límite es de 300 caracteres. Acórtelo, por favor.",
        ),
        (
            "en",
            "That is 5 characters; the limit is 1 character. Please shorten it.",
            "That is 301 characters; the limit is 300 characters. Please shorten it.",
        ),
    ],
)
def test_plural_forms_in_each_language(lang: str, one: str, many: str) -> None:
    assert RENDER.text(lang, too_long(1, 5)) == one
    assert RENDER.text(lang, too_long(300, 301)) == many
    # 0 takes the plural form in all three languages
    assert RENDER.text(lang, too_long(0, 5)) == many.replace("301", "5").replace("300", "0")


@pytest.mark.parametrize("lang", LANGS)
def test_the_too_long_hint_counts_in_the_customers_language(light: Desk, lang: str) -> None:
    chat = reach(light, lang, "email_client_name")
    chat.say("x" * (MAX_SHORT + 1))
    assert_asks(chat, "email_client_name", lang)
    assert paragraphs(chat)[-2] == RENDER.text(lang, too_long(MAX_SHORT, MAX_SHORT + 1))
    assert f" {MAX_SHORT} " in paragraphs(chat)[-2]
    chat = reach(light, lang, "email_error")
    chat.say("y" * (MAX_TEXT + 5))
    assert_asks(chat, "email_error", lang)
    assert paragraphs(chat)[-2] == RENDER.text(lang, too_long(MAX_TEXT, MAX_TEXT + 5))


def test_an_address_in_the_sentence_does_not_hide_its_language(
    identify: LanguageIdentifier,
) -> None:
    # "info@rossi-srl.example" took this from 0.94 to 0.70, under the level that switches:
    # the desk answered an Italian customer in English (seen from a fresh clone's chat).
    said = identify("non ricevo più mail su info@rossi-srl.example da ieri")
    assert said is not None and said[0] == "it" and said[1] >= 0.8
    said = identify("no me llegan correos a reservas@garcia.example desde el lunes")
    assert said is not None and said[0] == "es" and said[1] >= 0.8
