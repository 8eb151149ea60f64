"""Charts as SVG drawn on the server: no script, readable by screen readers (a title,
a description and a label on every bar), the same figures as the data table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 720
HEIGHT = 260
MARGIN_LEFT = 48
MARGIN_BOTTOM = 40
MARGIN_TOP = 16


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(-(-value // step) * step)


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, unit: str, chart_id: str
) -> str:
    """A vertical bar chart; every ``label_every``-th label is written under the axis."""
    count = max(len(values), 1)
    top = _nice_top(max(values, default=0))
    plot_w = WIDTH - MARGIN_LEFT - 8
    plot_h = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot = plot_w / count
    bar = max(slot * 0.8, 1.0)
    label_every = max(1, -(-count // 12))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="vigil-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(unit)} for {count} groups, '
        f"from {escape(labels[0]) if labels else 'none'} to "
        f"{escape(labels[-1]) if labels else 'none'}; the table beside gives every figure.</desc>",
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP + plot_h}" x2="{WIDTH - 8}" '
        f'y2="{MARGIN_TOP + plot_h}" stroke="#1b1b1b"/>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = MARGIN_TOP + plot_h - plot_h * tick / 4
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{value:g}</text>"
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" '
            f'stroke="#dfe1e2"/>'
        )
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot_h * (value / top) if top else 0
        x = MARGIN_LEFT + slot * index + (slot - bar) / 2
        y = MARGIN_TOP + plot_h - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
            f'fill="#005ea2"><title>{escape(label)}: {value:g} {escape(unit)}</title></rect>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
                f'text-anchor="middle" font-size="11">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
