"""Full runs over the database and incremental matching: mentions of the same person
across agencies become one person; person ids survive reruns; reviewers' decisions
bind every rerun; a failed run leaves the previous clusters; a first name alone never
merges; a new report's mentions are placed at once; purges take linkage with them."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency
from tests.linkage.people import Truth, people
from tests.reports.factories import make_report
from vigil.linkage import engine, matching, membership, runs
from vigil.linkage.models import (
    LinkRun,
    MatchDecision,
    MentionFeatures,
    MentionKey,
    PersonMention,
)
from vigil.platform.actor import command_line
from vigil.platform.models import Agency, AuditEvent
from vigil.reports.models import Mention, Report

RUNNER = command_line("linkage-test")


def _dob(raw: str | None) -> date | None:
    if not raw:
        return None
    if "/" in raw:
        month, day, year = (int(part) for part in raw.split("/"))
    else:
        year, month, day = (int(part) for part in raw.split("-"))
    return date(year, month, day)


def _mention(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "given_name": row["first_name"],
        "family_name": row["surname"],
        "date_of_birth": _dob(row["dob"]),
        "phones": [row["phone"]] if row["phone"] else [],
        "emails": [row["email"]] if row["email"] else [],
        "addresses": [f"{row['street']}, {row['city']}"] if row["street"] else [],
    }


@pytest.fixture()
def truth() -> Truth:
    return people(n_people=60, seed=11)


def _file(db: Session, truth: Truth, agencies: list[Agency]) -> dict[int, str]:
    """One report per mention, owned by the agencies in turn; mention id -> truth uid."""
    uid_of: dict[int, str] = {}
    for index, row in enumerate(truth.frame.to_dict(orient="records")):
        report = make_report(db, agency=agencies[index % len(agencies)], mentions=[_mention(row)])
        uid_of[report.mentions[0].id] = str(row["unique_id"])
    db.commit()
    return uid_of


@pytest.fixture()
def filed(db: Session, truth: Truth) -> dict[int, str]:
    return _file(db, truth, [make_agency(db), make_agency(db), make_agency(db)])


def _persons(db: Session) -> dict[int, int]:
    db.expire_all()
    return membership.current_persons(db)


def _scores(persons: dict[int, int], uid_of: dict[int, str], truth: Truth) -> tuple[float, float]:
    found = set()
    by_person: dict[int, list[int]] = {}
    for mention_id, person_id in persons.items():
        by_person.setdefault(person_id, []).append(mention_id)
    for members in by_person.values():
        uids = sorted(uid_of[m] for m in members)
        found |= {(a, b) for i, a in enumerate(uids) for b in uids[i + 1 :]}
    true_pairs = truth.true_pairs()
    hits = len(found & true_pairs)
    return hits / max(1, len(found)), hits / max(1, len(true_pairs))


def test_a_run_links_mentions_across_agencies(
    session_factory: sessionmaker[Session], db: Session, filed: dict[int, str], truth: Truth
) -> None:
    summary = runs.run_linkage(session_factory, actor=RUNNER)
    assert summary.status == "succeeded"
    assert summary.mention_count == len(filed)
    precision, recall = _scores(_persons(db), filed, truth)
    assert precision >= 0.95 and recall >= 0.85, (precision, recall)
    run = db.execute(select(LinkRun).where(LinkRun.run_key == summary.run_key)).scalar_one()
    assert run.model_json and engine.Model.from_json(run.model_json).record_count == len(filed)
    assert run.metrics["linkable_mentions"] == len(filed)
    # Every mention got its features and keys for incremental matching.
    assert db.execute(select(func.count()).select_from(MentionFeatures)).scalar_one() == len(filed)
    assert db.execute(select(func.count()).select_from(MentionKey)).scalar_one() > len(filed)
    event = db.execute(select(AuditEvent).where(AuditEvent.action == "linkage.run")).scalar_one()
    assert event.object_id == summary.run_key
    assert "Smith" not in json.dumps(event.details)


def test_person_ids_survive_a_rerun(
    session_factory: sessionmaker[Session], db: Session, filed: dict[int, str]
) -> None:
    runs.run_linkage(session_factory, actor=RUNNER)
    first = _persons(db)
    second_run = runs.run_linkage(session_factory, actor=RUNNER)
    assert second_run.status == "succeeded"
    assert _persons(db) == first


def _decide(db: Session, a: int, b: int, decision: str) -> None:
    first, second = membership.ordered(a, b)
    db.add(MatchDecision(mention_a_id=first, mention_b_id=second, decision=decision))
    db.commit()


def test_reviewers_decisions_bind_every_rerun(
    session_factory: sessionmaker[Session], db: Session, filed: dict[int, str]
) -> None:
    runs.run_linkage(session_factory, actor=RUNNER)
    persons = _persons(db)
    members: dict[int, list[int]] = {}
    for mention_id, person_id in persons.items():
        members.setdefault(person_id, []).append(mention_id)
    together = next(sorted(group) for group in members.values() if len(group) == 2)
    apart = sorted(group[0] for group in members.values() if len(group) == 1)[:2]
    _decide(db, together[0], together[1], membership.NOT_SAME)
    _decide(db, apart[0], apart[1], membership.SAME)
    runs.run_linkage(session_factory, actor=RUNNER)
    after = _persons(db)
    assert after[together[0]] != after[together[1]]
    assert after[apart[0]] == after[apart[1]]


def test_a_failed_run_leaves_the_previous_clusters(
    session_factory: sessionmaker[Session],
    db: Session,
    filed: dict[int, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs.run_linkage(session_factory, actor=RUNNER)
    before = _persons(db)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("scoring exploded")

    monkeypatch.setattr(engine, "score_pairs", broken)
    with pytest.raises(runs.LinkageFailed, match="RuntimeError: scoring exploded"):
        runs.run_linkage(session_factory, actor=RUNNER)
    assert _persons(db) == before
    failed = db.execute(select(LinkRun).order_by(LinkRun.id.desc()).limit(1)).scalar_one()
    assert failed.status == "failed" and failed.error and "scoring exploded" in failed.error
    assert runs.latest_run(db) is not None and runs.latest_run(db).id != failed.id  # type: ignore[union-attr]


def test_a_first_name_alone_never_merges(
    session_factory: sessionmaker[Session], db: Session, filed: dict[int, str]
) -> None:
    agency = make_agency(db)
    alone = [
        make_report(db, agency=agency, mentions=[{"given_name": "Dana"}]).mentions[0].id
        for _ in range(3)
    ]
    db.commit()
    runs.run_linkage(session_factory, actor=RUNNER)
    persons = _persons(db)
    assert len({persons[m] for m in alone}) == 3
    assert all(sum(1 for p in persons.values() if p == persons[m]) == 1 for m in alone), (
        "a first-name-only mention joined someone"
    )


def test_a_new_report_is_matched_at_once(
    session_factory: sessionmaker[Session], db: Session, filed: dict[int, str], truth: Truth
) -> None:
    runs.run_linkage(session_factory, actor=RUNNER)
    row = truth.frame.to_dict(orient="records")[0]
    known = next(m for m, uid in filed.items() if uid == row["unique_id"])
    agency = make_agency(db)
    report = make_report(db, agency=agency, mentions=[_mention(row)])
    assert [m.id for m in matching.pending_mentions(db)] == [report.mentions[0].id]
    (placed,) = matching.match_mentions(db, report.mentions)
    db.commit()
    assert placed.linked
    assert placed.person_id == _persons(db)[known]
    assert matching.pending_mentions(db) == []


def test_without_a_model_new_mentions_wait_for_the_first_run(
    db: Session, filed: dict[int, str]
) -> None:
    assert matching.match_mentions(db, matching.pending_mentions(db)) == []
    assert len(matching.pending_mentions(db, limit=10_000)) == len(filed)


def test_purging_a_report_removes_its_linkage(
    session_factory: sessionmaker[Session], db: Session, filed: dict[int, str]
) -> None:
    runs.run_linkage(session_factory, actor=RUNNER)
    mention_id = next(iter(filed))
    report_id = db.execute(select(Mention.report_id).where(Mention.id == mention_id)).scalar_one()
    db.execute(delete(Report).where(Report.id == report_id))
    db.commit()
    for table in (PersonMention, MentionFeatures, MentionKey):
        count = db.execute(
            select(func.count()).select_from(table).where(table.mention_id == mention_id)
        ).scalar_one()
        assert count == 0, table.__tablename__


def test_with_nothing_to_learn_from_every_mention_is_its_own_person(
    session_factory: sessionmaker[Session], db: Session
) -> None:
    agency = make_agency(db)
    alone = [
        make_report(db, agency=agency, mentions=[{"given_name": name}]).mentions[0].id
        for name in ("Dana", "Dana", "Lee")
    ]
    db.commit()
    summary = runs.run_linkage(session_factory, actor=RUNNER)
    assert summary.status == "succeeded" and summary.person_count == 3
    run = runs.latest_run(db)
    assert run is not None and run.model_json is None
    persons = _persons(db)
    assert len({persons[m] for m in alone}) == 3
    # Without a model, a later mention waits for the next run.
    late = make_report(db, agency=agency, mentions=[{"given_name": "Dana"}])
    assert matching.match_mentions(db, late.mentions) == []
    assert [m.id for m in matching.pending_mentions(db)] == [late.mentions[0].id]
