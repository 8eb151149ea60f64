"""Full-text search over report narratives and mentions: SQLite FTS5 or PostgreSQL
tsvector (GIN), always filtered by the policy inside the query.

What a user types never reaches FTS5's query syntax or ``to_tsquery``. It is cut into
terms (a run of text between spaces, or a "quoted phrase"); every term must match,
a phrase as consecutive words. On SQLite each term becomes an FTS5 string holding
only its letters and digits, so AND, OR, NOT, NEAR, ``*``, ``^``, ``col:`` and
parentheses are plain words or nothing. On PostgreSQL each term is a bound parameter
of ``phraseto_tsquery``, whose parser knows no operators, and the terms are joined
with ``&&``.

A search does a bounded amount of work however many reports match: it takes the
newest 1,000 matches the actor may read (``RESULT_WINDOW``; by id, the order reports
were received), counts them, ranks them, and fetches the rows and snippets of one
page. When more match, the total says "more than 1,000" (``capped``) and the results
are the best of those newest 1,000. The policy's condition is inside every statement
that reads reports or the index: nothing about a report the actor may not read can
reach a result, a count or a snippet.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    Text,
    bindparam,
    case,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.reports.models import Report
from vigil.reports.vocabulary import UrgencyLevel

MAX_QUERY_CHARS = 200
MAX_LIMIT = 100
# The newest matches a search ranks and counts; beyond it, the total says "more than".
RESULT_WINDOW = 1_000
MAX_OFFSET = RESULT_WINDOW - 1
# PostgreSQL: what share of the reports a reader is assumed to see when sizing the
# first range of ids to search (the next range is sized from what the first held),
# and how many ranges at most before the rest is searched in one go.
LIKELY_READABLE_SHARE = 0.2
WINDOW_STEPS = 4
# Reading the newest ids backwards costs about 2 microseconds a report: below this
# many, cheaper than a GIN bitmap of a common word (100,000 ids and more).
WALK_IDS = 50_000
# PostgreSQL: ids come in blocks of 2**BLOCK_BITS (16,384), and the GIN index holds each
# report's block beside its words (migration 0008), so the index alone finds a query's
# matches within a few blocks: one equality per block, which GIN intersects with the
# words' posting lists without visiting the rows of other blocks. A range (``>=``)
# would make GIN collect every id in it first, as slow as the primary key's bitmap.
BLOCK_BITS = 14
# At most this many blocks in one statement (each is a scan of the index).
MAX_BLOCKS = 64
# The API marks matched words in a snippet with this pair; the same characters in a
# report's own text are shown as single guillemets, so every pair is a match.
MARK_START, MARK_END = "«", "»"
_OWN_GUILLEMETS = str.maketrans({MARK_START: "‹", MARK_END: "›"})
# What the database wraps matched words in. document_for removes these two control
# characters from every stored document, so a marker in a snippet is always one the
# database put there.
_HIT_START, _HIT_END = "\x02", "\x03"
_NO_MARKERS = str.maketrans({_HIT_START: " ", _HIT_END: " "})
_MARKER = re.compile(f"([{_HIT_START}{_HIT_END}])")
ELLIPSIS = "…"
SNIPPET_TOKENS = 32  # SQLite: tokens per snippet (FTS5 allows 1-64)
HEADLINE_OPTIONS = (  # PostgreSQL: about the same length, in up to two fragments
    f"StartSel={_HIT_START}, StopSel={_HIT_END}, MaxWords=32, MinWords=12, ShortWord=3, "
    f'MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "'
)
# Letters and digits, as FTS5's unicode61 tokenizer reads a word (underscore splits).
_WORD = re.compile(r"[^\W_]+")
_CURLY_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u201f\uff02", '"'))
# A constant, never user input: the text search configuration of the stored tsvector
# (English stemming after unaccent: migration 0005).
SEARCH_CONFIG = "vigil_english"
_CONFIG: ColumnElement[Any] = literal_column(f"'{SEARCH_CONFIG}'::regconfig")
LEVEL_RANK = {
    UrgencyLevel.IMMINENT.value: 0,
    UrgencyLevel.HIGH.value: 1,
    UrgencyLevel.MODERATE.value: 2,
    UrgencyLevel.LOW.value: 3,
}

# The index tables, made by migration 0002 by hand (not models: FTS5 is a virtual table).
_FTS5 = table("report_search", column("rowid", Integer), column("document", Text))
_TSV = table(
    "report_search",
    column("report_id", Integer),
    column("document", Text),
    column("document_tsv", TSVECTOR),
)


# --- the index ------------------------------------------------------------------------


def document_for(report: Report) -> str:
    """What search sees of a report: its narrative, place, target and every mention."""
    parts = [
        report.narrative,
        report.location_text or "",
        report.target_name or "",
        " ".join(report.weapons or []),
    ]
    for mention in report.mentions:
        parts.extend(
            [
                mention.given_name or "",
                mention.middle_name or "",
                mention.family_name or "",
                " ".join(mention.aliases or []),
                " ".join(mention.handles or []),
                " ".join(mention.emails or []),
                " ".join(mention.phones or []),
                mention.school_or_employer or "",
                mention.description or "",
                " ".join(mention.addresses or []),
            ]
        )
    return "\n".join(part for part in parts if part).translate(_NO_MARKERS)


def index_report(db: Session, report: Report, *, new: bool = False) -> None:
    """(Re)write the report's search document in the caller's transaction; ``new``: the
    report was just filed, so it has none to remove."""
    if not new:
        remove_from_index(db, report.id)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            text("INSERT INTO report_search (report_id, document) VALUES (:id, :doc)"),
            {"id": report.id, "doc": document_for(report)},
        )
    else:
        db.execute(
            text("INSERT INTO report_search (rowid, document) VALUES (:id, :doc)"),
            {"id": report.id, "doc": document_for(report)},
        )


def remove_from_index(db: Session, report_id: int) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("DELETE FROM report_search WHERE report_id = :id"), {"id": report_id})
    else:
        db.execute(text("DELETE FROM report_search WHERE rowid = :id"), {"id": report_id})


# --- the query as the user typed it -----------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One thing that must match: a word (or a run like ``AR-15`` or an e-mail address,
    matched as consecutive words) or a quoted phrase."""

    text: str  # as typed, quotes removed: PostgreSQL's parser reads it itself
    words: tuple[str, ...]  # its letters and digits, for FTS5


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...]

    def fts5(self) -> str:
        """The FTS5 MATCH expression: one string per term, implicitly ANDed. Words hold
        only letters and digits, so nothing in them is FTS5 syntax."""
        return " ".join('"' + " ".join(term.words) + '"' for term in self.terms)


