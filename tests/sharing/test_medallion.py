"""Interoperability with an independent TAXII 2.1 server: medallion (the OASIS TC's
reference server, memory backend) on loopback. A bundle Vigil exports is accepted by
medallion's add-objects endpoint through taxii2-client, read back from it, and imports
into another agency as the same report (export again gives the same objects). The
extension definition stays behind (a medallion limitation, see the test)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from taxii2client.v21 import Collection, as_pages  # type: ignore[import-untyped]
from werkzeug.serving import make_server

from tests.sharing.factories import full_report, make_partners
from vigil.sharing import stix_export, stix_import

COLLECTION = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
USER, PASSWORD = "vigil", "interop-password-for-tests"


def _data() -> dict[str, Any]:
    return {
        "/discovery": {
            "title": "Medallion for Vigil's interoperability tests",
            "default": "http://127.0.0.1/partner/",
            "api_roots": ["http://127.0.0.1/partner/"],
        },
        "partner": {
            "information": {
                "title": "Partner",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "Shared with partners",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }


@pytest.fixture(scope="session")
def medallion(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One medallion for the whole session: its Flask app is a module-level singleton
    whose blueprints can be registered only once."""
    import medallion  # type: ignore[import-untyped]

    folder: Path = tmp_path_factory.mktemp("medallion")
    data, config = folder / "data.json", folder / "config.json"
    data.write_text(json.dumps(_data()))
    config.write_text(
        json.dumps(
            {
                "backend": {
                    "module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": str(data),
                },
                "users": {USER: PASSWORD},
                "taxii": {"max_page_size": 100},
            }
        )
    )
    app = medallion.load_app(str(config))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_a_vigil_bundle_travels_through_medallion_unchanged(db, settings, medallion: str) -> None:
    staff = make_partners(db)
    report = full_report(db, staff.home, marking="AMBER")
    bundle = stix_export.export_reports(
        db,
        actor=staff.actor(staff.analyst),
        report_ids=[report.id],
        recipient="Partner TAXII server",
        reason="Interoperability test through medallion",
    ).bundle
    # medallion 3 reads an extension-definition's "version" (a semantic version, "1.0.0")
    # as a timestamp and fails every later read of the collection: that one object stays
    # behind. The importer does not need it (the extension is known by its id).
    sent = [o for o in json.loads(bundle)["objects"] if o["type"] != "extension-definition"]
    collection = Collection(
        f"{medallion}/partner/collections/{COLLECTION}/", user=USER, password=PASSWORD
    )
    before = {
        o["id"]
        for page in as_pages(collection.get_objects, per_request=50)
        for o in page.get("objects", [])
    }
    status = collection.add_objects(json.dumps({"objects": sent}))
    # Objects the collection already holds (from the other database's run: Vigil's own
    # identity, the marking definition) are refused as duplicates; all else is added.
    assert status.status == "complete"
    assert {f["id"] for f in status.failures or []} == {o["id"] for o in sent} & before
    assert status.success_count == len([o for o in sent if o["id"] not in before])

    received: list[dict[str, Any]] = []
    for envelope in as_pages(collection.get_objects, per_request=5):
        received.extend(envelope.get("objects", []))
    assert {o["id"] for o in sent} <= {o["id"] for o in received}
    received = [o for o in received if o["id"] in {s["id"] for s in sent}]

    outcome = stix_import.import_bundle(
        db,
        actor=staff.actor(staff.partner_analyst),
        settings=settings,
        text=json.dumps({"objects": received}),
        channel="taxii",
    )
    assert outcome.count("imported") == 1 and outcome.count("rejected") == 0
    again = stix_export.export_reports(
        db,
        actor=staff.actor(staff.partner_analyst),
        report_ids=outcome.report_ids,
        recipient="Back to the home agency",
        reason="Interoperability test through medallion",
    ).bundle
    back = {o["id"]: o for o in json.loads(again)["objects"] if o["type"] != "extension-definition"}
    assert back == {o["id"]: o for o in sent}
