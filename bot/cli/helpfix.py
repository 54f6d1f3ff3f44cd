"""`--help` shows flags as flags.

typer 0.29's rich help prints a value placeholder after every flag (`--json <bool>`,
`--help <bool>`), as if it took a value; its plain help does not. Every boolean option here
is a flag (`--json`, `--dry-run`, ...: present = yes), so the placeholder is dropped for
flags and counters; other options keep theirs. Older typer versions have no such method
and print flags correctly: nothing to do there.
"""

from __future__ import annotations

from typing import Any

from typer import core


def show_flags_without_placeholder() -> None:
    option = getattr(core, "TyperOption", None)
    original = getattr(option, "display_type_rich", None)
    if option is None or original is None or getattr(original, "_flags_fixed", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        return original(self, ctx)  # type: ignore[no-any-return]

    display_type_rich._flags_fixed = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich
