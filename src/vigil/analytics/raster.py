"""The charts and the state map as PNG images, drawn on the server with Pillow from the
same figures and geometry as their SVG (vigil.analytics.charts and .maps), for readers
whose tools take no SVG (slides, word processors). No browser, no script, no fonts
fetched: Pillow's own font."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw, ImageFont

from vigil.analytics import charts
from vigil.analytics.maps import bins, legend, shade, state_rings

SCALE = 2  # pixels per SVG unit: sharp on high-density screens and in print
INK = "#1b1b1b"
GRID = "#dfe1e2"
BAR = "#005ea2"
TITLE_HEIGHT = 28


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size * SCALE)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def bar_chart_png(labels: Sequence[str], values: Sequence[float], *, title: str) -> bytes:
    """The bar chart of ``charts.bar_chart`` as a PNG, its title written above it."""
    width, height = charts.WIDTH, charts.HEIGHT + TITLE_HEIGHT
    image = Image.new("RGB", (width * SCALE, height * SCALE), "white")
    draw = ImageDraw.Draw(image)
    draw.text((8 * SCALE, 6 * SCALE), title, fill=INK, font=_font(14))
    count = max(len(values), 1)
    top = charts._nice_top(max(values, default=0))
    left, base_top = charts.MARGIN_LEFT, TITLE_HEIGHT + charts.MARGIN_TOP
    plot_w = width - left - 8
    plot_h = charts.HEIGHT - charts.MARGIN_BOTTOM - charts.MARGIN_TOP
    small = _font(11)
    for tick in range(5):
        y = base_top + plot_h - plot_h * tick / 4
        draw.line([(left * SCALE, y * SCALE), ((width - 8) * SCALE, y * SCALE)], fill=GRID)
        draw.text(
            ((left - 6) * SCALE, y * SCALE),
            f"{top * tick / 4:g}",
            fill=INK,
            font=small,
            anchor="rm",
        )
    axis_y = (base_top + plot_h) * SCALE
    draw.line([(left * SCALE, axis_y), ((width - 8) * SCALE, axis_y)], fill=INK, width=SCALE)
    slot = plot_w / count
    bar = max(slot * 0.8, 1.0)
    label_every = max(1, -(-count // 12))
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_h = plot_h * (value / top) if top else 0
        x = left + slot * index + (slot - bar) / 2
        if bar_h > 0:
            draw.rectangle(
                [(x * SCALE, (base_top + plot_h - bar_h) * SCALE), ((x + bar) * SCALE, axis_y)],
                fill=BAR,
            )
        if index % label_every == 0:
            draw.text(
                ((x + bar / 2) * SCALE, axis_y + 8 * SCALE),
                label,
                fill=INK,
                font=small,
                anchor="mt",
            )
    return _png(image)


MAP_WIDTH, MAP_HEIGHT = 975, 660


def map_png(figures: Mapping[str, float], *, title: str) -> bytes | None:
    """The state map of ``maps.choropleth`` as a PNG; None when the boundaries are not
    installed."""
    rings = state_rings()
    if not rings:
        return None
    scale = 1  # the map is large already
    image = Image.new("RGB", (MAP_WIDTH * scale, (MAP_HEIGHT + TITLE_HEIGHT) * scale), "white")
    draw = ImageDraw.Draw(image)
    draw.text((8, 6), title, fill=INK, font=ImageFont.load_default(size=16))
    edges = bins(list(figures.values()))
    for code, outline in sorted(rings.items()):
        fill = shade(figures.get(code), edges)
        for ring in outline:
            points = [(x * scale, (y + TITLE_HEIGHT) * scale) for x, y in ring]
            if len(points) >= 3:
                draw.polygon(points, fill=fill, outline="white")
    font = ImageFont.load_default(size=13)
    for index, (colour, lower, upper) in enumerate(legend(figures)):
        x, y = 20 + index * 150, 625 + TITLE_HEIGHT
        draw.rectangle([(x, y), (x + 18, y + 18)], fill=colour, outline="#71767a")
        draw.text((x + 24, y + 9), f"{lower:g}-{upper:g}", fill=INK, font=font, anchor="lm")
    return _png(image)
