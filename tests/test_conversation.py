"""Whole conversations, as a customer lives them.

Every test drives the real desk through the `Chat` driver and asserts on what
the customer reads (rendered text, choices) and on the tickets in the store.
Every test runs on SQLite and on PostgreSQL (see `tests/conftest.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.service import Desk
from flows.engine import KEEP_AS_TYPED, OFFER_PERSON
from flows.policy import Policy
from flows.prefill import rejected_in
from storage.store import SqlStore
from tests.support.chat import Chat, Clock

OFFER = OFFER_PERSON

ROME = ZoneInfo("Europe/Rome")
CODE = re.compile(r"^SPT-\d{3}-\d{5}$")
MENU = ["email", "mailbox_admin", "password", "dns_check", "sales", "domain", "hosting", "other"]
OTHER_TOPICS = ["firewall", "antivirus", "internet_connection", "mail_client", "other_provider"]

# What the customer reads at each question (the English prompts).
PROMPT = {
    "menu": "What can I help you with?",
    "email_mailbox": "Which mailbox has the problem? Please type its full address.",
    "email_direction": "Is the problem in sending or in receiving mail?",
    "email_smtp": "Does your mail program send through our SMTP server, smtp.example.net?",
    "email_webmail": "Please try the same thing in webmail, at https://webmail.example.net.",
    "email_scope": "Does it happen only with certain addresses",
    "email_addresses": "Which addresses or domains?",
    "email_client": "Where do you read and send your mail?",
    "email_client_name": "Which mail program or app?",
    "email_error": "Please copy the error message word for word",
    "ex_sender": "Who was the sender?",
    "ex_recipient": "Who was the recipient?",
    "ex_subject": "What was its subject?",
    "ex_sent_at": "When was it sent?",
    "ex_more": "Would you like to add another example message?",
    "summary": "Is everything right? Open the ticket, or choose what to change.",
    "duplicate": "Shall I add these details to it instead of opening a new ticket?",
    "done": "Do you have another problem to report?",
    "out_of_scope": "Can I help you with anything else?",
    "details": "Anything else the technician should know?",
    "description": "Please describe your request in your own words.",
    "other_topic": "Which of these is it about?",
    "admin_action": "Do you want to create a new mailbox or delete one?",
    "admin_mailbox": "Which mailbox? Please type its full address.",
    "password_mailbox": "Which mailbox's password must be changed?",
    "dns_domain": "Which domain should be checked?",
    "domain_name": "Which domain is it about?",
    "hosting_domain": "Which site or domain is hosted with us?",
    "language": "Which language do you prefer?",
}

ROAD_AND_CAR = "think of our mail service as a toll road"
CAR = "computer and mail program are the car"
PARTNERS = (
    "Studio Informatico Bianchi \u2014 +39 02 0000 0001 \u00b7 https://bianchi.example",
    "Soluciones TIC Costa \u2014 +34 952 000 002 \u00b7 https://tic-costa.example",
)
REMOTE = "https://www.example.net/remote-support/"
IN_NOW = "your ticket will be examined today"
SCHEDULE = "Our technicians work Monday\u2013Friday, 09:00\u201317:30"
FUTURE_HINT = "That date is in the future. When was the message sent?"
TOO_OLD_HINT = "That is more than a year ago. Please give an example from the last months."
DIRECTION_LINE = "Problem with: {}"
WEBMAIL_FAILS_LINE = "Problem also in webmail: yes"
GOODBYE = "Thank you, and goodbye! Write to me whenever you need help."
STALE = "That question is closed. Here is the current one."
YES_NO_HINT = "Please answer yes or no (or use the buttons)."
ADDRESS_HINT = "That doesn't look like an e-mail address. Please type it like name@example.com."

HOSTED = ("example.com", "example.org", "rossi-srl.example", "garcia.example")  # the policy's
RECEIVE_ERROR = (
    "Delivery has failed to these recipients or groups:\n"
    "mario@example.com\n"
    "Remote server returned '550 5.7.1 <mario@example.com>: Recipient address rejected: "
    "Access denied [AM0PR01MB1234.eurprd01.prod.outlook.com]'"
)
SEND_ERROR = (
    "The message could not be sent because one of the recipients was rejected by the server. "
    "The rejected e-mail address was 'cliente@fornitore.example'. Subject 'Preventivo', "
    "Account: 'mario@example.com', Server: 'smtp.example.net', Protocol: SMTP, "
    "Server Response: '554 5.7.1 <cliente@fornitore.example>: Relay access denied', "
    "Port: 587, Secure(SSL): No, Server Error: 554, Error Number: 0x800CCC79"
)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

Step = tuple[str, str, str]  # (the state asking, "say" or "choose", what is typed or chosen)


@dataclass(frozen=True)
class Ex:
    """An example message as the customer types it, and as the ticket must hold it."""

    sender: str = "anna@rossi-srl.example"
    recipient: str = "mario@example.com"
    subject: str | None = "Fattura 42"  # None: "It had no subject"
    said: str = "yesterday 15:30"
    sent_at: str = "2026-11-19T15:30+01:00"

    def stored(self) -> dict[str, str]:
        return {
            "sender": self.sender,
            "recipient": self.recipient,
            "subject": self.subject or "",
            "sent_at": self.sent_at,
        }


EX1 = Ex()
EX2 = Ex(
    sender="mario@example.com",
    recipient="cliente@fornitore.example",
    subject="Preventivo",
    said="19/11/2026 09:05",
    sent_at="2026-11-19T09:05+01:00",
)
EX2_IN = Ex(  # EX2's answer, received
    sender="cliente@fornitore.example",
    subject="Preventivo",
    said="19/11/2026 09:05",
    sent_at="2026-11-19T09:05+01:00",
)


@dataclass(frozen=True)
class EmailCase:
    """One e-mail problem as the customer will tell it; `script()` is the dialogue."""

    mailbox: str = "mario@example.com"
    direction: str = "receive"
    addresses: str | None = None  # None: "With every address"
    client_name: str | None = "Outlook 2021"  # None: "Only in webmail"
    error: str | None = RECEIVE_ERROR  # None: "There is no error message"
    examples: tuple[Ex, ...] = (EX1,)
    more_examples: bool = True  # whether "another example?" is asked after the last one

    def script(self) -> list[Step]:
        """(state it is asked in, action, value) for every answer, up to the summary."""
        s: list[Step] = [
            ("menu", "choose", "email"),
            ("email_mailbox", "say", self.mailbox),
            ("email_direction", "choose", self.direction),
        ]
        if self.direction == "send":
            s.append(("email_smtp", "choose", "yes"))
        s.append(("email_webmail", "choose", "yes"))
        if self.addresses is None:
            s.append(("email_scope", "choose", "no"))
        else:
            s += [("email_scope", "choose", "yes"), ("email_addresses", "say", self.addresses)]
        if self.client_name is None:
            s.append(("email_client", "choose", "webmail"))
        else:
            s += [
                ("email_client", "choose", "both"),
                ("email_client_name", "say", self.client_name),
            ]
        s.append(
            ("email_error", "choose", "none")
            if self.error is None
            else ("email_error", "say", self.error)
        )
        s += example_script(self.examples, self.direction, self.bounced())
        if self.more_examples:
            s.append(("ex_more", "choose", "no"))
        return s

    def expected(self) -> dict[str, Any]:
        """The ticket fields this case must produce."""
        return {
            "category": "email_sending" if self.direction == "send" else "email_receiving",
            "team": "technical",
            "priority": "normal",  # fails in webmail too
            "status": "open",
            "topic": "email",
            "mailbox": self.mailbox,
            "domain": self.mailbox.rsplit("@", 1)[1],
            "direction": self.direction,
            "smtp_is_provider": True if self.direction == "send" else None,
            "webmail_fails": True,
            "addresses": self.addresses,
            "client": "webmail" if self.client_name is None else "both",
            "client_name": self.client_name,
            "error_text": "" if self.error is None else self.error,
            "examples": [self.stored(e) for e in self.examples],
        }

    def bounced(self) -> str | None:
        """Sending, the one recipient the pasted error says was refused: the example's, unasked."""
        said = rejected_in(self.error or "") if self.direction == "send" else []
        refused = {a for a in said if a.rsplit("@", 1)[1] not in HOSTED}  # ours: not theirs
        return refused.pop() if len(refused) == 1 else None

    def stored(self, ex: Ex) -> dict[str, str]:
        """How the ticket holds `ex`: its mailbox side (not asked) is the mailbox."""
        if self.direction == "receive":
            return {**ex.stored(), "recipient": self.mailbox}
        if self.direction == "send":
            return {**ex.stored(), "sender": self.mailbox}
        return ex.stored()


def example_script(
    examples: tuple[Ex, ...] | list[Ex], direction: str = "both", bounced: str | None = None
) -> list[Step]:
    """The answers that give `examples`: the side that is the mailbox is not asked.

    Receiving, the recipient is the mailbox; sending, the sender is; both
    ways, both parties are asked. The first example's recipient is not asked
    either when the pasted error named it (`bounced`).
    """
    s: list[Step] = []
    for i, ex in enumerate(examples):
        if i:
            s.append(("ex_more", "choose", "yes"))
        if direction != "send":
            s.append(("ex_sender", "say", ex.sender))
        if direction != "receive" and not (i == 0 and bounced == ex.recipient):
            s.append(("ex_recipient", "say", ex.recipient))
        s.append(
            ("ex_subject", "choose", "none")
            if ex.subject is None
            else ("ex_subject", "say", ex.subject)
        )
        s.append(("ex_sent_at", "say", ex.said))
    return s


