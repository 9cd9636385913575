"""The real `sportello` command, run as a separate process, as a person or a program would."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flows.policy import DEFAULT_POLICY
from tests.conftest import ROME
from tests.support.cli_env import clean_env

# The chat runs with the real clock: examples are dated a few days back from today.
_TODAY = datetime.now(ROME).date()


def _days_ago(n: int, hh: int, mm: int) -> tuple[str, str, str]:
    """Return a day n days back as typed d/m/Y, typed ISO, and as the ticket stores it."""
    day = _TODAY - timedelta(days=n)
    stored = datetime(day.year, day.month, day.day, hh, mm, tzinfo=ROME).isoformat(
        timespec="minutes"
    )
    return day.strftime("%d/%m/%Y"), day.isoformat(), stored


RECENT, _, SENT_1 = _days_ago(3, 15, 30)
_, RECENT_ISO, SENT_2 = _days_ago(2, 9, 5)
OLDER, _, SENT_3 = _days_ago(4, 8, 15)

TIMEOUT = 10  # seconds for any one answer; a turn takes a fraction of a second
SPORTELLO = Path(sys.executable).with_name("sportello")
CODE = re.compile(r"^SPT-\d{3}-\d{5}$")
TURN_KEYS = {"state", "asking", "text", "choices", "ticket"}
MENU = ["email", "mailbox_admin", "password", "dns_check", "sales", "domain", "hosting", "other"]
TICKET_KEYS = {
    "code",
    "category",
    "team",
    "priority",
    "status",
    "language",
    "channel",
    "user",
    "mailbox",
    "direction",
    "smtp_is_provider",
    "webmail_fails",
    "addresses",
    "client",
    "error_text",
    "examples",
    "dns",
    "created_at",
}
SHIPPED = DEFAULT_POLICY.read_text(encoding="utf-8")
DOMAINS = 'hosted_domains = ["example.com", "example.org", "rossi-srl.example", "garcia.example"]'


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path)


def sportello(
    env: dict[str, str], *args: str, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT * 3,
        cwd=cwd,
    )


def policy_file(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in SHIPPED, old
    return SHIPPED.replace(old, new, 1)


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("sportello: "), result.stderr
    assert result.stdout == ""
    return result.stderr


class Chat:
    """`sportello chat --jsonl` in a child process, read one line at a time as it comes."""

    def __init__(self, env: dict[str, str], user: str, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat", "--jsonl", "--user", user, *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()
        self.turns: list[dict[str, Any]] = []

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        self.stderr.extend(self.proc.stderr)

    def read(self) -> dict[str, Any]:
        """The next turn; fails if it does not arrive while the input pipe stays open."""
        try:
            line = self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            pytest.fail(f"no turn within {TIMEOUT}s: output not flushed? {''.join(self.stderr)}")
        assert line is not None, f"the chat ended early: {''.join(self.stderr)}"
        assert line.endswith("\n")
        turn: dict[str, Any] = json.loads(line)
        assert set(turn) == TURN_KEYS, turn
        assert isinstance(turn["text"], str) and turn["text"].strip()
        for choice in turn["choices"]:
            assert set(choice) == {"id", "label"} and choice["id"] and choice["label"]
        self.turns.append(turn)
        return turn

    def send(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.read()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=TIMEOUT) == -signal.SIGKILL

    def close(self) -> int:
        """End the input, as a closed pipe; the chat must end on its own, cleanly."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=TIMEOUT)
        assert self.lines.get(timeout=TIMEOUT) is None  # nothing more after the last turn
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)


@pytest.fixture
def chats() -> Any:
    started: list[Chat] = []

    def start(env: dict[str, str], user: str, *extra: str) -> Chat:
        chat = Chat(env, user, *extra)
        started.append(chat)
        return chat

    yield start
    for chat in started:
        chat.stop()


def ids(turn: dict[str, Any]) -> list[str]:
    return [c["id"] for c in turn["choices"]]


