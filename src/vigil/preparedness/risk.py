"""A site's risk for the active-assailant scenario: threat × vulnerability × consequence,
each part with where it came from, so a page can show how the number was reached.

Threat starts where an analyst set it and is raised by the open threats against the site
that reports and threat-assessment cases hold (only those the reader may see): each open
report closes ``REPORT_STEP`` of the gap to certainty, each active case ``CASE_STEP``.
Vulnerability comes from the site's latest signed-off assessment, or the analyst's
baseline until it has one. Consequence is the occupancy at its busiest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

REPORT_STEP = 0.2
CASE_STEP = 0.4


@dataclass(frozen=True)
class RiskPart:
    """One factor of the risk: its value, where it came from and why."""

    value: float
    source: str
    reason: str | None


@dataclass(frozen=True)
class AssessedVulnerability:
    """The vulnerability a signed-off assessment gave, frozen at its sign-off."""

    value: float
    assessment_id: int
    signed_off_at: datetime
    score: float | None


@dataclass(frozen=True)
class RiskInputs:
    """What a reader may see that moves a site's risk: open threats and the assessment."""

    open_reports: int = 0
    open_cases: int = 0
    assessed: AssessedVulnerability | None = None


NO_INPUTS = RiskInputs()


@dataclass(frozen=True)
class SiteRisk:
    """Risk in people: the expected number at risk from an attack in the planning period."""

    threat: RiskPart
    vulnerability: RiskPart
    consequence: RiskPart
    analyst_threat: float = 0.0
    open_reports: int = 0
    open_cases: int = 0
    assessment_id: int | None = None

    @property
    def value(self) -> float:
        return self.threat.value * self.vulnerability.value * self.consequence.value


def raised_threat(threat: float, open_reports: int, open_cases: int) -> float:
    """The analyst's threat raised by open reports and cases (never above 1)."""
    gap = (1 - threat) * (1 - REPORT_STEP) ** open_reports * (1 - CASE_STEP) ** open_cases
    return min(1.0, max(threat, 1 - gap))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def site_risk(
    *,
    threat: float,
    threat_reason: str | None,
    vulnerability: float,
    vulnerability_reason: str | None,
    capacity: int,
    inputs: RiskInputs = NO_INPUTS,
) -> SiteRisk:
    """The parts of a site's risk as they stand today, for one reader."""
    threat_source = "set by an analyst"
    if inputs.open_reports or inputs.open_cases:
        threat_source = (
            f"set by an analyst at {threat:.3g}, raised by "
            f"{_plural(inputs.open_reports, 'open report')} and "
            f"{_plural(inputs.open_cases, 'active threat-assessment case')} against the "
            "site that you may see"
        )
    if inputs.assessed is not None:
        a = inputs.assessed
        score = "" if a.score is None else f" (overall score {a.score:.0%})"
        vulnerability_part = RiskPart(
            a.value,
            f"assessment #{a.assessment_id}, signed off {a.signed_off_at.date().isoformat()}",
            f"From the assessment's answers{score}; the analyst's baseline was "
            f"{vulnerability:.3g}.",
        )
    else:
        vulnerability_part = RiskPart(
            vulnerability, "analyst's baseline (no signed-off assessment yet)", vulnerability_reason
        )
    return SiteRisk(
        threat=RiskPart(
            raised_threat(threat, inputs.open_reports, inputs.open_cases),
            threat_source,
            threat_reason,
        ),
        vulnerability=vulnerability_part,
        consequence=RiskPart(float(capacity), "occupancy at its busiest", None),
        analyst_threat=threat,
        open_reports=inputs.open_reports,
        open_cases=inputs.open_cases,
        assessment_id=None if inputs.assessed is None else inputs.assessed.assessment_id,
    )
