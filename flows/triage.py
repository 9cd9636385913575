"""The triage conversation: its states and transitions as data, and the dialog.

`TRANSITIONS` is the whole conversation as a pytransitions table; each
topic's part is built from its form (`flows.form`). Each question state (see
`flows.questions`) reads the customer's answer, stores it on the case with
`take_<state>`, then fires a trigger (`advance` unless the answer says
otherwise); the first transition of that trigger whose conditions hold
decides where the conversation goes. Conditions and actions are methods of
`Dialog`, named in the table; what it says is in `flows.texts`, and the
engine that runs it in `flows.engine`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from flows.dates import (
    MONTH_NAMES,
    RELATIVE_DAYS,
    WEEKDAY_NAMES,
    DateProblem,
    best_day,
    find_sent_at,
    parse_sent_at,
    rough_moment,
)
from flows.dnstexts import report_lines
from flows.form import EXITS, FORMS, form_transitions, states_of, ticket_fields
from flows.model import (
    Action,
    Case,
    Context,
    Conversation,
    Direction,
    Example,
    TicketDraft,
    same_problem,
)
from flows.policy import TOPICS, Policy
from flows.prefill import (
    EXAMPLE_STATES,
    VERBATIM_STATES,
    after_correction,
    alias_before,
    example_from,
    example_in,
    fill,
    headers_in,
    is_correction,
    others,
    own_address,
    pasted_example,
    quoted_subject,
    rejected_in,
    said_fine,
    smtp_answer,
    spared,
    subject_in,
)
from flows.questions import QUESTIONS
from flows.reading import (
    Reading,
    action_said,
    addresses_in,
    ascii_domain,
    domain_of,
    error_in,
    hosts_in,
    looks_like_smtp,
    only_some_in,
    own_words,
    product_just_changed,
    program_in,
    read,
    unnamed_program,
    webmail_answer,
)
from flows.text import N_, Bubble, Choice, Lines, T, t
from flows.texts import EDITABLE, OUT_OF_SCOPE_LABELS, TOPIC_LABELS, Texts, too_long
from flows.understand import (
    clean,
    normalize,
)

# An answer to "what was its subject?" that tells when it was sent instead.
_WHEN_NOT_TITLE = re.compile(
    r"^\W*(?:(?:me|mi|ce|ci|nos|te|l[aoe]?)\s*'?\s*)*(?:l'?\s*)?(?:hanno|ha|han|he|ho|they|he|she|it|"
    r"was|fue|[eè])?\s*(?:mandat\w*|inviat\w*|spedit\w*|arrivat\w*|sent|emailed|enviad\w*|"
    r"mandad\w*|lleg\w*|arrived|came)\b|^\W*(?:ieri|yesterday|ayer|oggi|today|hoy|stamattina|"
    r"this morning|esta ma[nñ]ana|l'altro ieri|anteayer|antier)\b",
    re.IGNORECASE,
)

_TITLE_THEN = re.compile(r"\s*(?:;|\.\s|,\s|\s[-\u2013]\s)\s*")

MAX_TEXT = 8000
MAX_SHORT = 300
MAX_SAID = 40  # messages kept for a handoff
AS_TYPED = "as_typed"  # the answer: a value kept as typed, since it could not be read
ROUGH = "rough"  # the answer: a day whose hour the customer does not know, with their words
IDENTIFY_CONFIDENCE = 0.8  # how sure the language identifier must be to switch by itself


_EMAIL = re.compile(r"^[^\s@<>()\[\],;:\"]{1,64}@([^\s@<>()\[\],;:\"]{1,253})$")


STALE = N_("That question is closed. Here is the current one.")
FUTURE_DATE = N_("That date is in the future. When was the message sent?")
OLD_DATE = N_("That is more than a year ago. Please give an example from the last months.")


def _action_of(ranked: tuple[tuple[str, float], ...]) -> Action | None:
    scores = dict(ranked)
    create, delete = scores.get("mailbox_create", 0.0), scores.get("mailbox_delete", 0.0)
    if max(create, delete) < 0.2 or abs(create - delete) < 0.1:
        return None
    return "create" if create > delete else "delete"


# A guess, at the end of "I don't know", that the outgoing server is ours.
_GUESS_OURS = re.compile(
    r"\b(?:supongo que|imagino que|creo que|seguramente|probablemente|credo|penso|immagino|"
    r"suppongo|probabilmente|sicuramente|i guess|i suppose|i think|probably|must be)\s+"
    r"(?:(?:es|sea|sia|che sia|it'?s|it is|is)\s+)?(?:el vuestro|el suyo|el de ustedes|il vostro|"
    r"quello vostro|il suo|yours|your one|your server)\b",
    re.IGNORECASE,
)
# An answer to "which addresses?" made of yes, "only" and pronouns: nobody is named.
_NAMES_NOBODY = re.compile(
    r"(?:\W|\b(?:yes|yeah|yep|s[iì]|only|just|solo|s[oó]lo|soltanto|from|to|with|da|a|de|desde|"
    r"con|them|they|those|these|him|her|that one|those ones|ellos|ellas|esos|esas|[eé]l|"
    r"loro|quelli|quelle|quello|lui|lei|exactly|esatto|exacto|right|correct)\b)*",
    re.IGNORECASE,
)


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
    # Sending, the examples' sender is the mailbox: they are given again from the recipient.
    sent = {
        "trigger": "revise_ex_sender",
        "source": "summary",
        "dest": "ex_recipient",
        "conditions": "sender_is_own",
        "after": "start_editing",
    }
    return [sent, *seen.values()]


ALL = "*"
_E = "editing_complete"
_OPENING = ["menu", "clarify", "which_first"]
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
    {"trigger": "ask_first", "source": _OPENING, "dest": "which_first"},
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


# The half of the day a time was said in, for a time corrected after it.
_AFTERNOON = re.compile(
    r"\b(?:pomeriggio|afternoon|tarde|sera|evening|p\.?m\.?|de la noche|di sera)\b", re.I
)
_MORNING = re.compile(r"\b(?:mattin\w*|morning|ma[nñ]ana|a\.?m\.?|stamattina)\b", re.I)


# An address the customer already has, named beside the one to create or delete:
# "mine is x@…", "noi abbiamo quella del salone che è x@…", "ya tenemos x@…".
_HAVE = re.compile(
    r"\b(?:abbiamo|ho gi[aà]|tenemos|tengo|ya tenemos|we have|we already have|i have|i already "
    r"have|usiamo|usamos|we use)\b[^.@\n]{0,40}$",
    re.IGNORECASE,
)


# Said of an address, after it: "anna@… is mine".
_MINE_AFTER = re.compile(
    r"^\W{0,3}(?:\w+\W+){0,3}?(?:is mine|è la mia|è il mio|es (?:la )?m[ií]a|es (?:el )?m[ií]o)\b",
    re.IGNORECASE,
)


# A party pointed at, not named: "only this supplier", "solo con quel cliente", "solo ese".
_THIS_PARTY = re.compile(
    r"\b(?:this|that|the same|these|those|questo|quest[ao]|quel|quell[ao]|stess[ao]|este|esta|"
    r"ese|esa|dicho|dicha|mismo|misma)\s+(?:\w+\s+)?(?:supplier|customer|client|sender|"
    r"recipient|company|person|one|guy|fornitore|cliente|mittente|destinatario|ditta|azienda|"
    r"persona|proveedor|remitente|empresa|se[nñ]or|tipo|address|indirizzo|direcci[oó]n|"
    r"domain|dominio|account|cuenta)\b|\b(?:only|solo|s[oó]lo) (?:them|him|her|"
    r"loro|lui|lei|ellos|[eé]l|ella)\b",
    re.IGNORECASE,
)
_BUT = re.compile(
    r"\b(?:pero|but|ma|per[oò]|however|sin embargo|tuttavia|aunque|anche se|although)\b", re.I
)
# A party named by its name, with no address: "solo quelle di Amazon", "only the ones from
# Barclays", "solo los de Correos Express" (the name, as typed, is what the technician needs).
_BY_NAME = re.compile(
    r"\b(?:di|de|del|della|dello|from|da|dal|dalla|con|with|to|a|al|verso|by)\s+"
    r"(?P<name>(?-i:[A-Z][\w&'.-]+)(?:\s+(?-i:[A-Z][\w&'.-]+)){0,3})"
)
# Capitalized words after "di/from/de" that name a day, a month or a mail program, not a party.
_NOT_A_PARTY = frozenset(
    {*WEEKDAY_NAMES, *MONTH_NAMES, *RELATIVE_DAYS}
    | set(
        "webmail outlook thunderbird windows mac iphone ipad android mail posta correo email "
        "e-mail apple internet wifi pc".split()
    )
)


def _existing(text: str, address: str) -> bool:
    """An address named beside the one to act on, to say it stays: "x@… is mine, keep it"."""
    at = text.lower().find(address.lower())
    if at < 0:
        return False
    return (
        own_address(text, address)
        or spared(text, address)
        or _HAVE.search(text[:at]) is not None
        or _MINE_AFTER.search(text[at + len(address) :]) is not None
    )


class Dialog(Texts):
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
        self.rough_words = ""  # the customer's words of a rough moment (ROUGH)
        self.typed = ""  # what the customer typed this turn ("" for a button)
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
        domain = self.case.domain if self.case.mailbox is None else domain_of(self.case.mailbox)
        if domain is None:
            return False
        name = ascii_domain(domain)
        return name is None or not self.policy.hosts(name)

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

    def own_side(self) -> str | None:
        """Name the part of an example that is the customer's own mailbox, when it goes unasked.

        A message that does not arrive was sent to the mailbox: the desk asks
        only who sent it, and the mailbox is the recipient. A message that
        cannot be sent went out from the mailbox: only its recipient is asked.
        Both shown in the summary, to be corrected there. Both ways: the
        example may go either way, so both parties are asked.
        """
        if self.case.mailbox is None or self.case.direction not in ("receive", "send"):
            return None
        return "recipient" if self.case.direction == "receive" else "sender"

    def _with_own_side(self, draft: Example) -> Example:
        side = self.own_side()
        if side is None or getattr(draft, side):
            return draft
        return draft.model_copy(update={side: self.case.mailbox})

    def sender_is_own(self) -> bool:
        return self.own_side() == "sender"

    def has_ex_sender(self) -> bool:
        d = self.case.draft
        return self.own_side() == "sender" or (d is not None and bool(d.sender))

    def has_ex_recipient(self) -> bool:
        d = self.case.draft
        return self.own_side() == "recipient" or (d is not None and bool(d.recipient))

    def has_ex_subject(self) -> bool:
        return self.case.draft is not None and self.case.draft.subject is not None

    def has_ex_sent_at(self) -> bool:
        d = self.case.draft
        return d is not None and bool(d.sent_at or d.sent_at_text)

    def has_action(self) -> bool:
        return self.case.action is not None

    def has_description(self) -> bool:
        return self.case.description is not None

    def has_details(self) -> bool:
        """Known, and asked: a description taken from the opening still gets "anything else?"."""
        c = self.case
        return c.description is not None and (c.details_asked or "description" not in c.taken)

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
        self.typed = text  # this turn's message, for the answers that read more of it
        said = self.case.said
        if len(said) < MAX_SAID and sum(len(x) for x in said) + len(text) <= MAX_TEXT:
            said.append(text)

    def hosted(self, address: str) -> bool:
        name = ascii_domain(domain_of(address))
        return name is not None and self.policy.hosts(name)

    def fill(self, reading: Reading, asked: str | None = None) -> list[str]:
        """Take every fact of `reading` the form can use; return the fields filled."""
        c = self.case
        if c.topic == "mailbox_admin" and c.action and is_correction(reading.text):
            # "no scusa, non è da creare ma da cancellare"
            c.action = action_said(after_correction(reading.text)) or c.action
        at_summary = asked == "summary"
        mailbox = c.mailbox
        filled = fill(
            c,
            reading,
            None if at_summary else asked,
            self.hosted,
            self.policy.provider.smtp_host,
            at_summary=at_summary,
        )
        if at_summary and len(c.examples) == 1 and _WHEN_SAID.search(reading.text):
            said = _NOT_THAT_TIME.sub(" ", after_correction(reading.text))  # "...8:30, no 9:30"
            moment = self.sent_at_in(said) or self._time_on_day_of(c.examples[0].sent_at, said)
            if moment and moment != c.examples[0].sent_at:
                c.examples = [
                    c.examples[0].model_copy(update={"sent_at": moment, "sent_at_text": ""})
                ]
                filled.append("examples")
        subject = subject_in(reading.text) if at_summary and len(c.examples) == 1 else None
        if subject and subject != c.examples[0].subject:  # "l'oggetto esatto era '…'"
            c.examples = [c.examples[0].model_copy(update={"subject": subject})]
            filled.append("examples")
        if asked in EXAMPLE_STATES:
            self._take_headers(reading.text, filled)  # the message pasted as the answer
        if asked == "ex_subject" and c.draft is not None and not c.draft.sent_at:
            subject = c.draft.subject
            rest = reading.text.replace(subject, " ") if subject else reading.text  # its time
            sent_at = self.sent_at_in(rest) if rest.strip() else None
            if sent_at:
                self._update_draft(sent_at=sent_at, sent_at_text="")
                filled.append("example_sent_at")
        if asked in ("ex_sender", "ex_recipient") and c.draft is not None:
            more = example_from(reading, asked)  # (and "x@…, says she sent 'VAT Q3' at 2pm")
            subject = subject_in(reading.text) or quoted_subject(
                replace(reading, error=None),
                list(reading.addresses),  # (no error asked here)
            )
            if subject and c.draft.subject is None:
                more["subject"] = subject
            timed = reading.text.replace(subject, " ") if subject else reading.text
            sent_at = self.sent_at_in(timed)  # (not the subject's "4-6 December")
            if sent_at and is_correction(timed):  # "...el miércoles. Perdón, el jueves"
                with suppress(Invalid):
                    sent_at = self.read_sent_at(timed)
            if sent_at and (not c.draft.sent_at or is_correction(timed)):
                more["sent_at"] = sent_at  # ("Y perdona, me he liado: no fue hoy, fue ayer…")
            if more:
                self._update_draft(**more)
                filled += [f"example_{k}" for k in more]
        elif asked not in EXAMPLE_STATES and asked not in VERBATIM_STATES:
            example = example_in(reading, c, self.hosted, self.sent_at_in)
            if example is None and c.mailbox and (mailbox is None or asked == "email_mailbox"):
                example = self._earlier_example()  # told before the mailbox was known
            if example is not None:
                c.draft = example
                filled.append("example")
        elif asked in ("email_addresses", "email_client_name", "details") and c.topic == "email":
            if not c.examples:  # "quali indirizzi?" "Lui, vi giro la mail: Da: …, Oggetto: …"
                self._take_headers(reading.text, filled)
        elif asked == "email_error" and c.topic == "email" and not c.examples:
            self._take_headers(reading.text, filled)  # a bounce quoting the original's headers
            if c.draft is None and "example" not in filled:  # "nothing on my side. My friend
                example = example_in(reading, c, self.hosted, self.sent_at_in)  # x@… sent me
                if example is not None and example.subject and example.sent_at:  # 'Rota' on…"
                    c.draft = example
                    filled.append("example")
        self.finish_when_complete()
        self._follow_mailbox(mailbox)
        if "direction" in filled:
            self.note_mail_elsewhere()
        for name in filled:
            if name not in c.taken:
                c.taken.append(name)
        return filled

    def _earlier_example(self) -> Example | None:
        """The example message an earlier message told, read again now the mailbox is known
        ("…could not be delivered to compras@…", then "almacen@garcia.example")."""
        mine = (self.case.mailbox or "").lower()
        for text in reversed(self.case.said[:-1]):
            example = example_in(
                read(text, classify=False), self.case, self.hosted, self.sent_at_in
            )
            parties = {example.sender.lower(), example.recipient.lower()} if example else set()
            if example is not None and parties - {mine, ""}:
                return example  # (with the other party: a time alone may be when it began)
        return None

    def _time_on_day_of(self, sent_at: str, said: str) -> str | None:
        """A time corrected alone ("the time was 16:05. Same day."): on the day already known."""
        if not sent_at or self.best_day(said) is not None:
            return None
        try:
            day = datetime.fromisoformat(sent_at).date().isoformat()
        except ValueError:
            return None
        return self._on_day(day, said)

    def sent_at_in(self, said: str | datetime) -> str | None:
        """Find when an example was sent, in words or as a moment already read (a header)."""
        zone = self.policy.office_hours.zone
        if isinstance(said, datetime):
            moment = said.astimezone(zone)
            if not (self.ctx.now - timedelta(days=366) <= moment <= self.ctx.now):
                return None
            return moment.isoformat(timespec="minutes")
        found = find_sent_at(said, self.ctx.now, zone)
        return found.isoformat(timespec="minutes") if found else None

    def finish_when_complete(self) -> None:
        """Finish the example being collected once it has all four parts."""
        d = self.case.draft
        if d is None or d.subject is None or not (d.sent_at or d.sent_at_text):
            return
        d = self._with_own_side(d)
        if d.sender and d.recipient:
            self.finish_example()

    def answer_from(self, reading: Reading, ids: set[str]) -> str | None:
        """Answer the question asked from the facts of a message ("Outlook and webmail")."""
        r, state = reading, self.state
        found: str | None = None
        if state == "email_direction":
            found = r.direction
        elif state == "email_webmail":
            said = r.webmail or webmail_answer(own_words(r.text))  # "ya entré y tampoco están"
            found = {"fails": "yes", "works": "no", "not_tried": "not_tried"}.get(said or "")
            if found is None and r.only_webmail:  # "Lo mandé desde la webmail, no uso ningún
                found = "yes"  # programa": only webmail, so that is where it happened
        elif state == "email_smtp":
            answer = True if r.only_webmail else smtp_answer(r, self.policy.provider.smtp_host)
            if answer is None and _GUESS_OURS.search(r.text):
                answer = True  # "ni idea, me lo configuró mi sobrino... supongo que el vuestro"
            found = None if answer is None else "yes" if answer else "no"
        elif state == "email_scope" and (r.only_some is not None or others(r, self.hosted)):
            found = "no" if r.only_some is False else "yes"  # "è la Tecnoforniture, da ordini@…"
            if found == "yes":
                mailbox = (self.case.mailbox or "").lower()
                ours = ", ".join(a for a in r.addresses if a.lower() != mailbox)  # our own site's
                which = others(r, self.hosted) or ours or self._party_meant(r.text)
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
            elif (spoken := unnamed_program(r.text))[0] and not r.text.rstrip().endswith("?"):
                found = "both"  # "uso il programma che c'era già nel computer"
                if spoken[1]:  # "..., Posta si chiama": its name, as said
                    self.case.client_name = spoken[1]
                    self.gave.add("client_name")
        elif (
            state == "email_error"
            and r.error == ""
            and not _BUT.search(r.text)
            and not is_correction(r.text)  # "perdón, me he liado: … no me llegan. Y error no sale"
        ):
            found = "none"  # "¿Qué mensaje? No sale ningún mensaje, simplemente no llegan"
            # (not "no veo ningún error, pero una clienta dice que le rebota": that is kept)
        elif state == "admin_action":
            fixed = after_correction(r.text) if is_correction(r.text) else ""
            found = action_said(fixed) if fixed else None  # "crear... no perdona, borrar"
            if found is None and r.guess is not None:
                found = _action_of(r.guess.ranked)
        return found if found in ids else None

    def check_dns_when_known(self) -> None:
        """Check the mail DNS of an e-mail problem's domain once it is known (and ours)."""
        c = self.case
        if c.topic != "email" or c.mailbox is None or self.not_hosted():
            return
        domain = domain_of(c.mailbox)
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
        if self.state in ("ex_sender", "ex_recipient"):
            self.case.replace_examples = True
            self.case.draft = None

    def stop_editing(self) -> None:
        self.conv.editing = False

    def explain_other_provider(self) -> None:
        self.conv.out_reason = "other_provider"

    def explain_smtp_elsewhere(self) -> None:
        self.conv.out_reason = "smtp_elsewhere"

    def explain_client_side(self) -> None:
        """Webmail works: the fault is on their side, in the firewall or antivirus their story
        says was just put in or changed, when it names one."""
        self.conv.out_reason = product_just_changed(self.case.said) or "client_side"

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
        domain = self.case.domain or (domain_of(self.case.mailbox) if self.case.mailbox else None)
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
        values: dict[str, Any] = {
            "topic": c.topic,
            "mailbox": c.mailbox,
            "domain": c.domain or (domain_of(c.mailbox) if c.mailbox else None),
            "direction": c.direction,
            "smtp_is_provider": c.smtp_is_provider,
            "webmail_fails": c.webmail_fails,
            "addresses": c.addresses,
            "client": c.client,
            "client_name": c.client_name,
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
        # What the topic's form keeps (flows.form); the rest is empty, the keys stay.
        kept = ticket_fields(c.topic or "other", lambda condition: getattr(self, condition)())
        empty: dict[str, Any] = {"examples": [], "attachments": []}
        fields = {k: v if k in kept else empty.get(k) for k, v in values.items()}
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
        old, self.case.mailbox = self.case.mailbox, value
        self._follow_mailbox(old)

    def _follow_mailbox(self, old: str | None) -> None:
        """A corrected mailbox is also the examples' own side, where it was the old one."""
        side = self.own_side()
        c = self.case
        if side is None or old is None or old == c.mailbox:
            return
        c.examples = [
            e.model_copy(update={side: c.mailbox}) if getattr(e, side) == old else e
            for e in c.examples
        ]

    take_admin_mailbox = take_email_mailbox
    take_password_mailbox = take_email_mailbox

    def take_email_direction(self, value: str) -> None:
        direction: Direction = "receive"
        if value in ("send", "both"):
            direction = "send" if value == "send" else "both"
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

    def _party_meant(self, text: str) -> str:
        """The other party of the examples, when the answer points at it: "only this supplier".

        Only one such address known: the example's sender when receiving, its recipient
        when sending (a bounce pasted in the opening often gives it).
        """
        examples = [*self.case.examples, *([self.case.draft] if self.case.draft else [])]
        if not _THIS_PARTY.search(text):
            return self._party_named(text, examples) or _named_party(text)
        role = "recipient" if self.sending() else "sender"
        parties = {
            a.lower()
            for e in examples
            if (a := getattr(e, role) or "") and "@" in a and not self.hosted(a)
        }
        if not parties and self.sending():  # "solo con esa dirección": the one the bounce refused
            parties = {a.lower() for a in rejected_in(self.case.error_text or "")}
            parties = {a for a in parties if not self.hosted(a)}
        return parties.pop() if len(parties) == 1 else ""

    def _party_named(self, text: str, examples: list[Example]) -> str:
        """The domain of a party already seen, named by its name: "only globex" when the bounce
        pasted showed finance@globexltd.example."""
        seen = [e.sender or "" for e in examples] + [e.recipient or "" for e in examples]
        seen += addresses_in(self.case.error_text or "")
        domains = {a.rsplit("@", 1)[1].lower() for a in seen if "@" in a and not self.hosted(a)}
        words = {w for w in re.findall(r"[a-z0-9-]{4,}", text.lower())}
        named = {d for d in domains if any(d.split(".")[0].startswith(w) for w in words)}
        return named.pop() if len(named) == 1 else ""

    def take_email_scope(self, value: str) -> None:
        self.case.addresses_limited = value == "yes"
        said = self.typed
        if value == "yes" and "addresses" not in self.gave and (which := self._party_meant(said)):
            self.case.addresses = which  # "sí, solo con esa dirección": the one already seen
            self.gave.add("addresses")
        if value == "no" or (self.conv.editing and "addresses" not in self.gave):
            self.case.addresses = None  # asked again, unless this answer named them

    def take_email_addresses(self, value: str) -> None:
        if only_some_in(value) is False and not addresses_in(value) and not hosts_in(value):
            self.case.addresses_limited, self.case.addresses = False, None  # "no, con chiunque"
            return
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
        r = read(value, classify=False)
        if r.only_webmail and r.program is None and not unnamed_program(value)[0]:
            self.take_email_client("webmail")  # "I just use the blue E and the email website,
            return  # nothing else": no program after all
        self.case.client_name = value

    def take_email_error(self, value: str) -> None:
        c = self.case
        c.error_text = "" if self.answer == "none" else value
        refused = {a.lower() for a in rejected_in(c.error_text) if not self.hosted(a)}
        draft = c.draft or Example()
        if c.direction == "send" and not c.examples and not draft.recipient and len(refused) == 1:
            self._update_draft(recipient=refused.pop())  # the bounce names whom it was sent to
            c.taken.append("example_recipient")

    def _take_headers(self, text: str, filled: list[str]) -> None:
        """Take the example a pasted message's header lines give (From:, Subject:, Date:…), or
        what the draft lacks of it when the draft is the same message (its parties, where
        known, the same)."""
        pasted = headers_in(text, self.sent_at_in)
        draft = self.case.draft
        if len(pasted) < 2:
            return
        if draft is None:
            example = pasted_example(text, self.sent_at_in)
            if example is not None:
                self.case.draft = example
                filled.append("example")
            return
        same = all(
            not getattr(draft, role) or getattr(draft, role).lower() == pasted[role].lower()
            for role in ("sender", "recipient")
            if role in pasted
        )
        missing = {k: v for k, v in pasted.items() if not getattr(draft, k, None)}
        if same and missing:
            self._update_draft(**missing)
            filled += [f"example_{k}" for k in missing]

    def _header_said(self, text: str) -> str | None:
        """The asked field of the example, from the header lines of a message pasted as the
        answer ("Oggetto: …", "Date: …"), or None."""
        role = _HEADER_ROLE_ASKED.get(self.state)
        pasted = headers_in(text, self.sent_at_in) if role else {}
        return pasted.get(role or "") if len(pasted) >= 2 else None

    def _update_draft(self, **values: str) -> None:
        self.case.draft = (self.case.draft or Example()).model_copy(update=values)

    def take_ex_sender(self, value: str) -> None:
        self.case.more = False
        self._update_draft(sender=value)  # keeps what the message already said of it
        self.finish_when_complete()

    def take_ex_recipient(self, value: str) -> None:
        self._update_draft(recipient=value)
        self.finish_when_complete()

    def take_ex_subject(self, value: str) -> None:
        if self.answer != "none" and not (self.case.draft and self.case.draft.sent_at):
            head, _, tail = value.partition(",")  # "Ordine novembre, l'avevo mandata ieri alle 15"
            zone = self.policy.office_hours.zone
            when = find_sent_at(tail, self.ctx.now, zone) if head.strip() and tail else None
            if when is not None:
                value = head.strip()
                self._update_draft(sent_at=when.isoformat(timespec="minutes"), sent_at_text="")
        self._update_draft(subject="" if self.answer == "none" else value)
        self.finish_when_complete()

    def take_ex_sent_at(self, value: str) -> None:
        if self.answer == AS_TYPED:
            self._update_draft(sent_at="", sent_at_text=value)
        elif self.answer == ROUGH:
            self._update_draft(sent_at=value, sent_at_text=self.rough_words)
        else:
            self._update_draft(sent_at=value, sent_at_text="")
        self.finish_when_complete()

    def finish_example(self) -> None:
        draft = self._with_own_side(self.case.draft or Example())
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
        c = self.case
        said = "" if self.answer == "none" else value
        if c.description and "description" in c.taken and not c.details_asked:
            c.description = f"{c.description}\n{said}" if said else c.description  # added to it
        else:
            c.description = said
        c.details_asked = True

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

    def read_error(self, text: str) -> str:
        """The error word for word; "where do I find it?" is told where, and asked again."""
        value = self.read_text(text)
        if _WHERE_IS_IT.search(value) and not error_in(value) and len(value.split()) <= 25:
            if self.case.direction == "receive":
                raise Invalid(
                    t(
                        "When mail does not reach you, the error is in the message that went "
                        "back to the sender (a bounce): ask them to forward it to you and paste "
                        "it here. If nobody got one, choose 'There is no error message'."
                    )
                )
            raise Invalid(
                t(
                    "It is the message your mail program shows when sending fails, or the "
                    "message that comes back to you (for example 'Undelivered Mail Returned to "
                    "Sender'): paste it here. If there is none, choose 'There is no error "
                    "message'."
                )
            )
        return value

    def read_addresses(self, text: str) -> str:
        """Which addresses: as typed, but "yes, only from them" names nobody and is asked again."""
        value = self.read_text(text)
        if not addresses_in(value) and not hosts_in(value) and _NAMES_NOBODY.fullmatch(value):
            raise Invalid(t(QUESTIONS[self.state].hint))
        return value

    def read_short_text(self, text: str) -> str:
        value = self._header_said(text) or self.read_text(text)
        named = subject_in(value) if self.state == "ex_subject" else None
        if self.state == "ex_subject" and not named and _WHEN_NOT_TITLE.search(value):
            moment = self.sent_at_in(value)  # "me l'hanno mandata ieri verso le 14": the
            if moment is not None:  # time (kept), not the subject
                if self.case.draft is not None and not self.case.draft.sent_at:
                    self._update_draft(sent_at=moment, sent_at_text="")
                raise Invalid(t(QUESTIONS[self.state].hint))
        if named and named != value and _quoted_in(value, named):
            value = named  # "...he sent it wednesday, subject was 'Logo drafts v2'": quoted
        elif self.state == "ex_subject" and not named:
            value = self._title_then_when(value)
        if len(value) > MAX_SHORT:
            raise Invalid(too_long(MAX_SHORT, len(value)))
        return value

    def _title_then_when(self, value: str) -> str:
        """The subject, then when it was sent: "Aviso de cargo en cuenta; según el banco
        mandaron uno el miércoles por la tarde, hacia las 17:30" (the time is kept)."""
        parts = _TITLE_THEN.split(value, maxsplit=1)
        if len(parts) < 2 or len(parts[1].split()) < 3 or self.sent_at_in(parts[0]) is not None:
            return value
        moment = self.sent_at_in(parts[1])
        if moment is None:
            return value
        if self.case.draft is not None and not self.case.draft.sent_at:
            self._update_draft(sent_at=moment, sent_at_text="")
        return parts[0].strip()

    def read_address(self, text: str) -> str:
        header = self._header_said(text)
        found = addresses_in(header or clean(text))
        if len(found) > 1 and is_correction(text):  # "x@…, perdón, es y@… sin guion"
            return found[-1]
        if found:
            return found[0]
        address = clean(text)
        if m := re.search(r"<([^<>]+)>", address):  # "Mario Rossi <mario@example.com>"
            address = m[1]
        address = address.strip("<>.,;: ").replace(" ", "")
        if address.lower().startswith("mailto:"):
            address = address[7:]
        m = _EMAIL.match(address)
        if not m or ascii_domain(m[1]) is None or "." not in m[1]:
            raise Invalid(t(QUESTIONS[self.state].hint))
        local, domain = address.rsplit("@", 1)
        return f"{local}@{domain.lower().rstrip('.')}"

    def read_mailbox(self, text: str) -> str:
        """Read the mailbox from an answer: the address on one of our domains, if any."""
        found = addresses_in(clean(text))
        if len(found) > 1 and is_correction(text):  # "x@… no sorry wait, the hotmail: y@…"
            found = addresses_in(after_correction(clean(text))) or found
        ours = [a for a in found if self.hosted(a)]
        others_ = [a for a in found if a not in ours]
        if ours and others_ and all(said_fine(text, a) for a in ours):
            return others_[0]  # "the gmail one - x@gmail.com. My work one, y@example.com, is fine"
        if len(ours) > 1 and is_correction(text):  # "x@…, anzi y@…": the last one
            ours = ours[-1:]
        if len(ours) > 1:  # "x@… (y@… creo q tb, pero sobre todo x)": the aside is not it
            aside = " ".join(re.findall(r"\([^()]*\)", text)).lower()
            ours = [a for a in ours if a.lower() not in aside] or ours
        if len(ours) > 1 and self.case.topic == "mailbox_admin":  # "create y@…, mine is x@…"
            ours = [a for a in ours if not _existing(text, a)] or ours
        if len(ours) > 1:  # "...vengano girate per un mese ad acquisti@…": where mail goes
            ours = [a for a in ours if not _FORWARDED_TO.search(text[: _at(text, a)])] or ours
        if len(ours) > 1:  # "sara.longo@…. Se si può anche un alias s.longo@…": the mailbox
            ours = [a for a in ours if not alias_before(text[: _at(text, a)])] or ours
        if len(ours) > 1 and self.case.topic in ("email", "password"):  # "...: marta@…. El mío,
            ours = [a for a in ours if not said_fine(text, a)] or ours  # pablo@…, va bien."
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
        if len(set(named)) > 1 and is_correction(said):  # "example.com - sorry, I mean .org"
            tail = after_correction(said)
            named = [n for n in named if n in tail.lower()] or named
        if named and ascii_domain(named[0]) is not None:
            return named[0]  # "es example.org, la de la tienda"
        value = said.lower().strip(" .")
        value = re.sub(r"^(https?://)?(www\.)?", "", value).split("/", 1)[0]
        if "@" in value:
            value = value.rsplit("@", 1)[1]
        if ascii_domain(value) is None or "." not in value:
            raise Invalid(t(QUESTIONS[self.state].hint))
        return value

    read_hosted_domain = read_domain

    def best_day(self, text: str) -> date | None:
        return best_day(clean(text), self.ctx.now, self.policy.office_hours.zone)

    def _corrected_moment(self, head: str, tail: str) -> datetime:
        """Read a moment corrected in the same message: what the correction leaves out stays.

        "Tuesday 17th, 10:12 - no, 10:21": the day of before, the time of after;
        "el miércoles a las 12:30. Perdón, fue el jueves": the other way round;
        "ieri verso le 3 del pomeriggio... no scusi, le 4 passate": still the afternoon.
        """
        zone, now = self.policy.office_hours.zone, self.ctx.now
        day_before = self.best_day(head)
        chunks = [c for c in re.split(r"[,.;]", tail) if c.strip()]  # "el jueves, el miércoles no"
        denied = [c for c in chunks if _DENIED_CHUNK.search(c)]  # "…, el lunes no, fue el martes"
        if denied and len(denied) < len(chunks):
            chunks = [c for c in chunks if c not in denied]
            tail = ", ".join(chunks)
        day_after = next((d for c in chunks if (d := self.best_day(c)) is not None), None)
        day_after = day_after or self.best_day(tail)
        if day_before is not None and day_after is None:
            that_day = datetime.combine(day_before, time(23, 59), zone)
            moment = parse_sent_at(tail, min(that_day, now), zone)
            moment = moment.replace(
                year=day_before.year, month=day_before.month, day=day_before.day
            )
        else:
            try:
                moment = parse_sent_at(tail, now, zone)
            except DateProblem as problem:
                if problem.reason != "no_time" or day_after is None:
                    raise
                moment = parse_sent_at(head, now, zone)  # the time said before
                moment = moment.replace(
                    year=day_after.year, month=day_after.month, day=day_after.day
                )
        if moment.hour < 12 and _AFTERNOON.search(head) and not _MORNING.search(tail):
            moment += timedelta(hours=12)
        if moment > now:
            raise DateProblem("future")
        return moment

    def read_sent_at(self, text: str) -> str:
        header = self._header_said(text)
        if header:
            return header  # "Date: Thu, 19 Nov 2026 16:40:03 +0100"
        zone = self.policy.office_hours.zone
        said = clean(text)
        tail = after_correction(said)  # "last monday... no wait, wednesday 18 at 14:10"
        if tail != said:
            with suppress(DateProblem):
                return self._corrected_moment(said[: len(said) - len(tail)], tail).isoformat(
                    timespec="minutes"
                )
        try:
            moment = parse_sent_at(said, self.ctx.now, zone)
        except DateProblem as problem:
            # "Ieri sera verso le 20.30. Stamattina ho riprovato": the first moment said
            first = find_sent_at(said, self.ctx.now, zone)
            if first is not None:
                return first.isoformat(timespec="minutes")
            day = self._day_said_before()
            joined = self._on_day(day, said) if day else None
            if joined is not None:  # "last tuesday, late-ish" ... "about 8 o'clock": the two
                return joined
            rough = rough_moment(said, self.ctx.now, zone) if problem.reason == "no_time" else None
            if rough is not None:  # "martedì o mercoledì, non ricordo, di mattina"
                self.answer, self.rough_words = ROUGH, said[:MAX_SHORT]
                return rough.isoformat(timespec="minutes")
            if problem.reason == "no_time":
                raise Invalid(
                    t("Please add the time too, even roughly, for example: yesterday 15:30.")
                ) from None
            if problem.reason == "too_old":
                raise Invalid(t(OLD_DATE)) from None
            if problem.reason == "future":
                raise Invalid(t(FUTURE_DATE)) from None
            raise Invalid(t(QUESTIONS[self.state].hint)) from None
        day = self._day_said_before() if self.best_day(said) is None else None
        # "el martes pasado por la mañana" ... "serían las 10": that day's
        return (self._on_day(day, said) if day else None) or moment.isoformat(timespec="minutes")

    def _on_day(self, day: str, said: str) -> str | None:
        """The time `said` on a day already known (said in words, or an ISO date)."""
        try:
            moment = parse_sent_at(f"{day}, {said}", self.ctx.now, self.policy.office_hours.zone)
        except DateProblem:
            return None
        return moment.isoformat(timespec="minutes")

    def _day_said_before(self) -> str | None:
        """The answer before this one, when it named a day without its time."""
        if not self.conv.misses or len(self.case.said) < 2:
            return None
        earlier = clean(self.case.said[-2])
        try:
            parse_sent_at(earlier, self.ctx.now, self.policy.office_hours.zone)
        except DateProblem as problem:
            return earlier if problem.reason == "no_time" else None
        return None


def _quoted_in(text: str, words: str) -> bool:
    """Tell whether `words` stand in quotes in `text`."""
    return bool(
        re.search(rf"[\"\u201c\u00ab'\u2018]{re.escape(words)}[\"\u201d\u00bb'\u2019]", text)
    )


# A part of a moment said only to deny it: "el lunes no", "non alle 9", "not Monday".
_DENIED_CHUNK = re.compile(
    r"\b(?:no|non|not)\s*$|^\s*(?:not|non|no)\s+(?:on\s+|il\s+|el\s+)?\w+\s*$"
)


# Where to find the error, asked back: "dove lo trovo l'errore?", "where do I find that?".
_WHERE_IS_IT = re.compile(
    r"\b(?:dove|where|d[oó]nde|come|how|c[oó]mo)\b[^?]{0,40}\b(?:trov\w*|find|see|veo|vedo|"
    r"ved\w*|mir\w*|guard\w*|encuentr\w*|look|busc\w*|cerc\w*|get)\b[^?]{0,30}\?|"
    r"\b(?:what|which|quale|qu[eé]|cu[aá]l)\s+(?:error|errore|message|messaggio|mensaje)\b[^?]{0,30}\?|"
    r"\b(?:do you mean|intende|intendi|se refiere|te refieres|quiere decir)\b[^?]{0,40}\?",
    re.IGNORECASE,
)


# Mail sent on to an address: "girate ad acquisti@…", "forwarded to", "reenviar a".
_FORWARDED_TO = re.compile(
    r"\b(?:girat\w*|girar\w*|inoltr\w*|forward\w*|redirect\w*|reenv\w*|redirig\w*|desv[ií]\w*|"
    r"in copia|en copia|(?:a )?copy)\b[^@]{0,50}?\b(?:a|ad|to|al|alla|verso|hacia|su|into|para)\s*"
    r"[\"'<(]?$",
    re.IGNORECASE,
)


def _at(text: str, address: str) -> int:
    """Where `address` starts in `text` (0 when it is not there as written)."""
    return max(text.lower().find(address.lower()), 0)


# The example's field each of its questions asks, as `headers_in` names it.
_HEADER_ROLE_ASKED = {
    "ex_sender": "sender", "ex_recipient": "recipient", "ex_subject": "subject",
    "ex_sent_at": "sent_at",
}  # fmt: skip


# The time corrected away: "16:05, not 14:05", "alle 9:30, non alle 8:30", "y no a las 9".
_NOT_THAT_TIME = re.compile(
    r"[,;]?\s*\b(?:not|non|no|y no|e non|instead of|invece che|invece delle|en vez de)\s+"
    r"(?:at\s+|alle\s+|a las\s+|las\s+|le\s+)?\d{1,2}(?:[:.]\d{2})?\b",
    re.IGNORECASE,
)


# A correction at the summary about when the example was sent.
_WHEN_SAID = re.compile(
    r"\b(?:hora|ora|orario|time|fecha|data|date|d[ií]a|giorno|day|sent|inviat[ao]|mand[eé]|"
    r"envi[eé]|spedit[ao]|mandat[ao]|enviad[ao]|filled in|submitted|compilat[ao]|rellen[oó]|"
    r"yesterday|ieri|ayer|today|oggi|hoy|this morning|stamattina|esta ma[nñ]ana|anteayer|"
    r"l'altro ieri|the day before)\b",
    re.IGNORECASE,
)


def _topic_condition(topic: str) -> Callable[[Dialog], bool]:
    def condition(self: Dialog) -> bool:
        return self.case.topic == topic

    condition.__name__ = f"topic_{topic}"
    return condition


for _topic in TOPICS:  # the conditions topic_email, topic_password, ... of the table
    setattr(Dialog, f"topic_{_topic}", _topic_condition(_topic))


def _named_party(text: str) -> str:
    """The party an answer names by its name, as typed ("quelle di Amazon"), or ""."""
    for m in _BY_NAME.finditer(text):
        words = m["name"].split()
        if normalize(words[0]) not in _NOT_A_PARTY and program_in(m["name"]) is None:
            return text[m.start() : m.end()].strip()
    return ""
