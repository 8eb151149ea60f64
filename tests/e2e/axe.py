"""Accessibility checks with axe-core, injected into the page under test.

axe is injected as a script tag, which Vigil's CSP (rightly) refuses, so pages checked
here must come from a browser context opened with ``bypass_csp=True``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations of impact serious or critical on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=AXE_SCRIPT)
    results: dict[str, Any] = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = serious_violations(page)
    if violations:
        print(describe(page.url, violations))
    assert not violations, describe(page.url, violations)
