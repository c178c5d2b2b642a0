import numpy as np
import pandas as pd

from emotion_classifier.labels import EMOTIONS
from emotion_classifier.reporting.training_summary import SUMMARY_COLUMNS, format_summary, summary_table
from emotion_classifier.training.metrics import PROBA_COLUMNS, folds_table, score_predictions


def _oof(n_folds=3, per_fold=40, seed=0, regression=True):
    rng = np.random.default_rng(seed)
    n = n_folds * per_fold
    frame = pd.DataFrame({
        "segment_id": [f"s{i}" for i in range(n)],
        "fold": np.repeat(np.arange(n_folds), per_fold),
        "kind": rng.choice(["impro", "script"], n),
        "y_true": rng.choice(EMOTIONS, n),
    })
    frame[list(PROBA_COLUMNS)] = rng.dirichlet(np.ones(len(EMOTIONS)), size=n)
    for t in ("valence", "arousal"):
        frame[f"{t}_true"] = rng.uniform(1, 5, n)
        frame[f"{t}_pred"] = frame[f"{t}_true"] + rng.normal(0, 1, n) if regression else np.nan
    return frame


def test_one_row_per_fold_then_mean_and_sample_sd_over_folds():
    metrics = score_predictions(_oof())
    table = summary_table(metrics)
    per_fold = folds_table(metrics)
    assert table.index.tolist() == ["0", "1", "2", "mean ± sd"]
    assert table["n"].tolist() == ["40", "40", "40", "120"]
    for column in ("macro_f1", "valence_ccc"):
        values = per_fold[column].to_numpy(dtype=float)
        assert table[column].iloc[:3].tolist() == [f"{v:.3f}" for v in values]
        assert table[column].iloc[-1] == f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def test_models_without_regression_heads_show_a_dash_for_ccc():
    table = summary_table(score_predictions(_oof(regression=False)))
    assert set(table["arousal_ccc"]) == {"-"}
    assert table["accuracy"].iloc[-1] != "-"


def test_text_summary_lists_what_was_not_scored():
    metrics = score_predictions(_oof(n_folds=2))
    metrics["skipped"] = {"tie_dropped": {"count": 3, "segment_ids": ["a", "b", "c"]},
                          "no_text": {"count": 0, "segment_ids": []}}
    text = format_summary(metrics, title="text")
    assert text.splitlines()[0] == "text"
    assert all(c in text for c in SUMMARY_COLUMNS)
    assert text.splitlines()[-1].startswith("not scored: tie_dropped 3")
    assert "no_text" not in text


def test_a_single_split_has_no_sd():
    table = summary_table(score_predictions(_oof(n_folds=1)))
    assert "±" not in table["macro_f1"].iloc[-1]
