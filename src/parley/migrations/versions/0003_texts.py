"""texts: amendment workflow fields, option provenance, bracket resolver

Revision ID: 0003_texts
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_texts"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("number", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("heading", sa.String(length=300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("parts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("result_version_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("bracket_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_amendments_decided_by_id_users"), "users", ["decided_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_amendments_result_version_id_versions"),
            "versions",
            ["result_version_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_amendments_bracket_id_brackets"), "brackets", ["bracket_id"], ["id"]
        )

    with op.batch_alter_table("bracket_options", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("amendment_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_bracket_options_amendment_id_amendments"),
            "amendments",
            ["amendment_id"],
            ["id"],
        )

    with op.batch_alter_table("brackets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_by_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_brackets_resolved_by_id_users"), "users", ["resolved_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("brackets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_brackets_resolved_by_id_users"), type_="foreignkey")
        batch_op.drop_column("resolved_by_id")

    with op.batch_alter_table("bracket_options", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_bracket_options_amendment_id_amendments"), type_="foreignkey"
        )
        batch_op.drop_column("amendment_id")
        batch_op.drop_column("created_at")

    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_amendments_bracket_id_brackets"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_amendments_result_version_id_versions"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_amendments_decided_by_id_users"), type_="foreignkey"
        )
        for column in (
            "bracket_id",
            "result_version_id",
            "decided_by_id",
            "decided_at",
            "submitted_at",
            "parts",
            "heading",
            "number",
        ):
            batch_op.drop_column(column)
