"""ledger books: overrun reasons and explicit currency conversions on fulfilment events

Revision ID: 0011_h13l_ledger
Revises: 0010_rls
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_h13l_ledger"
down_revision: str | None = "0010_rls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fulfilment_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overrun_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("rate", sa.Numeric(20, 10), nullable=True))
        batch_op.add_column(sa.Column("rate_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("rate_source", sa.String(length=300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("fulfilment_events", schema=None) as batch_op:
        batch_op.drop_column("rate_source")
        batch_op.drop_column("rate_on")
        batch_op.drop_column("rate")
        batch_op.drop_column("overrun_reason")
