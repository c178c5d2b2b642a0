"""Benchmark prediction on new recordings: model loading, latency of one recording, batch throughput.

    .venv/bin/python benchmarks/bench_predict.py [--models h5_models --data data/sample_kemdy19] [--n 20]

Without ``--models``, a corpus is generated and three small models are trained on it first (a few
epochs: the network sizes are the defaults, so the timings are those of real models). Each
recording is a corpus segment's wav, txt and the speaker's EDA/TEMP files. Prints the import and
load times, the latency of one recording after loading (median and 90th percentile of ``--n``
calls, after one warm-up call): once as a stream of a few speakers' recordings (their bio files read
once, `model_inputs.PERSON_SIGNALS`) and once with that cache emptied before each call (a speaker
not seen before); then the throughput of ``predict_many`` on ``--batch`` recordings, the cache
emptied first, median of ``--repeats``: recordings taken in turn from every speaker of ``--data``,
and recordings of as few speakers as possible, many each, as a corpus has them (``--speaker-data``:
without it, a generated session of ten dialogues, about 74 recordings per speaker).
Not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def train_small_models(work: Path, sessions: int, epochs: int) -> tuple[Path, Path]:
    """A generated corpus and one model per modality trained on it: (corpus root, models folder)."""
    from emotion_classifier.datasets.synthetic import generate_corpus
    from emotion_classifier.features import load_artifacts, prepare
    from emotion_classifier.registry import modality_names
    from emotion_classifier.training.estimators import TrainConfig, make_model, modality_inputs

    corpus = generate_corpus(work / "corpus", corpus="kemdy19", sessions=sessions, seed=0)
    artifacts = load_artifacts(prepare(corpus.root, work / "artifacts", progress=False))
    sessions_of = artifacts.table["session"].to_numpy()
    last = sessions_of.max()
    for modality in modality_names(joint=False, default_only=True):
        inputs = modality_inputs(artifacts, modality)
        model = make_model(modality, TrainConfig(epochs=epochs))
        model.fit(inputs, np.flatnonzero(sessions_of != last), np.flatnonzero(sessions_of == last))
        model.save(work / "models", modality)
    return corpus.root, work / "models"


def recordings(data: Path, limit: int | None = None) -> pd.DataFrame:
    """Segments with a wav and a transcript, with the speaker's bio files (the predict_many columns)."""
    from emotion_classifier.datasets import bio_files_for, open_corpus

    table = open_corpus(data)
    table = table[(table["view"] == "speaker") & (table["wav_path"] != "") & (table["txt_path"] != "")]
    rows = []
    for _, row in table.head(limit).iterrows():
        bio = {signal.lower(): str(path) for signal, path in bio_files_for(row, data).items() if path.exists()}
        rows.append({"wav": row["wav_path"], "txt": row["txt_path"], **bio, "segment_id": row["segment_id"]})
    return pd.DataFrame(rows)


def speaker_batches(table: pd.DataFrame, size: int) -> dict[str, pd.DataFrame]:
    """``size`` recordings taken in turn from every speaker, and ``size`` from as few speakers as possible."""
    speaker = table["eda"] if "eda" in table else table["segment_id"]
    rank = table.groupby(speaker, sort=False).cumcount()
    mixed = table.assign(_rank=rank.to_numpy()).sort_values("_rank", kind="stable").head(size).drop(columns="_rank")
    group_size = speaker.map(speaker.value_counts())
    few = table.assign(_n=group_size.to_numpy()).sort_values("_n", ascending=False, kind="stable").head(size)
    few = few.drop(columns="_n")
    return {f"{speaker[mixed.index].nunique()} speakers in turn": mixed,
            f"{speaker[few.index].nunique()} speaker(s), many each": few}  # fmt: skip


def forget_bio_files() -> None:
    """Empty the predictor's cache of bio files (absent before it existed: nothing to empty)."""
    from emotion_classifier import model_inputs

    cache = getattr(model_inputs, "PERSON_SIGNALS", None)
    if cache is not None:
        cache.clear()


def single_latencies(classifier, calls: list[dict], cold: bool) -> list[float]:
    latencies = []
    for call in calls:
        if cold:
            forget_bio_files()
        started = time.perf_counter()
        classifier.predict(**call)
        latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="saved models (default: train small ones first)")
    parser.add_argument("--data", default=None, help="corpus the recordings come from (with --models)")
    parser.add_argument("--speaker-data", default=None, help="corpus of the many-per-speaker batch (default: "
                        "--data with --models, else a generated session of ten dialogues)")  # fmt: skip
    parser.add_argument("--n", type=int, default=20, help="single-recording calls timed (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=100, help="recordings in the batch (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="times each batch is timed (default: %(default)s)")
    parser.add_argument("--sessions", type=int, default=4, help="sessions of the generated corpus")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the small models")
    args = parser.parse_args()
    if bool(args.models) != bool(args.data):
        parser.error("give --models and --data together, or neither")
    warnings.simplefilter("ignore")  # the synthetic ECG files have no signal column: one warning a call
    with tempfile.TemporaryDirectory() as tmp:
        if args.models:
            data, models = Path(args.data), Path(args.models)
        else:
            started = time.perf_counter()
            data, models = train_small_models(Path(tmp), args.sessions, args.epochs)
            print(f"generated a corpus and trained small models in {time.perf_counter() - started:.0f} s")
        speaker_data = Path(args.speaker_data) if args.speaker_data else data if args.models else None
        if speaker_data is None:
            from emotion_classifier.datasets.synthetic import generate_corpus

            speaker_data = generate_corpus(Path(tmp) / "session", sessions=1, dialogues_per_session=10, seed=3).root
        started = time.perf_counter()
        from emotion_classifier.predict import EmotionClassifier

        if args.models:  # after training, the package is imported already
            print(f"import emotion_classifier.predict: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        classifier = EmotionClassifier.load(models)
        print(f"load {', '.join(classifier.modalities)} models: {time.perf_counter() - started:.2f} s")
        table = recordings(data)
        calls = [{k: v for k, v in row.items() if isinstance(v, str) and v} for row in table.to_dict("records")]
        started = time.perf_counter()
        classifier.predict(**calls[0])
        print(f"first recording (tokeniser start-up, graph tracing): {time.perf_counter() - started:.2f} s")
        for cold, what in ((False, "the speakers' bio files read before"), (True, "every speaker new")):
            latencies = single_latencies(classifier, calls[1 : args.n + 1], cold)
            print(f"one recording after loading, {what}: median {np.median(latencies) * 1000:.1f} ms, "
                  f"90th percentile {np.percentile(latencies, 90) * 1000:.1f} ms over {len(latencies)} calls")
        batches = speaker_batches(table, args.batch)
        if speaker_data != data:
            few = speaker_batches(recordings(speaker_data), args.batch)
            batches.update({f"{name} ({speaker_data.name})": b for name, b in few.items() if "many" in name})
        for name, batch in batches.items():
            rates, failed = [], 0
            for _ in range(args.repeats):
                forget_bio_files()
                started = time.perf_counter()
                result = classifier.predict_many(batch)
                rates.append(len(batch) / (time.perf_counter() - started))
                failed = int((result["error"] != "").sum())
            print(f"batch of {len(batch)}, {name}: median {np.median(rates):.1f} recordings/s "
                  f"(min {min(rates):.1f}, max {max(rates):.1f}, {args.repeats} runs; {failed} failed)")


if __name__ == "__main__":
    main()
