"""row-level security on every confidential table (PostgreSQL only)

Merges every branch so that all the tables exist. See parley.db.rls and docs/security.md.

Revision ID: 0010_rls
Revises: 0003_texts, 0004_sessions, 0005_intake, 0007b_positions_unique, 0008_checkpoints,
    0009b_webauthn
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_rls"
down_revision: str | Sequence[str] | None = (
    "0003_texts",
    "0004_sessions",
    "0005_intake",
    "0007b_positions_unique",
    "0008_checkpoints",
    "0009b_webauthn",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables with their own ``space`` column: a row is readable in its space, writable only there.
SPACED = (
    "amendments",
    "audit_checkpoints",
    "audit_events",
    "brackets",
    "carried_passages",
    "carries",
    "commitments",
    "documents",
    "evidence",
    "fulfilment_events",
    "milestones",
    "minutes",
    "notes",
    "package_shares",
    "parties",
    "people",
    "position_revisions",
    "positions",
    "proposals",
    "released_packages",
    "rooms",
    "sessions",
    "signatures",
    "sources",
    "statements",
    "status_claims",
    "steps",
    "sticking_points",
    "temporal_constraints",
    "versions",
)

# Tables without a space that are confidential through a parent: a row is visible when its
# parent(s) are. The EXISTS runs as the current user, so the parent's own policy applies.
THROUGH_PARENT: dict[str, tuple[tuple[str, str], ...]] = {
    "agenda_items": (("session_id", "sessions"),),
    "bracket_options": (("bracket_id", "brackets"),),
    "coalition_members": (("coalition_id", "parties"), ("member_id", "parties")),
    "commitment_links": (("commitment_id", "commitments"),),
    "delegations": (("party_id", "parties"),),
    "lineage": (("from_version_id", "versions"), ("to_version_id", "versions")),
    "minutes_approvals": (("minutes_id", "minutes"),),
    "option_supports": (("option_id", "bracket_options"),),
    "person_titles": (("person_id", "people"),),
    "provision_texts": (("version_id", "versions"),),
    "provisions": (("document_id", "documents"),),
    "session_participants": (("session_id", "sessions"),),
    "signing_keys": (("party_id", "parties"),),
    "statement_provisions": (("statement_id", "statements"),),
    "statement_signatories": (("statement_id", "statements"),),
    "statement_speakers": (("statement_id", "statements"),),
    "step_parties": (("step_id", "steps"),),
    "step_provisions": (("step_id", "steps"),),
    "sticking_point_provisions": (("sticking_point_id", "sticking_points"),),
    "version_parents": (("version_id", "versions"),),
}

# A provision has no space: it is visible when a version the actor sees contains it (as
# authz.visible_provision_ids says). It is written before its first text, so the write check
# asks for its document instead.
READ_OVERRIDE = {
    "provisions": "EXISTS (SELECT 1 FROM provision_texts "
    "WHERE provision_texts.provision_id = provisions.id)",
}

# Process records with neither a space nor a confidential parent: readable by the process's
# members (and by everyone once it is published). Anyone who may open the process records
# their own visit; memberships are written by members (an operator's account administration
# runs as the system).
PROCESS_WIDE = {
    "last_visits": "parley_rls_reads(process_id, 'public')",
    "memberships": "parley_rls_writes(process_id, 'public')",
}

# Account events (second factor, security keys, passwords) are in no process: the "system"
# chain. A request may append to it (its head is no secret of any party); only the system
# reads those events.
ACCOUNT_EVENT = "(process_id IS NULL AND space = 'system')"
HEAD_SPACE = (
    "CASE WHEN chain = 'system' THEN true "
    "ELSE parley_rls_{0}(split_part(chain, '/', 1)::uuid, substr(chain, 38)) END"
)

POLICY = "parley_rls"

# Function bodies are parsed when they run, under the caller's search_path, which pg_dump
# empties: every name in them is schema-qualified ({schema}). Policies are parsed once, here.
FUNCTIONS = """
CREATE FUNCTION {schema}.parley_rls_tokens() RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT string_to_array(coalesce(current_setting('parley.spaces', true), ''), ',')
$$;

CREATE FUNCTION {schema}.parley_rls_system() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('parley.spaces', true), '') = '*'
$$;

-- May the transaction write a row of process p in space s? (its own spaces only)
CREATE FUNCTION {schema}.parley_rls_writes(p uuid, s text) RETURNS boolean LANGUAGE sql STABLE
AS $$
    SELECT {schema}.parley_rls_system()
        OR (p::text || '|' || s) = ANY({schema}.parley_rls_tokens())
        OR (s LIKE 'party:%+mediator'
            AND (p::text || '|mediator') = ANY({schema}.parley_rls_tokens()))
$$;

-- May it read one? Its own spaces, and the public records of a published process.
CREATE FUNCTION {schema}.parley_rls_reads(p uuid, s text) RETURNS boolean LANGUAGE sql STABLE
AS $$
    SELECT {schema}.parley_rls_writes(p, s)
        OR (s = 'public' AND EXISTS (SELECT 1 FROM {schema}.processes WHERE id = p AND published))
$$;
"""


def _enable(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    op.execute(FUNCTIONS.format(schema=schema))
    for table in SPACED:
        _enable(table)
        check = "parley_rls_writes(process_id, space)"
        if table == "audit_events":
            check = f"{check} OR {ACCOUNT_EVENT}"
        op.execute(
            f"CREATE POLICY {POLICY} ON {table} "
            f"USING (parley_rls_reads(process_id, space)) WITH CHECK ({check})"
        )
    # A chain's head (its length and newest hash) is as confidential as the chain's space:
    # "<process id>/<space>", the id being 36 characters.
    _enable("audit_heads")
    op.execute(
        f"CREATE POLICY {POLICY} ON audit_heads USING ({HEAD_SPACE.format('reads')}) "
        f"WITH CHECK ({HEAD_SPACE.format('writes')})"
    )
    for table, parents in THROUGH_PARENT.items():
        _enable(table)
        condition = " AND ".join(
            # Names from the constants above, not input.
            f"EXISTS (SELECT 1 FROM {parent} WHERE {parent}.id = {table}.{column})"  # noqa: S608
            for column, parent in parents
        )
        read = READ_OVERRIDE.get(table, condition)
        op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({read}) WITH CHECK ({condition})")
    for table, check in PROCESS_WIDE.items():
        _enable(table)
        op.execute(
            f"CREATE POLICY {POLICY} ON {table} "
            f"USING (parley_rls_reads(process_id, 'public')) WITH CHECK ({check})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*SPACED, "audit_heads", *THROUGH_PARENT, *PROCESS_WIDE):
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for function in (
        "parley_rls_reads(uuid, text)",
        "parley_rls_writes(uuid, text)",
        "parley_rls_system()",
        "parley_rls_tokens()",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
