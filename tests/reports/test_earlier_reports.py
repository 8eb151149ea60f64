"""Earlier reports about the same subject, counted at filing: the case-folded rule holds
for any script and any characters, the count only looks at the filer's agency, and its
indexed identifiers are written by filing, by the bulk import and by the migration, and
go with the report."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    require_postgres,
)
from tests.factories import actor_for, make_agency, make_user
from vigil.platform import migrate
from vigil.platform.actor import Actor
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.models import Agency
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports import service
from vigil.reports.importer import import_reports
from vigil.reports.models import Mention, MentionIdentifier, Report
from vigil.reports.schemas import MentionIn, ReportCreate


@pytest.fixture()
def home(db: Session) -> Agency:
    return make_agency(db, name="Springfield Police")


@pytest.fixture()
def analyst(db: Session, home: Agency) -> Actor:
    return actor_for(make_user(db, agency=home, roles={Role.ANALYST}))


def about(**subject: Any) -> ReportCreate:
    return ReportCreate.model_validate(
        {
            "kind": "tip",
            "narrative": "He keeps asking about the fire drills.",
            "mentions": [{"role": "subject", **subject}],
        }
    )


def file(db: Session, actor: Actor, settings: Settings, **subject: Any) -> int:
    report, _ = service.create_report(db, actor=actor, settings=settings, data=about(**subject))
    return report.id


def earlier(db: Session, agency: Agency, **subject: Any) -> int:
    return service.earlier_reports_about(db, agency.id, [MentionIn.model_validate(subject)])


@pytest.mark.parametrize(
    ("stored", "sought"),
    [
        (
            {"given_name": "Zoë", "family_name": "MÜLLER"},
            {"given_name": "ZOË", "family_name": "müller"},
        ),
        (
            {"given_name": "Jörg", "family_name": "Strauß"},
            {"given_name": "jörg", "family_name": "STRAUSS"},
        ),
        (
            {"given_name": "Mary Ann", "family_name": "Lee"},
            {"given_name": "Mary", "family_name": "Ann Lee"},
        ),
        (
            {"given_name": "Олег", "family_name": "Петров"},
            {"given_name": "ОЛЕГ", "family_name": "ПЕТРОВ"},
        ),
        ({"handles": ["@Jörg_99"]}, {"handles": ["@JÖRG_99"]}),
        ({"emails": ["Zoë@Example.org"]}, {"emails": ["zoë@example.ORG"]}),
        ({"handles": ['@say"hi"']}, {"handles": ['@SAY"HI"']}),
        ({"handles": ["back\\slash"]}, {"handles": ["BACK\\SLASH"]}),
        ({"handles": ["100%_real"]}, {"handles": ["100%_REAL"]}),
        ({"phones": ["555-0101"]}, {"phones": ["555-0101"], "given_name": "X"}),
        # Folding reaches ASCII from a character that SQL's lower() leaves alone.
        ({"handles": ["\u212aevin"]}, {"handles": ["kevin"]}),
    ],
)
def test_the_same_subject_is_found_in_any_script_and_case(
    db: Session, settings: Settings, home: Agency, analyst: Actor, stored: Any, sought: Any
) -> None:
    file(db, analyst, settings, **stored)
    assert earlier(db, home, **sought) == 1


@pytest.mark.parametrize(
    ("stored", "sought"),
    [
        ({"handles": ["@jpike09"]}, {"handles": ["@jpike"]}),  # a prefix is not the handle
        ({"handles": ["@jpike09", "x"]}, {"handles": ["09"]}),
        ({"handles": ["100xyreal"]}, {"handles": ["100%_real"]}),  # LIKE wildcards are text
        ({"given_name": "Jordan", "family_name": "Pike"}, {"given_name": "Jordan"}),
        (
            {"given_name": "Jordan", "family_name": "Pike"},
            {"given_name": "Jordan", "family_name": "Pikes"},
        ),
        (
            {"given_name": "Zoë", "family_name": "Müller"},
            {"given_name": "Zoe", "family_name": "Muller"},
        ),
    ],
)
def test_a_different_subject_is_not_counted(
    db: Session, settings: Settings, home: Agency, analyst: Actor, stored: Any, sought: Any
) -> None:
    file(db, analyst, settings, **stored)
    assert earlier(db, home, **sought) == 0


def test_a_report_is_counted_once_and_only_in_its_agency(
    db: Session, settings: Settings, home: Agency, analyst: Actor
) -> None:
    elsewhere = actor_for(make_user(db, agency=make_agency(db), roles={Role.ANALYST}))
    file(db, elsewhere, settings, given_name="Jordan", family_name="Pike")
    file(db, analyst, settings, given_name="Jordan", family_name="Pike", handles=["@jp"])
    file(db, analyst, settings, handles=["@JP"], phones=["555-0101"])
    for number in range(30):
        file(db, analyst, settings, given_name=f"Casey{number}", family_name="Pike")
    assert earlier(db, home, given_name="jordan", family_name="pike", handles=["@jp"]) == 2
    assert earlier(db, home, phones=["555-0101"], handles=["@jp"]) == 2


def by_the_rule(db: Session, agency: Agency, subject: dict[str, Any]) -> int:
    """The count as the rule reads, applied to every subject of the agency in Python."""

    def folded(given: Any, family: Any, contacts: list[str]) -> tuple[str | None, set[str]]:
        name = f"{given} {family}".casefold() if given and family else None
        return name, {value.casefold() for value in contacts}

    name, contacts = folded(
        subject.get("given_name"),
        subject.get("family_name"),
        [*subject.get("phones", ()), *subject.get("emails", ()), *subject.get("handles", ())],
    )
    matched = set()
    for mention, report in db.execute(select(Mention, Report).join(Mention.report)).all():
        if mention.role != "subject" or agency.id not in (
            report.owner_agency_id,
            report.routed_agency_id,
        ):
            continue
        their_name, theirs = folded(
            mention.given_name,
            mention.family_name,
            [*mention.phones, *mention.emails, *mention.handles],
        )
        if (name is not None and name == their_name) or contacts & theirs:
            matched.add(report.id)
    return len(matched)


def random_person(rng: random.Random) -> dict[str, Any]:
    person: dict[str, Any] = {}
    if rng.random() < 0.7:
        person["given_name"] = rng.choice(["Jordan", "JORDAN", "Zoë", "ZOË", "Mary Ann", "Ann"])
    if rng.random() < 0.7:
        person["family_name"] = rng.choice(["Pike", "pike", "Lee", "Mary Lee", "Strauß", "STRAUSS"])
    for field, pool in (
        ("phones", ["555-0101", "555-0102"]),
        ("emails", ["Zoë@Example.org", "zoë@example.ORG", "jp@example.com"]),
        ("handles", ["@JP", "@jp", "@Jörg_99", "\u212aevin", "kevin", '@say"hi"']),
    ):
        if rng.random() < 0.3:
            person[field] = rng.sample(pool, rng.randint(1, 2))
    if not person:
        person["description"] = "tall"
    return person


def test_the_count_is_the_rule_applied_to_every_subject(
    db: Session, settings: Settings, home: Agency, analyst: Actor
) -> None:
    rng = random.Random(3)
    elsewhere = actor_for(make_user(db, agency=make_agency(db), roles={Role.ANALYST}))
    for _ in range(60):
        people = [
            {"role": rng.choice(["subject", "subject", "witness"]), **random_person(rng)}
            for _ in range(rng.randint(1, 3))
        ]
        data = ReportCreate.model_validate(
            {"kind": "tip", "narrative": "He keeps asking about the drills.", "mentions": people}
        )
        filer = elsewhere if rng.random() < 0.2 else analyst
        service.create_report(db, actor=filer, settings=settings, data=data)
    for _ in range(40):
        sought = random_person(rng)
        assert earlier(db, home, **sought) == by_the_rule(db, home, sought), sought


def identifier_rows(db: Session, report_id: int) -> set[tuple[str, str]]:
    return {
        (kind, value)
        for kind, value in db.execute(
            select(MentionIdentifier.kind, MentionIdentifier.value).where(
                MentionIdentifier.report_id == report_id
            )
        )
    }


def test_filing_stores_the_subjects_identifiers_folded_and_they_go_with_the_report(
    db: Session, settings: Settings, home: Agency, analyst: Actor
) -> None:
    data = ReportCreate.model_validate(
        {
            "kind": "tip",
            "narrative": "He keeps asking about the fire drills.",
            "mentions": [
                {"given_name": "Jörg", "family_name": "Strauß", "handles": ["@JP", "@jp"]},
                {"role": "witness", "given_name": "Ann", "family_name": "Lee"},
            ],
        }
    )
    report, _ = service.create_report(db, actor=analyst, settings=settings, data=data)
    assert identifier_rows(db, report.id) == {("name", "jörg strauss"), ("contact", "@jp")}

    db.delete(report)
    db.flush()
    assert identifier_rows(db, report.id) == set()
    assert earlier(db, home, handles=["@jp"]) == 0


def test_imported_reports_are_counted_by_later_filings(
    db: Session, settings: Settings, home: Agency, analyst: Actor
) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        fieldnames=[
            "narrative",
            "subject_given_name",
            "subject_family_name",
            "subject_handles",
            "witness_given_name",
            "witness_family_name",
        ],
        restval="",
    )
    writer.writeheader()
    writer.writerows(
        [
            {"narrative": "A", "subject_given_name": "Zoë", "subject_family_name": "MÜLLER"},
            {"narrative": "B", "subject_handles": "@Jörg_99;@x"},
            {"narrative": "C", "witness_given_name": "Ann", "witness_family_name": "Lee"},
        ]
    )
    result = import_reports(
        db,
        actor=analyst,
        settings=settings,
        stream=io.BytesIO(out.getvalue().encode()),
        filename="reports.csv",
    )
    assert result.imported == 3
    assert earlier(db, home, given_name="zoë", family_name="müller") == 1
    assert earlier(db, home, handles=["@JÖRG_99"]) == 1
    assert earlier(db, home, given_name="Ann", family_name="Lee") == 0
    assert earlier(db, home, given_name="zoë", family_name="müller", handles=["@X"]) == 2


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own, for migrating with data in it."""
    url = None
    if request.param == "postgresql":
        require_postgres()
        url = create_postgres_database()
    engine = make_engine(make_settings(tmp_path, url))
    try:
        yield engine
    finally:
        engine.dispose()
        if url:
            drop_postgres_database(url)


