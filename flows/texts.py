"""What the bot says: the labels, and the texts each question is built from.

`Texts` is a part of the dialog (`flows.triage.Dialog` inherits it): the
greeting, the summary, the ticket's and the scope's explanations, the
choices that depend on the case. Everything is a `T` (a message id and its
arguments), put into words by the channel in the customer's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.dnstexts import report_lines
from flows.form import DIRECTION_LABELS, FORMS, editable
from flows.model import Case, Context, Conversation, Example, TicketDraft
from flows.policy import Policy
from flows.questions import QUESTIONS
from flows.reading import domain_of
from flows.text import N_, Choice, Days, Lines, T, Zone, t, tn

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


class Texts:
    """The texts of the dialog; `flows.triage.Dialog` gives them the case."""

    policy: Policy
    conv: Conversation
    ctx: Context

    @property
    def case(self) -> Case:
        return self.conv.case

    def draft(self) -> TicketDraft:
        raise NotImplementedError

    def sending(self) -> bool:
        raise NotImplementedError

    def provider_mx(self) -> str:
        return ", ".join(self.policy.dns.mx_hosts)

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
            lines.append(t("Problem with: {direction}", direction=t(DIRECTION_LABELS[c.direction])))
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
                    sent_at=_sent_at(ex),
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
            parts.append(t("Some of this I took from what you wrote: change anything I got wrong."))
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
            *self.later_texts(),
        ]

    def later_texts(self) -> list[T | Lines]:
        """The other request the opening made, offered next."""
        later = self.conv.later
        if later is None or later not in TOPIC_LABELS:
            return []
        return [
            t(
                "You also wrote about this: {topic}. Answer yes and we go on with it now.",
                topic=t(TOPIC_LABELS[later]),
            )
        ]

    def scope_intro(self) -> list[T | Lines]:
        reason = self.conv.out_reason or "other_provider"
        p = self.policy.provider
        parts: list[T | Lines] = []
        if reason == "other_provider" and (self.case.mailbox or self.case.domain):
            domain = self.case.domain or domain_of(self.case.mailbox or "")
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


def too_long(limit: int, length: int) -> T:
    """Say that a text is over `limit` characters."""
    return tn(
        "That is {length} characters; the limit is {n} character. Please shorten it.",
        "That is {length} characters; the limit is {n} characters. Please shorten it.",
        limit,
        length=length,
    )


def _sent_at(ex: Example) -> datetime | str | T:
    """When an example was sent, as read; with the customer's words when the hour was rough."""
    if not ex.sent_at:
        return str(ex.sent_at_text)
    moment = datetime.fromisoformat(ex.sent_at)
    if not ex.sent_at_text:
        return moment
    return t("{moment} (as you said: \u201c{words}\u201d)", moment=moment, words=ex.sent_at_text)
