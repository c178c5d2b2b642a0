"""Reading the artifacts folder back (`load_artifacts`) and writing its segment table.

Every file is checked against `segments.csv` row for row on load: a model trained on rows that
do not belong together is the silent failure this layout exists to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emotion_classifier import registry
from emotion_classifier.bundles.resolve import resolve_folder
from emotion_classifier.errors import InputError
from emotion_classifier.files import read_json

SEGMENTS = "segments.csv"
TOKENS = "text_tokens.csv"
AUDIO = "audio_features.npz"
BIO = "bio_features.csv"
MANIFEST = "manifest.json"

STRING_COLUMNS: tuple[str, ...] = (
    "segment_id", "segment_id_raw", "corpus", "dialogue", "kind", "person", "gender", "view", "rater_file",
    "emotion", "emotions", "emotions_as_written", "rater_emotions", "rater_valence", "rater_arousal",
    "wav_path", "txt_path", "text_raw", "text",
)  # fmt: skip
"""Segment-table columns holding text: read back as str with '' (never NaN) for empty cells."""


@dataclass
class Artifacts:
    """Everything `prepare` wrote, aligned row for row with `table`.

    ``stages`` holds each stage's artifact as its registered loader reads it back (keyed by the
    stage name: ``text``, ``audio``, ``bio``, and any stage a registered modality adds).
    ``tokens``, ``audio``, ``audio_feature_names`` and ``bio`` are the built-in stages' artifacts.
    """

    table: pd.DataFrame
    stages: dict[str, Any]
    manifest: dict
    folder: Path

    @property
    def tokens(self) -> list[list[str]]:
        return self.stages["text"]

    @property
    def audio(self) -> list[np.ndarray]:
        return self.stages["audio"].frames

    @property
    def audio_feature_names(self) -> list[str]:
        return self.stages["audio"].feature_names

    @property
    def bio(self) -> pd.DataFrame:
        return self.stages["bio"]


def read_table_csv(path: Path, string_columns: tuple[str, ...] = STRING_COLUMNS) -> pd.DataFrame:
    """A CSV whose text columns stay text: '' and words such as 'NA' are not turned into NaN."""
    header = pd.read_csv(path, nrows=0).columns
    text = [c for c in header if c in string_columns]
    numeric_na = {c: ["", "nan", "NaN"] for c in header if c not in text}
    return pd.read_csv(path, dtype=dict.fromkeys(text, str), keep_default_na=False, na_values=numeric_na)


def check_aligned(ids: np.ndarray, table: pd.DataFrame, path: Path) -> None:
    expected = table["segment_id"].to_numpy(dtype=str)
    if len(ids) != len(expected) or not np.array_equal(np.asarray(ids, dtype=str), expected):
        raise InputError(
            f"rows are not aligned with {SEGMENTS} ({len(ids)} vs {len(expected)} rows); "
            "rerun `emotion prepare` on this folder",
            path,
        )


def pack_frames(arrays: list[np.ndarray], n_features: int) -> dict[str, np.ndarray]:
    """Variable-length `(frames, n_features)` arrays as one concatenated array plus offsets (no padding)."""
    return {
        "features": np.concatenate(arrays) if arrays else np.zeros((0, n_features), np.float32),
        "offsets": np.cumsum([0] + [len(a) for a in arrays]).astype(np.int64),
    }


def unpack_frames(features: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """The inverse of `pack_frames` (views into `features`, no copies)."""
    return [features[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def require_finished(folder: str | Path) -> Path:
    """``folder`` as a finished `prepare` output, or one `InputError` line: checked before a command
    creates any output folder of its own (a mistyped --artifacts must leave nothing behind)."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise InputError(f"no {MANIFEST}: not a finished `emotion prepare` output (run it, or rerun it)", folder)
    return folder


def load_artifacts(folder: str | Path) -> Artifacts:
    """Load a finished `prepare` output; refuses a folder without a manifest (unfinished run).

    ``folder`` may also be an artifacts bundle (``.zip`` or ``https://`` link, `bundles.resolve_folder`):
    it is unpacked once into the cache and read from there.

    Each stage the manifest lists is read by the loader its modality registered; a stage no
    registered modality reads (a plug-in not imported in this session) is left out.
    """
    folder = resolve_folder(folder, "artifacts")
    require_finished(folder)
    manifest = read_json(folder / MANIFEST)
    table = read_table_csv(folder / SEGMENTS)
    written = manifest.get("stages") or {}
    stages = {
        spec.stage_name: registry.resolve(spec.load)(folder, table)
        for spec in registry.stage_modalities()
        if spec.stage_name in written and spec.load is not None
    }
    return Artifacts(table=table, stages=stages, manifest=manifest, folder=folder)
