"""Scores for the emotion task and the valence/arousal task: per fold, pooled, with uncertainty.

Every scorer here works on the out-of-fold prediction table (docs/architecture.md), so single
modalities and every fusion method are scored by the same code.

One definition everywhere (README, "How we score"): a block of rows (a fold, or all folds pooled)
is scored over the classes present in its truth. Session-wise folds routinely lack a rare class;
counting such a class would turn one stray prediction of it into an F1 of 0 in the macro mean,
so macro-F1 and unweighted accuracy average over the present classes only, and the per-class F1
of an absent class is NaN (undefined), not 0.

The pooled scores (all out-of-fold rows at once) get a 95% interval from a bootstrap over test
sessions: sessions, not rows, are the independent unit (rows of one session share speakers and
dialogues), so each resample draws whole sessions with replacement and re-pools their rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    precision_recall_fscore_support,
    recall_score,
)

from emotion_classifier.labels import EMOTIONS

PROBA_COLUMNS: tuple[str, ...] = tuple(f"p_{e}" for e in EMOTIONS)
SCALAR_METRICS: tuple[str, ...] = ("macro_f1", "uar", "accuracy", "weighted_f1")
TARGETS: tuple[str, ...] = ("valence", "arousal")
HEADLINE_METRICS: tuple[str, ...] = (*SCALAR_METRICS, *(f"{t}_ccc" for t in TARGETS))
"""The metrics every comparison shows, each with its bootstrap interval."""
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
"""Fixed, so the same predictions always get the same intervals."""
_MOMENTS = 6  # n, sum t, sum p, sum t^2, sum p^2, sum t*p: enough to pool CCC over any set of rows


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


def present_classes(y_true: Sequence[str]) -> list[str]:
    """The emotions that occur in ``y_true`` (EMOTIONS order): the classes a block is scored over."""
    seen = set(y_true)
    return [e for e in EMOTIONS if e in seen]


def _defined(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def classification_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict:
    """Macro-F1, unweighted accuracy (mean per-class recall), accuracy, weighted-F1, per class.

    Averages run over ``classes`` (present in ``y_true``); a prediction of an absent class still
    counts as an error for the true class. Per class, recall and F1 of an absent class are undefined
    (None, null in metrics.json, NaN in tables), and so is the precision of a class neither present
    nor predicted: None rather than NaN keeps results comparable with ``==`` and valid JSON.
    """
    y_true = list(y_true)
    y_pred = list(y_pred)
    present = present_classes(y_true)
    labels = list(EMOTIONS)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    confusion = confusion_matrix(y_true, y_pred, labels=labels)
    absent = support == 0
    recall = np.where(absent, np.nan, recall)
    f1 = np.where(absent, np.nan, f1)
    precision = np.where(absent & (confusion.sum(axis=0) == 0), np.nan, precision)
    averaged = {"labels": present, "zero_division": 0}
    return {
        "n": len(y_true),
        "classes": present,
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", **averaged)),
        "uar": float(recall_score(y_true, y_pred, average="macro", **averaged)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "weighted_f1": float(f1_score(y_true, y_pred, average="weighted", **averaged)),
        "per_class": {
            e: {"precision": _defined(p), "recall": _defined(r), "f1": _defined(f), "support": int(s)}
            for e, p, r, f, s in zip(EMOTIONS, precision, recall, f1, support, strict=True)
        },
        "confusion": confusion.tolist(),
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


def _is_labelled(predictions: pd.DataFrame) -> np.ndarray:
    return (predictions["y_true"].fillna("").astype(str) != "").to_numpy()


def score_block(predictions: pd.DataFrame) -> dict:
    """Every metric for one block of out-of-fold predictions (one fold, one dialogue kind, or all)."""
    labelled = predictions[_is_labelled(predictions)]
    scores = classification_scores(labelled["y_true"], predicted_labels(labelled)) if len(labelled) else {}
    for target in TARGETS:
        if f"{target}_pred" in predictions:
            scores[target] = regression_scores(predictions[f"{target}_true"], predictions[f"{target}_pred"])
    return scores


def _with_kinds(block: pd.DataFrame) -> dict:
    scores = score_block(block)
    if "kind" in block:
        scores["by_kind"] = {kind: score_block(part) for kind, part in block.groupby("kind", sort=True)}
    return scores


def score_predictions(predictions: pd.DataFrame) -> dict:
    """Per-fold scores, their mean and sd over folds, the pooled scores and their session bootstrap.

    ``folds`` and ``summary`` (mean and sd over folds) show how much the score moves between test
    sessions; ``pooled`` scores all out-of-fold rows at once (every fold's rows count by their number,
    and a class needs to be present in the pooled truth only), and ``bootstrap`` holds its 95%
    intervals (`bootstrap_intervals`; absent without a ``session`` column), with ``by_kind`` as in
    ``pooled``: the improvised rows alone are the score scripted lines repeated across sessions cannot inflate.
    """
    folds = [{"fold": int(fold), **_with_kinds(block)} for fold, block in predictions.groupby("fold", sort=True)]
    scores = {"folds": folds, "summary": summarise_folds(folds), "pooled": _with_kinds(predictions)}
    if "session" in predictions and len(predictions):
        scores["bootstrap"] = bootstrap_intervals(predictions)
        if "kind" in predictions:
            scores["bootstrap"]["by_kind"] = {kind: bootstrap_intervals(part)
                                              for kind, part in predictions.groupby("kind", sort=True)}
    return scores


def fold_mean(predictions: pd.DataFrame, metric: str = "macro_f1") -> float | None:
    """The mean over folds of one scalar metric (None when no fold defines it), without the bootstrap.

    What a choice between models compares on validation rows: cheap, and on the same footing as the
    ``summary`` of `score_predictions`.
    """
    folds = [score_block(block) for _, block in predictions.groupby("fold", sort=True)]
    return _mean_sd([f.get(metric) for f in folds])["mean"]


def _mean_sd(values: list[float]) -> dict:
    arr = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if arr.size == 0:
        return {"mean": None, "sd": None, "n_folds": 0}
    sd = float(arr.std(ddof=1)) if arr.size > 1 else None
    return {"mean": float(arr.mean()), "sd": sd, "n_folds": int(arr.size)}


def summarise_folds(folds: list[dict]) -> dict:
    """Mean and sample sd over folds of every scalar metric (and CCC/MAE/r per target).

    A class's F1 is averaged over the folds whose truth holds it (``n_folds`` says how many).
    """
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


def headline_value(scores: dict, metric: str) -> float | None:
    """A `HEADLINE_METRICS` value of one `score_block` result (``valence_ccc`` reads ``scores["valence"]``)."""
    if metric in SCALAR_METRICS:
        return scores.get(metric)
    return (scores.get(metric.removesuffix("_ccc")) or {}).get("ccc")


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


# ---- session bootstrap -------------------------------------------------------------------------


def _confusion_scores(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """`classification_scores`' four averages for stacked confusion matrices (..., 7, 7).

    The same definitions in closed form (F1 = 2 TP / (true + predicted)), so a thousand resamples
    cost a few array operations instead of a thousand scikit-learn calls; a test holds the two equal.
    """
    true = confusion.sum(axis=-1)
    predicted = confusion.sum(axis=-2)
    hits = np.diagonal(confusion, axis1=-2, axis2=-1)
    present = true > 0
    total = true.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(present, 2 * hits / (true + predicted), 0.0)
        recall = np.where(present, hits / true, 0.0)
        n_present = present.sum(axis=-1)
        return {
            "macro_f1": f1.sum(axis=-1) / n_present,
            "uar": recall.sum(axis=-1) / n_present,
            "accuracy": hits.sum(axis=-1) / total,
            "weighted_f1": (true * f1).sum(axis=-1) / total,
        }


def _moment_ccc(moments: np.ndarray) -> np.ndarray:
    """CCC of pooled rows from their summed moments (..., 6); NaN below two rows or without spread."""
    n, st, sp, stt, spp, stp = np.moveaxis(moments, -1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mt, mp = st / n, sp / n
        cov = stp / n - mt * mp
        denom = stt / n - mt**2 + spp / n - mp**2 + (mt - mp) ** 2
        return np.where((n >= 2) & (denom > 0), 2 * cov / denom, np.nan)


@dataclass(frozen=True)
class SessionTotals:
    """Per test session, what pooled scores are sums of: a confusion matrix and CCC moments.

    Pooling any multiset of sessions is then a weighted sum, which is what makes the bootstrap cheap.
    """

    sessions: tuple[int, ...]
    confusion: np.ndarray  # (sessions, 7, 7), true class by row
    moments: dict[str, np.ndarray]  # target -> (sessions, 6)

    def scores(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """`HEADLINE_METRICS` of the rows pooled with session ``s`` counted ``weights[..., s]`` times."""
        weights = np.asarray(weights, dtype=float)
        scores = _confusion_scores(np.tensordot(weights, self.confusion, axes=(-1, 0)))
        scores.update({f"{t}_ccc": _moment_ccc(weights @ m) for t, m in self.moments.items()})
        return scores


def session_totals(predictions: pd.DataFrame, sessions: Sequence[int] | None = None) -> SessionTotals:
    """`SessionTotals` of an out-of-fold table; ``sessions`` fixes the order (and adds empty sessions)
    so that two models' totals line up for a paired comparison."""
    found = pd.to_numeric(predictions["session"]).astype(int)
    order = tuple(sorted(set(found))) if sessions is None else tuple(int(s) for s in sessions)
    position = found.map({s: i for i, s in enumerate(order)}).to_numpy()
    mask = _is_labelled(predictions)
    true = pd.Categorical(predictions.loc[mask, "y_true"], categories=EMOTIONS).codes
    guess = pd.Categorical(predicted_labels(predictions[mask]), categories=EMOTIONS).codes
    confusion = np.zeros((len(order), len(EMOTIONS), len(EMOTIONS)))
    np.add.at(confusion, (position[mask], true, guess), 1)
    moments = {}
    for target in TARGETS:
        if f"{target}_pred" not in predictions:
            continue
        t = predictions[f"{target}_true"].to_numpy(dtype=float)
        p = predictions[f"{target}_pred"].to_numpy(dtype=float)
        ok = np.isfinite(t) & np.isfinite(p)
        rows = np.stack([np.ones(ok.sum()), t[ok], p[ok], t[ok] ** 2, p[ok] ** 2, t[ok] * p[ok]], axis=1)
        moments[target] = np.zeros((len(order), _MOMENTS))
        np.add.at(moments[target], position[ok], rows)
    return SessionTotals(order, confusion, moments)


