"""Figures that compare runs, for the report: per-class F1 of every model, valence/arousal scatter.

The figures of a single run (confusion matrix, training curves) live in ``training.plots`` and
are reused as they are; these two need several models or the regression targets. Built on
``matplotlib.figure.Figure`` like those, so no display and no pyplot state are involved.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.metrics import TARGETS, ccc
from emotion_classifier.training.plots import f1_axis, save_figure


def plot_per_class_f1_comparison(per_class_f1: Mapping[str, Mapping[str, float | None]], path: Path,
                                 title: str = "") -> Path:
    """Grouped bars: for each emotion, one bar per model (``{model: {emotion: mean F1}}``).

    Side by side, it shows which modality carries which emotion, which one number cannot.
    """
    table = pd.DataFrame({model: [scores.get(e) for e in EMOTIONS] for model, scores in per_class_f1.items()},
                         index=list(EMOTIONS), dtype=float)
    fig = Figure(figsize=(max(7.0, 1.2 * len(EMOTIONS) + 0.3 * table.shape[1]), 4.5))
    ax = fig.subplots()
    table.fillna(0.0).plot.bar(ax=ax, width=0.8, rot=0)
    f1_axis(ax, title or "per-class F1 of every model")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, path)


def plot_valence_arousal(predictions: pd.DataFrame, path: Path, title: str = "") -> Path | None:
    """Predicted against true valence and arousal with the identity line; CCC (pooled rows) in titles.

    Returns None when the table has no regression predictions (a model without those heads).
    """
    panels = []
    for target in TARGETS:
        true = predictions[f"{target}_true"].to_numpy(dtype=float)
        pred = predictions[f"{target}_pred"].to_numpy(dtype=float)
        ok = np.isfinite(true) & np.isfinite(pred)
        if ok.sum() >= 2:
            panels.append((target, true[ok], pred[ok]))
    if not panels:
        return None
    fig = Figure(figsize=(5 * len(panels), 4.8))
    for ax, (target, true, pred) in zip(np.atleast_1d(fig.subplots(1, len(panels))), panels, strict=True):
        ax.scatter(true, pred, s=8, alpha=0.4)
        low, high = min(true.min(), pred.min()), max(true.max(), pred.max())
        ax.plot([low, high], [low, high], color="black", linewidth=1, label="identity")
        ax.set_xlabel(f"true {target}")
        ax.set_ylabel(f"predicted {target}")
        ax.set_title(f"{target}: CCC {ccc(true, pred):.3f} (all folds pooled)")
        ax.legend(fontsize="small", loc="upper left")
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)
