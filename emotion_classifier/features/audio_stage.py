"""The audio stage of `prepare`: frame features of each segment's wav -> audio_features.npz.

Work is cached in chunks of wav files so that an interrupted run keeps what it finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import pandas as pd

from emotion_classifier.errors import AudioError
from emotion_classifier.features.artifacts import AUDIO, check_aligned, pack_frames, unpack_frames
from emotion_classifier.features.audio import AudioSettings, feature_names
from emotion_classifier.features.cache import ChunkCache
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.inputs import speech_input
from emotion_classifier.features.runner import Chunk, ChunkResult, blocks
from emotion_classifier.features.stage import (
    ARTIFACT_FORMAT,
    StageContext,
    StageResult,
    annotation_place,
    reuse,
    skipped_item,
    stage_key,
)
from emotion_classifier.files import fingerprint, load_npz, save_npz_streamed_atomic, stable_hash


def audio_chunk(paths: list[str], settings: AudioSettings) -> ChunkResult:
    """Features of each wav (`speech_input`), concatenated, with per-file offsets, failure reason
    ('' if none), conversions made and duration."""
    found = [speech_input(path, settings) for path in paths]
    return {
        **pack_frames([f.frames for f in found], len(feature_names(settings))),
        "status": np.array([f.reason for f in found], dtype=str),
        "conversions": np.array(["; ".join(f.conversions) for f in found], dtype=str),
        "duration": np.array([f.duration for f in found], dtype=np.float64),
    }


METADATA = ("offsets", "status", "conversions", "duration")
"""What the stage reads back from each cached chunk at once; the frames are read only while writing."""


def _per_file(cache: ChunkCache, chunks: list[Chunk], chunk_paths: list[list[str]]) -> dict[str, tuple]:
    """wav path -> ((chunk, first frame, end frame), status, conversions, duration), the frames left in
    the cache (a full-size corpus's are about 1 GB: `_npz_writer` streams them)."""
    found = {}
    for index, (chunk, paths) in enumerate(zip(chunks, chunk_paths, strict=True)):
        meta = cache.load(chunk.key, METADATA)
        if meta is None:
            raise FileNotFoundError(f"audio chunk {chunk.key} vanished from the cache {cache.folder}")
        offsets = meta["offsets"]
        for j, path in enumerate(paths):
            found[path] = ((index, int(offsets[j]), int(offsets[j + 1])), str(meta["status"][j]),
                           str(meta["conversions"][j]), float(meta["duration"][j]))  # fmt: skip
    return found


Place = tuple[int, int, int]
"""Where a wav's frames are: (chunk index, first frame, end frame) in that chunk's features."""


def _frames_in_order(cache: ChunkCache, chunks: list[Chunk], places: list[Place | None], n_features: int):
    """Each row's frames in table order, reading one cached chunk at a time."""
    current, features = None, None
    for place in places:
        if place is None:
            yield np.zeros((0, n_features), dtype=np.float32)
            continue
        index, start, end = place
        if index != current:
            loaded = cache.load(chunks[index].key, ("features",))
            if loaded is None:
                raise FileNotFoundError(f"audio chunk {chunks[index].key} vanished from the cache {cache.folder}")
            current, features = index, loaded["features"]
        yield features[start:end]


def _npz_writer(cache: ChunkCache, chunks: list[Chunk], places: list, table: pd.DataFrame, names: list[str]):
    lengths = [0 if p is None else p[2] - p[1] for p in places]

    def write(path) -> None:
        save_npz_streamed_atomic(path, "features", _frames_in_order(cache, chunks, places, len(names)),
                                 (sum(lengths), len(names)), {
            "offsets": np.cumsum([0, *lengths]).astype(np.int64),
            "segment_id": table["segment_id"].to_numpy(dtype=str),
            "feature_names": np.array(names, dtype=str),
        })  # fmt: skip

    return write


AUDIO_BYTES_PER_SECOND = 40e6
"""Wav bytes one core turns into features per second (about 1,250x real time for 16 kHz 16-bit
audio, a low estimate): the chunks' `Chunk.cost`, which decides whether workers are worth starting."""


def run_audio_stage(table: pd.DataFrame, config: PrepareConfig, context: StageContext) -> StageResult:
    """Speech features per segment (cached per chunk of wavs); unreadable or missing wavs are listed."""
    settings = config.audio_settings()
    names = feature_names(settings)
    base = [ARTIFACT_FORMAT, settings.as_dict(), librosa.__version__]
    wavs = list(dict.fromkeys(p for p in table["wav_path"] if p))
    chunk_paths = blocks(wavs, config.chunk_size)
    chunks = []
    for paths in chunk_paths:
        prints = [(p, fingerprint(p)) for p in paths]
        cost = sum(f["size"] or 0 for _, f in prints) / AUDIO_BYTES_PER_SECOND
        chunks.append(Chunk(stable_hash([base, prints]), (paths, settings), cost))
    key = stage_key(base, table, chunks, table["wav_path"].tolist())
    reused = reuse(context, "audio", key, table, wavs, AudioError)
    if reused is not None:
        return reused
    run = context.run("audio", audio_chunk, chunks, keep=False)
    cache = context.cache("audio")
    per_file = _per_file(cache, chunks, chunk_paths)
    places, skipped = [], []
    for _, row in table.iterrows():
        place, reason, _, _ = per_file.get(row["wav_path"], (None, "", "", 0.0))
        if not row["wav_path"]:
            skipped.append(skipped_item(row["segment_id"], annotation_place(row), "wav file missing"))
        elif reason:
            skipped.append(skipped_item(row["segment_id"], row["wav_path"], reason))
        places.append(place if place is not None and place[2] > place[1] else None)
    converted = [{"file": p, "conversion": c} for p, (_, _, c, _) in per_file.items() if c]
    available = np.array([p is not None for p in places], dtype=bool)
    section = {
        "key": key,
        "artifact": AUDIO,
        "settings": {**settings.as_dict(), "librosa": librosa.__version__, "feature_names": names},
        "counts": {
            "segments": len(table),
            "with_audio": int(available.sum()),
            "skipped": len(skipped),
            "wav_files": len(wavs),
            "seconds": round(sum(d for *_, d in per_file.values()), 3),
            "frames": int(sum(p[2] - p[1] for p in places if p is not None)),
            "resampled": sum("resampled" in c["conversion"] for c in converted),
            "to_mono": sum("mono" in c["conversion"] for c in converted),
        },
        "skipped": skipped,
        "converted": converted,
        "strict": True,
        "cache": {"hits": run.hits, "computed": run.computed},
    }
    writer = _npz_writer(cache, chunks, places, table, names)
    return StageResult("audio", AUDIO, key, available, section, writer, wavs, AudioError)


@dataclass
class AudioFrames:
    """``audio_features.npz`` read back: one ``(frames, n_features)`` array per segment row."""

    frames: list[np.ndarray]
    feature_names: list[str]


def load_frames(folder: Path, table: pd.DataFrame) -> AudioFrames:
    """The audio stage's artifact, checked row for row against ``segments.csv``."""
    audio = load_npz(folder / AUDIO)
    check_aligned(audio["segment_id"], table, folder / AUDIO)
    return AudioFrames(unpack_frames(audio["features"], audio["offsets"]), audio["feature_names"].tolist())
