"""The demo school incident, on both databases: command set up with the agencies' roles,
roster, hospital and medical examiner lists uploaded, guardians, inquiries matched,
a site with students released and a custody refusal; the operating picture as each
demo user may see it; and the recovery demo finds the incident by its name."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.web.conftest import fast_password_hashing
from vigil.platform import demo as demo_data
from vigil.platform.actor import command_line, for_user
from vigil.platform.errors import NotFound
from vigil.platform.models import User
from vigil.platform.settings import Settings
from vigil.recovery.demo_recovery import seed_recovery
from vigil.response.demo_response import INCIDENT_NAME, seed_response
from vigil.response.models import Incident, InquiryCandidate, ListedPerson
from vigil.response.operating_picture import build_picture
from vigil.response.site_models import GuardianCheckIn, Release


def _actor(db: Session, username: str):  # type: ignore[no-untyped-def]
    return for_user(db.execute(select(User).where(User.username == username)).scalar_one())


def test_the_demo_incident_runs_end_to_end(db: Session, settings: Settings) -> None:
    with fast_password_hashing():
        demo_data.seed(db, settings=settings, actor=command_line("tests"))
    seed = seed_response(db)
    assert seed is not None and seed.roster == 36 and seed.released == 3
    assert seed_response(db) is None  # once only
    incident = db.execute(select(Incident).where(Incident.name == INCIDENT_NAME)).scalar_one()
    statuses = dict(
        db.execute(
            select(ListedPerson.status, func.count())
            .where(ListedPerson.incident_id == incident.id)
            .group_by(ListedPerson.status)
        ).all()
    )
    assert statuses == {
        "unaccounted": 24,
        "accounted_for": 9,
        "released": 3,
        "at_hospital": 4,
        "deceased_confirmed": 2,
    }
    outcomes = [
        (c.outcome, c.reason)
        for c in db.execute(select(GuardianCheckIn).order_by(GuardianCheckIn.id)).scalars()
    ]
    assert outcomes.count(("refused", "custody_restriction")) == 1
    assert len(list(db.execute(select(Release)).scalars())) == 3
    likely = db.execute(
        select(func.count()).where(
            InquiryCandidate.incident_id == incident.id, InquiryCandidate.likely
        )
    ).scalar_one()
    assert likely >= 4
    commander = build_picture(db, actor=_actor(db, "hcem.commander"), incident_id=incident.id)
    assert commander.people is not None and commander.people["released"] == 3
    # People, not rows: the three named patients and the medical examiner's student are
    # linked to their roster rows, so each counts once (at the hospital, deceased).
    assert commander.people == {
        "unaccounted": 20,
        "accounted_for": 9,
        "at_hospital": 4,
        "released": 3,
        "deceased_confirmed": 2,
    }
    assert commander.linked_people == 4
    assert commander.hospitals == [("riverton-memorial-patients.csv", 4)]
    assert commander.events and commander.requests
    assert {p.kind for p in commander.points} >= {"incident", "hospital", "reunification_site"}
    school = build_picture(db, actor=_actor(db, "rusd.reunify"), incident_id=incident.id)
    assert school.people is not None
    for outsider in ("rpd.analyst", "fc.analyst", "rusd.tat", "lpd.analyst"):
        try:
            build_picture(db, actor=_actor(db, outsider), incident_id=incident.id)
        except NotFound:
            continue
        raise AssertionError(f"{outsider} sees the operating picture")
    # The recovery demo follows this incident (found by its name) and its lists.
    before = db.execute(select(func.count()).select_from(ListedPerson)).scalar_one()
    assert seed_recovery(db) is not None
    assert db.execute(select(func.count()).select_from(Incident)).scalar_one() == 1
    assert db.execute(select(func.count()).select_from(ListedPerson)).scalar_one() == before
