"""Staff work the tickets from Slack: the real Bolt App and the real slack_sdk WebClient
against the fake Slack Web API on 127.0.0.1, and the customer on the fake Telegram Bot API.

One "process" here is what `sportello serve` runs: the Telegram Application polling in a
thread of its own (with its event loop), the Bolt app answering signed requests, and the
outbox sender delivering staff alerts, thread messages and customer messages. The
sender's clock is a fake one, so a retry is due only when the test moves the clock on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_bolt import BoltResponse
from slack_sdk import WebClient
from sqlmodel import Session, col, select

from bot import telegram
from bot.outbox import Sender
from bot.service import Desk
from bot.slack import Alerts, SlackSettings, build_app
from storage.models import OutboxRow
from storage.store import SqlStore
from tests.support.chat import Chat, Clock, email_to_summary
from tests.support.fakebotapi import FakeBotApi
from tests.support.fakeslack import (
    DEFAULT_SIGNING_SECRET,
    STAFF_USER_ID,
    FakeSlack,
    dispatch,
    signed_request,
)
from tests.support.running_bot import RunningBot

TECH, SALES = "C0HELPDESK", "C0SALESOFF"
CHANNELS = {"technical": TECH, "sales": SALES}
CHAT = 4242
BACKOFF = 5.0  # seconds: the sender's only back-off step here
CODE = re.compile(r"SPT-\d{3}-\d{5}")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 1024
NASTY = "550 5.1.1 <@U123> <!channel> <https://x|y> *bold* _it_ ~s~ `code` & co"


# -- the process ------------------------------------------------------------------------


class TrackingExecutor(concurrent.futures.ThreadPoolExecutor):
    """Bolt's listener executor, remembering what it ran (to wait for the work after ack)."""

    def __init__(self) -> None:
        super().__init__(max_workers=4, thread_name_prefix="bolt-listener")
        self.futures: list[concurrent.futures.Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        future = super().submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future


class SlackSide:
    """Slack in one process: a WebClient on the fake, Alerts, the Bolt app and the sender."""

    def __init__(
        self,
        desk: Desk,
        store: SqlStore,
        slack: FakeSlack,
        clock: Clock,
        bot: RunningBot | None = None,
        staff_language: str = "en",
    ) -> None:
        self.slack, self.store, self.bot = slack, store, bot
        self.settings = SlackSettings(
            token=slack.token,
            channels=CHANNELS,
            signing_secret=slack.signing_secret,
            api_url=slack.base_url,
            staff_language=staff_language,
        )
        # no retry handlers: a failure reaches the outbox at once, which retries it
        self.client = WebClient(
            token=slack.token, base_url=slack.base_url, retry_handlers=[], timeout=5
        )
        self.alerts = Alerts(store, desk.renderer, self.settings, self.client)
        self.app = build_app(desk, self.alerts, self.settings)
        self.executor = TrackingExecutor()
        self.app.listener_runner.listener_executor = self.executor
        self.errors: list[BaseException] = []

        @self.app.error
        def keep(error: BaseException) -> None:
            self.errors.append(error)

        transports: dict[str, Any] = {
            "staff_alert": self.alerts.post_alert,
            "staff_thread": self.alerts.post_thread,
        }
        if bot is not None:
            transports["customer_message"] = telegram.customer_transport(bot.channel)
            transports["customer_reply"] = transports["customer_message"]
        # one post at a time per team here (serve sends up to GROUP_LIMIT): the order is checked
        self.sender = Sender(store, transports, clock=clock, backoff=(BACKOFF,), group_limit=1)

    def deliver(self) -> int:
        """One pass of the sender: what is due now is delivered (or fails and waits)."""
        # The answers the bot is sending itself right now are kept in the outbox until it
        # marks them: this sender's clock is ahead, so let the bot finish first.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(
            r.key.startswith("reply:")
            and r.sent_at is None
            and _aware(r.next_at) > datetime.now(UTC)
            for r in outbox(self.store)
        ):
            time.sleep(0.01)
        if self.bot is not None:
            return int(self.bot.run(self.sender.run_once()))
        return asyncio.run(self.sender.run_once())

    def request(self, body: str, headers: dict[str, str]) -> BoltResponse:
        """Hand a request to Bolt; return its answer once the listener's work is done."""
        started = time.monotonic()
        response = dispatch(self.app, body, headers)
        assert time.monotonic() - started < 3.0  # acknowledged within Slack's 3 seconds
        self.settle()
        return response

    def send(self, body: str, **signing: Any) -> BoltResponse:
        """A request signed as Slack signs it."""
        return self.request(*signed_request(body, secret=self.slack.signing_secret, **signing))

    def settle(self) -> None:
        _, pending = concurrent.futures.wait(self.executor.futures, timeout=15)
        assert not pending, "a listener is still running"
        assert not self.errors, self.errors

    def click(self, action: str, code: str, **signing: Any) -> BoltResponse:
        """A staff member clicks a button of the ticket's alert, as it is now."""
        alert = self.store.staff_alert(code)
        assert alert is not None, f"no alert for {code}"
        body = self.slack.block_actions_payload(
            action, channel_id=alert.channel, message_ts=alert.ts
        )
        return self.send(body, **signing)

    def submit(self, callback_id: str, text: str) -> BoltResponse:
        """The staff member types in the modal the app opened and submits it."""
        body = self.slack.view_submission_payload(callback_id, values={"text": {"text": text}})
        return self.send(body)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class Customer:
    """Types and presses on Telegram as an Italian customer does, waiting for each answer."""

    def __init__(self, server: FakeBotApi, language: str = "it") -> None:
        self.server, self.language = server, language

    def _wait_after(self, before: int) -> dict[str, Any]:
        self.server.wait_for_messages(CHAT, before + 1, timeout=10)
        return self.server.messages(CHAT)[-1]

    def says(self, text: str) -> dict[str, Any]:
        before = self.server.sent_count(CHAT)
        self.server.user_sends_text(CHAT, text, language_code=self.language)
        return self._wait_after(before)

    def sends_photo(self) -> dict[str, Any]:
        before = self.server.sent_count(CHAT)
        self.server.user_sends_photo(CHAT, PNG, language_code=self.language)
        return self._wait_after(before)

    def presses(self, choice: str) -> dict[str, Any]:
        message = self.server.messages(CHAT)[-1]
        markup = message.get("reply_markup") or {}
        data = next(
            b["callback_data"]
            for row in markup.get("inline_keyboard", [])
            for b in row
            if b["callback_data"].split(":", 1)[1] == choice
        )
        before = self.server.sent_count(CHAT)
        self.server.user_presses(CHAT, message["message_id"], data, language_code=self.language)
        return self._wait_after(before)

    def texts_since(self, before: int) -> str:
        return "\n".join(self.server.texts(CHAT)[before:])


