"""aiogram runs a synchronous filter (a bare State, a magic F) in a worker thread for every
check; every filter on our routers must be awaitable."""

from __future__ import annotations

from bot.app import build_dispatcher
from core.config import load_settings


def test_every_filter_is_awaitable(session_factory) -> None:  # type: ignore[no-untyped-def]
    dp = build_dispatcher(load_settings(_env_file=None, redis_url=None), session_factory)
    sync = []
    for router in dp.chain_tail:
        for name, observer in router.observers.items():
            for handler in observer.handlers:
                for f in handler.filters or []:
                    if not f.awaitable:
                        sync.append(f"{router.name}.{name}: {handler.callback.__name__} <- {f.callback!r}")
    assert sync == []
