"""Talk to `sportello chat --jsonl` as a program does: one line in, one JSON object out.

`JsonlChat` runs the terminal channel's own loop (`bot.terminal.run`) in a
thread, with a pipe for its standard input and output, so a test drives the
same code a program behind `--jsonl` does: the line is read and decoded
(a JSON string for a message with newlines), a number or a choice id is
typed as text, and what comes back is the JSON the program reads.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from bot import terminal
from bot.service import Desk

TIMEOUT = 30.0  # seconds for one answer: a turn that takes longer is a failure


class JsonlChat:
    """One customer at the other end of `--jsonl`; each method returns the turn's JSON."""

    def __init__(self, desk: Desk, user: str, language: str | None = None) -> None:
        self.desk, self.user, self.language = desk, user, language
        to_desk_r, self._to_desk = os.pipe()
        from_desk, to_test_w = os.pipe()
        self._stdin = open(to_desk_r, encoding="utf-8")  # noqa: SIM115 (closed in close())
        self._stdout = open(to_test_w, "w", encoding="utf-8")  # noqa: SIM115
        self._answers = open(from_desk, encoding="utf-8")  # noqa: SIM115
        self.turn: dict[str, Any] = {}
        self.transcript: list[str] = []
        self.failed: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        try:
            terminal.run(
                self.desk, self.user, self.language, True, stdin=self._stdin, stdout=self._stdout
            )
        except BaseException as exc:  # the test reports it
            self.failed = exc
        finally:
            self._stdout.close()

    def _answer(self, sent: str) -> dict[str, Any]:
        line = self._answers.readline()
        if not line:
            raise AssertionError(f"`--jsonl` stopped answering: {self.failed!r}")
        self.turn = json.loads(line)
        self.transcript.append(f"> {sent}\n{self.turn['text']}")
        return self.turn

    def start(self) -> dict[str, Any]:
        self._thread.start()
        return self._answer("/start")

    def send(self, message: str) -> dict[str, Any]:
        """Type one message; one with newlines goes as a JSON string, as documented."""
        line = json.dumps(message, ensure_ascii=False) if "\n" in message else message
        os.write(self._to_desk, (line + "\n").encode("utf-8"))
        return self._answer(message)

    def close(self) -> None:
        os.close(self._to_desk)  # the loop sees the end of its input and returns
        self._thread.join(TIMEOUT)
        self._stdin.close()
        self._answers.close()
