"""`sportello serve` as a real process, for the tests: its environment, its start, its stderr."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only


def get(url: str) -> bytes:
    with _OPENER.open(url, timeout=20) as answer:
        return bytes(answer.read())


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to one of the process's servers on 127.0.0.1; the HTTP status it answers."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=20) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def serve_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """This environment without Sportello's, Telegram's and Slack's settings, plus `settings`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "SLACK_", "SPORTELLO_")) and k != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        HOME=str(tmp_path),
        SPORTELLO_DNS_CHECKS="off",
        PYTHONIOENCODING="utf-8",
    )
    env.update(settings)
    return env


class Serve:
    """`with Serve(env, *args) as serve:` runs `sportello serve`; `serve.stderr()` after."""

    def __init__(self, env: dict[str, str], *args: str, log: Path) -> None:
        self.env, self.args, self.log = env, args, log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Serve:
        with self.log.open("wb") as err:  # a file: a pipe nobody reads would block the process
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(20)

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")
