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
