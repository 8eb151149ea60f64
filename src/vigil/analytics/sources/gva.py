"""Gun Violence Archive exports: every incident 2013-2018 (jamesqo/gun-violence-data,
stage-2 CSVs or their one gzip file) and the mass shootings 2013-2026
(dxzys/Gun-Violence-Data gva_master.csv)."""

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
    iter_files,
    read_csv,
    row_keys,
)

INCIDENTS = "gva_incidents_2013_2018"
INCIDENTS_ID = "incident_id"
INCIDENT_COLUMNS = [
    "incident_id",
    "date",
    "state",
    "city_or_county",
    "address",
    "n_killed",
    "n_injured",
    "incident_url",
    "source_url",
    "incident_url_fields_missing",
    "congressional_district",
    "gun_stolen",
    "gun_type",
    "incident_characteristics",
    "latitude",
    "location_description",
    "longitude",
    "n_guns_involved",
    "notes",
    "participant_age",
    "participant_age_group",
    "participant_gender",
    "participant_name",
    "participant_relationship",
    "participant_status",
    "participant_type",
    "sources",
    "state_house_district",
    "state_senate_district",
]
INCIDENT_FILES = ("*.csv.gz", "stage2.*.csv", "*.csv")

MASS = "gva_mass_shootings_dxzys"
MASS_FILE = "gva_master.csv"
MASS_ID = "Incident ID"
MASS_COLUMNS = [
    "Incident ID",
    "Incident Date",
    "State",
    "City Or County",
    "Address",
    "Victims Killed",
    "Victims Injured",
    "Suspects Killed",
    "Suspects Injured",
    "Suspects Arrested",
    "Operations",
    "latitude",
    "longitude",
]


def parse_dict(text: str | None) -> dict[str, str]:
    """GVA's '0::a||1::b' encoding (a value without 'k::' gets its position as key)."""
    found: dict[str, str] = {}
    for position, item in enumerate((text or "").split("||")):
        if not item:
            continue
        key, sep, value = item.partition("::")
        if sep:
            found[key.strip()] = value.strip()
        else:
            found[str(position)] = item.strip()
    return found


def _suspects(raw: dict[str, str]) -> tuple[list[str], int, int, tuple[int, ...]]:
    """Suspects' names, how many were killed and injured, and their ages."""
    kinds = parse_dict(raw.get("participant_type"))
    statuses = parse_dict(raw.get("participant_status"))
    names = parse_dict(raw.get("participant_name"))
    years = parse_dict(raw.get("participant_age"))
    found_names: list[str] = []
    killed = injured = 0
    found_ages: tuple[int, ...] = ()
    for key, kind in kinds.items():
        if not kind.startswith("Subject"):
            continue
        status = statuses.get(key, "")
        killed += "Killed" in status
        injured += "Injured" in status
        if names.get(key):
            found_names.append(names[key])
        found_ages += ages(years.get(key))
    return found_names, killed, injured, found_ages


def load_incidents(folder: Path) -> LoadedSource:
    """Load every incident. GVA's n_killed and n_injured include the suspects; the
    victims-only counts subtract the suspects the participant fields say were hit."""
    files = list(dict.fromkeys(iter_files(folder, INCIDENT_FILES)))
    if not files:
        raise SourceFileError(f"{INCIDENTS}: no CSV or CSV.GZ file found")
    rows: list[SourceRow] = []
    problems = []
    for path in files:
        table = read_csv(path)
        log = ProblemLog(INCIDENTS, path.name)
        log.check_header(table, INCIDENT_COLUMNS, [INCIDENTS_ID])
        keys = row_keys([row[INCIDENTS_ID] for row in table.rows])
        for index, (raw, key) in enumerate(zip(table.rows, keys, strict=True)):
            log.at(index, key)
            log.check_length(table, index)
            names, suspects_killed, suspects_injured, suspect_ages = _suspects(raw)
            killed = log.count("n_killed", raw.get("n_killed"))
            injured = log.count("n_injured", raw.get("n_injured"))
            state = log.state("state", raw.get("state"))
            city, county = split_city_or_county(raw.get("city_or_county"))
            traits = raw.get("incident_characteristics") or ""
            rows.append(
                SourceRow(
                    dataset=INCIDENTS,
                    file=path.name,
                    row_index=index,
                    row_key=key,
                    published_id=clean(raw.get(INCIDENTS_ID)),
                    raw=raw,
                    date=log.date("date", raw.get("date"), ("%Y-%m-%d",)),
                    city=city,
                    county=county,
                    state=state,
                    place_text=clean(raw.get("address")),
                    title=clean(raw.get("location_description")),
                    killed=None if killed is None else max(killed - suspects_killed, 0),
                    injured=None if injured is None else max(injured - suspects_injured, 0),
                    shooter_names=tuple(names),
                    shooter_ages=suspect_ages,
                    # GVA tags school shootings; an untagged row says nothing either way.
                    school=True if "School Shooting" in traits else None,
                    school_level="secondary" if "elementary/secondary" in traits else None,
                    setting=None,
                    gva_id=clean(raw.get(INCIDENTS_ID)),
                    extra={
                        "mass_shooting": "yes" if "Mass Shooting" in traits else "no",
                        "n_killed": clean(raw.get("n_killed")),
                        "n_injured": clean(raw.get("n_injured")),
                    },
                )
            )
        problems.extend(log.problems)
    return LoadedSource(INCIDENTS, rows, problems)


def load_mass(folder: Path) -> LoadedSource:
    """Load GVA's mass-shooting report rows (victims and suspects counted apart)."""
    path = folder / MASS_FILE
    if not path.exists():
        raise SourceFileError(f"{MASS}: {MASS_FILE} not found")
    table = read_csv(path)
    log = ProblemLog(MASS, MASS_FILE)
    log.check_header(table, MASS_COLUMNS, [MASS_ID])
    keys = row_keys([row[MASS_ID] for row in table.rows])
    rows = []
    for index, (raw, key) in enumerate(zip(table.rows, keys, strict=True)):
        log.at(index, key)
        log.check_length(table, index)
        state = log.state("State", raw.get("State"))
        city, county = split_city_or_county(raw.get("City Or County"))
        rows.append(
            SourceRow(
                dataset=MASS,
                file=MASS_FILE,
                row_index=index,
                row_key=key,
                published_id=clean(raw.get(MASS_ID)),
                raw=raw,
                date=log.date("Incident Date", raw.get("Incident Date"), ("%B %d, %Y", "%Y-%m-%d")),
                city=city,
                county=county,
                state=state,
                place_text=clean(raw.get("Address")),
                killed=log.count("Victims Killed", raw.get("Victims Killed")),
                injured=log.count("Victims Injured", raw.get("Victims Injured")),
                gva_id=clean(raw.get(MASS_ID)),
                extra={
                    "suspects_killed": clean(raw.get("Suspects Killed")),
                    "suspects_injured": clean(raw.get("Suspects Injured")),
                },
            )
        )
    return LoadedSource(MASS, rows, log.problems)
