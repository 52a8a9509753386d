"""live updates: PostgreSQL notifies the web workers of every new audit event

A trigger on ``audit_events`` sends ``NOTIFY parley_audit, '<process id>'`` when an event is
written (at commit, once per process and transaction): each worker's one listening connection
tells the pages open on that process to look again (parley.audit.live). The payload names only
the process; what a page may learn is decided by the same scoped query as before. SQLite has no
notifications: its pages keep polling.

Revision ID: 0011_h18_live_notify
Revises: 0010_rls
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_h18_live_notify"
down_revision: str | Sequence[str] | None = "0010_rls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "parley_audit"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION parley_notify_audit() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', COALESCE(NEW.process_id::text, ''));
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_events_notify AFTER INSERT ON audit_events
        FOR EACH ROW EXECUTE FUNCTION parley_notify_audit()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_notify ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS parley_notify_audit()")
