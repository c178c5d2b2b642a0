import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.metrics import (
    PROBA_COLUMNS,
    ccc,
    classification_scores,
    regression_scores,
    score_predictions,
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
