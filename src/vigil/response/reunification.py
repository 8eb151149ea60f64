"""Reunification services: incidents, accountability lists and inquiries uploaded as CSV,
and the queue of candidate matches that staff confirm before anyone is told anything.

An upload is checked row by row first; any problem in any row stores nothing and
returns every row's problems (never half a list). Matching ranks every listed person
of the incident for each inquiry with `inquiry_matching` and replaces the
unconfirmed candidates; confirmed ones are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Agency
from vigil.platform.policy.response_rules import RESPONSE_AGENCY_ROLES
from vigil.response.inquiry_matching import match_inquiries
from vigil.response.match_files import (
    INQUIRY_COLUMNS,
    LIST_COLUMNS,
    BadFile,
    RowProblem,
    check_rows,
    decode,
    rows_from_text,
)
from vigil.response.models import (
    AccountabilityList,
    Incident,
    IncidentAgency,
    Inquiry,
    InquiryCandidate,
    ListedPerson,
)
from vigil.response.pfif_exchange import incident_facts
from vigil.response.profiles import Profile, build_profile, parse_date, parse_sex

# Where each kind of list puts a person in the Standard Reunification Method. A death
# is recorded only from the medical examiner's list, never inferred.
STATUS_BY_LIST: Final[dict[str, str]] = {
    "roster": "unaccounted",
    "attendees": "unaccounted",
    "hospital": "at_hospital",
    "medical_examiner": "deceased_confirmed",
}
INCIDENT_AGENCY_ROLES: Final = (*sorted(RESPONSE_AGENCY_ROLES), "law_enforcement", "support")
MAX_UPLOAD_ROWS: Final = 200_000


@dataclass
class UploadResult:
    """What an upload stored, or every row problem that stopped it."""

    stored: int = 0
    list_id: int | None = None
    problems: list[RowProblem] = field(default_factory=list)
    file_problem: str | None = None


@dataclass(frozen=True)
class QueueItem:
    """One candidate match waiting for a human to confirm it."""

    inquiry_reference: str
    row_id: str
    list_kind: str
    rank: int
    score: float
    likely: bool
    # The listed person's own id (their page: /incidents/{incident}/people/{id}).
    person_id: int = 0


def create_incident(
    session: Session,
    *,
    actor: Actor,
    name: str,
    kind: str,
    place: str,
    started_at: datetime,
    lead_agency_id: int,
    agencies: Mapping[int, str],
) -> Incident:
    """Open an incident with the agencies in unified command and their roles."""
    policy.authorize(actor, "open_incident", "reunification")
    errors: dict[str, str] = {}
    if not name.strip() or len(name) > 200:
        errors["name"] = "give a name of 1 to 200 characters"
    if not kind.strip() or len(kind) > 40:
        errors["kind"] = "give a kind of 1 to 40 characters"
    if not place.strip() or len(place) > 200:
        errors["place"] = "give a place of 1 to 200 characters"
    for agency_id, role in {lead_agency_id: "command", **agencies}.items():
        if session.get(Agency, agency_id) is None:
            errors["agency"] = f"no agency {agency_id}"
        if role not in INCIDENT_AGENCY_ROLES:
            errors["role"] = f"role {role!r} is not one of " + ", ".join(INCIDENT_AGENCY_ROLES)
    if errors:
        raise InvalidInput(errors)
    incident = Incident(
        name=name.strip(),
        kind=kind.strip(),
        place=place.strip(),
        started_at=started_at,
        status="active",
        lead_agency_id=lead_agency_id,
    )
    session.add(incident)
    session.flush()
    for agency_id, role in {lead_agency_id: "command", **agencies}.items():
        session.add(IncidentAgency(incident_id=incident.id, agency_id=agency_id, role=role))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.open",
        object_type="incident",
        object_id=incident.id,
        details={"agencies": len({lead_agency_id, *agencies})},
    )
    return incident


def _incident(session: Session, actor: Actor, action: str, incident_id: int) -> None:
    policy.authorize(actor, action, "reunification", incident_facts(session, incident_id))


def _read(data: bytes, source_name: str, columns: Sequence[str]) -> list[dict[str, str]]:
    rows = rows_from_text(decode(data, source_name), source_name, columns)
    if len(rows) > MAX_UPLOAD_ROWS:
        raise BadFile(f"{source_name} has {len(rows):,} rows, over {MAX_UPLOAD_ROWS:,}")
    return rows


def _taken(session: Session, model: type, column: str, incident_id: int, ids: set[str]) -> set[str]:
    """The ids among `ids` already used in this incident (in chunks: IN lists stay small)."""
    taken: set[str] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        attribute = getattr(model, column)
        taken.update(
            session.execute(
                select(attribute).where(model.incident_id == incident_id, attribute.in_(chunk))  # type: ignore[attr-defined]
            ).scalars()
        )
    return taken


def upload_list(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    data: bytes,
    source_name: str,
    today: date,
) -> UploadResult:
    """Store an accountability list file whole, or nothing and every row's problems."""
    _incident(session, actor, "upload", incident_id)
    try:
        rows = _read(data, source_name, LIST_COLUMNS)
    except BadFile as problem:
        return UploadResult(file_problem=str(problem))
    problems = check_rows(rows, today=today, with_list=True)
    taken = _taken(session, ListedPerson, "row_id", incident_id, {r["id"] for r in rows})
    problems = _merge(problems, rows, taken, "is already on a list of this incident")
    if problems:
        return UploadResult(problems=problems)
    uploaded = AccountabilityList(
        incident_id=incident_id,
        source_name=source_name[:200],
        row_count=len(rows),
        uploaded_by_user_id=actor.user_id,
    )
    session.add(uploaded)
    session.flush()
    session.add_all(
        ListedPerson(
            list_id=uploaded.id,
            incident_id=incident_id,
            row_id=row["id"],
            list_kind=row["list"].lower(),
            full_name=row["full_name"] or None,
            dob=_iso_date(row["dob"], today),
            age=row["age"] or None,
            sex=parse_sex(row["sex"]),
            description=row["description"] or None,
            status=STATUS_BY_LIST[row["list"].lower()],
        )
        for row in rows
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.list_upload",
        object_type="incident",
        object_id=incident_id,
        details={"list_id": uploaded.id, "rows": len(rows)},
    )
    return UploadResult(stored=len(rows), list_id=uploaded.id)


