"""A TCP proxy a test can cut: the network between a kiosk and PostgreSQL, in a thread.

`cut()` aborts every open connection and then swallows new ones (accepted, never answered:
a network gone silent, so the client must rely on its own timeout); `restore()` aborts the
swallowed ones and forwards again. Binds 127.0.0.1:0.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future


class Proxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.is_cut = False
        self.connections = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> Proxy:
        self._thread.start()
        self._server = self._run(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            self._abort_all()

        self._run(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self, coro):  # type: ignore[no-untyped-def]
        fut: Future = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[type-arg]
        return fut.result(30)

    def cut(self) -> None:
        async def cut() -> None:
            self.is_cut = True
            self._abort_all()

        self._run(cut())

    def restore(self) -> None:
        async def restore() -> None:
            self._abort_all()  # the swallowed ones
            self.is_cut = False

        self._run(restore())

    def _abort_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self.connections += 1
        if self.is_cut:  # silent: hold it until restore() or cut() aborts it
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while data := await reader.read(65536):
                if self.is_cut:
                    break
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
