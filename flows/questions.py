"""What each state asks: its prompt, its choices, and how typed answers are read.

A `Question` is data. `prompt` and `intro` name methods of the dialog
(`flows.triage.Dialog`) that build the texts, so texts that depend on the
case (the mailbox, the provider's host names) stay out of this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.text import N_


@dataclass(frozen=True)
class Question:
    """One state's question."""

    asking: str | None
    prompt: str  # a message id
    choices: tuple[tuple[str, str], ...] = ()  # (id, label message id)
    choices_from: str | None = None  # dialog method giving the choices instead
    intents: dict[str, str] = field(default_factory=dict)  # intent -> choice id
    reader: str | None = None  # dialog method reading free text; None: choices only
    hint: str = N_("Please choose one of the options, or type your answer.")
    intro: str | None = None  # dialog method giving what is said before the prompt
    prompt_args: str | None = None  # dialog method giving the prompt's arguments
    # The answer is copied, not written (addresses, names, a pasted error): its
    # language says nothing about the customer's.
    copied: bool = False
    explain: str | None = None  # what the question means, told when the customer asks it


MAILBOX_MEANS = N_(
    "The mailbox is the e-mail address that has the problem, the one you read your mail with: "
    "type it whole, like name@example.com."
)
YES_NO = (("yes", N_("Yes")), ("no", N_("No")))
YES_NO_INTENTS = {"yes": "yes", "no": "no"}
YES_NO_HINT = N_("Please answer yes or no (or use the buttons).")