def open_ticket_on_telegram(
    c: Customer, error: str = NASTY, client: str = "Thunderbird 128", photo: bool = False
) -> str:
    """The whole e-mail conversation on Telegram, in Italian, up to the ticket."""
    c.says("/start")
    c.presses("email")
    c.says("mario@example.com")
    if photo:
        c.sends_photo()
    c.presses("receive")
    c.presses("yes")  # it fails in webmail too
    c.presses("no")  # with every address
    c.presses("both")
    c.says(client)
    c.says(error)
    c.says("anna@rossi-srl.example")
    c.says("Fattura <!here> *42*")
    c.says("ieri alle 15:30")
    c.presses("no")  # no other example
    done = c.presses("yes")  # open the ticket
    found = CODE.search(done["text"])
    assert found is not None, done["text"]
    return found.group()


def open_terminal_ticket(desk: Desk, user: str, team: str = "technical") -> str:
    """A ticket opened from the terminal (the customer is not reachable by push)."""
    chat = Chat(desk, user=user, language="en")
    chat.start()
    if team == "sales":
        chat.choose("sales")
        chat.say(f"An offer for 30 mailboxes, please ({user})")
    else:
        email_to_summary(chat, error=f"550 5.1.1 mailbox full ({user})")
    chat.choose("yes")
    assert chat.ticket is not None, chat.text
    return chat.ticket


# -- reading what Slack shows -------------------------------------------------------------


def text_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every text object (plain_text / mrkdwn) in some blocks, at any depth."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from text_objects(item)


def shown(message: dict[str, Any]) -> str:
    return "\n".join(o["text"] for o in text_objects(message.get("blocks", [])))


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"]
        for b in message.get("blocks", [])
        if b.get("type") == "actions"
        for e in b["elements"]
    ]


def alert_code(message: dict[str, Any]) -> str:
    return str(message["metadata"]["event_payload"]["code"])


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def outbox(store: SqlStore, kind: str | None = None) -> list[OutboxRow]:
    with Session(store.engine) as session:
        query = select(OutboxRow).order_by(col(OutboxRow.id))
        if kind is not None:
            query = query.where(OutboxRow.kind == kind)
        return list(session.exec(query).all())


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(channels={TECH: "helpdesk", SALES: "sales"}) as fake:
        yield fake


@pytest.fixture
def tg() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def sender_clock() -> Clock:
    """The sender's clock: ahead of the rows written now, moved on by hand for retries."""
    return Clock(datetime.now(UTC) + timedelta(minutes=10))


@pytest.fixture
def bot(desk: Desk, tg: FakeBotApi) -> Iterator[RunningBot]:
    with RunningBot(desk, tg) as running:
        yield running


@pytest.fixture
def staff(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock, bot: RunningBot
) -> Iterator[SlackSide]:
    side = SlackSide(desk, store, slack, sender_clock, bot)
    yield side
    side.close()


@pytest.fixture
def customer(tg: FakeBotApi) -> Customer:
    return Customer(tg)


@pytest.fixture
def ticket(staff: SlackSide, customer: Customer) -> str:
    """A ticket opened on Telegram, its alert posted in the helpdesk channel."""
    code = open_ticket_on_telegram(customer)
    assert staff.deliver() == 1
    return code


