"""One kiosk that never stops: online while central answers, offline at once when it does not.

- Online: each scan goes to central (`checkin.scan_alone`, with the scan's client nonce) and must
  answer within `timeout` seconds; the verdict is also applied to the local copy's presence
  and written to the journal as uploaded.
- Central does not answer in time (refused, reset, silent, file gone): the same scan is judged
  at once from the local copy (`judge`), marked offline, journaled (fsync'd) and shown; every
  further scan is judged locally, with no wait on central, until the switch back.
- In the background: while online, the copy is refreshed every `refresh_every` seconds (a
  separate read-only connection; the copy is swapped in memory and written in a thread, so
  scanning never waits on it). While offline, central is tried every `retry_every` seconds;
  once it answers the journal is uploaded in order, in batches, and only when nothing is
  left waiting the kiosk goes online again (scans made meanwhile are judged offline and
  uploaded in the same drain), then refreshes.

Time on the kiosk is its own clock: scans of different kiosks are merged by their times.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import checkin
from core.checkin.offline import copy as local
from core.checkin.offline import judge as offline_judge
from core.checkin.offline.journal import Entry, Journal
from core.checkin.offline.upload import upload
from core.clock import Clock, utc_now
from core.db import make_engine, make_session_factory, sqlite_file
from core.errors import DomainError
from core.models import ScanDirection, ScanResult
from core.uow import unit_of_work

T = TypeVar("T")
BATCH = 500  # journal entries per upload transaction
SecretSource = Callable[[AsyncSession], Awaitable[bytes]]


class CentralUnavailable(Exception):
    """The central database did not answer (in time)."""


class NoLocalCopy(Exception):
    """Central does not answer and DIR holds no copy to judge from."""


def is_central_failure(exc: BaseException) -> bool:
    driver = type(exc).__module__.split(".")[0] in ("asyncpg", "sqlite3")
    return isinstance(exc, SQLAlchemyError | OSError | CentralUnavailable | TimeoutError) or driver


def cause(exc: BaseException) -> str:
    """One line for the operator: the driver's complaint, without the SQL SQLAlchemy adds."""
    inner = getattr(exc, "orig", None) or exc
    text = (str(inner).strip().splitlines() or [""])[0][:200]
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


