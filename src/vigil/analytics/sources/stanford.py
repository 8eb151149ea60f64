"""Stanford Mass Shootings in America (MSA), 1966-2016: Stanford_MSA_Database.csv."""

from __future__ import annotations

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
    row_keys,
    sum_known,
    yes_no,
)

DATASET = "stanford_msa"
FILE = "Stanford_MSA_Database.csv"
ID_COLUMN = "CaseID"
COLUMNS = [
    "CaseID",
    "Title",
    "Location",
    "City",
    "State",
    "Latitude",
    "Longitude",
    "Number of Civilian Fatalities",
    "Number of Civilian Injured",
    "Number of Enforcement Fatalities",
    "Number of Enforcement Injured",
    "Total Number of Fatalities",
    "Total Number of Victims",
    "Description",
    "Date",
    "Day of Week",
    "Date - Detailed",
    "Shooter Name",
    "Number of shooters",
    "Shooter Age(s)",
    "Average Shooter Age",
    "Shooter Sex",
    "Shooter Race",
    "Type of Gun - Detailed",
    "Type of Gun - General",
    "Number of Shotguns",
    "Number of Rifles",
    "Number of Handguns",
    "Total Number of Guns",
    "Number of Automatic Guns",
    "Number of Semi-Automatic Guns",
    "Fate of Shooter at the scene",
    "Fate of Shooter",
    "Shooter's Cause of Death",
    "School Related",
    "Place Type",
    "Relationship to Incident Location",
    "Targeted Victim/s - Detailed",
    "Targeted Victim/s - General",
    "Possible Motive - Detailed",
    "Possible Motive - General",
    "History of Mental Illness - Detailed",
    "History of Mental Illness - General",
    "Data Source 1",
    "Data Source 2",
    "Data Source 3",
    "Data Source 4",
    "Data Source 5",
    "Data Source 6",
    "Data Source 7",
    "Military Experience",
    "Class",
    "Depreciation",
    "Notes",
    "Edit Date",
]


def split_names(text: str | None) -> tuple[str, ...]:
    value = clean(text)
    if not value or value.lower() in {"unknown", "unidentified"}:
        return ()
    parts = [part.strip() for chunk in value.split(" and ") for part in chunk.split(",")]
    return tuple(part for part in parts if part and not part.lower().startswith("unknown"))


def load(folder: Path) -> LoadedSource:
    """Load the MSA rows; counts are civilian plus law-enforcement victims (no shooter)."""
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
        killed = sum_known(
            log.count("Number of Civilian Fatalities", raw.get("Number of Civilian Fatalities")),
            log.count(
                "Number of Enforcement Fatalities", raw.get("Number of Enforcement Fatalities")
            ),
        )
        injured = sum_known(
            log.count("Number of Civilian Injured", raw.get("Number of Civilian Injured")),
            log.count("Number of Enforcement Injured", raw.get("Number of Enforcement Injured")),
        )
        state = log.state("State", raw.get("State"))
        place_type = clean(raw.get("Place Type"))
        # Some rows name a county where the city goes ("Kalamazoo County").
        city, county = split_city_or_county(raw.get("City"))
        rows.append(
            SourceRow(
                dataset=DATASET,
                file=FILE,
                row_index=index,
                row_key=key,
                published_id=clean(raw.get(ID_COLUMN)),
                raw=raw,
                date=log.date("Date", raw.get("Date"), ("%m/%d/%Y",)),
                city=city,
                county=county,
                state=state,
                place_text=clean(raw.get("Location")),
                title=clean(raw.get("Title")),
                killed=killed,
                injured=injured,
                shooter_names=split_names(raw.get("Shooter Name")),
                shooter_ages=ages(raw.get("Shooter Age(s)")),
                school=yes_no(raw.get("School Related")),
                school_level=_level(place_type),
                setting=place_type,
                weapon=clean(raw.get("Type of Gun - General")),
            )
        )
    return LoadedSource(DATASET, rows, log.problems)


def _level(place_type: str | None) -> str | None:
    text = (place_type or "").lower()
    if "primary school" in text:
        return "primary"
    if "secondary school" in text:
        return "secondary"
    if "college" in text or "university" in text:
        return "college"
    return None
