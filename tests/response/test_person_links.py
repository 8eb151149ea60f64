"""Rows that are one person: staff link a roster's student to a hospital's patient and
the operating picture counts that person once (at the hospital), the rows per list
stay as uploaded, the status precedence, refusals, audit; a mistaken link removed with
a reason (the rows count apart again, the link stays as history); SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.platform.audit_checks import assert_audit_free_of
from tests.response.test_pages import Web, web  # noqa: F401  (the fixture)
from tests.response.test_reunification import as_csv
from vigil.platform.actor import Actor, command_line
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.response import person_links
from vigil.response.match_files import LIST_COLUMNS
from vigil.response.models import ListedPerson, ListedPersonLink
from vigil.response.operating_picture import build_picture
from vigil.response.person_links import (
    Row,
    figures_from,
    group_of,
    link_history,
    link_same_person,
    linked_groups,
    linked_rows,
    person_status,
    unlink_same_person,
)
from vigil.response.retention import close_incident, purge_closed_incidents
from vigil.response.reunification import create_incident, upload_list

SHELL = command_line("operator")
TODAY = date(2026, 11, 26)


def _row(ident: str, kind: str, name: str) -> dict[str, str]:
    return {
        "id": ident,
        "list": kind,
        "full_name": name,
        "dob": "",
        "age": "15",
        "sex": "F",
        "description": "",
    }


ROSTER = [
    _row("r1", "roster", "LEE, ANNA"),
    _row("r2", "roster", "PARK, JO"),
    _row("r3", "roster", "DIAZ, EVA"),
]
MERCY = [_row("h1", "hospital", "Unknown Female"), _row("h2", "hospital", "Ruiz, Tam")]
GENERAL = [_row("g1", "hospital", "Lee, Anna")]
# Why staff remove a mistaken link: reunification data, never in the audit trail.
WRONG = "Tattoo on the patient's left arm; Anna Lee has none (her mother)"


class Incident:
    def __init__(self, db: Session) -> None:
        self.school = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
        self.hospital = make_agency(db, kind=AgencyKind.PUBLIC_OR_MENTAL_HEALTH)
        self.police = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
        incident = create_incident(
            db,
            actor=SHELL,
            name="Lincoln High",
            kind="school_shooting",
            place="Lincoln High",
            started_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
            lead_agency_id=self.school.id,
            agencies={self.hospital.id: "hospital", self.police.id: "law_enforcement"},
        )
        self.id = incident.id
        for source, rows in (("roster.csv", ROSTER), ("mercy.csv", MERCY)):
            upload_list(
                db,
                actor=SHELL,
                incident_id=self.id,
                data=as_csv(LIST_COLUMNS, rows),
                source_name=source,
                today=TODAY,
            )
        self.reunifier = actor_for(
            make_user(db, agency=self.school, roles={Role.REUNIFICATION}, username="reunify")
        )
        self.nurse = actor_for(make_user(db, agency=self.hospital, roles={Role.SUPERVISOR}))
        self.police_supervisor = actor_for(
            make_user(db, agency=self.police, roles={Role.SUPERVISOR})
        )
        self.analyst = actor_for(make_user(db, agency=self.school, roles={Role.ANALYST}))
        self.outsider = actor_for(make_user(db, agency=make_agency(db), roles={Role.REUNIFICATION}))

    def person(self, db: Session, row_id: str) -> int:
        return db.execute(
            select(ListedPerson.id).where(
                ListedPerson.incident_id == self.id, ListedPerson.row_id == row_id
            )
        ).scalar_one()

    def link(self, db: Session, actor: Actor, row_id: str, same_as: str) -> int:
        return link_same_person(
            db,
            actor=actor,
            incident_id=self.id,
            person_id=self.person(db, row_id),
            same_as_row_id=same_as,
        ).link_id

    def unlink(
        self, db: Session, actor: Actor, row_id: str, link_id: int, reason: str = WRONG
    ) -> None:
        unlink_same_person(
            db,
            actor=actor,
            incident_id=self.id,
            person_id=self.person(db, row_id),
            link_id=link_id,
            reason=reason,
        )


@pytest.fixture()
def incident(db: Session) -> Incident:
    return Incident(db)


def test_precedence_and_groups_are_pure_rules() -> None:
    assert person_status(["unaccounted", "at_hospital"]) == "at_hospital"
    assert person_status(["at_hospital", "deceased_confirmed", "released"]) == (
        "deceased_confirmed"
    )
    assert person_status(["accounted_for", "released"]) == "released"
    assert person_status(["with_adult", "accounted_for"]) == "with_adult"
    assert person_status(["unaccounted", "accounted_for"]) == "accounted_for"
    assert person_status(["unaccounted", "something_new"]) == "unaccounted"
    with pytest.raises(ValueError):
        person_status([])
    assert linked_groups([(1, 2), (3, 4), (2, 5)]) == [frozenset({1, 2, 5}), frozenset({3, 4})]
    assert linked_groups([]) == []
    # Two hospitals and the roster: the person counts once, at the later hospital list.
    people, hospitals = figures_from(
        {"unaccounted": 3, "at_hospital": 3},
        {"Mercy": 2, "General": 1},
        [
            Row(1, "unaccounted", 1, "roster"),
            Row(4, "at_hospital", 2, "Mercy"),
            Row(6, "at_hospital", 3, "General"),
        ],
        [frozenset({1, 4, 6})],
    )
    assert people == {"unaccounted": 2, "at_hospital": 2}
    assert hospitals == {"Mercy": 1, "General": 1}


def test_a_linked_student_counts_once_at_the_hospital(db: Session, incident: Incident) -> None:
    before = build_picture(db, actor=incident.reunifier, incident_id=incident.id)
    assert before.people == {"unaccounted": 3, "at_hospital": 2}
    assert before.hospitals == [("mercy.csv", 2)]
    assert before.linked_people == 0
    incident.link(db, incident.reunifier, "r1", "h1")
    after = build_picture(db, actor=incident.reunifier, incident_id=incident.id)
    # Four people, not five rows: Anna (r1 = h1) is at the hospital, not unaccounted.
    assert after.people == {"unaccounted": 2, "at_hospital": 2}
    assert after.hospitals == [("mercy.csv", 2)]
    assert after.linked_people == 1
    assert after.list_rows == [
        ("hospital", "at_hospital", 2),
        ("roster", "unaccounted", 3),
    ]
    # The unaccounted task counts people too.
    (unaccounted,) = [t for t in after.tasks if t.label == "People still unaccounted for"]
    assert unaccounted.count == 2
    link = db.execute(select(ListedPersonLink)).scalar_one()
    assert link.linked_by == "reunify" and link.linked_at is not None
    assert {link.person_id, link.same_as_id} == {
        incident.person(db, "r1"),
        incident.person(db, "h1"),
    }


def test_a_transfer_counts_once_at_the_later_hospital(db: Session, incident: Incident) -> None:
    upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, GENERAL),
        source_name="general.csv",
        today=TODAY,
    )
    incident.link(db, incident.nurse, "h1", "r1")
    incident.link(db, incident.reunifier, "g1", "r1")  # joined through r1: one person
    picture = build_picture(db, actor=incident.reunifier, incident_id=incident.id)
    assert picture.people == {"unaccounted": 2, "at_hospital": 2}
    assert picture.hospitals == [("general.csv", 1), ("mercy.csv", 1)]
    assert picture.linked_people == 1
    rows = linked_rows(db, incident.id, incident.person(db, "h1"))
    assert [(r.row_id, r.linked_by is not None) for r in rows] == [("r1", True), ("g1", False)]
    with pytest.raises(Conflict):  # already the same person, through r1
        incident.link(db, incident.reunifier, "h1", "g1")


def test_links_are_refused_outside_the_regime_and_checked(db: Session, incident: Incident) -> None:
    for actor in (incident.analyst, incident.outsider, incident.police_supervisor):
        with pytest.raises(PermissionDenied):
            incident.link(db, actor, "r1", "h1")
    for same_as, problem in (("r1", InvalidInput), ("nobody", InvalidInput), ("", InvalidInput)):
        with pytest.raises(problem):
            incident.link(db, incident.reunifier, "r1", same_as)
    with pytest.raises(NotFound):
        link_same_person(
            db,
            actor=incident.reunifier,
            incident_id=incident.id,
            person_id=10**9,
            same_as_row_id="h1",
        )
    assert db.execute(select(ListedPersonLink)).first() is None
    incident.link(db, incident.reunifier, "r2", "h2")
    with pytest.raises(Conflict):
        incident.link(db, incident.reunifier, "h2", "r2")
    (event,) = db.execute(
        select(AuditEvent).where(AuditEvent.action == "reunification.same_person")
    ).scalars()
    assert event.object_id == str(incident.id)
    assert event.details["listed_person_ids"] == sorted(
        [incident.person(db, "r2"), incident.person(db, "h2")]
    )
    assert assert_audit_free_of(db, "LEE, ANNA") > 0


def test_a_pair_linked_at_the_same_moment_is_a_conflict_not_an_error(
    db: Session, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two staff link the same pair at once: the second transaction did not see the
    first one's link when it checked, so the unique pair refuses its insert; that is
    a clear conflict, the first link stands and the session carries on."""
    incident.link(db, incident.reunifier, "r2", "h2")
    # What a concurrent transaction reads before the first commits: no link yet.
    monkeypatch.setattr(person_links, "group_of", lambda _s, _i, person: frozenset({person}))
    with pytest.raises(Conflict, match="same moment"):
        incident.link(db, incident.reunifier, "h2", "r2")
    assert len(db.execute(select(ListedPersonLink)).all()) == 1
    events = db.execute(
        select(AuditEvent).where(AuditEvent.action == "reunification.same_person")
    ).all()
    assert len(events) == 1


