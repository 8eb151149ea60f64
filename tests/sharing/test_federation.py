"""Federation between two Vigil instances with separate databases: instance A serves a
sharing group's collection over HTTP (uvicorn on loopback); instance B subscribes its
agency and pulls with taxii2-client. Shared reports arrive with their markings,
unshared and revoked ones never do, nothing arrives twice, later shares arrive on the
next pull, and the outbound guard refuses a loopback partner nobody allowed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import create_postgres_database, drop_postgres_database, make_settings
from tests.e2e.live_server import serving
from tests.factories import actor_for, make_agency, make_user
from tests.linkage.test_run_cli import PEOPLE
from tests.linkage.test_run_cli import _mention as _person_mention
from tests.reports.factories import make_report
from tests.reports.intake_support import make_app, sign_in
from tests.sharing.factories import SUBJECT, full_report
from vigil.linkage import runs
from vigil.linkage.models import PersonMention
from vigil.platform import migrate, sessions
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.errors import InvalidInput
from vigil.platform.models import AuditEvent, Notification, User
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import file_classes, jobs, retention
from vigil.reports.jobs import SCHEDULER_ACTOR
from vigil.reports.models import Mention, Report
from vigil.sharing import federation, groups
from vigil.sharing.models import ImportedReport, Subscription
from vigil.sharing.stix_mapping import local_report_id

REASON = "The county fusion center needs to know"
DECONFLICTION_KEY = "shared-by-both-partners-0123456789abcdef"


@dataclass
class Instance:
    settings: Settings
    factory: sessionmaker[Session]
    ids: dict[str, Any] = field(default_factory=dict)


@pytest.fixture()
def instances(backend: str, tmp_path: Path) -> Iterator[tuple[Instance, Instance]]:
    urls = (
        [create_postgres_database() for _ in range(2)] if backend == "postgresql" else [None, None]
    )
    engines = []
    try:
        made = []
        for name, url in zip(("a", "b"), urls, strict=True):
            settings = make_settings(
                tmp_path / name,
                url,
                outbound_allowed_hosts=["127.0.0.1"] if name == "b" else [],
                deconfliction_key=DECONFLICTION_KEY,
            )
            engine = make_engine(settings)
            migrate.upgrade(engine)
            engines.append(engine)
            made.append(Instance(settings, make_sessionmaker(engine)))
        yield made[0], made[1]
    finally:
        for engine in engines:
            engine.dispose()
        for url in urls:
            if url:
                drop_postgres_database(url)


def _seed_a(a: Instance) -> None:
    """Metro PD shares reports with the county (an agency of A with a feed account)."""
    with transaction(a.factory) as db:
        metro, county = make_agency(db, name="Metro PD"), make_agency(db, name="County FC")
        supervisor = make_user(db, agency=metro, roles={Role.SUPERVISOR})
        feed = make_user(db, agency=county, roles={Role.ANALYST}, username="county-feed")
        a.ids["token"], _ = sessions.create_api_token(db, user=feed, name="feed", days=5)
        actor = actor_for(supervisor)
        group = groups.create_group(db, actor=actor, name="County feed", agency_ids=[county.id])
        a.ids["group"], a.ids["collection"] = group.id, group.collection_id
        a.ids["supervisor"], a.ids["metro"] = supervisor.id, metro.id
        shared = {}
        for label, marking in (("green", "GREEN"), ("amber", "AMBER"), ("revoked", "AMBER")):
            report = full_report(db, metro, marking=marking)
            groups.share_report(
                db, actor=actor, group_id=group.id, report_id=report.id, reason=REASON
            )
            shared[label] = report
        groups.revoke_share(db, actor=actor, group_id=group.id, report_id=shared["revoked"].id)
        unshared = full_report(db, metro, marking="AMBER")
        a.ids["stix"] = {
            label: local_report_id(r.receipt_number)
            for label, r in {**shared, "unshared": unshared}.items()
        }


def _share_later(a: Instance) -> str:
    with transaction(a.factory) as db:
        supervisor = db.get_one(User, a.ids["supervisor"])
        metro = supervisor.agency
        report = full_report(db, metro, marking="GREEN")
        groups.share_report(
            db,
            actor=actor_for(supervisor),
            group_id=a.ids["group"],
            report_id=report.id,
            reason=REASON,
        )
        return local_report_id(report.receipt_number)


def _arrived(b: Instance) -> dict[str, str]:
    with b.factory() as db:
        rows = db.execute(
            select(ImportedReport.stix_id, Report.marking).join(
                Report, Report.id == ImportedReport.report_id
            )
        ).all()
        return {stix_id: marking for stix_id, marking in rows}


def test_two_instances_share_exactly_what_was_shared(instances: tuple[Instance, Instance]) -> None:
    a, b = instances
    _seed_a(a)
    with transaction(b.factory) as db:
        county = make_agency(db, name="County Fusion Center")
        analyst = make_user(db, agency=county, roles={Role.ANALYST})
        b.ids["analyst"] = analyst.id
    with serving(a.settings) as url:
        collection_url = f"{url}/api/taxii2/vigil/collections/{a.ids['collection']}/"
        with transaction(b.factory) as db:
            actor = actor_for(db.get_one(User, b.ids["analyst"]))
            subscription = federation.subscribe(
                db,
                actor=actor,
                settings=b.settings,
                name="Metro PD feed",
                collection_url=collection_url,
                token=a.ids["token"],
            )
            subscription_id = subscription.id
            first = federation.pull(
                db, actor=actor, settings=b.settings, subscription_id=subscription_id
            )
        assert first.error is None and first.imported == 2 and first.rejected == 0
        stix = a.ids["stix"]
        assert _arrived(b) == {stix["green"]: "GREEN", stix["amber"]: "AMBER"}

        with transaction(b.factory) as db:
            again = federation.pull(
                db, actor=actor, settings=b.settings, subscription_id=subscription_id
            )
        assert again.imported == 0 and again.error is None

        later = _share_later(a)
        (pulled,) = federation.pull_all(b.settings, b.factory)
        assert pulled.imported == 1 and pulled.error is None
        assert _arrived(b) == {stix["green"]: "GREEN", stix["amber"]: "AMBER", later: "GREEN"}
        with b.factory() as db:
            count = db.execute(select(func.count()).select_from(Report)).scalar_one()
            assert count == 3  # nothing twice, nothing unshared or revoked
            kept = db.execute(select(ImportedReport)).scalars().all()
            assert {k.source_name for k in kept} == {"Metro PD"} and {k.channel for k in kept} == {
                "taxii"
            }
            row = db.get_one(Subscription, subscription_id)
            assert row.added_after and row.last_outcome and "imported" in row.last_outcome
            assert a.ids["token"] not in row.token_encrypted


def test_a_partner_on_a_private_address_must_be_allowed(
    instances: tuple[Instance, Instance],
) -> None:
    a, _ = instances
    with transaction(a.factory) as db:
        agency = make_agency(db)
        actor = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
        with pytest.raises(InvalidInput) as refused:
            federation.subscribe(
                db,
                actor=actor,
                settings=a.settings,
                name="Loopback",
                collection_url="http://127.0.0.1:9/api/taxii2/vigil/collections/x/",
                token="vgl_0123456789abcdef",
            )
        assert "loopback" in refused.value.errors["collection_url"]


def _subscribe_b(b: Instance, a: Instance, url: str) -> int:
    collection_url = f"{url}/api/taxii2/vigil/collections/{a.ids['collection']}/"
    with transaction(b.factory) as db:
        county = make_agency(db, name="County Fusion Center")
        analyst = make_user(db, agency=county, roles={Role.ANALYST})
        b.ids["analyst"] = analyst.id
        subscription = federation.subscribe(
            db,
            actor=actor_for(analyst),
            settings=b.settings,
            name="Metro PD feed",
            collection_url=collection_url,
            token=a.ids["token"],
        )
        return subscription.id


def test_deconfliction_between_two_instances(instances: tuple[Instance, Instance]) -> None:
    """B's analyst asks A (the instance B subscribes to) about the subject of Metro
    PD's reports, on B's page: A answers with Metro PD alone; only digests crossed."""
    a, b = instances
    _seed_a(a)
    with serving(a.settings) as url:
        _subscribe_b(b, a, url)
        app = make_app(b.settings, b.factory)
        browser = sign_in(app, b.settings, b.factory, b.ids["analyst"])
        page = browser.get("/sharing/deconfliction")
        assert page.status_code == 200 and "Metro PD feed" in page.text
        asked = browser.post(
            "/sharing/deconfliction",
            {"given_name": "Jordan", "family_name": "Reyes", "phone": "+1 555 0100"},
        )
        assert asked.status_code == 200, asked.text
        assert "<li>Metro PD (" in asked.text and "No answer" not in asked.text
        nobody = browser.post("/sharing/deconfliction", {"email": "someone.else@example.org"})
        assert nobody.status_code == 200 and "None." in nobody.text
        vague = browser.post("/sharing/deconfliction", {"given_name": "Jordan"})
        assert vague.status_code == 422 and "date of birth" in vague.text
    with a.factory() as db:
        answered = (
            db.execute(select(AuditEvent).where(AuditEvent.action == "deconfliction.answer"))
            .scalars()
            .all()
        )
    with b.factory() as db:
        queried = (
            db.execute(select(AuditEvent).where(AuditEvent.action == "deconfliction.query"))
            .scalars()
            .all()
        )
    assert [e.details["agencies"] for e in answered] == [1, 0]
    assert [(e.details["partners"], e.details["agencies"]) for e in queried] == [(1, 1), (1, 0)]
    logged = json.dumps([e.details for e in (*answered, *queried)]).lower()
    assert "reyes" not in logged and "jordan" not in logged and "0100" not in logged


def _promote_and_purge(a: Instance) -> None:
    """On A, Metro PD's supervisor makes the GREEN report criminal intelligence (re-marked
    AMBER: a changed record) and the AMBER report reaches its purge date."""
    with transaction(a.factory) as db:
        supervisor = db.get_one(User, a.ids["supervisor"])
        reports = {
            local_report_id(r.receipt_number): r for r in db.execute(select(Report)).scalars()
        }
        green, amber = reports[a.ids["stix"]["green"]], reports[a.ids["stix"]["amber"]]
        file_classes.promote_to_intelligence(
            db,
            actor=actor_for(supervisor),
            settings=a.settings,
            report_id=green.id,
            predicate="Reasonable suspicion of a planned shooting at the game",
            justification="Named a rifle, a date and a place; a witness confirms it",
        )
        amber.purge_due_at = utcnow() - timedelta(days=1)
        db.flush()
        run = retention.run_retention(db, actor=SCHEDULER_ACTOR, settings=a.settings)
        assert run.purged == 1


def test_corrections_and_purges_reach_every_recipient(
    instances: tuple[Instance, Instance],
) -> None:
    """28 CFR 23.20(h): A's recipients are notified in Vigil; B's next pull updates its
    copy of the corrected report and purges its copy of the purged one."""
    a, b = instances
    _seed_a(a)
    stix = a.ids["stix"]
    with serving(a.settings) as url:
        subscription_id = _subscribe_b(b, a, url)
        (first,) = federation.pull_all(b.settings, b.factory)
        assert first.imported == 2 and first.error is None
        _promote_and_purge(a)
        (second,) = federation.pull_all(b.settings, b.factory)
        assert second.error is None, second.error
        assert (second.updated, second.purged, second.imported) == (1, 1, 0)
        (third,) = federation.pull_all(b.settings, b.factory)
        assert (third.updated, third.purged, third.imported) == (0, 0, 0)
    assert _arrived(b) == {stix["green"]: "AMBER"}
    with b.factory() as db:
        (copy,) = db.execute(select(Report)).scalars().all()
        assert copy.file_class == "tip_lead"  # the holder vets it itself
        reasons = [
            e.details.get("reason")
            for e in db.execute(
                select(AuditEvent).where(AuditEvent.action == "report.purge")
            ).scalars()
        ]
        assert reasons == ["withdrawn by the partner that shared it"]
        pulls = [
            (e.details["updated"], e.details["purged"])
            for e in db.execute(
                select(AuditEvent)
                .where(AuditEvent.action == "subscription.pull")
                .order_by(AuditEvent.seq)
            ).scalars()
        ]
        assert pulls == [(0, 0), (1, 1), (0, 0)]
        assert db.get_one(Subscription, subscription_id).last_outcome
    with a.factory() as db:
        feed_user = db.execute(select(User).where(User.username == "county-feed")).scalar_one()
        notices = db.execute(
            select(Notification.kind, Notification.subject).where(
                Notification.user_id == feed_user.id
            )
        ).all()
        kinds = sorted(kind for kind, _ in notices)
        assert kinds == ["shared_report_corrected", "shared_report_purged"]
        assert all("Reyes" not in subject and "rifle" not in subject for _, subject in notices)
        propagated = {
            e.action: e.details
            for e in db.execute(
                select(AuditEvent).where(AuditEvent.action.like("report.%_propagated"))
            ).scalars()
        }
        assert propagated["report.purge_propagated"]["groups"] == 1
        assert propagated["report.purge_propagated"]["agencies"] == 1
        assert propagated["report.correction_propagated"]["groups"] == 1


def test_the_receiving_linkage_connects_an_arriving_report(
    instances: tuple[Instance, Instance],
) -> None:
    """B already holds reports about Jordan Reyes (and others, for a model to learn
    from); after the pull, B's scheduled linkage places the arriving report's subject
    in the same person as B's own mentions of him."""
    a, b = instances
    _seed_a(a)
    with transaction(b.factory) as db:
        school = make_agency(db, name="Central High SRO")
        own = [
            make_report(db, agency=school, mentions=[_person_mention(*p)]).mentions[0].id
            for p in PEOPLE * 2
        ]
        reyes = [
            make_report(db, agency=school, mentions=[dict(SUBJECT)]).mentions[0].id
            for _ in range(2)
        ]
    assert own
    runs.run_linkage(b.factory, actor=SCHEDULER_ACTOR)
    with serving(a.settings) as url:
        _subscribe_b(b, a, url)
        (pulled,) = federation.pull_all(b.settings, b.factory)
    assert pulled.imported == 2
    jobs.linkage_job(b.settings, b.factory)  # what vigil serve runs on its schedule
    with b.factory() as db:
        arrived = (
            db.execute(
                select(Mention.id)
                .join(ImportedReport, ImportedReport.report_id == Mention.report_id)
                .where(Mention.role == "subject")
            )
            .scalars()
            .all()
        )
        persons = dict(db.execute(select(PersonMention.mention_id, PersonMention.person_id)).all())
    assert len(arrived) == 2
    home = {persons[m] for m in reyes}
    assert len(home) == 1
    assert {persons.get(m) for m in arrived} == home


