"""The wav and txt files of every segment, and the ``converted/`` decoys next to them.

KEMDy19 nests wavs per dialogue and writes transcripts in UTF-8; KEMDy20 keeps one flat folder per
session and writes cp949. Most KEMDy19 dialogue folders also hold a ``converted/`` sub-folder whose
files share the stems of the real ones (a resampled wav, a re-encoded txt): a reader that searches
recursively picks them up, which is exactly the mistake they are there to catch.
"""

from __future__ import annotations

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


def media_stem(corpus: str, segment: pd.Series) -> str:
    """Path of a segment's media without suffix, relative to the corpus root."""
    folder = f"wav/Session{int(segment['session']):02d}"
    if corpus == KEMDY19:
        folder += f"/{segment['dialogue']}"
    return f"{folder}/{segment['segment_id']}"


def write_media(
    root: Path, segments: pd.DataFrame, corpus: str, quirks: QuirkPlan, seed: int
) -> pd.DataFrame:
    """Synthesise and write every segment's wav and txt, minus the planned gaps.

    Returns, aligned with ``segments``: ``has_wav, has_txt, wav_file, txt_file`` (relative paths, ''
    when missing), ``text_raw`` (exactly what the txt holds) and ``text`` (what cleaning must give).
    """
    noise = {s: rng_for(seed, "room", s).uniform(*ROOM_NOISE_RMS) for s in segments["session"].unique()}
    rows = []
    for _, seg in segments.iterrows():
        sid = seg["segment_id"]
        stem = media_stem(corpus, seg)
        has_wav = seg["dialogue"] != quirks.no_media_dialogue and sid not in quirks.no_media_segments
        has_txt = has_wav and sid not in quirks.no_txt_segments
        text_raw = "" if sid in quirks.empty_txt_segments else seg["text_raw"]
        if has_wav:
            rng = rng_for(seed, "audio", sid)
            seconds = seg["duration_ms"] / 1000
            audio = synthesise(seg["text_clean"], seg["prosody"], seconds, rng, noise[seg["session"]])
            write_wav(root / f"{stem}.wav", audio, SAMPLE_RATE)
            if sid in quirks.decoys:
                _write_decoy(root / stem, audio, seg["text_clean"])
        if has_txt:
            write_text(root / f"{stem}.txt", text_raw, TRANSCRIPT_ENCODING[corpus])
        rows.append(
            {
                "segment_id": sid,
                "has_wav": has_wav,
                "has_txt": has_txt,
                "wav_file": f"{stem}.wav" if has_wav else "",
                "txt_file": f"{stem}.txt" if has_txt else "",
                "text_raw": text_raw if has_txt else "",
                "text": seg["text_clean"] if has_txt and text_raw else "",
            }
        )
    return pd.DataFrame(rows, index=segments.index)


def _write_decoy(stem: Path, audio: np.ndarray, text: str) -> None:
    """A resampled copy and a differently encoded transcript with the same stem, in ``converted/``."""
    decoy = stem.parent / "converted" / stem.name
    write_wav(decoy.with_suffix(".wav"), resample_poly(audio, DECOY_RATE, SAMPLE_RATE), DECOY_RATE)
    write_text(decoy.with_suffix(".txt"), text, DECOY_ENCODING)
