"""Matching inquiries to listed people: each kind of noise families and lists make."""

from __future__ import annotations

from datetime import date

import pytest

from vigil.response.inquiry_matching import Candidate, match_inquiries
from vigil.response.profiles import InvalidValue, Profile, build_profile, parse_age, parse_date

TODAY = date(2026, 11, 26)


def listed(
    pid: str,
    name: str,
    dob: str = "",
    *,
    age: str = "",
    sex: str = "",
    kind: str = "roster",
    description: str = "",
) -> Profile:
    return build_profile(
        id=pid,
        list_kind=kind,
        full_name=name,
        dob=dob,
        age=age,
        sex=sex,
        description=description,
        today=TODAY,
    )


def asked(
    name: str, dob: str = "", *, age: str = "", sex: str = "", description: str = ""
) -> Profile:
    return listed("Q1", name, dob, age=age, sex=sex, kind="", description=description)


# A crowd of other people so that names have ordinary frequencies.
CROWD = [
    listed("R1", "SMITH, WILLIAM J", "2010-03-04", sex="M"),
    listed("R2", "GARCIA-LOPEZ, MARIA", "2009-11-15", sex="F"),
    listed("R3", "JOHNSON, EMMA", "2011-06-09", sex="F"),
    listed("R4", "JOHNSON, OLIVIA", "2011-06-09", sex="F"),  # Emma's twin
    listed("R5", "NGUYEN, MINH", "2012-01-22", sex="M"),
    listed("R6", "OBRIEN, CATHERINE A", "2010-08-30", sex="F"),
    listed("R7", "BROWN, JAMES", "2009-02-14", sex="M"),
    listed("R8", "WILSON, DAVID", "2010-12-01", sex="M"),
    listed(
        "H1",
        "Unknown Male",
        age="about 20",
        sex="M",
        kind="hospital",
        description="about 20, red hoodie, short blond hair, tattoo of a rose on the forearm",
    ),
    listed(
        "H2",
        "Unknown Male",
        age="22",
        sex="M",
        kind="hospital",
        description="black jacket, glasses, beard",
    ),
    listed(
        "H3", "", age="about 45", sex="F", kind="hospital", description="green dress, gray hair"
    ),
    listed("A1", "Zoe Martinez", age="34", sex="F", kind="attendees"),
    listed("A2", "Kevin Park", "1990-05-17", sex="M", kind="attendees"),
]


def best(inquiry: Profile, people: list[Profile] | None = None) -> list[Candidate]:
    return match_inquiries(people or CROWD, [inquiry], top=3)


def test_nickname_and_list_name_order_find_the_person_as_likely() -> None:
    found = best(asked("Billy Smith", "2010-03-04", sex="M"))
    assert found[0].person_id == "R1" and found[0].likely


def test_misspelled_surname_and_given_name() -> None:
    found = best(asked("Catherine O'Brian", "2010-08-30"))
    assert found[0].person_id == "R6" and found[0].likely
    found = best(asked("Kathrine OBrien", age="16"))
    assert found[0].person_id == "R6"


def test_one_half_of_a_double_surname_and_accents() -> None:
    found = best(asked("María López", "2009-11-15", sex="F"))
    assert found[0].person_id == "R2" and found[0].likely
    found = best(asked("Maria Garcia Lopez", "11/15/2009"))
    assert found[0].person_id == "R2" and found[0].likely


def test_transposed_dates_still_match() -> None:
    # Day and month swapped (the twin with the same date is still told apart by name).
    found = best(asked("Emma Johnson", "2011-09-06", sex="F"))
    assert found[0].person_id == "R3" and found[0].likely
    # Two adjacent digits transposed: 2010-12-01 written 2010-12-10.
    found = best(asked("David Wilson", "2010-12-10"))
    assert found[0].person_id == "R8" and found[0].likely
    # A date that is nowhere near is evidence against, even with the same name.
    found = best(asked("David Wilson", "1961-04-27"))
    assert not any(c.likely for c in found)


