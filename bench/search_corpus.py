"""Synthetic tip and SAR narratives for the search benchmark, and the queries typed
against them. Deterministic for a seed; shaped like real intake: a few very common
surnames and many rare ones, popular and obscure places, incident sentences drawn
from a pool and detail sentences combined from lists (colors, vehicles, clothing,
places in a building), so that word frequencies have a long tail."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field


def _words(text: str, sep: str | None = None) -> list[str]:
    return [word.strip() for word in text.split(sep)]


GIVEN = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William "
    "Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa "
    "Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven "
    "Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian "
    "Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura "
    "Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley "
    "Jonathan Emma Stephen Brenda Larry Pamela Justin Nicole Scott Anna Brandon Samantha "
    "Benjamin Katherine Samuel Christine Gregory Debra Alexander Rachel Patrick Carolyn "
    "Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry Helen Tyler Catherine "
    "Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas "
    "Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn Christian "
    "Hannah Walter Andrea Keith Megan Austin Cheryl Roger Jacqueline Terry Madison Sean "
    "Teresa Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse "
    "Janice Bryan Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan "
    "Julia Billy Grace Juan Alice Elijah Denise Albert Danielle Wayne Marilyn Randy "
    "Natalie Mason Beverly Vincent Diana Liam Brittany Roy Theresa Caleb Alexis Bradley "
    "Lucas Tiffany Miguel Camila Darnell Aaliyah Dmitri Priya Mohammed Fatima Wei Mei"
)
FAMILY_HEAD = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright "
    "Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins "
    "Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez "
    "Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel "
    "Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman"
)
SYLLABLES = _words(
    "al an ar ba bel ber bran brook by cal car cas chan cor dal dan del der don dor "
    "el en er fal far fen ford gar gil gold gren ham har hart hol kel ken kin lan lar "
    "ler lin lock low mar mel mer mont mor nor ol par pen per quin ral ran red ril ros "
    "sel shaw sten stin tal tan ter thorn ton ver vin wal well win worth yar"
)
PLACE_NAMES = _words(
    "Lincoln Washington Jefferson Roosevelt Riverside Oakwood Maple Cedar Lakeview "
    "Hillcrest Westfield Northside Brookside Fairview Highland Greenwood Kennedy Madison "
    "Franklin Central Eastwood Springfield Summit Pinecrest Valley Heritage Liberty "
    "Union Grant Carver Chavez Harbor Meadowbrook Ridgeview Sunset Parkside Crestwood "
    "Willow Stonebridge Kingston Clearwater Silverlake Mapleton Foxborough Ashland"
)
PLACE_KINDS = _words(
    "High School, Middle School, Elementary School, Community College, State University, "
    "Mall, Shopping Plaza, Baptist Church, Catholic Church, Synagogue, Islamic Center, "
    "Temple, Community Center, Public Library, Stadium, Arena, Transit Center, "
    "Medical Center, City Hall, County Courthouse, Movie Theater, Park, Warehouse, "
    "Distribution Center",
    ",",
)
CITIES = _words(
    "Springfield, Riverton, Fairview, Greenville, Madison, Georgetown, Salem, Clinton, "
    "Franklin, Arlington, Ashland, Burlington, Manchester, Milton, Newport, Oxford, Dayton, "
    "Jackson, Lexington, Marion, Centerville, Bristol, Dover, Hudson, Kingston, Auburn, "
    "Clayton, Dublin, Troy, Winchester",
    ",",
)
PLATFORMS = _words("Instagram TikTok Discord Snapchat Facebook Reddit Telegram YouTube Twitch")
WEAPONS = _words(
    "rifle, AR-15, handgun, shotgun, pistol, Glock, revolver, hunting rifle, pipe bomb, "
    "knife, machete, body armor, tactical vest, ghost gun, 3D-printed gun, "
    "high-capacity magazines, ammunition, crossbow, fireworks, gasoline",
    ",",
)
QUOTES = _words(
    "you will all pay|Friday is the day|don't come to school tomorrow|they will remember "
    "my name|it ends at the assembly|I am done being ignored|watch the news on Monday|"
    "nobody will stop me|the countdown has started|I have a plan for graduation|"
    "bring everyone to the gym|this is my last week here",
    "|",
)
CONCERNS = _words(
    "depression, suicidal statements, domestic violence, stalking, substance abuse, "
    "bullying, harassment of coworkers, animal cruelty, fascination with past attacks, "
    "online radicalization, erratic behavior, threats against a former partner",
    ",",
)
REPORTERS = _words(
    "A teacher, A parent, A classmate, A coworker, A neighbor, An anonymous caller, "
    "A store clerk, A school counselor, A pastor, A security guard, A bus driver, "
    "A former partner, A gun shop employee, A relative, A resident assistant",
    ",",
)
TIMES = _words(
    "this Friday, next week, on Monday, after spring break, at graduation, during the game", ","
)
COLORS = _words("black white silver red blue green gray maroon tan gold orange navy beige")
VEHICLES = _words(
    "pickup truck, sedan, minivan, motorcycle, SUV, hatchback, box truck, delivery van, "
    "station wagon, jeep, coupe, scooter, dirt bike, camper, tow truck, taxi",
    ",",
)
CLOTHING = _words(
    "hoodie, trench coat, ski mask, camouflage jacket, baseball cap, backpack, duffel bag, "
    "gloves, combat boots, sunglasses, bandana, plate carrier, gas mask, tactical pants, "
    "rain jacket, gym bag, balaclava, guitar case",
    ",",
)
LANDMARKS = _words(
    "main entrance, side door, gymnasium, cafeteria, parking garage, bus loop, football "
    "field, chapel, lobby, stairwell, library, auditorium, ticket booth, food court, "
    "playground, rooftop, basement, service road, fence line, visitor center",
    ",",
)
MOMENTS = _words(
    "around 7 a.m., just after midnight, during lunch, after the game, before first "
    "period, at closing time, on Saturday night, early Sunday morning, during the "
    "assembly, at dismissal, during choir practice, at the evening service",
    ",",
)
DETAILS = (
    "{reporter} noticed a {color} {vehicle} parked near the {landmark} of {place} {moment}.",
    "{subject} wore a {color} {clothing} and carried a {color2} {clothing2}.",
    "{subject} walked the {landmark} twice {moment} and left in a {color} {vehicle}.",
    "Camera footage shows {subject} near the {landmark} with a {clothing} {moment}.",
    "{subject} asked where the {landmark} of {place} leads and when it is unlocked.",
)
SENTENCES = (
    "{reporter} reported that {subject} posted on {platform} about shooting up {place}.",
    "{subject} told classmates he wanted to attack {place} {when}.",
    "{reporter} saw {subject} photographing the entrances and cameras of {place}.",
    "{subject} has been researching previous mass shootings and reading manifestos online.",
    "{subject} bought a {weapon} and {weapon2} from a private seller in {city}.",
    "Witnesses say {subject} made a hit list naming teachers and students at {place}.",
    "{subject} was recently suspended from {place} and expressed anger toward staff.",
    'The caller overheard {subject} saying "{quote}".',
    'A parent found a notebook with drawings of {place} and the words "{quote}".',
    "{subject} shared a manifesto on {platform} and asked others to join him.",
    "{subject} has access to firearms at home; a {weapon} is kept in an unlocked closet.",
    "Coworkers at {place} said {subject} talked about bringing a {weapon} to work.",
    "{subject} asked security staff at {place} about shift changes and camera coverage.",
    "Police were called to {address} in {city} after {subject} threatened a neighbor.",
    "{subject} has a history of {concern} and recently stopped attending counseling.",
    "The tipster asked to remain anonymous and gave no further contact details.",
    "{subject}'s former partner obtained a protective order last month citing {concern}.",
    'A Snapchat story showed {subject} holding a {weapon} with the caption "{quote}".',
    "{subject} was seen loitering near the loading dock of {place} late at night.",
    "The school resource officer at {place} was informed and is following up.",
    "{subject} uses the handle {handle} and messaged several students on {platform}.",
    "{reporter} said {subject} has been giving away belongings and saying goodbye.",
    "{subject} wore a {weapon2} to class and joked about the fire drill schedule.",
    "Family members are worried about {concern} and recent purchases of {weapon2}.",
)


def synthetic_surnames(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        parts = rng.randint(2, 3)
        names.add("".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize())
    return sorted(names)


@dataclass
class Subject:
    given: str
    family: str
    handle: str
    phone: str
    place: str


@dataclass
class Corpus:
    """Deterministic narrative generator; keeps a sample of what it wrote, for queries."""

    seed: int
    rng: random.Random = field(init=False)
    families: list[str] = field(init=False)
    family_weights: list[float] = field(init=False)  # cumulative, for random.choices
    places: list[str] = field(init=False)
    place_weights: list[float] = field(init=False)
    sample: list[Subject] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.families = FAMILY_HEAD + synthetic_surnames(self.rng, 4000)
        # Zipf-like: a few surnames are very common, most are rare (as in real data).
        self.family_weights = list(
            itertools.accumulate(1 / (rank + 5) for rank in range(len(self.families)))
        )
        self.places = [f"{name} {kind}" for name in PLACE_NAMES for kind in PLACE_KINDS]
        self.rng.shuffle(self.places)
        self.place_weights = list(
            itertools.accumulate(1 / (rank + 3) ** 0.8 for rank in range(len(self.places)))
        )

    def family(self) -> str:
        return self.rng.choices(self.families, cum_weights=self.family_weights)[0]

    def subject(self) -> Subject:
        rng = self.rng
        given = rng.choice(GIVEN)
        family = self.family()
        handle = f"@{given[:3].lower()}{family.lower()}{rng.randint(1, 99)}"
        phone = f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        place = rng.choices(self.places, cum_weights=self.place_weights)[0]
        return Subject(given, family, handle, phone, place)

    def report(self) -> tuple[str, str]:
        """(narrative, search document) shaped like ``search.document_for``'s output."""
        rng = self.rng
        subject = self.subject()
        person = rng.choice(
            [f"{subject.given} {subject.family}", subject.given, f"a student named {subject.given}"]
        )
        weapon, weapon2 = rng.sample(WEAPONS, 2)
        values = {
            "reporter": rng.choice(REPORTERS),
            "place": subject.place,
            "platform": rng.choice(PLATFORMS),
            "when": rng.choice(TIMES),
            "weapon": weapon,
            "weapon2": weapon2,
            "city": rng.choice(CITIES),
            "quote": rng.choice(QUOTES),
            "concern": rng.choice(CONCERNS),
            "address": f"{rng.randint(100, 9999)} {rng.choice(PLACE_NAMES)} Street",
            "handle": subject.handle,
        }
        values |= {
            "color": rng.choice(COLORS),
            "color2": rng.choice(COLORS),
            "vehicle": rng.choice(VEHICLES),
            "clothing": rng.choice(CLOTHING),
            "clothing2": rng.choice(CLOTHING),
            "landmark": rng.choice(LANDMARKS),
            "moment": rng.choice(MOMENTS),
        }
        chosen = rng.sample(SENTENCES, rng.randint(2, 4)) + rng.sample(DETAILS, rng.randint(1, 2))
        rng.shuffle(chosen)
        sentences = [chosen[0].format(subject=person, **values)]
        sentences += [
            s.format(subject=rng.choice(("the subject", person, subject.given)), **values)
            for s in chosen[1:]
        ]
        narrative = " ".join(sentence[0].upper() + sentence[1:] for sentence in sentences)
        mention = [subject.given, subject.family, subject.handle, subject.phone, subject.place]
        if rng.random() < 0.3:  # a witness or the reporting party is named too
            mention += [rng.choice(GIVEN), self.family()]
        if len(self.sample) < 20_000 and rng.random() < 0.05:
            self.sample.append(subject)
        document = "\n".join([narrative, values["city"], *mention])
        return narrative, document


