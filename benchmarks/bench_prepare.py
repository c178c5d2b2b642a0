"""Benchmark `prepare` at full size: a cold run, then a warm rerun with nothing changed.

    .venv/bin/python benchmarks/bench_prepare.py [--data CORPUS | --size full --corpus kemdy19] [--jobs N]
        [--workdir /tmp/bench_prepare]

Without ``--data`` a corpus is generated first (``emotion sample-data --size SIZE``, in a child process
so that its memory does not count as prepare's) under ``--workdir`` (a temporary folder by default:
never inside the repository). Prints, per run: wall and CPU time, each stage's seconds, segments per
second and ratio to real time (seconds of audio in the corpus per second of the stage), peak resident
memory of this process and of its largest worker, and the load average before and after, because the
numbers depend on the machine and on what else runs on it. Not a test.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from joblib.externals.loky import get_reusable_executor

from emotion_classifier.features import prepare

prepare_module = importlib.import_module("emotion_classifier.features.prepare")  # the function shadows the name
STEPS = ("open_corpus", "check_output_folder", "_segments_csv", "_write_outputs")
"""prepare's steps outside the stages, timed in `timed_run` (each wrapped on the module)."""
step_seconds: dict[str, float] = {}


def _timed(name: str, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            step_seconds[name] = step_seconds.get(name, 0.0) + time.perf_counter() - started

    return wrapper


for _step in STEPS:
    setattr(prepare_module, _step, _timed(_step, getattr(prepare_module, _step)))


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def timed_run(data: Path, out: Path, jobs: int | None) -> tuple[float, float, dict]:
    step_seconds.clear()
    cpu, started = _cpu_seconds(), time.perf_counter()
    prepare(data, out, jobs=jobs, progress=False)
    wall = time.perf_counter() - started
    get_reusable_executor().shutdown(wait=True)  # reaped workers count in RUSAGE_CHILDREN
    # the manifest alone: loading the artifacts would put the whole frame array in this process's peak
    return wall, _cpu_seconds() - cpu, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def report(label: str, wall: float, cpu: float, manifest: dict) -> None:
    stages = manifest["stages"]
    audio_seconds = stages["audio"]["counts"]["seconds"]
    print(f"{label}: {wall:.2f} s wall, {cpu:.1f} s CPU (all processes), {manifest['counts']['segments']} segments, "
          f"{audio_seconds / 3600:.2f} h of audio: {audio_seconds / wall:,.0f}x real time end to end")
    for name, section in stages.items():
        seconds = section["seconds"]
        rate = section["counts"]["segments"] / seconds if seconds else float("inf")
        ratio = f"{audio_seconds / seconds:9,.0f}x real time" if seconds else "   (reused)"
        print(f"  {name:5s}: {seconds:7.2f} s  {rate:9,.0f} segments/s  {ratio}  cache {section['cache']}")
    if step_seconds:
        steps = ", ".join(f"{name.strip('_')} {seconds:.2f} s" for name, seconds in step_seconds.items())
        outside = wall - sum(s["seconds"] for s in stages.values())
        print(f"  outside the stages: {outside:.2f} s ({steps})")


def generate(work: Path, corpus: str, size: str) -> Path:
    root = work / f"{corpus}_{size}"
    command = [sys.executable, "-m", "emotion_classifier", "sample-data", "--corpus", corpus, "--size", size,
               "--out", str(root)]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    print(f"generated {corpus} ({size}) in {time.perf_counter() - started:.1f} s: {root}")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="an existing corpus (default: generate one)")
    parser.add_argument("--size", choices=["demo", "full"], default="full")
    parser.add_argument("--corpus", choices=["kemdy19", "kemdy20"], default="kemdy19")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: prepare decides)")
    parser.add_argument("--workdir", default=None, help="corpus and artifacts folder (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        data = Path(args.data) if args.data else generate(work, args.corpus, args.size)
        out = work / "artifacts"
        shutil.rmtree(out, ignore_errors=True)  # a cold run starts without a cache
        print(f"load average before: {_load()}")
        cold_wall, cold_cpu, cold = timed_run(data, out, args.jobs)
        report("cold run", cold_wall, cold_cpu, cold)
        print(f"  peak memory: {_peak_mib(resource.RUSAGE_SELF):.0f} MiB this process, "
              f"{_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB largest worker")
        warm_wall, warm_cpu, warm = timed_run(data, out, args.jobs)
        if warm == cold:  # the manifest was not rewritten: prepare found nothing to do
            print(f"warm rerun: {warm_wall:.2f} s wall, {warm_cpu:.1f} s CPU, nothing changed so no stage ran")
        else:
            report("warm rerun", warm_wall, warm_cpu, warm)
        print(f"warm / cold: {warm_wall / cold_wall:.1%}; load average after: {_load()}")


if __name__ == "__main__":
    main()
