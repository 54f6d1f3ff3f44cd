"""BotAPIEmulator: a local Telegram Bot API server plus the state tests inspect.

Telegram is unreachable from the test machines, so the real aiogram Bot and Dispatcher talk
HTTP to this emulator instead.  It keeps chats, messages (with edits applied), files and
answers, and exposes fake users (see users.py) that play the human side of a conversation.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.errors import BLOCKED, CHAT_NOT_FOUND, bad_request, forbidden
from bot.emulator.files import FileStore
from bot.emulator.ratelimit import RateLimitConfig, RateLimiter
from bot.emulator.records import (
    ApiCall,
    BotMessage,
    CallbackAnswer,
    Chat,
    ChatEvent,
    InlineAnswer,
    StoredFile,
    Violation,
)
from bot.emulator.schema import Schema
from bot.emulator.server import build_app
from bot.emulator.updates import WAIT_TIMEOUT, Signal, UpdateQueue
from bot.emulator.users import FakeUser

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher
    from aiogram.client.telegram import TelegramAPIServer


class BotAPIEmulator:
    """Serve the Bot API on loopback for one bot token; see README.md for a walkthrough."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "confdesk_test_bot",
        bot_first_name: str = "Confdesk",
        rate_limits: RateLimitConfig | None = None,
        schema: Schema | None = None,
        first_update_id: int | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.schema = schema or Schema.load()
        self.files = FileStore()
        self.updates = UpdateQueue(first_update_id)  # None: a random start, as Telegram's
        self.rate_limiter = RateLimiter(rate_limits or RateLimitConfig())
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, FakeUser] = {}
        self.calls: list[ApiCall] = []  # every request but getUpdates, in order
        self.violations: list[Violation] = []  # requests the real Bot API would not accept
        self.internal_errors: list[str] = []  # emulator bugs; always expected empty
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.inline_answers: dict[str, InlineAnswer] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}  # chat id (None: the default)
        self.webhook: dict[str, Any] = {}
        self.changed = Signal()  # any change a fake user may be waiting for
        self.updates.on_change = self.changed.notify
        self.in_flight = 0  # requests being handled, long polls excluded
        # Calls to answer by dropping the connection (a network failure): (method, where).
        self.drops: list[tuple[str, Callable[[dict[str, Any]], bool]]] = []
        self.last_activity = 0.0
        # Updates the tracked dispatchers finished (see `track`): what makes wait_idle exact.
        self.handled: set[int] = set()
        self.handling = 0
        self.tracked = 0
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._query_ids = itertools.count(1)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotAPIEmulator:
        runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self.base_url = f"http://{host}:{bound[1]}"
        return self

    async def stop(self) -> None:
        self.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def api_server(self) -> TelegramAPIServer:
        """aiogram's server description pointing at this emulator."""
        from aiogram.client.telegram import TelegramAPIServer

        return TelegramAPIServer.from_base(self.base_url)

    def create_bot(self, **bot_kwargs: Any) -> Bot:
        """A real aiogram Bot talking to this emulator (``bot_kwargs`` go to ``Bot``)."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession

        return Bot(self.token, session=AiohttpSession(api=self.api_server()), **bot_kwargs)

    @asynccontextmanager
    async def polling(self, dp: Dispatcher, bot: Bot, **kwargs: Any) -> AsyncIterator[None]:
        """Run ``dp.start_polling(bot)`` for the block, as production does, and stop it after.

        Returns once the bot's first getUpdates arrived, so updates queued in the block are
        fetched by the real polling loop.  ``kwargs`` go to ``start_polling``.
        """
        self.track(dp)
        polls = self.updates.polls
        task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, **kwargs))
        task.add_done_callback(lambda _: self.changed.notify())
        try:
            await self.wait_until(lambda: self.updates.polls != polls or task.done(), "the bot's first getUpdates")
            if task.done():
                await task  # polling died before it polled: show why
                raise AssertionError("polling stopped before its first getUpdates")
            yield
        finally:
            if not task.done():
                try:
                    await dp.stop_polling()
                except RuntimeError:  # not started yet: nothing to stop gracefully
                    task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    # -- configuration for tests ----------------------------------------------------------

    @property
    def rate_limits(self) -> RateLimitConfig:
        return self.rate_limiter.config

    def set_rate_limits(
        self,
        enabled: bool = True,
        *,
        per_chat_burst: float = 3.0,
        per_chat_rate: float = 1.0,
        global_burst: float = 30.0,
        global_rate: float = 30.0,
    ) -> None:
        """Switch flood limits on or off (buckets start full); see RateLimitConfig."""
        self.rate_limiter.config = RateLimitConfig(enabled, per_chat_burst, per_chat_rate, global_burst, global_rate)
        self.rate_limiter.reset()

    def fail_next_sends(self, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``count`` sending calls with 429 ``retry_after`` (for retry tests)."""
        self.rate_limiter.inject(count, retry_after)

    def fail_next_calls(
        self,
        method: str,
        count: int = 1,
        retry_after: int = 1,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (e.g. editMessageText), of those whose
        parameters satisfy ``where`` if given, with 429 ``retry_after``."""
        self.rate_limiter.inject_calls(method, count, retry_after, where)

    def drop_next_calls(
        self, method: str, count: int = 1, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (of those whose parameters satisfy
        ``where``) by closing the connection without a word and without doing anything: the
        bot sees a network failure (aiogram: TelegramNetworkError)."""
        self.drops.extend([(method, where or (lambda _: True))] * count)

    def take_drop(self, method: str, params: dict[str, Any]) -> bool:
        """Whether this call is one to drop (it is then no longer pending)."""
        for i, (name, where) in enumerate(self.drops):
            if name == method and where(params):
                del self.drops[i]
                return True
        return False

    def fail_every_nth_send(self, n: int | None, retry_after: int = 1) -> None:
        """Answer every ``n``-th sending call, whoever makes it, with 429 ``retry_after``
        (a flood limit several bot processes share); ``None`` stops it."""
        self.rate_limiter.every(n, retry_after)

    # -- users and chats ------------------------------------------------------------------

    def user(
        self,
        id: int = 1001,
        first_name: str = "Anna",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """The fake user ``id`` (created on first use) with a private chat to the bot."""
        if id in self.users:
            return self.users[id]
        profile: dict[str, Any] = {"id": id, "is_bot": False, "first_name": first_name}
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value:
                profile[key] = value
        self.chats[id] = Chat(id=id, user=profile)
        self.users[id] = FakeUser(self, profile)
        return self.users[id]

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def chat_for(self, chat_id: Any) -> Chat:
        """The chat the bot addresses, with Telegram's errors for unknown or blocked ones."""
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        if chat.blocked:
            raise forbidden(BLOCKED)
        return chat

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        """The live record of a message (edits applied)."""
        return self.chats[chat_id].messages[message_id]

    @property
    def sent(self) -> list[BotMessage]:
        """Every message the bot sent, in all chats, in order of message id per chat."""
        return [m for chat in self.chats.values() for m in chat.messages.values() if m.from_bot]

    # -- mutations used by method handlers and fake users ---------------------------------

    @staticmethod
    def now() -> int:
        return int(time.time())

    def next_query_id(self) -> str:
        return f"{self.bot_id}{next(self._query_ids):010d}"

    def post(
        self,
        chat: Chat,
        content: dict[str, Any],
        markup: dict[str, Any] | None,
        file: StoredFile | None = None,
    ) -> BotMessage:
        """Record a message the bot sent and wake whoever waits for it."""
        payload: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": chat.as_chat(),
            "date": self.now(),
            **content,
        }
        if markup and "inline_keyboard" in markup:
            payload["reply_markup"] = markup  # only inline keyboards belong to the Message
        message = BotMessage(chat.id, payload["message_id"], payload, True, markup, file)
        chat.messages[message.message_id] = message
        chat.events.append(ChatEvent("message", message.snapshot()))
        chat.changed.notify()
        self.changed.notify()
        return message

    def edit(
        self,
        target: BotMessage,
        content: dict[str, Any],
        markup: dict[str, Any] | None,
        keys: tuple[str, ...],
    ) -> BotMessage:
        for key in keys:
            if key in content:
                target.payload[key] = content[key]
            else:
                target.payload.pop(key, None)
        target.payload.pop("reply_markup", None)
        if markup:
            target.payload["reply_markup"] = markup
        target.markup = markup
        target.payload["edit_date"] = self.now()
        target.edit_count += 1
        chat = self.chats[target.chat_id]
        chat.events.append(ChatEvent("edit", target.snapshot(is_edit=True)))
        chat.changed.notify()
        self.changed.notify()
        return target

    def delete(self, target: BotMessage) -> None:
        target.deleted = True
        chat = self.chats[target.chat_id]
        chat.events.append(ChatEvent("delete", target.snapshot()))
        chat.changed.notify()
        self.changed.notify()

    def receive(self, chat: Chat, content: dict[str, Any]) -> BotMessage:
        """Record a message from the fake user and queue it as a ``message`` update."""
        payload: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": chat.user,
            "chat": chat.as_chat(),
            "date": self.now(),
            **content,
        }
        message = BotMessage(chat.id, payload["message_id"], payload, False)
        chat.messages[message.message_id] = message
        self.push_update({"message": payload})
        return message

    def push_update(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; the emulator checks its own updates are valid."""
        problems = self.schema.check_object("Update", {"update_id": 1, **body})
        if problems:
            self.internal_errors.extend(problems)
            raise AssertionError(f"emulator built an invalid Update: {problems}")
        update = self.updates.push(body)
        self.changed.notify()
        return update

    # -- waiting --------------------------------------------------------------------------

    def mark_activity(self) -> None:
        self.last_activity = asyncio.get_running_loop().time()

    def track(self, dp: Dispatcher) -> None:
        """Know when `dp` has finished each update (an outermost update middleware), so
        `wait_idle` waits for the bot's work itself rather than for a quiet spell.  `polling`
        does it; call it for a dispatcher fed some other way (a webhook server)."""
        if getattr(dp, "_emulator_tracked", None) is self:
            return
        emu = self

        async def finished(handler: Any, update: Any, data: dict[str, Any]) -> Any:
            emu.handling += 1
            try:
                return await handler(update, data)
            finally:
                emu.handling -= 1
                emu.handled.add(update.update_id)
                emu.mark_activity()
                emu.changed.notify()

        # Outermost, so an update that a middleware drops (a repeat) or fails still counts.
        manager = dp.update.outer_middleware
        others = list(manager)
        for middleware in others:
            manager.unregister(middleware)
        for middleware in (finished, *others):
            manager.register(middleware)
        dp._emulator_tracked = self  # type: ignore[attr-defined]
        self.tracked += 1

    async def wait_until(
        self,
        ready: Callable[[], bool],
        what: str,
        timeout: float = WAIT_TIMEOUT,  # noqa: ASYNC109
    ) -> None:
        """Wait until `ready()` holds, re-checked at every change the emulator sees (a
        request, an update fetched or handled)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not ready():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"waited {timeout}s for {what}")
            await self.changed.wait(remaining)

    def _unfinished(self) -> list[int]:
        """Updates queued for the bot that a tracked dispatcher has not finished handling."""
        dropped = {u["update_id"] for u in self.updates.dropped}
        return [i for i in self.updates.pushed if i not in self.handled and i not in dropped]

    async def wait_idle(self, quiet: float = 0.0, timeout: float = WAIT_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait until the bot has handled every update queued so far and no request to the
        API is in flight.  With a tracked dispatcher (see `track`) this is exact: each
        update's handler has returned.  Otherwise (or with ``quiet`` > 0, for work the bot
        does outside updates) also wait until no request came for ``quiet`` seconds.
        ``timeout`` is only an upper bound that fails loudly."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if not self.tracked:
            quiet = max(quiet, 0.15)
        while True:
            now = loop.time()
            undelivered = self.updates.undelivered
            unfinished = self._unfinished() if self.tracked else []
            quiet_enough = now - self.last_activity >= quiet
            if not undelivered and not unfinished and not self.handling and not self.in_flight and quiet_enough:
                return
            if now >= deadline:
                raise AssertionError(
                    f"bot not idle after {timeout}s: {undelivered} updates not fetched "
                    f"(getUpdates waiting: {self.updates.waiting}), {len(unfinished)} not handled "
                    f"({unfinished[:10]}), {self.in_flight} requests in flight"
                )
            wake = min(deadline - now, quiet - (now - self.last_activity)) if not quiet_enough else deadline - now
            await self.changed.wait(max(wake, 0.001))

    def assert_no_violations(self) -> None:
        problems = [str(v) for v in self.violations] + self.internal_errors
        assert not problems, "Bot API violations:\n" + "\n".join(problems)
