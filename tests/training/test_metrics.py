import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.metrics import (
    HEADLINE_METRICS,
    PROBA_COLUMNS,
    SCALAR_METRICS,
    bootstrap_intervals,
    ccc,
    classification_scores,
    paired_differences,
    regression_scores,
    score_block,
    score_predictions,
    session_resamples,
    session_totals,
)


def test_ccc_matches_its_formula():
    rng = np.random.default_rng(1)
    t = rng.normal(3, 1, 200)
    p = 0.7 * t + rng.normal(0.4, 0.5, 200)
    cov = np.mean((t - t.mean()) * (p - p.mean()))
    expected = 2 * cov / (t.var() + p.var() + (t.mean() - p.mean()) ** 2)
    assert ccc(t, p) == pytest.approx(expected)


def test_ccc_is_one_only_for_identity_and_penalises_bias():
    t = np.linspace(1, 5, 50)
    assert ccc(t, t) == pytest.approx(1.0)
    assert ccc(t, t + 1.0) < 0.8  # Pearson r would still be 1
    assert ccc(t, 6 - t) == pytest.approx(-1.0)


def test_classification_scores_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.choice(EMOTIONS, 300)
    yhat = np.where(rng.random(300) < 0.6, y, rng.choice(EMOTIONS, 300))
    s = classification_scores(y, yhat)
    assert s["macro_f1"] == pytest.approx(f1_score(y, yhat, average="macro"))
    assert s["weighted_f1"] == pytest.approx(f1_score(y, yhat, average="weighted"))
    assert s["accuracy"] == pytest.approx(accuracy_score(y, yhat))
    assert s["uar"] == pytest.approx(balanced_accuracy_score(y, yhat))
    recalls = [s["per_class"][e]["recall"] for e in EMOTIONS]
    assert s["uar"] == pytest.approx(np.mean(recalls))
    assert np.asarray(s["confusion"]).sum() == 300


def test_regression_scores_ignore_missing_values():
    s = regression_scores([1, 2, np.nan, 4], [1.5, 2.5, 3.0, np.nan])
    assert s["n"] == 2
    assert s["mae"] == pytest.approx(0.5)