def _merge(
    problems: list[RowProblem], rows: list[dict[str, str]], taken: set[str], why: str
) -> list[RowProblem]:
    if not taken:
        return problems
    by_line = {p.line: p for p in problems}
    for row in rows:
        if row["id"] in taken:
            line = int(row["_line"])
            earlier = by_line.get(line)
            reasons = (*(earlier.problems if earlier else ()), f"id {why}")
            by_line[line] = RowProblem(line, row["id"], reasons)
    return sorted(by_line.values(), key=lambda p: p.line)


def _iso_date(raw: str, today: date) -> str | None:
    parsed = parse_date(raw, today=today)
    return None if parsed is None else f"{parsed[0]:04d}-{parsed[1]:02d}-{parsed[2]:02d}"


def add_inquiries(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    data: bytes,
    source_name: str,
    today: date,
) -> UploadResult:
    """Store families' inquiries from a CSV file whole, or nothing and every row's problems."""
    _incident(session, actor, "upload", incident_id)
    try:
        rows = _read(data, source_name, INQUIRY_COLUMNS)
    except BadFile as problem:
        return UploadResult(file_problem=str(problem))
    problems = check_rows(rows, today=today, with_list=False)
    taken = _taken(session, Inquiry, "reference", incident_id, {r["id"] for r in rows})
    problems = _merge(problems, rows, taken, "is already an inquiry of this incident")
    if problems:
        return UploadResult(problems=problems)
    session.add_all(
        Inquiry(
            incident_id=incident_id,
            reference=row["id"],
            full_name=row["full_name"] or None,
            dob=_iso_date(row["dob"], today),
            age=row["age"] or None,
            sex=parse_sex(row["sex"]),
            description=row["description"] or None,
            relationship=row["relationship"][:100] or None,
        )
        for row in rows
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.inquiries_add",
        object_type="incident",
        object_id=incident_id,
        details={"rows": len(rows)},
    )
    return UploadResult(stored=len(rows))


