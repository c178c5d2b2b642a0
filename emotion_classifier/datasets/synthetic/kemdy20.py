"""The KEMDy20 (v1.1) layout: one annotation file per session, E4 exports per person and conversation.

``annotation/SessSS_eval.csv`` has 2 header rows whose blank cells hold a single space, and 37
columns (no bio cells, speaker view only); ``Sess17_eval.csv`` writes its ids as ``Sess42_...``. Bio
files ``{EDA,TEMP,IBI}/SessionSS/SessSS_scriptNN_UserUUUG.csv`` start with the E4 header lines (start
unix time; EDA/TEMP also the sampling rate) followed by ``value,timestamp[,SegmentID]`` or, for IBI,
``offset_s,ibi_s,timestamp[,SegmentID]``. EDA/TEMP files are continuous at 4 Hz, so a segment they do
not cover still has its lines, just without the id; IBI loses the beats of about a quarter of the
segments outright, as E4 beat detection does.
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
from emotion_classifier.datasets.synthetic.body import BIO_RATE, BodyTrack, beat_times
from emotion_classifier.datasets.synthetic.formatting import fixed, formatted, write_lines
from emotion_classifier.datasets.synthetic.quirks import misspell_disgust
from emotion_classifier.datasets.synthetic.randomness import rng_for

BLANK = " "
"""Blank header cells hold one space in KEMDy20 (pandas names them ``' .1'``, ``' .2'``, ...)."""
EDA_TEMP_COVERAGE = 0.95
IBI_COVERAGE = 0.75
TYPO_RATE = 0.5
"""Share of total-evaluation ``disgust`` cells written ``disqust``."""
UNIX_BASE = 1_560_000_000
WINDOW_LEAD_S, WINDOW_TAIL_S = 10.0, 5.0
"""Each conversation's recording starts a little before its first turn and ends after its last."""


def write_annotation(
    root: Path, segments: pd.DataFrame, ratings: dict[str, pd.DataFrame], seed: int
) -> pd.DataFrame:
    """Write ``SessSS_eval.csv`` files; return their rows with every written cell."""
    files = [
        {"rater_file": f"Sess{s:02d}_eval.csv", "session": int(s), "owner": None}
        for s in sorted(segments["session"].unique())
    ]
    table = annotation_table(segments, ratings, files)
    totals = table["emotions_as_written"].tolist()
    table["emotions_written"] = misspell_disgust(totals, TYPO_RATE, rng_for(seed, "typo"))
    for kind in ("ecg", "eda", "temp"):
        for edge in ("start", "end"):
            table[f"{kind}_{edge}"] = np.nan
    write_tables(root, table, _headers, lambda row: _cells(row, segments))
    return table


def _headers(session: int) -> list[list[str]]:
    first = ["Numb", "Wav", BLANK, "Segment ID", "Total Evaluation", BLANK, BLANK]
    second = [BLANK, "start", "end", BLANK, "Emotion", "Valence", "Arousal"]
    for name in rater_names(session):
        first += [name, BLANK, BLANK]
        second += ["Emotion", "Valence", "Arousal"]
    return [first, second]


def _cells(row: pd.Series, segments: pd.DataFrame) -> list[str]:
    seg = segments.loc[row["segment_index"]]
    times = [fixed(seg["start_ms"] / 1000, 3), fixed(seg["end_ms"] / 1000, 3)]
    return [str(row["numb"]), *times, seg["segment_id_raw"], *total_cells(row), *rater_cells(row)]


def write_bio(root: Path, segments: pd.DataFrame, tracks: dict[str, BodyTrack], seed: int) -> pd.DataFrame:
    """Write EDA, TEMP and IBI files per person and conversation; return the bio truth."""
    rows = []
    beats = {person: beat_times(track, rng_for(seed, "beats", person)) for person, track in tracks.items()}
    for dialogue, seg in segments.groupby("dialogue", sort=True):
        session = int(seg["session"].iloc[0])
        unix0 = UNIX_BASE + session * 86_400 + int(rng_for(seed, "unix", session).integers(0, 8 * 3600))
        window = (
            seg["dialogue_start_ms"].iloc[0] / 1000 - WINDOW_LEAD_S,
            seg["dialogue_end_ms"].iloc[0] / 1000 + WINDOW_TAIL_S,
        )
        for person in sorted(set(seg["speaker"]) | set(seg["listener"])):
            name = f"Session{session:02d}/{dialogue}_{person}.csv"
            rows += _write_e4(root, name, person, tracks[person], seg, window, unix0, seed)
            rows += _write_ibi(root, name, person, beats[person], seg, window, unix0, seed)
    return pd.DataFrame(rows)


def _write_e4(root, name, person, track: BodyTrack, seg, window, unix0, seed) -> list[dict]:
    """EDA and TEMP of one conversation: continuous, some segments' ids missing."""
    idx = np.flatnonzero((track.time >= window[0]) & (track.time <= window[1]))
    time = track.time[idx]
    labels = segment_labels(time, seg["t_start"].to_numpy(), seg["t_end"].to_numpy(), seg["segment_id"])
    rng = rng_for(seed, "coverage", "E4", name)
    uncovered = seg["segment_id"].to_numpy()[rng.random(len(seg)) > EDA_TEMP_COVERAGE]
    labels[np.isin(labels, uncovered)] = ""
    stamps = formatted(unix0 + time, 3)
    offsets = time - time[0]
    header = [fixed(unix0 + time[0], 6), fixed(BIO_RATE, 6)]
    rows = []
    for signal, values in (("EDA", formatted(track.eda[idx], 6)), ("TEMP", formatted(track.temp[idx], 2))):
        file = f"{signal}/{name}"
        write_lines(root / file, [*header, *bio_lines([values, stamps], labels)])
        rows += bio_truth_rows(file, signal, person, labels, stamps, offsets, values)
    return rows


def _write_ibi(root, name, person, beats: np.ndarray, seg, window, unix0, seed) -> list[dict]:
    """Beat-to-beat intervals of one conversation; the beats of about a quarter of the segments are lost."""
    inside = np.flatnonzero((beats >= window[0]) & (beats <= window[1]))
    inside = inside[inside > 0]  # an interval needs the beat before it
    start = np.ceil(window[0] * BIO_RATE) / BIO_RATE  # the EDA file's first sample
    time = beats[inside]
    labels = segment_labels(time, seg["t_start"].to_numpy(), seg["t_end"].to_numpy(), seg["segment_id"])
    rng = rng_for(seed, "coverage", "IBI", name)
    lost = seg["segment_id"].to_numpy()[rng.random(len(seg)) > IBI_COVERAGE]
    keep = ~np.isin(labels, lost)
    time, labels = time[keep], labels[keep]
    offsets = formatted(time - start, 6)
    intervals = formatted(beats[inside][keep] - beats[inside - 1][keep], 6)
    stamps = formatted(unix0 + time, 3)
    file = f"IBI/{name}"
    write_lines(root / file, [fixed(unix0 + start, 6), *bio_lines([offsets, intervals, stamps], labels)])
    return bio_truth_rows(file, "IBI", person, labels, stamps, offsets, intervals)
