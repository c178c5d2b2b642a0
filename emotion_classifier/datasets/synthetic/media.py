"""The wav and txt files of every segment, and the ``converted/`` decoys next to them.

KEMDy19 nests wavs per dialogue and writes transcripts in UTF-8; KEMDy20 keeps one flat folder per
session and writes cp949. Most KEMDy19 dialogue folders also hold a ``converted/`` sub-folder whose
files share the stems of the real ones (a resampled wav, a re-encoded txt): a reader that searches
recursively picks them up, which is exactly the mistake they are there to catch.

A transcript is its one line followed by one newline, as 10,274 of the 10,279 real KEMDy19 speaker
transcripts are (an empty transcript is an empty file); readers strip it.

Synthesis is most of a big corpus's generation time, so above `PARALLEL_AUDIO_S` seconds of audio the
wavs are synthesised in worker processes (each segment draws from its own random stream, so the bytes
do not depend on the worker count).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import resample_poly

from emotion_classifier.datasets.synthetic.formatting import write_text, write_wav
from emotion_classifier.datasets.synthetic.plan import KEMDY19, KEMDY20
from emotion_classifier.datasets.synthetic.quirks import QuirkPlan
from emotion_classifier.datasets.synthetic.randomness import rng_for
from emotion_classifier.datasets.synthetic.voice import SAMPLE_RATE, synthesise

TRANSCRIPT_ENCODING: dict[str, str] = {KEMDY19: "utf-8", KEMDY20: "cp949"}
DECOY_RATE = 8000
DECOY_ENCODING = "cp949"
ROOM_NOISE_RMS = (0.001, 0.004)
"""Background noise level, one per session (each session was recorded in its own conditions)."""
PARALLEL_AUDIO_S = 600.0
"""Below ten minutes of audio, starting worker processes costs more than it saves."""
BATCH_AUDIO_S = 900.0
"""Audio seconds per task sent to a worker: big enough to hide the hand-over, small enough to balance."""


def media_stem(corpus: str, segment: Mapping) -> str:
    """Path of a segment's media without suffix, relative to the corpus root."""
    folder = f"wav/Session{int(segment['session']):02d}"
    if corpus == KEMDY19:
        folder += f"/{segment['dialogue']}"
    return f"{folder}/{segment['segment_id']}"


def write_media(
    root: Path, segments: pd.DataFrame, corpus: str, quirks: QuirkPlan, seed: int, jobs: int | None = None
) -> pd.DataFrame:
    """Synthesise and write every segment's wav and txt, minus the planned gaps.

    Returns, aligned with ``segments``: ``has_wav, has_txt, wav_file, txt_file`` (relative paths, ''
    when missing), ``text_raw`` (what the txt holds without its final newline, i.e. what a reader
    gives) and ``text`` (what cleaning must give).
    """
    noise = {s: rng_for(seed, "room", s).uniform(*ROOM_NOISE_RMS) for s in segments["session"].unique()}
    rows, tasks = [], []
    for seg in segments.itertuples(index=False):
        sid = seg.segment_id
        stem = media_stem(corpus, {"session": seg.session, "dialogue": seg.dialogue, "segment_id": sid})
        has_wav = seg.dialogue != quirks.no_media_dialogue and sid not in quirks.no_media_segments
        has_txt = has_wav and sid not in quirks.no_txt_segments
        text_raw = "" if sid in quirks.empty_txt_segments else seg.text_raw
        if has_wav:
            tasks.append((str(root / stem), sid, seg.text_clean, seg.prosody, seg.duration_ms / 1000,
                          noise[seg.session], sid in quirks.decoys))  # fmt: skip
        if has_txt:
            write_text(root / f"{stem}.txt", f"{text_raw}\n" if text_raw else "", TRANSCRIPT_ENCODING[corpus])
        rows.append(
            {
                "segment_id": sid,
                "has_wav": has_wav,
                "has_txt": has_txt,
                "wav_file": f"{stem}.wav" if has_wav else "",
                "txt_file": f"{stem}.txt" if has_txt else "",
                "text_raw": text_raw if has_txt else "",
                "text": seg.text_clean if has_txt and text_raw else "",
            }
        )
    _write_wavs(tasks, seed, jobs)
    return pd.DataFrame(rows, index=segments.index)


def _write_wavs(tasks: list[tuple], seed: int, jobs: int | None) -> None:
    """Synthesise and write every wav, in worker processes when the corpus is big enough to gain."""
    total = sum(task[4] for task in tasks)
    if jobs is None:
        jobs = (os.cpu_count() or 1) if total > PARALLEL_AUDIO_S else 1
    if jobs <= 1 or len(tasks) < 2:
        _write_batch(tasks, seed)
        return
    from joblib import Parallel, delayed

    batches, batch, seconds = [], [], 0.0
    for task in tasks:
        batch.append(task)
        seconds += task[4]
        if seconds >= BATCH_AUDIO_S:
            batches.append(batch)
            batch, seconds = [], 0.0
    batches += [batch] if batch else []
    Parallel(n_jobs=jobs)(delayed(_write_batch)(b, seed) for b in batches)


def _write_batch(tasks: list[tuple], seed: int) -> None:
    for stem, sid, text, prosody, seconds, noise, decoy in tasks:
        audio = synthesise(text, prosody, seconds, rng_for(seed, "audio", sid), noise)
        write_wav(Path(f"{stem}.wav"), audio, SAMPLE_RATE)
        if decoy:
            _write_decoy(Path(stem), audio, text)


def _write_decoy(stem: Path, audio: np.ndarray, text: str) -> None:
    """A resampled copy and a differently encoded transcript with the same stem, in ``converted/``."""
    decoy = stem.parent / "converted" / stem.name
    write_wav(decoy.with_suffix(".wav"), resample_poly(audio, DECOY_RATE, SAMPLE_RATE), DECOY_RATE)
    write_text(decoy.with_suffix(".txt"), text, DECOY_ENCODING)
