"""The Bot API client session: aiogram's aiohttp session, sending JSON and reading answers
straight from their bytes.

aiogram's own session posts every request as a form: each parameter converted apart (nested
objects dumped to JSON strings one by one), url-encoded into a FormData, and every answer
decoded to text, parsed by `json.loads` into dicts and only then validated into its pydantic
type. The Bot API accepts `application/json` bodies as well, so a request without files is
sent as one JSON document, and the answer is validated by pydantic-core from its bytes in one
pass (`model_validate_json`). Measured per request on this machine it is about a third of the
client's CPU (bench/README.md, "Confirm ... JSON requests"); every update's getUpdates and
every reply take this path. Requests that upload a file (InputFile) go as aiogram sends
them, multipart; so do failures, which aiogram's own checks turn into its exceptions."""

from __future__ import annotations

import datetime
import json
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile, TelegramObject
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

if TYPE_CHECKING:
    from aiogram import Bot

JSON_HEADERS = {"Content-Type": "application/json"}
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


class HasFiles(Exception):
    """The request uploads a file: it goes as multipart form data instead."""


def plain(value: Any, bot: Bot) -> Any:
    """A method parameter as JSON values, as aiogram's `prepare_value` would send it
    (defaults resolved from the bot, None left out, times as Unix seconds), raising
    `HasFiles` for an upload."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {k: p for k, v in value.items() if (p := plain(v, bot)) is not None}
    if isinstance(value, list):
        return [p for v in value if (p := plain(v, bot)) is not None]
    if isinstance(value, Default):
        return plain(bot.default[value.name], bot)
    if isinstance(value, TelegramObject):
        return plain(value.model_dump(warnings=False), bot)
    if isinstance(value, Enum):
        return plain(value.value, bot)
    if isinstance(value, InputFile):
        raise HasFiles
    if isinstance(value, datetime.timedelta):
        return round((datetime.datetime.now() + value).timestamp())
    if isinstance(value, datetime.datetime):
        return round(value.timestamp())
    return value


class JsonSession(AiohttpSession):
    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The request as one JSON document, or None when it uploads a file."""
        try:
            params = {
                key: p
                for key, value in method.model_dump(warnings=False).items()
                if (p := plain(value, bot)) not in (None, "")
            }
        except HasFiles:
            return None
        return _encode(params).encode()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        limit = ClientTimeout(total=self.timeout if timeout is None else timeout)  # as aiogram's number means
        try:
            async with session.post(url, data=body, headers=JSON_HEADERS, timeout=limit) as resp:
                raw = await resp.read()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        return self.answer(bot, method, resp.status, raw)

    def answer(self, bot: Bot, method: TelegramMethod[TelegramType], status: int, raw: bytes) -> TelegramType:
        """The result of a successful answer, validated from its bytes; anything else goes
        through aiogram's checks, which raise its exceptions (flood limits, migrations,
        bad requests, undecodable answers)."""
        if 200 <= status <= 226:
            try:
                response_type = Response[method.__returning__]  # type: ignore[name-defined]
                response = response_type.model_validate_json(raw, context={"bot": bot})
            except ValidationError:
                pass
            else:
                if response.ok:
                    return cast(TelegramType, response.result)
        text = raw.decode(errors="replace")
        return cast(TelegramType, self.check_response(bot, method, status, text).result)
