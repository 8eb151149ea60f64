"""The person view follows policy exactly: for every role and every marking, a viewer
sees a report about the person in the timeline only if they may read it, as a pointer
(holding agency, date, kind; nothing else) only where its marking lets its existence
be known, and otherwise not at all. Access requests, merges, splits and review
decisions, with their records. No engine needed: memberships are placed directly."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.reports.factories import make_report
from vigil.linkage import access, membership, persons, review
from vigil.linkage.models import MatchCandidate, MatchDecision, PersonChange
from vigil.platform import policy
from vigil.platform.actor import command_line
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, AuditEvent, Notification, User
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.reports.models import Report, ReportEvent

READERS = (Role.ANALYST, Role.SUPERVISOR, Role.TIPLINE_OPERATOR, Role.THREAT_ASSESSMENT)
NON_READERS = (Role.AGENCY_ADMIN, Role.AUDITOR)
MARKINGS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


@dataclass
class World:
    home: Agency
    holder: Agency
    viewer: dict[Role, User]
    holder_analyst: User
    holder_supervisor: User
    person_id: int
    anchor: Report


def _mention(name: str) -> dict[str, str]:
    given, family = name.split()
    return {"given_name": given, "family_name": family}


def _world(db: Session) -> World:
    home, holder = make_agency(db), make_agency(db)
    viewer = {role: make_user(db, agency=home, roles={role}) for role in (*READERS, *NON_READERS)}
    anchor = make_report(db, agency=home, mentions=[_mention("Dana Reyes")])
    person_id = membership.place(db, anchor.mentions[0].id, None, linked_by="run")
    return World(
        home,
        holder,
        viewer,
        make_user(db, agency=holder, roles={Role.ANALYST}),
        make_user(db, agency=holder, roles={Role.SUPERVISOR}),
        person_id,
        anchor,
    )


def _held(db: Session, world: World, **kwargs: object) -> Report:
    report = make_report(db, agency=world.holder, mentions=[_mention("Dana Reyes")], **kwargs)  # type: ignore[arg-type]
    membership.place(db, report.mentions[0].id, world.person_id, linked_by="run")
    return report


def _expected(marking: str, file_class: str, protected: bool) -> str:
    """What a reader of another agency gets, by the rules written out by hand."""
    if marking == "RED":
        return "hidden"
    if marking in ("CLEAR", "GREEN") and file_class != "intelligence":
        return "timeline"
    if marking == "AMBER+STRICT" or protected:
        return "hidden"
    return "pointer"


@pytest.mark.parametrize("marking", MARKINGS)
@pytest.mark.parametrize("file_class", ["tip_lead", "intelligence"])
@pytest.mark.parametrize("protected", [False, True])
def test_timeline_and_pointers_follow_policy(
    db: Session, marking: str, file_class: str, protected: bool
) -> None:
    world = _world(db)
    held = _held(
        db, world, marking=marking, file_class=file_class, protected_activity_only=protected
    )
    for role in READERS:
        view = persons.view_person(
            db, actor=actor_for(world.viewer[role]), person_id=world.person_id
        )
        in_timeline = held.id in {entry.report.id for entry in view.timeline}
        pointed = [p for p in view.pointers if p.report_id == held.id]
        got = "timeline" if in_timeline else "pointer" if pointed else "hidden"
        assert got == _expected(marking, file_class, protected), role
        for pointer in pointed:  # a pointer says who, when and what kind; nothing else
            assert pointer.holding_agency == world.holder.name
            assert pointer.kind == held.kind
            assert set(vars(pointer)) == {"report_id", "holding_agency", "kind", "at"}
    for role in NON_READERS:
        with pytest.raises(PermissionDenied):
            persons.view_person(db, actor=actor_for(world.viewer[role]), person_id=world.person_id)


def test_named_recipient_of_a_red_report_sees_it_and_the_holder_sees_everything(
    db: Session,
) -> None:
    world = _world(db)
    analyst = world.viewer[Role.ANALYST]
    red = _held(db, world, marking="RED", recipients=[analyst, world.holder_analyst])
    view = persons.view_person(db, actor=actor_for(analyst), person_id=world.person_id)
    assert red.id in {entry.report.id for entry in view.timeline}
    holder_view = persons.view_person(
        db, actor=actor_for(world.holder_analyst), person_id=world.person_id
    )
    # The holder may not read the viewer's AMBER anchor: a pointer to it.
    assert [p.report_id for p in holder_view.pointers] == [world.anchor.id]


def test_a_person_with_no_readable_report_does_not_exist_for_the_viewer(db: Session) -> None:
    world = _world(db)
    stranger = make_user(db, agency=make_agency(db), roles={Role.ANALYST})
    with pytest.raises(NotFound):
        persons.view_person(db, actor=actor_for(stranger), person_id=world.person_id)
    with pytest.raises(NotFound):
        persons.view_person(db, actor=actor_for(stranger), person_id=10_000_000)


def test_names_come_only_from_readable_mentions(db: Session) -> None:
    world = _world(db)
    secret = make_report(
        db, agency=world.holder, marking="AMBER", mentions=[_mention("Hidden Alias")]
    )
    membership.place(db, secret.mentions[0].id, world.person_id, linked_by="run")
    view = persons.view_person(
        db, actor=actor_for(world.viewer[Role.ANALYST]), person_id=world.person_id
    )
    assert view.names == ["Dana Reyes"]


def test_viewing_a_person_is_audited_without_names(db: Session) -> None:
    world = _world(db)
    persons.view_person(db, actor=actor_for(world.viewer[Role.ANALYST]), person_id=world.person_id)
    event = (
        db.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "person.read")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event is not None and event.object_id == str(world.person_id)
    assert "Dana" not in str(event.details) and "Reyes" not in str(event.details)


# --- access requests ------------------------------------------------------------


def test_access_request_granted_is_a_dissemination(db: Session) -> None:
    world = _world(db)
    held = _held(db, world, marking="AMBER")
    requester = actor_for(world.viewer[Role.ANALYST])
    assert not policy.decide(requester, "read", "report", held)
    wanted = access.request_access(
        db,
        actor=requester,
        report_id=held.id,
        reason="Same subject in our threat case.",
        person_id=world.person_id,
    )
    # Asking twice gives the same pending request.
    again = access.request_access(
        db,
        actor=requester,
        report_id=held.id,
        reason="Asking again, still pending.",
    )
    assert again.id == wanted.id
    notified = set(
        db.execute(
            select(Notification.user_id).where(
                Notification.object_type == "access_request",
                Notification.object_id == str(wanted.id),
            )
        ).scalars()
    )
    assert notified == {world.holder_analyst.id, world.holder_supervisor.id}
    # The requester cannot decide their own request; the holder's analyst can.
    with pytest.raises((PermissionDenied, NotFound)):
        access.decide_request(
            db, actor=requester, request_id=wanted.id, grant=True, reason="self grant"
        )
    access.decide_request(
        db,
        actor=actor_for(world.holder_analyst),
        request_id=wanted.id,
        grant=True,
        reason="Need to know confirmed by phone.",
    )
    db.refresh(held)
    assert policy.decide(requester, "read", "report", held)
    shared = db.execute(
        select(ReportEvent).where(ReportEvent.report_id == held.id, ReportEvent.kind == "shared")
    ).scalar_one()
    assert f"access request {wanted.id}" in (shared.summary or "")
    with pytest.raises(Conflict):
        access.decide_request(
            db,
            actor=actor_for(world.holder_analyst),
            request_id=wanted.id,
            grant=False,
            reason="Changed my mind.",
        )


def test_access_request_refused_is_recorded_and_gives_nothing(db: Session) -> None:
    world = _world(db)
    held = _held(db, world, marking="AMBER")
    requester = actor_for(world.viewer[Role.SUPERVISOR])
    wanted = access.request_access(db, actor=requester, report_id=held.id, reason="Case overlap.")
    access.decide_request(
        db,
        actor=actor_for(world.holder_supervisor),
        request_id=wanted.id,
        grant=False,
        reason="No need to know shown.",
    )
    db.refresh(held)
    assert not policy.decide(requester, "read", "report", held)
    assert (
        db.execute(
            select(func.count())
            .select_from(ReportEvent)
            .where(ReportEvent.report_id == held.id, ReportEvent.kind == "access_refused")
        ).scalar_one()
        == 1
    )


@pytest.mark.parametrize("marking", ["AMBER+STRICT", "RED", "GREEN"])
def test_no_access_request_without_a_pointer(db: Session, marking: str) -> None:
    world = _world(db)
    held = _held(db, world, marking=marking)  # GREEN: readable already, so no pointer
    with pytest.raises(NotFound):
        access.request_access(
            db,
            actor=actor_for(world.viewer[Role.ANALYST]),
            report_id=held.id,
            reason="Trying my luck.",
        )


def test_an_access_request_names_a_person_the_report_mentions(db: Session) -> None:
    """A person id that is not in the report (or does not exist) is refused, not a crash
    on the foreign key (found by the API fuzzing)."""
    world = _world(db)
    held = _held(db, world, marking="AMBER")
    other, _ = _second_person(db, world, name="Someone Else")
    for person_id in (other, 2_000_000):
        with pytest.raises(InvalidInput) as refused:
            access.request_access(
                db,
                actor=actor_for(world.viewer[Role.ANALYST]),
                report_id=held.id,
                reason="Same subject in our threat case.",
                person_id=person_id,
            )
        assert set(refused.value.errors) == {"person_id"}


def test_an_access_request_needs_a_reason(db: Session) -> None:
    world = _world(db)
    held = _held(db, world, marking="AMBER")
    with pytest.raises(InvalidInput):
        access.request_access(
            db, actor=actor_for(world.viewer[Role.ANALYST]), report_id=held.id, reason="  "
        )


# --- merge, split, review ---------------------------------------------------------


def _second_person(db: Session, world: World, name: str = "Dana Reyes") -> tuple[int, Report]:
    report = make_report(db, agency=world.home, mentions=[_mention(name)])
    return membership.place(db, report.mentions[0].id, None, linked_by="run"), report


def test_supervisor_merges_and_splits_with_history(db: Session) -> None:
    world = _world(db)
    other, other_report = _second_person(db, world)
    analyst = actor_for(world.viewer[Role.ANALYST])
    supervisor = actor_for(world.viewer[Role.SUPERVISOR])
    with pytest.raises(PermissionDenied):
        persons.merge(
            db, actor=analyst, person_id=world.person_id, other_person_id=other, reason="same dob"
        )
    moved = persons.merge(
        db,
        actor=supervisor,
        person_id=world.person_id,
        other_person_id=other,
        reason="Same date of birth and phone.",
    )
    assert moved == 1
    view = persons.view_person(db, actor=supervisor, person_id=world.person_id)
    assert {e.report.id for e in view.timeline} == {world.anchor.id, other_report.id}
    assert [c.kind for c in view.history] == ["merge"]
    # The merge binds later runs as a "same" decision.
    assert membership.binding_decisions(db).same
    new_person = persons.split(
        db,
        actor=supervisor,
        person_id=world.person_id,
        mention_ids=[other_report.mentions[0].id],
        reason="Different middle names after all.",
    )
    assert membership.mentions_of(db, new_person) == [other_report.mentions[0].id]
    pair = membership.ordered(world.anchor.mentions[0].id, other_report.mentions[0].id)
    assert pair in membership.binding_decisions(db).not_same
    assert db.execute(select(func.count()).select_from(PersonChange)).scalar_one() == 2
    # Merging back now clashes with the "not the same" decision.
    with pytest.raises(Conflict):
        persons.merge(
            db,
            actor=supervisor,
            person_id=world.person_id,
            other_person_id=new_person,
            reason="Trying to merge back.",
        )


def test_split_refuses_mentions_the_supervisor_cannot_read(db: Session) -> None:
    world = _world(db)
    held = _held(db, world, marking="AMBER")
    with pytest.raises(InvalidInput):
        persons.split(
            db,
            actor=actor_for(world.viewer[Role.SUPERVISOR]),
            person_id=world.person_id,
            mention_ids=[held.mentions[0].id],
            reason="Not ours to split.",
        )


def _candidate(db: Session, first: Report, second: Report, weight: float = 3.0) -> MatchCandidate:
    a, b = membership.ordered(first.mentions[0].id, second.mentions[0].id)
    candidate = MatchCandidate(
        mention_a_id=a,
        mention_b_id=b,
        match_weight=weight,
        match_probability=0.9,
        explanation=[{"comparison": "surname", "level": "exact", "weight": 4.2}],
        found_by="run",
    )
    db.add(candidate)
    db.flush()
    return candidate


def test_review_queue_shows_only_pairs_both_readable(db: Session) -> None:
    world = _world(db)
    _, mine = _second_person(db, world, "Dana Reyez")
    held = _held(db, world, marking="AMBER")
    visible = _candidate(db, world.anchor, mine)
    _candidate(db, world.anchor, held)
    analyst = actor_for(world.viewer[Role.ANALYST])
    total, pairs = review.list_queue(db, actor=analyst)
    assert total == 1 and [p.candidate.id for p in pairs] == [visible.id]
    listed = db.execute(select(AuditEvent).where(AuditEvent.action == "match.list")).scalars().all()
    assert [e.details for e in listed] == [{"shown": 1, "offset": 0}]
    tipline = actor_for(world.viewer[Role.TIPLINE_OPERATOR])
    with pytest.raises(PermissionDenied):
        review.list_queue(db, actor=tipline)


def test_review_decisions(db: Session) -> None:
    world = _world(db)
    other, mine = _second_person(db, world, "Dana Reyez")
    _, third = _second_person(db, world, "Dan Reyes")
    analyst = actor_for(world.viewer[Role.ANALYST])
    same = _candidate(db, world.anchor, mine)
    review.decide(db, actor=analyst, candidate_id=same.id, decision="same", reason="same phone")
    assert persons.person_of_mention(db, mine.mentions[0].id) == persons.person_of_mention(
        db, world.anchor.mentions[0].id
    )
    with pytest.raises(Conflict):
        review.decide(db, actor=analyst, candidate_id=same.id, decision="not_same")
    unsure = _candidate(db, world.anchor, third)
    review.decide(db, actor=analyst, candidate_id=unsure.id, decision="unsure")
    total, pairs = review.list_queue(db, actor=analyst)
    assert total == 1 and pairs[0].doubts == 1
    review.decide(db, actor=analyst, candidate_id=unsure.id, decision="not_same")
    assert review.list_queue(db, actor=analyst)[0] == 0
    decisions = list(
        db.execute(select(MatchDecision.decision).order_by(MatchDecision.id)).scalars()
    )
    assert decisions == ["same", "unsure", "not_same"]
    with pytest.raises(InvalidInput):
        review.decide(db, actor=analyst, candidate_id=unsure.id, decision="maybe")
    del other


def test_an_unreadable_pair_is_not_found(db: Session) -> None:
    world = _world(db)
    held = _held(db, world, marking="AMBER")
    hidden = _candidate(db, world.anchor, held)
    with pytest.raises(NotFound):
        review.decide(
            db,
            actor=actor_for(world.viewer[Role.SUPERVISOR]),
            candidate_id=hidden.id,
            decision="same",
        )


def test_only_the_command_line_runs_linkage(db: Session) -> None:
    world = _world(db)
    for role in (*READERS, *NON_READERS):
        assert not policy.decide(actor_for(world.viewer[role]), "run", "link_run")
    assert policy.decide(command_line("operator"), "run", "link_run")
    readers = {
        role
        for role in (*READERS, *NON_READERS)
        if policy.decide(actor_for(world.viewer[role]), "read", "link_run")
    }
    assert readers == {Role.ANALYST, Role.SUPERVISOR}
