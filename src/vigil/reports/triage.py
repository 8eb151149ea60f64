"""Explainable urgency triage of incoming reports: transparent rules over the narrative.

`score_urgency` gives every new report a score from 0 to 100 and a level, and
says which rules fired on which words (with their character spans in the
narrative, counted in Python characters), so the report page can show its
reasons. It is a pure function: no database, no model, no network.

Rules and weights (points add up; the score is capped at 100)::

    rule               points  fires on
    explicit_threat        30  "will shoot", "going to kill", "shoot up", "kill everyone",
                               "threatened to kill", "you will all die", "bomb threat"
    time_soon              15  today, tonight, tomorrow, this/next Friday, in two days
    time_stated            10  at 9, 9:15, on Monday, March 3, 3/14, next week, during lunch
    place_or_target        10  school, Lincoln High, workplace, church/mosque/synagogue/temple,
                               mall, concert, principal, boss, ex-partner, mayor
    weapons_access         15  gun, AR-15, rifle, ammunition, pipe bomb, explosives, knife
    leakage                10  telling, posting or warning others about violence ("told",
                               "posted", Snapchat ... in a sentence about violence);
                               manifesto; "don't come to school tomorrow"
    grievance              10  revenge, "make them pay", humiliated, bullied, got fired
    research_planning      10  floor plans, Columbine, photographing entrances,
                               "researched" + violence
    preparation            15  body armor, stockpiling, goodbye letter, "bought" + weapon
    rehearsal              15  shooting range, dry run, testing security, "practiced" + weapon
    minor_involved          5  kid, child, teen, student, juvenile, 15-year-old, 9th grader
    earlier_reports      5 each, at most 15: earlier reports in the same agency (caller's count)

Context rules (time_soon, time_stated, place_or_target, minor_involved) fire
only in a report that shows a concern: an explicit threat, weapons, leakage or
a pathway rule. A report that merely mentions a school, a house of worship, a
child or "today" scores nothing for it. Later pathway steps (preparation,
rehearsal) weigh more than earlier ones: they are closer to action.

Levels: ``imminent`` at 70 or more, ``high`` at 45, ``moderate`` at 20,
``low`` below 20. Override: an explicit threat together with a time within
days (``time_soon``) makes the level ``imminent`` whatever the score; it
appears as the 0-point rule ``imminent_override`` so the reason is visible.

Structured fields add evidence to the same rules (never extra points): the
ISE-SAR behaviors in `BEHAVIOR_EVIDENCE`, any target type (place_or_target),
any weapon (weapons_access). They are listed in a fired rule's ``fields``.

How words are matched. Patterns (`vigil.reports.triage_lexicon`) are regular
expressions with word boundaries, case-insensitive (written in lowercase and
run on the lowercased narrative; only school names like "Lincoln High" need
capitals), with no nested or unbounded repetition, so time is linear in the
narrative's length. One pass finds where each family of patterns could match
(where one of its literal prefixes occurs: `vigil.reports.triage_prefixes`), and
the family's expression is tried only there: the matches of a full scan, at a
fraction of its cost. A match is dropped
when one of the three words before it in the same clause negates it ("not
going to hurt anyone", "no gun", "doesn't own a gun"). Some cues count only
in a sentence about violence ("posted" with "gun"; "bought" with "ammo").
Self-harm ("going to kill myself") is not a threat to others and does not fire
explicit_threat. Quoted song lyrics, jokes and sarcasm are out of scope: a
person reads them.

Counterfactual fairness, by construction: before any rule runs, every term
about religion, ethnicity, nationality, sex or political party
(`PROTECTED_TERMS`) is replaced by the same neutral word ("himself" and
"herself" by a reflexive one), so swapping such a term for another cannot
change the score, the level or the rules that fire.
No rule may name such a term (`protected_terms_in_rules`, checked by a test).
Because boy/girl and he/she are protected, "minor involved" relies only on
sex-neutral words (kid, teen, student, 15-year-old ...).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vigil.reports import triage_lexicon as lexicon
from vigil.reports.triage_lexicon import (
    NEUTRAL_REFLEXIVE,
    NEUTRAL_WORD,
    PROTECTED_TERMS,
    REFLEXIVE_TERMS,
)
from vigil.reports.triage_prefixes import Prefilter, matches_at, trie_pattern

IMMINENT, HIGH, MODERATE, LOW = "imminent", "high", "moderate", "low"
THRESHOLDS: tuple[tuple[int, str], ...] = ((70, IMMINENT), (45, HIGH), (20, MODERATE), (0, LOW))
POINTS_PER_EARLIER_REPORT = 5
MAX_EARLIER_REPORT_POINTS = 15
MAX_SCORE = 100

# ISE-SAR behavior codes (vigil.reports.vocabulary.Behavior) that are evidence for a rule.
BEHAVIOR_EVIDENCE: dict[str, str] = {
    "expressed_or_implied_threat": "explicit_threat",
    "weapons_collection_discovery": "weapons_access",
    "materials_acquisition_storage": "preparation",
    "acquisition_of_expertise": "research_planning",
    "eliciting_information": "research_planning",
    "observation_surveillance": "research_planning",
    "photography": "research_planning",
    "testing_or_probing_security": "rehearsal",
    "breach_attempted_intrusion": "rehearsal",
}
# Structured values that state nothing.
_EMPTY_VALUES = frozenset({"", "none", "unknown", "n/a", "na"})


@dataclass(frozen=True)
class Rule:
    """One row of the rule table: what fires it and what it is worth."""

    id: str
    label: str
    points: int
    patterns: tuple[str, ...]
    # Patterns that count only when their sentence also has a `context` match.
    gated: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    # Patterns matched against the narrative as written (capitalization matters).
    cased: tuple[str, ...] = ()
    # A context rule fires only when a concern rule has fired too.
    concern: bool = True


RULES: tuple[Rule, ...] = (
    Rule("explicit_threat", "Explicit threat of violence", 30, lexicon.EXPLICIT_THREAT),
    Rule("time_soon", "Stated time within days", 15, lexicon.TIME_SOON, concern=False),
    Rule("time_stated", "Stated date or time of day", 10, lexicon.TIME_STATED, concern=False),
    Rule(
        "place_or_target",
        "Stated place or target",
        10,
        lexicon.PLACE_OR_TARGET,
        cased=lexicon.PLACE_OR_TARGET_CASED,
        concern=False,
    ),
    Rule("weapons_access", "Access to weapons", 15, lexicon.WEAPONS),
    Rule(
        "leakage",
        "Leakage: told, posted or warned others about violence",
        10,
        lexicon.LEAKAGE,
        lexicon.LEAKAGE_GATED,
        lexicon.VIOLENCE_CONTEXT,
    ),
    Rule("grievance", "Pathway: grievance", 10, lexicon.GRIEVANCE),
    Rule(
        "research_planning",
        "Pathway: research or planning",
        10,
        lexicon.RESEARCH_PLANNING,
        lexicon.RESEARCH_PLANNING_GATED,
        lexicon.VIOLENCE_CONTEXT,
    ),
    Rule(
        "preparation",
        "Pathway: preparation",
        15,
        lexicon.PREPARATION,
        lexicon.PREPARATION_GATED,
        lexicon.WEAPONS,
    ),
    Rule(
        "rehearsal",
        "Pathway: rehearsal",
        15,
        lexicon.REHEARSAL,
        lexicon.REHEARSAL_GATED,
        lexicon.WEAPONS,
    ),
    Rule("minor_involved", "A minor is involved", 5, lexicon.MINOR, concern=False),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
EARLIER_REPORTS_LABEL = (
    f"Earlier reports in the same agency ({POINTS_PER_EARLIER_REPORT} points each, "
    f"at most {MAX_EARLIER_REPORT_POINTS})"
)
OVERRIDE_LABEL = "Explicit threat with a time within days: level imminent whatever the score"


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired, with the narrative words (and spans) or fields that fired it."""

    rule: str
    label: str
    points: int
    words: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "label": self.label,
            "points": self.points,
            "words": list(self.words),
            "spans": [[start, end] for start, end in self.spans],
            "fields": list(self.fields),
        }


