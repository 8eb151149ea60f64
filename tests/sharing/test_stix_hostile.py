"""Malformed and hostile bundles: each bad object is a clear error of its own, the rest
imports, nothing half-written stays, scripts are stored as inert text, and no URL in a
bundle is ever fetched. Hypothesis fuzzes the importer for a bounded time."""

from __future__ import annotations

import copy
import json
import socket
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.sharing.factories import Partners, full_report, make_partners
from vigil.platform.errors import InvalidInput
from vigil.platform.policy.markings import Tlp
from vigil.reports.models import Report
from vigil.sharing import stix_export, stix_import
from vigil.sharing.models import ImportedReport
from vigil.sharing.stix_markings import TLP2_IDS


@pytest.fixture()
def staff(db) -> Partners:
    return make_partners(db)


@pytest.fixture()
def bundle(db, staff) -> dict[str, Any]:
    report = full_report(db, staff.home)
    text = stix_export.export_reports(
        db,
        actor=staff.actor(staff.analyst),
        report_ids=[report.id],
        recipient="Partner agency",
        reason="Shared for the hostile-input tests",
    ).bundle
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _report(bundle: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in bundle["objects"] if o["type"] == "report")


def _import(db, staff, settings, document: Any):
    text = document if isinstance(document, (str, bytes)) else json.dumps(document)
    return stix_import.import_bundle(
        db, actor=staff.actor(staff.partner_analyst), settings=settings, text=text
    )


def _reports_of(db, staff) -> int:
    return db.execute(
        select(func.count()).select_from(Report).where(Report.owner_agency_id == staff.partner.id)
    ).scalar_one()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "type 'bundle'"),
        ('{"type": "bundle", "objects": {"a": 1}}', "must be a list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"type": "bundle", "objects": [NaN]}', "not JSON"),
        ('{"type": "bundle", "id": "bundle--1", "objects": [' + "9" * 5000 + "]}", "not JSON"),
    ],
)
def test_an_unreadable_bundle_is_refused_whole(db, settings, staff, text, words):
    with pytest.raises(InvalidInput) as refused:
        _import(db, staff, settings, text)
    assert words in refused.value.errors["bundle"]
    assert _reports_of(db, staff) == 0


def test_a_huge_bundle_is_refused_before_it_is_parsed(db, settings, staff):
    huge = '{"type": "bundle", "objects": ["' + "x" * stix_import.MAX_BUNDLE_BYTES + '"]}'
    with pytest.raises(InvalidInput) as refused:
        _import(db, staff, settings, huge)
    assert "larger than" in refused.value.errors["bundle"]


def test_each_bad_object_is_its_own_error_and_the_rest_imports(db, settings, staff, bundle):
    good = copy.deepcopy(bundle)
    bad_report = copy.deepcopy(_report(bundle))
    bad_report["id"] = "report--6ba7b810-9dad-41d1-80b4-00c04fd430c8"
    bad_report["object_marking_refs"] = ["marking-definition--00000000-0000-4000-8000-000000000000"]
    wrong_types = copy.deepcopy(_report(bundle))
    wrong_types["id"] = "report--6ba7b811-9dad-41d1-80b4-00c04fd430c8"
    wrong_types["published"] = 12
    deep: dict[str, Any] = {"a": 1}
    for _ in range(30):
        deep = {"a": deep}
    nested = {
        "type": "x-thing",
        "spec_version": "2.1",
        "id": "x-thing--6ba7b812-9dad-41d1-80b4-00c04fd430c8",
        "deep": deep,
    }
    good["objects"] += [bad_report, wrong_types, nested, "a string", {"type": 5, "id": []}]
    outcome = _import(db, staff, settings, good)
    by_status = {r.stix_id: (r.status, r.message) for r in outcome.results}
    assert outcome.count("imported") == 1
    assert by_status[bad_report["id"]] == (
        "rejected",
        "unknown marking marking-definition--00000000-0000-4000-8000-000000000000: "
        "Vigil cannot enforce it",
    )
    assert by_status[wrong_types["id"]][0] == "rejected"
    assert "not valid STIX 2.1" in by_status[wrong_types["id"]][1]
    assert by_status[nested["id"]] == ("rejected", "nested more than 10 levels deep")
    rejected_without_id = [r for r in outcome.results if r.stix_id is None]
    assert [r.message for r in rejected_without_id] == [
        "not a JSON object",
        "'type' and 'id' must be strings",
    ]
    assert _reports_of(db, staff) == 1


