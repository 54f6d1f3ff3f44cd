"""Locale files: English and Russian define the same keys with the same arguments, every
key the code asks for exists, and what people type is shown literally (HTML-escaped)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fluent.syntax import FluentParser
from fluent.syntax import ast as fl
from fluent.syntax.visitor import Visitor

from bot.app import STAFF_COMMANDS, USER_COMMANDS
from bot.i18n import LOCALES_DIR, keys
from bot.keyboards.signup import FIELDS, KINDS
from core.models import Category, DelegationKind, RegistrationStatus, ScanDirection, ScanResult
from tests.bot.conftest import OFFICER, Harness, add_staff

BOT = Path(__file__).parents[2] / "bot"

CORE = Path(__file__).parents[2] / "core"


def _error_codes() -> set[str]:
    """Every code a domain error raised anywhere in core/ can carry: the class's own code,
    or the `code=` given where it is raised. Core does not know who calls it, so each one
    has its text in both languages (the bot renders `error-<code>`)."""
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in sorted(CORE.rglob("*.py"))]
    classes: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else []
                    if any(isinstance(t, ast.Name) and t.id == "code" for t in targets):
                        assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                        classes[node.name] = str(stmt.value.value)
    found: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in classes:
                    given = [k.value for k in node.exc.keywords if k.arg == "code"]
                    code = given[0].value if given and isinstance(given[0], ast.Constant) else classes[name]
                    found.add(str(code))
    assert {"not_found", "invalid_input", "registration_not_found"} <= found  # the scan works
    return found


def _families() -> dict[str, set[str]]:
    """Keys built at run time from a prefix and a value: every value the code can produce."""
    return {
        "category-": {c.value for c in Category},
        "status-": {s.value for s in RegistrationStatus},
        "kind-": set(KINDS) | {k.value for k in DelegationKind},
        "field-": set(FIELDS),
        "cmd-": {c.replace("_", "-") for c in USER_COMMANDS + STAFF_COMMANDS},
        "verdict-": {r.value for r in ScanResult},
        "gate-": {d.value for d in ScanDirection},
        "error-": _error_codes(),
    }


def _keys_in(node: ast.expr) -> tuple[set[str], set[str]]:
    """(literal keys, prefixes of built keys) of a translator call's first argument."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}, set()
    if isinstance(node, ast.IfExp):
        a, b = _keys_in(node.body), _keys_in(node.orelse)
        return a[0] | b[0], a[1] | b[1]
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return set(), {str(node.values[0].value)}
    if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant):
        return set(), {str(node.left.value)}
    return set(), set()


def _used_keys() -> tuple[dict[str, str], dict[str, str]]:
    literal: dict[str, str] = {}
    built: dict[str, str] = {}
    for path in sorted(BOT.rglob("*.py")):
        if "emulator" in path.parts or "cli" in path.parts:  # the CLI has its own strings: tests/cli
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "t":
                arg = node.args[0]
            elif name == "confirm" and len(node.args) == 3:  # kb.confirm(t, action, yes_key)
                arg = node.args[2]
            else:
                continue
            where = f"{path.relative_to(BOT.parent)}:{node.lineno}"
            found, prefixes = _keys_in(arg)
            literal.update(dict.fromkeys(found, where))
            built.update(dict.fromkeys(prefixes, where))
    return literal, built


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
        junk = [e for e in resource.body if isinstance(e, fl.Junk)]
        assert not junk, f"{path}: cannot parse {[j.content[:60] for j in junk]}"
        for entry in resource.body:
            if isinstance(entry, fl.Message):
                seen = _Variables()
                seen.visit(entry)
                out[entry.id.name] = seen.names
    return out


def test_english_and_russian_have_the_same_keys_and_arguments() -> None:
    en, ru = keys("en"), keys("ru")
    assert sorted(en - ru) == [], "missing in ru"
    assert sorted(ru - en) == [], "missing in en"
    en_args, ru_args = _arguments("en"), _arguments("ru")
    different = {k: (en_args[k], ru_args.get(k)) for k in en_args if en_args[k] != ru_args.get(k)}
    assert different == {}


