"""Who is acting: a signed-in user, an API token holder, the command line or the public."""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil.platform.roles import Role


@dataclass(frozen=True)
class Actor:
    """The acting party of one request or command, as the policy module sees it."""

    kind: str  # "user", "cli" or "anonymous"
    user_id: int | None = None
    username: str | None = None
    agency_id: int | None = None
    agency_is_operator: bool = False
    roles: frozenset[Role] = field(default_factory=frozenset)
    request_id: str | None = None
    source_address: str | None = None
    via: str = "web"  # "web", "api", "cli"

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_user(self) -> bool:
        return self.kind == "user" and self.user_id is not None

    def member_ids(self) -> tuple[int, int]:
        """(user id, agency id) of a signed-in user; any other actor is refused."""
        if self.user_id is None or self.agency_id is None:
            from vigil.platform.policy import PermissionDenied

            raise PermissionDenied("act", "as a member of an agency")
        return self.user_id, self.agency_id


def anonymous(request_id: str | None = None, source_address: str | None = None) -> Actor:
    return Actor(kind="anonymous", request_id=request_id, source_address=source_address)


def command_line(os_user: str) -> Actor:
    """The operator at the server's shell. Shell access already grants the database."""
    return Actor(kind="cli", username=os_user, via="cli")


def for_user(
    user: object,
    *,
    request_id: str | None = None,
    source_address: str | None = None,
    via: str = "web",
) -> Actor:
    """The actor for a signed-in user (anything with the User model's attributes)."""
    agency = getattr(user, "agency")  # noqa: B009 - duck-typed on purpose
    return Actor(
        kind="user",
        user_id=getattr(user, "id"),  # noqa: B009
        username=getattr(user, "username"),  # noqa: B009
        agency_id=agency.id,
        agency_is_operator=bool(agency.is_operator),
        roles=frozenset(getattr(user, "roles")),  # noqa: B009
        request_id=request_id,
        source_address=source_address,
        via=via,
    )
