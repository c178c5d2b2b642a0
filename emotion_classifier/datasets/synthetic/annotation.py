"""The annotation tables both corpora share: which rows each file holds and the rater cells.

A KEMDy19 file belongs to one person and lists every segment of the session from that person's
point of view (their own turns: speaker view; the partner's: listener view). A KEMDy20 file lists a
session's segments once, in the speaker view. Rows are chronological and ``Numb`` counts them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emotion_classifier.datasets.synthetic.emotions import N_RATERS
from emotion_classifier.datasets.synthetic.formatting import score, write_csv

RATER_GROUPS: tuple[tuple[str, ...], tuple[str, ...]] = tuple(
    tuple(f"Eval{i:02d}{'F' if i % 2 else 'M'}" for i in range(first, first + N_RATERS)) for first in (1, 11)
)
"""Two rater groups: odd sessions were rated by Eval01F..Eval10M, even ones by Eval11F..Eval20M."""
HEADER_LINES = 2


def rater_names(session: int) -> tuple[str, ...]:
    """The header names of a session's raters (they differ between sessions, as in the corpus)."""
    return RATER_GROUPS[(session - 1) % 2]


def annotation_table(
    segments: pd.DataFrame, ratings: dict[str, pd.DataFrame], files: list[dict]
) -> pd.DataFrame:
    """One row per written annotation line.

    ``files`` lists ``{"rater_file", "session", "owner"}``; ``owner`` None means a KEMDy20-style file
    (speaker view only). ``ratings[view]`` is aligned with ``segments``. The result keeps the segment's
    index in ``segment_index`` and the 1-based ``line`` of the row in its file.
    """
    rows = []
    for spec in files:
        in_session = segments[segments["session"] == spec["session"]].sort_values("t_start", kind="stable")
        for numb, (index, seg) in enumerate(in_session.iterrows(), start=1):
            owner = spec["owner"]
            view = "speaker" if owner is None or seg["speaker"] == owner else "listener"
            rows.append(
                {
                    "rater_file": spec["rater_file"],
                    "line": HEADER_LINES + numb,
                    "numb": numb,
                    "session": spec["session"],
                    "owner": owner or seg["speaker"],
                    "segment_index": index,
                    "segment_id": seg["segment_id"],
                    "view": view,
                    **ratings[view].loc[index].to_dict(),
                }
            )
    table = pd.DataFrame(rows)
    table["emotions_written"] = table["emotions_as_written"]
    table["rater_emotions_written"] = table["rater_emotions"]
    return table


def rater_cells(row: pd.Series) -> list[str]:
    """The 30 cells of ten raters: emotion (as written, typo included), valence, arousal."""
    cells = []
    columns = ("rater_emotions_written", "rater_valence", "rater_arousal")
    for emotion, valence, arousal in zip(*(row[c].split(";") for c in columns), strict=True):
        cells += [emotion, valence, arousal]
    return cells


def total_cells(row: pd.Series) -> list[str]:
    """Total evaluation: the winning label(s) as written, mean valence, mean arousal."""
    return [row["emotions_written"], score(row["valence"]), score(row["arousal"])]


def write_tables(root: Path, table: pd.DataFrame, headers, cells) -> None:
    """Write each file of ``table``: its two header rows (``headers(session)``), then ``cells(row)``."""
    for name, rows in table.groupby("rater_file", sort=True):
        session = int(rows["session"].iloc[0])
        lines = [cells(row) for _, row in rows.iterrows()]
        write_csv(root / "annotation" / name, [*headers(session), *lines])