# --- the typical queries ------------------------------------------------------------------

# (category, share): what analysts type, mostly people and identifiers.
QUERY_MIX = (
    ("full name", 0.30),
    ("surname", 0.15),
    ("identifier", 0.10),
    ("place", 0.15),
    ("topic pair", 0.10),
    ("phrase", 0.10),
    ("broad word", 0.10),
)
PHRASES = (
    '"hit list"',
    '"shift changes"',
    '"protective order"',
    '"remain anonymous"',
    '"loading dock"',
    '"fire drill"',
    '"you will all pay"',
    '"giving away belongings"',
    '"unlocked closet"',
    '"mass shootings"',
)
BROAD = ("school", "rifle", "threat", "manifesto", "Discord", "gun", "police", "students")


def typical_queries(corpus: Corpus, count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    categories = [name for name, _ in QUERY_MIX]
    weights = [share for _, share in QUERY_MIX]
    queries = []
    for _ in range(count):
        category = rng.choices(categories, weights)[0]
        subject = rng.choice(corpus.sample)
        if category == "full name":
            query = f"{subject.given} {subject.family}"
        elif category == "surname":
            query = subject.family
        elif category == "identifier":
            query = rng.choice((subject.handle, subject.phone))
        elif category == "place":
            query = subject.place
        elif category == "topic pair":
            query = f"{rng.choice(WEAPONS).split()[-1]} {subject.place.split()[0]}"
        elif category == "phrase" and rng.random() < 0.5:
            query = rng.choice(PHRASES)
        elif category == "phrase":
            query = f'"{rng.choice(COLORS)} {rng.choice(VEHICLES)}"'
        else:
            query = rng.choice(BROAD)
        queries.append((category, query))
    return queries
