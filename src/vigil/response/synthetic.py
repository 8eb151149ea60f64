"""Synthetic, labelled accountability lists and inquiries for testing and benchmarking matching.

Nobody in them is real. The noise is what reunification centers see: lists written
"LAST, FIRST M" without accents, nicknames and misspellings in what families type,
one half of a double surname, a day and month swapped or two digits transposed, an
age instead of a date, twins on the same roster, patients a hospital has not named
("Unknown Male", about 20, red hoodie), and families asking about someone on no list.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from vigil.linkage.nicknames import NICKNAMES
from vigil.response.profiles import age_on


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split(" "))


_MALE: Final = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher "
    "Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian "
    "George Timothy Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan "
    "Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick "
    "Raymond Jack Dennis Jerry Tyler Aaron José Adam Nathan Henry Douglas Zachary Peter "
    "Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald Harold Sean Austin "
    "Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan Albert "
    "Willie Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason "
    "Philip Louis Liam Lucas Mateo Santiago Diego Luis Carlos Jesús Miguel Ángel André "
    "Andrés Muhammad Omar Ali Ahmed Yusuf Hiroshi Wei Minh Duc Tuan Jamal DeShawn Malik"
)
_FEMALE: Final = _words(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy "
    "Betty Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy "
    "Melissa Deborah Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley "
    "Anna Brenda Pamela Emma Nicole Helen Samantha Katherine Christine Debra Rachel "
    "Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Virginia "
    "Victoria Kelly Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah "
    "Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail "
    "Alice Judy Sophia Grace Denise Amber Doris Marilyn Danielle Beverly Isabella Theresa "
    "Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Ava Mia Chloé Zoë Renée "
    "Sofía Lucía Inés Valentina Camila Ximena Guadalupe Fatima Aisha Mei Linh Thu Yuki "
    "Priya Ananya Keisha Imani Aaliyah"
)
_SURNAMES: Final = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright "
    "Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins "
    "Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez "
    "Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel "
    "Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman "
    "Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson "
    "Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant "
    "Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens "
    "Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman "
    "Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva "
    "Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd "
    "Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt García Ferguson Weaver Nuñez "
    "Peña O'Brien O'Connor MacKenzie VanDyke DeLuca Kowalski Nowak Wiśniewski Müller "
    "Schäfer Okafor Adeyemi Mensah Haddad Khalil Nakamura Tanaka Yamamoto Park Choi Pham "
    "Le Huang Zhang Wang Liu Singh Shah Kaur Cohen Levy Friedman Novak Dubois Laurent"
)
_TOP_COLORS: Final = _words("red blue black white gray green yellow orange purple pink navy maroon")
_TOPS: Final = ("hoodie", "sweatshirt", "jacket", "t-shirt", "tank top", "flannel", "jersey")
_BOTTOMS: Final = ("jeans", "shorts", "skirt", "leggings", "khakis", "sweatpants")
_HAIR: Final = ("blond", "brown", "black", "red", "gray", "dyed blue", "dyed pink")
_HAIR_STYLE: Final = ("short", "long", "curly", "braided", "shaved", "ponytail")
_MARKS: Final = (
    "glasses",
    "braces",
    "nose piercing",
    "beard",
    "tattoo of a rose on the forearm",
    "tattoo of a star on the neck",
    "scar on the chin",
    "freckles",
    "hearing aid",
    "cast on the wrist",
)
_SYNONYM_TYPED: Final[dict[str, str]] = {
    "hoodie": "sweatshirt",
    "sweatshirt": "hoodie",
    "t-shirt": "tee",
    "jeans": "denim",
    "blond": "blonde",
    "glasses": "specs",
}
_RELATIONSHIPS: Final = ("mother", "father", "sister", "brother", "spouse", "grandmother", "aunt")
_FORMAL_TO_NICKS: dict[str, list[str]] = defaultdict(list)
for _nick, _formal in NICKNAMES.items():
    if _nick != _formal:
        _FORMAL_TO_NICKS[_formal].append(_nick)

_ACCENTS: Final = str.maketrans("áéíóúñüöäëïçÁÉÍÓÚÑÜÖÄËÏÇśŚ", "aeiounuoaeicAEIOUNUOAEICsS")


@dataclass
class Human:
    """One synthetic person, as the truth behind list rows and inquiries."""

    key: int
    given: str
    middle: str | None
    surnames: list[str]
    hyphenated: bool
    sex: str
    dob: date
    top: str
    bottom: str
    hair: str
    mark: str


@dataclass
class SyntheticSet:
    """Lists, inquiries and the truth: which listed ids each inquiry is about."""

    list_rows: list[dict[str, str]]
    inquiry_rows: list[dict[str, str]]
    truth: dict[str, frozenset[str]]
    scenario: dict[str, str] = field(default_factory=dict)


def _zipf_choice(rng: random.Random, names: tuple[str, ...]) -> str:
    # Rank r drawn with weight ~ 1/(r+8): common names are common, rare ones exist.
    weights = [1.0 / (rank + 8) for rank in range(len(names))]
    return rng.choices(names, weights=weights)[0]


def _new_human(rng: random.Random, key: int, today: date, ages: tuple[int, int]) -> Human:
    sex = rng.choice("MF")
    given = _zipf_choice(rng, _MALE if sex == "M" else _FEMALE)
    middle = _zipf_choice(rng, _MALE if sex == "M" else _FEMALE) if rng.random() < 0.5 else None
    surnames = [_zipf_choice(rng, _SURNAMES)]
    hyphenated = False
    if rng.random() < 0.08:
        surnames.append(_zipf_choice(rng, _SURNAMES))
        hyphenated = rng.random() < 0.5
    age_days = rng.randint(ages[0] * 365, ages[1] * 365 + 364)
    return Human(
        key=key,
        given=given,
        middle=middle,
        surnames=surnames,
        hyphenated=hyphenated,
        sex=sex,
        dob=today - timedelta(days=age_days),
        top=f"{rng.choice(_TOP_COLORS)} {rng.choice(_TOPS)}",
        bottom=f"{rng.choice(_TOP_COLORS)} {rng.choice(_BOTTOMS)}",
        hair=f"{rng.choice(_HAIR_STYLE)} {rng.choice(_HAIR)} hair",
        mark=rng.choice(_MARKS),
    )


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.55:
        return word[:i] + word[i + 1 :]
    if kind < 0.8:
        return word[:i] + word[i] + word[i:]
    vowels = "aeiou" if word[i] in "aeiou" else "bcdfghklmnprstvz"
    return word[:i] + rng.choice(vowels) + word[i + 1 :]


def _surname_text(h: Human) -> str:
    return ("-" if h.hyphenated else " ").join(h.surnames)


def _list_name(rng: random.Random, h: Human, kind: str) -> str:
    """How a list writes a name: "LAST, FIRST M" on rosters, no accents."""
    surname = _surname_text(h).translate(_ACCENTS)
    given = h.given.translate(_ACCENTS)
    initial = f" {h.middle[0]}" if h.middle and rng.random() < 0.7 else ""
    if kind == "roster":
        return f"{surname}, {given}{initial}".upper()
    if kind in ("hospital", "medical_examiner"):
        text = f"{surname}, {given}"
        return text.upper() if rng.random() < 0.5 else text
    # Attendee lists come from what buyers typed.
    if rng.random() < 0.05:
        given = _typo(rng, given)
    return f"{given} {surname}"


def _description(h: Human, age: int, *, about: bool) -> str:
    parts = [f"about {age}"] if about else []
    parts += [h.top, h.bottom, h.hair, h.mark]
    return ", ".join(parts)


def _typed_description(rng: random.Random, h: Human) -> str:
    features = [h.top, h.hair, h.mark, h.bottom]
    chosen = rng.sample(features, k=rng.randint(2, 4))
    words = []
    for feature in chosen:
        typed = " ".join(
            _SYNONYM_TYPED.get(w, w) if rng.random() < 0.4 else w for w in feature.split()
        )
        words.append(typed)
    return "last seen in " + ", ".join(words)


def _inquiry_name(rng: random.Random, h: Human) -> tuple[str, str]:
    """What a family types, and the kind of noise put in it."""
    given, noise = h.given, []
    nicks = _FORMAL_TO_NICKS.get(given.lower())
    if nicks and rng.random() < 0.35:
        given, noise = rng.choice(nicks).capitalize(), ["nickname"]
    elif rng.random() < 0.12:
        given, noise = _typo(rng, given), ["misspelled given name"]
    surnames = list(h.surnames)
    if len(surnames) > 1 and rng.random() < 0.5:
        surnames = [surnames[rng.randrange(2)]]
        noise.append("one half of a double surname")
    surname = ("-" if h.hyphenated and len(surnames) > 1 else " ").join(surnames)
    if rng.random() < 0.12:
        surname, noise = _typo(rng, surname), [*noise, "misspelled surname"]
    if rng.random() < 0.3:
        given, surname = given.translate(_ACCENTS), surname.translate(_ACCENTS)
    middle = f" {h.middle}" if h.middle and rng.random() < 0.25 else ""
    if rng.random() < 0.02:
        return f"{surname} {given}", "given name and surname swapped"
    return f"{given}{middle} {surname}", ", ".join(noise) or "plain"


def _inquiry_birth(rng: random.Random, h: Human, today: date) -> tuple[str, str, str]:
    """(dob, age, noise) as a family gives them."""
    roll = rng.random()
    if roll < 0.35:
        age = age_on((h.dob.year, h.dob.month, h.dob.day), today)
        if rng.random() < 0.1:
            age += rng.choice((-1, 1))
        return "", str(max(age, 0)), "age only"
    d = h.dob
    if roll < 0.45 and d.day <= 12 and d.day != d.month:
        return f"{d.year:04d}-{d.day:02d}-{d.month:02d}", "", "day and month swapped"
    if roll < 0.52:
        text = f"{d.year:04d}{d.month:02d}{d.day:02d}"
        i = rng.randint(2, 6)
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        try:
            moved = date(int(swapped[:4]), int(swapped[4:6]), int(swapped[6:]))
        except ValueError:
            moved = d
        if moved != d and moved <= today:
            return moved.isoformat(), "", "two digits transposed"
    if roll < 0.97:
        return (d.strftime("%m/%d/%Y") if rng.random() < 0.5 else d.isoformat()), "", "plain"
    return "", "", "no date or age"


def generate(
    *, people: int, inquiries: int, seed: int = 0, today: date | None = None
) -> SyntheticSet:
    """About `people` list rows and exactly `inquiries` inquiries with their truth."""
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, not secrets  # nosec B311
    today = today or date.today()
    humans: list[Human] = []
    rows: list[dict[str, str]] = []
    listed: dict[int, list[str]] = defaultdict(list)
    unidentified: set[int] = set()
    twins: set[int] = set()

    def add_row(h: Human, kind: str, *, unnamed: bool = False) -> None:
        ident = f"{kind[:1].upper()}{len(rows) + 1:06d}"
        age = age_on((h.dob.year, h.dob.month, h.dob.day), today)
        row = {"id": ident, "list": kind, "full_name": "", "dob": "", "age": "", "sex": h.sex}
        row["description"] = ""
        if unnamed:
            guess = max(1, age + rng.randint(-3, 3))
            label = "Unknown Male" if h.sex == "M" else "Unknown Female"
            row["full_name"] = rng.choice((label, "", f"Doe, {'John' if h.sex == 'M' else 'Jane'}"))
            row["age"] = rng.choice((f"about {guess}", str(guess), ""))
            row["description"] = _description(h, guess, about=not row["age"])
            unidentified.add(h.key)
        else:
            row["full_name"] = _list_name(rng, h, kind)
            if kind == "roster" or rng.random() < 0.6:
                row["dob"] = h.dob.isoformat()
            elif rng.random() < 0.8:
                row["age"] = str(age)
        rows.append(row)
        listed[h.key].append(ident)

    while len(rows) < people:
        kind = rng.choices(("roster", "attendees"), weights=(0.65, 0.35))[0]
        ages = (5, 18) if kind == "roster" else (12, 70)
        h = _new_human(rng, len(humans), today, ages)
        humans.append(h)
        add_row(h, kind)
        if kind == "roster" and rng.random() < 0.03:
            twin = _new_human(rng, len(humans), today, ages)
            twin.surnames, twin.hyphenated, twin.dob = list(h.surnames), h.hyphenated, h.dob
            while twin.given == h.given:
                twin.given = _zipf_choice(rng, _MALE if twin.sex == "M" else _FEMALE)
            humans.append(twin)
            twins.update((h.key, twin.key))
            add_row(twin, "roster")
        if rng.random() < 0.08:
            add_row(h, "hospital", unnamed=rng.random() < 0.15)
        elif rng.random() < 0.005:
            add_row(h, "medical_examiner")
    rng.shuffle(rows)

    inquiry_rows: list[dict[str, str]] = []
    truth: dict[str, frozenset[str]] = {}
    scenario: dict[str, str] = {}
    hurt = [h for h in humans if any(i[0] in "HM" for i in listed[h.key])]
    for number in range(1, inquiries + 1):
        ident = f"Q{number:06d}"
        roll = rng.random()
        if roll < 0.12:
            # Someone on no list, often with a listed person's surname or whole name.
            h = _new_human(rng, -number, today, (5, 70))
            if rng.random() < 0.5:
                relative = rng.choice(humans)
                h.surnames, h.hyphenated = list(relative.surnames), relative.hyphenated
                if rng.random() < 0.3:
                    h.given, h.sex = relative.given, relative.sex
            label = "on no list"
        else:
            h = rng.choice(hurt) if roll < 0.3 and hurt else rng.choice(humans)
            label = "unidentified patient" if h.key in unidentified else ""
            label = "twin" if h.key in twins else label
        name, name_noise = _inquiry_name(rng, h)
        dob, age, birth_noise = _inquiry_birth(rng, h, today)
        describe = h.key in unidentified or rng.random() < 0.2
        inquiry_rows.append(
            {
                "id": ident,
                "full_name": name,
                "dob": dob,
                "age": age,
                "sex": h.sex if rng.random() < 0.85 else "",
                "description": _typed_description(rng, h) if describe else "",
                "relationship": rng.choice(_RELATIONSHIPS),
            }
        )
        truth[ident] = frozenset(listed.get(h.key, ())) if h.key >= 0 else frozenset()
        scenario[ident] = "; ".join(x for x in (label, name_noise, birth_noise) if x)
    return SyntheticSet(rows, inquiry_rows, truth, scenario)


@dataclass(frozen=True)
class Quality:
    """How well ranked candidates found the truth."""

    inquiries: int
    on_a_list: int
    top1_recall: float
    top3_recall: float
    likely: int
    likely_precision: float
    likely_recall: float
    false_likely_for_no_list: int


def evaluate(
    ranked: dict[str, list[str]], likely: dict[str, str], truth: dict[str, frozenset[str]]
) -> Quality:
    """Top-1 and top-3 recall over inquiries about listed people; precision and recall
    of the `likely` marks (a likely mark on an inquiry about nobody listed is wrong)."""
    on_list = [q for q, ids in truth.items() if ids]
    top1 = sum(1 for q in on_list if ranked.get(q) and ranked[q][0] in truth[q])
    top3 = sum(1 for q in on_list if set(ranked.get(q, [])[:3]) & truth[q])
    right = sum(1 for q, pid in likely.items() if pid in truth.get(q, frozenset()))
    no_list = sum(1 for q in likely if not truth.get(q))
    return Quality(
        inquiries=len(truth),
        on_a_list=len(on_list),
        top1_recall=top1 / len(on_list) if on_list else 1.0,
        top3_recall=top3 / len(on_list) if on_list else 1.0,
        likely=len(likely),
        likely_precision=right / len(likely) if likely else 1.0,
        likely_recall=right / len(on_list) if on_list else 1.0,
        false_likely_for_no_list=no_list,
    )
