"""The comparisons and blocking rules of the person model, as data.

Each comparison is a list of levels written once here; `splink_comparison`
turns it into Splink's comparison (for any backend's SQL dialect) and
`level_hit` evaluates the same level in Python, so incremental matching
reproduces Splink's scores without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler, Levenshtein

LevelKind = Literal[
    "null", "exact", "jw", "lev", "intersect", "absdiff", "cross", "initial", "else"
]


@dataclass(frozen=True)
class Level:
    """One comparison level: how a pair's values must relate to land in it."""

    kind: LevelKind
    label: str
    column: str = ""
    other: str = ""
    threshold: float = 0.0


@dataclass(frozen=True)
class Comparison:
    """One field comparison: its output name and levels, most specific first."""

    name: str
    column: str
    levels: tuple[Level, ...]


def _levels(column: str, *levels: Level) -> tuple[Level, ...]:
    return (Level("null", f"{column} missing", column), *levels, Level("else", "all other"))


COMPARISONS: Final[tuple[Comparison, ...]] = (
    Comparison(
        "first_name",
        "first_name",
        _levels(
            "first_name",
            Level("exact", "exact", "first_name"),
            Level("intersect", "nickname or alias", "first_names"),
            Level("jw", "jaro-winkler >= 0.92", "first_name", threshold=0.92),
            Level("exact", "sounds alike", "first_name_sound"),
            # Without it a swapped pair lands in "all other", and "all other" would count
            # too little against a match (a household's members differ only there).
            Level("cross", "given name and surname swapped", "first_name", "surname"),
            Level("jw", "jaro-winkler >= 0.8", "first_name", threshold=0.8),
        ),
    ),
    Comparison(
        "middle_name",
        "middle_name",
        _levels(
            "middle_name",
            Level("exact", "exact", "middle_name"),
            Level("initial", "same initial", "middle_name"),
        ),
    ),
    Comparison(
        "surname",
        "surname",
        _levels(
            "surname",
            Level("exact", "exact", "surname"),
            Level("intersect", "alias surname", "surnames"),
            Level("jw", "jaro-winkler >= 0.92", "surname", threshold=0.92),
            Level("exact", "sounds alike", "surname_sound"),
            Level("cross", "given name and surname swapped", "surname", "first_name"),
            Level("jw", "jaro-winkler >= 0.8", "surname", threshold=0.8),
        ),
    ),
    Comparison(
        "dob",
        "birth_year",
        _levels(
            "birth_year",
            Level("exact", "exact", "dob"),
            Level("cross", "day and month swapped", "dob", "dob_swapped"),
            Level("lev", "one character different", "dob", threshold=1),
            Level("lev", "two characters different", "dob", threshold=2),
            Level("absdiff", "birth year within 1", "birth_year", threshold=1),
            Level("absdiff", "birth year within 3", "birth_year", threshold=3),
        ),
    ),
    Comparison("sex", "sex", _levels("sex", Level("exact", "exact", "sex"))),
    Comparison("phone", "phones", _levels("phones", Level("intersect", "shared phone", "phones"))),
    Comparison("email", "emails", _levels("emails", Level("intersect", "shared e-mail", "emails"))),
    Comparison(
        "handle", "handles", _levels("handles", Level("intersect", "shared handle", "handles"))
    ),
    Comparison(
        "street",
        "street",
        _levels(
            "street",
            Level("intersect", "shared address", "streets"),
            Level("jw", "jaro-winkler >= 0.9", "street", threshold=0.9),
            Level("jw", "jaro-winkler >= 0.75", "street", threshold=0.75),
        ),
    ),
    Comparison(
        "city",
        "city",
        _levels(
            "city",
            Level("exact", "exact", "city"),
            Level("jw", "jaro-winkler >= 0.88", "city", threshold=0.88),
        ),
    ),
    Comparison(
        "postcode",
        "postcode",
        _levels(
            "postcode",
            Level("exact", "exact", "postcode"),
            Level("lev", "one character different", "postcode", threshold=1),
        ),
    ),
    Comparison("state", "state", _levels("state", Level("exact", "exact", "state"))),
    Comparison(
        "school_or_employer",
        "school_or_employer",
        _levels(
            "school_or_employer",
            Level("exact", "exact", "school_or_employer"),
            Level("jw", "jaro-winkler >= 0.88", "school_or_employer", threshold=0.88),
        ),
    ),
    Comparison(
        "id_number",
        "id_number",
        _levels(
            "id_number",
            Level("exact", "exact", "id_number"),
            Level("lev", "one character different", "id_number", threshold=1),
        ),
    ),
)

