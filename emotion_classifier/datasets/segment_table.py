"""``open_corpus``: a KEMDy19/KEMDy20 folder as the segment table of docs/architecture.md."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pandas as pd

from emotion_classifier.datasets import kemdy19, kemdy20
from emotion_classifier.datasets.annotation import check_tie_policy
from emotion_classifier.datasets.layout import KEMDY19, KEMDY20, annotation_files, detect_corpus
from emotion_classifier.datasets.media import attach_media
from emotion_classifier.datasets.transcripts import clean_transcript, read_transcripts

SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id", "segment_id_raw", "corpus", "session", "dialogue", "kind", "person", "gender", "view",
    "rater_file", "line", "numb", "start", "end", "emotion", "emotions", "emotions_as_written", "n_labels",
    "valence", "arousal", "rater_emotions", "rater_valence", "rater_arousal", "wav_path", "txt_path",
    "text_raw", "text", "ecg_start", "ecg_end", "eda_start", "eda_end", "temp_start", "temp_end",
)  # fmt: skip
"""Every column of the segment table, in order (docs/architecture.md)."""

READERS: dict[str, ModuleType] = {KEMDY19: kemdy19, KEMDY20: kemdy20}
"""Per corpus: a module with ``read_annotation_file(path, tie_policy, problems)`` and ``MEDIA_GLOB``."""


def open_corpus(path: str | Path, tie_policy: str = "drop") -> pd.DataFrame:
    """One row per segment and view, every label kept (``emotions``), ``emotion`` set by ``tie_policy``.

    ``attrs`` carries ``corpus``, ``root``, ``tie_policy`` and ``problems`` (what was skipped, with
    file and line). Raises `InputError` subclasses naming the file (and line) for unreadable input.
    """
    check_tie_policy(tie_policy)
    root = Path(path).resolve()
    corpus = detect_corpus(root)
    reader = READERS[corpus]
    problems: list[dict] = []
    table = pd.concat(
        [reader.read_annotation_file(f, tie_policy, problems) for f in annotation_files(root)[corpus]],
        ignore_index=True,
    )
    table = attach_media(table, root, reader.MEDIA_GLOB, problems)
    txt_paths = table["txt_path"].unique().tolist()  # KEMDy19 names each file twice (both views)
    table["text_raw"] = table["txt_path"].map(dict(zip(txt_paths, read_transcripts(txt_paths), strict=True)))
    table["text"] = table["text_raw"].map(clean_transcript)
    table = table.reindex(columns=list(SEGMENT_COLUMNS))
    table.attrs.update(corpus=corpus, root=str(root), tie_policy=tie_policy, problems=problems)
    return table
