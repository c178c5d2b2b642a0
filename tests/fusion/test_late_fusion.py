import json
import math

import numpy as np
import pandas as pd
import pytest
from fake_runs import (
    FOLD_SESSIONS,
    fake_segments,
    poison_labels,
    predict,
    split_rows,
    val_sessions_of,
    write_fake_runs,
)

from emotion_classifier import registry
from emotion_classifier.fusion.align import align_predictions
from emotion_classifier.fusion.late import (
    CROSS_FIT,
    IN_SAMPLE,
    SoftVote,
    StackingFusion,
    WeightedVote,
    fuse_runs,
    make_fuser,
    row_weights,
    simplex_grid,
    validation_scheme,
)
from emotion_classifier.registry import FusionMethod
from emotion_classifier.training.metrics import PROBA_COLUMNS, score_predictions
from emotion_classifier.training.runs import OOF_COLUMNS, read_oof


@pytest.fixture(scope="module")
def rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    return split_rows(fake_segments(per_session=30))


def _blocks(rows, skills: dict[str, float], missing: dict[str, float] | None = None):
    missing = missing or {}
    val_rows, oof_rows = rows
    tables = {m: (predict(val_rows, s, seed=2 * i, missing=missing.get(m, 0)),
                  predict(oof_rows, s, seed=2 * i + 1, missing=missing.get(m, 0)))
              for i, (m, s) in enumerate(skills.items())}
    return (align_predictions({m: v for m, (v, _) in tables.items()}),
            align_predictions({m: o for m, (_, o) in tables.items()}), tables)


def test_simplex_grid_covers_the_simplex_once():
    grid = simplex_grid(3, 0.1)
    assert len(grid) == math.comb(10 + 2, 2)
    np.testing.assert_allclose(grid.sum(axis=1), 1.0)
    assert (grid >= 0).all() and len(np.unique(grid.round(6), axis=0)) == len(grid)


def test_soft_vote_is_the_mean_of_probabilities_and_regressions(rows):
    val, oof, _ = _blocks(rows, {"text": 0.4, "speech": 0.2, "bio": 0.1})
    fused = SoftVote().fit(val).predict(oof)
    np.testing.assert_allclose(fused[list(PROBA_COLUMNS)].to_numpy(), oof.proba.mean(axis=1))
    np.testing.assert_allclose(fused["valence_pred"], oof.regression["valence"].mean(axis=1))
    assert list(fused.columns) == [*OOF_COLUMNS, "modalities"]


def test_a_row_with_only_text_gets_exactly_the_text_probabilities(rows):
    val, oof, tables = _blocks(rows, {"text": 0.4, "speech": 0.2, "bio": 0.1}, {"speech": 0.3, "bio": 0.3})
    text_only = oof.combinations().to_numpy() == "text"
    assert text_only.any()
    j = oof.modalities.index("text")
    for fuser in (SoftVote(), WeightedVote()):
        fused = fuser.fit(val).predict(oof)
        fused_proba = fused.loc[text_only, list(PROBA_COLUMNS)].to_numpy()
        np.testing.assert_allclose(fused_proba, oof.proba[text_only, j])
        assert (fused.loc[text_only, "modalities"] == "text").all()


def test_zero_weight_modalities_fall_back_to_an_equal_mean():
    available = np.array([[True, True], [False, True], [False, False]])
    w = row_weights(available, np.array([1.0, 0.0]))
    np.testing.assert_allclose(w[:2], [[1.0, 0.0], [0.0, 1.0]])
    assert np.isnan(w[2]).all()


@pytest.mark.parametrize("objective", ["macro_f1", "log_loss"])
def test_weighted_vote_recovers_the_informative_modality(rows, objective):
    val, oof, _ = _blocks(rows, {"good": 0.3, "noise": 0.0})
    fuser = WeightedVote(objective=objective).fit(val.fold(0))
    weights = dict(zip(fuser.modalities_, fuser.weights_, strict=True))
    assert weights["good"] > weights["noise"]
    assert sum(weights.values()) == pytest.approx(1.0)


def test_weighted_vote_ties_break_toward_equal_weights(rows):
    val, _, tables = _blocks(rows, {"a": 0.3})
    same = align_predictions({"a": tables["a"][0], "b": tables["a"][0]})
    np.testing.assert_allclose(WeightedVote().fit(same).weights_, [0.5, 0.5])


def test_stacking_outputs_probability_distributions(rows):
    val, oof, _ = _blocks(rows, {"text": 0.3, "speech": 0.15, "bio": 0.05}, {"bio": 0.4, "text": 0.1})
    fused = StackingFusion(C=0.5).fit(val.fold(1)).predict(oof.fold(1))
    proba = fused[list(PROBA_COLUMNS)].to_numpy()
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isfinite(fused["valence_pred"]).all()
    assert (fused["modalities"] != "bio+speech+text").any()  # rows with a missing modality were fused too


class _Spy:
    """Records the (fold, session) pairs of every block a fusion estimator is fitted on."""

    seen: list[set[tuple[int, int]]] = []

    def fit(self, block):
        pairs = zip(block.meta["fold"].astype(int), block.meta["session"].astype(int), strict=True)
        type(self).seen.append(set(pairs))
        return super().fit(block)