@dataclass(frozen=True)
class Triage:
    """A report's urgency: score 0–100, level, and the rules that fired."""

    score: int
    level: str
    rules: tuple[FiredRule, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "level": self.level,
            "rules": [fired.as_dict() for fired in self.rules],
        }


_COMPILED: dict[tuple[str, ...], re.Pattern[str]] = {}


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression for a tuple of patterns, compiled once."""
    if patterns not in _COMPILED:
        # One leading word boundary for all the patterns that start with one:
        # inside a word the scan then stops after one test, not one per pattern.
        bounded = [p.removeprefix(r"\b") for p in patterns if p.startswith(r"\b")]
        alternatives = [f"(?:{p})" for p in patterns if not p.startswith(r"\b")]
        if bounded:
            alternatives.insert(0, r"\b(?:" + "|".join(f"(?:{p})" for p in bounded) + ")")
        _COMPILED[patterns] = re.compile("|".join(alternatives))
    return _COMPILED[patterns]


def _term_pattern(term: str) -> str:
    return r"\b" + r"\s+".join(re.escape(word) for word in term.split()) + r"\b"


_ALL_TERMS = frozenset(term for terms in PROTECTED_TERMS.values() for term in terms)
# Words are looked up in a set; the few terms of several words are matched where
# their first word occurs.
_WORD = re.compile(r"\w+")
_ONE_WORD_TERMS = frozenset(term.lower() for term in _ALL_TERMS if " " not in term)
_LONGER_TERMS: dict[str, re.Pattern[str]] = {
    first: re.compile(
        "|".join(
            _term_pattern(term)
            for term in sorted(_ALL_TERMS, key=len, reverse=True)
            if " " in term and term.split()[0].lower() == first
        ),
        re.IGNORECASE,
    )
    for first in {term.split()[0].lower() for term in _ALL_TERMS if " " in term}
}
# In ASCII text (most narratives), only the words that are terms or start one are looked
# up: the ones this finds in the lowercased text, in one scan in C rather than a Python
# step per word. (Beyond ASCII, lowercasing may change a text's length or its words.)
_ASCII_TERM_WORD = re.compile(r"\b" + trie_pattern(_ONE_WORD_TERMS | set(_LONGER_TERMS)) + r"\b")
_SENTENCE_END = re.compile(r"[.!?\n]")
# Through the last clause break of a text (the greedy ".*" finds the last one in one call).
_THROUGH_LAST_CLAUSE_END = re.compile(r"(?s:.*)(?:[.,;:!?\n()\"]|\bbut\b)")
_TOKEN = re.compile(r"[\w']+")
_NEGATION_LOOKBACK_CHARS = 80
_NEGATION_WORDS = 3


@dataclass(frozen=True)
class _Masked:
    """The narrative with protected terms replaced, and the way back to its offsets."""

    text: str
    starts: tuple[int, ...]  # where each neutral word starts in `text`
    ends: tuple[int, ...]
    original_starts: tuple[int, ...]
    original_ends: tuple[int, ...]

    def original(self, start: int, end: int) -> tuple[int, int]:
        return self._map(start, at_end=False), self._map(end, at_end=True)

    def _map(self, position: int, *, at_end: bool) -> int:
        index = bisect_right(self.starts, position) - 1
        if at_end and index >= 0 and self.starts[index] == position:
            index -= 1  # a match ending just before a neutral word
        if index < 0:
            return position
        if position < self.ends[index] or (at_end and position == self.ends[index]):
            return self.original_ends[index] if at_end else self.original_starts[index]
        return position - self.ends[index] + self.original_ends[index]


def _protected_terms(text: str) -> Iterator[tuple[int, int]]:
    taken = 0
    words = _ASCII_TERM_WORD.finditer(text.lower()) if text.isascii() else _WORD.finditer(text)
    for word in words:
        if word.start() < taken:
            continue  # inside a term of several words already found
        lowered = word.group().lower()
        longer = _LONGER_TERMS.get(lowered)
        found = longer.match(text, word.start()) if longer is not None else None
        if found is not None:
            taken = found.end()
            yield found.start(), found.end()
        elif lowered in _ONE_WORD_TERMS:
            yield word.start(), word.end()


def _mask(narrative: str) -> _Masked:
    # Curly apostrophes become straight ones (same length, so offsets hold).
    text = narrative.replace("\u2019", "'")
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    original_starts: list[int] = []
    original_ends: list[int] = []
    cursor = 0
    length = 0
    for start, end in _protected_terms(text):
        pieces.append(text[cursor:start])
        length += start - cursor
        starts.append(length)
        neutral = NEUTRAL_REFLEXIVE if text[start:end].lower() in REFLEXIVE_TERMS else NEUTRAL_WORD
        pieces.append(neutral)
        length += len(neutral)
        ends.append(length)
        original_starts.append(start)
        original_ends.append(end)
        cursor = end
    pieces.append(text[cursor:])
    return _Masked(
        "".join(pieces),
        tuple(starts),
        tuple(ends),
        tuple(original_starts),
        tuple(original_ends),
    )


def _lowercase(text: str) -> str:
    """Lowercase without moving any offset (a few characters lowercase to two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


# The pattern families run on the lowercased narrative, numbered, and where each could match.
_FAMILIES: dict[tuple[str, ...], int] = {}
for _rule in RULES:
    for _patterns in (_rule.patterns, _rule.gated, _rule.context):
        if _patterns:
            _FAMILIES.setdefault(_patterns, len(_FAMILIES))
_FAMILY_REGEXES = [_compile(patterns) for patterns in _FAMILIES]
_PREFILTER = Prefilter(_FAMILY_REGEXES)
_CONCERN_RULES = [rule for rule in RULES if rule.concern]


class _Scan:
    """One narrative's matches, each family of patterns scanned once."""

    def __init__(self, masked: _Masked) -> None:
        self.cased = masked.text
        # Patterns are written in lowercase and run on lowercased text: several
        # times faster than case-insensitive matching on long narratives.
        self.text = _lowercase(masked.text)
        # Where each family could match: its expression is tried only there.
        self._starts = _PREFILTER.positions(self.text)
        self._spans: list[list[tuple[int, int]] | None] = [None] * len(_FAMILY_REGEXES)
        self._sentence_ends: list[int] | None = None
        self._negations: dict[int, bool] = {}

    def spans(self, patterns: tuple[str, ...]) -> list[tuple[int, int]]:
        """Spans of the matches that no word just before them negates."""
        if not patterns:
            return []
        family = _FAMILIES[patterns]
        found = self._spans[family]
        if found is None:
            if not _PREFILTER.prefixed[family]:
                found = self._unnegated(_FAMILY_REGEXES[family].finditer(self.text))
            elif starts := self._starts[family]:
                found = self._unnegated(matches_at(_FAMILY_REGEXES[family], self.text, starts))
            else:
                found = []
            self._spans[family] = found
        return found

    def cased_spans(self, patterns: tuple[str, ...]) -> list[tuple[int, int]]:
        """`spans` of patterns run on the narrative as written."""
        return self._unnegated(_compile(patterns).finditer(self.cased)) if patterns else []

    def _unnegated(self, matches: Iterable[re.Match[str]]) -> list[tuple[int, int]]:
        return [
            (match.start(), match.end())
            for match in matches
            if match.end() > match.start() and not self._negated(match.start())
        ]

    def sentence(self, position: int) -> int:
        if self._sentence_ends is None:
            self._sentence_ends = [match.start() for match in _SENTENCE_END.finditer(self.text)]
        return bisect_right(self._sentence_ends, position)

    def _negated(self, start: int) -> bool:
        if start not in self._negations:
            before = self.text[max(0, start - _NEGATION_LOOKBACK_CHARS) : start]
            clause = _THROUGH_LAST_CLAUSE_END.match(before)
            if clause is not None:
                before = before[clause.end() :]
            words = _TOKEN.findall(before)[-_NEGATION_WORDS:]
            self._negations[start] = any(
                word in lexicon.NEGATIONS or word.endswith("n't") for word in words
            )
        return self._negations[start]

    def rule_spans(self, rule: Rule) -> list[tuple[int, int]]:
        spans = self.spans(rule.patterns) + self.cased_spans(rule.cased)
        gated = self.spans(rule.gated)
        if gated:
            about = {self.sentence(start) for start, _ in self.spans(rule.context)}
            spans.extend(span for span in gated if self.sentence(span[0]) in about)
        return sorted(set(spans)) if len(spans) > 1 else spans


def _stated(values: Collection[str]) -> list[str]:
    return sorted({value.strip() for value in values if value.strip().lower() not in _EMPTY_VALUES})


def level_for(score: int) -> str:
    """The level of a score (before the imminent override)."""
    return next(level for threshold, level in THRESHOLDS if score >= threshold)


def earlier_reports_rule(earlier_reports: int) -> FiredRule | None:
    """The rule that ``earlier_reports`` earlier reports in the agency fire, if any. It
    follows the narrative's rules and precedes the override (which it never causes), so
    bulk import can score narratives in other processes and add it afterwards."""
    if earlier_reports <= 0:
        return None
    return FiredRule(
        rule="earlier_reports",
        label=EARLIER_REPORTS_LABEL,
        points=min(MAX_EARLIER_REPORT_POINTS, POINTS_PER_EARLIER_REPORT * earlier_reports),
        fields=(f"earlier_reports: {earlier_reports}",),
    )


def score_urgency(
    narrative: str,
    *,
    earlier_reports: int = 0,
    behaviors: Collection[str] = (),
    target_types: Collection[str] = (),
    weapons: Collection[str] = (),
) -> Triage:
    """Score a report's urgency from its narrative (and structured fields, if any)."""
    masked = _mask(narrative)
    scan = _Scan(masked)
    fields: dict[str, list[str]] = {rule.id: [] for rule in RULES}
    for behavior in sorted({str(code) for code in behaviors}):
        if behavior in BEHAVIOR_EVIDENCE:
            fields[BEHAVIOR_EVIDENCE[behavior]].append(f"behaviors: {behavior}")
    fields["place_or_target"].extend(
        f"target_types: {value}" for value in _stated([str(v) for v in target_types])
    )
    fields["weapons_access"].extend(f"weapons: {value}" for value in _stated(weapons))

    # Context rules count only beside a concern: without one, no rule fires (and the
    # context rules need no scan).
    concerns = {rule.id: scan.rule_spans(rule) for rule in _CONCERN_RULES}
    shown = any(concerns[rule.id] or fields[rule.id] for rule in _CONCERN_RULES)
    fired: list[FiredRule] = []
    for rule in RULES if shown else ():
        found = concerns[rule.id] if rule.concern else scan.rule_spans(rule)
        spans = [masked.original(start, end) for start, end in found]
        if spans or fields[rule.id]:
            fired.append(
                FiredRule(
                    rule=rule.id,
                    label=rule.label,
                    points=rule.points,
                    words=tuple(narrative[start:end] for start, end in spans),
                    spans=tuple(spans),
                    fields=tuple(fields[rule.id]),
                )
            )
    if (earlier := earlier_reports_rule(earlier_reports)) is not None:
        fired.append(earlier)

    score = min(MAX_SCORE, sum(rule.points for rule in fired))
    level = level_for(score)
    by_id = {rule.rule: rule for rule in fired}
    if "explicit_threat" in by_id and "time_soon" in by_id:
        threat, soon = by_id["explicit_threat"], by_id["time_soon"]
        pairs = sorted(zip(threat.spans + soon.spans, threat.words + soon.words, strict=True))
        fired.append(
            FiredRule(
                rule="imminent_override",
                label=OVERRIDE_LABEL,
                points=0,
                words=tuple(word for _, word in pairs),
                spans=tuple(span for span, _ in pairs),
                fields=threat.fields,
            )
        )
        level = IMMINENT
    return Triage(score=score, level=level, rules=tuple(fired))


def protected_terms_in_rules() -> list[tuple[str, str]]:
    """(rule id, term) for every rule pattern that names or matches a protected term.

    Empty when the rule table is fair by construction; a test keeps it empty.
    """
    found: list[tuple[str, str]] = []
    for rule in RULES:
        lowercase = (rule.patterns, rule.gated, rule.context)
        sources = [p for patterns in (*lowercase, rule.cased) for p in patterns]
        for term in sorted(_ALL_TERMS):
            named = re.compile(_term_pattern(term), re.IGNORECASE)
            if (
                any(named.search(source) for source in sources)
                or any(
                    patterns and _compile(patterns).search(term.lower()) for patterns in lowercase
                )
                or (rule.cased and _compile(rule.cased).search(term))
            ):
                found.append((rule.id, term))
    for neutral in (NEUTRAL_WORD, NEUTRAL_REFLEXIVE):
        if neutral in {term.lower() for term in _ALL_TERMS}:
            found.append(("(neutral word)", neutral))
    return found
