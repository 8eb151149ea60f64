"""`vigil pfif validate`: each PFIF rule broken on its own is named with line, record, field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.response.pfif_documents import VALID_1_1, VALID_1_2, VALID_1_3, VALID_1_4
from vigil.cli import app
from vigil.response.pfif_validation import Report, UnreadableDocument, validate

NOW = datetime(2026, 11, 26, tzinfo=UTC)
runner = CliRunner()


def check(text: str, now: datetime = NOW) -> Report:
    return validate(text.encode("utf-8"), now=now)


def messages(report: Report) -> str:
    return "\n".join(str(v) for v in report.errors)


@pytest.mark.parametrize(
    ("text", "version", "persons", "notes"),
    [
        (VALID_1_4, "1.4", 1, 2),
        (VALID_1_3, "1.3", 1, 1),
        (VALID_1_2, "1.2", 1, 1),
        (VALID_1_1, "1.1", 1, 1),
    ],
)
def test_valid_documents_of_every_version(
    text: str, version: str, persons: int, notes: int
) -> None:
    report = check(text)
    assert report.valid, messages(report)
    assert (report.version, report.persons, report.notes) == (version, persons, notes)


BROKEN_1_4: list[tuple[tuple[str, str], str]] = [
    # (change, words expected in the one error)
    (("http://zesty.ca/pfif/1.4", "http://zesty.ca/pfif/1.9"), "unknown PFIF version '1.9'"),
    (("http://zesty.ca/pfif/1.4", "urn:people"), "not pfif in a PFIF namespace"),
    (("<pfif:full_name>José Núñez</pfif:full_name>", ""), "required field full_name is missing"),
    (
        ("<pfif:source_date>2026-11-20T09:58:00Z</pfif:source_date>", ""),
        "required field source_date is missing",
    ),
    (
        ("example.org/p1</pfif:person_record_id>", "p1</pfif:person_record_id>"),
        "not a record id of the form domain/id",
    ),
    (
        ("2026-11-20T10:00:00Z</pfif:entry_date>", "2026-11-20 10:00</pfif:entry_date>"),
        "'2026-11-20 10:00' is not a UTC date",
    ),
    (
        ("2026-11-20T10:00:00Z</pfif:entry_date>", "2026-02-30T10:00:00Z</pfif:entry_date>"),
        "is not a UTC date",
    ),
    (
        ("<pfif:status>believed_alive</pfif:status>", "<pfif:status>alive</pfif:status>"),
        "'alive' is not a note status",
    ),
    (("<pfif:sex>male</pfif:sex>", "<pfif:sex>M</pfif:sex>"), "is not one of female, male, other"),
    (
        (
            "<pfif:date_of_birth>2010-03</pfif:date_of_birth>",
            "<pfif:date_of_birth>2010-13</pfif:date_of_birth>",
        ),
        "is not a calendar date",
    ),
    (("<pfif:age>15-17</pfif:age>", "<pfif:age>17-15</pfif:age>"), "end is below its start"),
    (
        ("<pfif:home_country>US</pfif:home_country>", "<pfif:home_country>usa</pfif:home_country>"),
        "ISO 3166-1",
    ),
    (("https://example.com/b", "javascript:alert(1)"), "is not an http or https URL"),
    # urllib refuses an unbalanced bracket in the host outright: a problem, not a crash.
    (("https://example.com/b", "http://[example.com/b"), "is not an http or https URL"),
    (("desk@example.org", "desk at example"), "is not an e-mail address"),
    (
        (
            "<pfif:author_made_contact>true</pfif:author_made_contact>",
            "<pfif:author_made_contact>yes</pfif:author_made_contact>",
        ),
        "is not true or false",
    ),
    (
        ("<pfif:given_name>José</pfif:given_name>", "<pfif:first_name>José</pfif:first_name>"),
        "first_name is not a field of a person in PFIF 1.4",
    ),
    (
        ("<pfif:sex>male</pfif:sex>", "<pfif:sex>male</pfif:sex><pfif:sex>male</pfif:sex>"),
        "sex appears more than once",
    ),
    (("other.example.net/n9", "example.org/n1"), "note_record_id 'example.org/n1' is used again"),
    (
        (
            "<pfif:person_record_id>example.org/p1</pfif:person_record_id>\n"
            "    <pfif:author_name>Aunt",
            "<pfif:author_name>Aunt",
        ),
        "a note outside a person must have a person_record_id",
    ),
    (
        (
            "<pfif:author_name>Reunification desk</pfif:author_name>",
            "<pfif:author_name>" + "x" * 501 + "</pfif:author_name>",
        ),
        "author_name is 501 characters",
    ),
    (
        (
            "<pfif:text>Admitted, stable.</pfif:text>",
            "<pfif:text>Admitted.</pfif:text><x:extra xmlns:x='urn:x'>1</x:extra>",
        ),
        "{urn:x}extra is not in the PFIF 1.4 namespace",
    ),
]


@pytest.mark.parametrize(("change", "expected"), BROKEN_1_4)
def test_each_broken_rule_is_named(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in VALID_1_4
    report = check(VALID_1_4.replace(old, new, 1))
    assert not report.valid
    assert expected in messages(report), messages(report)
    assert all(v.line for v in report.errors)


def test_a_nested_note_with_another_persons_id() -> None:
    text = VALID_1_4.replace(
        "<pfif:note_record_id>example.org/n1</pfif:note_record_id>",
        "<pfif:note_record_id>example.org/n1</pfif:note_record_id>"
        "<pfif:person_record_id>example.org/p7</pfif:person_record_id>",
    )
    report = check(text)
    (error,) = report.errors
    assert error.record == "note example.org/n1" and error.field == "person_record_id"
    assert "not that of the person holding the note" in error.message


def test_an_expired_record_must_keep_only_its_placeholder() -> None:
    later = datetime(2027, 12, 1, tzinfo=UTC)
    report = check(VALID_1_4, now=later)
    text = messages(report)
    assert "expired on 2027-11-20T10:00:00Z but still holds full_name" in text
    assert "still holds text" in text  # the notes' content too
    placeholder = """<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>
      <pfif:person_record_id>example.org/p1</pfif:person_record_id>
      <pfif:entry_date>2027-11-21T00:00:00Z</pfif:entry_date>
      <pfif:expiry_date>2027-11-20T10:00:00Z</pfif:expiry_date>
      <pfif:source_date>2027-11-21T00:00:00Z</pfif:source_date>
      <pfif:full_name></pfif:full_name>
    </pfif:person></pfif:pfif>"""
    report = check(placeholder, now=later)
    assert report.valid, messages(report)


def test_believed_dead_from_someone_in_contact_is_flagged() -> None:
    text = VALID_1_4.replace("believed_alive", "believed_dead")
    report = check(text)
    assert report.valid  # a warning, not an error
    assert any("believed_dead with author_made_contact true" in str(v) for v in report.violations)


def test_older_versions_have_their_own_rules() -> None:
    report = check(VALID_1_1.replace("KATHERINE", "Katherine"))
    assert "capital letters and spaces only in PFIF 1.1" in messages(report)
    moved = VALID_1_1.replace(
        "<pfif:first_name>KATHERINE</pfif:first_name>\n    <pfif:last_name>DOE</pfif:last_name>",
        "<pfif:last_name>DOE</pfif:last_name>\n    <pfif:first_name>KATHERINE</pfif:first_name>",
    )
    assert "out of the order PFIF 1.1 prescribes" in messages(check(moved))
    top_note = VALID_1_1.replace(
        "</pfif:pfif>",
        "<pfif:note><pfif:note_record_id>a.b/1</pfif:note_record_id></pfif:note></pfif:pfif>",
    )
    assert "outside a person is not allowed in PFIF 1.1" in messages(check(top_note))
    assert "status is not a field of a note in PFIF 1.1" in messages(
        check(
            VALID_1_1.replace(
                "<pfif:found>true</pfif:found>", "<pfif:status>believed_alive</pfif:status>"
            )
        )
    )
    assert "full_name is not a field of a person in PFIF 1.2" in messages(
        check(VALID_1_2.replace("<pfif:sex>", "<pfif:full_name>Ann Lee</pfif:full_name><pfif:sex>"))
    )
    assert "must be digits only" in messages(check(VALID_1_2.replace("94110", "SW1A 1AA")))
    assert "required field full_name is missing" in messages(
        check(VALID_1_3.replace("<pfif:full_name>Ann Lee</pfif:full_name>", ""))
    )
    assert "required field text is missing" in messages(
        check(VALID_1_3.replace("<pfif:text>Not yet found.</pfif:text>", ""))
    )
    assert "author_made_contact is not a field of a note in PFIF 1.3" in messages(
        check(
            VALID_1_3.replace(
                "<pfif:found>false</pfif:found>",
                "<pfif:author_made_contact>false</pfif:author_made_contact>",
            )
        )
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"<pfif:pfif xmlns:pfif='http://zesty.ca/pfif/1.4'><pfif:person>", "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b"<lolz>&lol2;</lolz>",
            "refused",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "refused",
        ),
        (b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.com/x.dtd"><x/>', "refused"),
    ],
)
def test_hostile_or_broken_documents_are_refused(data: bytes, expected: str) -> None:
    with pytest.raises(UnreadableDocument, match=expected):
        validate(data, now=NOW)


def test_the_command(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_text(VALID_1_4, encoding="utf-8")
    result = runner.invoke(app, ["pfif", "validate", str(good), "--now", "2026-11-26"])
    assert result.exit_code == 0, result.output
    assert "PFIF 1.4, 1 persons, 2 notes: 0 errors" in result.stdout
    bad = tmp_path / "bad.xml"
    bad.write_text(VALID_1_4.replace("<pfif:sex>male", "<pfif:sex>boy"), encoding="utf-8")
    result = runner.invoke(app, ["pfif", "validate", str(bad), "--now", "2026-11-26"])
    assert result.exit_code == 1
    assert "line 17: person example.org/p1: sex: error: 'boy' is not one of" in result.stdout
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    result = runner.invoke(app, ["pfif", "validate", str(hostile)])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    result = runner.invoke(app, ["pfif", "validate", str(tmp_path / "none.xml")])
    assert result.exit_code == 2 and "no such file" in result.stderr
