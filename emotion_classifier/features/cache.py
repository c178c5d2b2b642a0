"""Fingerprints, cache keys, atomic writes and the chunk cache behind incremental `prepare` runs.

A rerun must tell what changed without reading every input again, and an interrupted run must
never leave a half-written file behind: every file here is written under a temporary name in
the destination folder and moved into place with `os.replace` (atomic on one file system).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd


def fingerprint(path: str | Path) -> dict[str, int | None]:
    """Size and modification time of a file (None for both when it does not exist).

    Size + mtime is what `make` and rsync trust; hashing every wav of a 16 h corpus on each
    rerun would cost more than computing its features.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return {"size": None, "mtime_ns": None}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def stable_hash(obj: Any) -> str:
    """A short hex digest of any JSON-able object, identical across processes and machines."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@contextmanager
def atomic_open(path: str | Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary sibling of `path` for writing; move it onto `path` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_npz_atomic(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """`np.savez` through `atomic_open` (a file object, so numpy appends no suffix)."""
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **arrays)


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read every array of an npz into memory, refusing pickled objects."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def write_json_atomic(path: str | Path, obj: Any) -> None:
    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1, default=str)
        fh.write("\n")


class ChunkCache:
    """One npz per finished chunk of a stage, named by the chunk's key.

    The key covers the stage settings and the inputs' fingerprints, so a changed setting or
    file simply misses; finished chunks survive an interruption because each is its own file.
    """

    def __init__(self, root: str | Path, stage: str):
        self.folder = Path(root) / stage

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        path = self.path(key)
        if not path.exists():
            return None
        try:
            return load_npz(path)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # damaged by a crash outside our atomic writes
            path.unlink(missing_ok=True)
            return None

    def save(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        save_npz_atomic(self.path(key), arrays)


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, index=False)
