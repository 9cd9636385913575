"""The terminal channel: a person at a prompt, or a program speaking JSON lines."""

from __future__ import annotations

import io
import json
import sys
from typing import TextIO

from bot.service import Desk
from flows.model import Event
from flows.text import T, Turn
from flows.understand import clean

CHANNEL = "terminal"


PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"  # a terminal's bracketed paste


def message_from(line: str, jsonl: bool) -> str:
    """Read one input line as a message: in `--jsonl`, a JSON string holds its newlines."""
    if jsonl and line.lstrip().startswith('"'):
        try:
            value = json.loads(line)
        except ValueError:
            return line
        if isinstance(value, str):
            return value
    return line


def read_message(stdin: TextIO, jsonl: bool) -> str | None:
    """Read the next customer message; None at the end of the input.

    A paste of several lines is one message: the terminal marks it (bracketed
    paste, turned on for a person at a terminal), and in `--jsonl` a line that
    is a JSON string ("\"line 1\\nline 2\"") is decoded.
    """
    line = stdin.readline()
    if not line:
        return None
    if PASTE_START not in line:
        return message_from(line, jsonl)
    pasted = line.replace(PASTE_START, "")
    while PASTE_END not in pasted:
        more = stdin.readline()
        if not more:
            break
        pasted += more
    return pasted.replace(PASTE_END, "").rstrip("\n")


def event_for(line: str, turn: Turn | None) -> Event:
    """Read one input line: a choice number, a command, or text."""
    stripped = line.strip()
    if turn is not None and stripped.isdigit() and 1 <= int(stripped) <= len(turn.choices):
        return Event("choice", turn.choices[int(stripped) - 1].id)
    return Event.from_input(line.rstrip("\n"))


def as_json(desk: Desk, turn: Turn) -> str:
    """Encode a turn as the one-line JSON object of `--jsonl`."""
    render = desk.renderer
    return json.dumps(
        {
            "state": turn.state,
            "asking": turn.asking,
            "text": render.turn_text(turn),
            "choices": [
                {"id": c.id, "label": render.label(turn.language, c.label)} for c in turn.choices
            ],
            "ticket": turn.ticket,
        },
        ensure_ascii=False,
    )


def as_text(desk: Desk, turn: Turn) -> str:
    """Show a turn to a person: the messages, then the numbered choices."""
    lines = [desk.render(turn)]
    for i, choice in enumerate(turn.choices, 1):
        lines.append(f"  {i}) {desk.renderer.label(turn.language, choice.label)}")
    return "\n".join(lines)


def safe_stdin() -> TextIO:
    """Standard input read as UTF-8 bytes: a sequence that is not UTF-8 becomes U+FFFD.

    Latin-1 or broken bytes then reach the desk as a readable message (the
    rest of it kept), never as an error at every answer.
    """
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="replace", line_buffering=True)


def run(
    desk: Desk,
    user: str,
    language: str | None,
    jsonl: bool,
    stdin: TextIO | None = None,
    stdout: TextIO = sys.stdout,
) -> int:
    """Chat until the input ends; every turn is saved before it is shown.

    In `--jsonl` every input line gets exactly one JSON line back: a line with
    nothing in it (spaces, non-breaking spaces, a lone separator) gets the open
    question again, and nothing is saved.
    """
    stdin = stdin if stdin is not None else safe_stdin()
    show = as_json if jsonl else as_text

    def progress(lang: str, text: T) -> None:
        if not jsonl:  # the JSON protocol has one object per turn, nothing in between
            print(desk.renderer.text(lang, text), file=stdout, flush=True)

    turn = desk.handle(CHANNEL, user, Event("start"), language)
    assert turn is not None  # only a redelivered update gives none
    print(show(desk, turn), file=stdout, flush=True)
    interactive = not jsonl and stdin.isatty()
    if interactive:
        print("\x1b[?2004h", end="", file=stdout, flush=True)  # pastes arrive marked
    try:
        while True:
            if interactive:
                print("> ", end="", file=stdout, flush=True)
            try:
                line = read_message(stdin, jsonl)
            except KeyboardInterrupt:
                break
            if line is None:
                break
            if not clean(line):
                if jsonl:
                    print(show(desk, desk.again(CHANNEL, user, language)), file=stdout, flush=True)
                continue
            turn = desk.handle(CHANNEL, user, event_for(line, turn), language, progress)
            assert turn is not None
            print(show(desk, turn), file=stdout, flush=True)
            if not jsonl:
                print(file=stdout, flush=True)
    finally:
        if interactive:
            print("\x1b[?2004l", end="", file=stdout, flush=True)
    return 0
