"""Synthetic people and their mentions with known truth, for linkage tests."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

# fmt: off
FIRST = [
    "james", "mary", "robert", "patricia", "michael", "jennifer", "william", "linda",
    "david", "elizabeth", "joseph", "susan", "thomas", "jessica", "charles", "sarah",
    "daniel", "karen", "matthew", "nancy", "anthony", "lisa", "mark", "betty", "andrew",
    "margaret", "joshua", "sandra", "kenneth", "ashley", "kevin", "kimberly", "brian",
    "emily", "george", "donna", "timothy", "michelle", "ronald", "carol", "jason", "amanda",
    "edward", "melissa", "jeffrey", "deborah", "ryan", "stephanie", "jacob", "rebecca",
    "muhammad", "olga", "sofia", "jose", "zoe", "chloe", "renee", "nicholas", "samuel",
]
SURNAME = [
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
    "rodriguez", "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson",
    "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson", "white",
    "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young",
    "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green",
    "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter",
    "roberts", "ivanov", "kowalski", "okafor", "haddad", "schmidt", "novak", "tanaka",
]
STREETS = ["main st", "oak ave", "maple dr", "cedar ln", "elm st", "pine rd", "lake view dr"]
CITIES = ["springfield", "riverton", "fairview", "lakewood", "greenville", "madison"]
NICK = {"william": "bill", "robert": "bob", "elizabeth": "liz", "michael": "mike",
        "thomas": "tom", "james": "jim", "joseph": "joe", "daniel": "dan",
        "nicholas": "nick", "samuel": "sam", "rebecca": "becky", "margaret": "peggy"}
# fmt: on


@dataclass(frozen=True)
class Truth:
    frame: pd.DataFrame
    person_of: dict[str, int]

    def true_pairs(self) -> set[tuple[str, str]]:
        by_person: dict[int, list[str]] = {}
        for uid, person in self.person_of.items():
            by_person.setdefault(person, []).append(uid)
        pairs = set()
        for members in by_person.values():
            members.sort()
            pairs |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
        return pairs


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "replace"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstn") + word[i + 1 :]


def people(n_people: int = 120, seed: int = 7, max_extra: int = 2) -> Truth:
    """Mentions of `n_people` people: an original and up to `max_extra` noisy copies each."""
    rng = random.Random(seed)
    rows: list[dict[str, str | None]] = []
    person_of: dict[str, int] = {}
    for person in range(n_people):
        first = rng.choice(FIRST)
        surname = rng.choice(SURNAME)
        year, month, day = rng.randint(1950, 2008), rng.randint(1, 12), rng.randint(1, 28)
        phone = f"(555) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
        email = f"{first}.{surname}{rng.randint(1, 99)}@example.org"
        street = f"{rng.randint(1, 999)} {rng.choice(STREETS)}"
        city = rng.choice(CITIES)
        postcode = f"{rng.randint(10000, 99999)}"
        base = {
            "first_name": first.title(),
            "surname": surname.title(),
            "dob": f"{year}-{month:02d}-{day:02d}",
            "phone": phone,
            "email": email,
            "street": street,
            "city": city,
            "postcode": postcode,
        }
        copies = [dict(base)]
        for _ in range(rng.randint(0, max_extra)):
            copy = dict(base)
            for _change in range(rng.randint(1, 3)):
                what = rng.choice(
                    ["first", "surname", "dob", "phone", "email", "street", "drop", "drop"]
                )
                if what == "first":
                    copy["first_name"] = NICK.get(first, _typo(rng, first)).upper()
                elif what == "surname":
                    copy["surname"] = _typo(rng, surname)
                elif what == "dob":
                    if day <= 12:
                        copy["dob"] = f"{year}-{day:02d}-{month:02d}"
                    else:
                        copy["dob"] = f"{month:02d}/{day:02d}/{year}"
                elif what == "phone":
                    copy["phone"] = "+1 " + phone.replace("(", "").replace(")", "")
                elif what == "email":
                    copy["email"] = email.upper()
                elif what == "street":
                    copy["street"] = street.replace(" st", " street").replace(" ave", " avenue")
                else:
                    copy[rng.choice(["phone", "email", "street", "postcode", "dob"])] = None
            copies.append(copy)
        for index, copy in enumerate(copies):
            uid = f"p{person:04d}-{index}"
            person_of[uid] = person
            rows.append({"unique_id": uid, **copy})
    rng.shuffle(rows)
    return Truth(pd.DataFrame(rows), person_of)


def pairs_of(clusters: dict[str, str]) -> set[tuple[str, str]]:
    by_cluster: dict[str, list[str]] = {}
    for uid, cluster_id in clusters.items():
        by_cluster.setdefault(cluster_id, []).append(uid)
    pairs = set()
    for members in by_cluster.values():
        members.sort()
        pairs |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
    return pairs


def precision_recall(
    found: set[tuple[str, str]], truth: set[tuple[str, str]]
) -> tuple[float, float]:
    tp = len(found & truth)
    return tp / max(1, len(found)), tp / max(1, len(truth))
