"""Badge pages drawn on every core: `confdesk badges print` with enough badges.

The parent reads the badges from the database (in batches, as before) and hands them to
worker processes in chunks of whole pages; each worker draws its chunk's pages
(core/badges/pdf.py `render_page`), compresses each content stream and sends back the
pages, the glyphs they use per face and the badges with missing glyphs. The parent writes
the chunks in the order they were handed out and, at the end, embeds each face once,
subset to the union of the glyphs (core/badges/pdfwriter.py). At most `inflight` chunks
are out at a time, so memory stays flat whatever the number of badges.

Workers are forked (they inherit the imported modules and loaded fonts: no start-up
imports); they never touch the database.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from core.badges.pdf import BadgePdf, JobSpec, MissingGlyphs, render_page, sheet
from core.badges.pdfwriter import FontSet, compress_page
from core.badges.printing import BadgeInfo

PARALLEL_FROM = 100  # fewer badges than this: drawn in the parent (starting workers costs more)
CHUNK = 48  # badges a worker draws at a time (rounded to whole pages)


def default_workers() -> int:
    """One worker per core the process may use; 1 (no workers) on a single core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Chunk:
    pages: list[bytes]  # compressed content streams, in order
    glyphs: dict[str, dict[int, str]]  # face key -> glyph id -> text
    missing: list[MissingGlyphs]


_spec: JobSpec | None = None


def _start(spec: JobSpec) -> None:
    global _spec
    _spec = spec


def render_chunk(badges: Sequence[BadgeInfo]) -> Chunk:
    """In a worker: the pages of `badges`, whole pages except maybe the last."""
    spec = _spec
    assert spec is not None, "worker not started with a job"
    per = len(sheet(spec.layout).slots)
    fonts = FontSet()
    pages: list[bytes] = []
    missing: list[MissingGlyphs] = []
    for start in range(0, len(badges), per):
        content, lost = render_page(spec, badges[start : start + per], fonts)
        pages.append(compress_page(content.encode("latin-1")))
        missing += lost
    return Chunk(pages, fonts.glyphs(), missing)


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


class PagePool:
    """Worker processes drawing `job`'s pages; `add` badges in order, then `finish`."""

    def __init__(self, job: BadgePdf, workers: int, *, chunk: int | None = None) -> None:
        per = len(job.sheet.slots)
        self.job = job
        chunk = CHUNK if chunk is None else chunk
        self.chunk = max(per, chunk // per * per)
        self.inflight = 2 * workers
        self.pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start, initargs=(job.spec,))
        self.buffer: list[BadgeInfo] = []
        self.futures: deque[Future[Chunk]] = deque()

    async def add(self, badges: Sequence[BadgeInfo]) -> None:
        self.buffer += badges
        while len(self.buffer) >= self.chunk:
            await self._submit(self.buffer[: self.chunk])
            self.buffer = self.buffer[self.chunk :]

    async def _submit(self, badges: list[BadgeInfo]) -> None:
        self.futures.append(self.pool.submit(render_chunk, badges))
        while len(self.futures) > self.inflight:
            await self._write_oldest()

    async def _write_oldest(self) -> None:
        got = await asyncio.wrap_future(self.futures.popleft())
        self.job.add_rendered(got.pages, got.glyphs, got.missing)

    async def finish(self) -> None:
        """Draw what is left (the last page may be partly filled) and write every page."""
        if self.buffer:
            await self._submit(self.buffer)
            self.buffer = []
        while self.futures:
            await self._write_oldest()

    def close(self) -> None:
        for fut in self.futures:
            fut.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


async def draw_all(
    job: BadgePdf,
    batches: AsyncIterator[list[BadgeInfo]],
    printed: list[int],
    progress: Callable[[int], None] | None,
    workers: int | None,
    parallel_from: int | None,
) -> None:
    """Badges are held back until there are `parallel_from` of them: then worker processes
    draw them all (in order); if the batches end first, the parent draws them."""
    workers = default_workers() if workers is None else workers
    threshold = PARALLEL_FROM if parallel_from is None else parallel_from
    held: list[BadgeInfo] = []
    pool: PagePool | None = None
    try:
        async for batch in batches:
            printed += [b.registration_id for b in batch]
            if pool is not None:
                await pool.add(batch)
            elif workers > 1:
                held += batch
                if len(held) >= threshold:
                    # the first page is drawn here: workers are forked with its fonts
                    # loaded and its shaping cached, not each loading them again
                    per = len(job.sheet.slots)
                    for badge in held[:per]:
                        job.add(badge)
                    pool = PagePool(job, workers)
                    await pool.add(held[per:])
                    held = []
            else:
                for badge in batch:
                    job.add(badge)
            if progress:
                progress(len(batch))
        for badge in held:
            job.add(badge)
        if pool is not None:
            await pool.finish()
    finally:
        if pool is not None:
            pool.close()
