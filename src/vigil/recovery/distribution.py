"""Fund distribution: a published protocol (fund, tiers, claimants) to payments in cents.

The calculation is exact and can be re-run by anyone from the published file:

* weights are the decimal numbers as written in the JSON (``0.1`` is one tenth, never
  the binary floating-point number nearest to it);
* a claimant's exact share is ``fund_cents × weight(tier) ÷ Σ weight(tier of every
  claimant)``, a rational number;
* each claimant gets the floor of its exact share; the cents left over (fewer than the
  number of claimants) go one each to the claimants with the largest fractional
  remainders, ties broken by claimant id in ascending string (code point) order;
* the payments therefore sum exactly to ``fund_cents``, and each is within one cent of
  its exact share. Claimants of one tier have equal shares, so they differ by at most
  the one cent the remainder rule hands out.

Every malformed input raises :class:`ProtocolError` with a one-line message; nothing
here touches a file or a database.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

# A weight written with an exponent beyond this (1e-5000, 1e5000) is refused: the
# exact arithmetic would build integers of that many digits for no real protocol.
MAX_WEIGHT_EXPONENT = 1000
MAX_ID_LENGTH = 200


class ProtocolError(ValueError):
    """The protocol cannot be calculated; the message is one line for the operator."""


@dataclass(frozen=True)
class Tier:
    id: str
    weight: Fraction


@dataclass(frozen=True)
class Claimant:
    id: str
    tier: str


@dataclass(frozen=True)
class Protocol:
    fund_cents: int
    tiers: tuple[Tier, ...]
    claimants: tuple[Claimant, ...]


@dataclass(frozen=True)
class Payment:
    claimant_id: str
    tier: str
    amount_cents: int
    exact_share: Fraction


# --- parsing ------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ProtocolError(f"{name} is not a number Vigil accepts (NaN and Infinity are refused)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ProtocolError(f"the key {key!r} appears twice in one JSON object")
        seen[key] = value
    return seen


def _load_json(text: str) -> Any:
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_int=int,
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_keys,
        )
    except ProtocolError:
        raise
    except json.JSONDecodeError as problem:
        raise ProtocolError(
            f"not valid JSON: {problem.msg} at line {problem.lineno} column {problem.colno}"
        ) from None
    except (ValueError, RecursionError) as problem:
        # int() refuses integers of more than 4,300 digits; deep nesting recurses.
        raise ProtocolError(f"not valid JSON: {_one_line(str(problem))}") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def _field(obj: dict[str, Any], name: str, where: str) -> Any:
    if name not in obj:
        raise ProtocolError(f"{where} has no {name!r}")
    return obj[name]


def _identifier(value: Any, where: str) -> str:
    # Ids are strings; a JSON integer is taken as its decimal digits. Anything else
    # (a boolean, a fraction, an object) is a mistake worth stopping for.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProtocolError(f"{where} must be a string (got {_kind(value)})")
    text = str(value)
    if not text.strip():
        raise ProtocolError(f"{where} is empty")
    if len(text) > MAX_ID_LENGTH:
        raise ProtocolError(f"{where} is longer than {MAX_ID_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ProtocolError(f"{where} contains a control character (such as a line break)")
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f"the text {_one_line(repr(value))[:60]}"
    if isinstance(value, (int, Decimal)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _fund_cents(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, Decimal):
            raise ProtocolError(
                f"fund_cents must be a whole number of cents written as an integer (got {value})"
            )
        raise ProtocolError(f"fund_cents must be an integer number of cents (got {_kind(value)})")
    if value < 0:
        raise ProtocolError(f"fund_cents must not be negative (got {value})")
    return value


def _weight(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ProtocolError(f"{where} must be a number (got {_kind(value)})")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ProtocolError(f"{where} must be a finite number")
        if value != 0 and abs(value.adjusted()) > MAX_WEIGHT_EXPONENT:
            raise ProtocolError(f"{where} is out of range (exponent beyond ±{MAX_WEIGHT_EXPONENT})")
    weight = Fraction(value)
    if weight < 0:
        raise ProtocolError(f"{where} must not be negative (got {value})")
    return weight


def _list(obj: dict[str, Any], name: str) -> list[Any]:
    value = _field(obj, name, "the protocol")
    if not isinstance(value, list):
        raise ProtocolError(f"{name} must be a list (got {_kind(value)})")
    return value


def parse_protocol(text: str) -> Protocol:
    """Validate a protocol written as JSON text; raise ProtocolError on any fault."""
    document = _load_json(text)
    if not isinstance(document, dict):
        raise ProtocolError(f"the protocol must be a JSON object (got {_kind(document)})")
    fund = _fund_cents(_field(document, "fund_cents", "the protocol"))
    tiers: dict[str, Tier] = {}
    for index, raw in enumerate(_list(document, "tiers"), start=1):
        where = f"tier {index}"
        if not isinstance(raw, dict):
            raise ProtocolError(f"{where} must be an object (got {_kind(raw)})")
        tier_id = _identifier(_field(raw, "id", where), f"{where} id")
        if tier_id in tiers:
            raise ProtocolError(f"tier id {tier_id!r} appears more than once")
        weight = _weight(_field(raw, "weight", where), f"the weight of tier {tier_id!r}")
        tiers[tier_id] = Tier(tier_id, weight)
    claimants: list[Claimant] = []
    seen: set[str] = set()
    for index, raw in enumerate(_list(document, "claimants"), start=1):
        where = f"claimant {index}"
        if not isinstance(raw, dict):
            raise ProtocolError(f"{where} must be an object (got {_kind(raw)})")
        claimant_id = _identifier(_field(raw, "id", where), f"{where} id")
        if claimant_id in seen:
            raise ProtocolError(f"claimant id {claimant_id!r} appears more than once")
        seen.add(claimant_id)
        tier_id = _identifier(_field(raw, "tier", where), f"the tier of claimant {claimant_id!r}")
        if tier_id not in tiers:
            raise ProtocolError(f"claimant {claimant_id!r} names an unknown tier {tier_id!r}")
        claimants.append(Claimant(claimant_id, tier_id))
    return Protocol(fund, tuple(tiers.values()), tuple(claimants))


# --- the calculation ----------------------------------------------------------------


def distribute(protocol: Protocol) -> list[Payment]:
    """Payments in the claimants' order, summing exactly to the fund (see module doc)."""
    return allocate(
        protocol.fund_cents,
        {tier.id: tier.weight for tier in protocol.tiers},
        protocol.claimants,
    )


