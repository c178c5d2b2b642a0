"""Benchmark prediction on new recordings: model loading, latency of one recording, batch throughput.

    .venv/bin/python benchmarks/bench_predict.py [--models h5_models --data data/sample_kemdy19] [--n 20]

Without ``--models``, a corpus is generated and three small models are trained on it first (a few
epochs: the network sizes are the defaults, so the timings are those of real models). Each
recording is a corpus segment's wav, txt and the speaker's EDA/TEMP files. Prints the import and
load times, the latency of one recording after loading (median and 90th percentile of ``--n``
calls, after one warm-up call) and the throughput of ``predict_many`` on ``--batch`` recordings.
Not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
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


def recordings(data: Path, limit: int) -> pd.DataFrame:
    """Segments with a wav and a transcript, with the speaker's bio files (the predict_many columns)."""
    from emotion_classifier.datasets import bio_files_for, open_corpus

    table = open_corpus(data)
    table = table[(table["view"] == "speaker") & (table["wav_path"] != "") & (table["txt_path"] != "")]
    rows = []
    for _, row in table.head(limit).iterrows():
        bio = {signal.lower(): str(path) for signal, path in bio_files_for(row, data).items() if path.exists()}
        rows.append({"wav": row["wav_path"], "txt": row["txt_path"], **bio, "segment_id": row["segment_id"]})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="saved models (default: train small ones first)")
    parser.add_argument("--data", default=None, help="corpus the recordings come from (with --models)")
    parser.add_argument("--n", type=int, default=20, help="single-recording calls timed (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=100, help="recordings in the batch (default: %(default)s)")
    parser.add_argument("--sessions", type=int, default=4, help="sessions of the generated corpus")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the small models")
    args = parser.parse_args()
    if bool(args.models) != bool(args.data):
        parser.error("give --models and --data together, or neither")
    with tempfile.TemporaryDirectory() as tmp:
        if args.models:
            data, models = Path(args.data), Path(args.models)
        else:
            started = time.perf_counter()
            data, models = train_small_models(Path(tmp), args.sessions, args.epochs)
            print(f"generated a corpus and trained small models in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        from emotion_classifier.predict import EmotionClassifier

        if args.models:  # after training, the package is imported already
            print(f"import emotion_classifier.predict (TensorFlow, librosa): {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        classifier = EmotionClassifier.load(models)
        print(f"load {', '.join(classifier.modalities)} models: {time.perf_counter() - started:.2f} s")
        table = recordings(data, max(args.batch, args.n + 1))
        calls = [{k: v for k, v in row.items() if isinstance(v, str) and v} for row in table.to_dict("records")]
        started = time.perf_counter()
        classifier.predict(**calls[0])
        print(f"first recording (tokeniser start-up, graph tracing): {time.perf_counter() - started:.2f} s")
        latencies = []
        for call in calls[1 : args.n + 1]:
            started = time.perf_counter()
            classifier.predict(**call)
            latencies.append(time.perf_counter() - started)
        print(f"one recording after loading: median {np.median(latencies) * 1000:.0f} ms, "
              f"90th percentile {np.percentile(latencies, 90) * 1000:.0f} ms over {len(latencies)} calls")  # fmt: skip
        batch = table.head(args.batch)
        started = time.perf_counter()
        result = classifier.predict_many(batch)
        wall = time.perf_counter() - started
        print(f"batch of {len(batch)}: {wall:.2f} s, {len(batch) / wall:.1f} recordings/s "
              f"({(result['error'] != '').sum()} failed)")  # fmt: skip


if __name__ == "__main__":
    main()
