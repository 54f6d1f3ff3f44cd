"""pytest fixtures for tests that drive the bot through the emulator.

Enable with ``pytest_plugins = ["bot.emulator.pytest_plugin"]`` in the root conftest.py, or
import the fixtures into a conftest.  The fixtures also fail a test whose bot made a request
the real Bot API would reject as malformed (schema violations), so no test can pass on a call
that production would refuse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from bot.emulator.emulator import BotAPIEmulator

if TYPE_CHECKING:
    from aiogram import Bot


@pytest.fixture
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[BotAPIEmulator]:
    """A started emulator (flood limits off).  Mark a test with
    ``@pytest.mark.emulator_violations_allowed`` when it provokes violations on purpose."""
    emu = BotAPIEmulator()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
    if request.node.get_closest_marker("emulator_violations_allowed") is None:
        emu.assert_no_violations()
    assert not emu.internal_errors, "\n".join(emu.internal_errors)


@pytest.fixture
async def emulator_bot(emulator: BotAPIEmulator) -> AsyncIterator[Bot]:
    """A real aiogram Bot whose session talks to ``emulator``."""
    bot = emulator.create_bot()
    try:
        yield bot
    finally:
        await bot.session.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "emulator_violations_allowed: the test provokes Bot API schema violations on purpose",
    )
