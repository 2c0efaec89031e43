"""Notification outbox: one row per (alert or throttle event, destination), and
the feed's cursor.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Why: alert e-mails and webhooks and their retries lived in memory, so a
restart lost them. Each notice owed is now a row (`store/outbox.py`), keyed
by the logged event's seq and the destination. The cursor of each center
already in the database is set to its last event, so that an upgraded
database does not send its whole alert history again.

Throttle decisions stay in `alert_history` as history rows; their shares are
now in the event log (`ThrottleDecided`) and the rows are read only once, to
migrate a throttle the log knows nothing of (see
docs/decisions/0023-throttle-decisions-and-outbox.md). No table is dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_outbox",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("notice_id", sa.Text(), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.Double(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("sent_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "seq", "destination", name="pk_notice_outbox"),
    )
    op.create_index("ix_notice_outbox_due", "notice_outbox", ["tenant", "status", "next_at"])
    cursor = op.create_table(
        "outbox_cursor",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_outbox_cursor"),
    )
    events = sa.table("events", sa.column("tenant", sa.Text()), sa.column("seq", sa.BigInteger()))
    op.execute(
        cursor.insert().from_select(
            ["tenant", "seq"],
            sa.select(events.c.tenant, sa.func.max(events.c.seq)).group_by(events.c.tenant),
        )
    )


def downgrade() -> None:
    op.drop_table("outbox_cursor")
    op.drop_index("ix_notice_outbox_due", table_name="notice_outbox")
    op.drop_table("notice_outbox")
