"""Benchmark `prepare` on a generated corpus: a cold run, then a warm rerun with nothing changed.

    .venv/bin/python benchmarks/bench_prepare.py --sessions 20 [--dialogues 10] [--corpus kemdy19] [--jobs N]

Prints, per run: wall time, segments per second of each stage, audio seconds processed per wall
second (the real-time factor of the speech features), and peak resident memory of this process
and of its worker processes. Not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from joblib.externals.loky import get_reusable_executor

from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import load_artifacts, prepare


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def timed_run(data: Path, out: Path, jobs: int | None) -> tuple[float, dict]:
    started = time.perf_counter()
    prepare(data, out, jobs=jobs, progress=False)
    wall = time.perf_counter() - started
    get_reusable_executor().shutdown(wait=True)  # reaped workers count in RUSAGE_CHILDREN
    return wall, load_artifacts(out).manifest


def report(label: str, wall: float, manifest: dict) -> None:
    stages = manifest["stages"]
    audio_seconds = stages["audio"]["counts"]["seconds"]
    print(f"{label}: {wall:.2f} s wall for {manifest['counts']['segments']} segments")
    for name, section in stages.items():
        seconds = section["seconds"]
        rate = section["counts"]["segments"] / seconds if seconds else float("inf")
        print(f"  {name:5s}: {seconds:7.2f} s  {rate:9.0f} segments/s  cache {section['cache']}")
    audio_wall = stages["audio"]["seconds"]
    print(f"  speech: {audio_seconds:.0f} s of audio, {audio_seconds / audio_wall:.0f}x real time in the audio "
          f"stage, {audio_seconds / wall:.0f}x over the whole run")
    print(f"  peak memory: {_peak_mib(resource.RUSAGE_SELF):.0f} MiB this process, "
          f"{_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB largest worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--corpus", choices=["kemdy19", "kemdy20"], default="kemdy19")
    parser.add_argument("--dialogues", type=int, default=None, help="dialogues per session (default: the demo's)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--workdir", default=None, help="keep the corpus and artifacts here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        started = time.perf_counter()
        corpus = generate_corpus(work / "corpus", corpus=args.corpus, sessions=args.sessions,
                                 dialogues_per_session=args.dialogues, seed=0)  # fmt: skip
        print(f"generated {args.corpus}, {args.sessions} sessions in {time.perf_counter() - started:.1f} s")
        shutil.rmtree(work / "artifacts", ignore_errors=True)  # a cold run starts without a cache
        cold_wall, cold = timed_run(corpus.root, work / "artifacts", args.jobs)
        report("cold run", cold_wall, cold)
        warm_wall, warm = timed_run(corpus.root, work / "artifacts", args.jobs)
        if warm == cold:  # the manifest was not rewritten: prepare found nothing to do
            print(f"warm rerun: {warm_wall:.2f} s wall, nothing changed so no stage ran")
        else:
            report("warm rerun", warm_wall, warm)
        print(f"warm / cold: {warm_wall / cold_wall:.1%}")


if __name__ == "__main__":
    main()