def test_each_viewer_sees_the_people_only_as_policy_allows(db: Session, incident: Incident) -> None:
    incident.link(db, incident.reunifier, "r1", "h1")
    # A police supervisor opens the picture but reunification figures are not theirs:
    # the police department is involved in the incident, not in reunification.
    police = build_picture(db, actor=incident.police_supervisor, incident_id=incident.id)
    assert police.people is None and police.hospitals is None and police.list_rows is None
    nurse = build_picture(db, actor=incident.nurse, incident_id=incident.id)
    assert nurse.people == {"unaccounted": 2, "at_hospital": 2}
    for actor in (incident.analyst, incident.outsider):
        with pytest.raises(NotFound):
            build_picture(db, actor=actor, incident_id=incident.id)


def test_links_are_purged_with_the_incidents_reunification_data(
    db: Session, incident: Incident
) -> None:
    incident.link(db, incident.reunifier, "r1", "h1")
    closed_on = datetime(2026, 12, 1, tzinfo=UTC)
    close_incident(db, actor=SHELL, incident_id=incident.id, now=closed_on)
    purge_closed_incidents(db, actor=SHELL, now=closed_on + timedelta(days=31))
    assert db.execute(select(ListedPersonLink)).first() is None
    assert db.execute(select(ListedPerson)).first() is None


