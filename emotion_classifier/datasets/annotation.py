"""Reading the two-header-row annotation CSVs by column position.

Rater names differ between sessions and pandas invents names for blank header cells
(``Unnamed: 10`` in KEMDy19, ``' .1'`` in KEMDy20), so header text is never used: a layout says
which position holds what. Each file is parsed once by pandas, then converted column-wise.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.datasets.raw_csv import read_lines, to_numbers
from emotion_classifier.errors import AnnotationError
from emotion_classifier.labels import TIE_POLICIES, normalise_emotion, resolve_tie, split_labels

N_RATERS = 10
HEADER_ROWS = 2
_LOOKS_LIKE_ID = re.compile(r"Sess\d")


@dataclass(frozen=True)
class AnnotationLayout:
    """Column positions of one corpus's annotation files (0-based)."""

    n_columns: int
    segment_id: int
    total: int
    """First Total Evaluation column (Emotion); Valence and Arousal follow, then the raters'
    (Emotion, Valence, Arousal) triples."""


def check_tie_policy(tie_policy: str) -> None:
    """Fail before any file is read: a typo in the policy must not surface only on the first tie."""
    if tie_policy not in TIE_POLICIES:
        raise ValueError(f"tie policy must be one of {TIE_POLICIES}, got {tie_policy!r}")


def read_annotation_grid(path: Path, layout: AnnotationLayout, problems: list[dict]) -> pd.DataFrame:
    """The data rows as stripped strings (columns 0..n-1) plus ``line`` (1-based line in the file).

    Raises `AnnotationError` naming the line for a wrong field count (a truncated or edited file),
    a missing second header row, or a file without data rows. Blank rows are skipped and listed.
    """
    lines = read_lines(path)
    if len(lines) < HEADER_ROWS:
        raise AnnotationError("expected two header rows", path, len(lines) + 1)
    text = pd.Series(lines, dtype=object)
    fields = text.str.count(",") + 1
    blank = text.str.strip().eq("")
    wrong = ~blank & fields.ne(layout.n_columns)
    if wrong.any():
        i = int(np.flatnonzero(wrong.to_numpy())[0])
        raise AnnotationError(
            f"{fields.iloc[i]} fields, expected {layout.n_columns} (truncated or edited file?)", path, i + 1
        )
    grid = pd.read_csv(
        io.StringIO("\n".join(lines)),
        header=None,
        names=list(range(layout.n_columns)),
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        quoting=csv.QUOTE_NONE,
    )
    grid = pd.DataFrame(np.strings.strip(grid.to_numpy(dtype=str)), columns=grid.columns)
    grid["line"] = np.arange(1, len(grid) + 1)
    if _LOOKS_LIKE_ID.match(grid.iat[1, layout.segment_id]):
        raise AnnotationError("line 2 is a data row: expected two header rows", path, 2)
    data = grid.iloc[HEADER_ROWS:]
    empty = data[list(range(layout.n_columns))].eq("").all(axis=1)
    problems.extend({"file": str(path), "line": int(n), "problem": "empty row skipped"} for n in data["line"][empty])
    data = data[~empty]
    if data.empty:
        raise AnnotationError("no data rows after the two header rows (truncated file?)", path, len(lines) + 1)
    return data.reset_index(drop=True)


def to_floats(grid: pd.DataFrame, columns: list[int], what: str, path: Path) -> pd.DataFrame:
    """Numeric columns, converted in one pass; blank cells are NaN, anything else that is not a number
    is an error naming the first offending line."""
    cells = pd.Series(grid[columns].to_numpy().ravel())
    values = to_numbers(cells)
    bad = np.flatnonzero((values.isna() & cells.ne("")).to_numpy())
    if len(bad):
        row = bad[0] // len(columns)
        raise AnnotationError(f"{what} {cells.iloc[bad[0]]!r} is not a number", path, int(grid["line"].iloc[row]))
    return pd.DataFrame(values.to_numpy().reshape(len(grid), len(columns)), columns=columns, index=grid.index)


def to_float(grid: pd.DataFrame, column: int, what: str, path: Path) -> pd.Series:
    """One numeric column (see `to_floats`)."""
    return to_floats(grid, [column], what, path)[column]


def _first_lines(cells: pd.Series, lines: pd.Series) -> dict[str, int]:
    """Where each distinct cell value first occurs, so one error message can point at it."""
    firsts = ~cells.duplicated()
    return dict(zip(cells[firsts], lines[firsts].astype(int), strict=True))


