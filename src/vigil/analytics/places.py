"""US place names as the incident sources spell them: states to USPS codes, cities and
counties to one comparable form."""

from __future__ import annotations

import re
import unicodedata

STATES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    # Territories appear in a few rows (SSDB: Virgin Islands); no population figures.
    "PR": "Puerto Rico",
    "VI": "Virgin Islands",
    "GU": "Guam",
}

# Misspellings found in the published files (FBI: "Oaklahoma"), kept here so the
# loaders can say which spelling they corrected.
_STATE_VARIANTS = {
    "oaklahoma": "OK",
    "georgio": "GA",
    "virgina": "VA",
    # FBI row for Chester, PA (Minaret Temple 174) has the city where the state goes.
    "philadelphia": "PA",
    "us virgin islands": "VI",
}

_BY_NAME = {name.lower(): code for code, name in STATES.items()} | {
    "washington dc": "DC",
    "washington d c": "DC",
    "d c": "DC",
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^a-z0-9 ]+", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


def is_variant(value: str) -> bool:
    """True when ``value`` is read as a state only through a known misspelling."""
    return _fold(value) in _STATE_VARIANTS


def state_code(value: str | None) -> str | None:
    """The USPS code for a state name or code, or None when it is not a US state."""
    if not value:
        return None
    folded = _fold(value)
    if not folded:
        return None
    if len(folded) == 2 and folded.upper() in STATES:
        return folded.upper()
    return _BY_NAME.get(folded) or _STATE_VARIANTS.get(folded)


_CITY_PREFIXES = ("city of ", "town of ", "village of ", "township of ", "borough of ")
_CITY_SUFFIXES = (" township", " city", " town", " village", " borough", " twp")
_WORDS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "n": "north", "s": "south"}


def city_key(value: str | None) -> str | None:
    """A city name folded for comparison: case, accents, punctuation, 'St.'/'Saint',
    'City of', a trailing 'township' or 'city' (but not when it is the whole name)."""
    if not value:
        return None
    folded = _fold(value.split("(")[0])
    for prefix in _CITY_PREFIXES:
        if folded.startswith(prefix):
            folded = folded[len(prefix) :]
    for suffix in _CITY_SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix) + 2:
            folded = folded[: -len(suffix)]
    words = [_WORDS.get(word, word) for word in folded.split()]
    return " ".join(words) or None


_COUNTY_SUFFIXES = (" county", " parish", " borough", " census area", " municipality")


def county_key(value: str | None) -> str | None:
    """A county name folded for comparison, without 'County' or 'Parish'."""
    if not value:
        return None
    folded = _fold(value)
    for suffix in _COUNTY_SUFFIXES:
        if folded.endswith(suffix):
            folded = folded[: -len(suffix)]
    return " ".join(_WORDS.get(word, word) for word in folded.split()) or None


def split_city_or_county(value: str | None) -> tuple[str | None, str | None]:
    """GVA's 'City Or County' holds either a city or '<name> (county)' / '<name> County'."""
    if not value:
        return None, None
    text = value.strip()
    lowered = text.lower()
    if lowered.endswith("(county)") or lowered.endswith(" county") or lowered.endswith(" parish"):
        return None, county_key(text.replace("(county)", "").replace("(County)", ""))
    return city_key(text), None
