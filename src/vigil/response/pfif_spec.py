"""The People Finder Interchange Format as data: namespaces, fields, formats, per version.

From the PFIF specifications at zesty.ca/pfif (1.1 of 2005, 1.2 of 2010, 1.3 and
1.4 of 2012) and the field lists Person Finder's own reader uses. PFIF 1.4 renamed
first_name/last_name to given_name/family_name, other to description and found to
author_made_contact, and added alternate_names, profile_urls and a note's
photo_url; 1.3 added expiry_date and full_name (which replaced first and last name
as the mandatory name); 1.2 added sex, date_of_birth, age, home_country, notes at
the top level with person_record_id, linked_person_record_id and status, and
renamed home_zip to home_postal_code.
"""

from __future__ import annotations

import re
from typing import Final

VERSIONS: Final[tuple[str, ...]] = ("1.1", "1.2", "1.3", "1.4")
NAMESPACE_PREFIX: Final = "http://zesty.ca/pfif/"


def namespace(version: str) -> str:
    return f"{NAMESPACE_PREFIX}{version}"


PERSON_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "1.1": (
        "person_record_id",
        "entry_date",
        "author_name",
        "author_email",
        "author_phone",
        "source_name",
        "source_date",
        "source_url",
        "first_name",
        "last_name",
        "home_city",
        "home_state",
        "home_neighborhood",
        "home_street",
        "home_zip",
        "photo_url",
        "other",
    ),
    "1.2": (
        "person_record_id",
        "entry_date",
        "author_name",
        "author_email",
        "author_phone",
        "source_name",
        "source_date",
        "source_url",
        "first_name",
        "last_name",
        "sex",
        "date_of_birth",
        "age",
        "home_street",
        "home_neighborhood",
        "home_city",
        "home_state",
        "home_postal_code",
        "home_country",
        "photo_url",
        "other",
    ),
    "1.3": (
        "person_record_id",
        "entry_date",
        "expiry_date",
        "author_name",
        "author_email",
        "author_phone",
        "source_name",
        "source_date",
        "source_url",
        "full_name",
        "first_name",
        "last_name",
        "sex",
        "date_of_birth",
        "age",
        "home_street",
        "home_neighborhood",
        "home_city",
        "home_state",
        "home_postal_code",
        "home_country",
        "photo_url",
        "other",
    ),
    "1.4": (
        "person_record_id",
        "entry_date",
        "expiry_date",
        "author_name",
        "author_email",
        "author_phone",
        "source_name",
        "source_date",
        "source_url",
        "full_name",
        "given_name",
        "family_name",
        "alternate_names",
        "description",
        "sex",
        "date_of_birth",
        "age",
        "home_street",
        "home_neighborhood",
        "home_city",
        "home_state",
        "home_postal_code",
        "home_country",
        "photo_url",
        "profile_urls",
    ),
}
_NOTE_1_1: Final = (
    "note_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "found",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
)
_NOTE_1_2: Final = (
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "found",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
)
NOTE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "1.1": _NOTE_1_1,
    "1.2": _NOTE_1_2,
    "1.3": _NOTE_1_2,
    "1.4": (
        "note_record_id",
        "person_record_id",
        "linked_person_record_id",
        "entry_date",
        "author_name",
        "author_email",
        "author_phone",
        "source_date",
        "author_made_contact",
        "status",
        "email_of_found_person",
        "phone_of_found_person",
        "last_known_location",
        "text",
        "photo_url",
    ),
}
PERSON_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "1.1": ("person_record_id", "first_name", "last_name"),
    "1.2": ("person_record_id", "first_name", "last_name"),
    "1.3": ("person_record_id", "source_date", "full_name"),
    "1.4": ("person_record_id", "source_date", "full_name"),
}
NOTE_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "1.1": ("note_record_id", "author_name", "source_date", "text"),
    "1.2": ("note_record_id", "author_name", "source_date", "text"),
    "1.3": ("note_record_id", "author_name", "source_date", "text"),
    # In 1.4 a note may carry only a status or a photo: its text is optional.
    "1.4": ("note_record_id", "author_name", "source_date"),
}
NOTE_STATUSES: Final[tuple[str, ...]] = (
    "information_sought",
    "is_note_author",
    "believed_alive",
    "believed_missing",
    "believed_dead",
)
SEXES: Final[tuple[str, ...]] = ("female", "male", "other")
# Fields kept in the placeholder of an expired person record (all else is removed).
PLACEHOLDER_FIELDS: Final[frozenset[str]] = frozenset(
    {"person_record_id", "expiry_date", "source_date", "entry_date"}
)
# Person Finder keeps these fields as short indexed strings of at most 500
# characters; longer values do not survive an exchange with it.
SHORT_FIELD_CHARS: Final = 500
LONG_FIELDS: Final[frozenset[str]] = frozenset(
    {"other", "description", "text", "last_known_location", "alternate_names", "profile_urls"}
)
LONG_FIELD_CHARS: Final = 100_000

