"""The Understand pages: trends under each definition with rates per million, the
definitions side by side, the largest incidents with who said what, CSV and SVG."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from vigil.analytics import raster, trends
from vigil.analytics.charts import bar_chart
from vigil.analytics.factors import NOT_RECORDED
from vigil.analytics.headlines import HEADLINES, NO_HEADLINE
from vigil.analytics.maps import choropleth
from vigil.analytics.places import STATES
from vigil.analytics.raster import bar_chart_png
from vigil.analytics.sources import DATASETS
from vigil.platform.errors import InvalidInput
from vigil.web import templating
from vigil.web.deps import ActorDep, SessionDep

router = APIRouter()


def _render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return templating.render(request, name, context, status_code=status_code)


def _query(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items() if key in _FILTER_FIELDS}


_FILTER_FIELDS = (
    "definition",
    "group",
    "year_from",
    "year_to",
    "state",
    "school_level",
    "weapon",
    "shooter_age",
)


@router.get("/analytics", response_class=HTMLResponse, include_in_schema=False)
def trends_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    """Trends of public incident data under a chosen definition."""
    query = _query(request)
    errors: dict[str, str] = {}
    try:
        filters = trends.parse_filters(query)
    except InvalidInput as refused:
        errors = refused.errors
        filters = trends.TrendFilters()
    rows = trends.trend(db, actor=actor, filters=filters)
    years, counts = trends.comparison(db, actor=actor, filters=filters)
    definition = trends.DEFINITIONS[filters.definition]
    chart = bar_chart(
        [row.label for row in rows],
        [row.incidents for row in rows],
        title=f"Incidents by {filters.group}: {definition.label}",
        unit="incidents",
        chart_id="trend-chart",
    )
    state_rows, state_map = _state_map(db, actor, filters)
    return _render(
        request,
        "analytics_trends.html",
        {
            "errors": errors,
            "query": query,
            "filters": filters,
            "definition": definition,
            "definitions": trends.DEFINITIONS,
            "groups": trends.GROUPS,
            "levels": trends.SCHOOL_LEVELS,
            "weapons": trends.WEAPONS,
            "shooter_ages": trends.SHOOTER_AGES,
            "states": STATES,
            "rows": rows,
            "chart": chart,
            "years": years,
            "counts": counts,
            "largest": trends.largest_incidents(db, actor=actor, filters=filters),
            "datasets": DATASETS,
            "headlines": [h for h in HEADLINES if h.explanation],
            "no_headline": NO_HEADLINE,
            "export_query": request.url.query,
            "state_rows": state_rows,
            "factor_tables": trends.factor_tables(db, actor=actor, filters=filters),
            "not_recorded": NOT_RECORDED,
            "state_map": state_map,
        },
        status_code=400 if errors else 200,
    )


def _state_map(db: Any, actor: Any, filters: trends.TrendFilters) -> tuple[list[Any], str]:
    """Per-state rows (every state, whatever the state filter) and their map."""
    chosen = replace(filters, group="state", state=None)
    rows = [row for row in trends.trend(db, actor=actor, filters=chosen) if row.label in STATES]
    figures = {row.label: row.rate_per_million or 0.0 for row in rows}
    definition = trends.DEFINITIONS[filters.definition]
    svg = choropleth(
        figures,
        title=f"{definition.label}: incidents per million residents a year, by state",
        unit="per million a year",
        chart_id="state-map",
    )
    return rows, svg


@router.get("/analytics/map.svg", include_in_schema=False)
def map_svg(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """The state map as an SVG file."""
    filters = trends.parse_filters(_query(request))
    rows, svg = _state_map(db, actor, filters)
    trends.record_export(db, actor=actor, filters=filters, rows=len(rows))
    if not svg:
        return Response("The map boundaries are not installed (make assets).", status_code=404)
    name = f"vigil-map-{filters.definition}.svg"
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/analytics/trends.csv", include_in_schema=False)
def trends_csv(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """The trend table as CSV, with the definition and the sources' attributions."""
    filters = trends.parse_filters(_query(request))
    rows = trends.trend(db, actor=actor, filters=filters)
    trends.record_export(db, actor=actor, filters=filters, rows=len(rows))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [filters.group, "incidents", "killed", "injured", "population", "rate_per_million"]
    )
    for row in rows:
        writer.writerow(
            [
                row.label,
                row.incidents,
                row.killed,
                row.injured,
                row.population or "",
                row.rate_per_million or "",
            ]
        )
    writer.writerow([])
    writer.writerow(["# definition", trends.DEFINITIONS[filters.definition].meaning])
    writer.writerow(["# population", "U.S. Census Bureau, Population Estimates Program"])
    for dataset in DATASETS.values():
        writer.writerow(["# source", dataset.attribution])
    name = f"vigil-trends-{filters.definition}-by-{filters.group}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _trend_chart(request: Request, db: SessionDep, actor: ActorDep, fmt: str) -> Response:
    filters = trends.parse_filters(_query(request))
    rows = trends.trend(db, actor=actor, filters=filters)
    trends.record_export(db, actor=actor, filters=filters, rows=len(rows))
    definition = trends.DEFINITIONS[filters.definition]
    labels, values = [row.label for row in rows], [row.incidents for row in rows]
    title = f"Incidents by {filters.group}: {definition.label}"
    name = f"vigil-trends-{filters.definition}-by-{filters.group}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "png":
        image = bar_chart_png(labels, values, title=title)
        return Response(image, media_type="image/png", headers=headers)
    svg = bar_chart(labels, values, title=title, unit="incidents", chart_id="trend-chart")
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.get("/analytics/trends.svg", include_in_schema=False)
def trends_svg(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """The trend chart as an SVG file."""
    return _trend_chart(request, db, actor, "svg")


@router.get("/analytics/trends.png", include_in_schema=False)
def trends_png(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """The trend chart as a PNG image (the same bars as the SVG)."""
    return _trend_chart(request, db, actor, "png")


@router.get("/analytics/map.png", include_in_schema=False)
def map_png(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """The state map as a PNG image (the same shades as the SVG)."""
    filters = trends.parse_filters(_query(request))
    rows, _ = _state_map(db, actor, filters)
    trends.record_export(db, actor=actor, filters=filters, rows=len(rows))
    definition = trends.DEFINITIONS[filters.definition]
    image = raster.map_png(
        {row.label: row.rate_per_million or 0.0 for row in rows},
        title=f"{definition.label}: incidents per million residents a year, by state",
    )
    if image is None:
        return Response("The map boundaries are not installed (make assets).", status_code=404)
    name = f"vigil-map-{filters.definition}.png"
    return Response(
        image,
        media_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _catalog(db: SessionDep, actor: ActorDep, fmt: str, media: str) -> Response:
    from vigil.analytics.export import export_catalog

    return Response(
        export_catalog(db, actor=actor, fmt=fmt),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="vigil-incident-catalogue.{fmt}"'},
    )


@router.get("/analytics/catalog.csv", include_in_schema=False)
def catalog_csv(db: SessionDep, actor: ActorDep) -> Response:
    """The whole harmonised catalogue as CSV, with who said what (JSON per incident)."""
    return _catalog(db, actor, "csv", "text/csv; charset=utf-8")


@router.get("/analytics/catalog.parquet", include_in_schema=False)
def catalog_parquet(db: SessionDep, actor: ActorDep) -> Response:
    """The whole harmonised catalogue as Parquet."""
    return _catalog(db, actor, "parquet", "application/vnd.apache.parquet")


@router.get("/analytics/sql", response_class=HTMLResponse, include_in_schema=False)
def sql_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    """Read-only SQL over the public catalogue (DuckDB with no file, network or
    extension access; time and row limits)."""
    from vigil.analytics.sql import MAX_QUERY_CHARS, TABLES, QueryRefused, query_catalog
    from vigil.platform import policy

    policy.authorize(actor, "read", "analytics_catalog")
    query = request.query_params.get("q", "")
    errors: dict[str, str] = {}
    result = None
    if query.strip():
        try:
            result = query_catalog(db, actor=actor, query=query, row_limit=500, seconds=5)
        except QueryRefused as refused:
            errors["q"] = str(refused)
    return _render(
        request,
        "analytics_sql.html",
        {
            "errors": errors,
            "query": query[: MAX_QUERY_CHARS + 1],
            "result": result,
            "tables": TABLES,
            "max_chars": MAX_QUERY_CHARS,
        },
        status_code=400 if errors else 200,
    )


@router.get("/analytics/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(request: Request, db: SessionDep, actor: ActorDep, page: int = 1) -> HTMLResponse:
    """Pairs of rows the linkage was unsure about, with the evidence, most likely first."""
    from vigil.analytics.review import PAGE_SIZE, decided_count, review_queue
    from vigil.platform import policy

    page = min(max(page, 1), 10_000)
    pairs, total = review_queue(db, actor=actor, page=page)
    return _render(
        request,
        "analytics_review.html",
        {
            "pairs": pairs,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "decisions": decided_count(db, actor=actor),
            "can_decide": policy.decide(actor, "decide", "analytics_link_decision"),
            "decided": request.query_params.get("decided") == "1",
        },
    )


from vigil.analytics.outcome_routes import router as _outcome_router  # noqa: E402

router.include_router(_outcome_router)
