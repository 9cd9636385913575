"""DNS findings in the conversation: shown to the customer, filed in the ticket.

The real checker and dnspython's resolver ask the test DNS server on 127.0.0.1
(tests/support/dnsserver.py, zones in tests/zones/).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.dnscheck import DnsChecker
from bot.dnsport import BlockingDns
from bot.langid import LanguageIdentifier
from bot.service import Desk
from flows.policy import Policy
from storage.store import SqlStore
from tests.support.chat import Chat, Clock
from tests.support.dnsserver import DnsServer

HOSTED = (
    "good.example",
    "mx-elsewhere.example",
    "spf-provider.example",
    "dmarc-none.example",
    "drop.test",
    "servfail.test",
    "example.com",
)


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer() as server:
        yield server


@pytest.fixture
def hosting_policy(policy: Policy) -> Policy:
    """The shipped policy, hosting the test zones' domains."""
    provider = policy.provider.model_copy(update={"hosted_domains": HOSTED})
    fast = policy.dns.model_copy(update={"query_timeout": 1.0, "deadline": 2.5})  # a busy machine
    return policy.model_copy(update={"provider": provider, "dns": fast})


@pytest.fixture
def dns_chat(
    store: SqlStore,
    hosting_policy: Policy,
    clock: Clock,
    identify: LanguageIdentifier,
    dns_server: DnsServer,
) -> Chat:
    checker = DnsChecker(hosting_policy.dns, f"127.0.0.1:{dns_server.port}")
    desk = Desk(store, hosting_policy, clock=clock, identify=identify, dns=BlockingDns(checker))
    chat = Chat(desk, user="dns-customer", language="en")
    chat.start()
    return chat


def receiving_to_summary(chat: Chat, mailbox: str) -> None:
    chat.choose("email")
    chat.say(mailbox)
    chat.choose("receive")
    chat.choose("yes")  # webmail fails too
    chat.choose("no")  # every address
    chat.choose("webmail")
    chat.choose("none")  # no error message
    chat.say("anna@example.com")
    chat.say(mailbox)
    chat.say("Invoice 42")
    chat.say("yesterday 15:30")
    chat.choose("no")
    assert chat.state == "summary", chat.text


def codes(ticket: dict) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in ticket["dns"]["findings"]}


def test_a_well_configured_domain_is_checked_and_filed(dns_chat: Chat, store: SqlStore) -> None:
    dns_chat.choose("email")
    dns_chat.say("mario@good.example")
    assert "I checked the mail settings of good.example: they look right." in dns_chat.text
    assert dns_chat.state == "email_direction"
    dns_chat.choose("receive")
    dns_chat.choose("yes")
    dns_chat.choose("no")
    dns_chat.choose("webmail")
    dns_chat.choose("none")
    dns_chat.say("anna@example.com")
    dns_chat.say("mario@good.example")
    dns_chat.say("Invoice 42")
    dns_chat.say("yesterday 15:30")
    dns_chat.choose("no")
    assert "DNS check of good.example: all right" in dns_chat.text
    dns_chat.choose("yes")
    ticket = store.ticket(dns_chat.ticket or "")
    assert ticket is not None
    assert ticket["category"] == "email_receiving"
    found = codes(ticket)
    assert found["mx_ok"] == found["spf_ok"] == found["dmarc_ok"] == "ok"
    assert ticket["dns"]["domain"] == "good.example"


def test_mail_delivered_elsewhere_explains_a_receiving_problem(
    dns_chat: Chat, store: SqlStore
) -> None:
    dns_chat.say("I can't receive mail")  # the menu learns the direction too
    assert dns_chat.state == "email_mailbox"
    dns_chat.say("mario@mx-elsewhere.example")
    text = dns_chat.text
    assert "I checked the mail settings of mx-elsewhere.example:" in text
    assert "not to our servers" in text
    assert "That explains why mail does not arrive" in text
    dns_chat.choose("yes")
    dns_chat.choose("no")
    dns_chat.choose("webmail")
    dns_chat.choose("none")
    dns_chat.say("anna@example.com")
    dns_chat.say("mario@mx-elsewhere.example")
    dns_chat.say("Invoice 42")
    dns_chat.say("yesterday 15:30")
    dns_chat.choose("no")
    assert "Category: DNS configuration" in dns_chat.text
    dns_chat.choose("yes")
    ticket = store.ticket(dns_chat.ticket or "")
    assert ticket is not None
    assert ticket["category"] == "dns_configuration"
    assert codes(ticket)["mx_elsewhere"] in ("warning", "error")


