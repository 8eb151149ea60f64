"""Synthetic demo reports: a few storylines in which several agencies each hold a
piece about the same (fictional) person — spelled, dated and dialled differently,
as real reports are — among background reports about others. Seeded, so every
`vigil demo` builds the same data. Every name, number and address is invented.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.platform.models import Agency
from vigil.platform.policy.markings import Tlp
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports.schemas import MentionIn, ReportCreate
from vigil.reports.service import Filing, file_report
from vigil.reports.vocabulary import Behavior, ReportKind, Source, TargetType


@dataclass(frozen=True)
class Piece:
    agency: int  # index into the demo agencies
    kind: ReportKind
    days_ago: int
    narrative: str
    mention: dict[str, Any]
    behaviors: tuple[Behavior, ...] = ()
    targets: tuple[TargetType, ...] = ()
    marking: Tlp = Tlp.AMBER


# Agencies, as in vigil.platform.demo: 1 Riverton PD, 2 Lakeside PD, 3 Hill County
# Sheriff, 4 Riverton USD, 5 Lakeside Public Schools, 0 the fusion center.
STORYLINES: tuple[tuple[Piece, ...], ...] = (
    (
        Piece(
            4,
            ReportKind.AGENCY_REPORT,
            120,
            "A student told a counselor that Jordan said he would 'make them all pay' "
            "after being suspended, and that he has been reading about past school attacks.",
            {
                "given_name": "Jordan",
                "family_name": "Whitaker",
                "date_of_birth": date(2009, 3, 4),
                "school_or_employer": "Riverton High School",
                "phones": ["(555) 201-3344"],
            },
            (Behavior.EXPRESSED_OR_IMPLIED_THREAT,),
            (TargetType.SCHOOL,),
        ),
        Piece(
            1,
            ReportKind.AGENCY_REPORT,
            75,
            "Officers answered a call about a teenager firing a rifle at cans behind a "
            "house; the father said the rifle is his and is kept locked.",
            {
                "given_name": "Jordan",
                "family_name": "Whitaker",
                "date_of_birth": date(2009, 4, 3),  # day and month swapped
                "addresses": ["41 Alder Street, Riverton"],
                "phones": ["+1 555 201 3344"],
            },
            (Behavior.WEAPONS_COLLECTION_DISCOVERY,),
        ),
        Piece(
            0,
            ReportKind.TIP,
            9,
            "An anonymous caller says a user called jwhit_09 posted a photo of a rifle "
            "with the caption 'soon' and the name of the high school.",
            {
                "given_name": "Jordy",
                "family_name": "Whittaker",
                "handles": ["@jwhit_09"],
                "phones": ["5552013344"],
                "age_min": 16,
                "age_max": 17,
            },
            (Behavior.EXPRESSED_OR_IMPLIED_THREAT, Behavior.WEAPONS_COLLECTION_DISCOVERY),
            (TargetType.SCHOOL,),
        ),
    ),
    (
        Piece(
            3,
            ReportKind.AGENCY_REPORT,
            200,
            "Deputies served a protective order on Marcus after his former partner "
            "reported threats; he said his employer 'would be sorry' for firing him.",
            {
                "given_name": "Marcus",
                "middle_name": "Lee",
                "family_name": "Okafor",
                "date_of_birth": date(1988, 11, 21),
                "school_or_employer": "Hill County Freight",
                "addresses": ["9 Quarry Road, Hill County"],
            },
            (Behavior.EXPRESSED_OR_IMPLIED_THREAT,),
            (TargetType.WORKPLACE,),
        ),
        Piece(
            2,
            ReportKind.SAR,
            30,
            "A store clerk reported a man buying large amounts of ammunition and asking "
            "about body armor; he paid cash and gave the name Marc Okafor.",
            {
                "given_name": "Marc",
                "family_name": "Okafor",
                "date_of_birth": date(1988, 11, 21),
                "emails": ["m.okafor88@example.net"],
            },
            (Behavior.MATERIALS_ACQUISITION_STORAGE,),
        ),
    ),
    (
        Piece(
            5,
            ReportKind.AGENCY_REPORT,
            60,
            "A teacher noticed a student photographing the school's entrances and "
            "asking when the doors are unlocked.",
            {
                "given_name": "Sofía",
                "family_name": "Márquez",
                "date_of_birth": date(2008, 7, 15),
                "school_or_employer": "Lakeside North High",
            },
            (Behavior.PHOTOGRAPHY, Behavior.OBSERVATION_SURVEILLANCE),
            (TargetType.SCHOOL,),
            Tlp.GREEN,
        ),
        Piece(
            2,
            ReportKind.TIP,
            12,
            "A parent says Sofia Marquez posted that she is 'done with everyone' and "
            "asked where to buy a gun.",
            {
                "given_name": "Sofia",
                "family_name": "Marquez",
                "date_of_birth": date(2008, 7, 15),
                "handles": ["@sofi.mq"],
            },
            (Behavior.EXPRESSED_OR_IMPLIED_THREAT,),
            marking=Tlp.GREEN,
        ),
    ),
)

FIRST = ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jesse", "Kai", "Logan")
LAST = ("Nguyen", "Schmidt", "Haddad", "Novak", "Tanaka", "Rivera", "Kowalski", "Brennan")
BACKGROUND = (
    "A neighbor reported someone photographing the power substation fence at night.",
    "A caller said a coworker keeps talking about grievances with management.",
    "A bus driver reported a passenger asking detailed questions about the depot's security.",
    "A resident found a backpack left outside the library and reported it.",
    "A student reported a classmate bragging about a knife in a locker.",
)


def _background(rng: random.Random, count: int) -> list[Piece]:
    pieces = []
    for _ in range(count):
        birthday = date(rng.randint(1960, 2010), rng.randint(1, 12), rng.randint(1, 28))
        pieces.append(
            Piece(
                rng.randint(0, 5),
                rng.choice(list(ReportKind)),
                rng.randint(1, 300),
                rng.choice(BACKGROUND),
                {
                    "given_name": rng.choice(FIRST),
                    "family_name": rng.choice(LAST),
                    "date_of_birth": birthday,
                    "phones": [f"(555) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"],
                },
                marking=rng.choice((Tlp.AMBER, Tlp.GREEN)),
            )
        )
    return pieces


def seed_reports(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    agencies: Sequence[Agency],
    background: int = 40,
) -> int:
    """File the demo storylines and ``background`` other reports; returns how many."""
    rng = random.Random(2026)  # noqa: S311 - synthetic demo data, not secrets  # nosec B311
    pieces = [piece for line in STORYLINES for piece in line] + _background(rng, background)
    now = utcnow()
    for piece in pieces:
        data = ReportCreate(
            kind=piece.kind,
            narrative=piece.narrative,
            occurred_at=now - timedelta(days=piece.days_ago, hours=rng.randint(0, 23)),
            behaviors=list(piece.behaviors),
            target_types=list(piece.targets),
            marking=piece.marking,
            mentions=[MentionIn(**piece.mention)],
        )
        agency = agencies[piece.agency]
        file_report(
            db,
            actor=actor,
            settings=settings,
            data=data,
            filing=Filing(
                source=Source.PUBLIC_TIP_LINE if piece.kind is ReportKind.TIP else Source.WEB,
                owner_agency_id=agency.id,
                routed_agency_id=agency.id,
            ),
        )
    return len(pieces)
