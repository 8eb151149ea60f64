"""FBI active shooter incidents 2000-2018 as transcribed by USAFacts: active_shooters.csv
(cp1252, one row per shooter)."""

from __future__ import annotations

from pathlib import Path

from vigil.analytics.places import city_key
from vigil.analytics.sources.rows import (
    LoadedSource,
    ProblemLog,
    SourceFileError,
    SourceRow,
    ages,
    clean,
    read_csv,
)

DATASET = "fbi_active_shooter_2000_2018"
FILE = "active_shooters.csv"
COLUMNS = [
    "Active Shooter Event",
    "Active Shooter Casualties",
    "Active Shooter Wounded",
    "Active Shooter Killed",
    "City",
    "State",
    "Location Type",
    "Rifles",
    "Shotguns",
    "Handguns",
    "Explosives",
    "Date",
    "Time ",
    "Age of Shooter",
    "Gender of Shooter",
]


def load(folder: Path) -> LoadedSource:
    """Load one row per shooter; rows with the same event name and date are one incident
    (``group``) whose killed and wounded are the sum over its shooters."""
    path = folder / FILE
    if not path.exists():
        raise SourceFileError(f"{DATASET}: {FILE} not found")
    table = read_csv(path, encoding="cp1252")
    log = ProblemLog(DATASET, FILE)
    log.check_header(table, COLUMNS, ["Active Shooter Event", "Date"])
    rows = []
    for index, raw in enumerate(table.rows):
        key = str(index)
        log.at(index, key)
        log.check_length(table, index)
        state = log.state("State", raw.get("State"))
        when = log.date("Date", raw.get("Date"), ("%m/%d/%Y",))
        event = (raw.get("Active Shooter Event") or "").strip()
        location = clean(raw.get("Location Type"))
        rows.append(
            SourceRow(
                dataset=DATASET,
                file=FILE,
                row_index=index,
                row_key=key,
                published_id=None,
                raw=raw,
                date=when,
                city=city_key(raw.get("City")),
                state=state,
                title=event or None,
                killed=log.count("Active Shooter Killed", raw.get("Active Shooter Killed")),
                injured=log.count("Active Shooter Wounded", raw.get("Active Shooter Wounded")),
                shooter_ages=ages(raw.get("Age of Shooter")),
                school=location == "Education",
                setting=location,
                group=f"{event.lower()}|{raw.get('Date', '').strip()}" if event else None,
            )
        )
    return LoadedSource(DATASET, rows, log.problems)
