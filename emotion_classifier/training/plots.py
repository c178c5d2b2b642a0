"""Figures of one training run: confusion matrix, training curves, per-class F1.

They are saved as PNG next to the run's CSV files so a notebook, the report and a user browsing
the folder all look at the same pictures. Figures are built with ``matplotlib.figure.Figure``,
not pyplot: no display is needed and the caller's backend (a notebook's inline one) is untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from emotion_classifier.labels import EMOTIONS


def save_figure(fig: Figure, path: Path) -> Path:
    """Every figure of a run or report is written alike: the folder made, one resolution, tight bounds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def plot_confusion_matrix(y_true: Sequence[str], y_pred: Sequence[str], path: Path, title: str = "") -> Path:
    """Row-normalised (each true class sums to 1), so rare classes are as readable as neutral."""
    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.subplots()
    ConfusionMatrixDisplay.from_predictions(
        list(y_true), list(y_pred), labels=list(EMOTIONS), normalize="true", values_format=".2f",
        cmap="Blues", ax=ax, colorbar=False,
    )
    ax.set_title(title or "confusion matrix (rows: true class, normalised)")
    ax.tick_params(axis="x", labelrotation=45)
    return save_figure(fig, path)


def plot_training_curves(histories: Mapping[int, pd.DataFrame], path: Path, title: str = "") -> Path:
    """Loss and validation loss of every fold on one axis: over- or under-training shows at a glance."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    colours = colormaps["tab10"]
    for i, (fold, history) in enumerate(sorted(histories.items())):
        epochs = np.arange(1, len(history) + 1)
        for column, style in (("loss", "-"), ("val_loss", "--")):
            if column in history:
                ax.plot(epochs, history[column], style, color=colours(i % 10), label=f"fold {fold} {column}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title or "training curves (solid: train, dashed: validation)")
    if ax.lines:
        ax.legend(fontsize="small", ncols=2)
    return save_figure(fig, path)


def f1_axis(ax, title: str) -> None:
    """The per-class F1 axes of a run and of the report alike: 0-1 with the chance level (1/7) marked."""
    ax.axhline(1 / len(EMOTIONS), color="grey", linestyle=":", label=f"1/{len(EMOTIONS)}")
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1 (mean over folds)")
    ax.set_title(title)


def plot_per_class_f1(per_class_f1: Mapping[str, Mapping], path: Path, title: str = "") -> Path:
    """Mean F1 per class over folds with the sd as error bar (``summary["per_class_f1"]`` of metrics)."""
    means = [per_class_f1[e]["mean"] or 0.0 for e in EMOTIONS]
    sds = [per_class_f1[e]["sd"] or 0.0 for e in EMOTIONS]
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    ax.bar(list(EMOTIONS), means, yerr=sds, capsize=3, color="tab:blue")
    f1_axis(ax, title or "per-class F1")
    ax.legend(fontsize="small")
    return save_figure(fig, path)
