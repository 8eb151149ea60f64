"""Mentions as the linkage engine's input: one record of the engine's fields per
mention, built from the database in chunks.

Linkage reads every mention of every live report as the system, not as a user:
who may see the result is decided when it is shown (persons, pointers, review),
by the policy module. Mentions of purged reports are gone with their reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.linkage.fields import FIELDS
from vigil.reports.models import Mention, Report

CHUNK = 20_000


def _joined(values: Sequence[str] | None) -> str | None:
    cleaned = [value.strip() for value in values or () if value and value.strip()]
    return ";".join(cleaned) or None


def _age(mention: Any) -> str | None:
    low, high = mention.age_min, mention.age_max
    if low is None and high is None:
        return None
    if low is None or high is None:
        return str(low if low is not None else high)
    return str((low + high) // 2)


def mention_record(mention: Any) -> dict[str, Any]:
    """The engine's fields for one mention (anything with the Mention's attributes)."""
    names = [mention.given_name, mention.middle_name, mention.family_name]
    aliases = [alias for alias in mention.aliases or () if alias]
    record: dict[str, Any] = dict.fromkeys(FIELDS)
    record.update(
        {
            "unique_id": str(mention.id),
            "first_name": mention.given_name,
            "middle_name": mention.middle_name,
            "surname": mention.family_name,
            # The full name as written, then any aliases: the engine compares each.
            "full_name": _joined([" ".join(part for part in names if part), *aliases]),
            "dob": mention.date_of_birth.isoformat() if mention.date_of_birth else None,
            "age": _age(mention),
            "sex": mention.sex,
            "phone": _joined(mention.phones),
            "email": _joined(mention.emails),
            "handle": _joined(mention.handles),
            "street": _joined(mention.addresses),
            "school_or_employer": mention.school_or_employer,
        }
    )
    return record


def frame(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Records as the engine's input frame (every field present, as strings or None)."""
    columns = ["unique_id", *FIELDS]
    return pd.DataFrame.from_records(list(records), columns=columns)


def live_mentions(db: Session) -> Iterator[list[Mention]]:
    """Every mention of every report not purged, in chunks, in id order."""
    last = 0
    while True:
        chunk = list(
            db.execute(
                select(Mention)
                .join(Report, Report.id == Mention.report_id)
                .where(Report.purged_at.is_(None), Mention.id > last)
                .order_by(Mention.id)
                .limit(CHUNK)
            ).scalars()
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id
        db.expunge_all()
