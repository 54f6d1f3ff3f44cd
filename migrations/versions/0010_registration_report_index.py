"""index for reports by delegation and category: registration (conference_id, delegation_id,
category, status), so /stats and the delegation report count from the index alone and join
presence from it (SQLite otherwise walked ix_registration_delegation_status for its order
and read every row; issue 17)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_registration_report", "registration", ["conference_id", "delegation_id", "category", "status"])


def downgrade() -> None:
    op.drop_index("ix_registration_report", table_name="registration")
