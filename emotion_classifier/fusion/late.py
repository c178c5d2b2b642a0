"""Late fusion: combine the modalities' probabilities (and valence/arousal) after each was trained.

Every method is a scikit-learn style estimator: ``fit(val_block)`` on one outer fold's validation
predictions (validation sessions are training sessions of that fold, predicted by the fold's own
models), ``predict(test_block)`` on that fold's out-of-fold rows. So no weight or stacker ever sees
a test session. A row missing a modality is fused from the modalities it has.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, log_loss

from emotion_classifier import registry
from emotion_classifier.errors import InputError
from emotion_classifier.files import write_json
from emotion_classifier.fusion.align import (
    AlignedPredictions,
    align_predictions,
    combination_counts,
    load_modality_predictions,
)
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.metrics import TARGETS, folds_table, score_predictions
from emotion_classifier.training.runs import RunPaths, write_table

OBJECTIVES: tuple[str, ...] = ("macro_f1", "log_loss")
WEIGHTS_FILE = "weights.json"
COMBINATIONS_FILE = "combinations.json"
CONFIG_FILE = "config.json"
CROSS_FIT = "leave_one_session_out"
IN_SAMPLE = "in_sample"
CROSS_FIT_NOTES: dict[str, str] = {
    CROSS_FIT: "each method's validation-row predictions were cross-fitted: the rows of a validation session "
               "were predicted by the method fitted on the validation rows of every other session (all folds), "
               "so no method is scored on labels it was fitted on",
    IN_SAMPLE: "only one validation session: each method was fitted and scored on the same validation rows, "
               "so the validation scores of the fitted methods (weighted vote, stacking) are optimistic",
}  # fmt: skip
"""How `cross_fit_validation` made the validation predictions, said in fusion/config.json and in the report."""


def row_weights(available: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-row weights renormalised over the modalities the row has.

    A row whose available modalities all have weight zero falls back to their equal-weight mean,
    so a modality judged useless on validation rows cannot leave a row without a prediction.
    """
    w = available * np.asarray(weights, dtype=float)[None, :]
    total = w.sum(axis=1, keepdims=True)
    fallback = (total[:, 0] <= 0) & available.any(axis=1)
    w[fallback] = available[fallback].astype(float)
    total = w.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, w / total, np.nan)


