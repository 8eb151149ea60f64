"""Bulk import's work per row: triage split across processes gives `score_urgency`'s
outputs exactly, and a file checked in worker processes gives the same validation report
and the same stored reports as one checked in the importer's own."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_agency
from tests.reports.test_import import QUIET, THREAT, World, csv_bytes, world  # noqa: F401
from tests.reports.test_triage_pinned import cases
from vigil.platform.actor import command_line
from vigil.reports import importer
from vigil.reports.import_rows import finish_triage, triage_narrative
from vigil.reports.triage import score_urgency


def _encoded(rules: list[dict[str, object]]) -> str:
    return json.dumps(rules, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("earlier", [0, 1, 2, 3, 4, 50])
def test_triage_finished_with_earlier_reports_is_score_urgency(earlier: int) -> None:
    for case in cases():
        fields = {
            "behaviors": list(case.get("behaviors", ())),
            "target_types": list(case.get("target_types", ())),
            "weapons": list(case.get("weapons", ())),
        }
        expected = score_urgency(case["narrative"], earlier_reports=earlier, **fields)
        narrative = triage_narrative(
            case["narrative"], fields["behaviors"], fields["target_types"], fields["weapons"]
        )
        assert finish_triage(narrative, earlier) == (
            expected.score,
            expected.level,
            _encoded(expected.as_dict()["rules"]),
        ), case


def test_workers_give_the_same_validation_report_and_reports(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", 3)
    monkeypatch.setattr(importer, "POOL_AFTER_BATCHES", 1)
    rows = [
        {"narrative": f"{THREAT} ({n})", "subject_phones": f"555-01{n % 3:02d}"} for n in range(12)
    ]
    rows[4] = {"narrative": QUIET, "kind": "rumour"}
    rows[9] = {"narrative": "", "latitude": "91"}
    data = csv_bytes(rows)
    ops = command_line("ops")
    outcomes = []
    for workers in (0, 2):
        for partial in (False, True):
            agency = make_agency(world.db, name=f"Agency {workers} {partial}")
            result = world.run(
                data, actor=ops, agency_id=agency.id, workers=workers, partial=partial
            )
            stored = [
                (r.narrative, r.urgency_score, r.urgency_level, r.urgency_rules)
                for r in world.reports(agency)
            ]
            outcomes.append(
                (partial, result.rows, result.valid, result.imported, result.rejected,
                 result.rejections, stored)
            )  # fmt: skip
    assert outcomes[0] == outcomes[2] and outcomes[1] == outcomes[3]
    all_or_nothing, partial = outcomes[0], outcomes[1]
    assert all_or_nothing[1:5] == (12, 10, 0, 2) and all_or_nothing[6] == []
    assert partial[1:5] == (12, 10, 10, 2) and len(partial[6]) == 10
    assert [r.row for r in partial[5]] == [6, 11]
