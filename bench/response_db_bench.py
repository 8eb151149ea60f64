"""Reunification against a real database: the time from a hospital list upload to the
matched families' queue, and the PFIF import and export rates.

Run: ``.venv/bin/python -m bench.response_db_bench --backend sqlite|postgresql|both``
(defaults: an incident with a 4,000-person roster and 1,000 stored inquiries; five
hospital lists of 1,000 patients uploaded one after the other, each followed by
matching and reading the queue; a PFIF 1.4 document of 10,000 persons and 15,000
notes imported, then exported). Everything goes through the services behind
`vigil reunify upload|queue` and `vigil pfif import|export`, one transaction each.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.timing import load_average, percentile, say
from vigil.platform.actor import command_line
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.models import Agency
from vigil.platform.types import utcnow
from vigil.response import synthetic
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS
from vigil.response.pfif_exchange import export_document, import_document
from vigil.response.reunification import (
    add_inquiries,
    create_incident,
    match_incident,
    review_queue,
    upload_list,
)

TODAY = date(2026, 11, 26)
SHELL = command_line("bench")
PFIF = "http://zesty.ca/pfif/1.4"


def as_csv(columns: Sequence[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def pfif_document(persons: int, seed: int) -> bytes:
    """A PFIF 1.4 document of synthetic persons, each with one or two notes."""
    data = synthetic.generate(people=persons, inquiries=0, seed=seed, today=TODAY)
    root = etree.Element(etree.QName(PFIF, "pfif"), nsmap={"pfif": PFIF})

    def add(parent: Any, name: str, value: str) -> None:
        etree.SubElement(parent, etree.QName(PFIF, name)).text = value

    for number, row in enumerate(data.list_rows[:persons]):
        person = etree.SubElement(root, etree.QName(PFIF, "person"))
        add(person, "person_record_id", f"bench.example.org/p{number}")
        add(person, "source_date", "2026-11-25T15:00:00Z")
        add(person, "expiry_date", "2027-11-25T15:00:00Z")
        add(person, "full_name", row["full_name"] or "Unknown")
        if row["dob"]:
            add(person, "date_of_birth", row["dob"])
        if row["sex"]:
            add(person, "sex", {"M": "male", "F": "female"}[row["sex"]])
        if row["description"]:
            add(person, "description", row["description"])
        for n in range(1 + number % 2):
            note = etree.SubElement(person, etree.QName(PFIF, "note"))
            add(note, "note_record_id", f"bench.example.org/n{number}-{n}")
            add(note, "author_name", "Reunification desk")
            add(note, "source_date", "2026-11-25T16:00:00Z")
            add(note, "status", "believed_alive" if n else "information_sought")
            add(note, "text", "Seen at the reunification site.")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        factory = make_sessionmaker(engine)
        figures: dict[str, Any] = {"server": server_description(engine)}
        base = synthetic.generate(
            people=args.roster, inquiries=args.inquiries, seed=args.seed, today=TODAY
        )
        roster = [dict(r, list="roster") for r in base.list_rows]
        with transaction(factory) as db:
            agency = Agency(name="Bench EOC", kind="emergency_management", created_at=utcnow())
            db.add(agency)
            db.flush()
            incident = create_incident(
                db,
                actor=SHELL,
                name="Bench incident",
                kind="school_shooting",
                place="Bench High",
                started_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
                lead_agency_id=agency.id,
                agencies={},
            )
            incident_id = incident.id
            upload_list(
                db,
                actor=SHELL,
                incident_id=incident_id,
                data=as_csv(LIST_COLUMNS, roster),
                source_name="roster.csv",
                today=TODAY,
            )
            add_inquiries(
                db,
                actor=SHELL,
                incident_id=incident_id,
                data=as_csv(INQUIRY_COLUMNS, base.inquiry_rows),
                source_name="inquiries.csv",
                today=TODAY,
            )
        seconds: list[float] = []
        for run in range(args.runs):
            patients = synthetic.generate(
                people=args.patients, inquiries=0, seed=args.seed + 100 + run, today=TODAY
            ).list_rows[: args.patients]
            hospital = [dict(r, id=f"H{run}-{n}", list="hospital") for n, r in enumerate(patients)]
            started = time.perf_counter()
            with transaction(factory) as db:
                stored = upload_list(
                    db,
                    actor=SHELL,
                    incident_id=incident_id,
                    data=as_csv(LIST_COLUMNS, hospital),
                    source_name=f"hospital-{run}.csv",
                    today=TODAY,
                )
                assert stored.stored == len(hospital), stored.problems[:3]
            with transaction(factory) as db:
                match_incident(db, actor=SHELL, incident_id=incident_id, today=TODAY)
            with transaction(factory) as db:
                queue = review_queue(db, actor=SHELL, incident_id=incident_id)
            seconds.append(time.perf_counter() - started)
            say(f"  {backend}: hospital list {run + 1}: {seconds[-1]:.2f} s, {len(queue)} queued")
        figures["upload_to_queue"] = {
            "patients_per_list": args.patients,
            "listed_before": args.roster,
            "inquiries": args.inquiries,
            "runs": args.runs,
            "p50_s": round(percentile(seconds, 0.5), 2),
            "p95_s": round(percentile(seconds, 0.95), 2),
            "max_s": round(max(seconds), 2),
        }
        document = pfif_document(args.pfif_persons, args.seed)
        started = time.perf_counter()
        with transaction(factory) as db:
            result = import_document(db, actor=SHELL, data=document, now=datetime.now(UTC))
        imported = time.perf_counter() - started
        records = result.persons_added + result.notes_added
        started = time.perf_counter()
        with transaction(factory) as db:
            exported, persons, notes = export_document(db, actor=SHELL, now=datetime.now(UTC))
        exported_s = time.perf_counter() - started
        figures["pfif"] = {
            "document_bytes": len(document),
            "persons": result.persons_added,
            "notes": result.notes_added,
            "refused": len(result.problems),
            "import_s": round(imported, 2),
            "import_records_per_s": round(records / imported),
            "export_s": round(exported_s, 2),
            "export_records_per_s": round((persons + notes) / exported_s),
            "export_bytes": len(exported),
        }
        engine.dispose()
        return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--roster", type=int, default=4_000)
    parser.add_argument("--inquiries", type=int, default=1_000)
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pfif-persons", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"load_before": load_average()}
    for backend in backends(args.backend):
        say(f"{backend}: ...")
        results[backend] = run_backend(backend, args)
    results["load_after"] = load_average()
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
