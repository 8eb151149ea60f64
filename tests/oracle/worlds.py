"""What the oracle tests' generated worlds share: how Hypothesis explores them, users
with any roles, and a threat-assessment case stored as the model describes it."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.oracle.model import ModelCase, ModelUser
from vigil.assessment.models import Case, CaseMember, CaseShare
from vigil.platform.models import Agency, User
from vigil.platform.roles import Role


def explore(examples: int) -> settings:
    """``examples`` worlds a run, each built and checked in full whatever it takes (no
    deadline, no example database: every run draws afresh)."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def any_users(draw: st.DrawFn, agencies: int, *, least: int, most: int) -> list[ModelUser]:
    """``least`` to ``most`` users, each of one of ``agencies`` with up to three roles."""
    agency = st.integers(min_value=0, max_value=agencies - 1)
    return [
        ModelUser(
            key=i,
            agency=draw(agency),
            roles=frozenset(draw(st.sets(st.sampled_from([r.value for r in Role]), max_size=3))),
        )
        for i in range(draw(st.integers(min_value=least, max_value=most)))
    ]


def store_case(
    db: Session,
    c: ModelCase,
    *,
    number: str,
    agencies: list[Agency],
    users: dict[int, User],
    now: datetime,
) -> Case:
    """The case with its team (members present and removed) and its shares (live and
    revoked), flushed."""
    case = Case(
        number=number,
        title="Oracle case",
        owner_agency_id=agencies[c.owner].id,
        regime="threat_assessment",
        status=c.status,
        opened_at=now,
        status_changed_at=now,
        updated_at=now,
        closed_at=now if c.status == "closed" else None,
    )
    db.add(case)
    db.flush()
    for key in sorted(c.team | c.removed):
        db.add(
            CaseMember(
                case_id=case.id,
                user_id=users[key].id,
                agency_id=users[key].agency_id,
                team_role="member",
                added_at=now,
                removed_at=now if key in c.removed else None,
            )
        )
    for index in sorted(c.shared_with | c.revoked):
        db.add(
            CaseShare(
                case_id=case.id,
                agency_id=agencies[index].id,
                reason="Oracle share",
                shared_at=now,
                revoked_at=now if index in c.revoked else None,
            )
        )
    db.flush()
    return case
