"""Training and running the person-linkage model with Splink (DuckDB or Spark).

A model is trained without labels: u from random pairs, m by expectation
maximisation on the data itself. Scoring and clustering take a trained
model; `scoring` scores one new mention against candidates in Python.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
import splink

from vigil.linkage.backends import Backend, check_backend, database_api, register
from vigil.linkage.clustering import cluster
from vigil.linkage.comparisons import (
    BLOCKING_RULES,
    COMPARISONS,
    Comparison,
    blocking_rules_named,
    comparison_for,
    splink_blocking_rule,
    splink_comparison,
    usable_blocking_rules,
)
from vigil.linkage.normalise import FEATURES
from vigil.linkage.scoring import ScoredPair, blocking_keys, score_one

__all__ = [
    "DEFAULT_THRESHOLD_WEIGHT",
    "LinkResult",
    "LinkType",
    "Model",
    "NothingToLink",
    "ScoredPair",
    "blocking_keys",
    "cluster",
    "is_linkable",
    "link",
    "score_one",
    "score_pairs",
    "train",
]

Progress = Callable[[str, float], None]
"""Told (what is happening, fraction of the whole job done in 0..1)."""

LinkType = Literal["dedupe_only", "link_only", "link_and_dedupe"]

# A pair at or above this match weight (probability ~0.97) is the same person.
DEFAULT_THRESHOLD_WEIGHT = 5.0
# Pairs below this are not worth keeping, even for review.
DEFAULT_MIN_WEIGHT = -5.0
# m and u are kept inside these bounds so that no single level is infinite evidence.
_PROBABILITY_FLOOR = 1e-6
_MODEL_FORMAT = 1
# Mentions the model is trained on: u and m are the same for every mention, so a
# random sample of this many estimates them as well as all of them, in bounded time.
TRAINING_SAMPLE = 200_000

logger = logging.getLogger(__name__)


class NothingToLink(ValueError):
    """The mentions give a model nothing to learn from (too few, or no field to compare)."""


@dataclass(frozen=True)
class Model:
    """A trained linkage model: Splink settings with m and u, and how it came to be."""

    settings: dict[str, Any]
    backend: str
    splink_version: str
    created_at: str
    record_count: int
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": _MODEL_FORMAT,
                "settings": self.settings,
                "backend": self.backend,
                "splink_version": self.splink_version,
                "created_at": self.created_at,
                "record_count": self.record_count,
                "metrics": self.metrics,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Model:
        data = json.loads(text)
        if data.get("format") != _MODEL_FORMAT:
            raise ValueError(f"unsupported linkage model format {data.get('format')!r}")
        return cls(
            settings=data["settings"],
            backend=data["backend"],
            splink_version=data["splink_version"],
            created_at=data["created_at"],
            record_count=int(data["record_count"]),
            metrics=dict(data.get("metrics") or {}),
        )

    @property
    def prior(self) -> float:
        """Probability that two random mentions are the same person."""
        return float(self.settings["probability_two_random_records_match"])

    @property
    def link_type(self) -> LinkType:
        link_type: LinkType = self.settings.get("link_type", "dedupe_only")
        return link_type

    def comparisons(self) -> list[tuple[Comparison, list[tuple[float, float] | None]]]:
        """Each comparison with (m, u) per level in order (None for the null level)."""
        out = []
        for entry in self.settings["comparisons"]:
            labels = [level.get("label_for_charts") for level in entry["comparison_levels"]]
            comparison = comparison_for(entry["output_column_name"], labels)
            levels: list[tuple[float, float] | None] = []
            for level in entry["comparison_levels"]:
                if level.get("is_null_level"):
                    levels.append(None)
                else:
                    levels.append((float(level["m_probability"]), float(level["u_probability"])))
            out.append((comparison, levels))
        return out

    def blocking_rule_names(self) -> list[str]:
        return list(self.metrics.get("blocking_rules", [r.name for r in BLOCKING_RULES]))


@dataclass(frozen=True)
class LinkResult:
    model: Model
    pairs: pd.DataFrame
    clusters: dict[str, str]


_IDENTIFYING = (
    "first_name",
    "surname",
    "birth_year",
    "phones",
    "emails",
    "handles",
    "street",
    "school_or_employer",
    "id_number",
)


def _has(value: Any) -> bool:
    if value is None or value is pd.NA:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, list | tuple):
        return len(value) > 0
    return bool(value != "")


def is_linkable(prepared_row: Mapping[str, Any]) -> bool:
    """Whether a mention says enough to be merged with another on its own evidence.

    It needs two identifying facts (given name, surname, date of birth or age,
    phone, e-mail, handle, street, school or employer, id number): a first
    name alone, with or without sex or a city, never causes a merge.
    """
    return sum(1 for column in _IDENTIFYING if _has(prepared_row.get(column))) >= 2


def _filled(column: pd.Series) -> pd.Series:
    """`_has` of each value (vectorised where the values are what prepare makes)."""
    known = column.notna()
    rest = column[known]
    if rest.dtype != object:
        return known
    try:
        # A C loop over the objects: non-empty strings and lists are true. Ints (birth
        # year) are never 0, so truth is `_has` for every value prepare produces.
        known.loc[known] = rest.astype(bool).to_numpy()
    except (TypeError, ValueError):  # something prepare does not make (an array…)
        return column.map(_has).astype(bool)
    return known


def _linkable(prepared: pd.DataFrame) -> pd.DataFrame:
    if prepared.empty:
        return prepared
    present = [c for c in _IDENTIFYING if c in prepared.columns]
    counts = sum(
        (_filled(prepared[c]).astype(int) for c in present), pd.Series(0, index=prepared.index)
    )
    return prepared.loc[counts >= 2]


def _present_columns(prepared: pd.DataFrame, minimum: int = 2) -> list[str]:
    return [c for c in FEATURES if c in prepared.columns and _filled(prepared[c]).sum() >= minimum]


def _splink_inputs(
    db_api: Any, backend: Backend, prepared: pd.DataFrame, link_type: LinkType
) -> list[Any]:
    columns = ["unique_id", *[c for c in FEATURES if c in prepared.columns]]
    if link_type == "dedupe_only" or "source_dataset" not in prepared.columns:
        return [register(db_api, backend, prepared[columns], "mentions")]
    inputs = []
    for index, (_, group) in enumerate(sorted(prepared.groupby("source_dataset", sort=True))):
        inputs.append(register(db_api, backend, group[columns], f"source_{index + 1}"))
    return inputs


def _settings_creator(
    comparisons: Sequence[Comparison],
    rule_names: Sequence[str],
    link_type: LinkType,
    *,
    prior: float = 1e-4,
    parameters: Sequence[list[tuple[float, float] | None]] | None = None,
) -> Any:
    from splink import SettingsCreator

    rules = blocking_rules_named(rule_names)
    creators = []
    for index, comparison in enumerate(comparisons):
        if parameters is None:
            creators.append(splink_comparison(comparison))
        else:
            creators.append(splink_comparison(comparison, parameters[index]))
    return SettingsCreator(
        link_type=link_type,
        comparisons=creators,
        blocking_rules_to_generate_predictions=[splink_blocking_rule(r) for r in rules],
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        max_iterations=50,
        em_convergence=1e-4,
    )


def _clean_settings(settings: dict[str, Any], unseen_u: float = 0.5) -> dict[str, Any]:
    """Fill untrained m/u and bound the rest, so scores are finite and reproducible.

    u was counted over random pairs, and a share of them (the prior) are matches:
    each level's u is corrected for them, u = (f - prior * m) / (1 - prior).
    Otherwise a level that almost only matches reach (a shared id number) can never
    weigh more than the prior's odds, which on a small data set is about 13 bits.
    A level that EM learned an m for but that no random pair reached (two random
    people sharing an e-mail address) gets u = `unseen_u`, one in the number of
    random pairs compared: left untrained, its weight would be 0 and the strongest
    evidence would count for nothing. Levels with neither get weight 0.
    """
    prior = float(settings.get("probability_two_random_records_match") or 1e-4)
    prior = min(0.5, max(1e-9, prior))
    for entry in settings["comparisons"]:
        for level in entry["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            m = m if isinstance(m, int | float) else None
            u = u if isinstance(u, int | float) else None
            if m is None and u is None:
                m = u = 0.5
            if m is not None and u is not None:
                u = max((u - prior * m) / (1 - prior), min(u, unseen_u))
            m = u if m is None else m
            u = min(unseen_u, m) if u is None else u
            level["m_probability"] = min(1.0, max(_PROBABILITY_FLOOR, float(m)))
            level["u_probability"] = min(1.0, max(_PROBABILITY_FLOOR, float(u)))
    settings["probability_two_random_records_match"] = prior
    return settings


def _quiet_splink() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)


def _tell(progress: Progress | None, message: str, fraction: float) -> None:
    if progress is not None:
        progress(message, fraction)


_EM_RETRY_ITERATIONS = 8
# Blocks EM learns m from. A place only when there is nothing else (records of
# sites, not people): pairs sharing an address are mostly people of one household,
# and EM would learn that a different given name is hardly evidence against a match.
_EM_RULES: tuple[tuple[str, ...], ...] = (
    ("dob",),
    ("first_name", "surname"),
    ("id_number",),
)
_EM_FALLBACK_RULES: tuple[tuple[str, ...], ...] = (("postcode",), ("street",))
_EM_MIN_SESSIONS = 2


def _bound_em_steps() -> None:
    """Keep each EM step's m and u at or above the floor (once per process).

    EM drives the m of a level never seen among matches towards 0, and it
    underflows to 0.0 within a few iterations, which Splink 5 then refuses
    ("m_probability value 0.0 is below the minimum"). The floor is the one
    the finished model is bounded by anyway.
    """
    from splink.internals import expectation_maximisation as em

    original = em.populate_m_u_from_lookup
    if getattr(original, "_vigil_bounded", False):
        return

    def populate(fixed: set[str], level: Any, name: str, lookup: dict[str, dict[int, Any]]) -> None:
        for record in lookup.get(name, {}).values():
            for key in ("m_probability", "u_probability"):
                value = record.get(key)
                if isinstance(value, float) and value < _PROBABILITY_FLOOR:
                    record[key] = _PROBABILITY_FLOOR
        original(fixed, level, name, lookup)

    populate._vigil_bounded = True  # type: ignore[attr-defined]
    em.populate_m_u_from_lookup = populate  # type: ignore[assignment]


def _linker(settings: Any, backend: Backend, prepared: pd.DataFrame, link_type: LinkType) -> Any:
    from splink import Linker

    inputs = _splink_inputs(database_api(backend), backend, prepared, link_type)
    return Linker(inputs, settings, log_level=None)


def train(
    prepared: pd.DataFrame,
    *,
    backend: str = "duckdb",
    seed: int = 42,
    link_type: LinkType = "dedupe_only",
    progress: Progress | None = None,
    max_pairs_for_u: float = 1e6,
    sample_size: int = TRAINING_SAMPLE,
) -> Model:
    """Train the model on `prepared` (from normalise.prepare) without labels.

    With more than `sample_size` linkable mentions it learns from a random sample
    of that many: the share of true pairs among the pairs of any block, which is
    what EM learns from, is the same in a random sample as in the whole.
    """
    from splink import block_on

    chosen = check_backend(backend)
    _quiet_splink()
    _bound_em_steps()
    started = time.monotonic()
    linkable = _linkable(prepared)
    if len(linkable) < 2:
        raise NothingToLink("fewer than two mentions say enough to be linked")
    present = _present_columns(linkable)
    comparisons = [c for c in COMPARISONS if c.column in present]
    if not comparisons:
        raise NothingToLink("no field has values in two or more mentions")
    rules = usable_blocking_rules(linkable, present)
    creator = _settings_creator(comparisons, [r.name for r in rules], link_type)
    sample = (
        linkable.sample(n=sample_size, random_state=seed).sort_index()
        if len(linkable) > sample_size
        else linkable
    )
    _tell(progress, "loading mentions", 0.05)
    linker = _linker(creator, chosen, sample, link_type)

    _tell(progress, "estimating how often two mentions match", 0.1)
    deterministic_columns = [
        cols
        for cols in (("first_name", "surname", "dob"), ("first_name", "surname"))
        if all(c in present for c in cols)
    ][:1]
    if deterministic_columns:
        try:
            linker.training.estimate_probability_two_random_records_match(
                [block_on(*deterministic_columns[0])], recall=0.7
            )
        except (ValueError, ZeroDivisionError) as error:
            logger.info("prior left at its default: %s", error)

    _tell(progress, "estimating u from random pairs", 0.2)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs_for_u, seed=seed)

    # EM's own estimate of the prior is not kept (Splink's rationale: it is biased by the
    # blocking rule); the deterministic-rule estimate above stands.
    prior = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    sessions = 0
    em_rules = [cols for cols in _EM_RULES if all(c in present for c in cols)]
    fallback = [cols for cols in _EM_FALLBACK_RULES if all(c in present for c in cols)]
    em_rules += fallback[: max(0, _EM_MIN_SESSIONS - len(em_rules))]
    for index, cols in enumerate(em_rules):
        _tell(progress, f"expectation maximisation blocked on {'+'.join(cols)}", 0.3 + 0.2 * index)
        # A failed session leaves the linker without the comparisons it had set aside:
        # start again from the parameters before it, with fewer iterations.
        snapshot = linker.misc.save_model_to_json()
        for _attempt in range(2):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(block_on(*cols))
                sessions += 1
                break
            except Exception as error:  # Splink raises plain Exceptions from EM
                logger.info("EM blocked on %s failed: %s", cols, error)
                snapshot["max_iterations"] = _EM_RETRY_ITERATIONS
                linker = _linker(snapshot, chosen, sample, link_type)

    trained = linker.misc.save_model_to_json()
    trained["probability_two_random_records_match"] = prior
    random_pairs = min(max_pairs_for_u, len(sample) * (len(sample) - 1) / 2)
    settings = _clean_settings(trained, unseen_u=1 / random_pairs)
    _tell(progress, "model trained", 0.9)
    return Model(
        settings=settings,
        backend=chosen,
        splink_version=splink.__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        record_count=len(prepared),
        metrics={
            "records": len(prepared),
            "linkable_records": len(linkable),
            "training_records": len(sample),
            "comparisons": [c.name for c in comparisons],
            "blocking_rules": [r.name for r in rules],
            "em_sessions": sessions,
            "probability_two_random_records_match": settings[
                "probability_two_random_records_match"
            ],
            "training_seconds": round(time.monotonic() - started, 3),
            "seed": seed,
        },
    )


def score_pairs(
    prepared: pd.DataFrame,
    model: Model,
    *,
    backend: str = "duckdb",
    min_weight: float = DEFAULT_MIN_WEIGHT,
) -> pd.DataFrame:
    """Scored candidate pairs at or above `min_weight`, with each comparison's evidence.

    Columns: unique_id_l, unique_id_r (l < r, rows in that order), match_weight,
    match_probability, and per comparison `weight_<name>` (its log2 Bayes factor)
    and `level_<name>` (the level it hit, categorical). Mentions that are not
    linkable are never paired.
    """

    chosen = check_backend(backend)
    _quiet_splink()
    linkable = _linkable(prepared)
    compared = model.comparisons()
    names = [c.name for c, _ in compared]
    base = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    empty_columns = base + [f"weight_{n}" for n in names] + [f"level_{n}" for n in names]
    if len(linkable) < 2:
        return pd.DataFrame(columns=empty_columns)
    creator = _settings_creator(
        [c for c, _ in compared],
        model.blocking_rule_names(),
        model.link_type,
        prior=model.prior,
        parameters=[levels for _, levels in compared],
    )
    linker = _linker(creator, chosen, linkable, model.link_type)
    frame = _predict(linker, names, min_weight)
    out = pd.DataFrame(
        {
            "unique_id_l": frame["unique_id_l"].astype(str),
            "unique_id_r": frame["unique_id_r"].astype(str),
            "match_weight": frame["match_weight"].astype(float),
            "match_probability": frame["match_probability"].astype(float),
        }
    )
    for comparison, _levels in compared:
        out[f"weight_{comparison.name}"] = frame[f"mw_{comparison.name}"].astype(float)
    for comparison, _levels in compared:
        out[f"level_{comparison.name}"] = _level_labels(
            comparison, frame[f"gamma_{comparison.name}"]
        )
    if chosen != "duckdb":  # DuckDB keeps the query's order; Spark does not
        out = out.sort_values(["unique_id_l", "unique_id_r"], kind="stable")
    return out.reset_index(drop=True)


def _predict(linker: Any, names: Sequence[str], min_weight: float) -> pd.DataFrame:
    """Splink's predict, keeping only the ids (smaller first), the weights and each
    comparison's level: what it would otherwise keep for every pair (both mentions'
    fields) is most of a large run's memory."""
    from splink.internals.comparison_vector_values import (
        compute_comparison_vector_values_from_id_pairs_sqls,
    )
    from splink.internals.dialects import SplinkDialect
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.predict import predict_from_comparison_vectors_sqls
    from splink.internals.vertically_concatenate import enqueue_df_concat_with_tf

    settings = linker._settings_obj
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    pipeline = CTEPipeline([blocked])
    enqueue_df_concat_with_tf(linker, pipeline)
    pipeline.enqueue_list_of_sqls(
        compute_comparison_vector_values_from_id_pairs_sqls(
            settings._columns_to_select_for_blocking,
            settings._columns_to_select_for_comparison_vector_values,
            input_tablename_l="__splink__df_concat_with_tf",
            input_tablename_r="__splink__df_concat_with_tf",
            source_dataset_input_column=settings.column_info_settings.source_dataset_input_column,
            unique_id_input_column=settings.column_info_settings.unique_id_input_column,
            link_type=settings._link_type,
            sql_dialect_str=linker._sql_dialect_str,
        )
    )
    pipeline.enqueue_list_of_sqls(
        predict_from_comparison_vectors_sqls(
            unique_id_input_columns=settings.column_info_settings.unique_id_input_columns,
            core_model_settings=settings.core_model_settings,
            sql_dialect=SplinkDialect.from_string(linker._sql_dialect_str),
            threshold_match_weight=min_weight,
            retain_matching_columns=False,
            retain_intermediate_calculation_columns=True,
            training_mode=True,  # keeps each comparison's gamma
        )
    )
    # The names are the comparisons' own (comparisons.py), never input.
    parts = ", ".join(f"gamma_{n}, mw_{n}" for n in names)
    ids = (
        "least(unique_id_l, unique_id_r) as unique_id_l, "
        "greatest(unique_id_l, unique_id_r) as unique_id_r"
    )
    sql = f"select {ids}, match_weight, match_probability, {parts} from __splink__df_predict"  # noqa: S608  # nosec B608
    pipeline.enqueue_sql(f"{sql} order by 1, 2", "__vigil_scored_pairs")
    scored = linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
    try:
        frame: pd.DataFrame = scored.as_pandas_dataframe()
    finally:
        scored.drop_table_from_database_and_remove_from_cache()
        blocked.drop_table_from_database_and_remove_from_cache()
    return frame


