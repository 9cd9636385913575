"""The tables: conversations, tickets and what happens to tickets afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    LargeBinary,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class ConversationRow(SQLModel, table=True):
    """One customer's conversation on one channel, saved after every turn."""

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("channel", "user_id", name="uq_conversation_user"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    user_id: str = Field(max_length=128)
    state: str = Field(max_length=64)
    language: str = Field(max_length=8)
    data: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class TicketRow(SQLModel, table=True):
    """A ticket: one problem of one service, with everything collected for it."""

    __tablename__ = "ticket"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    category: str = Field(max_length=32)
    team: str = Field(max_length=16)
    priority: str = Field(max_length=8)
    status: str = Field(max_length=16, index=True)
    language: str = Field(max_length=8)
    channel: str = Field(max_length=32)
    user_id: str = Field(max_length=128, index=True)
    topic: str = Field(max_length=32)
    mailbox: str | None = Field(default=None, max_length=320)
    domain: str | None = Field(default=None, max_length=253)
    direction: str | None = Field(default=None, max_length=8)
    fields: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    dns: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class TicketNoteRow(SQLModel, table=True):
    """Something added to a ticket after it was opened: details, a status change."""

    __tablename__ = "ticket_note"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=16)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AttachmentRow(SQLModel, table=True):
    """A file a customer sent (a screenshot of the error), kept with its ticket."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    channel: str = Field(max_length=32)
    user_id: str = Field(max_length=128)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=128)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ProcessedUpdateRow(SQLModel, table=True):
    """An update a channel has already handled (Telegram may deliver one twice)."""

    __tablename__ = "processed_update"
    __table_args__ = (UniqueConstraint("channel", "update_key", name="uq_processed_update"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    update_key: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class OutboxRow(SQLModel, table=True):
    """Something to deliver (a staff alert, a message to a customer), written with its cause.

    The row is written in the same transaction as the ticket or the status
    change it announces, so nothing is announced that did not happen and
    nothing that happened goes unannounced. The sender delivers rows in `id`
    order per `target`, retrying with back-off; a row that failed too often is
    set aside (`dead_at`) so that it no longer holds back its target's later
    rows, and waits for `sportello outbox retry`.
    """

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, unique=True)  # one row per thing to say
    kind: str = Field(max_length=32)
    target: str = Field(max_length=128, index=True)  # who receives it, for ordering
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    next_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True, index=True)
    )
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    dead_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True, index=True)
    )
    # An earlier try may have reached the receiver (its answer was lost): look before saying
    # it again. False when every failure was a refusal that did nothing.
    maybe_sent: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class InboxRow(SQLModel, table=True):
    """An update fetched from a channel (Telegram), kept before it is confirmed there.

    Telegram forgets an update once the next fetch confirms it: kept here first,
    an update a crash interrupted is handled after the restart (`done_at` unset).
    """

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "update_id", name="uq_inbox_update"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    update_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    done_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True, index=True)
    )


class StaffAlertRow(SQLModel, table=True):
    """Where a ticket's alert stands in the staff chat, and who took the ticket."""

    __tablename__ = "staff_alert"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    channel: str = Field(max_length=64)
    ts: str = Field(max_length=64)
    assignee: str | None = Field(default=None, max_length=128)
