"""The by-session report's people per item, folded (issue 17):

- attendance_item_person: one row per registration scanned in at an agenda item (accepted
  hall entries), folded by core.reporting.summary with attendance_day;
- attendance_item: per item, how many such rows there are; a trigger lowers it when a row
  is deleted (a registration deleted: its rows go by the foreign key's cascade).

The by-session report then reads each item's people from attendance_item plus the entries
not folded yet, instead of counting distinct people over the item's entries (SQLite, 50,000
registrations / 500,000 scans: ~10 ms, the report's largest part).

Every conference's fold row is deleted: the next report rebuilds its summary from the scans,
these tables included (a rebuild is what a first fold is; the fold row's watermark says
what attendance_day holds, and these tables start empty).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE = [
    """
    CREATE TRIGGER attendance_item_person_gone AFTER DELETE ON attendance_item_person
    BEGIN
        UPDATE attendance_item SET people = people - 1 WHERE agenda_item_id = OLD.agenda_item_id;
    END
    """,
]

POSTGRESQL = [
    """
    CREATE FUNCTION attendance_item_person_gone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE attendance_item SET people = people - 1 WHERE agenda_item_id = OLD.agenda_item_id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER attendance_item_person_gone AFTER DELETE ON attendance_item_person
    FOR EACH ROW EXECUTE FUNCTION attendance_item_person_gone()
    """,
]


def upgrade() -> None:
    op.create_table(
        "attendance_item_person",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["registration.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("registration_id", "agenda_item_id"),
    )
    op.create_table(
        "attendance_item",
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["conference_id"], ["conference.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agenda_item_id"),
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.execute("DELETE FROM attendance_fold")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER attendance_item_person_gone ON attendance_item_person")
        op.execute("DROP FUNCTION attendance_item_person_gone()")
    op.drop_table("attendance_item")
    op.drop_table("attendance_item_person")
