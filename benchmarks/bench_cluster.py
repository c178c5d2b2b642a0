"""Benchmark ``--cluster local`` against the serial run: prepare's chunks and training's folds.

    .venv/bin/python benchmarks/bench_cluster.py [--sessions 6] [--modality bio] [--folds 3] [--epochs 2]
        [--workers N] [--workdir /tmp/bench_cluster]

Generates a small KEMDy19-layout corpus (``--sessions``) under ``--workdir`` (a temporary folder by
default), then times, each through the CLI as a user runs it: ``emotion prepare --jobs 1`` (serial) and
``emotion prepare --cluster local``, each into a fresh artifacts folder (cold); then ``emotion train
--modality M --folds K`` without and with ``--cluster local`` on the serial artifacts, each into a fresh
run folder (the final model is trained in this process after the folds, in both). Prints wall and CPU
seconds (this process and every process it started: cluster workers and fold processes included) and
the serial / cluster ratio of wall times (above 1: the cluster is faster), with the load average,
because the figures depend on the machine and on what else runs on it. The cluster's start-up (its
worker processes) is inside the cluster figures: it is what a user waits for. Not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from joblib.externals.loky import get_reusable_executor

from emotion_classifier import cluster
from emotion_classifier.cli import main as emotion
from emotion_classifier.datasets.synthetic import generate_corpus


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one CLI command; stops if it fails."""
    cpu, started = _cpu_seconds(), time.perf_counter()
    status = emotion(argv)
    wall = time.perf_counter() - started
    get_reusable_executor().shutdown(wait=True)  # reaped workers count in RUSAGE_CHILDREN
    if status:
        raise SystemExit(f"emotion {' '.join(argv)} ended with status {status}")
    return wall, _cpu_seconds() - cpu


def compare(what: str, serial: list[str], on_cluster: list[str]) -> None:
    """Run the serial command, then the cluster one, and print both and their ratio."""
    s_wall, s_cpu = timed(serial)
    c_wall, c_cpu = timed(on_cluster)
    print(f"{what}: serial {s_wall:.1f} s wall, {s_cpu:.1f} s CPU; --cluster local {c_wall:.1f} s wall, "
          f"{c_cpu:.1f} s CPU; serial / cluster {s_wall / c_wall:.2f}x (load {_load()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=6, help="sessions of the generated corpus")
    parser.add_argument("--modality", default="bio", help="the model whose folds are trained")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None, help="cluster workers (default: one per core)")
    parser.add_argument("--workdir", default=None, help="corpus, artifacts and runs folder (default: a temp dir)")
    args = parser.parse_args()
    if args.workers:
        cluster.local_workers = lambda: args.workers  # what `open_cluster` starts for ``local``
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(args.workdir or scratch)
        data = work / "corpus"
        if not (data / "synthetic_corpus.json").exists():
            generate_corpus(data, corpus="kemdy19", sessions=args.sessions, seed=0)
        print(f"corpus: {args.sessions} sessions at {data}; {cluster.local_workers()} cluster workers; "
              f"load {_load()}", flush=True)
        for name in ("serial", "cluster"):
            shutil.rmtree(work / name, ignore_errors=True)  # cold: no artifacts, no chunk cache
        prepare = ["prepare", "--data", str(data), "--quiet", "--out"]
        compare("prepare (cold)", [*prepare, str(work / "serial"), "--jobs", "1"],
                [*prepare, str(work / "cluster"), "--cluster", "local"])
        train = ["train", "--artifacts", str(work / "serial"), "--modality", args.modality, "--folds",
                 str(args.folds), "--epochs", str(args.epochs), "--runs-dir", str(work / "runs"), "--quiet"]
        stamp = time.strftime("%H%M%S")
        compare(f"train {args.modality}, {args.folds} folds + final model, {args.epochs} epochs",
                [*train, "--run", f"serial{stamp}", "--models", str(work / f"m_serial{stamp}")],
                [*train, "--run", f"cluster{stamp}", "--models", str(work / f"m_cluster{stamp}"), "--cluster", "local"])


if __name__ == "__main__":
    main()
