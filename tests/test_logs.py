"""What the log holds: no secret, no whole request body, customer text at DEBUG only."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.config import load_settings
from bot.logs import LINE_LIMIT, MASK, RECORD_LIMIT, Redactor
from bot.service import Desk
from flows.policy import Policy
from storage.store import SqlStore
from tests.support import pgserver
from tests.support.chat import Chat
from tests.support.fakebotapi import FakeBotApi
from tests.support.fakeslack import FakeSlack, signed_request
from tests.support.serving import Serve, free_port, get, post, serve_env

CHAT = 778
TECH, SALES = "C0TECH0001", "C0SALES001"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PRIVATE = "Vorrei la fattura di ottobre, codice cliente ZEBRA-7788-PRIVATO"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeBotApi, FakeSlack]]:
    with FakeBotApi() as bot_api, FakeSlack() as slack:
        yield bot_api, slack


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_serve_logs_no_secret_and_no_whole_body(
    level: str,
    fakes: tuple[FakeBotApi, FakeSlack],
    postgres: pgserver.PostgresServer,
    tmp_path: Path,
) -> None:
    bot_api, slack = fakes
    password = "Pw-" + secrets.token_hex(8)  # the test server trusts 127.0.0.1: any password
    database = postgres.create_database(f"logs_{level.lower()}")
    database = database.replace("postgres@", f"postgres:{password}@", 1)
    webhook_secret = "hook-" + secrets.token_urlsafe(24)
    hook_port, slack_port = free_port(), free_port()
    env = serve_env(
        tmp_path,
        SPORTELLO_LOG=level,
        DATABASE_URL=database,
        TELEGRAM_TOKEN=bot_api.token,
        TELEGRAM_API_URL=bot_api.base_url,
        SLACK_BOT_TOKEN=slack.token,
        SLACK_API_URL=slack.base_url,
        SLACK_SIGNING_SECRET=slack.signing_secret,
        SLACK_CHANNEL_TECHNICAL=TECH,
        SLACK_CHANNEL_SALES=SALES,
        SPORTELLO_PUBLIC_URL=f"http://127.0.0.1:{slack_port}",
    )
    args = (
        "--webhook-url",
        f"http://127.0.0.1:{hook_port}/telegram-hook",
        "--port",
        str(hook_port),
        "--secret-token",
        webhook_secret,
        "--slack-port",
        str(slack_port),
    )
    with Serve(env, *args, log=tmp_path / "serve.log") as serve:
        bot_api.wait_until(lambda: bot_api.webhook is not None, 30)
        for text in ("/start", "sales", PNG, PRIVATE):
            before = bot_api.sent_count(CHAT)
            if isinstance(text, bytes):
                bot_api.user_sends_photo(CHAT, text, language_code="it")
            else:
                bot_api.user_sends_text(CHAT, text, language_code="it")
            bot_api.wait_for_messages(CHAT, before + 1, timeout=20)
        summary = bot_api.messages(CHAT)[-1]
        yes = next(
            b["callback_data"]
            for row in summary["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].endswith(":yes")
        )
        before = bot_api.sent_count(CHAT)
        bot_api.user_presses(CHAT, summary["message_id"], yes, language_code="it")
        bot_api.wait_for_messages(CHAT, before + 1, timeout=20)
        slack.wait_for_messages(SALES, 1, timeout=20)
        alert = slack.messages(SALES)[0]
        posted = json.dumps(alert["blocks"])
        assert "ZEBRA-7788-PRIVATO" in posted
        # Staff open the screenshot: its signed link is a secret too.
        link = re.search(r"<(http://127\.0\.0\.1:\d+/attachments/\d+/\d+/(\w+))\|", posted)
        assert link is not None, posted
        assert get(link[1]) == PNG
        # Staff press Take: the customer hears it.
        body = slack.block_actions_payload("take", channel_id=SALES, message_ts=alert["ts"])
        signed, headers = signed_request(body, secret=slack.signing_secret)
        before = bot_api.sent_count(CHAT)
        events = f"http://127.0.0.1:{slack_port}/slack/events"
        assert post(events, signed.encode(), headers) == 200
        bot_api.wait_for_messages(CHAT, before + 1, timeout=20)
        # The same click, badly signed and padded to 900 KB, is refused (Bolt logs refusals,
        # whole requests at DEBUG); padded to 3 MB, it is refused before it is read.
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
        padded = signed + "&pad=" + "x" * 900_000
        assert post(events, padded.encode(), headers) == 401
        try:  # answered 413 at the headers; the connection may close while it still sends
            refused: object = post(events, (padded + "x" * 2_100_000).encode(), headers)
        except urllib.error.URLError as closed:
            refused = closed.reason
        assert refused == 413 or isinstance(refused, (BrokenPipeError, ConnectionResetError))
    err = serve.stderr()
    if level == "DEBUG":  # the calls that carry the secrets were logged, and the body
        assert "setWebhook" in err and "chat.postMessage" in err, err[-5000:]
    for name, secret in (
        ("TELEGRAM_TOKEN", bot_api.token),
        ("SLACK_BOT_TOKEN", slack.token),
        ("SLACK_SIGNING_SECRET", slack.signing_secret),
        ("--secret-token", webhook_secret),
        ("the DATABASE_URL password", password),
        ("the attachment link's signature", link[2]),
    ):
        assert secret not in err, f"{name} is in the log at {level}"
    long = [len(line) for line in err.splitlines() if len(line) > LINE_LIMIT]
    assert not long, f"lines of {long} characters at {level}"
    if level != "DEBUG":
        assert "ZEBRA-7788" not in err, f"customer text in the log at {level}"


def test_a_storage_failure_is_logged_without_what_the_customer_wrote(
    tmp_path: Path, policy: Policy, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'failing.db'}")
    desk = Desk(store, policy)
    chat = Chat(desk, user="customer-9")
    chat.start()
    with store.engine.begin() as connection:  # the disk says no to every save from now on
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE UPDATE ON conversation "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        )
    with caplog.at_level(logging.ERROR):
        turn = chat.say("I no longer receive mail at zebra7788.privato@example.org")
    store.close()
    assert turn.state == "error"  # the customer is asked to send it again
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "storage failed" in logged and "disk I/O error" in logged  # the reason is kept
    assert "zebra7788" not in logged


def _formatted(redactor: Redactor, msg: str, *args: object, error: bool = False) -> str:
    exc_info = None
    if error:
        try:
            raise RuntimeError(f"failed on {args[0] if args else msg}")
        except RuntimeError:
            exc_info = sys.exc_info()
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info)
    return redactor.format(record)


def _kept_and_cut(text: str) -> tuple[int, int]:
    """Characters kept of the original (markers left out) and characters said to be cut."""
    cut = [int(n.replace(",", "")) for n in re.findall(r"\[([\d,]+) characters cut\]", text)]
    kept = re.sub(r"\n\[[\d,]+ characters cut\]\n|\u2026 \[[\d,]+ characters cut\]", "", text)
    return len(kept), sum(cut)


def test_a_long_line_is_cut_to_the_limit_saying_how_much_was_cut() -> None:
    redactor = Redactor("%(message)s")
    body = "payload=" + "x" * 5_000_000
    text = _formatted(redactor, "refused a request, body: %s", body)
    assert text.startswith("refused a request, body: payload=xxx")
    assert all(len(line) <= LINE_LIMIT for line in text.split("\n"))
    assert len(text) <= 3 * LINE_LIMIT
    kept, cut = _kept_and_cut(text)
    assert kept + cut == len("refused a request, body: ") + len(body)
    assert _formatted(redactor, "short: %s", "x" * 100) == "short: " + "x" * 100


def test_a_record_of_many_lines_keeps_its_start_and_its_end() -> None:
    redactor = Redactor("%(message)s")
    lines = [f"line {i:06d} " + "y" * 90 for i in range(100_000)]  # 10 MB
    text = _formatted(redactor, "\n".join(lines))
    assert len(text) <= RECORD_LIMIT + 100
    assert text.startswith("line 000000 ") and text.endswith(lines[-1])
    kept, cut = _kept_and_cut(text)
    assert kept + cut == len("\n".join(lines))
    assert all(len(line) <= LINE_LIMIT for line in text.split("\n"))


def test_configured_secrets_are_masked_in_message_arguments_and_traceback() -> None:
    token, password = "777:short-but-configured", "p@ss/w0rd"
    redactor = Redactor("%(levelname)s %(message)s", [token, None, "", password])
    text = _formatted(
        redactor, f"calling {token} at %s", f"postgresql://u:{quote(password, safe='')}@h"
    )
    text += _formatted(redactor, "failed for %s", password, error=True)
    assert token not in text and password not in text and quote(password, safe="") not in text
    assert "Traceback" in text and "RuntimeError: failed on ***" in text
    assert text.count(MASK) == 4
    redactor.hide("later-secret")
    assert _formatted(redactor, "now %s", "later-secret") == "ERROR now ***"


def test_tokens_and_links_are_masked_by_their_shape_even_if_not_configured() -> None:
    redactor = Redactor("%(message)s")
    telegram_token = "8123456789:AAH-abcdefghijklmnopqrstuvwxyz012345"
    for token in (
        telegram_token,
        "xoxb-1000000001-2000000002-FakeSportelloBotToken00",
        "xoxp-12345678901-abcdefABCDEF",
        "xapp-1-A0SPORTAPP-1234567890-abcdef0123456789",
    ):
        text = _formatted(redactor, "GET https://api.example/bot%s/getMe (Bearer %s)", token, token)
        assert token not in text and text.count(MASK) == 2, text
    link = "<https://desk.example/attachments/12/0123456789abcdef0123456789abcdef|shot.png>"
    assert _formatted(redactor, link) == "<https://desk.example/attachments/12/***|shot.png>"
    ordinary = "at 12:30, ticket SPT-123-45678, a token starts with xoxb- or 12345:"
    assert _formatted(redactor, ordinary) == ordinary


def test_the_settings_name_every_secret() -> None:
    env = {
        "DATABASE_URL": "postgresql+psycopg://sportello:db-Pass%2Fword@db.example/sportello",
        "TELEGRAM_TOKEN": "123456789:telegram-token",
        "TELEGRAM_WEBHOOK_SECRET": "webhook-secret",
        "SLACK_BOT_TOKEN": "xoxb-slack-bot",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "SLACK_APP_TOKEN": "xapp-slack-app",
        "SLACK_CHANNEL_TECHNICAL": TECH,
        "SLACK_CHANNEL_SALES": SALES,
    }
    assert load_settings(env, webhook_secret="from-the-command-line").webhook_secret == (
        "from-the-command-line"
    )
    assert set(load_settings(env).secrets()) == {
        "123456789:telegram-token",
        "webhook-secret",
        "xoxb-slack-bot",
        "signing-secret",
        "xapp-slack-app",
        "db-Pass/word",
    }