# -- 1. the alert -------------------------------------------------------------------------


def test_a_new_ticket_is_posted_once_to_its_team_with_the_whole_case(
    staff: SlackSide, slack: FakeSlack, customer: Customer, desk: Desk, store: SqlStore
) -> None:
    code = open_ticket_on_telegram(customer, photo=True)
    assert slack.calls_to("chat.postMessage") == []  # the sender posts, not the turn
    assert staff.deliver() == 1
    assert staff.deliver() == 0  # nothing is posted twice
    posted = slack.calls_to("chat.postMessage")
    assert len(posted) == 1 and posted[0].params["channel"] == TECH
    [message] = slack.messages(TECH)
    assert alert_code(message) == code
    alert = store.staff_alert(code)
    assert alert is not None and (alert.channel, alert.ts) == (TECH, message["ts"])
    text = shown(message)
    for fact in (
        code,
        "E-mail: receiving",  # category, in the staff language
        "normal",  # priority
        "open",  # status
        f"telegram:{CHAT}",  # customer
        "*Language*\nit",
        "mario@example.com",
        "Thunderbird 128",
        "550 5.1.1",  # the error text...
        "anna@rossi-srl.example \u2192 mario@example.com",  # ...the example...
        "photo-",  # ...and the screenshot
    ):
        assert fact in text, fact
    assert "Error message (verbatim)" in text  # labels in English, the staff language
    assert buttons(message) == ["take", "ask", "resolve"]
    assert slack.messages(SALES) == []

    sales = open_terminal_ticket(desk, "lucia", team="sales")
    assert staff.deliver() == 1
    [offer] = slack.messages(SALES)
    assert alert_code(offer) == sales and "An offer for 30 mailboxes" in shown(offer)
    assert len(slack.messages(TECH)) == 1


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


CLIENT = "Thunderbird *128* _beta_ ~old~ `x` <!channel>"


def test_customer_text_cannot_mention_or_link(
    staff: SlackSide, slack: FakeSlack, customer: Customer, store: SqlStore
) -> None:
    code = open_ticket_on_telegram(customer, error=NASTY, client=CLIENT)
    ticket = store.ticket(code)
    assert (ticket["error_text"], ticket["client_name"]) == (NASTY, CLIENT)  # kept verbatim
    assert staff.deliver() == 1
    [message] = slack.messages(TECH)
    objects = list(text_objects(message["blocks"]))
    assert all("<" not in o["text"] for o in objects), [o["text"] for o in objects]
    assert "<" not in message["text"]
    assert any(o["type"] == "plain_text" and escaped(NASTY) in o["text"] for o in objects)
    subject = escaped("Fattura <!here> *42*")
    assert any(o["type"] == "plain_text" and subject in o["text"] for o in objects)


def test_customer_text_cannot_format_the_alert(
    staff: SlackSide, slack: FakeSlack, customer: Customer
) -> None:
    """Whatever the customer typed (the client's name too) is plain text, never mrkdwn."""
    open_ticket_on_telegram(customer, error=NASTY, client=CLIENT)
    assert staff.deliver() == 1
    [message] = slack.messages(TECH)
    objects = list(text_objects(message["blocks"]))
    for typed in ("*bold*", "_it_", "~s~", "`code`", "*42*", "*128*", "_beta_", "~old~", "`x`"):
        formatted = [o["text"] for o in objects if o["type"] == "mrkdwn" and typed in o["text"]]
        assert formatted == [], f"customer text {typed!r} in mrkdwn: {formatted}"
    assert any(o["type"] == "plain_text" and escaped(CLIENT) in o["text"] for o in objects)


def test_alert_texts_use_the_staff_language(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock
) -> None:
    side = SlackSide(desk, store, slack, sender_clock, staff_language="it")
    try:
        code = open_terminal_ticket(desk, "mario")
        assert side.deliver() == 1
        [message] = slack.messages(TECH)
        fields = {
            o["text"].split("\n", 1)[0].strip("*"): o["text"].split("\n", 1)[1]
            for o in text_objects(message["blocks"])
            if o["type"] == "mrkdwn" and "\n" in o["text"]
        }
        assert fields["Categoria"] == "Posta: ricezione"
        assert "Messaggio di errore (testuale)" in shown(message)
        assert [b["text"]["text"] for b in message["blocks"][-1]["elements"]] == [
            "Prendi in carico",
            "Chiedi al cliente",
            "Risolvi",
        ]
        # the facts the bot writes are in the staff language too, not English or raw codes
        leftovers = {
            label: fields[label]
            for label in ("Problema in", "Webmail")
            if fields[label] in ("send", "receive", "fails too", "works")
        }
        assert leftovers == {}
        assert alert_code(message) == code
    finally:
        side.close()


# -- 2-4. the actions ---------------------------------------------------------------------


