"""language versions: a document's authentic languages, texts per language, pending translations

Revision ID: 0012_e15_languages
Revises: 0010_rls
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_e15_languages"
down_revision: str | None = "0010_rls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("provision_languages", "pending_translations")


def _per_language(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("provision_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["process_id"], ["processes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["provision_id"], ["provisions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "provision_id", "language"),
    )
    op.create_index(f"ix_{name}_process_id", name, ["process_id"])
    op.create_index(f"ix_{name}_version_id", name, ["version_id"])


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("languages", sa.String(length=64), nullable=False, server_default="en")
        )
        batch_op.add_column(
            sa.Column("translations", sa.String(length=64), nullable=False, server_default="")
        )
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language_override", sa.Text(), nullable=False, server_default="")
        )
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="")
        )
    _per_language(
        "provision_languages",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("heading", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("parent_provision_id", sa.Uuid(), sa.ForeignKey("provisions.id"), nullable=True),
    )
    _per_language(
        "pending_translations",
        sa.Column("changed_in", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Confidential through their version, like provision_texts (see 0010_rls).
        for table in NEW_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            condition = f"EXISTS (SELECT 1 FROM versions WHERE versions.id = {table}.version_id)"  # noqa: S608
            op.execute(
                f"CREATE POLICY parley_rls ON {table} USING ({condition}) WITH CHECK ({condition})"
            )


def downgrade() -> None:
    for table in NEW_TABLES:
        op.drop_table(table)
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_column("language_override")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("languages")
