"""A full linkage run: read every live mention, train the model without labels,
score candidate pairs, cluster under reviewers' decisions, and save the result.

The run is recorded before it starts (status "running", a run id), computes
outside any write transaction, and writes everything — memberships, features and
blocking keys for incremental matching, the review queue, the trained model and
metrics — in one transaction at the end. A failure rolls that back, so the
previous clusters stay in place, and marks the run "failed" with what failed.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from vigil.linkage import clustering, engine, membership, normalise, records, scoring, thresholds
from vigil.linkage.models import LinkRun, MatchCandidate, MentionFeatures, MentionKey
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.database import transaction
from vigil.platform.types import utcnow

Progress = Callable[[str, float | None], None]  # (phase, fraction done or None)
BATCH = 10_000


class LinkageFailed(Exception):
    """A run failed; the previous clusters are unchanged."""


@dataclass(frozen=True)
class RunSummary:
    run_key: str
    status: str
    mention_count: int
    person_count: int
    pair_count: int
    review_count: int
    seconds: float
    error: str | None = None


def _quiet(phase: str, fraction: float | None) -> None:
    return None


def _start(session_factory: sessionmaker[Session], actor: Actor, backend: str) -> int:
    with transaction(session_factory) as db:
        run = LinkRun(
            run_key=uuid.uuid4().hex,
            status="running",
            backend=backend,
            started_by=actor.username,
            lower_weight=thresholds.DEFAULT_LOWER,
            upper_weight=thresholds.DEFAULT_UPPER,
        )
        db.add(run)
        db.flush()
        return run.id


def _fail(session_factory: sessionmaker[Session], run_id: int, error: BaseException) -> str:
    # The type and the engine's own words; no record content is put in messages we write.
    message = f"{type(error).__name__}: {str(error)[:500]}"
    with transaction(session_factory) as db:
        run = db.get_one(LinkRun, run_id)
        run.status = "failed"
        run.finished_at = utcnow()
        run.error = message
    return message


def _load(db: Session, progress: Progress) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for chunk in records.live_mentions(db):
        rows.extend(records.mention_record(mention) for mention in chunk)
        progress("reading mentions", None)
    return records.frame(rows)


def _explanation(pair: dict[str, Any]) -> list[dict[str, Any]]:
    """Each comparison's level and weight (log2 Bayes factor) for one scored pair."""
    parts = []
    for column, value in pair.items():
        if not column.startswith("weight_") or value is None:
            continue
        name = column[len("weight_") :]
        weight = float(value)
        parts.append(
            {
                "comparison": name,
                "level": pair.get(f"level_{name}"),
                "weight": round(weight, 3) if math.isfinite(weight) else None,
            }
        )
    return parts


