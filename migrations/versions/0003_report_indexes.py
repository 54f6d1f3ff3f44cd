"""indexes for attendance reports (scan: by day and by agenda item, index-only)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_scan_report_day",
        "scan",
        ["conference_id", "result", "direction", "scanned_at", "registration_id", "agenda_item_id"],
    )
    op.create_index("ix_scan_report_item", "scan", ["agenda_item_id", "registration_id", "result", "direction"])


def downgrade() -> None:
    op.drop_index("ix_scan_report_item", table_name="scan")
    op.drop_index("ix_scan_report_day", table_name="scan")