def test_every_key_the_code_uses_exists() -> None:
    en = keys("en")
    literal, built = _used_keys()
    assert len(literal) > 80  # the scan does find the handlers' keys
    assert {k: w for k, w in literal.items() if k not in en} == {}
    built.setdefault("error-", "bot/middlewares/errors.py (render_error)")  # built from a variable there
    families = _families()
    unknown = {p: w for p, w in built.items() if p not in families}
    assert unknown == {}, "a key is built from a new prefix: list its values in _families()"
    missing = sorted(f"{p}{v}" for p in built for v in families[p] if f"{p}{v}" not in en)
    assert missing == []


async def test_what_people_type_is_shown_literally(harness: Harness) -> None:
    h = harness
    await add_staff(h)
    officer = h.user(OFFICER, "Olga")
    await officer.send("/help")
    await officer.reply()
    anna = h.user(1601, "Anna")
    await anna.start()
    await anna.expect("full name in Latin script")
    await anna.send("Anna <b>Petrova</b>")  # markup is no name
    assert "Please write your name in Latin letters" in (await anna.reply()).text
    await anna.send("/cancel")
    await anna.expect("Stopped")
    await anna.start()
    await anna.expect("Welcome to")
    await anna.expect("full name in Latin script")
    await anna.send("Anna Petrova")
    await anna.expect("own script")
    await anna.press("Skip")
    await anna.expect("Which delegation")
    await anna.send("<script>&amp;")
    none = await anna.reply()
    assert "No delegation matches “<script>&amp;”" in none.text
    await anna.press("State")
    await anna.edited()
    await anna.press("Belarus")
    await anna.expect("Your category")
    await anna.press("Delegate")
    await anna.expect("position or title")
    await anna.send("<b>Chief</b> & <i>co</i>")
    await anna.expect("Your organisation")
    await anna.send("R&D <Lab>")
    await anna.expect("Personal data")
    await anna.press("I agree")
    summary = await anna.expect("Please check your data")
    assert "Position: <b>Chief</b> & <i>co</i>" in summary.text and "Organisation: R&D <Lab>" in summary.text
    bold = [summary.text[e["offset"] : e["offset"] + e["length"]] for e in summary.entities if e["type"] == "bold"]
    assert bold == ["Please check your data"]  # the only markup is ours
    await anna.press("Confirm")
    await anna.expect("waits for approval")

    card = await officer.expect("New registration")
    assert "Organisation: R&D <Lab>" in card.text and "Position: <b>Chief</b> & <i>co</i>" in card.text
    await officer.press("Approve")
    marked = await officer.edited()  # re-sent as HTML with the note appended: still literal
    assert "Organisation: R&D <Lab>" in marked.text and "Approved by Olga" in marked.text
    await anna.expect("is approved")
    await anna.send("/me")
    me = await anna.reply()
    assert "Organisation: R&D <Lab>" in me.text and "Position: <b>Chief</b> & <i>co</i>" in me.text


def test_dates_and_times_are_shown_in_the_readers_language() -> None:
    from datetime import UTC, datetime

    from bot.i18n import translator

    at = datetime(2024, 10, 31, 7, 5, tzinfo=UTC)  # 10:05 in Minsk
    assert translator("en").moment(at, "Europe/Minsk") == "31 Oct, 10:05"
    assert translator("ru").moment(at, "Europe/Minsk") == "31 окт., 10:05"
    assert translator("ru").moment(at, "Europe/Minsk", day=False) == "10:05"
    # and nothing in the bot formats a moment for a reader by hand (strftime, f"{x:%d.%m}")
    hand_made = re.compile(r"strftime\(|\{[^{}]*:%[a-zA-Z]")
    offenders = [
        f"{path.relative_to(BOT.parent)}:{n}"
        for path in sorted(BOT.rglob("*.py"))
        if not {"emulator", "cli"} & set(path.parts) and path.name != "demo.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if hand_made.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []
