"""The figures each source publishes about itself (incidents, killed, wounded for a
stated period), recomputed from its raw rows, and where the two disagree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from vigil.analytics.sources.rows import SourceRow

Rows = Sequence[SourceRow]


@dataclass(frozen=True)
class Headline:
    dataset: str
    figure: str
    published: int
    where: str
    compute: Callable[[Rows], int]
    # 'exact' or 'more than' (a README's "more than 260k").
    claim: str = "exact"
    # Which table of the data set the figure counts: its incident rows or 'weapons'.
    table: str = "rows"
    # Why the raw rows and the published figure differ, when they do.
    explanation: str = ""


@dataclass(frozen=True)
class HeadlineCheck:
    headline: Headline
    computed: int

    @property
    def agrees(self) -> bool:
        if self.headline.claim == "more than":
            return self.computed > self.headline.published
        return self.computed == self.headline.published


def _between(rows: Rows, first: int, last: int) -> list[SourceRow]:
    return [row for row in rows if row.date is not None and first <= row.date.year <= last]


def _events(rows: Rows) -> int:
    return len({row.group or row.row_key for row in rows})


def _total(rows: Rows, field: str) -> int:
    return sum(getattr(row, field) or 0 for row in rows)


def _fbi(first: int, last: int, what: str) -> Callable[[Rows], int]:
    def compute(rows: Rows) -> int:
        chosen = _between(rows, first, last)
        return _events(chosen) if what == "incidents" else _total(chosen, what)

    return compute


def _latest(field: str) -> Callable[[Rows], int]:
    def compute(rows: Rows) -> int:
        newest = max(rows, key=lambda row: row.date or date.min)
        return int(getattr(newest, field) or 0)

    return compute


def _weapon(kind: str) -> Callable[[Rows], int]:
    def compute(rows: Rows) -> int:
        return sum(1 for row in rows if row.raw.get("weapontype", "").strip() == kind)

    return compute


FBI = "fbi_active_shooter_2000_2018"
FBI_2018 = (
    'FBI, "Active Shooter Incidents in the United States in 2018" (2019): 277 incidents '
    "2000-2018, 2,430 casualties (884 killed, 1,546 wounded), shooters excluded"
)
FBI_2016_2017 = 'FBI, "Active Shooter Incidents in the United States in 2016 and 2017" (2018)'
NAVISTAR = (
    "The CSV dates the Navistar factory shooting (4 killed, 4 wounded) 2/5/2019; the "
    "FBI's own list (active-shooter-incidents-2000-2018.pdf) says February 5, 2001."
)
FBI_TOTALS = (
    "Over every row the CSV sums to 880 killed and 1,548 wounded: the transcription "
    "differs from the FBI's totals by 4 killed and 2 wounded besides the Navistar date."
)
GVA_MASS_README = 'dxzys/Gun-Violence-Data README, "Statistics", last updated July 24, 2026'
SSDB_CHART = "SSDB_Raw_Data.xlsx, chart of weapon types (WEAPON!F2:G10)"

FBI_2000_2013 = (
    "Blair and Schweit, A Study of Active Shooter Incidents in the United States Between 2000 "
    "and 2013 (Texas State University and FBI, 2014): 160 incidents, 486 killed, 557 wounded"
)
FBI_2014_2015 = 'FBI, "Active Shooter Incidents in the United States in 2014 and 2015" (2016)'
FBI_EARLY = (
    "Even with Navistar counted in 2001 the CSV has 483 killed and 559 wounded for 2000-2013: "
    "some rows' counts differ from the FBI's study."
)


def _fbi_figures(
    cite: str, first: int, last: int, figures: tuple[int, int, int], explanation: str = ""
) -> tuple[Headline, ...]:
    span = str(first) if first == last else f"{first}-{last}"
    return tuple(
        Headline(
            FBI, f"{what} {span}", value, cite, _fbi(first, last, field), explanation=explanation
        )
        for what, field, value in zip(
            ("incidents", "killed", "wounded"),
            ("incidents", "killed", "injured"),
            figures,
            strict=True,
        )
    )


def _gva_mass(figure: str, value: int, compute: Callable[[Rows], int]) -> Headline:
    return Headline("gva_mass_shootings_dxzys", figure, value, GVA_MASS_README, compute)


HEADLINES: tuple[Headline, ...] = (
    *_fbi_figures(FBI_2018, 2000, 2018, (277, 884, 1546), f"{NAVISTAR} {FBI_TOTALS}"),
    *_fbi_figures(FBI_2000_2013, 2000, 2013, (160, 486, 557), f"{NAVISTAR} {FBI_EARLY}"),
    *_fbi_figures(FBI_2014_2015, 2014, 2015, (40, 92, 139), "The CSV has 91 killed."),
    *_fbi_figures(FBI_2016_2017, 2016, 2016, (20, 83, 131)),
    *_fbi_figures(FBI_2016_2017, 2017, 2017, (30, 138, 591)),
    *_fbi_figures(FBI_2018, 2018, 2018, (27, 85, 128)),
    _gva_mass("incidents 2013-2026", 6127, len),
    _gva_mass("incidents 2026", 269, lambda rows: len(_between(rows, 2026, 2026))),
    _gva_mass("killed in the most recent incident (July 22, 2026)", 0, _latest("killed")),
    _gva_mass("injured in the most recent incident (July 22, 2026)", 4, _latest("injured")),
    Headline(
        "gva_incidents_2013_2018",
        "incidents January 2013 - March 2018",
        260_000,
        "jamesqo/gun-violence-data README: "
        '"we make a record of more than 260k gun violence incidents"',
        len,
        claim="more than",
        explanation="The published files hold 239,677 incidents (the same count as the widely "
        "used Kaggle copy); the README's 260k is not in the data.",
    ),
    Headline(
        "gva_incidents_2013_2018",
        "incidents 2013",
        279,
        'jamesqo/gun-violence-data README: "only 279 incidents from 2013 were catalogued"',
        lambda rows: len(_between(rows, 2013, 2013)),
        explanation="The stage-2 files hold 278 incidents dated 2013, one fewer than the "
        "README says.",
    ),
    Headline(
        "wapo_school_shootings",
        "school shootings since Columbine (to January 2025)",
        428,
        "washingtonpost/data-school-shootings, commit 7a6dda9 "
        '"428 school shootings since Columbine"',
        len,
    ),
    *(
        Headline(
            "k12_ssdb_chds", f"weapons: {kind}", count, SSDB_CHART, _weapon(kind), table="weapons"
        )
        for kind, count in (
            ("Handgun", 1403),
            ("Multiple Handguns", 40),
            ("Rifle", 107),
            ("No Data", 230),
            ("Shotgun", 67),
            ("Multiple Unknown", 26),
            ("Other", 95),
            ("Unknown", 24),
            ("Multiple Rifles", 7),
        )
    ),
)  # fmt: skip

# Sources that publish no figure about themselves in the files Vigil reads.
NO_HEADLINE = {
    "stanford_msa": "The MSA publishes no totals; its CaseID repeats (156 and 168 are each "
    "two different shootings) and Kalamazoo, 20 February 2016, is entered twice (250, 282).",
    "motherjones_codeholics": "Mother Jones' totals are on its web page, not in the files; "
    "the Codeholics edition keeps the raw file's 151 cases, 1,159 killed and 1,647 injured.",
}


def check(dataset: str, tables: dict[str, Rows]) -> list[HeadlineCheck]:
    """Recompute every published figure of ``dataset`` from its tables."""
    return [
        HeadlineCheck(h, h.compute(tables[h.table]))
        for h in HEADLINES
        if h.dataset == dataset and h.table in tables
    ]


def check_directory(directory: Path) -> list[HeadlineCheck]:
    """Recompute the published figures of every data set found in ``directory``."""
    from vigil.analytics.sources import DATASETS, ssdb

    checks = []
    for name, dataset in DATASETS.items():
        folder = directory / name
        if not folder.is_dir():
            continue
        tables: dict[str, Rows] = {"rows": dataset.load(folder).rows}
        if name == ssdb.DATASET:
            tables["weapons"] = ssdb.load_weapons(folder).rows
        checks.extend(check(name, tables))
    return checks