def _profile(kind: str, ident: str, person: ListedPerson | Inquiry, today: date) -> Profile:
    return build_profile(
        id=ident,
        list_kind=kind,
        full_name=person.full_name or "",
        dob=person.dob or "",
        age=person.age or "",
        sex=person.sex or "",
        description=person.description or "",
        today=today,
    )


def match_incident(
    session: Session, *, actor: Actor, incident_id: int, today: date, top: int = 3
) -> int:
    """Rank candidates for every inquiry of the incident; the number of candidates queued.

    Unconfirmed candidates are replaced; a confirmed one stays as staff left it.
    """
    _incident(session, actor, "match", incident_id)
    listed = list(
        session.execute(
            select(ListedPerson).where(ListedPerson.incident_id == incident_id)
        ).scalars()
    )
    inquiries = list(
        session.execute(select(Inquiry).where(Inquiry.incident_id == incident_id)).scalars()
    )
    people = [_profile(p.list_kind, str(p.id), p, today) for p in listed]
    asked = [_profile("", str(q.id), q, today) for q in inquiries]
    confirmed = {
        (int(inquiry_id), int(person_id))
        for inquiry_id, person_id in session.execute(
            select(InquiryCandidate.inquiry_id, InquiryCandidate.listed_person_id).where(
                InquiryCandidate.incident_id == incident_id,
                InquiryCandidate.confirmed_at.is_not(None),
            )
        )
    }
    session.execute(
        delete(InquiryCandidate).where(
            InquiryCandidate.incident_id == incident_id, InquiryCandidate.confirmed_at.is_(None)
        )
    )
    queued = 0
    for candidate in match_inquiries(people, asked, top=top):
        pair = (int(candidate.inquiry_id), int(candidate.person_id))
        if pair in confirmed:
            continue
        session.add(
            InquiryCandidate(
                incident_id=incident_id,
                inquiry_id=pair[0],
                listed_person_id=pair[1],
                rank=candidate.rank,
                score=candidate.score,
                likely=candidate.likely,
            )
        )
        queued += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.match",
        object_type="incident",
        object_id=incident_id,
        details={"inquiries": len(asked), "listed": len(people), "candidates": queued},
    )
    return queued


def review_queue(session: Session, *, actor: Actor, incident_id: int) -> list[QueueItem]:
    """The unconfirmed candidates of an incident, likely ones first (a read of personal
    data, audited with the count only)."""
    _incident(session, actor, "read", incident_id)
    rows = session.execute(
        select(
            Inquiry.reference,
            ListedPerson.row_id,
            ListedPerson.list_kind,
            InquiryCandidate.rank,
            InquiryCandidate.score,
            InquiryCandidate.likely,
            ListedPerson.id,
        )
        .join(Inquiry, Inquiry.id == InquiryCandidate.inquiry_id)
        .join(ListedPerson, ListedPerson.id == InquiryCandidate.listed_person_id)
        .where(InquiryCandidate.incident_id == incident_id, InquiryCandidate.confirmed_at.is_(None))
        .order_by(InquiryCandidate.likely.desc(), Inquiry.reference, InquiryCandidate.rank)
    ).all()
    audit.record(
        session,
        actor=actor,
        action="reunification.queue_read",
        object_type="incident",
        object_id=incident_id,
        details={"candidates": len(rows)},
    )
    return [QueueItem(*row) for row in rows]


def status_counts(session: Session, *, actor: Actor, incident_id: int) -> dict[str, int]:
    """How many listed people are in each status (accounted for, at hospital, ...)."""
    _incident(session, actor, "read", incident_id)
    rows = session.execute(
        select(ListedPerson.status, func.count())
        .where(ListedPerson.incident_id == incident_id)
        .group_by(ListedPerson.status)
    ).all()
    return {status: int(count) for status, count in rows}
