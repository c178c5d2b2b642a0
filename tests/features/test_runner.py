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
        assert not alive, f"workers still running 10 s after their parent died: {alive}"
    finally:
        if parent.poll() is None:
            parent.kill()
        for p in psutil.Process().children(recursive=True):  # only what this test started
            p.kill()
