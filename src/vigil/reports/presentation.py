"""How a report reads on its page: the narrative with triage words highlighted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Segment:
    text: str
    rules: tuple[str, ...] = ()


def highlighted(narrative: str, rules: list[dict[str, Any]]) -> list[Segment]:
    """Split the narrative into plain and highlighted pieces (escaped by the template)."""
    marks: list[tuple[int, int, str]] = []
    for rule in rules:
        for span in rule.get("spans", []):
            start, end = int(span[0]), int(span[1])
            if 0 <= start < end <= len(narrative):
                marks.append((start, end, str(rule.get("label", rule.get("rule", "")))))
    marks.sort()
    segments: list[Segment] = []
    position = 0
    for start, end, _label in marks:
        if start < position:  # overlapping match: already inside a highlight
            continue
        if start > position:
            segments.append(Segment(narrative[position:start]))
        labels = tuple(sorted({lab for s, e, lab in marks if s < end and e > start}))
        segments.append(Segment(narrative[start:end], labels))
        position = end
    if position < len(narrative):
        segments.append(Segment(narrative[position:]))
    return segments
