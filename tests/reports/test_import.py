"""Bulk import (CSV and JSON) through `importer.import_reports`: the mapping round-trips
every field, rows get what filing gives them, a file is all-or-nothing unless partial,
and every kind of bad input gets a clear answer with nothing stored and no crash."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.actor import command_line
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Agency, AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports import importer, search, service
from vigil.reports.importer import ImportResult, import_reports
from vigil.reports.models import Report, ReportEvent, ReportRecipient
from vigil.reports.schemas import MentionIn, ReportCreate
from vigil.reports.triage import score_urgency
from vigil.reports.vocabulary import Source

THREAT = "He said he will shoot up Lincoln High tomorrow and posted a photo of his rifle."
QUIET = "A man photographed the substation fence for an hour and drove off."

FULL_ROW: dict[str, str] = {
    "kind": "sar",
    "narrative": THREAT,
    "occurred_at": "2026-05-01T14:30:00-05:00",
    "reported_at": "2026-05-02T09:00:00Z",
    "location_text": "1200 Lincoln Ave, Riverside",
    "latitude": "40.7128",
    "longitude": "-74.006",
    "behaviors": "expressed_or_implied_threat; weapons_collection_discovery",
    "weapons": "rifle;pipe bomb",
    "target_types": "school;named_person",
    "target_name": "Lincoln High",
    "marking": "AMBER+STRICT",
    "protected_activity_only": "false",
    "subject_given_name": "Jordan",
    "subject_middle_name": "Lee",
    "subject_family_name": "Parker",
    "subject_aliases": "JP;Jordy",
    "subject_dob": "2009-02-03",
    "subject_age_min": "16",
    "subject_age_max": "18",
    "subject_sex": "unknown",
    "subject_phones": "555-0100;555-0101",
    "subject_emails": "jp@example.org",
    "subject_handles": "@jp_rifle",
    "subject_addresses": "12 Elm St, Riverside;40 Oak Rd, Hill",
    "subject_school_or_employer": "Lincoln High",
    "subject_description": "Tall, red jacket",
    "subject2_given_name": "Casey",
    "subject2_family_name": "Parker",
    "witness_given_name": "Ana",
    "witness_family_name": "Ruiz",
    "victim_description": "The principal",
    "reporting_party_emails": "teacher@example.org",
}


def expected_full_row() -> ReportCreate:
    return ReportCreate(
        kind="sar",
        narrative=THREAT,
        occurred_at=datetime(2026, 5, 1, 19, 30, tzinfo=UTC),
        location_text="1200 Lincoln Ave, Riverside",
        latitude=40.7128,
        longitude=-74.006,
        behaviors=["expressed_or_implied_threat", "weapons_collection_discovery"],
        weapons=["rifle", "pipe bomb"],
        target_types=["school", "named_person"],
        target_name="Lincoln High",
        marking="AMBER+STRICT",
        protected_activity_only=False,
        mentions=[
            MentionIn(
                role="subject",
                given_name="Jordan",
                middle_name="Lee",
                family_name="Parker",
                aliases=["JP", "Jordy"],
                date_of_birth="2009-02-03",
                age_min=16,
                age_max=18,
                sex="unknown",
                phones=["555-0100", "555-0101"],
                emails=["jp@example.org"],
                handles=["@jp_rifle"],
                addresses=["12 Elm St, Riverside", "40 Oak Rd, Hill"],
                school_or_employer="Lincoln High",
                description="Tall, red jacket",
            ),
            MentionIn(role="subject", given_name="Casey", family_name="Parker"),
            MentionIn(role="witness", given_name="Ana", family_name="Ruiz"),
            MentionIn(role="victim_or_target", description="The principal"),
            MentionIn(role="reporting_party", emails=["teacher@example.org"]),
        ],
    )


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    out = io.StringIO()
    names = columns or list(dict.fromkeys(name for row in rows for name in row))
    writer = csv.DictWriter(out, fieldnames=names, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_create(report: Report) -> ReportCreate:
    """What a stored report says, in the shape it was given in."""
    return ReportCreate(
        kind=report.kind,
        narrative=report.narrative,
        occurred_at=report.occurred_at,
        location_text=report.location_text,
        latitude=report.latitude,
        longitude=report.longitude,
        behaviors=report.behaviors,
        weapons=report.weapons,
        target_types=report.target_types,
        target_name=report.target_name,
        marking=report.marking,
        protected_activity_only=report.protected_activity_only,
        mentions=[
            MentionIn(
                **{
                    name: getattr(mention, name)
                    for name in MentionIn.model_fields
                    if getattr(mention, name) is not None
                }
            )
            for mention in report.mentions
        ],
    )


def earlier(report: Report) -> list[str] | None:
    """The evidence of the earlier-reports rule, if it fired."""
    return next((r["fields"] for r in report.urgency_rules if r["rule"] == "earlier_reports"), None)


def search_document(db: Session, report_id: int) -> str | None:
    key = "rowid" if db.get_bind().dialect.name == "sqlite" else "report_id"
    return db.execute(
        text(f"SELECT document FROM report_search WHERE {key} = :id"),
        {"id": report_id},
    ).scalar_one_or_none()


class World:
    def __init__(self, db: Session, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.agency = make_agency(db, name="Riverside Police")
        self.other = make_agency(db, name="Hill County")
        self.analyst = make_user(db, agency=self.agency, roles={Role.ANALYST})
        self.actor = actor_for(self.analyst)

    def run(self, data: bytes, *, filename: str = "reports.csv", **options: Any) -> ImportResult:
        return import_reports(
            self.db,
            actor=options.pop("actor", self.actor),
            settings=self.settings,
            stream=io.BytesIO(data),
            filename=filename,
            **options,
        )

    def reports(self, agency: Agency | None = None) -> list[Report]:
        self.db.expire_all()
        return list(
            self.db.execute(
                select(Report)
                .where(Report.owner_agency_id == (agency or self.agency).id)
                .order_by(Report.id)
            ).scalars()
        )

    def audits(self) -> list[AuditEvent]:
        return list(
            self.db.execute(
                select(AuditEvent)
                .where(AuditEvent.action == "report.import")
                .order_by(AuditEvent.seq)
            ).scalars()
        )


@pytest.fixture()
def world(db: Session, settings: Settings) -> World:
    return World(db, settings)


# --- happy paths -------------------------------------------------------------------------


def test_csv_round_trips_every_mapped_field_and_gets_what_filing_gives(world: World) -> None:
    quiet = {"narrative": QUIET, "subject_phones": "555-0100"}
    result = world.run(csv_bytes([FULL_ROW, quiet]))
    assert result.complete and (result.rows, result.imported, result.rejected) == (2, 2, 0)
    first, second = world.reports()
    read = service.get_report(world.db, actor=world.actor, report_id=first.id)
    assert as_create(read) == expected_full_row()
    assert read.reported_at == datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
    assert read.source == Source.IMPORT.value and read.file_class == "tip_lead"
    assert read.owner_agency_id == read.routed_agency_id == world.agency.id
    assert read.created_by_user_id == world.analyst.id
    assert re.fullmatch(
        r"VIG-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}",
        read.receipt_number,
    )
    # Triage is the interactive filing's: the same function over the same fields.
    triage = score_urgency(
        THREAT,
        behaviors=["expressed_or_implied_threat", "weapons_collection_discovery"],
        target_types=["school", "named_person"],
        weapons=["rifle", "pipe bomb"],
    )
    assert (read.urgency_score, read.urgency_level) == (triage.score, triage.level)
    assert read.urgency_rules == triage.as_dict()["rules"]
    assert read.ack_due_at == service.ack_deadline(world.settings, triage.level, read.created_at)
    assert (read.review_due_at, read.purge_due_at) == service.retention_dates(
        world.settings, "tip_lead", read.reported_at, False
    )
    # The second row names the first row's subject phone: an earlier report about them.
    assert earlier(second) == ["earlier_reports: 1"]
    # Searchable, with a "filed" event, like a report filed on the form.
    assert search_document(world.db, read.id) == search.document_for(read)
    events = (
        world.db.execute(select(ReportEvent).where(ReportEvent.report_id == read.id))
        .scalars()
        .all()
    )
    assert [(e.kind, e.data["import_id"]) for e in events] == [("filed", result.import_id)]


def test_json_array_and_json_lines_round_trip_the_api_body(world: World) -> None:
    body = json.loads(expected_full_row().model_dump_json())
    other = {"narrative": QUIET, "kind": "tip", "reported_at": "2026-06-01T00:00:00+02:00"}
    for data in (
        json.dumps([body, other], indent=2).encode(),
        (json.dumps(body) + "\n\n" + json.dumps(other) + "\n").encode(),
    ):
        before = len(world.reports())
        result = world.run(data, filename="reports.json")
        assert result.complete and result.file_format == "json" and result.imported == 2
        first, second = world.reports()[before:]
        assert as_create(first) == expected_full_row()
        assert second.reported_at == datetime(2026, 5, 31, 22, 0, tzinfo=UTC)


def test_earlier_reports_about_the_subject_count_stored_reports_and_earlier_rows(
    world: World,
) -> None:
    subject = {"role": "subject", "given_name": "Jordan", "family_name": "Parker"}
    service.create_report(
        world.db,
        actor=world.actor,
        settings=world.settings,
        data=ReportCreate(narrative=QUIET, mentions=[subject]),
    )
    rows = [
        {"narrative": THREAT, "subject_given_name": "jordan", "subject_family_name": "PARKER"},
        {"narrative": THREAT, "subject_given_name": "Jordan", "subject_family_name": "Parker"},
        {"narrative": THREAT, "witness_given_name": "Jordan", "witness_family_name": "Parker"},
    ]
    world.run(csv_bytes(rows))
    counts = [earlier(report) for report in world.reports()[1:]]
    # A witness of the same name is not who the report is about.
    assert counts == [["earlier_reports: 1"], ["earlier_reports: 2"], None]


def test_a_red_report_names_the_importing_user_and_the_command_line_cannot_import_red(
    world: World,
) -> None:
    data = csv_bytes([{"narrative": QUIET, "marking": "RED"}])
    world.run(data)
    (report,) = world.reports()
    recipients = (
        world.db.execute(
            select(ReportRecipient.user_id).where(ReportRecipient.report_id == report.id)
        )
        .scalars()
        .all()
    )
    assert recipients == [world.analyst.id]
    result = world.run(data, actor=command_line("ops"), agency_id=world.other.id)
    assert result.imported == 0 and "named recipient" in result.rejections[0].reasons[0]


def test_triage_in_worker_processes_gives_the_same_reports(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", 3)
    monkeypatch.setattr(importer, "POOL_AFTER_BATCHES", 1)
    third = make_agency(world.db, name="Lake Schools")
    rows = [
        {"narrative": f"{THREAT} ({n})", "subject_phones": f"555-01{n % 3:02d}"} for n in range(10)
    ]
    ops = command_line("ops")
    world.run(csv_bytes(rows), actor=ops, agency_id=world.other.id, workers=0)
    world.run(csv_bytes(rows), actor=ops, agency_id=third.id, workers=2)
    here, pooled = world.reports(world.other), world.reports(third)
    assert len(here) == len(pooled) == 10
    for one, other in zip(here, pooled, strict=True):
        assert (one.narrative, one.urgency_score, one.urgency_level, one.urgency_rules) == (
            other.narrative,
            other.urgency_score,
            other.urgency_level,
            other.urgency_rules,
        )
    assert earlier(here[-1]) == ["earlier_reports: 3"]


# --- all or nothing ----------------------------------------------------------------------


def test_one_bad_row_stores_nothing_and_every_rejected_row_is_listed(world: World) -> None:
    rows = [
        {"narrative": QUIET},
        {"narrative": QUIET, "kind": "rumour", "latitude": "91"},
        {"narrative": QUIET},
        {"narrative": "", "subject_dob": "03/02/2009"},
    ]
    result = world.run(csv_bytes(rows))
    assert world.reports() == []
    assert (result.rows, result.valid, result.imported, result.rejected) == (4, 2, 0, 2)
    assert [(r.row, r.where) for r in result.rejections] == [(3, "row 3"), (5, "row 5")]
    kind, latitude = result.rejections[0].reasons[:2]
    assert kind.startswith("kind: Input should be") and latitude.startswith("latitude:")
    assert result.rejections[1].reasons[0] == "narrative: is required (the cell is empty)"
    assert result.rejections[1].reasons[1].startswith("subject_dob:")
    assert not result.complete and result.outcome == "failure"


def test_partial_keeps_the_valid_rows(world: World) -> None:
    rows = [{"narrative": QUIET}, {"narrative": QUIET, "marking": "PURPLE"}, {"narrative": THREAT}]
    result = world.run(csv_bytes(rows), partial=True)
    assert [r.narrative for r in world.reports()] == [QUIET, THREAT]
    assert (result.imported, result.rejected, result.rejections[0].row) == (2, 1, 3)
    assert result.outcome == "success" and not result.complete


def test_what_the_api_cannot_do_an_import_cannot_either(world: World) -> None:
    rows = [
        {"narrative": QUIET, "shared_agency_ids": [world.other.id]},
        {"narrative": QUIET, "recipient_user_ids": [world.analyst.id]},
        {"narrative": QUIET, "unknown": 1},
        {"narrative": QUIET, "reported_at": "2026-05-02"},
        {"narrative": QUIET, "reported_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        {"narrative": QUIET, "reported_at": "2001-01-01T00:00:00Z"},
        {"narrative": QUIET, "mentions": [{"role": "subject"}]},
        ["not", "an", "object"],
    ]
    result = world.run(json.dumps(rows).encode())
    reasons = [r.reasons[0] for r in result.rejections]
    assert reasons[0].startswith("shared_agency_ids: an import never shares")
    assert reasons[1].startswith("recipient_user_ids:")
    assert reasons[2] == "unknown: Extra inputs are not permitted"
    assert reasons[3] == "reported_at: give a time zone (e.g. 2026-05-01T14:30:00-05:00 or ...Z)"
    assert reasons[4] == "reported_at: is in the future"
    assert "past the tip/lead retention limit" in reasons[5]
    assert reasons[6].startswith("mentions[0]: a mention needs")
    assert reasons[7] == "is not a JSON object {...}"
    assert [r.where for r in result.rejections][:2] == ["item 1", "item 2 (line 1)"]
    assert world.reports() == []


# --- bad files ---------------------------------------------------------------------------


def refused(world: World, data: bytes, **options: Any) -> str:
    result = world.run(data, **options)
    assert result.imported == 0 and result.fatal, result
    assert world.reports() == []
    return result.fatal


def test_malformed_csv(world: World) -> None:
    unbalanced = b'narrative,kind\nfine,tip\n"never closed,tip\nmore,tip\n'
    assert refused(world, unbalanced).startswith("row 3 (line 3): a quoted value never ends")
    result = world.run(b"narrative,kind\nfine,tip\ntoo,many,values\n")
    assert result.rejections[0].reasons == ("has 3 values but the header names 2 columns",)
    assert "unknown column 'colour'" in refused(world, b"narrative,colour\nx,red\n")
    assert "twice" in refused(world, b"narrative,Narrative\nx,y\n")
    assert "no narrative column" in refused(world, b"kind\ntip\n")
    assert "column without a name" in refused(world, b"narrative,\nx,y\n")
    assert "lone carriage return" in refused(world, b"narrative,kind\rx,tip\ry,tip\r")


def test_malformed_json(world: World) -> None:
    assert "malformed JSON" in refused(world, b'[{"narrative": "x"}, {"narrative": }]')
    assert "closing ]" in refused(world, b'[{"narrative": "x"}')
    assert "expected , or ]" in refused(world, b'[{"narrative": "x"} {"narrative": "y"}]')
    assert "array of objects" in refused(world, b'"just a string"', file_format="json")
    assert "more after the closing ]" in refused(world, b'[{"narrative": "x"}] []')
    assert "nested too deeply" in refused(world, b'[{"narrative": ' + b"[" * 100_000 + b"]")
    # Just below the recursion limit: the parser or the row check says so, depending on
    # how deep the caller's stack already is; either way a clear answer, not a crash.
    deep = world.run(b'{"narrative": "x", "weapons": ' + b"[" * 950 + b"]" * 950 + b"}")
    assert deep.imported == 0
    assert deep.rejected == 1 or "nested too deeply" in (deep.fatal or "")
    # A partial import keeps the rows before the point where reading stopped.
    result = world.run(
        b'{"narrative": "one"}\n{"narrative": "two"}\n{"narrative": \n', partial=True
    )
    assert result.imported == 2 and "item 3 (line 3): malformed JSON" in (result.fatal or "")


def test_encodings(world: World) -> None:
    latin1 = "narrative\nfine\nCaf\u00e9 owner saw him\n".encode("latin-1")
    message = refused(world, latin1)
    assert message.startswith("row 3 (line 3), column 4: the file is not UTF-8: byte 0xE9")
    assert "Latin-1" in message
    utf16 = "narrative\nfine\n".encode("utf-16-le")
    assert "UTF-16 text without a byte-order mark" in refused(world, utf16)
    assert "UTF-16 text (it starts with" in refused(world, "narrative\nx\n".encode("utf-16"))
    assert "item 1 (line 2)" in refused(world, '[\n{"narrative": "é"}]'.encode("latin-1"))
    with_bom = world.run("\ufeffnarrative,kind\nCaf\u00e9,tip\n".encode())
    assert with_bom.complete and world.reports()[0].narrative == "Caf\u00e9"


def test_empty_and_header_only_files(world: World) -> None:
    assert refused(world, b"") == "The file is empty."
    assert refused(world, b" \n\r\n\t") == "The file is empty."
    assert refused(world, b"\xef\xbb\xbf") == "The file is empty."
    assert refused(world, b"narrative,kind\n") == "The file has a header but no rows."
    assert refused(world, b"narrative\n\n\n") == "The file has a header but no rows."
    assert refused(world, b"[]") == "The file holds no reports."


def test_archives_and_compressed_files_are_refused_by_content_never_unpacked(
    world: World,
) -> None:
    bomb = gzip.compress(b"narrative\n" + b"A" * 50_000_000)  # 50 MB behind ~50 kB
    assert "gzip-compressed" in refused(world, bomb, filename="reports.csv")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("reports.csv", b"narrative\n" + b"B" * 50_000_000)
    assert "ZIP archive" in refused(world, packed.getvalue(), filename="reports.json")
    for head, name in ((b"BZh91AY&SY", "bzip2"), (b"\xfd7zXZ\x00\x00", "xz"), (b"%PDF-1.7", "PDF")):
        assert name in refused(world, head + b"\x00" * 10)
    tar = b"reports.csv".ljust(257, b"\x00") + b"ustar\x0000" + b"\x00" * 300
    assert "tar archive" in refused(world, tar)


def test_size_cap_and_huge_values(world: World) -> None:
    data = csv_bytes([{"narrative": QUIET}] * 200)
    message = refused(world, data, max_bytes=1000)
    assert message.startswith("The file is larger than the 1,000 bytes")
    assert world.audits()[-1].details["sha256"] is None
    result = world.run(csv_bytes([{"narrative": "x" * 50_001, "subject_given_name": "y" * 201}]))
    assert result.rejections[0].reasons == (
        "narrative: String should have at most 50000 characters",
        "subject_given_name: String should have at most 200 characters",
    )
    assert "never ends" in refused(world, b"narrative\n" + b"z" * 200_000 + b"\n")
    assert "longer than" in refused(world, b'[{"narrative": "' + b"z" * 6_000_000 + b'"}]')


def test_nul_characters_and_invalid_unicode_reject_the_row(world: World) -> None:
    result = world.run(b"narrative,subject_given_name\nfine,Al\x00ex\nfine,Sam\n", partial=True)
    assert result.rejections[0].reasons == ("subject_given_name: contains a NUL character",)
    rows = b'[{"narrative": "a\\u0000b"}, {"narrative": "x", "target_name": "\\ud800"}]'
    result = world.run(rows, partial=True)
    assert [r.reasons for r in result.rejections] == [
        ("narrative: contains a NUL character",),
        ("target_name: is not valid Unicode text",),
    ]
    assert [r.narrative for r in world.reports()] == ["fine"]


def test_markup_in_every_text_field_is_stored_as_text(world: World) -> None:
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    text_columns = [
        "narrative", "location_text", "weapons", "target_name", "subject_given_name",
        "subject_middle_name", "subject_family_name", "subject_aliases", "subject_phones",
        "subject_emails", "subject_handles", "subject_addresses", "subject_school_or_employer",
        "subject_description",
    ]  # fmt: skip
    world.run(csv_bytes([{name: script for name in text_columns}]))
    (report,) = world.reports()
    assert report.narrative == report.location_text == report.mentions[0].description == script
    assert report.weapons == report.mentions[0].aliases == [script]


def test_a_load_the_database_refuses_stores_nothing_and_is_reported(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "_receipt_number", lambda: "VIG-SAME-SAME-SAME")
    message = refused(world, csv_bytes([{"narrative": QUIET}, {"narrative": THREAT}]))
    assert message.startswith("The database refused the rows (") and "nothing was stored" in message
    assert "VIG-SAME" not in message
    # The transaction is still usable: the refusal is audited and the next import works.
    assert world.audits()[-1].outcome == "failure"
    monkeypatch.undo()
    assert world.run(csv_bytes([{"narrative": QUIET}])).complete


# --- who, and the audit trail --------------------------------------------------------------


def test_only_filers_and_the_command_line_may_import(world: World) -> None:
    auditor = actor_for(make_user(world.db, agency=world.agency, roles={Role.AUDITOR}))
    with pytest.raises(PermissionDenied):
        world.run(csv_bytes([{"narrative": QUIET}]), actor=auditor)
    with pytest.raises(InvalidInput):
        world.run(csv_bytes([{"narrative": QUIET}]), agency_id=world.other.id)
    with pytest.raises(InvalidInput):
        world.run(csv_bytes([{"narrative": QUIET}]), actor=command_line("ops"))
    result = world.run(
        csv_bytes([{"narrative": QUIET}]), actor=command_line("ops"), agency_id=world.other.id
    )
    assert result.complete and world.reports(world.other)[0].created_by_user_id is None


def test_each_import_is_audited_once_with_counts_and_never_row_contents(world: World) -> None:
    names = ["../../etc/passwd", "C:\\Users\\x\\..\\evil.csv", "a\u202eslx.csv", "b\n\r.csv", ""]
    for name in names:
        world.run(csv_bytes([{"narrative": THREAT, "subject_given_name": "Jordan"}]), filename=name)
    world.run(csv_bytes([{"narrative": THREAT}, {"narrative": ""}]), filename="bad.csv")
    audits = world.audits()
    assert [a.details["file"] for a in audits] == [
        "passwd", "evil.csv", "aslx.csv", "b.csv", "upload", "bad.csv",
    ]  # fmt: skip
    assert [a.outcome for a in audits] == ["success"] * 5 + ["failure"]
    last = audits[-1]
    assert {k: last.details[k] for k in ("rows", "imported", "rejected", "partial")} == {
        "rows": 2, "imported": 0, "rejected": 1, "partial": False,
    }  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{64}", last.details["sha256"])
    assert last.agency_id == world.agency.id and last.actor_id == world.analyst.id
    trail = json.dumps([a.details for a in audits])
    assert "shoot" not in trail and "Jordan" not in trail
    creates = world.db.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report.create")
    ).scalar_one()
    assert creates == 0
