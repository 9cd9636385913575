"""Storage behind a narrow port: conversations and tickets, in one transaction per turn."""

from __future__ import annotations

import random
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, create_engine, select

from flows.model import Conversation, TicketDraft, TicketRef
from storage import schema
from storage.models import (
    AttachmentRow,
    ConversationRow,
    InboxRow,
    OutboxRow,
    ProcessedUpdateRow,
    StaffAlertRow,
    TicketNoteRow,
    TicketRow,
    utcnow,
)

DEFAULT_DB = Path.home() / ".local" / "share" / "sportello" / "sportello.db"

OPEN_STATUSES = ("open", "in_progress", "waiting")


class Tx(ABC):
    """One unit of work: what a turn reads and writes, committed together."""

    @abstractmethod
    def load_conversation(self, channel: str, user: str) -> Conversation | None: ...

    @abstractmethod
    def save_conversation(self, conv: Conversation) -> None: ...

    @abstractmethod
    def open_tickets(self, channel: str, user: str) -> list[TicketRef]: ...

    @abstractmethod
    def create_ticket(self, draft: TicketDraft, new_code: Callable[[], str]) -> TicketRef: ...

    @abstractmethod
    def add_ticket_details(self, code: str, draft: TicketDraft) -> TicketRef: ...

    @abstractmethod
    def customer_tickets(self, channel: str, user: str, limit: int = 20) -> list[TicketRef]: ...

    @abstractmethod
    def save_attachment(
        self,
        channel: str,
        user: str,
        filename: str,
        content_type: str,
        data: bytes,
        ticket: str | None = None,
    ) -> int: ...

    @abstractmethod
    def add_note(self, code: str, kind: str, body: dict[str, Any]) -> None: ...

    @abstractmethod
    def set_status(self, code: str, status: str) -> tuple[str, str] | None:
        """Change a ticket's status; return its (channel, user), or None if there is none."""

    @abstractmethod
    def ticket_team(self, code: str) -> str: ...

    @abstractmethod
    def enqueue(
        self, kind: str, key: str, target: str, payload: dict[str, Any], delay: float = 0.0
    ) -> None:
        """Add something to deliver, once per `key`, committed with the turn.

        With `delay`, the sender takes it only that many seconds later: the caller
        delivers it itself at once and marks it (`delivered_key`); the row is there
        for when the caller dies first.
        """

    @abstractmethod
    def first_time(self, channel: str, key: str) -> bool:
        """Record that update `key` of `channel` is handled; False if it was before."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pending:
    """An outbox row due for delivery."""

    id: int
    kind: str
    target: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime = _EPOCH
    maybe_sent: bool = False  # an earlier try may have arrived (its answer was lost)


class Store(ABC):
    """Opens units of work and answers read-only questions about tickets."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Tx]: ...

    @abstractmethod
    def ticket(self, code: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def tickets(self, user: str | None = None) -> list[dict[str, Any]]: ...

    @abstractmethod
    def delivered_key(self, key: str, result: dict[str, Any] | None = None) -> None: ...

    @abstractmethod
    def due_now(self, key: str, payload: dict[str, Any] | None = None) -> None: ...

    @abstractmethod
    def inbox_add(self, channel: str, updates: list[tuple[int, dict[str, Any]]]) -> set[int]: ...

    @abstractmethod
    def inbox_pending(self, channel: str) -> list[tuple[int, dict[str, Any]]]: ...

    @abstractmethod
    def inbox_done(self, channel: str, update_id: int) -> None: ...

    @abstractmethod
    def inbox_offset(self, channel: str) -> int | None: ...

    @abstractmethod
    def prune(self, before: datetime) -> dict[str, int]:
        """Forget the bookkeeping of updates handled before `before`; return what was removed."""


def database_url(url: str | None) -> str:
    """Return `url`, or the default SQLite file (creating its folder)."""
    if url:
        return url
    DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB}"


_READ_ONLY = "sportello_read_only"  # an execution option: this connection only reads


