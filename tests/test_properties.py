"""Property tests: whatever a customer sends, in whatever state, the desk answers sanely.

Every state of the triage flow is reached by a scripted path (`PATHS`), then
hypothesis sends random events: any text (unicode, emoji, control characters,
up to 5,000 characters, empty), commands, choice ids (offered ones and random
ones), typed choice labels and "start" events. After every turn:

- no exception escapes (on the real desk, a turn in state "error" means one did),
- the reply has at least one bubble, and every text and label renders in every
  language using only message ids the catalogs know,
- the state is one of the machine's states and `asking` is that state's question,
- the conversation survives a save and a reload (a JSON round trip),
- a ticket is opened (or added to) only on the turn that confirms the summary
  or answers the duplicate question, and that turn always does it.

The bulk runs on `Engine.handle` with an in-memory desk (a fake of the three
method `flows.model.Desk` port); a smaller part runs the real `Desk` on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.i18n import LANGUAGES, Renderer, extract
from bot.service import Desk
from flows.engine import LITERAL_LABELS, Engine
from flows.model import Context, Conversation, Event, Notice, TicketDraft, TicketRef
from flows.policy import load_policy
from flows.questions import QUESTIONS
from flows.text import Bubble, Choice, Lines, T, Turn
from flows.texts import EDITABLE
from storage.store import SqlStore

POLICY = load_policy()
ZONE = POLICY.office_hours.zone
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))  # a Friday, office hours
RENDERER = Renderer(ZONE)
CHANNEL = "terminal"
# PROPERTY_SCALE=20 pytest tests/test_properties.py: a longer hunt than the default run.
SCALE = float(os.environ.get("PROPERTY_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, round(n * SCALE))


# The in-memory desk ---------------------------------------------------------------
@dataclass
class MemoryDesk:
    """The flows' `Desk` port kept in a list: a fake, not a mock."""

    tickets: list[tuple[TicketRef, TicketDraft]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (kind, code)
    files: list[tuple[str, str | None]] = field(default_factory=list)  # (name, ticket)
    replies: list[tuple[str, str]] = field(default_factory=list)  # (code, text)

    def open_tickets(self, channel: str, user: str) -> list[TicketRef]:
        return [
            ref
            for ref, draft in reversed(self.tickets)
            if (draft.channel, draft.user) == (channel, user)
        ]

    def open_ticket(self, draft: TicketDraft) -> TicketRef:
        n = len(self.tickets) + 1
        ref = TicketRef(
            code=f"SPT-{n:03d}-{n:05d}",
            category=draft.category,
            priority=draft.priority,
            topic=draft.topic,
            mailbox=draft.fields.get("mailbox"),
            domain=draft.fields.get("domain"),
            direction=draft.fields.get("direction"),
            action=draft.fields.get("action"),
        )
        self.tickets.append((ref, draft))
        self.calls.append(("open", ref.code))
        return ref

    def add_details(self, code: str, draft: TicketDraft) -> TicketRef:
        ref = next(r for r, _ in self.tickets if r.code == code)  # StopIteration: no such ticket
        self.calls.append(("add", code))
        return ref.model_copy(update={"appended": True})

    def customer_tickets(self, channel: str, user: str) -> list[TicketRef]:
        return self.open_tickets(channel, user)

    def save_attachment(
        self,
        channel: str,
        user: str,
        filename: str,
        content_type: str,
        data: bytes,
        ticket: str | None = None,
    ) -> int:
        assert ticket is None or any(r.code == ticket for r, _ in self.tickets)
        self.files.append((filename, ticket))
        return len(self.files)

    def add_reply(self, code: str, text: str, language: str) -> None:
        assert any(r.code == code for r, _ in self.tickets), code
        self.replies.append((code, text))


# Paths to every state --------------------------------------------------------------
def start() -> Event:
    return Event("start")


def choose(cid: str) -> Event:
    return Event("choice", cid)


def say(text: str) -> Event:
    return Event("text", text)


def command(name: str) -> Event:
    return Event("command", name)


MAILBOX = "mario@example.com"
EMAIL = [start(), choose("email"), say(MAILBOX)]
WEBMAIL = [*EMAIL, choose("receive")]
SCOPE = [*WEBMAIL, choose("yes")]
CLIENT = [*SCOPE, choose("no")]
CLIENT_NAME = [*CLIENT, choose("both")]
ERROR = [*CLIENT_NAME, say("Thunderbird 128")]
SENDER = [*ERROR, say("550 5.1.1 User unknown")]
SUBJECT = [*SENDER, say("anna@rossi-srl.example")]  # receiving: the recipient is the mailbox
# sending: the sender is the mailbox, the recipient is asked
RECIPIENT = [*EMAIL, choose("send"), choose("yes"), *SENDER[len(WEBMAIL) :]]
SENT_AT = [*SUBJECT, say("Invoice 42")]
MORE = [*SENT_AT, say("yesterday 15:30")]
SUMMARY = [*MORE, choose("no")]
DONE = [*SUMMARY, choose("yes")]
DNS = [start(), choose("dns_check")]
DNS_RESULT = [*DNS, say("example.com")]
DNS_SUMMARY = [*DNS_RESULT, choose("yes"), choose("none")]

# name -> (events from a new conversation, the state they reach)
PATHS: dict[str, tuple[list[Event], str]] = {
    "new": ([], "new"),
    "menu": ([start()], "menu"),
    "closed": ([start(), command("cancel")], "closed"),
    "language": ([start(), command("lang")], "language"),
    "language from summary": ([*SUMMARY, command("lang")], "language"),
    "clarify": ([start(), say("I have a question about my account")], "clarify"),
    "which_first": (
        [
            start(),
            say(
                "Two things: please delete the mailbox anna@example.com, and change the "
                "password of mario@example.com"
            ),
        ],
        "which_first",
    ),
    "email_mailbox": ([start(), choose("email")], "email_mailbox"),
    "email_direction": (EMAIL, "email_direction"),
    "email_smtp": ([*EMAIL, choose("send")], "email_smtp"),
    "email_webmail": (WEBMAIL, "email_webmail"),
    "email_scope": (SCOPE, "email_scope"),
    "email_addresses": ([*SCOPE, choose("yes")], "email_addresses"),
    "email_client": (CLIENT, "email_client"),
    "email_client_name": (CLIENT_NAME, "email_client_name"),
    "email_error": (ERROR, "email_error"),
    "ex_sender": (SENDER, "ex_sender"),
    "ex_recipient": (RECIPIENT, "ex_recipient"),
    "ex_subject": (SUBJECT, "ex_subject"),
    "ex_sent_at": (SENT_AT, "ex_sent_at"),
    "ex_more": (MORE, "ex_more"),
    "summary": (SUMMARY, "summary"),
    "summary (sending)": (
        [*RECIPIENT, say("anna@rossi-srl.example"), *SUMMARY[len(SUBJECT) :]],
        "summary",
    ),
    "summary (dns)": (DNS_SUMMARY, "summary"),
    "summary (sales)": ([start(), choose("sales"), say("Please renew my plan")], "summary"),
    "editing email_direction": ([*SUMMARY, choose("edit_email_direction")], "email_direction"),
    "editing ex_sender": ([*SUMMARY, choose("edit_ex_sender")], "ex_sender"),
    "editing email_scope": ([*SUMMARY, choose("edit_email_scope")], "email_scope"),
    "editing details": ([*DNS_SUMMARY, choose("edit_details")], "details"),
    "done": (DONE, "done"),
    "duplicate": ([*DONE, choose("yes"), *SUMMARY[1:], choose("yes")], "duplicate"),
    "out_of_scope": ([start(), choose("other"), choose("firewall")], "out_of_scope"),
    "out_of_scope (webmail works)": ([*WEBMAIL, choose("no")], "out_of_scope"),
    "out_of_scope (other provider)": (
        [start(), choose("email"), say("someone@gmail.com")],
        "out_of_scope",
    ),
    "admin_action": ([start(), choose("mailbox_admin")], "admin_action"),
    "admin_mailbox": ([start(), choose("mailbox_admin"), choose("create")], "admin_mailbox"),
    "password_mailbox": ([start(), choose("password")], "password_mailbox"),
    "dns_domain": (DNS, "dns_domain"),
    "domain_name": ([start(), choose("domain")], "domain_name"),
    "hosting_domain": ([start(), choose("hosting")], "hosting_domain"),
    "dns_result": (DNS_RESULT, "dns_result"),
    "anything_else": ([*DNS_RESULT, choose("no")], "anything_else"),
    "details": ([*DNS_RESULT, choose("yes")], "details"),
    "description": ([start(), choose("sales")], "description"),
    "other_topic": ([start(), choose("other")], "other_topic"),
    "ticket_question": (DONE, "ticket_question"),
    "ticket_question (mid-flow)": ([*DONE, choose("yes"), choose("email")], "ticket_question"),
}
# Paths that end with a technician's question (Engine.tell), not with an event.
STAFF_ASKS = {
    "ticket_question": "Which version of Outlook?",
    "ticket_question (mid-flow)": "{code} {} %s \u202e",
}


# Checking one turn ---------------------------------------------------------------
@cache
def known_ids() -> frozenset[str | tuple[str, ...]]:
    """Every message id the code declares (what the catalogs are built from)."""
    return frozenset(m.id if isinstance(m.id, str) else tuple(m.id) for m in extract() if m.id)


def _texts(value: object) -> Iterator[T]:
    """Every `T` inside a bubble part, its arguments included."""
    if isinstance(value, T):
        yield value
        for arg in value.args.values():
            yield from _texts(arg)
    elif isinstance(value, Lines):
        for item in value.items:
            yield from _texts(item)


def _check_msgid(text: T) -> None:
    key: str | tuple[str, str] = text.msgid if text.plural is None else (text.msgid, text.plural)
    assert key in known_ids(), f"message id not in the catalogs: {key!r}"


def check_turn(turn: Turn, conv: Conversation | None, before: str, event: Event) -> None:
    """The properties every turn must have, whatever the event."""
    where = f"{before} --{event.kind}:{event.value[:80]!r}--> {turn.state}"
    assert turn.state != "error", f"an internal error was turned into an apology: {where}"
    assert turn.bubbles, f"no bubble: {where}"
    assert turn.state in _machine_states(), f"unknown state: {where}"
    question = QUESTIONS.get(turn.state)
    assert turn.asking == (question.asking if question else None), where
    if conv is not None:
        assert conv.state == turn.state, where
        assert turn.language == conv.language, where
    assert turn.language in LANGUAGES, where
    for bubble in turn.bubbles:
        assert isinstance(bubble, Bubble) and bubble.parts, f"empty bubble: {where}"
        for part in bubble.parts:
            assert isinstance(part, T | Lines), f"{part!r} is not translatable text: {where}"
            for text in _texts(part):
                _check_msgid(text)
    for choice in turn.choices:
        assert isinstance(choice, Choice) and choice.id, where
        if isinstance(choice.label, T):
            _check_msgid(choice.label)
        else:
            assert choice.label in LITERAL_LABELS, f"untranslated label {choice.label!r}: {where}"
    assert len({c.id for c in turn.choices}) == len(turn.choices), f"duplicate choice ids: {where}"
    for lang in LANGUAGES:  # KeyError, IndexError or ValueError here: a broken placeholder
        rendered = RENDERER.turn_text(
            Turn(turn.bubbles, turn.choices, turn.state, turn.asking, lang, turn.ticket)
        )
        assert rendered.strip(), f"blank reply in {lang}: {where}"
        for choice in turn.choices:
            assert RENDERER.label(lang, choice.label).strip(), where


@cache
def _machine_states() -> frozenset[str]:
    return frozenset(Engine(POLICY, RENDERER.label).machine.states)


def confirms(before: str, after: str, handoff: bool = False) -> bool:
    """Whether this turn is the one that must open (or add to) a ticket.

    The customer confirms the summary (or the duplicate question), or asks for
    a person, or could not be understood three times: a general ticket then
    takes everything said to a technician.
    """
    if handoff and after == "done" and before not in ("done", "language"):
        return True
    return (before, after) in (("summary", "done"), ("duplicate", "done"))


# Driving the engine directly -----------------------------------------------------------
class EngineChat:
    """One customer on `Engine.handle`, saved and reloaded as JSON between turns."""

    engine = Engine(POLICY, RENDERER.label)

    def __init__(self, language: str = "en") -> None:
        self.desk = MemoryDesk()
        self.saved = Conversation(channel=CHANNEL, user="prop", language=language).model_dump_json()
        self.turn: Turn | None = None

    @property
    def conv(self) -> Conversation:
        return Conversation.model_validate_json(self.saved)

    def send(self, event: Event, check: bool = True) -> Turn:
        conv = self.conv
        before = conv.state
        calls = len(self.desk.calls)
        turn = self.engine.handle(conv, event, Context(NOW, self.desk))
        self.saved = conv.model_dump_json()
        if check:
            check_turn(turn, conv, before, event)
            assert Conversation.model_validate_json(self.saved) == conv, "lost on reload"
            new = self.desk.calls[calls:]
            where = f"{before} --{event.kind}:{event.value[:80]!r}--> {turn.state}: {new}"
            if confirms(before, turn.state, conv.case.handoff):
                assert len(new) == 1, f"the confirming turn must touch one ticket: {where}"
                assert turn.ticket == new[0][1], where
                assert conv.last_ticket is not None and conv.last_ticket.code == turn.ticket
            else:
                assert not new, f"a ticket was touched outside confirmation: {where}"
                assert turn.ticket is None, where
        self.turn = turn
        return turn


@cache
def _reached(name: str) -> tuple[str, MemoryDesk]:
    """Run a path once; return the conversation (as JSON) and the desk it left."""
    events, expected = PATHS[name]
    chat = EngineChat()
    for event in events:
        chat.send(event)
    if name in STAFF_ASKS:  # a technician's question arrives from the staff side
        conv = chat.conv
        code = conv.last_ticket.code if conv.last_ticket else "SPT-001-00001"
        chat.engine.tell(
            conv,
            Notice(code=code, status="waiting", note=STAFF_ASKS[name]),
            Context(NOW, chat.desk),
        )
        chat.saved = conv.model_dump_json()
    assert chat.conv.state == expected, f"path {name!r} ends in {chat.conv.state!r}"
    return chat.saved, chat.desk


def chat_at(name: str, language: str) -> EngineChat:
    saved, desk = _reached(name)
    chat = EngineChat()
    conv = Conversation.model_validate_json(saved)
    conv.language = language
    chat.saved, chat.desk = conv.model_dump_json(), copy.deepcopy(desk)
    # What the customer saw last: the question of this state.
    chat.turn = chat.engine.handle(
        conv.model_copy(deep=True), Event("command", "help"), Context(NOW, copy.deepcopy(desk))
    )
    return chat


# Strategies ------------------------------------------------------------------------
PLAUSIBLE = (
    "yes",
    "no",
    "Yes!",
    "nope",
    "I don't know",
    "not sure",
    "maybe",
    "both",
    "webmail",
    "webmail too",
    "it works in webmail",
    "haven't tried",
    "send",
    "I can't receive mail",
    "none",
    "no error",
    "nothing to add",
    "no subject",
    "something else",
    "create",
    "delete",
    "password",
    "dns",
    "billing",
    "hosting",
    "domain",
    "firewall",
    "antivirus",
    "gmail",
    "Outlook",
    "Thunderbird",
    "English",
    "Italiano",
    "Español",
    "italian",
    "es",
    MAILBOX,
    "Mario Rossi <mario@example.com>",
    "mailto:anna@rossi-srl.example",
    "someone@gmail.com",
    "x@EXAMPLE.COM.",
    "bad@",
    "@example.com",
    "a@b",
    "example.com",
    "https://www.example.org/path",
    "garcia.example",
    "not a domain",
    "xn--bcher-kva.example",
    "bücher.example",
    "müller@bücher.example",
    "user@例え.テスト",
    "yesterday 15:30",
    "today 9",
    "21/11/2026 10:05",
    "2026-11-19 08:00",
    "monday 10am",
    "tomorrow 10:00",
    "31/02/2026 10:00",
    "25:61",
    "yesterday",
    "3pm",
    "2026-11-20T10:55",
    "550 5.1.1 User unknown",
    "{code}",
    "{0}",
    "{}",
    "%s %(x)s",
    "}{",
    "/",
    "/ help",
    "1",
    "0",
    "99",
    "\u202eevil",
    "\ufeffyes",
    "\x00\x01\x1b[31m",
    "\r\n\r\n",
    " \t ",
    "🙂📧💥",
    "ÿ̶̛̪̗͍̦̉̔̊e̷s̵",
)
COMMANDS = (
    "help", "cancel", "restart", "lang", "language", "start", "menu", "nonsense", "",
    "status", "lang it", "lang es", "lang xx",
)  # fmt: skip
ALL_CHOICE_IDS = sorted(
    {cid for q in QUESTIONS.values() for cid, _ in q.choices}
    | {"yes", "something_else", *POLICY.scope.out_of_scope}
    | {f"edit_{state}" for fields in EDITABLE.values() for _, state, _ in fields}
)


def _date_text(moment: datetime, shape: int) -> str:
    return (
        moment.strftime("%d/%m/%Y %H:%M"),
        moment.strftime("%Y-%m-%d %H:%M"),
        moment.strftime("%d.%m.%y %H.%M"),
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}",
    )[shape]


