"""Actor: the ids of a signed-in member, refused for anyone else (and under python -O)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vigil.platform import actor as actors
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role


def test_member_ids_of_a_signed_in_user() -> None:
    member = actors.Actor(kind="user", user_id=7, agency_id=3, roles=frozenset({Role.ANALYST}))
    assert member.member_ids() == (7, 3)


@pytest.mark.parametrize(
    "who",
    [
        actors.anonymous(),
        actors.command_line("root"),
        actors.Actor(kind="user", user_id=7),  # no agency: never a member
    ],
)
def test_member_ids_refused_for_anyone_else(who: actors.Actor) -> None:
    with pytest.raises(PermissionDenied):
        who.member_ids()


def test_refusal_holds_with_assertions_stripped() -> None:
    """The check is an if, not an assert: ``python -O`` must not remove it."""
    program = (
        "from vigil.platform import actor\n"
        "from vigil.platform.policy import PermissionDenied\n"
        "try:\n"
        "    actor.anonymous().member_ids()\n"
        "except PermissionDenied:\n"
        "    print('refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-O", "-c", program], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "refused"
