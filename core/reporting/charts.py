"""Charts as PNG bytes (matplotlib, Agg backend, no pyplot: figures are plain objects, so
several can be drawn at once in worker threads). Labels come from the caller (the bot's
locale files); DejaVu Sans, matplotlib's default font, has Cyrillic."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.reporting.attendance import DelegationLine, HourCount

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BLUE, _GREEN, _GREY = "#2b6cb0", "#38a169", "#cbd5e0"


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def checkins_per_hour(hours: Sequence[HourCount], *, title: str, xlabel: str, ylabel: str) -> bytes:
    """Bars: entries per local hour of one day (hours without entries at the edges trimmed)."""
    shown = list(hours)
    busy = [i for i, h in enumerate(shown) if h.entries]
    if busy:
        shown = shown[max(0, busy[0] - 1) : busy[-1] + 2]
    fig = Figure(figsize=(8, 4.2))
    ax = fig.add_subplot()
    labels = [h.hour.strftime("%H:00") for h in shown]
    values = [h.entries for h in shown]
    bars = ax.bar(range(len(shown)), values, color=_BLUE)
    ax.bar_label(bars, labels=[str(v) if v else "" for v in values], fontsize=8)
    ax.set_xticks(range(len(shown)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def presence_by_delegation(
    lines: Sequence[DelegationLine],
    *,
    language: str,
    title: str,
    present_label: str,
    accredited_label: str,
    inside_label: str,
    top: int = 25,
) -> bytes:
    """Horizontal bars per delegation: accredited (grey), present today, inside now."""
    chosen = sorted((d for d in lines if d.accredited or d.present), key=lambda d: (-d.accredited, d.code))[:top]
    chosen.reverse()  # largest at the top
    fig = Figure(figsize=(8, max(3.0, 0.32 * len(chosen) + 1.4)))
    ax = fig.add_subplot()
    ys = range(len(chosen))
    ax.barh(ys, [d.accredited for d in chosen], color=_GREY, label=accredited_label)
    ax.barh(ys, [d.present for d in chosen], color=_BLUE, height=0.6, label=present_label)
    ax.barh(ys, [d.inside for d in chosen], color=_GREEN, height=0.3, label=inside_label)
    ax.set_yticks(list(ys), [d.label(language)[:32] or "—" for d in chosen], fontsize=8)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)