dates = st.builds(
    _date_text,
    st.one_of(
        st.datetimes(datetime(2020, 1, 1), NOW.replace(tzinfo=None) + timedelta(days=2)),
        st.datetimes(max_value=NOW.replace(tzinfo=None)),
    ),
    st.integers(0, 3),
)
long_texts = st.builds(
    lambda unit, size: (unit * (size // len(unit) + 1))[:size],
    st.text(min_size=1, max_size=12),
    st.integers(300, 5000),
)
texts = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=40),  # any code point but surrogates: emoji, controls, combining marks
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "So", "Mn"]), max_size=12),
    st.emails(),
    dates,
    long_texts,
    st.just(""),
)

# An action is resolved into an event against the turn the customer is looking at.
actions = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("line"), st.one_of(texts, st.sampled_from(COMMANDS).map("/{}".format))),
    st.tuples(st.just("command"), st.one_of(st.sampled_from(COMMANDS), st.text(max_size=10))),
    st.tuples(st.just("offered"), st.integers(0, 20)),  # press a button on screen
    st.tuples(st.just("label"), st.integers(0, 20)),  # type a button's label
    st.tuples(st.just("choice"), st.one_of(st.sampled_from(ALL_CHOICE_IDS), st.text(max_size=10))),
    st.tuples(st.just("start"), st.just("")),
    st.tuples(st.just("stale"), st.integers(0, 20)),  # a button of an older question
    st.tuples(st.just("file"), st.integers(0, 3_000_000)),  # a screenshot of some size
)


