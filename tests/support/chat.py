"""Drive the real desk as a customer would, and read what the customer would see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.service import Desk
from bot.terminal import CHANNEL, event_for
from flows.model import Event
from flows.text import Turn


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Chat:
    """One customer talking to the desk; every reply is rendered as they would read it."""

    def __init__(
        self, desk: Desk, user: str, language: str | None = None, channel: str = CHANNEL
    ) -> None:
        self.desk, self.user, self.language, self.channel = desk, user, language, channel
        self.turn: Turn | None = None
        self.transcript: list[str] = []

    def _send(self, event: Event) -> Turn:
        turn = self.desk.handle(self.channel, self.user, event, self.language)
        assert turn is not None
        self.turn = turn
        self.transcript.append(f"> {event.kind}:{event.value}\n{self.text}")
        return self.turn

    def start(self) -> Turn:
        return self._send(Event("start"))

    def say(self, text: str) -> Turn:
        """Type a line, exactly as in the terminal (a number picks a choice)."""
        return self._send(event_for(text, self.turn))

    def choose(self, choice_id: str) -> Turn:
        """Press a button."""
        return self._send(Event("choice", choice_id))

    def command(self, name: str) -> Turn:
        return self._send(Event("command", name))

    @property
    def text(self) -> str:
        assert self.turn is not None
        return self.desk.render(self.turn)

    @property
    def state(self) -> str:
        assert self.turn is not None
        return self.turn.state

    @property
    def asking(self) -> str | None:
        assert self.turn is not None
        return self.turn.asking

    @property
    def choices(self) -> list[str]:
        assert self.turn is not None
        return [c.id for c in self.turn.choices]

    @property
    def ticket(self) -> str | None:
        assert self.turn is not None
        return self.turn.ticket

    def labels(self) -> list[str]:
        assert self.turn is not None
        return [self.desk.renderer.label(self.turn.language, c.label) for c in self.turn.choices]


def email_to_summary(
    chat: Chat,
    mailbox: str = "mario@example.com",
    direction: str = "receive",
    error: str = "550 5.1.1 User unknown",
) -> None:
    """Walk the e-mail flow with good answers up to the summary."""
    chat.choose("email")
    chat.say(mailbox)
    chat.choose(direction)
    if direction == "send":
        chat.choose("yes")
    chat.choose("yes")  # fails in webmail too
    chat.choose("no")  # every address
    chat.choose("both")
    chat.say("Thunderbird 128")
    chat.say(error)
    chat.say("anna@rossi-srl.example")
    chat.say(mailbox)
    chat.say("Invoice 42")
    chat.say("yesterday 15:30")
    chat.choose("no")
    assert chat.state == "summary", chat.text
