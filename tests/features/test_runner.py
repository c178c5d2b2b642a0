"""Worker processes of `prepare` end with their parent (issue 13, item 5).

A SIGKILLed `prepare` used to leave its loky workers (~400 MB each) running for minutes.
"""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from emotion_classifier.datasets.synthetic import generate_corpus

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_workers_exit_when_prepare_is_killed(tmp_path):
    generate_corpus(tmp_path / "corpus", corpus="kemdy19", sessions=2, seed=1)
    command = [sys.executable, "-m", "emotion_classifier", "prepare", "--data", str(tmp_path / "corpus"),
               "--out", str(tmp_path / "artifacts"), "--jobs", "2", "--quiet", "--set", "prepare.chunk_size=2"]
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        process = psutil.Process(parent.pid)
        workers: list[psutil.Process] = []

        def two_workers() -> bool:
            workers[:] = [p for p in process.children(recursive=True) if "loky" in " ".join(p.cmdline())]
            return len(workers) >= 2

        assert _wait(two_workers, 120), "prepare never started its workers"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        gone, alive = psutil.wait_procs(workers, timeout=10)
        running = [p for p in alive if _running(p)]  # an exited worker nobody reaped yet (a container's PID 1) is gone
        assert not running, f"workers still running 10 s after their parent died: {running}"
    finally:
        if parent.poll() is None:
            parent.kill()
        for p in psutil.Process().children(recursive=True):  # only what this test started
            p.kill()


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


_HELD = []


def _grow_then_work(index: int) -> dict:
    """A chunk whose worker grows by 320 MB at its second task (as loading the audio stage's libraries and
    arrays does after a text chunk), and which takes over loky's 1 s between two memory checks."""
    import numpy as np

    _HELD.append(index)
    if len(_HELD) == 2:
        _HELD.append(np.ones(40_000_000))  # touched pages: counted in the worker's resident memory
    elif len(_HELD) > 3:
        _HELD[2] = None  # loky checked after the second task: a worker that lives on gives the memory back
    time.sleep(1.1)
    return {"index": np.array([index])}


def test_a_worker_that_grows_is_not_restarted_with_a_warning(tmp_path):
    """loky took the growth for a leak, restarted the worker and warned "A worker stopped while some jobs
    were given to the executor" (issue 13, item 9); `start_worker` turns that guess off."""
    import warnings

    from emotion_classifier.features.cache import ChunkCache
    from emotion_classifier.features.runner import Chunk, run_chunks

    chunks = [Chunk(f"k{i}", (i,)) for i in range(8)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = run_chunks(_grow_then_work, chunks, ChunkCache(tmp_path, "grow"), jobs=2, progress=False)
    assert [int(r["index"][0]) for r in run.results] == list(range(8))
    assert not [w for w in caught if "worker stopped" in str(w.message)], [str(w.message) for w in caught]


def test_prepare_with_two_jobs_prints_no_worker_warning(tmp_path, capfd):
    """In-process (the workers' start-up is the cost), with stderr captured at the file descriptor, so a
    resource tracker's or worker's output would be caught too."""
    from emotion_classifier.cli import main

    generate_corpus(tmp_path / "corpus", corpus="kemdy20", sessions=1, seed=1)
    assert main(["prepare", "--data", str(tmp_path / "corpus"), "--out", str(tmp_path / "artifacts"), "--jobs", "2",
                 "--quiet", "--set", "prepare.chunk_size=16"]) == 0
    err = capfd.readouterr().err
    assert "worker stopped" not in err and "Traceback" not in err and "resource_tracker" not in err, err
