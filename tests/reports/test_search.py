"""Search: results, totals and snippets are exactly the matching reports the actor may
read (checked against ``policy.decide`` report by report), for many queries and actors
of every agency; FTS syntax is never interpreted; Unicode, mentions, re-indexing,
purges, ranking, auditing; the page and the API through HTTP."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, true
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import actor_for, make_agency, make_user
from tests.reports.factories import make_report
from tests.reports.intake_support import api_token, make_app, sign_in
from vigil.platform import policy
from vigil.platform.actor import Actor, command_line
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Agency, AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import retention, search
from vigil.reports.models import Mention, Report
from vigil.reports.search import SearchPage, parse_query, search_reports, snippet_pieces

WORD = re.compile(r"[^\W_]+")
FILLER = "A caller reported activity at the harbor depot. Keyword {word}, noted by {word}."
SECRET = "xylocarp"  # appears only in one AMBER+STRICT report of the school district


def words(value: str) -> set[str]:
    return {word.casefold() for word in WORD.findall(value)}


# --- a world of agencies, markings and actors -----------------------------------------


@dataclass
class World:
    agencies: dict[str, Agency]
    actors: dict[str, Actor]  # readers of every agency, and two who may not search
    reports: dict[str, Report]
    by_id: dict[int, str]

    def visible(self, actor: Actor) -> set[str]:
        """Computed report by report with the policy's own decision, not its scope."""
        return {
            label
            for label, report in self.reports.items()
            if policy.decide(actor, "read", "report", report)
        }

    def labels(self, page: SearchPage) -> set[str]:
        return {self.by_id[hit.id] for hit in page.items}

    def document_words(self, label: str) -> set[str]:
        return words(search.document_for(self.reports[label]))


# (label, owner, marking, file class, routed to, shared with, unique word)
LAYOUT: tuple[tuple[str, str, str, str, str | None, tuple[str, ...], str], ...] = (
    ("amber_own", "police", "AMBER", "tip_lead", None, (), "kestrel"),
    ("amber_routed", "police", "AMBER", "tip_lead", "school", (), "lantern"),
    ("amber_shared", "police", "AMBER", "sar", None, ("fusion",), "meadow"),
    # An explicit share does not open AMBER+STRICT beyond the owner and routed agency.
    ("strict_shared", "police", "AMBER+STRICT", "tip_lead", None, ("fusion",), "nimbus"),
    ("red_named", "police", "RED", "tip_lead", None, (), "orchid"),
    ("green", "school", "GREEN", "tip_lead", None, (), "pebble"),
    # Criminal intelligence is never community-wide, whatever its marking says.
    ("green_intel", "school", "GREEN", "intelligence", None, (), "quartz"),
    ("green_intel_shared", "school", "GREEN", "intelligence", None, ("county",), "raven"),
    ("clear", "county", "CLEAR", "tip_lead", None, (), "saffron"),
    ("amber_fusion", "fusion", "AMBER", "sar", None, (), "tundra"),
    ("amber_county_routed", "county", "AMBER", "tip_lead", "police", (), "velvet"),
    ("secret", "school", "AMBER+STRICT", "tip_lead", None, (), SECRET),
)
UNIQUE_WORDS = [row[-1] for row in LAYOUT]