def _oof(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 120
    proba = rng.dirichlet(np.ones(7), n)
    frame = pd.DataFrame(proba, columns=PROBA_COLUMNS)
    frame["y_true"] = rng.choice(EMOTIONS, n)
    frame["fold"] = np.repeat([0, 1, 2], 40)
    frame["kind"] = rng.choice(["impro", "script"], n)
    frame["valence_true"] = rng.uniform(1, 5, n)
    frame["valence_pred"] = frame["valence_true"] + rng.normal(0, 0.5, n)
    return frame


def test_score_predictions_means_and_sds_over_folds():
    oof = _oof(3)
    scores = score_predictions(oof)
    per_fold = [f["macro_f1"] for f in scores["folds"]]
    assert len(per_fold) == 3
    assert scores["summary"]["macro_f1"]["mean"] == pytest.approx(np.mean(per_fold))
    assert scores["summary"]["macro_f1"]["sd"] == pytest.approx(np.std(per_fold, ddof=1))
    assert set(scores["folds"][0]["by_kind"]) == {"impro", "script"}
    assert "valence" in scores["summary"] and "arousal" not in scores["summary"]


def test_unlabelled_rows_are_not_scored_as_errors():
    oof = _oof(4)
    oof.loc[:9, "y_true"] = ""
    scores = score_predictions(oof)
    assert scores["folds"][0]["n"] == 30


# ---- one definition: classes present in the block's truth (expected values worked out by hand) ----


def test_a_stray_prediction_of_an_absent_class_does_not_count_as_a_class():
    # angry 5, happy 5; one angry predicted as "sad", which no row of the truth holds.
    y = ["angry"] * 5 + ["happy"] * 5
    yhat = ["angry"] * 4 + ["sad"] + ["happy"] * 5
    s = classification_scores(y, yhat)
    assert s["classes"] == ["angry", "happy"]
    # angry: TP 4, FN 1, FP 0 -> F1 = 2*4 / (5 + 4) = 8/9; happy: F1 = 1.
    assert s["per_class"]["angry"]["f1"] == pytest.approx(8 / 9)
    assert s["per_class"]["happy"]["f1"] == pytest.approx(1.0)
    assert s["macro_f1"] == pytest.approx((8 / 9 + 1) / 2)  # not (8/9 + 1 + 0) / 3 = 0.63
    assert s["uar"] == pytest.approx((0.8 + 1.0) / 2)
    assert s["accuracy"] == pytest.approx(0.9)
    assert s["weighted_f1"] == pytest.approx((5 * 8 / 9 + 5 * 1) / 10)
    assert s["per_class"]["sad"]["f1"] is None and s["per_class"]["sad"]["recall"] is None
    assert s["per_class"]["sad"]["precision"] == 0.0  # predicted once, wrongly
    assert s["per_class"]["fear"]["precision"] is None  # neither present nor predicted
    assert s["per_class"]["sad"]["support"] == 0


def test_a_fold_with_a_single_class():
    # neutral 4, one predicted as sad: TP 3, FN 1 -> recall 3/4, F1 = 6/7.
    s = classification_scores(["neutral"] * 4, ["neutral"] * 3 + ["sad"])
    assert s["classes"] == ["neutral"]
    assert s["macro_f1"] == pytest.approx(6 / 7)
    assert s["weighted_f1"] == pytest.approx(6 / 7)
    assert s["uar"] == pytest.approx(0.75)
    assert s["accuracy"] == pytest.approx(0.75)
    assert sum(s["per_class"][e]["f1"] is None for e in EMOTIONS) == 6


def test_a_perfect_fold_scores_one_on_its_classes_and_nan_elsewhere():
    y = ["angry", "angry", "fear", "surprise"]
    s = classification_scores(y, y)
    assert [s[k] for k in SCALAR_METRICS] == [1.0, 1.0, 1.0, 1.0]
    assert {e for e in EMOTIONS if s["per_class"][e]["f1"] is not None} == {"angry", "fear", "surprise"}


def _table(sessions, folds, truth, guess, valence=None) -> pd.DataFrame:
    frame = pd.DataFrame(0.0, index=range(len(truth)), columns=list(PROBA_COLUMNS))
    for i, label in enumerate(guess):
        frame.loc[i, f"p_{label}"] = 1.0
    frame["y_true"], frame["session"], frame["fold"] = truth, sessions, folds
    if valence is not None:
        frame["valence_true"], frame["valence_pred"] = valence
    return frame


def _two_folds() -> pd.DataFrame:
    # Fold 0 (session 1): the single-class fold above. Fold 1 (session 2): angry 2, sad 2, perfect.
    truth = ["neutral"] * 4 + ["angry", "angry", "sad", "sad"]
    guess = ["neutral"] * 3 + ["sad"] + ["angry", "angry", "sad", "sad"]
    return _table([1] * 4 + [2] * 4, [0] * 4 + [1] * 4, truth, guess)


def test_pooled_and_per_fold_scores_are_both_kept():
    scores = score_predictions(_two_folds())
    assert [f["macro_f1"] for f in scores["folds"]] == pytest.approx([6 / 7, 1.0])
    assert scores["summary"]["macro_f1"]["mean"] == pytest.approx((6 / 7 + 1) / 2)
    pooled = scores["pooled"]
    # Pooled: angry F1 1; neutral TP 3 FN 1 -> 6/7; sad TP 2 FP 1 -> 2*2 / (2 + 3) = 4/5.
    assert pooled["classes"] == ["angry", "neutral", "sad"]
    assert pooled["macro_f1"] == pytest.approx((1 + 6 / 7 + 4 / 5) / 3)
    assert pooled["uar"] == pytest.approx((1 + 3 / 4 + 1) / 3)
    assert pooled["accuracy"] == pytest.approx(7 / 8)
    # Per class over folds: only the folds whose truth holds the class.
    per_class = scores["summary"]["per_class_f1"]
    assert per_class["neutral"] == {"mean": pytest.approx(6 / 7), "sd": None, "n_folds": 1}
    assert per_class["sad"]["mean"] == pytest.approx(1.0) and per_class["disgust"]["mean"] is None
    assert scores["bootstrap"]["unit"] == "session" and scores["bootstrap"]["n_sessions"] == 2


# ---- session bootstrap -----------------------------------------------------------------------------


def test_the_bootstrap_resamples_whole_sessions():
    # Session 1 all right, session 2 all wrong, same size: a resample holds both (accuracy 0.5), or
    # twice one of them (1 or 0), so the 95% interval of the accuracy is [0, 1].
    truth = ["happy", "sad"] * 2
    frame = _table([1, 1, 2, 2], [0, 0, 1, 1], truth, ["happy", "sad", "sad", "happy"])
    boot = bootstrap_intervals(frame)
    assert boot["ci95"]["accuracy"] == [0.0, 1.0]
    assert boot == bootstrap_intervals(frame)  # fixed seed: the same intervals every time
    counts = session_resamples(5, n_resamples=50, seed=3)
    assert counts.shape == (50, 5) and set(counts.sum(axis=1)) == {5}


def test_pooled_totals_reproduce_the_scikit_learn_scores():
    frame = _oof(7).assign(session=np.random.default_rng(7).integers(1, 9, 120))
    frame.loc[frame["y_true"] == "fear", "y_true"] = "disgust"  # an absent class, still predicted
    frame.loc[::17, "valence_pred"] = np.nan
    totals = session_totals(frame)
    pooled = totals.scores(np.ones(len(totals.sessions)))
    expected = score_block(frame)
    for name in HEADLINE_METRICS[:4]:
        assert pooled[name] == pytest.approx(expected[name])
    assert pooled["valence_ccc"] == pytest.approx(expected["valence"]["ccc"])
    assert "arousal_ccc" not in pooled


def test_paired_differences_use_the_same_sessions_for_both_models():
    truth = ["happy", "sad"] * 2
    sessions, folds = [1, 1, 2, 2], [0, 0, 1, 1]
    perfect = _table(sessions, folds, truth, truth)
    half = _table(sessions, folds, truth, ["happy", "sad", "sad", "happy"])  # session 2 all wrong
    diff = paired_differences(perfect, half)
    # Resamples: both sessions (difference 0.5), session 2 twice (1) or session 1 twice (0).
    assert diff["accuracy"]["difference"] == pytest.approx(0.5)
    assert diff["accuracy"]["ci95"] == [0.0, 1.0]
    same = paired_differences(half, half)
    assert all(d["difference"] == 0 and d["ci95"] == [0.0, 0.0] for d in same.values())