def parse_query(raw: str) -> SearchQuery:
    """Cut what the user typed into terms, or say clearly why it cannot be searched."""
    typed = raw.strip()
    if not typed:
        raise InvalidInput({"q": 'Enter a word, a name or a "quoted phrase" to search for.'})
    if len(typed) > MAX_QUERY_CHARS:
        raise InvalidInput(
            {"q": f"Enter at most {MAX_QUERY_CHARS} characters: a few distinctive words."}
        )
    pieces = typed.translate(_CURLY_QUOTES).split('"')
    if len(pieces) % 2 == 0:  # an unclosed quote: what follows it is ordinary words
        pieces[-2:] = [pieces[-2] + " " + pieces[-1]]
    terms: list[Term] = []
    for index, piece in enumerate(pieces):
        chunks = [piece] if index % 2 else piece.split()
        for chunk in chunks:
            words = tuple(_WORD.findall(chunk))
            if words:
                terms.append(Term(" ".join(chunk.split()), words))
    if not terms:
        raise InvalidInput(
            {"q": "Enter at least one word or number: punctuation alone cannot be searched."}
        )
    return SearchQuery(tuple(terms))


def tsquery(query: SearchQuery) -> ColumnElement[Any]:
    """PostgreSQL: the terms as bound parameters of phraseto_tsquery, ANDed."""
    parts = [
        func.phraseto_tsquery(_CONFIG, bindparam(f"term_{index}", term.text, type_=Text))
        for index, term in enumerate(query.terms)
    ]
    combined: ColumnElement[Any] = parts[0]
    for part in parts[1:]:
        combined = combined.op("&&", return_type=TSQUERY)(part)
    return combined


