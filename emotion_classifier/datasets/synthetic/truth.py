"""The ground truth of a generated corpus, in the segment-table vocabulary of docs/architecture.md.

One row per written annotation row, i.e. per (segment, view), in file order. It states what a
correct reader must find; the extra ``latent_*`` columns give the state that drove the signals, and
``wav_file``/``txt_file`` the media paths relative to the corpus root.
"""

from __future__ import annotations

import pandas as pd

from emotion_classifier.labels import EMOTIONS

BIO_CELL_COLUMNS = ("ecg_start", "ecg_end", "eda_start", "eda_end", "temp_start", "temp_end")
TRUTH_COLUMNS = (
    "segment_id", "segment_id_raw", "corpus", "session", "dialogue", "kind", "person", "gender", "view",
    "rater_file", "line", "numb", "start", "end", "emotions_as_written", "emotions", "n_labels", "valence",
    "arousal", "rater_emotions", "rater_valence", "rater_arousal", "has_wav", "has_txt", "wav_file",
    "txt_file", "text_raw", "text", "ecg_start", "ecg_end", "eda_start", "eda_end", "temp_start", "temp_end",
    "latent_emotion", "latent_valence", "latent_arousal",
)


def truth_table(
    table: pd.DataFrame, segments: pd.DataFrame, media: pd.DataFrame, corpus: str
) -> pd.DataFrame:
    """Join the written annotation rows with the segment plan and the media that were written."""
    seg = segments.loc[table["segment_index"]].reset_index(drop=True)
    med = media.loc[table["segment_index"]].reset_index(drop=True)
    rows = table.reset_index(drop=True)
    labels = rows["emotions_as_written"].str.split(";")
    out = pd.DataFrame(
        {
            "segment_id": seg["segment_id"],
            "segment_id_raw": seg["segment_id_raw"],
            "corpus": corpus,
            "session": seg["session"].astype(int),
            "dialogue": seg["dialogue"],
            "kind": seg["kind"],
            "person": seg["speaker"],
            "gender": seg["gender"],
            "view": rows["view"],
            "rater_file": rows["rater_file"],
            "line": rows["line"].astype(int),
            "numb": rows["numb"].astype(float),
            "start": seg["start_ms"] / 1000.0,
            "end": seg["end_ms"] / 1000.0,
            "emotions_as_written": rows["emotions_as_written"],
            "emotions": labels.map(lambda ls: ";".join(e for e in EMOTIONS if e in ls)),
            "n_labels": labels.map(len).astype(int),
            "valence": rows["valence"].astype(float),
            "arousal": rows["arousal"].astype(float),
            "rater_emotions": rows["rater_emotions"],
            "rater_valence": rows["rater_valence"],
            "rater_arousal": rows["rater_arousal"],
            "has_wav": med["has_wav"].astype(bool),
            "has_txt": med["has_txt"].astype(bool),
            "wav_file": med["wav_file"],
            "txt_file": med["txt_file"],
            "text_raw": med["text_raw"],
            "text": med["text"],
            **{c: rows[c].astype(float) for c in BIO_CELL_COLUMNS},
            "latent_emotion": rows["latent_emotion"],
            "latent_valence": rows["latent_valence"].astype(float).round(3),
            "latent_arousal": rows["latent_arousal"].astype(float).round(3),
        }
    )
    return out[list(TRUTH_COLUMNS)]