# Formats. A record id is a domain name, a slash and a local identifier (RFC 1034
# labels; the final dot optional).
_LABEL = r"[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
RECORD_ID: Final = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}\.?/\S(?:.*\S)?$", re.DOTALL)
UTC_DATETIME: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$")
DATE_OF_BIRTH: Final = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
AGE: Final = re.compile(r"^(\d{1,3})(?:-(\d{1,3}))?$")
EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE: Final = re.compile(r"^(?:[-.+() ]*\d[-.+() ]*)+(?:[#x]\d+)?$")
COUNTRY: Final = re.compile(r"^[A-Z]{2}$")
US_STATE: Final = re.compile(r"^[A-Z]{2}$")
SUBDIVISION: Final = re.compile(r"^(?:[A-Z]{2}-)?[A-Z0-9]{1,3}$")
CAPITALS: Final = re.compile(r"^[A-Z ]+$")
DIGITS: Final = re.compile(r"^\d+$")
BOOLEAN: Final = re.compile(r"^(?:true|false)$")

# Field -> format name, by version: what `pfif_validation` checks each value against.
_COMMON_PERSON: Final[dict[str, str]] = {
    "person_record_id": "record_id",
    "entry_date": "datetime",
    "expiry_date": "datetime",
    "author_name": "text",
    "author_email": "email",
    "author_phone": "phone",
    "source_name": "text",
    "source_date": "datetime",
    "source_url": "url",
    "photo_url": "url",
}
_COMMON_NOTE: Final[dict[str, str]] = {
    "note_record_id": "record_id",
    "person_record_id": "record_id",
    "linked_person_record_id": "record_id",
    "entry_date": "datetime",
    "author_name": "text",
    "author_email": "email",
    "author_phone": "phone",
    "source_date": "datetime",
    "found": "boolean",
    "author_made_contact": "boolean",
    "status": "status",
    "email_of_found_person": "email",
    "phone_of_found_person": "phone",
    "last_known_location": "text",
    "text": "text",
    "photo_url": "url",
}


def person_format(version: str, field: str) -> str:
    """The format a person field's value must have in `version`."""
    if version == "1.1":
        if field in ("first_name", "last_name", "home_city", "home_neighborhood", "home_street"):
            return "capitals"
        if field == "home_state":
            return "us_state"
        if field == "home_zip":
            return "digits"
    if version == "1.2" and field == "home_postal_code":
        return "digits"
    specific = {
        "sex": "sex",
        "date_of_birth": "date_of_birth",
        "age": "age",
        "home_state": "subdivision",
        "home_country": "country",
        "profile_urls": "urls",
    }
    return _COMMON_PERSON.get(field) or specific.get(field, "text")


def note_format(field: str) -> str:
    return _COMMON_NOTE.get(field, "text")
