"""The Mini App's web server: its pages, its static files and its JSON API, as aiohttp
routes under one prefix (the path of WEBAPP_URL, default /app). `confdesk run --webhook`
adds them to the webhook server; `confdesk run` (polling) serves them alone on
WEB_HOST/WEB_PORT (see bot/runner.py).

    GET  {prefix}/                    the Mini App (scanner or board, chosen by role)
    GET  {prefix}/board?k=LINK        the board in an ordinary browser (a signed /board link)
    GET  {prefix}/static/NAME         our own JS and CSS (shipped in the package)
    GET  {prefix}/api/strings?lang=   the pages' words (nothing personal)
    POST {prefix}/api/me              who am I: roles, views, places, a board token
    POST {prefix}/api/scan            door staff: judge one code (the check-in service)
    GET  {prefix}/api/board?k=        the board's figures (JSON)
    GET  {prefix}/api/board/stream?k= the same, pushed as server-sent events when they change

Every /api call but strings and board carries Telegram's initData in the header
`Authorization: tma <initData>` (bot/webapp/auth.py): missing, forged, signed for another
bot or older than an hour → 401; a valid user without the role → 403. The board calls carry
a board token instead: from a /board link, or handed by /api/me to organisers. A scan is
one unit of work (core/uow.py) around `core.checkin.scan`, the kiosk's own service.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import choose_language, translator
from bot.webapp import auth, views
from core import checkin
from core.clock import Clock, utc_now
from core.config import Settings
from core.errors import DomainError
from core.models import Conference, ScanDirection, StaffRoleName
from core.uow import unit_of_work

log = logging.getLogger("confdesk.webapp")
STATIC = Path(__file__).parent / "static"
_STATIC_NAME = re.compile(r"[a-z0-9-]+\.(js|css|svg)")
_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml", "html": "text/html"}
_NONCE = re.compile(r"[A-Za-z0-9_-]{1,40}")
SCANNER_ROLES = {StaffRoleName.DOOR}
BOARD_ROLES = {StaffRoleName.ACCREDITATION, StaffRoleName.ADMIN}
CONFERENCE_TTL = 5.0  # seconds the current conference and its halls are kept
ROLES_TTL = 5.0  # seconds a staff member's roles are kept: a removed role stops working within this
MAX_BODY = 16 * 1024
CSP = (
    "default-src 'self'; script-src 'self' https://telegram.org; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self'; frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)


def webapp_prefix(url: str | None) -> str:
    """Where the app is served: the path of WEBAPP_URL without its trailing slash, or /app."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path.rstrip("/") if url else ""
    return path or "/app"


