"""The real python-telegram-bot Application against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import html
import itertools
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import telegram
from bot.dnscheck import DnsChecker
from bot.dnsport import BlockingDns
from bot.langid import LanguageIdentifier
from bot.service import Desk
from flows.policy import Policy
from storage.store import SqlStore
from tests.support.chat import Clock
from tests.support.dnsserver import DnsServer
from tests.support.fakebotapi import FakeBotApi
from tests.support.running_bot import RunningBot

CHAT = 4242
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def tdesk(store: SqlStore, policy: Policy, clock: Clock, identify: LanguageIdentifier) -> Desk:
    return Desk(store, policy, clock=clock, identify=identify)


def last(server: FakeBotApi) -> dict[str, Any]:
    return server.messages(CHAT)[-1]


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row
    ]


class Customer:
    """Types and presses as a Telegram user does, waiting for each answer."""

    def __init__(self, server: FakeBotApi, language: str = "en") -> None:
        self.server, self.language = server, language

    def _wait_after(self, before: int, count: int = 1) -> dict[str, Any]:
        self.server.wait_for_messages(CHAT, before + count, timeout=10)
        return last(self.server)

    def says(self, text: str) -> dict[str, Any]:
        before = self.server.sent_count(CHAT)
        self.server.user_sends_text(CHAT, text, language_code=self.language)
        return self._wait_after(before)

    def presses(self, choice: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        message = message or last(self.server)
        data = next(d for _, d in buttons(message) if d.split(":", 1)[1] == choice)
        before = self.server.sent_count(CHAT)
        self.server.user_presses(CHAT, message["message_id"], data, language_code=self.language)
        return self._wait_after(before)


def reach_summary(c: Customer) -> None:
    c.presses("email")
    c.says("mario@example.com")
    c.presses("receive")
    c.says("it doesn't work in webmail either")
    c.presses("no")
    c.presses("both")
    c.says("Thunderbird 128")
    c.says("550 5.1.1 <mario@example.com>: user unknown")
    c.says("anna@rossi-srl.example")
    c.says("Invoice <b>42</b> & more")
    c.says("yesterday 15:30")
    c.presses("no")


def test_a_whole_conversation_with_buttons_and_text_reaches_a_ticket(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        first = c.says("/start")
        assert "What can I help you with?" in first["text"]
        assert [d.split(":")[1] for _, d in buttons(first)][:2] == ["email", "mailbox_admin"]
        menu = first
        asked = c.presses("email")
        assert "Which mailbox has the problem?" in asked["text"]
        marked = next(m for m in server.messages(CHAT) if m["message_id"] == menu["message_id"])
        assert "\u2714\ufe0f A problem sending or receiving e-mail" in marked["text"]
        assert not buttons(marked)  # the pressed keyboard is closed
        assert server.answered_callbacks  # the spinner stops
        c.says("mario@example.com")
        c.presses("receive")
        c.says("it doesn't work in webmail either")
        c.presses("no")
        c.presses("both")
        c.says("Thunderbird 128")
        c.says("550 5.1.1 <mario@example.com>: user unknown")
        c.says("anna@rossi-srl.example")
        c.says("Invoice <b>42</b> & more")  # customer text shown back escaped, not as markup
        c.says("yesterday 15:30")
        summary = c.presses("no")
        assert "Invoice <b>42</b> & more" in summary["text"]
        done = c.presses("yes")
    code = next(word.rstrip(":.,") for word in done["text"].split() if word.startswith("SPT-"))
    ticket = store.ticket(code)
    assert ticket is not None
    assert ticket["channel"] == "telegram" and ticket["user"] == str(CHAT)
    assert ticket["examples"][0]["subject"] == "Invoice <b>42</b> & more"
    assert ticket["error_text"] == "550 5.1.1 <mario@example.com>: user unknown"


def test_lang_in_the_middle_keeps_everything(server: FakeBotApi, tdesk: Desk) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        c.says("/start")
        c.presses("email")
        c.says("mario@example.com")
        asked = c.says("/lang es")
        assert "¿" in asked["text"] or "recibir" in asked["text"]
        assert [d.split(":")[1] for _, d in buttons(asked)] == ["send", "receive", "both"]
        webmail = c.presses("receive")
        assert "Intente hacer lo mismo en el webmail" in webmail["text"]


def test_the_bot_restarted_in_the_middle_continues(
    server: FakeBotApi, store: SqlStore, policy: Policy, clock: Clock, identify: LanguageIdentifier
) -> None:
    c = Customer(server)
    with RunningBot(Desk(store, policy, clock=clock, identify=identify), server):
        c.says("/start")
        c.presses("email")
        c.says("mario@example.com")
    with RunningBot(Desk(store, policy, clock=clock, identify=identify), server):
        again = c.says("/start")
        assert "Welcome back" in again["text"]
        assert "sending or in receiving" in again["text"]
        webmail = c.presses("receive", again)
        assert "webmail" in webmail["text"]


def test_a_redelivered_update_changes_nothing(server: FakeBotApi, tdesk: Desk) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        c.says("/start")
        before = server.sent_count(CHAT)
        update_id = server.user_sends_text(CHAT, "/help", language_code="en")
        server.wait_for_messages(CHAT, before + 1)
        sent = server.sent_count(CHAT)
        server.redeliver(update_id)
        server.wait_until(lambda: not server.pending_updates, 5)
        after_redelivery = c.says("/status")  # a later update is answered normally
        assert "no tickets" in after_redelivery["text"]
        assert server.sent_count(CHAT) == sent + 1  # nothing for the redelivered one


def test_a_stale_or_forged_button_changes_nothing(server: FakeBotApi, tdesk: Desk) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        menu = c.says("/start")
        c.presses("email")
        c.says("mario@example.com")
        direction = last(server)
        c.presses("receive")
        # the old menu's keyboard was closed; a forged press on the direction message:
        before = server.sent_count(CHAT)
        server.user_presses(CHAT, direction["message_id"], "r1:send", language_code="en")
        answer = c._wait_after(before)
        assert "That question is closed" in answer["text"]
        assert "webmail" in answer["text"]  # the current question again
        before = server.sent_count(CHAT)
        server.user_presses(CHAT, direction["message_id"], "garbage", language_code="en")
        assert "That question is closed" in c._wait_after(before)["text"]
        assert menu["message_id"] != direction["message_id"]


def test_a_photo_is_attached_to_the_ticket(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        c.says("/start")
        c.presses("email")
        c.says("mario@example.com")
        before = server.sent_count(CHAT)
        server.user_sends_photo(CHAT, PNG, language_code="en")
        answer = c._wait_after(before)
        assert "I attached photo-" in answer["text"]
        big = b"\x00" * (2 * 1024 * 1024)
        before = server.sent_count(CHAT)
        server.user_sends_document(CHAT, big, "log.txt", "text/plain", language_code="en")
        assert "too big" in c._wait_after(before)["text"]
        c.presses("receive")
        c.says("it doesn't work in webmail either")
        c.presses("no")
        c.presses("webmail")
        c.presses("none")
        c.says("anna@rossi-srl.example")
        c.says("Invoice")
        c.says("yesterday 15:30")
        c.presses("no")
        done = c.presses("yes")
    code = next(word.rstrip(":.,") for word in done["text"].split() if word.startswith("SPT-"))
    attachments = store.ticket(code)["attachments"]
    assert len(attachments) == 1 and attachments[0]["size"] == len(PNG)


def test_a_failed_download_is_logged_without_the_file_name(
    server: FakeBotApi, tdesk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server), caplog.at_level(logging.INFO):
        c.says("/start")
        c.presses("email")
        server.fail_next("getFile", 500)
        before = server.sent_count(CHAT)
        server.user_sends_document(
            CHAT, PNG, "Fattura ZEBRA-7788 Mario Rossi.png", "image/png", language_code="en"
        )
        c._wait_after(before)
    logged = [(r, logging.Formatter().format(r)) for r in caplog.records]
    assert any("could not download" in text for _, text in logged)
    assert not [text for r, text in logged if r.levelno >= logging.INFO and "ZEBRA" in text]


def test_a_status_notification_reaches_the_chat(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        c.says("/start")
        reach_summary(c)
        done = c.presses("yes")
        code = next(w.rstrip(":.,") for w in done["text"].split() if w.startswith("SPT-"))
        before = server.sent_count(CHAT)
        change = tdesk.set_status(code, "waiting", "Is it only one sender?")
        assert change is not None and change.queued
        channel = telegram.TelegramChannel(tdesk, telegram.Settings(server.token, server.base_url))
        assert asyncio.run(telegram.deliver_now(channel, store)) == 1
        server.wait_for_messages(CHAT, before + 1)
        assert "Is it only one sender?" in "\n".join(server.texts(CHAT)[before:])
        thanks = c.says("Yes, only anna@rossi-srl.example")
        assert f"I added your answer to ticket {code}" in thanks["text"]
    notes = store.ticket(code)["notes"]
    assert any(n["kind"] == "customer_reply" for n in notes)


def test_commands_are_registered_in_three_languages(server: FakeBotApi, tdesk: Desk) -> None:
    with RunningBot(tdesk, server):
        server.wait_until(lambda: len(server.commands) >= 3, 5)
    described = {lang: [c["command"] for c in cmds] for lang, cmds in server.commands.items()}
    assert all(
        names == ["start", "help", "lang", "cancel", "status"] for names in described.values()
    )
    assert set(server.commands) >= {"it", "es"}


def test_typing_is_shown_while_the_dns_check_runs(
    server: FakeBotApi, store: SqlStore, policy: Policy, clock: Clock, identify: LanguageIdentifier
) -> None:
    hosting = policy.model_copy(
        update={
            "provider": policy.provider.model_copy(update={"hosted_domains": ("good.example",)})
        }
    )
    with DnsServer(delay=0.05) as dns_server:
        checker = DnsChecker(hosting.dns, f"127.0.0.1:{dns_server.port}")
        desk = Desk(store, hosting, clock=clock, identify=identify, dns=BlockingDns(checker))
        c = Customer(server)
        with RunningBot(desk, server):
            c.says("/start")
            c.presses("email")
            answer = c.says("mario@good.example")
    assert "I checked the mail settings of good.example" in "\n".join(server.texts(CHAT))
    assert (CHAT, "typing") in server.chat_actions
    assert "sending or in receiving" in answer["text"]


def test_long_replies_are_split_under_the_limit(server: FakeBotApi, tdesk: Desk) -> None:
    c = Customer(server)
    error = ("550 5.7.1 message rejected by policy " * 200)[:7900]
    with RunningBot(tdesk, server):
        c.says("/start")
        c.presses("email")
        c.says("mario@example.com")
        c.presses("receive")
        c.says("it doesn't work in webmail either")
        c.presses("no")
        c.presses("webmail")
        c.says(error)
        c.says("anna@rossi-srl.example")
        c.says("Invoice")
        c.says("yesterday 15:30")
        before = server.sent_count(CHAT)
        server.user_presses(
            CHAT, last(server)["message_id"], buttons(last(server))[1][1], language_code="en"
        )
        server.wait_until(lambda: "Is everything right?" in (server.texts(CHAT) or [""])[-1], 10)
    parts = server.texts(CHAT)[before:]
    assert len(parts) >= 3  # the summary did not fit in one message
    assert all(len(p) <= 4096 for p in server.texts(CHAT))
    assert error.strip() in "\n".join(parts).replace("\n", " ")


def test_a_blocked_chat_breaks_nothing_and_429_is_retried(server: FakeBotApi, tdesk: Desk) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        c.says("/start")
        server.block(CHAT)
        server.user_sends_text(CHAT, "/help", language_code="en")
        server.wait_until(
            lambda: any(c.method == "sendMessage" and c.status == 403 for c in server.calls), 5
        )
        server.unblock(CHAT)
        server.fail_next("sendMessage", 429, retry_after=1)
        answer = c.says("/status")
        assert "no tickets" in answer["text"]


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_serve_explains_a_missing_or_rejected_token(server: FakeBotApi, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SPORTELLO_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}", HOME=str(tmp_path))
    missing = _serve(env)
    assert missing.returncode == 2 and "TELEGRAM_TOKEN is not set" in missing.stderr
    env.update(
        TELEGRAM_TOKEN="123456:wrong-token-wrong-token-wrong-tok", TELEGRAM_API_URL=server.base_url
    )
    rejected = _serve(env)
    assert rejected.returncode == 2 and "rejected TELEGRAM_TOKEN" in rejected.stderr
    assert "Traceback" not in rejected.stderr


def test_messages_of_one_chat_are_handled_in_order(server: FakeBotApi, tdesk: Desk) -> None:
    with RunningBot(tdesk, server):
        server.user_sends_text(CHAT, "/start", language_code="en")
        for text in ("email", "mario@example.com", "receiving", "it fails in webmail too"):
            server.user_sends_text(CHAT, text, language_code="en")  # without waiting
        server.wait_for_messages(CHAT, 5, timeout=10)
    texts = server.texts(CHAT)
    assert "Which mailbox has the problem?" in texts[1]
    assert "sending or in receiving" in texts[2]
    assert "webmail" in texts[3]
    assert "only with certain addresses" in texts[4]


def test_messages_to_one_chat_are_paced(server: FakeBotApi, tdesk: Desk) -> None:
    with RunningBot(tdesk, server, chat_interval=0.3):
        for text in ("/start", "/help", "/status"):
            server.user_sends_text(CHAT, text, language_code="en")
        server.wait_for_messages(CHAT, 3, timeout=10)
    sent = [c.time for c in server.calls if c.method == "sendMessage"]
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(sent))


def _start_serve(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )


def _serve_env(server: FakeBotApi, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SPORTELLO_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        HOME=str(tmp_path),
        TELEGRAM_TOKEN=server.token,
        TELEGRAM_API_URL=server.base_url,
        SPORTELLO_DNS_CHECKS="off",
    )
    return env


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_sportello_serve_answers_customers(server: FakeBotApi, tmp_path: Path, mode: str) -> None:
    args: list[str] = ["--poll-interval", "0.05"]
    if mode == "webhook":
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        args = [
            "--webhook-url",
            f"http://127.0.0.1:{port}/telegram-hook",
            "--listen",
            "127.0.0.1",
            "--port",
            str(port),
            "--secret-token",
            "s3cret-Token_1",
        ]
    process = _start_serve(_serve_env(server, tmp_path), *args)
    try:
        if mode == "webhook":
            server.wait_until(lambda: server.webhook is not None, 20)
            assert server.webhook is not None
            assert server.webhook["url"].endswith("/telegram-hook")
        else:
            server.wait_until(lambda: "getUpdates" in server.requests, 20)
        server.user_sends_text(CHAT, "/start", language_code="es")
        server.wait_for_messages(CHAT, 1, timeout=20)
        assert "¿En qué puedo ayudarle?" in server.texts(CHAT)[0]
    finally:
        process.terminate()
        process.wait(20)


def _deliver_all(
    tdesk: Desk,
    server: FakeBotApi,
    store: SqlStore,
    passes: int = 4,
    backoff: float = 1.0,
    max_attempts: int = 3,
) -> int:
    """Run the sender `passes` times, its clock moved past the back-off after each."""
    from datetime import UTC, datetime, timedelta

    from bot.outbox import Sender

    now = [datetime.now(UTC)]
    channel = telegram.TelegramChannel(
        tdesk, telegram.Settings(server.token, server.base_url, chat_interval=0.0)
    )

    async def deliver() -> int:
        async with channel.app.bot:
            sender = Sender(
                store,
                {"customer_message": telegram.customer_transport(channel)},
                clock=lambda: now[0],
                backoff=(backoff,),
                max_attempts=max_attempts,
            )
            total = 0
            for _ in range(passes):
                total += await sender.run_once()
                now[0] += timedelta(seconds=backoff + 1)
            return total

    server.user_sends_text(CHAT, "hi")  # the chat exists: the customer wrote to the bot once
    return asyncio.run(deliver())


def test_customer_news_waits_out_a_telegram_outage(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        c.says("/start")
        reach_summary(c)
        done = c.presses("yes")
    code = next(w.rstrip(":.,") for w in done["text"].split() if w.startswith("SPT-"))
    before = server.sent_count(CHAT)
    for status in ("in_progress", "resolved"):
        assert tdesk.set_status(code, status, "done" if status == "resolved" else "")
    server.fail_next("sendMessage", 500, count=3)
    # Telegram answers 500 three times, then recovers
    assert _deliver_all(tdesk, server, store, passes=6, backoff=5.0, max_attempts=15) == 2
    news = server.texts(CHAT)[before:]
    assert len(news) == 2  # each once
    assert "has taken your ticket" in news[0] and "has been resolved" in news[1]  # in order
    assert store.undelivered() == 1  # only the staff alert (no Slack here) is left


def test_a_reply_lost_to_a_telegram_error_is_sent_later(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    c = Customer(server)
    with RunningBot(tdesk, server):
        c.says("/start")
        before = server.sent_count(CHAT)
        server.fail_next("sendMessage", 500)
        server.user_sends_text(CHAT, "/status", language_code="en")
        server.wait_until(
            lambda: any(x.method == "sendMessage" and x.status == 500 for x in server.calls), 5
        )
        server.wait_until(lambda: store.undelivered() == 1, 5)
        assert server.sent_count(CHAT) == before
    channel = telegram.TelegramChannel(
        tdesk, telegram.Settings(server.token, server.base_url, chat_interval=0.0)
    )
    assert asyncio.run(telegram.deliver_now(channel, store)) == 1
    assert "You have no tickets with us yet." in server.texts(CHAT)[-1]


def _queue_news(store: SqlStore, text: str, key: str) -> None:
    with store.transaction() as tx:
        tx.enqueue(
            "customer_message",
            key,
            f"telegram:{CHAT}",
            {"channel": "telegram", "chat": str(CHAT), "text": text},
        )


def test_a_long_message_is_never_cut_inside_an_html_entity(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    text = "R&D <team> " + "&" * 1500 + " fine"  # escaped, 7,500 characters without a space
    for part in telegram.split_escaped(text):
        assert len(part) <= telegram.LIMIT
        assert html.unescape(part) == html.unescape(part.replace("&amp;", "&"))  # whole ones
        assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", part), part[-10:]
    _queue_news(store, text, "long")
    assert _deliver_all(tdesk, server, store) == 1
    assert "".join(server.texts(CHAT)).replace(" ", "") == text.replace(" ", "")


def test_a_message_telegram_refuses_goes_again_as_plain_text(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    server.fail_next("sendMessage", 400, description="Bad Request: can't parse entities")
    _queue_news(store, "Ticket <b>SPT-1</b> & co", "refused")
    assert _deliver_all(tdesk, server, store) == 1
    assert server.texts(CHAT) == ["Ticket <b>SPT-1</b> & co"]  # as plain text, shown as written


def test_a_message_refused_twice_is_set_aside_and_the_next_one_goes(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    server.fail_next("sendMessage", 400, description="Bad Request: message is too weird", count=2)
    _queue_news(store, "the first", "first")
    _queue_news(store, "the second", "second")
    assert _deliver_all(tdesk, server, store) == 1
    assert server.texts(CHAT) == ["the second"]
    [dead] = [r for r in store.outbox() if r["state"] == "dead"]
    assert "refused by Telegram" in dead["last_error"]
    assert len([c for c in server.calls if c.method == "sendMessage"]) == 3  # not for ever


def test_in_a_group_the_bot_asks_for_a_private_chat_and_keeps_nothing(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    group = -100123
    with RunningBot(tdesk, server):
        for member, lang, text in ((501, "it", "/start"), (502, "es", "no me llega el correo")):
            before = server.sent_count(group)
            server.member_sends_text(group, member, text, language_code=lang)
            server.wait_for_messages(group, before + 1, timeout=10)
        texts = server.texts(group)
    assert "chat privata" in texts[0] and "@" in texts[0]
    assert "chat privado" in texts[1]
    with store.transaction() as tx:  # no conversation of the group, nor of its members
        for key in (str(group), "501", "502"):
            assert tx.load_conversation("telegram", key) is None


def test_an_update_fetched_just_before_a_crash_is_handled_after_the_restart(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    """Telegram forgets an update once the next fetch confirms it: it is kept first."""
    server.user_sends_text(CHAT, "/start", language_code="en")
    channel = telegram.TelegramChannel(
        tdesk, telegram.Settings(server.token, server.base_url, chat_interval=0.0)
    )

    async def fetch_keep_confirm_and_die() -> None:
        async with channel.app.bot as bot:
            [update] = await bot.get_updates(timeout=1)
            store.inbox_add("telegram", [(update.update_id, update.to_dict())])
            assert not await bot.get_updates(offset=update.update_id + 1, timeout=0)

    asyncio.run(fetch_keep_confirm_and_die())
    assert server.pending_updates == []  # Telegram will not give it again
    with RunningBot(tdesk, server):  # the restarted process
        server.wait_for_messages(CHAT, 1, timeout=10)
    assert "What can I help you with?" in server.texts(CHAT)[0]
    assert store.inbox_pending("telegram") == []


def test_an_answer_kept_with_its_turn_is_sent_after_a_crash_with_its_buttons(
    server: FakeBotApi, tdesk: Desk, store: SqlStore
) -> None:
    """The turn is committed, the process dies before it sends the answer: it is not lost."""
    from datetime import UTC, datetime, timedelta

    from bot.outbox import Sender
    from bot.service import REPLY_GRACE
    from flows.model import Event

    channel = telegram.TelegramChannel(
        tdesk, telegram.Settings(server.token, server.base_url, chat_interval=0.0)
    )
    server.user_sends_text(CHAT, "hi")  # the chat exists
    turn = tdesk.handle(
        "telegram", str(CHAT), Event("start", ""), "en", None, "77.0",
        lambda turn: channel._payload(CHAT, turn),
    )  # fmt: skip
    assert turn is not None and turn.choices  # ...and here the process died

    async def restart(later: float) -> int:
        async with channel.app.bot:
            send = telegram.customer_transport(channel)
            sender = Sender(
                store,
                {"customer_reply": send},
                clock=lambda: datetime.now(UTC) + timedelta(seconds=later),
            )
            return await sender.run_once()

    assert asyncio.run(restart(0)) == 0  # within the grace: the channel may still send it
    assert asyncio.run(restart(REPLY_GRACE + 1)) == 1
    [message] = server.messages(CHAT)[-1:]
    assert "What can I help you with?" in message["text"]
    assert message["reply_markup"]["inline_keyboard"]  # the menu's buttons
    assert asyncio.run(restart(REPLY_GRACE + 1)) == 0  # once