def tickets(env: dict[str, str]) -> list[dict[str, Any]]:
    result = sportello(env, "tickets", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def show(env: dict[str, str], code: str) -> dict[str, Any]:
    result = sportello(env, "tickets", "show", code, "--json")
    assert result.returncode == 0, result.stderr
    ticket: dict[str, Any] = json.loads(result.stdout)
    return ticket


# The sending problem, answer by answer: (what the customer sends, state, asking, choice ids).
# [] for choice ids means "no choices are offered"; ... means "not checked here".
SENDING = [
    ("email", "email_mailbox", "mailbox", []),
    ("Mario.Rossi@Example.com", "email_direction", "direction", ["send", "receive", "both"]),
    ("send", "email_smtp", "smtp_is_provider", ["yes", "no", "unsure"]),
    ("yes", "email_webmail", "webmail_fails", ["yes", "no", "not_tried"]),
    ("yes", "email_scope", "addresses", ["yes", "no"]),
    ("yes", "email_addresses", "addresses", []),
    ("anything to @partner.example", "email_client", "client", ["webmail", "both"]),
    ("both", "email_client_name", "client", ...),
    ("Thunderbird 128.3 ESR", "email_error", "error_text", ["none"]),
    # sending: the examples' sender is the mailbox, and the bounce names the first recipient
    (
        "550 5.7.1 <anna@partner.example>: Relaying denied",
        "ex_subject",
        "examples.subject",
        ["none"],
    ),
    ("Preventivo n° 42 — urgente ✉️", "ex_sent_at", "examples.sent_at", []),
    (f"{RECENT} 15:30", "ex_more", "examples.more", ["yes", "no"]),
    ("yes", "ex_recipient", "examples.recipient", []),
    ("bob@partner.example", "ex_subject", "examples.subject", ["none"]),
    ("none", "ex_sent_at", "examples.sent_at", []),
    (f"{RECENT_ISO} 09:05", "ex_more", "examples.more", ["yes", "no"]),
    ("no", "summary", "confirm", ...),
]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_whole_email_conversation_to_a_ticket(
    env: dict[str, str], db_url: str, chats: Any
) -> None:
    env["DATABASE_URL"] = db_url
    chat = chats(env, "anna")
    first = chat.read()  # the greeting arrives before any input is sent
    assert (first["state"], first["asking"], first["ticket"]) == ("menu", "topic", None)
    assert ids(first) == MENU
    assert "Esempio Hosting" in first["text"]

    for said, state, asking, choice_ids in SENDING:
        turn = chat.send(said)
        assert (turn["state"], turn["asking"]) == (state, asking), (said, turn)
        if choice_ids is not ...:
            assert ids(turn) == choice_ids, (said, turn)
        assert turn["ticket"] is None

    summary = chat.turns[-1]
    assert ids(summary)[0] == "yes"
    assert all(i.startswith("edit_") for i in ids(summary)[1:])
    assert "mario.rossi@example.com" in summary["text"]
    assert "Relaying denied" in summary["text"]

    opened = chat.send("yes")
    assert (opened["state"], opened["asking"]) == ("done", "another")
    assert ids(opened) == ["yes", "no"]
    code = opened["ticket"]
    assert code is not None and CODE.match(code)
    assert code in opened["text"]

    bye = chat.send("no")
    assert (bye["state"], bye["asking"], bye["choices"], bye["ticket"]) == (
        "closed",
        None,
        [],
        None,
    )
    assert chat.close() == 0
    assert [t["ticket"] for t in chat.turns].count(code) == 1
    assert sum(t["ticket"] is not None for t in chat.turns) == 1

    listed = tickets(env)
    assert [t["code"] for t in listed] == [code]
    ticket = show(env, code)
    assert listed[0] == ticket
    assert set(ticket) >= TICKET_KEYS
    assert ticket["code"] == code
    assert ticket["category"] == "email_sending"
    assert ticket["team"] == "technical"
    assert ticket["priority"] == "normal"  # webmail fails too
    assert ticket["status"] == "open"
    assert ticket["language"] == "en"
    assert ticket["channel"] == "terminal"
    assert ticket["user"] == "anna"
    assert ticket["mailbox"] == "mario.rossi@example.com"
    assert ticket["direction"] == "send"
    assert ticket["smtp_is_provider"] is True
    assert ticket["webmail_fails"] is True
    assert ticket["addresses"] == "anything to @partner.example"
    assert ticket["client"] == "both"
    assert ticket["client_name"] == "Thunderbird 128.3 ESR"
    assert ticket["error_text"] == "550 5.7.1 <anna@partner.example>: Relaying denied"
    assert ticket["examples"] == [
        {
            "sender": "mario.rossi@example.com",
            "recipient": "anna@partner.example",
            "subject": "Preventivo n° 42 — urgente ✉️",
            "sent_at": SENT_1,
        },
        {
            "sender": "mario.rossi@example.com",
            "recipient": "bob@partner.example",
            "subject": "",
            "sent_at": SENT_2,
        },
    ]
    assert ticket["dns"] is None or isinstance(ticket["dns"], dict)
    created = datetime.fromisoformat(ticket["created_at"])
    assert created.tzinfo is not None
    assert abs(datetime.now(created.tzinfo) - created) < timedelta(minutes=5)

    shown = sportello(env, "tickets", "show", code)
    assert shown.returncode == 0, shown.stderr
    assert f"code: {code}" in shown.stdout
    assert "example 1: mario.rossi@example.com -> anna@partner.example" in shown.stdout
    assert "Preventivo n° 42 — urgente ✉️" in shown.stdout
    assert "example 2: mario.rossi@example.com -> bob@partner.example" in shown.stdout
    assert "error_text: 550 5.7.1 <anna@partner.example>: Relaying denied" in shown.stdout


def test_a_receiving_problem_with_typed_answers(env: dict[str, str], chats: Any) -> None:
    """Free text instead of ids: the same questions, the same ticket."""
    chat = chats(env, "typist")
    chat.read()
    steps = [
        ("my mail doesn't arrive", "email_mailbox"),
        ("<Luca@Garcia.example>", "email_webmail"),  # "doesn't arrive" already said: receiving
        ("it doesn't work in webmail either", "email_scope"),
        ("With every address", "email_client"),
        ("only webmail", "email_error"),
        ("there is no error", "ex_sender"),
        ("mailto:boss@partner.example", "ex_subject"),  # to the mailbox: not asked
        ("no subject", "ex_sent_at"),
        ("yesterday", "ex_sent_at"),  # no time: asked again
        ("yesterday 15:30", "ex_more"),
        ("no, that's all", "summary"),
        ("Open the ticket", "done"),
    ]
    for said, state in steps:
        turn = chat.send(said)
        assert turn["state"] == state, (said, turn)
    code = chat.turns[-1]["ticket"]
    assert code is not None
    assert chat.close() == 0

    ticket = show(env, code)
    assert ticket["category"] == "email_receiving"
    assert ticket["direction"] == "receive"
    assert ticket["mailbox"] == "luca@garcia.example"
    assert ticket["webmail_fails"] is True
    assert ticket["addresses"] is None
    assert ticket["client"] == "webmail"
    assert ticket["error_text"] == ""
    yesterday = (datetime.now(ROME) - timedelta(days=1)).date()
    [example] = ticket["examples"]
    assert example["sender"] == "boss@partner.example"
    assert example["subject"] == ""
    sent = datetime.fromisoformat(example["sent_at"])
    assert (sent.hour, sent.minute) == (15, 30)
    assert sent.date() in (yesterday, yesterday - timedelta(days=1))  # run near midnight


def test_out_of_scope_answers_open_no_ticket(env: dict[str, str], chats: Any) -> None:
    chat = chats(env, "bruno")
    chat.read()
    assert chat.send("email")["state"] == "email_mailbox"
    assert chat.send("bruno@example.org")["state"] == "email_direction"
    assert chat.send("receive")["state"] == "email_webmail"
    out = chat.send("no")  # webmail works: the customer's computer
    assert (out["state"], out["asking"], ids(out)) == ("out_of_scope", "another", ["yes", "no"])
    assert "technician" in out["text"]
    again = chat.send("yes")
    assert (again["state"], ids(again)) == ("menu", MENU)
    assert chat.send("other")["state"] == "other_topic"
    assert chat.send("firewall")["state"] == "out_of_scope"
    assert chat.close() == 0
    assert all(t["ticket"] is None for t in chat.turns)
    assert tickets(env) == []


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_killed_chat_continues_where_it_stopped(
    env: dict[str, str], db_url: str, chats: Any
) -> None:
    env["DATABASE_URL"] = db_url
    first = chats(env, "carla")
    first.read()
    for said, state in [
        ("email", "email_mailbox"),
        ("carla@rossi-srl.example", "email_direction"),
        ("receive", "email_webmail"),
        ("yes", "email_scope"),
        ("yes", "email_addresses"),
        ("only from @bank.example", "email_client"),
        ("both", "email_client_name"),
        ("Outlook", "email_error"),
        ("452 4.2.2 Mailbox full", "ex_sender"),
        ("info@bank.example", "ex_subject"),  # the recipient is the mailbox
    ]:
        assert first.send(said)["state"] == state
    first.kill()

    second = chats(env, "carla")
    back = second.read()
    assert (back["state"], back["asking"], back["ticket"]) == (
        "ex_subject",
        "examples.subject",
        None,
    )
    assert "Welcome back" in back["text"]
    for said, state in [
        ("Estratto conto", "ex_sent_at"),
        (f"{OLDER} 08:15", "ex_more"),
        ("no", "summary"),
    ]:
        assert second.send(said)["state"] == state
    summary = second.turns[-1]["text"]
    for kept in ("carla@rossi-srl.example", "only from @bank.example", "Outlook", "Mailbox full"):
        assert kept in summary
    code = second.send("yes")["ticket"]
    assert code is not None
    assert second.close() == 0

    ticket = show(env, code)
    assert ticket["user"] == "carla"
    assert ticket["mailbox"] == "carla@rossi-srl.example"
    assert ticket["direction"] == "receive"
    assert ticket["webmail_fails"] is True
    assert ticket["addresses"] == "only from @bank.example"
    assert ticket["client"] == "both"
    assert ticket["client_name"] == "Outlook"
    assert ticket["error_text"] == "452 4.2.2 Mailbox full"
    assert ticket["examples"] == [
        {
            "sender": "info@bank.example",
            "recipient": "carla@rossi-srl.example",
            "subject": "Estratto conto",
            "sent_at": SENT_3,
        }
    ]
    assert len(tickets(env)) == 1


def test_users_have_separate_conversations(env: dict[str, str], chats: Any) -> None:
    one = chats(env, "one")
    one.read()
    assert one.send("email")["state"] == "email_mailbox"
    assert one.close() == 0
    other = chats(env, "other")
    assert other.read()["state"] == "menu"
    assert other.close() == 0
    again = chats(env, "one")
    assert again.read()["state"] == "email_mailbox"
    assert again.close() == 0


# --- tickets ----------------------------------------------------------------------


def test_tickets_list_and_show(env: dict[str, str]) -> None:
    empty = sportello(env, "tickets", "list")
    assert empty.returncode == 0
    assert empty.stdout.strip() == "No tickets."

    script = (
        "password\nmaria@example.com\nnone\nyes\nyes\npassword\nluigi@example.org\nnone\nyes\nno\n"
    )
    result = sportello(env, "chat", "--jsonl", "--user", "maria", stdin=script)
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert [t["state"] for t in turns] == [
        "menu",
        "password_mailbox",
        "details",
        "summary",
        "done",
        "menu",
        "password_mailbox",
        "details",
        "summary",
        "done",
        "closed",
    ]
    first, second = turns[4]["ticket"], turns[9]["ticket"]
    assert first and second and first != second
    assert [t["ticket"] is not None for t in turns].count(True) == 2

    listed = tickets(env)
    assert [t["code"] for t in listed] == [first, second]
    assert [t["mailbox"] for t in listed] == ["maria@example.com", "luigi@example.org"]
    for row in listed:
        assert set(row) >= TICKET_KEYS
        assert row["category"] == "mailbox_administration"
        assert row["team"] == "technical"
        assert row["priority"] == "normal"
        assert row["user"] == "maria"
        assert row["status"] == "open"

    human = sportello(env, "tickets", "list")
    assert human.returncode == 0
    lines = human.stdout.strip().splitlines()
    assert len(lines) == 2
    assert first in lines[0] and second in lines[1]
    for word in ("open", "normal", "mailbox_administration", "maria", "maria@example.com"):
        assert word in lines[0]
    assert "luigi@example.org" in lines[1]

    assert show(env, second) == listed[1]

    shown = sportello(env, "tickets", "show", first.lower())  # codes are read in any case
    assert shown.returncode == 0, shown.stderr
    assert f"code: {first}" in shown.stdout
    assert "mailbox: maria@example.com" in shown.stdout
    assert "priority: normal" in shown.stdout
    assert "{" not in shown.stdout


def test_tickets_show_of_an_unknown_code(env: dict[str, str]) -> None:
    for args in (("tickets", "show", "NOPE"), ("tickets", "show", "NOPE", "--json")):
        result = sportello(env, *args)
        message = assert_clean_failure(result, code=1)
        assert "NOPE" in message
        assert "no ticket" in message


# --- settings ---------------------------------------------------------------------


def test_help_names_the_default_database_and_database_url(env: dict[str, str]) -> None:
    default = Path(env["HOME"]) / ".local" / "share" / "sportello" / "sportello.db"
    for command in ([sys.executable, "-m", "bot.cli", "--help"], [str(SPORTELLO), "--help"]):
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=TIMEOUT * 3
        )
        assert result.returncode == 0, result.stderr
        assert str(default) in result.stdout
        assert "DATABASE_URL" in result.stdout
        assert "--policy" in result.stdout
        assert "SPORTELLO_POLICY" in result.stdout


