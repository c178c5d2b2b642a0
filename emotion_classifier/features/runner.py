"""Run one stage's chunks in parallel, reusing every chunk a previous run already finished.

Each chunk is saved the moment it arrives (in any order), so an interrupted run keeps its
finished chunks and a rerun computes only the rest.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from joblib._parallel_backends import LokyBackend
from joblib.externals.loky import process_executor
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from emotion_classifier.cluster import active_client
from emotion_classifier.features.cache import ChunkCache

ChunkResult = dict[str, np.ndarray]


@dataclass(frozen=True)
class Chunk:
    """A unit of work: `key` names its cached result, `args` are what the compute function takes."""

    key: str
    args: tuple
    cost: float | None = None
    """Estimated seconds of serial work (None: unknown); see `worker_count`."""


@dataclass
class StageRun:
    """Chunk results in chunk order, and how many came from the cache."""

    results: list[ChunkResult]
    hits: int
    computed: int


PARALLEL_MIN_SECONDS = 5.0
"""Below this much estimated serial work, ``jobs=None`` runs a stage in this process: each worker first
imports the stage's libraries (seconds), so on a small corpus (the demo: 13.1 s with two workers,
9.1 s with one) parallel start-up costs more than it saves."""


def worker_count(jobs: int | None, chunks: Sequence[Chunk]) -> int:
    """Processes for `chunks`: ``jobs`` when given (negative counts back from all cores); for None, one
    when every chunk has an estimated `Chunk.cost` and they add up to less than `PARALLEL_MIN_SECONDS`,
    else all cores, and never more processes than chunks."""
    if not chunks:
        return 1
    costs = [c.cost for c in chunks]
    if jobs is None and all(c is not None for c in costs) and sum(costs) < PARALLEL_MIN_SECONDS:
        return 1
    return max(1, min(effective_n_jobs(-1 if jobs is None else jobs), len(chunks)))


WATCH_SECONDS = 0.5
_watched: set[int] = set()  # the parents this (worker) process already watches


def _exit_when_orphaned(parent: int) -> None:
    """Exit at once when ``parent`` is no longer this process's parent.

    A loky worker outlives a SIGKILLed `prepare` for minutes (it holds ~400 MB each, and nothing tells it
    the parent died); a worker's parent id changes the moment its parent dies (it is re-parented).
    `os._exit`: the worker's work is for nobody now, and no cleanup of the dead parent's pool may block.
    """
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def start_worker(parent: int) -> None:
    """A loky worker's initializer: watch ``parent`` (`watch_parent`) and turn off loky's leak guess.

    loky measures a worker after its first task and restarts it once it has grown by 300 MB, warning
    "A worker stopped while some jobs were given to the executor". Here the growth is no leak: the
    executor is reused across stages, and a worker that ran a text chunk first then loads librosa,
    numba's compiled kernels and a 16 h corpus's chunk arrays for the audio stage. The restart cost
    the import again and printed the warning in most runs, even with ``--quiet``.
    """
    process_executor._USE_PSUTIL = False  # loky then only collects garbage now and then
    watch_parent(parent)


def watch_parent(parent: int) -> None:
    """In a worker process (not the parent itself), start once the thread that ends it with ``parent``.

    A daemon thread polling `os.getppid` rather than ``prctl(PR_SET_PDEATHSIG)``: it works beyond Linux,
    and the death signal fires when the *thread* that forked the worker ends, which in loky's pool may be
    a manager thread of a parent still alive.
    """
    if os.getpid() == parent or parent in _watched:
        return
    _watched.add(parent)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="parent-watch", daemon=True).start()


def _indexed(
    compute: Callable[..., ChunkResult], index: int, args: tuple, parent: int | None,
    save_to: tuple[ChunkCache, str] | None = None,
) -> tuple[int, ChunkResult | None]:  # fmt: skip
    """Compute one chunk; with ``save_to`` (cache, key) the worker saves it and hands back nothing,
    so big results (a full corpus's frames) are never pickled through the parent. ``parent`` None: a
    cluster's worker, whose parent is its nanny (the cluster ends its workers itself)."""
    if parent is not None:
        watch_parent(parent)
    result = compute(*args)
    if save_to is None:
        return index, result
    save_to[0].save(save_to[1], result)
    return index, None


def run_chunks(
    compute: Callable[..., ChunkResult],
    chunks: Sequence[Chunk],
    cache: ChunkCache,
    *,
    jobs: int | None = None,
    desc: str = "",
    progress: bool = True,
    keep: bool = True,
    stop: Callable[[int, ChunkResult | None], Exception | None] | None = None,
) -> StageRun:
    """Load cached chunks, compute the missing ones on `jobs` processes (None: `worker_count` decides).

    ``keep=False`` holds no result in memory (`StageRun.results` is empty) and each worker saves its
    chunk to ``cache`` itself (nothing big is pickled through this process): the caller reads each chunk
    back from ``cache`` when it needs it (a full-size audio stage's frames are about 1 GB).
    ``stop(index, result)`` (result None when not kept), asked of each chunk as it is saved, may return
    an error: it is raised at once and the chunks not yet finished are abandoned (``--strict``).

    Inside `cluster.open_cluster` (``--cluster``) the chunks go to the cluster's workers through joblib's
    Dask backend, unless ``jobs=1`` (this process: the encoder stages, which hold their model here).
    With ``keep=False`` those workers write into ``cache`` themselves: on a ``tcp://`` cluster it must be
    on a file system every worker mounts at the same path.
    """
    if keep:
        results: list[ChunkResult | None] = [cache.load(chunk.key) for chunk in chunks]
    else:
        results = [{} if cache.has(chunk.key) else None for chunk in chunks]
    todo = [i for i, result in enumerate(results) if result is None]
    if todo:
        parallel, parent = _parallel(jobs, [chunks[i] for i in todo])
        tasks = (
            delayed(_indexed)(compute, i, chunks[i].args, parent, None if keep else (cache, chunks[i].key))
            for i in todo
        )
        # Chunks are the parallelism: BLAS threads inside a chunk only fight over the same cores
        # (10x slower MFCCs on 2 cores). joblib limits its workers itself; this covers jobs=1.
        with threadpool_limits(limits=1):
            for i, arrays in tqdm(parallel(tasks), total=len(todo), desc=desc, unit="chunk", disable=not progress):
                if keep:
                    cache.save(chunks[i].key, arrays)
                results[i] = arrays if keep else {}
                if stop is not None and (error := stop(i, arrays if keep else None)) is not None:
                    raise error
    kept = results if keep else []
    return StageRun(results=kept, hits=len(chunks) - len(todo), computed=len(todo))  # type: ignore[arg-type]


def _parallel(jobs: int | None, todo: Sequence[Chunk]) -> tuple[Parallel, int | None]:
    """The pool for ``todo`` and the process id its workers watch (None: they watch nothing).

    On a cluster every worker takes chunks (`worker_count`'s small-corpus rule is for process start-up
    here; the user asked for the cluster). Else loky workers, each watching this process from its start
    (even one that never gets a task), and each task checks again in case another backend ran it.
    """
    client = active_client()
    if client is not None and jobs != 1:
        from joblib._dask import DaskDistributedBackend  # imports distributed: only with a cluster

        return Parallel(n_jobs=-1, backend=DaskDistributedBackend(client=client), return_as="generator_unordered"), None
    backend = LokyBackend(initializer=start_worker, initargs=(os.getpid(),))
    n_jobs = worker_count(jobs, todo)
    return Parallel(n_jobs=n_jobs, backend=backend, return_as="generator_unordered"), os.getpid()


def blocks(items: Sequence, size: int) -> list[list]:
    """Consecutive runs of `size` items: the chunks of a stage (the last one may be shorter)."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
