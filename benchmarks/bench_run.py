"""Benchmark `emotion run`: the wall time of each stage on a generated corpus.

    .venv/bin/python benchmarks/bench_run.py [--sessions N] [--corpus kemdy19] [--epochs N] [--no-early-fusion]

Runs exactly what `emotion run` runs with no arguments (sample corpus generated, prepare, every
modality, the early-fusion network, late fusion, report) inside a temporary folder, then prints
the wall time of each stage and in all, and the peak memory of the process. Not a test: the
numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

from emotion_classifier.pipeline import PipelineConfig, run_pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=None, help="sessions of the sample corpus (default: demo)")
    parser.add_argument("--corpus", choices=["kemdy19", "kemdy20"], default="kemdy19")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: TrainConfig's)")
    parser.add_argument("--no-early-fusion", action="store_true")
    args = parser.parse_args()
    settings = {} if args.epochs is None else {"epochs": args.epochs}
    config = PipelineConfig(sample_corpus=args.corpus, sample_sessions=args.sessions,
                            early_fusion=not args.no_early_fusion, train_settings=settings)
    home = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the default relative paths of `emotion run` (data/, runs/, h5_models/) land here
        try:
            started = time.perf_counter()
            run_pipeline(config, progress=False)
            wall = time.perf_counter() - started
            timings = json.loads((config.run_root / "timings.json").read_text())
        finally:
            os.chdir(home)
    print(f"\nemotion run on a generated {args.corpus} corpus ({args.sessions or 'demo'} sessions)")
    for stage, seconds in timings.items():
        print(f"  {stage:<22} {seconds:8.1f} s")
    print(f"  {'total':<22} {wall:8.1f} s")
    print(f"  peak memory            {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.0f} MiB")


if __name__ == "__main__":
    main()