def test_the_migration_fills_the_identifiers_of_existing_reports(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    migrate.upgrade(fresh_engine)
    settings = make_settings(tmp_path)
    sessions = make_sessionmaker(fresh_engine)
    with transaction(sessions) as db:
        agency = make_agency(db, name="Springfield Police")
        actor = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
        agency_id = agency.id
        first = file(db, actor, settings, given_name="Zoë", family_name="MÜLLER")
        file(db, actor, settings, handles=["@JP"], phones=["555-0101"])
        # Another writer (an old import, a restore) may store the JSON text differently
        # from the ORM; the migration reads the values, not the text.
        handles = (
            "CAST(:handles AS json)" if fresh_engine.dialect.name == "postgresql" else ":handles"
        )
        for role in ("subject", "witness"):
            db.execute(
                text(
                    "INSERT INTO mentions (report_id, role, aliases, phones, emails, handles, "
                    f"addresses) VALUES (:report_id, :role, '[]', '[]', '[]', {handles}, '[]')"
                ),
                {
                    "report_id": first,
                    "role": role,
                    "handles": r'["\u0040jpike\u00309", "@zo\u00eb"]'
                    if role == "subject"
                    else '["@witness"]',
                },
            )

    migrate.downgrade(fresh_engine, "0003")
    migrate.upgrade(fresh_engine)

    with transaction(sessions) as db:
        home = db.get(Agency, agency_id)
        assert home is not None
        assert earlier(db, home, handles=["@JPIKE09"]) == 1
        assert earlier(db, home, handles=["@ZOË"]) == 1
        assert earlier(db, home, given_name="zoë", family_name="müller", handles=["@jp"]) == 2
        assert earlier(db, home, handles=["@witness"]) == 0
        assert db.execute(select(func.count()).select_from(MentionIdentifier)).scalar() == 5
