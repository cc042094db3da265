"""Small charts drawn on the server as inline SVG: no script, no library, readable without
JavaScript and printable. Every text in them is escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 220
LEFT = 48
RIGHT = 12
TOP = 14
BOTTOM = 34
MAX_LABELS = 8


@dataclass(frozen=True)
class Serie:
    name: str
    values: Sequence[float | None]
    css: str  # a class the stylesheet colours


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _frame(labels: Sequence[str], top: float, fmt: Callable[[float], str], title: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="none">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        y = TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    n = len(labels)
    every = max(1, -(-n // MAX_LABELS))
    slot = (WIDTH - LEFT - RIGHT) / max(n, 1)
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return parts


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Serie],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
) -> SafeString:
    """Grouped bars, one group per label."""
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_max(max(values, default=0))
    parts = _frame(labels, top, fmt, title)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar_w = max(1.0, slot * 0.8 / max(len(series), 1))
    for s_index, serie in enumerate(series):
        for index, value in enumerate(serie.values):
            if not value:
                continue
            h = plot_h * value / top
            x = LEFT + slot * index + slot * 0.1 + bar_w * s_index
            y = TOP + plot_h - h
            parts.append(
                f'<rect class="{escape(serie.css)}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}"><title>{escape(labels[index])} · {escape(serie.name)}: '
                f"{escape(fmt(value))}</title></rect>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped or a number)


def line_chart(
    labels: Sequence[str],
    series: Sequence[Serie],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    top: float | None = None,
) -> SafeString:
    """Lines with a dot per known point; a gap where a period has no value."""
    values = [v for s in series for v in s.values if v is not None]
    ceiling = top if top is not None else _nice_max(max(values, default=0))
    parts = _frame(labels, ceiling, fmt, title)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for serie in series:
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for index, value in enumerate(serie.values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            x = LEFT + slot * (index + 0.5)
            y = TOP + plot_h - plot_h * min(value, ceiling) / ceiling
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle class="{escape(serie.css)}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                f"<title>{escape(labels[index])} · {escape(serie.name)}: "
                f"{escape(fmt(value))}</title></circle>"
            )
        for points in segments:
            if len(points) > 1:
                joined = " ".join(points)
                parts.append(
                    f'<polyline class="{escape(serie.css)}" fill="none" points="{joined}"/>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped or a number)
