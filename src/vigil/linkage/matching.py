"""Incremental matching: each new mention against the persons already known.

Right after a submission commits (never inside it: a receipt must not wait for,
or fail because of, linkage), the server matches the new report's mentions in a
worker thread of its own. The scheduled sweep in ``vigil serve`` catches up any
mention the worker did not reach (a crash between the commit and the match, a
bulk import). A mention is pending while it has no stored features.

Matching uses the latest successful run's model: the mention's blocking keys find
candidates through an index, the engine scores them in Python with the model's
weights, and the mention joins the best person at or above the upper threshold
(unless a reviewer decided one of that person's mentions is not the same), or
becomes a new person. Candidates between the thresholds go to the review queue,
so an analyst sees "possible match" at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from vigil.linkage import engine, membership, normalise, records, runs, scoring
from vigil.linkage.models import MatchCandidate, MentionFeatures, MentionKey, PersonMention
from vigil.platform.database import transaction
from vigil.platform.types import utcnow
from vigil.reports.models import Mention, Report

log = logging.getLogger("vigil.linkage")
CANDIDATE_LIMIT = 2_000  # candidates scored per mention (the blocking keys' union)
SWEEP_LIMIT = 2_000

_models: dict[int, engine.Model] = {}
_models_lock = threading.Lock()


def _model(run_id: int, model_json: str) -> engine.Model:
    with _models_lock:
        model = _models.get(run_id)
        if model is None:
            model = engine.Model.from_json(model_json)
            _models.clear()
            _models[run_id] = model
        return model


@dataclass(frozen=True)
class Matched:
    mention_id: int
    person_id: int
    linked: bool  # joined an existing person
    possible: int  # possible matches queued for review


def pending_mentions(db: Session, limit: int = SWEEP_LIMIT) -> list[Mention]:
    """Mentions of live reports not yet prepared for matching, oldest first."""
    return list(
        db.execute(
            select(Mention)
            .join(Report, Report.id == Mention.report_id)
            .outerjoin(MentionFeatures, MentionFeatures.mention_id == Mention.id)
            .where(MentionFeatures.mention_id.is_(None), Report.purged_at.is_(None))
            .order_by(Mention.id)
            .limit(limit)
        ).scalars()
    )


def prepared_row(mention: Any) -> dict[str, Any]:
    """One mention's normalised features, JSON-ready."""
    return normalise.prepare_row(records.mention_record(mention))


def _candidates(db: Session, mention_id: int, keys: list[str]) -> list[dict[str, Any]]:
    if not keys:
        return []
    matching = (
        select(MentionKey.mention_id)
        .where(MentionKey.key.in_(keys), MentionKey.mention_id != mention_id)
        .distinct()
        .limit(CANDIDATE_LIMIT)
        .subquery()
    )
    rows = db.execute(
        select(MentionFeatures.features).join(
            matching, matching.c.mention_id == MentionFeatures.mention_id
        )
    ).scalars()
    return list(rows)


def match_mentions(db: Session, mentions: Sequence[Any]) -> list[Matched]:
    """Prepare, key and place each mention (in the caller's transaction)."""
    run = runs.latest_run(db)
    if run is None or run.model_json is None or not mentions:
        return []  # no model yet: the first `vigil link run` places them
    model = _model(run.id, run.model_json)
    rules = model.blocking_rule_names()
    decisions = membership.binding_decisions(db)
    results = []
    for mention in mentions:
        row = runs.json_ready(prepared_row(mention))
        linkable = engine.is_linkable(row)
        db.add(MentionFeatures(mention_id=mention.id, features=row, linkable=linkable))
        keys = sorted(set(scoring.blocking_keys(row, rules))) if linkable else []
        for key in keys:
            db.add(MentionKey(mention_id=mention.id, key=key))
        db.flush()
        results.append(_place(db, mention.id, row, keys, model, run, decisions))
    return results


def explanation(pair: scoring.ScoredPair) -> list[dict[str, Any]]:
    return [
        {"comparison": name, "level": pair.levels.get(name), "weight": round(weight, 3)}
        for name, weight in pair.weights.items()
    ]


