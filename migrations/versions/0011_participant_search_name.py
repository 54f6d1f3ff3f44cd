"""participant.search_name: the folded names /find looks words up in (core.text.name_key),
so a search filters in SQL instead of folding every registration's names in Python
(issue 17); filled here for the people already stored

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.text import name_key

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_participant = sa.table(
    "participant",
    sa.column("id", sa.Integer),
    sa.column("full_name", sa.String),
    sa.column("native_name", sa.String),
    sa.column("telegram_username", sa.String),
    sa.column("search_name", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_name", sa.Text(), server_default="", nullable=False))
    conn = op.get_bind()
    people = conn.execute(
        sa.select(
            _participant.c.id, _participant.c.full_name, _participant.c.native_name, _participant.c.telegram_username
        )
    ).all()
    keys = [{"pid": pid, "key": name_key(full, native, username)} for pid, full, native, username in people]
    if keys:
        conn.execute(
            _participant.update()
            .where(_participant.c.id == sa.bindparam("pid"))
            .values(search_name=sa.bindparam("key")),
            keys,
        )


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("search_name")
