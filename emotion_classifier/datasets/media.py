"""Finding each segment's wav and txt files.

Files are found by a fixed-depth glob (never ``**``) because most KEMDy19 dialogue folders hold a
``converted/`` copy of every wav, which a recursive search would read twice or instead of the original.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SKIPPED_FOLDERS = frozenset({"converted"})
MEDIA_SUFFIXES = {"wav_path": ".wav", "txt_path": ".txt"}


def index_files(root: Path, pattern: str, suffix: str, problems: list[dict]) -> dict[str, str]:
    """Absolute path of every ``pattern + suffix`` file by stem; a second file with the same stem is
    listed in ``problems`` and ignored (the first in sorted order wins, so the choice is stable)."""
    index: dict[str, str] = {}
    for path in sorted(root.glob(pattern + suffix)):
        if SKIPPED_FOLDERS.intersection(path.relative_to(root).parts) or not path.is_file():
            continue
        if path.stem in index:
            problems.append({"file": str(path), "line": None, "problem": f"duplicate of {index[path.stem]}; ignored"})
            continue
        index[path.stem] = str(path)  # absolute: open_corpus resolves the root once
    return index


def attach_media(table: pd.DataFrame, root: Path, pattern: str, problems: list[dict]) -> pd.DataFrame:
    """Add ``wav_path`` and ``txt_path`` ('' when missing), trying the canonical id, then the id as
    written; files that no annotation row names are listed in ``problems``."""
    table = table.copy()
    ids = set(table["segment_id"]).union(table["segment_id_raw"])
    for column, suffix in MEDIA_SUFFIXES.items():
        index = index_files(root, pattern, suffix, problems)
        found = table["segment_id"].map(index).fillna(table["segment_id_raw"].map(index))
        table[column] = found.fillna("").astype(str)
        problems.extend(
            {"file": path, "line": None, "problem": "no annotation row names this file"}
            for stem, path in index.items()
            if stem not in ids
        )
    return table
