"""attendance_day, attendance_tally and attendance_fold: one row per registration and
conference-local day it was checked in (first and last accepted entry) and one per day with
its scan counts, folded from the scans before a report reads them, so /stats, the
delegation and the day reports count rows instead of de-duplicating or counting a day's
~180,000 entries (issue 17). Empty here: the first report of a conference folds its scans
(core/reporting/summary.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance_fold",
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conference_id"], ["conference.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conference_id"),
    )
    op.create_table(
        "attendance_day",
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("first_in", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_in", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conference_id"], ["conference.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["registration_id"], ["registration.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conference_id", "day", "registration_id"),
    )
    op.create_index("ix_attendance_day_registration", "attendance_day", ["registration_id", "day"])
    op.create_table(
        "attendance_tally",
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["conference_id"], ["conference.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conference_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("attendance_tally")
    op.drop_index("ix_attendance_day_registration", table_name="attendance_day")
    op.drop_table("attendance_day")
    op.drop_table("attendance_fold")
