"""Where the triage's patterns could match: their literal prefixes, found in one pass.

A narrative is mostly words no rule cares about, yet a regular expression tries every
one of its positions, and the triage has sixteen pattern families. Here each family's
patterns are read (by the standard library's own parser) for the literal strings one of
which every match must start with — ``will``, ``gun``, ``at 1`` … — and one scan of the
narrative for all those strings at once gives, for each family, the few positions where
a match could start. The family's own expression is then tried only there, which finds
exactly what scanning the whole narrative finds (`matches_at`).

The prefixes are a superset by construction: whatever the parser shows that this module
does not know (a class like ``\\w``, a back-reference, a flag) ends the prefix there, and a
pattern that could start with anything or match the empty string leaves its family
without prefixes (`literal_prefixes` returns None): it is scanned in full, as before.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# The parser `re` compiles with (private since Python 3.11, but it is what `re` runs): its
# parse tree is the exact meaning of a pattern, which no hand-kept word list would be.
_parser: Any = importlib.import_module("re._parser")
_sre: Any = importlib.import_module("re._constants")

# Prefixes stop after this many characters; beyond that they only cost memory.
_MAX_PREFIX_CHARS = 8
# A family with more distinct prefixes than this is scanned in full.
_MAX_PREFIXES = 2_000
# A character class with more members than this ends the prefix before it.
_MAX_CLASS_CHARS = 40

# (after a word boundary, literal text, the literal is all the node can match)
_Prefix = tuple[bool, str, bool]
_EMPTY: frozenset[_Prefix] = frozenset({(False, "", True)})
_UNKNOWN: frozenset[_Prefix] = frozenset({(False, "", False)})


class _TooMany(Exception):
    pass


def literal_prefixes(pattern: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(prefixes after a word boundary, prefixes anywhere): every match of ``pattern``
    (compiled without flags) starts with one of them, the first kind only where a word
    boundary is. None when some match could start with anything."""
    try:
        parsed = _parser.parse(pattern)
        if parsed.state.flags & ~(_sre.SRE_FLAG_UNICODE | _sre.SRE_FLAG_VERBOSE):
            return None
        prefixes = _sequence(parsed)
    except _TooMany:
        return None
    if any(not text for _, text, _ in prefixes):
        return None
    bounded = frozenset(text for after_boundary, text, _ in prefixes if after_boundary)
    anywhere = frozenset(text for after_boundary, text, _ in prefixes if not after_boundary)
    return bounded, anywhere


def _sequence(items: Iterable[tuple[Any, Any]]) -> frozenset[_Prefix]:
    found = _EMPTY
    for op, av in items:
        if all(not complete for _, _, complete in found):
            break
        node = _node(op, av)
        joined: set[_Prefix] = set()
        for after_boundary, text, complete in found:
            if not complete or len(text) >= _MAX_PREFIX_CHARS:
                joined.add((after_boundary, text[:_MAX_PREFIX_CHARS], False))
                continue
            for inner_boundary, more, more_complete in node:
                joined.add((after_boundary or (inner_boundary and not text), text + more,
                            more_complete))  # fmt: skip
        if len(joined) > _MAX_PREFIXES:
            raise _TooMany
        found = frozenset(joined)
    return found


def _node(op: Any, av: Any) -> frozenset[_Prefix]:
    if op is _sre.LITERAL:
        return frozenset({(False, chr(av), True)})
    if op is _sre.AT:
        return frozenset({(av is _sre.AT_BOUNDARY, "", True)})
    if op is _sre.ASSERT or op is _sre.ASSERT_NOT:
        return _EMPTY  # consumes nothing; the match is checked in full anyway
    if op is _sre.IN:
        return _character_class(av)
    if op is _sre.BRANCH:
        return frozenset().union(*(_sequence(branch) for branch in av[1]))
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, items = av
        if add_flags or del_flags:
            return _UNKNOWN
        return _sequence(items)
    if op is _sre.MAX_REPEAT or op is _sre.MIN_REPEAT:
        low, high, items = av
        once = _sequence(items)
        if low == high == 1:
            return once
        opened = frozenset((boundary, text, False) for boundary, text, _ in once)
        if low == 0:
            return (once if high == 1 else opened) | _EMPTY
        return opened
    return _UNKNOWN


def _character_class(items: Any) -> frozenset[_Prefix]:
    chars: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            chars.add(chr(av))
        elif op is _sre.RANGE and av[1] - av[0] < _MAX_CLASS_CHARS:
            chars.update(chr(code) for code in range(av[0], av[1] + 1))
        else:
            return _UNKNOWN
    if len(chars) > _MAX_CLASS_CHARS:
        return _UNKNOWN
    return frozenset((False, char, True) for char in chars)


def trie_pattern(strings: Iterable[str]) -> str:
    """One expression for a set of strings that matches the longest one present."""
    root: dict[str, Any] = {}
    for text in strings:
        node = root
        for char in text:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


class Prefilter:
    """For compiled expressions (families of patterns), the positions in a text where each
    could match."""

    def __init__(self, expressions: Sequence[re.Pattern[str]]) -> None:
        self.expressions = len(expressions)
        found = [
            literal_prefixes(regex.pattern) if not regex.flags & ~re.UNICODE else None
            for regex in expressions
        ]
        # Expressions without prefixes are scanned in full.
        self.prefixed = [prefixes is not None for prefixes in found]
        self._bounded = self._pass(r"\b", [p[0] if p else frozenset() for p in found])
        self._anywhere = self._pass("", [p[1] if p else frozenset() for p in found])

    @staticmethod
    def _pass(
        before: str, prefixes: list[frozenset[str]]
    ) -> tuple[re.Pattern[str], dict[str, tuple[int, ...]]] | None:
        strings = frozenset().union(*prefixes)
        if not strings:
            return None
        # The longest prefix found at a position stands for all the shorter ones there.
        owners = {
            text: tuple(
                index
                for index, texts in enumerate(prefixes)
                if any(text[:length] in texts for length in range(1, len(text) + 1))
            )
            for text in strings
        }
        return re.compile(f"{before}(?=({trie_pattern(strings)}))"), owners

    def positions(self, text: str) -> list[list[int]]:
        """For each expression with prefixes, the ascending positions where a match could
        start (a superset of them); for the others, nothing (scan those in full)."""
        found: list[list[int]] = [[] for _ in range(self.expressions)]
        merged = False
        for scan in (self._bounded, self._anywhere):
            if scan is not None:
                scanner, owners = scan
                for match in scanner.finditer(text):
                    merged = scan is self._anywhere and self._bounded is not None
                    start = match.start()
                    for index in owners[match.group(1)]:
                        found[index].append(start)
        if merged:
            for starts in found:
                starts.sort()
        return found


def matches_at(regex: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """What ``regex.finditer(text)`` yields, trying only ``starts`` (ascending), when every
    match starts at one of them and none is empty. ``match`` at a position sees the text
    before it (word boundaries, look-behinds) just as a scan does."""
    end = 0
    for start in starts:
        if start >= end:
            match = regex.match(text, start)
            if match is not None:
                end = match.end()
                yield match
