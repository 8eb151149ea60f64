"""Public CAP 1.2 alerts: checking what a supervisor writes, building the CAP XML with
lxml, validating it against the OASIS CAP 1.2 schema shipped in the package (every
message, before it is stored), and issuing Alerts, Updates and Cancels.

A public alert holds no personal data: the sender is the agency (an address made from
its id and the instance's host, and its name), never the user who issued it, and free
text that holds an e-mail address or a social security number is refused."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.types import utcnow
from vigil.sharing.bulletin_models import PublicAlert

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "CAP-v1.2.xsd"
MEDIA_TYPE = "application/cap+xml"

STATUSES = ("Actual", "Exercise", "Test")
MSG_TYPES = ("Alert", "Update", "Cancel")
CATEGORIES = ("Security", "Safety")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
MAX_DURATION = timedelta(days=30)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
# Characters XML 1.0 cannot carry at all: lxml would refuse them at build time.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
NUMBER = r"-?\d{1,3}(?:\.\d{1,7})?"
POINT = re.compile(rf"^({NUMBER}),({NUMBER})$")
RADIUS = re.compile(r"^\d{1,5}(?:\.\d{1,3})?$")


class InvalidCap(ValueError):
    """A CAP document that the OASIS schema refuses."""


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))


def validate(document: bytes) -> None:
    """Raise InvalidCap unless ``document`` is CAP 1.2 that the schema accepts."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as error:
        raise InvalidCap(f"not well-formed XML: {error.msg}") from None
    schema = _schema()
    if not schema.validate(root):
        first = schema.error_log.filter_from_errors()[0]
        raise InvalidCap(f"line {first.line}: {first.message}")


@dataclass(frozen=True)
class AlertInput:
    """A public alert as written (strings, as a form or JSON sends them)."""

    status: str = "Actual"
    msg_type: str = "Alert"
    references: str = ""  # the identifier of the alert an Update or Cancel follows
    category: str = "Safety"
    event: str = ""
    urgency: str = ""
    severity: str = ""
    certainty: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    area_desc: str = ""
    polygon: str = ""
    circle: str = ""
    effective: str = ""
    expires: str = ""


@dataclass(frozen=True)
class Checked:
    status: str
    msg_type: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    area_desc: str
    polygon: str | None
    circle: str | None
    effective: datetime
    expires: datetime


def _choice(value: str, allowed: tuple[str, ...], field: str, errors: dict[str, str]) -> str:
    if value not in allowed:
        errors[field] = "Choose one of: " + ", ".join(allowed) + "."
    return value


def _text(
    value: str, field: str, minimum: int, maximum: int, errors: dict[str, str], *, lines: bool
) -> str:
    raw = (value or "").strip()
    cleaned = (
        "\n".join(line.rstrip() for line in raw.splitlines()) if lines else " ".join(raw.split())
    )
    if NOT_XML.search(cleaned):
        errors[field] = "Remove the control characters."
    elif not minimum <= len(cleaned) <= maximum:
        errors[field] = f"Write {minimum} to {maximum} characters."
    elif EMAIL.search(cleaned) or SSN.search(cleaned):
        errors[field] = (
            "A public alert may not hold personal data: remove the e-mail address or "
            "identity number."
        )
    return cleaned


def _point(text: str) -> tuple[float, float] | None:
    match = POINT.match(text)
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _polygon(value: str, errors: dict[str, str]) -> str | None:
    pairs = value.split()
    if not pairs:
        return None
    points = [_point(pair) for pair in pairs]
    if len(pairs) > 500 or any(point is None for point in points):
        errors["polygon"] = (
            "Write the polygon as latitude,longitude pairs separated by spaces "
            "(WGS 84, latitude -90 to 90, longitude -180 to 180)."
        )
    elif len(points) < 4 or points[0] != points[-1]:
        errors["polygon"] = "A polygon needs at least four points, the last equal to the first."
    return " ".join(pairs)


def _circle(value: str, errors: dict[str, str]) -> str | None:
    parts = value.split()
    if not parts:
        return None
    if len(parts) != 2 or _point(parts[0]) is None or not RADIUS.match(parts[1]):
        errors["circle"] = (
            "Write the circle as latitude,longitude and a radius in kilometres, "
            "for example 38.9,-77.03 2.5."
        )
    return " ".join(parts)


def _when(value: str, field: str, errors: dict[str, str]) -> datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        errors[field] = "Write a date and time as YYYY-MM-DDTHH:MM (UTC) or with an offset."
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0)


