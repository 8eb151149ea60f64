"""Normalising what people report about a person into the features linkage compares."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, Final

import jellyfish
import pandas as pd
import phonenumbers
from anyascii import anyascii

from vigil.linkage.fields import FIELDS
from vigil.linkage.nicknames import formal_name

# The feature columns `prepare` produces, with their kinds ("str", "list", "int").
FEATURES: Final[dict[str, str]] = {
    "first_name": "str",
    "first_names": "list",
    "first_name_sound": "str",
    "middle_name": "str",
    "surname": "str",
    "surnames": "list",
    "surname_sound": "str",
    "name_pair": "str",
    "dob": "str",
    "dob_swapped": "str",
    "dob_key": "str",
    "birth_year": "int",
    "sex": "str",
    "phones": "list",
    "emails": "list",
    "handles": "list",
    "street": "str",
    "streets": "list",
    "city": "str",
    "postcode": "str",
    "state": "str",
    "school_or_employer": "str",
    "id_number": "str",
}

_TITLES: Final[frozenset[str]] = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "rev", "fr", "sgt", "officer"}
)
_SUFFIXES: Final[frozenset[str]] = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})
_STREET_WORDS: Final[dict[str, str]] = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "place": "pl",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "crescent": "cres",
    "boulevard": "blvd",
    "highway": "hwy",
    "terrace": "tce",
    "circuit": "cct",
    "parade": "pde",
    "close": "cl",
    "square": "sq",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "apartment": "apt",
    "unit": "apt",
    "suite": "ste",
}
_ORG_STOPWORDS: Final[frozenset[str]] = frozenset(
    {"the", "of", "inc", "llc", "ltd", "co", "corp", "company", "and"}
)
_SEX: Final[dict[str, str]] = {
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
}
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_HANDLE_URL = re.compile(r"^(?:https?://)?(?:www\.)?[a-z0-9.-]+\.[a-z]{2,}/(?:@)?")
_DIGITS = re.compile(r"\d+")
_PLAIN_PHONE = re.compile(r"[0-9 ().+\-]+")
_SEPARATOR = ";"
# The same names, streets and phones come back across a million mentions (a person's
# many mentions, a household's shared details): the string normalisers are memoised.
_CACHE_SIZE: Final[int] = 1 << 18
# Ages above this are treated as a typo rather than evidence.
_MAX_AGE: Final[int] = 120


@functools.lru_cache(maxsize=_CACHE_SIZE)
def fold(text: str) -> str:
    """Lower-case ASCII words: accents dropped, other scripts transliterated."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return ""
    ascii_text = anyascii(text).lower().replace("'", "").replace("’", "")
    ascii_text = _NON_ALNUM.sub(" ", ascii_text.replace("-", " "))
    return _SPACES.sub(" ", ascii_text).strip()


def _values(raw: Any) -> list[str]:
    if raw is None or (isinstance(raw, float) and raw != raw):
        return []
    return [part.strip() for part in str(raw).split(_SEPARATOR) if part.strip()]


def _first(raw: Any) -> str | None:
    values = _values(raw)
    return values[0] if values else None