# --- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class SnippetPiece:
    text: str
    matched: bool


@dataclass(frozen=True)
class SearchHit:
    id: int
    receipt_number: str
    kind: str
    level: str
    reported_at: datetime
    snippet: tuple[SnippetPiece, ...]

    @property
    def marked_snippet(self) -> str:
        """Plain text with matched words between « and » (the API's form)."""
        return marked(self.snippet)


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchHit]
    total: int  # matches the actor may read, at most RESULT_WINDOW
    capped: bool = False  # more than RESULT_WINDOW match: total is a lower bound


def snippet_pieces(raw: str | None) -> tuple[SnippetPiece, ...]:
    """Split a snippet as the database marked it into plain and matched pieces (for the
    template to escape one by one)."""
    pieces: list[SnippetPiece] = []
    matched = False
    for part in _MARKER.split(raw or ""):
        if part in (_HIT_START, _HIT_END):
            matched = part == _HIT_START
        elif part and pieces and pieces[-1].matched == matched:
            pieces[-1] = SnippetPiece(pieces[-1].text + part, matched)
        elif part:
            pieces.append(SnippetPiece(part, matched))
    return tuple(pieces)


def marked(pieces: tuple[SnippetPiece, ...]) -> str:
    """The pieces as one plain text, matched words between « and »."""
    parts = []
    for piece in pieces:
        own = piece.text.translate(_OWN_GUILLEMETS)
        parts.append(f"{MARK_START}{own}{MARK_END}" if piece.matched else own)
    return "".join(parts)


# --- the statements -------------------------------------------------------------------


def level_rank() -> ColumnElement[int]:
    level = func.coalesce(Report.level_override, Report.urgency_level)
    return case(LEVEL_RANK, value=level, else_=9)


def index_match(
    dialect: str, query: SearchQuery
) -> tuple[Any, ColumnElement[Any], ColumnElement[bool]]:
    """The index table, its report key and the full-text condition for ``query``."""
    if dialect == "postgresql":
        return _TSV, _TSV.c.report_id, _TSV.c.document_tsv.op("@@")(tsquery(query))
    fts: ColumnElement[Any] = literal_column("report_search")
    matched = fts.op("MATCH")(bindparam("fts_query", query.fts5(), type_=Text))
    return _FTS5, _FTS5.c.rowid, matched


def block_of(key: ColumnElement[Any]) -> ColumnElement[int]:
    """PostgreSQL: the block of an id, spelled as the index's second column is (with a
    constant, not a parameter, for the planner to match the expression)."""
    return key.op(">>", return_type=Integer)(literal_column(str(BLOCK_BITS)))


