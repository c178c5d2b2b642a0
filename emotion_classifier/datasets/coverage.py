"""Which speaker-view segments have body-signal samples in the speaker's own files.

The annotation bio cells only hold start/end values; whether a segment can get bio features depends
on the bio files themselves carrying its id, so coverage is measured by reading them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emotion_classifier.datasets.bio import (
    BIO_SIGNALS,
    BioRecording,
    bio_files_for,
    read_bio_file,
    unmatched_ids_problem,
)


def owner_files(speaker: pd.DataFrame, root: Path) -> pd.DataFrame:
    """Each row's bio file per signal (a path string, '' when the file does not exist)."""
    raw_dialogue = speaker["segment_id_raw"].str.split("_").str[:2].str.join("_")
    key = speaker["corpus"] + "|" + speaker["person"] + "|" + speaker["dialogue"] + "|" + raw_dialogue
    firsts = ~key.duplicated()
    files = {k: bio_files_for(row, root) for k, (_, row) in zip(key[firsts], speaker[firsts].iterrows(), strict=True)}
    signals = BIO_SIGNALS[speaker["corpus"].iloc[0]]
    return pd.DataFrame(
        {s: key.map({k: str(f[s]) if f[s].exists() else "" for k, f in files.items()}) for s in signals},
        index=speaker.index,
    )


def _samples_per_row(speaker: pd.DataFrame, recording: BioRecording) -> pd.Series:
    """Samples carrying each row's id, trying the canonical id, then the id as written."""
    counts = recording.samples["segment_id"].value_counts()
    found = speaker["segment_id"].map(counts).fillna(speaker["segment_id_raw"].map(counts))
    return found.fillna(0).astype(int)


def bio_coverage(table: pd.DataFrame, root: str | Path | None = None) -> pd.DataFrame:
    """One row per speaker-view segment: for each signal ``S`` of the corpus, ``S_file`` ('' when the
    speaker's file is missing), ``S_samples`` (samples carrying the segment id) and ``S_signal`` (the
    file holds a usable signal column; False for a KEMDy19 ECG file that only has time columns).

    ``attrs["problems"]`` lists the malformed and implausible bio lines, empty files and files whose ids
    match no segment (with their ``signal``), ``attrs["notes"]`` what was detected in
    undocumented layouts (one entry per file). Each file is read once.
    """
    root = Path(root if root is not None else table.attrs["root"])
    speaker = table[table["view"].eq("speaker")]
    coverage = pd.DataFrame({"segment_id": speaker["segment_id"]}, index=speaker.index)
    problems: list[dict] = []
    notes: list[str] = []
    if speaker.empty:
        coverage.attrs.update(problems=problems, notes=notes)
        return coverage
    files = owner_files(speaker, root)
    table_ids = set(table["segment_id"]).union(table["segment_id_raw"])
    corpus = speaker["corpus"].iloc[0]
    for signal in files.columns:
        samples = pd.Series(0, index=speaker.index)
        usable = pd.Series(False, index=speaker.index)
        for path, rows in speaker.groupby(files[signal]):
            if not path:
                continue
            recording = read_bio_file(path, signal, corpus)
            problems.extend({**p, "signal": signal} for p in recording.problems)
            if (unmatched := unmatched_ids_problem(recording, table_ids)) is not None:
                problems.append({**unmatched, "signal": signal})
            notes.extend([recording.layout_note] if recording.layout_note else [])
            samples[rows.index] = _samples_per_row(rows, recording)
            usable[rows.index] = recording.signal_column_found
        prefix = signal.lower()
        coverage[f"{prefix}_file"] = files[signal]
        coverage[f"{prefix}_samples"] = samples
        coverage[f"{prefix}_signal"] = usable
    coverage.attrs.update(problems=problems, notes=notes)
    return coverage
