"""Scores for the emotion task and the valence/arousal task, per fold and over folds.

Every scorer here works on the out-of-fold prediction table (docs/architecture.md), so single
modalities and every fusion method are scored by the same code.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    precision_recall_fscore_support,
)

from emotion_classifier.labels import EMOTIONS

PROBA_COLUMNS: tuple[str, ...] = tuple(f"p_{e}" for e in EMOTIONS)
SCALAR_METRICS: tuple[str, ...] = ("macro_f1", "uar", "accuracy", "weighted_f1")
TARGETS: tuple[str, ...] = ("valence", "arousal")


def ccc(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """Lin's concordance correlation coefficient.

    Unlike Pearson r it also penalises bias and scale errors, which is why the KEMDy
    valence/arousal task is scored with it. Population (ddof=0) moments, as in Lin (1989).
    """
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if t.shape != p.shape or t.size == 0:
        raise ValueError("ccc needs two non-empty arrays of the same shape")
    mt, mp = t.mean(), p.mean()
    cov = np.mean((t - mt) * (p - mp))
    denom = t.var() + p.var() + (mt - mp) ** 2
    return float(2 * cov / denom) if denom > 0 else float("nan")


def _uar(y_true: list[str], y_pred: list[str]) -> float:
    # A rare class may be absent from one fold's truth yet predicted: that is expected with
    # session-wise folds, not worth scikit-learn's warning on every fold.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        return balanced_accuracy_score(y_true, y_pred)


def classification_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict:
    """Macro-F1, unweighted accuracy (mean per-class recall), accuracy, weighted-F1, per class."""
    y_true = list(y_true)
    y_pred = list(y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(EMOTIONS), zero_division=0
    )
    return {
        "n": len(y_true),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "uar": float(_uar(y_true, y_pred)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "weighted_f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
        "per_class": {
            e: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for e, p, r, f, s in zip(EMOTIONS, precision, recall, f1, support, strict=True)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=list(EMOTIONS)).tolist(),
    }


def regression_scores(y_true: Sequence[float], y_pred: Sequence[float]) -> dict:
    """CCC with MAE and Pearson r, over the rows where both values are known."""
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    ok = np.isfinite(t) & np.isfinite(p)
    if ok.sum() < 2:
        return {"ccc": None, "mae": None, "pearson": None, "n": int(ok.sum())}
    t, p = t[ok], p[ok]
    pearson = float(np.corrcoef(t, p)[0, 1]) if t.std() > 0 and p.std() > 0 else float("nan")
    return {"ccc": ccc(t, p), "mae": float(mean_absolute_error(t, p)), "pearson": pearson, "n": int(ok.sum())}


def predicted_labels(predictions: pd.DataFrame) -> np.ndarray:
    """Arg-max of the seven probability columns, as label names."""
    return np.asarray(EMOTIONS)[predictions[list(PROBA_COLUMNS)].to_numpy().argmax(axis=1)]


def score_block(predictions: pd.DataFrame) -> dict:
    """Every metric for one block of out-of-fold predictions (one fold, or one dialogue kind)."""
    labelled = predictions[predictions["y_true"].fillna("").astype(str) != ""]
    scores = classification_scores(labelled["y_true"], predicted_labels(labelled)) if len(labelled) else {}
    for target in TARGETS:
        if f"{target}_pred" in predictions:
            scores[target] = regression_scores(predictions[f"{target}_true"], predictions[f"{target}_pred"])
    return scores


def score_predictions(predictions: pd.DataFrame) -> dict:
    """Per-fold scores, their mean and sd over folds, and the improvised/scripted breakdown."""
    folds = []
    for fold, block in predictions.groupby("fold", sort=True):
        entry = {"fold": int(fold), **score_block(block)}
        if "kind" in block:
            entry["by_kind"] = {kind: score_block(part) for kind, part in block.groupby("kind", sort=True)}
        folds.append(entry)
    return {"folds": folds, "summary": summarise_folds(folds)}


def _mean_sd(values: list[float]) -> dict:
    arr = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if arr.size == 0:
        return {"mean": None, "sd": None, "n_folds": 0}
    sd = float(arr.std(ddof=1)) if arr.size > 1 else None
    return {"mean": float(arr.mean()), "sd": sd, "n_folds": int(arr.size)}


def summarise_folds(folds: list[dict]) -> dict:
    """Mean and sample sd over folds of every scalar metric (and CCC/MAE/r per target)."""
    summary = {name: _mean_sd([f.get(name) for f in folds]) for name in SCALAR_METRICS}
    for target in TARGETS:
        if any(target in f for f in folds):
            summary[target] = {
                key: _mean_sd([f[target][key] for f in folds if target in f]) for key in ("ccc", "mae", "pearson")
            }
    summary["per_class_f1"] = {
        e: _mean_sd([f["per_class"][e]["f1"] for f in folds if "per_class" in f]) for e in EMOTIONS
    }
    return summary


def _float(value) -> float:
    """None (too few rows to score) as NaN, which is what the CSV reads back."""
    return float("nan") if value is None else float(value)


def folds_table(scores: dict) -> pd.DataFrame:
    """One row per fold with the scalar metrics and CCCs: the per-fold table users look at."""
    rows = []
    for f in scores["folds"]:
        row = {"fold": f["fold"], "n": f.get("n")}
        row.update({name: _float(f.get(name)) for name in SCALAR_METRICS})
        for target in TARGETS:
            if target in f:
                row[f"{target}_ccc"] = _float(f[target]["ccc"])
        rows.append(row)
    return pd.DataFrame(rows)
