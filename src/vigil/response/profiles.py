"""The features of a listed person or a family's inquiry that reunification matching compares.

Names are read with the linkage engine's normalisers (accents folded, "LAST, FIRST M"
understood, nicknames mapped to their formal names); dates and ages are read
strictly, because a reunification list is checked row by row before anyone is matched.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

import jellyfish

from vigil.linkage.nicknames import formal_name
from vigil.linkage.normalise import fold, split_full_name

LIST_KINDS: Final[tuple[str, ...]] = ("roster", "hospital", "medical_examiner", "attendees")

_SEX: Final[dict[str, str | None]] = {
    "": None,
    "m": "m",
    "male": "m",
    "man": "m",
    "boy": "m",
    "f": "f",
    "female": "f",
    "woman": "f",
    "girl": "f",
    "x": "x",
    "nonbinary": "x",
    "non-binary": "x",
    "u": None,
    "unknown": None,
}
# Words a list writes in place of a name for a patient nobody has identified yet.
_PLACEHOLDER_WORDS: Final[frozenset[str]] = frozenset(
    {
        "unknown",
        "unidentified",
        "unk",
        "doe",
        "john",
        "jane",
        "male",
        "female",
        "patient",
        "trauma",
        "boy",
        "girl",
        "man",
        "woman",
        "adult",
        "child",
        "teen",
        "juvenile",
        "nn",
        "na",
    }
)
# A name is a placeholder only if one of these says so ("John Doe", "Unknown Male 3").
_PLACEHOLDER_MARKS: Final[frozenset[str]] = frozenset(
    {"unknown", "unidentified", "unk", "doe", "patient", "trauma", "nn"}
)
_ISO_DATE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:T[\d:.]+Z?)?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_AGE = re.compile(
    r"^(?:(~|about|approx\.?|approximately|around|ca\.?|c\.)\s*)?(\d{1,3})\s*(s|\+|ish|-ish)?$"
)
_AGE_IN_TEXT = re.compile(
    r"\b(?:about|approx\.?|approximately|around|aged?|age|~)\s*(\d{1,3})\b"
    r"|\b(early|mid|late)?[- ]?(\d)0s\b"
    r"|\b(\d{1,3})\s*(?:years?|yrs?|y/?o)\b"
)
_DECADE_OFFSET: Final[dict[str | None, int]] = {None: 5, "early": 2, "mid": 5, "late": 8}
_STOPWORDS: Final[frozenset[str]] = frozenset(
    {
        "a",
        "an",
        "and",
        "the",
        "with",
        "wearing",
        "of",
        "on",
        "in",
        "his",
        "her",
        "their",
        "has",
        "had",
        "was",
        "is",
        "last",
        "seen",
        "about",
        "approx",
        "around",
        "years",
        "year",
        "old",
        "yo",
        "age",
        "aged",
        "unknown",
        "male",
        "female",
        "man",
        "woman",
        "boy",
        "girl",
        "patient",
        "he",
        "she",
        "they",
        "very",
        "some",
        "left",
        "right",
        "early",
        "mid",
        "late",
    }
)
# Words families and triage nurses use for the same thing.
_SYNONYMS: Final[dict[str, str]] = {
    "hoodie": "sweatshirt",
    "hooded": "sweatshirt",
    "sweater": "sweatshirt",
    "jumper": "sweatshirt",
    "tee": "tshirt",
    "t": "tshirt",
    "shirt": "tshirt",
    "tshirts": "tshirt",
    "denim": "jeans",
    "blonde": "blond",
    "fair": "blond",
    "ginger": "red",
    "auburn": "red",
    "grey": "gray",
    "specs": "glasses",
    "spectacles": "glasses",
    "eyeglasses": "glasses",
    "sneakers": "shoes",
    "trainers": "shoes",
    "tattooed": "tattoo",
    "tattoos": "tattoo",
    "inked": "tattoo",
    "pierced": "piercing",
    "piercings": "piercing",
    "bearded": "beard",
    "braids": "braided",
    "braid": "braided",
    "curly": "curls",
    "backpack": "bag",
    "rucksack": "bag",
}


class InvalidValue(ValueError):
    """A value a list or inquiry row may not hold, with the reason."""


@dataclass(frozen=True)
class Profile:
    """One listed person or one inquiry, as matching sees them."""

    id: str
    list_kind: str  # "" for an inquiry
    named: bool
    first: str | None
    first_formal: str | None
    first_sound: str | None
    middle: tuple[str, ...]
    surnames: tuple[str, ...]
    surname_sounds: tuple[str, ...]
    dob: tuple[int, int, int] | None
    birth_year: int | None
    age: float | None  # at the reference date, from the date of birth or as given
    age_estimated: bool
    sex: str | None
    words: frozenset[str]
    word_pairs: frozenset[str]


def parse_date(raw: str, *, today: date) -> tuple[int, int, int] | None:
    """(year, month, day) from YYYY-MM-DD or MM/DD/YYYY (DD/MM/YYYY when the first part
    cannot be a month); None if blank. A date that is not on the calendar, is in the
    future or is before 1900 is refused."""
    text = raw.strip()
    if not text:
        return None
    iso = _ISO_DATE.match(text)
    slash = _SLASH_DATE.match(text)
    if iso:
        year, month, day = int(iso.group(1)), int(iso.group(3)), int(iso.group(4))
    elif slash:
        first, second, year = (int(p) for p in slash.groups())
        month, day = (second, first) if first > 12 >= second else (first, second)
    else:
        raise InvalidValue(f"date {text!r} is not YYYY-MM-DD or MM/DD/YYYY")
    try:
        moment = date(year, month, day)
    except ValueError:
        raise InvalidValue(f"date {text!r} is not a calendar date") from None
    if moment > today:
        raise InvalidValue(f"date of birth {text!r} is in the future")
    if year < 1900:
        raise InvalidValue(f"date of birth {text!r} is before 1900")
    return year, month, day


def parse_age(raw: str) -> tuple[int | None, bool]:
    """(age in years, whether it is an estimate) from "20", "about 20", "~20", "20s"."""
    text = raw.strip().lower()
    if not text:
        return None, False
    found = _AGE.match(text)
    if found is None:
        raise InvalidValue(f"age {raw.strip()!r} is not a number of years")
    age = int(found.group(2))
    if age > 120:
        raise InvalidValue(f"age {age} is impossible")
    return age, bool(found.group(1) or found.group(3))


def parse_sex(raw: str) -> str | None:
    text = raw.strip().lower()
    if text not in _SEX:
        raise InvalidValue(f"sex {raw.strip()!r} is not one of M, F, X or blank")
    return _SEX[text]


def age_on(dob: tuple[int, int, int], today: date) -> int:
    year, month, day = dob
    return today.year - year - ((today.month, today.day) < (month, day))


def age_in_description(text: str) -> int | None:
    """An age a description states ("about 20", "early 30s", "16 yo"), or None."""
    found = _AGE_IN_TEXT.search(text.lower())
    if found is None:
        return None
    if found.group(1):
        return int(found.group(1))
    if found.group(3):
        return int(found.group(3)) * 10 + _DECADE_OFFSET[found.group(2)]
    return int(found.group(4))


def _telling_words(text: str) -> list[str]:
    words = []
    for word in fold(text).split():
        if word.isdigit() or (len(word) < 2 and word != "t"):
            continue
        word = _SYNONYMS.get(word, word)
        if word not in _STOPWORDS:
            words.append(word)
    return words


def description_words(text: str) -> frozenset[str]:
    """The telling words of a description, synonyms folded to one word."""
    return frozenset(_telling_words(text))


def description_pairs(text: str) -> frozenset[str]:
    """Adjacent telling words within one comma-separated feature ("red sweatshirt")."""
    pairs: set[str] = set()
    for feature in text.replace(";", ",").split(","):
        words = _telling_words(feature)
        pairs.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return frozenset(pairs)


def _sound(word: str) -> str:
    return jellyfish.metaphone(word) or word


def _name_parts(raw: str) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """(first, middle words, surname words); a placeholder name ("Unknown Male",
    "John Doe 4") counts as no name."""
    text = raw.strip()
    if not text:
        return None, (), ()
    words = fold(text).split()
    if not words or (
        _PLACEHOLDER_MARKS & set(words)
        and all(w in _PLACEHOLDER_WORDS or w.isdigit() or len(w) == 1 for w in words)
    ):
        return None, (), ()
    first, middle, surname = split_full_name(text)
    middle_words = tuple(w for w in (middle or "").split() if not w.isdigit())
    surname_words = tuple(w for w in (surname or "").split() if not w.isdigit())
    return first, middle_words, surname_words


def build_profile(
    *,
    id: str,
    list_kind: str,
    full_name: str,
    dob: str,
    age: str,
    sex: str,
    description: str,
    today: date,
) -> Profile:
    """A profile from one row's raw values; InvalidValue names what cannot be read."""
    first, middle, surnames = _name_parts(full_name)
    birth = parse_date(dob, today=today)
    given_age, estimated = parse_age(age)
    if birth is not None:
        years: float | None = float(age_on(birth, today))
        estimated = False
    elif given_age is not None:
        years = float(given_age)
    else:
        stated = age_in_description(description)
        years = float(stated) if stated is not None and stated <= 120 else None
        estimated = years is not None
    birth_year = birth[0] if birth is not None else None
    return Profile(
        id=id,
        list_kind=list_kind,
        named=first is not None,
        first=first,
        first_formal=formal_name(first) if first else None,
        first_sound=_sound(first) if first else None,
        middle=middle,
        surnames=surnames,
        surname_sounds=tuple(_sound(s) for s in surnames),
        dob=birth,
        birth_year=birth_year,
        age=years,
        age_estimated=estimated,
        sex=parse_sex(sex),
        words=description_words(description),
        word_pairs=description_pairs(description),
    )
