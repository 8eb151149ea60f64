"""A state map drawn on the server from the us-atlas boundaries (npm, copied into
/static/vendor at build time; already projected to Albers USA): TopoJSON decoded to
SVG paths, each state shaded by its figure, with a title per state and a legend."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from vigil.analytics.places import STATES

ATLAS = (
    Path(__file__).resolve().parents[1]
    / "web"
    / "static"
    / "vendor"
    / "us-atlas"
    / "states-albers-10m.json"
)
FIPS = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT",
    "10": "DE", "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL",
    "18": "IN", "19": "IA", "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD",
    "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT", "31": "NE",
    "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND",
    "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD",
    "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA", "54": "WV",
    "55": "WI", "56": "WY", "60": "AS", "66": "GU", "69": "MP", "72": "PR", "78": "VI",
}  # fmt: skip
# Five shades of USWDS blue, lightest for the lowest figures; grey where there is none.
SHADES = ("#e7f2f8", "#aacdec", "#73b3e7", "#2378c3", "#0b4778")
NO_DATA = "#dfe1e2"


def _decode_arcs(topology: Mapping[str, Any]) -> list[list[tuple[float, float]]]:
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        points = []
        x = y = 0.0
        for position in arc:
            if transform:
                x += position[0]
                y += position[1]
                sx, sy = transform["scale"]
                tx, ty = transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append((float(position[0]), float(position[1])))
        arcs.append(points)
    return arcs


def _ring_points(
    indexes: Sequence[int], arcs: list[list[tuple[float, float]]]
) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


@cache
def state_rings() -> dict[str, tuple[tuple[tuple[float, float], ...], ...]]:
    """USPS code -> the rings of its outline (projected points), or {} when the assets
    have not been built. The SVG and the PNG maps are both drawn from these."""
    if not ATLAS.exists():
        return {}
    topology = json.loads(ATLAS.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    rings: dict[str, tuple[tuple[tuple[float, float], ...], ...]] = {}
    for geometry in topology["objects"]["states"]["geometries"]:
        code = FIPS.get(str(geometry.get("id")))
        if code is None:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        found = (tuple(_ring_points(ring, arcs)) for polygon in polygons for ring in polygon)
        rings[code] = tuple(ring for ring in found if ring)
    return rings


def _path(ring: Sequence[tuple[float, float]]) -> str:
    head, *rest = ring
    return f"M{head[0]:.1f},{head[1]:.1f}" + "".join(f"L{x:.1f},{y:.1f}" for x, y in rest) + "Z"


@cache
def state_paths() -> dict[str, str]:
    """USPS code -> SVG path data, or {} when the assets have not been built."""
    return {code: "".join(map(_path, rings)) for code, rings in state_rings().items()}


def shade(value: float | None, edges: Sequence[float]) -> str:
    """The fill of a state with ``value`` among the classes' upper ``edges``."""
    if value is None:
        return NO_DATA
    return SHADES[sum(value > edge for edge in edges)] if edges else SHADES[0]


def legend(figures: Mapping[str, float]) -> list[tuple[str, float, float]]:
    """(shade, lower, upper) for each class of the map's figures."""
    edges = bins(list(figures.values()))
    found = []
    lower = 0.0
    for index, colour in enumerate(SHADES[: len(edges) + 1]):
        upper = edges[index] if index < len(edges) else max(figures.values(), default=0.0)
        found.append((colour, lower, upper))
        lower = upper
    return found


def bins(values: Sequence[float]) -> list[float]:
    """Upper edges of five quantile classes of the positive values."""
    ordered = sorted(value for value in values if value > 0)
    if not ordered:
        return []
    return [ordered[min(len(ordered) - 1, (len(ordered) * k) // 5)] for k in range(1, 5)]


def choropleth(figures: Mapping[str, float], *, title: str, unit: str, chart_id: str) -> str:
    """The map as SVG; an empty string when the boundaries are not installed."""
    paths = state_paths()
    if not paths:
        return ""
    edges = bins(list(figures.values()))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 975 660" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="vigil-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(unit)} by state, shaded in five classes; '
        "the table gives every state's figure.</desc>",
    ]
    for code, data in sorted(paths.items()):
        value = figures.get(code)
        label = "no incidents" if value is None else f"{value:g} {unit}"
        name = STATES.get(code, code)
        parts.append(
            f'<path d="{data}" fill="{shade(value, edges)}" stroke="#ffffff" stroke-width="0.5">'
            f"<title>{escape(name)}: {escape(label)}</title></path>"
        )
    for index, (colour, lower, upper) in enumerate(legend(figures)):
        x = 20 + index * 150
        parts.append(
            f'<rect x="{x}" y="625" width="18" height="18" fill="{colour}" stroke="#71767a"/>'
            f'<text x="{x + 24}" y="639" font-size="13">{lower:g}-{upper:g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
