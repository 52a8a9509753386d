"""record states in audit events; second-factor failure counts; notices to account holders

Revision ID: 0011_h14_hardening
Revises: 0010_rls
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_h14_hardening"
down_revision: str | Sequence[str] | None = "0010_rls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=64), nullable=True))
    op.create_table(
        "secret_failures",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_failures")),
    )
    with op.batch_alter_table("secret_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_secret_failures_user_id"), ["user_id"])
        batch_op.create_index(batch_op.f("ix_secret_failures_address"), ["address"])
        batch_op.create_index(batch_op.f("ix_secret_failures_at"), ["at"])
    op.create_table(
        "account_notices",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_notices")),
    )
    with op.batch_alter_table("account_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_notices_user_id"), ["user_id"])


def downgrade() -> None:
    op.drop_table("account_notices")
    op.drop_table("secret_failures")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("state")
