"""positions: one position per party and provision (or option of it)

Two concurrent requests could each find no position and both insert one. A unique index now
refuses the second (the service answers 409). A provision-wide position has no option, and
NULLs never collide in a unique index, so there are two partial indexes: one for positions on
a provision as a whole, one for positions on one of its options.

Revision ID: 0007b_positions_unique
Revises: 0007_positions
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007b_positions_unique"
down_revision: str | None = "0007_positions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHOLE = "uq_positions_party_id_provision_id"
OPTION = "uq_positions_party_id_provision_id_option_id"


def upgrade() -> None:
    twice = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT party_id, provision_id, option_id, count(*) FROM positions "
                "GROUP BY party_id, provision_id, option_id HAVING count(*) > 1"
            )
        )
        .all()
    )
    if twice:
        # Never pick one for the operator: each duplicate has its own audited history.
        listed = "; ".join(
            f"party {p} provision {v} option {o or '-'} ({n} rows)" for p, v, o, n in twice[:10]
        )
        raise RuntimeError(
            f"positions: {len(twice)} party/provision pair(s) hold more than one position "
            f"({listed}). Keep one of each (move the others' content into it through Parley, "
            f"then delete them) and run the upgrade again."
        )
    where_whole = sa.text("option_id IS NULL")
    where_option = sa.text("option_id IS NOT NULL")
    op.create_index(
        WHOLE,
        "positions",
        ["party_id", "provision_id"],
        unique=True,
        sqlite_where=where_whole,
        postgresql_where=where_whole,
    )
    op.create_index(
        OPTION,
        "positions",
        ["party_id", "provision_id", "option_id"],
        unique=True,
        sqlite_where=where_option,
        postgresql_where=where_option,
    )


def downgrade() -> None:
    op.drop_index(OPTION, table_name="positions")
    op.drop_index(WHOLE, table_name="positions")
