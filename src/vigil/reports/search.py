"""Full-text search over report narratives and mentions: SQLite FTS5 or PostgreSQL
tsvector (GIN), always filtered by the policy inside the query.

What a user types never reaches FTS5's query syntax or ``to_tsquery``. It is cut into
terms (a run of text between spaces, or a "quoted phrase"); every term must match,
a phrase as consecutive words. On SQLite each term becomes an FTS5 string holding
only its letters and digits, so AND, OR, NOT, NEAR, ``*``, ``^``, ``col:`` and
parentheses are plain words or nothing. On PostgreSQL each term is a bound parameter
of ``phraseto_tsquery``, whose parser knows no operators, and the terms are joined
with ``&&``.

One statement returns the page, the total and the snippets: the policy's condition
sits in the common table of matches that both the count and the page are taken
from, and snippets are computed afterwards for the rows of the page only. Nothing
about a report the actor may not read can reach a result, a count or a snippet.
"""

from __future__ import annotations

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
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.reports.models import Report
from vigil.reports.vocabulary import UrgencyLevel

MAX_QUERY_CHARS = 200
MAX_LIMIT = 100
MAX_OFFSET = 10_000
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
# A constant, never user input: the text search configuration of the stored tsvector.
_ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")
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


def index_report(db: Session, report: Report) -> None:
    """(Re)write the report's search document in the caller's transaction."""
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
        func.phraseto_tsquery(_ENGLISH, bindparam(f"term_{index}", term.text, type_=Text))
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
    total: int


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


# --- the statement --------------------------------------------------------------------


def level_rank() -> ColumnElement[int]:
    level = func.coalesce(Report.level_override, Report.urgency_level)
    return case(LEVEL_RANK, value=level, else_=9)


def search_statement(
    dialect: str,
    query: SearchQuery,
    condition: ColumnElement[bool],
    *,
    limit: int,
    offset: int,
) -> Select[Any]:
    """One statement: the total, then the page's rows with their snippets, for the
    reports matching ``query`` where ``condition`` (the policy's scope) holds.

    Rank first (bm25 on SQLite, ts_rank_cd on PostgreSQL; lower is better here), then
    urgency, then the most recent. The benchmark calls this with ``true()`` as the
    condition for its no-policy baseline; the product only through search_reports."""
    fts: ColumnElement[Any] = literal_column("report_search")
    ts = tsquery(query)
    score: ColumnElement[Any]
    if dialect == "postgresql":
        key = _TSV.c.report_id
        matched = _TSV.c.document_tsv.op("@@")(ts)
        score = -func.ts_rank_cd(_TSV.c.document_tsv, ts)
        source = _TSV
    else:
        key = _FTS5.c.rowid
        matched = fts.op("MATCH")(bindparam("fts_query", query.fts5(), type_=Text))
        score = func.bm25(fts)
        source = _FTS5
    matches = (
        select(
            Report.id.label("id"),
            Report.receipt_number.label("receipt_number"),
            Report.kind.label("kind"),
            func.coalesce(Report.level_override, Report.urgency_level).label("level"),
            level_rank().label("level_rank"),
            Report.reported_at.label("reported_at"),
            score.label("score"),
        )
        .select_from(source.join(Report, Report.id == key))
        .where(matched, condition)
        .cte("matches")
    )
    order = (
        matches.c.score,
        matches.c.level_rank,
        matches.c.reported_at.desc(),
        matches.c.id.desc(),
    )
    page = select(matches).order_by(*order).limit(limit).offset(offset).subquery("page")
    total = select(func.count().label("total")).select_from(matches).subquery("total")
    if dialect == "postgresql":
        snippet = (
            select(func.ts_headline(_ENGLISH, _TSV.c.document, ts, HEADLINE_OPTIONS))
            .where(_TSV.c.report_id == page.c.id)
            .scalar_subquery()
        )
    else:
        snippet = (
            select(func.snippet(fts, 0, _HIT_START, _HIT_END, ELLIPSIS, SNIPPET_TOKENS))
            .where(matched, _FTS5.c.rowid == page.c.id)
            .scalar_subquery()
        )
    return (
        select(
            total.c.total,
            page.c.id,
            page.c.receipt_number,
            page.c.kind,
            page.c.level,
            page.c.reported_at,
            snippet.label("snippet"),
        )
        .select_from(total.outerjoin(page, true()))
        .order_by(page.c.score, page.c.level_rank, page.c.reported_at.desc(), page.c.id.desc())
    )


# --- the service ----------------------------------------------------------------------


def search_reports(
    db: Session, *, actor: Actor, query: str, limit: int = 20, offset: int = 0
) -> SearchPage:
    """Reports the actor may read that match ``query``, best first, with snippets.
    Audited with the number of results, never the query (it can carry a name)."""
    policy.authorize(actor, "search", "report")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput({"limit": f"Ask for 1 to {MAX_LIMIT} results at a time."})
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput({"offset": f"Results can be paged up to {MAX_OFFSET:,} only."})
    parsed = parse_query(query)
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        if not db.execute(select(func.numnode(tsquery(parsed)))).scalar():
            # Only stop words ("the", "and", ...): PostgreSQL would match nothing at all.
            raise InvalidInput({"q": "Those words are too common to search for; add a rarer one."})
        # The planner's cost for a search over a million narratives passes jit_above_cost,
        # and compiling then adds 5-650 ms to queries that run in 5-500 ms (measured in
        # bench/search_bench.py); this transaction is a search and an audit insert.
        db.execute(text("SET LOCAL jit = off"))
    statement = search_statement(
        dialect, parsed, policy.scope(actor, "search", "report"), limit=limit, offset=offset
    )
    rows = db.execute(statement).all()
    total = int(rows[0].total) if rows else 0
    items = [
        SearchHit(
            id=row.id,
            receipt_number=row.receipt_number,
            kind=row.kind,
            level=row.level,
            reported_at=row.reported_at,
            snippet=snippet_pieces(row.snippet),
        )
        for row in rows
        if row.id is not None
    ]
    audit.record(
        db,
        actor=actor,
        action="report.search",
        object_type="report",
        details={"results": total, "returned": len(items), "offset": offset},
    )
    return SearchPage(items, total)
