"""``open_corpus``: a KEMDy19/KEMDy20 folder as the segment table of docs/architecture.md."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pandas as pd

from emotion_classifier.datasets import kemdy19, kemdy20
from emotion_classifier.datasets.annotation import check_tie_policy
from emotion_classifier.datasets.layout import KEMDY19, KEMDY20, annotation_files, detect_corpus
from emotion_classifier.datasets.media import MEDIA_SUFFIXES, attach_media, index_files
from emotion_classifier.datasets.transcripts import clean_transcript, read_transcripts
from emotion_classifier.errors import InputError

SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id", "segment_id_raw", "corpus", "session", "dialogue", "kind", "person", "gender", "view",
    "rater_file", "line", "numb", "start", "end", "emotion", "emotions", "emotions_as_written", "n_labels",
    "valence", "arousal", "rater_emotions", "rater_valence", "rater_arousal", "wav_path", "txt_path",
    "text_raw", "text", "ecg_start", "ecg_end", "eda_start", "eda_end", "temp_start", "temp_end",
)  # fmt: skip
"""Every column of the segment table, in order (docs/architecture.md)."""

COMPARED_ON_DUPLICATE: tuple[str, ...] = (
    "start", "end", "emotions_as_written", "valence", "arousal", "rater_emotions", "rater_valence", "rater_arousal",
)  # fmt: skip
"""What a repeated (Segment ID, view) row is compared on to call it identical or conflicting."""

READERS: dict[str, ModuleType] = {KEMDY19: kemdy19, KEMDY20: kemdy20}
"""Per corpus: a module with ``read_annotation_file(path, tie_policy, problems)`` and ``MEDIA_GLOB``."""


def media_files(path: str | Path) -> list[str]:
    """The wavs and transcripts `open_corpus` would attach, found without reading an annotation file (none
    when ``path`` is not a corpus: `open_corpus` says why): `prepare` hashes them while it reads the rest."""
    root = Path(path).resolve()
    try:
        reader = READERS[detect_corpus(root)]
    except InputError:
        return []
    return [p for suffix in MEDIA_SUFFIXES.values() for p in index_files(root, reader.MEDIA_GLOB, suffix, []).values()]


def drop_duplicate_segments(table: pd.DataFrame, files: pd.Series, problems: list[dict]) -> pd.DataFrame:
    """Keep the first row of each (segment id, view); list every later one in ``problems``.

    Policy: the first occurrence (file order, then line order) wins, because there is no way to tell
    which of two conflicting ratings is right, and keeping both would count one utterance twice (in
    training, and across folds). An identical copy is dropped too, but named differently so that a
    harmless copy and a changed label can be told apart. ``files`` holds each row's annotation path.
    """
    key = table["segment_id"] + "|" + table["view"]
    later = key.duplicated(keep="first")
    if not later.any():
        return table
    first_index = dict(zip(key[~later], table.index[~later], strict=True))
    for i in table.index[later]:
        first = first_index[key[i]]
        differs = [c for c in COMPARED_ON_DUPLICATE if str(table.at[i, c]) != str(table.at[first, c])]
        kind = f"conflicting duplicate (differs in {', '.join(differs)})" if differs else "identical duplicate"
        problems.append({
            "file": str(files[i]),
            "line": int(table.at[i, "line"]),
            "problem": f"{kind} of Segment ID {table.at[i, 'segment_id']!r} ({table.at[i, 'view']} view) first at "
                       f"{files[first]}:{int(table.at[first, 'line'])}; dropped, the first is kept",
        })  # fmt: skip
    return table[~later].reset_index(drop=True)


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
    paths = annotation_files(root)[corpus]
    frames = [reader.read_annotation_file(f, tie_policy, problems) for f in paths]
    files = pd.Series([str(f) for f, frame in zip(paths, frames, strict=True)
                       for _ in range(len(frame))], dtype=object)  # fmt: skip
    table = drop_duplicate_segments(pd.concat(frames, ignore_index=True), files, problems)
    table = attach_media(table, root, reader.MEDIA_GLOB, problems)
    txt_paths = table["txt_path"].unique().tolist()  # KEMDy19 names each file twice (both views)
    table["text_raw"] = table["txt_path"].map(dict(zip(txt_paths, read_transcripts(txt_paths, problems), strict=True)))
    table["text"] = table["text_raw"].map(clean_transcript)
    table = table.reindex(columns=list(SEGMENT_COLUMNS))
    table.attrs.update(corpus=corpus, root=str(root), tie_policy=tie_policy, problems=problems)
    return table
