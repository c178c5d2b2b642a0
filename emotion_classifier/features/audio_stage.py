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
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.inputs import speech_input
from emotion_classifier.features.runner import Chunk, ChunkResult, blocks
from emotion_classifier.features.stage import (
    ARTIFACT_FORMAT,
    StageContext,
    StageResult,
    annotation_place,
    feature_version,
    reuse,
    skipped_item,
    stage_key,
)
from emotion_classifier.files import load_npz, save_npz_atomic, stable_hash


def audio_chunk(paths: list[str], settings: AudioSettings) -> ChunkResult:
    """Features of each wav (`speech_input`), concatenated, with per-file offsets, failure reason
    ('' if none), conversions made and duration."""
    found = [speech_input(path, settings) for path in paths]
    return {
        **pack_frames([f.frames for f in found], len(feature_names(settings))),
        "status": np.array([f.reason for f in found], dtype=str),
        "conversions": np.array(["; ".join(f.conversions) for f in found], dtype=str),
        "duration": np.array([f.duration for f in found], dtype=np.float64),
        "notes": np.array(["; ".join(f.notes) for f in found], dtype=str),
    }


LONG_WAV_EXTRA_SECONDS = 10.0
"""A wav is noted as far longer than its segment when it exceeds the annotated length by more than this
and by more than twice that length (segment wavs are cut to the segment; a whole dialogue is not)."""


def audio_notes(table: pd.DataFrame, results: list[ChunkResult], chunk_paths: list[list[str]]) -> list[dict]:
    """Problem-list notes (not errors: the features are kept) for wavs cut mid-data and for wavs far
    longer than the segment the annotation gives them. A chunk cached before notes existed has none."""
    annotated = (table["end"] - table["start"]).groupby(table["wav_path"]).first()
    notes = []
    for result, paths in zip(results, chunk_paths, strict=True):
        for j, path in enumerate(paths):
            if "notes" in result and str(result["notes"][j]):
                notes.append({"file": path, "line": None, "problem": str(result["notes"][j]), "note": True})
            duration, length = float(result["duration"][j]), float(annotated.get(path, np.nan))
            if duration - length > max(LONG_WAV_EXTRA_SECONDS, 2 * length):  # False for a NaN length
                notes.append({"file": path, "line": None, "note": True,
                              "problem": f"wav of {duration:.1f} s, far longer than its annotated segment "
                                         f"({length:.1f} s); all of it is used"})  # fmt: skip
    return notes


def _strict_stop(chunk_paths: list[list[str]]):
    """``--strict``: the first wav of a finished chunk that could not be used ends the stage at once."""

    def stop(index: int, result: ChunkResult) -> AudioError | None:
        for path, reason in zip(chunk_paths[index], result["status"], strict=True):
            if str(reason):
                return AudioError(f"audio: {reason}", path)
        return None

    return stop


def _per_file(results: list[ChunkResult], chunk_paths: list[list[str]]) -> dict[str, tuple]:
    """wav path -> (features, status, conversions, duration) from the chunk results."""
    found = {}
    for result, paths in zip(results, chunk_paths, strict=True):
        frames = unpack_frames(result["features"], result["offsets"])
        for j, path in enumerate(paths):
            found[path] = (frames[j], str(result["status"][j]), str(result["conversions"][j]),
                           float(result["duration"][j]))  # fmt: skip
    return found


def _npz_writer(arrays: list[np.ndarray], table: pd.DataFrame, names: list[str]):
    def write(path) -> None:
        save_npz_atomic(path, {
            **pack_frames(arrays, len(names)),
            "segment_id": table["segment_id"].to_numpy(dtype=str),
            "feature_names": np.array(names, dtype=str),
        })  # fmt: skip

    return write


def run_audio_stage(table: pd.DataFrame, config: PrepareConfig, context: StageContext) -> StageResult:
    """Speech features per segment (cached per chunk of wavs); unreadable or missing wavs are listed."""
    settings = config.audio_settings()
    names = feature_names(settings)
    base = [ARTIFACT_FORMAT, settings.as_dict(), feature_version(librosa.__version__)]
    wavs = list(dict.fromkeys(p for p in table["wav_path"] if p))
    chunk_paths = blocks(wavs, config.chunk_size)
    chunks = [
        Chunk(stable_hash([base, [context.file_key(p) for p in paths]]), (paths, settings))
        for paths in chunk_paths
    ]
    key = stage_key(base, table, chunks, [context.file_key(p)[0] if p else "" for p in table["wav_path"]])
    reused = reuse(context, "audio", key, table, wavs, AudioError)
    if reused is not None:
        return reused
    if config.strict and (missing := table[table["wav_path"].eq("")]).shape[0]:
        row = missing.iloc[0]
        raise AudioError(f"audio: wav file missing (segment {row['segment_id']})", annotation_place(row))
    run = context.run("audio", audio_chunk, chunks, stop=_strict_stop(chunk_paths) if config.strict else None)
    per_file = _per_file(run.results, chunk_paths)
    empty = np.zeros((0, len(names)), dtype=np.float32)
    arrays, skipped = [], []
    for _, row in table.iterrows():
        features, reason, _, _ = per_file.get(row["wav_path"], (empty, "", "", 0.0))
        if not row["wav_path"]:
            skipped.append(skipped_item(row["segment_id"], annotation_place(row), "wav file missing"))
        elif reason:
            skipped.append(skipped_item(row["segment_id"], row["wav_path"], reason))
        arrays.append(features)
    converted = [{"file": p, "conversion": c} for p, (_, _, c, _) in per_file.items() if c]
    available = np.array([len(a) > 0 for a in arrays], dtype=bool)
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
            "frames": int(sum(len(a) for a in arrays)),
            "resampled": sum("resampled" in c["conversion"] for c in converted),
            "to_mono": sum("mono" in c["conversion"] for c in converted),
        },
        "skipped": skipped,
        "converted": converted,
        "problems": audio_notes(table, run.results, chunk_paths),
        "strict": True,
        "cache": {"hits": run.hits, "computed": run.computed},
    }
    return StageResult("audio", AUDIO, key, available, section, _npz_writer(arrays, table, names), wavs, AudioError)


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