# Earlier definitions of comparisons, for models trained with them: a stored model
# still loads and scores new mentions until the next run replaces it.
RETIRED_COMPARISONS: Final[tuple[Comparison, ...]] = (
    Comparison(
        "first_name",
        "first_name",
        _levels(
            "first_name",
            Level("exact", "exact", "first_name"),
            Level("intersect", "nickname or alias", "first_names"),
            Level("jw", "jaro-winkler >= 0.92", "first_name", threshold=0.92),
            Level("exact", "sounds alike", "first_name_sound"),
            Level("jw", "jaro-winkler >= 0.8", "first_name", threshold=0.8),
        ),
    ),
)

COMPARISONS_BY_NAME: Final[dict[str, Comparison]] = {c.name: c for c in COMPARISONS}


def comparison_for(name: str, labels: Sequence[str]) -> Comparison:
    """The comparison `name` whose levels have these labels (a model's, maybe an older one)."""
    for comparison in (*COMPARISONS, *RETIRED_COMPARISONS):
        if comparison.name == name and [lv.label for lv in comparison.levels] == list(labels):
            return comparison
    return COMPARISONS_BY_NAME[name]


@dataclass(frozen=True)
class BlockingRule:
    """Candidate pairs share these values; `explode` names list columns (any one shared)."""

    name: str
    columns: tuple[str, ...]
    explode: tuple[str, ...] = ()
    first_letter: tuple[str, ...] = ()


# Several rules, unioned: a true pair needs to agree on only one of them. These
# rules' keys are specific (a date of birth with an initial, a full name, a phone),
# so their blocks stay small however many mentions there are.
BLOCKING_RULES: Final[tuple[BlockingRule, ...]] = (
    BlockingRule("dob_initial", ("dob_key", "first_name"), first_letter=("first_name",)),
    BlockingRule("formal_name", ("surnames", "first_names"), explode=("surnames", "first_names")),
    BlockingRule("sound", ("first_name_sound", "surname_sound")),
    BlockingRule("name_pair", ("name_pair",)),
    BlockingRule("phone", ("phones",), explode=("phones",)),
    BlockingRule("email", ("emails",), explode=("emails",)),
    BlockingRule("handle", ("handles",), explode=("handles",)),
    BlockingRule("id", ("id_number",)),
    BlockingRule("address", ("streets",), explode=("streets",)),
    # A date of birth with the surname's initial or the ZIP code: a given name
    # replaced or swapped, which "dob_initial" misses.
    BlockingRule("dob_surname_initial", ("dob_key", "surname"), first_letter=("surname",)),
    BlockingRule("dob_postcode", ("dob_key", "postcode")),
)

# Rules whose keys come from a small set of values (a date of birth, a place, a
# birth year, an initial): their blocks grow with the square of the mentions. On a
# few thousand mentions they find the odd pair the rules above miss; on a million,
# one of them alone pairs tens of millions. Each is used only while it pairs at most
# `LOOSE_RULE_PAIRS_PER_MENTION` pairs per mention (`usable_blocking_rules`).
LOOSE_BLOCKING_RULES: Final[tuple[BlockingRule, ...]] = (
    BlockingRule("dob", ("dob_key",)),
    BlockingRule(
        "name", ("surnames", "first_name"), explode=("surnames",), first_letter=("first_name",)
    ),
    BlockingRule("first_year", ("first_name", "birth_year")),
    BlockingRule("surname_year", ("surname", "birth_year")),
    BlockingRule("postcode_first", ("postcode", "first_name")),
    BlockingRule("postcode_surname", ("postcode", "surname")),
    BlockingRule("street", ("street", "city")),
    BlockingRule("city_first", ("city", "first_name")),
    BlockingRule("city_surname", ("city", "surname")),
)
# Per mention, because true duplicates alone make several pairs per mention where
# people are mentioned often (six in the historical-figures set).
LOOSE_RULE_PAIRS_PER_MENTION: Final[float] = 5.0

BLOCKING_RULES_BY_NAME: Final[dict[str, BlockingRule]] = {
    r.name: r for r in (*BLOCKING_RULES, *LOOSE_BLOCKING_RULES)
}


def blocking_rules_named(names: Sequence[str]) -> list[BlockingRule]:
    """The rules with these names, in the order they are defined."""
    wanted = set(names)
    return [rule for name, rule in BLOCKING_RULES_BY_NAME.items() if name in wanted]


