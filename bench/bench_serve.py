"""Soak benchmark: the real `sportello serve` process under load, with faults, on each database.

    .venv/bin/python bench/bench_serve.py                  # 200 customers, SQLite and PostgreSQL
    .venv/bin/python bench/bench_serve.py --customers 400 --db sqlite

`sportello serve` runs as its own process against the fake Telegram Bot API and the fake
Slack Web API of `tests/support/` (both on 127.0.0.1). Every simulated customer, each in a
thread of its own and all at once, opens a sales ticket on Telegram in four turns (/start,
the topic, the request, "open the ticket"), then, while a member of staff acts on the ticket,
asks for /status: for half of them staff press Take in Slack (a signed request to serve's
HTTP server), for the other half staff ask a question (from another process's desk on the
same database, as `sportello tickets set-status` does), which the customer then answers.

Faults are injected during the run: Slack answers 500 for a while, then hangs past the
client's time-out twice; Telegram answers 429 and then is away (getUpdates and sendMessage
fail); updates are delivered twice; and serve is killed with SIGKILL once, at 40 % of the
customers' turns, and started again on the same database.

It prints turns/s (the customers' turns over the wall-clock time of the run), the reply
latency (from a customer's message to the bot's first answer), and the counts that must be
zero: turns whose answer was lost or doubled, customers with no ticket or two, alerts not
posted or posted twice, staff notices (Take) lost or doubled, questions lost or doubled,
answers to them lost or doubled. It exits with 1 if one of them is not zero.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.service import Desk  # noqa: E402
from flows.policy import load_policy  # noqa: E402
from storage.store import SqlStore  # noqa: E402
from tests.support import pgserver  # noqa: E402
from tests.support.fakebotapi import FakeBotApi  # noqa: E402
from tests.support.fakeslack import FakeSlack, signed_request  # noqa: E402
from tests.support.serving import free_port, serve_env  # noqa: E402

TECH, SALES = "C0TECH0001", "C0SALES001"
CODE = re.compile(r"SPT-\d{3}-\d{5}")
WAIT = 180.0  # seconds a customer waits for an answer (through the outage and the restart)
FIRST_CHAT = 10_000

# What each answer of the bot starts with (or holds), to count them per customer.
MARKS: dict[str, Callable[[str, int], bool]] = {
    "greeting": lambda text, i: "What can I help you with?" in text,
    "describe": lambda text, i: text.startswith("Please describe your request"),
    "summary": lambda text, i: text.startswith("Here is what I will send"),
    "ticket": lambda text, i: text.startswith("Your ticket SPT-") and " is open" in text[:40],
    "status": lambda text, i: text.startswith("Your ticket:"),
    "taken": lambda text, i: text.startswith("Good news: a technician has taken"),
    "question": lambda text, i: "has a question for you" in text and f"Q{i}?" in text,
    "thanks": lambda text, i: "I added your answer to ticket" in text,
}


@dataclass
class Run:
    """One soak run: the fakes, serve, and what the customers saw."""

    db: str
    customers: int
    url: str
    bot_api: FakeBotApi
    slack: FakeSlack
    http_port: int
    folder: Path
    latencies: list[float] = field(default_factory=list)
    turns: int = 0
    update_ids: list[int] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    # -- serve --------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return serve_env(
            self.folder,
            DATABASE_URL=self.url,
            TELEGRAM_TOKEN=self.bot_api.token,
            TELEGRAM_API_URL=self.bot_api.base_url,
            SLACK_BOT_TOKEN=self.slack.token,
            SLACK_API_URL=self.slack.base_url,
            SLACK_SIGNING_SECRET=self.slack.signing_secret,
            SLACK_CHANNEL_TECHNICAL=TECH,
            SLACK_CHANNEL_SALES=SALES,
            SPORTELLO_LOG=os.environ.get("SOAK_LOG", "WARNING"),
        )

    def start_serve(self) -> None:
        log = (self.folder / f"serve-{self.restarts}.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "serve",
                "--poll-interval",
                "0.02",
                "--slack-port",
                str(self.http_port),
            ],
            env=self.env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.http_port}/healthz", timeout=2
                ):
                    return
            except urllib.error.HTTPError:
                return  # it answers (something is not up yet)
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("serve did not start")

    def kill_and_restart(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(20)
        self.restarts += 1
        self.start_serve()

    def stop_serve(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)

    # -- a customer ---------------------------------------------------------------------
    def say(self, chat: int, text: str) -> None:
        before = self.bot_api.sent_count(chat)
        started = time.monotonic()
        update_id = self.bot_api.user_sends_text(chat, text, language_code="en")
        self._answered(chat, before, started, update_id)

    def press(self, chat: int, choice: str) -> None:
        message = next(m for m in reversed(self.bot_api.messages(chat)) if m.get("reply_markup"))
        data = next(
            b["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].split(":", 1)[1] == choice
        )
        before = self.bot_api.sent_count(chat)
        started = time.monotonic()
        update_id = self.bot_api.user_presses(chat, message["message_id"], data, language_code="en")
        self._answered(chat, before, started, update_id)

    def _answered(self, chat: int, before: int, started: float, update_id: int) -> None:
        with self.lock:
            self.update_ids.append(update_id)
        self.bot_api.wait_until(
            lambda: self.bot_api.sent_count(chat) > before,
            WAIT,
            lambda: f"an answer in chat {chat} after update {update_id}",
        )
        with self.lock:
            self.latencies.append(time.monotonic() - started)
            self.turns += 1

    def customer(self, i: int, staff: Desk) -> None:
        chat = FIRST_CHAT + i
        try:
            self.say(chat, "/start")
            self.say(chat, "sales")
            self.say(chat, f"An offer for {i} mailboxes please, customer {i}")
            self.press(chat, "yes")
            code = next(
                CODE.findall(t) for t in reversed(self.bot_api.texts(chat)) if CODE.search(t)
            )[0]
            with self.lock:
                self.codes[i] = code
            if i % 2 == 0:  # staff press Take in Slack while the customer asks for /status
                alert = self._alert(code)
                racing = threading.Thread(target=self.say, args=(chat, "/status"))
                racing.start()
                self._take(alert)
                racing.join()
                self.bot_api.wait_until(lambda: self._count(chat, "taken", i) >= 1, WAIT)
            else:  # staff ask a question (another process's desk) while the customer types
                racing = threading.Thread(target=self.say, args=(chat, "/status"))
                racing.start()
                staff.set_status(code, "waiting", f"Which plan would you like, Q{i}?")
                racing.join()
                self.bot_api.wait_until(lambda: self._count(chat, "question", i) >= 1, WAIT)
                self.say(chat, f"the big one, A{i}")
        except Exception as exc:  # counted: the customer did not get through
            with self.lock:
                self.failures.append(f"customer {i}: {type(exc).__name__}: {exc}"[:300])

    def _alert(self, code: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def posted() -> bool:
            found[:] = [
                m
                for m in self.slack.messages(SALES)
                if (m.get("metadata") or {}).get("event_payload", {}).get("code") == code
            ]
            return bool(found)

        self.slack.wait_until(posted, WAIT)
        return found[0]

    def _take(self, alert: dict[str, Any]) -> None:
        body = self.slack.block_actions_payload("take", channel_id=SALES, message_ts=alert["ts"])
        signed, headers = signed_request(body, secret=self.slack.signing_secret)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/slack/events",
            data=signed.encode(),
            headers=headers,
            method="POST",
        )
        for _ in range(60):  # serve may be restarting: Slack retries too
            try:
                with urllib.request.urlopen(request, timeout=10):
                    return
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.5)
        raise RuntimeError("the Take never reached serve")

    def _count(self, chat: int, mark: str, i: int) -> int:
        return sum(1 for text in self.bot_api.texts(chat) if MARKS[mark](text, i))


def _faults(run: Run, stop: threading.Event, expected_turns: int) -> None:
    """Inject the faults while the customers go."""
    steps: list[tuple[float, Callable[[], None]]] = [
        (2.0, lambda: run.slack.fail_for(3.0)),
        (6.0, lambda: run.slack.delay_next("chat.postMessage", 12.0, count=2)),
        (8.0, lambda: run.bot_api.fail_next("sendMessage", 429, retry_after=1, count=15)),
        (11.0, lambda: run.bot_api.fail_next("getUpdates", 502, count=6)),
        (11.0, lambda: run.bot_api.fail_next("sendMessage", 502, count=25)),
    ]
    started = time.monotonic()
    killed = False
    rng = random.Random(7)
    while not stop.wait(0.2):
        now = time.monotonic() - started
        while steps and steps[0][0] <= now:
            steps.pop(0)[1]()
        with run.lock:
            done, ids = run.turns, list(run.update_ids[-50:])
        if ids and rng.random() < 0.5:  # Telegram delivers an update twice
            run.bot_api.redeliver(rng.choice(ids))
        if not killed and done >= 0.4 * expected_turns:
            killed = True
            run.kill_and_restart()


def _drain(run: Run, timeout: float = 240.0) -> None:
    """Wait until serve has delivered everything (the outbox holds nothing pending)."""
    store = SqlStore(run.url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if store.undelivered() == 0:
                time.sleep(2.0)  # the last sends land
                if store.undelivered() == 0:
                    return
            time.sleep(0.5)
    finally:
        store.close()


def _zero_counts(run: Run) -> dict[str, int]:
    counts: Counter[str] = Counter()
    store = SqlStore(run.url)
    try:
        tickets = store.tickets()
    finally:
        store.close()
    per_user = Counter(t["user"] for t in tickets)
    alerts = Counter(
        (m.get("metadata") or {}).get("event_payload", {}).get("code")
        for channel in (SALES, TECH)
        for m in run.slack.messages(channel)
        if m.get("metadata")
    )
    for i in range(run.customers):
        chat = FIRST_CHAT + i
        texts = run.bot_api.texts(chat)
        seen = Counter(mark for text in texts for mark, test in MARKS.items() if test(text, i))
        wanted = ["greeting", "describe", "summary", "ticket", "status"]
        wanted += ["taken"] if i % 2 == 0 else ["question", "thanks"]
        for mark in wanted:
            kind = {"taken": "notices", "question": "questions", "thanks": "answers"}.get(
                mark, "turns"
            )
            if seen[mark] == 0:
                counts[f"{kind} lost"] += 1
            elif seen[mark] > 1:
                counts[f"{kind} doubled"] += 1
        n = per_user[str(chat)]
        counts["tickets lost"] += n == 0
        counts["tickets doubled"] += n > 1
        code = run.codes.get(i)
        if code is not None:
            counts["alerts lost"] += alerts[code] == 0
            counts["alerts doubled"] += alerts[code] > 1
    for t in tickets:  # each answer to a question is in its ticket once
        if int(t["user"]) % 2 == 1:
            i = int(t["user"]) - FIRST_CHAT
            said = str(t).count(f"A{i}")
            counts["answers lost in the ticket"] += said == 0
            counts["answers doubled in the ticket"] += said > 1
    names = [
        "turns lost", "turns doubled", "tickets lost", "tickets doubled", "alerts lost",
        "alerts doubled", "notices lost", "notices doubled", "questions lost",
        "questions doubled", "answers lost", "answers doubled", "answers lost in the ticket",
        "answers doubled in the ticket",
    ]  # fmt: skip
    return {name: counts[name] for name in names}


def soak(db: str, customers: int, postgres: Any, verbose: bool = False) -> bool:
    folder = Path(tempfile.mkdtemp(prefix=f"soak-{db}-"))
    url = (
        f"sqlite:///{folder / 'soak.db'}"
        if db == "sqlite"
        else postgres.create_database(f"soak{os.getpid()}")
    )
    with FakeBotApi() as bot_api, FakeSlack(channels={TECH: "helpdesk", SALES: "sales"}) as slack:
        run = Run(db, customers, url, bot_api, slack, free_port(), folder)
        run.start_serve()
        staff_store = SqlStore(url)
        staff = Desk(staff_store, load_policy())
        stop = threading.Event()
        expected = customers * 5 + customers // 2
        faults = threading.Thread(target=_faults, args=(run, stop, expected), daemon=True)
        started = time.monotonic()
        faults.start()
        try:
            with ThreadPoolExecutor(max_workers=customers) as pool:
                for i in range(customers):
                    pool.submit(run.customer, i, staff)
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            faults.join(30)
        _drain(run)
        zero = _zero_counts(run)
        run.stop_serve()
        staff_store.close()
        logs = "".join(p.read_text(errors="replace") for p in sorted(folder.glob("serve-*.log")))
    lat = sorted(run.latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    print(f"\n== {db}: {customers} customers, serve killed and restarted {run.restarts}x ==")
    print(f"turns {run.turns} in {elapsed:.1f} s: {run.turns / elapsed:.1f} turns/s")
    print(f"reply latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {lat[-1]:.1f} s")
    print(f"Slack calls {len(slack.calls)}, Telegram requests {len(bot_api.requests)}")
    width = max(len(k) for k in zero)
    for name, value in zero.items():
        print(f"  {name:<{width}}  {value}")
    tracebacks = logs.count("Traceback")
    print(f"  {'customers who failed':<{width}}  {len(run.failures)}")
    print(f"  {'tracebacks in the log':<{width}}  {tracebacks}")
    for failure in run.failures[:5]:
        print("   ", failure)
    if verbose:
        for i in range(customers):
            print(f"-- chat {FIRST_CHAT + i}:", [t[:50] for t in run.bot_api.texts(FIRST_CHAT + i)])
        print("logs in", folder)
    return not any(zero.values()) and not run.failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("-v", "--verbose", action="store_true", help="what each customer saw")
    args = parser.parse_args()
    ok = True
    postgres = None
    try:
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            if db == "postgresql" and postgres is None:
                postgres = pgserver.start()
            ok = soak(db, args.customers, postgres, args.verbose) and ok
    finally:
        if postgres is not None:
            postgres.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