def _place(
    db: Session,
    mention_id: int,
    row: dict[str, Any],
    keys: list[str],
    model: engine.Model,
    run: Any,
    decisions: membership.BindingDecisions,
) -> Matched:
    scored = scoring.score_one(model, row, _candidates(db, mention_id, keys))
    by_id = {int(pair.unique_id_r): pair for pair in scored}
    persons = dict(
        db.execute(
            select(PersonMention.mention_id, PersonMention.person_id).where(
                PersonMention.mention_id.in_(list(by_id))
            )
        ).all()
    )
    best: tuple[float, int] | None = None
    for other_id, pair in by_id.items():
        person_id = persons.get(other_id)
        if person_id is None or pair.match_weight < run.upper_weight:
            continue
        if decisions.not_same and membership.conflicts(
            decisions, [mention_id], membership.mentions_of(db, person_id)
        ):
            continue
        if best is None or pair.match_weight > best[0]:
            best = (pair.match_weight, person_id)
    person_id = membership.place(
        db, mention_id, best[1] if best else None, linked_by="incremental", new=True
    )
    possible = 0
    for other_id, pair in by_id.items():
        if not run.lower_weight <= pair.match_weight < run.upper_weight:
            continue
        if persons.get(other_id) == person_id:
            continue
        a, b = membership.ordered(mention_id, other_id)
        if (a, b) in decisions.same or (a, b) in decisions.not_same:
            continue
        db.add(
            MatchCandidate(
                mention_a_id=a,
                mention_b_id=b,
                match_weight=pair.match_weight,
                match_probability=pair.match_probability,
                explanation=explanation(pair),
                run_id=run.id,
                found_by="incremental",
                created_at=utcnow(),
            )
        )
        possible += 1
    db.flush()
    return Matched(mention_id, person_id, best is not None, possible)


def sweep(session_factory: sessionmaker[Session], limit: int = SWEEP_LIMIT) -> int:
    """Match every pending mention (up to ``limit``); returns how many were placed.

    Looks first, in a read, whether there is a model and anything pending, so that a
    sweep with nothing to do never takes the write lock (on SQLite, every filing
    would queue behind it)."""
    with session_factory() as db:
        run = runs.latest_run(db)
        if run is None or run.model_json is None or not pending_mentions(db, 1):
            return 0
    with transaction(session_factory) as db:
        mentions = pending_mentions(db, limit)
        return len(match_mentions(db, mentions))


class AfterCommitMatcher:
    """Matches newly committed mentions in one background thread of the server."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigil-linkage")
        self._lock = threading.Lock()
        self._queued = False

    def submit(self) -> None:
        """Queue a sweep, unless one is already waiting to start (it will see these
        mentions too): a burst of filings costs one sweep, not one each."""
        with self._lock:
            if self._queued:
                return
            self._queued = True
        self.executor.submit(self._run)

    def _run(self) -> None:
        with self._lock:
            self._queued = False  # commits from now on need a sweep after this one
        try:
            sweep(self.session_factory)
        except Exception as error:  # logged by type only: messages can carry personal data
            log.error("matching new mentions failed: %s", type(error).__name__)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=False)


def install_after_commit(
    session_factory: sessionmaker[Session], matcher: AfterCommitMatcher
) -> None:
    """After any transaction of ``session_factory`` that added mentions commits,
    ask ``matcher`` to place them."""
    flag = "vigil_new_mentions"

    def noted(session: Session, _context: object) -> None:
        if any(isinstance(obj, Mention) for obj in session.new):
            session.info[flag] = True

    def committed(session: Session) -> None:
        if session.info.pop(flag, False):
            matcher.submit()

    def rolled_back(session: Session) -> None:
        session.info.pop(flag, None)

    event.listen(session_factory, "after_flush", noted)
    event.listen(session_factory, "after_commit", committed)
    event.listen(session_factory, "after_rollback", rolled_back)