def _index(state: str, steps: list[Step]) -> int:
    return next(i for i, (s, _, _) in enumerate(steps) if s == state)


def until(state: str, case: EmailCase) -> list[Step]:
    """The answers of `case` before its question `state` (the summary included)."""
    steps = [*case.script(), ("summary", "choose", "yes")]
    return steps[: _index(state, steps)]


def since(state: str, case: EmailCase) -> list[Step]:
    """The answers of `case` from its question `state` on, up to opening the ticket."""
    steps = [*case.script(), ("summary", "choose", "yes")]
    return steps[_index(state, steps) :]


def act(chat: Chat, action: str, value: str) -> None:
    getattr(chat, action)(value)


def play(chat: Chat, script: list[Step]) -> None:
    """Answer each question of `script`, checking that it is the question being asked."""
    for state, action, value in script:
        assert chat.state == state, f"expected to be asked {state}:\n{chat.text}"
        act(chat, action, value)


def to_summary(chat: Chat, case: EmailCase) -> None:
    play(chat, case.script())
    assert_asks(chat, "summary")


def assert_asks(chat: Chat, state: str) -> None:
    """The customer is being asked the question of `state`, and reads its prompt last."""
    assert chat.state == state, chat.text
    assert PROMPT[state] in chat.text.split("\n\n")[-1], chat.text


def assert_re_asked(chat: Chat, state: str, hint: str, choices: list[str] | None = None) -> None:
    """A refused answer: the hint, then the same question, and nothing else changed."""
    assert_asks(chat, state)
    assert hint in chat.text, chat.text
    assert chat.text.index(hint) < chat.text.index(PROMPT[state])
    assert chat.ticket is None
    if choices is not None:
        assert chat.choices == choices


def confirm(chat: Chat, store: SqlStore) -> dict[str, Any]:
    """Open the ticket from the summary and return it as stored."""
    assert_asks(chat, "summary")
    chat.choose("yes")
    return opened(chat, store)


def opened(chat: Chat, store: SqlStore) -> dict[str, Any]:
    """The ticket this turn opened, after checking what the customer was told about it."""
    assert_asks(chat, "done")
    code = chat.ticket
    assert code is not None and CODE.match(code), code
    assert f"Your ticket {code} is open" in chat.text
    assert f"Please quote {code} whenever you write to us" in chat.text
    assert chat.choices == ["yes", "no"]
    ticket = store.ticket(code)
    assert ticket is not None
    assert ticket["code"] == code
    return ticket


def assert_fields(ticket: dict[str, Any], expected: dict[str, Any]) -> None:
    got = {k: ticket[k] for k in expected}
    assert got == expected


def assert_no_ticket(store: SqlStore) -> None:
    assert store.tickets() == []


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)


def line_with(text: str, needle: str) -> str:
    """The one line of `text` that holds `needle`."""
    found = [line for line in text.splitlines() if needle in line]
    assert len(found) == 1, f"{needle!r} in {len(found)} lines of:\n{text}"
    return found[0]


def assert_says_moment(text: str, moment: datetime) -> None:
    """`text` names `moment`: weekday, day, month, year and time (in any order or format)."""
    for part in (
        moment.strftime("%A"),
        moment.strftime("%B"),
        str(moment.day),
        str(moment.year),
        moment.strftime("%H:%M"),
    ):
        assert re.search(rf"(?<!\d){re.escape(part)}(?!\d)", text), f"{part!r} not in {text!r}"


# ---------------------------------------------------------------------------
# The two e-mail paths to a ticket
# ---------------------------------------------------------------------------


def test_receiving_problem_reaches_a_complete_ticket(chat: Chat, store: SqlStore) -> None:
    assert_asks(chat, "menu")
    assert chat.choices == MENU
    assert "Hello! I'm the support assistant of Esempio Hosting." in chat.text

    case = EmailCase(
        addresses="only from fornitore.example and anna@rossi-srl.example", examples=(EX1, EX2_IN)
    )
    chat.choose("email")
    assert_asks(chat, "email_mailbox")
    assert chat.choices == []
    chat.say("mario@example.com")
    assert_asks(chat, "email_direction")
    assert chat.choices == ["send", "receive", "both"]
    assert chat.labels() == ["Sending", "Receiving", "Both"]
    chat.choose("receive")
    assert_asks(chat, "email_webmail")  # no SMTP question for receiving
    assert chat.choices == ["yes", "no", "not_tried"]
    chat.choose("yes")
    assert_asks(chat, "email_scope")
    chat.choose("yes")
    assert_asks(chat, "email_addresses")
    chat.say(case.addresses or "")
    assert_asks(chat, "email_client")
    chat.choose("both")
    assert_asks(chat, "email_client_name")
    assert chat.choices == ["Outlook", "Thunderbird", "Apple Mail", "Gmail app"]
    chat.say("Outlook 2021")
    assert_asks(chat, "email_error")
    chat.say(RECEIVE_ERROR)
    assert_asks(chat, "ex_sender")
    assert "the technician needs at least one example" in chat.text
    play(chat, example_script([EX1], "receive"))
    assert_asks(chat, "ex_more")
    chat.choose("yes")
    assert_asks(chat, "ex_sender")
    assert "Example number 2." in chat.text
    play(chat, example_script([EX2_IN], "receive"))
    chat.choose("no")

    assert_asks(chat, "summary")
    summary = chat.text
    for line in (
        "Here is what I will send to our technicians:",
        "Request: A problem sending or receiving e-mail",
        "Mailbox: mario@example.com",
        DIRECTION_LINE.format("receiving"),
        WEBMAIL_FAILS_LINE,
        f"Only with these addresses: {case.addresses}",
        "Where: Outlook 2021 and webmail",
        f"Error message: {RECEIVE_ERROR}",
        "Category: E-mail: receiving (to our technical helpdesk), priority normal",
    ):
        assert line in summary
    first = line_with(summary, "Example 1:")
    assert (
        "from anna@rossi-srl.example to mario@example.com, subject \u201cFattura 42\u201d" in first
    )
    assert_says_moment(first.split("sent", 1)[1], rome(2026, 11, 19, 15, 30))
    second = line_with(summary, "Example 2:")
    assert (
        "from cliente@fornitore.example to mario@example.com, subject \u201cPreventivo\u201d"
        in second
    )
    assert_says_moment(second.split("sent", 1)[1], rome(2026, 11, 19, 9, 5))
    assert "Sends through" not in summary
    assert chat.choices[0] == "yes"
    assert "edit_email_smtp" not in chat.choices  # no SMTP answer to change when receiving
    assert store.tickets() == []  # nothing is opened before the customer confirms

    ticket = confirm(chat, store)
    assert_fields(
        ticket,
        {
            **case.expected(),
            "language": "en",
            "channel": "terminal",
            "user": "customer-1",
        },
    )
    assert ticket["notes"] == []
    assert (
        "Your ticket {} is open: E-mail: receiving, priority normal.".format(ticket["code"])
        in chat.text
    )
    assert IN_NOW in chat.text
    assert [t["code"] for t in store.tickets()] == [ticket["code"]]


def test_sending_problem_reaches_a_complete_ticket(chat: Chat, store: SqlStore) -> None:
    case = EmailCase(
        direction="send",
        client_name=None,
        error=SEND_ERROR,
        examples=(
            Ex(sender="mario@example.com", recipient="cliente@fornitore.example", subject=None),
        ),
    )
    chat.choose("email")
    chat.say(case.mailbox)
    chat.choose("send")
    assert_asks(chat, "email_smtp")
    assert chat.choices == ["yes", "no", "unsure"]
    chat.choose("yes")
    assert_asks(chat, "email_webmail")
    play(chat, case.script()[4:])

    assert_asks(chat, "summary")
    for line in (
        DIRECTION_LINE.format("sending"),
        "Sends through smtp.example.net: yes",
        "Addresses: all of them",
        "Where: only in webmail",
        f"Error message: {SEND_ERROR}",
        "subject \u201c(no subject)\u201d",
        "Category: E-mail: sending (to our technical helpdesk), priority normal",
    ):
        assert line in chat.text
    assert "edit_email_smtp" in chat.choices

    ticket = confirm(chat, store)
    assert_fields(
        ticket,
        {
            **case.expected(),
            "category": "email_sending",
            "smtp_is_provider": True,
            "client": "webmail",
            "client_name": None,
            "addresses": None,
            "language": "en",
            "channel": "terminal",
            "user": "customer-1",
            "status": "open",
        },
    )
    assert ticket["examples"] == [
        {
            "sender": "mario@example.com",
            "recipient": "cliente@fornitore.example",
            "subject": "",
            "sent_at": "2026-11-19T15:30+01:00",
        }
    ]
    assert (
        "Your ticket {} is open: E-mail: sending, priority normal.".format(ticket["code"])
        in chat.text
    )


def test_no_error_message_is_recorded_as_none(chat: Chat, store: SqlStore) -> None:
    case = EmailCase(error=None)
    to_summary(chat, case)
    assert "Error message: none" in chat.text
    ticket = confirm(chat, store)
    assert ticket["error_text"] == ""


