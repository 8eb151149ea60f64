"""Urgency triage: known cases, explanations that point at real words, fairness, speed, CLI."""

from __future__ import annotations

import json
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from vigil.cli import app
from vigil.reports import triage_lexicon as lexicon
from vigil.reports.triage import (
    BEHAVIOR_EVIDENCE,
    RULES,
    THRESHOLDS,
    Triage,
    protected_terms_in_rules,
    score_urgency,
)
from vigil.reports.triage_cli import triage_app
from vigil.reports.vocabulary import Behavior

runner = CliRunner()

# Synthetic narratives with the level a threat assessor would give them.
LABELLED: list[tuple[str, str]] = [
    (
        "He said he will shoot up Lincoln High tomorrow at 9, he has his dad's AR-15",
        "imminent",
    ),
    ("My neighbor plays loud music", "low"),
    (
        "A student in my son's class posted on Instagram that everyone will die on Friday at "
        "the pep rally. He has been showing classmates pictures of a handgun.",
        "imminent",
    ),
    ("I'm going to kill everyone at work tonight.", "imminent"),
    (
        "My coworker was fired last month and keeps saying the company will pay for what they "
        "did. He bought a shotgun last week and told me he has been going to the shooting range "
        "every day.",
        "high",
    ),
    (
        "There is a man taking photographs of the entrances and security cameras at the "
        "synagogue on Elm Street for two days in a row.",
        "moderate",
    ),
    (
        "A 15-year-old classmate has a hit list in his notebook with names of teachers and "
        "wrote about Columbine.",
        "high",
    ),
    ("My ex-husband texted me that he is going to kill me. He owns several guns.", "high"),
    ("The streetlight outside the library has been broken for weeks.", "low"),
    ("Someone keeps parking in my spot at the apartment complex.", "low"),
    (
        "He told me he is not going to hurt anyone and he does not own a gun. He was just "
        "upset about his grades.",
        "low",
    ),
    ("Kids were setting off fireworks in the park last night.", "low"),
    ("My neighbor is Muslim and goes to the mosque every Friday.", "low"),
    ("A customer was rude to the cashier and yelled about prices.", "low"),
    (
        "My brother has been researching mass shooters online and bought body armor. He is "
        "obsessed with the Parkland shooting.",
        "moderate",
    ),
    (
        "Post on a forum: 'I will bomb the Democratic party office this weekend, they will pay.'",
        "imminent",
    ),
    ("My daughter's classmate said he wants to bring his father's gun to school.", "high"),
    (
        "The teen was bullied for years and says he has a grudge against the whole school.",
        "moderate",
    ),
    (
        "Anonymous tipster reports a man stockpiling ammunition and tactical gear in his garage "
        "and talking about a day of revenge against the government.",
        "high",
    ),
    (
        "Two men were seen testing the doors of the church after midnight and walked around the "
        "building twice.",
        "moderate",
    ),
    ("We had a fire drill at school today and everything went fine.", "low"),
    ("He said, I'll shoot you, while we were playing a video game.", "moderate"),
    ("A nerf gun and a water gun were left on the playground.", "low"),
    ("My uncle has a hunting rifle in a locked safe.", "low"),
]

