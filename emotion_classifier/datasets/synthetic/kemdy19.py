"""The KEMDy19 layout: per-person annotation files with both views, and per-person bio files.

``annotation/SessionSS_{F,M}_res.csv`` (2 header rows, 43 columns read by position) carries the
owner's ECG, EDA and TEMP values at each segment's start and end; ``{EDA,TEMP,ECG}/SessionSS/Original/
SessSS{F,M}.csv`` hold ``value,elapsed_seconds,hh:mm:ss.fff[,SegmentID]`` at 4 Hz for the whole session.
The ECG file's first column rises steadily through each dialogue (a clock, not a signal), as in the
real corpus, while the annotation's ECG cells are small signal-like values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.datasets.synthetic.annotation import (
    annotation_table,
    rater_cells,
    rater_names,
    total_cells,
    write_tables,
)
from emotion_classifier.datasets.synthetic.biofiles import (
    bio_lines,
    bio_truth_rows,
    segment_labels,
)
from emotion_classifier.datasets.synthetic.body import BIO_RATE, BodyTrack
from emotion_classifier.datasets.synthetic.formatting import clock, fixed, formatted, write_lines
from emotion_classifier.datasets.synthetic.quirks import QuirkPlan, misspell_disgust
from emotion_classifier.datasets.synthetic.randomness import at_least_one, rng_for

SIGNALS = ("EDA", "TEMP", "ECG")
BIO_CELLS = ("ecg", "eda", "temp")
"""Column order of the annotation's bio cells (each with a start and an end value)."""
DECIMALS = {"eda": 6, "temp": 2}
"""Decimals of EDA and TEMP values, in the bio files and the annotation cells alike."""
BLANK_BIO_RATE = 0.01
"""Share of annotation rows with one blank pair of bio cells (77 of about 9,600 rows in the corpus)."""
TYPO_RATE = 0.25
"""Share of rater ``disgust`` cells written ``disqust``."""
ECG_RESTART_LEAD_S = 5.0
"""The ECG device's counter restarts this long before each dialogue."""
DAY_START_S = (9 * 3600, 17 * 3600)


def annotation_files(segments: pd.DataFrame) -> list[dict]:
    """One file per person: ``Session01_F_res.csv`` belongs to ``Sess01F``."""
    return [
        {"rater_file": f"Session{s:02d}_{g}_res.csv", "session": int(s), "owner": f"Sess{s:02d}{g}"}
        for s in sorted(segments["session"].unique())
        for g in ("F", "M")
    ]


def write_annotation(
    root: Path, segments: pd.DataFrame, ratings: dict[str, pd.DataFrame], tracks: dict[str, BodyTrack],
    quirks: QuirkPlan, seed: int,
) -> pd.DataFrame:
    """Write the annotation files; return their rows with every written cell (strings) and values."""
    table = annotation_table(segments, ratings, annotation_files(segments))
    table = _with_bio_cells(table, segments, tracks, quirks, rng_for(seed, "blank-bio"))
    table["rater_emotions_written"] = misspell_disgust(
        table["rater_emotions"].tolist(), TYPO_RATE, rng_for(seed, "typo")
    )
    write_tables(root, table, _headers, lambda row: _cells(row, segments))
    return table


def _headers(session: int) -> list[list[str]]:
    first = ["Numb", "Wav", "", "ECG", "", "E4-EDA", "", "E4-TEMP", "", "Segment ID"]
    second = ["", "start", "end", "start", "end", "start", "end", "start", "end", ""]
    first += ["Total Evaluation", "", ""]
    second += ["Emotion", "Valence", "Arousal"]
    for name in rater_names(session):
        first += [name, "", ""]
        second += ["Emotion", "Valence", "Arousal"]
    return [first, second]


def _cells(row: pd.Series, segments: pd.DataFrame) -> list[str]:
    seg = segments.loc[row["segment_index"]]
    bio = [row[f"{kind}_{edge}_written"] for kind in BIO_CELLS for edge in ("start", "end")]
    times = [fixed(seg["start_ms"] / 1000, 3), fixed(seg["end_ms"] / 1000, 3)]
    return [str(row["numb"]), *times, *bio, seg["segment_id_raw"], *total_cells(row), *rater_cells(row)]


