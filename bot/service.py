"""The desk: runs each customer event through the flow inside one storage transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import Renderer, normalize_language
from bot.outbox import staff_lane
from flows.dnsreport import DnsPort, DnsReport
from flows.engine import Engine
from flows.model import Context, Conversation, Event, Notice, TicketDraft, TicketRef
from flows.policy import Policy
from flows.questions import QUESTIONS
from flows.text import N_, Bubble, T, Turn, t
from storage.store import Store, Tx, code_factory

log = logging.getLogger(__name__)


_MAX_CHECKS = 3  # DNS checks one turn may need (it needs one; a re-check is a second)


class _NeedsDns(Exception):
    """A turn needs a DNS check it does not have: it is run again once the check is done."""

    def __init__(self, domain: str, fresh: bool, language: str) -> None:
        super().__init__(domain)
        self.domain, self.fresh, self.language = domain, fresh, language


class _Prefetched:
    """The flows' DNS port inside a transaction: only checks already done, never the network.

    A check not done yet stops the turn (its transaction rolls back, holding
    no lock while the lookups run); the desk does the check and runs the
    turn again, which then finds the result here.
    """

    def __init__(self) -> None:
        self.reports: dict[tuple[str, bool], DnsReport] = {}
        self.conv: Conversation | None = None  # the turn's, for the language of "checking…"

    def add(self, need: _NeedsDns, report: DnsReport) -> None:
        self.reports[need.domain, need.fresh] = report

    def check(self, domain: str, fresh: bool = False) -> DnsReport:
        found = self.reports.get((domain, fresh))
        if found is None:
            raise _NeedsDns(domain, fresh, self.conv.language if self.conv else "en")
        return found


STATUSES = ("open", "in_progress", "waiting", "resolved", "closed")
REPLY_GRACE = 60.0  # seconds a kept answer waits for its channel before the sender sends it
REPLY_SEND = 30.0  # seconds the channel tries to send it itself (well inside the grace)


def reply_key(channel: str, user: str, once: str) -> str:
    """The outbox key of the answer to a channel's update (see `Desk.handle(keep=...)`)."""
    return f"reply:{channel}:{user}:{once}"


PUSH_CHANNELS = ("telegram",)  # channels where the sender can reach the customer any time


@dataclass(frozen=True)
class StatusChange:
    channel: str
    user: str
    turn: Turn  # what the customer is (or will be) told
    queued: bool  # in the outbox for the sender (else told at the next message)


