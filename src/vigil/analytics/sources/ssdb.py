"""The CHDS K-12 School Shooting Database (Riedman & O'Neill), 1970-2022: the INCIDENT
sheet as SSDB_INCIDENT.derived.csv, with victims and shooters from the VICTIM and
SHOOTER sheets."""

from __future__ import annotations

from collections import defaultdict
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
    row_keys,
)

DATASET = "k12_ssdb_chds"
FILE = "SSDB_INCIDENT.derived.csv"
VICTIM_FILE = "SSDB_VICTIM.derived.csv"
SHOOTER_FILE = "SSDB_SHOOTER.derived.csv"
WEAPON_FILE = "SSDB_WEAPON.derived.csv"
WEAPON_COLUMNS = ["incidentid", "weaponcaliber", "weapondetails", "weapontype"]
ID_COLUMN = "Incident_ID"
COLUMNS = [
    "Incident_ID",
    "Sources",
    "Number_News",
    "Media_Attention",
    "Reliability",
    "Date",
    "Quarter",
    "School",
    "City",
    "State",
    "School_Level",
    "Location",
    "Location_Type",
    "During_School",
    "Time_Period",
    "First_Shot",
    "Summary",
    "Narrative",
    "Situation",
    "Targets",
    "Accomplice",
    "Hostages",
    "Barricade",
    "Officer_Involved",
    "Bullied",
    "Domestic_Violence",
    "Gang_Related",
    "Preplanned",
    "Shots_Fired",
    "Active_Shooter_FBI",
]
VICTIM_COLUMNS = ["incidentid", "race", "injury", "gender", "schoolaffiliation", "age"]
SHOOTER_COLUMNS = [
    "incidentid",
    "age",
    "gender",
    "race",
    "schoolaffiliation",
    "shooteroutcome",
    "shooterdied",
    "injury",
    "chargesfiled",
    "verdict",
    "minorchargedadult",
    "criminalhistory",
]
_LEVELS = {
    "elementary": "primary",
    "k-8": "primary",
    "middle": "primary",
    "junior high": "primary",
    "high": "secondary",
    "6-12": "secondary",
    "k-12": "secondary",
}


def _victims(folder: Path, log: ProblemLog) -> dict[str, tuple[int, int]]:
    """Killed and wounded per incident id from the VICTIM sheet ('Minor Injuries' count
    as wounded; 'None' are people shot at and missed)."""
    path = folder / VICTIM_FILE
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    if not path.exists():
        log.at(None, None)
        log.report(None, f"{VICTIM_FILE} not found: killed and injured unknown")
        return {}
    table = read_csv(path)
    sub = ProblemLog(DATASET, VICTIM_FILE)
    sub.check_header(table, VICTIM_COLUMNS, ["incidentid", "injury"])
    for index, raw in enumerate(table.rows):
        injury = (raw.get("injury") or "").strip()
        tally = counts[raw["incidentid"].strip()]
        if injury == "Fatal":
            tally[0] += 1
        elif injury in {"Wounded", "Minor Injuries"}:
            tally[1] += 1
        elif injury not in {"None", "", "null"}:
            sub.at(index, None)
            sub.report("injury", f"unknown injury {injury!r}")
    log.problems.extend(sub.problems)
    return {key: (value[0], value[1]) for key, value in counts.items()}


def _shooter_ages(folder: Path) -> dict[str, tuple[int, ...]]:
    path = folder / SHOOTER_FILE
    if not path.exists():
        return {}
    found: dict[str, tuple[int, ...]] = defaultdict(tuple)
    for raw in read_csv(path).rows:
        key = (raw.get("incidentid") or "").strip()
        found[key] = found[key] + ages(raw.get("age"))
    return dict(found)


def load(folder: Path) -> LoadedSource:
    """Load the incidents; an incident with no victim rows counts 0 killed, 0 wounded."""
    path = folder / FILE
    if not path.exists():
        raise SourceFileError(f"{DATASET}: {FILE} not found")
    table = read_csv(path)
    log = ProblemLog(DATASET, FILE)
    log.check_header(table, COLUMNS, [ID_COLUMN])
    victims = _victims(folder, log)
    shooter_ages = _shooter_ages(folder)
    keys = row_keys([row[ID_COLUMN] for row in table.rows])
    rows = []
    for index, (raw, key) in enumerate(zip(table.rows, keys, strict=True)):
        log.at(index, key)
        log.check_length(table, index)
        incident = raw[ID_COLUMN].strip()
        state = log.state("State", raw.get("State"))
        killed, injured = victims.get(incident, (0, 0)) if victims else (None, None)
        when = log.date("Date", raw.get("Date"), ("%Y-%m-%d", "%m/%d/%Y"))
        level = (raw.get("School_Level") or "").strip().lower()
        rows.append(
            SourceRow(
                dataset=DATASET,
                file=FILE,
                row_index=index,
                row_key=key,
                published_id=incident or None,
                raw=raw,
                date=when,
                city=city_key(raw.get("City")),
                state=state,
                title=clean(raw.get("School")),
                killed=killed,
                injured=injured,
                shooter_ages=shooter_ages.get(incident, ()),
                school=True,
                school_level=_LEVELS.get(level),
                setting=clean(raw.get("Location_Type")),
                # Rows sharing an id, date and school are one incident entered twice.
                group=f"{incident}|{when}|{city_key(raw.get('City'))}" if incident else None,
                extra={
                    "during_school": clean(raw.get("During_School")),
                    "active_shooter_fbi": clean(raw.get("Active_Shooter_FBI")),
                    "situation": clean(raw.get("Situation")),
                },
            )
        )
    return LoadedSource(DATASET, rows, log.problems)


def load_weapons(folder: Path) -> LoadedSource:
    """The WEAPON sheet as published, one row per weapon (``row_key`` the row index)."""
    path = folder / WEAPON_FILE
    if not path.exists():
        raise SourceFileError(f"{DATASET}: {WEAPON_FILE} not found")
    table = read_csv(path)
    log = ProblemLog(DATASET, WEAPON_FILE)
    log.check_header(table, WEAPON_COLUMNS, ["incidentid"])
    rows = []
    for index, raw in enumerate(table.rows):
        log.at(index, str(index))
        log.check_length(table, index)
        rows.append(
            SourceRow(
                dataset=DATASET,
                file=WEAPON_FILE,
                row_index=index,
                row_key=str(index),
                published_id=clean(raw.get("incidentid")),
                raw=raw,
                weapon=clean(raw.get("weapontype")),
            )
        )
    return LoadedSource(DATASET, rows, log.problems)
