"""How numbers and files are written, in one place so every writer agrees byte for byte."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy.io import wavfile


def fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals, never ``-0.000``."""
    return f"{round(float(value), decimals) + 0.0:.{decimals}f}"


def formatted(values: np.ndarray, decimals: int) -> np.ndarray:
    """`fixed` for a whole column of a bio file (``-0.00`` written as ``0.00``), one numpy rounding."""
    return np.array([f"{v:.{decimals}f}" for v in np.round(values, decimals) + 0.0], dtype=object)


def score(value: float) -> str:
    """A 1-5 mean to one decimal, written ``4`` rather than ``4.0`` as in the real annotation rows."""
    text = fixed(value, 1)
    return text[:-2] if text.endswith(".0") else text


def clock(seconds: float) -> str:
    """Wall-clock ``hh:mm:ss.fff`` of a time of day given in seconds."""
    ms = int(round(seconds * 1000)) % (24 * 3600 * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` exactly (no newline added: transcripts are one line as shipped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Write newline-terminated lines (bio files: no quoting, a variable number of fields)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(f"{line}\n" for line in lines).encode("utf-8"))


def write_csv(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write an annotation table (all cells already formatted as strings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def write_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    """16-bit PCM mono wav from float audio in [-1, 1]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    wavfile.write(path, rate, pcm)