class TxDesk:
    """The flows' `Desk`, working inside the turn's transaction."""

    def __init__(self, tx: Tx, policy: Policy) -> None:
        self.tx = tx
        self.new_code = code_factory(policy.tickets.new_code)

    def open_tickets(self, channel: str, user: str) -> list[TicketRef]:
        return self.tx.open_tickets(channel, user)

    def open_ticket(self, draft: TicketDraft) -> TicketRef:
        ref = self.tx.create_ticket(draft, self.new_code)
        self.tx.enqueue(
            "staff_alert", f"alert:{ref.code}", staff_lane(draft.team, ref.code), {"code": ref.code}
        )
        return ref

    def add_details(self, code: str, draft: TicketDraft) -> TicketRef:
        ref = self.tx.add_ticket_details(code, draft)
        fields = draft.fields
        said = [fields.get("error_text") or "", fields.get("description") or ""]
        said += [
            f"{e['sender']} → {e['recipient']} · “{e['subject']}” · {e['sent_at']}"
            for e in fields.get("examples") or []
        ]
        self._to_staff(code, draft.team, N_("The customer added details to {code}:"), said)
        return ref

    def _to_staff(self, code: str, team: str, msgid: str, lines: list[str]) -> None:
        post_id = uuid.uuid4().hex
        self.tx.enqueue(
            "staff_thread",
            f"thread:{code}:{post_id}",
            staff_lane(team, code),
            {"code": code, "msgid": msgid, "text": "\n".join(x for x in lines if x), "id": post_id},
        )

    def customer_tickets(self, channel: str, user: str) -> list[TicketRef]:
        return self.tx.customer_tickets(channel, user)

    def save_attachment(
        self,
        channel: str,
        user: str,
        filename: str,
        content_type: str,
        data: bytes,
        ticket: str | None = None,
    ) -> int:
        return self.tx.save_attachment(channel, user, filename, content_type, data, ticket)

    def add_reply(self, code: str, text: str, language: str) -> None:
        self.tx.add_note(code, "customer_reply", {"text": text, "language": language})
        team = self.tx.ticket_team(code)
        self._to_staff(code, team, N_("The customer answered about {code}:"), [text])


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
        once: str | None = None,
        keep: Callable[[Turn], dict[str, Any]] | None = None,
    ) -> Turn | None:
        """Apply `event` to the customer's conversation, save it, and return the answer.

        The conversation (and any ticket the turn opens) is committed before
        the answer is returned, so a crash after this point loses nothing.
        `progress(language, text)` is called with what to show at once while
        slow work (a DNS check) runs. With `once` (a channel's update id), an
        event delivered again is recognized and ignored: None is returned.
        With `keep` (and `once`), the answer as `keep(turn)` renders it is written to
        the outbox in the turn's transaction (`reply_key`), due `REPLY_GRACE` seconds
        later: the channel sends it at once and marks it delivered, and should the
        process die in between, the sender sends it after a restart.
        """
        prefetched = _Prefetched()
        try:
            for _ in range(_MAX_CHECKS + 1):
                shown: list[T] = []
                try:
                    return self._turn(channel, user, event, language, once, prefetched, shown, keep)
                except _NeedsDns as need:  # rolled back: nothing of the turn is kept
                    if self.dns is None:
                        raise
                    if progress is not None:
                        for text in shown:
                            progress(need.language, text)
                    progress = None  # told once: the turn runs again with the result
                    prefetched.add(need, self.dns.check(need.domain, fresh=need.fresh))
            raise RuntimeError("a turn asked for more DNS checks than it may")
        except SQLAlchemyError:
            log.exception("storage failed for %s:%s", channel, user)
            return self._apology(language, storage=True, open_question=self._open(channel, user))
        except Exception:
            log.exception("turn failed for %s:%s on a %s event", channel, user, event.kind)
            return self._apology(language, storage=False, open_question=self._open(channel, user))

    def _open(self, channel: str, user: str) -> tuple[str | None, str] | None:
        """The question the conversation has open and its language, if it can still be read."""
        try:
            with self.store.transaction() as tx:
                conv = tx.load_conversation(channel, user)
        except Exception:
            return None
        if conv is None:
            return None
        q = QUESTIONS.get(conv.state)
        return (q.asking if q is not None else None), conv.language

    def _turn(
        self,
        channel: str,
        user: str,
        event: Event,
        language: str | None,
        once: str | None,
        prefetched: _Prefetched,
        shown: list[T],
        keep: Callable[[Turn], dict[str, Any]] | None = None,
    ) -> Turn | None:
        """One try at the turn, in one transaction; a DNS check it needs stops it (_NeedsDns)."""
        with self.store.transaction() as tx:
            if once is not None and not tx.first_time(channel, once):
                return None
            conv = tx.load_conversation(channel, user)
            if conv is None:
                conv = Conversation(
                    channel=channel, user=user, language=normalize_language(language)
                )
            prefetched.conv = conv
            context = Context(
                self.clock(),
                TxDesk(tx, self.policy),
                None if self.dns is None else prefetched,
                shown.append,
            )
            turn = self.engine.handle(conv, event, context)
            tx.save_conversation(conv)
            if keep is not None and once is not None:
                tx.enqueue(
                    "customer_reply",
                    reply_key(channel, user, once),
                    f"{channel}:{user}",
                    keep(turn),
                    delay=REPLY_GRACE,
                )
        return turn

    def again(self, channel: str, user: str, language: str | None = None) -> Turn:
        """The open question once more, for a message with nothing in it; nothing is saved."""
        try:
            with self.store.transaction() as tx:
                conv = tx.load_conversation(channel, user) or Conversation(
                    channel=channel, user=user, language=normalize_language(language)
                )
                return self.engine.again(conv, Context(self.clock(), TxDesk(tx, self.policy)))
        except Exception:
            log.exception("could not ask again for %s:%s", channel, user)
            return self._apology(language, storage=True)

    def set_status(self, code: str, status: str, note: str = "") -> StatusChange | None:
        """Change a ticket's status (staff side) and tell the customer in their language.

        On a channel that can push (Telegram) the message goes to the outbox,
        written in this same transaction, and the sender delivers it; on the
        terminal the customer is told at their next message. A question (status
        "waiting" with a note) becomes the question the customer is asked; their
        answer is added to the ticket and posted in the staff thread.
        """
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; known: {', '.join(STATUSES)}")
        notice = Notice(code=code.upper(), status=status, note=note.strip())
        with self.store.transaction() as tx:
            owner = tx.set_status(notice.code, status)
            if owner is None:
                return None
            channel, user = owner
            tx.add_note(notice.code, "status", {"status": status, "note": notice.note})
            conv = tx.load_conversation(channel, user) or Conversation(channel=channel, user=user)
            turn = self.engine.tell(conv, notice, Context(self.clock(), TxDesk(tx, self.policy)))
            queued = channel in PUSH_CHANNELS
            if queued:
                tx.enqueue(
                    "customer_message",
                    f"status:{notice.code}:{uuid.uuid4().hex}",
                    f"{channel}:{user}",
                    {"channel": channel, "chat": user, "text": self.render(turn)},
                )
            else:
                conv.notices.append(notice)
            tx.save_conversation(conv)
        return StatusChange(channel, user, turn, queued)

    def _apology(
        self,
        language: str | None,
        storage: bool,
        open_question: tuple[str | None, str] | None = None,
    ) -> Turn:
        text = (
            t("Sorry, I could not save your answer just now. Please send it again in a moment.")
            if storage
            else t(
                "Sorry, something went wrong on our side. What you told me so far is kept: "
                "please send your answer again."
            )
        )
        asking, spoken = open_question or (None, normalize_language(language))
        return Turn([Bubble((text,))], [], "error", asking, spoken)  # the question stays open

    def render(self, turn: Turn) -> str:
        return self.renderer.turn_text(turn)