def _pair_rows(pairs: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(pairs.to_json(orient="records"))
    return rows


def run_linkage(
    session_factory: sessionmaker[Session],
    *,
    actor: Actor,
    backend: str = "duckdb",
    progress: Progress | None = None,
) -> RunSummary:
    """Recluster every mention; raises LinkageFailed (after recording it) on failure."""
    policy.authorize(actor, "run", "link_run")
    say = progress or _quiet
    began = time.monotonic()
    run_id = _start(session_factory, actor, backend)
    try:
        with session_factory() as db:
            raw = _load(db, say)
            decisions = membership.binding_decisions(db)
        say("normalising", None)
        prepared = normalise.prepare(raw)
        linkable = {
            row["unique_id"]
            for row in prepared.to_dict(orient="records")
            if engine.is_linkable(row)
        }
        say("training (expectation maximisation)", None)
        model: engine.Model | None
        try:
            model = engine.train(
                prepared,
                backend=backend,
                progress=lambda message, fraction: say(f"training: {message}", fraction),
            )
        except engine.NothingToLink:
            # Too little to learn from (a new instance, mentions with almost nothing):
            # every mention is its own person until there is.
            model = None
        say("scoring candidate pairs", None)
        pairs = (
            engine.score_pairs(prepared, model, backend=backend, min_weight=thresholds.FLOOR)
            if model is not None
            else pd.DataFrame(
                {
                    "unique_id_l": pd.Series(dtype=str),
                    "unique_id_r": pd.Series(dtype=str),
                    "match_weight": pd.Series(dtype=float),
                    "match_probability": pd.Series(dtype=float),
                }
            )
        )
        pairs = pairs[pairs["unique_id_l"].isin(linkable) & pairs["unique_id_r"].isin(linkable)]
        weights = {
            membership.ordered(int(left), int(right)): float(weight)
            for left, right, weight in zip(
                pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_weight"], strict=True
            )
        }
        decided = [(weights.get(pair, -math.inf), True) for pair in decisions.same] + [
            (weights.get(pair, -math.inf), False) for pair in decisions.not_same
        ]
        chosen = thresholds.choose(decided)
        say("clustering", None)
        ids = [str(value) for value in prepared["unique_id"]]
        clusters = clustering.cluster(
            ids,
            pairs,
            threshold_weight=chosen.upper,
            same={(str(a), str(b)) for a, b in decisions.same},
            not_same={(str(a), str(b)) for a, b in decisions.not_same},
        )
        say("saving", None)
        review = pairs[
            (pairs["match_weight"] >= chosen.lower) & (pairs["match_weight"] < chosen.upper)
        ]
        with transaction(session_factory) as db:
            summary = _save(
                db,
                run_id=run_id,
                actor=actor,
                prepared=prepared,
                linkable=linkable,
                clusters={int(k): v for k, v in clusters.items()},
                review=_pair_rows(review),
                decided=decisions,
                model=model,
                chosen=chosen,
                pair_count=len(pairs),
                seconds=time.monotonic() - began,
            )
        say("done", 1.0)
        return summary
    except Exception as error:
        message = _fail(session_factory, run_id, error)
        raise LinkageFailed(message) from error


def _save(
    db: Session,
    *,
    run_id: int,
    actor: Actor,
    prepared: pd.DataFrame,
    linkable: set[str],
    clusters: dict[int, str],
    review: list[dict[str, Any]],
    decided: membership.BindingDecisions,
    model: engine.Model | None,
    chosen: thresholds.Thresholds,
    pair_count: int,
    seconds: float,
) -> RunSummary:
    run = db.get_one(LinkRun, run_id)
    persons, created = membership.assign_clusters(db, clusters, run_id=run_id)
    _save_features(db, prepared, linkable, model)
    # The review queue: undecided pairs between the thresholds across two persons.
    db.execute(delete(MatchCandidate).where(MatchCandidate.decided_at.is_(None)))
    decided_pairs = decided.same | decided.not_same
    known: set[tuple[int, int]] = {
        (a, b)
        for a, b in db.execute(select(MatchCandidate.mention_a_id, MatchCandidate.mention_b_id))
    }
    candidates = []
    for pair in review:
        a, b = membership.ordered(int(pair["unique_id_l"]), int(pair["unique_id_r"]))
        if (a, b) in decided_pairs or (a, b) in known or clusters[a] == clusters[b]:
            continue
        known.add((a, b))
        candidates.append(
            {
                "mention_a_id": a,
                "mention_b_id": b,
                "match_weight": float(pair["match_weight"]),
                "match_probability": float(pair["match_probability"]),
                "explanation": _explanation(pair),
                "run_id": run_id,
                "found_by": "run",
                "created_at": utcnow(),
            }
        )
    for start in range(0, len(candidates), BATCH):
        db.execute(insert(MatchCandidate), candidates[start : start + BATCH])
    run.status = "succeeded"
    run.finished_at = utcnow()
    run.mention_count = len(clusters)
    run.person_count = persons
    run.pair_count = pair_count
    run.review_count = len(candidates)
    run.lower_weight = chosen.lower
    run.upper_weight = chosen.upper
    run.model_json = model.to_json() if model is not None else None
    run.metrics = {
        "engine": model.metrics if model is not None else {"trained": False},
        "thresholds": chosen.source,
        "decisions": chosen.evaluation,
        "new_persons": created,
        "linkable_mentions": len(linkable),
        "seconds": round(seconds, 1),
    }
    audit.record(
        db,
        actor=actor,
        action="linkage.run",
        object_type="link_run",
        object_id=run.run_key,
        details={
            "mentions": run.mention_count,
            "persons": persons,
            "review": run.review_count,
            "backend": run.backend,
        },
    )
    return RunSummary(
        run.run_key,
        run.status,
        run.mention_count,
        persons,
        pair_count,
        run.review_count,
        seconds,
    )


def json_ready(row: dict[str, Any]) -> dict[str, Any]:
    """A prepared row as JSON stores it (what incremental matching reads back)."""
    loaded: dict[str, Any] = json.loads(json.dumps(row, default=str))
    return loaded


def _save_features(
    db: Session, prepared: pd.DataFrame, linkable: set[str], model: engine.Model | None
) -> None:
    db.execute(delete(MentionKey))
    db.execute(delete(MentionFeatures))
    now = utcnow()
    rows: list[dict[str, Any]] = json.loads(prepared.to_json(orient="records"))
    rules = model.blocking_rule_names() if model is not None else []
    features: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for row in rows:
        mention_id = int(row["unique_id"])
        features.append(
            {
                "mention_id": mention_id,
                "features": row,
                "linkable": row["unique_id"] in linkable,
                "prepared_at": now,
            }
        )
        # Almost nothing to go on: never a candidate. No model: nothing to match with.
        if row["unique_id"] in linkable and model is not None:
            keys.extend(
                {"mention_id": mention_id, "key": key}
                for key in set(scoring.blocking_keys(row, rules))
            )
        if len(features) >= BATCH:
            db.execute(insert(MentionFeatures), features)
            features = []
        if len(keys) >= BATCH:
            db.execute(insert(MentionKey), keys)
            keys = []
    if features:
        db.execute(insert(MentionFeatures), features)
    if keys:
        db.execute(insert(MentionKey), keys)


def latest_run(db: Session) -> LinkRun | None:
    return db.execute(
        select(LinkRun).where(LinkRun.status == "succeeded").order_by(LinkRun.id.desc()).limit(1)
    ).scalar_one_or_none()
