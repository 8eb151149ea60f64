"""The linkage engine on data whose truth is known: training, scoring, clustering,
the "almost nothing" rule, the model artefact and Python scoring of one mention."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import pytest

from tests.linkage.people import Truth, pairs_of, people, precision_recall
from vigil.linkage import engine
from vigil.linkage.normalise import prepare


@pytest.fixture(scope="module")
def truth() -> Truth:
    return people(120, seed=11)


@pytest.fixture(scope="module")
def odd_rows() -> pd.DataFrame:
    """Mentions with almost nothing, Unicode, empty fields and unreadable dates."""
    return pd.DataFrame(
        [
            {"unique_id": "thin-1", "first_name": "James"},
            {"unique_id": "thin-2", "first_name": "James"},
            {"unique_id": "thin-3", "first_name": "james", "city": "springfield"},
            {"unique_id": "thin-4", "first_name": "James", "sex": "male"},
            {"unique_id": "uni-1", "first_name": "Zoë", "surname": "Ñúñez", "dob": "31/31/1990"},
            {"unique_id": "uni-2", "first_name": "Zoe", "surname": "Nunez", "dob": "unknown"},
            {"unique_id": "empty-1", "first_name": "", "surname": " ", "dob": ""},
        ]
    )


@pytest.fixture(scope="module")
def prepared(truth: Truth, odd_rows: pd.DataFrame) -> pd.DataFrame:
    return prepare(pd.concat([truth.frame, odd_rows], ignore_index=True))


@pytest.fixture(scope="module")
def model(prepared: pd.DataFrame) -> engine.Model:
    return engine.train(prepared, seed=3)


@pytest.fixture(scope="module")
def pairs(prepared: pd.DataFrame, model: engine.Model) -> pd.DataFrame:
    return engine.score_pairs(prepared, model, min_weight=-1000.0)


def test_clusters_find_the_same_people(
    truth: Truth, prepared: pd.DataFrame, pairs: pd.DataFrame
) -> None:
    clusters = engine.cluster(
        prepared["unique_id"], pairs, threshold_weight=engine.DEFAULT_THRESHOLD_WEIGHT
    )
    found = {(a, b) for a, b in pairs_of(clusters) if a in truth.person_of}
    precision, recall = precision_recall(found, truth.true_pairs())
    assert precision >= 0.98
    assert recall >= 0.95


def test_a_first_name_alone_never_causes_a_merge(
    prepared: pd.DataFrame, pairs: pd.DataFrame, model: engine.Model
) -> None:
    thin = {"thin-1", "thin-2", "thin-3", "thin-4", "empty-1"}
    assert not (set(pairs["unique_id_l"]) | set(pairs["unique_id_r"])) & thin
    clusters = engine.cluster(prepared["unique_id"], pairs, threshold_weight=-1000.0)
    assert all(clusters[uid] == uid for uid in thin)
    rows = prepared.set_index("unique_id", drop=False)
    thin_row = _row(rows.loc["thin-1"])
    assert not engine.is_linkable(thin_row)
    assert engine.score_one(model, thin_row, [_row(rows.loc["thin-2"])]) == []
    assert engine.score_one(model, _row(rows.loc["uni-1"]), [thin_row]) == []


def test_is_linkable_needs_two_identifying_facts() -> None:
    assert not engine.is_linkable({"first_name": "ann", "sex": "f", "city": "x"})
    assert not engine.is_linkable({"phones": []})
    assert engine.is_linkable({"first_name": "ann", "surname": "lee"})
    assert engine.is_linkable({"phones": ["+15552345678"], "emails": ["a@b.org"]})


def test_unicode_names_match_their_ascii_spelling(pairs: pd.DataFrame) -> None:
    found = pairs[(pairs["unique_id_l"] == "uni-1") & (pairs["unique_id_r"] == "uni-2")]
    assert len(found) == 1
    assert found.iloc[0]["level_first_name"] == "exact"
    assert found.iloc[0]["level_surname"] == "exact"


def test_pairs_explain_their_weight(pairs: pd.DataFrame, model: engine.Model) -> None:
    names = model.metrics["comparisons"]
    assert {"first_name", "surname", "dob", "phone", "email"} <= set(names)
    prior = math.log2(model.prior / (1 - model.prior))
    total = prior + pairs[[f"weight_{n}" for n in names]].sum(axis=1)
    assert (total - pairs["match_weight"]).abs().max() < 1e-6
    assert pairs[[f"level_{n}" for n in names]].notna().all().all()
    assert (pairs["unique_id_l"] < pairs["unique_id_r"]).all()


def test_model_round_trips_through_json(
    prepared: pd.DataFrame, model: engine.Model, pairs: pd.DataFrame
) -> None:
    again = engine.Model.from_json(model.to_json())
    assert again == model
    assert again.splink_version.startswith("5.")
    assert again.record_count == len(prepared)
    rescored = engine.score_pairs(prepared, again, min_weight=-1000.0)
    pd.testing.assert_frame_equal(rescored, pairs)


def _row(series: pd.Series) -> dict[str, Any]:
    row = series.to_dict()
    return {k: (None if v is pd.NA else v) for k, v in row.items()}


def test_score_one_reproduces_splink(
    prepared: pd.DataFrame, model: engine.Model, pairs: pd.DataFrame
) -> None:
    rows = {r["unique_id"]: _row(pd.Series(r)) for r in prepared.to_dict("records")}
    names = model.metrics["comparisons"]
    for pair in pairs.to_dict("records"):
        (scored,) = engine.score_one(model, rows[pair["unique_id_l"]], [rows[pair["unique_id_r"]]])
        assert scored.match_weight == pytest.approx(pair["match_weight"], abs=1e-6)
        assert scored.match_probability == pytest.approx(pair["match_probability"], abs=1e-9)
        for name in names:
            assert scored.levels[name] == pair[f"level_{name}"]
            assert scored.weights[name] == pytest.approx(pair[f"weight_{name}"], abs=1e-6)


def test_blocking_keys_give_the_same_candidates_as_splink(
    prepared: pd.DataFrame, model: engine.Model, pairs: pd.DataFrame
) -> None:
    by_key: dict[str, set[str]] = {}
    for record in prepared.to_dict("records"):
        row = _row(pd.Series(record))
        if not engine.is_linkable(row):
            continue
        for key in engine.blocking_keys(row, model.blocking_rule_names()):
            by_key.setdefault(key, set()).add(row["unique_id"])
    candidates = set()
    for members in by_key.values():
        ordered = sorted(members)
        candidates |= {(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]}
    assert candidates == set(zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True))
    row = _row(prepared.set_index("unique_id", drop=False).iloc[0])
    assert any(key.startswith("dob_initial:") for key in engine.blocking_keys(row))


def test_linking_two_sources_pairs_only_across_them(truth: Truth) -> None:
    frame = truth.frame.assign(
        source_dataset=["a" if uid.endswith("-0") else "b" for uid in truth.frame["unique_id"]]
    )
    result = engine.link(frame, link_type="link_only")
    source = dict(zip(frame["unique_id"], frame["source_dataset"], strict=True))
    assert len(result.pairs)
    assert all(
        source[a] != source[b]
        for a, b in zip(result.pairs["unique_id_l"], result.pairs["unique_id_r"], strict=True)
    )
    assert result.model.link_type == "link_only"


def test_prepared_rows_serialise_and_score_as_they_are(
    prepared: pd.DataFrame, model: engine.Model, pairs: pd.DataFrame
) -> None:
    """Rows from prepare, through JSON (as the app stores them), score like Splink."""
    rows = {r["unique_id"]: json.loads(json.dumps(r)) for r in prepared.to_dict("records")}
    assert all(isinstance(r["birth_year"], int | None) for r in rows.values())
    first = pairs.iloc[0]
    (scored,) = engine.score_one(model, rows[first["unique_id_l"]], [rows[first["unique_id_r"]]])
    assert scored.match_weight == pytest.approx(first["match_weight"], abs=1e-6)
    raw = prepared.to_dict("records")[0]
    assert engine.blocking_keys(raw) == engine.blocking_keys(json.loads(json.dumps(raw)))


def test_nothing_to_link() -> None:
    with pytest.raises(engine.NothingToLink):
        engine.train(prepare(pd.DataFrame({"unique_id": ["a", "b"], "first_name": ["x", "y"]})))


def test_score_pairs_keeps_what_splinks_own_predict_gives(
    prepared: pd.DataFrame, model: engine.Model, pairs: pd.DataFrame
) -> None:
    """score_pairs runs Splink's predict keeping only ids, weights and levels; the
    public predict, keeping everything, gives the same pairs, weights and levels."""
    from splink import Linker

    from vigil.linkage.backends import database_api, register

    settings = {**model.settings, "retain_matching_columns": True}
    linkable = prepared[[engine.is_linkable(_row(row)) for _, row in prepared.iterrows()]]
    columns = [c for c in linkable.columns if c != "source_dataset"]
    table = register(database_api("duckdb"), "duckdb", linkable[columns], "mentions")
    full = Linker(table, settings).inference.predict(
        threshold_match_weight=-1000.0, warning_mode="never"
    )
    expected = full.as_pandas_dataframe()
    swap = expected["unique_id_l"] > expected["unique_id_r"]
    expected.loc[swap, ["unique_id_l", "unique_id_r"]] = expected.loc[
        swap, ["unique_id_r", "unique_id_l"]
    ].to_numpy()
    expected = expected.sort_values(["unique_id_l", "unique_id_r"]).reset_index(drop=True)
    assert list(zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)) == list(
        zip(expected["unique_id_l"], expected["unique_id_r"], strict=True)
    )
    assert (pairs["match_weight"] - expected["match_weight"]).abs().max() < 1e-9
    for comparison, _levels in model.comparisons():
        labels = [level.label for level in comparison.levels]
        non_null = [lv for lv in comparison.levels if lv.kind != "null"]
        gamma_of = {lv.label: len(non_null) - 1 - non_null.index(lv) for lv in non_null}
        gamma_of[labels[0]] = -1
        found = pairs[f"level_{comparison.name}"].map(gamma_of).astype(int)
        assert (found.to_numpy() == expected[f"gamma_{comparison.name}"].to_numpy()).all()


def test_a_shared_email_is_strong_evidence(model: engine.Model) -> None:
    # Hardly any two random mentions share an e-mail address, so u is barely or never
    # observed: the level must still count (unobserved, it used to be left at weight 0).
    weights = {
        comparison.name: {
            level.label: math.log2(mu[0] / mu[1])
            for level, mu in zip(comparison.levels, levels, strict=True)
            if mu is not None
        }
        for comparison, levels in model.comparisons()
    }
    assert weights["email"]["shared e-mail"] > engine.DEFAULT_THRESHOLD_WEIGHT
    assert weights["phone"]["shared phone"] > engine.DEFAULT_THRESHOLD_WEIGHT


def test_swapped_names_are_a_level_of_both_names(model: engine.Model) -> None:
    written = {"dob": "1980-03-04", "phone": "(555) 234-5678"}
    one, other = prepare(
        pd.DataFrame(
            [
                {"unique_id": "a", "first_name": "Priya", "surname": "Raman", **written},
                {"unique_id": "b", "first_name": "Raman", "surname": "Priya", **written},
            ]
        )
    ).to_dict("records")
    (scored,) = engine.score_one(model, one, [other])
    assert scored.levels["first_name"] == "given name and surname swapped"
    assert scored.levels["surname"] == "given name and surname swapped"


def test_loose_blocking_rules_are_left_out_when_their_blocks_are_large() -> None:
    # Everyone in one city with one of two given names: pairing on city and given
    # name would compare most mentions with each other.
    rows = [
        {
            "unique_id": str(i),
            "first_name": ["Ann", "Bob"][i % 2],
            "surname": f"Surname{i // 2}",
            "dob": f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}",
            "city": "Springfield",
            "phone": f"(555) 201-{1000 + i // 2}",
        }
        for i in range(300)
    ]
    model = engine.train(prepare(pd.DataFrame(rows)), seed=1)
    rules = model.blocking_rule_names()
    assert "city_first" not in rules
    assert {"dob_initial", "formal_name", "phone"} <= set(rules)


def test_loose_blocking_rules_are_used_on_small_data(model: engine.Model) -> None:
    assert {"dob", "postcode_surname", "city_first"} <= set(model.blocking_rule_names())


def test_a_model_trained_before_the_swapped_name_level_still_scores(
    prepared: pd.DataFrame, model: engine.Model
) -> None:
    settings = json.loads(json.dumps(model.settings))
    for entry in settings["comparisons"]:
        if entry["output_column_name"] == "first_name":
            entry["comparison_levels"] = [
                level
                for level in entry["comparison_levels"]
                if level.get("label_for_charts") != "given name and surname swapped"
            ]
    old = engine.Model.from_json(json.dumps({**json.loads(model.to_json()), "settings": settings}))
    first_name = next(c for c, _ in old.comparisons() if c.name == "first_name")
    assert "given name and surname swapped" not in [lv.label for lv in first_name.levels]
    rescored = engine.score_pairs(prepared, old, min_weight=-1000.0)
    rows = {r["unique_id"]: _row(pd.Series(r)) for r in prepared.to_dict("records")}
    for pair in rescored.head(50).to_dict("records"):
        (scored,) = engine.score_one(old, rows[pair["unique_id_l"]], [rows[pair["unique_id_r"]]])
        assert scored.match_weight == pytest.approx(pair["match_weight"], abs=1e-6)


def test_to_arrow_reads_odd_values_like_plain_ones() -> None:
    from vigil.linkage.backends import to_arrow

    odd = pd.DataFrame(
        {
            "unique_id": ["1", "2", "3"],
            "first_name": ["ann", 7, None],  # an int in a text column
            "phones": [("+15552345678",), None, []],  # a tuple for a list
            "birth_year": pd.Series([1990, None, 1990.0], dtype=object),
        }
    )
    table = to_arrow(odd)
    assert table.column("first_name").to_pylist() == ["ann", "7", None]
    assert table.column("phones").to_pylist() == [["+15552345678"], None, []]
    assert table.column("birth_year").to_pylist() == [1990, None, 1990]