def name_word(raw: Any) -> str | None:
    """One name part (given name or surname) as one lower-case ASCII word run."""
    if isinstance(raw, str):
        return _name_word(raw)
    text = _first(raw)
    return None if text is None else _name_word(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _name_word(raw: str) -> str | None:
    text = _first(raw)
    if text is None:
        return None
    words = [w for w in fold(text).split() if w not in _TITLES and w not in _SUFFIXES]
    return " ".join(words) or None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def split_full_name(raw: str) -> tuple[str | None, str | None, str | None]:
    """(first, middle, surname) from "First Middle Surname" or "Surname, First Middle"."""
    if "," in raw:
        surname_part, _, rest = raw.partition(",")
        words = [w for w in fold(rest).split() if w not in _TITLES and w not in _SUFFIXES]
        surname = " ".join(w for w in fold(surname_part).split() if w not in _SUFFIXES) or None
        first = words[0] if words else None
        middle = " ".join(words[1:]) or None
        return first, middle, surname
    words = [w for w in fold(raw).split() if w not in _TITLES and w not in _SUFFIXES]
    if not words:
        return None, None, None
    if len(words) == 1:
        return words[0], None, None
    return words[0], " ".join(words[1:-1]) or None, words[-1]


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _sound(name: str | None) -> str | None:
    if not name:
        return None
    return jellyfish.metaphone(name.replace(" ", "")) or None


def parse_dob(
    raw: Any, *, this_year: int | None = None
) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) from ISO, yyyymmdd, mm/dd/yyyy or a year; None if unreadable.

    Month and day stay as written (not calendar-checked beyond 1..12 and 1..31),
    so a transposed day and month can still be compared; a first part over 12
    in "dd/mm/yyyy" is read as the day.
    """
    text = _first(raw)
    if text is None:
        return None
    # The year bounds what can be a date of birth, so it is part of the cache key.
    return _parse_dob(text.strip(), this_year or date.today().year)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_dob(text: str, this_year: int) -> tuple[int, int | None, int | None] | None:
    parts = _DIGITS.findall(text)
    year: int
    month: int | None
    day: int | None
    if len(parts) == 1 and len(parts[0]) == 8:
        year, month, day = int(parts[0][:4]), int(parts[0][4:6]), int(parts[0][6:])
    elif len(parts) == 1 and len(parts[0]) == 4:
        year, month, day = int(parts[0]), None, None
    elif len(parts) >= 3 and len(parts[0]) == 4:
        year, month, day = int(parts[0]), int(parts[1]), int(parts[2])
    elif len(parts) >= 3 and len(parts[2]) in (2, 4):
        year = int(parts[2])
        if len(parts[2]) == 2:
            year += 1900 if year > this_year % 100 else 2000
        month, day = int(parts[0]), int(parts[1])
        if month > 12 >= day:
            month, day = day, month
    else:
        return None
    if not 1850 <= year <= this_year:
        return None
    if month is not None and day is not None:
        if month > 12 >= day:
            month, day = day, month
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return year, None, None
    return year, month, day


def parse_age(raw: Any) -> int | None:
    text = _first(raw)
    if text is None:
        return None
    found = _DIGITS.search(text)
    if found is None:
        return None
    age = int(found.group())
    return age if 0 < age <= _MAX_AGE else None


def _north_american(raw: str) -> str | None:
    """+1 and ten digits for a plain North American number ("(555) 234-5678",
    "1-555-234-5678", "+1 555 234 5678"), exactly as phonenumbers formats it for
    region US, or None to let phonenumbers decide (letters, other countries,
    extensions, odd lengths). Parsing with phonenumbers is most of `prepare`'s time."""
    if not _PLAIN_PHONE.fullmatch(raw):
        return None
    text = raw.strip()
    if "+" in text and not (text.startswith("+1") and "+" not in text[1:]):
        return None
    digits = "".join(_DIGITS.findall(text))
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) == 10 and digits[0] in "23456789":
        return "+1" + digits
    return None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_phone(raw: str, region: str = "US") -> str | None:
    """E.164 (+15551234567) where the number can be read, else its digits (7+)."""
    if region == "US":
        plain = _north_american(raw)
        if plain is not None:
            return plain
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = "".join(_DIGITS.findall(raw))
    return digits if len(digits) >= 7 else None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_email(raw: str) -> str | None:
    """Lower case; "+tag" dropped; Gmail's ignored dots removed."""
    text = unicodedata.normalize("NFKC", raw).strip().lower().removeprefix("mailto:")
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain:
        return None
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_handle(raw: str) -> str | None:
    """A social handle without "@", profile URL or case: "@Jane_Doe" → "jane_doe"."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    text = _HANDLE_URL.sub("", text).lstrip("@").strip("/ ")
    text = re.sub(r"[^a-z0-9_.]", "", anyascii(text))
    return text or None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_street(raw: str) -> str | None:
    words = [_STREET_WORDS.get(w, w) for w in fold(raw).split()]
    return " ".join(words) or None


def normalise_postcode(raw: Any) -> str | None:
    text = _first(raw)
    return None if text is None else _normalise_postcode(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _normalise_postcode(text: str) -> str | None:
    code = re.sub(r"[^A-Z0-9]", "", anyascii(text).upper())
    if len(code) == 9 and code.isdigit():
        code = code[:5]  # US ZIP+4
    return code or None


def normalise_org(raw: Any) -> str | None:
    text = _first(raw)
    return None if text is None else _normalise_org(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _normalise_org(text: str) -> str | None:
    words = [w for w in fold(text).split() if w not in _ORG_STOPWORDS]
    return " ".join(words) or None


def normalise_id(raw: Any) -> str | None:
    text = _first(raw)
    return None if text is None else _normalise_id(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _normalise_id(text: str) -> str | None:
    code = re.sub(r"[^A-Z0-9]", "", anyascii(text).upper())
    return code or None


def _unique(values: Iterable[str | None]) -> list[str] | None:
    seen = {v for v in values if v}
    if len(seen) < 2:
        return list(seen) or None
    return sorted(seen)


def _each(normaliser: Callable[[str], str | None], raw: Any) -> list[str] | None:
    """Each of a multi-valued field's values normalised, unique and sorted (None if none)."""
    values = _values(raw)
    return _unique(map(normaliser, values)) if values else None