def check(data: AlertInput, *, now: datetime) -> Checked:
    """Every field checked at once; InvalidInput names each problem."""
    errors: dict[str, str] = {}
    status = _choice(data.status, STATUSES, "status", errors)
    msg_type = _choice(data.msg_type, MSG_TYPES, "msg_type", errors)
    category = _choice(data.category, CATEGORIES, "category", errors)
    urgency = _choice(data.urgency, URGENCIES, "urgency", errors)
    severity = _choice(data.severity, SEVERITIES, "severity", errors)
    certainty = _choice(data.certainty, CERTAINTIES, "certainty", errors)
    event = _text(data.event, "event", 3, 200, errors, lines=False)
    headline = _text(data.headline, "headline", 5, 160, errors, lines=False)
    description = _text(data.description, "description", 10, 4000, errors, lines=True)
    instruction = _text(data.instruction, "instruction", 5, 4000, errors, lines=True)
    area_desc = _text(data.area_desc, "area_desc", 3, 300, errors, lines=False)
    polygon = _polygon(data.polygon or "", errors)
    circle = _circle(data.circle or "", errors)
    start = now.astimezone(UTC).replace(microsecond=0)
    effective = _when(data.effective, "effective", errors) or start
    expires = _when(data.expires, "expires", errors)
    if expires is None and "expires" not in errors:
        errors["expires"] = "Say when the alert expires."
    elif expires is not None:
        if expires <= max(effective, start):
            errors["expires"] = "The alert must expire after it takes effect and after now."
        elif expires - effective > MAX_DURATION:
            errors["expires"] = "An alert lasts at most 30 days; issue an Update to extend it."
    if effective < start - timedelta(days=1):
        errors["effective"] = "An alert cannot take effect more than a day in the past."
    if msg_type == "Alert" and (data.references or "").strip():
        errors["references"] = "Only an Update or a Cancel refers to an earlier alert."
    if msg_type in ("Update", "Cancel") and not (data.references or "").strip():
        errors["references"] = "Choose the alert this message updates or cancels."
    if errors or expires is None:  # a missing expiry is among the errors
        raise InvalidInput(errors)
    return Checked(
        status=status,
        msg_type=msg_type,
        category=category,
        event=event,
        urgency=urgency,
        severity=severity,
        certainty=certainty,
        headline=headline,
        description=description,
        instruction=instruction,
        area_desc=area_desc,
        polygon=polygon,
        circle=circle,
        effective=effective,
        expires=expires,
    )


