"""Seeded synthetic mentions of people across agencies, with the true person of each.

Made for the linkage scale benchmark: ``mentions(1_000_000)`` returns the engine's
input frame (``unique_id`` and every field of ``vigil.linkage.fields.FIELDS``, as
``records.frame`` builds it, plus the reporting ``agency``) and the true person of
each row. People live in families that share a surname, a street address and a
home phone (the hard negatives); each person is mentioned one to a dozen times by
agencies that each report a different subset of fields, with the noise real
reports carry: nicknames, transliterated spellings, typos, swapped given name and
surname, "Surname, First" full names, day and month swapped, an age instead of a
date of birth, phones and e-mails written every which way, missing fields.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from vigil.linkage.fields import FIELDS
from vigil.linkage.nicknames import NICKNAMES

# fmt: off
MALE = [
    "james", "robert", "john", "michael", "david", "william", "richard", "joseph", "thomas",
    "christopher", "charles", "daniel", "matthew", "anthony", "mark", "donald", "steven",
    "andrew", "paul", "joshua", "kenneth", "kevin", "brian", "timothy", "ronald", "george",
    "jason", "edward", "jeffrey", "ryan", "jacob", "nicholas", "gary", "eric", "jonathan",
    "stephen", "larry", "justin", "scott", "brandon", "benjamin", "samuel", "gregory",
    "alexander", "patrick", "frank", "raymond", "jack", "dennis", "jerry", "tyler", "aaron",
    "jose", "adam", "nathan", "henry", "zachary", "douglas", "peter", "kyle", "noah", "ethan",
    "jeremy", "christian", "walter", "keith", "austin", "roger", "terry", "sean", "gerald",
    "carl", "dylan", "harold", "jordan", "jesse", "bryan", "lawrence", "arthur", "gabriel",
    "bruce", "logan", "billy", "joe", "alan", "juan", "elijah", "willie", "albert", "wayne",
    "randy", "mason", "vincent", "liam", "roy", "bobby", "caleb", "bradley", "russell",
    "lucas", "muhammad", "yusuf", "dmitri", "sergei", "aleksandr", "wei", "hiroshi", "omar",
    "carlos", "luis", "miguel", "jorge", "ahmed", "ali", "ivan", "andrei", "minh", "tuan",
    "rahul", "arjun", "kwame", "chinedu", "mateo", "diego", "santiago", "theodore", "leonard",
    "frederick", "alfred", "francis", "isaac", "oscar", "victor", "hugo", "felix", "marcus",
]
FEMALE = [
    "mary", "patricia", "jennifer", "linda", "elizabeth", "barbara", "susan", "jessica",
    "sarah", "karen", "lisa", "nancy", "betty", "sandra", "margaret", "ashley", "kimberly",
    "emily", "donna", "michelle", "carol", "amanda", "melissa", "deborah", "stephanie",
    "dorothy", "rebecca", "sharon", "laura", "cynthia", "amy", "kathleen", "angela",
    "shirley", "brenda", "emma", "anna", "pamela", "nicole", "samantha", "katherine",
    "christine", "helen", "debra", "rachel", "carolyn", "janet", "maria", "catherine",
    "heather", "diane", "olivia", "julie", "joyce", "victoria", "ruth", "virginia", "lauren",
    "kelly", "christina", "joan", "evelyn", "judith", "andrea", "hannah", "megan", "cheryl",
    "jacqueline", "martha", "madison", "teresa", "gloria", "sara", "janice", "ann", "kathryn",
    "abigail", "sophia", "frances", "jean", "alice", "judy", "isabella", "julia", "grace",
    "amber", "denise", "danielle", "marilyn", "beverly", "charlotte", "natalie", "theresa",
    "diana", "brittany", "doris", "kayla", "alexis", "lori", "marie", "fatima", "aisha",
    "olga", "svetlana", "natalia", "yelena", "mei", "yuki", "sakura", "priya", "ananya",
    "lucia", "camila", "valentina", "ximena", "guadalupe", "ngozi", "amara", "zoe", "chloe",
    "renee", "alexandra", "isabel", "leah", "nora", "ella", "mia", "ava", "lily", "hazel",
]
SURNAMES = [
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
    "rodriguez", "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson",
    "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson", "white",
    "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen",
    "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green", "adams",
    "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts", "gomez",
    "phillips", "evans", "turner", "diaz", "parker", "cruz", "edwards", "collins", "reyes",
    "stewart", "morris", "morales", "murphy", "cook", "rogers", "gutierrez", "ortiz",
    "morgan", "cooper", "peterson", "bailey", "reed", "kelly", "howard", "ramos", "kim",
    "cox", "ward", "richardson", "watson", "brooks", "chavez", "wood", "james", "bennett",
    "gray", "mendoza", "ruiz", "hughes", "price", "alvarez", "castillo", "sanders", "patel",
    "myers", "long", "ross", "foster", "jimenez", "powell", "jenkins", "perry", "russell",
    "sullivan", "bell", "coleman", "butler", "henderson", "barnes", "gonzales", "fisher",
    "vasquez", "simmons", "romero", "jordan", "patterson", "alexander", "hamilton", "graham",
    "reynolds", "griffin", "wallace", "moreno", "west", "cole", "hayes", "bryant", "herrera",
    "gibson", "ellis", "tran", "medina", "aguilar", "stevens", "murray", "ford", "castro",
    "marshall", "owens", "harrison", "fernandez", "mcdonald", "woods", "washington", "kennedy",
    "wells", "vargas", "henry", "chen", "freeman", "webb", "tucker", "guzman", "burns",
    "crawford", "olson", "simpson", "porter", "hunter", "gordon", "mendez", "silva", "shaw",
    "snyder", "mason", "dixon", "munoz", "hunt", "hicks", "holmes", "palmer", "wagner",
    "black", "robertson", "boyd", "rose", "stone", "salazar", "fox", "warren", "mills",
    "meyer", "rice", "schmidt", "garza", "daniels", "ferguson", "nichols", "stephens", "soto",
    "weaver", "ryan", "gardner", "payne", "grant", "dunn", "kelley", "spencer", "hawkins",
    "ivanov", "petrov", "smirnov", "kowalski", "nowak", "okafor", "adeyemi", "haddad",
    "khan", "singh", "wang", "li", "zhang", "liu", "tanaka", "suzuki", "yamamoto", "pham",
    "hoang", "novak", "horvat", "müller", "schneider", "o'brien", "o'connor", "mcallister",
]
# Spellings of one name that transliteration or habit produce.
VARIANTS: dict[str, tuple[str, ...]] = {
    "muhammad": ("mohammed", "mohamed", "muhammed", "mohammad"),
    "yusuf": ("youssef", "yousef", "yusif"),
    "aleksandr": ("alexander", "aleksander", "alexandr"),
    "sergei": ("sergey", "serguei"),
    "dmitri": ("dmitry", "dimitri", "dmitriy"),
    "andrei": ("andrey", "andrej"),
    "yelena": ("elena", "jelena", "helena"),
    "natalia": ("natalya", "nataliya", "natasha"),
    "svetlana": ("svetlanna",),
    "olga": ("olgha",),
    "ahmed": ("ahmad", "ahmet"),
    "ali": ("aly",),
    "omar": ("umar", "omer"),
    "fatima": ("fatimah", "fatma"),
    "aisha": ("ayesha", "aysha"),
    "ivanov": ("ivanoff",),
    "petrov": ("petroff",),
    "smirnov": ("smirnoff",),
    "haddad": ("hadad",),
    "nguyen": ("nguyễn", "ngyuen"),
    "müller": ("mueller", "muller"),
    "catherine": ("katherine", "kathryn"),
    "stephen": ("steven",),
    "jon": ("john",),
    "sara": ("sarah",),
    "isabel": ("isabelle", "isobel"),
}
SYLLABLES = [
    "ab", "ad", "al", "an", "ar", "ba", "be", "bo", "bri", "ca", "cha", "co", "da", "de",
    "di", "do", "el", "en", "er", "fa", "fe", "fi", "ga", "ge", "gra", "ha", "he", "ho",
    "ka", "ke", "ki", "ko", "la", "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne",
    "ni", "no", "ol", "or", "pa", "pe", "po", "ra", "re", "ri", "ro", "sa", "se", "si",
    "so", "ta", "te", "ti", "to", "va", "ve", "vi", "wa", "we", "ya", "za", "zo",
]
ENDINGS = ["son", "berg", "ley", "ton", "ski", "ez", "man", "er", "ford", "well", "by", "an"]
STREET_NAMES = [
    "main", "oak", "maple", "cedar", "elm", "pine", "lake view", "washington", "park", "hill",
    "walnut", "church", "sunset", "river", "highland", "jefferson", "lincoln", "franklin",
    "willow", "spring", "north", "chestnut", "meadow", "forest", "dogwood", "magnolia",
    "adams", "madison", "jackson", "center", "mill", "school", "broad", "union", "prospect",
]
STREET_KINDS = [("street", "st"), ("avenue", "ave"), ("road", "rd"), ("drive", "dr"),
                ("lane", "ln"), ("court", "ct"), ("boulevard", "blvd"), ("place", "pl")]
STATES = ["CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "NC", "MI", "NJ", "VA", "WA", "AZ"]
CITY_WORDS = ["spring", "river", "fair", "lake", "green", "oak", "maple", "cedar", "west",
              "north", "clear", "rock", "pine", "glen", "brook", "ash", "mill", "stone"]
CITY_ENDS = ["field", "ton", "view", "wood", "ville", "dale", "port", "burg", "ford", "haven"]
ORG_KINDS = ["High School", "Middle School", "Community College", "Elementary", "Academy"]
EMPLOYERS = ["Walmart", "Amazon Warehouse", "Target", "Home Depot", "UPS", "FedEx", "Kroger",
             "Starbucks", "McDonald's", "CVS Pharmacy", "Walgreens", "Lowe's", "Costco",
             "US Army", "County Hospital", "City Transit", "State University"]
MAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
                "aol.com", "protonmail.com"]
# fmt: on

# Which fields each agency writes down, with the chance of each (the rest stay missing).
AGENCIES: dict[str, dict[str, float]] = {
    "police": {"name": 1.0, "middle": 0.4, "dob": 0.85, "age": 0.1, "sex": 0.95,
               "phone": 0.6, "street": 0.8, "city": 0.8, "postcode": 0.7, "state": 0.8,
               "id_number": 0.35, "email": 0.1, "school_or_employer": 0.2},
    "school": {"name": 1.0, "middle": 0.5, "dob": 0.95, "sex": 0.7, "phone": 0.8,
               "street": 0.7, "city": 0.7, "postcode": 0.6, "state": 0.5, "email": 0.3,
               "school_or_employer": 0.95},
    "tipline": {"name": 0.9, "dob": 0.15, "age": 0.5, "sex": 0.6, "phone": 0.35,
                "handle": 0.35, "street": 0.25, "city": 0.4, "school_or_employer": 0.35,
                "email": 0.1},
    "social_media": {"name": 0.7, "age": 0.3, "handle": 0.95, "email": 0.5, "city": 0.3,
                     "school_or_employer": 0.2, "phone": 0.1},
    "mental_health": {"name": 1.0, "middle": 0.3, "dob": 0.9, "sex": 0.9, "phone": 0.85,
                      "email": 0.4, "street": 0.8, "city": 0.85, "postcode": 0.8, "state": 0.8,
                      "id_number": 0.2},
    "corrections": {"name": 1.0, "middle": 0.6, "dob": 0.98, "sex": 1.0, "id_number": 0.9,
                    "street": 0.5, "city": 0.5, "state": 0.6, "postcode": 0.4, "phone": 0.3},
}  # fmt: skip
AGENCY_SHARE = [0.3, 0.15, 0.25, 0.1, 0.1, 0.1]
# How many mentions a person gets: most once or twice, a few a dozen times.
MENTIONS_PER_PERSON = np.array([1, 2, 3, 4, 5, 6, 8, 12])
MENTIONS_WEIGHT = np.array([0.36, 0.24, 0.14, 0.09, 0.06, 0.05, 0.04, 0.02])
THIS_YEAR = date.today().year


@dataclass(frozen=True)
class Person:
    first: str
    middle: str | None
    surname: str
    sex: str
    year: int
    month: int
    day: int
    phone: str  # ten digits
    home_phone: str
    email: str
    handle: str
    street: tuple[int, str, int]  # house number, street name, kind index
    city: str
    state: str
    postcode: str
    org: str
    id_number: str


@dataclass(frozen=True)
class Synthetic:
    """The engine's input frame and, for row i, the true person ``person[i]``."""

    frame: pd.DataFrame
    person: np.ndarray
    people: list[Person]


