"""Search pages and API: GET /search (HTML) and GET /api/v1/search (JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from vigil.platform import policy
from vigil.platform.errors import InvalidInput
from vigil.reports import search
from vigil.web.deps import ActorDep, SessionDep
from vigil.web.templating import render

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
PAGE_SIZE = 20
# Longer text is refused by the service with a clear message; this only bounds the work.
QueryText = Annotated[
    str,
    Query(
        max_length=2000,
        description=f"Words that must all appear (at most {search.MAX_QUERY_CHARS} "
        'characters). Put a phrase in double quotes: "red pickup truck". '
        "There are no operators: AND, OR, NOT, NEAR, * and : are ordinary text.",
    ),
]

router = APIRouter(
    responses={
        401: {"description": "Sign-in required", **PROBLEM},
        403: {"description": "Not allowed", **PROBLEM},
        422: {"description": "Empty, too long or punctuation-only query", **PROBLEM},
    }
)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    page: Annotated[int, Query(ge=1, le=search.MAX_OFFSET // PAGE_SIZE + 1)] = 1,
) -> HTMLResponse:
    policy.authorize(actor, "search", "report")
    errors: dict[str, str] = {}
    found: search.SearchPage | None = None
    if q is not None:
        try:
            found = search.search_reports(
                db, actor=actor, query=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
        except InvalidInput as invalid:
            errors = invalid.errors
    total = found.total if found else 0
    return render(
        request,
        "search.html",
        {
            "q": q or "",
            "found": found,
            "page": page,
            "pages": max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
            "page_query": urlencode({"q": q or ""}),
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


class SearchResult(BaseModel):
    id: int
    receipt_number: str
    kind: str
    level: str = Field(description="Urgency level in force (an override wins).")
    reported_at: datetime
    snippet: str = Field(
        description=f"Plain text around the matches (not HTML). Matched words are "
        f"wrapped in {search.MARK_START} and {search.MARK_END}; those two characters in "
        f"the report's own text are sent as ‹ and ›. {search.ELLIPSIS} marks a cut."
    )


class SearchResults(BaseModel):
    items: list[SearchResult]
    total: int = Field(
        description=f"Matching reports you may read, counted up to "
        f"{search.RESULT_WINDOW:,}; when more match, {search.RESULT_WINDOW:,} and "
        "`capped` is true."
    )
    capped: bool = Field(
        description=f"True when more than {search.RESULT_WINDOW:,} reports you may read "
        f"match. The results are then the best matches among the {search.RESULT_WINDOW:,} "
        "most recently received of them; add words to narrow the search."
    )
    limit: int
    offset: int = Field(description=f"At most {search.MAX_OFFSET:,}.")


@router.get("/api/v1/search", tags=["search"])
def search_api(
    actor: ActorDep,
    db: SessionDep,
    q: QueryText,
    limit: Annotated[int, Query(ge=1, le=search.MAX_LIMIT)] = PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=search.MAX_OFFSET)] = 0,
) -> SearchResults:
    """Full-text search over the narratives and mentions of the reports you may read,
    best match first (then urgency, then the most recent). A search ranks and counts
    at most the 1,000 most recently received matching reports: when more match,
    `total` is 1,000, `capped` is true and the results are the best of those 1,000.
    Every search is audited with its number of results; the query itself is not
    recorded."""
    found = search.search_reports(db, actor=actor, query=q, limit=limit, offset=offset)
    return SearchResults(
        items=[
            SearchResult(
                id=hit.id,
                receipt_number=hit.receipt_number,
                kind=hit.kind,
                level=hit.level,
                reported_at=hit.reported_at,
                snippet=hit.marked_snippet,
            )
            for hit in found.items
        ],
        total=found.total,
        capped=found.capped,
        limit=limit,
        offset=offset,
    )