class SpyWeightedVote(_Spy, WeightedVote):
    pass


class SpyStacking(_Spy, StackingFusion):
    pass


def test_fusion_is_fitted_on_the_folds_validation_sessions_only(tmp_path):
    _Spy.seen.clear()
    dirs = write_fake_runs(tmp_path / "run")
    spies = (FusionMethod("spy_weighted", SpyWeightedVote), FusionMethod("spy_stacking", SpyStacking))
    with registry.registered(*spies):
        fuse_runs(dirs, tmp_path / "run" / "fusion", methods=("spy_weighted", "spy_stacking"))
    for pairs in _Spy.seen:  # the per-fold fits and the cross-fitted validation predictions alike
        for fold, session in pairs:
            assert session in val_sessions_of(fold) and session not in FOLD_SESSIONS[fold]
    per_fold = [pairs for pairs in _Spy.seen if len({fold for fold, _ in pairs}) == 1]
    assert len(per_fold) == 2 * len(FOLD_SESSIONS)
    weights = json.loads((tmp_path / "run" / "fusion" / "spy_weighted" / "weights.json").read_text())
    assert [f["val_sessions"] for f in weights["folds"]] == [list(val_sessions_of(k)) for k in range(3)]


def test_validation_predictions_of_a_method_never_come_from_a_fit_on_their_session(tmp_path):
    dirs = write_fake_runs(tmp_path / "run")
    fuse_runs(dirs, tmp_path / "fusion")
    config = json.loads((tmp_path / "fusion" / "config.json").read_text())
    recorded = config["validation_predictions"]
    assert recorded["scheme"] == CROSS_FIT and "cross-fitted" in recorded["note"]
    val = align_predictions({m: read_oof(d / "val_predictions.csv") for m, d in dirs.items()})
    for method in ("weighted_vote", "stacking"):
        written = read_oof(tmp_path / "fusion" / method / "val_predictions.csv")
        assert list(written[["segment_id", "fold"]].itertuples(index=False)) == list(
            val.meta[["segment_id", "fold"]].itertuples(index=False))
        session = int(val.meta["session"].iloc[0])
        held = (val.meta["session"] == session).to_numpy()
        fitted_elsewhere = make_fuser(method).fit(val.rows(~held)).predict(val.rows(held))
        np.testing.assert_allclose(written.loc[held, list(PROBA_COLUMNS)].to_numpy(),
                                   fitted_elsewhere[list(PROBA_COLUMNS)].to_numpy())
    one_session = val.rows((val.meta["session"] == val.meta["session"].iloc[0]).to_numpy())
    assert validation_scheme(one_session) == IN_SAMPLE


def _fitted(out):
    methods = ("weighted_vote", "stacking")
    return {m: json.loads((out / m / "weights.json").read_text())["folds"] for m in methods}


def test_test_labels_cannot_change_what_fusion_fits(tmp_path):
    dirs = write_fake_runs(tmp_path / "run")
    fuse_runs(dirs, tmp_path / "clean")
    for folder in dirs.values():
        poison_labels(folder, "oof", seed=1)
    fuse_runs(dirs, tmp_path / "poisoned_test")
    assert _fitted(tmp_path / "poisoned_test") == _fitted(tmp_path / "clean")
    for folder in dirs.values():  # control: the same poisoning of validation rows does change the fit
        poison_labels(folder, "val", seed=1)
    fuse_runs(dirs, tmp_path / "poisoned_val")
    assert _fitted(tmp_path / "poisoned_val")["stacking"] != _fitted(tmp_path / "clean")["stacking"]


def test_fuse_runs_writes_scored_tables_for_every_method(tmp_path):
    dirs = write_fake_runs(tmp_path / "run")
    oof_speech = pd.read_csv(dirs["speech"] / "oof_predictions.csv")
    oof_speech.loc[0, list(PROBA_COLUMNS)] = np.nan
    oof_speech.to_csv(dirs["speech"] / "oof_predictions.csv", index=False)
    lost = oof_speech.loc[0, "segment_id"]
    for modality in ("text", "bio"):  # make segment `lost` unscored by every modality
        table = pd.read_csv(dirs[modality] / "oof_predictions.csv")
        table[table["segment_id"] != lost].to_csv(dirs[modality] / "oof_predictions.csv", index=False)
    result = fuse_runs(dirs, tmp_path / "fusion")
    assert result["skipped"]["no_modality_predictions"] == {"count": 1, "segment_ids": [lost]}
    for method in ("soft_vote", "weighted_vote", "stacking"):
        folder = tmp_path / "fusion" / method
        fused = pd.read_csv(folder / "oof_predictions.csv", keep_default_na=False, na_values=[""])
        assert list(fused.columns) == [*OOF_COLUMNS, "modalities"]
        assert len(fused) == len(oof_speech) - 1 and lost not in set(fused["segment_id"])
        metrics = json.loads((folder / "metrics.json").read_text())
        expected = score_predictions(fused)
        assert metrics["summary"]["macro_f1"] == pytest.approx(expected["summary"]["macro_f1"])
        assert metrics["combinations"] == fused["modalities"].value_counts().to_dict()
    counts = json.loads((tmp_path / "fusion" / "combinations.json").read_text())
    assert sum(counts["oof"].values()) == len(oof_speech) - 1