def prepare_row(row: Mapping[str, Any], *, this_year: int | None = None) -> dict[str, Any]:
    """The normalised features of one mention (see FEATURES)."""
    year_now = this_year or date.today().year
    first = name_word(row.get("first_name"))
    middle = name_word(row.get("middle_name"))
    surname = name_word(row.get("surname"))
    first_names: list[str | None] = [first]
    surnames: list[str | None] = [surname]
    for index, full in enumerate(_values(row.get("full_name"))):
        f, m, s = split_full_name(full)
        first_names.append(f)
        surnames.append(s)
        if index == 0:
            first = first or f
            middle = middle or m
            surname = surname or s
    dob_parts = parse_dob(row.get("dob"), this_year=year_now)
    dob = dob_swapped = dob_key = None
    birth_year: int | None = None
    if dob_parts is not None:
        year, month, day = dob_parts
        birth_year = year
        if month is not None and day is not None:
            dob = f"{year:04d}-{month:02d}-{day:02d}"
            low, high = sorted((month, day))
            dob_key = f"{year:04d}-{low:02d}-{high:02d}"
            if day <= 12 and day != month:
                dob_swapped = f"{year:04d}-{day:02d}-{month:02d}"
    if birth_year is None:
        age = parse_age(row.get("age"))
        if age is not None:
            birth_year = year_now - age
    sex_text = _first(row.get("sex"))
    street_values = _values(row.get("street"))
    return {
        "first_name": first,
        "first_names": _unique(formal_name(n) for n in first_names if n),
        "first_name_sound": _sound(first),
        "middle_name": middle,
        "surname": surname,
        "surnames": _unique(surnames),
        "surname_sound": _sound(surname),
        # Given name and surname in either order: finds pairs whose names were swapped.
        "name_pair": "|".join(sorted((first, surname))) if first and surname else None,
        "dob": dob,
        "dob_swapped": dob_swapped,
        "dob_key": dob_key,
        "birth_year": birth_year,
        "sex": _SEX.get(sex_text.strip().lower()) if sex_text else None,
        "phones": _each(normalise_phone, row.get("phone")),
        "emails": _each(normalise_email, row.get("email")),
        "handles": _each(normalise_handle, row.get("handle")),
        "street": normalise_street(street_values[0]) if street_values else None,
        "streets": _unique(map(normalise_street, street_values)) if street_values else None,
        "city": name_word(row.get("city")),
        "postcode": normalise_postcode(row.get("postcode")),
        "state": name_word(row.get("state")),
        "school_or_employer": normalise_org(row.get("school_or_employer")),
        "id_number": normalise_id(row.get("id_number")),
    }


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalised features for each mention: `unique_id`, `source_dataset` if given, FEATURES.

    `frame` has `unique_id` and any of FIELDS as string columns; phone, email,
    handle, street and full_name may hold several values separated by ";".
    """
    if "unique_id" not in frame.columns:
        raise ValueError("the frame needs a unique_id column")
    present = [f for f in FIELDS if f in frame.columns]
    this_year = date.today().year
    records = (
        [
            prepare_row(dict(zip(present, values, strict=True)), this_year=this_year)
            for values in frame[present].itertuples(index=False, name=None)
        ]
        if present
        else [prepare_row({}) for _ in range(len(frame))]
    )
    out = pd.DataFrame.from_records(records, columns=list(FEATURES))
    out.insert(0, "unique_id", frame["unique_id"].astype(str).to_numpy())
    if "source_dataset" in frame.columns:
        out.insert(1, "source_dataset", frame["source_dataset"].astype(str).to_numpy())
    # Python ints and None (not pandas' Int64 with NA): rows stay JSON-serialisable.
    out["birth_year"] = pd.Series([r["birth_year"] for r in records], dtype=object)
    for column, kind in FEATURES.items():
        if kind == "str":
            out[column] = out[column].astype(object)
    return out
