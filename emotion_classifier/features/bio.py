"""Per-segment summary features of body signals (EDA, TEMP, ECG, heart rate from IBI).

Input is a person's samples (`time`, `value`, `segment_id` DataFrames, as `read_bio_file` gives
them), one frame per file, in chronological order. Levels differ enormously between people, so every
level-like feature also comes z-scored with the person's own mean and sd (`*_pnorm`). Which of the
person's samples give that mean and sd is the `normalisation` setting (`NORMALISATIONS`):

- ``session``: every sample of the person's files (the whole session, the future included). It uses
  no label, so nothing leaks across folds, but a deployed predictor never has the rest of the session.
- ``past``: the samples up to the segment's END only (earlier files, then this file up to the
  segment's last sample): what a live system can do. Each segment gets its own running statistics.
- ``none``: no `*_pnorm` columns at all (absent, not NaN: a model then simply has fewer inputs).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

PREFIXES: dict[str, str] = {"EDA": "eda", "TEMP": "temp", "ECG": "ecg", "IBI": "hr"}
"""Feature-name prefix of each signal (IBI is summarised as heart rate, 60 / ibi)."""

NORMALISATIONS: tuple[str, ...] = ("session", "past", "none")
"""Choices of the person normalisation (`PrepareConfig.bio_normalisation`); the first is the default."""
MIN_NORMALISATION_SAMPLES = 240
"""Fewer of the person's samples than this (one minute of a 4 Hz E4 signal, about four minutes of IBI
beats) make a mean and sd too unsteady to normalise by: counted in prepare, warned about in prediction."""

SUMMARY_STATS: tuple[str, ...] = ("mean", "sd", "min", "max", "slope", "first", "last", "n")
_LEVEL_STATS = ("mean", "min", "max", "first", "last")  # normalised as (x - mean) / sd
_SCALE_STATS = ("sd", "slope")  # normalised as x / sd
_EXTRA_STATS: dict[str, tuple[str, ...]] = {"EDA": ("scr_count", "scr_amp_mean"), "IBI": ("rmssd", "sdnn")}


def feature_names(signal: str, normalisation: str = "session") -> list[str]:
    """Columns `signal_features` returns for `signal` under `normalisation`, in order."""
    prefix = PREFIXES[signal]
    stats = [*SUMMARY_STATS, *_EXTRA_STATS.get(signal, ())]
    normalised = [] if normalisation == "none" else [f"{s}_pnorm" for s in (*_LEVEL_STATS, *_SCALE_STATS)]
    return [f"{prefix}_{s}" for s in [*stats, *normalised]]


def summarise(time: np.ndarray, value: np.ndarray) -> dict[str, float]:
    """Mean, sd (ddof=1), min, max, least-squares slope per second, first, last and count.

    Statistics a segment is too short for are NaN (sd and slope need two samples).
    """
    n = len(value)
    if n == 0:
        return {s: (0.0 if s == "n" else np.nan) for s in SUMMARY_STATS}
    spread = n >= 2 and np.ptp(time) > 0
    return {
        "mean": float(np.mean(value)),
        "sd": float(np.std(value, ddof=1)) if n >= 2 else np.nan,
        "min": float(np.min(value)),
        "max": float(np.max(value)),
        "slope": float(np.polyfit(time, value, 1)[0]) if spread else np.nan,
        "first": float(value[0]),
        "last": float(value[-1]),
        "n": float(n),
    }


def person_normalise(summary: dict[str, float], mean: float, sd: float) -> dict[str, float]:
    """The `*_pnorm` versions of a summary, given the person's mean and sd (`person_statistics`)."""
    if not sd > 0:
        return {f"{s}_pnorm": np.nan for s in (*_LEVEL_STATS, *_SCALE_STATS)}
    out = {f"{s}_pnorm": (summary[s] - mean) / sd for s in _LEVEL_STATS}
    out.update({f"{s}_pnorm": summary[s] / sd for s in _SCALE_STATS})
    return out


def hrv(ibi_seconds: np.ndarray) -> dict[str, float]:
    """RMSSD and SDNN in milliseconds (the standard short-term HRV pair); NaN below two beats."""
    ms = np.asarray(ibi_seconds, dtype=float) * 1000.0
    if len(ms) < 2:
        return {"rmssd": np.nan, "sdnn": np.nan}
    return {"rmssd": float(np.sqrt(np.mean(np.diff(ms) ** 2))), "sdnn": float(np.std(ms, ddof=1))}