def _link_row(db: Session, link_id: int) -> ListedPersonLink:
    link = db.get(ListedPersonLink, link_id)
    assert link is not None
    db.refresh(link)
    return link


def test_removing_a_mistaken_link_counts_the_rows_apart_again(
    db: Session, incident: Incident
) -> None:
    """Anna (r1, still unaccounted for) was wrongly linked to a patient (h1): once the
    link is removed she is unaccounted for again, and the link stays as history."""
    link_id = incident.link(db, incident.nurse, "r1", "h1")
    linked = build_picture(db, actor=incident.reunifier, incident_id=incident.id)
    assert linked.people == {"unaccounted": 2, "at_hospital": 2}
    incident.unlink(db, incident.reunifier, "h1", link_id)
    picture = build_picture(db, actor=incident.reunifier, incident_id=incident.id)
    assert picture.people == {"unaccounted": 3, "at_hospital": 2}
    assert picture.hospitals == [("mercy.csv", 2)]
    assert picture.linked_people == 0
    (unaccounted,) = [t for t in picture.tasks if t.label == "People still unaccounted for"]
    assert unaccounted.count == 3
    r1, h1 = incident.person(db, "r1"), incident.person(db, "h1")
    assert group_of(db, incident.id, r1) == frozenset({r1})
    assert linked_rows(db, incident.id, r1) == [] == linked_rows(db, incident.id, h1)
    link = _link_row(db, link_id)
    assert link.linked_by == incident.nurse.username and link.linked_at is not None
    assert link.removed_by == "reunify" and link.removed_by_user_id == incident.reunifier.user_id
    assert link.removed_at is not None and link.removal_reason == WRONG
    # A third row joined through the removed link is no longer joined either.
    kept = incident.link(db, incident.reunifier, "r2", "h2")
    assert linked_rows(db, incident.id, incident.person(db, "r2"))[0].link_id == kept


