"""The operating picture's maps, drawn on the server from what ships in the package:
the us-atlas state boundaries (already projected to Albers USA, as the analytics maps
use them) with the incident's points projected the same way, and a local plan of the
points in kilometres. No tiles, no CDN. Every map has a table beside it on the page."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Final

from vigil.analytics.maps import state_paths

# d3.geoAlbersUsa's lower-48 projection, the one us-atlas's albers files were made with.
SCALE: Final = 1300.0
TRANSLATE: Final = (487.5, 305.0)
PARALLELS: Final = (29.5, 45.5)
ROTATE: Final = 96.0
CENTER: Final = (-0.6, 38.7)
# Marker shape and colour per kind of point (a legend names them).
MARKERS: Final[dict[str, tuple[str, str]]] = {
    "incident": ("Incident", "#b50909"),
    "reunification_site": ("Reunification site", "#00a91c"),
    "hospital": ("Hospital", "#005ea2"),
    "command_post": ("Incident command post", "#8168b3"),
    "staging": ("Staging area", "#936f38"),
    "family_assistance": ("Family assistance center", "#c05600"),
}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class MapPoint:
    kind: str
    name: str
    latitude: float
    longitude: float


def _conic(lam: float, phi: float) -> tuple[float, float]:
    sy0 = math.sin(math.radians(PARALLELS[0]))
    n = (sy0 + math.sin(math.radians(PARALLELS[1]))) / 2
    c = 1 + sy0 * (2 * n - sy0)
    r0 = math.sqrt(c) / n
    r = math.sqrt(max(0.0, c - 2 * n * math.sin(phi))) / n
    return r * math.sin(lam * n), r0 - r * math.cos(lam * n)


def project(longitude: float, latitude: float) -> tuple[float, float]:
    """A point in the us-atlas Albers USA frame (lower 48: 975 x 610)."""
    lam = math.radians(((longitude + ROTATE + 180.0) % 360.0) - 180.0)
    px, py = _conic(lam, math.radians(latitude))
    cx, cy = _conic(math.radians(CENTER[0]), math.radians(CENTER[1]))
    return TRANSLATE[0] + SCALE * (px - cx), TRANSLATE[1] - SCALE * (py - cy)


def in_lower_48(point: MapPoint) -> bool:
    return 24.0 <= point.latitude <= 50.0 and -125.5 <= point.longitude <= -66.0


@cache
def _state_boxes() -> dict[str, tuple[float, float, float, float]]:
    boxes = {}
    for code, data in state_paths().items():
        numbers = [float(v) for v in _NUMBER.findall(data)]
        xs, ys = numbers[0::2], numbers[1::2]
        if xs and ys:
            boxes[code] = (min(xs), min(ys), max(xs), max(ys))
    return boxes


def _marker(kind: str, x: float, y: float, size: float) -> str:
    colour = MARKERS.get(kind, ("", "#1b1b1b"))[1]
    if kind == "incident":
        s = size * 1.3
        return (
            f'<polygon points="{x:.2f},{y - s:.2f} {x + s:.2f},{y + s:.2f} {x - s:.2f},{y + s:.2f}"'
            f' fill="{colour}" stroke="#ffffff" stroke-width="{size / 4:.2f}"/>'
        )
    if kind == "reunification_site":
        return (
            f'<rect x="{x - size:.2f}" y="{y - size:.2f}" width="{2 * size:.2f}" '
            f'height="{2 * size:.2f}" fill="{colour}" stroke="#ffffff" '
            f'stroke-width="{size / 4:.2f}"/>'
        )
    return (
        f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{size:.2f}" fill="{colour}" stroke="#ffffff" '
        f'stroke-width="{size / 4:.2f}"/>'
    )


def region_map(points: Sequence[MapPoint], *, chart_id: str) -> str:
    """The states around the incident with its points; '' without boundaries or points."""
    paths = state_paths()
    drawn = [p for p in points if in_lower_48(p)]
    if not paths or not drawn:
        return ""
    projected = [(p, *project(p.longitude, p.latitude)) for p in drawn]
    xs = [x for _, x, _ in projected]
    ys = [y for _, _, y in projected]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    width = max(240.0, (max(xs) - min(xs)) * 1.4)
    height = width * 0.66
    box = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{box[0]:.1f} {box[1]:.1f} '
        f'{width:.1f} {height:.1f}" role="img" aria-labelledby="{chart_id}-title '
        f'{chart_id}-desc" class="vigil-chart vigil-picture-map">',
        f'<title id="{chart_id}-title">Region of the incident</title>',
        f'<desc id="{chart_id}-desc">State boundaries around the incident with its '
        f"{len(drawn)} mapped place(s); the table beside the map lists each one.</desc>",
        f'<rect x="{box[0]:.1f}" y="{box[1]:.1f}" width="{width:.1f}" height="{height:.1f}" '
        'fill="#e7f2f8"/>',
    ]
    for code, (x0, y0, x1, y1) in sorted(_state_boxes().items()):
        if x1 < box[0] or x0 > box[2] or y1 < box[1] or y0 > box[3]:
            continue
        parts.append(
            f'<path d="{paths[code]}" fill="#f0f0f0" stroke="#71767a" stroke-width="0.4">'
            f"<title>{escape(code)}</title></path>"
        )
    size = width / 120
    for point, x, y in projected:
        parts.append(f"<g><title>{escape(point.name)}</title>{_marker(point.kind, x, y, size)}</g>")
    parts.append("</svg>")
    return "".join(parts)


def distance_km(a: MapPoint, b: MapPoint) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    la1, la2 = math.radians(a.latitude), math.radians(b.latitude)
    dla = la2 - la1
    dlo = math.radians(b.longitude - a.longitude)
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def local_map(points: Sequence[MapPoint], *, chart_id: str) -> str:
    """A plan of the points in kilometres around their centre, with a scale bar."""
    if not points:
        return ""
    lat0 = sum(p.latitude for p in points) / len(points)
    lon0 = sum(p.longitude for p in points) / len(points)
    kx = 111.32 * math.cos(math.radians(lat0))
    plotted = [(p, (p.longitude - lon0) * kx, (p.latitude - lat0) * 110.57) for p in points]
    span = max(
        2.0,
        max(abs(x) for _, x, _ in plotted) * 2.4,
        max(abs(y) for _, _, y in plotted) * 2.4 * 640 / 380,
    )
    width, height = 640.0, 380.0
    scale = width / span

    def at(x: float, y: float) -> tuple[float, float]:
        return width / 2 + x * scale, height / 2 - y * scale

    bar_km = _nice(span / 5)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height + 40:.0f}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'class="vigil-chart vigil-picture-map">',
        f'<title id="{chart_id}-title">Places of the incident</title>',
        f'<desc id="{chart_id}-desc">A plan of {len(points)} place(s), north up, with a '
        f"scale bar of {bar_km:g} km; the table beside the map lists each one with its "
        "distance from the incident.</desc>",
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#f9f9f9" '
        'stroke="#a9aeb1"/>',
    ]
    for point, x, y in plotted:
        px, py = at(x, y)
        parts.append(
            f"<g><title>{escape(point.name)}</title>{_marker(point.kind, px, py, 7)}"
            f'<text x="{px + 11:.1f}" y="{py + 4:.1f}" font-size="13">{escape(point.name)}'
            "</text></g>"
        )
    bar = bar_km * scale
    parts.append(
        f'<line x1="16" y1="{height + 24:.0f}" x2="{16 + bar:.1f}" y2="{height + 24:.0f}" '
        f'stroke="#1b1b1b" stroke-width="3"/><text x="{24 + bar:.1f}" y="{height + 29:.0f}" '
        f'font-size="13">{bar_km:g} km</text>'
    )
    x = 200.0
    for kind in dict.fromkeys(p.kind for p in points):
        label = MARKERS.get(kind, (kind, ""))[0]
        parts.append(
            _marker(kind, x, height + 24, 6)
            + f'<text x="{x + 10:.0f}" y="{height + 29:.0f}" font-size="12">{escape(label)}</text>'
        )
        x += 14 + 7.2 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def _nice(value: float) -> float:
    """A round length for a scale bar near `value` (1, 2 or 5 times a power of ten)."""
    power = 10 ** math.floor(math.log10(value))
    return float(next(m * power for m in (5, 2, 1) if m * power <= value))


def bar_chart(rows: Sequence[tuple[str, int]], *, chart_id: str, title: str) -> str:
    """Horizontal bars, one per row; '' when there is nothing to draw."""
    if not rows:
        return ""
    top = max(count for _, count in rows) or 1
    height = 28 * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 {height}" role="img" '
        f'aria-labelledby="{chart_id}-title" class="vigil-chart">',
        f'<title id="{chart_id}-title">{escape(title)} (the table beside gives the figures)'
        "</title>",
    ]
    for index, (label, count) in enumerate(rows):
        y = 6 + 28 * index
        width = 260 * count / top
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="13">{escape(label[:28])}</text>'
            f'<rect x="190" y="{y}" width="{width:.1f}" height="20" fill="#005ea2"/>'
            f'<text x="{196 + width:.1f}" y="{y + 15}" font-size="13">{count:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
