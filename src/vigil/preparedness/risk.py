"""A site's risk for the active-assailant scenario: threat × vulnerability × consequence,
each part with where it came from, so a page can show how the number was reached."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RiskPart:
    """One factor of the risk: its value, where it came from and why."""

    value: float
    source: str
    reason: str | None


@dataclass(frozen=True)
class SiteRisk:
    """Risk in people: the expected number at risk from an attack in the planning period."""

    threat: RiskPart
    vulnerability: RiskPart
    consequence: RiskPart

    @property
    def value(self) -> float:
        return self.threat.value * self.vulnerability.value * self.consequence.value


def site_risk(
    *,
    threat: float,
    threat_reason: str | None,
    vulnerability: float,
    vulnerability_reason: str | None,
    capacity: int,
) -> SiteRisk:
    """The parts of a site's risk as they stand today.

    Threat is the likelihood (0-1) of an attack in the planning period as an analyst set
    it; vulnerability the chance (0-1] that an attack succeeds as last judged (the
    analyst's baseline until the site has an assessment); consequence the people there
    at its busiest.
    """
    return SiteRisk(
        threat=RiskPart(threat, "set by an analyst", threat_reason),
        vulnerability=RiskPart(
            vulnerability, "analyst's baseline (no assessment yet)", vulnerability_reason
        ),
        consequence=RiskPart(float(capacity), "occupancy at its busiest", None),
    )
