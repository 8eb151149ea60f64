"""Decisions on the linkage review queue: an analyst confirms or rejects an uncertain
pair; the decision is kept (by the rows' published keys, so it outlives a reload),
audited, and honoured the next time the catalogue is harmonised: a confirmed pair
becomes one incident, a rejected pair never shares one, not even through a third row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import tests.web.catalog  # noqa: F401  (imported first: the catalogue modules import each other)
from tests.web.conftest import Site, fast_password_hashing, open_site
from vigil.analytics.catalog import load_catalog
from vigil.analytics.harmonize import Pair, decision_key, harmonize
from vigil.analytics.models import CatalogLink, LinkDecision, SourceRow
from vigil.analytics.sources import load_directory
from vigil.platform.actor import command_line
from vigil.platform.models import AuditEvent
from vigil.platform.roles import Role
from vigil.platform.settings import Settings

DATASETS = ("fbi_active_shooter_2000_2018", "motherjones_codeholics", "wapo_school_shootings")


def _incident(result: Any, pair: Pair, side: str) -> str:
    unit = pair.a if side == "a" else pair.b
    return str(result.incident_of[(unit.dataset, unit.key)])


def test_harmonising_honours_confirmed_and_rejected_pairs(
    copy_datasets: Callable[..., Path],
) -> None:
    rows = load_directory(copy_datasets(*DATASETS)).rows
    plain = harmonize(rows)
    waiting = plain.review_queue
    linked = [pair for pair in plain.pairs if pair.decision == "linked"]
    assert waiting and linked
    confirmed, rejected = waiting[0], linked[0]
    assert _incident(plain, confirmed, "a") != _incident(plain, confirmed, "b")
    assert _incident(plain, rejected, "a") == _incident(plain, rejected, "b")
    decided = harmonize(
        rows,
        decisions={decision_key(confirmed): "confirmed", decision_key(rejected): "rejected"},
    )
    by_key = {decision_key(pair): pair for pair in decided.pairs}
    assert by_key[decision_key(confirmed)].decision == "linked"
    assert _incident(decided, confirmed, "a") == _incident(decided, confirmed, "b")
    assert by_key[decision_key(rejected)].decision == "rejected"
    assert _incident(decided, rejected, "a") != _incident(decided, rejected, "b")
    # Every other pair was decided as before, save those the two decisions touch.
    changed = [
        key
        for key, pair in by_key.items()
        if key not in (decision_key(confirmed), decision_key(rejected))
        and pair.decision != {decision_key(p): p for p in plain.pairs}[key].decision
    ]
    assert len(changed) <= 4


@pytest.fixture()
def site(
    settings: Settings,
    session_factory: sessionmaker[Session],
    connection: Any,
    copy_datasets: Callable[..., Path],
) -> Iterator[Site]:
    root = copy_datasets(*DATASETS)
    with fast_password_hashing(), open_site(settings, session_factory, connection) as found:
        with found.db() as db:
            load_catalog(db, actor=command_line("operator"), directory=root)
            db.commit()
        found.stack.callback(lambda: None)
        found.root = root  # type: ignore[attr-defined]
        yield found


def _incidents(db: Session, link: CatalogLink) -> tuple[str, str]:
    first = db.scalar(
        select(SourceRow.incident_id).where(
            SourceRow.dataset == link.dataset_a, SourceRow.row_key == link.row_key_a
        )
    )
    second = db.scalar(
        select(SourceRow.incident_id).where(
            SourceRow.dataset == link.dataset_b, SourceRow.row_key == link.row_key_b
        )
    )
    return str(first), str(second)


def test_an_analyst_decides_and_a_reload_honours_it(site: Site) -> None:
    with site.db() as db:
        waiting = db.scalars(
            select(CatalogLink)
            .where(CatalogLink.decision == "review")
            .order_by(CatalogLink.probability.desc(), CatalogLink.id)
        ).all()
        first, second = waiting[0], waiting[1]
        keys = {
            "confirm": (first.dataset_a, first.row_key_a, first.dataset_b, first.row_key_b),
            "reject": (second.dataset_a, second.row_key_a, second.dataset_b, second.row_key_b),
        }
        first_id, second_id = first.id, second.id
    analyst = site.browsers[Role.ANALYST]
    page = analyst.client.get("/analytics/review")
    assert f'name="link_id" value="{first_id}"' in page.text and "One incident" in page.text
    assert "Two incidents" not in site.browsers[Role.AUDITOR].client.get("/analytics/review").text
    done = analyst.post(
        "/analytics/review/decisions", {"link_id": str(first_id), "decision": "confirmed"}
    )
    assert done.status_code == 303 and "decided=1" in done.headers["location"]
    analyst.post("/analytics/review/decisions", {"link_id": str(second_id), "decision": "rejected"})
    refused = site.browsers[Role.AUDITOR].post(
        "/analytics/review/decisions", {"link_id": str(first_id), "decision": "rejected"}
    )
    assert refused.status_code == 403
    bad = analyst.post(
        "/analytics/review/decisions", {"link_id": str(first_id), "decision": "maybe"}
    )
    assert bad.status_code in (400, 422)
    assert (
        analyst.post(
            "/analytics/review/decisions", {"link_id": "999999999", "decision": "rejected"}
        ).status_code
        == 404
    )
    after = analyst.client.get("/analytics/review?decided=1")
    assert "2 decisions recorded" in after.text and "Your decision was recorded" in after.text
    assert f'name="link_id" value="{first_id}"' not in after.text  # out of the queue
    with site.db() as db:
        decisions = {
            (d.dataset_a, d.row_key_a, d.dataset_b, d.row_key_b): d.decision
            for d in db.scalars(select(LinkDecision))
        }
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "analytics.link_decided")
        ).all()
    assert sorted(decisions.values()) == ["confirmed", "rejected"]
    assert [e.details["decision"] for e in events] == ["confirmed", "rejected"]
    assert all(e.actor_id == site.world.member(Role.ANALYST).user_id for e in events)
    # Reloading the same files honours both decisions.
    with site.db() as db:
        load_catalog(db, actor=command_line("operator"), directory=site.root)  # type: ignore[attr-defined]
        db.commit()
    with site.db() as db:
        links = {
            (link.dataset_a, link.row_key_a, link.dataset_b, link.row_key_b): link
            for link in db.scalars(select(CatalogLink))
        }

        def find(key: tuple[str, ...]) -> CatalogLink:
            return links.get(key) or links[(key[2], key[3], key[0], key[1])]

        confirmed, rejected = find(keys["confirm"]), find(keys["reject"])
        assert rejected.decision == "rejected"
        a, b = _incidents(db, rejected)
        assert a != b
        assert confirmed.decision == "linked"
        a, b = _incidents(db, confirmed)
        assert a == b