def test_a_link_is_removed_only_with_a_reason(db: Session, incident: Incident) -> None:
    link_id = incident.link(db, incident.reunifier, "r1", "h1")
    for reason in ("", "   ", "x" * 501, "no\x00"):
        with pytest.raises(InvalidInput) as refused:
            incident.unlink(db, incident.reunifier, "r1", link_id, reason)
        assert set(refused.value.errors) == {"reason"}
    assert _link_row(db, link_id).removed_at is None
    assert build_picture(db, actor=incident.reunifier, incident_id=incident.id).linked_people == 1
    incident.unlink(db, incident.reunifier, "r1", link_id, "  " + "y" * 500 + " ")
    assert _link_row(db, link_id).removal_reason == "y" * 500


def test_removing_a_link_is_refused_outside_the_regime_and_checked(
    db: Session, incident: Incident
) -> None:
    link_id = incident.link(db, incident.reunifier, "r1", "h1")
    for actor in (incident.analyst, incident.outsider, incident.police_supervisor):
        with pytest.raises(PermissionDenied):
            incident.unlink(db, actor, "r1", link_id)
    # The link is named through one of its own rows, of this incident.
    with pytest.raises(NotFound):
        incident.unlink(db, incident.reunifier, "r2", link_id)
    with pytest.raises(NotFound):
        incident.unlink(db, incident.reunifier, "r1", link_id + 999)
    # Another incident of the same agencies: its link is not this incident's.
    second = create_incident(
        db,
        actor=SHELL,
        name="Lincoln Middle",
        kind="school_shooting",
        place="Lincoln Middle",
        started_at=datetime(2026, 11, 25, 15, tzinfo=UTC),
        lead_agency_id=incident.school.id,
        agencies={incident.hospital.id: "hospital"},
    )
    upload_list(
        db,
        actor=SHELL,
        incident_id=second.id,
        data=as_csv(LIST_COLUMNS, [*ROSTER, *MERCY]),
        source_name="second.csv",
        today=TODAY,
    )
    theirs = link_same_person(
        db,
        actor=incident.reunifier,
        incident_id=second.id,
        person_id=db.execute(
            select(ListedPerson.id).where(
                ListedPerson.incident_id == second.id, ListedPerson.row_id == "r1"
            )
        ).scalar_one(),
        same_as_row_id="h1",
    ).link_id
    with pytest.raises(NotFound):
        incident.unlink(db, incident.reunifier, "r1", theirs)
    assert _link_row(db, theirs).removed_at is None
    assert _link_row(db, link_id).removed_at is None
    incident.unlink(db, incident.nurse, "h1", link_id)  # the hospital's reunification staff
    # Removed already (two staff at once, or a page left open): a clear conflict, and
    # the first removal stands.
    with pytest.raises(Conflict, match="already removed"):
        incident.unlink(db, incident.reunifier, "r1", link_id, "another reason")
    link = _link_row(db, link_id)
    assert link.removal_reason == WRONG and link.removed_by_user_id == incident.nurse.user_id


def test_a_removed_link_may_be_made_again_and_the_history_keeps_both(
    db: Session, incident: Incident
) -> None:
    first = incident.link(db, incident.reunifier, "r1", "h1")
    incident.unlink(db, incident.reunifier, "h1", first)
    again = incident.link(db, incident.nurse, "h1", "r1")
    assert again != first
    assert build_picture(db, actor=incident.reunifier, incident_id=incident.id).people == {
        "unaccounted": 2,
        "at_hospital": 2,
    }
    with pytest.raises(Conflict):  # in force once at a time
        incident.link(db, incident.reunifier, "r1", "h1")
    r1 = incident.person(db, "r1")
    history = link_history(db, incident.id, r1)
    assert [(h.link_id, h.other_row_id, h.removal_reason) for h in history] == [
        (first, "h1", WRONG),
        (again, "h1", None),
    ]
    assert history[0].linked_by == "reunify" and history[0].removed_by == "reunify"
    assert history[1].linked_by == incident.nurse.username and history[1].removed_at is None
    assert [row.link_id for row in linked_rows(db, incident.id, r1)] == [again]