@pytest.mark.parametrize(
    ("now", "from_"),
    [
        pytest.param(rome(2026, 11, 20, 11, 0), None, id="friday-morning"),
        pytest.param(rome(2026, 11, 20, 17, 29), None, id="friday-just-before-close"),
        pytest.param(rome(2026, 11, 20, 17, 30), rome(2026, 11, 23, 9, 0), id="friday-at-close"),
        pytest.param(rome(2026, 11, 20, 18, 0), rome(2026, 11, 23, 9, 0), id="friday-evening"),
        pytest.param(rome(2026, 11, 21, 10, 0), rome(2026, 11, 23, 9, 0), id="saturday"),
        pytest.param(rome(2026, 11, 24, 7, 45), rome(2026, 11, 24, 9, 0), id="early-morning"),
        pytest.param(rome(2026, 12, 8, 10, 0), rome(2026, 12, 9, 9, 0), id="8-december"),
        pytest.param(
            rome(2026, 12, 7, 18, 0), rome(2026, 12, 9, 9, 0), id="evening-before-8-december"
        ),
        pytest.param(
            rome(2026, 12, 24, 18, 0), rome(2026, 12, 28, 9, 0), id="christmas-eve-evening"
        ),
        pytest.param(rome(2027, 3, 29, 10, 0), rome(2027, 3, 30, 9, 0), id="easter-monday-2027"),
        pytest.param(
            rome(2027, 3, 26, 20, 0), rome(2027, 3, 30, 9, 0), id="friday-before-easter-monday"
        ),
    ],
)
def test_the_customer_is_told_when_the_ticket_will_be_examined(
    chat: Chat, store: SqlStore, clock: Clock, now: datetime, from_: datetime | None
) -> None:
    clock.now = now
    to_summary(chat, EmailCase())
    ticket = confirm(chat, store)
    hours = line_with(chat.text, SCHEDULE)
    if from_ is None:
        assert IN_NOW in hours
    else:
        assert "examined today" not in hours
        assert "Your ticket will be examined from" in hours
        assert_says_moment(hours.split("examined from", 1)[1], from_)
    assert CODE.match(ticket["code"])


# ---------------------------------------------------------------------------
# Out of scope: explained, and no ticket
# ---------------------------------------------------------------------------


def _not_hosted(chat: Chat) -> None:
    chat.choose("email")
    chat.say("mario@gmail.com")


def _smtp_elsewhere(chat: Chat) -> None:
    chat.choose("email")
    chat.say("mario@example.com")
    chat.choose("send")
    chat.say("no")


def _webmail_works(chat: Chat) -> None:
    chat.choose("email")
    chat.say("mario@example.com")
    chat.choose("receive")
    chat.choose("no")


def _topic(topic: str) -> Callable[[Chat], None]:
    def go(chat: Chat) -> None:
        chat.choose("other")
        assert_asks(chat, "other_topic")
        assert chat.choices == [*OTHER_TOPICS, "something_else"]
        chat.choose(topic)

    return go


OUT_OF_SCOPE = [
    pytest.param(
        _not_hosted,
        [
            "gmail.com is not hosted with Esempio Hosting, so its mail is looked after by another "
            "provider. Please contact the provider that hosts gmail.com.",
        ],
        False,
        False,
        id="mailbox-not-hosted",
    ),
    pytest.param(
        _smtp_elsewhere,
        [
            "Your mail program sends through a server that is not ours.",
            "usually your Internet connection provider",
            "Or set smtp.example.net as the outgoing server; the settings are at "
            "https://help.example.net.",
        ],
        False,
        False,
        id="smtp-elsewhere",
    ),
    pytest.param(
        _webmail_works,
        [
            "Since webmail works, our mail service is working: the problem is in your computer or "
            "in your mail program.",
            "please call your IT technician",
        ],
        True,
        True,
        id="webmail-works",
    ),
    pytest.param(
        _topic("firewall"), ["Firewalls, whether software or a device"], True, False, id="firewall"
    ),
    pytest.param(
        _topic("antivirus"),
        ["Antivirus programs (Avast, ESET, Norton"],
        True,
        False,
        id="antivirus",
    ),
    pytest.param(
        _topic("internet_connection"),
        ["Your Internet connection is looked after by your connectivity provider"],
        True,
        False,
        id="internet-connection",
    ),
    pytest.param(
        _topic("mail_client"),
        ["Installing mail programs and training on how to use them is not part of our service."],
        True,
        True,
        id="mail-client",
    ),
    pytest.param(
        _topic("other_provider"),
        ["We can only help with mailboxes on the domains we host."],
        True,
        False,
        id="other-provider",
    ),
]


@pytest.mark.parametrize(("reach", "reasons", "road_and_car", "remote"), OUT_OF_SCOPE)
def test_out_of_scope_is_explained_and_opens_no_ticket(
    chat: Chat, store: SqlStore, reach, reasons: list[str], road_and_car: bool, remote: bool
) -> None:
    reach(chat)
    assert_asks(chat, "out_of_scope")
    assert chat.choices == ["yes", "no"]
    assert chat.ticket is None
    for reason in reasons:
        assert reason in chat.text
    if road_and_car:
        assert ROAD_AND_CAR in chat.text.lower()
        assert CAR in chat.text.lower()
        assert "IT technicians we work with:" in chat.text
        for partner in PARTNERS:
            assert partner in chat.text
    assert (REMOTE in chat.text) is remote
    assert_no_ticket(store)

    chat.choose("no")
    assert chat.state == "closed"
    assert GOODBYE in chat.text
    assert_no_ticket(store)


def test_out_of_scope_then_something_else_returns_to_an_empty_menu(
    chat: Chat, store: SqlStore
) -> None:
    _not_hosted(chat)
    chat.say("yes")
    assert_asks(chat, "menu")
    assert chat.choices == MENU
    to_summary(chat, EmailCase())  # the gmail.com mailbox is forgotten
    ticket = confirm(chat, store)
    assert ticket["mailbox"] == "mario@example.com"
    assert len(store.tickets()) == 1


def test_unsure_about_smtp_explains_how_to_check_and_asks_again(
    chat: Chat, store: SqlStore
) -> None:
    chat.choose("email")
    chat.say("mario@example.com")
    chat.choose("send")
    chat.choose("unsure")
    assert_asks(chat, "email_smtp")
    assert (
        "look at the outgoing server (SMTP). If it says smtp.example.net, the answer is yes."
        in chat.text
    )
    chat.choose("yes")
    assert_asks(chat, "email_webmail")


def test_webmail_not_tried_explains_webmail_and_asks_again(chat: Chat) -> None:
    chat.choose("email")
    chat.say("mario@example.com")
    chat.choose("receive")
    chat.choose("not_tried")
    assert_asks(chat, "email_webmail")
    assert "Webmail is your mailbox in the browser: open https://webmail.example.net" in chat.text


def test_something_else_becomes_a_general_ticket(chat: Chat, store: SqlStore) -> None:
    chat.choose("other")
    chat.choose("something_else")
    assert_asks(chat, "description")
    description = "Can I use certified e-mail (PEC) with my domain rossi-srl.example?"
    chat.say(description)
    assert_asks(chat, "summary")
    assert f"Details: {description}" in chat.text
    assert "Category: General request (to our technical helpdesk), priority low" in chat.text
    ticket = confirm(chat, store)
    assert_fields(
        ticket,
        {
            "category": "general",
            "team": "technical",
            "priority": "low",
            "status": "open",
            "description": description,
            "mailbox": None,
            "direction": None,
        },
    )


# ---------------------------------------------------------------------------
# The other menu topics
# ---------------------------------------------------------------------------

TOPIC_TICKETS = [
    pytest.param(
        [
            ("menu", "choose", "mailbox_admin"),
            ("admin_action", "choose", "create"),
            ("admin_mailbox", "say", "nuova.collega@rossi-srl.example"),
            ("details", "say", "For our new colleague Giulia, from Monday"),
        ],
        {
            "category": "mailbox_administration",
            "team": "technical",
            "priority": "low",
            "topic": "mailbox_admin",
            "action": "create",
            "mailbox": "nuova.collega@rossi-srl.example",
            "domain": "rossi-srl.example",
            "description": "For our new colleague Giulia, from Monday",
        },
        ["What to do: create", "Mailbox: nuova.collega@rossi-srl.example"],
        id="mailbox-create",
    ),
    pytest.param(
        [
            ("menu", "choose", "mailbox_admin"),
            ("admin_action", "choose", "delete"),
            ("admin_mailbox", "say", "ex.dipendente@example.com"),
            ("details", "choose", "none"),
        ],
        {
            "category": "mailbox_administration",
            "team": "technical",
            "priority": "low",
            "topic": "mailbox_admin",
            "action": "delete",
            "mailbox": "ex.dipendente@example.com",
            "description": "",
        },
        ["What to do: delete", "Mailbox: ex.dipendente@example.com"],
        id="mailbox-delete",
    ),
    pytest.param(
        [
            ("menu", "choose", "password"),
            ("password_mailbox", "say", "mario@example.com"),
            ("details", "choose", "none"),
        ],
        {
            "category": "mailbox_administration",
            "team": "technical",
            "priority": "normal",
            "topic": "password",
            "mailbox": "mario@example.com",
            "description": "",
        },
        ["Request: Change a mailbox password", "Mailbox: mario@example.com"],
        id="password",
    ),
    pytest.param(
        [
            ("menu", "choose", "dns_check"),
            ("dns_domain", "say", "rossi-srl.example"),
            ("dns_result", "choose", "yes"),  # no DNS checker here: not checked, so offered
            ("details", "say", "Our mails end up in spam at Gmail"),
        ],
        {
            "category": "dns_configuration",
            "team": "technical",
            "priority": "low",
            "topic": "dns_check",
            "domain": "rossi-srl.example",
            "mailbox": None,
            "description": "Our mails end up in spam at Gmail",
        },
        ["Domain: rossi-srl.example"],
        id="dns-check",
    ),
    pytest.param(
        [
            ("menu", "choose", "sales"),
            ("description", "say", "Please send me a copy of invoice 2026/118"),
        ],
        {
            "category": "sales_administration",
            "team": "sales",
            "priority": "low",
            "topic": "sales",
            "description": "Please send me a copy of invoice 2026/118",
        },
        [
            "Details: Please send me a copy of invoice 2026/118",
            "Category: Sales and administration (to our sales office)",
        ],
        id="sales",
    ),
    pytest.param(
        [
            ("menu", "choose", "domain"),
            ("domain_name", "say", "https://www.negozio-rossi.example/"),
            ("details", "say", "I want to register it for three years"),
        ],
        {
            "category": "domain_registration",
            "team": "technical",
            "priority": "low",
            "topic": "domain",
            "domain": "negozio-rossi.example",
            "description": "I want to register it for three years",
        },
        ["Domain: negozio-rossi.example"],
        id="domain",
    ),
    pytest.param(
        [
            ("menu", "choose", "hosting"),
            ("hosting_domain", "say", "example.org"),
            ("details", "say", "The site shows error 500 since this morning"),
        ],
        {
            "category": "hosting",
            "team": "technical",
            "priority": "low",
            "topic": "hosting",
            "domain": "example.org",
            "description": "The site shows error 500 since this morning",
        },
        ["Domain: example.org"],
        id="hosting",
    ),
]


