"""Alert history: every alert raised or cleared, with its delivery outcomes.

Revision ID: 0003
Revises: 0002
Create Date: 2024-06-02

Why a table: a supervisor (and an outsourcer's account manager) must be able
to see which thresholds were crossed, when, and whether the webhook and the
e-mail got through, long after the control tower showed it. The primary key
is the alert event's id, so the same event is never recorded twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_history",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("alert_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("deliveries", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_alert_history"),
    )
    op.create_index("ix_alert_history_at", "alert_history", ["tenant", "at"])


def downgrade() -> None:
    op.drop_index("ix_alert_history_at", table_name="alert_history")
    op.drop_table("alert_history")
