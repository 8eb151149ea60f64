"""PFIF import and export against the database: per-record errors with the rest kept,
believed_dead only from allowed sources, expiry honoured, round trips, the regime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.response.pfif_documents import VALID_1_1, VALID_1_4
from vigil.platform.actor import command_line
from vigil.platform.errors import NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.response.models import Incident, IncidentAgency, ReunificationNote, ReunificationPerson
from vigil.response.pfif_exchange import export_document, import_document
from vigil.response.pfif_validation import UnreadableDocument, validate

NOW = datetime(2026, 11, 26, tzinfo=UTC)
SHELL = command_line("operator")


def make_incident(db: Session, roles: dict[int, str] | None = None) -> Incident:
    lead = make_agency(db)
    incident = Incident(
        name="Shooting at Lincoln High",
        kind="school_shooting",
        place="Lincoln High",
        started_at=NOW - timedelta(days=6),
        lead_agency_id=lead.id,
    )
    db.add(incident)
    db.flush()
    for agency_id, role in (roles or {lead.id: "command"}).items():
        db.add(IncidentAgency(incident_id=incident.id, agency_id=agency_id, role=role))
    db.flush()
    return incident


def count(db: Session, model: type) -> int:
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def test_import_then_export_round_trips(db: Session) -> None:
    incident = make_incident(db)
    result = import_document(
        db, actor=SHELL, data=VALID_1_4.encode(), incident_id=incident.id, now=NOW
    )
    assert (result.persons_added, result.notes_added, result.problems) == (1, 2, [])
    person = db.execute(select(ReunificationPerson)).scalar_one()
    assert person.full_name == "José Núñez" and person.incident_id == incident.id
    assert person.fields["description"] == "red hoodie, glasses"
    assert person.fields["profile_urls"] == "https://example.com/a\nhttps://example.com/b"
    data, persons, notes = export_document(db, actor=SHELL, incident_id=incident.id, now=NOW)
    assert (persons, notes) == (1, 2)
    report = validate(data, now=NOW)
    assert report.valid, [str(v) for v in report.violations]
    text = data.decode()
    for value in (
        "example.org/p1",
        "José Núñez",
        "red hoodie, glasses",
        "believed_alive",
        "Admitted, stable.",
        "other.example.net/n9",
        "US-CA",
        "2010-03",
        "15-17",
    ):
        assert value in text
    # Importing what was exported changes nothing.
    again = import_document(db, actor=SHELL, data=data, incident_id=incident.id, now=NOW)
    assert (again.persons_added, again.persons_unchanged, again.notes_unchanged) == (0, 1, 2)
    assert count(db, ReunificationNote) == 2
    actions = list(db.execute(select(AuditEvent.action, AuditEvent.details)).all())
    imports = [d for a, d in actions if a == "reunification.pfif_import"]
    assert imports and imports[0]["persons_added"] == 1
    assert "Núñez" not in str(actions) and "hoodie" not in str(actions)
    assert any(a == "reunification.pfif_export" for a, _ in actions)


BAD_AND_GOOD = """<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">
  <pfif:person>
    <pfif:person_record_id>example.org/good</pfif:person_record_id>
    <pfif:source_date>2026-11-20T09:00:00Z</pfif:source_date>
    <pfif:full_name>Ann Lee</pfif:full_name>
  </pfif:person>
  <pfif:person>
    <pfif:person_record_id>example.org/bad</pfif:person_record_id>
    <pfif:source_date>yesterday</pfif:source_date>
    <pfif:full_name>Bob Bad</pfif:full_name>
    <pfif:note>
      <pfif:note_record_id>example.org/n-of-bad</pfif:note_record_id>
      <pfif:author_name>X</pfif:author_name>
      <pfif:source_date>2026-11-20T09:00:00Z</pfif:source_date>
    </pfif:note>
  </pfif:person>
  <pfif:note>
    <pfif:note_record_id>example.org/orphan</pfif:note_record_id>
    <pfif:person_record_id>example.org/nobody</pfif:person_record_id>
    <pfif:author_name>Y</pfif:author_name>
    <pfif:source_date>2026-11-20T09:00:00Z</pfif:source_date>
  </pfif:note>
  <pfif:note>
    <pfif:note_record_id>example.org/dead</pfif:note_record_id>
    <pfif:person_record_id>example.org/good</pfif:person_record_id>
    <pfif:author_name>Z</pfif:author_name>
    <pfif:source_date>2026-11-20T09:30:00Z</pfif:source_date>
    <pfif:status>believed_dead</pfif:status>
  </pfif:note>
  <pfif:note>
    <pfif:note_record_id>me.county.gov/confirmed</pfif:note_record_id>
    <pfif:person_record_id>example.org/good</pfif:person_record_id>
    <pfif:author_name>Medical examiner</pfif:author_name>
    <pfif:source_date>2026-11-20T10:30:00Z</pfif:source_date>
    <pfif:status>believed_dead</pfif:status>
  </pfif:note>
  <pfif:note>
    <pfif:note_record_id>example.org/ok</pfif:note_record_id>
    <pfif:person_record_id>example.org/good</pfif:person_record_id>
    <pfif:author_name>W</pfif:author_name>
    <pfif:source_date>2026-11-20T09:45:00Z</pfif:source_date>
    <pfif:status>&lt;script&gt;</pfif:status>
  </pfif:note>
