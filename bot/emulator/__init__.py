"""A local Telegram Bot API emulator for testing the real aiogram bot over HTTP.

See README.md in this folder.  Importing this package does not import aiogram.
"""

from bot.emulator.emulator import BotAPIEmulator
from bot.emulator.ratelimit import RateLimitConfig
from bot.emulator.records import (
    ApiCall,
    BotMessage,
    CallbackAnswer,
    InlineAnswer,
    StoredFile,
    Violation,
)
from bot.emulator.schema import Schema
from bot.emulator.users import FakeUser

__all__ = [
    "ApiCall",
    "BotAPIEmulator",
    "BotMessage",
    "CallbackAnswer",
    "FakeUser",
    "InlineAnswer",
    "RateLimitConfig",
    "Schema",
    "StoredFile",
    "Violation",
]
