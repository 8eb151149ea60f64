"""The issue's "done when", on both databases: after the demo school incident a family is
registered at the assistance center, assessed, referred to counselling and to
compensation with outcomes recorded, reminded before the anniversary, paid under a
published protocol and counted in a public report that cannot identify them; and no
law-enforcement or intelligence user of the demo reads any of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.web.conftest import fast_password_hashing
from vigil.platform import demo as demo_data
from vigil.platform.actor import command_line, for_user
from vigil.platform.errors import NotFound
from vigil.platform.models import Notification, User
from vigil.platform.settings import Settings
from vigil.recovery import assistance, cases, fund_report, funds, referrals, statistics
from vigil.recovery.demo_recovery import seed_recovery
from vigil.recovery.models import NeedsAssessment


def test_the_demo_family_goes_the_whole_way(db: Session, settings: Settings) -> None:
    with fast_password_hashing():
        demo_data.seed(db, settings=settings, actor=command_line("tests"))
    story = seed_recovery(db)
    assert story is not None
    advocate = for_user(
        db.execute(select(User).where(User.username == "hcvs.advocate")).scalar_one()
    )
    registration = assistance.view_center(db, actor=advocate, center_id=story.center_id)
    alvarez = next(r for r in registration.registrations if r.display_name == "Alvarez family")
    assert alvarez.survivor_case_id == story.case_id and alvarez.reunification_record
    assert db.execute(
        select(NeedsAssessment).where(NeedsAssessment.case_id == story.case_id)
    ).scalar_one()
    outcomes = {
        r.service_kind: r.status
        for r in referrals.list_referrals(db, actor=advocate, case_id=story.case_id)
    }
    assert outcomes == {"counselling": "in_service", "compensation": "completed"}
    assert story.reminders >= 1
    reminded = db.execute(
        select(Notification).where(
            Notification.object_type == "survivor_case",
            Notification.object_id == str(story.case_id),
        )
    ).scalar_one()
    assert "anniversary" in reminded.subject
    assert story.paid_cents > 0
    shell = command_line("tests")
    report = fund_report.public_report(db, actor=shell, fund_id=story.fund_id)
    assert report.distributed_cents == 2_500_000_00 and report.payments_made == 1
    assert "Alvarez" not in repr(report)
    # Counted: the family's payment is in its tier's line of the report...
    assert {r.tier.id: r.claimants for r in report.results}["hospital-1-7"] == 1
    # ...while the service statistics, with one client, publish no count at all.
    assert statistics.service_statistics(db, actor=shell).clients.total is None
    # Nobody at the police, the fusion center or the school district sees any of it.
    for username in ("rpd.analyst", "fc.analyst", "fc.supervisor", "rusd.tat", "hcso.supervisor"):
        outsider = for_user(db.execute(select(User).where(User.username == username)).scalar_one())
        for read in (
            lambda a: assistance.get_center(db, actor=a, center_id=story.center_id),
            lambda a: cases.get_case(db, actor=a, case_id=story.case_id),
            lambda a: funds.claims(db, actor=a, fund_id=story.fund_id),
        ):
            with pytest.raises(NotFound):
                read(outsider)
