"""Per-modality prediction tables, read from run folders and aligned segment by segment.

Each modality scores a different subset of segments (no bio file, an empty transcript, an
unreadable wav), so late fusion works on the union of the segments any modality scored and keeps,
per row, which modalities it has. Everything downstream (the fusion methods, the combination
counts of the report) reads this one aligned structure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.errors import InputError
from emotion_classifier.training.metrics import PROBA_COLUMNS, TARGETS
from emotion_classifier.training.runs import OOF_COLUMNS, RunPaths, read_oof

KEY_COLUMNS: tuple[str, ...] = ("segment_id", "fold")
META_COLUMNS: tuple[str, ...] = tuple(
    c for c in OOF_COLUMNS if c not in PROBA_COLUMNS and not c.endswith("_pred")
)
"""What describes a row: every column of ``oof_predictions.csv`` but the predictions."""

COMBINATION_SEPARATOR = "+"
NO_MODALITY = "(none)"


@dataclass(frozen=True)
class AlignedPredictions:
    """The union of scored segments, one row per (segment, fold), with every modality's predictions.

    ``proba`` is (rows, modalities, 7) in EMOTIONS order and ``regression[target]`` is
    (rows, modalities); both are NaN where a modality did not score the row.
    """

    meta: pd.DataFrame
    modalities: tuple[str, ...]
    proba: np.ndarray
    regression: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.meta)

    @property
    def available(self) -> np.ndarray:
        """(rows, modalities) bool: the modality gave a complete probability vector for the row."""
        return np.isfinite(self.proba).all(axis=2)

    @property
    def labelled(self) -> np.ndarray:
        return (self.meta["y_true"] != "").to_numpy()

    @property
    def fittable(self) -> np.ndarray:
        """Rows a fusion method can learn from: labelled, and scored by at least one modality."""
        return self.labelled & self.available.any(axis=1)

    def rows(self, mask: np.ndarray) -> AlignedPredictions:
        """The subset of rows selected by a boolean mask (or positions)."""
        idx = np.flatnonzero(mask) if np.asarray(mask).dtype == bool else np.asarray(mask, dtype=int)
        return AlignedPredictions(
            meta=self.meta.iloc[idx].reset_index(drop=True),
            modalities=self.modalities,
            proba=self.proba[idx],
            regression={t: v[idx] for t, v in self.regression.items()},
        )

    def fold(self, fold: int) -> AlignedPredictions:
        return self.rows((self.meta["fold"] == fold).to_numpy())

    def combinations(self) -> pd.Series:
        """Per row, the available modalities joined by '+' (e.g. ``speech+text``)."""
        names = np.asarray(self.modalities)
        joined = [COMBINATION_SEPARATOR.join(names[row]) or NO_MODALITY for row in self.available]
        return pd.Series(joined, index=self.meta.index, name="modalities", dtype=object)

    def prediction_table(self, proba: np.ndarray, regression: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """A fused prediction table in the runs-folder columns, plus the ``modalities`` of each row."""
        table = self.meta.copy()
        for j, column in enumerate(PROBA_COLUMNS):
            table[column] = proba[:, j]
        for target in TARGETS:
            table[f"{target}_pred"] = regression[target]
        table = table[list(OOF_COLUMNS)]
        table["modalities"] = self.combinations().to_numpy()
        return table


def _read_predictions(path: Path) -> pd.DataFrame:
    table = read_oof(path)
    table.attrs["path"] = str(path)
    return table


def load_modality_predictions(
    run_dirs: Mapping[str, str | Path],
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """``{modality: (val_predictions, oof_predictions)}`` from each modality's run folder.

    Each table remembers its file in ``attrs["path"]`` so later errors can name it.
    """
    if not run_dirs:
        raise ValueError("late fusion needs at least one modality run folder")
    paths = {modality: RunPaths(Path(folder)) for modality, folder in run_dirs.items()}
    return {modality: (_read_predictions(p.val), _read_predictions(p.oof)) for modality, p in paths.items()}


def _check_unique_keys(table: pd.DataFrame) -> None:
    duplicated = table.duplicated(list(KEY_COLUMNS), keep="first")
    if duplicated.any():
        first = int(np.flatnonzero(duplicated.to_numpy())[0])
        row = table.iloc[first]
        raise InputError(
            f"segment {row['segment_id']} appears twice in fold {row['fold']}",
            table.attrs.get("path"),
            first + 2,
        )


def _union_meta(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    sourced = [t[list(META_COLUMNS)].assign(_source=t.attrs.get("path", m)) for m, t in tables.items()]
    stacked = pd.concat(sourced, ignore_index=True)
    grouped = stacked.groupby(list(KEY_COLUMNS), sort=True)
    conflicts = grouped[["session", "kind", "y_true"]].nunique(dropna=False).gt(1).any(axis=1)
    if conflicts.any():
        segment, fold = conflicts[conflicts].index[0]
        rows = (stacked["segment_id"] == segment) & (stacked["fold"] == fold)
        sources = ", ".join(sorted(stacked.loc[rows, "_source"]))
        raise InputError(
            f"segment {segment} (fold {fold}) has a different label, session or kind in {sources}: "
            "were the modalities trained on the same artifacts and tie policy?"
        )
    return grouped[list(META_COLUMNS[2:])].first().reset_index()


def align_predictions(tables: Mapping[str, pd.DataFrame]) -> AlignedPredictions:
    """Align one split (all ``val`` or all ``oof`` tables) of several modalities on (segment_id, fold).

    Modalities are kept in sorted order so weights and combination names do not depend on the
    order the caller listed them in.
    """
    if not tables:
        raise ValueError("nothing to align: no prediction tables given")
    modalities = tuple(sorted(tables))
    for table in tables.values():
        _check_unique_keys(table)
    meta = _union_meta(tables)
    meta["fold"] = meta["fold"].astype(int)
    meta["y_true"] = meta["y_true"].fillna("").astype(str)
    key = pd.MultiIndex.from_frame(meta[list(KEY_COLUMNS)])
    indexed = {m: tables[m].set_index(list(KEY_COLUMNS)).reindex(key) for m in modalities}
    proba = np.stack([indexed[m][list(PROBA_COLUMNS)].to_numpy(dtype=float) for m in modalities], axis=1)
    regression = {
        t: np.stack([indexed[m][f"{t}_pred"].to_numpy(dtype=float) for m in modalities], axis=1)
        for t in TARGETS
    }
    return AlignedPredictions(meta=meta, modalities=modalities, proba=proba, regression=regression)


def combination_counts(aligned: AlignedPredictions) -> dict[str, int]:
    """How many rows had each combination of available modalities (largest first)."""
    counts = aligned.combinations().value_counts()
    return {str(name): int(n) for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))}
