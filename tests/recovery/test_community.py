"""Community recovery on both databases: the resiliency center's directory (languages,
capacity), events, and in-kind offers and volunteers matched to the community's needs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.recovery.factories import People, make_people
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.recovery import community
from vigil.recovery.community import NeedState, OfferState, propose_matches


@pytest.fixture()
def people(db: Session) -> People:
    return make_people(db)


def test_matching_takes_kind_language_and_quantity_into_account() -> None:
    needs = [
        NeedState(1, "meals", 10, None, 0),
        NeedState(2, "interpreter", 1, "Somali", 0),
        NeedState(3, "childcare", 2, None, 2),  # covered already
    ]
    offers = [
        OfferState(10, "meals", 4, frozenset()),
        OfferState(11, "interpreter", 1, frozenset({"spanish"})),
        OfferState(12, "meals", 8, frozenset()),
        OfferState(13, "interpreter", 1, frozenset({"somali", "arabic"})),
        OfferState(14, "meals", 5, frozenset()),  # not needed: 4 + 8 cover 10
        OfferState(15, "childcare", 1, frozenset()),
    ]
    assert propose_matches(needs, offers) == [(10, 1), (12, 1), (13, 2)]


def test_offers_and_volunteers_are_matched_to_needs(db: Session, people: People) -> None:
    staff = people.actor(people.advocate)
    meals = community.add_need(db, actor=staff, kind="meals", description="Dinners", quantity=6)
    somali = community.add_need(
        db,
        actor=staff,
        kind="interpreter",
        description="At briefings",
        quantity=1,
        language="Somali",
    )
    community.add_offer(
        db, actor=staff, offer_kind="in_kind", kind="meals", offered_by="Rosa's Diner", quantity=4
    )
    community.add_offer(
        db,
        actor=staff,
        offer_kind="volunteer",
        kind="interpreter",
        offered_by="A. Warsame",
        quantity=1,
        languages="Somali, Arabic",
    )
    assert len(community.match_offers(db, actor=staff)) == 2
    assert (meals.status, somali.status) == ("open", "met")
    community.add_offer(
        db, actor=staff, offer_kind="in_kind", kind="meals", offered_by="Church kitchen", quantity=3
    )
    assert len(community.match_offers(db, actor=staff)) == 1
    assert meals.status == "met"
    view = community.community_view(db, actor=staff)
    assert {need.id: covered for need, covered in view.needs} == {meals.id: 7, somali.id: 1}
    with pytest.raises(InvalidInput) as problem:
        community.add_offer(
            db, actor=staff, offer_kind="cash", kind="yachts", offered_by="", quantity=0
        )
    assert set(problem.value.errors) == {"offer_kind", "kind", "offered_by", "quantity"}


def test_the_directory_filters_by_kind_and_language(db: Session, people: People) -> None:
    staff = people.actor(people.advocate)
    community.add_provider(
        db,
        actor=staff,
        name="Valley Trauma Counselling",
        kind="mental_health",
        capacity=12,
        languages="English, Spanish",
    )
    community.add_provider(
        db, actor=staff, name="Hope Legal Aid", kind="legal", capacity=0, languages="English"
    )
    community.add_event(
        db,
        actor=staff,
        kind="event",
        title="Community vigil",
        starts_at=utcnow() + timedelta(days=2),
        place="Town square",
    )
    spanish = community.community_view(db, actor=staff, language=" spanish ")
    assert [p.name for p in spanish.providers] == ["Valley Trauma Counselling"]
    legal = community.community_view(db, actor=staff, kind="legal")
    assert [(p.name, p.capacity) for p in legal.providers] == [("Hope Legal Aid", 0)]
    assert [e.title for e in legal.events] == ["Community vigil"]
    with pytest.raises(InvalidInput):
        community.add_provider(db, actor=staff, name="X", kind="mental_health", capacity=-1)


def test_nobody_outside_the_provider_sees_the_resiliency_center(
    db: Session, people: People
) -> None:
    staff = people.actor(people.advocate)
    community.add_need(db, actor=staff, kind="meals", description="Dinners", quantity=6)
    for label, user in people.outsiders.items():
        if (
            label.startswith("other_provider:")
            and "analyst" not in label
            and "threat" not in label
            and not label.endswith(":all")
        ):
            # Another provider's staff work their own center, which holds nothing of this one.
            assert community.community_view(db, actor=people.actor(user)).needs == []
            continue
        with pytest.raises(NotFound):
            community.community_view(db, actor=people.actor(user))
        with pytest.raises(NotFound):
            community.add_need(
                db, actor=people.actor(user), kind="meals", description="x", quantity=1
            )
