"""Two webhook instances behind a "load balancer", one database and one Redis: a user's
sign-up steps alternate between them and still make one correct registration; a replayed
update and a wrong secret have no effect; their senders send each due message once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import build_dispatcher, make_bot, make_storage
from bot.emulator import BotAPIEmulator
from bot.outbox_texts import RENDERERS, Rendered
from bot.sender import Sender
from bot.webhook import SECRET_HEADER, WebhookServer
from core.clock import utc_now
from core.config import Settings, load_settings
from core.db import make_engine, make_session_factory
from core.messaging import outbox
from core.models import Participant, Registration, RegistrationStatus
from tests.bot.conftest import seed
from tests.bot.test_redis_state import REDIS_URL, _redis_available

SECRET = "webhook-secret_123"
PATH = "/tg/hook"


@dataclass
class Instance:
    server: WebhookServer
    runner: web.AppRunner
    url: str
    sender: Sender


@pytest.fixture
async def cluster(database_url: str, session_factory) -> AsyncIterator[tuple[BotAPIEmulator, list[Instance], Settings]]:  # type: ignore[no-untyped-def]
    if not await _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    await seed(session_factory)
    token = f"{uuid.uuid4().int % 10**9}:TEST"
    async with BotAPIEmulator(token=token) as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token=token,
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            redis_url=REDIS_URL,
            webhook_url=f"https://bot.example.org{PATH}",
            webhook_secret=SECRET,
        )
        instances, engines = [], []
        for i in range(2):  # as two processes would: own engine, bot, dispatcher, Redis client
            engine = make_engine(database_url)
            engines.append(engine)
            factory = make_session_factory(engine)
            bot = make_bot(settings)
            dp = build_dispatcher(settings, factory, storage=make_storage(settings))
            server = WebhookServer(
                dp, bot, secret=SECRET, path=PATH, session_factory=factory, redis=getattr(dp.storage, "redis", None)
            )
            runner = web.AppRunner(server.app())
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            instances.append(
                Instance(server, runner, f"http://127.0.0.1:{port}", Sender(bot, factory, settings, worker=f"i{i}"))
            )
        try:
            yield emulator, instances, settings
        finally:
            for inst in instances:
                await inst.server.drain()
                await inst.runner.cleanup()
                await inst.server.bot.session.close()
                await inst.server.dp.storage.close()
            for engine in engines:
                await engine.dispose()
        emulator.assert_no_violations()


async def post(instance: Instance, update: dict, secret: str | None = SECRET) -> int:  # type: ignore[type-arg]
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as http, http.post(instance.url + PATH, json=update, headers=headers) as resp:
        status = resp.status
    await instance.server.drain(timeout=10)
    instance.server.accepting = True
    return status


async def deliver(emulator: BotAPIEmulator, instance: Instance) -> list[dict]:  # type: ignore[type-arg]
    """What Telegram would POST: every queued update, to the instance the balancer picked."""
    updates, emulator.updates.pending = list(emulator.updates.pending), []
    for update in updates:
        assert await post(instance, update) == 200
    return updates


async def test_signup_alternating_between_instances(cluster) -> None:  # type: ignore[no-untyped-def]
    emulator, (a, b), _ = cluster
    anna = emulator.user(id=4242, first_name="Anna", language_code="en")
    steps = [
        (anna.start, (), "full name in Latin"),
        (anna.send, ("Anna Petrova",), "own script"),
        (anna.press, ("Skip",), "Which delegation"),
        (anna.press, ("No delegation",), "Your category"),
        (anna.press, ("Expert",), "position or title"),
        (anna.send, ("Senior Researcher",), "Your organisation"),
        (anna.send, ("Institute of World Economy",), "Personal data"),
        (anna.press, ("I agree",), "Please check your data"),
        (anna.press, ("Confirm",), "waits for approval"),
    ]
    for n, (action, args, expected) in enumerate(steps):
        await action(*args)
        await deliver(emulator, (a, b)[n % 2])
        await anna.expect(expected)
    async with a.server.session_factory() as s:
        rows = (
            await s.execute(select(Registration, Participant).join(Participant).where(Participant.telegram_id == 4242))
        ).all()
    assert len(rows) == 1
    reg, person = rows[0]
    assert reg.status == RegistrationStatus.PENDING and reg.delegation_id is None
    assert person.full_name == "Anna Petrova" and person.organisation == "Institute of World Economy"


async def test_replayed_update_and_wrong_secret_have_no_effect(cluster) -> None:  # type: ignore[no-untyped-def]
    emulator, (a, b), _ = cluster
    ivan = emulator.user(id=4343, first_name="Ivan", language_code="ru")
    await ivan.send("/help")
    (update,) = await deliver(emulator, a)
    await ivan.expect("/withdraw")
    sent_before = len(emulator.sent)
    assert await post(b, update) == 200  # Telegram retried: the other instance got it too
    assert await post(a, update) == 200
    await ivan.send("/help")
    (second,) = list(emulator.updates.pending)
    emulator.updates.pending = []
    assert await post(a, second, secret="wrong") == 401
    assert await post(b, second, secret=None) == 401
    assert len(emulator.sent) == sent_before  # nothing handled twice, nothing without the secret
    async with aiohttp.ClientSession() as http, http.get(a.url + "/healthz") as resp:
        assert resp.status == 200 and (await resp.json()) == {"database": "ok", "redis": "ok"}


async def test_two_senders_send_each_due_message_once(cluster, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    emulator, (a, b), _ = cluster

    async def probe(session, message, language):  # type: ignore[no-untyped-def]
        return Rendered(f"probe {message.payload['n']}")

    monkeypatch.setitem(RENDERERS, "probe", probe)
    users = [emulator.user(id=5000 + i, first_name=f"U{i}") for i in range(12)]
    async with a.server.session_factory() as s:
        for i, user in enumerate(users):
            await outbox.enqueue(
                s,
                kind="probe",
                chat_id=user.id,
                dedup_key=f"probe:{i}",
                due_at=utc_now() - timedelta(seconds=1),
                payload={"n": i},
            )
        await s.commit()
    while sum(await asyncio.gather(a.sender.run_once(limit=3), b.sender.run_once(limit=3))):
        pass
    for i, user in enumerate(users):
        texts = [m.text for m in user.messages]
        assert texts == [f"probe {i}"]
    assert a.sender.sent + b.sender.sent == 12  # which instance sent which does not matter