def build_world(db: Session) -> World:
    agencies = {
        "police": make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT),
        "school": make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS),
        "fusion": make_agency(db, kind=AgencyKind.FUSION_CENTER, is_operator=True),
        "county": make_agency(db, kind=AgencyKind.EMERGENCY_MANAGEMENT),
    }
    users = {
        "police_analyst": make_user(db, agency=agencies["police"], roles={Role.ANALYST}),
        "police_supervisor": make_user(db, agency=agencies["police"], roles={Role.SUPERVISOR}),
        "police_red_reader": make_user(db, agency=agencies["police"], roles={Role.ANALYST}),
        "school_assessor": make_user(db, agency=agencies["school"], roles={Role.THREAT_ASSESSMENT}),
        "fusion_analyst": make_user(db, agency=agencies["fusion"], roles={Role.ANALYST}),
        "county_operator": make_user(db, agency=agencies["county"], roles={Role.TIPLINE_OPERATOR}),
        "police_admin": make_user(db, agency=agencies["police"], roles={Role.AGENCY_ADMIN}),
        "fusion_auditor": make_user(db, agency=agencies["fusion"], roles={Role.AUDITOR}),
    }
    reports: dict[str, Report] = {}
    for label, owner, marking, file_class, routed, shared, word in LAYOUT:
        reports[label] = make_report(
            db,
            agency=agencies[owner],
            routed_to=agencies[routed] if routed else None,
            marking=marking,
            file_class=file_class,
            shared_with=[agencies[name] for name in shared],
            recipients=[users["police_red_reader"], users["school_assessor"]]
            if marking == "RED"
            else [],
            narrative=FILLER.format(word=word),
        )
    reports["mention_only"] = make_report(
        db,
        agency=agencies["fusion"],
        marking="GREEN",
        narrative=FILLER.format(word="umber"),
        mentions=[
            {
                "given_name": "Thaddeus",
                "family_name": "Wolcott",
                "emails": ["t.wolcott@example.org"],
                "handles": ["@wolcott_rides"],
            }
        ],
    )
    return World(
        agencies=agencies,
        actors={name: actor_for(user) for name, user in users.items()},
        reports=reports,
        by_id={report.id: label for label, report in reports.items()},
    )


@pytest.fixture()
def world(db: Session) -> World:
    return build_world(db)


READERS = (
    "police_analyst",
    "police_supervisor",
    "police_red_reader",
    "school_assessor",
    "fusion_analyst",
    "county_operator",
)


def test_the_world_covers_every_visibility_case(world: World) -> None:
    """The layout is only useful if each reader sees a different slice of it."""
    slices = {name: frozenset(world.visible(world.actors[name])) for name in READERS}
    assert slices["police_analyst"] == slices["police_supervisor"]  # role differs only
    assert len(set(slices.values())) == len(READERS) - 1
    assert all(len(visible) < len(world.reports) for visible in slices.values())
    assert "red_named" in slices["police_red_reader"]
    assert "red_named" not in slices["police_analyst"]  # RED: named users only
    assert "strict_shared" not in slices["fusion_analyst"]
    assert "green_intel" not in slices["fusion_analyst"]
    assert "green_intel_shared" in slices["county_operator"]
    assert [name for name, seen in slices.items() if "secret" in seen] == ["school_assessor"]


# --- results, totals and snippets equal the visible matching reports --------------------


def matching(world: World, query: str) -> set[str]:
    wanted = words(query)
    return {label for label in world.reports if wanted <= world.document_words(label)}


def every_page(db: Session, actor: Actor, query: str, limit: int = 100) -> SearchPage:
    page = search_reports(db, actor=actor, query=query, limit=limit)
    items = list(page.items)
    while len(items) < page.total:
        more = search_reports(db, actor=actor, query=query, limit=limit, offset=len(items))
        assert (more.total, more.capped) == (page.total, page.capped)
        assert more.items, "a page came back empty before the total was reached"
        items += more.items
    return SearchPage(items, page.total, page.capped)


def check_snippets(world: World, page: SearchPage, query: str, hidden_words: set[str]) -> None:
    for hit in page.items:
        shown = words("".join(piece.text for piece in hit.snippet))
        assert shown, f"empty snippet for {world.by_id[hit.id]}"
        assert shown <= world.document_words(world.by_id[hit.id]), "snippet from another report"
        assert not shown & hidden_words, f"snippet shows words of a hidden report: {query}"
        highlighted = {word for piece in hit.snippet if piece.matched for word in words(piece.text)}
        assert highlighted and highlighted <= words(query), (query, hit.snippet)


QUERIES = [
    "harbor",
    "Harbor depot",
    "HARBOR",
    "keyword noted",
    *UNIQUE_WORDS,
    *(f"harbor {word}" for word in UNIQUE_WORDS),
    *(f"{a} {b}" for a, b in itertools.combinations(UNIQUE_WORDS[:6], 2)),
    "thaddeus",
    "Wolcott",
    "wolcott thaddeus",
    "umber wolcott",
    f"{SECRET} harbor",
    SECRET.upper(),
]