class ApiError(Exception):
    def __init__(self, status: int, code: str, reason: str | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.reason = status, code, reason

    def body(self) -> dict[str, str]:
        return {"error": self.code, **({"reason": self.reason} if self.reason else {})}


@dataclass
class Caller:
    user: auth.WebAppUser
    language: str
    roles: set[StaffRoleName]
    conference: Conference


class WebApp:
    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        clock: Clock = utc_now,
        refresh: float = 3.0,
    ) -> None:
        if settings.bot_token is None:
            raise ValueError("BOT_TOKEN is not set")
        self.settings = settings
        self.token = settings.bot_token.get_secret_value()
        self.factory = session_factory
        self.clock = clock
        self.refresh = refresh  # seconds between board updates
        self.prefix = webapp_prefix(settings.webapp_url)
        self.closing = asyncio.Event()
        self._conference: tuple[float, Conference, list[Any]] | None = None
        self._secret: bytes | None = None
        self._roles: dict[int, tuple[float, int, set[StaffRoleName], str | None]] = {}
        self._boards: dict[int, tuple[float, str]] = {}
        self._board_locks: dict[int, asyncio.Lock] = {}

    # -- wiring ------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        p = self.prefix
        app.router.add_get(f"{p}/", self.page_app)
        app.router.add_get(f"{p}/board", self.page_board)
        app.router.add_get(p + "/static/{name}", self.static)
        app.router.add_get(f"{p}/api/strings", self.api(self.strings))
        app.router.add_post(f"{p}/api/me", self.api(self.me))
        app.router.add_post(f"{p}/api/scan", self.api(self.scan))
        app.router.add_get(f"{p}/api/board", self.api(self.board))
        app.router.add_get(f"{p}/api/board/stream", self.board_stream)
        app.on_shutdown.append(self._on_shutdown)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        self.add_routes(app)
        return app

    async def _on_shutdown(self, app: web.Application) -> None:
        self.closing.set()  # open event streams end, so shutdown does not wait on them

    # -- pages -------------------------------------------------------------------------------

    def _file(self, name: str, kind: str) -> web.Response:
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        }
        if kind == "html":
            headers["Content-Security-Policy"] = CSP
        body = (STATIC / name).read_bytes()
        return web.Response(body=body, content_type=_TYPES[kind], charset="utf-8", headers=headers)

    async def page_app(self, request: web.Request) -> web.Response:
        return self._file("index.html", "html")

    async def page_board(self, request: web.Request) -> web.Response:
        return self._file("board.html", "html")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        match = _STATIC_NAME.fullmatch(name)
        if match is None or not (STATIC / name).is_file():
            raise web.HTTPNotFound()
        return self._file(name, match.group(1))

    # -- the API -------------------------------------------------------------------------------

    def api(self, handler: Callable[[web.Request], Awaitable[Any]]) -> Callable[[web.Request], Awaitable[web.Response]]:
        """JSON in and out; refusals as {"error": code} with their status, never a traceback."""

        async def wrapped(request: web.Request) -> web.Response:
            headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
            try:
                return web.json_response(await handler(request), headers=headers, dumps=_dumps)
            except ApiError as exc:
                return web.json_response(exc.body(), status=exc.status, headers=headers)
            except DomainError as exc:
                return web.json_response({"error": exc.code}, status=400, headers=headers)
            except Exception as exc:
                log.exception("webapp %s failed", request.path)
                code = "database_unavailable" if _is_database_failure(exc) else "internal_error"
                return web.json_response(
                    {"error": code}, status=503 if code != "internal_error" else 500, headers=headers
                )

        return wrapped

    async def strings(self, request: web.Request) -> dict[str, Any]:
        language = choose_language(None, request.query.get("lang"), self.settings.default_language)
        return {"language": language, "strings": views.strings(language)}

    def _user(self, request: web.Request) -> auth.WebAppUser:
        header = request.headers.get("Authorization", "")
        init_data = header[4:] if header.lower().startswith("tma ") else ""
        try:
            return auth.validate_init_data(init_data, self.token)
        except auth.AuthError as exc:
            raise ApiError(401, "unauthorized", exc.reason) from None

    async def _current(self, session: AsyncSession) -> tuple[Conference, list[Any]]:
        from core.conferences import current_conference
        from core.programme import lookup

        cached = self._conference
        if cached is not None and time.monotonic() - cached[0] < CONFERENCE_TTL:
            return cached[1], cached[2]
        conference = await current_conference(session, self.settings.conference)
        assert conference.id is not None
        halls = await lookup.hall_items(session, conference.id)
        self._conference = (time.monotonic(), conference, halls)
        return conference, halls

    async def _caller(self, session: AsyncSession, user: auth.WebAppUser, needs: set[StaffRoleName]) -> Caller:
        """The user's roles in the current conference; 403 without one of `needs`."""
        from core.people.identity import identify

        conference, _ = await self._current(session)
        assert conference.id is not None
        cached = self._roles.get(user.id)
        if cached is not None and cached[1] == conference.id and time.monotonic() - cached[0] < ROLES_TTL:
            roles, stored_language = cached[2], cached[3]
        else:
            found = await identify(session, [user.id], conference=conference, admin_ids=self.settings.admin_ids)
            roles, stored_language = found[user.id].roles, found[user.id].language
            if len(self._roles) > 10_000:  # staff are a few hundred at most; never grow without bound
                self._roles.clear()
            self._roles[user.id] = (time.monotonic(), conference.id, roles, stored_language)
        if not roles & needs:
            raise ApiError(403, "forbidden")
        language = choose_language(stored_language, user.language_code, self.settings.default_language)
        return Caller(user, language, roles, conference)

    async def me(self, request: web.Request) -> dict[str, Any]:
        user = self._user(request)
        async with unit_of_work(self.factory) as session:
            caller = await self._caller(session, user, SCANNER_ROLES | BOARD_ROLES)
            _, halls = await self._current(session)
        t = translator(caller.language)
        conf = caller.conference
        assert conf.id is not None
        data: dict[str, Any] = {
            "user": {"id": user.id, "first_name": user.first_name},
            "language": caller.language,
            "roles": sorted(r.value for r in caller.roles),
            "views": [v for v, roles in (("scanner", SCANNER_ROLES), ("board", BOARD_ROLES)) if caller.roles & roles],
            "conference": {"slug": conf.slug, "name": conf.name, "timezone": conf.timezone},
            "strings": views.strings(caller.language),
        }
        if caller.roles & SCANNER_ROLES:
            data["places"] = views.places(t, halls, conf)
        if caller.roles & BOARD_ROLES:
            data["board_token"] = auth.sign_board(
                conf.id, int(time.time()) + 3600 * self.settings.board_link_hours, self.token
            )
        return data

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise ApiError(413, "too_large")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad_request") from None
        if not isinstance(body, dict):
            raise ApiError(400, "bad_request")
        return body

    async def scan(self, request: web.Request) -> dict[str, Any]:
        user = self._user(request)
        body = await self._body(request)
        code, place, nonce = body.get("code"), body.get("place"), body.get("nonce")
        if not isinstance(code, str) or (place is not None and type(place) is not int):
            raise ApiError(400, "bad_request")
        if nonce is not None and not (isinstance(nonce, str) and _NONCE.fullmatch(nonce)):
            raise ApiError(400, "bad_request")
        try:
            direction = ScanDirection(body.get("direction", "in"))
        except ValueError:
            raise ApiError(400, "bad_request") from None
        async with unit_of_work(self.factory) as session:
            caller = await self._caller(session, user, SCANNER_ROLES)
            _, halls = await self._current(session)
            item = next((h for h in halls if h.id == place), None)
            if place is not None and item is None:
                raise ApiError(400, "unknown_place")
            verdict = await checkin.scan(
                session,
                conference_id=caller.conference.id,  # type: ignore[arg-type]
                text=code,
                staff_telegram_id=user.id,
                gate=views.place_label(item, self.settings.default_language),
                agenda_item_id=place,
                direction=direction,
                nonce=f"wa:{user.id}:{nonce}" if nonce else None,
                secret=await self._badge_secret(session),
                clock=self.clock,
            )
        return views.verdict_view(translator(caller.language), caller.conference, verdict)

    async def _badge_secret(self, session: AsyncSession) -> bytes:
        if self._secret is None:
            from core.app_settings import ensure_badge_secret

            self._secret, _ = await ensure_badge_secret(session, self.settings)
        return self._secret

    # -- the board ---------------------------------------------------------------------------

    def _board_id(self, request: web.Request) -> int:
        try:
            return auth.check_board(request.query.get("k", ""), self.token)
        except auth.AuthError as exc:
            raise ApiError(401, "unauthorized", exc.reason) from None

    async def board_json(self, conference_id: int) -> str:
        """The board of a conference as JSON text, computed at most once per `refresh`/2
        seconds however many screens watch it."""
        lock = self._board_locks.setdefault(conference_id, asyncio.Lock())
        async with lock:
            cached = self._boards.get(conference_id)
            if cached is not None and time.monotonic() - cached[0] < self.refresh / 2:
                return cached[1]
            from core.reporting.board import board

            async with unit_of_work(self.factory) as session:
                conference = await session.get(Conference, conference_id)
                if conference is None:
                    raise ApiError(404, "no_conference")
                text = _dumps((await board(session, conference, clock=self.clock)).as_dict())
            self._boards[conference_id] = (time.monotonic(), text)
            return text

    async def board(self, request: web.Request) -> Any:
        return json.loads(await self.board_json(self._board_id(request)))

    async def board_stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the board whenever it changes (checked every `refresh`
        seconds), a comment line otherwise; `event: expired` when the link runs out."""
        try:
            conference_id = self._board_id(request)
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.status)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        last = None
        try:
            while not self.closing.is_set():
                try:
                    self._board_id(request)
                except ApiError:
                    await response.write(b"event: expired\ndata: {}\n\n")
                    break
                text = await self.board_json(conference_id)
                await response.write(f"data: {text}\n\n".encode() if text != last else b": unchanged\n\n")
                last = text
                try:
                    await asyncio.wait_for(self.closing.wait(), self.refresh)
                except TimeoutError:
                    pass
        except ConnectionResetError:  # the screen went away
            return response
        except Exception:
            log.exception("board stream failed")
        return response


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _is_database_failure(exc: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError | OSError) or type(exc).__module__.split(".")[0] in ("asyncpg", "sqlite3")
