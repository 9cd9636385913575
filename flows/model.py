"""The typed state of a conversation, and the port the flows use to reach tickets."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from flows.dnsreport import DnsPort, DnsReport
from flows.text import T

Direction = Literal["send", "receive", "both"]
ClientWhere = Literal["webmail", "both"]
Action = Literal["create", "delete"]


class Example(BaseModel):
    """One message that went wrong, as the technician needs it."""

    sender: str = ""
    recipient: str = ""
    subject: str | None = None  # None: not asked yet; "" means it had no subject
    sent_at: str = ""  # ISO 8601 with the provider's UTC offset ("" when not read)
    sent_at_text: str = ""  # the customer's words, when the date could not be read or was rough


class AttachmentRef(BaseModel):
    """A file the customer sent (a screenshot of the error), kept by the desk."""

    id: int
    filename: str
    content_type: str
    size: int


class Notice(BaseModel):
    """A change of one of the customer's tickets, to be told to them."""

    code: str
    status: str
    note: str = ""


class Case(BaseModel):
    """Everything the customer has told us about one problem."""

    topic: str | None = None
    mailbox: str | None = None
    domain: str | None = None
    direction: Direction | None = None
    smtp_is_provider: bool | None = None
    webmail_fails: bool | None = None
    addresses_limited: bool | None = None
    addresses: str | None = None
    client: ClientWhere | None = None
    client_name: str | None = None
    error_text: str | None = None  # "" means: there is no error message
    examples: list[Example] = Field(default_factory=list)
    draft: Example | None = None  # the example being collected
    replace_examples: bool = False  # collecting examples anew from the summary
    action: Action | None = None
    other_topic: str | None = None
    description: str | None = None  # "" means: nothing to add
    dns: DnsReport | None = None  # the check of the mailbox's (or the given) domain
    attachments: list[AttachmentRef] = Field(default_factory=list)
    more: bool = False  # the customer wants to give another example
    taken: list[str] = Field(default_factory=list)  # fields filled without being asked
    said: list[str] = Field(default_factory=list)  # the customer's messages, for a handoff
    handoff: bool = False  # the customer asked for a person: a general ticket
    details_asked: bool = False  # "anything else?" asked, after a description taken unasked


class TicketRef(BaseModel):
    """What the conversation remembers of a ticket it opened or added to."""

    code: str
    category: str
    priority: str
    topic: str | None = None
    mailbox: str | None = None
    domain: str | None = None
    direction: Direction | None = None
    action: Action | None = None
    status: str = "open"
    appended: bool = False


class Conversation(BaseModel):
    """A customer's conversation: where it stands and what it has collected."""

    channel: str
    user: str
    state: str = "new"
    language: str = "en"
    case: Case = Field(default_factory=Case)
    editing: bool = False
    resume: str | None = None  # the state to go back to after choosing a language
    out_reason: str | None = None
    last_ticket: TicketRef | None = None
    duplicate_of: TicketRef | None = None
    asked: int = 0  # numbers each question asked, so an old button can be recognized
    misses: int = 0  # answers in a row to the current question that were not understood
    options: list[str] = Field(default_factory=list)  # the topics offered by "did you mean"
    question: Notice | None = None  # a technician's question waiting for the answer
    later: str | None = None  # the other request an opening made, taken up after this one
    later_text: str = ""  # ...and the opening that made it
    answered: str | None = None  # the ticket whose question was just answered, for more of it
    answered_at: datetime | None = None
    notices: list[Notice] = Field(default_factory=list)  # not told yet


@dataclass(frozen=True)
class Event:
    """One thing the customer did: typed text, pressed a choice, sent a file, a command.

    A choice may carry `ref`, the number of the question its button belonged
    to (`Turn.ref`): a press on an older question's button is refused. An
    attachment carries its file name in `value`, and its size, type and bytes.
    """

    kind: Literal["text", "choice", "command", "start", "attachment"]
    value: str = ""
    ref: int | None = None
    size: int = 0
    content_type: str = ""
    data: bytes | None = None

    @classmethod
    def from_input(cls, raw: str) -> Event:
        """Read a line typed by the customer: `/word` is a command, else text."""
        stripped = raw.strip()
        if re.match(r"^/[A-Za-z]\w*(@\w+)?(\s|$)", stripped):
            name, _, argument = stripped[1:].partition(" ")
            name = name.split("@", 1)[0].lower()
            return cls("command", f"{name} {argument.strip()}".strip())
        return cls("text", raw)


@dataclass(frozen=True)
class TicketDraft:
    """A ticket as the flow wants it opened; the desk gives it a code."""

    category: str
    team: str
    priority: str
    language: str
    channel: str
    user: str
    topic: str
    fields: dict[str, Any]


class Desk(Protocol):
    """Where tickets live, as the flows see it."""

    def open_tickets(self, channel: str, user: str) -> list[TicketRef]:
        """Return the customer's tickets that are not closed yet, newest first."""

    def open_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open a ticket with a new unique code."""

    def add_details(self, code: str, draft: TicketDraft) -> TicketRef:
        """Add the draft's details to the open ticket `code`."""

    def customer_tickets(self, channel: str, user: str) -> list[TicketRef]:
        """Return the customer's tickets, newest first (recent ones, any status)."""

    def save_attachment(
        self,
        channel: str,
        user: str,
        filename: str,
        content_type: str,
        data: bytes,
        ticket: str | None = None,
    ) -> int:
        """Keep a file the customer sent; with `ticket`, attach it to that ticket at once."""

    def add_reply(self, code: str, text: str, language: str) -> None:
        """Append the customer's answer to a technician's question to ticket `code`."""


def same_problem(draft: TicketDraft, ticket: TicketRef) -> bool:
    """Tell whether `draft` reports the problem `ticket` is already about.

    Only a request tied to a mailbox or a domain can be recognized: the same
    topic, category (for e-mail, the direction) and action on the same mailbox
    and domain. Two billing questions, say, are never taken for one.
    """
    mailbox, domain = draft.fields.get("mailbox"), draft.fields.get("domain")
    return (
        bool(mailbox or domain)
        and draft.category == ticket.category
        and draft.topic == ticket.topic
        and mailbox == ticket.mailbox
        and domain == ticket.domain
        and draft.fields.get("action") == ticket.action
    )


@dataclass(frozen=True)
class Context:
    """What one turn may use besides the conversation itself."""

    now: datetime
    desk: Desk
    dns: DnsPort | None = None
    # Shows a message at once, before the turn's answer (slow work under way).
    progress: Callable[[T], None] | None = None
