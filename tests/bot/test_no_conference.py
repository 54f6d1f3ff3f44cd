"""Before any programme is loaded: every command gets a clear answer (staff are told how to
load one), never "internal error" — one rule, checked once by the preconditions middleware."""

from __future__ import annotations

from bot.app import build_dispatcher, make_bot
from bot.emulator import BotAPIEmulator
from core.config import load_settings
from tests.bot.conftest import ADMIN

STAFF_COMMANDS = ("/pending", "/gate", "/delegation", "/invite BY", "/register_member", "/stats", "/attendance")
EVERYONE = ("/start", "/agenda", "/my", "/badge", "/me", "/edit", "/withdraw")


async def test_every_command_answers_before_a_programme_is_loaded(database_url, session_factory) -> None:
    async with BotAPIEmulator() as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token="123456:TEST",
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            admin_ids=[ADMIN],
            redis_url=None,
            conference=None,
        )
        bot, dp = make_bot(settings), build_dispatcher(settings, session_factory)
        try:
            async with emulator.polling(dp, bot):
                admin = emulator.user(ADMIN, "Admin")
                anna = emulator.user(5005, "Anna", language_code="ru")
                for command in (*STAFF_COMMANDS, *EVERYONE, "/find x", "/broadcast"):
                    await admin.send(command)
                    said = await admin.reply()
                    assert "No programme is loaded yet" in said.text and "confdesk program load" in said.text, (
                        command,
                        said.text,
                    )
                for command in EVERYONE:
                    await anna.send(command)
                    assert "ещё не открыта" in (await anna.reply()).text, command
                await anna.send("/pending")
                assert "только для организаторов" in (await anna.reply()).text
                await anna.send("/forget")  # erasure needs no conference
                await anna.expect("Удалить")
            emulator.assert_no_violations()
            assert not [c for c in emulator.calls if "internal" in (c.description or "")]
        finally:
            await bot.session.close()
