"""Two turns of one conversation at once: neither is lost, on SQLite and on PostgreSQL.

Each thread has its own connection from the engine's pool, as two Telegram
updates, a Slack action and a customer turn do inside one `sportello serve`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError

from bot.dnsport import could_not_check
from bot.langid import LanguageIdentifier
from bot.service import Desk
from flows.dnsreport import DnsReport
from flows.model import Conversation, Event, Notice
from flows.policy import Policy
from storage.store import SqlStore, Tx
from tests.support.chat import Chat, Clock

ROUNDS = 12


def _add_notice(store: SqlStore, start: threading.Barrier, n: int) -> None:
    start.wait()
    with store.transaction() as tx:
        conv = tx.load_conversation("terminal", "racer") or Conversation(
            channel="terminal", user="racer"
        )
        conv.notices.append(Notice(code=f"T{n}", status="open"))
        time.sleep(0.02)  # the other turn reads meanwhile
        tx.save_conversation(conv)


def test_two_transactions_of_one_conversation_do_not_overwrite_each_other(
    store: SqlStore,
) -> None:
    with store.transaction() as tx:
        tx.save_conversation(Conversation(channel="terminal", user="racer"))
    start = threading.Barrier(ROUNDS)
    with ThreadPoolExecutor(ROUNDS) as pool:
        for f in [pool.submit(_add_notice, store, start, n) for n in range(ROUNDS)]:
            f.result()
    with store.transaction() as tx:
        conv = tx.load_conversation("terminal", "racer")
    assert conv is not None
    assert sorted(n.code for n in conv.notices) == sorted(f"T{n}" for n in range(ROUNDS))


def test_a_status_change_racing_customer_turns_is_told(desk: Desk, chat: Chat) -> None:
    """A technician's changes while the customer types: each is told once, none lost."""
    code = _a_ticket(chat)
    desk.set_status(code, "in_progress")
    chat.say("grazie")
    once = chat.text.count(code)  # how often one notice names the ticket
    assert once >= 1
    start = threading.Barrier(2)
    told: list[str] = []

    def customer() -> None:
        start.wait()
        for _ in range(ROUNDS * 2):
            turn = desk.handle("terminal", chat.user, Event("text", "grazie"), "it")
            assert turn is not None
            told.append(desk.render(turn))

    def staff() -> None:
        start.wait()
        for n in range(ROUNDS):
            desk.set_status(code, "waiting" if n % 2 else "in_progress")

    with ThreadPoolExecutor(2) as pool:
        for f in [pool.submit(customer), pool.submit(staff)]:
            f.result()
    chat.say("grazie")
    told.append(chat.text)
    assert sum(text.count(code) for text in told) == ROUNDS * once


def _a_ticket(chat: Chat) -> str:
    chat.say("vorrei la fattura di ottobre, non la trovo nel pannello")
    for _ in range(6):
        if chat.asking == "confirm":
            break
        chat.say("la fattura di ottobre 2026 del dominio rossi-srl.example, grazie")
    chat.choose("yes")
    assert chat.ticket, chat.text
    return chat.ticket


class _ProbingDns:
    """A DNS port that, while it 'looks up', has another thread take the customer's row."""

    def __init__(self, store: SqlStore, channel: str, user: str) -> None:
        self.store, self.channel, self.user = store, channel, user
        self.free: list[bool] = []

    def check(self, domain: str, fresh: bool = False) -> DnsReport:
        done = threading.Event()

        def other_turn() -> None:
            with self.store.transaction() as tx:
                conv = tx.load_conversation(self.channel, self.user)
                assert conv is not None
                tx.save_conversation(conv)
            done.set()

        threading.Thread(target=other_turn, daemon=True).start()
        self.free.append(done.wait(3))  # the turn holds no lock while the lookups run
        return could_not_check(domain)


def test_no_transaction_is_open_while_the_dns_check_runs(
    store: SqlStore, policy: Policy, clock: Clock, identify: LanguageIdentifier
) -> None:
    dns = _ProbingDns(store, "terminal", "dns-racer")
    desk = Desk(store, policy, clock=clock, identify=identify, dns=dns)
    shown: list[str] = []
    chat = Chat(desk, user="dns-racer", language="it")
    chat.start()
    turn = desk.handle(
        "terminal",
        "dns-racer",
        Event("text", "non ricevo piu la posta su mario@example.com"),
        "it",
        progress=lambda lang, text: shown.append(desk.renderer.text(lang, text)),
    )
    assert turn is not None
    assert dns.free == [True]  # checked once, outside the turn's transaction
    assert len(shown) == 1 and "example.com" in shown[0]  # "checking…" said once
    with store.transaction() as tx:
        conv = tx.load_conversation("terminal", "dns-racer")
    assert conv is not None and conv.case.dns is not None
    assert conv.case.mailbox == "mario@example.com"


class _FailingOnce(SqlStore):
    """The real store, whose next turn's commit fails (a database that went away a moment)."""

    fail = False

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with super().transaction() as tx:
            yield tx
            if self.fail:
                self.fail = False
                raise OperationalError("COMMIT", {}, Exception("connection lost"))


def test_a_turn_that_could_not_be_saved_keeps_the_question_open(
    db_url: str, policy: Policy, clock: Clock, identify: LanguageIdentifier
) -> None:
    store = _FailingOnce(db_url)
    try:
        desk = Desk(store, policy, clock=clock, identify=identify)
        chat = Chat(desk, user="flaky", language="it")
        chat.start()
        chat.say("non ricevo piu la posta")
        assert chat.asking == "mailbox", chat.text
        store.fail = True
        chat.say("mario@example.com")
        assert chat.state == "error" and chat.asking == "mailbox", chat.text
        chat.say("mario@example.com")  # sent again: taken this time
        assert chat.asking not in ("mailbox", None), chat.text
    finally:
        store.close()
