"""Mother Jones' US mass shootings 1982-2024, Codeholics edition:
"Codeholics - Mass Shootings Database 1982-2024.csv"."""

from __future__ import annotations

import re
from pathlib import Path

from vigil.analytics.places import split_city_or_county
from vigil.analytics.sources.rows import (
    LoadedSource,
    ProblemLog,
    SourceFileError,
    SourceRow,
    ages,
    clean,
    read_csv,
)

DATASET = "motherjones_codeholics"
FILE = "Codeholics - Mass Shootings Database 1982-2024.csv"
COLUMNS = [
    "case",
    "location",
    "city",
    "state",
    "date",
    "summary",
    "fatalities",
    "injured",
    "total_victims",
    "location_2",
    "age_of_Shooter",
    "prior_signs_mental_health_issues",
    "mental_health_details",
    "weapons_obtained_legally",
    "where_obtained",
    "weapon_type",
    "weapon_details",
    "race",
    "gender",
    "sources",
    "mental_health_sources",
    "sources_additional_age",
    "latitude",
    "longitude",
    "type",
    "year",
    "changes",
]

# "Colt Gray, 14, was apprehended": the capitalised words right before ", <age>,".
_NAME_BEFORE_AGE = re.compile(r"((?:[A-Z][\w.'\-]*\s){1,4}[A-Z][\w'\-]+),\s\d{1,2}\b")
_TITLES = {"army", "navy", "sgt.", "sgt", "pfc.", "spc.", "maj.", "dr.", "former", "marine"}


def summary_names(summary: str | None) -> tuple[str, ...]:
    """Shooter names as the summaries introduce them ('Name, age, ...')."""
    names = []
    for match in _NAME_BEFORE_AGE.finditer(summary or ""):
        words = [word for word in match.group(1).split() if word.lower() not in _TITLES]
        if len(words) >= 2:
            names.append(" ".join(words))
    return tuple(dict.fromkeys(names))


def load(folder: Path) -> LoadedSource:
    """Load the Codeholics rows (row keys are 0-based row indexes: the file has no id)."""
    path = folder / FILE
    if not path.exists():
        raise SourceFileError(f"{DATASET}: {FILE} not found")
    table = read_csv(path)
    log = ProblemLog(DATASET, FILE)
    log.check_header(table, COLUMNS, [])
    rows = []
    for index, raw in enumerate(table.rows):
        key = str(index)
        log.at(index, key)
        log.check_length(table, index)
        state = log.state("state", raw.get("state"))
        setting = clean(raw.get("location_2"))
        # Some rows name a county where the city goes ("Kalamazoo County").
        city, county = split_city_or_county(raw.get("city"))
        rows.append(
            SourceRow(
                dataset=DATASET,
                file=FILE,
                row_index=index,
                row_key=key,
                published_id=None,
                raw=raw,
                date=log.date("date", raw.get("date"), ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")),
                city=city,
                county=county,
                state=state,
                place_text=clean(raw.get("location")),
                title=clean(raw.get("case")),
                killed=log.count("fatalities", raw.get("fatalities")),
                injured=log.count("injured", raw.get("injured")),
                shooter_names=summary_names(raw.get("summary")),
                shooter_ages=ages(raw.get("age_of_Shooter")),
                school=setting == "School" if setting else None,
                setting=setting,
                weapon=clean(raw.get("weapon_type")),
                extra={
                    "prior_signs_mental_health_issues": clean(
                        raw.get("prior_signs_mental_health_issues")
                    ),
                    "weapons_obtained_legally": clean(raw.get("weapons_obtained_legally")),
                    "type": clean(raw.get("type")),
                },
            )
        )
    return LoadedSource(DATASET, rows, log.problems)