def to_event(action: tuple[str, object], turn: Turn | None) -> Event:
    kind, value = action
    offered = turn.choices if turn is not None else []
    if kind in ("offered", "label"):
        if not offered:
            return Event("start")
        choice = offered[int(str(value)) % len(offered)]
        if kind == "offered":
            return Event("choice", choice.id)
        return Event("text", RENDERER.label(turn.language if turn else "en", choice.label))
    if kind == "stale":
        if not offered or turn is None:
            return Event("choice", "yes", ref=0)
        return Event("choice", offered[int(str(value)) % len(offered)].id, ref=turn.ref - 1)
    if kind == "file":
        size = int(str(value))
        data = b"\x89PNG" * 4 if size <= POLICY.tickets.max_attachment_bytes else None
        return Event("attachment", "shot.png", size=size, content_type="image/png", data=data)
    if kind == "line":
        return Event.from_input(str(value))
    if kind == "start":
        return Event("start")
    return Event(kind, str(value))  # type: ignore[arg-type]


# The properties, on the engine ------------------------------------------------------
def test_every_state_has_a_path() -> None:
    reached = {state for _, state in PATHS.values()}
    assert reached == _machine_states()


@pytest.mark.parametrize("name", list(PATHS))
def test_paths_reach_their_state(name: str) -> None:
    saved, _ = _reached(name)
    assert Conversation.model_validate_json(saved).state == PATHS[name][1]


