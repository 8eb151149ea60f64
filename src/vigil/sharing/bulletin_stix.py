"""A published intelligence bulletin as a STIX 2.1 bundle: a ``report`` (the bulletin),
the ``identity`` of its author agency and the TLP 2.0 marking definition of its marking.
Only readers the policy lets export a bulletin get one, and every export writes a
dissemination record (28 CFR 23.20(g)) and an audit event, as report exports do."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import NotFound
from vigil.platform.models import Agency
from vigil.platform.policy.markings import Tlp
from vigil.platform.types import utcnow
from vigil.sharing import bulletins
from vigil.sharing.bulletin_models import Bulletin
from vigil.sharing.models import Dissemination
from vigil.sharing.stix_mapping import EXTENSION_CREATED, agency_identity_id, stix_time
from vigil.sharing.stix_markings import TLP2_IDS, marking_definition

CHANNEL = "bulletin_stix"
REPORT_TYPE = "threat-report"


def bulletin_objects(bulletin: Bulletin, agency_name: str) -> list[dict[str, Any]]:
    """The bundle's objects: the marking definition, the author agency, the report."""
    if bulletin.published_at is None:
        raise ValueError("only a published bulletin has a STIX form")
    tlp = Tlp(bulletin.marking)
    author_id = agency_identity_id(agency_name)
    created = stix_time(bulletin.created_at)
    modified = stix_time(max(bulletin.updated_at, bulletin.created_at))
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": author_id,
        "created": EXTENSION_CREATED,
        "modified": EXTENSION_CREATED,
        "name": agency_name,
        "identity_class": "organization",
    }
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": bulletin.stix_id,
        "created": created,
        "modified": modified,
        "created_by_ref": author_id,
        "name": bulletin.title,
        "description": f"{bulletin.summary}\n\n{bulletin.body}",
        "report_types": [REPORT_TYPE],
        "published": stix_time(bulletin.published_at),
        "labels": ["bulletin"],
        "external_references": [{"source_name": "vigil-bulletin", "external_id": bulletin.number}],
        "object_refs": [author_id],
        "object_marking_refs": [TLP2_IDS[tlp]],
    }
    return [marking_definition(tlp), identity, report]


def make_bundle(bulletin: Bulletin, agency_name: str) -> str:
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": bulletin_objects(bulletin, agency_name),
    }
    return json.dumps(bundle, ensure_ascii=False)


@dataclass(frozen=True)
class BulletinExport:
    bundle: str
    filename: str
    dissemination_id: int


def export_bulletin(db: Session, *, actor: Actor, bulletin_id: int) -> BulletinExport:
    """The bundle of a published bulletin the actor may read, for the actor's agency:
    one dissemination record and one audit event. A bulletin the actor may not read
    is NotFound; a draft (or a reader the policy does not let export) is refused."""
    bulletin = db.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise NotFound("bulletin")
    known = bulletins.facts(db, bulletin)
    if not policy.decide(actor, "read", "bulletin", known):
        raise NotFound("bulletin")
    policy.authorize(actor, "export", "bulletin", known)
    owner = db.get_one(Agency, bulletin.owner_agency_id)
    bundle = make_bundle(bulletin, owner.name)
    reader_agency = db.get(Agency, actor.agency_id) if actor.agency_id else None
    label = f"{reader_agency.name if reader_agency else 'no agency'} (STIX download)"
    record = Dissemination(
        report_id=None,
        stix_id=bulletin.stix_id,
        receipt_number=bulletin.number,
        channel=CHANNEL,
        recipient_agency_id=actor.agency_id,
        recipient_label=label[:200],
        marking=bulletin.marking,
        by_user_id=actor.user_id,
        by_agency_id=actor.agency_id,
        reason=f"STIX 2.1 download of bulletin {bulletin.number}",
        at=utcnow(),
    )
    db.add(record)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="bulletin.export",
        object_type="bulletin",
        object_id=bulletin.id,
        agency_id=bulletin.owner_agency_id,
        details={"dissemination": record.id, "channel": CHANNEL, "marking": bulletin.marking},
    )
    return BulletinExport(
        bundle=bundle,
        filename=f"{bulletin.number}.stix.json",
        dissemination_id=record.id,
    )
