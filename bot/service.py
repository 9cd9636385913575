"""The desk: runs each customer event through the flow inside one storage transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import Renderer, normalize_language
from flows.dnsreport import DnsPort
from flows.model import Context, Conversation, Event, TicketDraft, TicketRef
from flows.policy import Policy
from flows.text import Bubble, T, Turn, t
from flows.triage import Engine
from storage.store import Store, Tx, code_factory

log = logging.getLogger(__name__)


def _in_language_of(conv: Conversation, progress: Callable[[str, T], None]) -> Callable[[T], None]:
    """Pass the conversation's language (at the time of the call) along with the text."""

    def notify(text: T) -> None:
        progress(conv.language, text)

    return notify


class TxDesk:
    """The flows' `Desk`, working inside the turn's transaction."""

    def __init__(self, tx: Tx, policy: Policy) -> None:
        self.tx = tx
        self.new_code = code_factory(policy.tickets.new_code)

    def open_tickets(self, channel: str, user: str) -> list[TicketRef]:
        return self.tx.open_tickets(channel, user)

    def open_ticket(self, draft: TicketDraft) -> TicketRef:
        return self.tx.create_ticket(draft, self.new_code)

    def add_details(self, code: str, draft: TicketDraft) -> TicketRef:
        return self.tx.add_ticket_details(code, draft)


class Desk:
    """What every channel talks to: one call per customer event."""

    def __init__(
        self,
        store: Store,
        policy: Policy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        identify: Callable[[str], tuple[str, float] | None] | None = None,
        dns: DnsPort | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.dns = dns
        self.renderer = Renderer(policy.office_hours.zone)
        self.engine = Engine(policy, self.renderer.label, identify)

    def handle(
        self,
        channel: str,
        user: str,
        event: Event,
        language: str | None = None,
        progress: Callable[[str, T], None] | None = None,
    ) -> Turn:
        """Apply `event` to the customer's conversation, save it, and return the answer.

        The conversation (and any ticket the turn opens) is committed before
        the answer is returned, so a crash after this point loses nothing.
        `progress(language, text)` is called with what to show at once while
        slow work (a DNS check) runs.
        """
        try:
            with self.store.transaction() as tx:
                conv = tx.load_conversation(channel, user)
                if conv is None:
                    conv = Conversation(
                        channel=channel, user=user, language=normalize_language(language)
                    )
                context = Context(
                    self.clock(),
                    TxDesk(tx, self.policy),
                    self.dns,
                    None if progress is None else _in_language_of(conv, progress),
                )
                turn = self.engine.handle(conv, event, context)
                tx.save_conversation(conv)
            return turn
        except SQLAlchemyError:
            log.exception("storage failed for %s:%s", channel, user)
            return self._apology(language, storage=True)
        except Exception:
            log.exception("turn failed for %s:%s on %r", channel, user, event)
            return self._apology(language, storage=False)

    def _apology(self, language: str | None, storage: bool) -> Turn:
        text = (
            t("Sorry, I could not save your answer just now. Please send it again in a moment.")
            if storage
            else t(
                "Sorry, something went wrong on our side. What you told me so far is kept: "
                "please send your answer again."
            )
        )
        return Turn([Bubble((text,))], [], "error", None, normalize_language(language))

    def render(self, turn: Turn) -> str:
        return self.renderer.turn_text(turn)
