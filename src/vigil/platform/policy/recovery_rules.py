"""Policy rules for victim-services records: survivor cases and everything hanging off
them (consents, referrals, dates, exports), and the de-identified statistics.

Victim-services records are a regime of their own, the survivor's consent:

* The provider that holds a case (an agency of the victim-services kind) works it:
  the case's advocate, and the provider's supervisors. Staff who hold an intelligence
  or threat-assessment role (analyst, threat-assessment) do not, even at the provider.
* Anyone else (law enforcement, a fusion center, a threat-assessment team, another
  provider, a system administrator) reads a case only as a disclosure: for a stated
  purpose, under a written consent on file that names their agency and that purpose,
  is not revoked and has not expired. Without one, the case does not exist for them.
* Revocation is a timestamp that, once set, ends the consent: the check asks whether
  one is set, never whether it is in the past, so the next read (the same second)
  is refused.

The family assistance center, the fund's claims and payments and the community-recovery
records (issue 11) are held by the provider that runs them, under the same regime:
its staff work them, its supervisors manage them (open a center, publish a protocol,
decide a claim, calculate the payments), and nobody else sees them at all. What an
outside agency may learn of a family there comes through the survivor case linked to
it, as a disclosure under a consent whose written form also names the center's records
(``disclose_center_records``): the registration, visits and briefings attended. The
fund's published protocols, the anonymised calculation input and the public report
name no one: any signed-in user reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, select
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.roles import AgencyKind, Role

# Intelligence and threat-assessment roles never work victim-services records.
EXCLUDED_ROLES = frozenset({Role.ANALYST, Role.THREAT_ASSESSMENT})
HOLDER_KINDS = frozenset({AgencyKind.VICTIM_SERVICES.value})


@dataclass(frozen=True)
class ProviderFacts:
    """The agency that holds (or would hold) victim-services records."""

    agency_id: int
    agency_kind: str


@dataclass(frozen=True)
class SurvivorCaseFacts:
    """What the rule needs to know about one case, looked up at the moment of the check.

    ``consented_purposes`` are the purposes of the valid consents naming the acting
    user's agency (empty for the holder's own staff); ``purpose`` is the one a
    disclosure asks for.
    """

    provider: ProviderFacts
    advocate_user_id: int | None
    consented_purposes: frozenset[str] = frozenset()
    purpose: str | None = None
    # The purposes of those valid consents that also cover the family's records at the
    # provider's assistance center (registration, visits, briefings attended).
    center_purposes: frozenset[str] = frozenset()


def _staff(actor: Actor, provider: ProviderFacts) -> bool:
    return (
        actor.is_user
        and provider.agency_kind in HOLDER_KINDS
        and actor.agency_id == provider.agency_id
        and not actor.roles & EXCLUDED_ROLES
    )


def _supervisor(actor: Actor, provider: ProviderFacts) -> bool:
    return _staff(actor, provider) and Role.SUPERVISOR in actor.roles


def is_victim_services_staff(actor: Actor, provider: ProviderFacts) -> bool:
    return _staff(actor, provider)


def survivor_case_rule(actor: Actor, action: str, facts: Any) -> bool:
    if action == "list_disclosed":
        # Anyone signed in may ask what survivors consented to disclose to their agency.
        return actor.is_user
    if action in ("list", "create"):
        # The caseload and the intake form exist only for the provider's own staff.
        return isinstance(facts, ProviderFacts) and _staff(actor, facts)
    if not isinstance(facts, SurvivorCaseFacts):
        return False
    if action in ("disclose", "disclose_center_records"):
        # Only ever outside the holder, only for a named purpose it has consent for; the
        # center's records only under a consent whose form names them too.
        purposes = facts.consented_purposes if action == "disclose" else facts.center_purposes
        return (
            actor.is_user
            and actor.agency_id != facts.provider.agency_id
            and facts.purpose is not None
            and facts.purpose in purposes
        )
    assigned = _staff(actor, facts.provider) and actor.user_id == facts.advocate_user_id
    if action in ("read", "work", "export", "manage_consent"):
        return assigned or _supervisor(actor, facts.provider)
    if action in ("assign", "close", "reopen"):
        return _supervisor(actor, facts.provider)
    return False


def survivor_case_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    """The cases the actor works, as a condition on ``survivor_cases``."""
    from vigil.platform.models import Agency
    from vigil.recovery.models import SurvivorCase

    if not actor.is_user or actor.roles & EXCLUDED_ROLES:
        return false()
    # The actor's own agency, and only if it is a victim-services provider: a subquery
    # of at most one row, so the index on (provider, status, opened) serves the list.
    own_provider = SurvivorCase.provider_agency_id.in_(
        select(Agency.id).where(Agency.id == actor.agency_id, Agency.kind.in_(HOLDER_KINDS))
    )
    if Role.SUPERVISOR in actor.roles:
        return own_provider
    return and_(own_provider, SurvivorCase.advocate_user_id == actor.user_id)


def statistics_rule(actor: Actor, action: str, obj: Any) -> bool:
    # De-identified, suppressed aggregates: any signed-in user, and the command line.
    return action == "read" and (actor.is_user or actor.kind == "cli")


def operations_rule(actor: Actor, action: str, obj: Any) -> bool:
    # Reminders and the retention purge run from the scheduler or the operator's shell.
    return action in ("send_reminders", "purge") and actor.kind == "cli"


def provider_record_rule(actor: Actor, action: str, facts: Any) -> bool:
    """Assistance centers, funds and community records: the holder's staff work them,
    its supervisors manage them; they do not exist for anyone else."""
    if not isinstance(facts, ProviderFacts):
        return False
    if action in ("read", "work", "list"):
        return _staff(actor, facts)
    if action == "manage":
        return _supervisor(actor, facts)
    return False


def fund_publication_rule(actor: Actor, action: str, obj: Any) -> bool:
    # Published protocols, the anonymised input and the public report name no one.
    return action == "read" and (actor.is_user or actor.kind == "cli")


def install() -> None:
    for object_type in ("assistance_center", "fund", "community_record"):
        policy.register(object_type, rule=provider_record_rule)
    policy.register("fund_publication", rule=fund_publication_rule)
    policy.register("survivor_case", rule=survivor_case_rule, scope_rule=survivor_case_scope)
    policy.register("survivor_statistics", rule=statistics_rule)
    policy.register("survivor_operations", rule=operations_rule)