def test_take_assigns_the_ticket_and_tells_the_customer(
    staff: SlackSide, slack: FakeSlack, store: SqlStore, tg: FakeBotApi, ticket: str
) -> None:
    response = staff.click("take", ticket)
    assert response.status == 200
    assert store.ticket(ticket)["status"] == "in_progress"
    alert = store.staff_alert(ticket)
    assert alert is not None and alert.assignee == STAFF_USER_ID
    message = slack.message(TECH, alert.ts)
    assert buttons(message) == ["ask", "resolve"]  # Take is gone
    assert "taken by a technician" in shown(message)
    assert f"<@{STAFF_USER_ID}>" in shown(message)
    with pytest.raises(LookupError):  # nobody can click Take any more
        slack.block_actions_payload("take", channel_id=TECH, message_ts=alert.ts)
    before = tg.sent_count(CHAT)
    assert staff.deliver() == 1
    tg.wait_for_messages(CHAT, before + 1)
    told = "\n".join(tg.texts(CHAT)[before:])
    assert f"Buone notizie: un tecnico ha preso in carico il suo ticket {ticket}." in told
    assert staff.deliver() == 0 and tg.sent_count(CHAT) == before + 1


def test_ask_reaches_the_customer_and_the_answer_comes_back_in_the_thread(
    staff: SlackSide,
    slack: FakeSlack,
    store: SqlStore,
    tg: FakeBotApi,
    customer: Customer,
    ticket: str,
) -> None:
    assert staff.click("ask", ticket).status == 200
    [opened] = slack.calls_to("views.open", ok_only=True)
    view = opened.params["view"]
    assert view["callback_id"] == "ask" and view["private_metadata"] == ticket
    assert store.ticket(ticket)["status"] == "open"  # opening the modal changes nothing
    assert outbox(store, "customer_message") == []

    question = "Quale versione di Thunderbird usa? E su quale sistema?"
    assert staff.submit("ask", question).status == 200
    assert store.ticket(ticket)["status"] == "waiting"
    before = tg.sent_count(CHAT)
    assert staff.deliver() == 1
    tg.wait_for_messages(CHAT, before + 1)
    told = customer.texts_since(before)
    assert f"Il tecnico che segue il suo ticket {ticket} ha una domanda per lei:" in told
    assert question in told

    answer = "Thunderbird <b>128.3</b> su Windows 11 & *Outlook* <!channel>"
    thanks = customer.says(answer)
    assert f"Grazie: ho aggiunto la sua risposta al ticket {ticket}." in thanks["text"]
    replies = [n for n in store.ticket(ticket)["notes"] if n["kind"] == "customer_reply"]
    assert [r["text"] for r in replies] == [answer]

    assert staff.deliver() == 1  # the answer, in the alert's thread
    alert = store.staff_alert(ticket)
    assert alert is not None
    parent, reply = slack.thread(TECH, alert.ts)
    assert parent["ts"] == alert.ts
    assert f"The customer answered about {ticket}:" in reply["text"]
    objects = list(text_objects(reply["blocks"]))
    assert any(o["type"] == "plain_text" and escaped(answer) in o["text"] for o in objects)
    assert all("<" not in o["text"] for o in objects)
    assert len(slack.messages(TECH)) == 1  # in the thread, not in the channel


def test_resolve_closes_the_ticket_and_tells_the_customer(
    staff: SlackSide, slack: FakeSlack, store: SqlStore, tg: FakeBotApi, ticket: str
) -> None:
    assert staff.click("resolve", ticket).status == 200
    [opened] = slack.calls_to("views.open", ok_only=True)
    assert opened.params["view"]["callback_id"] == "resolve"
    note = "Abbiamo svuotato la casella piena: ora riceve di nuovo."
    assert staff.submit("resolve", note).status == 200
    assert store.ticket(ticket)["status"] == "resolved"
    statuses = [n for n in store.ticket(ticket)["notes"] if n["kind"] == "status"]
    assert [(n["status"], n["note"]) for n in statuses] == [("resolved", note)]
    alert = store.staff_alert(ticket)
    assert alert is not None
    message = slack.message(TECH, alert.ts)
    assert buttons(message) == []  # nothing left to do
    assert "resolved" in shown(message)
    before = tg.sent_count(CHAT)
    assert staff.deliver() == 1
    tg.wait_for_messages(CHAT, before + 1)
    told = "\n".join(tg.texts(CHAT)[before:])
    assert f"Il suo ticket {ticket} è stato risolto." in told
    assert f"Nota del tecnico: {note}" in told


# -- 5-7. retries, forgeries, internal talk -----------------------------------------------


