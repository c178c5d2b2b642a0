"""What every preprocessing stage (text, audio, bio) hands back to `prepare`.

A stage whose key (settings + input fingerprints + row order) matches the previous run's,
and whose artifact is still the file that run wrote, is not recomputed or rewritten at all:
that is what makes changing an audio setting leave the text and bio artifacts alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.errors import InputError
from emotion_classifier.features.cache import ChunkCache
from emotion_classifier.features.identity import ContentDigests
from emotion_classifier.features.runner import Chunk, ChunkResult, StageRun, run_chunks
from emotion_classifier.files import fingerprint, stable_hash

ARTIFACT_FORMAT = 1
"""Part of every stage's settings key: bump it when an artifact's layout changes, so old ones are rewritten."""


@dataclass(frozen=True)
class StageContext:
    """Where a stage writes and caches, what the previous run recorded, and how to run."""

    out: Path
    cache_root: Path
    previous: dict
    jobs: int | None = None
    progress: bool = True
    digests: ContentDigests | None = None
    """What identifies an input file in a cache key (`ContentDigests.key`: relative path + content)."""

    def file_key(self, path: str) -> list:
        """A file's part of a chunk key: where it is below the corpus root and its content, so a moved
        or re-mounted corpus hits the cache; its path and fingerprint without `digests`."""
        return self.digests.key(path) if self.digests is not None else [path, fingerprint(path)]

    def file_keys(self, paths: list[str]) -> list[list]:
        """`file_key` of many files, their digests computed on threads (`ContentDigests.prefetch`)."""
        if self.digests is not None:
            self.digests.prefetch(paths)
        return [self.file_key(p) for p in paths]

    def run(self, name: str, compute: Callable[..., ChunkResult], chunks: list[Chunk], keep: bool = True,
            stop: Callable[[int, ChunkResult | None], Exception | None] | None = None) -> StageRun:  # fmt: skip
        """The stage's chunks from its cache folder, the missing ones computed (in parallel); with
        ``keep=False`` none is held in memory (read them back from `cache`); ``stop`` (``--strict``) may
        end the run at the first chunk it finds wrong (`run_chunks`)."""
        return run_chunks(compute, chunks, self.cache(name), jobs=self.jobs, desc=name, progress=self.progress,
                          keep=keep, stop=stop)  # fmt: skip

    def cache(self, name: str) -> ChunkCache:
        """The chunk cache of stage ``name``."""
        return ChunkCache(self.cache_root, name)


@dataclass
class StageResult:
    """`section` goes to the manifest; `write` (None when the previous artifact is kept) writes
    the artifact to the path it is given; `available` is the stage's `has_*` column; `inputs` the
    files the stage read (fingerprinted in the manifest)."""

    name: str
    artifact: str
    key: str
    available: np.ndarray
    section: dict
    write: Callable[[Path], None] | None
    inputs: list[str]
    strict_error: type[InputError] | None = None
    """What ``--strict`` raises for the stage's first skipped segment (None: skips are expected, as
    a missing body signal is in these corpora); the manifest section records ``"strict": true``."""


def input_bytes(paths: Iterable[str]) -> int:
    """The bytes of input files (0 for a missing one): what a chunk's estimated cost is made from."""
    return sum(fingerprint(p)["size"] or 0 for p in paths)


def feature_version(version: str | None) -> str | None:
    """The part of a package version that may change features: major.minor (a patch release fixes
    bugs without changing what MFCCs or bio statistics are), so a patch difference reuses artifacts
    and `prepare` records it in the manifest (``reused_across_versions``)."""
    return None if version is None else ".".join(version.split(".")[:2])


def skipped_item(segment_id: str, file: str, reason: str) -> dict[str, str]:
    """One entry of a manifest `skipped` list."""
    return {"segment_id": segment_id, "file": file, "reason": reason}


def annotation_place(row: pd.Series) -> str:
    """Where a segment is listed (`Session01_F_res.csv:12`): the file to name when its own is missing."""
    return f"{row['rater_file']}:{row['line']}"


def stage_key(base: list, table: pd.DataFrame, chunks: list[Chunk], *extra: list) -> str:
    """Key of a stage's artifact: settings, the row order (and what each row reads), every chunk."""
    return stable_hash([base, table["segment_id"].tolist(), *extra, [c.key for c in chunks]])


def reuse(
    context: StageContext, name: str, key: str, table: pd.DataFrame, inputs: list[str],
    strict_error: type[InputError] | None = None,
) -> StageResult | None:
    """The previous run's result for this stage, when its key and its artifact file are unchanged."""
    previous = context.previous.get(name)
    if not previous or previous.get("key") != key:
        return None
    artifact = previous["artifact"]
    if fingerprint(context.out / artifact) != previous.get("artifact_fingerprint"):
        return None
    skipped_ids = {item["segment_id"] for item in previous["skipped"]}
    available = ~table["segment_id"].isin(skipped_ids).to_numpy()
    section = {**previous, "strict": strict_error is not None, "cache": {"reused_artifact": True}}
    return StageResult(name, artifact, key, available, section, None, inputs, strict_error)


def strict_error(name: str, section: dict, error: type[InputError] = InputError) -> InputError | None:
    """A stage's first skipped item as an error naming its file (what `--strict` raises)."""
    for item in section["skipped"]:
        return error(f"{name}: {item['reason']} (segment {item['segment_id']})", item["file"])
    return None
