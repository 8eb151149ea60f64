"""The public incident data sets Vigil reads, one loader per folder of
../shared/data/incidents (folder name = data set name), and what each one's terms allow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vigil.analytics.sources import fbi, gva, motherjones, ssdb, stanford, wapo
from vigil.analytics.sources.rows import LoadedSource, RowProblem, SourceFileError, SourceRow


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    publisher: str
    licence: str
    attribution: str
    definition: str
    load: Callable[[Path], LoadedSource]


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            fbi.DATASET,
            "Active Shooter Incidents in the United States, 2000-2018",
            "FBI (transcribed to CSV by USAFacts)",
            "US government work (17 U.S.C. 105); the transcription states no terms",
            "Source: FBI, Active Shooter Incidents in the United States 2000-2018; "
            "CSV by USAFacts.",
            "An active shooter is one or more individuals actively engaged in killing or "
            "attempting to kill people in a populated area (FBI); shooters' own deaths excluded.",
            fbi.load,
        ),
        Dataset(
            gva.INCIDENTS,
            "Gun violence incidents, January 2013 - March 2018",
            "Gun Violence Archive (scraped by jamesqo/gun-violence-data)",
            "No licence; GVA asks for credit and to be told of use",
            "Source: Gun Violence Archive (gunviolencearchive.org), via jamesqo/gun-violence-data.",
            "Every gun violence incident GVA recorded; 2013 is not exhaustive (279 incidents).",
            gva.load_incidents,
        ),
        Dataset(
            gva.MASS,
            "Mass shootings, 2013 - 2026",
            "Gun Violence Archive (compiled by dxzys/Gun-Violence-Data)",
            "No licence; GVA asks for credit and to be told of use",
            "Source: Gun Violence Archive (gunviolencearchive.org), via dxzys/Gun-Violence-Data.",
            "GVA: 4+ shot, either injured or killed, not including the shooter, at one time "
            "and place.",
            gva.load_mass,
        ),
        Dataset(
            ssdb.DATASET,
            "K-12 School Shooting Database, 1970-2022",
            "Naval Postgraduate School, Center for Homeland Defense and Security",
            "Public resource available for use for any purpose, with citation",
            "Riedman, David and Desmond O'Neill (2020). K-12 School Shooting Database. Naval "
            "Postgraduate School, Center for Homeland Defense and Security. www.chds.us/ssdb/",
            "Each time a gun is brandished, fired or a bullet hits school property, for any "
            "reason, regardless of the number of victims, time or day (CHDS).",
            ssdb.load,
        ),
        Dataset(
            motherjones.DATASET,
            "US Mass Shootings, 1982-2024",
            "Mother Jones (Follman, Aronsen, Pan); Codeholics edition",
            "Mother Jones publishes the data openly (no licence stated); Codeholics edition MIT",
            "Source: Mother Jones, US Mass Shootings 1982-2024; Codeholics edition.",
            "Indiscriminate rampages in public places with 4+ victims killed by the attacker "
            "(3+ from 2013), excluding conventional crimes such as armed robbery, gang violence "
            "and domestic violence in private homes.",
            motherjones.load,
        ),
        Dataset(
            stanford.DATASET,
            "Mass Shootings in America, 1966-2016",
            "Stanford Geospatial Center and Stanford Libraries",
            "CC BY 4.0",
            "Stanford Mass Shootings in America, courtesy of the Stanford Geospatial Center "
            "and Stanford Libraries.",
            "3 or more shooting victims (not necessarily fatalities), not including the "
            "shooter; identifiably gang, drug or organised-crime shootings excluded.",
            stanford.load,
        ),
        Dataset(
            wapo.DATASET,
            "School shootings since Columbine, 1999-2025",
            "The Washington Post",
            "CC BY-NC-SA 4.0 (non-commercial use only)",
            "Source: The Washington Post, data-school-shootings (CC BY-NC-SA 4.0).",
            "Acts of gunfire at primary and secondary schools immediately before, during or "
            "just after classes; colleges, after-hours events and private suicides excluded.",
            wapo.load,
        ),
    )
}


@dataclass
class Catalog:
    """Every data set found in a directory, in the order of DATASETS."""

    sources: list[LoadedSource]
    skipped: list[str]

    @property
    def rows(self) -> list[SourceRow]:
        return [row for source in self.sources for row in source.rows]

    @property
    def problems(self) -> list[RowProblem]:
        return [problem for source in self.sources for problem in source.problems]


def load_directory(directory: Path, *, only: set[str] | None = None) -> Catalog:
    """Load each known data set folder present in ``directory``; other folders are
    listed in ``skipped``. Raises SourceFileError when a present folder cannot be read."""
    if not directory.is_dir():
        raise SourceFileError(f"{directory} is not a directory")
    sources = []
    for name, dataset in DATASETS.items():
        folder = directory / name
        if folder.is_dir() and (only is None or name in only):
            sources.append(dataset.load(folder))
    skipped = sorted(
        entry.name for entry in directory.iterdir() if entry.is_dir() and entry.name not in DATASETS
    )
    return Catalog(sources, skipped)


__all__ = [
    "DATASETS",
    "Catalog",
    "Dataset",
    "LoadedSource",
    "RowProblem",
    "SourceFileError",
    "SourceRow",
    "load_directory",
]