def test_a_retried_request_acts_once(
    staff: SlackSide,
    slack: FakeSlack,
    store: SqlStore,
    tg: FakeBotApi,
    desk: Desk,
    sender_clock: Clock,
    ticket: str,
) -> None:
    alert = store.staff_alert(ticket)
    assert alert is not None
    take = slack.block_actions_payload("take", channel_id=TECH, message_ts=alert.ts)
    assert staff.send(take).status == 200
    assert staff.send(take, retry_num=1).status == 200  # Slack's retry: acked, not redone
    assert staff.send(take).status == 200  # the same action_ts again
    assert len(outbox(store, "customer_message")) == 1
    statuses = [n for n in store.ticket(ticket)["notes"] if n["kind"] == "status"]
    assert [n["status"] for n in statuses] == ["in_progress"]
    assert len(slack.calls_to("chat.update")) == 1
    restarted = SlackSide(desk, store, slack, sender_clock)  # the retry reaches a new process
    try:
        assert restarted.send(take, retry_num=2).status == 200
    finally:
        restarted.close()
    assert len(outbox(store, "customer_message")) == 1
    assert store.ticket(ticket)["status"] == "in_progress"

    assert staff.click("ask", ticket).status == 200
    submit = slack.view_submission_payload("ask", values={"text": {"text": "Da quando?"}})
    assert staff.send(submit).status == 200
    assert staff.send(submit, retry_num=1, retry_reason="http_error").status == 200
    assert staff.send(submit).status == 200
    assert len(outbox(store, "customer_message")) == 2
    statuses = [n for n in store.ticket(ticket)["notes"] if n["kind"] == "status"]
    assert [n["status"] for n in statuses] == ["in_progress", "waiting"]

    before = tg.sent_count(CHAT)
    assert staff.deliver() == 2
    assert tg.sent_count(CHAT) == before + 2
    assert "Da quando?" in "\n".join(tg.texts(CHAT)[before:])


@pytest.mark.parametrize("forgery", ["unsigned", "stale", "wrong_secret"])
def test_an_unsigned_or_stale_request_is_refused(
    staff: SlackSide, slack: FakeSlack, store: SqlStore, ticket: str, forgery: str
) -> None:
    alert = store.staff_alert(ticket)
    assert alert is not None
    body = slack.block_actions_payload("take", channel_id=TECH, message_ts=alert.ts)
    calls = len(slack.calls)
    if forgery == "unsigned":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif forgery == "stale":
        _, headers = signed_request(body, timestamp=int(time.time()) - 600)
    else:
        _, headers = signed_request(body, secret="0" * len(DEFAULT_SIGNING_SECRET))
    assert staff.request(body, headers).status == 401
    assert store.ticket(ticket)["status"] == "open"
    assert outbox(store, "customer_message") == []
    assert len(slack.calls) == calls  # nothing asked of Slack either
    assert buttons(slack.message(TECH, alert.ts)) == ["take", "ask", "resolve"]
    # the genuine request (same body) still works: the refused one was not remembered
    assert staff.send(body).status == 200
    assert store.ticket(ticket)["status"] == "in_progress"


def test_thread_messages_stay_with_the_staff(
    staff: SlackSide, slack: FakeSlack, store: SqlStore, tg: FakeBotApi, ticket: str
) -> None:
    alert = store.staff_alert(ticket)
    assert alert is not None
    notes = store.ticket(ticket)["notes"]
    rows = len(outbox(store))
    before = tg.sent_count(CHAT)
    for text in (
        "Looks like the mailbox is full, I'll check the quota",
        "@customer please answer",
    ):
        event = slack.user_posts(TECH, text, thread_ts=alert.ts)
        assert staff.send(event).status == 200
        assert staff.send(event, retry_num=1).status == 200
    top = slack.user_posts(TECH, f"Who takes {ticket}?")
    assert staff.send(top).status == 200
    assert staff.deliver() == 0
    assert tg.sent_count(CHAT) == before
    assert len(outbox(store)) == rows
    assert store.ticket(ticket)["notes"] == notes
    assert store.ticket(ticket)["status"] == "open"


# -- 8. nothing lost, nothing doubled -----------------------------------------------------


def _start_outage(slack: FakeSlack, kind: str) -> None:
    if kind == "http_500":
        slack.fail_for(600)
    else:
        slack.go_down()


def _end_outage(slack: FakeSlack, kind: str) -> None:
    if kind == "http_500":
        slack.fail_for(0)
    else:
        slack.come_back()