def test_subscription_pages_and_the_scheduled_job(instances: tuple[Instance, Instance]) -> None:
    """B's analyst subscribes on the page (the token is never shown again), pulls now,
    stops the schedule; the scheduled job pulls only active subscriptions."""
    a, b = instances
    _seed_a(a)
    with transaction(b.factory) as db:
        analyst = make_user(db, agency=make_agency(db, name="County FC"), roles={Role.ANALYST})
        b.ids["analyst"] = analyst.id
    app = make_app(b.settings, b.factory)
    browser = sign_in(app, b.settings, b.factory, b.ids["analyst"])
    token = a.ids["token"]
    with serving(a.settings) as url:
        collection_url = f"{url}/api/taxii2/vigil/collections/{a.ids['collection']}/"
        refused = browser.post(
            "/sharing/subscriptions",
            {"name": "Metro PD", "collection_url": "file:///etc/passwd", "token": token},
        )
        assert refused.status_code == 422 and token not in refused.text
        made = browser.post(
            "/sharing/subscriptions",
            {"name": "Metro PD", "collection_url": collection_url, "token": token},
        )
        assert made.status_code == 303, made.text
        page = browser.get("/sharing/subscriptions")
        assert "Metro PD" in page.text and token not in page.text and "Never" in page.text
        with b.factory() as db:
            (subscription,) = db.execute(select(Subscription)).scalars().all()
        pulled = browser.post(f"/sharing/subscriptions/{subscription.id}/pull")
        assert pulled.status_code == 200 and "2 reports arrived" in pulled.text
        _share_later(a)
        stopped = browser.post(f"/sharing/subscriptions/{subscription.id}/stop")
        assert stopped.status_code == 303
        jobs.federation_job(b.settings, b.factory)
        assert len(_arrived(b)) == 2  # stopped: the schedule leaves it alone
        browser.post(f"/sharing/subscriptions/{subscription.id}/resume")
        jobs.federation_job(b.settings, b.factory)
        assert len(_arrived(b)) == 3
