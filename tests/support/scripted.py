"""Drive the desk with the scripted customers of `tests/conversations/` and judge the ends.

The format and the rules of the drive are in `tests/conversations/README.md`.
`run` plays one script against a desk and returns what happened; `problems`
lists what the script expected and did not get. Both the tests and
`bench/bench_understanding.py` use them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.service import Desk
from bot.terminal import CHANNEL
from flows.model import Event
from tests.support.chat import Chat
from tests.support.jsonl import JsonlChat

FOLDER = Path(__file__).resolve().parent.parent / "conversations"
MAX_TURNS = 60
UNCOUNTED = frozenset({"confirm", "another", "examples.more", "duplicate", "language"})


def scripts(lang: str | None = None) -> list[dict[str, Any]]:
    """Return the scripted conversations (of one language, or all)."""
    found = []
    for path in sorted(FOLDER.glob("*.toml")):
        if lang is None or path.stem.split("-")[0] == lang:
            found.extend(tomllib.loads(path.read_text(encoding="utf-8"))["conversation"])
    return found


@dataclass
class Outcome:
    """How one scripted conversation went."""

    script: dict[str, Any]
    asked: list[str] = field(default_factory=list)  # the fact questions, in order
    reasks: int = 0  # answers the desk did not understand
    stuck: str | None = None  # why the drive stopped before an end
    end: str | None = None  # "ticket" or "out_of_scope"
    ticket: dict[str, Any] | None = None
    reason: str | None = None
    transcript: list[str] = field(default_factory=list)


@dataclass
class _Seen:
    """What the driver looks at after a turn, from either door."""

    state: str
    asking: str | None
    ticket: str | None
    understood: bool


class _DeskDoor:
    """The desk's own events: typed text, and buttons pressed."""

    def __init__(self, desk: Desk, script: dict[str, Any]) -> None:
        self.chat = Chat(desk, user=f"scripted-{script['id']}", language=script.get("lang"))
        self.channel, self.user = self.chat.channel, self.chat.user
        self.chat.start()

    def send(self, answer: str | dict[str, str]) -> _Seen:
        if isinstance(answer, dict):
            turn = self.chat.choose(answer["choice"])
        else:
            turn = self.chat._send(Event("text", answer))
        return _Seen(turn.state, turn.asking, turn.ticket, turn.understood)

    def close(self) -> list[str]:
        return self.chat.transcript


class _JsonlDoor:
    """`sportello chat --jsonl`'s loop: a button is its id typed; only the JSON is seen."""

    def __init__(self, desk: Desk, script: dict[str, Any]) -> None:
        self.chat = JsonlChat(desk, user=f"jsonl-{script['id']}", language=script.get("lang"))
        self.channel, self.user = CHANNEL, self.chat.user
        self.before: str | None = None
        self.chat.start()

    def send(self, answer: str | dict[str, str]) -> _Seen:
        turn = self.chat.send(answer["choice"] if isinstance(answer, dict) else answer)
        asking = turn["asking"]
        again = asking is not None and asking == self.before  # the JSON says no more than that
        self.before = asking
        return _Seen(turn["state"], asking, turn["ticket"], not again)

    def close(self) -> list[str]:
        self.chat.close()
        return self.chat.transcript


def run(desk: Desk, script: dict[str, Any], jsonl: bool = False) -> Outcome:
    """Play `script` against `desk` as the customer would.

    With `jsonl` the customer talks through `sportello chat --jsonl`'s loop
    (`tests/support/jsonl.py`): every message is a typed line, a button is
    its choice id typed, and only the JSON a program reads is looked at.
    """
    out = Outcome(script)
    door = _JsonlDoor(desk, script) if jsonl else _DeskDoor(desk, script)
    answers = {k: list(v) for k, v in (script.get("answers") or {}).items()}
    try:
        turn = door.send(script["opening"])
        for _ in range(MAX_TURNS):
            if not turn.understood:
                out.reasks += 1
            state, asking = turn.state, turn.asking
            if state in ("done", "out_of_scope") or asking == "another":
                break
            if asking not in UNCOUNTED:
                out.asked.append(asking or state)
            answer = _next_answer(answers, asking)
            if answer is None:
                out.stuck = f"asked {asking!r} ({state}) with no answer left"
                break
            turn = door.send(answer)
        else:
            out.stuck = f"no end after {MAX_TURNS} turns"
    finally:
        out.transcript = door.close()
    _judge_end(desk, out, turn.state, turn.ticket, door.channel, door.user)
    return out


def _next_answer(answers: dict[str, list[Any]], asking: str | None) -> Any:
    pending = answers.get(asking or "", [])
    if pending:
        return pending.pop(0)
    if asking == "confirm":
        return {"choice": "yes"}
    if asking in ("examples.more", "duplicate"):
        return {"choice": "no"}
    return None


def _judge_end(
    desk: Desk, out: Outcome, state: str, ticket: str | None, channel: str, user: str
) -> None:
    if state == "done" and ticket:
        out.end, out.ticket = "ticket", desk.store.ticket(ticket)
    elif state == "out_of_scope":
        out.end = "out_of_scope"
        with desk.store.transaction() as tx:
            conv = tx.load_conversation(channel, user)
        out.reason = conv.out_reason if conv else None
    elif out.stuck is None:
        out.stuck = f"ended at {state}"


def _value(ticket: dict[str, Any], path: str) -> Any:
    value: Any = ticket
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def problems(out: Outcome) -> list[str]:
    """Return what the script expected and did not get (empty: the right end)."""
    expect = out.script.get("expect", {})
    found = []
    if out.stuck:
        found.append(out.stuck)
    if out.end != expect.get("end"):
        found.append(f"ended {out.end!r}, expected {expect.get('end')!r}")
    elif out.end == "out_of_scope":
        if expect.get("reason") and out.reason != expect["reason"]:
            found.append(f"reason {out.reason!r}, expected {expect['reason']!r}")
    elif out.ticket is not None:
        if expect.get("category") and out.ticket["category"] != expect["category"]:
            found.append(f"category {out.ticket['category']!r}, expected {expect['category']!r}")
        for key, want in (expect.get("fields") or {}).items():
            got = _value(out.ticket, key)
            if got != want:
                found.append(f"{key} = {got!r}, expected {want!r}")
        for key, want in (expect.get("contains") or {}).items():
            got = _value(out.ticket, key)
            if got is None or str(want).casefold() not in str(got).casefold():
                found.append(f"{key} = {got!r}, expected to contain {want!r}")
    again = sorted(set(out.asked) & set(expect.get("not_asked") or ()))
    if again:
        found.append(f"asked what was already said: {', '.join(again)}")
    limit = expect.get("max_questions")
    if limit is not None and len(out.asked) > limit:
        found.append(f"{len(out.asked)} questions asked, at most {limit} expected")
    return found
