"""Benchmark the frozen pretrained encoders: extraction throughput of the tiny offline models on this
machine, and the disk their vectors take for real model sizes.

    .venv/bin/python benchmarks/bench_encoders.py [--segments 64] [--seconds 3.0]

Throughput: ``--segments`` random wavs of ``--seconds`` (speech) and as many short Korean sentences
(text) through the same input functions `prepare` maps over a corpus (model already loaded, after one
warm-up batch). The tiny models (2 layers, 32 hidden units) are no guide to a real encoder's speed:
they measure the pipeline around the network (reading, batching, pooling). Disk: computed from the
stored shape, layers x 2 statistics x hidden x 2 bytes (float16) per segment, for 1,000 segments.
Not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

MODEL_SIZES = {"base (12 layers, 768)": (12, 768), "large (24 layers, 1024)": (24, 1024)}


def disk_per_1000(layers: int, hidden: int) -> float:
    """MB per 1,000 segments: (layers + embeddings) x 2 statistics x hidden x 2 bytes."""
    return (layers + 1) * 2 * hidden * 2 * 1000 / 1e6


def throughput(compute, items: list[str], folder: Path, settings: dict) -> float:
    """Segments per second of one input function, after a warm-up call (model load, first trace)."""
    compute(items[:2], str(folder), settings)
    started = time.perf_counter()
    compute(items, str(folder), settings)
    return len(items) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    import torch

    from emotion_classifier.features.speech_ssl import speech_ssl_chunk
    from emotion_classifier.features.text_plm import MAX_TOKENS, text_plm_chunk
    from emotion_classifier.features.tiny_encoders import tiny_speech_encoder, tiny_text_encoder

    rng = np.random.default_rng(0)
    repeats = rng.integers(0, 8, args.segments)
    sentences = [f"오늘 정말 {'너무 ' * int(k)}기분이 좋아요 {i}" for i, k in enumerate(repeats)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wavs = []
        for i in range(args.segments):
            path = work / f"seg{i:04d}.wav"
            length = int(16000 * args.seconds * rng.uniform(0.5, 1.5))
            sf.write(path, (0.1 * rng.standard_normal(length)).astype(np.float32), 16000)
            wavs.append(str(path))
        speech = tiny_speech_encoder(work / "w2v")
        text = tiny_text_encoder(work / "bert", sentences)
        device = "cuda" if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} threads)"
        print(f"tiny encoders (2 layers, 32 hidden) on {device}, {args.segments} segments:")
        rate = throughput(speech_ssl_chunk, wavs, speech, {"sample_rate": 16000, "window_seconds": 20.0})
        print(f"  speech (wav2vec2, ~{args.seconds:.1f} s wavs): {rate:8.1f} segments/s")
        rate = throughput(text_plm_chunk, sentences, text, {"max_tokens": MAX_TOKENS})
        print(f"  text (BERT, short sentences):         {rate:8.1f} segments/s")
    print("disk per 1,000 segments (float16, every layer + the embeddings, 2 statistics):")
    for name, (layers, hidden) in MODEL_SIZES.items():
        print(f"  {name:24s} {disk_per_1000(layers, hidden):7.1f} MB")


if __name__ == "__main__":
    main()