@pytest.mark.parametrize(("script", "expected", "summary_lines"), TOPIC_TICKETS)
def test_menu_topic_reaches_its_ticket(
    chat: Chat, store: SqlStore, script, expected: dict[str, Any], summary_lines: list[str]
) -> None:
    play(chat, script)
    assert_asks(chat, "summary")
    for line in summary_lines:
        assert line in chat.text
    ticket = confirm(chat, store)
    assert_fields(
        ticket,
        {
            **expected,
            "status": "open",
            "user": "customer-1",
            "channel": "terminal",
            "language": "en",
        },
    )
    assert len(store.tickets()) == 1


def test_password_change_warns_about_security_and_management_software(chat: Chat) -> None:
    chat.choose("password")
    assert_asks(chat, "password_mailbox")
    assert "a technician will check that you are the holder of the account" in chat.text
    assert (
        "any program that sends mail through this mailbox (management software, phones, "
        "printers) will stop sending until you enter the new password in it"
    ) in chat.text


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(
            [("menu", "choose", "dns_check"), ("dns_domain", "say", "gmail.com")], id="dns-check"
        ),
        pytest.param(
            [
                ("menu", "choose", "mailbox_admin"),
                ("admin_action", "choose", "create"),
                ("admin_mailbox", "say", "nuovo@gmail.com"),
            ],
            id="mailbox-admin",
        ),
        pytest.param(
            [("menu", "choose", "password"), ("password_mailbox", "say", "mario@gmail.com")],
            id="password",
        ),
    ],
)
def test_a_domain_not_hosted_is_out_of_scope_for_account_work(
    chat: Chat, store: SqlStore, script
) -> None:
    play(chat, script)
    assert_asks(chat, "out_of_scope")
    assert "gmail.com is not hosted with Esempio Hosting" in chat.text
    assert_no_ticket(store)
    chat.choose("no")
    assert_no_ticket(store)


# ---------------------------------------------------------------------------
# Corrections at the summary
# ---------------------------------------------------------------------------


