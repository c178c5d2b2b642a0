"""``python -m emotion_classifier.training.fold_process JOB RESULT``: one cluster fold in its own process.

A cluster worker starts it for each fold (`train.run_fold_jobs`, `cluster.run_in_process`): it reads the
pickled `train.FoldJob`, trains the fold exactly as the serial run does, and pickles
``("ok", (run_dir, val_rows, test_rows))`` or ``("error", exception)`` to RESULT (written whole or not at
all). It ends with its worker: a lost worker's fold is then trained again elsewhere, never twice at once.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

# Before TensorFlow loads: folds that share a GPU (several workers on one machine) each take the memory
# they use, rather than the first one mapping all of it and the others failing.
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")

from emotion_classifier.features.runner import watch_parent  # noqa: E402
from emotion_classifier.files import atomic_open  # noqa: E402
from emotion_classifier.training.train import fold_job_outputs  # noqa: E402


def main(argv: Sequence[str]) -> int:
    """Train the fold of the job file ``argv[0]``, its outcome pickled to ``argv[1]``; 0 when trained."""
    given, result = map(Path, argv)
    try:
        job = pickle.loads(given.read_bytes())
        outcome = ("ok", (job.run_dir, *fold_job_outputs(job)))
    except Exception as exc:  # noqa: BLE001 - handed to the worker, which raises it in the caller
        outcome = ("error", exc)
    try:
        data = pickle.dumps(outcome)
    except Exception as exc:  # noqa: BLE001 - an exception that does not pickle: its text does
        data = pickle.dumps(("error", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]} ({exc})")))
    with atomic_open(result, "wb") as handle:
        handle.write(data)
    return 0 if outcome[0] == "ok" else 1


if __name__ == "__main__":
    watch_parent(os.getppid())
    sys.exit(main(sys.argv[1:]))
