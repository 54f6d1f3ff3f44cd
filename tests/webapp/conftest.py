"""The Mini App's server on loopback, on the test database, with a conference running today
(so that "today" for the board, the reports and `confdesk report attendance` is the same day)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.webapp.auth import sign_init_data
from bot.webapp.server import WebApp
from core.badges import badge_link, make_token
from core.config import Settings, load_settings
from core.models import AgendaSignup, Category, RegistrationStatus, SignupStatus, StaffRole, StaffRoleName
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

TOKEN = "123456:WEBAPP-TEST-token"
OTHER_TOKEN = "654321:another-bots-token"
SECRET = "w" * 40
BOT = "confdesk_test_bot"
ADMIN, DOOR, OFFICER, NOBODY = 7000, 7001, 7002, 7003
ZONE = ZoneInfo("Europe/Minsk")


def init_data(user_id: int, *, token: str = TOKEN, age: float = 0, language: str = "en", **extra: str) -> str:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Staff", "language_code": language}),
        "auth_date": str(int(time.time() - age)),
        **extra,
    }
    return sign_init_data(fields, token)


def link(reg_id: int, version: int = 1) -> str:
    return badge_link(BOT, make_token(SECRET.encode(), reg_id, version))


@dataclass
class World:
    conference_id: int
    regs: dict[str, int]  # name -> registration id
    items: dict[str, int]  # code -> agenda item id


async def seed(factory: async_sessionmaker[AsyncSession]) -> World:
    today = datetime.now(ZONE).date()
    async with factory() as s:
        conf = await make_conference(s, first_day=today - timedelta(days=1), last_day=today + timedelta(days=1))
        by = await make_delegation(s, conf, "BY", name={"en": "Belarus", "ru": "Беларусь"})
        hu = await make_delegation(s, conf, "HU", name={"en": "Hungary", "ru": "Венгрия"})
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        plenary = await make_item(s, conf, "plenary", start=start)
        press = await make_item(s, conf, "press-only", start=start + timedelta(hours=2), allowed=["press"])
        regs: dict[str, int] = {}
        people = [
            ("lavrov", "Sergey Lavrov", "Сергей Лавров", by, Category.HEAD, RegistrationStatus.APPROVED),
            ("szijjarto", "Péter Szijjártó", None, hu, Category.HEAD, RegistrationStatus.APPROVED),
            ("anna", "Anna Petrova", "Анна Петрова", by, Category.DELEGATE, RegistrationStatus.APPROVED),
            ("ivan", "Ivan Orlov", None, by, Category.DELEGATE, RegistrationStatus.APPROVED),
            ("marta", "Marta Kovacs", None, hu, Category.EXPERT, RegistrationStatus.APPROVED),
            ("pending", "Pending Person", None, by, Category.DELEGATE, RegistrationStatus.PENDING),
            ("free", "Free Expert", None, None, Category.EXPERT, RegistrationStatus.APPROVED),
        ]
        for key, name, native, deleg, category, status in people:
            p = await make_participant(s, full_name=name, native_name=native)
            r = await make_registration(s, conf, p, delegation=deleg, category=category, status=status)
            regs[key] = r.id  # type: ignore[assignment]
        for key in ("lavrov", "anna", "ivan"):
            s.add(AgendaSignup(agenda_item_id=plenary.id, registration_id=regs[key], status=SignupStatus.CONFIRMED))
        for tg, role in ((DOOR, StaffRoleName.DOOR), (OFFICER, StaffRoleName.ACCREDITATION)):
            s.add(StaffRole(conference_id=conf.id, telegram_id=tg, role=role))
        await s.commit()
        return World(conf.id, regs, {"plenary": plenary.id, "press-only": press.id})  # type: ignore[arg-type]


def webapp_settings(database_url: str) -> Settings:
    return load_settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url,
        badge_secret=SECRET,
        bot_username=BOT,
        admin_ids=[ADMIN],
        webapp_url="https://desk.example/app/",
        conference=None,
        redis_url=None,
    )


@dataclass
class Served:
    url: str  # the app's base, ending in /app/
    http: aiohttp.ClientSession
    webapp: WebApp
    world: World

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        return self.webapp.factory

    async def call(self, method: str, path: str, user: int | None = None, *, data: str | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if data is None and user is not None:
            data = init_data(user)
        if data is not None:
            headers["Authorization"] = f"tma {data}"
        async with self.http.request(method, self.url + path, headers=headers, **kw) as response:
            return response.status, await response.json()

    async def scan(self, user: int, code: str, **body: Any) -> Any:
        status, data = await self.call("POST", "api/scan", user, json={"code": code, **body})
        assert status == 200, data
        return data


@pytest.fixture
async def served(database_url: str, session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[Served]:
    world = await seed(session_factory)
    webapp = WebApp(webapp_settings(database_url), session_factory, refresh=0.2)
    server = TestServer(webapp.app(), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(str(server.make_url("/app/")), http, webapp, world)
    finally:
        await server.close()
