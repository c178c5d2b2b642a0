"""Splitting corpus CSV files into lines the same way everywhere.

Error messages and the ``line`` column quote 1-based line numbers, so every reader must agree on
what a line is: ``\\r\\n``, ``\\r`` and ``\\n`` end one; nothing else does (``str.splitlines`` would
also split on form feeds and Unicode separators and shift the numbering).
"""

from __future__ import annotations

import re
from pathlib import Path

_LINE_END = re.compile(r"\r\n|\r|\n")


def read_lines(path: str | Path) -> list[str]:
    """The lines of an ASCII-ish CSV file; undecodable bytes become U+FFFD rather than an error
    because these files are read by position and a stray byte must not hide the rest of the file."""
    text = Path(path).read_bytes().decode("utf-8-sig", errors="replace")
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()  # the terminator of the last line, not an empty line
    return lines
