"""The triage conversation: its states and transitions as data, and the engine.

`TRANSITIONS` is the whole conversation as a pytransitions table. Each
question state (see `flows.questions`) reads the customer's answer, stores it
on the case with `take_<state>`, then fires a trigger (`advance` unless the
answer says otherwise); the first transition of that trigger whose conditions
hold decides where the conversation goes. Conditions and actions are methods
of `Dialog`, named in the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from queue import Empty, SimpleQueue
from typing import Any

from transitions import Machine

from flows.dates import DateProblem, find_sent_at, parse_sent_at
from flows.dnstexts import report_lines
from flows.form import DIRECTION_LABELS, EXITS, FORMS, editable, form_transitions, states_of
from flows.model import (
    Action,
    AttachmentRef,
    Case,
    Context,
    Conversation,
    Direction,
    Event,
    Example,
    Notice,
    TicketDraft,
    same_problem,
)
from flows.policy import TOPICS, Policy
from flows.prefill import (
    CORRECTION,
    EXAMPLE_STATES,
    VERBATIM_STATES,
    example_from,
    example_in,
    fill,
    others,
    smtp_answer,
    subject_in,
)
from flows.questions import QUESTIONS, Question
from flows.reading import Reading, addresses_in, hosts_in, looks_like_smtp, read
from flows.text import N_, Bubble, Choice, Days, Lines, T, Turn, Zone, t, tn
from flows.understand import (
    INTENTS,
    LANGUAGES,
    clean,
    identifiable,
    match_intent,
    match_phrases,
    normalize,
    switch_request,
    tokens,
)

MAX_TEXT = 8000
MAX_SHORT = 300
MAX_SAID = 40  # messages kept for a handoff
VERBATIM = "\x00verbatim:"  # a reader's value kept as typed (it could not be read)
IDENTIFY_CONFIDENCE = 0.8  # how sure the language identifier must be to switch by itself

# What the summary lets the customer change, per topic: (slot, state, label).
EDITABLE: dict[str, tuple[tuple[str, str, str], ...]] = {
    topic: tuple(editable(topic)) for topic in FORMS
}

TOPIC_LABELS = dict(QUESTIONS["menu"].choices)
CATEGORY_LABELS = {
    "email_sending": N_("E-mail: sending"),
    "email_receiving": N_("E-mail: receiving"),
    "dns_configuration": N_("DNS configuration"),
    "mailbox_administration": N_("Mailbox administration"),
    "domain_registration": N_("Domain registration"),
    "hosting": N_("Hosting"),
    "sales_administration": N_("Sales and administration"),
    "general": N_("General request"),
}
PRIORITY_LABELS = {"low": N_("low"), "normal": N_("normal")}
STATUS_LABELS = {
    "open": N_("open"),
    "in_progress": N_("taken by a technician"),
    "waiting": N_("waiting for your answer"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}
TEAM_LABELS = {"technical": N_("technical helpdesk"), "sales": N_("sales office")}
OUT_OF_SCOPE_LABELS = {
    "firewall": N_("Firewall settings"),
    "antivirus": N_("Antivirus settings"),
    "internet_connection": N_("My own Internet connection"),
    "mail_client": N_("Installing or learning a mail program"),
    "other_provider": N_("A mail account at another provider"),
}
IN_SCOPE_LABELS = {
    "connectivity": N_("the connection details of your mailboxes"),
    "config_portal": N_("the configuration portal"),
    "mailboxes": N_("creating and deleting mailboxes"),
    "passwords": N_("changing mailbox passwords"),
    "domain_auth": N_("your domain's mail authentication (SPF, DKIM, DMARC)"),
    "webmail_advice": N_("advice on using webmail"),
}
SCOPE_REASONS = {
    "firewall": N_(
        "Firewalls, whether software or a device, belong to your own network: "
        "we can't configure them."
    ),
    "antivirus": N_(
        "Antivirus programs (Avast, ESET, Norton and the like) run on your computer: "
        "we can't configure them."
    ),
    "internet_connection": N_(
        "Your Internet connection is looked after by your connectivity provider, not by us."
    ),
    "mail_client": N_(
        "Installing mail programs and training on how to use them is not part of our service."
    ),
    "other_provider": N_(
        "We can only help with mailboxes on the domains we host. "
        "For other accounts, please contact the provider that hosts them."
    ),
}

_EMAIL = re.compile(r"^[^\s@<>()\[\],;:\"]{1,64}@([^\s@<>()\[\],;:\"]{1,253})$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


# Reading the opening message (see `Engine._open`).
AFTER_END = ("done", "out_of_scope", "anything_else")
HUMAN = "human"  # the choice offered after two misunderstandings
OPENING = ("menu", "clarify")
ROUTE_CONFIDENCE = 0.5  # below it, "did you mean ...?" with the likeliest topics
CLARIFY_CONFIDENCE = 0.2  # the likeliest intent below it: nothing we know, the menu again
SOCIAL_CONFIDENCE = 0.5  # "a person please"
SURE_CONFIDENCE = 0.45  # an intent this sure
LEAVE_CONFIDENCE = 0.7  # an answer this surely out of scope ends the path there
SIGNAL_CONFIDENCE = 0.2  # an out-of-scope subject named, and this likely the request
SIGNALS = {"antivirus": "oos_antivirus", "firewall": "oos_firewall"}
SHORT_ANSWER = 3  # words: a longer answer is read for its facts before its phrases
SOCIAL_WORDS = 6  # a greeting or a thank-you alone is a short message
PERSON_WORDS = 14  # a longer message that asks for a person also says something else
DESCRIBED_WORDS = 4  # an opening this long describes the request: it is kept as its description
OFFER_PERSON = N_(
    "I'm sorry, I still don't understand. Please choose one of the options, or I can pass "
    "your request to a person."
)
STALE = N_("That question is closed. Here is the current one.")
FUTURE_DATE = N_("That date is in the future. When was the message sent?")
OLD_DATE = N_("That is more than a year ago. Please give an example from the last months.")
# Questions whose answer, the second time it can't be read, is kept as typed.
KEEP_AS_TYPED = frozenset({"ex_sender", "ex_recipient", "ex_sent_at"})
SOCIAL = frozenset({"greeting", "thanks", "human"})
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
    "oos_firewall": ("other", {"other_topic": "firewall"}),
    "oos_antivirus": ("other", {"other_topic": "antivirus"}),
    "oos_internet": ("other", {"other_topic": "internet_connection"}),
    "oos_mail_client": ("other", {"other_topic": "mail_client"}),
    "oos_other_provider": ("other", {"other_topic": "other_provider"}),
    "firewall": ("other", {"other_topic": "firewall"}),
    "antivirus": ("other", {"other_topic": "antivirus"}),
    "internet_connection": ("other", {"other_topic": "internet_connection"}),
    "mail_client": ("other", {"other_topic": "mail_client"}),
    "other_provider": ("other", {"other_topic": "other_provider"}),
}
# What "did you mean" offers for each intent: a menu topic or an out-of-scope subject.
_OFFER = {
    **{i: topic for i, (topic, _) in ROUTES.items() if topic not in ("other", "answer")},
    "email_settings": "email",
    "webmail_advice": "other",
    "other_request": "other",
    "oos_firewall": "firewall",
    "oos_antivirus": "antivirus",
    "oos_internet": "internet_connection",
    "oos_mail_client": "mail_client",
    "oos_other_provider": "other_provider",
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


def _after_correction(text: str) -> str | None:
    """Return what follows the last correction in a message ("... anzi no, ..."), if any."""
    found = list(CORRECTION.finditer(text))
    tail = text[found[-1].end() :] if found else ""
    return tail if len(tail.split()) >= 2 else None


def _facts(reading: Reading) -> bool:
    return bool(reading.addresses or reading.hosts or reading.error or reading.direction)


def _evidence(reading: Reading) -> str | None:
    """Route an unsure opening by its facts: an error code or a direction is a mail problem."""
    if reading.error or reading.direction or reading.webmail:
        return "email_generic"
    return None


def _action_of(ranked: tuple[tuple[str, float], ...]) -> Action | None:
    scores = dict(ranked)
    create, delete = scores.get("mailbox_create", 0.0), scores.get("mailbox_delete", 0.0)
    if max(create, delete) < 0.2 or abs(create - delete) < 0.1:
        return None
    return "create" if create > delete else "delete"


class Invalid(Exception):
    """A typed answer that does not fit; `hint` says what would."""

    def __init__(self, hint: T) -> None:
        super().__init__(hint.msgid)
        self.hint = hint


def _states() -> list[Any]:
    names = ["new", "closed", *QUESTIONS]
    return [{"name": "summary", "on_enter": "stop_editing"} if n == "summary" else n for n in names]


def _edits() -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for fields in EDITABLE.values():
        for _, state, _ in fields:
            seen[state] = {
                "trigger": f"revise_{state}",
                "source": "summary",
                "dest": state,
                "after": "start_editing",
            }
    return list(seen.values())


ALL = "*"
_E = "editing_complete"
_OPENING = ["menu", "clarify"]
_EXAMPLE_STATES = ["ex_sender", "ex_recipient", "ex_subject", "ex_sent_at"]
TRANSITIONS: list[dict[str, Any]] = [
    # Anywhere.
    {"trigger": "restart", "source": ALL, "dest": "menu", "after": "reset"},
    {"trigger": "cancel", "source": ALL, "dest": "closed", "after": "reset"},
    {"trigger": "wake", "source": ["new", "closed"], "dest": "menu", "after": "reset"},
    # Every topic is a form (flows.form): after each answer, the first
    # out-of-scope fact that holds ends the path; else the first needed slot
    # still empty is asked; else the summary. The opening message and "did
    # you mean" route the same way, so what they said is never asked again.
    # E-mail (seed 004, with the webmail-first check of seeds 001 and 004).
    {
        "trigger": "advance",
        "source": "email_smtp",
        "dest": "email_smtp",
        "conditions": "said_unsure",
        "after": "explain_smtp_check",
    },
    {
        "trigger": "advance",
        "source": "email_webmail",
        "dest": "email_webmail",
        "conditions": "said_not_tried",
        "after": "explain_webmail_try",
    },
    {
        "trigger": "advance",
        "source": _EXAMPLE_STATES,
        "dest": "ex_more",
        "conditions": ["finished_example", "room_for_more"],
    },
    *form_transitions("email", [*_OPENING, *states_of("email"), "ex_more"]),
    # Mailbox administration and passwords (seed 000: in scope).
    *form_transitions("mailbox_admin", _OPENING + states_of("mailbox_admin")),
    *form_transitions("password", _OPENING + states_of("password")),
    # Checking a domain's mail authentication (seed 000: in scope).
    {
        "trigger": "advance",
        "source": [*_OPENING, "dns_domain"],
        "dest": "out_of_scope",
        "conditions": ["topic_dns_check", "not_hosted"],
        "after": "explain_other_provider",
    },
    {
        "trigger": "advance",
        "source": [*_OPENING, "dns_domain"],
        "dest": "dns_domain",
        "conditions": "topic_dns_check",
        "unless": "has_domain",
    },
    {
        "trigger": "advance",
        "source": [*_OPENING, "dns_domain"],
        "dest": "dns_result",
        "conditions": "topic_dns_check",
        "after": "check_dns",
    },
    {
        "trigger": "advance",
        "source": "dns_result",
        "dest": "dns_result",
        "conditions": "said_recheck",
        "after": "recheck_dns",
    },
    {
        "trigger": "advance",
        "source": "dns_result",
        "dest": "summary",
        "conditions": ["said_yes", _E],
    },
    {"trigger": "advance", "source": "dns_result", "dest": "details", "conditions": "said_yes"},
    {"trigger": "advance", "source": "dns_result", "dest": "anything_else"},
    # Domains, hosting, billing.
    *form_transitions("domain", _OPENING + states_of("domain")),
    *form_transitions("hosting", _OPENING + states_of("hosting")),
    *form_transitions("sales", _OPENING + states_of("sales")),
    {"trigger": "advance", "source": "details", "dest": "summary"},  # (of a domain check)
    # Something else: the out-of-scope topics of seed 000, or a general request.
    *form_transitions("other", _OPENING + states_of("other")),
    # The opening message: "did you mean ...?", thanks, a question answered at once.
    {"trigger": "ask_which", "source": _OPENING, "dest": "clarify"},
    {
        "trigger": "another",
        "source": ["done", "out_of_scope", "anything_else"],
        "dest": "menu",
        "after": "reset",
    },
    {"trigger": "thank", "source": _OPENING, "dest": "closed"},
    {"trigger": "answered", "source": _OPENING, "dest": "anything_else"},
    # The customer asked for a person: a general ticket with everything said
    # (what the request is about, first, when nothing was said yet).
    {"trigger": "describe", "source": ALL, "dest": "description"},
    {"trigger": "hand_off", "source": ALL, "dest": "done", "after": "open_ticket"},
    # The summary, the duplicate check and the ticket.
    *_edits(),
    {"trigger": "confirm", "source": "summary", "dest": "duplicate", "conditions": "has_duplicate"},
    {"trigger": "confirm", "source": "summary", "dest": "done", "after": "open_ticket"},
    {
        "trigger": "advance",
        "source": "duplicate",
        "dest": "done",
        "conditions": "said_yes",
        "after": "add_to_ticket",
    },
    {"trigger": "advance", "source": "duplicate", "dest": "done", "after": "open_ticket"},
    {
        "trigger": "advance",
        "source": ["done", "out_of_scope", "anything_else"],
        "dest": "menu",
        "conditions": "said_yes",
        "after": "reset",
    },
    {"trigger": "advance", "source": ["done", "out_of_scope", "anything_else"], "dest": "closed"},
]


class Dialog:
    """The pytransitions model for one turn of one conversation."""

    state: str
    trigger: Callable[..., bool]  # added by the machine (`Machine.add_model`)

    def __init__(self, conv: Conversation, ctx: Context, policy: Policy) -> None:
        self.policy = policy
        self.bind(conv, ctx)

    def bind(self, conv: Conversation, ctx: Context) -> None:
        """Take up a conversation for one turn, forgetting the previous turn."""
        self.conv = conv
        self.ctx = ctx
        self.moved = False  # a transition happened: the question asked is a new one
        self.began_in = conv.state
        self.answer: str | None = None
        self.said: list[Bubble] = []
        self.ticket: str | None = None
        self.example_done = False  # this turn finished an example message
        self.gave: set[str] = set()  # fields this turn's message gave besides the answer

    # The state lives on the conversation, so saving the conversation saves it.
    @property  # type: ignore[no-redef]
    def state(self) -> str:
        return self.conv.state

    @state.setter
    def state(self, value: str) -> None:
        self.conv.state = value

    @property
    def case(self) -> Case:
        return self.conv.case

    def say(self, *parts: T | Lines) -> None:
        self.said.append(Bubble(parts))

    def mark_moved(self) -> None:
        self.moved = True

    # Conditions --------------------------------------------------------------
    def said_yes(self) -> bool:
        return self.answer == "yes"

    def said_both(self) -> bool:
        return self.answer == "both"

    def said_unsure(self) -> bool:
        return self.answer == "unsure"

    def said_not_tried(self) -> bool:
        return self.answer == "not_tried"

    def said_something_else(self) -> bool:
        return self.answer == "something_else"

    def said_recheck(self) -> bool:
        return self.answer == "recheck"

    def sending(self) -> bool:
        return self.case.direction in ("send", "both")

    def receiving(self) -> bool:
        return self.case.direction in ("receive", "both")

    def smtp_elsewhere(self) -> bool:
        return self.case.smtp_is_provider is False and self.sending()

    def webmail_works(self) -> bool:
        return self.case.webmail_fails is False

    def not_hosted(self) -> bool:
        domain = self.case.domain if self.case.mailbox is None else _domain_of(self.case.mailbox)
        if domain is None:
            return False
        ascii_domain = _ascii(domain)
        return ascii_domain is None or not self.policy.hosts(ascii_domain)

    def room_for_more(self) -> bool:
        return len(self.case.examples) < self.policy.tickets.max_examples

    def editing_complete(self) -> bool:
        return self.conv.editing and self.complete()

    def has_duplicate(self) -> bool:
        draft = self.draft()
        tickets = self.ctx.desk.open_tickets(self.conv.channel, self.conv.user)
        found = next((ref for ref in tickets if same_problem(draft, ref)), None)
        self.conv.duplicate_of = found
        return found is not None

    def complete(self) -> bool:
        """Tell whether the case holds everything its topic's ticket needs (flows.form)."""
        topic = self.case.topic or "other"
        if any(getattr(self, ex.condition)() for ex in EXITS.get(topic, ())):
            return False
        return all(
            getattr(self, f"has_{slot.name}")()
            for slot in FORMS.get(topic, ())
            if slot.needed is None or getattr(self, slot.needed)()
        )

    # What the form knows (flows.form: `has_<slot>`, and when a slot is needed).
    def has_mailbox(self) -> bool:
        return self.case.mailbox is not None

    def has_direction(self) -> bool:
        return self.case.direction is not None

    def has_smtp(self) -> bool:
        return self.case.smtp_is_provider is not None

    def has_webmail(self) -> bool:
        return self.case.webmail_fails is not None

    def has_scope(self) -> bool:
        return self.case.addresses_limited is not None

    def has_addresses(self) -> bool:
        return bool(self.case.addresses)

    def has_client(self) -> bool:
        return self.case.client is not None

    def has_client_name(self) -> bool:
        return bool(self.case.client_name)

    def has_error(self) -> bool:
        return self.case.error_text is not None

    def has_ex_sender(self) -> bool:
        return self.case.draft is not None and bool(self.case.draft.sender)

    def has_ex_recipient(self) -> bool:
        return self.case.draft is not None and bool(self.case.draft.recipient)

    def has_ex_subject(self) -> bool:
        return self.case.draft is not None and self.case.draft.subject is not None

    def has_ex_sent_at(self) -> bool:
        d = self.case.draft
        return d is not None and bool(d.sent_at or d.sent_at_text)

    def has_action(self) -> bool:
        return self.case.action is not None

    def has_details(self) -> bool:
        return self.case.description is not None

    has_description = has_details

    def has_domain(self) -> bool:
        return self.case.domain is not None

    def has_other_topic(self) -> bool:
        return self.case.other_topic is not None

    def limited(self) -> bool:
        return self.case.addresses_limited is True

    def uses_program(self) -> bool:
        return self.case.client == "both"

    def collecting(self) -> bool:
        """Tell whether an example message is being (or is still to be) collected."""
        c = self.case
        return not c.examples or c.replace_examples or c.draft is not None or c.more

    def finished_example(self) -> bool:
        return self.example_done

    def editing(self) -> bool:
        return self.conv.editing

    def out_of_scope_topic(self) -> bool:
        return self.case.other_topic not in (None, "something_else")

    # Reading every message (flows.reading, flows.prefill) ----------------------------
    def remember(self, text: str) -> None:
        """Keep what the customer wrote, for a person who takes the request over."""
        said = self.case.said
        if len(said) < MAX_SAID and sum(len(x) for x in said) + len(text) <= MAX_TEXT:
            said.append(text)

    def hosted(self, address: str) -> bool:
        ascii_domain = _ascii(_domain_of(address))
        return ascii_domain is not None and self.policy.hosts(ascii_domain)

    def fill(self, reading: Reading, asked: str | None = None) -> list[str]:
        """Take every fact of `reading` the form can use; return the fields filled."""
        c = self.case
        at_summary = asked == "summary"
        filled = fill(
            c,
            reading,
            None if at_summary else asked,
            self.hosted,
            self.policy.provider.smtp_host,
            at_summary=at_summary,
        )
        if asked in ("ex_sender", "ex_recipient") and c.draft is not None:
            more = example_from(reading, asked, c.draft)
            subject = subject_in(reading.text)
            if subject and c.draft.subject is None:
                more["subject"] = subject
            sent_at = self.sent_at_in(reading.text)
            if sent_at and not c.draft.sent_at:
                more["sent_at"] = sent_at
            if more:
                self._update_draft(**more)
                filled += [f"example_{k}" for k in more]
        elif asked not in EXAMPLE_STATES and asked not in VERBATIM_STATES:
            example = example_in(reading, c, self.hosted, self.sent_at_in)
            if example is not None:
                c.draft = example
                filled.append("example")
        self.finish_when_complete()
        if "direction" in filled:
            self.note_mail_elsewhere()
        for name in filled:
            if name not in c.taken:
                c.taken.append(name)
        return filled

    def sent_at_in(self, text: str) -> str | None:
        """Find when an example was sent; "\\x00" + ISO: a moment already read (a header)."""
        zone = self.policy.office_hours.zone
        if text.startswith("\x00"):
            moment = datetime.fromisoformat(text[1:]).astimezone(zone)
            if not (self.ctx.now - timedelta(days=366) <= moment <= self.ctx.now):
                return None
            return moment.isoformat(timespec="minutes")
        found = find_sent_at(text, self.ctx.now, zone)
        return found.isoformat(timespec="minutes") if found else None

    def finish_when_complete(self) -> None:
        """Finish the example being collected once it has all four parts."""
        d = self.case.draft
        if d is None or d.subject is None or not (d.sent_at or d.sent_at_text):
            return
        if d.sender and d.recipient:
            self.finish_example()

    def answer_from(self, reading: Reading, ids: set[str]) -> str | None:
        """Answer the question asked from the facts of a message ("Outlook and webmail")."""
        r, state = reading, self.state
        found: str | None = None
        if state == "email_direction":
            found = r.direction
        elif state == "email_webmail":
            found = {"fails": "yes", "works": "no", "not_tried": "not_tried"}.get(r.webmail or "")
        elif state == "email_smtp":
            answer = True if r.only_webmail else smtp_answer(r, self.policy.provider.smtp_host)
            found = None if answer is None else "yes" if answer else "no"
        elif state == "email_scope" and r.only_some is not None:
            found = "yes" if r.only_some else "no"
            if r.only_some:
                which = others(r, self.hosted)
                if which:
                    self.case.addresses = which
                    self.gave.add("addresses")
        elif state == "email_client":
            if r.program is not None:
                found = "both"
                self.case.client_name = r.program
                self.gave.add("client_name")
            elif r.only_webmail:
                found = "webmail"
        elif state == "admin_action" and r.guess is not None:
            found = _action_of(r.guess.ranked)
        return found if found in ids else None

    def check_dns_when_known(self) -> None:
        """Check the mail DNS of an e-mail problem's domain once it is known (and ours)."""
        c = self.case
        if c.topic != "email" or c.mailbox is None or self.not_hosted():
            return
        domain = _domain_of(c.mailbox)
        if c.dns is None or c.dns.domain != domain:
            self.check_dns()

    def settings_texts(self) -> list[T | Lines]:
        p = self.policy.provider
        return [
            t(
                "These are the settings for your mail program: incoming server (IMAP) "
                "{imap_host}, outgoing server (SMTP) {smtp_host}, with your full address as "
                "the user name and SMTP authentication on. Step-by-step guides for each "
                "program are at {portal}.",
                imap_host=p.imap_host,
                smtp_host=p.smtp_host,
                portal=p.config_portal_url,
            )
        ]

    def clarify_choices(self) -> list[Choice]:
        labels = {**TOPIC_LABELS, **OUT_OF_SCOPE_LABELS}
        return [Choice(key, t(labels[key])) for key in self.conv.options if key in labels]

    # Actions -----------------------------------------------------------------
    def reset(self) -> None:
        self.conv.case = Case()
        self.conv.editing = False
        self.conv.out_reason = None
        self.conv.duplicate_of = None

    def start_editing(self) -> None:
        self.conv.editing = True
        if self.state == "ex_sender":
            self.case.replace_examples = True
            self.case.draft = None

    def stop_editing(self) -> None:
        self.conv.editing = False

    def explain_other_provider(self) -> None:
        self.conv.out_reason = "other_provider"

    def explain_smtp_elsewhere(self) -> None:
        self.conv.out_reason = "smtp_elsewhere"

    def explain_client_side(self) -> None:
        self.conv.out_reason = "client_side"

    def explain_topic(self) -> None:
        self.conv.out_reason = self.case.other_topic

    def explain_smtp_check(self) -> None:
        p = self.policy.provider
        self.say(
            t(
                "In your mail program, open the account settings and look at the outgoing "
                "server (SMTP). If it says {smtp_host}, the answer is yes.",
                smtp_host=p.smtp_host,
            )
        )

    def explain_webmail_try(self) -> None:
        self.say(
            t(
                "Webmail is your mailbox in the browser: open {webmail_url} and log in with the "
                "mailbox address and its password. It tells us whether the problem is in our "
                "service or in your computer.",
                webmail_url=self.policy.provider.webmail_url,
            )
        )

    def check_dns(self, fresh: bool = False) -> None:
        """Check the mail DNS of the case's domain and say what was found."""
        domain = self.case.domain or (_domain_of(self.case.mailbox) if self.case.mailbox else None)
        if domain is None or self.ctx.dns is None:
            return
        if self.ctx.progress is not None:
            self.ctx.progress(t("Checking the mail settings of {domain}…", domain=domain))
        report = self.ctx.dns.check(domain, fresh=fresh)
        self.case.dns = report
        if self.state == "dns_result":
            return  # the result step shows the whole report itself
        problems = report_lines(report, self.provider_mx())
        if problems.items:
            self.say(t("I checked the mail settings of {domain}:", domain=domain), problems)
            self.note_mail_elsewhere()
        else:
            self.say(t("I checked the mail settings of {domain}: they look right.", domain=domain))

    def note_mail_elsewhere(self) -> None:
        """Tie a receiving problem to MX records that deliver the mail elsewhere."""
        dns = self.case.dns
        if self.receiving() and dns is not None and dns.has("mx_elsewhere"):
            self.say(
                t(
                    "That explains why mail does not arrive: it is delivered elsewhere. "
                    "I will file this for our DNS technicians."
                )
            )

    def recheck_dns(self) -> None:
        self.check_dns(fresh=True)

    def provider_mx(self) -> str:
        return ", ".join(self.policy.dns.mx_hosts)

    def open_ticket(self) -> None:
        ref = self.ctx.desk.open_ticket(self.draft())
        self.conv.last_ticket = ref
        self.ticket = ref.code

    def add_to_ticket(self) -> None:
        assert self.conv.duplicate_of is not None
        ref = self.ctx.desk.add_details(self.conv.duplicate_of.code, self.draft())
        self.conv.last_ticket = ref
        self.ticket = ref.code

    # The ticket ----------------------------------------------------------------
    def category(self) -> str:
        c = self.case
        if c.handoff:
            return "general"  # a person reads it first
        if c.topic == "email" and c.direction == "receive" and c.dns and c.dns.has("mx_elsewhere"):
            return "dns_configuration"  # mail is delivered elsewhere: a DNS matter
        return {
            # Both ways: mail that doesn't arrive is lost to the customer first.
            "email": "email_sending" if c.direction == "send" else "email_receiving",
            "mailbox_admin": "mailbox_administration",
            "password": "mailbox_administration",
            "dns_check": "dns_configuration",
            "sales": "sales_administration",
            "domain": "domain_registration",
            "hosting": "hosting",
        }.get(c.topic or "", "general")

    def draft(self) -> TicketDraft:
        c, conv = self.case, self.conv
        category = self.category()
        fields: dict[str, Any] = {
            "topic": c.topic,
            "mailbox": c.mailbox,
            "domain": c.domain or (_domain_of(c.mailbox) if c.mailbox else None),
            "direction": c.direction,
            "smtp_is_provider": c.smtp_is_provider if self.sending() else None,
            "webmail_fails": c.webmail_fails,
            "addresses": c.addresses if c.addresses_limited else None,
            "client": c.client,
            "client_name": c.client_name if c.client == "both" else None,
            "error_text": c.error_text,
            "examples": [
                e.model_dump(exclude=set() if e.sent_at_text else {"sent_at_text"})
                for e in c.examples
            ],
            "action": c.action,
            "other_topic": c.other_topic,
            "description": c.description,
            "dns": c.dns.as_ticket_json() if c.dns else None,
            "attachments": [a.id for a in c.attachments],
        }
        return TicketDraft(
            category=category,
            team=self.policy.teams[category],
            priority=self.policy.priority_for(
                category, conv.channel, c.topic or "other", c.webmail_fails
            ),
            language=conv.language,
            channel=conv.channel,
            user=conv.user,
            topic=c.topic or "other",
            fields=fields,
        )

    # Answers -----------------------------------------------------------------
    def take_menu(self, value: str) -> None:
        self.case.topic = value

    def take_email_mailbox(self, value: str) -> None:
        self.case.mailbox = value

    take_admin_mailbox = take_email_mailbox
    take_password_mailbox = take_email_mailbox

    def take_email_direction(self, value: str) -> None:
        direction: Direction = value if value in ("send", "both") else "receive"  # type: ignore[assignment]
        if direction != self.case.direction and direction == "receive":
            self.case.smtp_is_provider = None
        self.case.direction = direction
        self.note_mail_elsewhere()

    def take_email_smtp(self, value: str) -> None:
        if value in ("yes", "no"):
            self.case.smtp_is_provider = value == "yes"

    def take_email_webmail(self, value: str) -> None:
        if value in ("yes", "no"):
            self.case.webmail_fails = value == "yes"

    def take_email_scope(self, value: str) -> None:
        self.case.addresses_limited = value == "yes"
        if value == "no" or (self.conv.editing and "addresses" not in self.gave):
            self.case.addresses = None  # asked again, unless this answer named them

    def take_email_addresses(self, value: str) -> None:
        self.case.addresses = value

    def take_email_client(self, value: str) -> None:
        c = self.case
        c.client = "both" if value == "both" else "webmail"
        if value == "webmail" or (self.conv.editing and "client_name" not in self.gave):
            c.client_name = None  # asked again, unless this answer named it
        if value == "webmail":  # webmail only: it fails there, and it sends through us
            c.webmail_fails = True if c.webmail_fails is None else c.webmail_fails
            if self.sending() and c.smtp_is_provider is None:
                c.smtp_is_provider = True

    def take_email_client_name(self, value: str) -> None:
        self.case.client_name = value

    def take_email_error(self, value: str) -> None:
        self.case.error_text = "" if self.answer == "none" else value

    def _update_draft(self, **values: str) -> None:
        self.case.draft = (self.case.draft or Example()).model_copy(update=values)

    def take_ex_sender(self, value: str) -> None:
        self.case.more = False
        self.case.draft = Example(sender=value)

    def take_ex_recipient(self, value: str) -> None:
        self._update_draft(recipient=value)
        self.finish_when_complete()

    def take_ex_subject(self, value: str) -> None:
        self._update_draft(subject="" if self.answer == "none" else value)
        self.finish_when_complete()

    def take_ex_sent_at(self, value: str) -> None:
        if value.startswith(VERBATIM):
            self._update_draft(sent_at="", sent_at_text=value.removeprefix(VERBATIM))
        else:
            self._update_draft(sent_at=value, sent_at_text="")
        self.finish_when_complete()

    def finish_example(self) -> None:
        draft = self.case.draft or Example()
        done = draft.model_copy(update={"subject": draft.subject or ""})
        if self.case.replace_examples:
            self.case.examples = [done]
            self.case.replace_examples = False
        else:
            self.case.examples.append(done)
        self.case.draft = None
        self.case.more = False
        self.example_done = True

    def take_ex_more(self, value: str) -> None:
        self.case.more = value == "yes"

    def take_admin_action(self, value: str) -> None:
        self.case.action = "create" if value == "create" else "delete"

    def take_dns_domain(self, value: str) -> None:
        self.case.domain = value

    take_domain_name = take_dns_domain
    take_hosting_domain = take_dns_domain

    def take_details(self, value: str) -> None:
        self.case.description = "" if self.answer == "none" else value

    def take_description(self, value: str) -> None:
        self.case.description = value

    def take_other_topic(self, value: str) -> None:
        self.case.other_topic = value

    def take_dns_result(self, value: str) -> None:
        pass

    take_anything_else = take_dns_result

    def take_summary(self, value: str) -> str:
        if value == "yes":
            return "confirm"
        for _, state, _ in EDITABLE.get(self.case.topic or "", ()):
            if value == f"edit_{state}":
                return f"revise_{state}"
        return "advance"

    def take_duplicate(self, value: str) -> None:
        pass

    take_done = take_duplicate
    take_out_of_scope = take_duplicate

    # Readers of free text ------------------------------------------------------
    def read_text(self, text: str) -> str:
        value = clean(text)
        if not value:
            raise Invalid(t(QUESTIONS[self.state].hint))
        if len(value) > MAX_TEXT:
            raise Invalid(too_long(MAX_TEXT, len(value)))
        return value

    def read_short_text(self, text: str) -> str:
        value = self.read_text(text)
        if len(value) > MAX_SHORT:
            raise Invalid(too_long(MAX_SHORT, len(value)))
        return value

    def read_address(self, text: str) -> str:
        found = addresses_in(clean(text))
        if found:
            return found[0]
        address = clean(text)
        if m := re.search(r"<([^<>]+)>", address):  # "Mario Rossi <mario@example.com>"
            address = m[1]
        address = address.strip("<>.,;: ").replace(" ", "")
        if address.lower().startswith("mailto:"):
            address = address[7:]
        m = _EMAIL.match(address)
        if not m or _ascii(m[1]) is None or "." not in m[1]:
            raise Invalid(t(QUESTIONS[self.state].hint))
        local, domain = address.rsplit("@", 1)
        return f"{local}@{domain.lower().rstrip('.')}"

    def read_mailbox(self, text: str) -> str:
        """Read the mailbox from an answer: the address on one of our domains, if any."""
        found = addresses_in(clean(text))
        ours = [a for a in found if self.hosted(a)]
        if len(ours) > 1:
            raise Invalid(
                t(
                    "You wrote more than one of our addresses ({addresses}). Which mailbox has "
                    "the problem? One problem per ticket, please.",
                    addresses=", ".join(ours),
                )
            )
        if ours or found:
            return (ours or found)[0]
        return self.read_address(text)

    def read_domain(self, text: str) -> str:
        said = clean(text)
        named = [h for h in hosts_in(said) if not looks_like_smtp(h)]
        named += [a.rsplit("@", 1)[1] for a in addresses_in(said)]
        if named and _ascii(named[0]) is not None:
            return named[0]  # "es example.org, la de la tienda"
        value = said.lower().strip(" .")
        value = re.sub(r"^(https?://)?(www\.)?", "", value).split("/", 1)[0]
        if "@" in value:
            value = value.rsplit("@", 1)[1]
        if _ascii(value) is None or "." not in value:
            raise Invalid(t(QUESTIONS[self.state].hint))
        return value

    read_hosted_domain = read_domain

    def read_sent_at(self, text: str) -> str:
        try:
            moment = parse_sent_at(clean(text), self.ctx.now, self.policy.office_hours.zone)
        except DateProblem as problem:
            if problem.reason == "no_time":
                raise Invalid(
                    t("Please add the time too, even roughly, for example: yesterday 15:30.")
                ) from None
            if problem.reason == "too_old":
                raise Invalid(t(OLD_DATE)) from None
            if problem.reason == "future":
                raise Invalid(t(FUTURE_DATE)) from None
            raise Invalid(t(QUESTIONS[self.state].hint)) from None
        return moment.isoformat(timespec="minutes")

    # Texts ---------------------------------------------------------------------
    def host_args(self) -> dict[str, Any]:
        p = self.policy.provider
        return {"smtp_host": p.smtp_host, "webmail_url": p.webmail_url}

    def duplicate_args(self) -> dict[str, Any]:
        return {"code": self.conv.duplicate_of.code if self.conv.duplicate_of else ""}

    def greeting(self) -> list[T | Lines]:
        return [
            t(
                "Hello! I'm the support assistant of {provider}. I can help with e-mail "
                "problems, mailboxes, domains and hosting, and open a ticket for our "
                "technicians when needed.",
                provider=self.policy.provider.name,
            ),
            t(
                "You can write to me in English, Italian or Spanish, and change language at "
                "any time with /lang."
            ),
        ]

    def example_intro(self) -> list[T | Lines]:
        n = len(self.case.examples) + 1
        if n == 1 or self.case.replace_examples:
            return [
                t(
                    "To find your message on our servers, the technician needs at least one "
                    "example: sender, recipient, subject, and date and time it was sent."
                )
            ]
        return [t("Example number {n}.", n=n)]

    def question_intro(self) -> list[T | Lines]:
        question = self.conv.question
        if question is None:
            return []
        return [
            t(
                "The technician working on your ticket {code} has a question for you:",
                code=question.code,
            ),
            t("“{note}”", note=question.note),
        ]

    def password_intro(self) -> list[T | Lines]:
        return [
            t(
                "For your security, a technician will check that you are the holder of the "
                "account before changing any password."
            ),
            t(
                "Please remember: any program that sends mail through this mailbox (management "
                "software, phones, printers) will stop sending until you enter the new "
                "password in it."
            ),
        ]

    def other_topic_choices(self) -> list[Choice]:
        items = [Choice(k, t(OUT_OF_SCOPE_LABELS[k])) for k in self.policy.scope.out_of_scope]
        return [*items, Choice("something_else", t("Something else"))]

    def dns_result_choices(self) -> list[Choice]:
        recheck = Choice("recheck", t("Check again: I have just changed my DNS"))
        report = self.case.dns
        if report is None or report.worst() != "ok":  # something to fix, or not checked
            return [
                Choice("yes", t("Open a ticket for our technicians")),
                recheck,
                Choice("no", t("No, thank you")),
            ]
        return [recheck, Choice("no", t("No, thank you"))]

    def dns_intro(self) -> list[T | Lines]:
        report = self.case.dns
        if report is None:
            return [t("I could not run the check just now.")]
        problems = len(report.problems())
        head = (
            tn(
                "I checked the mail settings of {domain}: I found {n} thing to fix.",
                "I checked the mail settings of {domain}: I found {n} things to fix.",
                problems,
                domain=report.domain,
            )
            if problems
            else t(
                "I could not check all the mail settings of {domain} just now.",
                domain=report.domain,
            )
            if report.worst() == "unknown"
            else t(
                "I checked the mail settings of {domain}: they look right.", domain=report.domain
            )
        )
        return [head, report_lines(report, self.provider_mx(), everything=True)]

    def summary_choices(self) -> list[Choice]:
        items = [Choice("yes", t("Open the ticket"))]
        for field, state, label in EDITABLE.get(self.case.topic or "", ()):
            if field == "smtp" and not self.sending():
                continue
            items.append(Choice(f"edit_{state}", t(label)))
        return items

    def summary_intro(self) -> list[T | Lines]:
        c = self.case
        lines: list[T | str] = []
        yes, no = t("yes"), t("no")
        topic = TOPIC_LABELS[c.topic or "other"]
        lines.append(t("Request: {topic}", topic=t(topic)))
        if c.action:
            lines.append(
                t(
                    "What to do: {action}",
                    action=t("create") if c.action == "create" else t("delete"),
                )
            )
        if c.mailbox:
            lines.append(t("Mailbox: {mailbox}", mailbox=c.mailbox))
        if c.domain:
            lines.append(t("Domain: {domain}", domain=c.domain))
        if c.direction:
            lines.append(
                t("Problem with: {direction}", direction=t(DIRECTION_LABELS[c.direction]))
            )
        if c.direction in ("send", "both") and c.smtp_is_provider is not None:
            lines.append(
                t(
                    "Sends through {smtp_host}: {answer}",
                    smtp_host=self.policy.provider.smtp_host,
                    answer=yes if c.smtp_is_provider else no,
                )
            )
        if c.webmail_fails is not None:
            lines.append(
                t("Problem also in webmail: {answer}", answer=yes if c.webmail_fails else no)
            )
        if c.addresses_limited is not None:
            lines.append(
                t("Only with these addresses: {addresses}", addresses=c.addresses or "")
                if c.addresses_limited
                else t("Addresses: all of them")
            )
        if c.client == "webmail":
            lines.append(t("Where: only in webmail"))
        elif c.client == "both":
            lines.append(t("Where: {client} and webmail", client=c.client_name or ""))
        if c.error_text is not None:
            lines.append(
                t("Error message: {error}", error=c.error_text)
                if c.error_text
                else t("Error message: none")
            )
        for i, ex in enumerate(c.examples, 1):
            lines.append(
                t(
                    "Example {n}: from {sender} to {recipient}, subject \u201c{subject}\u201d, "
                    "sent {sent_at}",
                    n=i,
                    sender=ex.sender,
                    recipient=ex.recipient,
                    subject=ex.subject or t("(no subject)"),
                    sent_at=datetime.fromisoformat(ex.sent_at) if ex.sent_at else ex.sent_at_text,
                )
            )
        if c.other_topic and c.other_topic != "something_else":
            lines.append(t(OUT_OF_SCOPE_LABELS[c.other_topic]))
        if c.description:
            lines.append(t("Details: {description}", description=c.description))
        if c.attachments:
            lines.append(t("Attached: {files}", files=", ".join(a.filename for a in c.attachments)))
        if c.dns is not None:
            found = len(c.dns.problems())
            lines.append(
                tn(
                    "DNS check of {domain}: {n} thing to fix",
                    "DNS check of {domain}: {n} things to fix",
                    found,
                    domain=c.dns.domain,
                )
                if found
                else t("DNS check of {domain}: all right", domain=c.dns.domain)
            )
        draft = self.draft()
        lines.append(
            t(
                "Category: {category} (to our {team}), priority {priority}",
                category=t(CATEGORY_LABELS[draft.category]),
                team=t(TEAM_LABELS[draft.team]),
                priority=t(PRIORITY_LABELS[draft.priority]),
            )
        )
        parts: list[T | Lines] = [t("Here is what I will send to our technicians:")]
        parts.append(Lines(tuple(lines)))
        if c.taken:
            parts.append(
                t("Some of this I took from what you wrote: change anything I got wrong.")
            )
        return parts

    def office_hours_text(self) -> T:
        hours = self.policy.office_hours
        when = hours.next_examination(self.ctx.now)
        days = Days(
            tuple(
                i
                for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
                if d in hours.days
            )
        )
        schedule = t(
            "Our technicians work {days}, {open}\u2013{close} ({zone}).",
            days=days,
            open=hours.open.strftime("%H:%M"),
            close=hours.close.strftime("%H:%M"),
            zone=Zone(hours.timezone),
        )
        if when is None:
            return t(
                "{schedule} They are working now: your ticket will be examined today.",
                schedule=schedule,
            )
        return t(
            "{schedule} Your ticket will be examined from {when}.", schedule=schedule, when=when
        )

    def ticket_intro(self) -> list[T | Lines]:
        ref = self.conv.last_ticket
        if ref is None:
            return []
        if ref.appended:
            head = t("I added the new details to ticket {code}.", code=ref.code)
        else:
            head = t(
                "Your ticket {code} is open: {category}, priority {priority}.",
                code=ref.code,
                category=t(CATEGORY_LABELS.get(ref.category, ref.category)),
                priority=t(PRIORITY_LABELS.get(ref.priority, ref.priority)),
            )
        return [
            head,
            self.office_hours_text(),
            t(
                "You will be told of every change of its status. Please quote {code} whenever "
                "you write to us about this problem.",
                code=ref.code,
            ),
        ]

    def scope_intro(self) -> list[T | Lines]:
        reason = self.conv.out_reason or "other_provider"
        p = self.policy.provider
        parts: list[T | Lines] = []
        if reason == "other_provider" and (self.case.mailbox or self.case.domain):
            domain = self.case.domain or _domain_of(self.case.mailbox or "")
            parts.append(
                t(
                    "{domain} is not hosted with {provider}, so its mail is looked after by "
                    "another provider. Please contact the provider that hosts {domain}.",
                    domain=domain,
                    provider=p.name,
                )
            )
            return parts
        if reason == "smtp_elsewhere":
            parts.append(
                t(
                    "Your mail program sends through a server that is not ours. Sending "
                    "problems there are handled by whoever runs that SMTP server, usually your "
                    "Internet connection provider: please contact them. Or set {smtp_host} as "
                    "the outgoing server; the settings are at {portal}.",
                    smtp_host=p.smtp_host,
                    portal=p.config_portal_url,
                )
            )
            return parts
        if reason == "client_side":
            parts.append(
                t(
                    "Since webmail works, our mail service is working: the problem is in your "
                    "computer or in your mail program. Try another mail program (or install "
                    "yours again); if the problem stays, please call your IT technician."
                )
            )
        else:
            parts.append(t(SCOPE_REASONS.get(reason, SCOPE_REASONS["other_provider"])))
        parts.append(
            t(
                "Think of our mail service as a toll road: we keep the road in good order, "
                "your computer and mail program are the car, and looking after the car is a "
                "job for your IT technician."
            )
        )
        parts.append(
            t(
                "We look after: {covered}.",
                covered=Lines(tuple(t(IN_SCOPE_LABELS[k]) for k in self.policy.scope.in_scope)),
            )
        )
        if self.policy.partners:
            parts.append(t("IT technicians we work with:"))
            parts.append(
                Lines(tuple(f"\u2022 {x.name} \u2014 {x.contact}" for x in self.policy.partners))
            )
        if p.remote_support_url and reason in ("client_side", "mail_client"):
            parts.append(
                t(
                    "If you like, we can also have a quick look on a best-effort basis in a "
                    "remote session: {url}",
                    url=p.remote_support_url,
                )
            )
        return parts


