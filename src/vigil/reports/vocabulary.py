"""The words reports are filed in: kinds, file classes, ISE-SAR behaviors, targets, roles."""

from __future__ import annotations

from enum import StrEnum


class ReportKind(StrEnum):
    TIP = "tip"
    SAR = "sar"
    AGENCY_REPORT = "agency_report"

    @property
    def label(self) -> str:
        return {
            "tip": "Tip",
            "sar": "Suspicious-activity report",
            "agency_report": "Agency report",
        }[self.value]


class FileClass(StrEnum):
    """The civil-liberties regime a report lives under (28 CFR Part 23, ISE-SAR)."""

    TIP_LEAD = "tip_lead"
    SAR = "sar"
    INTELLIGENCE = "intelligence"

    @property
    def label(self) -> str:
        return {
            "tip_lead": "Tip/lead (unvetted)",
            "sar": "SAR (vetted)",
            "intelligence": "Criminal intelligence (28 CFR Part 23)",
        }[self.value]


class Behavior(StrEnum):
    """ISE-SAR Functional Standard 1.5.5 behavior categories."""

    BREACH_ATTEMPTED_INTRUSION = "breach_attempted_intrusion"
    MISREPRESENTATION = "misrepresentation"
    THEFT_LOSS_DIVERSION = "theft_loss_diversion"
    SABOTAGE_TAMPERING_VANDALISM = "sabotage_tampering_vandalism"
    CYBERATTACK = "cyberattack"
    EXPRESSED_OR_IMPLIED_THREAT = "expressed_or_implied_threat"
    AVIATION_ACTIVITY = "aviation_activity"
    ELICITING_INFORMATION = "eliciting_information"
    TESTING_OR_PROBING_SECURITY = "testing_or_probing_security"
    RECRUITING_FINANCING = "recruiting_financing"
    PHOTOGRAPHY = "photography"
    OBSERVATION_SURVEILLANCE = "observation_surveillance"
    MATERIALS_ACQUISITION_STORAGE = "materials_acquisition_storage"
    ACQUISITION_OF_EXPERTISE = "acquisition_of_expertise"
    WEAPONS_COLLECTION_DISCOVERY = "weapons_collection_discovery"
    SECTOR_SPECIFIC_INCIDENT = "sector_specific_incident"

    @property
    def label(self) -> str:
        return BEHAVIOR_LABELS[self]


BEHAVIOR_LABELS = {
    Behavior.BREACH_ATTEMPTED_INTRUSION: "Breach or attempted intrusion",
    Behavior.MISREPRESENTATION: "Misrepresentation",
    Behavior.THEFT_LOSS_DIVERSION: "Theft, loss or diversion",
    Behavior.SABOTAGE_TAMPERING_VANDALISM: "Sabotage, tampering or vandalism",
    Behavior.CYBERATTACK: "Cyberattack",
    Behavior.EXPRESSED_OR_IMPLIED_THREAT: "Expressed or implied threat",
    Behavior.AVIATION_ACTIVITY: "Aviation activity",
    Behavior.ELICITING_INFORMATION: "Eliciting information",
    Behavior.TESTING_OR_PROBING_SECURITY: "Testing or probing of security",
    Behavior.RECRUITING_FINANCING: "Recruiting or financing",
    Behavior.PHOTOGRAPHY: "Photography",
    Behavior.OBSERVATION_SURVEILLANCE: "Observation or surveillance",
    Behavior.MATERIALS_ACQUISITION_STORAGE: "Materials acquisition or storage",
    Behavior.ACQUISITION_OF_EXPERTISE: "Acquisition of expertise",
    Behavior.WEAPONS_COLLECTION_DISCOVERY: "Weapons collection or discovery",
    Behavior.SECTOR_SPECIFIC_INCIDENT: "Sector-specific incident",
}


class TargetType(StrEnum):
    SCHOOL = "school"
    HOUSE_OF_WORSHIP = "house_of_worship"
    WORKPLACE = "workplace"
    PUBLIC_EVENT = "public_event"
    GOVERNMENT = "government"
    NAMED_PERSON = "named_person"

    @property
    def label(self) -> str:
        return {
            "school": "School",
            "house_of_worship": "House of worship",
            "workplace": "Workplace",
            "public_event": "Public event",
            "government": "Government",
            "named_person": "A named person",
        }[self.value]


class MentionRole(StrEnum):
    SUBJECT = "subject"
    WITNESS = "witness"
    VICTIM_OR_TARGET = "victim_or_target"
    REPORTING_PARTY = "reporting_party"

    @property
    def label(self) -> str:
        return {
            "subject": "Subject",
            "witness": "Witness",
            "victim_or_target": "Victim or target",
            "reporting_party": "Reporting party",
        }[self.value]


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class UrgencyLevel(StrEnum):
    IMMINENT = "imminent"
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"


class Source(StrEnum):
    """How a report arrived."""

    PUBLIC_TIP_LINE = "public_tip_line"
    WEB = "web"
    API = "api"
    IMPORT = "import"
    FEDERATION = "federation"
