"""How a report reads on its page: the narrative with triage words highlighted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


def time_left(due: datetime, now: datetime) -> str:
    """'2 h 05 min left' or '3 days overdue': how an analyst reads a deadline."""
    seconds = int((due - now).total_seconds())
    late, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        amount = f"{days} day{'s' if days != 1 else ''} {hours} h"
    elif hours:
        amount = f"{hours} h {minutes:02d} min"
    else:
        amount = f"{minutes} min"
    return f"{amount} overdue" if late else f"{amount} left"