def weighted_average(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over the modality axis of (rows, modalities[, k]) values, NaN where missing.

    Weights are renormalised per row over the modalities it has; rows with none come out NaN.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    available = finite if values.ndim == 2 else finite.all(axis=2)
    w = np.nan_to_num(row_weights(available, weights))
    filled = np.where(finite, values, 0.0)
    fused = np.einsum("nm,nm...->n...", w, filled)
    fused[~available.any(axis=1)] = np.nan
    return fused


def simplex_grid(n_parts: int, step: float = 0.1) -> np.ndarray:
    """Every weight vector of ``n_parts`` non-negative multiples of ``step`` summing to one."""
    k = round(1 / step)
    if n_parts < 1 or not np.isclose(k * step, 1.0):
        raise ValueError(f"need n_parts >= 1 and a step dividing 1, got {n_parts} and {step}")
    points = [(*c, k - sum(c)) for c in itertools.product(range(k + 1), repeat=n_parts - 1) if sum(c) <= k]
    return np.asarray(points, dtype=float) / k


def _labels(block: AlignedPredictions) -> np.ndarray:
    return block.meta["y_true"].to_numpy(dtype=object)


class _LateFusion(BaseEstimator):
    """What every method shares: the prediction table and the check that modalities match."""

    def _check_modalities(self, block: AlignedPredictions) -> None:
        if tuple(block.modalities) != tuple(self.modalities_):
            raise ValueError(f"fitted on modalities {self.modalities_}, asked to predict {block.modalities}")

    def predict(self, block: AlignedPredictions) -> pd.DataFrame:
        """The fused prediction table (runs-folder columns + ``modalities``) for ``block``'s rows."""
        self._check_modalities(block)
        return block.prediction_table(self.predict_proba(block), self.predict_regression(block))


class SoftVote(_LateFusion):
    """Equal-weight mean of the available modalities: the baseline, nothing to fit."""

    def fit(self, block: AlignedPredictions) -> SoftVote:
        self.modalities_ = tuple(block.modalities)
        self.weights_ = np.full(len(self.modalities_), 1 / len(self.modalities_))
        return self

    def predict_proba(self, block: AlignedPredictions) -> np.ndarray:
        return weighted_average(block.proba, self.weights_)

    def predict_regression(self, block: AlignedPredictions) -> dict[str, np.ndarray]:
        return {t: weighted_average(block.regression[t], self.weights_) for t in TARGETS}

    def fitted_params(self) -> dict:
        return {"weights": dict(zip(self.modalities_, self.weights_.tolist(), strict=True))}


class WeightedVote(SoftVote):
    """Modality weights on the simplex chosen on validation rows (grid search, ties toward equal).

    ``objective`` is ``macro_f1`` (maximised) or ``log_loss`` (minimised); ``step`` is the grid
    spacing. Valence and arousal are averaged with the same weights.
    """

    def __init__(self, objective: str = "macro_f1", step: float = 0.1):
        self.objective = objective
        self.step = step

    def _score(self, proba: np.ndarray, y: np.ndarray) -> float:
        if self.objective == "macro_f1":
            predicted = np.asarray(EMOTIONS)[proba.argmax(axis=1)]
            return float(f1_score(y, predicted, average="macro", zero_division=0))
        return -float(log_loss(y, np.clip(proba, 1e-12, 1.0), labels=list(EMOTIONS)))

    def fit(self, block: AlignedPredictions) -> WeightedVote:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        super().fit(block)  # the equal weights: kept without fitting rows, the tie-break target otherwise
        equal = self.weights_
        usable = block.fittable
        self.n_fit_rows_ = int(usable.sum())
        if self.n_fit_rows_ == 0:
            self.validation_score_ = None
            return self
        proba, y = block.proba[usable], _labels(block)[usable]
        grid = simplex_grid(len(self.modalities_), self.step)
        scores = np.array([self._score(weighted_average(proba, w), y) for w in grid])
        tied = np.flatnonzero(np.isclose(scores, scores.max(), rtol=0, atol=1e-12))
        best = tied[np.argmin(np.linalg.norm(grid[tied] - equal, axis=1))]
        self.weights_, self.validation_score_ = grid[best], float(scores[best])
        return self

    def fitted_params(self) -> dict:
        score = self.validation_score_
        if score is not None and self.objective == "log_loss":
            score = -score
        return {**super().fitted_params(), "objective": self.objective, "validation_score": score,
                "n_fit_rows": self.n_fit_rows_}


class StackingFusion(_LateFusion):
    """A multinomial logistic regression on the modalities' concatenated probabilities.

    A missing modality's probabilities are replaced by the fitting rows' class prior, with a 0/1
    "missing" column per modality, so the stacker learns how far to trust the rest. Valence and
    arousal get a ridge regression on the modalities' predictions (missing -> the fitting rows'
    mean target, plus the same indicator). ``C`` and ``alpha`` are the two regularisation strengths.
    """

    def __init__(self, C: float = 1.0, alpha: float = 1.0, max_iter: int = 2000):
        self.C = C
        self.alpha = alpha
        self.max_iter = max_iter

    def _proba_features(self, block: AlignedPredictions) -> np.ndarray:
        missing = ~block.available
        filled = np.where(missing[:, :, None], self.prior_[None, None, :], block.proba)
        return np.hstack([filled.reshape(len(block), -1), missing.astype(float)])

    def _regression_features(self, block: AlignedPredictions, target: str) -> np.ndarray:
        values = block.regression[target]
        missing = ~np.isfinite(values)
        return np.hstack([np.where(missing, self.target_means_[target], values), missing.astype(float)])

    def fit(self, block: AlignedPredictions) -> StackingFusion:
        self.modalities_ = tuple(block.modalities)
        usable = block.fittable
        if not usable.any():
            raise ValueError("stacking needs labelled validation rows, found none")
        y = _labels(block)[usable]
        self.prior_ = np.array([np.mean(y == e) for e in EMOTIONS])
        self.n_fit_rows_ = int(usable.sum())
        x = self._proba_features(block)[usable]
        if len(set(y)) < 2:
            self.classifier_ = DummyClassifier(strategy="prior").fit(x, y)
        else:
            self.classifier_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=self.max_iter)
            self.classifier_.fit(x, y)
        self._fit_regressors(block)
        return self

    def _fit_regressors(self, block: AlignedPredictions) -> None:
        self.target_means_, self.regressors_ = {}, {}
        for target in TARGETS:
            truth = block.meta[f"{target}_true"].to_numpy(dtype=float)
            rows = np.isfinite(truth) & np.isfinite(block.regression[target]).any(axis=1)
            self.target_means_[target] = float(truth[rows].mean()) if rows.any() else np.nan
            if rows.sum() < 2:
                self.regressors_[target] = None
                continue
            x = self._regression_features(block, target)[rows]
            self.regressors_[target] = Ridge(alpha=self.alpha).fit(x, truth[rows])

    def predict_proba(self, block: AlignedPredictions) -> np.ndarray:
        proba = np.zeros((len(block), len(EMOTIONS)))
        if len(block):
            columns = [EMOTIONS.index(c) for c in self.classifier_.classes_]
            proba[:, columns] = self.classifier_.predict_proba(self._proba_features(block))
        proba[~block.available.any(axis=1)] = np.nan
        return proba

    def predict_regression(self, block: AlignedPredictions) -> dict[str, np.ndarray]:
        out = {}
        for target in TARGETS:
            pred = np.full(len(block), np.nan)
            has_input = np.isfinite(block.regression[target]).any(axis=1)
            if self.regressors_[target] is not None and has_input.any():
                features = self._regression_features(block, target)[has_input]
                pred[has_input] = self.regressors_[target].predict(features)
            out[target] = pred
        return out

    def _feature_names(self) -> list[str]:
        names = [f"{m}:p_{e}" for m in self.modalities_ for e in EMOTIONS]
        return names + [f"{m}:missing" for m in self.modalities_]

    def fitted_params(self) -> dict:
        params = {
            "n_fit_rows": self.n_fit_rows_,
            "prior": dict(zip(EMOTIONS, self.prior_.tolist(), strict=True)),
            "classes": [str(c) for c in self.classifier_.classes_],
            "feature_names": self._feature_names(),
        }
        if isinstance(self.classifier_, LogisticRegression):
            params["coef"] = self.classifier_.coef_.tolist()
            params["intercept"] = self.classifier_.intercept_.tolist()
        else:
            params["model"] = "class prior (a single class in the validation rows)"
        params["regression"] = {
            t: None if r is None else {"coef": r.coef_.tolist(), "intercept": float(r.intercept_),
                                       "fill": self.target_means_[t]}
            for t, r in self.regressors_.items()
        }
        return params


