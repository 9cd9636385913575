"""Translatable text as data: what the flows say, before it is put into words.

The flows never produce finished sentences. They return `T` values: an
English message id (the gettext msgid) with its arguments. A channel renders
them in the conversation's language (see `bot.i18n`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Union

Arg = Union[str, int, "T", datetime, date, "Lines", "Days", "Zone"]


def N_(msgid: str) -> str:
    """Mark a message id for extraction without translating it here."""
    return msgid


@dataclass(frozen=True)
class T:
    """A message id, its arguments and, for counts, its plural form."""

    msgid: str
    args: dict[str, Arg] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None


@dataclass(frozen=True)
class Lines:
    """Several texts shown one per line (a list inside a message)."""

    items: tuple[T | str, ...]


@dataclass(frozen=True)
class Days:
    """Weekdays (0 = Monday) to be named in the reader's language."""

    days: tuple[int, ...]


@dataclass(frozen=True)
class Zone:
    """A time zone (IANA name) to be named in the reader's language."""

    name: str


def t(msgid: str, **args: Arg) -> T:
    """Build a `T`; `msgid` must be a literal so Babel can extract it."""
    return T(msgid, args)


def tn(singular: str, plural: str, n: int, **args: Arg) -> T:
    """Build a counted `T` (ngettext); `n` is also available as `{n}`."""
    return T(singular, {"n": n, **args}, plural=plural, n=n)


@dataclass(frozen=True)
class Choice:
    """A closed answer: a stable id and the label the customer sees."""

    id: str
    label: T | str


@dataclass(frozen=True)
class Bubble:
    """One message from the bot: its paragraphs in order."""

    parts: tuple[T | Lines, ...]


@dataclass
class Turn:
    """What the bot answers to one customer event."""

    bubbles: list[Bubble]
    choices: list[Choice]
    state: str
    asking: str | None
    language: str
    ticket: str | None = None
    ref: int = 0  # the number of the question asked (see `Event.ref`)
    understood: bool = True  # False when the answer did not fit and is asked for again