def test_change_the_mailbox(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    chat.choose("edit_email_mailbox")
    assert_asks(chat, "email_mailbox")
    chat.say("ufficio@rossi-srl.example")
    assert_asks(chat, "summary")  # straight back: nothing else is asked again
    assert "Mailbox: ufficio@rossi-srl.example" in chat.text
    assert "Mailbox: mario@example.com" not in chat.text
    ticket = confirm(chat, store)
    assert_fields(ticket, {**EmailCase(mailbox="ufficio@rossi-srl.example").expected()})


def test_change_the_mailbox_to_one_not_hosted_is_out_of_scope(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    chat.choose("edit_email_mailbox")
    chat.say("mario@gmail.com")
    assert_asks(chat, "out_of_scope")
    assert_no_ticket(store)


def test_change_direction_from_receiving_to_sending_asks_the_smtp_question(
    chat: Chat, store: SqlStore
) -> None:
    to_summary(chat, EmailCase())
    chat.choose("edit_email_direction")
    assert_asks(chat, "email_direction")
    chat.choose("send")
    assert_asks(chat, "email_smtp")
    chat.choose("yes")
    assert_asks(chat, "summary")
    assert DIRECTION_LINE.format("sending") in chat.text
    assert "Sends through smtp.example.net: yes" in chat.text
    assert "edit_email_smtp" in chat.choices
    ticket = confirm(chat, store)
    received = EmailCase().expected()["examples"]  # the example as given, receiving
    assert_fields(ticket, {**EmailCase(direction="send").expected(), "examples": received})


def test_change_direction_to_sending_with_another_smtp_server_is_out_of_scope(
    chat: Chat, store: SqlStore
) -> None:
    to_summary(chat, EmailCase())
    chat.choose("edit_email_direction")
    chat.choose("send")
    chat.choose("no")
    assert_asks(chat, "out_of_scope")
    assert "Your mail program sends through a server that is not ours." in chat.text
    assert_no_ticket(store)


def test_change_direction_from_sending_to_receiving_drops_the_smtp_answer(
    chat: Chat, store: SqlStore
) -> None:
    to_summary(chat, EmailCase(direction="send"))
    assert "Sends through smtp.example.net: yes" in chat.text
    chat.choose("edit_email_direction")
    chat.choose("receive")
    assert_asks(chat, "summary")
    assert DIRECTION_LINE.format("receiving") in chat.text
    assert "Sends through" not in chat.text
    assert "edit_email_smtp" not in chat.choices
    ticket = confirm(chat, store)
    assert ticket["smtp_is_provider"] is None
    sent = EmailCase(direction="send").expected()["examples"]  # the example as given, sending
    assert_fields(ticket, {**EmailCase(direction="receive").expected(), "examples": sent})


def test_change_the_smtp_answer_to_no_is_out_of_scope(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase(direction="send"))
    chat.choose("edit_email_smtp")
    assert_asks(chat, "email_smtp")
    chat.choose("no")
    assert_asks(chat, "out_of_scope")
    assert_no_ticket(store)


@pytest.mark.parametrize(
    ("before", "answers", "after"),
    [
        pytest.param(
            None,
            [
                ("email_scope", "choose", "yes"),
                ("email_addresses", "say", "only to @fornitore.example"),
            ],
            "only to @fornitore.example",
            id="all-to-some",
        ),
        pytest.param(
            "only to @fornitore.example", [("email_scope", "choose", "no")], None, id="some-to-all"
        ),
        pytest.param(
            "only to @fornitore.example",
            [
                ("email_scope", "choose", "yes"),
                ("email_addresses", "say", "anna@rossi-srl.example only"),
            ],
            "anna@rossi-srl.example only",
            id="other-addresses",
        ),
    ],
)
def test_change_the_addresses(
    chat: Chat, store: SqlStore, before: str | None, answers, after: str | None
) -> None:
    to_summary(chat, EmailCase(addresses=before))
    chat.choose("edit_email_scope")
    play(chat, answers)
    assert_asks(chat, "summary")
    if after is None:
        assert "Addresses: all of them" in chat.text
    else:
        assert f"Only with these addresses: {after}" in chat.text
    ticket = confirm(chat, store)
    assert_fields(ticket, EmailCase(addresses=after).expected())


@pytest.mark.parametrize(
    ("before", "answers", "after", "line"),
    [
        pytest.param(
            "Outlook 2021",
            [("email_client", "choose", "webmail")],
            None,
            "Where: only in webmail",
            id="program-to-webmail",
        ),
        pytest.param(
            None,
            [("email_client", "choose", "both"), ("email_client_name", "choose", "Thunderbird")],
            "Thunderbird",
            "Where: Thunderbird and webmail",
            id="webmail-to-program",
        ),
        pytest.param(
            "Outlook 2021",
            [
                ("email_client", "choose", "both"),
                ("email_client_name", "say", "Apple Mail on iOS 18"),
            ],
            "Apple Mail on iOS 18",
            "Where: Apple Mail on iOS 18 and webmail",
            id="other-program",
        ),
    ],
)
def test_change_the_client(
    chat: Chat, store: SqlStore, before: str | None, answers, after: str | None, line: str
) -> None:
    to_summary(chat, EmailCase(client_name=before))
    chat.choose("edit_email_client")
    play(chat, answers)
    assert_asks(chat, "summary")
    assert line in chat.text
    ticket = confirm(chat, store)
    assert_fields(ticket, EmailCase(client_name=after).expected())


def test_change_the_error_text(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    chat.choose("edit_email_error")
    assert_asks(chat, "email_error")
    new_error = "421 4.7.0 Try again later, closing connection."
    chat.say(new_error)
    assert_asks(chat, "summary")
    assert f"Error message: {new_error}" in chat.text
    assert RECEIVE_ERROR not in chat.text
    ticket = confirm(chat, store)
    assert ticket["error_text"] == new_error
    assert_fields(ticket, EmailCase(error=new_error).expected())


def test_change_the_webmail_answer_to_works_is_out_of_scope(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    chat.choose("edit_email_webmail")
    assert_asks(chat, "email_webmail")
    chat.choose("no")
    assert_asks(chat, "out_of_scope")
    assert "Since webmail works" in chat.text
    assert_no_ticket(store)


@pytest.mark.parametrize("new", [(EX2,), (EX2, EX1)], ids=["one", "two"])
def test_re_entered_examples_replace_the_old_ones(
    chat: Chat, store: SqlStore, new: tuple[Ex, ...]
) -> None:
    to_summary(chat, EmailCase(direction="send", examples=(EX1,)))
    chat.choose("edit_ex_sender")
    assert_asks(chat, "ex_recipient")  # sending, the sender is the mailbox
    play(chat, example_script(new, "send"))
    assert_asks(chat, "ex_more")
    chat.choose("no")
    assert_asks(chat, "summary")
    assert (
        "Example 1: from mario@example.com to cliente@fornitore.example, subject "
        "\u201cPreventivo\u201d"
    ) in chat.text
    assert ("Example 2:" in chat.text) is (len(new) == 2)
    ticket = confirm(chat, store)
    assert ticket["examples"] == [EmailCase(direction="send").stored(e) for e in new]


def test_examples_stop_at_the_policy_maximum(chat: Chat, store: SqlStore, policy: Policy) -> None:
    n = policy.tickets.max_examples
    examples = tuple(
        Ex(
            subject=f"Message {i}",
            said=f"19/11/2026 {8 + i:02d}:00",
            sent_at=f"2026-11-19T{8 + i:02d}:00+01:00",
        )
        for i in range(1, n + 1)
    )
    case = EmailCase(examples=examples, more_examples=False)
    script = case.script()
    play(chat, script[: script.index(("ex_more", "choose", "yes"))])
    assert_asks(chat, "ex_more")
    play(chat, script[script.index(("ex_more", "choose", "yes")) :])
    # After the last allowed example the summary comes without "another example?".
    assert_asks(chat, "summary")
    assert f"Example {n}: " in chat.text
    assert f"Example {n + 1}: " not in chat.text
    ticket = confirm(chat, store)
    assert ticket["examples"] == [e.stored() for e in examples]


# ---------------------------------------------------------------------------
# The duplicate offer
# ---------------------------------------------------------------------------


def _second_problem(chat: Chat) -> None:
    chat.choose("yes")  # another problem
    assert_asks(chat, "menu")


def test_same_problem_again_is_offered_to_join_the_open_ticket(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    first = confirm(chat, store)
    _second_problem(chat)
    later = Ex(subject="Ordine 7", said="today 10:15", sent_at="2026-11-20T10:15+01:00")
    to_summary(chat, EmailCase(examples=(later,), error="Still nothing arrives"))
    chat.choose("yes")
    assert_asks(chat, "duplicate")
    assert f"You already have ticket {first['code']} open for this problem." in chat.text
    assert chat.choices == ["yes", "no"]
    assert chat.ticket is None

    chat.choose("yes")
    assert_asks(chat, "done")
    assert chat.ticket == first["code"]
    assert f"I added the new details to ticket {first['code']}." in chat.text
    assert "is open:" not in chat.text
    assert IN_NOW in chat.text
    tickets = store.tickets()
    assert [t["code"] for t in tickets] == [first["code"]]
    ticket = store.ticket(first["code"])
    assert ticket is not None
    assert len(ticket["notes"]) == 1
    note = ticket["notes"][0]
    assert note["kind"] == "details"
    assert note["fields"]["error_text"] == "Still nothing arrives"
    assert note["fields"]["examples"] == [later.stored()]
    assert ticket["examples"] == [EX1.stored(), later.stored()]
    assert ticket["error_text"] == RECEIVE_ERROR  # the original stays as it was


def test_same_problem_again_can_open_a_second_ticket(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    first = confirm(chat, store)
    _second_problem(chat)
    to_summary(chat, EmailCase())
    chat.choose("yes")
    assert_asks(chat, "duplicate")
    chat.choose("no")
    second = opened(chat, store)
    assert second["code"] != first["code"]
    assert [t["code"] for t in store.tickets()] == [first["code"], second["code"]]
    assert store.ticket(first["code"])["notes"] == []


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(EmailCase(direction="send"), id="other-direction"),
        pytest.param(EmailCase(mailbox="ufficio@example.com"), id="other-mailbox"),
        pytest.param(EmailCase(mailbox="mario@example.org"), id="other-domain"),
    ],
)
def test_a_different_problem_is_not_a_duplicate(
    chat: Chat, store: SqlStore, other: EmailCase
) -> None:
    to_summary(chat, EmailCase())
    first = confirm(chat, store)
    _second_problem(chat)
    to_summary(chat, other)
    second = confirm(chat, store)  # no duplicate offer
    assert_fields(second, other.expected())
    assert [t["code"] for t in store.tickets()] == [first["code"], second["code"]]
    assert store.ticket(first["code"])["notes"] == []


def test_a_different_request_on_the_same_mailbox_is_not_a_duplicate(
    chat: Chat, store: SqlStore
) -> None:
    play(
        chat,
        [
            ("menu", "choose", "password"),
            ("password_mailbox", "say", "mario@example.com"),
            ("details", "choose", "none"),
        ],
    )
    first = confirm(chat, store)
    _second_problem(chat)
    play(
        chat,
        [
            ("menu", "choose", "mailbox_admin"),
            ("admin_action", "choose", "delete"),
            ("admin_mailbox", "say", "mario@example.com"),
            ("details", "choose", "none"),
        ],
    )
    assert_asks(chat, "summary")
    chat.choose("yes")
    assert chat.state != "duplicate", chat.text  # deleting is not changing the password
    second = opened(chat, store)
    assert second["topic"] == "mailbox_admin" and second["action"] == "delete"
    assert store.ticket(first["code"])["notes"] == []


def test_two_different_billing_questions_are_not_the_same_problem(
    chat: Chat, store: SqlStore
) -> None:
    play(
        chat,
        [
            ("menu", "choose", "sales"),
            ("description", "say", "Please send me a copy of invoice 2026/118"),
        ],
    )
    confirm(chat, store)
    _second_problem(chat)
    play(
        chat,
        [
            ("menu", "choose", "sales"),
            ("description", "say", "I would like a quote for 20 more mailboxes"),
        ],
    )
    assert_asks(chat, "summary")
    chat.choose("yes")
    assert chat.state != "duplicate", chat.text
    opened(chat, store)
    assert len(store.tickets()) == 2


def test_another_customer_is_not_a_duplicate(desk: Desk, chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    confirm(chat, store)
    other = Chat(desk, user="customer-2")
    other.start()
    to_summary(other, EmailCase())
    ticket = confirm(other, store)
    assert ticket["user"] == "customer-2"
    assert len(store.tickets()) == 2


# ---------------------------------------------------------------------------
# Bad answers: re-asked with a hint, nothing lost
# ---------------------------------------------------------------------------

ERROR_HINT = "Please paste the error message, or choose 'There is no error message'."
DATE_HINT = "Please give the date and time it was sent, for example: yesterday 15:30."
TIME_HINT = "Please add the time too, even roughly, for example: yesterday 15:30."
SUMMARY_HINT = "Please choose 'Open the ticket' or the item you want to change."


def bad(
    state: str, value: str, hint: str, name: str, script: str = "receive", action: str = "say"
) -> Any:
    """A bad answer at `state` of the e-mail case `script`, and the hint it must get."""
    return pytest.param(script, state, action, value, hint, id=name)


BAD_ANSWERS = [
    bad("email_mailbox", "mario, at the office", ADDRESS_HINT, "mailbox-not-an-address"),
    bad("email_mailbox", "mario@", ADDRESS_HINT, "mailbox-no-domain"),
    bad("email_mailbox", "", ADDRESS_HINT, "mailbox-empty"),
    bad("email_mailbox", "   \t  ", ADDRESS_HINT, "mailbox-whitespace"),
    bad(
        "email_direction",
        "banana",
        "Please tell me whether the problem is in sending or in receiving.",
        "direction-gibberish",
    ),
    bad("email_smtp", "blorf", YES_NO_HINT, "smtp-gibberish", script="send"),
    bad(
        "email_webmail",
        "purple monkey dishwasher",
        "Please tell me whether the problem also happens in webmail: yes or no.",
        "webmail-gibberish",
    ),
    bad("email_scope", "qwerty", YES_NO_HINT, "scope-gibberish"),
    bad(
        "email_addresses",
        "  ",
        "Please type the addresses or domains.",
        "addresses-whitespace",
        script="addresses",
    ),
    bad(
        "email_client",
        "zzz",
        "Please tell me: only webmail, or also a mail program?",
        "client-gibberish",
    ),
    bad(
        "email_client_name",
        "   ",
        "Please type the name of the mail program.",
        "client-name-whitespace",
    ),
    bad(
        "email_client_name",
        "O" * 301,
        "That is 301 characters; the limit is 300 characters. Please shorten it.",
        "client-name-too-long",
    ),
    bad("email_error", " \n\t ", ERROR_HINT, "error-whitespace"),
    bad(
        "email_error",
        "x" * 9000,
        "That is 9000 characters; the limit is 8000 characters. Please shorten it.",
        "error-9000-characters",
    ),
    bad("ex_sender", "Anna from accounting", ADDRESS_HINT, "sender-not-an-address"),
    bad("ex_recipient", "", ADDRESS_HINT, "recipient-empty", script="send"),
    bad("ex_subject", "  ", "Please type the subject of the message.", "subject-whitespace"),
    bad("ex_sent_at", "when the moon was full", DATE_HINT, "date-unparseable"),
    bad("ex_sent_at", "31/02/2026 10:00", DATE_HINT, "date-impossible"),
    bad("ex_sent_at", "today 23:00", FUTURE_HINT, "date-future"),
    bad("ex_sent_at", "25/12/2026 10:00", FUTURE_HINT, "date-future-with-year"),
    bad("ex_sent_at", "yesterday", TIME_HINT, "date-without-time"),
    bad("ex_sent_at", "19/11/2026", TIME_HINT, "numeric-date-without-time"),
    bad("ex_sent_at", "", DATE_HINT, "date-empty"),
    bad("ex_more", "hmm, let me think", YES_NO_HINT, "more-gibberish"),
    bad("summary", "asdf", SUMMARY_HINT, "summary-gibberish"),
    bad("email_mailbox", "yes", STALE, "stale-choice-no-buttons", action="choose"),
    bad("email_direction", "yes", STALE, "stale-choice-other-question", action="choose"),
    bad("email_webmail", "send", STALE, "stale-choice-earlier-question", action="choose"),
    bad("summary", "edit_email_smtp", STALE, "stale-choice-smtp-edit-receiving", action="choose"),
    bad("summary", "edit_details", STALE, "stale-choice-other-topic-edit", action="choose"),
]

SCRIPTS = {
    "receive": EmailCase(),
    "send": EmailCase(direction="send"),
    "addresses": EmailCase(addresses="only from fornitore.example"),
}


@pytest.mark.parametrize(("script", "state", "action", "bad", "hint"), BAD_ANSWERS)
def test_a_bad_answer_is_asked_again_and_nothing_is_lost(
    chat: Chat, store: SqlStore, script: str, state: str, action: str, bad: str, hint: str
) -> None:
    case = SCRIPTS[script]
    play(chat, until(state, case))
    assert_asks(chat, state)
    choices = chat.choices

    act(chat, action, bad)
    assert_re_asked(chat, state, hint, choices)
    if state == "summary":
        assert "Here is what I will send" not in chat.text  # just the question again
    act(chat, action, bad)  # a second time: the desk changes strategy
    if action == "choose" or not bad.strip():  # an old button, or nothing said: patiently
        assert_re_asked(chat, state, hint, choices)
    elif state in KEEP_AS_TYPED and bad.strip() and hint not in (FUTURE_HINT, TOO_OLD_HINT):
        assert chat.state != state  # kept as typed, and on to the next question
        assert_no_ticket(store)
        return
    else:  # the buttons, and a person
        assert_re_asked(chat, state, OFFER, [*choices, "human"])
    assert_no_ticket(store)

    play(chat, since(state, case))
    ticket = opened(chat, store)
    assert_fields(ticket, case.expected())


def test_the_mailbox_hint_keeps_the_topic(chat: Chat, store: SqlStore) -> None:
    chat.choose("email")
    chat.say("mario")
    assert_re_asked(chat, "email_mailbox", ADDRESS_HINT)
    chat.say("<Mario@Example.COM>")
    assert_asks(chat, "email_direction")
    # Folded to lower case, the local part too: the provider's mailboxes know no case, and a
    # phone capitalizes the first letter of a message ("Pedidos@garcia.example").
    play(chat, EmailCase().script()[2:])
    ticket = confirm(chat, store)
    assert ticket["mailbox"] == "mario@example.com"
    assert ticket["category"] == "email_receiving"


@pytest.mark.parametrize(
    ("said", "sent_at"),
    [
        ("yesterday 15:30", "2026-11-19T15:30+01:00"),
        ("19/11/2026 15:30", "2026-11-19T15:30+01:00"),
        ("2026-11-19 15:30", "2026-11-19T15:30+01:00"),
        ("19.11.2026 15.30", "2026-11-19T15:30+01:00"),
        ("yesterday at 3:30 pm", "2026-11-19T15:30+01:00"),
        ("today 9:05", "2026-11-20T09:05+01:00"),
        ("wednesday 18:00", "2026-11-18T18:00+01:00"),
        ("day before yesterday 8:00", "2026-11-18T08:00+01:00"),
        ("15/08 12:00", "2026-08-15T12:00+02:00"),
        ("21/11 10:05", "2025-11-21T10:05+01:00"),  # without a year: the last one past
    ],
)
def test_dates_are_read_in_the_providers_time_zone(
    chat: Chat, store: SqlStore, said: str, sent_at: str
) -> None:
    ex = Ex(said=said, sent_at=sent_at)
    to_summary(chat, EmailCase(examples=(ex,)))
    ticket = confirm(chat, store)
    assert ticket["examples"] == [ex.stored()]


@pytest.mark.parametrize("length", [4000, 8000])
def test_a_long_error_text_is_accepted_verbatim(chat: Chat, store: SqlStore, length: int) -> None:
    line = "Diagnostic-Code: smtp; 550 5.7.1 Message rejected as spam by Content Filtering."
    text = "\n".join([line] * (length // (len(line) + 1) + 1))[:length].rstrip()
    text = text + "!" * (length - len(text))
    assert len(text) == length
    to_summary(chat, EmailCase(error=text))
    ticket = confirm(chat, store)
    assert ticket["error_text"] == text


def test_an_error_text_just_over_the_limit_is_refused(chat: Chat) -> None:
    play(chat, EmailCase().script()[:7])
    assert_asks(chat, "email_error")
    chat.say("e" * 8001)
    assert_re_asked(
        chat,
        "email_error",
        "That is 8001 characters; the limit is 8000 characters. Please shorten it.",
    )


VERBATIM = [
    pytest.param("Errore 😱🔥 dopo l'aggiornamento 👍🏽 — «non va» 🇮🇹", id="emoji"),
    pytest.param(
        "Il tecnico 👩\u200d💻 dice: 👨\u200d👩\u200d👧 e 🏳\ufe0f\u200d🌈", id="zwj-emoji"
    ),
    pytest.param(
        "<!channel> *bold* _italic_ ~strike~ `code` ```block``` <@U012AB3CD> "
        "<https://evil.example|click here> &lt;b&gt; <#C024BE91L>",
        id="slack-markup",
    ),
    pytest.param(
        "Línea 1: ñ, ü, ç, ß, 日本語, עברית\nLine 2: \"quotes\" 'apostrophes' \\back",
        id="unicode-and-quotes",
    ),
]


@pytest.mark.parametrize("text", VERBATIM)
def test_unusual_text_is_kept_verbatim(chat: Chat, store: SqlStore, text: str) -> None:
    client = "Outlook " + text[:40].strip()
    to_summary(
        chat,
        EmailCase(
            error=text, addresses=text, client_name=client, examples=(Ex(subject=text[:200]),)
        ),
    )
    assert f"Error message: {text}" in chat.text
    ticket = confirm(chat, store)
    assert ticket["error_text"] == text
    assert ticket["addresses"] == text
    assert ticket["client_name"] == client
    assert ticket["examples"][0]["subject"] == text[:200]


@pytest.mark.parametrize("text", VERBATIM)
def test_unusual_text_is_kept_verbatim_in_a_description(
    chat: Chat, store: SqlStore, text: str
) -> None:
    play(chat, [("menu", "choose", "sales"), ("description", "say", text)])
    assert text in chat.text  # an Italian text may also switch the chat to Italian
    ticket = confirm_any_language(chat, store)
    assert ticket["description"] == text


def test_control_characters_are_stripped(chat: Chat, store: SqlStore) -> None:
    typed = "\x00550\x07 5.1.1\x1b User\u200b unknown\x7f\r\nsecond\x0c line\ufeff"
    to_summary(chat, EmailCase(error=typed, examples=(Ex(subject="Fattura\x00 42\x08"),)))
    assert "\x00" not in chat.text and "\x1b" not in chat.text
    ticket = confirm(chat, store)
    assert ticket["error_text"] == "550 5.1.1 User unknown\nsecond line"
    assert ticket["examples"][0]["subject"] == "Fattura 42"


def test_only_control_characters_is_an_empty_answer(chat: Chat) -> None:
    play(chat, EmailCase().script()[:7])
    chat.say("\x00\x07\u200b\x1b")
    assert_re_asked(chat, "email_error", ERROR_HINT)


def test_a_stale_choice_after_the_ticket_does_not_open_another(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    confirm(chat, store)
    chat.choose("edit_email_error")  # a button of the summary, pressed again
    assert_re_asked(chat, "done", STALE, ["yes", "no"])
    assert len(store.tickets()) == 1


# ---------------------------------------------------------------------------
# Free text at closed questions
# ---------------------------------------------------------------------------


def test_a_whole_conversation_typed_in_english(chat: Chat, store: SqlStore) -> None:
    chat.say("I can't send email")
    assert_asks(chat, "email_mailbox")
    chat.say("mario@example.com")
    assert_asks(chat, "email_smtp")  # the direction was understood from the first sentence
    chat.say("yes")
    assert_asks(chat, "email_webmail")
    chat.say("it doesn't work in webmail either")
    assert_asks(chat, "email_scope")
    chat.say("nope")
    assert_asks(chat, "email_client")
    chat.say("Thunderbird")  # a program, named: no need to ask which one
    assert_asks(chat, "email_error")
    chat.say("There is no error message")
    assert_asks(chat, "ex_recipient")  # sending: the sender is the mailbox
    chat.say("cliente@fornitore.example")
    chat.say("It had no subject")
    chat.say("yesterday 15:30")
    assert_asks(chat, "ex_more")
    chat.say("no, that's all")
    assert_asks(chat, "summary")
    chat.say("yes")
    ticket = opened(chat, store)
    assert_fields(
        ticket,
        {
            "category": "email_sending",
            "direction": "send",
            "smtp_is_provider": True,
            "webmail_fails": True,
            "addresses": None,
            "client": "both",
            "client_name": "Thunderbird",
            "error_text": "",
            "examples": [
                {
                    "sender": "mario@example.com",
                    "recipient": "cliente@fornitore.example",
                    "subject": "",
                    "sent_at": "2026-11-19T15:30+01:00",
                }
            ],
        },
    )
    chat.say("no thank you")
    assert chat.state == "closed"


@pytest.mark.parametrize(
    ("state", "typed", "next_state"),
    [
        pytest.param("email_direction", "sending", "email_smtp", id="sending"),
        pytest.param("email_direction", "Sending", "email_smtp", id="label-Sending"),
        pytest.param("email_direction", "I can't receive", "email_webmail", id="i-cant-receive"),
        pytest.param(
            "email_direction",
            "I can\u2019t receive any mail",
            "email_webmail",
            id="curly-apostrophe",
        ),
        pytest.param("email_direction", "2", "email_webmail", id="number-2"),
        pytest.param("email_direction", "1", "email_smtp", id="number-1"),
        pytest.param("email_direction", "RECEIVING!", "email_webmail", id="shouted-label"),
        pytest.param(
            "email_webmail", "it doesn't work in webmail either", "email_scope", id="webmail-either"
        ),
        pytest.param("email_webmail", "yes", "email_scope", id="webmail-yes"),
        pytest.param("email_webmail", "nope", "out_of_scope", id="webmail-nope"),
        pytest.param("email_webmail", "Yes, webmail fails too", "email_scope", id="webmail-label"),
        pytest.param("email_scope", "nope", "email_client", id="scope-nope"),
        pytest.param("email_scope", "yes", "email_addresses", id="scope-yes"),
        pytest.param("email_scope", "1", "email_addresses", id="scope-number"),
        pytest.param("email_client", "only webmail", "email_error", id="client-webmail"),
        pytest.param("email_client", "Outlook", "email_error", id="client-outlook"),
        pytest.param("email_client", "a program", "email_client_name", id="client-a-program"),
        pytest.param("ex_more", "no, that's all", "summary", id="more-no"),
        pytest.param("ex_more", "yes please", "ex_sender", id="more-yes"),
        pytest.param("summary", "Change the error message", "email_error", id="summary-label"),
        pytest.param("summary", "2", "email_mailbox", id="summary-number"),
        pytest.param("summary", "yes", "done", id="summary-yes"),
    ],
)
def test_free_text_at_a_closed_question(
    chat: Chat, state: str, typed: str, next_state: str
) -> None:
    play(chat, until(state, EmailCase()))
    assert_asks(chat, state)
    chat.say(typed)
    assert chat.state == next_state, chat.text


@pytest.mark.parametrize(
    ("typed", "yes"),
    [
        ("yes", True),
        ("Yes", True),
        ("yep", True),
        ("sure", True),
        ("no", False),
        ("nope", False),
        ("No", False),
    ],
)
def test_free_yes_and_no_at_the_smtp_question(chat: Chat, typed: str, yes: bool) -> None:
    play(chat, EmailCase(direction="send").script()[:3])
    assert_asks(chat, "email_smtp")
    chat.say(typed)
    assert chat.state == ("email_webmail" if yes else "out_of_scope"), chat.text


@pytest.mark.parametrize(
    ("typed", "direction"),
    [
        ("I can't send email", "send"),
        ("my emails bounce", "send"),
        ("I can't receive emails", "receive"),
        ("no mail arrives", "receive"),
    ],
)
def test_the_first_sentence_pre_fills_the_direction(
    chat: Chat, store: SqlStore, typed: str, direction: str
) -> None:
    chat.say(typed)
    assert_asks(chat, "email_mailbox")
    chat.say("mario@example.com")
    assert_asks(chat, "email_smtp" if direction == "send" else "email_webmail")
    case = EmailCase(direction=direction)
    play(chat, case.script()[3:])
    ticket = confirm(chat, store)
    assert_fields(ticket, case.expected())


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("3", "password_mailbox"),
        ("change my password", "password_mailbox"),
        ("Billing and commercial questions", "description"),
        ("hosting", "hosting_domain"),
        ("something else", "other_topic"),
    ],
)
def test_free_text_at_the_menu(chat: Chat, typed: str, state: str) -> None:
    chat.say(typed)
    assert_asks(chat, state)


def test_a_new_customer_can_start_by_typing_the_problem(desk: Desk, store: SqlStore) -> None:
    chat = Chat(desk, user="newcomer")
    chat.say("I can't receive emails")  # no /start: the first thing they do is type
    assert_asks(chat, "email_mailbox")
    chat.say("mario@example.com")
    assert_asks(chat, "email_webmail")
    play(chat, EmailCase().script()[3:])
    ticket = confirm(chat, store)
    assert_fields(ticket, {**EmailCase().expected(), "user": "newcomer"})


def test_a_new_customer_saying_hello_gets_the_menu(desk: Desk) -> None:
    chat = Chat(desk, user="newcomer")
    chat.say("hello")
    assert_asks(chat, "menu")
    assert "Hello! I'm the support assistant of Esempio Hosting." in chat.text
    assert chat.choices == MENU


def test_unclear_text_at_the_menu_is_asked_again(chat: Chat, store: SqlStore) -> None:
    chat.say("blah blah")
    assert_re_asked(
        chat, "menu", "Please pick a topic from the list, or describe it in a few words.", MENU
    )


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

COMMAND_STATES = [
    "menu",
    "email_mailbox",
    "email_smtp",
    "email_webmail",
    "email_error",
    "ex_sent_at",
    "ex_more",
    "summary",
]


def _reach(chat: Chat, state: str, case: EmailCase | None = None) -> None:
    play(chat, until(state, case or EmailCase(direction="send")))
    assert_asks(chat, state)


@pytest.mark.parametrize("state", COMMAND_STATES)
def test_help_answers_and_asks_the_same_question(chat: Chat, store: SqlStore, state: str) -> None:
    _reach(chat, state)
    choices = chat.choices
    chat.command("help")
    assert "Answer with the buttons or type your answer in your own words." in chat.text
    assert "/cancel" in chat.text and "/restart" in chat.text and "/lang" in chat.text
    assert_asks(chat, state)
    assert chat.choices == choices
    # ... and the conversation goes on as if nothing had happened.
    case = EmailCase(direction="send")
    play(chat, since(state, case))
    assert_fields(opened(chat, store), case.expected())


def test_help_typed_as_a_command(chat: Chat) -> None:
    _reach(chat, "email_direction")
    chat.say("/help")
    assert "Answer with the buttons" in chat.text
    assert_asks(chat, "email_direction")


@pytest.mark.parametrize("state", COMMAND_STATES[1:])
def test_cancel_drops_everything(chat: Chat, store: SqlStore, state: str) -> None:
    _reach(chat, state)
    chat.command("cancel")
    assert chat.state == "closed"
    assert "Request cancelled: nothing was sent." in chat.text
    assert chat.choices == []
    assert_no_ticket(store)
    # Writing again starts from an empty case: the direction is asked again.
    chat.say("hello")
    assert_asks(chat, "menu")
    chat.choose("email")
    chat.say("mario@example.com")
    assert_asks(chat, "email_direction")
    assert_no_ticket(store)


@pytest.mark.parametrize("state", COMMAND_STATES[1:])
def test_restart_goes_back_to_the_menu_with_an_empty_case(
    chat: Chat, store: SqlStore, state: str
) -> None:
    _reach(chat, state)
    chat.command("restart")
    assert_asks(chat, "menu")
    assert chat.choices == MENU
    chat.choose("email")
    chat.say("anna@rossi-srl.example")
    assert_asks(chat, "email_direction")  # the old direction is gone
    case = EmailCase(mailbox="anna@rossi-srl.example")
    play(chat, case.script()[2:])
    assert "Mailbox: anna@rossi-srl.example" in chat.text
    assert "Mailbox: mario@example.com" not in chat.text
    assert "Sends through" not in chat.text
    ticket = confirm(chat, store)
    assert_fields(ticket, case.expected())
    assert len(store.tickets()) == 1


@pytest.mark.parametrize(
    ("state", "language"),
    [(state, ["it", "es", "en"][i % 3]) for i, state in enumerate(COMMAND_STATES)],
)
def test_lang_returns_to_the_same_question_with_the_data_kept(
    chat: Chat, store: SqlStore, state: str, language: str
) -> None:
    _reach(chat, state)
    choices = chat.choices
    chat.command("lang")
    assert chat.state == "language"
    assert chat.asking == "language"
    assert chat.choices == ["en", "it", "es"]
    assert chat.labels() == ["English", "Italiano", "Español"]
    chat.choose(language)
    assert chat.state == state
    assert chat.turn is not None and chat.turn.language == language
    assert chat.choices == choices
    # The same question, now in the chosen language.
    assert (PROMPT[state] in chat.text) is (language == "en"), chat.text
    if state == "summary":
        assert "mario@example.com" in chat.text
    case = EmailCase(direction="send")
    play(chat, since(state, case))
    assert chat.state == "done"
    ticket = store.ticket(chat.ticket or "")
    assert ticket is not None
    assert_fields(ticket, {**case.expected(), "language": language})


def test_lang_survives_a_restart_of_the_bot(
    store: SqlStore, policy: Policy, clock: Clock, chat: Chat
) -> None:
    _reach(chat, "email_client")
    chat.command("lang")
    again = Chat(Desk(store, policy, clock=clock), user="customer-1")
    again.start()
    assert again.state == "language"
    again.choose("en")
    assert_asks(again, "email_client")
    case = EmailCase(direction="send")
    play(again, since("email_client", case))
    assert_fields(opened(again, store), case.expected())


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "yesterday 15:30"), ("it", "ieri 15:30"), ("es", "ayer 15:30")],
)
def test_the_date_example_the_prompt_gives_is_understood(
    chat: Chat, store: SqlStore, language: str, said: str
) -> None:
    """The sent-at prompt suggests "yesterday 15:30" in the customer's language: it must work."""
    _reach(chat, "ex_sent_at", EmailCase())
    chat.command("lang")
    chat.choose(language)
    assert said.split()[0] in chat.text  # the prompt's own example
    chat.say(said)
    assert chat.state == "ex_more", chat.text
    chat.choose("no")
    ticket = confirm_any_language(chat, store)
    assert ticket["examples"][0]["sent_at"] == "2026-11-19T15:30+01:00"


def confirm_any_language(chat: Chat, store: SqlStore) -> dict[str, Any]:
    assert chat.state == "summary"
    chat.choose("yes")
    assert chat.state == "done"
    assert chat.ticket is not None and chat.ticket in chat.text
    ticket = store.ticket(chat.ticket)
    assert ticket is not None
    return ticket


def test_lang_typed_answer(chat: Chat) -> None:
    _reach(chat, "email_webmail")
    chat.say("/lang")
    assert chat.state == "language"
    chat.say("English")
    assert_asks(chat, "email_webmail")
    assert "From now on I will write in English." in chat.text


def test_lang_at_the_summary_shows_the_summary_again(chat: Chat) -> None:
    to_summary(chat, EmailCase())
    chat.command("lang")
    chat.choose("en")
    assert_asks(chat, "summary")
    assert "Mailbox: mario@example.com" in chat.text


@pytest.mark.parametrize("state", ["menu", "email_mailbox", "ex_subject", "summary"])
def test_an_unknown_command_changes_nothing(chat: Chat, store: SqlStore, state: str) -> None:
    _reach(chat, state)
    choices = chat.choices
    chat.command("frobnicate")
    assert "I don't know that command. Type /help to see what I can do." in chat.text
    assert_asks(chat, state)
    assert chat.choices == choices
    chat.say("/deleteall")
    assert "I don't know that command." in chat.text
    assert_asks(chat, state)
    assert_no_ticket(store)


def test_cancel_after_the_ticket_keeps_the_ticket(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    first = confirm(chat, store)
    chat.command("cancel")  # at "another problem?": the ticket is already with the technicians
    assert chat.state == "closed"
    assert [t["code"] for t in store.tickets()] == [first["code"]]
    assert store.ticket(first["code"])["status"] == "open"
    assert "nothing was sent" not in chat.text, chat.text


def test_commands_after_closing(chat: Chat, store: SqlStore) -> None:
    chat.command("cancel")
    assert chat.state == "closed"
    chat.command("help")
    assert "Answer with the buttons" in chat.text
    chat.command("start")
    assert_asks(chat, "menu")


# ---------------------------------------------------------------------------
# A restart of the bot
# ---------------------------------------------------------------------------

RESTART_CASE = EmailCase(
    direction="send", addresses="only to fornitore.example", examples=(EX1, EX2)
)


@pytest.mark.parametrize("after", range(1, len(RESTART_CASE.script()) + 1))
def test_the_conversation_survives_a_restart_of_the_bot(
    store: SqlStore, policy: Policy, clock: Clock, desk: Desk, after: int
) -> None:
    steps = [*RESTART_CASE.script(), ("summary", "choose", "yes")]
    before = Chat(desk, user="customer-1")
    before.start()
    play(before, steps[:after])
    asked = before.state
    choices = before.choices

    new_desk = Desk(store, policy, clock=clock)  # a new process on the same database
    chat = Chat(new_desk, user="customer-1")
    chat.start()
    assert "Welcome back! Let's continue where we left off." in chat.text
    assert_asks(chat, asked)
    assert chat.choices == choices

    play(chat, steps[after:])
    ticket = opened(chat, store)
    assert_fields(ticket, RESTART_CASE.expected())
    assert len(store.tickets()) == 1


def test_a_restart_at_the_summary_shows_the_summary(
    store: SqlStore, policy: Policy, clock: Clock, chat: Chat
) -> None:
    to_summary(chat, EmailCase())
    again = Chat(Desk(store, policy, clock=clock), user="customer-1")
    again.start()
    assert "Welcome back!" in again.text
    assert "Mailbox: mario@example.com" in again.text
    assert_asks(again, "summary")


def test_a_restart_while_correcting_the_examples_still_replaces_them(
    store: SqlStore, policy: Policy, clock: Clock, chat: Chat
) -> None:
    to_summary(chat, EmailCase(direction="send", examples=(EX1,)))
    chat.choose("edit_ex_sender")  # sending: from the recipient on
    chat.say(EX2.recipient)
    again = Chat(Desk(store, policy, clock=clock), user="customer-1")
    again.start()
    assert "Welcome back!" in again.text
    assert_asks(again, "ex_subject")
    again.say(EX2.subject or "")
    again.say(EX2.said)
    again.choose("no")
    assert_asks(again, "summary")
    ticket = confirm(again, store)
    assert ticket["examples"] == [EX2.stored()]


def test_a_restart_after_closing_starts_at_the_menu(
    store: SqlStore, policy: Policy, clock: Clock, chat: Chat
) -> None:
    to_summary(chat, EmailCase())
    confirm(chat, store)
    chat.choose("no")
    again = Chat(Desk(store, policy, clock=clock), user="customer-1")
    again.start()
    assert "Welcome back" not in again.text
    assert_asks(again, "menu")


# ---------------------------------------------------------------------------
# After a ticket
# ---------------------------------------------------------------------------


def test_another_problem_gets_its_own_ticket(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase(direction="send"))
    first = confirm(chat, store)
    chat.choose("yes")
    assert_asks(chat, "menu")
    assert chat.choices == MENU
    chat.choose("email")
    chat.say("mario@example.com")
    assert_asks(chat, "email_direction")  # the case is empty again
    play(chat, EmailCase().script()[2:])
    summary = chat.text
    assert "Sends through" not in summary
    second = confirm(chat, store)
    assert second["code"] != first["code"]
    assert second["category"] == "email_receiving"
    assert second["smtp_is_provider"] is None
    assert [t["code"] for t in store.tickets()] == [first["code"], second["code"]]


def test_another_problem_of_another_topic(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    first = confirm(chat, store)
    chat.say("yes")
    play(chat, [("menu", "choose", "sales"), ("description", "say", "I need a quote")])
    assert "Mailbox:" not in chat.text
    second = confirm(chat, store)
    assert_fields(
        second,
        {
            "category": "sales_administration",
            "team": "sales",
            "mailbox": None,
            "direction": None,
            "examples": [],
            "error_text": None,
            "description": "I need a quote",
        },
    )
    assert store.ticket(first["code"])["category"] == "email_receiving"


def test_no_other_problem_closes_and_writing_again_starts_at_the_menu(
    chat: Chat, store: SqlStore
) -> None:
    to_summary(chat, EmailCase())
    first = confirm(chat, store)
    chat.choose("no")
    assert chat.state == "closed"
    assert GOODBYE in chat.text
    assert chat.choices == []
    assert chat.ticket is None

    chat.say("hello again")
    assert_asks(chat, "menu")
    assert chat.choices == MENU
    assert [t["code"] for t in store.tickets()] == [first["code"]]


def test_writing_again_with_a_problem_goes_straight_to_it(chat: Chat, store: SqlStore) -> None:
    to_summary(chat, EmailCase())
    confirm(chat, store)
    chat.say("no")
    assert chat.state == "closed"
    chat.say("I can't send email")
    assert_asks(chat, "email_mailbox")
    chat.say("mario@example.com")
    assert_asks(chat, "email_smtp")


def test_the_example_of_a_receiving_problem_goes_to_the_mailbox_even_when_it_is_corrected(
    chat: Chat, store: SqlStore
) -> None:
    to_summary(chat, EmailCase())  # the recipient of the example is never asked
    assert "from anna@rossi-srl.example to mario@example.com" in chat.text
    chat.say("sorry, the mailbox is ufficio@rossi-srl.example, not mario")
    assert_asks(chat, "summary")
    assert "from anna@rossi-srl.example to ufficio@rossi-srl.example" in chat.text
    ticket = confirm(chat, store)
    assert_fields(ticket, EmailCase(mailbox="ufficio@rossi-srl.example").expected())
