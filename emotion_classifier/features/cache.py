"""The chunk cache behind incremental `prepare` runs.

A rerun must tell what changed without reading every input again, and an interrupted run keeps
every chunk it finished: each is its own npz, written atomically (`emotion_classifier.files`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from emotion_classifier.files import load_npz, save_npz_atomic


class ChunkCache:
    """One npz per finished chunk of a stage, named by the chunk's key.

    The key covers the stage settings and the inputs' fingerprints, so a changed setting or
    file simply misses; finished chunks survive an interruption because each is its own file.
    """

    def __init__(self, root: str | Path, stage: str):
        self.folder = Path(root) / stage

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def load(
        self, key: str, names: Sequence[str] | None = None, optional: Sequence[str] = ()
    ) -> dict[str, np.ndarray] | None:
        """The cached arrays of a chunk (only ``names`` when given, and those of ``optional`` the chunk
        has: `load_npz`), None when it is not cached."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            return load_npz(path, names, optional)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # damaged by a crash outside our atomic writes
            path.unlink(missing_ok=True)
            return None

    def require(
        self, key: str, names: Sequence[str] | None = None, optional: Sequence[str] = ()
    ) -> dict[str, np.ndarray]:
        """`load` for a chunk this run has just computed or found: its absence means the cache folder
        was changed under the run, an error rather than a chunk to recompute."""
        found = self.load(key, names, optional)
        if found is None:
            raise FileNotFoundError(f"{self.folder.name} chunk {key} vanished from the cache {self.folder}")
        return found

    def has(self, key: str) -> bool:
        """Whether a readable chunk is cached (its zip directory is checked; a damaged one is removed)."""
        return self.load(key, names=()) is not None

    def save(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        save_npz_atomic(self.path(key), arrays)
