"""`vigil link csv` and the engine agree on the default threshold."""

from __future__ import annotations

import inspect

from vigil.linkage import engine
from vigil.linkage.csv_cli import link_csv


def test_csv_command_uses_the_engine_default_threshold() -> None:
    default = inspect.signature(link_csv).parameters["threshold"].default
    assert default == engine.DEFAULT_THRESHOLD_WEIGHT
