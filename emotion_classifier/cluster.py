"""``--cluster``: the independent jobs of a run on a Dask distributed cluster.

`open_cluster` connects (``tcp://HOST:PORT``) or starts one on this machine (``local``) and makes its client
the one `active_client` returns while the ``with`` block lasts. The code that has independent jobs asks
for it: `features.runner.run_chunks` sends prepare's chunks through joblib's Dask backend, training sends
its (model, seed, fold) jobs with `run_jobs`. Nothing else changes: every job writes where the serial run
writes, and the serial code then finds the work done. Dask and distributed are imported only here and
only when a cluster is asked for (the ``[cluster]`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from emotion_classifier.errors import InputError

LOCAL = "local"
"""``--cluster local``: a LocalCluster of worker processes on this machine's cores."""
CONNECT_TIMEOUT_S = 10
"""How long connecting to a ``tcp://`` scheduler may take before the run stops with one line."""
EXTRA_HINT = "pip install 'emotion_classifier[cluster]'"

_active: list[Any] = []  # the client of the innermost open_cluster block


def check_address(address: str | None) -> str | None:
    """``local``, a scheduler address (``tcp://HOST:PORT``, or another Dask scheme) or None (no cluster)."""
    if address is None or address == "":
        return None
    if address == LOCAL:
        return address
    scheme, sep, rest = address.partition("://")
    host, colon, port = rest.rpartition(":")
    if not (sep and scheme and host and colon and port.isdigit()):
        raise InputError(f"expected 'local' or a scheduler address such as tcp://HOST:8786, got {address!r}",
                         "--cluster")
    return address


def local_workers() -> int:
    """Worker processes of ``--cluster local``: one per core this process may use (one thread each)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def active_client() -> Any | None:
    """The ``distributed.Client`` of the `open_cluster` block around the caller, or None (run here)."""
    return _active[-1] if _active else None


@contextmanager
def open_cluster(address: str | None, n_workers: int | None = None) -> Iterator[Any | None]:
    """Connect to (or start, for ``local``) the cluster for the block; None opens nothing (today's run).

    ``local``: a LocalCluster on the loopback address (nothing is reachable from outside), one process
    per core with one thread each (every job is CPU-bound: prepare's chunk functions hold one BLAS
    thread, and each fold runs as a process of its own, `run_in_process`), no memory limit (a plain run
    has none either; the nanny would pause or kill workers near a share of the machine's memory) and no
    dashboard. A worker that dies is replaced, and the scheduler hands its unfinished job to another
    worker (``distributed.scheduler.allowed-failures``, 3 by default).
    """
    address = check_address(address)
    if address is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(f"needs dask distributed, which is not installed: {EXTRA_HINT}", "--cluster") from None
    local = None
    if address == LOCAL:
        local = LocalCluster(host="127.0.0.1", n_workers=n_workers or local_workers(), threads_per_worker=1,
                             processes=True, memory_limit=0, dashboard_address=None)
        client = Client(local)
    else:
        try:
            client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler ({str(exc).splitlines()[0]})", address) from None
    _active.append(client)
    try:
        yield client
    finally:
        _active.remove(client)
        client.close()
        if local is not None:
            local.close()


def run_in_process(module: str, payload: bytes) -> bytes:
    """Run on a worker: ``python -m module JOB RESULT`` in a fresh process, JOB holding ``payload``;
    returns what it wrote to RESULT. The worker itself imports nothing of the job (a light process), and
    the job gets a process of its own (no thread of the worker's shares its global state)."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="emotion-job-") as folder:
        given, result = Path(folder) / "job", Path(folder) / "result"
        given.write_bytes(payload)
        status = subprocess.run([sys.executable, "-m", module, str(given), str(result)], check=False)
        if not result.is_file():
            raise RuntimeError(f"python -m {module} ended with status {status.returncode} and no result")
        return result.read_bytes()


def run_jobs(client: Any, job: Callable[[Any], Any], items: Sequence[Any], on_result: Callable[[Any], None],
             *, desc: str = "", progress: bool = True) -> None:
    """``job(item)`` for every item on the cluster, ``on_result`` called here on each result as it arrives.

    ``pure=False``: a job writes files, so dask must never take one for a cached result. A job whose
    worker is lost is run again elsewhere by the scheduler; a job that raises stops the whole call with
    its error, the jobs still queued are cancelled, and the results already handed to ``on_result`` stay.
    """
    from distributed import as_completed
    from tqdm.auto import tqdm

    futures = [client.submit(job, item, pure=False) for item in items]
    try:
        for future in tqdm(as_completed(futures), total=len(futures), desc=desc, unit="job",
                           disable=not progress):
            on_result(future.result())
    finally:
        client.cancel([f for f in futures if not f.done()])
