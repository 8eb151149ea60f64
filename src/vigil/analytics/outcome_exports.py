"""Vigil's own outcome figures as the JSON API gives them and as CSV (one line a cell,
"suppressed" where a count is hidden): only what vigil.analytics.outcomes let out."""

from __future__ import annotations

from typing import Any

from vigil.analytics.outcomes import AgencyOutcomes, Figure, OneWay, TwoWay


def as_json(outcomes: AgencyOutcomes) -> dict[str, Any]:
    """The figures for the JSON API (suppressed counts are null)."""

    def table(item: OneWay | TwoWay) -> dict[str, Any]:
        if isinstance(item, OneWay):
            return {
                "key": item.key,
                "title": item.title,
                "cells": [
                    {"key": key, "label": label, "count": item.cells[key]}
                    for key, label in item.labels.items()
                ],
                "total": item.total if item.has_total else None,
                "note": item.note,
            }
        grid = item.grid
        return {
            "key": item.key,
            "title": item.title,
            "columns": list(grid.columns),
            "rows": [
                {
                    "key": row,
                    "label": label,
                    "counts": [grid.cells[(row, column)] for column in grid.columns],
                    "total": grid.row_totals[row],
                }
                for row, label in item.row_labels.items()
            ],
            "column_totals": [grid.column_totals[column] for column in grid.columns],
            "total": grid.total,
            "note": item.note,
        }

    def figure(item: Figure) -> dict[str, Any]:
        return {
            "key": item.key,
            "label": item.label,
            "value": item.value,
            "basis": item.basis,
            "unit": item.unit,
        }

    return {
        "agency_id": outcomes.agency_id,
        "agency": outcomes.agency_name,
        "since": outcomes.since.isoformat(),
        "months": list(outcomes.months),
        "threshold": outcomes.threshold,
        "shared_with_other_agencies": outcomes.shared,
        "reports": [table(item) for item in outcomes.reports],
        "triage": [figure(item) for item in outcomes.triage],
        "cases": [table(item) for item in outcomes.cases],
        "management": [figure(item) for item in outcomes.management],
        "reunification": [table(item) for item in outcomes.reunification],
        "recovery": [table(item) for item in outcomes.recovery],
        "disparities": [
            {
                "key": item.key,
                "title": item.title,
                "rows": [
                    {
                        "group": row.group,
                        "label": row.label,
                        "reported": row.reported,
                        "vetted": row.vetted,
                        "vetted_percent": row.rate(row.vetted),
                        "referred": row.referred,
                        "referred_percent": row.rate(row.referred),
                    }
                    for row in [*item.rows, item.totals]
                ],
            }
            for item in outcomes.disparities
        ],
    }


def csv_rows(outcomes: AgencyOutcomes) -> list[list[str]]:
    """section, table, row, column, value ("suppressed" where hidden): one line a cell."""

    def shown(value: float | int | None) -> str:
        return "suppressed" if value is None else f"{value:g}"

    lines: list[list[str]] = [["section", "table", "row", "column", "value"]]
    for section, items in (
        ("reports", outcomes.reports),
        ("cases", outcomes.cases),
        ("reunification", outcomes.reunification),
        ("recovery", outcomes.recovery),
    ):
        for item in items:
            if isinstance(item, OneWay):
                for key, label in item.labels.items():
                    lines.append([section, item.title, label, "count", shown(item.cells[key])])
                if item.has_total:
                    lines.append([section, item.title, "Total", "count", shown(item.total)])
                continue
            grid = item.grid
            for row, label in item.row_labels.items():
                for column in grid.columns:
                    lines.append(
                        [section, item.title, label, column, shown(grid.cells[(row, column)])]
                    )
                lines.append([section, item.title, label, "Total", shown(grid.row_totals[row])])
            for column in grid.columns:
                lines.append(
                    [section, item.title, "Total", column, shown(grid.column_totals[column])]
                )
            lines.append([section, item.title, "Total", "Total", shown(grid.total)])
    for figure in [*outcomes.triage, *outcomes.management]:
        lines.append(["figures", figure.label, figure.unit, "value", shown(figure.value)])
        lines.append(["figures", figure.label, figure.unit, "cases", shown(figure.basis)])
    for disparity in outcomes.disparities:
        for person in [*disparity.rows, disparity.totals]:
            for column, value in (
                ("reported", person.reported),
                ("vetted", person.vetted),
                ("vetted_percent", person.rate(person.vetted)),
                ("referred", person.referred),
                ("referred_percent", person.rate(person.referred)),
            ):
                lines.append(["disparities", disparity.title, person.label, column, shown(value)])
    return lines
