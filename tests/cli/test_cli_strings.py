"""The command line's own strings (bot/cli/locales): both languages define the same keys with
the same arguments, and every key the CLI code asks for exists."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from fluent.syntax import FluentParser
from fluent.syntax import ast as fl
from fluent.syntax.visitor import Visitor

from bot.cli.i18n import LOCALES_DIR, cli_text, keys
from core.checkin import REASONS
from core.models import AgendaKind, Category, ScanResult

CLI = Path(__file__).parents[2] / "bot" / "cli"
FAMILIES = {  # keys built from a prefix and a value
    "kind-": {k.value for k in AgendaKind},
    "category-": {c.value for c in Category},
    "kiosk-result-": {r.value for r in ScanResult},
    "kiosk-why-": set(REASONS),
}


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_VariableReference(self, node: fl.VariableReference) -> None:
        self.names.add(node.id.name)


def _arguments(language: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        resource = FluentParser().parse(path.read_text(encoding="utf-8"))
        assert not [e for e in resource.body if isinstance(e, fl.Junk)], path
        for entry in resource.body:
            if isinstance(entry, fl.Message):
                seen = _Variables()
                seen.visit(entry)
                out[entry.id.name] = seen.names
    return out


def test_english_and_russian_have_the_same_keys_and_arguments() -> None:
    assert keys("en") == keys("ru") and len(keys("en")) > 20
    assert _arguments("en") == _arguments("ru")


def test_every_key_the_cli_uses_exists() -> None:
    literal: dict[str, str] = {}
    built: dict[str, str] = {}
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t"):
                continue
            arg, where = node.args[0], f"{path.name}:{node.lineno}"
            if isinstance(arg, ast.Constant):
                literal[str(arg.value)] = where
            elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                built[str(arg.values[0].value)] = where
            else:
                raise AssertionError(f"{where}: a key the test cannot read")
    assert len(literal) > 10
    en = keys("en")
    assert {k: w for k, w in literal.items() if k not in en} == {}
    assert set(built) <= set(FAMILIES), "a key is built from a new prefix: list its values in FAMILIES"
    assert sorted(f"{p}{v}" for p in built for v in FAMILIES[p] if f"{p}{v}" not in en) == []
    assert cli_text("en").day(date(2024, 10, 31)) == "Thursday, 31 October 2024"
    assert cli_text("ru").day(date(2024, 10, 31)) == "Четверг, 31 октября 2024"