# How long a writer waits for SQLite's write lock. Turns hold it for milliseconds, but 200
# customers at once had a staff change wait more than 5 s (the soak benchmark): it then
# failed with "database is locked" instead of going after them.
BUSY_MS = 30_000
_WAL_TRIES = 200  # 10 ms to 50 ms apart: about 8 s in all


def _switch_to_wal(cursor: Any) -> None:
    """Put the file in WAL mode, waiting for the lock the switch needs.

    SQLite does not call its busy handler for that lock: a process opening a
    new file while another is creating its tables got "database is locked"
    at once. A file already in WAL mode is left as it is.
    """
    for attempt in range(_WAL_TRIES):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == _WAL_TRIES - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05))


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets WAL and foreign keys.

    Bound values are left out of errors (and of SQLAlchemy's log): they hold
    what customers wrote, and a storage error is logged at ERROR.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            _switch_to_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            # The driver's own transactions start only at the first write, so
            # two turns could both read a conversation and the later save
            # would drop the other's changes: SQLAlchemy emits BEGIN itself.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Take the write lock at the start: one conversation's turns, and
            # a technician's change racing them, run one after the other (the
            # others wait up to busy_timeout). PostgreSQL locks the row instead.
            reading = conn.get_execution_options().get(_READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


class SqlStore(Store):
    """The real store: SQLite by default, PostgreSQL (or any SQLAlchemy URL) by URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # Reads (the outbox poll, `tickets`) never wait for a turn's write lock.
        self.reads = self.engine.execution_options(**{_READ_ONLY: True})
        schema.upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- the outbox ----------------------------------------------------------
    def due(self, now: datetime, limit: int = 50) -> list[Pending]:
        """Rows to deliver now: for each target, its oldest pending row, if it is due.

        A later row never overtakes an earlier one of the same target, so each
        receiver gets its messages in order even across retries. Rows set aside
        (dead) hold nothing back.
        """
        with Session(self.reads) as session:
            rows = session.exec(
                select(OutboxRow)
                .where(col(OutboxRow.sent_at).is_(None), col(OutboxRow.dead_at).is_(None))
                .order_by(col(OutboxRow.id))
            ).all()
        first: dict[str, OutboxRow] = {}
        for row in rows:
            first.setdefault(row.target, row)
        ready = [row for row in first.values() if _aware(row.next_at) <= now and row.id is not None]
        ready.sort(key=lambda row: row.id or 0)
        return [
            Pending(
                row.id or 0,
                row.kind,
                row.target,
                dict(row.payload),
                row.attempts,
                _aware(row.created_at),
                row.maybe_sent,
            )
            for row in ready[:limit]
        ]

    def delivered(self, row_id: int, result: dict[str, Any] | None = None) -> None:
        with Session(self.engine) as session:
            row = session.get(OutboxRow, row_id)
            if row is None:
                return
            row.sent_at, row.result, row.last_error = utcnow(), result, None
            session.add(row)
            session.commit()

    def delivered_key(self, key: str, result: dict[str, Any] | None = None) -> None:
        """Mark the row of `key` delivered (by whoever delivered it)."""
        with Session(self.engine) as session:
            row = session.exec(select(OutboxRow).where(OutboxRow.key == key)).first()
            if row is not None and row.sent_at is None:
                row.sent_at, row.result, row.last_error = utcnow(), result, None
                session.add(row)
                session.commit()

    def due_now(self, key: str, payload: dict[str, Any] | None = None) -> None:
        """Hand the row of `key` to the sender at once (with what is left to say, if given)."""
        with Session(self.engine) as session:
            row = session.exec(select(OutboxRow).where(OutboxRow.key == key)).first()
            if row is not None and row.sent_at is None:
                row.next_at = utcnow()
                if payload is not None:
                    row.payload = payload
                session.add(row)
                session.commit()

    def attempting(self, row_id: int, retry_at: datetime | None = None) -> None:
        """Record that a try of the row starts: if the process dies during it, the next try
        knows the receiver may have it (and looks first, where the receiver can tell), and
        comes no sooner than `retry_at` (a post still under way has landed by then)."""
        with Session(self.engine) as session:
            row = session.get(OutboxRow, row_id)
            if row is not None and row.sent_at is None:
                row.maybe_sent = True
                if retry_at is not None:
                    row.next_at = retry_at
                session.add(row)
                session.commit()

    def failed(self, row_id: int, error: str, retry_at: datetime, maybe_sent: bool = True) -> None:
        """Record a failed try; `maybe_sent`: it may have reached the receiver all the same."""
        with Session(self.engine) as session:
            row = session.get(OutboxRow, row_id)
            if row is None:
                return
            row.attempts += 1
            row.next_at, row.last_error = retry_at, error[:500]
            row.maybe_sent = maybe_sent  # (the sender's word: a refusal undoes `attempting`)
            session.add(row)
            session.commit()

    def dead(self, row_id: int, error: str, tried: bool = False, maybe_sent: bool = False) -> None:
        """Set a row aside: it is not tried again until `retry` (`tried`: count this try)."""
        with Session(self.engine) as session:
            row = session.get(OutboxRow, row_id)
            if row is None:
                return
            row.attempts += 1 if tried else 0
            row.dead_at, row.last_error = utcnow(), error[:500]
            row.maybe_sent = maybe_sent  # (the sender's word, as in `failed`)
            session.add(row)
            session.commit()

    def retry(self, row_id: int, now: datetime | None = None) -> str | None:
        """Put a dead or waiting row back in its queue, due now; return why not, or None."""
        with Session(self.engine) as session:
            row = session.get(OutboxRow, row_id)
            if row is None:
                return "no such outbox row"
            if row.sent_at is not None:
                return "already delivered"
            row.dead_at, row.attempts, row.next_at = None, 0, now or utcnow()
            session.add(row)
            session.commit()
            return None

    def outbox(self, everything: bool = False) -> list[dict[str, Any]]:
        """The pending and dead rows (`everything`: the delivered ones too), oldest first."""
        with Session(self.reads) as session:
            query = select(OutboxRow).order_by(col(OutboxRow.id))
            if not everything:
                query = query.where(col(OutboxRow.sent_at).is_(None))
            rows = session.exec(query).all()
        return [
            {
                "id": row.id,
                "kind": row.kind,
                "target": row.target,
                "state": "delivered"
                if row.sent_at is not None
                else "dead"
                if row.dead_at is not None
                else "pending",
                "attempts": row.attempts,
                "created_at": _iso(row.created_at),
                "next_at": None if row.sent_at or row.dead_at else _iso(row.next_at),
                "dead_at": _iso(row.dead_at) if row.dead_at else None,
                "sent_at": _iso(row.sent_at) if row.sent_at else None,
                "last_error": row.last_error,
                "about": row.payload.get("code") or row.payload.get("chat"),
            }
            for row in rows
        ]

    def undelivered(self) -> int:
        """How many rows wait for delivery (not those set aside)."""
        with Session(self.reads) as session:
            return len(
                session.exec(
                    select(OutboxRow.id).where(
                        col(OutboxRow.sent_at).is_(None), col(OutboxRow.dead_at).is_(None)
                    )
                ).all()
            )

    # -- the inbox -------------------------------------------------------------
    def inbox_add(self, channel: str, updates: list[tuple[int, dict[str, Any]]]) -> set[int]:
        """Keep fetched updates (once each); return the ids not kept before."""
        if not updates:
            return set()
        updates = list(dict(updates).items())  # an update given twice in one batch: once
        ids = [update_id for update_id, _ in updates]
        with Session(self.engine) as session:
            known = set(
                session.exec(
                    select(InboxRow.update_id).where(
                        InboxRow.channel == channel, col(InboxRow.update_id).in_(ids)
                    )
                ).all()
            )
            now = utcnow()
            fresh = {u for u in ids if u not in known}
            for update_id, payload in updates:
                if update_id in fresh:
                    session.add(
                        InboxRow(
                            channel=channel, update_id=update_id, payload=payload, received_at=now
                        )
                    )
            session.commit()
        return fresh

    def inbox_pending(self, channel: str) -> list[tuple[int, dict[str, Any]]]:
        """Updates kept but not yet handled (a crash came between), oldest first."""
        with Session(self.reads) as session:
            rows = session.exec(
                select(InboxRow)
                .where(InboxRow.channel == channel, col(InboxRow.done_at).is_(None))
                .order_by(col(InboxRow.update_id))
            ).all()
            return [(row.update_id, dict(row.payload)) for row in rows]

    def inbox_done(self, channel: str, update_id: int) -> None:
        with Session(self.engine) as session:
            row = session.exec(
                select(InboxRow).where(InboxRow.channel == channel, InboxRow.update_id == update_id)
            ).first()
            if row is not None and row.done_at is None:
                row.done_at = utcnow()
                session.add(row)
                session.commit()

    def prune(self, before: datetime) -> dict[str, int]:
        """Forget the bookkeeping of updates handled before `before`; return what was removed.

        Handled inbox rows (but each channel's newest, which gives the next fetch's
        offset) and the ids of processed updates: Telegram redelivers an update for a
        day at most. Tickets, conversations and the outbox's history are kept.
        """
        with Session(self.engine) as session:
            keep = [
                session.exec(
                    select(sa.func.max(InboxRow.update_id)).where(InboxRow.channel == channel)
                ).one()
                for channel in session.exec(select(InboxRow.channel).distinct()).all()
            ]
            inbox = session.execute(  # a DELETE: its result is a cursor's, with a rowcount
                sa.delete(InboxRow).where(
                    col(InboxRow.done_at).is_not(None),
                    col(InboxRow.done_at) < before,
                    col(InboxRow.update_id).not_in([k for k in keep if k is not None] or [-1]),
                )
            )
            processed = session.execute(
                sa.delete(ProcessedUpdateRow).where(col(ProcessedUpdateRow.created_at) < before)
            )
            session.commit()
        return {
            "inbox": cast("CursorResult[Any]", inbox).rowcount,
            "processed_update": cast("CursorResult[Any]", processed).rowcount,
        }

    def inbox_offset(self, channel: str) -> int | None:
        """The first update id not yet kept (to fetch from), or None."""
        with Session(self.reads) as session:
            last = session.exec(
                select(sa.func.max(InboxRow.update_id)).where(InboxRow.channel == channel)
            ).one()
        return None if last is None else int(last) + 1

    def attachment(self, attachment_id: int) -> tuple[str, str, bytes] | None:
        """A kept file: its name, content type and bytes."""
        with Session(self.reads) as session:
            row = session.get(AttachmentRow, attachment_id)
            return None if row is None else (row.filename, row.content_type, row.data)

    def staff_alert(self, code: str) -> StaffAlertRow | None:
        with Session(self.reads) as session:
            return session.exec(
                select(StaffAlertRow)
                .join(TicketRow, col(TicketRow.id) == col(StaffAlertRow.ticket_id))
                .where(TicketRow.code == code)
            ).first()

    def save_staff_alert(self, code: str, channel: str, ts: str) -> None:
        """Record where a ticket's alert is; two recording it at once (a late post and the
        retry that found it) both succeed."""
        for _ in range(2):
            with Session(self.engine) as session:
                ticket_id = session.exec(select(TicketRow.id).where(TicketRow.code == code)).one()
                assert ticket_id is not None
                row = session.get(StaffAlertRow, ticket_id) or StaffAlertRow(
                    ticket_id=ticket_id, channel=channel, ts=ts
                )
                row.channel, row.ts = channel, ts
                session.add(row)
                try:
                    session.commit()
                    return
                except IntegrityError:  # the other one inserted it first: update theirs
                    session.rollback()

    def assign(self, code: str, assignee: str) -> None:
        with Session(self.engine) as session:
            row = session.exec(
                select(StaffAlertRow)
                .join(TicketRow, col(TicketRow.id) == col(StaffAlertRow.ticket_id))
                .where(TicketRow.code == code)
            ).first()
            if row is not None:
                row.assignee = assignee
                session.add(row)
                session.commit()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        # A turn reads and writes its conversation with plain statements on one connection;
        # the ORM session (its own cost on every turn) is made only when a step needs it.
        with self.engine.connect() as connection, connection.begin():
            tx = _SqlTx(connection)
            try:
                yield tx
                tx.flush()
            finally:
                tx.close()

    def ticket(self, code: str) -> dict[str, Any] | None:
        with Session(self.reads) as session:
            row = session.exec(select(TicketRow).where(TicketRow.code == code.upper())).first()
            return None if row is None else _ticket_json(session, row)

    def tickets(self, user: str | None = None) -> list[dict[str, Any]]:
        with Session(self.reads) as session:
            query = select(TicketRow).order_by(TicketRow.id)  # type: ignore[arg-type]
            if user is not None:
                query = query.where(TicketRow.user_id == user)
            return [_ticket_json(session, row) for row in session.exec(query)]


# The conversation row is read and written on every turn: plain statements,
# built once, keep a turn well under a millisecond of database work.
_CONV = ConversationRow.__table__  # type: ignore[attr-defined]
_LOAD_CONV = (
    sa.select(_CONV.c.id, _CONV.c.data)
    .where(_CONV.c.channel == sa.bindparam("b_channel"), _CONV.c.user_id == sa.bindparam("b_user"))
    .with_for_update()
)
_UPDATE_CONV = (
    sa.update(_CONV)
    .where(_CONV.c.id == sa.bindparam("b_id"))
    .values(
        state=sa.bindparam("b_state"),
        language=sa.bindparam("b_language"),
        data=sa.bindparam("b_data"),
        updated_at=sa.bindparam("b_updated_at"),
    )
)
_INSERT_CONV = sa.insert(_CONV)
_TICKET = TicketRow.__table__  # type: ignore[attr-defined]
_OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
_PROCESSED = ProcessedUpdateRow.__table__  # type: ignore[attr-defined]
_OPEN_TICKETS = (
    sa.select(_TICKET)
    .where(
        _TICKET.c.channel == sa.bindparam("b_channel"),
        _TICKET.c.user_id == sa.bindparam("b_user"),
        _TICKET.c.status.in_(OPEN_STATUSES),
    )
    .order_by(_TICKET.c.id.desc())
)
_UPSERTS: dict[str, Callable[[sa.Table], Any]] = {
    "sqlite": sqlite_dialect.insert,
    "postgresql": postgresql_dialect.insert,
}


@lru_cache(maxsize=16)
def _insert_new_statement(dialect: str, table: sa.Table, key: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, built once; None elsewhere."""
    insert = _UPSERTS.get(dialect)
    if insert is None:
        return None
    return insert(table).on_conflict_do_nothing(index_elements=key).returning(table.c.id)


class _SqlTx(Tx):
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self._session: Session | None = None
        self._ids: dict[tuple[str, str], int] = {}

    @property
    def session(self) -> Session:
        """An ORM session inside the transaction's connection, made at first use."""
        if self._session is None:
            self._session = Session(
                bind=self.connection,
                expire_on_commit=False,
                join_transaction_mode="rollback_only",
            )
        return self._session

    def flush(self) -> None:
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def load_conversation(self, channel: str, user: str) -> Conversation | None:
        found = self.connection.execute(_LOAD_CONV, {"b_channel": channel, "b_user": user}).first()
        if found is None:
            return None
        self._ids[channel, user] = found.id
        return Conversation.model_validate_json(found.data)

    def save_conversation(self, conv: Conversation) -> None:
        key = (conv.channel, conv.user)
        if key not in self._ids:
            self.load_conversation(*key)
        values = {"state": conv.state, "language": conv.language, "data": conv.model_dump_json()}
        connection = self.connection
        if key in self._ids:
            connection.execute(
                _UPDATE_CONV,
                {f"b_{k}": v for k, v in values.items()}
                | {"b_id": self._ids[key], "b_updated_at": utcnow()},
            )
        else:
            result = connection.execute(
                _INSERT_CONV,
                {"channel": conv.channel, "user_id": conv.user, "updated_at": utcnow(), **values},
            )
            inserted = result.inserted_primary_key
            assert inserted is not None
            self._ids[key] = inserted[0]

    def open_tickets(self, channel: str, user: str) -> list[TicketRef]:
        rows = self.connection.execute(_OPEN_TICKETS, {"b_channel": channel, "b_user": user})
        return [_ref(row) for row in rows]

    def create_ticket(self, draft: TicketDraft, new_code: Callable[[], str]) -> TicketRef:
        now = utcnow()
        values: dict[str, Any] = {
            "category": draft.category,
            "team": draft.team,
            "priority": draft.priority,
            "status": "open",
            "language": draft.language,
            "channel": draft.channel,
            "user_id": draft.user,
            "topic": draft.topic,
            "mailbox": draft.fields.get("mailbox"),
            "domain": draft.fields.get("domain"),
            "direction": draft.fields.get("direction"),
            "fields": draft.fields,
            "dns": draft.fields.get("dns"),
            "created_at": now,
            "updated_at": now,
        }
        for _ in range(50):
            row = TicketRow(code=new_code(), **values)
            ticket_id = self._insert_new(_TICKET, {"code": row.code, **values}, "code")
            if ticket_id is None:
                continue  # drawn before, or by a concurrent turn in the meantime
            row.id = ticket_id
            self._link_attachments(row, draft)
            return _ref(row)
        raise RuntimeError("could not draw a free ticket code in 50 attempts")

    def _insert_new(self, table: sa.Table, values: dict[str, Any], *key: str) -> int | None:
        """Insert a row unless one with the same `key` is there; return its id, or None.

        SQLite and PostgreSQL skip the row in the statement itself (ON CONFLICT DO
        NOTHING): no savepoint, no query first. Other databases get a savepoint.
        """
        connection = self.connection
        statement = _insert_new_statement(connection.dialect.name, table, key)
        if statement is not None:
            found = connection.execute(statement, values).first()
            return None if found is None else int(found.id)
        try:
            with connection.begin_nested():
                result = connection.execute(sa.insert(table).values(values))
        except IntegrityError:
            return None
        inserted = result.inserted_primary_key
        return None if inserted is None else int(inserted[0])

    def customer_tickets(self, channel: str, user: str, limit: int = 20) -> list[TicketRef]:
        query = (
            select(TicketRow)
            .where(TicketRow.channel == channel, TicketRow.user_id == user)
            .order_by(TicketRow.id.desc())  # type: ignore[union-attr]
            .limit(limit)
        )
        return [_ref(row) for row in self.session.exec(query)]

    def save_attachment(
        self,
        channel: str,
        user: str,
        filename: str,
        content_type: str,
        data: bytes,
        ticket: str | None = None,
    ) -> int:
        ticket_id = None
        if ticket is not None:
            ticket_id = self.session.exec(
                select(TicketRow.id).where(TicketRow.code == ticket)
            ).one()
        row = AttachmentRow(
            ticket_id=ticket_id,
            channel=channel,
            user_id=user,
            filename=filename[:255],
            content_type=content_type[:128],
            size=len(data),
            data=data,
            created_at=utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def add_note(self, code: str, kind: str, body: dict[str, Any]) -> None:
        row = self.session.exec(select(TicketRow).where(TicketRow.code == code)).one()
        assert row.id is not None
        row.updated_at = utcnow()
        self.session.add(row)
        self.session.add(
            TicketNoteRow(ticket_id=row.id, kind=kind, body=body, created_at=row.updated_at)
        )
        self.session.flush()

    def set_status(self, code: str, status: str) -> tuple[str, str] | None:
        row = self.session.exec(
            select(TicketRow).where(TicketRow.code == code.upper()).with_for_update()
        ).first()
        if row is None:
            return None
        row.status = status
        row.updated_at = utcnow()
        self.session.add(row)
        self.session.flush()
        return row.channel, row.user_id

    def ticket_team(self, code: str) -> str:
        return self.session.exec(select(TicketRow.team).where(TicketRow.code == code)).one()

    def enqueue(
        self, kind: str, key: str, target: str, payload: dict[str, Any], delay: float = 0.0
    ) -> None:
        now = utcnow()
        values = {
            "key": key,
            "kind": kind,
            "target": target,
            "payload": payload,
            "attempts": 0,
            "next_at": now + timedelta(seconds=delay),
            "created_at": now,
            "maybe_sent": False,
        }
        self._insert_new(_OUTBOX, values, "key")  # None: said already

    def first_time(self, channel: str, key: str) -> bool:
        values = {"channel": channel, "update_key": key, "created_at": utcnow()}
        return self._insert_new(_PROCESSED, values, "channel", "update_key") is not None

    def _link_attachments(self, row: TicketRow, draft: TicketDraft) -> None:
        ids = [int(i) for i in draft.fields.get("attachments") or ()]
        if not ids:
            return
        self.connection.execute(
            sa.update(AttachmentRow)
            .where(
                col(AttachmentRow.id).in_(ids),
                col(AttachmentRow.channel) == draft.channel,
                col(AttachmentRow.user_id) == draft.user,
            )
            .values(ticket_id=row.id)
        )

    def add_ticket_details(self, code: str, draft: TicketDraft) -> TicketRef:
        row = self.session.exec(
            select(TicketRow).where(TicketRow.code == code).with_for_update()
        ).one()
        self._link_attachments(row, draft)
        examples = list(row.fields.get("examples", []))
        for ex in draft.fields.get("examples", []):
            if ex not in examples:
                examples.append(ex)
        row.fields = {**row.fields, "examples": examples}
        row.updated_at = utcnow()
        assert row.id is not None
        self.session.add(row)
        self.session.add(
            TicketNoteRow(
                ticket_id=row.id,
                kind="details",
                body={"language": draft.language, "fields": draft.fields},
                created_at=row.updated_at,
            )
        )
        self.session.flush()
        return _ref(row, appended=True)


def _ref(row: TicketRow | sa.Row[Any], appended: bool = False) -> TicketRef:
    direction = row.direction if row.direction in ("send", "receive", "both") else None
    action = row.fields.get("action")
    return TicketRef(
        code=row.code,
        category=row.category,
        priority=row.priority,
        topic=row.topic,
        mailbox=row.mailbox,
        domain=row.domain,
        direction=direction,  # type: ignore[arg-type]
        action=action if action in ("create", "delete") else None,
        status=row.status,
        appended=appended,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _ticket_json(session: Session, row: TicketRow) -> dict[str, Any]:
    f = row.fields
    notes = session.exec(
        select(TicketNoteRow).where(TicketNoteRow.ticket_id == row.id).order_by(TicketNoteRow.id)  # type: ignore[arg-type]
    )
    return {
        "code": row.code,
        "category": row.category,
        "team": row.team,
        "priority": row.priority,
        "status": row.status,
        "language": row.language,
        "channel": row.channel,
        "user": row.user_id,
        "topic": row.topic,
        "mailbox": f.get("mailbox"),
        "domain": f.get("domain"),
        "direction": f.get("direction"),
        "smtp_is_provider": f.get("smtp_is_provider"),
        "webmail_fails": f.get("webmail_fails"),
        "addresses": f.get("addresses"),
        "client": f.get("client"),
        "client_name": f.get("client_name"),
        "error_text": f.get("error_text"),
        "examples": f.get("examples", []),
        "action": f.get("action"),
        "other_topic": f.get("other_topic"),
        "description": f.get("description"),
        "dns": row.dns,
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in session.exec(
                select(AttachmentRow)
                .where(AttachmentRow.ticket_id == row.id)
                .order_by(AttachmentRow.id)  # type: ignore[arg-type]
            )
        ],
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "notes": [{"kind": n.kind, "at": _iso(n.created_at), **n.body} for n in notes],
    }


def code_factory(draw: Callable[[random.Random], str]) -> Callable[[], str]:
    """Bind a code drawer to a system-random source."""
    rng = random.SystemRandom()
    return lambda: draw(rng)
