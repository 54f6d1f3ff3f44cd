"""Loading a programme document into the database: `load_programme` reads what is stored
(`core.programme.stored`), plans the changes (`core.programme.plan`) and makes them
(`core.programme.write`), inside the caller's unit of work. A dry run, and a load that
changes nothing, only read: the diff is the same as a real load would report."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.programme.file_spec import ProgrammeDocument
from core.programme.plan import ProgrammeDiff, plan_load
from core.programme.stored import read_stored
from core.programme.write import write_plan


async def load_programme(
    session: AsyncSession,
    document: ProgrammeDocument,
    *,
    actor: str = "cli",
    dry_run: bool = False,
    clock: Clock = utc_now,
) -> ProgrammeDiff:
    """Upsert the conference, its delegations, people and agenda by their stable keys and
    return what changed. Nothing is written when nothing changed, or with `dry_run`.
    Raises `ProgrammeError` when the file would leave people in a deleted delegation."""
    now = clock()
    plan = plan_load(document, await read_stored(session, document))
    if not dry_run and not plan.diff.empty:
        await write_plan(session, plan, document, actor=actor, now=now)
    return plan.diff