def test_mx_elsewhere_is_explained_when_receiving_is_said_later(dns_chat: Chat) -> None:
    dns_chat.choose("email")
    dns_chat.say("mario@mx-elsewhere.example")
    assert "That explains" not in dns_chat.text  # no direction yet
    dns_chat.choose("receive")
    assert "That explains why mail does not arrive" in dns_chat.text
    assert dns_chat.state == "email_webmail"


def test_mx_elsewhere_does_not_change_a_sending_problem(dns_chat: Chat, store: SqlStore) -> None:
    dns_chat.choose("email")
    dns_chat.say("mario@mx-elsewhere.example")
    dns_chat.choose("send")
    assert dns_chat.state == "email_smtp"
    assert "That explains why mail does not arrive" not in dns_chat.text


def test_a_server_that_never_answers_is_unknown_not_missing(
    dns_chat: Chat, store: SqlStore
) -> None:
    receiving_to_summary(dns_chat, "mario@drop.test")
    dns_chat.choose("yes")
    ticket = store.ticket(dns_chat.ticket or "")
    assert ticket is not None
    found = codes(ticket)
    assert found, ticket["dns"]
    assert all(severity == "unknown" for severity in found.values()), found
    assert not any(code.endswith("_missing") for code in found)


def test_servfail_is_unknown(dns_chat: Chat, store: SqlStore) -> None:
    receiving_to_summary(dns_chat, "mario@servfail.test")
    dns_chat.choose("yes")
    ticket = store.ticket(dns_chat.ticket or "")
    assert ticket is not None
    assert set(codes(ticket).values()) == {"unknown"}


def test_the_menu_check_offers_a_dns_ticket_when_something_is_wrong(
    dns_chat: Chat, store: SqlStore
) -> None:
    dns_chat.choose("dns_check")
    dns_chat.say("dmarc-none.example")
    assert dns_chat.state == "dns_result"
    assert dns_chat.asking == "dns_ticket"
    assert "p=none" in dns_chat.text
    assert dns_chat.choices == ["yes", "recheck", "no"]
    dns_chat.choose("yes")
    assert dns_chat.state == "details"
    dns_chat.choose("none")
    assert dns_chat.state == "summary"
    dns_chat.choose("yes")
    ticket = store.ticket(dns_chat.ticket or "")
    assert ticket is not None
    assert ticket["category"] == "dns_configuration"
    assert ticket["domain"] == "dmarc-none.example"
    assert codes(ticket)["dmarc_policy_none"] == "warning"


def test_the_menu_check_of_a_good_domain_offers_no_ticket(dns_chat: Chat, store: SqlStore) -> None:
    dns_chat.choose("dns_check")
    dns_chat.say("good.example")
    assert "they look right" in dns_chat.text
    assert dns_chat.choices == ["recheck", "no"]
    dns_chat.choose("no")
    assert dns_chat.state == "anything_else"
    dns_chat.choose("no")
    assert dns_chat.state == "closed"
    assert store.tickets() == []


def test_checking_again_asks_the_server_afresh(dns_chat: Chat, dns_server: DnsServer) -> None:
    dns_chat.choose("dns_check")
    dns_chat.say("spf-provider.example")
    before = len(dns_server.queries)
    dns_chat.say("I have just fixed my DNS")
    assert dns_chat.state == "dns_result"
    assert len(dns_server.queries) > before  # fresh answers, not the cache


def test_a_domain_not_hosted_is_not_checked(dns_chat: Chat, dns_server: DnsServer) -> None:
    before = len(dns_server.queries)
    dns_chat.choose("email")
    dns_chat.say("mario@garcia-other.example")
    assert dns_chat.state == "out_of_scope"
    assert len(dns_server.queries) == before