@pytest.mark.parametrize("name", list(PATHS))
@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from(LANGUAGES),
    steps=st.lists(actions, min_size=1, max_size=20),
)
def test_any_events_in_any_state(name: str, language: str, steps: list[tuple[str, object]]) -> None:
    chat = chat_at(name, language)
    for action in steps:
        chat.send(to_event(action, chat.turn))


@pytest.mark.parametrize("name", ["summary", "summary (dns)", "duplicate", "done", "ex_sent_at"])
@settings(max_examples=examples(40), deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("offered"), st.integers(0, 20)),
            st.tuples(st.just("label"), st.integers(0, 20)),
            st.tuples(st.just("text"), st.sampled_from(PLAUSIBLE)),
            st.tuples(st.just("text"), dates),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_buttons_and_plausible_answers_near_the_ticket(
    name: str, steps: list[tuple[str, object]]
) -> None:
    """Mostly well-formed answers around the summary, where tickets are opened."""
    chat = chat_at(name, "en")
    for action in steps:
        chat.send(to_event(action, chat.turn))


@settings(max_examples=examples(100), deadline=None)
@given(when=dates)
@example(when="0001-01-01 00:30")  # the earliest day there is, just after midnight
def test_any_past_date_can_be_given_for_an_example(when: str) -> None:
    """A sent time the flow accepts must show in the summary without a crash."""
    chat = chat_at("ex_sent_at", "en")
    chat.send(Event("text", when))
    if chat.conv.state == "ex_more":
        chat.send(Event("choice", "no"))
        assert chat.conv.state == "summary"


