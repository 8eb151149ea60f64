"""Matching families' inquiries against accountability lists: candidates, scores, ranks.

Scores are match weights (log2 of how much likelier the evidence is for the same
person than for two different people), summed over name, date of birth or age, sex
and description, in the manner of the linkage engine's Fellegi-Sunter model but with
levels written for what families and lists get wrong: nicknames, misspellings, one
half of a double surname, a day and month swapped, two digits transposed, an age
given instead of a date, and a patient nobody has named yet. A candidate is marked
likely only when its score is high and no other human on the lists comes close, so a
twin, a namesake or a person on no list never gets a likely match by default.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import jellyfish
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein

from vigil.linkage.nicknames import formal_name
from vigil.response.profiles import Profile

# Name levels (given name; surname).
FIRST_EXACT: Final = 7.0
FIRST_NICKNAME: Final = 6.0
FIRST_CLOSE: Final = 5.0
FIRST_SOUND: Final = 4.0
FIRST_MIDDLE: Final = 3.0
FIRST_INITIAL: Final = 1.0
FIRST_SIMILAR: Final = 0.0
FIRST_OTHER: Final = -6.0
SURNAME_EXACT: Final = 8.0
SURNAME_PART: Final = 6.0
SURNAME_CLOSE: Final = 5.0
SURNAME_SOUND: Final = 4.0
SURNAME_SIMILAR: Final = 1.0
SURNAME_OTHER: Final = -6.0
NAMES_SWAPPED: Final = 10.0
SWAP_PENALTY: Final = 2.0
# Bounds of the adjustment for a name rarer or commoner than a typical listed name.
TF_LOW: Final = -3.0
TF_HIGH: Final = 2.0
# Date of birth and age.
DOB_EXACT: Final = 9.0
DOB_SWAPPED: Final = 6.0
DOB_ONE_EDIT: Final = 5.0
DOB_TWO_EDITS: Final = -2.0
DOB_NEAR_YEAR: Final = -5.0
DOB_OTHER: Final = -9.0
AGE_AGREES: Final = 3.0
AGE_NEAR: Final = 1.0
AGE_OTHER: Final = -6.0
# Sex, and how much more it says about a patient who has no name.
SEX_AGREES: Final = 1.0
SEX_OTHER: Final = -5.0
UNNAMED_SEX_AGREES: Final = 2.0
UNNAMED_SEX_OTHER: Final = -10.0
DESCRIPTION_WORD_MAX: Final = 3.0
DESCRIPTION_PAIR: Final = 2.0
DESCRIPTION_MAX: Final = 10.0
# A named candidate whose name agrees this well is not outdone by an unnamed patient
# whose description happens to overlap.
STRONG_NAME: Final = 10.0
# Decisions.
LIKELY_SCORE: Final = 14.0
LIKELY_MARGIN: Final = 5.0
SAME_HUMAN_SCORE: Final = 18.5
MIN_CANDIDATE_SCORE: Final = -2.0
# An unnamed patient is a candidate only within this many years of the inquiry's age.
UNNAMED_AGE_WINDOW: Final = 12.0


@dataclass(frozen=True)
class Candidate:
    """One listed person proposed for one inquiry."""

    inquiry_id: str
    person_id: str
    rank: int
    score: float
    likely: bool


@dataclass(frozen=True)
class NameFrequencies:
    """Each formal given name's and surname word's share of the named people listed,
    and the share of the name a typical listed person has (the median)."""

    first: dict[str, float]
    surname: dict[str, float]
    typical_first: float
    typical_surname: float


@dataclass
class ListIndex:
    """The listed people with the keys that find candidates for an inquiry."""

    people: dict[str, Profile]
    keys: dict[tuple[str, ...], list[str]]
    unnamed: list[str]
    word_weights: dict[str, float]
    names: NameFrequencies


def name_frequencies(people: Sequence[Profile]) -> NameFrequencies:
    firsts = Counter(p.first_formal for p in people if p.first_formal)
    surnames = Counter(w for p in people for w in set(p.surnames))
    named = max(1, sum(1 for p in people if p.named))
    first = {name: count / named for name, count in firsts.items()}
    surname = {name: count / named for name, count in surnames.items()}
    typical_first = (
        statistics.median(first[p.first_formal] for p in people if p.first_formal)
        if firsts
        else 0.0
    )
    surname_shares = [surname[p.surnames[-1]] for p in people if p.surnames]
    typical_surname = statistics.median(surname_shares) if surname_shares else 0.0
    return NameFrequencies(first, surname, typical_first, typical_surname)


def _similar(a: str, b: str, threshold: float) -> bool:
    if JaroWinkler.similarity(a, b) >= threshold:
        return True
    return min(len(a), len(b)) >= 4 and DamerauLevenshtein.distance(a, b) <= 1


def _rarity(frequency: dict[str, float], typical: float, value: str) -> float:
    """How much more (or less) an agreement on `value` says than on a typical name:
    two people called Williams are likelier to be different people than two Kowalskis."""
    share = frequency.get(value)
    if share is None or typical <= 0:
        return 0.0
    return max(TF_LOW, min(TF_HIGH, math.log2(typical / share)))


def first_name_weight(a: Profile, b: Profile, names: NameFrequencies | None = None) -> float:
    if a.first is None or b.first is None:
        return 0.0
    tf = 0.0
    if names is not None and a.first_formal == b.first_formal and b.first_formal is not None:
        tf = _rarity(names.first, names.typical_first, b.first_formal)
    if a.first == b.first:
        return FIRST_EXACT + tf
    if len(a.first) == 1 or len(b.first) == 1:
        return FIRST_INITIAL if a.first[0] == b.first[0] else FIRST_OTHER
    if a.first_formal == b.first_formal:
        return FIRST_NICKNAME + tf
    if _similar(a.first, b.first, 0.92):
        return FIRST_CLOSE
    if a.first_sound == b.first_sound:
        return FIRST_SOUND
    if a.first in b.middle or b.first in a.middle:
        return FIRST_MIDDLE
    if JaroWinkler.similarity(a.first, b.first) >= 0.8:
        return FIRST_SIMILAR
    return FIRST_OTHER


def surname_weight(a: Profile, b: Profile, names: NameFrequencies | None = None) -> float:
    if not a.surnames or not b.surnames:
        return 0.0
    sa, sb = set(a.surnames), set(b.surnames)
    shared = sa & sb
    tf = 0.0
    if names is not None and shared:
        tf = max(_rarity(names.surname, names.typical_surname, word) for word in shared)
    if sa == sb:
        return SURNAME_EXACT + tf
    if shared:
        return SURNAME_PART + tf
    if sa & set(b.middle) or sb & set(a.middle):
        return SURNAME_PART - 1.0
    joined_a, joined_b = "".join(a.surnames), "".join(b.surnames)
    pairs = [(x, y) for x in sa for y in sb] + [(joined_a, joined_b)]
    if any(_similar(x, y, 0.92) for x, y in pairs):
        return SURNAME_CLOSE
    if set(a.surname_sounds) & set(b.surname_sounds):
        return SURNAME_SOUND
    if any(JaroWinkler.similarity(x, y) >= 0.85 for x, y in pairs):
        return SURNAME_SIMILAR
    return SURNAME_OTHER


def _swapped(p: Profile) -> Profile:
    """The profile with its given name and (last) surname exchanged."""
    if p.first is None or not p.surnames:  # only profiles with both names are swapped
        return p
    surname = p.surnames[-1]
    return replace(
        p,
        first=surname,
        first_formal=formal_name(surname),
        first_sound=_sound(surname),
        surnames=(p.first,),
        surname_sounds=(p.first_sound or p.first,),
    )


def name_weight(a: Profile, b: Profile, names: NameFrequencies | None = None) -> float:
    straight = first_name_weight(a, b, names) + surname_weight(a, b, names)
    if straight >= NAMES_SWAPPED or a.first is None or not a.surnames or not b.surnames:
        return straight
    # A family that writes the surname first without a comma.
    swapped = _swapped(a)
    crossed = first_name_weight(swapped, b) + surname_weight(swapped, b)
    return max(straight, min(crossed - SWAP_PENALTY, NAMES_SWAPPED))


def _dob_text(dob: tuple[int, int, int]) -> str:
    return f"{dob[0]:04d}{dob[1]:02d}{dob[2]:02d}"


def _age_weight(a_age: float, b_age: float, estimated: bool, best: float) -> float:
    gap = abs(a_age - b_age)
    slack = 3.0 if estimated else 0.0
    if gap <= 1.0 + slack:
        return best
    if gap <= 2.0 + slack * 2:
        return AGE_NEAR
    return AGE_OTHER


def birth_weight(a: Profile, b: Profile) -> float:
    """Date of birth against date of birth, or ages (from a date or as given)."""
    if a.dob is not None and b.dob is not None:
        if a.dob == b.dob:
            return DOB_EXACT
        if a.dob[0] == b.dob[0] and (a.dob[1], a.dob[2]) == (b.dob[2], b.dob[1]):
            return DOB_SWAPPED
        ta, tb = _dob_text(a.dob), _dob_text(b.dob)
        edits = DamerauLevenshtein.distance(ta, tb)
        if edits <= 1:
            return DOB_ONE_EDIT
        if Levenshtein.distance(ta, tb) <= 2 and edits <= 2:
            return DOB_TWO_EDITS
        return DOB_NEAR_YEAR if abs(a.dob[0] - b.dob[0]) <= 1 else DOB_OTHER
    if a.age is None or b.age is None:
        return 0.0
    estimated = a.age_estimated or b.age_estimated
    best = AGE_AGREES if (a.dob is not None or b.dob is not None) else AGE_AGREES - 0.5
    return _age_weight(a.age, b.age, estimated, best)


def description_weight(a: Profile, b: Profile, word_weights: Mapping[str, float]) -> float:
    shared = a.words & b.words
    if not shared:
        return 0.0
    total = sum(word_weights.get(w, DESCRIPTION_WORD_MAX) for w in shared)
    # "red hoodie" agreeing says more than "red" and "hoodie" somewhere in each.
    total += DESCRIPTION_PAIR * len(a.word_pairs & b.word_pairs)
    return min(total, DESCRIPTION_MAX)


def score(inquiry: Profile, person: Profile, index: ListIndex | None = None) -> float:
    """The match weight of one listed person for one inquiry (with the list's name
    frequencies and description-word weights when an index is given)."""
    weights: Mapping[str, float] = index.word_weights if index is not None else {}
    names = index.names if index is not None else None
    total = birth_weight(inquiry, person) + description_weight(inquiry, person, weights)
    unnamed = not (inquiry.named and person.named)
    if inquiry.sex is not None and person.sex is not None:
        if inquiry.sex == person.sex:
            total += UNNAMED_SEX_AGREES if unnamed else SEX_AGREES
        else:
            total += UNNAMED_SEX_OTHER if unnamed else SEX_OTHER
    if not unnamed:
        total += name_weight(inquiry, person, names)
    return total


def _keys(p: Profile) -> Iterable[tuple[str, ...]]:
    """The blocking keys of one profile: any shared key makes a candidate pair."""
    if p.named and p.first is not None:
        initial = p.first[0]
        formal = p.first_formal or p.first
        words = (*p.surnames, *(m for m in p.middle if len(m) > 1))
        sounds = (*p.surname_sounds, *(_sound(m) for m in p.middle if len(m) > 1))
        for word, sound in zip(words, sounds, strict=True):
            yield ("s", word, initial)
            yield ("ss", sound, initial)
            yield ("fs", formal, word[0])
            yield ("fsnd", p.first_sound or "", word[0])
        for word, sound in zip(p.surnames, p.surname_sounds, strict=True):
            # Given name and surname swapped: the surname where the given name goes.
            yield ("fs", word, initial)
            yield ("fsnd", sound, initial)
        if p.birth_year is not None:
            yield ("fy", formal, str(p.birth_year))
    if p.dob is not None:
        year, month, day = p.dob
        low, high = sorted((month, day))
        yield ("dob", str(year), str(low), str(high))


def _sound(word: str) -> str:
    return jellyfish.metaphone(word) or word


def build_index(people: Sequence[Profile]) -> ListIndex:
    """Index the listed people for candidate search, and weigh description words by rarity."""
    keys: dict[tuple[str, ...], list[str]] = defaultdict(list)
    unnamed: list[str] = []
    document_counts: dict[str, int] = defaultdict(int)
    for person in people:
        for key in set(_keys(person)):
            keys[key].append(person.id)
        if not person.named:
            unnamed.append(person.id)
        for word in person.words:
            document_counts[word] += 1
    described = max(1, sum(1 for p in people if p.words))
    weights = {
        # Less a bit for what two unrelated descriptions share by chance (colors, "hair").
        word: max(0.0, min(DESCRIPTION_WORD_MAX, math.log2(described / count) - 1.0))
        for word, count in document_counts.items()
    }
    return ListIndex(
        {p.id: p for p in people}, dict(keys), unnamed, weights, name_frequencies(people)
    )


def candidates_for(inquiry: Profile, index: ListIndex) -> set[str]:
    found: set[str] = set()
    for key in set(_keys(inquiry)):
        found.update(index.keys.get(key, ()))
    for person_id in index.unnamed:
        person = index.people[person_id]
        if inquiry.sex is not None and person.sex is not None and inquiry.sex != person.sex:
            continue
        if (
            inquiry.age is not None
            and person.age is not None
            and abs(inquiry.age - person.age) > UNNAMED_AGE_WINDOW
        ):
            continue
        found.add(person_id)
    return found


def _same_human(a: Profile, b: Profile, index: ListIndex) -> bool:
    """Whether two listed entries look like one human on two lists (a student on the
    roster and at a hospital), so the second is no rival to the first."""
    return score(a, b, index) >= SAME_HUMAN_SCORE


def rank_inquiry(inquiry: Profile, index: ListIndex, top: int) -> list[Candidate]:
    """Up to `top` candidates for one inquiry, best first, the first marked likely
    when it is the probable match."""
    scored = sorted(
        ((score(inquiry, index.people[pid], index), pid) for pid in candidates_for(inquiry, index)),
        key=lambda item: (-item[0], item[1]),
    )
    scored = [item for item in scored if item[0] >= MIN_CANDIDATE_SCORE]
    if not scored:
        return []
    best_score, best_id = scored[0]
    likely = best_score >= LIKELY_SCORE
    if likely:
        best = index.people[best_id]
        named_strongly = best.named and name_weight(inquiry, best, index.names) >= STRONG_NAME
        for other_score, other_id in scored[1:]:
            if other_score <= best_score - LIKELY_MARGIN:
                break
            other = index.people[other_id]
            if named_strongly and not other.named:
                continue
            if not _same_human(best, other, index):
                likely = False
                break
    return [
        Candidate(inquiry.id, pid, rank, round(value, 2), likely and rank == 1)
        for rank, (value, pid) in enumerate(scored[:top], start=1)
    ]


def match_inquiries(
    people: Sequence[Profile], inquiries: Sequence[Profile], *, top: int = 3
) -> list[Candidate]:
    """Ranked candidates for every inquiry, in the inquiries' order."""
    index = build_index(people)
    found: list[Candidate] = []
    for inquiry in inquiries:
        found.extend(rank_inquiry(inquiry, index, top))
    return found
