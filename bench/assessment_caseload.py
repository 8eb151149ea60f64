"""The synthetic caseload for the assessment benchmark: agencies and their case-working
staff, cases opened over six years with their teams, shares, risk levels and review
dates, and the management plans' interventions, with due dates and statuses that
follow each case's life. Deterministic for a seed; ids are given, so two runs (and
both backends) hold the same data and their results can be compared."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from vigil.assessment.vocabulary import INTERVENTION_KINDS
from vigil.platform.database import transaction
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role

CHUNK = 50_000
AGENCIES = 40
CASE_WORKERS = 4_000  # spread over the agencies by size
YEARS = 6
TODAY = date(2026, 11, 26)  # the day the dashboard is read

ACTIVE_MIX = (("open", 0.10), ("assessing", 0.25), ("managing", 0.35), ("monitoring", 0.30))
LEVEL_MIX = (("low", 0.40), ("moderate", 0.35), ("high", 0.20), ("imminent", 0.05))
KINDS = tuple(INTERVENTION_KINDS)
KIND_WEIGHTS = (0.20, 0.03, 0.12, 0.06, 0.14, 0.12, 0.08, 0.05, 0.20)

CASE_COLUMNS = (
    "id",
    "number",
    "title",
    "owner_agency_id",
    "regime",
    "status",
    "opened_at",
    "opened_by_user_id",
    "status_changed_at",
    "closed_at",
    "updated_at",
    "risk_level",
    "risk_decided_at",
    "review_interval_days",
    "next_review_on",
    "closing_summary",
    "origin_reported_at",
    "first_assessed_at",
)
MEMBER_COLUMNS = (
    "id",
    "case_id",
    "user_id",
    "agency_id",
    "team_role",
    "added_at",
    "added_by_user_id",
    "removed_at",
    "removed_by_user_id",
)
SHARE_COLUMNS = (
    "id",
    "case_id",
    "agency_id",
    "reason",
    "shared_by_user_id",
    "shared_at",
    "revoked_at",
    "revoked_by_user_id",
)
INTERVENTION_COLUMNS = (
    "id",
    "case_id",
    "kind",
    "description",
    "owner_user_id",
    "due_on",
    "status",
    "created_at",
    "updated_at",
    "completed_at",
    "outcome",
    "erpo_status",
)
TABLES = (
    ("cases", CASE_COLUMNS),
    ("case_members", MEMBER_COLUMNS),
    ("case_shares", SHARE_COLUMNS),
    ("interventions", INTERVENTION_COLUMNS),
)


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


# --- the world: agencies and their people ----------------------------------------------------


@dataclass
class Staff:
    supervisors: list[int] = field(default_factory=list)
    assessors: list[int] = field(default_factory=list)  # threat-assessment staff
    analysts: list[int] = field(default_factory=list)

    @property
    def workers(self) -> list[int]:
        return self.assessors + self.analysts


@dataclass
class World:
    agency_ids: list[int]  # the biggest first; the fusion center last
    weights: list[float]  # each agency's share of the cases it owns
    staff: dict[int, Staff]
    fusion_center: int


def seed_world(factory: sessionmaker[Session], rng: random.Random) -> World:
    with transaction(factory) as db:
        agencies = [
            Agency(name="Bench County Sheriff", kind=AgencyKind.LAW_ENFORCEMENT.value),
            *(
                Agency(
                    name=f"Bench agency {n}",
                    kind=(
                        AgencyKind.SCHOOL_OR_CAMPUS if n % 3 == 0 else AgencyKind.LAW_ENFORCEMENT
                    ).value,
                )
                for n in range(2, AGENCIES)
            ),
            Agency(name="Bench State Fusion Center", kind=AgencyKind.FUSION_CENTER.value),
        ]
        db.add_all(agencies)
        db.flush()
        ids = [agency.id for agency in agencies]
        weights = [1 / (rank + 1) ** 0.9 for rank in range(len(ids) - 1)] + [0.02]
        total = sum(weights)
        weights = [w / total for w in weights]
        staff: dict[int, Staff] = {}
        user_rows: list[dict[str, Any]] = []
        roles: list[tuple[int, Role]] = []
        next_id = 1
        for agency_id, weight in zip(ids, weights, strict=True):
            people = Staff()
            headcount = max(6, round(CASE_WORKERS * weight))
            if agency_id == ids[-1]:
                headcount = 60  # the fusion center: analysts on many agencies' teams
            for n in range(headcount):
                if n < max(1, headcount // 15):
                    role, group = Role.SUPERVISOR, people.supervisors
                elif agency_id == ids[-1] or rng.random() < 0.3:
                    role, group = Role.ANALYST, people.analysts
                else:
                    role, group = Role.THREAT_ASSESSMENT, people.assessors
                user_rows.append(
                    {
                        "id": next_id,
                        "agency_id": agency_id,
                        "username": f"bench{agency_id}.{n}",
                        "display_name": f"Bench user {agency_id}.{n}",
                    }
                )
                roles.append((next_id, role))
                group.append(next_id)
                next_id += 1
            if not people.assessors:
                people.assessors.append(people.supervisors[0])
            staff[agency_id] = people
        db.execute(insert(User), user_rows)
        db.execute(insert(UserRole), [{"user_id": uid, "role": role.value} for uid, role in roles])
    return World(ids, weights, staff, ids[-1])


# --- the caseload ------------------------------------------------------------------------------


@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {table: [] for table, _ in TABLES}
    )

    def __len__(self) -> int:
        return len(self.rows["cases"]) + len(self.rows["interventions"])


@dataclass(frozen=True)
class CaseShape:
    id: int
    opened: datetime
    closed: datetime | None
    team: tuple[int, ...]


def _at(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        seconds=rng.randint(8 * 3600, 18 * 3600)
    )


def caseload(world: World, cases: int, interventions: int, seed: int) -> Iterator[Batch]:
    """Cases in the order they were opened, each with its team, shares and plan."""
    rng = random.Random(seed)
    span_days = YEARS * 365
    opened_days = sorted(rng.randint(0, span_days) for _ in range(cases))
    # Active cases carry more of the plan than closed ones.
    shapes: list[CaseShape] = []
    batch = Batch()
    member_id = share_id = 0
    for case_id, offset in enumerate(opened_days, 1):
        opened = _at(TODAY - timedelta(days=span_days - offset), rng)
        age_days = (TODAY - opened.date()).days
        owner = rng.choices(world.agency_ids, world.weights)[0]
        people = world.staff[owner]
        closed_share = 0.85 if age_days > 365 else 0.15 + 0.5 * age_days / 365
        closed = rng.random() < closed_share
        status = "closed" if closed else _pick(rng, ACTIVE_MIX)
        lead = rng.choice(people.assessors)
        level = None
        if status != "open" or rng.random() < 0.3:
            level = _pick(rng, LEVEL_MIX)
        closed_at = None
        next_review = None
        if closed:
            closed_at = opened + timedelta(days=rng.randint(20, min(720, max(21, age_days))))
            closed_at = min(closed_at, _at(TODAY, rng) - timedelta(days=1))
        elif rng.random() < 0.15:
            next_review = TODAY - timedelta(days=rng.randint(1, 90))
        else:
            next_review = TODAY + timedelta(days=rng.randint(0, 60))
        assessed = None
        if status != "open" and rng.random() < 0.92:
            assessed = opened + timedelta(days=rng.uniform(0.5, 30))
        regime = "school_record" if rng.random() < 0.25 else "threat_assessment"
        last_change = closed_at or opened + timedelta(days=rng.randint(0, max(1, age_days)))
        batch.rows["cases"].append(
            (
                case_id,
                f"TA-{opened.year}-{case_id:06d}",
                f"Bench case {case_id}",
                owner,
                regime,
                status,
                opened,
                lead,
                last_change,
                closed_at,
                last_change,
                level,
                (opened + timedelta(days=rng.randint(1, 40))) if level else None,
                30,
                next_review,
                "Closed after the plan was carried out." if closed else None,
                opened - timedelta(days=rng.uniform(0, 14)),
                assessed,
            )
        )
        team = [lead]
        member_id += 1
        batch.rows["case_members"].append(
            (member_id, case_id, lead, owner, "lead", opened, lead, None, None)
        )
        for _ in range(rng.choices((0, 1, 2, 3), (0.15, 0.40, 0.30, 0.15))[0]):
            if rng.random() < 0.75:
                agency = owner
            elif rng.random() < 0.3:
                agency = world.fusion_center
            else:
                agency = rng.choices(world.agency_ids, world.weights)[0]
            pool = world.staff[agency].workers or world.staff[agency].supervisors
            user = rng.choice(pool)
            if user in team:
                continue
            removed = opened + timedelta(days=rng.randint(5, 200)) if rng.random() < 0.1 else None
            if removed is not None and removed.date() >= TODAY:
                removed = None
            member_id += 1
            batch.rows["case_members"].append(
                (
                    member_id,
                    case_id,
                    user,
                    agency,
                    "member",
                    opened + timedelta(hours=rng.randint(1, 72)),
                    lead,
                    removed,
                    lead if removed else None,
                )
            )
            if removed is None:
                team.append(user)
        share_roll = rng.random()
        share_to = []
        if share_roll < 0.05:
            share_to.append(world.fusion_center)
        if share_roll > 0.97:
            share_to.append(rng.choices(world.agency_ids, world.weights)[0])
        for agency in share_to:
            if agency == owner:
                continue
            share_id += 1
            shared_at = opened + timedelta(days=rng.randint(0, 30))
            revoked = rng.random() < 0.15
            batch.rows["case_shares"].append(
                (
                    share_id,
                    case_id,
                    agency,
                    "Shared so their team can act on the plan.",
                    lead,
                    shared_at,
                    shared_at + timedelta(days=rng.randint(1, 120)) if revoked else None,
                    lead if revoked else None,
                )
            )
        shapes.append(CaseShape(case_id, opened, closed_at, tuple(team)))
        if len(batch.rows["cases"]) == CHUNK:
            yield batch
            batch = Batch()
    yield batch
    batch = Batch()
    weights = [0.8 if shape.closed else 1.6 for shape in shapes]
    counts = Counter(rng.choices(range(len(shapes)), weights, k=interventions))
    intervention_id = 0
    for index, shape in enumerate(shapes):
        for _ in range(counts.get(index, 0)):
            intervention_id += 1
            batch.rows["interventions"].append(_intervention(rng, intervention_id, shape))
            if len(batch.rows["interventions"]) == CHUNK:
                yield batch
                batch = Batch()
    yield batch


def _intervention(rng: random.Random, intervention_id: int, shape: CaseShape) -> tuple[Any, ...]:
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    created = shape.opened + timedelta(days=rng.randint(0, 60))
    due = created.date() + timedelta(days=rng.randint(7, 120))
    if shape.closed is not None:
        status = "done" if rng.random() < 0.8 else "cancelled"
    elif due < TODAY:
        status = _pick(
            rng, (("done", 0.72), ("cancelled", 0.10), ("in_progress", 0.08), ("planned", 0.10))
        )
    else:
        status = _pick(rng, (("planned", 0.6), ("in_progress", 0.4)))
    finished = status in ("done", "cancelled")
    completed = created + timedelta(days=rng.randint(1, 90)) if finished else None
    return (
        intervention_id,
        shape.id,
        kind,
        "Planned step of the case's management plan.",
        rng.choice(shape.team),
        due,
        status,
        created,
        completed or created,
        completed,
        "Carried out as planned." if status == "done" else None,
        ("filed" if not finished else "granted") if kind == "erpo_petition" else None,
    )