def make_fuser(method: str, **params) -> _LateFusion:
    """The unfitted estimator of a registered fusion method (``registry``), configured with ``params``."""
    return registry.resolve(registry.fusion_method(method).estimator)(**params)


def fuse_folds(
    fuser: _LateFusion, val: AlignedPredictions, test: AlignedPredictions
) -> tuple[pd.DataFrame, list[dict]]:
    """Fit a fresh clone of ``fuser`` on each fold's validation rows, predict that fold's test rows.

    Returns the fused table of every test row and, per fold, what was fitted (JSON-ready).
    """
    tables, fitted = [], []
    for fold in sorted(test.meta["fold"].unique()):
        val_fold = val.fold(fold)
        model = _fit(fuser, val_fold, f"fold {fold}")
        tables.append(model.predict(test.fold(fold)))
        sessions = sorted(int(s) for s in val_fold.meta["session"].unique())
        fitted.append({"fold": int(fold), "val_sessions": sessions, **model.fitted_params()})
    return pd.concat(tables, ignore_index=True), fitted


def validation_scheme(val: AlignedPredictions) -> str:
    """`CROSS_FIT` when the validation rows span two sessions or more, else `IN_SAMPLE` (nothing to hold out)."""
    return CROSS_FIT if val.meta["session"].nunique(dropna=False) >= 2 else IN_SAMPLE


