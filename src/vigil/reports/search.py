"""Full-text search over report narratives and mentions: SQLite FTS5 or PostgreSQL
tsvector (GIN), always filtered by the policy inside the query."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from vigil.reports.models import Report


def document_for(report: Report) -> str:
    """What search sees of a report: its narrative, place, target and every mention."""
    parts = [
        report.narrative,
        report.location_text or "",
        report.target_name or "",
        " ".join(report.weapons or []),
    ]
    for mention in report.mentions:
        parts.extend(
            [
                mention.given_name or "",
                mention.middle_name or "",
                mention.family_name or "",
                " ".join(mention.aliases or []),
                " ".join(mention.handles or []),
                " ".join(mention.emails or []),
                " ".join(mention.phones or []),
                mention.school_or_employer or "",
                mention.description or "",
                " ".join(mention.addresses or []),
            ]
        )
    return "\n".join(part for part in parts if part)


def index_report(db: Session, report: Report) -> None:
    """(Re)write the report's search document in the caller's transaction."""
    remove_from_index(db, report.id)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            text("INSERT INTO report_search (report_id, document) VALUES (:id, :doc)"),
            {"id": report.id, "doc": document_for(report)},
        )
    else:
        db.execute(
            text("INSERT INTO report_search (rowid, document) VALUES (:id, :doc)"),
            {"id": report.id, "doc": document_for(report)},
        )


def remove_from_index(db: Session, report_id: int) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("DELETE FROM report_search WHERE report_id = :id"), {"id": report_id})
    else:
        db.execute(text("DELETE FROM report_search WHERE rowid = :id"), {"id": report_id})
