"""The words of threat-assessment work: case statuses and the moves between them,
risk levels, record regimes, intervention kinds and statuses, ERPO steps."""

from __future__ import annotations

from typing import Final

STATUSES: Final = {
    "open": "Open",
    "assessing": "Assessing",
    "managing": "Managing",
    "monitoring": "Monitoring",
    "closed": "Closed",
}
# Where a case may go from each status. A closed case is reopened (to "assessing")
# when new information arrives; it never skips its history.
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "open": ("assessing", "closed"),
    "assessing": ("managing", "monitoring", "closed"),
    "managing": ("assessing", "monitoring", "closed"),
    "monitoring": ("assessing", "managing", "closed"),
    "closed": ("assessing",),
}
ACTIVE_STATUSES: Final = ("open", "assessing", "managing", "monitoring")

LEVELS: Final = {
    "low": "Low",
    "moderate": "Moderate",
    "high": "High",
    "imminent": "Imminent",
}
LEVEL_RANK: Final = {level: rank for rank, level in enumerate(LEVELS)}

REGIMES: Final = {
    "threat_assessment": "Threat-assessment record",
    "school_record": "School threat-assessment record (also a student education record)",
}

INTERVENTION_KINDS: Final = {
    "mental_health_referral": "Mental-health referral",
    "erpo_petition": "Extreme risk protection order petition",
    "school_support": "School supports",
    "workplace_support": "Workplace supports",
    "safety_plan": "Safety plan",
    "law_enforcement_contact": "Law-enforcement contact",
    "target_protection": "Protection of a target",
    "disengagement_program": "Disengagement or off-ramp program",
    "monitoring_checkin": "Monitoring check-in",
}
INTERVENTION_STATUSES: Final = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "cancelled": "Cancelled",
}
OPEN_INTERVENTION_STATUSES: Final = ("planned", "in_progress")

ERPO_STATUSES: Final = {
    "filed": "Petition filed",
    "granted": "Order granted",
    "denied": "Petition denied",
    "expired": "Order expired",
}
# The court's steps in order: a petition is filed, then granted or denied; a granted
# order expires. Each step may only follow the one before it.
ERPO_NEXT: Final[dict[str | None, tuple[str, ...]]] = {
    None: ("filed",),
    "filed": ("granted", "denied"),
    "granted": ("expired",),
    "denied": (),
    "expired": (),
}

TEAM_ROLES: Final = {"lead": "Case lead", "member": "Team member"}