@pytest.mark.parametrize("restart", [False, True], ids=["same_process", "restarted"])
@pytest.mark.parametrize("outage", ["http_500", "connection_refused"])
def test_alerts_survive_a_slack_outage_exactly_once_and_in_order_of_opening(
    desk: Desk,
    store: SqlStore,
    slack: FakeSlack,
    sender_clock: Clock,
    outage: str,
    restart: bool,
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        first = open_terminal_ticket(desk, "early")
        slack.fail_next("chat.postMessage")  # one 500 before the outage proper
        assert side.deliver() == 0
        assert slack.messages(TECH) == []
        _start_outage(slack, outage)
        technical, sales = [first], []
        for n in range(3):
            sender_clock.advance(seconds=BACKOFF)
            technical.append(open_terminal_ticket(desk, f"tech-{n}"))
            sales.append(open_terminal_ticket(desk, f"sales-{n}", team="sales"))
            assert side.deliver() == 0  # Slack is away: nothing goes, nothing is lost
        calls = len(slack.calls)
        assert side.deliver() == 0
        assert len(slack.calls) == calls  # waiting for the back-off: Slack is left alone
        assert store.undelivered() == 7
        if restart:  # a new process on the same database
            side.close()
            side = SlackSide(desk, store, slack, sender_clock)
        late = open_terminal_ticket(desk, "late")
        _end_outage(slack, outage)
        assert side.deliver() == 1  # the late one is due at once: the others wait their turn
        sender_clock.advance(seconds=BACKOFF)
        assert side.deliver() == 7
        assert side.deliver() == 0
        assert store.undelivered() == 0
        # then the waiting ones, each team's in the order its tickets were opened
        assert [alert_code(m) for m in slack.messages(TECH)] == [late, *technical]
        assert [alert_code(m) for m in slack.messages(SALES)] == sales
        technical.append(late)
        for code in technical + sales:
            alert = store.staff_alert(code)
            assert alert is not None and alert.channel in (TECH, SALES)
    finally:
        side.close()


@pytest.mark.parametrize("restart", [False, True], ids=["same_process", "restarted"])
def test_a_lost_answer_does_not_post_twice(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock, restart: bool
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        codes = [open_terminal_ticket(desk, f"c{n}") for n in range(3)]
        slack.drop_response_next("chat.postMessage")  # posted, but the answer is lost
        assert side.deliver() == 2  # the next ones go meanwhile
        assert [alert_code(m) for m in slack.messages(TECH)] == codes
        if restart:
            side.close()
            side = SlackSide(desk, store, slack, sender_clock)
        sender_clock.advance(seconds=BACKOFF)
        assert side.deliver() == 1  # found in the channel: not posted again
        assert [alert_code(m) for m in slack.messages(TECH)] == codes
        assert len(slack.calls_to("chat.postMessage")) == 3
        alert = store.staff_alert(codes[0])
        assert alert is not None and alert.ts == slack.messages(TECH)[0]["ts"]
    finally:
        side.close()


class Killed(BaseException):
    """The process dies here: nothing after this line runs (as with kill -9)."""


def test_a_kill_after_slack_posted_and_before_it_was_recorded_does_not_post_twice(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        code = open_terminal_ticket(desk, "c0")
        post = side.alerts.client.chat_postMessage

        def posts_then_dies(**params: Any) -> Any:
            post(**params)
            raise Killed  # between Slack's OK and the row written down

        side.alerts.client.chat_postMessage = posts_then_dies  # type: ignore[method-assign]
        side.sender.settle = {"staff_alert": 30.0}  # as serve has it
        with pytest.raises(Killed):
            side.deliver()
        assert [alert_code(m) for m in slack.messages(TECH)] == [code]
        side.close()
        side = SlackSide(desk, store, slack, sender_clock)  # serve started again
        assert side.deliver() == 0  # a post still under way when it died may yet land: wait
        sender_clock.advance(seconds=30)
        assert side.deliver() == 1  # found in the channel: not posted again
        assert [alert_code(m) for m in slack.messages(TECH)] == [code]
        alert = store.staff_alert(code)
        assert alert is not None and alert.ts == slack.messages(TECH)[0]["ts"]
    finally:
        side.close()


def test_thread_messages_wait_for_their_alert_and_keep_their_order(
    staff: SlackSide,
    slack: FakeSlack,
    store: SqlStore,
    customer: Customer,
    desk: Desk,
    sender_clock: Clock,
) -> None:
    """The customer answers while Slack is down: the alert, then the answer, once each."""
    slack.go_down()
    code = open_ticket_on_telegram(customer)
    assert staff.deliver() == 0
    change = desk.set_status(code, "waiting", "Da quando succede?")
    assert change is not None and change.queued
    assert staff.deliver() == 1  # the customer is told (Telegram is up)
    customer.says("Da ieri mattina")
    sender_clock.advance(seconds=BACKOFF)
    assert staff.deliver() == 0
    slack.come_back()
    sender_clock.advance(seconds=BACKOFF)
    assert staff.deliver() == 2
    alert = store.staff_alert(code)
    assert alert is not None
    parent, reply = slack.thread(TECH, alert.ts)
    assert alert_code(parent) == code
    assert "Da ieri mattina" in shown(reply)
    assert len(slack.calls_to("chat.postMessage", ok_only=True)) == 2


def test_a_lost_answer_on_a_thread_post_does_not_post_it_twice(
    staff: SlackSide,
    slack: FakeSlack,
    store: SqlStore,
    customer: Customer,
    desk: Desk,
    sender_clock: Clock,
) -> None:
    code = open_ticket_on_telegram(customer)
    assert staff.deliver() == 1  # the alert
    change = desk.set_status(code, "waiting", "Da quando succede?")
    assert change is not None
    assert staff.deliver() == 1  # the question reaches the customer
    customer.says("Da ieri mattina")
    slack.drop_response_next("chat.postMessage")  # the answer is posted, its reply lost
    assert staff.deliver() == 0
    sender_clock.advance(seconds=BACKOFF)
    assert staff.deliver() == 1  # found in the thread: marked delivered, not posted again
    alert = store.staff_alert(code)
    assert alert is not None
    _, *replies = slack.thread(TECH, alert.ts)
    assert len(replies) == 1 and "Da ieri mattina" in shown(replies[0])
    assert store.undelivered() == 0


# -- the sender's lanes, time-outs and dead letters ------------------------------------------


def _run_sender_until(
    side: SlackSide, done: Callable[[], bool], timeout: float = 20.0, **options: Any
) -> float:
    """Run the sender as `serve` does (its `run` loop) until `done()`; return the seconds."""
    sender = Sender(
        side.store, side.sender.transports, clock=side.sender.clock, group_limit=1, **options
    )

    async def go() -> float:
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop, interval=0.05))
        started = time.monotonic()
        try:
            while not done():
                assert time.monotonic() - started < timeout, "not done in time"
                await asyncio.sleep(0.02)
            return time.monotonic() - started
        finally:
            stop.set()
            await running

    if side.bot is not None:
        return float(side.bot.run(go()))
    return asyncio.run(go())


def test_a_hanging_slack_call_does_not_delay_the_customers_news(
    staff: SlackSide, slack: FakeSlack, customer: Customer, desk: Desk, tg: FakeBotApi
) -> None:
    code = open_ticket_on_telegram(customer)  # its alert waits in the outbox
    slack.delay_next("chat.postMessage", 4.0)  # and Slack hangs on it
    assert desk.set_status(code, "in_progress") is not None  # the customer's news, queued after
    before = tg.sent_count(CHAT)
    news = _run_sender_until(staff, lambda: tg.sent_count(CHAT) > before)
    assert news < 2.0  # not 4 s behind the Slack call
    _run_sender_until(staff, lambda: staff.store.undelivered() == 0)
    assert [alert_code(m) for m in slack.messages(TECH)] == [code]


def test_one_teams_hanging_slack_channel_does_not_delay_the_other_team(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        technical = open_terminal_ticket(desk, "tech")
        slack.delay_next("chat.postMessage", 4.0)  # the first post: the technical alert
        opened: list[str] = []

        def sales_later() -> None:  # once the technical post hangs, a sales ticket comes
            time.sleep(0.5)
            opened.append(open_terminal_ticket(desk, "sales", team="sales"))

        later = threading.Thread(target=sales_later)
        later.start()
        took = _run_sender_until(side, lambda: len(slack.messages(SALES)) == 1)
        later.join()
        sales = opened[0]
        assert took < 2.5  # 0.5 s, then its own post: not 4 s behind the hanging one
        _run_sender_until(side, lambda: store.undelivered() == 0)
        assert [alert_code(m) for m in slack.messages(TECH)] == [technical]
        assert [alert_code(m) for m in slack.messages(SALES)] == [sales]
    finally:
        side.close()


def test_a_slack_call_that_never_answers_times_out_and_is_retried_once_posted(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        code = open_terminal_ticket(desk, "slow")
        slack.delay_next("chat.postMessage", 3.0)  # longer than the sender waits
        sender = Sender(
            store, side.sender.transports, clock=sender_clock, timeout=1.0, group_limit=1
        )
        started = time.monotonic()
        assert asyncio.run(sender.run_once()) == 0
        assert time.monotonic() - started < 2.5
        [row] = outbox(store, "staff_alert")
        assert row.attempts == 1 and row.maybe_sent and "no answer" in (row.last_error or "")
        slack.wait_until(lambda: len(slack.messages(TECH)) == 1, 5)  # Slack did post it late
        sender_clock.advance(seconds=60)
        assert asyncio.run(sender.run_once()) == 1  # found in the history: not posted again
        assert [alert_code(m) for m in slack.messages(TECH)] == [code]
    finally:
        side.close()


def test_an_alert_waiting_to_be_retried_does_not_hold_back_the_team_s_next_tickets(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock
) -> None:
    # A Slack 500 on the first alert: it waits for its retry (and for Slack to settle, as
    # the post may have landed), but the team's next tickets are posted meanwhile, in the
    # order they were opened; the soak benchmark had customers wait minutes behind one.
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        first = open_terminal_ticket(desk, "first")
        slack.fail_next("chat.postMessage")
        assert side.deliver() == 0
        later = [open_terminal_ticket(desk, f"later-{n}") for n in range(3)]
        assert side.deliver() == 3
        assert [alert_code(m) for m in slack.messages(TECH)] == later
        sender_clock.advance(seconds=60)
        assert side.deliver() == 1
        assert [alert_code(m) for m in slack.messages(TECH)] == [*later, first]
        assert len(slack.calls_to("chat.postMessage")) == 5
    finally:
        side.close()


def test_an_alert_that_keeps_failing_is_set_aside_and_the_later_ones_go(
    desk: Desk,
    store: SqlStore,
    slack: FakeSlack,
    sender_clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        first = open_terminal_ticket(desk, "first")
        sender = Sender(
            store,
            side.sender.transports,
            clock=sender_clock,
            backoff=(1.0,),
            max_attempts=3,
            group_limit=1,
        )
        slack.fail_next("chat.postMessage", 200, error="invalid_blocks")
        assert asyncio.run(sender.run_once()) == 0
        later = open_terminal_ticket(desk, "later")
        assert asyncio.run(sender.run_once()) == 1  # not held back by the first's retries
        for _ in range(2):  # Slack refuses the first alert each time
            sender_clock.advance(seconds=2)
            slack.fail_next("chat.postMessage", 200, error="invalid_blocks")
            assert asyncio.run(sender.run_once()) == 0
        assert [alert_code(m) for m in slack.messages(TECH)] == [later]
        [dead] = [r for r in outbox(store, "staff_alert") if r.dead_at is not None]
        assert dead.payload["code"] == first and dead.attempts == 3
        assert not dead.maybe_sent  # Slack answered each time: nothing can have been posted
        assert store.undelivered() == 0
        # the operator sees it, and puts it back once Slack is fixed
        monkeypatch.setenv("DATABASE_URL", store.url)
        from bot import cli

        assert cli.main(["outbox"]) == 0
        listed = capsys.readouterr().out
        assert f"{dead.id}" in listed and "dead" in listed and "invalid_blocks" in listed
        assert cli.main(["outbox", "--json"]) == 0
        import json

        rows = json.loads(capsys.readouterr().out)
        assert [(r["id"], r["state"], r["about"]) for r in rows] == [(dead.id, "dead", first)]
        assert cli.main(["outbox", "retry", str(dead.id)]) == 0
        capsys.readouterr()
        assert asyncio.run(sender.run_once()) == 1
        assert [alert_code(m) for m in slack.messages(TECH)] == [later, first]
        assert cli.main(["outbox", "retry", str(dead.id)]) == 1
        assert "already delivered" in capsys.readouterr().err
        assert cli.main(["outbox", "retry", "999999"]) == 1
    finally:
        side.close()


def test_an_app_without_the_history_scope_keeps_posting_its_alerts(
    desk: Desk,
    store: SqlStore,
    slack: FakeSlack,
    sender_clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        codes = [open_terminal_ticket(desk, f"c{n}") for n in range(3)]
        slack.drop_response_next("chat.postMessage")  # posted, the answer lost
        slack.fail_next("conversations.history", 200, error="missing_scope", count=1000)
        slack.fail_next("conversations.replies", 200, error="missing_scope", count=1000)
        assert side.deliver() == 2
        sender_clock.advance(seconds=BACKOFF)
        with caplog.at_level("WARNING"):
            assert side.deliver() == 1  # not stuck behind a lookup Slack will never allow
        assert "slack/manifest.json" in caplog.text
        assert store.undelivered() == 0
        # without the history the lost one cannot be looked up: it is posted again, last
        posted = [alert_code(m) for m in slack.messages(TECH)]
        assert posted == [codes[0], codes[1], codes[2], codes[0]]
    finally:
        side.close()


def test_a_lost_answer_is_found_beyond_the_first_page_of_history(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        code = open_terminal_ticket(desk, "busy")
        slack.drop_response_next("chat.postMessage")
        assert side.deliver() == 0
        for n in range(250):  # a busy channel: staff talk after the alert
            side.client.chat_postMessage(channel=TECH, text=f"chatter {n}")
        sender_clock.advance(seconds=BACKOFF)
        assert side.deliver() == 1
        assert [alert_code(m) for m in slack.messages(TECH) if m.get("metadata")] == [code]
    finally:
        side.close()


def test_a_refusal_does_not_make_the_retry_look_in_the_history(
    desk: Desk, store: SqlStore, slack: FakeSlack, sender_clock: Clock
) -> None:
    side = SlackSide(desk, store, slack, sender_clock)
    try:
        open_terminal_ticket(desk, "limited")
        slack.rate_limit_next("chat.postMessage")
        assert side.deliver() == 0
        sender_clock.advance(seconds=BACKOFF)
        assert side.deliver() == 1
        assert slack.calls_to("conversations.history") == []  # 429: nothing was posted
    finally:
        side.close()


# -- the app's manifest ---------------------------------------------------------------------

# The bot scopes each Web API method the app calls needs (api.slack.com/methods).
METHOD_SCOPES: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_history": {"channels:history", "groups:history"},
    "conversations_replies": {"channels:history", "groups:history"},
    "views_open": set(),
}


def test_the_manifest_asks_for_exactly_the_scopes_the_app_uses() -> None:
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    manifest = json.loads((root / "slack" / "manifest.json").read_text(encoding="utf-8"))
    source = "\n".join(p.read_text(encoding="utf-8") for p in (root / "bot").glob("*.py"))
    used = {m for m in re.findall(r"\bclient\.([a-z]+_[a-zA-Z_]+)\b", source)}
    unknown = used - set(METHOD_SCOPES)
    assert not unknown, f"say which scopes these need, in METHOD_SCOPES: {unknown}"
    needed = set().union(*(METHOD_SCOPES[m] for m in used))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert "event_subscriptions" not in manifest["settings"]  # the app listens to no events
