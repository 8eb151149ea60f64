"""Routing a new tip to the agency responsible for it: routing rules by school or place,
else the operator agency. (A person can still route a report by hand afterwards.)"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform.models import Agency
from vigil.reports.models import RoutingRule

PLACE = "place"
SCHOOL = "school"
MATCH_KINDS = (SCHOOL, PLACE)  # a school is more specific than a place: it is tried first
_WORD = re.compile(r"\w+")


class NoOperatorAgency(LookupError):
    """No active operator agency exists to receive unrouted tips (run ``vigil init``)."""


def rule_value(text: str) -> str:
    """The form a routing rule's value is stored and compared in: case-folded, with
    runs of white space made one space."""
    return " ".join(text.casefold().split())


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return size > 0 and any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


@dataclass(frozen=True)
class Candidate:
    """A routing rule as the decision sees it."""

    rule_id: int
    agency_id: int
    match_kind: str
    value: str


def choose_rule(
    rules: Iterable[Candidate], *, place: str | None, school: str | None
) -> Candidate | None:
    """The rule that decides where a tip goes, or None.

    A rule matches when its words appear, in order and as whole words, in what the
    tipster wrote ("springfield" matches "12 Main St, Springfield, IL"; "field" does
    not). School rules are tried before place rules; among the rules of one kind that
    match, the longest value wins (the most specific), then the oldest rule.
    """
    given = {SCHOOL: _words(school or ""), PLACE: _words(place or "")}
    ordered = sorted(rules, key=lambda c: (-len(_words(c.value)), c.rule_id))
    for kind in MATCH_KINDS:
        for candidate in ordered:
            if candidate.match_kind == kind and _contains(given[kind], _words(candidate.value)):
                return candidate
    return None


def operator_agency_id(db: Session) -> int:
    """The agency that runs this instance: it receives every tip no rule routes."""
    found = db.execute(
        select(Agency.id)
        .where(Agency.is_operator.is_(True), Agency.active.is_(True))
        .order_by(Agency.id)
        .limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise NoOperatorAgency("No active operator agency to receive tips; run `vigil init`.")
    return found


def route_for(db: Session, *, place: str | None, school: str | None) -> int:
    """The id of the agency a tip about ``place`` and ``school`` goes to: the agency of
    the matching routing rule (only active agencies), else the operator agency."""
    if (place and place.strip()) or (school and school.strip()):
        rows = db.execute(
            select(RoutingRule.id, RoutingRule.agency_id, RoutingRule.match_kind, RoutingRule.value)
            .join(Agency, Agency.id == RoutingRule.agency_id)
            .where(Agency.active.is_(True), RoutingRule.match_kind.in_(MATCH_KINDS))
        ).all()
        chosen = choose_rule(
            (Candidate(row.id, row.agency_id, row.match_kind, row.value) for row in rows),
            place=place,
            school=school,
        )
        if chosen is not None:
            return chosen.agency_id
    return operator_agency_id(db)
