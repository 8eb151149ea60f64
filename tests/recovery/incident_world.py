"""An incident with its reunification lists, opened through the response domain's own
services, for the assistance-center and fund tests."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from vigil.platform.actor import command_line
from vigil.platform.models import Agency
from vigil.response.match_files import LIST_COLUMNS
from vigil.response.reunification import create_incident, upload_list

# Row ids on the lists, by the kind of list they are on.
LISTED = {
    "me1": "medical_examiner",
    "me2": "medical_examiner",
    "h1": "hospital",
    "h2": "hospital",
    "h3": "hospital",
    "r1": "roster",
    "r2": "roster",
    "r3": "roster",
}


def open_incident(db: Session, lead: Agency, *, name: str = "Valley High School shooting") -> int:
    shell = command_line("tests")
    incident = create_incident(
        db,
        actor=shell,
        name=name,
        kind="school_shooting",
        place="Valley High",
        started_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
        lead_agency_id=lead.id,
        agencies={},
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(LIST_COLUMNS))
    writer.writeheader()
    for row_id, kind in LISTED.items():
        writer.writerow(
            {
                "id": row_id,
                "list": kind,
                "full_name": f"Person {row_id}",
                "dob": "",
                "age": "16",
                "sex": "F",
                "description": "",
            }
        )
    result = upload_list(
        db,
        actor=shell,
        incident_id=incident.id,
        data=out.getvalue().encode(),
        source_name="lists.csv",
        today=date(2026, 11, 26),
    )
    assert result.stored == len(LISTED), (result.file_problem, result.problems)
    return incident.id
