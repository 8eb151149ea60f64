"""TLP 2.0 as STIX 2.1 marking definitions: the five objects FIRST and OASIS publish
(fixed ids, the TLP 2.0 extension), and the TLP 1.0 ids STIX 2.1 predefines, which a
partner may still send (TLP:WHITE is read as TLP:CLEAR).

Only the id of a marking decides what it means: a bundle that carries an object
with a TLP id and other content cannot change the meaning of that id.
"""

from __future__ import annotations

from typing import Any

import stix2  # type: ignore[import-untyped]

from vigil.platform.policy.markings import Tlp

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_IDS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1_IDS = {
    stix2.TLP_WHITE.id: Tlp.CLEAR,
    stix2.TLP_GREEN.id: Tlp.GREEN,
    stix2.TLP_AMBER.id: Tlp.AMBER,
    stix2.TLP_RED.id: Tlp.RED,
}
TLP_BY_ID: dict[str, Tlp] = {**{v: k for k, v in TLP2_IDS.items()}, **TLP1_IDS}


def marking_definition(tlp: Tlp) -> dict[str, Any]:
    """The published TLP 2.0 marking-definition object for ``tlp``."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[tlp],
        "created": TLP2_CREATED,
        "name": f"TLP:{tlp.value}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.lower()}
        },
    }


def tlp_of(marking_refs: list[str]) -> Tlp:
    """The one TLP level a list of marking references names.

    Raises ValueError for no TLP, two different levels, or any marking Vigil cannot
    enforce (a statement, a partner's own definition)."""
    levels: set[Tlp] = set()
    for ref in marking_refs:
        level = TLP_BY_ID.get(ref)
        if level is None:
            raise ValueError(f"unknown marking {ref[:80]}: Vigil cannot enforce it")
        levels.add(level)
    if not levels:
        raise ValueError("no TLP marking: Vigil needs one to know who may read the report")
    if len(levels) > 1:
        names = ", ".join(sorted(f"TLP:{level.value}" for level in levels))
        raise ValueError(f"more than one TLP marking ({names})")
    return levels.pop()
