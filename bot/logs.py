"""The log: no secret at any level, no line over LINE_LIMIT, no record over RECORD_LIMIT.

Everything written goes through one formatter on the root handler. It masks
the configured secrets (tokens, signing secret, webhook secret, the database
password) wherever they appear in the formatted record - message, arguments,
traceback - and anything shaped like a Telegram bot token or a Slack token,
configured or not, and the signature of an attachment link (whoever has the
link opens the customer's file). Then it bounds the record: a library that logs a whole
request body (Bolt's refusal of a badly signed request, python-telegram-bot
and slack_sdk at DEBUG) writes its first characters and how many were cut.

Customer text is for DEBUG only. Our own log calls keep it out of INFO and
above; the libraries that put whole requests, with the customer's words, in
INFO records (slack_bolt) are heard from WARNING up unless SPORTELLO_LOG=DEBUG.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

LINE_LIMIT = 2_000  # characters in one line, the marker of what was cut included
RECORD_LIMIT = 20_000  # characters in one record (a traceback is several lines)
MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words and digits everywhere
QUIET_BELOW_WARNING = ("slack_bolt",)  # they log whole request bodies at INFO

# Literal prefixes first: these run over every record, some of them megabytes long.
_TELEGRAM_TAIL = re.compile(r":[A-Za-z0-9_-]{35,}")  # <bot id>:<35 base64url characters>
_SLACK_TOKENS = (
    re.compile(r"xox[a-z]-[A-Za-z0-9-]{10,}"),  # bot, user, app configuration tokens
    re.compile(r"xapp-[A-Za-z0-9-]{10,}"),  # app-level token (Socket Mode)
)
_ATTACHMENT_LINK = re.compile(
    r"(/attachments/\d+/(?:\d+/)?)[0-9a-f]{32}"
)  # bot.slack.attachment_url
_DIGITS = frozenset("0123456789")


def mask_token_shapes(text: str) -> str:
    """Mask what looks like a Telegram bot token, a Slack token or an attachment link's key."""
    for pattern in _SLACK_TOKENS:
        text = pattern.sub(MASK, text)
    text = _ATTACHMENT_LINK.sub(rf"\g<1>{MASK}", text)
    parts: list[str] = []
    done = 0
    for match in _TELEGRAM_TAIL.finditer(text):
        start = match.start()
        while start > done and text[start - 1] in _DIGITS:
            start -= 1
        if match.start() - start >= 5:  # a bot id has more digits than a time of day
            parts += [text[done:start], MASK]
            done = match.end()
    return "".join(parts) + text[done:] if parts else text


def _marker(cut: int) -> str:
    return f"\u2026 [{cut:,} characters cut]"


def bound(text: str, line_limit: int = LINE_LIMIT, record_limit: int = RECORD_LIMIT) -> str:
    """Cut a record to `record_limit` (its start and its end) and each line to `line_limit`."""
    if len(text) > record_limit:
        half = record_limit // 2
        cut = len(text) - 2 * half
        text = f"{text[:half]}\n[{cut:,} characters cut]\n{text[-half:]}"
    if len(text) <= line_limit:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if len(line) > line_limit:
            keep = line_limit - len(_marker(len(line)))
            lines[i] = line[:keep] + _marker(len(line) - keep)
    return "\n".join(lines)


class Redactor(logging.Formatter):
    """Formats a record, then masks the secrets in it and bounds it."""

    def __init__(self, fmt: str | None = None, secrets: Iterable[str | None] = ()) -> None:
        super().__init__(fmt)
        self._secrets: list[str] = []
        self.hide(*secrets)

    def hide(self, *values: str | None) -> None:
        """Mask these values from now on (and their URL-encoded form)."""
        found = set(self._secrets)
        for value in values:
            if value and len(value) >= MIN_SECRET:
                found |= {value, quote(value, safe="")}
        # Longest first: a secret that holds another is masked whole.
        self._secrets = sorted(found, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return mask_token_shapes(text)

    def format(self, record: logging.LogRecord) -> str:
        return bound(self.redact(super().format(record)))


class _QuietLibraries(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith(QUIET_BELOW_WARNING)


def configure(level: str | int, secrets: Iterable[str | None] = ()) -> None:
    """Log to stderr at `level` through the Redactor (nothing happens if logging is set up)."""
    handler = logging.StreamHandler()
    handler.setFormatter(Redactor(logging.BASIC_FORMAT, secrets))
    logging.basicConfig(level=level, handlers=[handler])
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        handler.addFilter(_QuietLibraries())


def hide(*values: str | None) -> None:
    """Mask these values in everything logged from now on."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, Redactor):
            handler.formatter.hide(*values)
