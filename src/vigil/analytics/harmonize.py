"""Harmonising the public data sets: one incident per real-world shooting across
sources, found by probabilistic record linkage, with the evidence for every link, a
review queue for the uncertain pairs, and stable incident ids."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from vigil.analytics.comparisons import (
    DATE_TOLERANCE_DAYS,
    Frequencies,
    Level,
    Unit,
    compare,
    incompatible,
    make_unit,
    probability,
    surname,
    title_words,
)
from vigil.analytics.sources import DATASETS
from vigil.analytics.sources.rows import SourceRow

LINK_THRESHOLD = 0.8
REVIEW_THRESHOLD = 0.2
# Data sets whose several rows of one incident split its victims between them.
_SUMMED = {"fbi_active_shooter_2000_2018"}
_GVA = {"gva_incidents_2013_2018", "gva_mass_shootings_dxzys"}


@dataclass(frozen=True)
class Pair:
    """The evidence about two units of different data sets."""

    a: Unit
    b: Unit
    levels: tuple[Level, ...]
    probability: float
    # 'linked', 'review' (left apart, for a person to look at), 'rejected' (an analyst
    # said two incidents), 'apart'
    decision: str


@dataclass
class Harmonized:
    units: list[Unit]
    incident_of: dict[tuple[str, str], str]  # (dataset, unit key) -> incident id
    pairs: list[Pair]

    def incident_for(self, row: SourceRow, unit_key: str) -> str:
        return self.incident_of[(row.dataset, unit_key)]

    def rows(self) -> Iterable[tuple[SourceRow, str]]:
        """Every source row with its incident id: data sets in catalogue order, then
        files and rows in published order."""
        found = [
            (row, self.incident_of[(unit.dataset, unit.key)])
            for unit in self.units
            for row in unit.rows
        ]
        found.sort(key=lambda item: (item[0].dataset, item[0].file, item[0].row_index))
        yield from found

    @property
    def review_queue(self) -> list[Pair]:
        return [pair for pair in self.pairs if pair.decision == "review"]


def unit_key(row: SourceRow) -> str:
    return f"g:{row.group}" if row.group else f"r:{row.file}:{row.row_index}"


def build_units(rows: Sequence[SourceRow]) -> list[Unit]:
    """Group each data set's rows into incidents (its ``group``), in row order."""
    grouped: dict[tuple[str, str], list[SourceRow]] = {}
    for row in rows:
        grouped.setdefault((row.dataset, unit_key(row)), []).append(row)
    order = {name: index for index, name in enumerate(DATASETS)}
    units = []
    for (dataset, key), members in _merge_duplicates(grouped).items():
        unit = make_unit(dataset, key, members, add_counts=dataset in _SUMMED)
        first = members[0]
        unit.order = (order.get(dataset, len(order)), first.file, first.row_index)
        if len({row.row_key for row in members}) > 1 and dataset not in _SUMMED:
            unit.duplicate_of = "same date, place, killed, injured and shooter or title"
        units.append(unit)
    units.sort(key=lambda unit: unit.order)
    return units


def _merge_duplicates(
    grouped: dict[tuple[str, str], list[SourceRow]],
) -> dict[tuple[str, str], list[SourceRow]]:
    """Join a curated source's rows that are one incident entered twice (Stanford has
    Kalamazoo, 20 February 2016, as cases 250 and 282): same date, state, place, killed
    and injured, and the same shooter's surname or a like title. GVA's files are left
    as they are: their ids are GVA's own and many same-day rows in a city agree."""
    buckets: dict[tuple[object, ...], list[tuple[str, str]]] = defaultdict(list)
    for (dataset, key), members in grouped.items():
        first = members[0]
        if dataset in _GVA or first.date is None or first.killed is None:
            continue
        place = first.city or first.county
        buckets[(dataset, first.date, first.state, place, first.killed, first.injured)].append(
            (dataset, key)
        )
    merged = dict(grouped)
    for keys in buckets.values():
        for index, later in enumerate(keys[1:], start=1):
            for earlier in keys[:index]:
                if earlier in merged and later in merged and _alike(merged[earlier], merged[later]):
                    merged[earlier] = merged[earlier] + merged.pop(later)
                    break
    return merged


def _alike(a: Sequence[SourceRow], b: Sequence[SourceRow]) -> bool:
    surnames_a = {s for row in a for s in map(surname, row.shooter_names) if s}
    surnames_b = {s for row in b for s in map(surname, row.shooter_names) if s}
    if surnames_a & surnames_b:
        return True
    words_a = title_words(row.title for row in a)
    words_b = title_words(row.title for row in b)
    return bool(words_a and words_b) and len(words_a & words_b) / len(words_a | words_b) >= 0.5


def candidate_pairs(units: Sequence[Unit]) -> Iterable[tuple[Unit, Unit]]:
    """Pairs of units from different data sets in the same state within the date
    tolerance, or sharing a GVA incident id; each pair once."""
    by_block: dict[tuple[str, date], list[Unit]] = defaultdict(list)
    by_gva: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        for gva_id in unit.gva_ids:
            by_gva[gva_id].append(unit)
        if unit.date is not None:
            for state in unit.states or {""}:
                by_block[(state, unit.date)].append(unit)
    sizes: dict[str, int] = defaultdict(int)
    for unit in units:
        sizes[unit.dataset] += 1
    seen: set[tuple[int, int]] = set()
    for unit in units:
        for other in (o for gva_id in unit.gva_ids for o in by_gva[gva_id]):
            if other.dataset != unit.dataset:
                pair = (min(id(unit), id(other)), max(id(unit), id(other)))
                if pair not in seen:
                    seen.add(pair)
                    yield unit, other
    for unit in units:
        if unit.date is None:
            continue
        for state in unit.states or {""}:
            for shift in range(-DATE_TOLERANCE_DAYS, DATE_TOLERANCE_DAYS + 1):
                for other in by_block.get((state, unit.date + timedelta(days=shift)), ()):
                    if other.dataset == unit.dataset:
                        continue
                    # Both GVA files carry GVA's ids: they meet only through them.
                    if unit.gva_ids and other.gva_ids:
                        continue
                    pair = (min(id(unit), id(other)), max(id(unit), id(other)))
                    if pair in seen:
                        continue
                    seen.add(pair)
                    # Compare from the smaller data set's side: u comes from the larger.
                    if sizes[unit.dataset] <= sizes[other.dataset]:
                        yield unit, other
                    else:
                        yield other, unit


