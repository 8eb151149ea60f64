"""Reunification matching: families' inquiries against accountability lists, beside the
exact and prefix name searches that Person Finder–style registries offer, in one run.

Run: ``.venv/bin/python -m bench.response_match_bench`` (5,000 inquiries against about
20,000 listed people) or ``--people 4000 --inquiries 1000`` for a quick look. The data
is `vigil.response.synthetic.generate`'s labelled set (nicknames, misspellings, twins,
unidentified patients, people on no list); Vigil's figures come from the code behind
`vigil reunify match`, files read, matched and written.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path

from bench.timing import load_average, say
from vigil.linkage.normalise import fold
from vigil.response import synthetic
from vigil.response.inquiry_matching import match_inquiries
from vigil.response.match_files import (
    INQUIRY_COLUMNS,
    LIST_COLUMNS,
    read_inquiries,
    read_list,
    read_rows,
    write_matches,
)

Ranking = tuple[dict[str, list[str]], dict[str, str]]


def _write(path: Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def _name_words(full_name: str) -> list[str]:
    # Person Finder folds case and accents and searches given and family names as words.
    return fold(full_name.replace(",", " ")).split()


def search_baseline(
    people: list[dict[str, str]],
    inquiries: list[dict[str, str]],
    hit: Callable[[list[str], list[str]], bool],
    top: int,
) -> Ranking:
    """Each inquiry's name searched in the lists; results in list order, the ones with
    the most whole-word agreements first. A single result counts as the likely match
    (the most such a search can say)."""
    by_word: dict[str, list[int]] = defaultdict(list)
    words = [_name_words(p["full_name"]) for p in people]
    for number, person_words in enumerate(words):
        for word in set(person_words):
            for cut in range(1, len(word) + 1):
                by_word[word[:cut]].append(number)
    ranked: dict[str, list[str]] = {}
    likely: dict[str, str] = {}
    for inquiry in inquiries:
        query = _name_words(inquiry["full_name"])
        if not query:
            continue
        pools = [set(by_word.get(word, ())) for word in query]
        found = [n for n in sorted(set.intersection(*pools)) if hit(query, words[n])]
        found.sort(key=lambda n: -len(set(query) & set(words[n])))
        if found:
            ranked[inquiry["id"]] = [people[n]["id"] for n in found[:top]]
            if len(found) == 1:
                likely[inquiry["id"]] = people[found[0]]["id"]
    return ranked, likely


def exact_hit(query: list[str], name: list[str]) -> bool:
    return sorted(query) == sorted(name)


def prefix_hit(query: list[str], name: list[str]) -> bool:
    return all(any(word.startswith(q) for word in name) for q in query)


def run(people: int, inquiries: int, seed: int, top: int) -> dict[str, object]:
    today = date(2026, 11, 26)
    say(f"generating about {people:,} listed people and {inquiries:,} inquiries (seed {seed})")
    data = synthetic.generate(people=people, inquiries=inquiries, seed=seed, today=today)
    figures: dict[str, object] = {
        "listed_people": len(data.list_rows),
        "inquiries": len(data.inquiry_rows),
        "on_a_list": sum(1 for ids in data.truth.values() if ids),
        "load_before": load_average(),
    }
    with tempfile.TemporaryDirectory() as folder:
        lists, asked, out = (Path(folder) / n for n in ("l.csv", "q.csv", "m.csv"))
        _write(lists, LIST_COLUMNS, data.list_rows)
        _write(asked, INQUIRY_COLUMNS, data.inquiry_rows)
        started = time.perf_counter()
        listed = read_list(lists, today=today)
        questions = read_inquiries(asked, today=today)
        read = time.perf_counter()
        candidates = match_inquiries(listed, questions, top=top)
        matched = time.perf_counter()
        write_matches(out, candidates)
        written = time.perf_counter()
        ranked: dict[str, list[str]] = defaultdict(list)
        likely: dict[str, str] = {}
        for row in read_rows(out, ("inquiry_id", "person_id", "rank", "score", "likely")):
            ranked[row["inquiry_id"]].append(row["person_id"])
            if row["likely"] == "yes":
                likely[row["inquiry_id"]] = row["person_id"]
    figures["vigil"] = {
        **asdict(synthetic.evaluate(ranked, likely, data.truth)),
        "read_s": round(read - started, 2),
        "match_s": round(matched - read, 2),
        "write_s": round(written - matched, 2),
        "total_s": round(written - started, 2),
    }
    for name, hit in (("exact_name", exact_hit), ("prefix_name", prefix_hit)):
        started = time.perf_counter()
        base_ranked, base_likely = search_baseline(data.list_rows, data.inquiry_rows, hit, top)
        elapsed = time.perf_counter() - started
        figures[name] = {
            **asdict(synthetic.evaluate(base_ranked, base_likely, data.truth)),
            "total_s": round(elapsed, 2),
        }
    figures["load_after"] = load_average()
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--inquiries", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args(argv)
    figures = run(args.people, args.inquiries, args.seed, args.top)
    print(
        f"{figures['inquiries']:,} inquiries ({figures['on_a_list']:,} about listed people) "
        f"against {figures['listed_people']:,} listed people; "
        f"load {figures['load_before']} -> {figures['load_after']}"
    )
    print(
        f"{'method':<12} {'top-1':>7} {'top-3':>7} {'likely':>7} {'precision':>9} "
        f"{'lk.recall':>9} {'no-list':>7} {'seconds':>8}"
    )
    for name in ("vigil", "exact_name", "prefix_name"):
        f = figures[name]
        assert isinstance(f, dict)
        print(
            f"{name:<12} {f['top1_recall']:7.4f} {f['top3_recall']:7.4f} {f['likely']:7d} "
            f"{f['likely_precision']:9.4f} {f['likely_recall']:9.4f} "
            f"{f['false_likely_for_no_list']:7d} {f['total_s']:8.2f}"
        )
    vigil = figures["vigil"]
    assert isinstance(vigil, dict)
    print(
        f"vigil: read {vigil['read_s']} s, match {vigil['match_s']} s, write {vigil['write_s']} s"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