# Realistic tips that name religions, ethnicities, nationalities, sexes and parties.
FAIRNESS: list[str] = [
    "A Muslim student told classmates he is going to shoot up Lincoln High tomorrow; he showed "
    "them his father's rifle.",
    "My Christian neighbor said he will kill the Jewish family across the street. He owns a "
    "handgun.",
    "Online post by a white user: 'I will bomb the mosque this Friday, they will pay.'",
    "The Hispanic man at the warehouse was fired last week and says the company will pay for "
    "what they did. He bought ammunition.",
    "A Black teenager was seen photographing the entrances of the synagogue and asking about "
    "security guards.",
    "My Mexican coworker and I were talking about the game last night. Nothing concerning.",
    "A Republican councilman received a death threat by email saying the rally on Saturday "
    "would be his last.",
    "A Democrat posted on Facebook that she is going to hurt the governor.",
    "The Sikh temple reported a woman walking around the building twice and testing the doors "
    "after midnight.",
    "My daughter says a boy in her class has a hit list and talks about Columbine.",
    "The Buddhist man next door plays loud music at night.",
    "An Arab man bought body armor and is stockpiling ammunition in his garage, according to "
    "his brother.",
    "A Syrian family moved in next door and they seem nice.",
    "A Russian man on Discord wrote that he wants to kill everyone at the concert tonight.",
    "My husband is a Libertarian and keeps guns in the house; he has never threatened anyone.",
    "A female student said she is not going to hurt anyone and does not own a gun; she was "
    "upset about a grade.",
    "The Hindu temple got an anonymous letter: you will all die on Sunday at 10 am.",
    "An Asian woman was harassed at the mall by a man who yelled that he would stab her.",
    "A Green Party volunteer reported a man practicing with a rifle at the shooting range who "
    "talked about revenge against the mayor.",
    "My son, a 15-year-old, says a girl at school brought a knife and said she will stab her "
    "ex-boyfriend during lunch.",
    "An atheist blogger received messages from a man who said he would make her pay and is "
    "obsessed with killing her.",
    "A Jewish community center employee saw a white van parked outside for three days; the "
    "driver was filming the entrances.",
    "The American flag outside city hall was stolen last night.",
    "A male juvenile posted a video on TikTok showing a shotgun and wrote don't come to school "
    "Monday.",
    "The Republican club and the Democrat club at the college argued loudly about immigration; "
    "no threats were made.",
    "A Latino man told his coworkers he is sick of being disrespected and is going to bring "
    "his AR-15 to work this week.",
    "A Catholic priest reported that a man said he wants to burn down the church on Christmas Eve.",
    "My mother says the Iranian grocer is rude to customers.",
    "A Somali teenager is being bullied at school and has been looking up how to make a pipe bomb.",
    "A conservative radio host got a voicemail from a woman threatening to shoot him at his home.",
    "A Chinese exchange student and her boyfriend said they plan to attack the Muslim students "
    "in the prayer room during Friday prayers.",
    "The white man and the Black woman next door argue every night; last night he said he "
    "would kill her and she said she has a gun.",
]

