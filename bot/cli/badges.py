"""`confdesk badges print|reissue|link`: print-ready PDFs and badge codes (no aiogram)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, err_console, fail, run, settings, with_database
from core.models import Category
from core.uow import unit_of_work

if TYPE_CHECKING:
    from core.badges import ConferenceInfo
    from core.badges.pdf import PrintReport

app = typer.Typer(no_args_is_help=True, help="Badges: print PDFs, reissue, show links.")


class Layout(StrEnum):
    A6 = "a6"
    A4X4 = "a4x4"
    CR80 = "cr80"


@app.command("print")
def print_cmd(
    out: Path = typer.Argument(..., help="PDF file to write", dir_okay=False),
    layout: Layout = typer.Option(Layout.A4X4, "--layout", "-l", help="a6, a4x4 or cr80"),
    delegation: str | None = typer.Option(None, "--delegation", help="one delegation: its code (any case) or name"),
    category: Category | None = typer.Option(None, "--category", help="one category only"),
    only_new: bool = typer.Option(False, "--only-new", help="badges never printed"),
    only: list[str] = typer.Option(
        [], "--only", help="just this registration (id or name; repeat for several): a lost badge after a reissue"
    ),
    preview: bool = typer.Option(False, "--preview", help="a trial print: the badges' print counts stay as they are"),
    conference: str | None = typer.Option(
        None, "--conference", help="conference slug (default: the latest by first day)"
    ),
) -> None:
    """Write approved registrations' badges to a PDF and count the print on each."""

    async def work(factory: async_sessionmaker[AsyncSession]) -> tuple[PrintJob, PrintReport]:
        async with unit_of_work(factory) as session:  # what to print; the badge secret made durable
            job = await _plan(session, conference, delegation, category, only_new, only)
        if job.total == 0:
            fail("no approved badges match: nothing to print")
        async with unit_of_work(factory) as session:  # the PDF, then the prints counted
            return job, await _print(session, job, out, layout, mark=not preview)

    job, report = run(with_database(work))
    slug = job.conf.slug
    note = " (preview: not counted as printed)" if preview else ""
    console.print(
        f"{report.badges} badge(s) of {slug} on {report.pages} page(s) ({report.layout}) -> {report.path}{note}",
        highlight=False,
    )
    for lost in report.missing:  # never silent boxes: name whose badge needs a hand-written name
        err_console.print(f"warning: badge {lost.describe()}", highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class PrintJob:
    """What `badges print` prints: its selection, how many badges match, how they are signed."""

    conf: ConferenceInfo
    delegation: str | None  # its code
    category: Category | None
    only_new: bool
    only: list[int] | None  # registration ids
    username: str
    secret: bytes
    total: int


async def _plan(
    session: AsyncSession,
    conference: str | None,
    delegation: str | None,
    category: Category | None,
    only_new: bool,
    only: list[str],
) -> PrintJob:
    """The options resolved (conference, delegation, registrations named) and counted."""
    from core.accreditation import delegations
    from core.app_settings import ensure_badge_secret, resolve_bot_username
    from core.badges import conference_info, count_badges

    conf = await conference_info(session, conference or settings().conference)
    code = (await delegations.named(session, conf.id, delegation)).code if delegation else None
    ids = [await _registration(session, conf.id, text) for text in only] if only else None
    username = await resolve_bot_username(session, settings().bot_username)
    secret, _source = await ensure_badge_secret(session, settings())
    total = await count_badges(session, conf.id, delegation=code, category=category, only_new=only_new, only=ids)
    return PrintJob(conf, code, category, only_new, ids, username, secret, total)


async def _print(session: AsyncSession, job: PrintJob, out: Path, layout: Layout, *, mark: bool) -> PrintReport:
    """Write the PDF with a progress bar (on stderr); its PrintReport."""
    from core.badges.pdf import print_badges

    columns = (TextColumn("[bold]badges"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("print", total=job.total)
        return await print_badges(
            session,
            out,
            job.conf,
            secret=job.secret,
            bot_username=job.username,
            layout=layout.value,
            delegation=job.delegation,
            category=job.category,
            only_new=job.only_new,
            only=job.only,
            mark=mark,
            progress=lambda n: bar.advance(task, n),
        )


async def _registration(session: AsyncSession, conference_id: int, text: str) -> int:
    """A registration named on the command line: its id, or a name that matches one person."""
    from core import reporting
    from core.errors import NotFound

    hits, total = await reporting.find(session, conference_id, text, limit=6)
    if total == 1:
        return hits[0].registration_id
    if total == 0:
        raise NotFound(f"no registration matches '{text}' in this conference")
    shown = "; ".join(f"{h.registration_id} {h.full_name}" for h in hits)
    more = f" and {total - len(hits)} more" if total > len(hits) else ""
    raise NotFound(f"'{text}' matches {total} registrations ({shown}{more}): give the id")


@app.command("reissue")
def reissue_cmd(
    registration_id: int = typer.Argument(..., help="registration id"),
) -> None:
    """New code for a lost badge: the old badge scans as revoked."""
    from core.badges import reissue_badge

    async def work(factory: async_sessionmaker[AsyncSession]) -> int:
        async with unit_of_work(factory) as session:
            reg = await reissue_badge(session, registration_id, actor="cli")
            return reg.badge_version

    version = run(with_database(work))
    console.print(
        f"registration {registration_id}: badge version {version}; the old code is revoked. "
        f"Print the new badge with: confdesk badges print badge-{registration_id}.pdf --only {registration_id}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("link")
def link_cmd(
    registration_id: int = typer.Argument(..., help="registration id"),
) -> None:
    """Print the deep link encoded in the badge's QR code."""
    from core.app_settings import ensure_badge_secret, resolve_bot_username
    from core.badges import badge_link, load_badge, make_token

    async def work(factory: async_sessionmaker[AsyncSession]) -> str:
        async with unit_of_work(factory) as session:
            username = await resolve_bot_username(session, settings().bot_username)
            badge = await load_badge(session, registration_id)
            secret, _ = await ensure_badge_secret(session, settings())
            token = make_token(secret, badge.registration_id, badge.badge_version)
            return badge_link(username, token)

    typer.echo(run(with_database(work)))
