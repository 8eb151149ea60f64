"""The preparedness domain's fixed vocabularies: kinds of protected site and the target
sector each maps to, and the markings a site may carry."""

from __future__ import annotations

from vigil.platform.policy.markings import Tlp

# Kind -> (label, critical-infrastructure sector and subsector as ISE-SAR target fields
# name them: the DHS sectors of PPD-21 and their subsectors).
SITE_KINDS: dict[str, tuple[str, str]] = {
    "k12_school": ("K-12 school", "Government Facilities / Education Facilities"),
    "college": ("College or university", "Government Facilities / Education Facilities"),
    "house_of_worship": ("House of worship", "Commercial Facilities / Faith-Based Organizations"),
    "venue_or_mall": (
        "Venue or mall",
        "Commercial Facilities / Entertainment and Media, Retail, Sports Leagues",
    ),
    "workplace": ("Workplace", "Commercial Facilities / Real Estate"),
    "outdoor_event": ("Outdoor event", "Commercial Facilities / Outdoor Events"),
    "government_facility": ("Government facility", "Government Facilities"),
    "other": ("Other", "Other"),
}
SITE_KIND_LABELS = {key: label for key, (label, _) in SITE_KINDS.items()}

# TLP:RED names its readers one by one, which a site registry has no use for.
SITE_MARKINGS = (Tlp.CLEAR.value, Tlp.GREEN.value, Tlp.AMBER.value, Tlp.AMBER_STRICT.value)
DEFAULT_SITE_MARKING = Tlp.AMBER.value
