"""`sportello serve` as a process: Telegram, Slack (HTTP) and the sender together."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.store import SqlStore
from tests.support import serving
from tests.support.fakebotapi import FakeBotApi
from tests.support.fakeslack import FakeSlack, signed_request

ROOT = Path(__file__).resolve().parent.parent
CHAT = 777
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
TECH, SALES = "C0TECH0001", "C0SALES001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fakes() -> Iterator[tuple[FakeBotApi, FakeSlack]]:
    with FakeBotApi() as bot_api, FakeSlack() as slack:
        yield bot_api, slack


def _post(port: int, body: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_serve_runs_telegram_slack_and_the_sender_together(
    fakes: tuple[FakeBotApi, FakeSlack], tmp_path: Path
) -> None:
    bot_api, slack = fakes
    slack_port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "SLACK_", "SPORTELLO_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        HOME=str(tmp_path),
        SPORTELLO_DNS_CHECKS="off",
        TELEGRAM_TOKEN=bot_api.token,
        TELEGRAM_API_URL=bot_api.base_url,
        SLACK_BOT_TOKEN=slack.token,
        SLACK_API_URL=slack.base_url,
        SLACK_SIGNING_SECRET=slack.signing_secret,
        SLACK_CHANNEL_TECHNICAL=TECH,
        SLACK_CHANNEL_SALES=SALES,
        SPORTELLO_PUBLIC_URL=f"http://127.0.0.1:{slack_port}",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--poll-interval",
            "0.05",
            "--slack-port",
            str(slack_port),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        bot_api.wait_until(lambda: "getUpdates" in bot_api.requests, 20)
        for text in ("/start", "sales"):
            before = bot_api.sent_count(CHAT)
            bot_api.user_sends_text(CHAT, text, language_code="it")
            bot_api.wait_for_messages(CHAT, before + 1, timeout=20)
        before = bot_api.sent_count(CHAT)
        bot_api.user_sends_photo(CHAT, PNG, language_code="it")
        bot_api.wait_for_messages(CHAT, before + 1, timeout=20)
        before = bot_api.sent_count(CHAT)
        bot_api.user_sends_text(
            CHAT, "Vorrei la fattura di ottobre <!channel> *subito*", language_code="it"
        )
        bot_api.wait_for_messages(CHAT, before + 1, timeout=20)
        summary = bot_api.messages(CHAT)[-1]
        data = next(
            b["callback_data"]
            for row in summary["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].endswith(":yes")
        )
        before = bot_api.sent_count(CHAT)
        bot_api.user_presses(CHAT, summary["message_id"], data, language_code="it")
        bot_api.wait_for_messages(CHAT, before + 1, timeout=20)
        # The sender posts the alert to the sales channel, with the customer's text inert.
        slack.wait_for_messages(SALES, 1, timeout=20)
        alert = slack.messages(SALES)[0]
        posted = json.dumps(alert["blocks"])
        assert "&lt;!channel&gt;" in posted and "<!channel>" not in posted
        # The screenshot is linked; the signed link opens it, a forged one does not.
        link = re.search(r"<(http://127\.0\.0\.1:\d+/attachments/\d+/\d+/\w+)\|", posted)
        assert link is not None, posted
        with urllib.request.urlopen(link[1], timeout=10) as answer:
            assert answer.read() == PNG
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(link[1][:-4] + "0000", timeout=10)
        # Staff press Take in Slack: the customer hears it on Telegram, in Italian.
        body = slack.block_actions_payload("take", channel_id=SALES, message_ts=alert["ts"])
        signed, headers = signed_request(body, secret=slack.signing_secret)
        before = bot_api.sent_count(CHAT)
        assert _post(slack_port, signed, headers) == 200
        bot_api.wait_for_messages(CHAT, before + 1, timeout=20)
        assert "un tecnico ha preso in carico il suo ticket" in bot_api.texts(CHAT)[-1]
        # An unsigned request is refused.
        assert _post(slack_port, body, {"Content-Type": "application/x-www-form-urlencoded"}) == 401
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert "Traceback" not in err, err


FORGED_CHAT = 31337


def _forged_update() -> bytes:
    """An update as Telegram would send it, from somebody who found the webhook's address."""
    sender = {"id": FORGED_CHAT, "is_bot": False, "first_name": "Mallory", "language_code": "en"}
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": FORGED_CHAT, "type": "private", "first_name": "Mallory"},
        "from": sender,
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    return json.dumps({"update_id": 990001, "message": message}).encode()


