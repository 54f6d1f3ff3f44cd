"""agenda_signup.waitlist_position becomes waitlist_ticket: it orders the waiting list; the
place in line is computed from the tickets still waiting (it was shown as stored and never
moved up)

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "waitlist_position", "waitlist_ticket"


def _rename(old: str, new: str) -> None:
    # The stored numbers keep their order, which is all a ticket needs.
    with op.batch_alter_table("agenda_signup", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_agenda_signup_{old}_iff_waitlisted"), type_="check")
        batch_op.drop_index("ix_agenda_signup_item_status")
        batch_op.alter_column(old, new_column_name=new)
    with op.batch_alter_table("agenda_signup", schema=None) as batch_op:  # the new name exists from here
        batch_op.create_check_constraint(
            op.f(f"ck_agenda_signup_{new}_iff_waitlisted"), f"(status = 'waitlisted') = ({new} IS NOT NULL)"
        )
        batch_op.create_index("ix_agenda_signup_item_status", ["agenda_item_id", "status", new], unique=False)


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