def allocate(
    fund_cents: int, weights: dict[str, Fraction], claimants: Sequence[Claimant]
) -> list[Payment]:
    """The largest-remainder allocation of ``fund_cents`` over ``claimants``."""
    if fund_cents < 0:
        raise ProtocolError("fund_cents must not be negative")
    # Bring every weight over one common denominator so the work is integer work:
    # share_i = fund × W_i / ΣW, floor = fund·W_i // ΣW, remainder = fund·W_i mod ΣW.
    denominator = math.lcm(*(weights[c.tier].denominator for c in claimants)) if claimants else 1
    scaled = {
        tier: weight.numerator * (denominator // weight.denominator)
        for tier, weight in weights.items()
    }
    total = sum(scaled[c.tier] for c in claimants)
    if total == 0:
        raise ProtocolError(
            "nothing can be paid: every claimant's tier weight is zero"
            if claimants
            else "nothing can be paid: the protocol lists no claimants"
        )
    floors: list[int] = []
    remainders: list[int] = []
    for claimant in claimants:
        floor, remainder = divmod(fund_cents * scaled[claimant.tier], total)
        floors.append(floor)
        remainders.append(remainder)
    leftover = fund_cents - sum(floors)
    # Largest remainder first; equal remainders by claimant id, ascending.
    order = sorted(range(len(claimants)), key=lambda i: (-remainders[i], claimants[i].id))
    extra = [0] * len(claimants)
    for i in order[:leftover]:
        extra[i] = 1
    return [
        Payment(
            claimant_id=claimant.id,
            tier=claimant.tier,
            amount_cents=floors[i] + extra[i],
            exact_share=Fraction(fund_cents * scaled[claimant.tier], total),
        )
        for i, claimant in enumerate(claimants)
    ]


PAYMENT_COLUMNS = ("claimant_id", "tier", "amount_cents")