def session_resamples(n_sessions: int, n_resamples: int = BOOTSTRAP_RESAMPLES,
                      seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """(n_resamples, n_sessions) counts: how often each session is drawn when ``n_sessions`` sessions
    are drawn with replacement. The same arguments give the same draws, which is what pairs two models."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_sessions, np.full(n_sessions, 1.0 / n_sessions), size=n_resamples)


def _interval(values: np.ndarray) -> list[float] | None:
    """The 2.5th and 97.5th percentiles (percentile bootstrap), over resamples where the metric is defined."""
    values = values[np.isfinite(values)]
    return None if values.size == 0 else [float(v) for v in np.percentile(values, [2.5, 97.5])]


def bootstrap_intervals(predictions: pd.DataFrame, n_resamples: int = BOOTSTRAP_RESAMPLES,
                        seed: int = BOOTSTRAP_SEED) -> dict:
    """95% intervals of the pooled `HEADLINE_METRICS` from resampling test sessions with replacement.

    ``ci95`` maps each metric the model has to ``[lo, hi]`` (None when never defined).
    """
    totals = session_totals(predictions)
    draws = totals.scores(session_resamples(len(totals.sessions), n_resamples, seed))
    return {"unit": "session", "n_sessions": len(totals.sessions), "n_resamples": n_resamples, "seed": seed,
            "ci95": {name: _interval(values) for name, values in draws.items()}}


def paired_differences(predictions: pd.DataFrame, baseline: pd.DataFrame, n_resamples: int = BOOTSTRAP_RESAMPLES,
                       seed: int = BOOTSTRAP_SEED) -> dict[str, dict]:
    """Pooled `HEADLINE_METRICS` of ``predictions`` minus those of ``baseline``, with 95% intervals.

    Both are pooled over the same resampled sessions in every draw, so what the two share (a hard
    session is hard for both) cancels: the interval is that of the difference, far narrower than
    two overlapping intervals suggest. Returns ``{metric: {"difference", "ci95"}}`` for the metrics
    both models have.
    """
    sessions = sorted(set(pd.to_numeric(predictions["session"]).astype(int))
                      | set(pd.to_numeric(baseline["session"]).astype(int)))
    model, base = session_totals(predictions, sessions), session_totals(baseline, sessions)
    weights = session_resamples(len(sessions), n_resamples, seed)
    ones = np.ones(len(sessions))
    point, base_point = model.scores(ones), base.scores(ones)
    draws, base_draws = model.scores(weights), base.scores(weights)
    return {name: {"difference": float(point[name] - base_point[name]),
                   "ci95": _interval(draws[name] - base_draws[name])}
            for name in HEADLINE_METRICS if name in point and name in base_point}
