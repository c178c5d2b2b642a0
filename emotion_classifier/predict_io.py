"""Batch and command-line input/output of prediction: tables of recordings in, printed results out.

Kept apart from the classifier (`predict.py`): these decide how recordings are listed (a DataFrame, a
CSV whose relative paths start at its folder, a folder of wav/txt pairs) and how one result is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.errors import InputError
from emotion_classifier.model_inputs import BIO_SIGNALS

INPUT_COLUMNS: tuple[str, ...] = ("wav", "text", "txt", *BIO_SIGNALS, "segment_id")


def format_prediction(result: Mapping) -> str:
    """What ``emotion predict`` prints for one recording (a `EmotionClassifier.predict` result)."""
    probabilities = ", ".join(f"{e} {p:.3f}" for e, p in result["probabilities"].items())
    unused = "; ".join(f"{m}: {reason}" for m, reason in result["skipped"].items())
    return "\n".join([
        f"emotion: {result['emotion']}",
        f"probabilities: {probabilities}",
        f"valence: {result['valence']:.2f}  arousal: {result['arousal']:.2f}  (1-5)",
        f"modalities: {', '.join(result['modalities'])}" + (f"  (not used: {unused})" if unused else ""),
        f"fusion: {result['method']}",
        *([f"note: {result['note']}"] if result.get("note") else []),
    ])  # fmt: skip


def recordings_table(inputs: pd.DataFrame | str | Path) -> pd.DataFrame:
    """The recordings of a DataFrame, a CSV file or a folder of wav/txt pairs (one row each)."""
    if isinstance(inputs, pd.DataFrame):
        table = inputs.reset_index(drop=True)
        where = "the input table"
    else:
        path = Path(inputs)
        if path.is_dir():
            return folder_recordings(path)
        if not path.is_file():
            raise InputError("input not found (expected a folder of wav/txt pairs or a CSV file)", path)
        table = read_recordings_csv(path)
        where = str(path)
    if not any(c in table for c in INPUT_COLUMNS if c != "segment_id"):
        raise InputError(f"{where} has none of the columns {', '.join(INPUT_COLUMNS[:-1])}")
    return table


def read_recordings_csv(path: Path) -> pd.DataFrame:
    """A CSV of recordings; its relative file paths are made relative to the CSV's folder."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV ({exc})", path) from None
    for column in ("wav", "txt", *BIO_SIGNALS):
        if column in table:
            table[column] = [str(path.parent / v) if v and not Path(v).is_absolute() else v for v in table[column]]
    return table


def folder_recordings(folder: Path) -> pd.DataFrame:
    """wav and txt files of a folder paired by file name (either may be missing for a name)."""
    stems = sorted({p.stem for p in folder.iterdir() if p.suffix.lower() in (".wav", ".txt") and p.is_file()})
    if not stems:
        raise InputError("no .wav or .txt files in this folder", folder)
    rows = []
    for stem in stems:
        wav, txt = folder / f"{stem}.wav", folder / f"{stem}.txt"
        rows.append({"wav": str(wav) if wav.is_file() else "", "txt": str(txt) if txt.is_file() else ""})
    return pd.DataFrame(rows)


def cell_value(value) -> str | None:
    """A table cell as an input: None for blanks and NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text if text.strip() else None
