"""scan.offline and scan.offline_conflict: scans a kiosk judged from its local copy while the
central database was out of reach, uploaded afterwards, and what the central database knew
at upload that the kiosk did not (issue 15)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offline", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("offline_conflict", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.drop_column("offline_conflict")
        batch_op.drop_column("offline")
