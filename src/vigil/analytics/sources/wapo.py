"""The Washington Post's school shootings since Columbine: school-shootings-data.csv."""

from __future__ import annotations

from pathlib import Path

from vigil.analytics.places import city_key, county_key
from vigil.analytics.sources.rows import (
    LoadedSource,
    ProblemLog,
    SourceFileError,
    SourceRow,
    ages,
    clean,
    read_csv,
    row_keys,
)

DATASET = "wapo_school_shootings"
FILE = "school-shootings-data.csv"
ID_COLUMN = "uid"
COLUMNS = [
    "uid",
    "nces_school_id",
    "school_name",
    "nces_district_id",
    "district_name",
    "date",
    "school_year",
    "year",
    "time",
    "day_of_week",
    "city",
    "state",
    "school_type",
    "enrollment",
    "killed",
    "injured",
    "casualties",
    "shooting_type",
    "age_shooter1",
    "gender_shooter1",
    "race_ethnicity_shooter1",
    "shooter_relationship1",
    "shooter_deceased1",
    "deceased_notes1",
    "age_shooter2",
    "gender_shooter2",
    "race_ethnicity_shooter2",
    "shooter_relationship2",
    "shooter_deceased2",
    "deceased_notes2",
    "white",
    "black",
    "hispanic",
    "asian",
    "american_indian_alaska_native",
    "hawaiian_native_pacific_islander",
    "two_or_more",
    "resource_officer",
    "weapon",
    "weapon_source",
    "lat",
    "long",
    "staffing",
    "low_grade",
    "high_grade",
    "lunch",
    "county",
    "state_fips",
    "county_fips",
    "ulocale",
]


def school_level(low: str | None, high: str | None) -> str | None:
    """'primary' when the school's highest grade is 8 or below, else 'secondary'."""
    top = (high or "").strip().upper()
    if not top:
        return None
    if top in {"PK", "KG", "K"}:
        return "primary"
    try:
        return "primary" if int(top) <= 8 else "secondary"
    except ValueError:
        return None


def load(folder: Path) -> LoadedSource:
    """Load the Post's rows (counts exclude the shooter, as the record layout says)."""
    path = folder / FILE
    if not path.exists():
        raise SourceFileError(f"{DATASET}: {FILE} not found")
    table = read_csv(path)
    log = ProblemLog(DATASET, FILE)
    log.check_header(table, COLUMNS, [ID_COLUMN])
    keys = row_keys([row[ID_COLUMN] for row in table.rows])
    rows = []
    for index, (raw, key) in enumerate(zip(table.rows, keys, strict=True)):
        log.at(index, key)
        log.check_length(table, index)
        state = log.state("state", raw.get("state"))
        rows.append(
            SourceRow(
                dataset=DATASET,
                file=FILE,
                row_index=index,
                row_key=key,
                published_id=clean(raw.get(ID_COLUMN)),
                raw=raw,
                date=log.date("date", raw.get("date"), ("%m/%d/%Y", "%Y-%m-%d")),
                city=city_key(raw.get("city")),
                state=state,
                county=county_key(raw.get("county")),
                title=clean(raw.get("school_name")),
                killed=log.count("killed", raw.get("killed")),
                injured=log.count("injured", raw.get("injured")),
                shooter_ages=ages(raw.get("age_shooter1")) + ages(raw.get("age_shooter2")),
                school=True,
                school_level=school_level(raw.get("low_grade"), raw.get("high_grade")),
                setting="K-12 school",
                weapon=clean(raw.get("weapon")),
                extra={"shooting_type": clean(raw.get("shooting_type"))},
            )
        )
    return LoadedSource(DATASET, rows, log.problems)
