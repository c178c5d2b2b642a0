"""Figures of the preprocessing notebook (class balance, a feature image, a dialogue's body signals).

They live here, not in the notebook, so the tests run exactly what the notebook shows.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from emotion_classifier.datasets import bio_files_for, read_bio_file
from emotion_classifier.labels import EMOTIONS

TIE_LABEL = "(tie, unlabelled)"


def class_balance(table: pd.DataFrame) -> pd.Series:
    """Rows per training label in `EMOTIONS` order, ties dropped by the tie policy counted last."""
    counts = table["emotion"].replace("", TIE_LABEL).value_counts()
    return counts.reindex([*EMOTIONS, TIE_LABEL], fill_value=0)


def plot_class_balance(table: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    ax = ax or plt.subplots(figsize=(7, 3))[1]
    counts = class_balance(table)
    ax.bar(counts.index, counts.to_numpy(), color=["C0"] * len(EMOTIONS) + ["0.6"])
    ax.set_ylabel("segments")
    ax.set_title(f"class balance ({len(table)} segments)")
    ax.tick_params(axis="x", rotation=30)
    return ax


def cleaning_examples(table: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Transcripts that cleaning changed, before and after (tags, overlaps, dual spellings)."""
    changed = table[table["text_raw"].ne(table["text"])]
    return changed[["segment_id", "text_raw", "text"]].head(n).reset_index(drop=True)


def plot_feature_image(
    features: np.ndarray, names: list[str], hop_seconds: float = 0.01, ax: plt.Axes | None = None
) -> plt.Axes:
    """One segment's `(frames, n_features)` array as an image, time on the x axis."""
    ax = ax or plt.subplots(figsize=(7, 3))[1]
    extent = (0.0, len(features) * hop_seconds, len(names) - 0.5, -0.5)
    image = ax.imshow(features.T, aspect="auto", origin="upper", extent=extent, cmap="magma")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("feature")
    ticks = np.linspace(0, len(names) - 1, min(len(names), 5)).astype(int)
    ax.set_yticks(ticks, [names[i] for i in ticks])
    ax.figure.colorbar(image, ax=ax)
    return ax


def _dialogue_samples(rows: pd.DataFrame, root: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """signal -> speaker -> that speaker's own samples during the dialogue's segments."""
    corpus = rows["corpus"].iloc[0]
    found: dict[str, dict[str, pd.DataFrame]] = {}
    for person, own in rows.groupby("person", sort=True):
        for signal, path in bio_files_for(own.iloc[0], root).items():
            if not path.exists():
                continue
            recording = read_bio_file(path, signal, corpus)
            samples = recording.samples
            tagged = samples[samples["segment_id"].isin(rows["segment_id"])]
            if recording.signal_column_found and len(tagged):
                span = samples["time"].between(tagged["time"].min() - 5, tagged["time"].max() + 5)
                found.setdefault(signal, {})[person] = samples[span]
    return found


def plot_dialogue_bio(table: pd.DataFrame, dialogue: str, root: str | Path) -> plt.Figure:
    """Each speaker's own body signals through one dialogue, their segments shaded in their colour."""
    rows = table[table["dialogue"].eq(dialogue) & table["view"].eq("speaker")]
    if rows.empty:
        raise ValueError(f"no speaker-view segments in dialogue {dialogue!r}")
    found = _dialogue_samples(rows, Path(root))
    fig, axes = plt.subplots(max(len(found), 1), 1, figsize=(9, 2.2 * max(len(found), 1)), sharex=True, squeeze=False)
    for ax, (signal, people) in zip(axes[:, 0], found.items(), strict=False):
        for colour, (person, samples) in enumerate(people.items()):
            ax.plot(samples["time"], samples["value"], color=f"C{colour}", lw=1, label=person)
            own = samples[samples["segment_id"].isin(rows.loc[rows["person"].eq(person), "segment_id"])]
            for _, seg in own.groupby("segment_id"):
                ax.axvspan(seg["time"].min(), seg["time"].max(), color=f"C{colour}", alpha=0.15, lw=0)
        ax.set_ylabel(signal)
        ax.legend(loc="upper right", fontsize="small")
    axes[-1, 0].set_xlabel("time in the recording (s); shaded: the person's own segments")
    fig.suptitle(f"{dialogue}: body signals of each speaker")
    return fig