def _topic_condition(topic: str) -> Callable[[Dialog], bool]:
    def condition(self: Dialog) -> bool:
        return self.case.topic == topic

    condition.__name__ = f"topic_{topic}"
    return condition


for _topic in TOPICS:  # the conditions topic_email, topic_password, ... of the table
    setattr(Dialog, f"topic_{_topic}", _topic_condition(_topic))


def too_long(limit: int, length: int) -> T:
    """Say that a text is over `limit` characters."""
    return tn(
        "That is {length} characters; the limit is {n} character. Please shorten it.",
        "That is {length} characters; the limit is {n} characters. Please shorten it.",
        limit,
        length=length,
    )


def _domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1]


def _ascii(domain: str) -> str | None:
    """Return the ASCII (IDNA) form of a domain, or None when it is not a valid name."""
    try:
        name = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    return name


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
                return self._route(d, event.value, None)
        if reading is not None and self._wants_person(reading):
            return self._hand_off(d)
        if reading is not None and self._leaves_scope(d, reading):
            return self._route(d, reading.intent or "", reading)  # "nn so usare Thunderbird"
        if reading is not None and conv.state in AFTER_END and reading.text:
            q = QUESTIONS[conv.state]
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
        ranked = _routes(guess.ranked)
        best, sure = ranked[0]
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
        if best == "human" and sure >= SOCIAL_CONFIDENCE:
            return self._hand_off(d)
        likely = dict(guess.ranked)
        for signal, intent in SIGNALS.items():  # "how do I set Norton so it lets my mail be"
            if signal in reading.signals and likely.get(intent, 0.0) >= SIGNAL_CONFIDENCE:
                return self._route(d, intent, reading)
        if d.conv.misses >= 2 and guess.confidence < SURE_CONFIDENCE:
            return self._missed(d, q, event, t(q.hint))  # twice not understood: a person
        if sure < ROUTE_CONFIDENCE:
            phrased = self._resolve(d, QUESTIONS["menu"], reading.text)  # the phrase table
            evidence = _evidence(reading)
            offered = [_OFFER.get(key, key) for key, _ in ranked[:3]]
            unsure = guess.confidence < CLARIFY_CONFIDENCE
            if phrased is not None and (phrased in offered or unsure):
                return self._route(d, phrased, reading)
            if evidence is not None:
                return self._route(d, evidence, reading)
            if guess.confidence < CLARIFY_CONFIDENCE:  # no idea at all: the menu, with a hint
                return self._missed(d, q, event, t(QUESTIONS["menu"].hint))
            options = [_OFFER.get(key, key) for key, _ in ranked if key not in SOCIAL][:3]
            if conv.state == "clarify" and set(options) == set(conv.options):
                return self._missed(d, q, event, t(q.hint))
            conv.options = options
            d.trigger("ask_which")
            return self._turn(d)
        return self._route(d, best, reading, sure=guess.confidence >= SURE_CONFIDENCE)

    def _route(self, d: Dialog, key: str, reading: Reading | None, sure: bool = False) -> Turn:
        """Start the form of `key` (a topic, an intent or an out-of-scope subject)."""
        case = d.case
        topic, preset = ROUTES.get(key, (key, {}))
        if topic == "answer":
            d.say(*d.settings_texts())
            d.trigger("answered")
            return self._turn(d)
        case.topic = topic
        opening = [x for x in case.said if normalize(x) not in self._labels()]
        for text in opening:  # the facts first: "I can't receive" beats a guessed "both"
            d.fill(read(text, classify=False))
        # What the intent says of the direction or the action counts only when it
        # is sure of it: "el correo no va" says neither.
        guessed = [
            name
            for name in preset
            if getattr(case, name) is None and (sure or name not in ("direction", "action"))
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
            tail = _after_correction(reading.text)  # "cancellare... anzi no, una nuova"
            corrected = read(tail).guess if tail is not None else None
            if corrected is not None:
                case.action = _action_of(corrected.ranked) or case.action
            elif case.action is None:
                case.action = _action_of(reading.guess.ranked)
        d.check_dns_when_known()
        d.trigger("advance")
        return self._turn(d)

    def _labels(self) -> set[str]:
        return {
            normalize(self.translate(lang, label))
            for _, label in QUESTIONS["menu"].choices
            for lang in LANGUAGES
        }

    def _leaves_scope(self, d: Dialog, reading: Reading) -> bool:
        """Tell whether an answer says plainly that the request is out of our scope."""
        guess = reading.guess
        return (
            guess is not None
            and guess.intent.startswith("oos_")
            and guess.confidence >= LEAVE_CONFIDENCE
            and len(reading.text.split()) > SOCIAL_WORDS
            and d.conv.state not in VERBATIM_STATES
            and d.conv.state not in ("summary", "ticket_question", *AFTER_END)
        )

    def _wants_person(self, reading: Reading) -> bool:
        guess = reading.guess
        return (
            guess is not None
            and guess.intent == "human"
            and guess.confidence >= SOCIAL_CONFIDENCE
            and len(reading.text.split()) <= PERSON_WORDS
        )

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
            if conv.state == "ex_sent_at":
                d.say(
                    t(
                        "I couldn't read that date, so I noted it as you wrote it: “{text}”.",
                        text=value,
                    )
                )
                value = VERBATIM + value
            d.answer = None
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
        if case.topic is None or not case.said:
            case.topic, case.other_topic = "other", "something_else"
            d.trigger("describe")
            return self._turn(d)
        said = "\n".join(case.said)
        case.description = said if not case.description else case.description
        d.say(t("All right: I am passing your request to a person, with everything you told me."))
        d.trigger("hand_off")
        return self._turn(d)

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
        conv.question = None
        conv.state = conv.resume or "menu"
        conv.resume = None
        return self._turn(d)

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
        words = identifiable(text)
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
                    "/help shows this help, /cancel drops the current request, /restart starts "
                    "over, /lang changes the language."
                )
            )
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
        resolved = d.answer_from(reading, ids) if long and reading is not None else None
        if resolved is None:
            resolved = self._resolve(d, q, event.value)
        if resolved is None and reading is not None and not long:
            resolved = d.answer_from(reading, ids)
        if resolved is not None:
            d.answer = resolved
            return resolved
        if q.reader is None:
            raise Invalid(t(q.hint))
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
        table: dict[str, list[str]] = {}
        for intent, choice in q.intents.items():
            if choice in ids:
                table.setdefault(choice, []).extend(INTENTS.get(intent, ()))
        if q.reader is not None:  # free text wins unless a phrase is said exactly
            plain = [w for w in tokens(text) if w != ","]
            table = {
                c: [p for p in ps if [w for w in tokens(p) if w != ","] == plain]
                for c, ps in table.items()
            }
        found = match_phrases(text, table, buried_words="yes" not in table)
        if found is not None and d.conv.state == "menu":  # "I can't send": ask less later
            direction = match_intent(text, ("send", "receive"))
            if direction is not None:
                d.case.direction = "send" if direction == "send" else "receive"
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
