"""Where the real published data sets are, and a way to copy some of them to edit."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ON_CI, shared_data_dir

INCIDENTS = shared_data_dir() / "incidents"
POPULATION = INCIDENTS.parent / "population"
SMALL = (
    "fbi_active_shooter_2000_2018",
    "gva_mass_shootings_dxzys",
    "k12_ssdb_chds",
    "motherjones_codeholics",
    "stanford_msa",
    "wapo_school_shootings",
)


def require_incidents() -> None:
    """The published data sets are part of this machine (../shared/data); on CI their
    absence fails the run, elsewhere it skips the tests that read them."""
    if not INCIDENTS.is_dir():
        message = f"{INCIDENTS} is not here (set VIGIL_SHARED_DATA to the shared data folder)"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def incidents() -> Path:
    require_incidents()
    return INCIDENTS


@pytest.fixture
def copy_datasets(tmp_path: Path, incidents: Path) -> Callable[..., Path]:
    """Copy the named data set folders (writable) into a fresh directory."""

    def copy(*names: str) -> Path:
        target = tmp_path / "incidents"
        target.mkdir(exist_ok=True)
        for name in names:
            shutil.copytree(incidents / name, target / name, dirs_exist_ok=True)
            for path in (target / name).iterdir():
                path.chmod(0o644)
        return target

    return copy
