"""Earlier reports about the same subject, counted at filing: the case-folded rule holds
for any script and any characters, and the count only looks at the filer's agency."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.actor import Actor
from vigil.platform.models import Agency
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports import service
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


def test_contacts_written_with_json_escapes_are_found(
    db: Session, settings: Settings, home: Agency, analyst: Actor
) -> None:
    # Another writer (an import, a restore) may store the JSON text differently from the
    # ORM; the count reads the values, not the text.
    report_id = file(db, analyst, settings, given_name="A", family_name="B")
    handles = "CAST(:handles AS json)" if db.get_bind().dialect.name == "postgresql" else ":handles"
    db.execute(
        text(
            "INSERT INTO mentions (report_id, role, aliases, phones, emails, handles, addresses) "
            f"VALUES (:report_id, 'subject', '[]', '[]', '[]', {handles}, '[]')"
        ),
        {"report_id": report_id, "handles": r'["\u0040jpike\u00309", "@zo\u00eb"]'},
    )
    db.flush()
    assert earlier(db, home, handles=["@JPIKE09"]) == 1
    assert earlier(db, home, handles=["@ZOË"]) == 1


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
