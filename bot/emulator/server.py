"""The HTTP side: routes, body decoding, schema checks, flood limits and Telegram's replies.

``POST/GET /bot{token}/{method}`` accepts JSON, urlencoded and multipart bodies (aiogram sends
multipart when it uploads a file) and ``GET /file/bot{token}/{path}`` serves downloads.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator import messaging, service  # noqa: F401  (registers the method handlers)
from bot.emulator.api import METHODS, Call
from bot.emulator.errors import NOT_FOUND, UNAUTHORIZED, ApiError, bad_request, too_many_requests
from bot.emulator.records import ApiCall, Violation
from bot.emulator.schema import FilePart

if TYPE_CHECKING:
    from bot.emulator.emulator import BotAPIEmulator

MAX_UPLOAD = 60 * 1024 * 1024  # Telegram accepts documents up to 50 MB
EMULATOR: web.AppKey[BotAPIEmulator] = web.AppKey("emulator")


def build_app(emu: BotAPIEmulator) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD)
    app[EMULATOR] = emu
    app.router.add_route("*", "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_download)
    return app


def reply(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


async def handle_method(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    if request.match_info["token"] != emu.token:
        return reply(UNAUTHORIZED.body(), UNAUTHORIZED.code)
    try:
        raw, files = await read_params(request)
    except ValueError as error:
        failure = bad_request(f"can't parse request: {error}")
        return reply(failure.body(), failure.code)

    if emu.take_drop(emu.schema.canonical_method(request.match_info["method"]) or "", raw):
        emu.calls.append(ApiCall(request.match_info["method"], summarize(raw), status=0, description="dropped"))
        if request.transport is not None:
            request.transport.abort()  # no answer at all: a network failure for the client
        emu.changed.notify()
        return web.Response()  # never written: the connection is gone

    def alive() -> bool:
        transport = request.transport
        return transport is not None and not transport.is_closing()

    status, body = await dispatch(emu, request.match_info["method"], raw, files, alive)
    return reply(body, status)


async def handle_download(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    stored = emu.files.by_path(request.match_info["path"])
    if request.match_info["token"] != emu.token or stored is None:
        return reply(NOT_FOUND.body(), NOT_FOUND.code)
    content_type = stored.mime_type or "application/octet-stream"
    return web.Response(body=stored.data, content_type=content_type)


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, FilePart]]:
    """Query string plus body, whatever its encoding; uploaded files are returned apart."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, FilePart] = {}
    if not request.body_exists:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as error:
            raise ValueError(f"invalid JSON: {error}") from None
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = FilePart(value.filename, value.content_type, value.file.read())
            else:
                params[key] = value
    else:
        raise ValueError(f"unsupported content type {request.content_type}")
    return params, files


async def dispatch(
    emu: BotAPIEmulator,
    name: str,
    raw: dict[str, Any],
    files: dict[str, FilePart],
    alive: Any,
) -> tuple[int, dict[str, Any]]:
    """Run one method call and return Telegram's status code and JSON body."""
    canonical = emu.schema.canonical_method(name)
    spec = METHODS.get(canonical) if canonical else None
    if spec is None or canonical is None:
        why = "not in the Bot API" if canonical is None else "not implemented by the emulator"
        emu.violations.append(Violation(name, [f"method {name} is {why}"], summarize(raw)))
        return NOT_FOUND.code, NOT_FOUND.body()
    polling = canonical == "getUpdates"
    if not polling:
        emu.in_flight += 1
        emu.mark_activity()
    else:
        emu.updates.polls += 1  # counted here, so that waiters woken below see it
        emu.changed.notify()
    params, errors = emu.schema.check_params(canonical, raw, files)
    record = ApiCall(canonical, summarize(params), chat_id=_chat_id(params))
    if not polling:
        emu.calls.append(record)
    try:
        if errors:
            emu.violations.append(Violation(canonical, errors, record.params))
            raise bad_request("; ".join(errors))
        retry_after = emu.rate_limiter.forced(canonical, params)
        if retry_after is None and spec.sends:
            retry_after = emu.rate_limiter.acquire(record.chat_id)
        if retry_after is not None:
            raise too_many_requests(retry_after)
        result = await spec.handler(emu, Call(canonical, params, alive))
        if spec.returns:
            problems = emu.schema.check_object(spec.returns, result)
            if problems:
                raise RuntimeError(f"emulator answered {canonical} off-schema: {problems}")
        if not polling or result:
            emu.mark_activity()
        return 200, {"ok": True, "result": result}
    except ApiError as error:
        record.status, record.description = error.code, error.description
        return error.code, error.body()
    except Exception as error:  # an emulator bug: fail loudly, in the test and to the bot
        emu.internal_errors.append(f"{canonical}: {error!r}\n{traceback.format_exc()}")
        record.status, record.description = 500, f"Internal Server Error: {error!r}"
        return 500, {"ok": False, "error_code": 500, "description": record.description}
    finally:
        if not polling:
            emu.in_flight -= 1
            emu.mark_activity()
        emu.changed.notify()


def _chat_id(params: dict[str, Any]) -> int | None:
    chat_id = params.get("chat_id")
    return chat_id if isinstance(chat_id, int) else None


def summarize(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters fit for a log: uploaded files become short descriptions."""
    return {
        key: f"<file {value.filename!r}, {len(value.data)} bytes>" if isinstance(value, FilePart) else value
        for key, value in params.items()
    }
