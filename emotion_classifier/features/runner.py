"""Run one stage's chunks in parallel, reusing every chunk a previous run already finished.

Each chunk is saved the moment it arrives (in any order), so an interrupted run keeps its
finished chunks and a rerun computes only the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from emotion_classifier.features.cache import ChunkCache

ChunkResult = dict[str, np.ndarray]


@dataclass(frozen=True)
class Chunk:
    """A unit of work: `key` names its cached result, `args` are what the compute function takes."""

    key: str
    args: tuple


@dataclass
class StageRun:
    """Chunk results in chunk order, and how many came from the cache."""

    results: list[ChunkResult]
    hits: int
    computed: int


def _indexed(compute: Callable[..., ChunkResult], index: int, args: tuple) -> tuple[int, ChunkResult]:
    return index, compute(*args)


def run_chunks(
    compute: Callable[..., ChunkResult],
    chunks: Sequence[Chunk],
    cache: ChunkCache,
    *,
    jobs: int | None = None,
    desc: str = "",
    progress: bool = True,
) -> StageRun:
    """Load cached chunks, compute the missing ones on `jobs` processes (None: all cores)."""
    results: list[ChunkResult | None] = [cache.load(chunk.key) for chunk in chunks]
    todo = [i for i, result in enumerate(results) if result is None]
    if todo:
        n_jobs = min(effective_n_jobs(-1 if jobs is None else jobs), len(todo))
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        tasks = (delayed(_indexed)(compute, i, chunks[i].args) for i in todo)
        # Chunks are the parallelism: BLAS threads inside a chunk only fight over the same cores
        # (10x slower MFCCs on 2 cores). joblib limits its workers itself; this covers jobs=1.
        with threadpool_limits(limits=1):
            for i, arrays in tqdm(parallel(tasks), total=len(todo), desc=desc, unit="chunk", disable=not progress):
                cache.save(chunks[i].key, arrays)
                results[i] = arrays
    return StageRun(results=results, hits=len(chunks) - len(todo), computed=len(todo))  # type: ignore[arg-type]


def blocks(items: Sequence, size: int) -> list[list]:
    """Consecutive runs of `size` items: the chunks of a stage (the last one may be shorter)."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