def test_without_database_url_the_default_sqlite_file_is_used(env: dict[str, str]) -> None:
    del env["DATABASE_URL"]
    result = sportello(env, "tickets", "list")
    assert result.returncode == 0, result.stderr
    assert (Path(env["HOME"]) / ".local" / "share" / "sportello" / "sportello.db").is_file()


def test_a_bad_database_url_is_a_clean_error(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = "not a url"
    message = assert_clean_failure(sportello(env, "tickets", "list"))
    assert "DATABASE_URL" in message


def test_an_unreachable_database_is_a_clean_error(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
    result = sportello(env, "tickets", "list")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("sportello: "), result.stderr
    assert "database" in result.stderr.lower()


def test_policy_file_missing(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    message = assert_clean_failure(sportello(env, "--policy", str(missing), "tickets", "list"))
    assert str(missing) in message
    assert "cannot read" in message


def test_policy_file_not_toml(env: dict[str, str], tmp_path: Path) -> None:
    path = policy_file(tmp_path, "[provider\nname = 'x'\n")
    message = assert_clean_failure(sportello(env, "--policy", str(path), "chat", "--jsonl"))
    assert str(path) in message
    assert "not valid TOML" in message
    assert "line 1" in message


def test_policy_file_not_utf8(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(edited('name = "Esempio Hosting"', 'name = "Città Hosting"').encode("latin-1"))
    message = assert_clean_failure(sportello(env, "--policy", str(path), "tickets", "list"))
    assert str(path) in message


@pytest.mark.parametrize(
    ("old", "new", "key", "says"),
    [
        (
            'timezone = "Europe/Rome"',
            'timezone = "Mars/Olympus"',
            "office_hours.timezone",
            "Mars/Olympus",
        ),
        (
            '"mail_client", "other_provider"]',
            '"mail_client", "other_provider", "printers"]',
            "scope.out_of_scope",
            "printers",
        ),
        (
            'code_format = "SPT-###-#####"',
            'code_format = "SPT-##-###"',
            "tickets.code_format",
            "'#'",
        ),
        ('open = "09:00"', 'open = "19:00"', "office_hours", "'open' must come before 'close'"),
        ("[provider]", '[provider]\nwebmail = "x"', "provider.webmail", "Extra"),
    ],
)
def test_policy_with_a_bad_value(
    env: dict[str, str], tmp_path: Path, old: str, new: str, key: str, says: str
) -> None:
    path = policy_file(tmp_path, edited(old, new))
    message = assert_clean_failure(sportello(env, "--policy", str(path), "chat", "--jsonl"))
    assert str(path) in message
    assert f"{key}: " in message, message
    assert says in message, message


def test_sportello_policy_environment_variable(env: dict[str, str], tmp_path: Path) -> None:
    bad = policy_file(tmp_path, edited('timezone = "Europe/Rome"', 'timezone = "Mars/Olympus"'))
    env["SPORTELLO_POLICY"] = str(bad)
    message = assert_clean_failure(sportello(env, "tickets", "list"))
    assert "office_hours.timezone" in message

    good = policy_file(
        tmp_path, edited('name = "Esempio Hosting"', 'name = "Hosting Bellavista"'), "good.toml"
    )
    env["SPORTELLO_POLICY"] = str(good)
    result = sportello(env, "chat", "--jsonl", "--user", "x")
    assert result.returncode == 0, result.stderr
    assert "Hosting Bellavista" in json.loads(result.stdout.splitlines()[0])["text"]

    # --policy wins over the environment
    env["SPORTELLO_POLICY"] = str(bad)
    result = sportello(env, "--policy", str(good), "chat", "--jsonl", "--user", "y")
    assert result.returncode == 0, result.stderr
    assert "Hosting Bellavista" in result.stdout


def _states_after_mailboxes(env: dict[str, str], user: str, mailboxes: list[str]) -> list[str]:
    """Give each mailbox to the e-mail question, starting over in between."""
    script = "".join(f"/restart\nemail\n{mailbox}\n" for mailbox in mailboxes)
    result = sportello(env, "chat", "--jsonl", "--user", user, stdin=script)
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == 1 + 3 * len(mailboxes)
    return [turn["state"] for turn in turns[3::3]]


def test_hosted_domains_of_the_policy_decide_the_scope(env: dict[str, str], tmp_path: Path) -> None:
    shipped = _states_after_mailboxes(env, "a", ["anna@example.com", "anna@acme.test"])
    assert shipped == ["email_direction", "out_of_scope"]

    path = policy_file(
        tmp_path, edited(DOMAINS, 'hosted_domains = ["acme.test", "müller.example"]')
    )
    env["SPORTELLO_POLICY"] = str(path)
    mailboxes = {
        "anna@example.com": "out_of_scope",
        "anna@acme.test": "email_direction",
        "anna@posta.acme.test": "email_direction",
        "anna@notacme.test": "out_of_scope",
        "jörg@Müller.example": "email_direction",
        "jorg@xn--mller-kva.example": "email_direction",
    }
    assert _states_after_mailboxes(env, "b", list(mailboxes)) == list(mailboxes.values())


# --- the interactive terminal -------------------------------------------------------


def test_interactive_chat_numbers_the_choices(env: dict[str, str]) -> None:
    script = "\n".join(
        [
            "9",  # not a choice: typed text, not understood
            "1",  # A problem sending or receiving e-mail
            "1",  # no choices here: "1" is not an address
            "pia@example.com",
            "2",  # Receiving
            "1",  # Yes, webmail fails too
            "2",  # With every address
            "2",  # In a mail program or app, and in webmail
            "2",  # Thunderbird
            "1",  # There is no error message
            "boss@partner.example",
            "pia@example.com",
            "Ordine 7",
            f"{RECENT} 10:00",
            "2",  # No, that's all
            "1",  # Open the ticket
            "2",  # No, thank you
            "",
        ]
    )
    result = sportello(env, "chat", "--user", "pia", stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "{" not in out.splitlines()[0]  # people get text, not JSON
    assert "  1) A problem sending or receiving e-mail" in out
    assert "  8) Something else" in out
    assert "  1) Sending\n  2) Receiving" in out
    assert "  2) Thunderbird" in out
    assert "> " not in out  # no prompt when the input is not a terminal
    assert "Please pick a topic" in out  # after "9"
    assert "doesn't look like an e-mail address" in out  # after "1" at the mailbox
    assert "Thank you, and goodbye!" in out

    [ticket] = tickets(env)
    assert ticket["user"] == "pia"
    assert ticket["direction"] == "receive"
    assert ticket["webmail_fails"] is True
    assert ticket["addresses"] is None
    assert ticket["client"] == "both"
    assert ticket["client_name"] == "Thunderbird"
    assert ticket["error_text"] == ""
    assert ticket["code"] in out


# --- Italian and Spanish customers typing in their own words ------------------------


TO_DIRECTION = ["email", "ugo@example.com"]
TO_WEBMAIL = [*TO_DIRECTION, "receive"]
TO_SCOPE = [*TO_WEBMAIL, "yes"]
TO_SENT_AT = [*TO_SCOPE, "no", "webmail", "none", "a@partner.example", "ugo@example.com", "x"]


@pytest.mark.parametrize(
    ("lang", "path", "said", "state"),
    [
        ("it", TO_DIRECTION, "non riesco a inviare", "email_smtp"),
        ("es", TO_DIRECTION, "no puedo enviar", "email_smtp"),
        ("it", TO_WEBMAIL, "non funziona neanche da webmail", "email_scope"),
        ("es", TO_WEBMAIL, "tampoco funciona en webmail", "email_scope"),
        ("it", TO_SCOPE, "sì", "email_addresses"),  # the bot itself asks "Risponda sì o no"
        ("es", TO_SCOPE, "sí", "email_addresses"),
        ("es", TO_SCOPE, "no", "email_client"),
        ("it", TO_SENT_AT, "ieri 15:30", "ex_more"),  # the example in the Italian question
        ("es", TO_SENT_AT, "ayer 15:30", "ex_more"),  # the example in the Spanish question
    ],
)
def test_free_text_in_the_customers_language(
    env: dict[str, str], lang: str, path: list[str], said: str, state: str
) -> None:
    """PRODUCT.md: free text accepted everywhere ("non funziona neanche da webmail")."""
    stdin = "\n".join([*path, said, ""])
    result = sportello(env, "chat", "--jsonl", "--lang", lang, "--user", f"u-{lang}", stdin=stdin)
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == len(path) + 2
    assert turns[-1]["state"] == state, turns[-1]


@pytest.mark.parametrize("said", ["it does not", "no it does not fail in webmail"])
def test_a_negative_webmail_answer_is_not_taken_for_a_failure(
    env: dict[str, str], said: str
) -> None:
    """Asking again is fine; recording "webmail fails too" is the opposite of the answer."""
    stdin = "\n".join([*TO_WEBMAIL, said, ""])
    result = sportello(env, "chat", "--jsonl", "--user", "neg", stdin=stdin)
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["state"] in ("email_webmail", "out_of_scope"), last


BOUNCE = (
    "This is the mail system at host smtp.example.net.\n"
    "<cliente@fornitore.example>: host mx.fornitore.example said:\n"
    "    550 5.1.1 <cliente@fornitore.example>: Recipient address rejected"
)


def test_a_json_string_line_is_one_message_with_its_newlines(env: dict[str, str]) -> None:
    """`--jsonl`: a pasted error keeps its lines; line 2 is not taken for the next answer."""
    lines = [
        "email",
        "mario@example.com",
        "send",
        "yes",
        "yes",
        "no",
        "webmail",
        json.dumps(BOUNCE),
        "",
    ]
    lines[-1:] = ["Offerta", "ieri 10:00"]  # the bounce named the recipient: not asked
    lines += ["no", "yes", ""]
    result = sportello(env, "chat", "--jsonl", "--user", "paster", stdin="\n".join(lines))
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == len(lines)  # the greeting, then one turn per message
    assert [t["asking"] for t in turns[8:10]] == ["examples.subject", "examples.sent_at"]
    code = turns[-1]["ticket"]
    shown = json.loads(sportello(env, "tickets", "show", code, "--json").stdout)
    # every line, word for word (runs of spaces are folded, as everywhere)
    assert shown["error_text"].split("\n") == [line.strip() for line in BOUNCE.split("\n")]


def test_a_bracketed_paste_in_the_terminal_is_one_message(env: dict[str, str]) -> None:
    pasted = "\x1b[200~" + BOUNCE + "\x1b[201~"
    lines = ["email", "mario@example.com", "send", "yes", "yes", "no", "webmail", pasted, ""]
    result = sportello(env, "chat", "--jsonl", "--user", "paster2", stdin="\n".join(lines))
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == len(lines)
    assert turns[-1]["asking"] == "examples.subject", turns[-1]  # the paste was one answer


@pytest.mark.parametrize("blank", ["", "   ", "\u00a0\u00a0", "\u2028", "\u200b \u00a0"])
def test_every_jsonl_line_gets_one_answer_with_the_open_question(
    env: dict[str, str], blank: str
) -> None:
    """A line with nothing in it gets the open question again: a program waiting never hangs."""
    lines = ["non ricevo piu la posta", blank, "mario@example.com"]
    result = sportello(
        env, "chat", "--jsonl", "--lang", "it", "--user", "b", stdin="\n".join(lines) + "\n"
    )
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == 1 + len(lines)  # the greeting, then one line per line
    assert [t["asking"] for t in turns[1:]] == ["mailbox", "mailbox", turns[3]["asking"]]
    assert turns[3]["asking"] != "mailbox"  # the blank line was no miss: the address is taken


def test_bytes_that_are_not_utf8_are_read_not_refused(env: dict[str, str]) -> None:
    """Latin-1 from an old terminal: read, with what could not be decoded replaced."""
    script = "non ricevo più la posta\nè mario@example.com\n".encode("latin-1")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--jsonl", "--lang", "it", "--user", "l1"],
        input=script,
        capture_output=True,
        env=env,
        timeout=TIMEOUT * 3,
    )
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(turns) == 3
    assert "error" not in [t["state"] for t in turns], turns
    assert turns[2]["asking"] not in ("mailbox", None), turns[2]


def test_a_log_level_that_does_not_exist_is_a_clean_error(env: dict[str, str]) -> None:
    env["SPORTELLO_LOG"] = "bogus"
    message = assert_clean_failure(sportello(env, "chat", "--jsonl"))
    assert "SPORTELLO_LOG" in message and "DEBUG" in message, message
