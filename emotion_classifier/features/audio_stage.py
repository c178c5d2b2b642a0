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
    feature_version,
    input_bytes,
    reuse,
    skipped_item,
    stage_key,
)
from emotion_classifier.files import load_npz, save_npz_streamed_atomic, stable_hash


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


def audio_notes(table: pd.DataFrame, per_file: dict[str, FileResult]) -> list[dict]:
    """Problem-list notes (not errors: the features are kept) for wavs cut mid-data and for wavs far
    longer than the segment the annotation gives them. A chunk cached before notes existed has none."""
    annotated = (table["end"] - table["start"]).groupby(table["wav_path"]).first()
    notes = []
    for path, found in per_file.items():
        if found.note:
            notes.append({"file": path, "line": None, "problem": found.note, "note": True})
        length = float(annotated.get(path, np.nan))
        if found.duration - length > max(LONG_WAV_EXTRA_SECONDS, 2 * length):  # False for a NaN length
            notes.append({"file": path, "line": None, "note": True,
                          "problem": f"wav of {found.duration:.1f} s, far longer than its annotated segment "
                                     f"({length:.1f} s); all of it is used"})  # fmt: skip
    return notes


def _strict_stop(cache: ChunkCache, chunks: list[Chunk], chunk_paths: list[list[str]]):
    """``--strict``: the first wav of a finished chunk that could not be used ends the stage at once."""

    def stop(index: int, result: ChunkResult | None) -> AudioError | None:
        status = (result or cache.load(chunks[index].key, ("status",)) or {}).get("status", [])
        for path, reason in zip(chunk_paths[index], status, strict=True):
            if str(reason):
                return AudioError(f"audio: {reason}", path)
        return None

    return stop


METADATA = ("offsets", "status", "conversions", "duration")
"""What the stage reads back from each cached chunk at once; the frames are read only while writing."""


@dataclass(frozen=True)
class FileResult:
    """One wav's entry in the chunk results: where its frames are, why it has none, and what was noted."""

    place: Place | None
    reason: str
    conversions: str
    duration: float
    note: str


def _per_file(cache: ChunkCache, chunks: list[Chunk], chunk_paths: list[list[str]]) -> dict[str, FileResult]:
    """wav path -> its `FileResult`, the frames left in the cache (a full-size corpus's are about 1 GB:
    `_npz_writer` streams them). Each chunk is opened once; one cached before notes existed has none."""
    found = {}
    for index, (chunk, paths) in enumerate(zip(chunks, chunk_paths, strict=True)):
        meta = cache.require(chunk.key, METADATA, optional=("notes",))
        offsets, notes = meta["offsets"], [str(x) for x in meta.get("notes", [""] * len(paths))]
        for j, path in enumerate(paths):
            found[path] = FileResult((index, int(offsets[j]), int(offsets[j + 1])), str(meta["status"][j]),
                                     str(meta["conversions"][j]), float(meta["duration"][j]), notes[j])  # fmt: skip
    return found


Place = tuple[int, int, int]
"""Where a wav's frames are: (chunk index, first frame, end frame) in that chunk's features."""


def _frames_in_order(cache: ChunkCache, chunks: list[Chunk], places: list[Place | None]):
    """The rows' frames in table order, as few blocks as possible, reading one cached chunk at a time.

    Rows whose frames follow each other in one chunk (the table's order is the chunks' order) go out as one
    slice: written a segment at a time, the zip member's 10,000 writes and checksums of a full-size corpus
    took 2 s. Rows without frames add nothing to the concatenation.
    """
    current, features, run = None, None, None
    for place in [*(p for p in places if p is not None), None]:
        if run is not None and place is not None and place[0] == run[0] and place[1] == run[2]:
            run = (run[0], run[1], place[2])
            continue
        if run is not None:
            if run[0] != current:
                current, features = run[0], cache.require(chunks[run[0]].key, ("features",))["features"]
            yield features[run[1]:run[2]]
        run = place


def _npz_writer(cache: ChunkCache, chunks: list[Chunk], places: list, table: pd.DataFrame, names: list[str]):
    lengths = [0 if p is None else p[2] - p[1] for p in places]

    def write(path) -> None:
        save_npz_streamed_atomic(path, "features", _frames_in_order(cache, chunks, places),
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
    base = [ARTIFACT_FORMAT, settings.as_dict(), feature_version(librosa.__version__)]
    wavs = list(dict.fromkeys(p for p in table["wav_path"] if p))
    chunk_paths = blocks(wavs, config.chunk_size)
    file_keys = dict(zip(wavs, context.file_keys(wavs), strict=True))
    chunks = [
        Chunk(stable_hash([base, [file_keys[p] for p in paths]]), (paths, settings),
              input_bytes(paths) / AUDIO_BYTES_PER_SECOND)
        for paths in chunk_paths
    ]  # fmt: skip
    key = stage_key(base, table, chunks, [file_keys[p][0] if p else "" for p in table["wav_path"]])
    reused = reuse(context, "audio", key, table, wavs, AudioError)
    if reused is not None:
        return reused
    if config.strict and (missing := table[table["wav_path"].eq("")]).shape[0]:
        row = missing.iloc[0]
        raise AudioError(f"audio: wav file missing (segment {row['segment_id']})", annotation_place(row))
    cache = context.cache("audio")
    stop = _strict_stop(cache, chunks, chunk_paths) if config.strict else None
    run = context.run("audio", audio_chunk, chunks, keep=False, stop=stop)
    per_file = _per_file(cache, chunks, chunk_paths)
    places, skipped = [], []
    for _, row in table.iterrows():
        found = per_file.get(row["wav_path"])
        place, reason = (None, "") if found is None else (found.place, found.reason)
        if not row["wav_path"]:
            skipped.append(skipped_item(row["segment_id"], annotation_place(row), "wav file missing"))
        elif reason:
            skipped.append(skipped_item(row["segment_id"], row["wav_path"], reason))
        places.append(place if place is not None and place[2] > place[1] else None)
    converted = [{"file": p, "conversion": f.conversions} for p, f in per_file.items() if f.conversions]
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
            "seconds": round(sum(f.duration for f in per_file.values()), 3),
            "frames": int(sum(p[2] - p[1] for p in places if p is not None)),
            "resampled": sum("resampled" in c["conversion"] for c in converted),
            "to_mono": sum("mono" in c["conversion"] for c in converted),
        },
        "skipped": skipped,
        "converted": converted,
        "problems": audio_notes(table, per_file),
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
    audio = load_npz(folder / AUDIO, mapped=("features",))  # about 1 GB at full size, read by speech models only
    check_aligned(audio["segment_id"], table, folder / AUDIO)
    return AudioFrames(unpack_frames(audio["features"], audio["offsets"]), audio["feature_names"].tolist())
