"""The fund-distribution calculation: exact, complete, and the stated rounding rule."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.recovery.distribution import (
    Claimant,
    Payment,
    ProtocolError,
    allocate,
    distribute,
    parse_protocol,
)

# Weights as they would be written in a published file: short decimals, some zero.
WEIGHT_TEXT = st.one_of(
    st.sampled_from(["0", "0.1", "0.2", "0.3", "1", "0.5", "2", "0.05", "1.25", "3", "0.333"]),
    st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False).map(str),
    st.integers(min_value=0, max_value=10**6).map(str),
)
IDS = st.text(alphabet="abcxyz019-", min_size=1, max_size=6)


@st.composite
def protocols(draw: st.DrawFn) -> str:
    tier_ids = draw(st.lists(IDS, min_size=1, max_size=5, unique=True))
    weights = [draw(WEIGHT_TEXT) for _ in tier_ids]
    if all(Decimal(w) == 0 for w in weights):
        weights[0] = draw(st.sampled_from(["0.1", "1", "7.77"]))
    claimant_ids = draw(st.lists(IDS, min_size=1, max_size=40, unique=True))
    # At least one claimant in the tier with a non-zero weight, so something is paid.
    positive = next(t for t, w in zip(tier_ids, weights, strict=True) if Decimal(w) != 0)
    tiers_of = [positive] + [draw(st.sampled_from(tier_ids)) for _ in claimant_ids[1:]]
    fund = draw(st.one_of(st.integers(0, 10**4), st.integers(0, 10**12)))
    tiers_json = ", ".join(
        f'{{"id": {json.dumps(t)}, "weight": {w}}}' for t, w in zip(tier_ids, weights, strict=True)
    )
    claimants_json = ", ".join(
        json.dumps({"id": c, "tier": t}) for c, t in zip(claimant_ids, tiers_of, strict=True)
    )
    return f'{{"fund_cents": {fund}, "tiers": [{tiers_json}], "claimants": [{claimants_json}]}}'


def exact_shares(text: str) -> dict[str, Fraction]:
    """An independent reading: weights through Decimal from the text, shares as Fractions."""
    document = json.loads(text, parse_float=Decimal)
    weight = {t["id"]: Fraction(Decimal(str(t["weight"]))) for t in document["tiers"]}
    total = sum(weight[c["tier"]] for c in document["claimants"])
    fund = document["fund_cents"]
    return {c["id"]: fund * weight[c["tier"]] / total for c in document["claimants"]}


@settings(max_examples=300, deadline=None)
@given(protocols())
def test_payments_sum_to_the_fund_and_follow_the_rounding_rule(text: str) -> None:
    protocol = parse_protocol(text)
    payments = distribute(protocol)
    shares = exact_shares(text)
    assert sum(p.amount_cents for p in payments) == protocol.fund_cents
    assert [p.claimant_id for p in payments] == [c.id for c in protocol.claimants]
    for payment in payments:
        share = shares[payment.claimant_id]
        assert payment.exact_share == share
        assert share - 1 < payment.amount_cents < share + 1
        # Floor, or floor plus the one leftover cent.
        assert payment.amount_cents - (share.numerator // share.denominator) in (0, 1)
    # The claimants given a leftover cent are exactly the first ones by (largest
    # remainder, then id ascending).
    remainder = {
        cid: share - (share.numerator // share.denominator) for cid, share in shares.items()
    }
    leftover = protocol.fund_cents - sum(s.numerator // s.denominator for s in shares.values())
    expected = set(sorted(shares, key=lambda cid: (-remainder[cid], cid))[:leftover])
    got = {
        p.claimant_id
        for p in payments
        if p.amount_cents > p.exact_share.numerator // p.exact_share.denominator
    }
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(protocols())
def test_claimants_of_one_tier_get_equal_amounts_up_to_the_one_cent_rule(text: str) -> None:
    payments = distribute(parse_protocol(text))
    by_tier: dict[str, list[Payment]] = {}
    for payment in payments:
        by_tier.setdefault(payment.tier, []).append(payment)
    for members in by_tier.values():
        amounts = {p.amount_cents for p in members}
        assert max(amounts) - min(amounts) <= 1
        if len(amounts) == 2:
            # Equal remainders inside a tier: the extra cent goes to the lowest ids.
            high = max(amounts)
            richer = sorted(p.claimant_id for p in members if p.amount_cents == high)
            poorer = sorted(p.claimant_id for p in members if p.amount_cents < high)
            assert richer[-1] < poorer[0]


def test_decimal_weights_are_exact_not_binary_floating_point() -> None:
    # In binary floating point 0.1 + 0.2 != 0.3, and 0.1 / 0.6 is not 1/6.
    text = """{"fund_cents": 6, "tiers": [{"id": "a", "weight": 0.1},
        {"id": "b", "weight": 0.2}, {"id": "c", "weight": 0.3}],
        "claimants": [{"id": "1", "tier": "a"}, {"id": "2", "tier": "b"},
                      {"id": "3", "tier": "c"}]}"""
    payments = distribute(parse_protocol(text))
    assert [p.amount_cents for p in payments] == [1, 2, 3]
    assert [p.exact_share for p in payments] == [1, 2, 3]
    # Same with a fund that divides only exactly: 0.1 and 0.2 are in the ratio 1:2.
    text = text.replace('"fund_cents": 6', '"fund_cents": 600000000000000000')
    assert [p.amount_cents for p in distribute(parse_protocol(text))] == [
        100000000000000000,
        200000000000000000,
        300000000000000000,
    ]


def test_ties_go_to_the_lowest_claimant_id_in_string_order() -> None:
    # 10 cents over three equal claimants: 3 each, one left over, to "10" (before "9").
    claimants = [Claimant("9", "t"), Claimant("10", "t"), Claimant("b", "t")]
    payments = allocate(10, {"t": Fraction(1)}, claimants)
    assert {p.claimant_id: p.amount_cents for p in payments} == {"9": 3, "10": 4, "b": 3}


def test_largest_remainder_wins_before_the_id() -> None:
    # Weights 1 and 2 over 100 cents: 33.33… and 66.66…; the one cent goes to "z".
    payments = allocate(
        100, {"a": Fraction(1), "b": Fraction(2)}, [Claimant("a1", "a"), Claimant("z", "b")]
    )
    assert [p.amount_cents for p in payments] == [33, 67]


def test_compassion_fund_tiers_with_nights_and_zero_weight() -> None:
    text = json.dumps(
        {
            "fund_cents": 1_000_000_01,
            "tiers": [
                {"id": "killed", "weight": 100},
                {"id": "hospitalised-8-plus-nights", "weight": 50},
                {"id": "outpatient", "weight": 10},
                {"id": "present", "weight": 0},
            ],
            "claimants": [
                {"id": "K1", "tier": "killed"},
                {"id": "K2", "tier": "killed"},
                {"id": "H1", "tier": "hospitalised-8-plus-nights"},
                {"id": "O1", "tier": "outpatient"},
                {"id": "O2", "tier": "outpatient"},
                {"id": "P1", "tier": "present"},
            ],
        }
    )
    payments = {p.claimant_id: p.amount_cents for p in distribute(parse_protocol(text))}
    assert sum(payments.values()) == 1_000_000_01
    assert payments["P1"] == 0
    assert payments["K1"] == payments["K2"] + 1 or payments["K1"] == payments["K2"]
    # 100000001 × 100/270 = 37037037.407…, 50/270 → 18518518.703…, 10/270 → 3703703.740…
    assert payments == {
        "K1": 37037037,
        "K2": 37037037,
        "H1": 18518519,
        "O1": 3703704,
        "O2": 3703704,
        "P1": 0,
    }


GOOD = {
    "fund_cents": 100,
    "tiers": [{"id": "a", "weight": 1}],
    "claimants": [{"id": "x", "tier": "a"}],
}


def _with(**changes: object) -> str:
    document = json.loads(json.dumps(GOOD))
    document.update(changes)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not valid JSON"),
        ("{fund_cents: 1}", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        (_with(fund_cents=10.5), "whole number of cents"),
        (_with(fund_cents=100.0), "whole number of cents"),
        (_with(fund_cents=-1), "must not be negative"),
        (_with(fund_cents="100"), "integer number of cents"),
        (_with(fund_cents=True), "integer number of cents"),
        (_with(fund_cents=None), "integer number of cents"),
        (_with(tiers=[{"id": "a", "weight": -0.5}]), "must not be negative"),
        (_with(tiers=[{"id": "a", "weight": "1"}]), "must be a number"),
        (_with(tiers=[{"id": "a", "weight": True}]), "must be a number"),
        (_with(tiers=[{"id": "a"}]), "has no 'weight'"),
        (
            _with(tiers=[{"id": "a", "weight": 1}, {"id": "a", "weight": 2}]),
            "appears more than once",
        ),
        (
            _with(claimants=[{"id": "x", "tier": "a"}, {"id": "x", "tier": "a"}]),
            "appears more than once",
        ),
        (_with(claimants=[{"id": "x", "tier": "nope"}]), "unknown tier"),
        (_with(claimants=[{"id": "x"}]), "has no 'tier'"),
        (_with(claimants=[{"tier": "a"}]), "has no 'id'"),
        (_with(claimants=[{"id": True, "tier": "a"}]), "must be a string"),
        (_with(claimants=[{"id": 1.5, "tier": "a"}]), "must be a string"),
        (_with(claimants=[{"id": "", "tier": "a"}]), "is empty"),
        (_with(claimants=[{"id": "a\nb", "tier": "a"}]), "control character"),
        (_with(claimants=["x"]), "must be an object"),
        (_with(claimants={"x": "a"}), "must be a list"),
        (_with(tiers=None), "must be a list"),
        (_with(claimants=[]), "lists no claimants"),
        (_with(tiers=[{"id": "a", "weight": 0}]), "every claimant's tier weight is zero"),
        ('{"tiers": [], "claimants": []}', "has no 'fund_cents'"),
        ('{"fund_cents": 1, "claimants": []}', "has no 'tiers'"),
        ('{"fund_cents": 1, "fund_cents": 2, "tiers": [], "claimants": []}', "appears twice"),
        ('{"fund_cents": NaN, "tiers": [], "claimants": []}', "NaN and Infinity"),
        (
            '{"fund_cents": 1, "tiers": [{"id": "a", "weight": Infinity}], "claimants": []}',
            "NaN and Infinity",
        ),
        (
            '{"fund_cents": 1, "tiers": [{"id": "a", "weight": 1e99999}], "claimants": []}',
            "out of range",
        ),
        ('{"fund_cents": ' + "9" * 5000 + "}", "not valid JSON"),
    ],
)
def test_every_malformed_protocol_is_refused_with_a_one_line_reason(text: str, says: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        distribute(parse_protocol(text))
    message = str(refused.value)
    assert says in message
    assert "\n" not in message


def test_integer_ids_are_taken_as_their_digits_and_extra_fields_are_ignored() -> None:
    text = json.dumps(
        {
            "fund_cents": 5,
            "title": "Draft protocol",
            "tiers": [{"id": 1, "weight": 1, "label": "killed"}],
            "claimants": [{"id": 2, "tier": 1, "nights": 3}, {"id": "1", "tier": "1"}],
        }
    )
    payments = distribute(parse_protocol(text))
    assert [(p.claimant_id, p.tier, p.amount_cents) for p in payments] == [
        ("2", "1", 2),
        ("1", "1", 3),
    ]
    duplicate = json.dumps(
        {
            "fund_cents": 5,
            "tiers": [{"id": 1, "weight": 1}],
            "claimants": [{"id": 2, "tier": 1}, {"id": "2", "tier": 1}],
        }
    )
    with pytest.raises(ProtocolError, match="appears more than once"):
        parse_protocol(duplicate)
