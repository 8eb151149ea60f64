"""Underlying factors where the sources record them: prior signs of a mental-health
crisis, how the firearm was obtained and what kind it was, the shooter's age, the
relationship to the targets, the stated motive. Each read from the source's own
column into a small shared vocabulary; what a source does not say stays unsaid."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from vigil.analytics.sources.rows import SourceRow

FACTORS: dict[str, str] = {
    "mental_health": "Prior signs of a mental-health crisis",
    "firearm_obtained": "How the firearm was obtained",
    "weapon_kind": "Kind of firearm",
    "shooter_age": "Shooter's age (the youngest, if several)",
    "relationship": "Relationship to the targets",
    "motive": "Stated motive",
}
# Recorded by none of the loaded sources' files (the CHDS and the Post code no leakage).
NOT_RECORDED = {"warning_signs": "Warning signs or leakage before the attack"}


def _clean(text: str | None) -> str:
    return " ".join((text or "").split()).strip().lower()


def _mental_health(row: SourceRow) -> str | None:
    column = {
        "motherjones_codeholics": "prior_signs_mental_health_issues",
        "stanford_msa": "History of Mental Illness - General",
    }.get(row.dataset)
    value = _clean(row.raw.get(column)) if column else ""
    return {"yes": "yes", "no": "no"}.get(value)


_FAMILY = {"father", "mother", "parent", "stepfather", "grandfather", "home", "relative"}


def _firearm_obtained(row: SourceRow) -> str | None:
    if row.dataset == "motherjones_codeholics":
        value = _clean(row.raw.get("weapons_obtained_legally"))
        if value.startswith("yes"):
            return "legally by the shooter"
        if value == "no":
            return "illegally"
        return None
    if row.dataset == "wapo_school_shootings":
        value = _clean(row.raw.get("weapon_source"))
        if not value:
            return None
        if "stolen" in value:
            return "stolen"
        if "legally purchased" in value:
            return "legally by the shooter"
        if any(word in value.split() for word in _FAMILY):
            return "from family or home"
        return "other"
    return None


def _kinds_in(text: str) -> set[str]:
    found = set()
    if "rifle" in text or "carbine" in text:
        found.add("rifle")
    if "handgun" in text or "revolver" in text or "pistol" in text:
        found.add("handgun")
    if "shotgun" in text:
        found.add("shotgun")
    return found


def _weapon_kind(row: SourceRow) -> str | None:
    kinds: set[str] = set()
    if row.dataset == "fbi_active_shooter_2000_2018":
        for kind, column in (("rifle", "Rifles"), ("shotgun", "Shotguns"), ("handgun", "Handguns")):
            if (row.raw.get(column) or "0").strip() not in {"", "0"}:
                kinds.add(kind)
    elif row.dataset == "stanford_msa":
        value = _clean(row.raw.get("Type of Gun - General"))
        if value.startswith("multiple"):
            return "several kinds"
        kinds = _kinds_in(value)
    elif row.dataset == "motherjones_codeholics":
        kinds = _kinds_in(_clean(row.raw.get("weapon_type")))
    if not kinds:
        return None
    return kinds.pop() if len(kinds) == 1 else "several kinds"


def _shooter_age(row: SourceRow) -> str | None:
    if not row.shooter_ages:
        return None
    age = min(row.shooter_ages)
    if age < 18:
        return "under 18"
    if age < 25:
        return "18-24"
    if age < 45:
        return "25-44"
    return "45 and over"


def _relationship(row: SourceRow) -> str | None:
    if row.dataset == "stanford_msa":
        value = _clean(row.raw.get("Targeted Victim/s - General"))
        return value if value and value != "unknown" else None
    if row.dataset == "wapo_school_shootings":
        value = _clean(row.raw.get("shooter_relationship1"))
        if not value:
            return None
        if value == "student":
            return "student of the school"
        if value.startswith("former student"):
            return "former student"
        return "other tie to the school" if value != "none" else "no tie to the school"
    return None


def _motive(row: SourceRow) -> str | None:
    if row.dataset != "stanford_msa":
        return None
    value = _clean(row.raw.get("Possible Motive - General"))
    return value if value and value != "unknown" else None


_READERS: dict[str, Callable[[SourceRow], str | None]] = {
    "mental_health": _mental_health,
    "firearm_obtained": _firearm_obtained,
    "weapon_kind": _weapon_kind,
    "shooter_age": _shooter_age,
    "relationship": _relationship,
    "motive": _motive,
}


def incident_factors(rows: Sequence[SourceRow]) -> dict[str, str | None]:
    """Each factor's value from the first of ``rows`` (in source priority) that says."""
    found: dict[str, str | None] = {}
    for name, read in _READERS.items():
        found[name] = next((value for row in rows if (value := read(row)) is not None), None)
    return found
