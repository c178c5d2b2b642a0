"""How long the synthetic corpus generator takes: the demo sizes and the real KEMDy19 session count.

Run: ``.venv/bin/python benchmarks/bench_sample_data.py [--out DIR] [--sessions 20] [--seed 0]``.
Corpora are written under ``--out`` (a temporary folder by default, removed afterwards), because the
generator's cost is mostly writing wavs and bio files, which an in-memory run would not measure.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from emotion_classifier.datasets.synthetic import generate_corpus


def folder_size_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def time_generation(out: Path, corpus: str, sessions: int | None, seed: int) -> str:
    """One generation, reported as a table row."""
    start = time.perf_counter()
    generated = generate_corpus(out, corpus=corpus, sessions=sessions, seed=seed)
    seconds = time.perf_counter() - start
    segments = generated.truth["segment_id"].nunique()
    label = f"{corpus} sessions={sessions if sessions else 'demo'}"
    per_segment = 1000 * seconds / segments
    return f"{label:<24} {segments:>8} {seconds:>9.1f} {per_segment:>12.1f} {folder_size_mb(out):>8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="folder for the corpora (default: a temporary one)")
    parser.add_argument("--sessions", type=int, default=20, help="large KEMDy19 run (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(args.out or scratch)
        print(f"{'corpus':<24} {'segments':>8} {'seconds':>9} {'ms/segment':>12} {'MB':>8}")
        for corpus, sessions in (("kemdy19", None), ("kemdy20", None), ("kemdy19", args.sessions)):
            name = f"{corpus}_{sessions or 'demo'}"
            print(time_generation(base / name, corpus, sessions, args.seed), flush=True)


if __name__ == "__main__":
    main()
