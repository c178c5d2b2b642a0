"""How long the synthetic corpus generator takes, and whether a full-size corpus has the real profile.

Run: ``.venv/bin/python benchmarks/bench_sample_data.py [--size full] [--corpus kemdy19 kemdy20] [--out DIR]``.
Corpora are written under ``--out`` (a temporary folder by default, removed afterwards; never inside
the repository: a full KEMDy19 is about 2 GB), because the generator's cost is mostly synthesising and
writing wavs, which an in-memory run would not measure. Prints per corpus: wall and CPU seconds (this
process and its workers), segments, hours of audio, the duration profile (mean, median, longest; the
real KEMDy19: 5.75 s, 4.2 s, about 78 s), the mean transcript length once the tags are stripped (real:
31.8 characters), the size on disk and the load average, because the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from joblib.externals.loky import get_reusable_executor

from emotion_classifier.datasets.synthetic import generate_corpus


def folder_size_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_generation(out: Path, corpus: str, size: str, seed: int) -> None:
    """One generation, reported in a few lines."""
    load = os.getloadavg()[0]
    cpu, start = _cpu_seconds(), time.perf_counter()
    generated = generate_corpus(out, corpus=corpus, size=size, seed=seed)
    wall = time.perf_counter() - start
    get_reusable_executor().shutdown(wait=True)  # reaped workers count in RUSAGE_CHILDREN
    cpu = _cpu_seconds() - cpu
    segments = generated.truth.drop_duplicates("segment_id")
    seconds = segments["end"] - segments["start"]
    text = segments.loc[segments["text"] != "", "text"].str.len()
    print(f"{corpus} {size}: {wall:.1f} s wall, {cpu:.1f} s CPU (workers included), load average "
          f"{load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  {len(segments):,} segments, {seconds.sum() / 3600:.2f} h of audio; duration mean {seconds.mean():.2f} s, "
          f"median {seconds.median():.2f} s, longest {seconds.max():.1f} s; transcripts {text.mean():.1f} "
          f"characters on average; {folder_size_mb(out):,.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="folder for the corpora (default: a temporary one)")
    parser.add_argument("--size", choices=["demo", "full"], default="full")
    parser.add_argument("--corpus", nargs="+", choices=["kemdy19", "kemdy20"], default=["kemdy19", "kemdy20"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(args.out or scratch)
        for corpus in args.corpus:
            time_generation(base / f"{corpus}_{args.size}", corpus, args.size, args.seed)


if __name__ == "__main__":
    main()