def score_pairs(units: Sequence[Unit]) -> list[Pair]:
    by_dataset: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        by_dataset[unit.dataset].append(unit)
    frequencies = {name: Frequencies.of(members) for name, members in by_dataset.items()}
    pairs = []
    for a, b in candidate_pairs(units):
        if incompatible(a, b):
            continue
        levels = tuple(compare(a, b, frequencies[b.dataset]))
        chance = probability(levels)
        if chance >= REVIEW_THRESHOLD:
            pairs.append(Pair(a, b, levels, chance, "apart"))
    return pairs


def decision_key(pair: Pair) -> tuple[str, ...]:
    """The pair as analysts' decisions name it (vigil.analytics.review.pair_key): the
    data set and published key of each side's first row, in sorted order."""
    first, second = sorted(
        ((pair.a.dataset, pair.a.rows[0].row_key), (pair.b.dataset, pair.b.rows[0].row_key))
    )
    return (*first, *second)


def cluster(
    units: Sequence[Unit],
    pairs: list[Pair],
    threshold: float,
    decisions: Mapping[tuple[str, ...], str] | None = None,
) -> list[Pair]:
    """Link pairs best first; a link that would put two incidents of one data set in
    one cluster is refused (that is how two shootings in one town stay apart).

    An analyst's decisions come first: a confirmed pair is linked before any other
    (unless that would join two incidents of one data set), and a rejected pair is never
    put in one incident, not even through a third row linked to both."""
    decisions = decisions or {}
    parent = {id(unit): id(unit) for unit in units}
    datasets = {id(unit): {unit.dataset} for unit in units}
    members = {id(unit): {id(unit)} for unit in units}
    forbidden: dict[int, set[int]] = defaultdict(set)
    decided = {id(pair): decisions.get(decision_key(pair)) for pair in pairs}
    for pair in pairs:
        if decided[id(pair)] == "rejected":
            forbidden[id(pair.a)].add(id(pair.b))
            forbidden[id(pair.b)].add(id(pair.a))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    ranked = sorted(
        pairs,
        key=lambda p: (decided[id(p)] != "confirmed", -p.probability, p.a.order, p.b.order),
    )
    for pair in ranked:
        ra, rb = root(id(pair.a)), root(id(pair.b))
        wanted = decided[id(pair)] == "confirmed" or (
            pair.probability >= threshold and decided[id(pair)] != "rejected"
        )
        if (
            ra != rb
            and wanted
            and not (datasets[ra] & datasets[rb])
            and not (forbidden[ra] & members[rb])
        ):
            parent[rb] = ra
            datasets[ra] |= datasets.pop(rb)
            members[ra] |= members.pop(rb)
            forbidden[ra] |= forbidden.pop(rb, set())
    found = []
    for pair in ranked:
        if root(id(pair.a)) == root(id(pair.b)):
            decision = "linked"
        else:
            decision = "rejected" if decided[id(pair)] == "rejected" else "review"
        found.append(Pair(pair.a, pair.b, pair.levels, pair.probability, decision))
    return found


def incident_id(members: Sequence[Unit]) -> str:
    """A stable id from the cluster's earliest member: its date and a hash of the data
    set and row key of that member's first row."""
    anchor = min(members, key=lambda u: (u.date or date.max, u.order))
    row = anchor.rows[0]
    digest = hashlib.sha256(f"{row.dataset}\x1f{row.file}\x1f{row.row_key}".encode()).hexdigest()
    day = anchor.date.strftime("%Y%m%d") if anchor.date else "00000000"
    return f"VI-{day}-{digest[:10]}"


def harmonize(
    rows: Sequence[SourceRow],
    *,
    threshold: float = LINK_THRESHOLD,
    decisions: Mapping[tuple[str, ...], str] | None = None,
) -> Harmonized:
    """Link the rows of every data set into incidents, honouring analysts' decisions
    (decision_key -> 'confirmed' or 'rejected')."""
    units = build_units(rows)
    pairs = cluster(units, score_pairs(units), threshold, decisions)
    neighbours: dict[int, list[Unit]] = defaultdict(list)
    for pair in pairs:
        if pair.decision == "linked":
            neighbours[id(pair.a)].append(pair.b)
            neighbours[id(pair.b)].append(pair.a)
    incident_of: dict[tuple[str, str], str] = {}
    seen: set[int] = set()
    for unit in units:
        if id(unit) in seen:
            continue
        members, stack = [], [unit]
        seen.add(id(unit))
        while stack:
            current = stack.pop()
            members.append(current)
            for other in neighbours[id(current)]:
                if id(other) not in seen:
                    seen.add(id(other))
                    stack.append(other)
        identifier = incident_id(members)
        for member in members:
            incident_of[(member.dataset, member.key)] = identifier
    return Harmonized(units=units, incident_of=incident_of, pairs=pairs)
