"""The mapping alone (no database): for any report Vigil can hold, every object it writes
is valid STIX 2.1 for the stix2 library and stix2-validator, its cyber-observable ids
are the ones STIX 2.1 defines, and reading it back gives the report's fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import stix2  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_string  # type: ignore[import-untyped]

from vigil.platform.policy.markings import Tlp
from vigil.reports.vocabulary import Behavior, MentionRole, TargetType
from vigil.sharing.stix_mapping import (
    ReportValues,
    common_objects,
    marking_object,
    read_partner_report,
    report_objects,
    sco_id,
)

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)
MOMENT = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@st.composite
def mentions(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "role": draw(st.sampled_from([r.value for r in MentionRole])),
        "given_name": draw(st.none() | TEXT),
        "middle_name": draw(st.none() | TEXT),
        "family_name": draw(st.none() | TEXT),
        "aliases": draw(st.lists(TEXT, max_size=2)),
        "date_of_birth": draw(st.none() | st.just("2008-03-04")),
        "age_min": draw(st.none() | st.integers(0, 20)),
        "age_max": draw(st.none() | st.integers(20, 120)),
        "sex": draw(st.none() | st.sampled_from(["female", "male", "other", "unknown"])),
        "phones": draw(st.lists(TEXT, max_size=2)),
        "emails": draw(st.lists(TEXT | st.emails(), max_size=2)),
        "handles": draw(st.lists(TEXT, max_size=2)),
        "addresses": draw(st.lists(TEXT, max_size=2)),
        "school_or_employer": draw(st.none() | TEXT),
        "description": draw(st.none() | TEXT),
    }


@st.composite
def reports(draw: st.DrawFn) -> ReportValues:
    located = draw(st.booleans())
    created = draw(MOMENT)
    return ReportValues(
        receipt_number=draw(
            st.from_regex(r"VIG-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", fullmatch=True)
        ),
        kind=draw(st.sampled_from(["tip", "sar", "agency_report"])),
        file_class=draw(st.sampled_from(["tip_lead", "sar", "intelligence"])),
        narrative=draw(TEXT),
        occurred_at=draw(st.none() | MOMENT),
        reported_at=created,
        created_at=created,
        updated_at=draw(MOMENT),
        location_text=draw(st.none() | TEXT),
        latitude=draw(st.floats(-90, 90)) if located else None,
        longitude=draw(st.floats(-180, 180)) if located else None,
        behaviors=tuple(draw(st.lists(st.sampled_from([b.value for b in Behavior]), max_size=3))),
        weapons=tuple(draw(st.lists(TEXT, max_size=2))),
        target_types=tuple(
            draw(st.lists(st.sampled_from([t.value for t in TargetType]), max_size=2))
        ),
        target_name=draw(st.none() | TEXT),
        marking=draw(st.sampled_from([t.value for t in Tlp])),
        protected_activity_only=draw(st.booleans()),
        urgency_level=draw(st.sampled_from(["low", "moderate", "high", "imminent"])),
        urgency_score=draw(st.integers(0, 100)),
        urgency_rules=tuple(draw(st.lists(TEXT, max_size=3))),
        owner_agency_name=draw(TEXT),
        mentions=tuple(draw(st.lists(mentions(), max_size=3))),
    )


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(values=reports())
def test_every_object_written_is_valid_stix(values: ReportValues) -> None:
    objects = [*common_objects(), marking_object(Tlp(values.marking)), *report_objects(values)]
    unique = list({obj["id"]: obj for obj in objects}.values())
    for obj in unique:
        parsed = stix2.parse(obj, allow_custom=False, version="2.1")
        assert parsed.id == obj["id"]
        if obj["type"] in ("email-addr", "user-account"):
            fresh = type(parsed)(**{k: v for k, v in obj.items() if k != "id"})
            assert fresh.id == obj["id"]  # the id STIX 2.1 defines for the observable
    bundle = json.dumps(
        {"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8", "objects": unique}
    )
    results = validate_string(bundle, ValidationOptions(strict=False))
    assert results.is_valid, results.as_dict()
    by_id = {obj["id"]: obj for obj in unique}
    report = next(o for o in unique if o["type"] == "report")
    read = read_partner_report(report, by_id, Tlp(values.marking))
    assert read.fields["narrative"] == values.narrative
    assert read.fields.get("behaviors", []) == list(values.behaviors)
    assert len(read.fields["mentions"]) == len(values.mentions)


def test_sco_ids_are_those_of_the_stix2_library() -> None:
    for value in ("jr@example.org", "ÄÖ@ü.example", 'quote"back\\slash'):
        assert sco_id("email-addr", {"value": value}) == stix2.v21.EmailAddress(value=value).id
        assert (
            sco_id("user-account", {"account_login": value})
            == stix2.v21.UserAccount(account_login=value).id
        )