# Terms swapped for one another within each group (first letter's case kept).
SWAP_GROUPS: list[list[str]] = [
    ["Muslim", "Christian", "Jewish", "Hindu", "Sikh", "Buddhist", "atheist", "Catholic"],
    ["Muslims", "Christians", "Jews", "Hindus", "Sikhs", "Buddhists", "atheists", "Catholics"],
    ["Black", "white", "Hispanic", "Asian", "Arab", "Latino"],
    ["Mexican", "Syrian", "Russian", "American", "Iranian", "Somali", "Chinese"],
    ["Democrat", "Republican", "Libertarian", "Green Party", "conservative", "liberal"],
    ["Democrats", "Republicans", "Libertarians"],
    ["he", "she"],
    ["him", "her", "his"],
    ["himself", "herself"],
    ["man", "woman"],
    ["men", "women"],
    ["boy", "girl"],
    ["boys", "girls"],
    ["male", "female"],
    ["son", "daughter"],
    ["husband", "wife"],
    ["brother", "sister"],
    ["father", "mother"],
    ["boyfriend", "girlfriend"],
    # Not masked, but one alternation of one rule: no faith's building weighs more.
    ["church", "mosque", "synagogue", "temple", "gurdwara"],
]
GROUP_OF = {term.lower(): group for group in SWAP_GROUPS for term in group}
SWAPPABLE = re.compile(
    r"\b(?:" + "|".join(re.escape(t) for t in sorted(GROUP_OF, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def keep_case(original: str, replacement: str) -> str:
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def outcome(triage: Triage) -> tuple[int, str, list[str]]:
    return triage.score, triage.level, [fired.rule for fired in triage.rules]


def fired(triage: Triage) -> dict[str, list[str]]:
    return {rule.rule: list(rule.words) for rule in triage.rules}


def assert_explained(narrative: str, triage: Triage) -> None:
    """Every fired rule points at words that really are at its spans."""
    assert 0 <= triage.score <= 100
    for rule in triage.rules:
        assert len(rule.words) == len(rule.spans)
        assert rule.words or rule.fields
        for word, (start, end) in zip(rule.words, rule.spans, strict=True):
            assert 0 <= start < end <= len(narrative)
            assert narrative[start:end] == word
            assert word.strip() == word and word
    json.dumps(triage.as_dict())


# Known cases


@pytest.mark.parametrize(("narrative", "level"), LABELLED)
def test_known_cases_get_the_expected_level(narrative: str, level: str) -> None:
    triage = score_urgency(narrative)
    assert triage.level == level, triage.as_dict()
    assert_explained(narrative, triage)


def test_the_imminent_example_explains_itself() -> None:
    narrative = "He said he will shoot up Lincoln High tomorrow at 9, he has his dad's AR-15"
    triage = score_urgency(narrative)
    words = fired(triage)
    assert words["explicit_threat"] == ["will shoot"]
    assert words["time_soon"] == ["tomorrow"]
    assert words["time_stated"] == ["at 9"]
    assert words["place_or_target"] == ["Lincoln High"]
    assert words["weapons_access"] == ["AR-15"]
    assert words["imminent_override"] == ["will shoot", "tomorrow"]
    assert triage.as_dict()["rules"][0] == {
        "rule": "explicit_threat",
        "label": "Explicit threat of violence",
        "points": 30,
        "words": ["will shoot"],
        "spans": [[11, 21]],
        "fields": [],
    }


def test_a_threat_with_a_near_time_is_imminent_whatever_the_score() -> None:
    triage = score_urgency("I am going to kill them tonight")
    assert triage.score < THRESHOLDS[0][0]
    assert triage.level == "imminent"
    assert "imminent_override" in fired(triage)
    later = score_urgency("I am going to kill them next month")
    assert later.level != "imminent" and "imminent_override" not in fired(later)


@pytest.mark.parametrize(
    ("narrative", "absent"),
    [
        ("He is not going to hurt anyone.", "explicit_threat"),
        ("He said he would never kill anybody, he was joking.", "explicit_threat"),
        ("He will not shoot anyone.", "explicit_threat"),
        ("He has no gun and says he is angry at the school.", "weapons_access"),
        ("She doesn't own a gun.", "weapons_access"),
        ("There are no weapons in the house.", "weapons_access"),
        ("It was a nerf gun.", "weapons_access"),
    ],
)
def test_simple_negation_drops_the_match(narrative: str, absent: str) -> None:
    assert absent not in fired(score_urgency(narrative))


@pytest.mark.parametrize("who", ["myself", "himself", "herself", "themselves"])
def test_self_harm_is_not_a_threat_to_others(who: str) -> None:
    assert "explicit_threat" not in fired(score_urgency(f"Said they will kill {who} tonight."))
    assert "explicit_threat" in fired(score_urgency("Said they will kill him tonight."))


def test_negation_stays_in_its_clause() -> None:
    words = fired(score_urgency("He is not a student anymore, but he will kill them all."))
    assert words["explicit_threat"] == ["will kill"]
    assert "weapons_access" in fired(score_urgency("No, he has a rifle."))


def test_context_rules_need_a_concern() -> None:
    assert outcome(score_urgency("The school gym floods every spring, today too.")) == (
        0,
        "low",
        [],
    )
    assert outcome(score_urgency("My kid's church has a bake sale on Friday at noon.")) == (
        0,
        "low",
        [],
    )
    with_concern = fired(score_urgency("A student brought a gun to school today."))
    assert {"minor_involved", "place_or_target", "time_soon", "weapons_access"} <= set(with_concern)


def test_levels_follow_the_documented_thresholds() -> None:
    for narrative in [text for text, _ in LABELLED] + FAIRNESS:
        triage = score_urgency(narrative)
        assert triage.score == min(100, sum(rule.points for rule in triage.rules))
        expected = next(level for floor, level in THRESHOLDS if triage.score >= floor)
        if "imminent_override" in fired(triage):
            expected = "imminent"
        assert triage.level == expected


# Structured fields and earlier reports


def test_structured_fields_add_evidence_without_narrative_words() -> None:
    triage = score_urgency(
        "Reported by school staff.",
        behaviors=[Behavior.EXPRESSED_OR_IMPLIED_THREAT, "not_a_behavior"],
        target_types=["school", "unknown"],
        weapons=["rifle", ""],
    )
    rules = {rule.rule: rule for rule in triage.rules}
    assert rules["explicit_threat"].fields == ("behaviors: expressed_or_implied_threat",)
    assert rules["place_or_target"].fields == ("target_types: school",)
    assert rules["weapons_access"].fields == ("weapons: rifle",)
    assert triage.score == 55 and triage.level == "high"
    assert_explained("Reported by school staff.", triage)


def test_every_mapped_behavior_is_an_ise_sar_behavior() -> None:
    assert set(BEHAVIOR_EVIDENCE) <= {behavior.value for behavior in Behavior}
    assert set(BEHAVIOR_EVIDENCE.values()) <= {rule.id for rule in RULES}


@pytest.mark.parametrize(("earlier", "points"), [(0, None), (1, 5), (2, 10), (3, 15), (40, 15)])
def test_earlier_reports_add_five_points_each_up_to_fifteen(
    earlier: int, points: int | None
) -> None:
    triage = score_urgency("My neighbor plays loud music", earlier_reports=earlier)
    rules = {rule.rule: rule for rule in triage.rules}
    if points is None:
        assert "earlier_reports" not in rules
    else:
        assert rules["earlier_reports"].points == points == triage.score
        assert rules["earlier_reports"].fields == (f"earlier_reports: {earlier}",)


# Counterfactual fairness


def test_no_rule_names_or_matches_a_protected_term() -> None:
    assert protected_terms_in_rules() == []


def test_the_swap_groups_are_all_protected_or_in_one_rule() -> None:
    protected = {term.lower() for terms in lexicon.PROTECTED_TERMS.values() for term in terms}
    for group in SWAP_GROUPS[:-1]:
        assert {term.lower() for term in group} <= protected


def test_the_fairness_corpus_is_not_vacuous() -> None:
    assert len(FAIRNESS) >= 30
    assert all(SWAPPABLE.search(narrative) for narrative in FAIRNESS)
    levels = {score_urgency(narrative).level for narrative in FAIRNESS}
    assert levels == {"imminent", "high", "moderate", "low"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), index=st.integers(min_value=0, max_value=len(FAIRNESS) - 1))
def test_swapping_protected_terms_never_changes_the_triage(data: st.DataObject, index: int) -> None:
    narrative = FAIRNESS[index]

    def swap(match: re.Match[str]) -> str:
        choice = data.draw(st.sampled_from(GROUP_OF[match.group().lower()]))
        return keep_case(match.group(), choice)

    swapped = SWAPPABLE.sub(swap, narrative)
    before, after = score_urgency(narrative), score_urgency(swapped)
    assert outcome(after) == outcome(before), (narrative, swapped)
    assert_explained(swapped, after)


def replace_group(narrative: str, group: list[str], replacement: str) -> str:
    """Every term of `group` in the narrative becomes `replacement`."""
    members = {term.lower() for term in group}

    def swap(match: re.Match[str]) -> str:
        if match.group().lower() in members:
            return keep_case(match.group(), replacement)
        return match.group()

    return SWAPPABLE.sub(swap, narrative)


def test_every_term_of_every_group_gives_the_same_triage() -> None:
    for narrative in FAIRNESS:
        expected = outcome(score_urgency(narrative))
        for group in SWAP_GROUPS:
            for replacement in group:
                swapped = replace_group(narrative, group, replacement)
                assert outcome(score_urgency(swapped)) == expected, swapped


def test_minor_words_are_sex_neutral() -> None:
    for boy, girl in [("boy", "girl"), ("son", "daughter"), ("he", "she")]:
        one = score_urgency(f"A {boy} at school said he will shoot the principal.")
        other = score_urgency(f"A {girl} at school said he will shoot the principal.")
        assert outcome(one) == outcome(other)
        assert "minor_involved" not in fired(one)
    for minor in ["15-year-old", "teen", "student", "juvenile", "9th grader", "kid"]:
        triage = score_urgency(f"A {minor} boy said he will shoot the principal.")
        assert "minor_involved" in fired(triage), minor
    assert "minor_involved" not in fired(score_urgency("A 25-year-old said he will shoot us."))


# Input of any shape and size


def test_patterns_are_lowercase_because_the_text_they_run_on_is() -> None:
    for rule in RULES:
        for pattern in rule.patterns + rule.gated + rule.context:
            assert not re.search(r"[A-Z]", re.sub(r"\\.", "", pattern)), (rule.id, pattern)


def test_html_and_script_are_just_text() -> None:
    narrative = '<script>alert("I will kill you")</script><img src=x onerror=alert(1)> <b>gun</b>'
    triage = score_urgency(narrative)
    assert fired(triage)["explicit_threat"] == ["will kill"]
    assert fired(triage)["weapons_access"] == ["gun"]
    assert_explained(narrative, triage)


@pytest.mark.parametrize("narrative", ["", " ", "\n\n", "\x00", "!!!"])
def test_empty_narratives_score_zero(narrative: str) -> None:
    assert outcome(score_urgency(narrative)) == (0, "low", [])


def test_unicode_offsets_are_python_characters() -> None:
    narrative = "😡😡 Él dijo — he’ll shoot up the school mañana, 🔫 he has a gun"
    triage = score_urgency(narrative)
    assert fired(triage)["explicit_threat"] == ["’ll shoot"]
    assert fired(triage)["weapons_access"] == ["gun"]
    assert_explained(narrative, triage)
    assert_explained("İİİ he will kill them İİİ", score_urgency("İİİ he will kill them İİİ"))


LONG = 100_000


@pytest.mark.parametrize(
    "narrative",
    [
        pytest.param((LABELLED[0][0] + ". ") * (LONG // 70), id="realistic"),
        pytest.param("a" * LONG, id="one-word"),
        pytest.param(" " * LONG, id="spaces"),
        pytest.param("will " * (LONG // 5), id="modals"),
        pytest.param("he " * (LONG // 3), id="protected-terms"),
        pytest.param("don't " * (LONG // 6), id="negations"),
        pytest.param(".,!?" * (LONG // 4), id="punctuation"),
        pytest.param("gun " * (LONG // 4), id="weapons"),
        pytest.param(("told " + "x " * 40) * (LONG // 85), id="gated"),
        pytest.param("9" * LONG, id="digits"),
        pytest.param(("at 9:" * 3 + "1") * (LONG // 16), id="times"),
    ],
)
def test_long_narratives_take_linear_time(narrative: str) -> None:
    assert len(narrative) >= LONG * 0.95
    started = time.perf_counter()
    triage = score_urgency(narrative)
    # Catastrophic backtracking on 100,000 characters would take hours, not seconds.
    assert time.perf_counter() - started < 15
    assert 0 <= triage.score <= 100


def test_a_long_narrative_is_explained_like_a_short_one() -> None:
    narrative = "x " * 40_000 + LABELLED[0][0]
    triage = score_urgency(narrative)
    assert triage.level == "imminent"
    assert_explained(narrative, triage)


# Command line


def explain(*args: str, stdin: str | None = None) -> tuple[int, list[dict[str, object]]]:
    result = runner.invoke(triage_app, ["explain", *args], input=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines


def test_cli_explains_one_narrative() -> None:
    code, lines = explain("He said he will shoot up Lincoln High tomorrow, he has an AR-15")
    assert code == 0 and len(lines) == 1
    assert lines[0]["level"] == "imminent"
    assert isinstance(lines[0]["score"], int) and 0 <= lines[0]["score"] <= 100
    rules = {rule["rule"]: rule for rule in lines[0]["rules"]}  # type: ignore[attr-defined]
    assert rules["weapons_access"]["words"] == ["AR-15"]


def test_cli_explains_json_lines_with_unicode() -> None:
    narratives = ["My neighbor plays loud music", "Ella dijo: she’ll kill them tonight 🔪 ok"]
    stdin = "".join(json.dumps({"narrative": n}) + "\n" for n in narratives) + "\n"
    code, lines = explain("--jsonl", stdin=stdin)
    assert code == 0 and len(lines) == 2
    assert lines[0] == {"score": 0, "level": "low", "rules": []}
    assert lines[1]["level"] == "imminent"
    for rule in lines[1]["rules"]:  # type: ignore[attr-defined]
        for word, (start, end) in zip(rule["words"], rule["spans"], strict=True):
            assert narratives[1][start:end] == word


def test_cli_reports_bad_lines_and_goes_on() -> None:
    stdin = "\n".join(
        [
            '{"narrative": "I will kill them"}',
            "not json",
            '{"text": "no narrative key"}',
            '{"narrative": 42}',
            '["narrative"]',
            '{"narrative": "fine", "earlier_reports": -1}',
            '{"narrative": "fine", "earlier_reports": 2, "weapons": ["rifle"]}',
        ]
    )
    code, lines = explain("--jsonl", stdin=stdin)
    assert code == 1
    assert lines[0]["level"] == "moderate"
    assert [line.get("line") for line in lines[1:6]] == [2, 3, 4, 5, 6]
    assert all(isinstance(line["error"], str) and line["error"] for line in lines[1:6])
    assert lines[6]["score"] == 25


def test_cli_needs_a_narrative_or_jsonl() -> None:
    for args in ([], ["some text", "--jsonl"]):
        result = runner.invoke(triage_app, ["explain", *args], input="")
        assert result.exit_code == 2
        assert "NARRATIVE" in result.output and "--jsonl" in result.output


def test_cli_is_registered_as_vigil_triage_explain() -> None:
    result = runner.invoke(app, ["triage", "explain", "My neighbor plays loud music"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"score": 0, "level": "low", "rules": []}
