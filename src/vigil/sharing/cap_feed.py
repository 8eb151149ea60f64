"""The public Atom feed of current CAP alerts that alerting systems poll: one entry per
alert (its latest Alert, Update or Cancel), linking to the CAP document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree  # type: ignore[import-untyped]

from vigil.sharing.bulletin_models import PublicAlert
from vigil.sharing.cap import MEDIA_TYPE, cap_time

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA = "application/atom+xml"


def document_url(base_url: str, identifier: str) -> str:
    return f"{base_url.rstrip('/')}/alerts/{identifier}.xml"


def build_feed(alerts: Sequence[PublicAlert], *, base_url: str, now: datetime) -> bytes:
    """An Atom 1.0 (RFC 4287) feed; ``updated`` is the newest message, else now."""
    base = base_url.rstrip("/")

    def add(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> None:
        element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", attrs)
        if text is not None:
            element.text = text

    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    add(feed, "id", f"{base}/alerts/feed.atom")
    add(feed, "title", "Vigil public alerts")
    add(feed, "subtitle", "Current public warnings as CAP 1.2 messages")
    add(feed, "updated", cap_time(max((a.sent_at for a in alerts), default=now)))
    add(feed, "link", rel="self", type=MEDIA, href=f"{base}/alerts/feed.atom")
    author = etree.SubElement(feed, f"{{{ATOM_NS}}}author")
    add(author, "name", "Vigil")
    for alert in alerts:
        entry = etree.SubElement(feed, f"{{{ATOM_NS}}}entry")
        url = document_url(base, alert.identifier)
        add(entry, "id", url)
        prefix = "" if alert.msg_type == "Alert" else f"{alert.msg_type}: "
        add(entry, "title", f"{prefix}{alert.headline}")
        add(entry, "updated", cap_time(alert.sent_at))
        add(entry, "published", cap_time(alert.sent_at))
        add(entry, "summary", f"{alert.event} ({alert.status}) for {alert.area_desc}")
        add(entry, "link", rel="alternate", type=MEDIA_TYPE, href=url)
        add(entry, "category", term=alert.status, label=alert.msg_type)
    result: bytes = etree.tostring(feed, xml_declaration=True, encoding="UTF-8")
    return result