# The properties, on the real desk and both databases ---------------------------------
_users = itertools.count()


class _Failures(logging.Handler):
    """Collect what the desk logs when it turns an exception into an apology."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        detail = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else ""
        self.records.append(f"{record.getMessage()}\n{detail}")


def _ticket_marks(store: SqlStore, user: str) -> list[tuple[str, int]]:
    return [(t["code"], len(t["notes"])) for t in store.tickets(user)]


@pytest.mark.parametrize(
    "name",
    [
        "menu",
        "email_webmail",
        "ex_sent_at",
        "summary",
        "duplicate",
        "language from summary",
        "details",
        "other_topic",
    ],
)
@settings(
    max_examples=examples(8),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    language=st.sampled_from(LANGUAGES),
    steps=st.lists(st.one_of(actions, st.just(("restart the bot", ""))), min_size=1, max_size=10),
)
def test_the_real_desk_on_both_databases(
    desk: Desk, store: SqlStore, name: str, language: str, steps: list[tuple[str, object]]
) -> None:
    user = f"prop-{next(_users)}"
    failures = _Failures()
    logger = logging.getLogger("bot.service")
    logger.addHandler(failures)
    try:
        events, expected = PATHS[name]
        turn = None
        for event in events:
            turn = desk.handle(CHANNEL, user, event, language)
            assert turn.state != "error", failures.records
        assert turn is None or turn.state == expected
        state = turn.state if turn is not None else "new"
        for action in steps:
            if action[0] == "restart the bot":  # a new process on the same database
                desk = Desk(store, desk.policy, clock=desk.clock)
                continue
            event = to_event(action, turn)
            marks = _ticket_marks(store, user)
            turn = desk.handle(CHANNEL, user, event, language)
            assert turn.state != "error", "\n".join(failures.records)
            check_turn(turn, None, state, event)
            desk.render(turn)
            after = _ticket_marks(store, user)
            where = f"{state} --{event.kind}:{event.value[:80]!r}--> {turn.state}"
            with store.transaction() as tx:
                saved = tx.load_conversation(CHANNEL, user)
            handoff = saved is not None and saved.case.handoff
            if confirms(state, turn.state, handoff):
                assert after != marks and turn.ticket is not None, where
                assert turn.ticket in {code for code, _ in after}, where
            else:
                assert after == marks and turn.ticket is None, where
            state = turn.state
    finally:
        logger.removeHandler(failures)