QUESTIONS: dict[str, Question] = {
    "menu": Question(
        asking="topic",
        prompt=N_("What can I help you with?"),
        choices=(
            ("email", N_("A problem sending or receiving e-mail")),
            ("mailbox_admin", N_("Create or delete a mailbox")),
            ("password", N_("Change a mailbox password")),
            ("dns_check", N_("Check my domain's mail authentication (SPF, DKIM, DMARC)")),
            ("sales", N_("Billing and commercial questions")),
            ("domain", N_("Domain registration")),
            ("hosting", N_("Hosting")),
            ("other", N_("Something else")),
        ),
        intents={
            "topic_email": "email",
            "send": "email",
            "receive": "email",
            "topic_mailbox_admin": "mailbox_admin",
            "topic_password": "password",
            "topic_dns_check": "dns_check",
            "topic_sales": "sales",
            "topic_domain": "domain",
            "topic_hosting": "hosting",
            "topic_other": "other",
        },
        hint=N_("Please pick a topic from the list, or describe it in a few words."),
        intro="greeting",
    ),
    "clarify": Question(
        asking="topic",
        prompt=N_("Did you mean one of these?"),
        choices_from="clarify_choices",
        hint=N_("Please choose one of these, or tell me in other words what it is about."),
    ),
    "which_first": Question(
        asking="topic",
        prompt=N_(
            "You wrote about more than one thing: let's take them one at a time, each with its "
            "own ticket. Which one shall we start with?"
        ),
        choices_from="clarify_choices",
        hint=N_("Please choose one of these, or tell me in other words what it is about."),
    ),
    "email_mailbox": Question(
        asking="mailbox",
        prompt=N_("Which mailbox has the problem? Please type its full address."),
        reader="read_mailbox",
        hint=N_("That doesn't look like an e-mail address. Please type it like name@example.com."),
        explain=MAILBOX_MEANS,
        copied=True,
    ),
    "email_direction": Question(
        asking="direction",
        prompt=N_("Is the problem in sending or in receiving mail?"),
        choices=(("send", N_("Sending")), ("receive", N_("Receiving")), ("both", N_("Both"))),
        intents={"send": "send", "receive": "receive", "both_directions": "both"},
        hint=N_("Please tell me whether the problem is in sending or in receiving."),
    ),
    "email_smtp": Question(
        asking="smtp_is_provider",
        prompt=N_(
            "Does your mail program send through our SMTP server, {smtp_host}? "
            "You can see it in the account's outgoing server settings."
        ),
        prompt_args="host_args",
        choices=(*YES_NO, ("unsure", N_("I don't know"))),
        intents={**YES_NO_INTENTS, "unsure": "unsure"},
        hint=YES_NO_HINT,
    ),
    "email_webmail": Question(
        asking="webmail_fails",
        prompt=N_(
            "Please try the same thing in webmail, at {webmail_url}. "
            "Does the problem happen in webmail too?"
        ),
        prompt_args="host_args",
        choices=(
            ("yes", N_("Yes, webmail fails too")),
            ("no", N_("No, webmail works")),
            ("not_tried", N_("I haven't tried")),
        ),
        intents={
            "webmail_fails": "yes",
            "yes": "yes",
            "webmail_works": "no",
            "no": "no",
            "not_tried": "not_tried",
            "unsure": "not_tried",  # "I don't know about webmail": it has not been tried
        },
        hint=N_("Please tell me whether the problem also happens in webmail: yes or no."),
    ),
    "email_scope": Question(
        asking="addresses",
        prompt=N_("Does it happen only with certain addresses (only to or from some people)?"),
        choices=(("yes", N_("Only with some addresses")), ("no", N_("With every address"))),
        intents={**YES_NO_INTENTS, "only_some": "yes", "all_addresses": "no"},
        hint=YES_NO_HINT,
    ),
    "email_addresses": Question(
        asking="addresses",
        prompt=N_("Which addresses or domains? Type them as you know them."),
        reader="read_addresses",
        hint=N_("Please type the addresses or domains."),
        copied=True,
    ),
    "email_client": Question(
        asking="client",
        prompt=N_("Where do you read and send your mail?"),
        choices=(
            ("webmail", N_("Only in webmail")),
            ("both", N_("In a mail program or app, and in webmail")),
        ),
        intents={"only_webmail": "webmail", "both": "both"},
        hint=N_("Please tell me: only webmail, or also a mail program?"),
    ),
    "email_client_name": Question(
        asking="client",
        prompt=N_("Which mail program or app? Choose it or type its name and version."),
        choices=(
            ("Outlook", N_("Outlook")),
            ("Thunderbird", N_("Thunderbird")),
            ("Apple Mail", N_("Apple Mail")),
            ("Gmail app", N_("Gmail app")),
        ),
        reader="read_short_text",
        hint=N_("Please type the name of the mail program."),
        copied=True,
    ),
    "email_error": Question(
        asking="error_text",
        prompt=N_(
            "Please copy the error message word for word (paste it if you can). "
            "If there is none, say so."
        ),
        choices=(("none", N_("There is no error message")),),
        intents={"no_error": "none"},
        reader="read_error",
        hint=N_("Please paste the error message, or choose 'There is no error message'."),
        copied=True,
    ),
    "ex_sender": Question(
        asking="examples.sender",
        prompt=N_(
            "Now tell me about one message that had the problem. "
            "Who was the sender? (e-mail address)"
        ),
        reader="read_address",
        hint=N_("That doesn't look like an e-mail address. Please type it like name@example.com."),
        explain=N_(
            "The sender is the address the message came from: in the message, the line “From”."
        ),
        intro="example_intro",
        copied=True,
    ),
    "ex_recipient": Question(
        asking="examples.recipient",
        prompt=N_("Who was the recipient? (e-mail address)"),
        reader="read_address",
        hint=N_("That doesn't look like an e-mail address. Please type it like name@example.com."),
        explain=N_(
            "The recipient is the address the message was sent to: in the message, the line “To”."
        ),
        copied=True,
    ),
    "ex_subject": Question(
        asking="examples.subject",
        prompt=N_("What was its subject?"),
        choices=(("none", N_("It had no subject")),),
        intents={"no_subject": "none"},
        reader="read_short_text",
        hint=N_("Please type the subject of the message."),
        explain=N_(
            "The subject is the title of the message: the line shown in bold in the list of "
            "messages, beside the sender. If it had none, say so."
        ),
        copied=True,
    ),
    "ex_sent_at": Question(
        asking="examples.sent_at",
        prompt=N_(
            "When was it sent? Date and time, for example 21/11/2026 10:05 or yesterday 15:30."
        ),
        reader="read_sent_at",
        hint=N_("Please give the date and time it was sent, for example: yesterday 15:30."),
    ),
    "ex_more": Question(
        asking="examples.more",
        prompt=N_("Would you like to add another example message?"),
        choices=(("yes", N_("Add another example")), ("no", N_("No, that's all"))),
        intents=YES_NO_INTENTS,
        hint=YES_NO_HINT,
    ),
    "admin_action": Question(
        asking="action",
        prompt=N_("Do you want to create a new mailbox or delete one?"),
        choices=(("create", N_("Create a mailbox")), ("delete", N_("Delete a mailbox"))),
        intents={"create": "create", "delete": "delete"},
        hint=N_("Please tell me: create or delete?"),
    ),
    "admin_mailbox": Question(
        asking="mailbox",
        prompt=N_("Which mailbox? Please type its full address."),
        reader="read_mailbox",
        hint=N_("That doesn't look like an e-mail address. Please type it like name@example.com."),
        explain=MAILBOX_MEANS,
        copied=True,
    ),
    "password_mailbox": Question(
        asking="mailbox",
        prompt=N_("Which mailbox's password must be changed? Please type its full address."),
        reader="read_mailbox",
        hint=N_("That doesn't look like an e-mail address. Please type it like name@example.com."),
        explain=MAILBOX_MEANS,
        intro="password_intro",
        copied=True,
    ),
    "dns_domain": Question(
        asking="domain",
        prompt=N_("Which domain should be checked? For example example.com."),
        reader="read_hosted_domain",
        hint=N_("That doesn't look like a domain name. Please type it like example.com."),
        copied=True,
    ),
    "domain_name": Question(
        asking="domain",
        prompt=N_("Which domain is it about? For example example.com."),
        reader="read_domain",
        hint=N_("That doesn't look like a domain name. Please type it like example.com."),
        copied=True,
    ),
    "hosting_domain": Question(
        asking="domain",
        prompt=N_("Which site or domain is hosted with us? For example example.com."),
        reader="read_domain",
        hint=N_("That doesn't look like a domain name. Please type it like example.com."),
        copied=True,
    ),
    "details": Question(
        asking="description",
        prompt=N_("Anything else the technician should know? Type it, or choose 'Nothing to add'."),
        choices=(("none", N_("Nothing to add")),),
        intents={"nothing_to_add": "none"},
        reader="read_text",
    ),
    "description": Question(
        asking="description",
        prompt=N_("Please describe your request in your own words."),
        reader="read_text",
        hint=N_("Please describe your request in a few words."),
    ),
    "other_topic": Question(
        asking="other_topic",
        prompt=N_("Which of these is it about?"),
        choices_from="other_topic_choices",
        intents={
            "firewall": "firewall",
            "antivirus": "antivirus",
            "internet_connection": "internet_connection",
            "mail_client": "mail_client",
            "other_provider": "other_provider",
            "something_else": "something_else",
        },
    ),
    "dns_result": Question(
        asking="dns_ticket",
        prompt=N_("What would you like to do?"),
        choices_from="dns_result_choices",
        intents={**YES_NO_INTENTS, "recheck": "recheck", "open_ticket": "yes"},
        hint=N_("Please choose one of the options below."),
        intro="dns_intro",
    ),
    "anything_else": Question(
        asking="another",
        prompt=N_("Can I help you with anything else?"),
        choices=(("yes", N_("Yes, something else")), ("no", N_("No, thank you"))),
        intents=YES_NO_INTENTS,
        hint=YES_NO_HINT,
    ),
    "summary": Question(
        asking="confirm",
        prompt=N_("Is everything right? Open the ticket, or choose what to change."),
        choices_from="summary_choices",
        intents={"yes": "yes"},
        hint=N_("Please choose 'Open the ticket' or the item you want to change."),
        intro="summary_intro",
    ),
    "duplicate": Question(
        asking="duplicate",
        prompt=N_(
            "You already have ticket {code} open for this problem. "
            "Shall I add these details to it instead of opening a new ticket?"
        ),
        prompt_args="duplicate_args",
        choices=(
            ("yes", N_("Yes, add them to the open ticket")),
            ("no", N_("No, open a new ticket")),
        ),
        intents=YES_NO_INTENTS,
        hint=YES_NO_HINT,
    ),
    "done": Question(
        asking="another",
        prompt=N_("Do you have another problem to report? It will get its own ticket."),
        choices=(("yes", N_("Yes, another problem")), ("no", N_("No, thank you"))),
        intents=YES_NO_INTENTS,
        hint=YES_NO_HINT,
        intro="ticket_intro",
    ),
    "out_of_scope": Question(
        asking="another",
        prompt=N_("Can I help you with anything else?"),
        choices=(("yes", N_("Yes, something else")), ("no", N_("No, thank you"))),
        intents=YES_NO_INTENTS,
        hint=YES_NO_HINT,
        intro="scope_intro",
    ),
    "ticket_question": Question(
        asking="reply",
        prompt=N_("Please write your answer for the technician."),
        reader="read_text",
        hint=N_("Please write your answer in a few words."),
        intro="question_intro",
    ),
    "language": Question(
        asking="language",
        prompt=N_("Which language do you prefer?"),
        choices=(("en", "English"), ("it", "Italiano"), ("es", "Español")),
        intents={"lang_en": "en", "lang_it": "it", "lang_es": "es"},
    ),
}
