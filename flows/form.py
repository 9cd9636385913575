"""What each topic's ticket needs: one declaration, read by the table, the summary and the draft.

A topic's form is an ordered list of slots, in the provider's policy order
(seed 004: the mailbox, sending or receiving, "really our SMTP server?",
webmail first, ...). A slot names the question that asks it, the condition
under which it is needed at all (the SMTP question only for sending), and how
the summary offers to change it. The transitions table is built from these
lists (`form_transitions`): after every answer the conversation goes to the
first out-of-scope exit that holds, else to the first needed slot that is
still empty, else to the summary. So a message that fills three slots skips
three questions, and a question whose answer is known is never asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flows.text import N_


@dataclass(frozen=True)
class Slot:
    """One thing a ticket needs, and the question that asks for it."""

    name: str  # `Dialog.has_<name>` tells whether it is known
    state: str  # the question state that asks it
    needed: str | None = None  # `Dialog` condition: needed only when it holds
    edit: str | None = None  # the summary's "change" label; None: changed with another slot
    fields: tuple[str, ...] = ()  # the ticket fields it fills (attributes of `Case`)
    kept: str | None = None  # `Dialog` condition: the ticket keeps them only when it holds


@dataclass(frozen=True)
class Exit:
    """An out-of-scope fact: once known, the path ends with its explanation."""

    condition: str  # `Dialog` condition
    explain: str  # `Dialog` action that records the reason


_DETAILS = Slot("details", "details", edit=N_("Change the details"), fields=("description",))
_DESCRIPTION = Slot(
    "description", "description", edit=N_("Change the description"), fields=("description",)
)
# "Anything else?" after a description the customer gave unasked (changed with it).
_MORE = Slot("details", "details", fields=("description",))
# What every ticket carries, whatever its form: what it is about, the customer's
# own words (a handoff's too), the DNS check and the files.
COMMON_FIELDS = ("topic", "domain", "description", "dns", "attachments")

FORMS: dict[str, tuple[Slot, ...]] = {
    "email": (
        Slot("mailbox", "email_mailbox", edit=N_("Change the mailbox"), fields=("mailbox",)),
        Slot(
            "direction",
            "email_direction",
            edit=N_("Change sending or receiving"),
            fields=("direction",),
        ),
        Slot(
            "smtp",
            "email_smtp",
            needed="sending",
            edit=N_("Change the SMTP server answer"),
            fields=("smtp_is_provider",),
            kept="sending",
        ),
        Slot(
            "webmail",
            "email_webmail",
            edit=N_("Change the webmail answer"),
            fields=("webmail_fails",),
        ),
        Slot("scope", "email_scope", edit=N_("Change the addresses")),
        Slot(
            "addresses", "email_addresses", needed="limited", fields=("addresses",), kept="limited"
        ),
        Slot(
            "client", "email_client", edit=N_("Change where you read your mail"), fields=("client",)
        ),
        Slot(
            "client_name",
            "email_client_name",
            needed="uses_program",
            fields=("client_name",),
            kept="uses_program",
        ),
        Slot("error", "email_error", edit=N_("Change the error message"), fields=("error_text",)),
        Slot(
            "ex_sender",
            "ex_sender",
            needed="collecting",
            edit=N_("Give the example messages again"),
            fields=("examples",),
        ),
        Slot("ex_recipient", "ex_recipient", needed="collecting"),
        Slot("ex_subject", "ex_subject", needed="collecting"),
        Slot("ex_sent_at", "ex_sent_at", needed="collecting"),
    ),
    "mailbox_admin": (
        Slot(
            "action",
            "admin_action",
            edit=N_("Change what to do (create or delete)"),
            fields=("action",),
        ),
        Slot("mailbox", "admin_mailbox", edit=N_("Change the mailbox"), fields=("mailbox",)),
        _DETAILS,
    ),
    "password": (
        Slot("mailbox", "password_mailbox", edit=N_("Change the mailbox"), fields=("mailbox",)),
        _DETAILS,
    ),
    "dns_check": (
        Slot("domain", "dns_domain", edit=N_("Change the domain"), fields=("domain",)),
        _DETAILS,
    ),
    "domain": (
        Slot("domain", "domain_name", edit=N_("Change the domain"), fields=("domain",)),
        _DETAILS,
    ),
    "hosting": (
        Slot("domain", "hosting_domain", edit=N_("Change the domain"), fields=("domain",)),
        _DETAILS,
    ),
    "sales": (_DESCRIPTION, _MORE),
    "other": (Slot("other_topic", "other_topic", fields=("other_topic",)), _DESCRIPTION, _MORE),
}

# Out-of-scope facts per topic, tried in this order before any question.
EXITS: dict[str, tuple[Exit, ...]] = {
    "email": (
        Exit("not_hosted", "explain_other_provider"),
        Exit("smtp_elsewhere", "explain_smtp_elsewhere"),
        Exit("webmail_works", "explain_client_side"),
    ),
    "mailbox_admin": (Exit("not_hosted", "explain_other_provider"),),
    "password": (Exit("not_hosted", "explain_other_provider"),),
    "dns_check": (Exit("not_hosted", "explain_other_provider"),),
    "other": (Exit("out_of_scope_topic", "explain_topic"),),
}

DIRECTION_LABELS = {
    "send": N_("sending"),
    "receive": N_("receiving"),
    "both": N_("sending and receiving"),
}


def ticket_fields(topic: str, holds: Callable[[str], bool]) -> list[str]:
    """Return the fields a topic's ticket keeps, in the form's order, then the common ones.

    `holds` tells whether a `Dialog` condition holds ("sending": the SMTP answer
    is kept only for a sending problem).
    """
    names = [
        name
        for slot in FORMS.get(topic, ())
        if slot.kept is None or holds(slot.kept)
        for name in slot.fields
    ]
    return list(dict.fromkeys([*names, *COMMON_FIELDS]))


def states_of(topic: str) -> list[str]:
    """Return the question states of a topic's form."""
    return list(dict.fromkeys(slot.state for slot in FORMS[topic]))


def editable(topic: str) -> list[tuple[str, str, str]]:
    """Return what the summary lets the customer change: (slot, state, label)."""
    return [(s.name, s.state, s.edit) for s in FORMS.get(topic, ()) if s.edit]


def form_transitions(topic: str, sources: list[str]) -> list[dict[str, Any]]:
    """Build the `advance` transitions of a topic from `sources`: exits, slots, summary."""
    on_topic = f"topic_{topic}"
    rows: list[dict[str, Any]] = []
    for ex in EXITS.get(topic, ()):
        rows.append(
            {
                "trigger": "advance",
                "source": sources,
                "dest": "out_of_scope",
                "conditions": [on_topic, ex.condition],
                "after": ex.explain,
            }
        )
    for slot in FORMS[topic]:
        conditions = [on_topic] + ([slot.needed] if slot.needed else [])
        rows.append(
            {
                "trigger": "advance",
                "source": sources,
                "dest": slot.state,
                "conditions": conditions,
                "unless": f"has_{slot.name}",
            }
        )
    rows.append(
        {"trigger": "advance", "source": sources, "dest": "summary", "conditions": on_topic}
    )
    return rows