def window_statement(
    dialect: str,
    query: SearchQuery,
    condition: ColumnElement[bool],
    *,
    limit: int,
    above: int | None = None,
    up_to: int | None = None,
    blocks: range | None = None,
    walk: bool = False,
) -> Select[Any]:
    """The newest ``limit`` reports (highest id first, ids in ``(above, up_to]``) that
    match ``query`` and satisfy ``condition``, with what ranks them: score (bm25 on
    SQLite, ts_rank_cd on PostgreSQL; lower is better here), urgency, time reported.

    Newest first is what keeps a search bounded: the walk stops after ``limit`` rows,
    and the score is computed for those rows only. On PostgreSQL, ``walk`` reads the
    newest ids one by one, and ``blocks`` asks the index for the matches in those
    blocks of ids only (a range must then lie within them)."""
    source, key, matched = index_match(dialect, query)
    if dialect != "postgresql":  # bm25 belongs to the MATCH's own statement
        score = func.bm25(literal_column("report_search")).label("score")
        statement = select(key.label("id"), level_rank().label("level_rank"), Report.reported_at)
        return (
            statement.add_columns(score)
            .select_from(source.join(Report, Report.id == key))
            .where(matched, condition)
            .order_by(key.desc())
            .limit(limit)
        )
    if walk:
        # No condition the GIN index can serve: the newest ids are read one by one.
        matched = func.ts_match_vq(_TSV.c.document_tsv, tsquery(query))
    found = select(_TSV.c.report_id, _TSV.c.document_tsv)
    if above is not None:
        found = found.where(key > above)
    if up_to is not None:
        found = found.where(key <= up_to)
    matches = found.where(matched)
    if blocks is not None:
        # One equality per block: the index's condition, whatever the planner makes of
        # the words' shares (it multiplies them as if independent, and would rather
        # filter a range than narrow the index's matches to it). The blocks are one
        # array parameter, each joined laterally to an index scan for its own block:
        # the statement's text is the same whatever the blocks, so it is built, compiled
        # and planned as one branch (a UNION ALL of a branch per block took longer to
        # build and compile in Python than to run, up to 64 branches). OFFSET 0 keeps
        # the lateral subquery a scan of its own per block: flattened, the planner may
        # rather match the words across the whole table once and join the blocks to the
        # result (it guessed 192 rows for "Crestwood City Hall", which has 13,621).
        block = (
            func.unnest(bindparam("blocks", list(blocks), type_=ARRAY(Integer)))
            .table_valued("n")
            .render_derived(name="block")
        )
        in_block = matches.where(block_of(key) == block.c.n).offset(0).lateral("in_block")
        matches = select(in_block.c.report_id, in_block.c.document_tsv).select_from(
            block.join(in_block, true())
        )
    # Sorted before the policy's join (PostgreSQL keeps a sorted subquery as it is), so
    # that the join reads reports newest first and stops at the limit.
    candidates = matches.order_by(matches.selected_columns.report_id.desc()).subquery("candidates")
    statement = select(
        candidates.c.report_id.label("id"),
        candidates.c.document_tsv,
        level_rank().label("level_rank"),
        Report.reported_at,
    ).select_from(candidates.join(Report, Report.id == candidates.c.report_id))
    statement = statement.where(condition)
    window = statement.order_by(candidates.c.report_id.desc()).limit(limit).subquery("window")
    # Scored after the order and limit: each candidate's tsvector is carried through the
    # sort (the top-N sort keeps ``limit`` of them), and ranked for those rows only.
    return select(
        window.c.id,
        (-func.ts_rank_cd(window.c.document_tsv, tsquery(query))).label("score"),
        window.c.level_rank,
        window.c.reported_at,
    ).order_by(window.c.id.desc())


def page_statement(
    dialect: str, query: SearchQuery, condition: ColumnElement[bool], ids: list[int]
) -> Select[Any]:
    """The rows of one page (``ids``, already ranked) with their snippets. The policy's
    condition is repeated here: no statement of a search reads outside it."""
    if dialect == "postgresql":
        snippet = (
            select(func.ts_headline(_CONFIG, _TSV.c.document, tsquery(query), HEADLINE_OPTIONS))
            .where(_TSV.c.report_id == Report.id)
            .scalar_subquery()
        )
    else:
        fts: ColumnElement[Any] = literal_column("report_search")
        _, _, matched = index_match(dialect, query)
        snippet = (
            select(func.snippet(fts, 0, _HIT_START, _HIT_END, ELLIPSIS, SNIPPET_TOKENS))
            .where(matched, _FTS5.c.rowid == Report.id)
            .scalar_subquery()
        )
    return select(
        Report.id,
        Report.receipt_number,
        Report.kind,
        func.coalesce(Report.level_override, Report.urgency_level).label("level"),
        Report.reported_at,
        snippet.label("snippet"),
    ).where(Report.id.in_(ids), condition)


