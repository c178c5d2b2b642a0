"""KEMDy20 annotation files (``annotation/SessNN_eval.csv``): one per session, speaker view only.

``Sess17_eval.csv`` writes its ids as ``Sess42_...``; every id whose session differs from its
file's is rewritten to the file's session in ``segment_id`` and kept as written in
``segment_id_raw`` (media and bio files are looked up under both names).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from emotion_classifier.datasets.annotation import (
    AnnotationLayout,
    dialogue_columns,
    parse_evaluations,
    parse_segment_ids,
    position_columns,
    read_annotation_grid,
)
from emotion_classifier.datasets.layout import KEMDY20

LAYOUT = AnnotationLayout(n_columns=37, segment_id=3, total=4)
MEDIA_GLOB = "wav/*/*"
"""wav/SessionSS/<segment>.wav|.txt, flat per session."""

SEGMENT_ID = re.compile(r"Sess\d+_(?:impro|script)\d+_User\d+[FM]_\d+")


def canonical_ids(raw_ids: pd.Series, path: Path) -> pd.Series:
    """Rewrite each id's ``SessNN`` prefix to the session named by its annotation file."""
    file_session = path.name.split("_")[0]
    return file_session + "_" + raw_ids.str.split("_", n=1).str[1]


def read_annotation_file(path: Path, tie_policy: str, problems: list[dict]) -> pd.DataFrame:
    """Segment-table rows of one session file (no media columns yet)."""
    grid = read_annotation_grid(path, LAYOUT, problems)
    raw_ids = parse_segment_ids(grid, LAYOUT.segment_id, SEGMENT_ID, path)
    ids = canonical_ids(raw_ids, path)
    user = ids.str.split("_").str[2]
    who = pd.DataFrame(
        {
            "segment_id": ids,
            "segment_id_raw": raw_ids,
            "corpus": KEMDY20,
            "person": user,
            "gender": user.str[-1],
            "view": "speaker",
        }
    )
    labels = parse_evaluations(grid, LAYOUT, tie_policy, path)
    return pd.concat([who, dialogue_columns(ids), position_columns(grid, path), labels], axis=1)