def test_age_consistent_with_the_date_of_birth_counts_and_an_inconsistent_one_does_not() -> None:
    consistent = best(asked("James Brown", age="17", sex="M"))
    assert consistent[0].person_id == "R7" and consistent[0].likely
    inconsistent = best(asked("James Brown", age="45", sex="M"))
    assert not any(c.likely for c in inconsistent)


def test_twins_are_not_confused() -> None:
    emma = best(asked("Emma Johnson", "2011-06-09", sex="F"))
    assert emma[0].person_id == "R3" and emma[0].likely
    olivia = best(asked("Olivia Johnson", "2011-06-09"))
    assert olivia[0].person_id == "R4" and olivia[0].likely
    # A third sibling of the twins (same surname and date of birth) is on no list.
    ava = best(asked("Ava Johnson", "2011-06-09", sex="F"))
    assert not any(c.likely for c in ava)


def test_unidentified_patient_matched_by_sex_age_and_description() -> None:
    found = best(
        asked(
            "Tyler Reed", age="19", sex="M", description="red sweatshirt, blond hair, rose tattoo"
        )
    )
    assert found[0].person_id == "H1"
    assert {c.person_id for c in found} <= {"H1", "H2", "A2", "R1", "R8", "R7", "R5"}
    woman = best(asked("Jane Roe", age="44", sex="F", description="green dress"))
    assert found and woman[0].person_id == "H3"
    # Wrong sex: the unidentified men are no candidates for a woman.
    assert not {"H1", "H2"} & {c.person_id for c in woman}


def test_someone_on_no_list_gets_no_likely_match() -> None:
    for inquiry in (
        asked("Robert Kowalski", "1985-07-07", sex="M"),
        asked("William Smith", "1970-01-01", sex="M"),  # a namesake, another generation
        asked("Maria Garcia", age="60", sex="F"),
        asked("Emily Johnson", "2011-06-09", sex="F"),
    ):
        assert not any(c.likely for c in best(inquiry)), inquiry


def test_a_person_on_two_lists_is_still_likely() -> None:
    people = [*CROWD, listed("H9", "Smith, William", age="16", sex="M", kind="hospital")]
    found = best(asked("Will Smith", "2010-03-04", sex="M"), people)
    assert found[0].likely and {found[0].person_id, found[1].person_id} == {"R1", "H9"}


def test_two_namesakes_without_a_telling_date_leave_it_to_staff() -> None:
    people = [*CROWD, listed("R9", "SMITH, WILLIAM", "2013-09-09", sex="M")]
    found = best(asked("William Smith", sex="M"), people)
    assert {c.person_id for c in found[:2]} == {"R1", "R9"} and not found[0].likely


def test_ranks_are_ordered_and_capped() -> None:
    found = match_inquiries(CROWD, [asked("Emma Johnson", "2011-06-09")], top=2)
    assert [c.rank for c in found] == [1, 2]
    assert found[0].score >= found[1].score


@pytest.mark.parametrize(
    "text",
    ["2026-02-30", "2031-01-01", "1850-01-01", "13/13/2001", "yesterday", "2001-1-", "2001/01-05"],
)
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_date(text, today=TODAY)


def test_dates_are_read_in_the_forms_lists_use() -> None:
    assert parse_date("2010-03-04", today=TODAY) == (2010, 3, 4)
    assert parse_date("03/04/2010", today=TODAY) == (2010, 3, 4)
    assert parse_date("25/04/2010", today=TODAY) == (2010, 4, 25)
    assert parse_date("2010/03/04", today=TODAY) == (2010, 3, 4)
    assert parse_date("2010-03-04T00:00:00Z", today=TODAY) == (2010, 3, 4)
    assert parse_date(" ", today=TODAY) is None


@pytest.mark.parametrize("text", ["-3", "250", "twenty", "1.5.2"])
def test_impossible_ages_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_age(text)


def test_estimated_ages() -> None:
    assert parse_age("about 20") == (20, True)
    assert parse_age("~35") == (35, True)
    assert parse_age("7") == (7, False)