def _zipf(rng: np.random.Generator, size: int, count: int, exponent: float = 1.0) -> np.ndarray:
    """Indexes 0..size-1 drawn with a Zipf-like skew (common names are common)."""
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return rng.choice(size, size=count, p=weights / weights.sum())


def _rare_surname(rng: random.Random) -> str:
    parts = [rng.choice(SYLLABLES) for _ in range(rng.randint(1, 2))]
    return "".join(parts) + rng.choice(ENDINGS)


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.35:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.6:
        return word[:i] + word[i + 1 :]
    if kind < 0.8:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioustnrl") + word[i + 1 :]


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def _people(count: int, seed: int) -> list[Person]:
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    # Skews chosen so the commonest names are about as common as in the US (James ~3%,
    # Smith ~1%): too steep and the name blocks explode, too flat and names are too telling.
    males, females = _zipf(nprng, len(MALE), count, 0.5), _zipf(nprng, len(FEMALE), count, 0.5)
    common = _zipf(nprng, len(SURNAMES), count, 0.6)
    cities = [
        (f"{rng.choice(CITY_WORDS)}{rng.choice(CITY_ENDS)}", rng.choice(STATES), _digits(rng, 5))
        for _ in range(3_000)
    ]
    schools = [
        f"{rng.choice(CITY_WORDS).title()}{rng.choice(CITY_ENDS)} {rng.choice(ORG_KINDS)}"
        for _ in range(5_000)
    ]
    people: list[Person] = []
    index = 0
    while len(people) < count:
        # A household: one to five people sharing a surname, address and home phone.
        size = min(count - len(people), rng.choices([1, 2, 3, 4, 5], [40, 25, 18, 12, 5])[0])
        surname = SURNAMES[common[index]] if rng.random() < 0.4 else _rare_surname(rng)
        city, state, postcode = cities[int(nprng.integers(len(cities)))]
        street = (rng.randint(1, 9999), rng.choice(STREET_NAMES), rng.randrange(len(STREET_KINDS)))
        home_phone = f"{rng.randint(201, 989)}{rng.randint(200, 999)}{_digits(rng, 4)}"
        parent_year = rng.randint(1945, 1995)
        twins = rng.random() < 0.03
        for member in range(size):
            i = index + member
            sex = "m" if rng.random() < 0.5 else "f"
            first = MALE[males[i]] if sex == "m" else FEMALE[females[i]]
            year = (
                parent_year if member < 2 else min(THIS_YEAR - 1, parent_year + rng.randint(18, 40))
            )
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            if twins and member == 3:  # twins: same birthday as the sibling before
                previous = people[-1]
                year, month, day = previous.year, previous.month, previous.day
            nn = rng.randint(1, 99)
            org = rng.choice(EMPLOYERS) if year < THIS_YEAR - 22 else schools[rng.randrange(5000)]
            people.append(
                Person(
                    first=first,
                    middle=rng.choice(MALE if rng.random() < 0.5 else FEMALE)
                    if rng.random() < 0.6
                    else None,
                    surname=surname,
                    sex=sex,
                    year=year,
                    month=month,
                    day=day,
                    phone=f"{rng.randint(201, 989)}{rng.randint(200, 999)}{_digits(rng, 4)}",
                    home_phone=home_phone,
                    email=f"{first}{rng.choice(['.', '_', ''])}{surname}{nn}@"
                    f"{rng.choice(MAIL_DOMAINS)}".replace("'", "").replace(" ", ""),
                    handle=f"{first[: rng.randint(3, 8)]}_{surname[:6]}{_digits(rng, 2)}".replace(
                        "'", ""
                    ),
                    street=street,
                    city=city,
                    state=state,
                    postcode=postcode,
                    org=org,
                    id_number=f"{state}{_digits(rng, 8)}",
                )
            )
        index += size
    return people