def block_pairs(frame: pd.DataFrame, rule: BlockingRule) -> int:
    """How many pairs `rule` makes among `frame`'s mentions (counted, not listed)."""
    keys = frame[list(rule.columns)]
    for column in rule.explode:
        keys = keys.explode(column)
    keys = keys.dropna()
    for column in rule.columns:
        values = keys[column].astype(str)
        keys = keys.assign(**{column: values.str[:1] if column in rule.first_letter else values})
    keys = keys[(keys != "").all(axis=1)]
    if keys.empty:
        return 0
    sizes = keys.groupby(list(rule.columns), sort=False).size().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def usable_blocking_rules(linkable: pd.DataFrame, present: Sequence[str]) -> list[BlockingRule]:
    """The rules to pair mentions with: every rule whose columns have values, but a
    loose rule only while its blocks stay small (see LOOSE_BLOCKING_RULES)."""
    usable = [r for r in BLOCKING_RULES if all(c in present for c in r.columns)]
    budget = LOOSE_RULE_PAIRS_PER_MENTION * len(linkable)
    for rule in LOOSE_BLOCKING_RULES:
        if all(c in present for c in rule.columns) and block_pairs(linkable, rule) <= budget:
            usable.append(rule)
    return usable


def _present(value: Any) -> bool:
    if value is None or value is pd.NA:
        return False
    return not (isinstance(value, float) and value != value)


def level_hit(level: Level, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Whether a pair lands in `level`, with SQL's rule that a comparison with NULL fails."""
    if level.kind == "else":
        return True
    a, b = left.get(level.column), right.get(level.column)
    if level.kind == "null":
        return not _present(a) or not _present(b)
    if level.kind == "cross":
        a2, b2 = left.get(level.other), right.get(level.other)
        return (_present(a) and _present(b2) and a == b2) or (
            _present(a2) and _present(b) and a2 == b
        )
    if not _present(a) or not _present(b):
        return False
    if level.kind == "exact":
        return bool(a == b)
    if level.kind == "initial":
        return bool(str(a)[:1] == str(b)[:1])
    if level.kind == "jw":
        return bool(JaroWinkler.similarity(str(a), str(b)) >= level.threshold)
    if level.kind == "lev":
        return bool(Levenshtein.distance(str(a), str(b)) <= level.threshold)
    if level.kind == "absdiff":
        return bool(abs(int(cast(int, a)) - int(cast(int, b))) <= level.threshold)
    if level.kind == "intersect":
        return bool(set(cast(list[str], a)) & set(cast(list[str], b)))
    raise ValueError(f"unknown level kind {level.kind}")


def splink_level(level: Level) -> Any:
    """Splink's comparison level creator for `level` (dialect-neutral)."""
    import splink.comparison_level_library as cll

    if level.kind == "null":
        created: Any = cll.NullLevel(level.column)
    elif level.kind == "else":
        created = cll.ElseLevel()
    elif level.kind == "exact":
        created = cll.ExactMatchLevel(level.column)
    elif level.kind == "jw":
        created = cll.JaroWinklerLevel(level.column, level.threshold)
    elif level.kind == "lev":
        created = cll.LevenshteinLevel(level.column, int(level.threshold))
    elif level.kind == "absdiff":
        created = cll.AbsoluteDifferenceLevel(level.column, level.threshold)
    elif level.kind == "intersect":
        created = cll.ArrayIntersectLevel(level.column, min_intersection=1)
    elif level.kind == "cross":
        created = cll.CustomLevel(
            f"({level.column}_l = {level.other}_r OR {level.other}_l = {level.column}_r)",
            base_dialect_str="duckdb",
        )
    elif level.kind == "initial":
        created = cll.CustomLevel(
            f"substr({level.column}_l, 1, 1) = substr({level.column}_r, 1, 1)",
            base_dialect_str="duckdb",
        )
    else:
        raise ValueError(f"unknown level kind {level.kind}")
    return created.configure(label_for_charts=level.label)


def splink_comparison(
    comparison: Comparison, parameters: Sequence[tuple[float, float] | None] | None = None
) -> Any:
    """Splink's comparison for `comparison`, with trained (m, u) per level if given."""
    import splink.comparison_library as cl

    levels = [splink_level(level) for level in comparison.levels]
    if parameters is not None:
        levels = [
            created if mu is None else created.configure(m_probability=mu[0], u_probability=mu[1])
            for created, mu in zip(levels, parameters, strict=True)
        ]
    return cl.CustomComparison(
        comparison_levels=levels,
        output_column_name=comparison.name,
        comparison_description=comparison.name,
    )


def splink_blocking_rule(rule: BlockingRule) -> Any:
    from splink import block_on

    exprs = [f"substr({c}, 1, 1)" if c in rule.first_letter else c for c in rule.columns]
    return block_on(*exprs, arrays_to_explode=list(rule.explode) or None)


def rule_usable(rule: BlockingRule, present: Sequence[str]) -> bool:
    return all(c in present for c in rule.columns)
