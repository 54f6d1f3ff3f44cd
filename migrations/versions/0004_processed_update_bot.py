"""seen updates keyed by bot and update id

Update ids are each bot's own sequence: keyed by update id alone, a second bot (a new token)
or a fresh Bot API server on the same database had its updates skipped as repeats.

Rows kept so far (at most a day's) get bot_id 0, "recorded before bot ids were kept": the
migration cannot know the bot (its token may live only in the bot's .env), so the bot claims
them when it starts, before handling any update (core.seen_updates.adopt_unattributed,
from bot.runner.prepare). That matters: polling confirms a getUpdates batch only with the
next call, so after the restart that upgrades Telegram delivers the last batch again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_update", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False, server_default=sa.text("0"))
        )
        batch_op.drop_constraint("pk_processed_update", type_="primary")
        batch_op.create_primary_key("pk_processed_update", ["bot_id", "update_id"])
    with op.batch_alter_table("processed_update", schema=None) as batch_op:
        batch_op.alter_column("bot_id", existing_type=sa.BigInteger(), existing_nullable=False, server_default=None)


def downgrade() -> None:
    # One sequence of ids again: keep the rows of the bot seen last (another bot's ids would
    # collide with them, and only one bot ran on a database before).
    op.execute(
        "DELETE FROM processed_update WHERE bot_id <> "
        "(SELECT bot_id FROM processed_update ORDER BY seen_at DESC LIMIT 1)"
    )
    with op.batch_alter_table("processed_update", schema=None) as batch_op:
        batch_op.drop_constraint("pk_processed_update", type_="primary")
        batch_op.drop_column("bot_id")
        batch_op.create_primary_key("pk_processed_update", ["update_id"])
