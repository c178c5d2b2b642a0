"""KEMDy19 annotation files (``annotation/SessionSS_G_res.csv``): one per actor, both views.

Each actor's file lists every segment of the session, judged from that actor's point of view and
carrying that actor's bio values: a row is the SPEAKER view when the segment's speaker is the file's
owner, otherwise the LISTENER view.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.datasets.annotation import (
    AnnotationLayout,
    dialogue_columns,
    parse_evaluations,
    parse_segment_ids,
    position_columns,
    read_annotation_grid,
    to_floats,
)
from emotion_classifier.datasets.layout import ANNOTATION_NAME, KEMDY19

LAYOUT = AnnotationLayout(n_columns=43, segment_id=9, total=10)
MEDIA_GLOB = "wav/*/*/*"
"""wav/SessionSS/<dialogue>/<segment>.wav|.txt; a fixed depth so converted/ copies are never read."""

SEGMENT_ID = re.compile(r"Sess\d+_(?:impro|script)\d+_[FM]\d+")
BIO_CELLS = {"ecg_start": 3, "ecg_end": 4, "eda_start": 5, "eda_end": 6, "temp_start": 7, "temp_end": 8}
"""The file owner's bio values at segment start/end (blank cells become NaN)."""


def read_annotation_file(path: Path, tie_policy: str, problems: list[dict]) -> pd.DataFrame:
    """Segment-table rows of one actor's file (no media columns yet), speaker and listener views."""
    grid = read_annotation_grid(path, LAYOUT, problems)
    ids = parse_segment_ids(grid, LAYOUT.segment_id, SEGMENT_ID, path)
    parts = ids.str.split("_")
    gender = parts.str[2].str[0]
    file_gender = ANNOTATION_NAME[KEMDY19].fullmatch(path.name).group(2)
    who = pd.DataFrame(
        {
            "segment_id": ids,
            "segment_id_raw": ids,
            "corpus": KEMDY19,
            "person": parts.str[0] + gender,
            "gender": gender,
            "view": np.where(gender.eq(file_gender), "speaker", "listener"),
        }
    )
    bio = to_floats(grid, list(BIO_CELLS.values()), "bio cell", path).set_axis(list(BIO_CELLS), axis=1)
    labels = parse_evaluations(grid, LAYOUT, tie_policy, path)
    return pd.concat([who, dialogue_columns(ids), position_columns(grid, path), labels, bio], axis=1)
