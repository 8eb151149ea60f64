"""Instrument definitions are validated data: the shipped ones hold, broken ones are
refused with every problem named, and a team adds a new instrument (or version)
without a migration and assesses with it."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from tests.assessment.case_factories import make_staff, open_case
from vigil.assessment import assessments as assessing
from vigil.assessment import cases, instruments
from vigil.assessment.instrument_schema import parse_definition
from vigil.assessment.suggestion import fired_rules
from vigil.platform.actor import command_line
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.policy import PermissionDenied

CSTAG: dict[str, Any] = {
    "key": "cstag_screen",
    "version": 1,
    "title": "Local screening (CSTAG-style)",
    "scales": {
        "yn": [
            {"value": "yes", "label": "Yes", "concern": True},
            {"value": "no", "label": "No"},
        ]
    },
    "sections": [
        {
            "key": "screen",
            "title": "Screening",
            "items": [
                {"key": "transient", "label": "Easily resolved as transient?", "scale": "yn"},
                {"key": "serious", "label": "Intent to injure or kill?", "scale": "yn"},
            ],
        }
    ],
    "rules": [
        {
            "level": "high",
            "text": "A serious substantive threat",
            "all": [{"items": ["serious"], "answers": ["yes"], "at_least": 1}],
        }
    ],
}


def test_the_shipped_instruments_are_valid_and_complete():
    by_key = {d.key: d for d in instruments.builtin_definitions()}
    assert set(by_key) == {"ntac", "trap18", "pathway"}
    assert len(by_key["ntac"].items_by_key()) == 13
    trap = by_key["trap18"]
    assert [len(s.items) for s in trap.sections] == [8, 10]
    stages = [o.value for o in by_key["pathway"].scales["stage"]]
    assert stages[1:7] == [
        "grievance",
        "ideation",
        "research_planning",
        "preparation",
        "breach",
        "attack",
    ]


def _broken(**change: Any) -> dict[str, Any]:
    definition = copy.deepcopy(CSTAG)
    for path, value in change.items():
        target = definition
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    return definition


@pytest.mark.parametrize(
    "definition,expected",
    [
        (_broken(key="Bad Key"), "key"),
        (_broken(sections__0__items__0__scale="nope"), "unknown scale"),
        (_broken(sections__0__items__1__key="transient"), "distinct"),
        (_broken(rules__0__all=[{"items": ["ghost"], "answers": ["yes"]}]), "unknown item"),
        (_broken(rules__0__all=[{"items": ["serious"], "answers": ["perhaps"]}]), "perhaps"),
        (
            _broken(rules__0__all=[{"section": "screen", "answers": ["yes"], "at_least": 3}]),
            "more items",
        ),
        (_broken(rules__0__level="catastrophic"), "level must be"),
        (_broken(scales={"yn": [{"value": "yes", "label": "Yes"}]}), "two or more"),
        (_broken(surprise=1), "surprise"),
        (
            _broken(
                rules__0__all=[{"items": ["serious"], "section": "screen", "answers": ["yes"]}]
            ),
            "either items or a section",
        ),
    ],
)
def test_broken_definitions_are_refused_with_the_reason(definition, expected):
    with pytest.raises(ValueError) as problem:
        parse_definition(definition)
    assert expected in str(problem.value)


def test_concern_conditions_count_answers_the_scale_marks():
    definition = parse_definition(
        _broken(rules__0__all=[{"section": "screen", "concern": True, "at_least": 2}])
    )
    assert fired_rules(definition, {"transient": "yes", "serious": "no"}) == []
    assert [r.level for r in fired_rules(definition, {"transient": "yes", "serious": "yes"})] == [
        "high"
    ]


def test_a_team_adds_an_instrument_without_a_migration_and_assesses_with_it(db):
    staff = make_staff(db)
    lead = staff.actor(staff.lead)
    with pytest.raises(PermissionDenied):
        instruments.add_instrument(db, actor=staff.actor(staff.analyst), data=CSTAG)
    with pytest.raises(InvalidInput) as problem:
        instruments.add_instrument(db, actor=lead, data=_broken(rules__0__level="nope"))
    assert any("level must be" in message for message in problem.value.errors.values())
    added = instruments.add_instrument(db, actor=lead, data=CSTAG)
    with pytest.raises(Conflict):
        instruments.add_instrument(db, actor=lead, data=CSTAG)  # same version again
    newer = instruments.add_instrument(db, actor=command_line("ops"), data=_broken(version=2))
    current = {i.key: i.version for i in instruments.list_instruments(db, actor=lead)}
    assert current["cstag_screen"] == 2 and current["trap18"] == 1
    every = instruments.list_instruments(db, actor=lead, current_only=False)
    assert {added.id, newer.id} <= {i.id for i in every}

    case = open_case(db, staff)
    draft = assessing.start_assessment(
        db,
        actor=lead,
        case_id=case.id,
        instrument_id=added.id,
        subject_id=cases.subjects(db, case)[0].id,
    )
    answer = assessing.AnswerInput
    assessing.save_answers(
        db,
        actor=lead,
        case_id=case.id,
        assessment_id=draft.id,
        answers={
            "transient": answer(answer="no", sources="Interview", observed_on=date(2026, 1, 5)),
            "serious": answer(answer="yes", sources="Interview", observed_on=date(2026, 1, 5)),
        },
        complete=True,
    )
    suggestion = assessing.case_suggestion(db, case)
    assert suggestion.level == "high"
    assert suggestion.fired[0].instrument == "Local screening (CSTAG-style) v1"


def test_uploads_must_be_json():
    with pytest.raises(InvalidInput):
        instruments.parse_upload(b"\xff\xfe not json")
    with pytest.raises(InvalidInput):
        instruments.parse_upload(b"{" * (instruments.MAX_DEFINITION_BYTES + 1))
    assert instruments.parse_upload(b'{"key": "x"}') == {"key": "x"}
