"""Triage outputs pinned: score, level, rules, words, spans and fields of 800 varied narratives.

The narratives are generated deterministically: phrases sampled from every alternative of
every lexicon pattern (so each rule fires, and near misses that almost do), the benchmark's
sentences, the known cases and the fairness corpus of `test_triage`, protected terms,
negations, clause and sentence breaks, capitals, curly apostrophes and other Unicode, and
structured fields. `triage_pinned.json` holds what `score_urgency` returned for each of them.
A change to the triage's speed must leave every one of them as it is; a deliberate change to
the rules regenerates the file (``python -m tests.reports.test_triage_pinned``) and the
review reads the difference.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import pytest

from tests.reports.test_triage import FAIRNESS, LABELLED
from vigil.reports.triage import BEHAVIOR_EVIDENCE, RULES, score_urgency

PINNED = Path(__file__).with_name("triage_pinned.json")
CASES = 800
SEED = 20261125

SENTENCES = (
    "Caller reported that",
    "A teacher at Lincoln High said that",
    "Anonymous tip received by phone:",
    "James Smith told classmates he will shoot up Central High on Friday.",
    "Mary Jones posted a photo of an AR-15 with the caption 'tomorrow you will all pay'.",
    "He has been stockpiling ammunition and practicing at the shooting range.",
    "She said she was going to kill everyone at the mall on Route 9 after being fired.",
    "He bought body armor and wrote a goodbye letter to his sister.",
    "They researched the Columbine shooting and drew floor plans of Roosevelt Elementary.",
    "He warned a friend not to come to school tomorrow.",
    "The man photographed the entrances and the security cameras before leaving.",
    "No weapons were seen and nobody was hurt.",
    "Several students saw the posts and told a counselor.",
    "It happened near the community center around lunchtime.",
    "Security footage may be available from the store.",
)
WORDS = (
    "the", "a", "he", "she", "they", "said", "and", "was", "at", "in", "on", "to", "of", "it",
    "school", "gun", "kill", "will", "not", "no", "never", "don't", "but", "today", "friday",
    "told", "posted", "bought", "practiced", "researched", "because", "after", "with", "x",
    "9", "15", "3:30", "12/4", "ex-wife", "y'all", "everyone", "them", "somebody", "oneself",
)  # fmt: skip
PROTECTED = (
    "he", "she", "him", "her", "his", "himself", "herself", "Muslim", "Jewish", "Black",
    "white", "Mexican", "Green Party", "green party", "GREEN  PARTY", "Democrat", "MAGA",
    "boy", "girl", "son", "Mr", "Mrs", "ladies", "immigrants", "Native",
)  # fmt: skip
NEGATIONS = ("not ", "no ", "never ", "doesn't ", "didn't ", "won't ", "nobody ", "without ")
SEPARATORS = (" ", " ", " ", ", ", ". ", "! ", "? ", "; ", ": ", "\n", " but ", " (", ") ", '"')
ODD = ("’", "'", "İ", "😡", "🔫", "—", "ß", "é", "ΣΑΣ", "\u00a0", "\t", "ﬁ", "K", "ſ", "\x00")
SHAPES = (str, str, str, str.capitalize, str.upper, str.title)


def _sample(rng: random.Random, parsed: Any) -> str:
    """A string from a parsed pattern: usually a match, sometimes a near miss (look-arounds
    and word boundaries are not honored), so rules fire and almost fire."""
    out: list[str] = []
    for op, av in parsed:
        if op is sre.LITERAL:
            out.append(chr(av))
        elif op is sre.NOT_LITERAL or op is sre.ANY:
            out.append(rng.choice("ab "))
        elif op is sre.IN:
            out.append(_sample_class(rng, av))
        elif op is sre.BRANCH:
            out.append(_sample(rng, rng.choice(av[1])))
        elif op is sre.SUBPATTERN:
            out.append(_sample(rng, av[3]))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, item = av
            count = rng.randint(low, min(high, low + 2))
            out.extend(_sample(rng, item) for _ in range(count))
    return "".join(out)


def _sample_class(rng: random.Random, items: Any) -> str:
    choices: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            choices.append(chr(av))
        elif op is sre.RANGE:
            choices.extend(chr(code) for code in range(av[0], av[1] + 1))
        elif op is sre.CATEGORY:
            choices.extend("word" if av is sre.CATEGORY_WORD else " ")
    return rng.choice(choices or ["z"])


PATTERNS = [
    sre_parse.parse(pattern)
    for rule in RULES
    for pattern in (*rule.patterns, *rule.gated, *rule.context, *rule.cased)
]


def _piece(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        piece = _sample(rng, rng.choice(PATTERNS))
    elif kind < 0.6:
        piece = rng.choice(SENTENCES)
    elif kind < 0.75:
        piece = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
    elif kind < 0.85:
        piece = rng.choice(PROTECTED)
    elif kind < 0.93:
        piece = rng.choice(NEGATIONS) + _sample(rng, rng.choice(PATTERNS))
    else:
        piece = rng.choice(ODD) + rng.choice(WORDS)
    return rng.choice(SHAPES)(piece)


def _narrative(rng: random.Random) -> str:
    parts = [_piece(rng)]
    for _ in range(rng.randint(0, 9)):
        parts.append(rng.choice(SEPARATORS))
        parts.append(_piece(rng))
    narrative = "".join(parts)
    if rng.random() < 0.1:
        narrative = narrative.replace("'", "’")
    return narrative


def cases() -> list[dict[str, Any]]:
    """The pinned inputs, always the same: generated from a fixed seed."""
    rng = random.Random(SEED)
    fixed = [text for text, _ in LABELLED] + FAIRNESS + list(SENTENCES)
    found: list[dict[str, Any]] = [{"narrative": text} for text in fixed]
    behaviors = [*sorted(BEHAVIOR_EVIDENCE), "vandalism", "not_a_behavior"]
    while len(found) < CASES:
        case: dict[str, Any] = {"narrative": _narrative(rng)}
        if rng.random() < 0.3:
            case["behaviors"] = rng.sample(behaviors, rng.randint(1, 3))
            case["target_types"] = rng.sample(["school", "unknown", " ", "workplace"], 2)
            case["weapons"] = rng.sample(["rifle", "", "n/a", " knife ", "NONE"], 2)
        if rng.random() < 0.2:
            case["earlier_reports"] = rng.randint(0, 5)
        found.append(case)
    return found


def triage_of(case: dict[str, Any]) -> list[Any]:
    """The triage of a case, compactly: [score, level, [[rule, points, words, spans, fields]]]
    (a rule's label is a constant of the code, not an output of the scan)."""
    triage = score_urgency(
        case["narrative"],
        earlier_reports=case.get("earlier_reports", 0),
        behaviors=case.get("behaviors", ()),
        target_types=case.get("target_types", ()),
        weapons=case.get("weapons", ()),
    ).as_dict()
    rules = [
        [rule["rule"], rule["points"], rule["words"], rule["spans"], rule["fields"]]
        for rule in triage["rules"]
    ]
    return [triage["score"], triage["level"], rules]


def _digest(case: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(case, sort_keys=True).encode()).hexdigest()[:16]


def write_pinned() -> None:
    pinned = [[_digest(case), *triage_of(case)] for case in cases()]
    PINNED.write_text(
        "[\n" + ",\n".join(json.dumps(entry, ensure_ascii=False) for entry in pinned) + "\n]\n",
        encoding="utf-8",
    )


def test_the_pinned_cases_are_varied() -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert len(pinned) == CASES
    fired = {rule[0] for _, _, _, rules in pinned for rule in rules}
    assert fired == {rule.id for rule in RULES} | {"earlier_reports", "imminent_override"}
    assert {level for _, _, level, _ in pinned} == {"imminent", "high", "moderate", "low"}
    assert sum(1 for *_, rules in pinned if not rules) > CASES // 10
    assert re.search(r"\bnot \w", json.dumps([case["narrative"] for case in cases()]))


@pytest.mark.parametrize("part", range(8))
def test_triage_gives_the_pinned_outputs(part: int) -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    for number, (case, expected) in enumerate(zip(cases(), pinned, strict=True)):
        if number % 8 != part:
            continue
        assert expected[0] == _digest(case), "the inputs changed: regenerate the pinned file"
        assert triage_of(case) == expected[1:], case["narrative"]


if __name__ == "__main__":
    write_pinned()