# --- the window: the newest matches, found in bounded steps ----------------------------


@dataclass(frozen=True)
class CommonWord:
    """PostgreSQL: the rarest of a query's words, when every word is common enough to
    be in the statistics ANALYZE keeps of the tsvector's most common words."""

    lexeme: str
    share: float  # of all documents: at most this share can match the whole query


def rarest_common_word(db: Session, query: SearchQuery) -> CommonWord | None:
    """PostgreSQL: the query's rarest word and its share of the documents, or None when a
    word is rarer than every word in the statistics (or there are none yet): the index
    then finds the few matches quickly on its own."""
    row = db.execute(
        text(
            "WITH stats AS ("
            " SELECT most_common_elems::text::text[] AS words,"
            " most_common_elem_freqs AS shares FROM pg_stats"
            " WHERE schemaname = current_schema() AND tablename = 'report_search'"
            " AND attname = 'document_tsv'),"
            " typed AS (SELECT unnest(tsvector_to_array(to_tsvector(:config, :words))) AS word)"
            " SELECT typed.word, common.share FROM stats CROSS JOIN typed"
            " LEFT JOIN unnest(stats.words, stats.shares) AS common(word, share)"
            " ON common.word = typed.word ORDER BY common.share NULLS FIRST LIMIT 1"
        ),
        {"config": SEARCH_CONFIG, "words": " ".join(term.text for term in query.terms)},
    ).first()
    if row is None or row.share is None:
        return None
    return CommonWord(str(row.word), float(row.share))


def newest_matches(
    db: Session, dialect: str, query: SearchQuery, condition: ColumnElement[bool]
) -> list[Any]:
    """The newest ``RESULT_WINDOW + 1`` reports matching ``query`` where ``condition``
    holds, newest first, as rows of ``window_statement``.

    SQLite's FTS5 reads its matches newest first itself, so one statement stops after
    the window. PostgreSQL's GIN index cannot: a bitmap scan visits every match, and
    walking the newest reports backwards reads every report until enough match. A
    query with a rare word asks the index once. When every word is common, the newest
    ids are searched first, in a range sized from the rarest word's share; if it held
    too few matches, the next range is sized from what it held, and past a third of
    the ids the index finds the rest at once. A short first range is walked backwards;
    the others are whole blocks of ids, whose matches the index finds without reading
    any other row.
    """
    want = RESULT_WINDOW + 1
    if dialect != "postgresql":
        return list(db.execute(window_statement(dialect, query, condition, limit=want)).all())
    top = db.execute(select(func.max(_TSV.c.report_id))).scalar()
    if top is None:
        return []
    anchor = rarest_common_word(db, query)
    if anchor is None:
        return list(db.execute(window_statement(dialect, query, condition, limit=want)).all())
    span = math.ceil(want / (anchor.share * LIKELY_READABLE_SHARE))
    rows: list[Any] = []
    up_to = top  # every id above it has been searched
    for step in range(WINDOW_STEPS):
        # Past a third of all ids, blocks cost more to ask for than the rows they spare
        # (and a query with few matches is best served by the index in one go).
        last = step == WINDOW_STEPS - 1 or 3 * (top - up_to + span) > top
        if last:
            above = 0
            statement = window_statement(
                dialect,
                query,
                condition,
                limit=want - len(rows),
                up_to=None if up_to == top else up_to,
            )
        elif step == 0 and span <= WALK_IDS:
            above = up_to - span
            statement = window_statement(
                dialect, query, condition, limit=want - len(rows), above=above, walk=True
            )
        else:
            high = up_to >> BLOCK_BITS
            low = max((up_to - span + 1) >> BLOCK_BITS, high - MAX_BLOCKS + 1)
            above = (low << BLOCK_BITS) - 1
            statement = window_statement(
                dialect,
                query,
                condition,
                limit=want - len(rows),
                up_to=None if up_to == top else up_to,
                blocks=range(high, low - 1, -1),
            )
        rows += db.execute(statement).all()
        if last or len(rows) >= want:
            break
        # Size the next range from the matches found so far.
        per_id = len(rows) / (top - above)
        span = math.ceil(1.25 * (want - len(rows)) / per_id) if rows else above
        up_to = above
    return rows


