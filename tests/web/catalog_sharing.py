"""The sharing routes of the catalog (tests/web/catalog.py): pages, JSON API and the
TAXII 2.1 server, how to fill their paths and bodies, the world they need, and their
rows of the authorization matrix (tests/web/matrix.py)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_user
from tests.web.catalog import OTHER, OWN, REASON, REPORT, RouteCase, Target
from vigil.platform.models import Agency, User
from vigil.platform.policy.markings import Tlp
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.reports.models import Report
from vigil.sharing import groups
from vigil.sharing.models import Subscription, TaxiiStatus
from vigil.sharing.stix_mapping import local_report_id
from vigil.sharing.stix_markings import marking_definition

GROUP = "group"  # a sharing group of the actor's agency, or another's the agency belongs to
EMPTY_BUNDLE = json.dumps(
    {"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8", "objects": []}
)


def seed_sharing(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    """For each agency a sharing group with its report shared into it: home's has the
    other agency as member; the operator's and the other agency's have home as member
    (the other's hides its members). Ids go in ``world.sharing``."""
    for agency in agencies:
        if agency.id == world.home:
            owner = db.get_one(User, world.member(Role.SUPERVISOR).user_id)
            member = world.other
        else:
            owner = make_user(db, agency=agency, roles={Role.SUPERVISOR})
            member = world.home
        actor = actor_for(owner)
        group = groups.create_group(
            db,
            actor=actor,
            name=f"Partners of {agency.name}",
            hide_members=agency.id == world.other,
            agency_ids=[member],
        )
        groups.share_report(
            db, actor=actor, group_id=group.id, report_id=world.reports[agency.id], reason=REASON
        )
        report = db.get_one(Report, world.reports[agency.id])
        world.sharing[f"group:{agency.id}"] = group.id
        world.sharing[f"collection:{agency.id}"] = group.collection_id
        world.sharing[f"member:{agency.id}"] = member
        world.sharing[f"object:{agency.id}"] = local_report_id(report.receipt_number)
        # A partner on loopback nobody allowed: a pull is refused by the outbound guard
        # before any connection is opened.
        subscription = Subscription(
            agency_id=agency.id,
            name=f"Partner of {agency.name}",
            collection_url=f"http://127.0.0.1:9/api/taxii2/vigil/collections/{uuid.uuid4()}/",
            token_encrypted="not-a-token",
            created_by_user_id=owner.id,
        )
        db.add(subscription)
        db.flush()
        world.sharing[f"subscription:{agency.id}"] = subscription.id
        status = TaxiiStatus(
            id=str(uuid.uuid4()),
            agency_id=agency.id,
            user_id=owner.id,
            group_id=group.id,
            status="complete",
            request_timestamp=utcnow(),
            total_count=1,
            success_count=1,
            failure_count=0,
            pending_count=0,
            successes=[{"id": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"}],
            failures=[],
        )
        db.add(status)
        db.flush()
        world.sharing[f"status:{agency.id}"] = status.id


@dataclass(frozen=True)
class SharingRoute(RouteCase):
    """A route whose path names a sharing group, its collection, a member or an object."""

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER) if self.target == GROUP else super().targets

    def path(self, target: Target) -> str:
        seeded = target.world.sharing
        agency = target.agency_id
        values = {
            "group_id": str(seeded[f"group:{agency}"]),
            "collection_id": seeded[f"collection:{agency}"],
            "member_agency_id": str(seeded[f"member:{agency}"]),
            "object_id": seeded[f"object:{agency}"],
            "subscription_id": str(seeded[f"subscription:{agency}"]),
            "status_id": seeded[f"status:{agency}"],
        }
        filled = RouteCase(
            self.method,
            self.template,
            target=REPORT if "{report_id}" in self.template else "-",
            params={
                name: value for name, value in values.items() if "{" + name + "}" in self.template
            },
            query=self.query,
        )
        return filled.path(target)


def _new_member(t: Target) -> dict[str, str]:
    return {"agency_id": str(t.world.operator), "reason": REASON}


SHARING_PAGES = [
    RouteCase("GET", "/sharing/groups"),
    RouteCase(
        "POST",
        "/sharing/groups",
        body="form",
        build=lambda t: {"name": "Walk partners", "agency_ids": str(t.world.other)},
    ),
    SharingRoute("GET", "/sharing/groups/{group_id}", target=GROUP),
    SharingRoute(
        "POST", "/sharing/groups/{group_id}/members", target=GROUP, body="form", build=_new_member
    ),
    SharingRoute(
        "POST", "/sharing/groups/{group_id}/members/{member_agency_id}/remove", target=GROUP
    ),
    SharingRoute(
        "POST",
        "/sharing/groups/{group_id}/shares",
        target=GROUP,
        body="form",
        build=lambda t: {"report_id": str(t.world.reports[t.agency_id]), "reason": REASON},
    ),
    SharingRoute("POST", "/sharing/groups/{group_id}/shares/{report_id}/revoke", target=GROUP),
    RouteCase("GET", "/sharing/reports/{report_id}", target=REPORT),
    RouteCase("GET", "/sharing/reports/{report_id}/received", target=REPORT),
    RouteCase(
        "POST",
        "/sharing/reports/{report_id}/export",
        target=REPORT,
        body="form",
        build=lambda t: {"recipient": "County fusion center", "reason": REASON},
    ),
    RouteCase("GET", "/sharing/import"),
    RouteCase(
        "POST",
        "/sharing/import",
        body="form",
        build=lambda t: {"format": "stix2.1"},
        upload=("bundle.json", EMPTY_BUNDLE.encode(), "application/json"),
    ),
    RouteCase("GET", "/sharing/subscriptions"),
    RouteCase(
        "POST",
        "/sharing/subscriptions",
        body="form",
        build=lambda t: {
            "name": "Walk partner",
            # A public address literal: accepted without a name lookup or a connection.
            "collection_url": "https://93.184.215.14/api/taxii2/vigil/collections/"
            f"{uuid.UUID(int=t.actor.user_id)}/",
            "token": "vgl_walk-partner-token-0123456789",
        },
    ),
    SharingRoute("POST", "/sharing/subscriptions/{subscription_id}/pull", target=GROUP),
    SharingRoute("POST", "/sharing/subscriptions/{subscription_id}/stop", target=GROUP),
    SharingRoute("POST", "/sharing/subscriptions/{subscription_id}/resume", target=GROUP),
    RouteCase("GET", "/sharing/deconfliction"),
    RouteCase(
        "POST",
        "/sharing/deconfliction",
        body="form",
        build=lambda t: {"given_name": "Jordan", "family_name": "Reyes", "phone": "555 0100"},
    ),
]

SHARING_API = [
    RouteCase(
        "POST",
        "/api/v1/sharing/export",
        target=REPORT,
        body="json",
        build=lambda t: {
            "report_ids": [t.report_id],
            "recipient": "County fusion center",
            "reason": REASON,
        },
    ),
    RouteCase(
        "POST", "/api/v1/sharing/import", body="json", build=lambda t: json.loads(EMPTY_BUNDLE)
    ),
    RouteCase("GET", "/api/v1/sharing/reports/{report_id}/disseminations", target=REPORT),
    RouteCase(
        "POST",
        "/api/v1/sharing/deconfliction",
        body="json",
        build=lambda t: {"digests": ["0" * 64]},
    ),
    RouteCase("GET", "/api/taxii2/"),
    RouteCase("GET", "/api/taxii2/vigil/"),
    RouteCase("GET", "/api/taxii2/vigil/collections/"),
    SharingRoute("GET", "/api/taxii2/vigil/collections/{collection_id}/", target=GROUP),
    SharingRoute("GET", "/api/taxii2/vigil/collections/{collection_id}/objects/", target=GROUP),
    SharingRoute(
        "GET", "/api/taxii2/vigil/collections/{collection_id}/objects/{object_id}/", target=GROUP
    ),
    SharingRoute("GET", "/api/taxii2/vigil/collections/{collection_id}/manifest/", target=GROUP),
    SharingRoute(
        "POST",
        "/api/taxii2/vigil/collections/{collection_id}/objects/",
        target=GROUP,
        body="json",
        build=lambda t: {"objects": [marking_definition(Tlp.GREEN)]},
    ),
    SharingRoute("GET", "/api/taxii2/vigil/status/{status_id}/", target=GROUP),
]

# Columns: an su tl ta aa sa au. Groups: OWN is the actor's agency's group (the operator
# agency's for the system administrator), OTHER a group of another agency that the
# actor's agency belongs to (the system administrator's does not).
LISTERS = "ok  ok  ok  ok  ok  403 ok "
READ_GROUP = {OWN: "ok  ok  ok  ok  ok  404 ok ", OTHER: "ok  ok  ok  ok  404 404 404"}
MANAGE_GROUP = {OWN: "403 ok  403 403 ok  404 403", OTHER: "403 403 403 403 404 404 404"}
SHARE_TO_GROUP = {OWN: "ok  ok  403 403 403 404 403", OTHER: "403 403 403 403 404 404 404"}
READ_COLLECTION = {OWN: "ok  ok  ok  ok  404 404 404", OTHER: "ok  ok  ok  ok  404 404 404"}
HIDDEN = "404 " * 7
READ_LOG = {OWN: "ok  ok  ok  ok  404 404 404", OTHER: HIDDEN}
EXPORT = {OWN: "ok  ok  404 404 404 404 404", OTHER: HIDDEN}
IMPORTERS = "ok  ok  403 403 403 403 403"
CREATE_GROUP = "403 ok  403 403 ok  403 403"
# A subscription of the actor's agency (OWN), or of another agency (OTHER).
SUBSCRIBED = {OWN: "ok  ok  404 404 404 404 404", OTHER: HIDDEN}
# TAXII add-objects: members and the owner who may import; others who read get 403.
WRITE_COLLECTION = {OWN: "ok  ok  403 403 404 404 404", OTHER: "ok  ok  403 403 404 404 404"}
# A TAXII status of the actor's agency (OWN) or of another agency (OTHER).
READ_STATUS = {OWN: "ok  ok  403 403 403 403 403", OTHER: "404 404 403 403 403 403 403"}

SHARING_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /sharing/groups": LISTERS,
    "POST /sharing/groups": CREATE_GROUP,
    "GET /sharing/groups/{group_id}": READ_GROUP,
    "POST /sharing/groups/{group_id}/members": MANAGE_GROUP,
    "POST /sharing/groups/{group_id}/members/{member_agency_id}/remove": MANAGE_GROUP,
    "POST /sharing/groups/{group_id}/shares": SHARE_TO_GROUP,
    "POST /sharing/groups/{group_id}/shares/{report_id}/revoke": SHARE_TO_GROUP,
    "GET /sharing/reports/{report_id}": READ_LOG,
    "GET /sharing/reports/{report_id}/received": READ_LOG,
    "POST /sharing/reports/{report_id}/export": EXPORT,
    "GET /sharing/import": IMPORTERS,
    "POST /sharing/import": IMPORTERS,
    "POST /api/v1/sharing/export": EXPORT,
    "POST /api/v1/sharing/import": IMPORTERS,
    "GET /api/v1/sharing/reports/{report_id}/disseminations": READ_LOG,
    "GET /sharing/subscriptions": IMPORTERS,
    "POST /sharing/subscriptions": IMPORTERS,
    "POST /sharing/subscriptions/{subscription_id}/pull": SUBSCRIBED,
    "POST /sharing/subscriptions/{subscription_id}/stop": SUBSCRIBED,
    "POST /sharing/subscriptions/{subscription_id}/resume": SUBSCRIBED,
    "GET /sharing/deconfliction": IMPORTERS,
    "POST /sharing/deconfliction": IMPORTERS,
    "POST /api/v1/sharing/deconfliction": IMPORTERS,
    "GET /api/taxii2/": LISTERS,
    "GET /api/taxii2/vigil/": LISTERS,
    "GET /api/taxii2/vigil/collections/": LISTERS,
    "GET /api/taxii2/vigil/collections/{collection_id}/": READ_COLLECTION,
    "GET /api/taxii2/vigil/collections/{collection_id}/objects/": READ_COLLECTION,
    "GET /api/taxii2/vigil/collections/{collection_id}/objects/{object_id}/": READ_COLLECTION,
    "GET /api/taxii2/vigil/collections/{collection_id}/manifest/": READ_COLLECTION,
    "POST /api/taxii2/vigil/collections/{collection_id}/objects/": WRITE_COLLECTION,
    "GET /api/taxii2/vigil/status/{status_id}/": READ_STATUS,
}
