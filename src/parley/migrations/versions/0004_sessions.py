"""sessions: carried passages, carry-overs, last visits

Revision ID: 0004_sessions
Revises: 0002
Create Date: 2026-11-26 08:02:46.737707
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_sessions"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "last_visits",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["processes.id"],
            name=op.f("fk_last_visits_process_id_processes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_last_visits_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_last_visits")),
        sa.UniqueConstraint(
            "user_id", "process_id", name=op.f("uq_last_visits_user_id_process_id")
        ),
    )
    with op.batch_alter_table("last_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_last_visits_process_id"), ["process_id"], unique=False)

    op.create_table(
        "carried_passages",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attribution", sa.String(length=200), nullable=False),
        sa.Column("carried_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("space", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["processes.id"],
            name=op.f("fk_carried_passages_process_id_processes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_carried_passages_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_carried_passages_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carried_passages")),
    )
    with op.batch_alter_table("carried_passages", schema=None) as batch_op:
        for column in ("process_id", "room_id", "session_id", "space"):
            batch_op.create_index(
                batch_op.f(f"ix_carried_passages_{column}"), [column], unique=False
            )

    op.create_table(
        "carries",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("passage_id", sa.Uuid(), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("source_room_id", sa.Uuid(), nullable=True),
        sa.Column("source_party_id", sa.Uuid(), nullable=True),
        sa.Column("target_room_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "attribution",
            sa.Enum("attributed", "unattributed", name="attribution", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("carried_by_id", sa.Uuid(), nullable=True),
        sa.Column("carried_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("space", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["carried_by_id"], ["users.id"], name=op.f("fk_carries_carried_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["passage_id"],
            ["carried_passages.id"],
            name=op.f("fk_carries_passage_id_carried_passages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["processes.id"],
            name=op.f("fk_carries_process_id_processes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_carries_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_party_id"], ["parties.id"], name=op.f("fk_carries_source_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["source_room_id"],
            ["rooms.id"],
            name=op.f("fk_carries_source_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_room_id"],
            ["rooms.id"],
            name=op.f("fk_carries_target_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carries")),
    )
    with op.batch_alter_table("carries", schema=None) as batch_op:
        for column in ("process_id", "session_id", "space"):
            batch_op.create_index(batch_op.f(f"ix_carries_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("carries", schema=None) as batch_op:
        for column in ("space", "session_id", "process_id"):
            batch_op.drop_index(batch_op.f(f"ix_carries_{column}"))
    op.drop_table("carries")
    with op.batch_alter_table("carried_passages", schema=None) as batch_op:
        for column in ("space", "session_id", "room_id", "process_id"):
            batch_op.drop_index(batch_op.f(f"ix_carried_passages_{column}"))
    op.drop_table("carried_passages")
    with op.batch_alter_table("last_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_last_visits_process_id"))
    op.drop_table("last_visits")
