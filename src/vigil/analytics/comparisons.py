"""How two incident records from different sources compare, field by field: the
levels of agreement on date, place, counts, shooters' names and titles, each with its
Fellegi-Sunter weight (log2 of m/u), and the hard rules that keep different incidents
in the same town apart."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import jellyfish

from vigil.analytics.sources.rows import SourceRow

# The most days apart two sources put one incident: a shooting that ran past midnight,
# a date of death entered for the date of attack, a transcription slip.
DATE_TOLERANCE_DAYS = 2
# Prior odds (log2) that a candidate pair (same state, dates within tolerance) is one
# incident: about 1 in 17, the typical number of candidates a row meets in GVA's file.
PRIOR_LOG2_ODDS = -4.0
_FLOOR = 0.002


@dataclass
class Unit:
    """The rows of one source that describe one incident (usually one row)."""

    dataset: str
    key: str
    rows: list[SourceRow]
    date: date | None
    states: frozenset[str]
    cities: frozenset[str]
    counties: frozenset[str]
    killed: int | None
    injured: int | None
    surnames: frozenset[str]
    names: tuple[str, ...]
    title_words: frozenset[str]
    school: bool | None
    gva_ids: frozenset[str]
    order: tuple[int, str, int] = field(default=(0, "", 0))
    # Why rows with different published ids are one incident (a source's own duplicate).
    duplicate_of: str | None = None


_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_TITLE_STOPWORDS = {
    "the", "of", "and", "at", "in", "a", "on", "to", "shooting", "shootings", "mass", "school",
    "high", "middle", "elementary", "academy", "county", "city", "street", "st", "block", "n",
    "s", "e", "w", "ave", "avenue", "rd", "road", "center", "inc", "co",
}  # fmt: skip


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", text.lower())).strip()


def surname(name: str) -> str | None:
    words = [word for word in fold(name).split() if word not in _SUFFIXES]
    return words[-1] if len(words) >= 2 else None


def title_words(texts: Iterable[str | None]) -> frozenset[str]:
    words: set[str] = set()
    for text in texts:
        if text:
            words.update(w for w in fold(text).split() if w not in _TITLE_STOPWORDS and len(w) > 1)
    return frozenset(words)


def make_unit(dataset: str, key: str, rows: Sequence[SourceRow], *, add_counts: bool) -> Unit:
    """One unit from a source's rows; ``add_counts`` sums killed and injured over the rows
    (the FBI's one row per shooter), otherwise the largest count stands (a duplicate entry)."""

    def combine(values: list[int | None]) -> int | None:
        known = [value for value in values if value is not None]
        if not known:
            return None
        return sum(known) if add_counts else max(known)

    dates = sorted(row.date for row in rows if row.date is not None)
    names = tuple(dict.fromkeys(name for row in rows for name in row.shooter_names))
    schools = [row.school for row in rows if row.school is not None]
    first = rows[0]
    return Unit(
        dataset=dataset,
        key=key,
        rows=list(rows),
        date=dates[0] if dates else None,
        states=frozenset(row.state for row in rows if row.state),
        cities=frozenset(row.city for row in rows if row.city),
        counties=frozenset(row.county for row in rows if row.county),
        killed=combine([row.killed for row in rows]),
        injured=combine([row.injured for row in rows]),
        surnames=frozenset(s for s in (surname(name) for name in names) if s),
        names=names,
        title_words=title_words(row.title for row in rows),
        school=any(schools) if schools else None,
        gva_ids=frozenset(row.gva_id for row in rows if row.gva_id),
        order=(0, first.file, first.row_index),
    )


@dataclass
class Frequencies:
    """How often each value occurs among one data set's units, for the u probabilities
    (a 0-killed agreement is weak evidence in GVA's file, where most rows have 0)."""

    killed: dict[int, float]
    injured: dict[int, float]
    city: dict[tuple[str, str], float]
    school: float

    @classmethod
    def of(cls, units: Sequence[Unit]) -> Frequencies:
        def share(counter: Counter[int]) -> dict[int, float]:
            total = sum(counter.values()) or 1
            return {value: count / total for value, count in counter.items()}

        killed = Counter(unit.killed for unit in units if unit.killed is not None)
        injured = Counter(unit.injured for unit in units if unit.injured is not None)
        per_state: Counter[str] = Counter()
        cities: Counter[tuple[str, str]] = Counter()
        for unit in units:
            for state in unit.states:
                per_state[state] += 1
                for city in unit.cities:
                    cities[(state, city)] += 1
        schools = [unit.school for unit in units if unit.school is not None]
        return cls(
            killed=share(killed),
            injured=share(injured),
            city={key: count / per_state[key[0]] for key, count in cities.items()},
            school=(sum(schools) / len(schools)) if schools else 0.5,
        )


@dataclass(frozen=True)
class Level:
    comparison: str
    level: str
    weight: float


def _weight(m: float, u: float) -> float:
    return math.log2(max(m, _FLOOR) / max(u, _FLOOR))


def killed_compatible(a: int | None, b: int | None) -> bool:
    """Sources differ on later deaths and on who counts, but not by much."""
    if a is None or b is None:
        return True
    return abs(a - b) <= 1 + 0.2 * max(a, b)


def _close(a: int, b: int) -> bool:
    return abs(a - b) <= 1 + 0.25 * max(a, b)


def incompatible(a: Unit, b: Unit) -> str | None:
    """Why two units cannot be one incident, or None when they may be."""
    if a.date is None or b.date is None:
        return "a date is missing"
    if abs((a.date - b.date).days) > DATE_TOLERANCE_DAYS:
        return "dates too far apart"
    if a.states and b.states and not (a.states & b.states):
        return "different states"
    if a.gva_ids and b.gva_ids and not (a.gva_ids & b.gva_ids):
        return "different GVA incident ids"
    if not killed_compatible(a.killed, b.killed):
        return "killed counts incompatible"
    return None


def compare(a: Unit, b: Unit, freq_b: Frequencies) -> list[Level]:
    """The comparison levels of ``a`` against ``b`` (u from ``b``'s data set)."""
    if a.date is None or b.date is None:  # undated rows are never paired
        raise ValueError("only dated rows are compared")
    levels: list[Level] = []
    if a.gva_ids & b.gva_ids:
        levels.append(Level("gva_id", "same GVA incident id", 20.0))
    days = abs((a.date - b.date).days)
    date_mu = {0: (0.85, 0.2), 1: (0.12, 0.4), 2: (0.03, 0.4)}[days]
    levels.append(Level("date", f"{days} days apart", _weight(*date_mu)))
    levels.append(_place(a, b, freq_b))
    if a.killed is not None and b.killed is not None:
        if a.killed == b.killed:
            u = freq_b.killed.get(b.killed, 0.0)
            levels.append(Level("killed", "equal", _weight(0.7, u)))
        else:
            near = sum(
                p
                for k, p in freq_b.killed.items()
                if k != b.killed and killed_compatible(a.killed, k)
            )
            levels.append(Level("killed", "close", _weight(0.3, near)))
    if a.injured is not None and b.injured is not None:
        if a.injured == b.injured:
            levels.append(
                Level("injured", "equal", _weight(0.5, freq_b.injured.get(b.injured, 0.0)))
            )
        elif _close(a.injured, b.injured):
            near = sum(
                p for k, p in freq_b.injured.items() if k != b.injured and _close(a.injured, k)
            )
            levels.append(Level("injured", "close", _weight(0.35, near)))
        else:
            levels.append(Level("injured", "different", _weight(0.15, 0.6)))
    if a.surnames and b.surnames:
        if a.surnames & b.surnames or _names_alike(a.names, b.names):
            levels.append(Level("shooter", "same surname", _weight(0.9, 0.01)))
        else:
            levels.append(Level("shooter", "different names", _weight(0.15, 0.99)))
    if a.title_words and b.title_words:
        shared = a.title_words & b.title_words
        union = a.title_words | b.title_words
        if shared and len(shared) / len(union) >= 0.34:
            levels.append(Level("title", "alike", _weight(0.6, 0.01)))
    if a.school is not None and b.school is not None:
        if a.school and b.school:
            levels.append(Level("school", "both schools", _weight(0.95, freq_b.school)))
        elif a.school != b.school:
            levels.append(Level("school", "one a school", _weight(0.1, 0.5)))
    return levels


def _names_alike(a: Sequence[str], b: Sequence[str]) -> bool:
    return any(jellyfish.jaro_winkler_similarity(fold(x), fold(y)) >= 0.92 for x in a for y in b)


def _place(a: Unit, b: Unit, freq_b: Frequencies) -> Level:
    if a.cities & b.cities:
        city = sorted(a.cities & b.cities)[0]
        u = max((freq_b.city.get((state, city), 0.0) for state in b.states), default=0.0)
        return Level("place", "same city", _weight(0.7, u))
    places_a = a.cities | a.counties
    places_b = b.cities | b.counties
    if a.counties & b.counties or (a.cities & b.counties) or (a.counties & b.cities):
        return Level("place", "same county", _weight(0.1, 0.05))
    if any(jellyfish.jaro_winkler_similarity(x, y) >= 0.9 for x in places_a for y in places_b):
        return Level("place", "similar name", _weight(0.08, 0.02))
    if places_a and places_b:
        return Level("place", "different places", _weight(0.12, 0.93))
    return Level("place", "unknown", 0.0)


def probability(levels: Sequence[Level]) -> float:
    """Posterior match probability from the prior and the comparison weights."""
    score = PRIOR_LOG2_ODDS + sum(level.weight for level in levels)
    if score > 60:
        return 1.0
    odds = float(2.0**score)
    return odds / (1.0 + odds)
