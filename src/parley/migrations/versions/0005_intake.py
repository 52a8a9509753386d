"""intake: sources are unique per space, not per process

Revision ID: 0005_intake
Revises: 0002
Create Date: 2026-11-27 08:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_intake"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sources_process_id_content_hash", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_sources_process_id_space_content_hash"),
            ["process_id", "space", "content_hash"],
        )


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sources_process_id_space_content_hash", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_sources_process_id_content_hash"), ["process_id", "content_hash"]
        )
