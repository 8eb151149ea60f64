"""Normalising reported person details: names, dates, phones, e-mail, handles, addresses."""

from __future__ import annotations

import random

import pandas as pd
import phonenumbers
from rapidfuzz.distance import JaroWinkler

from vigil.linkage import normalise
from vigil.linkage.fields import FIELDS
from vigil.linkage.normalise import (
    FEATURES,
    normalise_email,
    normalise_handle,
    normalise_phone,
    parse_dob,
    prepare,
    prepare_row,
    split_full_name,
)


def test_names_are_folded_to_ascii_and_nicknames_to_their_formal_form() -> None:
    row = prepare_row({"first_name": "  Bill ", "surname": "O'Brien-Núñez"})
    assert row["first_name"] == "bill"
    assert row["first_names"] == ["william"]
    assert row["surname"] == "obrien nunez"


def test_other_scripts_are_transliterated() -> None:
    cyrillic = prepare_row({"full_name": "Сергей Иванов"})
    latin = prepare_row({"full_name": "Sergei Ivanov"})
    assert cyrillic["surname"] == latin["surname"] == "ivanov"
    # Сергей transliterates as "sergey": close enough for the jaro-winkler level.
    assert JaroWinkler.similarity(cyrillic["first_name"], latin["first_name"]) >= 0.92
    arabic = prepare_row({"first_name": "محمد", "surname": "حداد"})
    assert arabic["first_name"] and arabic["first_name"].isascii()


def test_full_names_with_comma_titles_and_aliases() -> None:
    assert split_full_name("Smith, John Albert") == ("john", "albert", "smith")
    assert split_full_name("Dr. Jane Q. Doe Jr.") == ("jane", "q", "doe")
    row = prepare_row({"full_name": "Robert Jones; Bobby Jonas"})
    assert row["first_name"] == "robert" and row["surname"] == "jones"
    assert row["first_names"] == ["robert"]
    assert row["surnames"] == ["jonas", "jones"]


def test_dates_of_birth_in_several_forms_and_swapped_day_and_month() -> None:
    assert parse_dob("1990-01-02") == (1990, 1, 2)
    assert parse_dob("19900102") == (1990, 1, 2)
    assert parse_dob("01/02/1990") == (1990, 1, 2)  # US order
    assert parse_dob("25/12/1990") == (1990, 12, 25)  # day first when it cannot be a month
    assert parse_dob("1990") == (1990, None, None)
    one, other = prepare_row({"dob": "1990-01-02"}), prepare_row({"dob": "1990-02-01"})
    assert one["dob_swapped"] == other["dob"]
    assert one["dob_key"] == other["dob_key"]


def test_unparseable_dates_and_ages() -> None:
    for text in ("unknown", "32/13/1990", "next tuesday", "", "0000-00-00", "3000-01-01"):
        row = prepare_row({"dob": text})
        assert row["dob"] is None, text
    assert prepare_row({"dob": "1990-13-45"})["birth_year"] == 1990
    assert prepare_row({"age": "about 30"}, this_year=2026)["birth_year"] == 1996
    assert prepare_row({"age": "old"})["birth_year"] is None
    assert prepare_row({"age": "400"})["birth_year"] is None


def test_phones_to_e164() -> None:
    assert normalise_phone("(555) 234-5678") == "+15552345678"
    assert normalise_phone("+1 555 234 5678") == "+15552345678"
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("12") is None
    row = prepare_row({"phone": "555-234-5678; +1 (555) 234-5678; 555 876 5432"})
    assert row["phones"] == ["+15552345678", "+15558765432"]


def test_plain_north_american_numbers_read_as_phonenumbers_reads_them() -> None:
    rng = random.Random(4)
    formats = ["{}{}{}", "({}) {}-{}", "{}-{}-{}", "{}.{}.{}", "+1 {} {} {}", "1-{}-{}-{}"]
    for _ in range(3_000):
        digits = "".join(rng.choice("0123456789") for _ in range(10))
        raw = rng.choice(formats).format(digits[:3], digits[3:6], digits[6:])
        fast = normalise._north_american(raw)
        if fast is None:
            continue
        number = phonenumbers.parse(raw, "US")
        assert phonenumbers.is_possible_number(number), raw
        assert fast == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    assert normalise._north_american("1-800-FLOWERS") is None  # letters: phonenumbers decides
    assert normalise._north_american("+44 20 7946 0958") is None
    assert normalise._north_american("555-1234") is None


def test_emails_and_handles() -> None:
    assert normalise_email(" J.Doe+tips@GoogleMail.com ") == "jdoe@gmail.com"
    assert normalise_email("jane.doe+x@example.org") == "jane.doe@example.org"
    assert normalise_email("not an address") is None
    assert normalise_handle("@Jane_Doe") == "jane_doe"
    assert normalise_handle("https://www.instagram.com/jane_doe/") == "jane_doe"


def test_streets_are_abbreviated_alike() -> None:
    a = prepare_row({"street": "12 North Main Street"})["street"]
    b = prepare_row({"street": "12 n. main st"})["street"]
    assert a == b == "12 n main st"


def test_prepare_takes_any_subset_of_fields_and_empty_values() -> None:
    frame = pd.DataFrame(
        {
            "unique_id": [1, 2, 3],
            "first_name": ["Ana", None, ""],
            "phone": ["", None, "555 234 5678"],
        }
    )
    out = prepare(frame)
    assert list(out["unique_id"]) == ["1", "2", "3"]
    assert set(FEATURES) <= set(out.columns)
    assert out.loc[1, "first_name"] is None and out.loc[2, "first_name"] is None
    assert out.loc[0, "phones"] is None
    assert out.loc[2, "phones"] == ["+15552345678"]
    every = pd.DataFrame({"unique_id": ["x"], **{f: [None] for f in FIELDS}})
    assert prepare(every).loc[0, "first_name"] is None