</pfif:pfif>
"""


def test_each_bad_record_is_named_and_the_rest_is_kept(db: Session) -> None:
    result = import_document(
        db, actor=SHELL, data=BAD_AND_GOOD.encode(), believed_dead_from=["me.county.gov"], now=NOW
    )
    problems = {p.record: " ".join(p.reasons) for p in result.problems}
    assert "not a UTC date" in problems["person example.org/bad"]
    assert "person example.org/bad was not imported" in problems["note example.org/n-of-bad"]
    assert "neither in the document nor stored" in problems["note example.org/orphan"]
    assert (
        "believed_dead note is accepted only from an allowed source"
        in problems["note example.org/dead"]
    )
    assert "is not a note status" in problems["note example.org/ok"]
    assert all(p.line for p in result.problems)
    assert [p.record_id for p in db.execute(select(ReunificationPerson)).scalars()] == [
        "example.org/good"
    ]
    stored = {n.record_id: n.status for n in db.execute(select(ReunificationNote)).scalars()}
    assert stored == {"me.county.gov/confirmed": "believed_dead"}


def test_hostile_or_unreadable_documents_store_nothing(db: Session) -> None:
    for data in (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<pfif:pfif xmlns:pfif='http://zesty.ca/pfif/1.4'><pfif:person>",
        b"<people xmlns='urn:other'/>",
    ):
        with pytest.raises(UnreadableDocument):
            import_document(db, actor=SHELL, data=data, now=NOW)
    assert count(db, ReunificationPerson) == 0


def test_expiry_is_honoured_on_import_and_export(db: Session) -> None:
    expired = VALID_1_4.replace("2027-11-20T10:00:00Z", "2026-11-01T00:00:00Z")
    result = import_document(db, actor=SHELL, data=expired.encode(), now=NOW)
    assert result.expired >= 1 and result.notes_added == 0
    person = db.execute(select(ReunificationPerson)).scalar_one()
    assert person.full_name is None and person.fields == {} and person.expired_at is not None
    # A record that expires after import loses its content, notes included, once due.
    other = (
        VALID_1_4.replace("example.org/p1", "example.org/p2")
        .replace("example.org/n1", "example.org/n2")
        .replace("other.example.net/n9", "other.example.net/n8")
    )
    import_document(db, actor=SHELL, data=other.encode(), now=NOW)
    assert count(db, ReunificationNote) == 2
    later = datetime(2027, 11, 21, tzinfo=UTC)
    data, persons, notes = export_document(db, actor=SHELL, now=later)
    assert (persons, notes) == (2, 0)
    assert "José" not in data.decode() and "hoodie" not in data.decode()
    assert validate(data, now=later + timedelta(days=2)).valid
    assert count(db, ReunificationNote) == 0


def test_a_later_copy_replaces_an_earlier_one_and_not_the_reverse(db: Session) -> None:
    import_document(db, actor=SHELL, data=VALID_1_4.encode(), now=NOW)
    newer = VALID_1_4.replace("2026-11-20T09:58:00Z", "2026-11-21T09:58:00Z").replace(
        "José Núñez</pfif:full_name>", "José A. Núñez</pfif:full_name>"
    )
    result = import_document(db, actor=SHELL, data=newer.encode(), now=NOW)
    assert result.persons_updated == 1
    older = VALID_1_4.replace("2026-11-20T09:58:00Z", "2026-11-19T09:58:00Z").replace(
        "José Núñez</pfif:full_name>", "Someone Else</pfif:full_name>"
    )
    result = import_document(db, actor=SHELL, data=older.encode(), now=NOW)
    assert result.persons_unchanged == 1
    assert db.execute(select(ReunificationPerson.full_name)).scalar_one() == "José A. Núñez"


def test_older_versions_are_read_into_pfif_1_4_fields(db: Session) -> None:
    result = import_document(db, actor=SHELL, data=VALID_1_1.encode(), now=NOW)
    assert result.version == "1.1" and result.persons_added == 1 and result.notes_added == 1
    person = db.execute(select(ReunificationPerson)).scalar_one()
    assert person.full_name == "KATHERINE DOE"
    assert (
        person.fields["given_name"] == "KATHERINE" and person.fields["home_postal_code"] == "70112"
    )
    note = db.execute(select(ReunificationNote)).scalar_one()
    assert note.fields["author_made_contact"] == "true"


def test_reunification_data_is_seen_only_by_the_involved_agencies_response_staff(
    db: Session,
) -> None:
    hospital, school, police = make_agency(db), make_agency(db), make_agency(db)
    incident = make_incident(
        db, {hospital.id: "hospital", school.id: "school", police.id: "law_enforcement"}
    )
    import_document(db, actor=SHELL, data=VALID_1_4.encode(), incident_id=incident.id, now=NOW)
    nurse_lead = actor_for(make_user(db, agency=hospital, roles={Role.SUPERVISOR}))
    data, persons, _ = export_document(db, actor=nurse_lead, incident_id=incident.id, now=NOW)
    assert persons == 1 and b"example.org/p1" in data
    for refused in (
        make_user(db, agency=school, roles={Role.ANALYST}),
        make_user(db, agency=school, roles={Role.THREAT_ASSESSMENT, Role.SUPERVISOR}),
        make_user(db, agency=police, roles={Role.SUPERVISOR}),
        make_user(db, agency=make_agency(db), roles={Role.SUPERVISOR}),
    ):
        with pytest.raises(PermissionDenied):
            export_document(db, actor=actor_for(refused), incident_id=incident.id, now=NOW)
    with pytest.raises(PermissionDenied):
        import_document(db, actor=nurse_lead, data=VALID_1_4.encode(), incident_id=incident.id)
    with pytest.raises(NotFound):
        export_document(db, actor=SHELL, incident_id=incident.id + 1000, now=NOW)


def test_record_by_record_when_the_database_refuses_the_whole(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from vigil.response import pfif_exchange

    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT", {}, Exception("simulated"))

    monkeypatch.setattr(pfif_exchange, "_store_all", refuse)
    result = import_document(
        db, actor=SHELL, data=BAD_AND_GOOD.encode(), believed_dead_from=["me.county.gov"], now=NOW
    )
    assert result.persons_added == 1 and result.notes_added == 1
    assert {p.record for p in result.problems} == {
        "person example.org/bad",
        "note example.org/n-of-bad",
        "note example.org/orphan",
        "note example.org/dead",
        "note example.org/ok",
    }
    assert count(db, ReunificationPerson) == 1 and count(db, ReunificationNote) == 1