class Central:
    """The central database, reached only through `call`, which gives up after a timeout."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        self.path = sqlite_file(url)
        self._engines: dict[bool, AsyncEngine] = {}
        self._abandoned: set[asyncio.Task[Any]] = set()

    def factory(self, *, read_only: bool = False) -> async_sessionmaker[AsyncSession]:
        if self.path is not None and not self.path.exists():  # never create an empty database
            raise CentralUnavailable(f"no database file at {self.path}")
        if read_only not in self._engines:
            self._engines[read_only] = make_engine(self.url, read_only=read_only, must_exist=True)
        return make_session_factory(self._engines[read_only])

    async def call(self, work: Callable[[], Coroutine[Any, Any, T]], within: float | None = None) -> T:
        """Run `work`; CentralUnavailable if it takes longer than the timeout. A late task
        is cancelled and left behind (it may hang on a dead socket); the engines are dropped."""
        task = asyncio.ensure_future(work())
        limit = within or self.timeout
        try:
            done, _ = await asyncio.wait({task}, timeout=limit)
        except asyncio.CancelledError:  # the caller gave up (the kiosk ends): so does the work
            task.cancel()
            self._abandon(task)
            raise
        if not done:
            task.cancel()
            self._abandon(task)
            self.drop()
            raise CentralUnavailable(f"no answer within {limit:g} s")
        try:
            return task.result()
        except Exception as exc:
            if is_central_failure(exc):
                self.drop()
            raise

    def _abandon(self, task: asyncio.Future[Any]) -> None:
        self._abandoned.add(task)  # type: ignore[arg-type]
        task.add_done_callback(lambda t: (self._abandoned.discard(t), t.cancelled() or t.exception()))  # type: ignore[arg-type,func-returns-value]

    def drop(self) -> None:
        """Forget the connections (a new one is opened on the next call)."""
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            self._abandon(asyncio.ensure_future(asyncio.wait_for(engine.dispose(close=False), 5)))

    async def close(self) -> None:
        for engine in self._engines.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(engine.dispose(), 5)
        for task in list(self._abandoned):
            task.cancel()


@dataclass
class Place:
    conference_id: int
    item_id: int | None
    gate: str
    direction: ScanDirection
    staff: int | None


class Kiosk:
    def __init__(
        self,
        url: str,
        directory: Path,
        secret: SecretSource,
        *,
        timeout: float = 1.5,
        refresh_every: float = 30.0,
        retry_every: float = 2.0,
        clock: Clock = utc_now,
    ) -> None:
        self.central = Central(url, timeout)
        self.directory = directory
        self.journal = Journal(directory)
        self._secret_source = secret
        self.secret: bytes | None = None
        self.refresh_every, self.retry_every, self.clock = refresh_every, retry_every, clock
        self.copy: local.LocalCopy | None = None
        self.online = False
        self.place: Place | None = None
        self.journal_waiting = 0
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="refresh")  # one refresh at a time
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- start --------------------------------------------------------------------------

    async def start(self, conference: Callable[[AsyncSession], Awaitable[int]]) -> local.LocalCopy:
        """Load the copy in DIR, then try central: `conference` finds the conference id in it
        (and raises DomainError for a wrong slug). Without central, the copy in DIR is used."""
        self.copy = await asyncio.to_thread(local.load, self.directory)
        if self.copy is not None:
            self._replay_journal(self.copy)
        try:
            # with a copy, start at once; without one there is nothing to judge from: wait longer
            patience = self.central.timeout if self.copy is not None else max(10.0, self.central.timeout * 5)
            conference_id = await self.central.call(lambda: self._conference(conference), patience)
            await self.refresh(conference_id)
            self._set_online(self.journal.waiting() == 0)
        except DomainError:
            raise
        except Exception as exc:
            if not is_central_failure(exc):
                raise
            self.note_error(exc)
            self._set_online(False)
            if self.copy is None:
                raise NoLocalCopy(
                    f"central database unavailable ({cause(exc)}) and no local copy in {self.directory}"
                ) from None
        return self.copy  # type: ignore[return-value]

    async def _conference(self, find: Callable[[AsyncSession], Awaitable[int]]) -> int:
        async with unit_of_work(self.central.factory()) as db:
            await db.execute(select(1))  # central answers (the secret may come from the environment)
            conference_id = await find(db)
            self.secret = await self._secret_source(db)
            return conference_id

    def begin(self, place: Place) -> None:
        """Scanning starts at this place; the background work starts with it."""
        self.place = place
        self._task = asyncio.create_task(self._background())

    # --- scanning -----------------------------------------------------------------------

    async def scan(self, text: str | bytes) -> checkin.Verdict:
        place = self.place
        assert place is not None and self.copy is not None
        nonce = self.journal.nonce()
        if self.online and self.secret is not None:
            try:
                verdict = await self.central.call(lambda: self._scan_online(place, text, nonce))
            except DomainError:
                raise
            except Exception as exc:
                if not is_central_failure(exc):
                    raise
                self.go_offline(exc)
            else:
                self._remember(verdict, nonce, place)
                return verdict
        verdict, entry = offline_judge.judge(
            self.copy, text, gate=place.gate, item_id=place.item_id, direction=place.direction,
            staff=place.staff, nonce=nonce, now=self.clock(),
        )  # fmt: skip
        self.journal.add(entry, uploaded=False)  # fsync'd before the verdict is shown
        return verdict

    async def _scan_online(self, place: Place, text: str | bytes, nonce: str) -> checkin.Verdict:
        assert self.secret is not None
        return await checkin.scan_alone(
            self.central.factory(), conference_id=place.conference_id, text=text, staff_telegram_id=place.staff,
            gate=place.gate, agenda_item_id=place.item_id, direction=place.direction, nonce=nonce,
            secret=self.secret, clock=self.clock,
        )  # fmt: skip

    def _remember(self, verdict: checkin.Verdict, nonce: str, place: Place) -> None:
        """A verdict central gave: into the journal (as uploaded) and the copy's presence."""
        assert self.copy is not None
        entry = Entry(
            None, nonce, verdict.at, "", verdict.registration_id, None, verdict.result.value, verdict.detail,
            place.direction.value, place.item_id, place.gate, place.staff, False,
        )  # fmt: skip
        self.journal.add(entry, uploaded=True)
        if verdict.result is ScanResult.OK and verdict.registration_id is not None:
            self.copy.replay(entry)

    def go_offline(self, exc: BaseException) -> None:
        self.note_error(exc)
        self._set_online(False)
        self._wake.set()

    def note_error(self, exc: BaseException) -> None:
        self.journal.put("last_error", f"{self.clock().isoformat()} {cause(exc)}")

    def _set_online(self, online: bool) -> None:
        self.online = online
        self.journal.put("mode", "online" if online else "offline")

    # --- background ---------------------------------------------------------------------

    async def _background(self) -> None:
        while True:
            self._wake.clear()
            if self.online:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.refresh_every)
                if self.online:
                    await self._try(self.refresh)
            elif await self._try(self.drain):
                await self._try(self.refresh)
            else:
                await asyncio.sleep(self.retry_every)

    async def _try(self, work: Callable[[], Awaitable[Any]]) -> bool:
        try:
            await work()
            return True
        except Exception as exc:  # the background work never dies: the error is in `kiosk status`
            if self.online and is_central_failure(exc):
                self.go_offline(exc)
            else:
                self.note_error(exc)
            return False

    async def drain(self) -> int:
        """Upload the journal in order until nothing waits, then go online. Returns how many
        scans central did not have yet."""
        assert self.place is not None
        conference_id = self.place.conference_id
        # central must answer first, even with nothing to upload: going online on an empty
        # journal alone flipped back and forth without ever yielding to the scanning loop
        await self.central.call(lambda: self._conference(_fixed(conference_id)))
        new = 0
        while batch := self.journal.pending(BATCH):
            new += await self.central.call(self._uploader(conference_id, batch), self.central.timeout * 10)
            self.journal.mark_uploaded(batch)
        self._set_online(True)  # nothing awaited since the journal was seen empty
        return new

    def _uploader(self, conference_id: int, batch: list[Entry]) -> Callable[[], Coroutine[Any, Any, int]]:
        async def work() -> int:
            async with unit_of_work(self.central.factory()) as db:
                return await upload(db, conference_id, batch)

        return work

    async def refresh(self, conference_id: int | None = None) -> None:
        """A fresh copy from central (read-only connection); written in a thread, swapped here."""
        conference_id = conference_id or (self.place.conference_id if self.place else None)
        assert conference_id is not None and self.secret is not None
        if self.copy is not None and self.journal.waiting():
            return  # central lacks this kiosk's latest scans: refresh once they are uploaded
        self.central.factory(read_only=True)  # CentralUnavailable when a SQLite file is gone
        read = partial(_read_copy, self.central.url, conference_id, self.secret, self.clock)

        async def in_thread() -> local.LocalCopy:
            return await asyncio.get_running_loop().run_in_executor(self._reader, read)

        fresh = await self.central.call(in_thread, self.central.timeout * 10)
        self._replay_journal(fresh)  # scans of this kiosk after the copy was read
        if self.copy is not None and self.journal.waiting():
            return  # went offline and scanned while reading
        self.copy = fresh
        await asyncio.to_thread(local.save, fresh, self.directory)

    def _replay_journal(self, copy: local.LocalCopy) -> None:
        for entry in self.journal.since(copy.taken_at):
            copy.replay(entry)

    async def close(self, upload_within: float = 0.0) -> None:
        """Stop the background work; with `upload_within`, one last try to upload first."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if upload_within and self.journal.waiting() and self.place is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.drain(), upload_within)
        await self.central.close()
        self._reader.shutdown(wait=False, cancel_futures=True)
        self.journal_waiting = self.journal.waiting()
        self.journal.close()


def _read_copy(url: str, conference_id: int, secret: bytes, clock: Clock) -> local.LocalCopy:
    """Read a copy in a thread with its own event loop and connection: the SQLite driver runs
    inline and 10,000 rows take a while, which the kiosk's loop must not wait for."""

    async def read() -> local.LocalCopy:
        engine = make_engine(url, read_only=True, must_exist=True)
        try:
            async with unit_of_work(make_session_factory(engine)) as db:
                return await local.fetch(db, conference_id, secret, clock)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _fixed(conference_id: int) -> Callable[[AsyncSession], Awaitable[int]]:
    async def find(_: AsyncSession) -> int:
        return conference_id

    return find