def cross_fit_validation(fuser: _LateFusion, val: AlignedPredictions) -> pd.DataFrame:
    """Validation-row predictions of ``fuser`` that never saw the labels of their own session.

    The rows of each validation session (of any fold) are predicted by a clone fitted on the
    validation rows of every other session. With a single validation session nothing can be held
    out: the clone is fitted and scored on the same rows (`validation_scheme` says so). The table
    keeps ``val``'s row order.
    """
    if validation_scheme(val) == IN_SAMPLE:
        return _fit(fuser, val, "validation rows").predict(val)
    sessions = val.meta["session"].fillna(-1).to_numpy()
    tables, order = [], []
    for session in np.unique(sessions):
        held = sessions == session
        model = _fit(fuser, val.rows(~held), f"validation rows outside session {session}")
        tables.append(model.predict(val.rows(held)))
        order.append(np.flatnonzero(held))
    table = pd.concat(tables, ignore_index=True)
    return table.iloc[np.argsort(np.concatenate(order), kind="stable")].reset_index(drop=True)


def _fit(fuser: _LateFusion, block: AlignedPredictions, what: str) -> _LateFusion:
    """A fresh clone of ``fuser`` fitted on ``block``; a fit that cannot be made is one line naming ``what``."""
    try:
        return clone(fuser).fit(block)
    except ValueError as exc:
        raise InputError(f"{what}: cannot fit {type(fuser).__name__}: {exc}") from None


def _unfusable(oof: AlignedPredictions) -> tuple[np.ndarray, dict]:
    """Rows no modality gave probabilities for, in the ``skipped`` form of the training runs."""
    none = ~oof.available.any(axis=1)
    ids = oof.meta.loc[none, "segment_id"].astype(str).tolist()
    return none, {"no_modality_predictions": {"count": int(none.sum()), "segment_ids": ids}}


def fuse_runs(
    run_dirs: Mapping[str, str | Path],
    out_dir: str | Path,
    methods: Sequence[str] | None = None,
    params: Mapping[str, Mapping] | None = None,
) -> dict:
    """Fuse the modality runs with every method; write ``out_dir/{method}/`` and the combination counts.

    ``run_dirs`` maps a modality name to its runs folder (``runs/NAME/text`` ...); ``out_dir`` is
    the fusion folder (``runs/NAME/fusion``); ``params`` maps a method to its estimator settings.
    Each method folder gets ``oof_predictions.csv``, ``val_predictions.csv`` (cross-fitted,
    `cross_fit_validation`: what choosing between methods reads), ``metrics.json``, ``metrics_folds.csv`` and
    ``weights.json``; ``out_dir`` gets ``combinations.json`` and ``config.json``. Returns the
    metrics per method, the combination counts and what was skipped. ``methods`` defaults to the
    registered methods ``emotion run`` applies by default.
    """
    methods = registry.fusion_method_names(default_only=True) if methods is None else tuple(methods)
    params = {m: dict((params or {}).get(m, {})) for m in methods}
    fusers = {m: make_fuser(m, **params[m]) for m in methods}
    tables = load_modality_predictions(run_dirs)
    val = align_predictions({m: v for m, (v, _) in tables.items()})
    oof = align_predictions({m: o for m, (_, o) in tables.items()})
    none, skipped = _unfusable(oof)
    oof = oof.rows(~none)
    combinations = {"oof": combination_counts(oof), "val": combination_counts(val)}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / COMBINATIONS_FILE, combinations)
    scored_val = val.rows(~_unfusable(val)[0])
    scheme = validation_scheme(scored_val)
    write_json(out_dir / CONFIG_FILE, {"run_dirs": {m: str(p) for m, p in run_dirs.items()},
                                         "modalities": list(oof.modalities), "methods": list(methods),
                                         "params": {m: fusers[m].get_params() for m in methods},
                                         "validation_predictions": {"scheme": scheme, "note": CROSS_FIT_NOTES[scheme]}})
    metrics = {}
    for method, fuser in fusers.items():
        fused, fitted = fuse_folds(fuser, val, oof)
        paths = RunPaths(out_dir / method)
        paths.root.mkdir(exist_ok=True)
        write_table(paths.val, cross_fit_validation(fuser, scored_val))
        write_table(paths.oof, fused)
        scores = score_predictions(fused)
        metrics[method] = {**scores, "method": method, "modalities": list(oof.modalities),
                           "combinations": combinations["oof"], "skipped": skipped}
        write_json(paths.metrics, metrics[method])
        write_table(paths.metrics_folds, folds_table(scores))
        weights = {"method": method, "params": fuser.get_params(), "folds": fitted}
        write_json(paths.root / WEIGHTS_FILE, weights)
    return {"metrics": metrics, "combinations": combinations, "skipped": skipped, "out_dir": str(out_dir)}
