"""Accounts that can be switched off, and keys that can be purged.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Why: a user who leaves must lose access at once without losing the trace of
what they did (`disabled`, their tokens and sessions deleted); a user can also
be deleted outright. Idempotency keys and expired tokens are purged after a
stated window by the server's housekeeping, which needs their time indexed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["tenant", "created_at"])
    op.create_index("ix_api_tokens_expires", "api_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_expires", table_name="api_tokens")
    op.drop_index("ix_idempotency_keys_created", table_name="idempotency_keys")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled")