def _total_labels(grid: pd.DataFrame, column: int, path: Path) -> pd.Series:
    """Each row's Total Evaluation labels in written order (a tie cell reads ``a;b``)."""
    cells = grid[column]
    parsed = {
        value: split_labels(value, where=f"{path}:{line}")
        for value, line in _first_lines(cells, grid["line"]).items()
    }
    return cells.map(parsed)


def _rater_labels(grid: pd.DataFrame, columns: list[int], path: Path) -> pd.DataFrame:
    """The raters' labels, normalised; a blank rater cell stays ''."""
    stacked = pd.concat([grid[c] for c in columns], ignore_index=True)
    lines = pd.concat([grid["line"]] * len(columns), ignore_index=True)
    known = {
        value: normalise_emotion(value, where=f"{path}:{line}")
        for value, line in _first_lines(stacked, lines).items()
        if value
    }
    known[""] = ""
    return pd.DataFrame({c: grid[c].map(known) for c in columns})


def _joined(frame: pd.DataFrame) -> pd.Series:
    """Row-wise ';'-join of string columns, keeping blanks so rater positions stay aligned."""
    first, *rest = (frame[c] for c in frame.columns)
    return first.str.cat(rest, sep=";") if rest else first


def _rater_scores(grid: pd.DataFrame, columns: list[int], what: str, path: Path) -> pd.Series:
    to_floats(grid, columns, what, path)  # validation only: the written digits are kept as they are
    return _joined(grid[columns])


def _resolve(labels: pd.Series, rater_labels: pd.DataFrame, tie_policy: str) -> pd.Series:
    """The training label: single labels pass through; only tied rows go through the policy."""
    emotion = labels.str[0].where(labels.str.len().eq(1), "")
    for i in np.flatnonzero(labels.str.len().gt(1).to_numpy()):
        raters = [r for r in rater_labels.iloc[i] if r]
        emotion.iloc[i] = resolve_tie(labels.iloc[i], raters, tie_policy)
    return emotion


def parse_evaluations(grid: pd.DataFrame, layout: AnnotationLayout, tie_policy: str, path: Path) -> pd.DataFrame:
    """The label columns of the segment table, from the Total Evaluation and rater columns.

    Valence comes BEFORE arousal in both corpora, for the total and for every rater.
    """
    check_tie_policy(tie_policy)
    t = layout.total
    labels = _total_labels(grid, t, path)
    emotion_cols = [t + 3 + 3 * k for k in range(N_RATERS)]
    raters = _rater_labels(grid, emotion_cols, path)
    return pd.DataFrame(
        {
            "emotion": _resolve(labels, raters, tie_policy),
            "emotions": labels.map(lambda ls: ";".join(sorted(ls))),
            "emotions_as_written": labels.map(";".join),
            "n_labels": labels.str.len().astype(int),
            "valence": to_float(grid, t + 1, "valence", path),
            "arousal": to_float(grid, t + 2, "arousal", path),
            "rater_emotions": _joined(raters),
            "rater_valence": _rater_scores(grid, [c + 1 for c in emotion_cols], "rater valence", path),
            "rater_arousal": _rater_scores(grid, [c + 2 for c in emotion_cols], "rater arousal", path),
        }
    )


def parse_segment_ids(grid: pd.DataFrame, column: int, pattern: re.Pattern[str], path: Path) -> pd.Series:
    """The Segment ID column, checked against the corpus's id pattern (the error names the line)."""
    ids = grid[column]
    bad = ~ids.str.fullmatch(pattern)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise AnnotationError(
            f"malformed Segment ID {ids.iloc[i]!r} (expected e.g. {pattern.pattern})", path, int(grid["line"].iloc[i])
        )
    return ids


def dialogue_columns(ids: pd.Series) -> pd.DataFrame:
    """``session``, ``dialogue`` and ``kind`` from canonical ids (``Sess01_impro02_...``)."""
    parts = ids.str.split("_")
    return pd.DataFrame(
        {
            "session": parts.str[0].str.removeprefix("Sess").astype(int),
            "dialogue": parts.str[0] + "_" + parts.str[1],
            "kind": parts.str[1].str.extract(r"^([a-z]+)", expand=False),
        }
    )


def position_columns(grid: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Where a row came from and when it was spoken: columns 0-2 (Numb, wav start, wav end) are the
    same in both corpora."""
    numbers = to_floats(grid, [0, 1, 2], "Numb/wav start/wav end", path)
    return pd.DataFrame(
        {"rater_file": path.name, "line": grid["line"].astype(int), "numb": numbers[0], "start": numbers[1],
         "end": numbers[2]}
    )  # fmt: skip