def _level_labels(comparison: Comparison, gamma: pd.Series) -> pd.Categorical:
    positions = {value: index for index, value in enumerate(_gammas(comparison))}
    lookup = np.array([positions[g] for g in range(-1, max(positions) + 1)], dtype=np.int8)
    codes = lookup[gamma.to_numpy(dtype=np.int64) + 1]
    return pd.Categorical.from_codes(codes, categories=[lv.label for lv in comparison.levels])


def _gammas(comparison: Comparison) -> list[int]:
    """Splink's comparison vector value of each level: -1 for null, then n-1 down to 0."""
    non_null = sum(1 for level in comparison.levels if level.kind != "null")
    values, next_value = [], non_null - 1
    for level in comparison.levels:
        if level.kind == "null":
            values.append(-1)
        else:
            values.append(next_value)
            next_value -= 1
    return values


def link(
    frame: pd.DataFrame,
    *,
    backend: str = "duckdb",
    link_type: LinkType = "dedupe_only",
    threshold_weight: float = DEFAULT_THRESHOLD_WEIGHT,
    progress: Progress | None = None,
    seed: int = 42,
) -> LinkResult:
    """Prepare, train, score and cluster `frame` (raw fields, see fields.FIELDS) in one go."""
    from vigil.linkage.normalise import prepare

    _tell(progress, "normalising", 0.0)
    prepared = prepare(frame)
    model = train(prepared, backend=backend, seed=seed, link_type=link_type, progress=progress)
    _tell(progress, "scoring candidate pairs", 0.9)
    pairs = score_pairs(prepared, model, backend=backend, min_weight=threshold_weight - 10)
    _tell(progress, "clustering", 0.97)
    clusters = cluster(prepared["unique_id"].astype(str), pairs, threshold_weight=threshold_weight)
    _tell(progress, "done", 1.0)
    return LinkResult(model=model, pairs=pairs, clusters=clusters)
