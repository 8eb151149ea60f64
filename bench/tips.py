"""Synthetic tips for the intake benchmarks: varied, plausible, each one unique.

Every tip names one subject (from small name pools, so that later tips match earlier
ones as real tips about the same person do), sometimes a second person, and tells a few
sentences of threat, behavior and worry. Its narrative ends with a unique call-log
reference, so that a tip stored twice can be told from two tips that read alike.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

REPORTS_PATH = "/api/v1/reports"
TIPS_PATH = "/api/v1/tips"

GIVEN = (
    "Jordan", "Tyler", "Ethan", "Mason", "Kayla", "Dylan", "Austin", "Brandon", "Cody",
    "Logan", "Hunter", "Marcus", "Devon", "Riley", "Caleb", "Noah", "Aiden", "Connor",
    "Travis", "Shane", "Alyssa", "Brianna", "Darnell", "Mateo", "Elijah", "Grace",
)  # fmt: skip
FAMILY = (
    "Pike", "Harlan", "Whitaker", "Okafor", "Nguyen", "Delgado", "Brennan", "Kowalski",
    "Haddad", "Lindqvist", "Ramirez", "Sutton", "Mercer", "Yazzie", "Albright",
    "Castellano", "Duchesne", "Iverson", "Moreau", "Petrakis", "Whitfield", "Abernathy",
)  # fmt: skip
# (place, target type, whether it is a school)
PLACES = (
    ("Lincoln High School", "school", True),
    ("Jefferson Middle School", "school", True),
    ("Eastview Community College", "school", True),
    ("Grace Fellowship Church", "house_of_worship", False),
    ("the Beth Shalom synagogue", "house_of_worship", False),
    ("the Riverside distribution warehouse", "workplace", False),
    ("the Midland Foods plant", "workplace", False),
    ("the county fairgrounds", "public_event", False),
    ("the Fourth of July parade route", "public_event", False),
    ("City Hall", "government", False),
    ("the county courthouse", "government", False),
)
TOWNS = ("Springfield", "Lakeside", "Cedar Falls", "Millbrook", "Fairview", "Oak Ridge")
WEAPONS = ("rifle", "AR-15", "handgun", "shotgun", "hunting knife", "pipe bomb")
PLATFORMS = ("Discord", "Snapchat", "Instagram", "TikTok", "a gaming chat", "a group text")
DAYS = ("Friday", "Monday", "next week", "the last day of school", "graduation", "the game")
OPENINGS = (
    "I am calling about {name}, who {rel}.",
    "This is about {name}. {Rel}.",
    "I want to report something {name} posted on {platform}.",
    "My son showed me messages from {name} on {platform}.",
    "A coworker, {name}, has been acting strangely for weeks.",
    "I overheard {name} talking in the parking lot of {place}.",
)
RELATIONS = (
    "lives next door to me",
    "is in my daughter's class",
    "used to work with my husband",
    "rents the room above my garage",
    "was fired from {place} last month",
)
THREATS = (
    "{Name} said everyone at {place} is going to pay and that {day} will be the day.",
    "The post shows a {weapon} on a bed with the caption 'see you all {day}'.",
    "{Name} keeps saying {place} 'deserves what is coming' and laughs about it.",
    "{Name} asked me twice when {place} is most crowded.",
    "{Name} wrote 'I am done being ignored, they will remember my name'.",
    "There was a list of names from {place} on {name}'s desk, some crossed out.",
)
DETAILS = (
    "{Name} bought a lot of ammunition at the sporting goods store on Route {route}.",
    "I have seen {name} photographing the doors and the cameras at {place}.",
    "{Name} has a {weapon} in the truck and showed it to some kids.",
    "{Name} has been reading about past shootings and talks about them with admiration.",
    "Since the divorce {name} has stopped going to work and barely sleeps.",
    "{Name}'s brother told me the family is worried but does not know what to do.",
)
CLOSINGS = (
    "I do not want to get anyone in trouble but I am scared.",
    "Please have someone check on this.",
    "I reported it to the school counselor too.",
    "I can be reached in the evenings if you need more.",
    "",
)
BEHAVIORS = (
    "expressed_or_implied_threat",
    "weapons_collection_discovery",
    "observation_surveillance",
    "photography",
    "materials_acquisition_storage",
)
# The columns a mention is compared on after a crash.
MENTION_FIELDS = (
    "role", "given_name", "family_name", "aliases", "handles", "phones",
    "school_or_employer", "description", "age_min", "age_max",
)  # fmt: skip
LIST_FIELDS = frozenset({"aliases", "handles", "phones"})


@dataclass(frozen=True)
class Tip:
    """One submission: where it goes, its body, and what the database must then hold."""

    key: str
    path: str
    body: dict[str, Any]
    narrative: str
    kind: str
    location_text: str | None
    mentions: tuple[dict[str, Any], ...]


def stored_mention(values: dict[str, Any]) -> dict[str, Any]:
    """A mention as its row must read: every compared column, with the defaults."""
    defaults: dict[str, Any] = {name: [] for name in LIST_FIELDS} | {"role": "subject"}
    return {name: values.get(name, defaults.get(name)) for name in MENTION_FIELDS}


class TipFactory:
    """Varied, plausible tips: a few sentences about one subject, and 1-2 mentions."""

    def __init__(self, seed: int, tipline_share: float = 0.0) -> None:
        self.random = random.Random(seed)
        self.tipline_share = tipline_share

    def _subject(self) -> dict[str, Any]:
        pick = self.random
        given, family = pick.choice(GIVEN), pick.choice(FAMILY)
        mention: dict[str, Any] = {"role": "subject", "given_name": given, "family_name": family}
        if pick.random() < 0.4:
            mention["handles"] = [f"@{given.lower()}{family.lower()[:3]}{pick.randint(1, 99)}"]
        if pick.random() < 0.3:
            mention["phones"] = [f"555-01{pick.randint(0, 99):02d}"]
        if pick.random() < 0.3:
            age = pick.randint(14, 58)
            mention["age_min"], mention["age_max"] = age, age + pick.choice((0, 2))
        return mention

    def _narrative(self, name: str, place: str, reference: str) -> str:
        pick = self.random
        values = {
            "name": name,
            "Name": name,
            "place": place,
            "platform": pick.choice(PLATFORMS),
            "day": pick.choice(DAYS),
            "weapon": pick.choice(WEAPONS),
            "route": pick.randint(2, 99),
        }
        relation = pick.choice(RELATIONS).format(**values)
        values.update(rel=relation, Rel=f"{name} {relation}")
        sentences = [pick.choice(OPENINGS), pick.choice(THREATS)]
        sentences += pick.sample(DETAILS, pick.randint(0, 3))
        sentences.append(pick.choice(CLOSINGS))
        text = " ".join(s.format(**values) for s in sentences if s)
        # A reference the caller was given: makes every narrative unique, so that the
        # crash harness can tell a duplicated tip from two tips that read alike.
        return f"{text} (Call log {reference}.)"

    def make(self) -> Tip:
        pick = self.random
        key = str(uuid.UUID(int=pick.getrandbits(128), version=4))
        reference = key[:8].upper()
        place, target_type, is_school = pick.choice(PLACES)
        town = pick.choice(TOWNS)
        subject = self._subject()
        name = f"{subject['given_name']} {subject['family_name']}"
        narrative = self._narrative(name, place, reference)
        location = f"{place.removeprefix('the ')}, {town}"
        if pick.random() < self.tipline_share:
            return self._public_tip(key, narrative, location, subject, place, is_school)
        mentions = [subject]
        if pick.random() < 0.5:
            mentions.append(
                pick.choice(
                    (
                        {"role": "witness", "description": "A classmate who saw the post"},
                        {
                            "role": "victim_or_target",
                            "given_name": pick.choice(GIVEN),
                            "family_name": pick.choice(FAMILY),
                        },
                        {"role": "reporting_party", "description": "Neighbor, calls anonymously"},
                        {
                            "role": "witness",
                            "given_name": pick.choice(GIVEN),
                            "school_or_employer": place.removeprefix("the "),
                        },
                    )
                )
            )
        behaviors = sorted(set(pick.sample(BEHAVIORS, pick.randint(1, 2))))
        body: dict[str, Any] = {
            "kind": pick.choice(("tip", "tip", "agency_report")),
            "narrative": narrative,
            "location_text": location,
            "behaviors": behaviors,
            "target_types": [target_type],
            "target_name": place.removeprefix("the "),
            "marking": pick.choice(("AMBER", "AMBER", "GREEN")),
            "mentions": mentions,
        }
        if "weapons_collection_discovery" in behaviors:
            body["weapons"] = [pick.choice(WEAPONS)]
        if pick.random() < 0.5:
            moment = datetime(2026, 5, 1, tzinfo=UTC) - timedelta(minutes=pick.randint(0, 20_000))
            body["occurred_at"] = moment.isoformat().replace("+00:00", "Z")
        return Tip(
            key=key,
            path=REPORTS_PATH,
            body=body,
            narrative=narrative,
            kind=body["kind"],
            location_text=location,
            mentions=tuple(stored_mention(m) for m in mentions),
        )

    def _public_tip(
        self,
        key: str,
        narrative: str,
        location: str,
        subject: dict[str, Any],
        place: str,
        is_school: bool,
    ) -> Tip:
        """A tip from the public tip line: one person at most, as ``tipline.to_report``
        turns it into a mention."""
        person: dict[str, Any] = {
            "given_name": subject["given_name"],
            "family_name": subject["family_name"],
            "handles": subject.get("handles", []),
        }
        body: dict[str, Any] = {"narrative": narrative, "location_text": location, "person": person}
        if is_school:
            body["school"] = place
        mention = {**person, "role": "subject"}
        return Tip(
            key=key,
            path=TIPS_PATH,
            body=body,
            narrative=narrative,
            kind="tip",
            location_text=location,
            mentions=(stored_mention(mention),),
        )
