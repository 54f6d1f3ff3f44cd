"""A broadcast's progress message, kept up to date while the outbox sends it.

One watcher (a task) per unfinished broadcast edits the organiser's progress message at
most every PROGRESS_EVERY seconds (only when the numbers changed) and, once nothing is
pending, shows "finished" and then finishes the broadcast (the delivery report then goes
out through the outbox, so the organiser sees the finish, then the report). Watchers are
resumed when the bot starts, so a restart mid-way still ends with a report. What the
message shows is kept with the broadcast (`broadcasts.show`, compare-and-set): a watcher
never edits it to the text it already has, after a restart or beside a watcher of another
process.

`bot.app.build_dispatcher` starts and stops them with the dispatcher (`on_startup`,
`on_shutdown`); the /broadcast conversation hands each new broadcast to them
(`broadcast_watchers`, by parameter name).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Translator, translator
from bot.texts.broadcast import progress_text
from core import uow
from core.clock import utc_now
from core.errors import NotFound
from core.messaging import broadcasts
from core.uow import unit_of_work

log = logging.getLogger("confdesk.broadcast")
PROGRESS_EVERY = 3.0  # seconds between edits of a progress message (Telegram tolerates ~20/min per chat)
# A watcher that sees "finished" set by another one leaves finishing to it; after this long
# (the other one died between the edit and the report) it finishes the broadcast itself.
FINISH_GRACE = 30.0


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Watchers:
    """One task per unfinished broadcast, for one running bot."""

    def __init__(self, bot: Bot, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.shown_here: dict[int, str] = {}  # the text this process last showed, per broadcast

    def watch(self, info: broadcasts.BroadcastInfo) -> None:
        """Start watching once the current unit of work is committed: the watcher reads the
        broadcast's outbox rows from its own transaction, which must see them."""
        uow.after_commit(lambda: self._start(info))

    def _start(self, info: broadcasts.BroadcastInfo) -> None:
        running = self.tasks.get(info.broadcast_id)
        if running is None or running.done():
            self.tasks[info.broadcast_id] = asyncio.create_task(self._run(info), name=f"broadcast-{info.broadcast_id}")

    async def resume(self) -> None:
        async with unit_of_work(self.session_factory) as session:
            for info in await broadcasts.unfinished(session):
                self.watch(info)

    async def close(self) -> None:
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()

    async def _run(self, info: broadcasts.BroadcastInfo) -> None:
        t = translator(info.language)
        while True:
            try:
                if await self._step(info, t):
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("watching broadcast %s", info.broadcast_id)
            await asyncio.sleep(PROGRESS_EVERY)

    async def _step(self, info: broadcasts.BroadcastInfo, t: Translator) -> bool:
        """Bring the progress message up to date; True once the broadcast is finished."""
        try:
            async with unit_of_work(self.session_factory) as session:
                p = await broadcasts.progress(session, info.broadcast_id)
                now = await broadcasts.get(session, info.broadcast_id)
        except NotFound:  # the update that started it has not committed yet: look again later
            return False
        if now.finished:
            return True
        text = progress_text(t, p)
        if text != now.shown:
            if not await self._show_once(info, old=now.shown, new=text):
                return False
            self.shown_here[info.broadcast_id] = text
        if not p.done:
            return False
        shown_at = now.shown_at or utc_now()
        if self.shown_here.get(info.broadcast_id) != text and (utc_now() - shown_at).total_seconds() < FINISH_GRACE:
            return False  # the watcher that showed "finished" queues the report
        async with unit_of_work(self.session_factory) as session:
            await broadcasts.finish(session, info.broadcast_id)
        return True

    async def _show_once(self, info: broadcasts.BroadcastInfo, *, old: str | None, new: str) -> bool:
        """Claim the change from `old` to `new` (compare-and-set) and edit the message; True if
        this watcher showed it. Not shown: the claim is given back, to try again next time."""
        async with unit_of_work(self.session_factory) as session:
            if not await broadcasts.show(session, info.broadcast_id, old=old, new=new):
                return False  # another watcher changed it meanwhile: look again next time
        shown = False
        try:
            shown = await self._show(info, new)
        finally:
            if not shown and not _cancelling():
                async with unit_of_work(self.session_factory) as session:
                    await broadcasts.show(session, info.broadcast_id, old=new, new=old)
        return shown

    async def _show(self, info: broadcasts.BroadcastInfo, text: str) -> bool:
        """Edit the progress message; False if it could not be done now."""
        if info.report_chat_id is None or info.progress_message_id is None:
            return True
        for _ in range(3):
            try:
                await self.bot.edit_message_text(
                    text=text, chat_id=info.report_chat_id, message_id=info.progress_message_id
                )
                return True
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
            except TelegramBadRequest:  # the organiser deleted it (or it shows this text already)
                return True
        return False


async def on_startup(dispatcher: Dispatcher, bot: Bot) -> None:
    factory: async_sessionmaker[AsyncSession] | None = dispatcher.workflow_data.get("session_factory")
    if factory is None:
        return
    watchers = Watchers(bot, factory)
    dispatcher["broadcast_watchers"] = watchers
    await watchers.resume()


async def on_shutdown(dispatcher: Dispatcher) -> None:
    watchers = dispatcher.workflow_data.pop("broadcast_watchers", None)
    if isinstance(watchers, Watchers):
        await watchers.close()
