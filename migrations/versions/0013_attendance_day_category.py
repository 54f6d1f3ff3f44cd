"""attendance_day.category and delegation_id, copies of the registration's kept by the
database, and two indexes for /stats and the delegation report on SQLite (issue 17):

- attendance_day (conference_id, day, delegation_id, category): a day's people checked in by
  delegation and category from this index alone. Before, each report looked up the ~48,000
  registrations of the day by id (~20 ms on SQLite at 50,000 registrations, 3x COUNT(*)).
- registration (conference_id, category, status): registrations by category and status in
  index order (SQLite sorted 50,000 entries of ix_registration_report for the GROUP BY).
- registration (conference_id, id, delegation_id, category): a conference's registrations in
  id order, for who is inside now: each presence row looked up (keyed by registration id) is
  then the one after the last, which SQLite steps to instead of searching (15 -> 9 ms).

The copies are written with each row by core.reporting.summary (read from registration in
the same statement), and rewritten by a trigger when a registration changes, so that every
writer of registration keeps them right (an edit, a re-registration, the import's bulk
UPDATE, a delegation deleted: ON DELETE SET NULL fires registration's UPDATE triggers on both
databases): `attendance_day_follow`, AFTER UPDATE OF category, delegation_id ON registration,
when either changed: that registration's rows (ix_attendance_day_registration). On
PostgreSQL it first waits for a fold of the conference in progress (the attendance_fold
row's lock, which a fold holds until it commits): a fold reads the registration before this
change commits, and its rows, not yet committed, would be missed by the UPDATE. On SQLite
every writer holds the database's write lock (BEGIN IMMEDIATE): nothing runs meanwhile.
A later migration that rebuilds registration on SQLite (batch mode: copy, drop, rename) drops
this trigger with the old table and must create it again
(tests/migrations/test_attendance_day_copies.py checks it exists at head).
(A trigger filling each inserted row instead doubled the summary's rebuild and added
2-3 ms to a fold of 200 scans on PostgreSQL.)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = ("head_of_delegation", "delegate", "speaker", "expert", "press", "observer", "staff")

SQLITE = [
    """
    CREATE TRIGGER attendance_day_follow AFTER UPDATE OF category, delegation_id ON registration
    WHEN OLD.category IS NOT NEW.category OR OLD.delegation_id IS NOT NEW.delegation_id
    BEGIN
        UPDATE attendance_day SET category = NEW.category, delegation_id = NEW.delegation_id
        WHERE registration_id = NEW.id;
    END
    """,
]

POSTGRESQL = [
    """
    CREATE FUNCTION attendance_day_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- a fold of the conference in progress (it holds the fold row's lock) may be writing
        -- this registration's rows with what it read before this change: wait for it to
        -- commit, so that the UPDATE below sees them (a first fold's row: its insert is waited for)
        INSERT INTO attendance_fold (conference_id, scan_id, timezone, pending)
        VALUES (NEW.conference_id, 0, '', '[]') ON CONFLICT DO NOTHING;
        PERFORM 1 FROM attendance_fold WHERE conference_id = NEW.conference_id FOR UPDATE;
        UPDATE attendance_day SET category = NEW.category, delegation_id = NEW.delegation_id
        WHERE registration_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER attendance_day_follow AFTER UPDATE OF category, delegation_id ON registration
    FOR EACH ROW
    WHEN (OLD.category IS DISTINCT FROM NEW.category OR OLD.delegation_id IS DISTINCT FROM NEW.delegation_id)
    EXECUTE FUNCTION attendance_day_follow()
    """,
]


def upgrade() -> None:
    with op.batch_alter_table("attendance_day", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "category",
                sa.Enum(
                    *CATEGORIES,
                    name="attendance_day_category",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("delegation_id", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE attendance_day SET
            category = (SELECT r.category FROM registration AS r WHERE r.id = attendance_day.registration_id),
            delegation_id = (SELECT r.delegation_id FROM registration AS r WHERE r.id = attendance_day.registration_id)
        """
    )
    with op.batch_alter_table("attendance_day", schema=None) as batch_op:
        batch_op.alter_column("category", existing_type=sa.String(length=24), nullable=False)
    op.create_index("ix_attendance_day_report", "attendance_day", ["conference_id", "day", "delegation_id", "category"])
    op.create_index("ix_registration_category_status", "registration", ["conference_id", "category", "status"])
    op.create_index("ix_registration_id_report", "registration", ["conference_id", "id", "delegation_id", "category"])
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER attendance_day_follow ON registration")
        op.execute("DROP FUNCTION attendance_day_follow()")
    else:
        op.execute("DROP TRIGGER attendance_day_follow")
    op.drop_index("ix_registration_id_report", table_name="registration")
    op.drop_index("ix_registration_category_status", table_name="registration")
    op.drop_index("ix_attendance_day_report", table_name="attendance_day")
    with op.batch_alter_table("attendance_day", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_attendance_day_attendance_day_category"), type_="check")
        batch_op.drop_column("delegation_id")
        batch_op.drop_column("category")
