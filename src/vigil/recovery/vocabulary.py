"""The words of victim services: case kinds, consent purposes, services, referral
outcomes and the steps between them, the kinds of dates that matter, plan states."""

from __future__ import annotations

CASE_KINDS = {"survivor": "Survivor", "family": "Family of someone killed or injured"}
CASE_STATUSES = {"open": "Open", "closed": "Closed"}

# What a survivor may consent to: each purpose is a separate consent.
PURPOSES = {
    "service_coordination": "Coordinating services with another provider",
    "crime_victim_compensation": "A crime-victim compensation claim",
    "victim_witness_notification": "Victim-witness notification by the prosecutor",
    "law_enforcement_investigation": "The criminal investigation",
    "fund_distribution": "An application to a donated fund",
    "benefits_and_housing": "Benefits, employment or housing assistance",
    "legal_assistance": "Legal assistance",
}

SERVICE_KINDS = {
    "counselling": "Counselling and mental health",
    "compensation": "Crime-victim compensation",
    "financial": "Financial assistance",
    "legal": "Legal assistance",
    "employment": "Employment support",
    "housing": "Housing support",
    "medical": "Medical care",
    "spiritual_care": "Spiritual care",
    "interpreter": "Interpreter",
    "travel_and_lodging": "Travel and lodging",
    "court_accompaniment": "Court accompaniment",
}

REFERRAL_STATUSES = {
    "referred": "Referred",
    "accepted": "Accepted",
    "in_service": "In service",
    "completed": "Completed",
    "declined": "Declined",
    "unable_to_reach": "Unable to reach",
}
# The outcomes that close the loop.
CLOSED_REFERRAL_STATUSES = frozenset({"completed", "declined", "unable_to_reach"})
# Statuses counted as "served" for time to first service and the statistics.
SERVED_REFERRAL_STATUSES = frozenset({"in_service", "completed"})
REFERRAL_STEPS: dict[str, frozenset[str]] = {
    "referred": frozenset({"accepted", "declined", "unable_to_reach"}),
    "accepted": frozenset({"in_service", "declined", "unable_to_reach"}),
    "in_service": frozenset({"completed", "declined", "unable_to_reach"}),
    "completed": frozenset(),
    "declined": frozenset(),
    "unable_to_reach": frozenset(),
}

DATE_KINDS = {
    "anniversary": "Anniversary",
    "court_date": "Court date",
    "trial_milestone": "Trial milestone",
    "follow_up": "Follow-up",
    "other": "Other date that matters",
}

# The state of a goal of the service plan.
PLAN_STATUSES = {
    "planned": "Planned",
    "in_progress": "In progress",
    "met": "Met",
    "no_longer_needed": "No longer needed",
}

# --- the family assistance center ------------------------------------------------------

# The services a family assistance center offers on site.
CENTER_SERVICE_KINDS = {
    key: SERVICE_KINDS[key]
    for key in (
        "interpreter",
        "counselling",
        "spiritual_care",
        "legal",
        "financial",
        "travel_and_lodging",
        "compensation",
        "medical",
    )
}

# --- the donated fund ----------------------------------------------------------------

# The harms a protocol's tiers are written for, most grievous first.
HARMS = {
    "killed": "Killed",
    "hospitalised": "Hospitalised (by nights in hospital)",
    "injured": "Injured and treated without admission",
    "present": "Present and psychologically harmed",
}
# Where the incident's own records confirm each harm: the reunification lists of the
# response domain. A death is confirmed only by the medical examiner's list.
EVIDENCE_LISTS = {
    "killed": frozenset({"medical_examiner"}),
    "hospitalised": frozenset({"hospital"}),
    "injured": frozenset({"hospital"}),
    "present": frozenset({"roster", "attendees", "hospital"}),
}
EVIDENCE_CHECKS = {
    "matched": "Matches the incident's records",
    "not_found": "Not on the incident's records",
    "wrong_list": "On the incident's records, but not for this harm",
}
CLAIM_STATUSES = {"submitted": "Submitted", "approved": "Approved", "refused": "Refused"}
FUND_STATUSES = {
    "drafting": "Protocol being drafted",
    "comment": "Draft protocol open for comment",
    "final": "Final protocol published",
    "distributed": "Distributed",
}
ROUNDING_RULE = (
    "Each claimant receives the floor, in cents, of fund × tier weight ÷ the sum of every "
    "claimant's tier weight, computed exactly with the weights as written; the cents left "
    "over go one each to the claimants with the largest remainders (ties: claimant id in "
    "ascending order). The payments sum exactly to the fund."
)

# --- community recovery --------------------------------------------------------------

COMMUNITY_KINDS = {
    "mental_health": "Mental health",
    "counselling": "Counselling",
    "spiritual_care": "Spiritual care",
    "legal": "Legal help",
    "financial": "Financial help",
    "interpreter": "Interpreting",
    "meals": "Meals",
    "transport": "Transport",
    "childcare": "Childcare",
    "lodging": "Lodging",
    "other": "Other",
}
EVENT_KINDS = {"service": "Service session", "event": "Community event"}
OFFER_KINDS = {"in_kind": "In-kind offer", "volunteer": "Volunteer"}
