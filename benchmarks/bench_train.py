"""Benchmark training: one fold plus the final model per modality, wall time and peak memory.

    .venv/bin/python benchmarks/bench_train.py [--artifacts DIR | --sessions N --dialogues D]
        [--work DIR] [--modalities speech text bio] [--epochs N] [--real-lengths]

Without ``--artifacts`` a KEMDy19-layout corpus is generated (``--sessions`` x ``--dialogues``) and
prepared under ``--work`` (a temporary folder by default). Each modality runs in its own process,
so the peak resident memory printed (``ru_maxrss`` of that process; ``private``: its anonymous part,
without the page cache of the memory-mapped artifacts, `PrivatePeak`) is the model's alone: loading the
artifacts, fitting the first fold (early stopping on its validation sessions), predicting its test
rows, then fitting the final model. ``--real-lengths`` first writes a copy of the artifacts (beside
them, ``NAME_real_lengths``, reused) whose frames are stretched to durations drawn from the real
KEMDy19 profile (lognormal, median 4.2 s, mean 5.75 s, at most 78 s; generated segments average
2 s), which is what the speech model meets on the real corpus. Not a
test: the figures depend on the machine and its load. Run it with another checkout first on
``PYTHONPATH`` to compare versions (it uses only APIs both have).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REAL_MEDIAN_S, REAL_MEAN_S, REAL_MAX_S = 4.2, 5.75, 78.0
FRAMES_PER_S = 100  # hop 160 at 16 kHz


def real_lengths(n: int, seed: int = 0) -> np.ndarray:
    """Frame counts drawn from the real KEMDy19 duration profile (lognormal fitted to median and mean)."""
    sigma = np.sqrt(2 * np.log(REAL_MEAN_S / REAL_MEDIAN_S))
    seconds = np.random.default_rng(seed).lognormal(np.log(REAL_MEDIAN_S), sigma, n)
    return np.clip(np.round(seconds * FRAMES_PER_S), 1, REAL_MAX_S * FRAMES_PER_S).astype(int)


def real_length_artifacts(source: Path, out: Path, seed: int = 0) -> Path:
    """A copy of an artifacts folder whose frames are stretched to real-profile lengths: each segment's
    frames repeated (or cut) to a duration drawn by `real_lengths`. Written once, in this process, so the
    measured process loads it as it would load the artifacts of real recordings."""
    import shutil

    from emotion_classifier.features.artifacts import pack_frames, unpack_frames
    from emotion_classifier.files import load_npz, save_npz_atomic

    if (out / "manifest.json").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file() and path.name not in ("audio_features.npz", "manifest.json"):
            shutil.copy2(path, out / path.name)
    audio = load_npz(source / "audio_features.npz")
    frames = unpack_frames(audio["features"], audio["offsets"])
    lengths = real_lengths(len(frames), seed)
    n_features = audio["features"].shape[1]
    longer = [np.resize(f, (n, n_features)) if len(f) else f for f, n in zip(frames, lengths, strict=True)]
    save_npz_atomic(out / "audio_features.npz", {**audio, **pack_frames(longer, n_features)})
    shutil.copy2(source / "manifest.json", out / "manifest.json")  # last: the folder reads as finished
    return out


class PrivatePeak:
    """The highest private (anonymous) resident memory of this process, sampled on a thread.

    ``ru_maxrss`` also counts file pages mapped and read: the artifacts' frames are memory-mapped
    (`files.mapped_member`), so a speech model's resident size includes about 1 GB of page cache the
    kernel may drop and read again, and that processes on the same artifacts share. Private memory is
    what each model costs on its own.
    """

    def __init__(self, every_s: float = 0.05):
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(every_s,), daemon=True)
        self._thread.start()

    def _watch(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            with open("/proc/self/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))

    def stop(self) -> float:
        """The peak in MiB."""
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024


def one_model(artifacts_dir: str, modality: str, epochs: int) -> dict:
    """One fold + final model of ``modality`` in this process; what the parent prints."""
    private = PrivatePeak()
    from emotion_classifier.features import load_artifacts
    from emotion_classifier.training.estimators import TrainConfig, make_model
    from emotion_classifier.training.train import final_split, planned_folds

    started = time.perf_counter()
    config = TrainConfig(epochs=epochs)
    artifacts = load_artifacts(artifacts_dir)
    inputs, eligible, _, folds = planned_folds(artifacts, modality, n_folds=None, test_sessions=None,
                                               split="session", seed=config.seed)
    audio_s = sum(len(x) for x in inputs.x) / FRAMES_PER_S if modality == "speech" else None
    loaded = time.perf_counter()
    fold = folds[0]
    model = make_model(modality, config).fit(inputs, fold.train, fold.val)
    model.predict(inputs, fold.test)
    fold_epochs = len(model.history_)
    del model  # as in `emotion run`: a fold's network is saved and let go before the next fit
    fold_s = time.perf_counter() - loaded
    train_idx, val_idx = final_split(inputs, eligible, config.seed)
    final = make_model(modality, config).fit(inputs, train_idx, val_idx)
    return {
        "modality": modality,
        "segments": int(eligible.sum()),
        "audio_hours": None if audio_s is None else audio_s / 3600,
        "load_s": loaded - started,
        "fold_s": fold_s,
        "fold_epochs": fold_epochs,
        "final_s": time.perf_counter() - loaded - fold_s,
        "final_epochs": len(final.history_),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "private_mib": private.stop(),
    }


def prepared(work: Path, sessions: int, dialogues: int) -> Path:
    """A generated corpus of that size, prepared (both reused when already there)."""
    from emotion_classifier.datasets.synthetic import generate_corpus
    from emotion_classifier.features import prepare

    data, artifacts = work / f"kemdy19_{sessions}x{dialogues}", work / f"artifacts_{sessions}x{dialogues}"
    if not (data / "annotation").is_dir():
        generate_corpus(data, corpus="kemdy19", sessions=sessions, dialogues_per_session=dialogues)
    if not (artifacts / "manifest.json").is_file():
        prepare(data, artifacts, progress=False)
    return artifacts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", default=None, help="a prepared artifacts folder (default: generate one)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--dialogues", type=int, default=8, help="dialogues per session")
    parser.add_argument("--work", default=None, help="folder for the generated corpus (default: temporary)")
    parser.add_argument("--modalities", nargs="+", default=["speech", "text", "bio"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--real-lengths", action="store_true", help="stretch frames to the real duration profile")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_model(args.artifacts, args.child, args.epochs)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        artifacts = Path(args.artifacts) if args.artifacts else prepared(Path(args.work or scratch), args.sessions,
                                                                         args.dialogues)
        if args.real_lengths:
            artifacts = real_length_artifacts(artifacts, artifacts.with_name(f"{artifacts.name}_real_lengths"))
        print(f"one fold + final model per modality on {artifacts} (epochs <= {args.epochs}"
              f"{', real segment lengths' if args.real_lengths else ''})")
        print(f"{'model':<8} {'segments':>8} {'audio h':>8} {'load s':>7} {'fold s':>7} {'ep':>3} "
              f"{'final s':>8} {'ep':>3} {'peak MiB':>9} {'private':>8}")
        for modality in args.modalities:
            command = [sys.executable, __file__, "--artifacts", str(artifacts), "--child", modality,
                       "--epochs", str(args.epochs)]
            done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
            if done.returncode:
                print(f"{modality:<8} failed:\n{done.stderr[-2000:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            hours = "" if r["audio_hours"] is None else f"{r['audio_hours']:.2f}"
            print(f"{modality:<8} {r['segments']:>8} {hours:>8} {r['load_s']:>7.1f} {r['fold_s']:>7.1f} "
                  f"{r['fold_epochs']:>3} {r['final_s']:>8.1f} {r['final_epochs']:>3} {r['peak_mib']:>9.0f} "
                  f"{r['private_mib']:>8.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
