"""Who holds what — users' roles and agencies, the operator flag, sessions and tokens —
and the check that a request escalated none of it (tests/web/test_role_lattice.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select

from tests.web.conftest import Member, Site
from vigil.platform.models import Agency, ApiToken, User, UserRole, WebSession

# A statement that may change who holds what (a session's or token's touch may not).
GRANT_WRITE = re.compile(
    r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(users|user_roles|agencies|web_sessions|api_tokens)\b",
    re.IGNORECASE,
)
TOUCH = re.compile(
    r"^\s*UPDATE (web_sessions|api_tokens) SET (last_seen_at|last_used_at)=[^,]* WHERE"
)


class GrantWrites:
    """Whether a request sent a statement that could change the grants: the full
    comparison runs only then."""

    def __init__(self, connection: Any) -> None:
        self.seen = False
        self.connection = connection
        event.listen(connection, "before_cursor_execute", self._saw)

    def _saw(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if GRANT_WRITE.match(statement) and not TOUCH.match(statement):
            self.seen = True

    def close(self) -> None:
        event.remove(self.connection, "before_cursor_execute", self._saw)


@dataclass(frozen=True)
class Grants:
    """Who holds what: the part of the database an escalation would change."""

    users: dict[int, tuple[int, frozenset[str]]]  # user id -> (agency id, roles)
    operators: frozenset[int]
    sessions: frozenset[tuple[int, int]]  # (session id, user id)
    tokens: frozenset[tuple[int, int]]  # (token id, user id)


def grants(site: Site) -> Grants:
    with site.session_factory() as db:
        users = {
            user_id: agency_id for user_id, agency_id in db.execute(select(User.id, User.agency_id))
        }
        roles: dict[int, set[str]] = {user_id: set() for user_id in users}
        for user_id, role in db.execute(select(UserRole.user_id, UserRole.role)):
            roles[user_id].add(role)
        return Grants(
            {user_id: (users[user_id], frozenset(roles[user_id])) for user_id in users},
            frozenset(db.execute(select(Agency.id).where(Agency.is_operator)).scalars()),
            frozenset(tuple(row) for row in db.execute(select(WebSession.id, WebSession.user_id))),
            frozenset(tuple(row) for row in db.execute(select(ApiToken.id, ApiToken.user_id))),
        )


def escalations(before: Grants, after: Grants, actor: Member, held: frozenset[str]) -> list[str]:
    found = []
    for user_id, (agency_id, roles) in after.users.items():
        was = before.users.get(user_id)
        gained = roles - (was[1] if was else frozenset())
        if gained - held:
            found.append(f"user {user_id} gained {sorted(gained - held)}")
        if was is not None and was[0] != agency_id:
            found.append(f"user {user_id} moved from agency {was[0]} to {agency_id}")
    if after.operators - before.operators:
        found.append(f"agencies {sorted(after.operators - before.operators)} became the operator")
    for kind, made in (
        ("session", after.sessions - before.sessions),
        ("token", after.tokens - before.tokens),
    ):
        others = sorted({user_id for _, user_id in made if user_id != actor.user_id})
        if others:
            found.append(f"a {kind} was made for users {others}")
    return found
