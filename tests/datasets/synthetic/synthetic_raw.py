"""Plain readers of the raw files for the generator's tests.

The package's own readers are written by someone else against the same specification, so the
generator is checked with csv, wave and string splitting only, straight from KEMDY_FORMAT.md.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

TYPO = {"disqust": "disgust"}


def read_annotation(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """The two header rows and the data rows of an annotation CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[:2], rows[2:]


def read_fields(path: Path, header_lines: int = 0) -> tuple[list[str], list[list[str]]]:
    """Header lines and comma-split data lines of a bio file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[:header_lines], [line.split(",") for line in lines[header_lines:]]


def labels(cell: str) -> list[str]:
    """A total-evaluation or rater cell as normalised labels in written order."""
    return [TYPO.get(part, part) for part in cell.split(";")]


def digests(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def etri_clean(text: str) -> str:
    """The seven cleaning rules of the task statement, in order."""
    text = re.sub(r"\(([^()]*)\)/\(([^()]*)\)", r"\1", text)
    text = re.sub(r"\(([^()+]*)\+([^()]*)\)", r"\2", text)
    text = re.sub(r"\(([^()]*)\)", r"\1", text)
    text = re.sub(r"(?<![A-Za-z0-9])[bloOnNucs]/", "", text)
    text = re.sub(r"[*+]", "", text)
    text = re.sub(r"[^가-힣ㄱ-ㅎㅏ-ㅣ0-9A-Za-z ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def owner_file(signal: str, person: str) -> str:
    """KEMDy19 bio file of a person such as ``Sess01F``."""
    return f"{signal}/Session{person[4:6]}/Original/{person}.csv"
