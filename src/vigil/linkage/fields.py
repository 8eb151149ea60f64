"""The person fields that linkage understands, as the public and agencies report them."""

from typing import Final

FIELDS: Final[tuple[str, ...]] = (
    "full_name",
    "first_name",
    "middle_name",
    "surname",
    "dob",
    "age",
    "sex",
    "phone",
    "email",
    "handle",
    "street",
    "city",
    "postcode",
    "state",
    "school_or_employer",
    "id_number",
)

# Fields that may hold several values separated by ";" (a mention can have
# several phones or addresses; aliases come as extra full names).
MULTI_VALUED: Final[frozenset[str]] = frozenset({"full_name", "phone", "email", "handle", "street"})
