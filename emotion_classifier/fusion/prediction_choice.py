"""Which fusion ``emotion predict`` applies to new recordings: ``fusion.json`` next to the final models.

The report scores every fusion method; prediction needs one. Only what can be applied to a single new
recording qualifies: a late-fusion method registered as applicable at prediction (a fixed weighted
average of the single models' outputs) or a registered joint network (the early-fusion model). A
stacker cannot: it is fitted per fold on validation predictions of that fold's models.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier import registry
from emotion_classifier.errors import InputError
from emotion_classifier.files import read_json, write_json
from emotion_classifier.fusion.late import CONFIG_FILE, WEIGHTS_FILE
from emotion_classifier.training.metrics import fold_mean
from emotion_classifier.training.runs import RunPaths, read_oof

FUSION_FILE = "fusion.json"
SELECTION_METRIC = "macro_f1"


def late_methods() -> tuple[str, ...]:
    """Late-fusion methods prediction applies (a weighted average of the single models' outputs)."""
    return registry.fusion_method_names(at_prediction=True)


def prediction_methods() -> tuple[str, ...]:
    """What ``fusion.json`` may choose: those late methods, or a registered joint network."""
    return (*late_methods(), *registry.modality_names(joint=True))


def equal_weights(modalities: Sequence[str]) -> dict[str, float]:
    """The soft vote's weights: what prediction uses when nothing was measured to be better."""
    return dict.fromkeys(modalities, 1.0 / max(len(modalities), 1))


@dataclass
class FusionChoice:
    """How the loaded models are combined (``fusion.json``).

    ``method`` is one of `prediction_methods()`; ``weights`` are the modality weights of the late method
    ``late_method``, applied when ``method`` is a vote, or when it is ``early_fusion`` and the folder
    holds no early-fusion model. Missing modalities weigh 0; weights are renormalised per recording.
    """

    method: str = "soft_vote"
    weights: dict[str, float] = field(default_factory=dict)
    late_method: str = "soft_vote"


def read_fusion_choice(folder: str | Path, modalities: tuple[str, ...]) -> FusionChoice:
    """``fusion.json`` of a models folder; without one, a soft vote (equal weights) of ``modalities``."""
    path = Path(folder) / FUSION_FILE
    if not path.is_file():
        return FusionChoice("soft_vote", equal_weights(modalities))
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        weights = {m: float(record["weights"].get(m, 0.0)) for m in modalities}
        method = record.get("method", "soft_vote")
        late_method = record.get("late_method", method if method in late_methods() else "soft_vote")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f'expected {{"method": ..., "weights": {{modality: number}}}} ({exc})', path) from None
    if method not in prediction_methods() or late_method not in late_methods():
        raise InputError(f"method must be one of {list(prediction_methods())} and late_method one of "
                         f"{list(late_methods())}, got {method!r} and {late_method!r}", path)  # fmt: skip
    if modalities and (any(v < 0 for v in weights.values()) or not any(v > 0 for v in weights.values())):
        raise InputError(f"weights must be >= 0 and one of {list(modalities)} positive, got {weights}", path)
    return FusionChoice(method, weights, late_method)


def save_fusion_weights(folder: str | Path, weights: Mapping[str, float], method: str = "soft_vote",
                        **details) -> Path:  # fmt: skip
    """Write ``fusion.json`` next to the models (e.g. the weights a weighted vote chose); ``details``
    (``late_method``, the scores behind a choice, why) are kept in it as given."""
    path = Path(folder) / FUSION_FILE
    write_json(path, {"method": method, "weights": {m: float(w) for m, w in weights.items()}, **details})
    return path


def fold_mean_weights(method_dir: str | Path) -> dict[str, float]:
    """The fold mean of a vote's modality weights (``runs/NAME/fusion/METHOD/weights.json`` of a method
    registered with ``learnt_weights``, e.g. ``weighted_vote``).

    Each fold chose its weights on its own validation sessions; for new recordings no fold is
    privileged, so their mean is what `save_fusion_weights` should keep.
    """
    path = Path(method_dir) / WEIGHTS_FILE
    if not path.is_file():
        raise InputError("fusion weights not found (run the late fusion first)", path)
    folds = read_json(path).get("folds", [])
    if not folds or any("weights" not in fold for fold in folds):
        raise InputError("no per-fold modality weights in this file (a stacker has none)", path)
    return pd.DataFrame([fold["weights"] for fold in folds]).fillna(0.0).mean().to_dict()


def validation_score(run_dir: str | Path, metric: str = SELECTION_METRIC) -> float | None:
    """The mean over folds of ``metric`` on a run's ``val_predictions.csv`` (None when absent or undefined).

    Validation rows are training sessions of their fold, so choosing on them leaves the test folds
    untouched: the out-of-fold scores stay an honest estimate of what was chosen. A fusion method's
    validation predictions are cross-fitted (`fusion.late.cross_fit_validation`).
    """
    path = RunPaths(Path(run_dir)).val
    if not path.is_file():
        return None
    value = fold_mean(read_oof(path), metric)
    return None if value is None or not np.isfinite(value) else float(value)


def validation_note(run_root: str | Path) -> str:
    """How the run's fusion methods got their validation predictions (``fusion/config.json``), '' if unknown."""
    path = Path(run_root) / "fusion" / CONFIG_FILE
    return (read_json(path).get("validation_predictions") or {}).get("note", "") if path.is_file() else ""


def choose_prediction_fusion(run_root: str | Path, modalities: Sequence[str], early_fusion: bool = True) -> dict | None:
    """The ``fusion.json`` record (`save_fusion_weights` arguments) for the final models of one run.

    Among what prediction can apply, a soft vote, a weighted vote with the fold-mean weights, and the
    early-fusion network when it was trained (``early_fusion``), the one with the best validation
    macro-F1 (mean over folds, `validation_score`); ties go to the simpler method. Test rows are never
    read, so the out-of-fold scores of the report remain an unbiased estimate for what was chosen.
    None when the run has validation predictions for none of them.
    """
    root = Path(run_root)
    folders = {method: root / "fusion" / method for method in late_methods()}
    if early_fusion:
        folders.update({name: root / name for name in registry.modality_names(joint=True)})
    scores = {m: score for m, folder in folders.items() if (score := validation_score(folder)) is not None}
    if not scores:
        return None
    late_scores = {method: scores[method] for method in late_methods() if method in scores}
    late = max(late_scores, key=late_scores.get) if late_scores else "soft_vote"
    learnt = registry.fusion_method(late).learnt_weights
    weights = fold_mean_weights(folders[late]) if learnt else equal_weights(modalities)
    best = max(scores, key=scores.get)
    return {"weights": weights, "method": best, "late_method": late, "metric": SELECTION_METRIC,
            "selection": "validation", "scores": scores, "reason": _reason(best, scores, validation_note(root)),
            "run": str(root)}  # fmt: skip


def _reason(best: str, scores: Mapping[str, float], note: str) -> str:
    """Why ``best`` was chosen, in one paragraph: the scores, the rows they come from, what they cannot show."""
    others = ", ".join(f"{m} {v:.3f}" for m, v in scores.items() if m != best)
    return (f"{best} has the best {SELECTION_METRIC} on the validation sessions (mean over folds {scores[best]:.3f}"
            f"{'; ' + others if others else ''}), so prediction uses it; chosen on validation sessions only, never "
            "on test rows, so the report's out-of-fold scores still estimate it fairly"
            f"{' (' + note + ')' if note else ''}. The networks were early-stopped on the same validation rows, "
            "which flatters every candidate alike. Stacking is not applied at prediction: its stackers belong to "
            "the fold models")  # fmt: skip