def _with_bio_cells(
    table: pd.DataFrame, segments: pd.DataFrame, tracks: dict[str, BodyTrack], quirks: QuirkPlan,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The owner's ECG, EDA and TEMP at each segment's start and end (nearest 4 Hz sample).

    EDA and TEMP are blank for the dialogue recorded without them; a few other rows lose one pair.
    """
    table = table.copy()
    seg = segments.loc[table["segment_index"]]
    no_eda = (seg["dialogue"] == quirks.no_eda_temp_dialogue).to_numpy()
    blank = at_least_one(rng.random(len(table)) < BLANK_BIO_RATE, rng)
    blank_kind = rng.choice(np.array(BIO_CELLS), size=len(table))
    for kind in BIO_CELLS:
        for edge in ("start", "end"):
            values = np.array([
                getattr(tracks[owner], kind)[min(int(np.rint(t * BIO_RATE)), len(tracks[owner].time) - 1)]
                for owner, t in zip(table["owner"], seg[f"t_{edge}"], strict=True)
            ])  # fmt: skip
            empty = (blank & (blank_kind == kind)) | (no_eda & (kind != "ecg"))
            cells = np.where(empty, "", _cell_strings(kind, values)).tolist()
            table[f"{kind}_{edge}_written"] = cells
            table[f"{kind}_{edge}"] = [float(c) if c else np.nan for c in cells]
    return table


def _cell_strings(kind: str, values: np.ndarray) -> np.ndarray:
    """Annotation bio cells as written: EDA and TEMP by the very formatting of their file lines, so a
    cell equals the file value it was taken from even where two roundings of a tie would differ."""
    if kind == "ecg":
        return np.array([f"{v:.7g}" for v in values], dtype=object)
    return formatted(values, DECIMALS[kind])


def write_bio(
    root: Path, segments: pd.DataFrame, tracks: dict[str, BodyTrack], quirks: QuirkPlan, seed: int
) -> pd.DataFrame:
    """Write each person's EDA, TEMP and ECG file for the whole session; return the bio truth."""
    rows = []
    for session, seg in segments.groupby("session", sort=True):
        seg = seg.sort_values("t_start", kind="stable")
        day_start = round(float(rng_for(seed, "clock", session).uniform(*DAY_START_S)), 3)
        for gender in ("F", "M"):
            owner = f"Sess{session:02d}{gender}"
            track = tracks[owner]
            starts, ends = seg["t_start"].to_numpy(), seg["t_end"].to_numpy()
            labels = segment_labels(track.time, starts, ends, seg["segment_id"])
            elapsed = formatted(track.time, 2)
            clocks = np.array([clock(day_start + t) for t in track.time], dtype=object)
            own = seg[seg["speaker"] == owner]["segment_id"]
            for signal in SIGNALS:
                order = _line_order(signal, track, labels, seg, own, quirks)
                values = _values(signal, track, seg)
                file = f"{signal}/Session{session:02d}/Original/Sess{session:02d}{gender}.csv"
                fields = [values[order], elapsed[order], clocks[order]]
                write_lines(root / file, bio_lines(fields, labels[order]))
                rows += bio_truth_rows(file, signal, owner, labels[order], fields[1], fields[1], fields[0])
    return pd.DataFrame(rows)


def _line_order(
    signal: str, track: BodyTrack, labels: np.ndarray, seg: pd.DataFrame, own: pd.Series, quirks: QuirkPlan
) -> np.ndarray:
    """Which samples are written, in which order: gaps removed, a few segments written twice."""
    keep = np.ones(len(track.time), dtype=bool)
    if signal == "ECG":
        return np.flatnonzero(keep)
    missing = seg[seg["dialogue"] == quirks.no_eda_temp_dialogue]
    if len(missing):
        start, end = missing["dialogue_start_ms"].iloc[0] / 1000, missing["dialogue_end_ms"].iloc[0] / 1000
        keep &= (track.time < start) | (track.time >= end)
    if signal == "EDA":
        keep &= ~np.isin(labels, [s for s in quirks.eda_gap_segments if s in set(own)])
    order = np.flatnonzero(keep)
    for sid in [s for s in quirks.duplicated_segments if s in set(own)]:
        block = np.flatnonzero(labels[order] == sid)
        if len(block):
            order = np.insert(order, block[-1] + 1, order[block])
    return order


def _values(signal: str, track: BodyTrack, seg: pd.DataFrame) -> np.ndarray:
    """The first field: EDA (microsiemens, 6 decimals), TEMP (Celsius, 2 decimals), or the ECG clock."""
    if signal in ("EDA", "TEMP"):
        return formatted(getattr(track, signal.lower()), DECIMALS[signal.lower()])
    restarts = np.maximum(np.unique(seg["dialogue_start_ms"].to_numpy()) / 1000 - ECG_RESTART_LEAD_S, 0.0)
    latest = np.concatenate([[0.0], restarts])[np.searchsorted(restarts, track.time, side="right")]
    since = track.time - latest
    return np.array([str(int(round(v * 1000))) for v in since], dtype=object)
