"""How bot/ is put together, checked by reading its source: routers hold handlers and never
import each other (what two of them share is in bot/flows/), the texts are pure (no
database), transactions end only in the unit of work, and the sender has a renderer for
every kind of message core queues."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).parents[2] / "bot"


def _imports(path: Path) -> set[str]:
    """Every module `path` imports (`from a import b` counts as both a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (BOT / folder).glob("*.py") if p.name != "__init__.py")


def test_no_router_imports_another_router() -> None:
    routers = _modules("routers")
    assert len(routers) >= 10  # the scan does find them
    names = {f"bot.routers.{p.stem}" for p in routers}
    found = {p.stem: sorted((_imports(p) & names) - {f"bot.routers.{p.stem}"}) for p in routers}
    assert {k: v for k, v in found.items() if v} == {}


def test_flows_texts_and_the_sender_do_not_import_routers() -> None:
    paths = [*_modules("flows"), *_modules("texts"), BOT / "outbox_texts.py", BOT / "sender.py", BOT / "notify.py"]
    found = {p.name: sorted(m for m in _imports(p) if m.startswith("bot.routers")) for p in paths}
    assert {k: v for k, v in found.items() if v} == {}


def test_texts_do_not_read_the_database() -> None:
    found = {p.stem: sorted(m for m in _imports(p) if m.startswith("sqlalchemy")) for p in _modules("texts")}
    assert {k: v for k, v in found.items() if v} == {}


def test_handlers_never_end_a_transaction() -> None:
    """The update's unit of work commits or rolls back (bot/middlewares/database.py), and
    checkpoints before each Bot API request; handlers and what they call never do."""
    paths = [*_modules("routers"), *_modules("flows"), *_modules("texts"), BOT / "notify.py"]
    calls = [
        f"{p.relative_to(BOT.parent)}:{node.lineno}"
        for p in paths
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback", "checkpoint")
    ]
    assert calls == []


def test_every_kind_core_queues_has_a_renderer() -> None:
    from bot import sender
    from bot.outbox_texts import RENDERERS
    from core.accreditation import notices
    from core.messaging import broadcasts
    from core.programme import messages

    queued = {messages.REMINDER, messages.PROMOTED, messages.NOTICE, broadcasts.KIND, broadcasts.REPORT_KIND}
    queued |= {notices.CARD, notices.DECISION}
    assert set(RENDERERS) == queued
    assert sender.RENDERERS is RENDERERS  # what the sender looks up, imported, not registered
