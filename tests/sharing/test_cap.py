"""Public CAP 1.2 alerts on both databases: every message Vigil writes validates against
the shipped OASIS schema (and a document it refuses is never stored), every field is
checked, Updates and Cancels reference earlier messages, hostile text stays inert, no
personal data leaves, and the public Atom feed (no sign-in) parses and links to CAP
documents that validate."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import actor_for, make_agency, make_user
from vigil.platform import sessions
from vigil.platform.errors import InvalidInput
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.sharing import cap, cap_feed
from vigil.sharing.bulletin_models import PublicAlert
from vigil.web.app import create_app
from vigil.web.deps import SESSION_COOKIE

NS = {"cap": cap.CAP_NS, "atom": cap_feed.ATOM_NS}
BASE = "https://alerts.example.gov"
SCHEMA = etree.XMLSchema(etree.parse(str(cap.SCHEMA_PATH)))
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def valid(document: bytes | str) -> etree._Element:
    """Parse and validate against the shipped XSD, independently of cap.validate."""
    raw = document.encode() if isinstance(document, str) else document
    root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    SCHEMA.assertValid(root)
    return root


def later(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def alert_input(**changes: str) -> cap.AlertInput:
    base = cap.AlertInput(
        status="Actual",
        msg_type="Alert",
        category="Security",
        event="Active shooter",
        urgency="Immediate",
        severity="Extreme",
        certainty="Observed",
        headline="Shelter in place near Central High School",
        description="Police are responding to reports of a person with a gun at the school.",
        instruction="Stay indoors, lock doors and follow police instructions.",
        area_desc="Central High School and 1 mile around it",
        polygon="38.90,-77.04 38.91,-77.04 38.91,-77.03 38.90,-77.04",
        circle="38.905,-77.035 1.6",
        expires=later(4),
    )
    return replace(base, **changes)


class Staff:
    def __init__(self, db: Session) -> None:
        self.home = make_agency(db, name="Lakeside Police")
        self.other = make_agency(db, name="Valley Sheriff")
        self.supervisor = make_user(
            db, agency=self.home, roles={Role.SUPERVISOR}, username="sgt.jordan.reyes"
        )
        self.supervisor.display_name = "Jordan Reyes"
        self.supervisor.email = "jordan.reyes@lakeside.example.gov"
        self.analyst = make_user(db, agency=self.home, roles={Role.ANALYST})
        self.other_supervisor = make_user(db, agency=self.other, roles={Role.SUPERVISOR})
        db.flush()


@pytest.fixture(autouse=True)
def every_alert_made_is_valid(db: Session) -> Iterator[None]:
    """Whatever a test issued, each stored message validates against the schema."""
    yield
    db.expire_all()
    for document in db.execute(select(PublicAlert.xml)).scalars():
        valid(document)


@pytest.fixture()
def staff(db: Session) -> Staff:
    return Staff(db)


def issue(db: Session, staff: Staff, **changes: str) -> PublicAlert:
    return cap.issue(
        db, actor=actor_for(staff.supervisor), data=alert_input(**changes), base_url=BASE
    )


def test_an_alert_is_valid_cap_with_what_was_written(db: Session, staff: Staff) -> None:
    alert = issue(db, staff)
    root = valid(alert.xml)
    assert root.findtext("cap:identifier", namespaces=NS) == alert.identifier
    assert root.findtext("cap:scope", namespaces=NS) == "Public"
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.find("cap:references", NS) is None
    info = root.find("cap:info", NS)
    assert info.findtext("cap:category", namespaces=NS) == "Security"
    assert info.findtext("cap:senderName", namespaces=NS) == "Lakeside Police"
    assert info.findtext("cap:area/cap:circle", namespaces=NS) == "38.905,-77.035 1.6"
    assert info.findtext("cap:web", namespaces=NS) == f"{BASE}/alerts/{alert.identifier}.xml"
    sent = root.findtext("cap:sent", namespaces=NS)
    assert sent.endswith("+00:00") and "." not in sent
    events = db.execute(
        select(AuditEvent.details).where(AuditEvent.action == "public_alert.issue")
    ).scalars()
    assert [d["msg_type"] for d in events] == ["Alert"]


def test_an_invalid_document_is_refused(db: Session, staff: Staff) -> None:
    with pytest.raises(cap.InvalidCap):
        cap.validate(b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><sender/></alert>')
    with pytest.raises(cap.InvalidCap):
        cap.validate(b"<not-closed")
    checked = cap.check(alert_input(), now=utcnow())
    with pytest.raises(cap.InvalidCap):  # a value the schema's enumeration refuses
        cap.build(
            replace(checked, urgency="Soon"),
            identifier="vigil-x",
            sender="a@b",
            sender_name="A",
            sent=utcnow(),
            references=None,
            web=BASE,
        )
    with pytest.raises(cap.InvalidCap):  # the schema's sent pattern wants an offset
        cap.validate(
            cap.build(
                checked,
                identifier="vigil-y",
                sender="a@b",
                sender_name="A",
                sent=utcnow(),
                references=None,
                web=BASE,
            ).replace(b"+00:00</sent>", b"Z</sent>")
        )
    assert db.execute(select(func.count()).select_from(PublicAlert)).scalar_one() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "Draft"}, "status"),
        ({"msg_type": "Ack"}, "msg_type"),
        ({"category": "Met"}, "category"),
        ({"event": "x"}, "event"),
        ({"urgency": "Soon"}, "urgency"),
        ({"severity": ""}, "severity"),
        ({"certainty": "Sure"}, "certainty"),
        ({"headline": "x" * 161}, "headline"),
        ({"description": "short"}, "description"),
        ({"instruction": ""}, "instruction"),
        ({"area_desc": ""}, "area_desc"),
        ({"polygon": "38.9,-77.0 38.91,-77.0 38.9,-77.0"}, "polygon"),
        ({"polygon": "91,0 1,1 1,2 91,0"}, "polygon"),
        ({"polygon": "a,b c,d e,f a,b"}, "polygon"),
        ({"circle": "38.9,-77.0"}, "circle"),
        ({"circle": "38.9,-190 2"}, "circle"),
        ({"effective": "tomorrow"}, "effective"),
        ({"expires": ""}, "expires"),
        ({"expires": "2001-01-01T00:00"}, "expires"),
        ({"expires": later(24 * 40)}, "expires"),
        ({"references": "vigil-abc"}, "references"),
        ({"msg_type": "Update"}, "references"),
        ({"description": "Call jordan.reyes@lakeside.example.gov for details."}, "description"),
        ({"instruction": "Bring ID 123-45-6789 to the gate."}, "instruction"),
        ({"headline": "Bad \x07 bell"}, "headline"),
    ],
)
def test_every_field_is_validated(
    db: Session, staff: Staff, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        issue(db, staff, **changes)
    assert refused.value.errors.get(field), refused.value.errors
    assert db.execute(select(func.count()).select_from(PublicAlert)).scalar_one() == 0


def test_only_supervisors_issue(db: Session, staff: Staff) -> None:
    with pytest.raises(PermissionDenied):
        cap.issue(db, actor=actor_for(staff.analyst), data=alert_input(), base_url=BASE)


def test_updates_and_cancels_reference_the_earlier_messages(db: Session, staff: Staff) -> None:
    first = issue(db, staff)
    update = issue(
        db, staff, msg_type="Update", references=first.identifier, headline="Police on scene"
    )
    root = valid(update.xml)
    sender = root.findtext("cap:sender", namespaces=NS)
    first_sent = valid(first.xml).findtext("cap:sent", namespaces=NS)
    assert root.findtext("cap:references", namespaces=NS) == (
        f"{sender},{first.identifier},{first_sent}"
    )
    # Only the latest message of a thread can be followed, and only by its agency.
    with pytest.raises(InvalidInput):
        issue(db, staff, msg_type="Cancel", references=first.identifier)
    with pytest.raises(InvalidInput):
        cap.issue(
            db,
            actor=actor_for(staff.other_supervisor),
            data=alert_input(msg_type="Cancel", references=update.identifier),
            base_url=BASE,
        )
    with pytest.raises(InvalidInput):  # an exercise does not continue an actual alert
        issue(db, staff, msg_type="Update", references=update.identifier, status="Exercise")
    cancel = issue(db, staff, msg_type="Cancel", references=update.identifier, headline="All clear")
    references = valid(cancel.xml).findtext("cap:references", namespaces=NS).split()
    assert [entry.split(",")[1] for entry in references] == [first.identifier, update.identifier]
    assert cancel.thread_identifier == first.identifier
    with pytest.raises(InvalidInput):
        issue(db, staff, msg_type="Update", references=cancel.identifier)
    # The feed lists the latest message of the thread only: the Cancel.
    other = issue(db, staff, headline="Road closed near the stadium", status="Exercise")
    current = cap.current(db, actor=actor_for(staff.analyst), now=utcnow())
    assert [a.identifier for a in current] == [other.identifier, cancel.identifier] or [
        a.identifier for a in current
    ] == [cancel.identifier, other.identifier]


def test_hostile_text_stays_inert_and_no_personal_data_leaves(db: Session, staff: Staff) -> None:
    alert = issue(db, staff, description=f"Reports say: {HOSTILE}", event="Threat <img src=x>")
    root = valid(alert.xml)
    assert root.findtext("cap:info/cap:description", namespaces=NS) == f"Reports say: {HOSTILE}"
    assert "<script>" not in alert.xml and "&lt;script&gt;" in alert.xml
    assert not root.xpath("//*[local-name()='script' or local-name()='img']")
    feed = cap_feed.build_feed([alert], base_url=BASE, now=utcnow()).decode()
    for private in (
        staff.supervisor.username,
        staff.supervisor.display_name,
        staff.supervisor.email,
        "Jordan",
    ):
        assert private not in alert.xml and private not in feed


class Site:
    def __init__(self, settings: Settings, factory: sessionmaker[Session], db: Session) -> None:
        self.staff = Staff(db)
        self.token = sessions.create_api_token(db, user=self.staff.supervisor, name="t", days=1)[0]
        self.session = sessions.start_session(db, user=self.staff.supervisor, mfa_verified=True)[0]
        db.commit()
        self.client = TestClient(
            create_app(settings.model_copy(update={"public_url": BASE}), session_factory=factory),
            raise_server_exceptions=False,
            follow_redirects=False,
        )

    def issue(self, **changes: str) -> Any:
        body = {k: v for k, v in vars(alert_input(**changes)).items()}
        return self.client.post(
            "/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {self.token}"}
        )


@pytest.fixture()
def site(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Site]:
    built = Site(settings, session_factory, db)
    with built.client:
        yield built


def test_the_public_feed_parses_and_every_entry_is_valid_cap(site: Site) -> None:
    first = site.issue(description=f"Reports say: {HOSTILE}")
    assert first.status_code == 201, first.text
    site.issue(msg_type="Update", references=first.json()["identifier"], headline="Update one")
    site.issue(headline=f"A test message {HOSTILE}"[:160], status="Test")
    refused = site.issue(urgency="Soon")
    assert refused.status_code == 422 and "urgency" in refused.text
    feed = site.client.get("/alerts/feed.atom")  # no sign-in
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(feed.content)
    assert root.tag == f"{{{cap_feed.ATOM_NS}}}feed"
    assert root.findtext("atom:id", namespaces=NS) and root.findtext("atom:updated", namespaces=NS)
    entries = root.findall("atom:entry", NS)
    assert len(entries) == 2  # the first alert's thread shows its Update only
    titles = sorted(e.findtext("atom:title", namespaces=NS) for e in entries)
    assert titles == [f"A test message {HOSTILE}"[:160], "Update: Update one"]
    for entry in entries:
        link = entry.find("atom:link[@rel='alternate']", NS)
        assert link.get("type") == cap.MEDIA_TYPE
        assert link.get("href").startswith(f"{BASE}/alerts/")
        document = site.client.get(link.get("href").removeprefix(BASE))
        assert document.status_code == 200
        assert document.headers["content-type"].startswith("application/cap+xml")
        message = valid(document.content)
        assert message.findtext("cap:scope", namespaces=NS) == "Public"
        assert "sgt.jordan.reyes" not in document.text and "Jordan" not in document.text
    assert site.client.get("/alerts/vigil-nothing-here.xml").status_code == 404
    site.client.cookies.set(SESSION_COOKIE, site.session)
    page = site.client.get("/alerts")
    assert page.status_code == 200 and "<script>" not in page.text
    assert site.client.get("/alerts/new").status_code == 200
    site.client.cookies.clear()
    listed = site.client.get(
        "/api/v1/alerts", headers={"Authorization": f"Bearer {site.token}"}
    ).json()
    assert len(listed) == 3
