"""Class imbalance handling, applied to the training rows of a fold and nothing else.

KEMDy19 is 40% neutral and 4% fear (KEMDy20 86% neutral). Every mode here receives only the
encoded training rows, so resampling can never copy or interpolate a validation or test row
(oversampling before the split is what inflated the original project's scores).

SMOTE and valence/arousal: a synthetic row has no rated valence or arousal, and interpolating
the ratings would invent targets. Synthetic rows therefore carry ``source == -1``; the
estimators give them regression weight 0, so the regression heads learn from real rows only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.utils.class_weight import compute_class_weight

from emotion_classifier.labels import EMOTIONS

BALANCE_MODES: tuple[str, ...] = ("class_weight", "smote", "oversample", "cb_loss", "none")
SMOTE_NEIGHBOURS = 5


@dataclass
class BalancedSet:
    """The training rows to fit on, after balancing.

    ``source[i]`` is the position of row ``i`` in the arrays given to `balance_training_set`
    (repeated for oversampled copies, -1 for SMOTE rows); ``sample_weight`` is the per-row weight
    of the emotion loss; ``info`` is the JSON record of what was done.
    """

    x: np.ndarray
    y: np.ndarray
    source: np.ndarray
    sample_weight: np.ndarray
    info: dict = field(default_factory=dict)


def class_counts(y: np.ndarray, n_classes: int = len(EMOTIONS)) -> np.ndarray:
    """Training rows per class id (0 for classes absent from the fold)."""
    return np.bincount(np.asarray(y, dtype=int), minlength=n_classes)


def class_weights(y: np.ndarray) -> dict[int, float]:
    """scikit-learn's "balanced" weights n / (k * n_c) for the classes present in ``y``."""
    present = np.unique(y)
    weights = compute_class_weight("balanced", classes=present, y=y)
    return {int(c): float(w) for c, w in zip(present, weights, strict=True)}


def _class_name(class_id: int, n_classes: int) -> str:
    return EMOTIONS[class_id] if n_classes == len(EMOTIONS) else str(class_id)


def _named(values: dict[int, float] | np.ndarray, n_classes: int) -> dict:
    """Per-class values (a dict by class id, or an array indexed by it) keyed by label name."""
    items = values.items() if isinstance(values, dict) else enumerate(np.asarray(values).tolist())
    return {_class_name(int(i), n_classes): v for i, v in items}


def _unchanged(x: np.ndarray, y: np.ndarray) -> BalancedSet:
    n = len(y)
    return BalancedSet(x, y, np.arange(n), np.ones(n, dtype="float32"))


def oversample(x: np.ndarray, y: np.ndarray, seed: int = 0) -> BalancedSet:
    """Random oversampling of minority classes to the majority count, by row index.

    Resampling positions instead of the rows themselves is what makes this work for padded
    sequences as well as for fixed-length features.
    """
    sampler = RandomOverSampler(random_state=seed)
    sampler.fit_resample(np.arange(len(y)).reshape(-1, 1), y)
    rows = np.asarray(sampler.sample_indices_, dtype=int)
    return BalancedSet(x[rows], y[rows], rows, np.ones(rows.size, dtype="float32"))


def smote(x: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[BalancedSet, list[int]]:
    """SMOTE up to the majority count, for classes with at least two training rows.

    Returns the set and the class ids left as they were because one row cannot be interpolated.
    The neighbour count shrinks to fit the smallest resampled class (SMOTE needs k < its size).
    """
    counts = class_counts(y)
    target = int(counts.max())
    grow = {int(c): target for c in np.flatnonzero((counts >= 2) & (counts < target))}
    too_few = [int(c) for c in np.flatnonzero(counts == 1)]
    if not grow:
        return _unchanged(x, y), too_few
    k = min(SMOTE_NEIGHBOURS, int(min(counts[c] for c in grow)) - 1)
    x_res, y_res = SMOTE(sampling_strategy=grow, k_neighbors=k, random_state=seed).fit_resample(x, y)
    # imbalanced-learn returns the original rows first, in order, then the synthetic ones.
    source = np.concatenate([np.arange(len(y)), np.full(len(y_res) - len(y), -1)])
    return BalancedSet(x_res.astype(x.dtype), y_res, source, np.ones(len(y_res), dtype="float32")), too_few


def balance_training_set(
    mode: str,
    x: np.ndarray,
    y: np.ndarray,
    seed: int = 0,
    sequence: bool = False,
    cb_beta: float = 0.99,
    n_classes: int = len(EMOTIONS),
) -> BalancedSet:
    """Apply one balancing mode to the encoded training rows ``x`` with class ids ``y``.

    ``sequence`` marks padded sequences, which SMOTE refuses: interpolating two padded token-id
    or frame matrices makes neither a sentence nor an utterance.
    """
    if mode not in BALANCE_MODES:
        raise ValueError(f"balance mode must be one of {BALANCE_MODES}, got {mode!r}")
    x = np.asarray(x)
    y = np.asarray(y, dtype=int)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} training rows but {len(y)} labels")
    before = class_counts(y, n_classes)
    info: dict = {"mode": mode, "counts_before": _named(before, n_classes)}
    if mode == "smote" and sequence:
        raise ValueError(
            "SMOTE needs fixed-length inputs (bio features, pooled audio, sentence embeddings); "
            "use --balance oversample or class_weight for sequence models"
        )
    if mode == "class_weight":
        weights = class_weights(y)
        result = _unchanged(x, y)
        result.sample_weight = np.asarray([weights[c] for c in y], dtype="float32")
        info["class_weight"] = _named(weights, n_classes)
    elif mode == "smote":
        result, too_few = smote(x, y, seed)
        info["not_resampled"] = [_class_name(c, n_classes) for c in too_few]
        info["regression_targets"] = "synthetic rows get regression weight 0 (real rows only)"
    elif mode == "oversample":
        result = oversample(x, y, seed)
    else:
        result = _unchanged(x, y)
        if mode == "cb_loss":
            info["cb_beta"] = cb_beta
            from emotion_classifier.models.losses import class_balanced_weights  # Keras: only when training

            info["cb_weights"] = _named(class_balanced_weights(before, cb_beta), n_classes)
    info["counts_after"] = _named(class_counts(result.y, n_classes), n_classes)
    real = result.source[result.source >= 0]
    info["synthetic_rows"] = int(len(result.source) - real.size)
    info["duplicated_rows"] = int(real.size - np.unique(real).size)
    result.info = info
    return result