@pytest.mark.parametrize("configured", [None, "TELEGRAM_WEBHOOK_SECRET"])
def test_the_webhook_refuses_updates_without_the_secret_token(
    tmp_path: Path, configured: str | None
) -> None:
    port = serving.free_port()
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    given = "Given-secret_0123456789" if configured else None
    with FakeBotApi() as bot_api:
        env = serving.serve_env(
            tmp_path,
            SPORTELLO_LOG="INFO",
            TELEGRAM_TOKEN=bot_api.token,
            TELEGRAM_API_URL=bot_api.base_url,
        )
        if given:
            env["TELEGRAM_WEBHOOK_SECRET"] = given
        args = ("--webhook-url", hook, "--port", str(port))
        with serving.Serve(env, *args, log=tmp_path / "serve.log") as serve:
            bot_api.wait_until(lambda: bot_api.webhook is not None, 30)
            # Telegram itself sends the secret it was given: its updates are answered.
            bot_api.user_sends_text(CHAT, "/start", language_code="en")
            bot_api.wait_for_messages(CHAT, 1, timeout=20)
            json_type = {"Content-Type": "application/json"}
            forged = _forged_update()
            assert serving.post(hook, forged, json_type) == 403
            wrong = json_type | {"X-Telegram-Bot-Api-Secret-Token": "guessed"}
            assert serving.post(hook, forged, wrong) == 403
            bot_api.user_sends_text(CHAT, "/help", language_code="en")  # handled after them
            bot_api.wait_for_messages(CHAT, 2, timeout=20)
        webhook = bot_api.webhook
        assert webhook is not None
        secret = webhook["secret_token"]
        assert FORGED_CHAT not in [c.params.get("chat_id") for c in bot_api.calls]
    if given:
        assert secret == given
    else:  # generated: as long as token_urlsafe(32), never written in the log
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret or ""), secret
    err = serve.stderr()
    assert secret not in err
    generated = [line for line in err.splitlines() if "generated one for this run" in line]
    assert len(generated) == (0 if given else 1), err
    store = SqlStore(env["DATABASE_URL"])
    try:
        with store.transaction() as tx:  # the forged update never reached the desk
            assert tx.load_conversation("telegram", str(FORGED_CHAT)) is None
            assert tx.load_conversation("telegram", str(CHAT)) is not None
    finally:
        store.close()


def test_a_webhook_secret_telegram_would_refuse_is_a_clean_error(tmp_path: Path) -> None:
    with FakeBotApi() as bot_api:
        env = serving.serve_env(
            tmp_path, TELEGRAM_TOKEN=bot_api.token, TELEGRAM_API_URL=bot_api.base_url
        )
        port = str(serving.free_port())
        args = ["--webhook-url", f"http://127.0.0.1:{port}/hook", "--port", port]
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve", *args, "--secret-token", "not valid!"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("sportello: TELEGRAM_WEBHOOK_SECRET (or --secret-token)")
    assert "Traceback" not in result.stderr


def _health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return int(answer.status), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def test_serve_starts_while_telegram_is_unreachable_and_picks_it_up_later(
    tmp_path: Path,
) -> None:
    """Slack and the sender work while Telegram is away; Telegram is tried until it answers."""
    telegram_port, http_port = serving.free_port(), serving.free_port()
    bot_api = FakeBotApi()
    with FakeSlack(channels={TECH: "helpdesk", SALES: "sales"}) as slack:
        env = serving.serve_env(
            tmp_path,
            TELEGRAM_TOKEN=bot_api.token,
            TELEGRAM_API_URL=f"http://127.0.0.1:{telegram_port}/bot",
            SLACK_BOT_TOKEN=slack.token,
            SLACK_API_URL=slack.base_url,
            SLACK_SIGNING_SECRET=slack.signing_secret,
            SLACK_CHANNEL_TECHNICAL=TECH,
            SLACK_CHANNEL_SALES=SALES,
        )
        args = ("--poll-interval", "0.05", "--slack-port", str(http_port))
        with serving.Serve(env, *args, log=tmp_path / "serve.log") as serve:
            deadline = time.monotonic() + 30
            status, report = 0, {}
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    status, report = _health(http_port)
                    if report.get("telegram") == "retrying":
                        break
                time.sleep(0.1)
            assert status == 503 and report["telegram"] == "retrying", report
            assert report["slack"] == "up" and report["database"] == "up"
            # a ticket opened meanwhile (here from the terminal) reaches the staff
            store = SqlStore(env["DATABASE_URL"])
            try:
                from bot.service import Desk
                from flows.policy import load_policy
                from tests.support.chat import Chat, email_to_summary

                chat = Chat(Desk(store, load_policy()), user="meanwhile", language="en")
                chat.start()
                email_to_summary(chat)
                chat.choose("yes")
                assert chat.ticket is not None
            finally:
                store.close()
            slack.wait_for_messages(TECH, 1, timeout=20)
            # Telegram comes back on its address: serve picks it up and serves customers
            bot_api.start(telegram_port)
            bot_api.wait_until(lambda: "getUpdates" in bot_api.requests, 90)
            bot_api.user_sends_text(CHAT, "/start", language_code="en")
            bot_api.wait_for_messages(CHAT, 1, timeout=20)
            status, report = _health(http_port)
            assert status == 200 and report["telegram"] == "up", report
        bot_api.stop()  # after serve has stopped
        err = serve.stderr()
    assert "telegram cannot be reached" in err and "Traceback" not in err, err
