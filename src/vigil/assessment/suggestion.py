"""The suggested risk level: each instrument's explicit rules applied to its answers.

A suggestion is evidence for the team, never a decision: the page shows every rule
that fired and the team records the level, with its rationale, themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vigil.assessment.instrument_schema import Condition, InstrumentDefinition
from vigil.assessment.vocabulary import LEVEL_RANK


@dataclass(frozen=True)
class FiredRule:
    instrument: str  # the instrument's title and version
    level: str
    text: str
    items: tuple[str, ...]  # the labels of the items whose answers fired it


@dataclass(frozen=True)
class Suggestion:
    level: str | None  # None until an assessment has answers
    fired: tuple[FiredRule, ...]
    basis: str  # how the level follows from the rules, in words


def _matching_items(
    definition: InstrumentDefinition, condition: Condition, answers: Mapping[str, str | None]
) -> list[str]:
    items = definition.items_by_key()
    hits = []
    for key in definition.condition_items(condition):
        answer = answers.get(key)
        if answer is None:
            continue
        if condition.concern:
            options = definition.scales[items[key].scale]
            if any(option.value == answer and option.concern for option in options):
                hits.append(key)
        elif answer in (condition.answers or ()):
            hits.append(key)
    return hits


def fired_rules(
    definition: InstrumentDefinition, answers: Mapping[str, str | None]
) -> list[FiredRule]:
    """The rules of one instrument that its answers satisfy."""
    labels = {key: item.label for key, item in definition.items_by_key().items()}
    fired = []
    for rule in definition.rules:
        evidence: list[str] = []
        for condition in rule.all:
            hits = _matching_items(definition, condition, answers)
            if len(hits) < condition.at_least:
                break
            evidence.extend(hit for hit in hits if hit not in evidence)
        else:
            fired.append(
                FiredRule(
                    instrument=f"{definition.title} v{definition.version}",
                    level=rule.level,
                    text=rule.text,
                    items=tuple(labels[key] for key in evidence),
                )
            )
    return fired


def suggest(
    assessed: Iterable[tuple[InstrumentDefinition, Mapping[str, str | None]]],
) -> Suggestion:
    """Combine the latest assessment of each instrument: the highest level any rule
    reaches; "low" when answers exist and no rule fired."""
    fired: list[FiredRule] = []
    answered = False
    for definition, answers in assessed:
        answered = answered or any(value is not None for value in answers.values())
        fired.extend(fired_rules(definition, answers))
    if not answered:
        return Suggestion(None, (), "No answers recorded yet.")
    if not fired:
        return Suggestion("low", (), "Answers are recorded and no rule for a higher level fired.")
    fired.sort(key=lambda rule: -LEVEL_RANK[rule.level])
    return Suggestion(
        fired[0].level, tuple(fired), "The highest level reached by any rule that fired."
    )