_NICKS_OF: dict[str, list[str]] = {}
for _nick, _formal in NICKNAMES.items():
    if _nick != _formal:
        _NICKS_OF.setdefault(_formal, []).append(_nick)


def _given(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.18 and name in _NICKS_OF:
        return rng.choice(_NICKS_OF[name])
    if roll < 0.26 and name in VARIANTS:
        return rng.choice(VARIANTS[name])
    if roll < 0.3:
        return _typo(rng, name)
    return name


def _family(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.06 and name in VARIANTS:
        return rng.choice(VARIANTS[name])
    if roll < 0.11:
        return _typo(rng, name)
    return name


def _case(rng: random.Random, word: str) -> str:
    roll = rng.random()
    if roll < 0.7:
        return word.title()
    if roll < 0.9:
        return word.upper()
    return word


def _dob(rng: random.Random, p: Person) -> str:
    year, month, day = p.year, p.month, p.day
    roll = rng.random()
    if roll < 0.06 and day <= 12 and day != month:
        month, day = day, month  # written the other way round
    elif roll < 0.09:
        day = min(28, max(1, day + rng.choice([-1, 1, 10, -10])))
    elif roll < 0.11:
        year += rng.choice([-1, 1])
    style = rng.random()
    if style < 0.55:
        return f"{year:04d}-{month:02d}-{day:02d}"
    if style < 0.9:
        return f"{month:02d}/{day:02d}/{year:04d}"
    return f"{year:04d}{month:02d}{day:02d}"


def _phone(rng: random.Random, digits: str) -> str:
    if rng.random() < 0.03:
        i = rng.randrange(3, 10)
        digits = digits[:i] + rng.choice("0123456789") + digits[i + 1 :]
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice(
        [f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", digits, f"1{digits}"]
    )


def _email(rng: random.Random, email: str) -> str:
    roll = rng.random()
    if roll < 0.15:
        return email.upper()
    if roll < 0.25 and email.endswith("@gmail.com"):
        local = email.split("@")[0]
        return f"{local}+tips@gmail.com"
    return email


def _handle(rng: random.Random, handle: str) -> str:
    roll = rng.random()
    if roll < 0.4:
        return f"@{handle}"
    if roll < 0.6:
        return f"https://instagram.com/{handle}"
    if roll < 0.7:
        return handle.upper()
    return handle


def _street(rng: random.Random, street: tuple[int, str, int]) -> str:
    number, name, kind = street
    full, short = STREET_KINDS[kind]
    text = f"{number} {name} {full if rng.random() < 0.4 else short}"
    if rng.random() < 0.05:
        text = _typo(rng, text)
    if rng.random() < 0.1:
        text += f" apt {rng.randint(1, 30)}"
    return text.title() if rng.random() < 0.6 else text


def _mention(rng: random.Random, p: Person, agency: str) -> dict[str, Any]:
    profile = AGENCIES[agency]

    def has(field: str) -> bool:
        return rng.random() < profile.get(field, 0.0)

    row: dict[str, Any] = dict.fromkeys(FIELDS)
    if has("name"):
        given, family = _given(rng, p.first), _family(rng, p.surname)
        roll = rng.random()
        if roll < 0.12:
            row["full_name"] = f"{_case(rng, family)}, {_case(rng, given)}"
        elif roll < 0.2:
            row["full_name"] = f"{_case(rng, given)} {_case(rng, family)}"
        elif roll < 0.23:  # given name and surname swapped between the fields
            row["first_name"], row["surname"] = _case(rng, family), _case(rng, given)
        elif roll < 0.28:  # only a given name (a tipster knows "Mike")
            row["first_name"] = _case(rng, given)
        else:
            row["first_name"], row["surname"] = _case(rng, given), _case(rng, family)
        if p.middle and has("middle"):
            row["middle_name"] = _case(rng, p.middle if rng.random() < 0.7 else p.middle[0])
    if has("dob"):
        row["dob"] = _dob(rng, p)
    elif has("age"):
        age = THIS_YEAR - p.year - (1 if rng.random() < 0.5 else 0)
        row["age"] = str(age + rng.choice([0, 0, 0, 1, -1, 2]))
    if has("sex"):
        row["sex"] = rng.choice({"m": ["M", "male", "Male"], "f": ["F", "female", "Female"]}[p.sex])
    if has("phone"):
        phones = [_phone(rng, p.phone if rng.random() < 0.75 else p.home_phone)]
        if rng.random() < 0.15:
            phones.append(_phone(rng, p.home_phone))
        row["phone"] = ";".join(phones)
    if has("email"):
        row["email"] = _email(rng, p.email)
    if has("handle"):
        row["handle"] = _handle(rng, p.handle)
    if has("street"):
        row["street"] = _street(rng, p.street)
    if has("city"):
        row["city"] = p.city.title() if rng.random() < 0.8 else p.city.upper()
    if has("state"):
        row["state"] = p.state
    if has("postcode"):
        row["postcode"] = (
            p.postcode if rng.random() < 0.9 else f"{p.postcode}-{rng.randint(1000, 9999)}"
        )
    if has("school_or_employer"):
        row["school_or_employer"] = p.org if rng.random() < 0.85 else p.org.upper()
    if has("id_number"):
        row["id_number"] = p.id_number if rng.random() < 0.95 else _typo(rng, p.id_number)
    return row


def mentions(count: int = 1_000_000, *, seed: int = 20261125) -> Synthetic:
    """``count`` mentions (ids "1".."count", shuffled across people) and their true persons."""
    nprng = np.random.default_rng(seed)
    # Enough people that their mentions add up to at least `count`; the extra are cut.
    per_person_mean = float((MENTIONS_PER_PERSON * MENTIONS_WEIGHT).sum())
    n_people = int(count / per_person_mean * 1.05) + 10
    people = _people(n_people, seed)
    per_person = nprng.choice(
        MENTIONS_PER_PERSON, size=n_people, p=MENTIONS_WEIGHT / MENTIONS_WEIGHT.sum()
    )
    owners = np.repeat(np.arange(n_people), per_person)
    nprng.shuffle(owners)
    owners = owners[:count]
    agencies = nprng.choice(len(AGENCIES), size=len(owners), p=AGENCY_SHARE)
    names = list(AGENCIES)
    rng = random.Random(seed + 1)
    rows = [
        _mention(rng, people[owner], names[agency])
        for owner, agency in zip(owners.tolist(), agencies.tolist(), strict=True)
    ]
    frame = pd.DataFrame.from_records(rows, columns=list(FIELDS))
    frame.insert(0, "unique_id", [str(i) for i in range(1, len(rows) + 1)])
    frame["agency"] = [names[a] for a in agencies.tolist()]
    return Synthetic(frame=frame, person=owners, people=people)


def more_mentions(people: Sequence[Person], *, seed: int, first_id: int) -> pd.DataFrame:
    """One further mention of each of ``people``, with ids from ``first_id`` on."""
    rng = random.Random(seed)
    names = list(AGENCIES)
    rows = []
    for person in people:
        agency = rng.choices(names, AGENCY_SHARE)[0]
        rows.append(_mention(rng, person, agency))
    frame = pd.DataFrame.from_records(rows, columns=list(FIELDS))
    frame.insert(0, "unique_id", [str(first_id + i) for i in range(len(rows))])
    return frame


def new_people(count: int, *, seed: int) -> list[Person]:
    """People not in any generated data set (another seed)."""
    return _people(count, seed)