def test_unmarked_doubly_marked_and_granular_reports_are_refused(db, settings, staff, bundle):
    cases = {
        "no TLP marking": [],
        "more than one TLP marking": [TLP2_IDS[Tlp.GREEN], TLP2_IDS[Tlp.RED]],
    }
    for words, refs in cases.items():
        document = copy.deepcopy(bundle)
        _report(document)["object_marking_refs"] = refs
        outcome = _import(db, staff, settings, document)
        (result,) = [r for r in outcome.results if r.type == "report"]
        assert result.status == "rejected" and words in result.message
    document = copy.deepcopy(bundle)
    _report(document)["granular_markings"] = [
        {"marking_ref": TLP2_IDS[Tlp.RED], "selectors": ["description"]}
    ]
    outcome = _import(db, staff, settings, document)
    assert "granular markings" in next(r for r in outcome.results if r.type == "report").message
    # A part marked more strictly than the report would leak through the report.
    document = copy.deepcopy(bundle)
    person = next(o for o in document["objects"] if o.get("identity_class") == "individual")
    person["object_marking_refs"] = [TLP2_IDS[Tlp.RED]]
    outcome = _import(db, staff, settings, document)
    assert (
        "stricter than the report" in next(r for r in outcome.results if r.type == "report").message
    )
    assert _reports_of(db, staff) == 0


def test_a_marking_object_cannot_redefine_a_tlp_id(db, settings, staff, bundle):
    document = copy.deepcopy(bundle)
    marking = next(o for o in document["objects"] if o["id"] == TLP2_IDS[Tlp.GREEN])
    marking["name"] = "TLP:CLEAR"
    marking["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"][
        "tlp_2_0"
    ] = "clear"
    outcome = _import(db, staff, settings, document)
    arrived = db.get(Report, outcome.report_ids[0])
    assert arrived.marking == "GREEN"


def test_bad_report_fields_are_a_clear_error_and_leave_nothing(db, settings, staff, bundle):
    document = copy.deepcopy(bundle)
    extension = next(iter(_report(document)["extensions"].values()))
    extension["behaviors"] = ["not_a_behavior"]
    outcome = _import(db, staff, settings, document)
    (result,) = [r for r in outcome.results if r.type == "report"]
    assert result.status == "rejected" and result.message.startswith("behaviors.0:")
    document = copy.deepcopy(bundle)
    _report(document)["description"] = "x\x00y"
    outcome = _import(db, staff, settings, document)
    assert next(r for r in outcome.results if r.type == "report").status == "rejected"
    assert _reports_of(db, staff) == 0
    assert db.execute(select(func.count()).select_from(ImportedReport)).scalar_one() == 0


def test_scripts_are_stored_as_text_and_urls_are_never_fetched(
    db, settings, staff, bundle, monkeypatch
):
    document = copy.deepcopy(bundle)
    report = _report(document)
    report["external_references"] = [
        {"source_name": "evil", "url": "http://127.0.0.1:9/steal?x=1"},
        {"source_name": "evil2", "url": "file:///etc/passwd"},
    ]
    report["name"] = '<img src=x onerror="alert(1)">'

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the importer opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    outcome = _import(db, staff, settings, document)
    arrived = db.get(Report, outcome.report_ids[0])
    assert "<script>alert(1)</script>" in arrived.narrative  # as text; escaped when shown
    kept = db.execute(select(ImportedReport)).scalar_one()
    assert kept.name == '<img src=x onerror="alert(1)">'
    assert "etc/passwd" not in json.dumps(kept.notes)


def _mutations() -> st.SearchStrategy[Any]:
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=12,
    )
    return st.tuples(
        st.sampled_from(["replace", "delete", "add"]), st.text(max_size=12), json_values
    )


FUZZ_SECONDS = 25.0


def test_importer_fuzzing_never_crashes_or_half_writes(db, settings, staff, bundle):
    """Mutated bundles and arbitrary JSON: the importer answers with results or a
    refusal, never an exception, and every imported report is whole. Bounded in time."""
    started = time.monotonic()
    partner = staff.actor(staff.partner_analyst)

    @hypothesis_settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        mutations=st.lists(st.tuples(st.integers(0, 50), _mutations()), max_size=6),
        noise=st.one_of(st.none(), st.text(max_size=200), st.binary(max_size=200)),
    )
    def run(mutations: list[tuple[int, tuple[str, str, Any]]], noise: Any) -> None:
        if time.monotonic() - started > FUZZ_SECONDS:
            return
        document = copy.deepcopy(bundle)
        for position, (operation, key, value) in mutations:
            target = document["objects"][position % len(document["objects"])]
            key = key or "id"
            if operation == "replace" and key in target:
                target[key] = value
            elif operation == "delete":
                target.pop(key, None)
            else:
                target[key] = value
        text: Any = noise if noise is not None else json.dumps(document)
        with db.begin_nested() as savepoint:
            try:
                outcome = stix_import.import_bundle(db, actor=partner, settings=settings, text=text)
            except InvalidInput as refused:
                assert "bundle" in refused.errors
            else:
                for report_id in outcome.report_ids:
                    arrived = db.get(Report, report_id)
                    assert arrived is not None and arrived.narrative
                    assert db.execute(
                        select(ImportedReport).where(ImportedReport.report_id == report_id)
                    ).scalar_one()
                assert len(outcome.results) >= 1 or outcome.objects == 0
            savepoint.rollback()

    run()
    assert time.monotonic() - started < FUZZ_SECONDS + 30
