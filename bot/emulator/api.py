"""The registry of emulated methods: adding a Bot API method is one decorated function.

The schema already knows every method's parameters (unknown ones are rejected before the
handler runs), so a handler only implements the behaviour::

    @method("sendChatAction")
    async def send_chat_action(emu: BotAPIEmulator, call: Call) -> bool:
        emu.chat_for(call.params["chat_id"])
        return True

``sends=True`` puts the method under the flood limits; ``returns`` names the schema type the
result must match (the emulator checks its own answers, so aiogram can always parse them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.emulator.emulator import BotAPIEmulator


@dataclass
class Call:
    """One decoded request: the schema-checked parameters and a liveness probe."""

    method: str
    params: dict[str, Any]
    alive: Callable[[], bool] = field(default=lambda: True)


Handler = Callable[["BotAPIEmulator", Call], Awaitable[Any]]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    handler: Handler
    sends: bool
    returns: str | None


METHODS: dict[str, MethodSpec] = {}


def method(name: str, *, sends: bool = False, returns: str | None = None) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name] = MethodSpec(name, handler, sends, returns)
        return handler

    return register