@pytest.mark.parametrize("reader", READERS)
def test_results_totals_and_snippets_are_exactly_the_visible_matches(
    db: Session, world: World, reader: str
) -> None:
    actor = world.actors[reader]
    visible = world.visible(actor)
    hidden_words = set().union(*(world.document_words(label) for label in world.reports))
    hidden_words -= set().union(*(world.document_words(label) for label in visible))
    for query in QUERIES:
        page = every_page(db, actor, query, limit=4)  # several pages per query
        expected = matching(world, query) & visible
        assert world.labels(page) == expected, query
        assert page.total == len(expected) == len(page.items), query
        assert len({hit.id for hit in page.items}) == len(page.items), f"repeated: {query}"
        check_snippets(world, page, query, hidden_words)


@pytest.mark.parametrize("reader", READERS)
def test_a_word_only_in_an_invisible_report_reveals_nothing(
    db: Session, world: World, reader: str
) -> None:
    actor = world.actors[reader]
    sees_secret = "secret" in world.visible(actor)
    for query in (SECRET, f'"{SECRET}"', f"{SECRET} harbor", f"keyword {SECRET}"):
        page = search_reports(db, actor=actor, query=query)
        assert page.total == len(page.items) == (1 if sees_secret else 0)
    broad = every_page(db, actor, "harbor")
    snippets = " ".join(hit.marked_snippet for hit in broad.items).casefold()
    assert (SECRET in snippets) == sees_secret
    assert ("secret" in world.labels(broad)) == sees_secret