def test_removal_is_audited_with_ids_only(db: Session, incident: Incident) -> None:
    link_id = incident.link(db, incident.reunifier, "r1", "h1")
    incident.unlink(db, incident.reunifier, "r1", link_id)
    (event,) = db.execute(
        select(AuditEvent).where(AuditEvent.action == "reunification.same_person_removed")
    ).scalars()
    assert event.object_id == str(incident.id) and event.outcome == "success"
    assert event.details == {
        "link_id": link_id,
        "listed_person_ids": sorted([incident.person(db, "r1"), incident.person(db, "h1")]),
    }
    assert assert_audit_free_of(db, WRONG, "Tattoo on the patient", "LEE, ANNA") > 0


def test_removed_links_are_purged_with_the_incidents_reunification_data(
    db: Session, incident: Incident
) -> None:
    incident.unlink(db, incident.reunifier, "r1", incident.link(db, incident.reunifier, "r1", "h1"))
    incident.link(db, incident.reunifier, "r1", "h1")
    assert len(db.execute(select(ListedPersonLink)).all()) == 2
    closed_on = datetime(2026, 12, 1, tzinfo=UTC)
    close_incident(db, actor=SHELL, incident_id=incident.id, now=closed_on)
    purge_closed_incidents(db, actor=SHELL, now=closed_on + timedelta(days=31))
    assert db.execute(select(ListedPersonLink)).first() is None
    assert db.execute(select(ListedPersonLink.removal_reason)).first() is None


def test_staff_remove_a_link_from_the_persons_page(web: Web) -> None:  # noqa: F811
    """Through the real HTTP stack: the form beside the linked row, its reason
    required (the error under the field), the page's link history, the refusals."""
    lead = web.browser(web.lead)
    ids = dict(
        web.db.execute(
            select(ListedPerson.row_id, ListedPerson.id).where(
                ListedPerson.incident_id == web.incident_id
            )
        ).all()
    )
    page_path = f"/incidents/{web.incident_id}/people/{ids['r1']}"
    assert lead.post(f"{page_path}/same-as", {"link-same_as": "h1"}).status_code == 303
    link_id = web.db.execute(select(ListedPersonLink.id)).scalar_one()
    field = f"unlink-{link_id}-reason"
    remove = f"{page_path}/same-as/{link_id}/remove"
    page = lead.get(page_path)
    assert f'action="{remove}"' in page.text and f'<label class="usa-label" for="{field}">' in (
        page.text
    )
    assert "Remove the link to h1</button>" in page.text
    assert re.search(r'id="person-status">At a hospital<', page.text)
    # The reason is required: the page again, the error under its field.
    refused = lead.post(remove, {field: "  "})
    assert refused.status_code == 422
    assert f'href="#{field}"' in refused.text and f'id="{field}-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    long = lead.post(remove, {field: "x" * 501})
    assert long.status_code == 422 and "1 to 500 characters" in long.text
    # Outside the regime, or another incident: refused, and the link stands.
    analyst = web.browser(web.analyst)
    assert analyst.post(remove, {field: "wrong person"}).status_code == 403
    elsewhere = f"/incidents/{web.incident_id + 999}/people/{ids['r1']}/same-as/{link_id}/remove"
    assert lead.post(elsewhere, {field: "wrong person"}).status_code == 404
    assert lead.post(f"{page_path}/same-as/{link_id + 999}/remove", {field: "x"}).status_code == (
        404
    )
    # Without the form's CSRF token nothing is done.
    assert lead.client.post(remove, data={field: "wrong person"}).status_code == 403
    web.db.expire_all()
    assert web.db.execute(select(ListedPersonLink.removed_at)).scalar_one() is None
    done = lead.post(remove, {field: "The patient is an adult: not the student"})
    assert done.status_code == 303 and done.headers["location"].endswith("done=unlinked")
    shown = lead.get(done.headers["location"])
    assert "The link is removed" in shown.text
    assert re.search(r'id="person-status">Unaccounted for<', shown.text)
    assert f'action="{remove}"' not in shown.text
    history = shown.text[shown.text.index('id="link-history"') :]
    assert "The patient is an adult: not the student" in history
    assert history.count(web.lead.username) == 2  # linked by, removed by
    hospital_page = lead.get(f"/incidents/{web.incident_id}/people/{ids['h1']}")
    assert "The patient is an adult: not the student" in hospital_page.text
    again = lead.post(remove, {field: "twice"})
    assert again.status_code == 409 and "already removed" in again.text
    assert assert_audit_free_of(web.db, "The patient is an adult", "SMITH, WILLIAM J") > 0