def cap_time(when: datetime) -> str:
    """CAP's dateTime: seconds and a numeric offset, never "Z" (the schema's pattern)."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def build(
    checked: Checked,
    *,
    identifier: str,
    sender: str,
    sender_name: str,
    sent: datetime,
    references: str | None,
    web: str,
) -> bytes:
    """The CAP 1.2 document, validated against the schema (InvalidCap if refused)."""

    def add(parent: etree._Element, name: str, text: str | None) -> None:
        if text is not None:
            etree.SubElement(parent, f"{{{CAP_NS}}}{name}").text = text

    alert = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    add(alert, "identifier", identifier)
    add(alert, "sender", sender)
    add(alert, "sent", cap_time(sent))
    add(alert, "status", checked.status)
    add(alert, "msgType", checked.msg_type)
    add(alert, "scope", "Public")
    add(alert, "references", references)
    info = etree.SubElement(alert, f"{{{CAP_NS}}}info")
    add(info, "language", "en-US")
    add(info, "category", checked.category)
    add(info, "event", checked.event)
    add(info, "urgency", checked.urgency)
    add(info, "severity", checked.severity)
    add(info, "certainty", checked.certainty)
    add(info, "effective", cap_time(checked.effective))
    add(info, "expires", cap_time(checked.expires))
    add(info, "senderName", sender_name)
    add(info, "headline", checked.headline)
    add(info, "description", checked.description)
    add(info, "instruction", checked.instruction)
    add(info, "web", web)
    area = etree.SubElement(info, f"{{{CAP_NS}}}area")
    add(area, "areaDesc", checked.area_desc)
    add(area, "polygon", checked.polygon)
    add(area, "circle", checked.circle)
    document: bytes = etree.tostring(alert, xml_declaration=True, encoding="UTF-8")
    validate(document)
    return document


def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def _latest(db: Session, thread: str) -> PublicAlert | None:
    return db.execute(
        select(PublicAlert)
        .where(PublicAlert.thread_identifier == thread)
        .order_by(PublicAlert.sent_at.desc(), PublicAlert.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def issue(db: Session, *, actor: Actor, data: AlertInput, base_url: str) -> PublicAlert:
    """Issue a public Alert, or an Update or Cancel of the latest message of one of the
    agency's current alerts; the XML is validated before it is stored."""
    policy.authorize(actor, "issue", "public_alert")
    _, agency_id = actor.member_ids()
    now = utcnow()
    checked = check(data, now=now)
    thread: list[PublicAlert] = []
    if checked.msg_type != "Alert":
        earlier = db.execute(
            select(PublicAlert).where(PublicAlert.identifier == data.references.strip())
        ).scalar_one_or_none()
        if earlier is None or not policy.decide(actor, "follow_up", "public_alert", earlier):
            raise InvalidInput({"references": "Choose one of your agency's current alerts."})
        latest = _latest(db, earlier.thread_identifier)
        if latest is None or latest.id != earlier.id:
            raise InvalidInput({"references": "Refer to the latest message of the alert."})
        if earlier.msg_type == "Cancel" or earlier.expires_at <= now:
            raise InvalidInput({"references": "That alert is cancelled or expired."})
        if checked.status != earlier.status:
            raise InvalidInput({"status": f"Keep the status of the alert: {earlier.status}."})
        thread = list(
            db.execute(
                select(PublicAlert)
                .where(PublicAlert.thread_identifier == earlier.thread_identifier)
                .order_by(PublicAlert.sent_at, PublicAlert.id)
            ).scalars()
        )
    agency = db.get_one(Agency, agency_id)
    identifier = f"vigil-{uuid.uuid4()}"
    base = base_url.rstrip("/")
    references = (
        " ".join(
            f"{old.xml_sender},{old.identifier},{cap_time(old.sent_at)}"
            for old in (_Sent(row) for row in thread)
        )
        or None
    )
    document = build(
        checked,
        identifier=identifier,
        sender=f"vigil-agency-{agency.id}@{_host(base)}",
        sender_name=agency.name[:200],
        sent=now,
        references=references,
        web=f"{base}/alerts/{identifier}.xml",
    )
    alert = PublicAlert(
        identifier=identifier,
        thread_identifier=thread[0].identifier if thread else identifier,
        agency_id=agency.id,
        issued_by_user_id=actor.user_id,
        sent_at=now.replace(microsecond=0),
        status=checked.status,
        msg_type=checked.msg_type,
        event=checked.event,
        headline=checked.headline,
        area_desc=checked.area_desc,
        expires_at=checked.expires,
        xml=document.decode("utf-8"),
    )
    db.add(alert)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="public_alert.issue",
        object_type="public_alert",
        object_id=alert.id,
        details={"msg_type": alert.msg_type, "status": alert.status, "thread": len(thread)},
    )
    return alert


class _Sent:
    """An earlier message as its references entry names it (sender as written)."""

    def __init__(self, row: PublicAlert) -> None:
        root = etree.fromstring(row.xml.encode("utf-8"))
        self.xml_sender = root.findtext(f"{{{CAP_NS}}}sender") or ""
        self.identifier = row.identifier
        self.sent_at = row.sent_at


def agency_alerts(db: Session, *, actor: Actor, limit: int = 200) -> list[PublicAlert]:
    """The alerts the actor's agency issued, newest first."""
    policy.authorize(actor, "list", "public_alert")
    return list(
        db.execute(
            select(PublicAlert)
            .where(policy.scope(actor, "list", "public_alert"))
            .order_by(PublicAlert.sent_at.desc(), PublicAlert.id.desc())
            .limit(limit)
        ).scalars()
    )


def current(db: Session, *, actor: Actor, now: datetime, limit: int = 500) -> list[PublicAlert]:
    """The latest message of every public alert not yet expired (a Cancel stays listed
    until the alert would have expired, so pollers learn of it), newest first."""
    policy.authorize(actor, "read_public", "public_alert")
    rows = db.execute(
        select(PublicAlert)
        .where(policy.scope(actor, "read_public", "public_alert"), PublicAlert.expires_at > now)
        .order_by(PublicAlert.sent_at.desc(), PublicAlert.id.desc())
        .limit(limit * 4)
    ).scalars()
    seen: set[str] = set()
    latest: list[PublicAlert] = []
    for row in rows:
        if row.thread_identifier not in seen:
            seen.add(row.thread_identifier)
            latest.append(row)
    return latest[:limit]


def public_document(db: Session, *, actor: Actor, identifier: str) -> PublicAlert:
    """One public alert by its CAP identifier (expired ones stay readable)."""
    policy.authorize(actor, "read_public", "public_alert")
    if len(identifier) > 120:
        raise NotFound("public_alert")
    found = db.execute(
        select(PublicAlert).where(
            PublicAlert.identifier == identifier,
            policy.scope(actor, "read_public", "public_alert"),
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("public_alert")
    return found
