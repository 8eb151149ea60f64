"""How many (actor, object, action) cases the oracle compared in this run, and whether
any disagreed: one line at the end of the run, and on CI (CI=true), a failed run when
the whole oracle package ran with fewer than 10,000 cases or with a mismatch.

Each oracle test counts its cases through the ``oracle_cases`` fixture, which puts the
number on the test's report; the reports reach the controlling process under
pytest-xdist too, so the sum covers every worker. A failed oracle test is a mismatch
(each stops at its first disagreement, which Hypothesis shrinks). The plugin is
registered from tests/conftest.py so that xdist's controller, which collects nothing,
loads it as well.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent
PREFIX = "tests/oracle/"
KEY = "oracle_cases"
MINIMUM_ON_CI = 10_000


@dataclass
class OracleCases:
    """What one test compared: add to ``cases`` as comparisons are made."""

    cases: int = 0

    def add(self, count: int = 1) -> None:
        self.cases += count


@dataclass
class RunTally:
    cases: int = 0
    mismatches: int = 0
    by_module: dict[str, int] = field(default_factory=dict)


_run = RunTally()


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0].removeprefix(PREFIX)


@pytest.fixture()
def oracle_cases(request: pytest.FixtureRequest) -> Iterator[OracleCases]:
    counted = OracleCases()
    yield counted
    # Recorded at teardown, so the count reaches the report even when the test failed.
    request.node.user_properties.append((KEY, counted.cases))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.nodeid.startswith(PREFIX):
        return
    module = _module(report.nodeid)
    if report.when == "call" and report.failed:
        _run.mismatches += 1
    if report.when == "teardown":
        cases = sum(
            value
            for name, value in report.user_properties
            if name == KEY and isinstance(value, int)
        )
        _run.cases += cases
        _run.by_module[module] = _run.by_module.get(module, 0) + cases


def _whole_package_ran() -> bool:
    modules = {path.name for path in PACKAGE.glob("test_*.py")}
    return bool(modules) and modules <= set(_run.by_module)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _ci_failure(config: pytest.Config) -> str | None:
    """Why CI must fail this run, if it must."""
    if _is_worker(config) or os.environ.get("CI", "").lower() != "true":
        return None
    if not _whole_package_ran():
        return None
    if _run.cases >= MINIMUM_ON_CI and not _run.mismatches:
        return None
    return (
        f"authorization oracle: CI needs at least {MINIMUM_ON_CI:,} cases and no mismatch; "
        f"this run compared {_run.cases:,} with {_run.mismatches} mismatching tests"
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _ci_failure(session.config):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _is_worker(terminalreporter.config) or not _run.by_module:
        return
    parts = ", ".join(f"{name} {count:,}" for name, count in sorted(_run.by_module.items()))
    terminalreporter.write_line(
        f"authorization oracle: {_run.cases:,} (actor, object, action) cases compared, "
        f"{_run.mismatches} mismatching tests ({parts})"
    )
    failure = _ci_failure(terminalreporter.config)
    if failure:
        terminalreporter.write_line(failure, red=True)
