"""Blocking rules as data: how many pairs a rule makes, and which rules a run uses."""

from __future__ import annotations

import itertools

import pandas as pd

from tests.linkage.people import people
from vigil.linkage.comparisons import (
    BLOCKING_RULES,
    LOOSE_BLOCKING_RULES,
    LOOSE_RULE_PAIRS_PER_MENTION,
    block_pairs,
    usable_blocking_rules,
)
from vigil.linkage.normalise import prepare
from vigil.linkage.scoring import blocking_keys


def test_block_pairs_counts_the_pairs_the_keys_make() -> None:
    prepared = prepare(people(80, seed=5).frame)
    rows = prepared.to_dict("records")
    for rule in (*BLOCKING_RULES, *LOOSE_BLOCKING_RULES):
        by_key: dict[str, list[str]] = {}
        for row in rows:
            for key in set(blocking_keys(row, [rule.name])):
                by_key.setdefault(key, []).append(row["unique_id"])
        listed = sum(len(list(itertools.combinations(ids, 2))) for ids in by_key.values())
        assert block_pairs(prepared, rule) == listed, rule.name


def test_a_loose_rule_is_used_only_while_its_blocks_are_small() -> None:
    everyone_in_one_city = pd.DataFrame(
        {
            "unique_id": [str(i) for i in range(200)],
            "first_name": ["Ann", "Bob"] * 100,
            "surname": [f"Surname{i}" for i in range(200)],
            "city": ["Springfield"] * 200,
        }
    )
    prepared = prepare(everyone_in_one_city)
    present = ["first_name", "surname", "city", "first_names", "surnames", "name_pair"]
    names = {r.name for r in usable_blocking_rules(prepared, present)}
    # 2 x C(100, 2) pairs on city and given name: far over the budget for 200 mentions.
    city_first = next(r for r in LOOSE_BLOCKING_RULES if r.name == "city_first")
    assert block_pairs(prepared, city_first) > LOOSE_RULE_PAIRS_PER_MENTION * 200
    assert "city_first" not in names
    # Every surname differs: pairing on city and surname costs nothing.
    assert {"city_surname", "formal_name", "name_pair"} <= names
