"""The counts the proof tests reach (pages crawled, requests fuzzed, requests replayed),
printed together at the end of the run, so that CI's log carries them.

A test states a figure through the ``proof_figure`` fixture; the line travels on the
test's report, so under pytest-xdist the controlling process prints every worker's.
The plugin is registered from tests/conftest.py (as tests/oracle/tally.py is), so that
xdist's controller, which collects nothing, loads it too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

KEY = "proof_figure"
_lines: list[str] = []


@pytest.fixture()
def proof_figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Call it with one line saying what the test reached; the test's id prefixes it."""

    def state(line: str) -> None:
        request.node.user_properties.append((KEY, f"{request.node.name}: {line}"))

    return state


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Properties added during the call are on every later report: read them once.
    if report.when == "teardown":
        _lines.extend(str(value) for name, value in report.user_properties if name == KEY)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if hasattr(terminalreporter.config, "workerinput") or not _lines:
        return
    terminalreporter.section("proof figures")
    for line in sorted(_lines):
        terminalreporter.write_line(line)
