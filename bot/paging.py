"""Long lists shown a page at a time (a day's programme, attendance lists, audience pickers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def page_of(items: Sequence[T], page: int, size: int) -> tuple[Sequence[T], int, int]:
    """The items on `page` (clamped to the pages there are), that page, and how many pages
    there are (at least one, even for no items)."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages
