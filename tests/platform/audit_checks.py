"""Assertions over the stored audit trail shared by several test modules."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform.models import AuditEvent

# Columns whose whole value is a hash or a timestamp, proven by the pattern; a short
# secret such as a 6-digit code could otherwise turn up in them by chance.
STRUCTURED = {
    "hash": re.compile(r"[0-9a-f]{64}"),
    "prev_hash": re.compile(r"[0-9a-f]{64}"),
    "occurred_at": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"),
}


def audit_rows(db: Session) -> list[dict[str, object]]:
    return [dict(row) for row in db.execute(select(AuditEvent.__table__)).mappings()]


def assert_audit_free_of(db: Session, *secrets: str) -> int:
    """No column of any audit event holds any of ``secrets``; returns the rows scanned."""
    rows = audit_rows(db)
    for row in rows:
        for column, value in row.items():
            text = json.dumps(value, ensure_ascii=False) if column == "details" else str(value)
            pattern = STRUCTURED.get(column)
            if pattern is not None:
                assert pattern.fullmatch(text), (column, text)
            for secret in secrets:
                if pattern is None or len(secret) > 8:
                    assert secret not in text, f"audit event {row['seq']} {column} leaks"
                    assert secret.casefold() not in text.casefold(), (row["seq"], column)
    return len(rows)