def scr_amplitudes(eda: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Skin-conductance-response amplitude at each peak sample, NaN elsewhere (NeuroKit2).

    Run on a whole recording, not a segment: the phasic high-pass filter needs far more than a
    few seconds of 4 Hz data. Raises ValueError when the recording is too short to filter.
    """
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        phasic = nk.eda_phasic(np.asarray(eda, dtype=float), sampling_rate=sampling_rate)["EDA_Phasic"]
        _, info = nk.eda_peaks(phasic.to_numpy(), sampling_rate=sampling_rate)
    amplitudes = np.full(len(eda), np.nan)
    peaks = np.asarray(info["SCR_Peaks"], dtype=int)
    amplitudes[peaks] = np.asarray(info["SCR_Amplitude"], dtype=float)
    return amplitudes


def _prepared_samples(frames: Sequence[pd.DataFrame], signal: str, sampling_rate: float | None):
    """One table of the person's samples, with `level` (the value summarised: heart rate for IBI),
    `scr` (response amplitude at EDA peaks) and `scr_ok` (False in recordings too short for SCRs).
    """
    parts, scr_failures = [], 0
    for frame in frames:
        part = frame[["time", "value", "segment_id"]].dropna(subset=["time", "value"]).copy()
        part["level"] = 60.0 / part["value"] if signal == "IBI" else part["value"]
        part["scr"], part["scr_ok"], part["file"] = np.nan, signal == "EDA", len(parts)
        if signal == "EDA":
            try:
                part["scr"] = scr_amplitudes(part["value"].to_numpy(), sampling_rate or 4.0)
            except ValueError:
                part["scr_ok"] = False
                scr_failures += 1
        parts.append(part)
    columns = ["time", "value", "segment_id", "level", "scr", "scr_ok", "file"]
    samples = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return samples, scr_failures


def _session_statistics(samples: pd.DataFrame, n_segments: int) -> pd.DataFrame:
    """The person's mean, sd and sample count over every sample: the same for each segment."""
    level = samples["level"].to_numpy(dtype=float)
    mean = float(np.mean(level)) if len(level) else np.nan
    sd = float(np.std(level, ddof=1)) if len(level) >= 2 else np.nan
    return pd.DataFrame({"mean": [mean] * n_segments, "sd": [sd] * n_segments, "n": [len(level)] * n_segments})


def _past_statistics(samples: pd.DataFrame, segment_ids: Sequence[str]) -> pd.DataFrame:
    """Each segment's mean, sd and count over the person's samples up to the segment's last sample:
    earlier files first, then this file up to that time (samples at that very time included)."""
    ordered = samples.sort_values(["file", "time"], kind="stable")
    level = ordered["level"].astype(float).expanding()
    running = pd.DataFrame({"mean": level.mean(), "sd": level.std(ddof=1), "n": level.count()})
    running = running.groupby([ordered["file"], ordered["time"]]).transform("last")  # ties see each other
    at_end = running.assign(segment_id=ordered["segment_id"])[ordered["segment_id"].ne("")]
    at_end = at_end.groupby("segment_id").tail(1).set_index("segment_id")
    return at_end.reindex(list(segment_ids)).reset_index(drop=True)


def person_statistics(samples: pd.DataFrame, segment_ids: Sequence[str], normalisation: str) -> pd.DataFrame | None:
    """Per segment (positionally), the `mean`, `sd` and count `n` of the person's samples its `*_pnorm`
    features are normalised by, as `normalisation` chooses them; None for ``none``."""
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"bio normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
    if normalisation == "none":
        return None
    if normalisation == "past":
        return _past_statistics(samples, segment_ids)
    return _session_statistics(samples, len(segment_ids))


def _scr(seg: pd.DataFrame) -> dict[str, float]:
    """SCR count and mean amplitude within a segment (amplitude 0 when there is no response)."""
    if len(seg) == 0 or not seg["scr_ok"].all():
        return {"scr_count": np.nan, "scr_amp_mean": np.nan}
    peaks = seg["scr"].dropna()
    return {"scr_count": float(len(peaks)), "scr_amp_mean": float(peaks.mean()) if len(peaks) else 0.0}


def signal_features(
    frames: Sequence[pd.DataFrame], signal: str, segment_ids: Sequence[str], sampling_rate: float | None = None,
    normalisation: str = "session",
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Features of each segment in `segment_ids` from one person's recordings of `signal` (`frames` in
    chronological order: ``past`` takes earlier files as the person's past).

    Returns the features (index `segment_ids`, columns `feature_names(signal, normalisation)`) and counts
    of what fell short: segments without samples, with one sample, recordings too short for SCRs, and
    segments normalised on fewer than `MIN_NORMALISATION_SAMPLES` of the person's samples.
    """
    samples, scr_failures = _prepared_samples(frames, signal, sampling_rate)
    statistics = person_statistics(samples, segment_ids, normalisation)
    labelled = samples[samples["segment_id"] != ""].sort_values("time", kind="stable")
    groups = dict(tuple(labelled.groupby("segment_id", sort=False)))
    empty = labelled.iloc[:0]
    rows, no_samples, one_sample = [], 0, 0
    for i, segment_id in enumerate(segment_ids):
        seg = groups.get(segment_id, empty)
        no_samples += len(seg) == 0
        one_sample += len(seg) == 1
        summary = summarise(seg["time"].to_numpy(dtype=float), seg["level"].to_numpy(dtype=float))
        row = dict(summary)
        if statistics is not None:
            row.update(person_normalise(summary, statistics.at[i, "mean"], statistics.at[i, "sd"]))
        if signal == "EDA":
            row.update(_scr(seg))
        if signal == "IBI":
            row.update(hrv(seg["value"].to_numpy(dtype=float)))
        rows.append(row)
    prefix = PREFIXES[signal]
    table = pd.DataFrame(rows, index=pd.Index(list(segment_ids), name="segment_id"))
    table = table.rename(columns=lambda c: f"{prefix}_{c}")[feature_names(signal, normalisation)]
    counts = {"no_samples": no_samples, "one_sample": one_sample, "recordings_too_short_for_scr": scr_failures}
    if statistics is not None:
        few = statistics["n"].to_numpy() < MIN_NORMALISATION_SAMPLES
        counts["normalised_on_few_samples"] = int((few & (table[f"{prefix}_n"].to_numpy() > 0)).sum())
    return table, counts
