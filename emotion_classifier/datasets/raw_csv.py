"""Lines and numeric cells of the corpus CSV files, parsed the same way by every reader.

Error messages and the ``line`` column quote 1-based line numbers, so every reader must agree on
what a line is: ``\\r\\n``, ``\\r`` and ``\\n`` end one; nothing else does (``str.splitlines`` would
also split on form feeds and Unicode separators and shift the numbering).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

_LINE_END = re.compile(r"\r\n|\r|\n")


def read_lines(path: str | Path) -> list[str]:
    """The lines of an ASCII-ish CSV file; undecodable bytes become U+FFFD rather than an error
    because these files are read by position and a stray byte must not hide the rest of the file."""
    text = Path(path).read_bytes().decode("utf-8-sig", errors="replace")
    lines = text.split("\n") if "\r" not in text else _LINE_END.split(text)  # the same lines, 5x faster
    if lines and lines[-1] == "":
        lines.pop()  # the terminator of the last line, not an empty line
    return lines


def to_numbers(cells: pd.Series) -> pd.Series:
    """Stripped text cells as floats: blank cells and non-numbers are NaN (callers tell them apart
    with ``cells.ne("")`` and decide whether a non-number is fatal or a listed problem). A column that is
    already numeric (a reader parsed it in bulk) is returned as floats."""
    if pd.api.types.is_float_dtype(cells) or pd.api.types.is_integer_dtype(cells):
        return cells.astype(float)
    return pd.to_numeric(cells.where(cells.ne("")), errors="coerce").astype(float)