@pytest.mark.parametrize("window", [1, 2, 3])
@pytest.mark.parametrize(
    "plan", ["as planned", "walked ranges", "blocks of ids", "a few blocks at a time"]
)
@pytest.mark.parametrize("reader", READERS)
def test_a_capped_search_counts_and_ranks_the_newest_visible_matches_only(
    db: Session,
    world: World,
    reader: str,
    window: int,
    plan: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With more visible matches than the window, the total stops at the window and the
    results are the newest visible matches: reports the actor may not read neither
    fill the window nor count towards the cap. On PostgreSQL, ``plan`` makes the search
    go through ranges of ids (walked backwards, or blocks of two ids asked of the
    index, at most two blocks a statement and then the rest at once) with statistics
    of the table: the outcome is the same."""
    monkeypatch.setattr(search, "RESULT_WINDOW", window)
    if plan != "as planned" and db.get_bind().dialect.name == "postgresql":
        db.execute(text("ANALYZE report_search"))  # rolled back with the test
        assert search.rarest_common_word(db, parse_query("harbor")) is not None
        monkeypatch.setattr(search, "LIKELY_READABLE_SHARE", 1.0)  # ranges of a few ids
        if plan != "walked ranges":
            monkeypatch.setattr(search, "WALK_IDS", 0)
            # Blocks of two ids (the index then serves the words only): many blocks.
            monkeypatch.setattr(search, "BLOCK_BITS", 1)
        if plan == "a few blocks at a time":
            monkeypatch.setattr(search, "MAX_BLOCKS", 2)
    actor = world.actors[reader]
    visible = world.visible(actor)
    hidden_words = set().union(*(world.document_words(label) for label in world.reports))
    hidden_words -= set().union(*(world.document_words(label) for label in visible))
    for query in QUERIES:
        page = every_page(db, actor, query, limit=2)
        expected = matching(world, query) & visible
        newest = sorted(expected, key=lambda label: world.reports[label].id)[-window:]
        assert world.labels(page) == set(newest), query
        assert page.total == min(len(expected), window) == len(page.items), query
        assert page.capped == (len(expected) > window), query
        check_snippets(world, page, query, hidden_words)


def test_the_index_finds_the_matches_of_a_block_itself(db: Session, world: World) -> None:
    """PostgreSQL: a search of blocks of ids asks the GIN index for the words and the
    block together, once per block (migration 0008's expression is the one the search
    spells), so no row outside the blocks is read."""
    if db.get_bind().dialect.name != "postgresql":
        return
    definition = db.execute(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_report_search_blocks'")
    ).scalar_one()
    assert f"(report_id >> {search.BLOCK_BITS})" in definition
    # The tables are tiny here: only the index may serve them, and it must take both.
    db.execute(text("SET LOCAL enable_seqscan = off"))
    db.execute(text("SET LOCAL enable_indexscan = off"))
    statement = search.window_statement(
        "postgresql", parse_query("harbor depot"), true(), limit=10, blocks=range(1, -1, -1)
    )
    compiled = statement.compile(dialect=db.get_bind().dialect)
    explained = db.connection().exec_driver_sql(
        f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {compiled}", compiled.params
    )
    plan = list(explained.scalars())
    scans = [
        (line, condition)
        for line, condition in itertools.pairwise(plan)
        if "Bitmap Index Scan on ix_report_search_blocks" in line
    ]
    # One scan of the index, with the block as its condition beside the words, run once
    # for each of the two blocks.
    assert len(scans) == 1, "\n".join(plan)
    line, condition = scans[0]
    assert "@@" in condition and f"(report_id >> {search.BLOCK_BITS}) = block.n" in condition
    assert "loops=2" in line, "\n".join(plan)


def test_pages_are_disjoint_stable_and_add_up_to_the_total(db: Session, world: World) -> None:
    actor = world.actors["police_analyst"]
    whole = search_reports(db, actor=actor, query="harbor", limit=100)
    for size in (1, 2, 3, 5):
        paged = every_page(db, actor, "harbor", limit=size)
        assert [hit.id for hit in paged.items] == [hit.id for hit in whole.items]
        assert paged.total == whole.total
    beyond = search_reports(db, actor=actor, query="harbor", offset=whole.total + 5)
    assert beyond.items == [] and beyond.total == whole.total


def test_only_readers_may_search(db: Session, world: World) -> None:
    for name in ("police_admin", "fusion_auditor"):
        with pytest.raises(PermissionDenied):
            search_reports(db, actor=world.actors[name], query="harbor")
    with pytest.raises(PermissionDenied):
        search_reports(db, actor=command_line("tester"), query="harbor")


# --- what the user types is never query syntax ------------------------------------------

PUNCTUATION_ONLY = ['"', "*", ":", "&", "!", "(", ")", '""', '" "', "()", "-", "^", "…", "☕", "«»"]
SAME_AS_HARBOR = [
    "harbor*",
    '"harbor',
    'harbor"',
    "(harbor",
    "harbor)",
    "!harbor",
    "^harbor",
    "harbor:*",
    "-harbor",
    "+harbor",
    "{harbor}",
    "harbor;",
    "harbor'",
    "“harbor”",
    "harbor\\",
    "%harbor%",
    "_harbor_",
    "harbor &",
    "harbor |",
]
NOTHING = [
    "NEAR(",
    "NEAR(harbor kestrel)",
    "col:term",
    "document:harbor",
    "a OR b",
    "'; DROP TABLE reports; --",
    "harbor AND NEAR",
    "x" * 200,
]


@pytest.mark.parametrize("query", [*PUNCTUATION_ONLY, "", "   ", "\t\n"])
def test_queries_without_a_word_get_a_clear_message(db: Session, world: World, query: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        search_reports(db, actor=world.actors["fusion_analyst"], query=query)
    assert set(refused.value.errors) == {"q"}


def test_a_query_longer_than_200_characters_is_refused(db: Session, world: World) -> None:
    actor = world.actors["fusion_analyst"]
    longest = "harbor" + " " * 189 + "depot"
    assert len(longest) == 200
    assert search_reports(db, actor=actor, query=longest).total > 0
    with pytest.raises(InvalidInput, match="at most 200"):
        search_reports(db, actor=actor, query=longest + "s")


def test_operators_and_fts_syntax_are_plain_text(db: Session, world: World) -> None:
    for reader in READERS:
        actor = world.actors[reader]
        harbor = world.labels(search_reports(db, actor=actor, query="harbor", limit=100))
        for query in SAME_AS_HARBOR:
            page = search_reports(db, actor=actor, query=query, limit=100)
            assert world.labels(page) == harbor and page.total == len(harbor), query
        for query in NOTHING:
            page = search_reports(db, actor=actor, query=query)
            assert page.total == 0 and page.items == [], query
    assert db.execute(select(Report.id)).first() is not None  # the table survived


def test_or_and_not_are_never_operators(db: Session, world: World) -> None:
    """'kestrel OR lantern' must not widen the search to either word."""
    actor = world.actors["police_analyst"]
    page = search_reports(db, actor=actor, query="kestrel OR lantern")
    # SQLite needs the word "or" too; PostgreSQL drops it as a stop word: both mean AND.
    assert page.total == 0
    for query in ("harbor NOT kestrel", "harbor -kestrel", "harbor AND NOT kestrel"):
        # Never "harbor without kestrel": at most the report that has both words.
        found = world.labels(search_reports(db, actor=actor, query=query))
        assert found <= {"amber_own"}, query


def test_query_parsing_keeps_only_words_and_phrases() -> None:
    parsed = parse_query('kestrel "red pickup truck" NEAR(x y) col:term AR-15 "unclosed')
    assert [term.words for term in parsed.terms] == [
        ("kestrel",),
        ("red", "pickup", "truck"),
        ("NEAR", "x"),
        ("y",),
        ("col", "term"),
        ("AR", "15"),
        ("unclosed",),
    ]
    assert (
        parsed.fts5() == '"kestrel" "red pickup truck" "NEAR x" "y" "col term" "AR 15" "unclosed"'
    )
    assert parse_query("“smart quotes”").terms[0].words == ("smart", "quotes")


def test_stop_words_alone_get_a_message_on_postgresql(db: Session, world: World) -> None:
    actor = world.actors["fusion_analyst"]
    if db.get_bind().dialect.name != "postgresql":
        assert search_reports(db, actor=actor, query="the").total > 0  # FTS5 keeps them
        return
    with pytest.raises(InvalidInput, match="too common"):
        search_reports(db, actor=actor, query="the and of")


# --- phrases, ranking, Unicode, mentions, re-indexing, purges ----------------------------


def test_a_quoted_phrase_needs_its_words_in_order(db: Session, world: World) -> None:
    agency = make_agency(db)
    actor = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    in_order = make_report(db, agency=agency, narrative="A red pickup truck idled by the gym.")
    scattered = make_report(db, agency=agency, narrative="The pickup was red; a truck came later.")
    both = {in_order.id, scattered.id}
    assert {h.id for h in search_reports(db, actor=actor, query="red pickup truck").items} == both
    phrase = search_reports(db, actor=actor, query='"red pickup truck"')
    assert [hit.id for hit in phrase.items] == [in_order.id]
    highlighted = [words(piece.text) for piece in phrase.items[0].snippet if piece.matched]
    assert set().union(*highlighted) == {"red", "pickup", "truck"}


def test_rank_first_then_urgency_then_recency(db: Session, world: World) -> None:
    agency = make_agency(db)
    actor = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    now = utcnow()
    plain = "He said the word quokka once, among many other words about the weekend trip."
    dense = make_report(db, agency=agency, narrative="Quokka quokka quokka.", level="low")
    low_new = make_report(db, agency=agency, narrative=plain, level="low", reported_at=now)
    high_old = make_report(
        db, agency=agency, narrative=plain, level="high", reported_at=now - timedelta(days=9)
    )
    low_old = make_report(
        db, agency=agency, narrative=plain, level="low", reported_at=now - timedelta(days=3)
    )
    order = [hit.id for hit in search_reports(db, actor=actor, query="quokka").items]
    assert order == [dense.id, high_old.id, low_new.id, low_old.id]
    assert [hit.level for hit in search_reports(db, actor=actor, query="quokka").items] == [
        "low",
        "high",
        "low",
        "low",
    ]


UNICODE = "José Núñez met Дмитрий in 東京 ☕ near Zoë's café; O'Brien sold an AR-15."


@pytest.mark.parametrize(
    "query", ["Núñez", "NÚÑEZ", "josé", "Дмитрий", "дмитрий", "東京", "O'Brien", "AR-15", "zoë"]
)
def test_unicode_words_are_found(db: Session, world: World, query: str) -> None:
    agency = make_agency(db)
    actor = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    report = make_report(db, agency=agency, narrative=UNICODE)
    page = search_reports(db, actor=actor, query=query)
    assert [hit.id for hit in page.items] == [report.id]
    assert any(piece.matched for piece in page.items[0].snippet)


@pytest.mark.parametrize("query", ["nunez", "Jose", "cafe", "zoe"])
def test_diacritics_are_folded(db: Session, world: World, query: str) -> None:
    agency = make_agency(db)
    actor = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    report = make_report(db, agency=agency, narrative=UNICODE)
    page = search_reports(db, actor=actor, query=query)
    assert [hit.id for hit in page.items] == [report.id]
    assert any(piece.matched for piece in page.items[0].snippet)


@pytest.mark.parametrize(
    "query",
    [
        "Thaddeus",
        "wolcott thaddeus",
        '"Thaddeus Wolcott"',
        "t.wolcott@example.org",
        "wolcott_rides",
    ],
)
def test_a_name_only_in_a_mention_is_found(db: Session, world: World, query: str) -> None:
    page = search_reports(db, actor=world.actors["county_operator"], query=query)
    assert world.labels(page) == {"mention_only"}
    assert "thaddeus" not in world.reports["mention_only"].narrative.casefold()


def test_an_edited_report_is_found_by_its_new_words_only(db: Session, world: World) -> None:
    actor = world.actors["police_analyst"]
    report = world.reports["amber_own"]
    report.narrative = "The caller now says the parcel was left at the ferry terminal."
    report.mentions.append(Mention(role="subject", given_name="Ignatius", family_name="Pell"))
    db.flush()
    assert search_reports(db, actor=actor, query="kestrel").total == 1  # not yet re-indexed
    search.index_report(db, report)
    assert search_reports(db, actor=actor, query="kestrel").total == 0
    for query in ("ferry terminal", "Ignatius Pell", "parcel"):
        assert world.labels(search_reports(db, actor=actor, query=query)) == {"amber_own"}
    index_rows = db.execute(text("SELECT count(*) FROM report_search")).scalar_one()
    assert index_rows == len(world.reports)


def test_a_purged_report_leaves_the_index(db: Session, world: World, settings: Settings) -> None:
    actor = world.actors["police_analyst"]
    report = world.reports["amber_own"]
    report.purge_due_at = utcnow() - timedelta(days=1)
    db.flush()
    report_id = report.id
    retention.run_retention(db, actor=command_line("tester"), settings=settings)
    assert db.get(Report, report_id) is None
    assert search_reports(db, actor=actor, query="kestrel").total == 0
    key = "report_id" if db.get_bind().dialect.name == "postgresql" else "rowid"
    left = db.execute(
        text(f"SELECT count(*) FROM report_search WHERE {key} = :id"), {"id": report_id}
    ).scalar_one()
    assert left == 0  # SQLite's FTS5 table has no foreign key: the purge must delete it


def test_markers_in_a_narrative_cannot_fake_a_highlight(db: Session, world: World) -> None:
    agency = make_agency(db)
    actor = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    make_report(
        db, agency=agency, narrative="Marker \x02fake\x03 and «quoted» text near the wombat."
    )
    [hit] = search_reports(db, actor=actor, query="wombat").items
    assert [piece.text for piece in hit.snippet if piece.matched] == ["wombat"]
    assert "‹quoted›" in hit.marked_snippet and "«wombat»" in hit.marked_snippet
    assert hit.marked_snippet.count("«") == 1


def test_snippet_pieces_split_on_the_markers_only() -> None:
    pieces = snippet_pieces("a \x02b\x03 <c> \x02d\x03\x02e\x03")
    assert [(p.text, p.matched) for p in pieces] == [
        ("a ", False),
        ("b", True),
        (" <c> ", False),
        ("de", True),
    ]
    assert snippet_pieces(None) == ()


# --- auditing ---------------------------------------------------------------------------


def test_every_search_is_audited_without_the_query(db: Session, world: World) -> None:
    actor = world.actors["fusion_analyst"]
    query = "Thaddeus Wolcott"
    page = search_reports(db, actor=actor, query=query)
    event = (
        db.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "report.search")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event is not None and event.actor_id == actor.user_id
    assert event.details == {"results": page.total, "capped": False, "returned": 1, "offset": 0}
    stored = json.dumps([getattr(event, c.key) for c in AuditEvent.__table__.columns], default=str)
    assert "thaddeus" not in stored.casefold() and "wolcott" not in stored.casefold()


# --- through HTTP ----------------------------------------------------------------------


@dataclass
class Site:
    app: Any
    settings: Settings
    session_factory: sessionmaker[Session]
    world: World

    def browser(self, name: str) -> Any:
        user_id = self.world.actors[name].user_id
        assert user_id is not None
        return sign_in(self.app, self.settings, self.session_factory, user_id)

    def token(self, name: str) -> dict[str, str]:
        user_id = self.world.actors[name].user_id
        assert user_id is not None
        return api_token(self.session_factory, user_id)

    def receipts(self, labels: Iterable[str]) -> set[str]:
        return {self.world.reports[label].receipt_number for label in labels}


@pytest.fixture()
def site(settings: Settings, session_factory: sessionmaker[Session]) -> Site:
    with session_factory() as db:
        world = build_world(db)
        # Enough matching reports for two pages, and one whose text tries to be HTML.
        county = world.agencies["county"]
        for number in range(22):
            world.reports[f"quokka_{number}"] = make_report(
                db, agency=county, marking="GREEN", narrative=f"Quokka sighting number {number}."
            )
        world.reports["html"] = make_report(
            db,
            agency=county,
            marking="GREEN",
            narrative='<script>alert("x")</script> <b>bold</b> wombat «guillemets» & more',
        )
        world.by_id = {report.id: label for label, report in world.reports.items()}
        db.commit()
    return Site(make_app(settings, session_factory), settings, session_factory, world)


def test_search_page_lists_exactly_the_visible_matches(site: Site) -> None:
    for name in ("police_analyst", "fusion_analyst", "school_assessor"):
        browser = site.browser(name)
        response = browser.get("/search", params={"q": "harbor"})
        assert response.status_code == 200
        expected = matching(site.world, "harbor") & site.world.visible(site.world.actors[name])
        shown = set(re.findall(r'href="/reports/\d+">([^<]+)</a>', response.text))
        assert shown == site.receipts(expected)
        assert f"{len(expected)} results" in response.text
        assert "<mark>harbor</mark>" in response.text
        assert (SECRET in response.text) == ("secret" in expected)


def test_search_page_escapes_report_text_and_marks_only_matches(site: Site) -> None:
    response = site.browser("county_operator").get("/search", params={"q": "wombat"})
    assert response.status_code == 200
    assert "1 result" in response.text
    assert "<script>alert" not in response.text and "<b>bold" not in response.text
    assert "wombat</mark> «guillemets» &amp; more" in response.text
    if site.settings.resolved_database_url.startswith("sqlite"):
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &lt;b&gt;bold" in response.text
    # (PostgreSQL's ts_headline drops what its parser reads as HTML tags.)
    assert "<mark>wombat</mark>" in response.text
    assert response.text.count("<mark>") == 1


def test_search_page_paginates(site: Site) -> None:
    browser = site.browser("police_analyst")
    first = browser.get("/search", params={"q": "quokka"})
    assert "22 results, page 1 of 2" in first.text
    assert first.text.count("<mark>") == 20
    assert 'href="?q=quokka&amp;page=2"' in first.text
    second = browser.get("/search", params={"q": "quokka", "page": 2})
    assert second.text.count("<mark>") == 2 and 'href="?q=quokka&amp;page=1"' in second.text
    seen = set(re.findall(r'href="/reports/(\d+)"', first.text + second.text))
    assert len(seen) == 22


def test_page_and_api_say_when_the_count_is_capped(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "RESULT_WINDOW", 5)
    newest = sorted(
        (report.id, report.receipt_number)
        for label, report in site.world.reports.items()
        if label.startswith("quokka_")
    )[-5:]
    page = site.browser("police_analyst").get("/search", params={"q": "quokka"})
    assert page.status_code == 200
    assert "More than 5 results" in page.text and "22 results" not in page.text
    assert "best matches among the 5 most recently received" in page.text
    assert set(re.findall(r'href="/reports/\d+">([^<]+)</a>', page.text)) == {
        receipt for _, receipt in newest
    }
    client = site.browser("fusion_analyst").http
    headers = site.token("fusion_analyst")
    body = client.get("/api/v1/search", params={"q": "quokka"}, headers=headers).json()
    assert (body["total"], body["capped"]) == (5, True)
    assert sorted(item["id"] for item in body["items"]) == [report_id for report_id, _ in newest]
    body = client.get("/api/v1/search", params={"q": "wombat"}, headers=headers).json()
    assert (body["total"], body["capped"]) == (1, False)


def test_search_page_explains_bad_queries_without_failing(site: Site) -> None:
    browser = site.browser("police_analyst")
    empty = browser.get("/search")
    assert empty.status_code == 200 and 'id="q"' in empty.text and "result" not in empty.text
    for query, message in (
        ("***", "punctuation alone"),
        ("", "Enter a word"),
        ("x" * 201, "at most 200"),
        ('NEAR( "', "0 results"),
    ):
        response = browser.get("/search", params={"q": query})
        assert response.status_code in (200, 422), query
        assert message in response.text, query
    assert browser.get("/search", params={"q": "x" * 3000}).status_code == 422


def test_search_page_and_api_refuse_non_readers(site: Site) -> None:
    assert site.browser("fusion_auditor").get("/search").status_code == 403
    auditor = site.token("fusion_auditor")
    assert site.browser("police_admin").get("/search?q=harbor").status_code == 403
    client = site.browser("fusion_auditor").http
    assert client.get("/api/v1/search?q=harbor", headers=auditor).status_code == 403


@pytest.mark.parametrize("role", list(Role))
def test_the_search_link_is_shown_to_exactly_those_who_may_search(
    settings: Settings, session_factory: sessionmaker[Session], role: Role
) -> None:
    with session_factory() as db:
        agency = make_agency(db, is_operator=role is Role.SYSTEM_ADMIN)
        user = make_user(db, agency=agency, roles={role})
        may = policy.decide(actor_for(user), "search", "report")
        db.commit()
        user_id = user.id
    app = make_app(settings, session_factory)
    page = sign_in(app, settings, session_factory, user_id).get("/account")
    assert page.status_code == 200
    assert ('href="/search"' in page.text) == may


def test_api_returns_marked_plain_text_snippets_and_totals(site: Site) -> None:
    client = site.browser("fusion_analyst").http
    headers = site.token("fusion_analyst")
    visible = site.world.visible(site.world.actors["fusion_analyst"])
    expected = matching(site.world, "harbor") & visible
    response = client.get("/api/v1/search", params={"q": "harbor", "limit": 3}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(expected) and len(body["items"]) == 3
    assert body["limit"] == 3 and body["offset"] == 0
    collected = list(body["items"])
    while len(collected) < body["total"]:
        more = client.get(
            "/api/v1/search",
            params={"q": "harbor", "limit": 3, "offset": len(collected)},
            headers=headers,
        ).json()
        collected += more["items"]
    assert {item["receipt_number"] for item in collected} == site.receipts(expected)
    assert body["capped"] is False
    for item in collected:
        assert set(item) == {"id", "receipt_number", "kind", "level", "reported_at", "snippet"}
        assert "«harbor»" in item["snippet"] and "\x02" not in item["snippet"]
    html = client.get("/api/v1/search", params={"q": "wombat"}, headers=headers).json()
    [item] = html["items"]
    assert "«wombat» ‹guillemets› & more" in item["snippet"]  # plain text, not HTML
    if site.settings.resolved_database_url.startswith("sqlite"):
        assert item["snippet"].startswith('<script>alert("x")</script> <b>bold</b>')


def test_api_refuses_bad_queries_with_problem_details(site: Site) -> None:
    client = site.browser("fusion_analyst").http
    headers = site.token("fusion_analyst")
    for params in ({"q": "((("}, {"q": ""}, {"q": "y" * 201}):
        response = client.get("/api/v1/search", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [error["field"] for error in response.json()["errors"]] == ["q"]
        assert "(((" not in response.text and "y" * 50 not in response.text
    malformed: list[dict[str, Any]] = [{}, {"q": "harbor", "limit": 0}, {"q": "a", "limit": 101}]
    for bad in malformed:
        assert client.get("/api/v1/search", params=bad, headers=headers).status_code == 422
    anonymous = TestClient(site.app, raise_server_exceptions=False)
    assert anonymous.get("/api/v1/search", params={"q": "harbor"}).status_code == 401


def test_http_searches_are_audited_without_the_query(site: Site) -> None:
    client = site.browser("county_operator")
    response = client.get("/search", params={"q": "Thaddeus"})
    request_id = response.headers["x-request-id"]
    with site.session_factory() as db:
        events = (
            db.execute(select(AuditEvent).where(AuditEvent.request_id == request_id))
            .scalars()
            .all()
        )
    assert [event.action for event in events] == ["report.search"]
    assert events[0].details == {"results": 1, "capped": False, "returned": 1, "offset": 0}
    assert "thaddeus" not in json.dumps(events[0].details).casefold()
