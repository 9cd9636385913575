"""Outbox rows that failed too often are set aside (dead-lettered) instead of blocking;
a row whose earlier try may have reached the receiver says so (`maybe_sent`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:09:23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_dead_at", "outbox", ["dead_at"])
    op.add_column(
        "outbox",
        sa.Column("maybe_sent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("outbox", "maybe_sent")
    op.drop_index("ix_outbox_dead_at", table_name="outbox")
    op.drop_column("outbox", "dead_at")