def ranked(rows: list[Any]) -> list[Any]:
    """Best match first, then the more urgent, then the most recently reported."""
    newest_first = sorted(rows, key=lambda row: (row.reported_at, row.id), reverse=True)
    return sorted(newest_first, key=lambda row: (row.score, row.level_rank))


def find(
    db: Session, query: SearchQuery, condition: ColumnElement[bool], *, limit: int, offset: int
) -> SearchPage:
    """The page of reports matching ``query`` where ``condition`` (the policy's scope)
    holds. The benchmark calls this with ``true()`` for its no-policy baseline; the
    product only through search_reports."""
    dialect = db.get_bind().dialect.name
    window = newest_matches(db, dialect, query, condition)
    capped = len(window) > RESULT_WINDOW
    chosen = ranked(window[:RESULT_WINDOW])[offset : offset + limit]
    if not chosen:
        return SearchPage([], min(len(window), RESULT_WINDOW), capped)
    ids = [row.id for row in chosen]
    found = {row.id: row for row in db.execute(page_statement(dialect, query, condition, ids))}
    items = [
        SearchHit(
            id=row.id,
            receipt_number=row.receipt_number,
            kind=row.kind,
            level=row.level,
            reported_at=row.reported_at,
            snippet=snippet_pieces(row.snippet),
        )
        for row in (found[report_id] for report_id in ids if report_id in found)
    ]
    return SearchPage(items, min(len(window), RESULT_WINDOW), capped)


# --- the service ----------------------------------------------------------------------


# PostgreSQL: set for a search's transaction only (set_config's third argument).
TRANSACTION_SETTINGS = {
    # The planner's cost for a search over a million narratives passes jit_above_cost,
    # and compiling then adds 5-650 ms to queries that run in 5-500 ms (measured in
    # bench/search_bench.py); this transaction is a search and an audit insert.
    "jit": "off",
    # Whether to walk the newest reports or use the GIN index depends on the words and
    # the id range: a generic plan (after five runs of one prepared statement) would
    # pick one way for all of them.
    "plan_cache_mode": "force_custom_plan",
    # A search reads a few thousand rows at most: starting parallel workers costs more
    # than they save, and takes CPUs from the requests beside it.
    "max_parallel_workers_per_gather": "0",
}


def configure_transaction(db: Session) -> None:
    """PostgreSQL: apply TRANSACTION_SETTINGS to the caller's transaction."""
    db.execute(
        select(
            *(func.set_config(name, value, True) for name, value in TRANSACTION_SETTINGS.items())
        )
    )


def search_reports(
    db: Session, *, actor: Actor, query: str, limit: int = 20, offset: int = 0
) -> SearchPage:
    """Reports the actor may read that match ``query``, best first, with snippets:
    among the newest 1,000 matches when there are more (``capped``). Audited with the
    number of results, never the query (it can carry a name)."""
    policy.authorize(actor, "search", "report")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput({"limit": f"Ask for 1 to {MAX_LIMIT} results at a time."})
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(
            {"offset": f"Only the first {RESULT_WINDOW:,} results can be paged through."}
        )
    parsed = parse_query(query)
    if db.get_bind().dialect.name == "postgresql":
        if not db.execute(select(func.numnode(tsquery(parsed)))).scalar():
            # Only stop words ("the", "and", ...): PostgreSQL would match nothing at all.
            raise InvalidInput({"q": "Those words are too common to search for; add a rarer one."})
        configure_transaction(db)
    found = find(db, parsed, policy.scope(actor, "search", "report"), limit=limit, offset=offset)
    audit.record(
        db,
        actor=actor,
        action="report.search",
        object_type="report",
        details={
            "results": found.total,
            "capped": found.capped,
            "returned": len(found.items),
            "offset": offset,
        },
    )
    return found
