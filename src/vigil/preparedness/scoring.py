"""Scoring an assessment from its answers: each section's share of its weighted points,
the overall score, the vulnerability it gives, and the findings its answers produce.
Pure functions of the instrument definition and the answers."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.preparedness.instruments import Finding, InstrumentDefinition, Question


@dataclass(frozen=True)
class Scores:
    """Scores from 0 (nothing in place) to 1 (everything in place); None where every
    answered question of a section does not apply, or nothing is answered yet."""

    sections: dict[str, float | None]
    overall: float | None
    vulnerability: float | None
    answered: int
    questions: int


def vulnerability_from(definition: InstrumentDefinition, overall: float) -> float:
    """The chance an attack succeeds, from the overall score: the floor when everything
    is in place, 1 when nothing is."""
    floor = definition.vulnerability_floor
    return floor + (1 - floor) * (1 - overall)


def score(definition: InstrumentDefinition, answers: dict[str, str]) -> Scores:
    sections: dict[str, float | None] = {}
    earned_all = weight_all = 0.0
    answered = 0
    for section in definition.sections:
        earned = weight = 0.0
        for question in section.questions:
            value = answers.get(question.key)
            if value is None:
                continue
            answered += 1
            option = definition.option(question.scale, value)
            if option is None or option.points is None:
                continue
            earned += question.weight * option.points
            weight += question.weight
        sections[section.key] = earned / weight if weight else None
        earned_all += earned
        weight_all += weight
    overall = earned_all / weight_all if weight_all else None
    return Scores(
        sections=sections,
        overall=overall,
        vulnerability=None if overall is None else vulnerability_from(definition, overall),
        answered=answered,
        questions=len(definition.questions()),
    )


@dataclass(frozen=True)
class FindingRow:
    section_key: str
    question: Question
    answer: str
    finding: Finding


def findings(definition: InstrumentDefinition, answers: dict[str, str]) -> list[FindingRow]:
    """The findings the answers produce, in the instrument's order."""
    rows = []
    for section in definition.sections:
        for question in section.questions:
            value = answers.get(question.key)
            if value is not None and value in question.findings:
                rows.append(FindingRow(section.key, question, value, question.findings[value]))
    return rows
