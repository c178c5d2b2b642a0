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
from dataclasses import dataclass

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


SCR_HIGHPASS_HZ = 0.05
"""NeuroKit2's ``eda_phasic`` (method ``highpass``): a 2nd-order Butterworth high-pass at 0.05 Hz, run
forwards and backwards."""


def scr_amplitudes(eda: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Skin-conductance-response amplitude at each peak sample, NaN elsewhere (NeuroKit2's method).

    Run on a whole recording, not a segment: the phasic high-pass filter needs far more than a
    few seconds of 4 Hz data. Raises ValueError when the recording is too short to filter, or where
    ``nk.eda_peaks`` raises one. Equal to ``nk.eda_peaks(nk.eda_phasic(eda)["EDA_Phasic"])``'s
    ``SCR_Peaks`` and ``SCR_Amplitude`` (`eda_phasic`, `scr_peaks`), without importing NeuroKit2 (two
    seconds per worker process) or its per-peak pandas searches (half a minute per hour-long recording:
    most of the bio stage's time).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peaks, amplitude = scr_peaks(eda_phasic(eda, sampling_rate))
    amplitudes = np.full(len(eda), np.nan)
    amplitudes[peaks] = amplitude
    return amplitudes


def eda_phasic(eda: np.ndarray, sampling_rate: float) -> np.ndarray:
    """The phasic component of finite EDA samples, as ``nk.eda_phasic(eda, sampling_rate)["EDA_Phasic"]``
    (NeuroKit2 0.2, method ``highpass``) computes it. ValueError when the recording is too short."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(2, SCR_HIGHPASS_HZ, btype="highpass", output="sos", fs=sampling_rate)
    return sosfiltfilt(sos, np.asarray(eda, dtype=float))


def scr_peaks(phasic: np.ndarray, amplitude_min: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Peak samples and amplitudes of the skin-conductance responses in a phasic EDA signal, exactly as
    ``nk.eda_peaks(phasic, method="neurokit", amplitude_min=0.1)`` finds them (NeuroKit2 0.2), with its
    per-peak searches vectorised (`tests/features/test_bio_vectorised.py` compares both):

    peaks are `scipy.signal.find_peaks` maxima whose prominence is at least ``amplitude_min`` of the
    largest; a peak's onset is the last trough strictly before it; its amplitude is its height above
    that onset (NaN without a usable onset). Raises ValueError where NeuroKit2 does (no peak at all;
    peaks and onsets that cannot be paired; a response whose recovery search has nothing to search).
    """
    from scipy.signal import find_peaks, peak_prominences

    phasic = np.asarray(phasic, dtype=float)
    peaks, _ = find_peaks(phasic)
    prominence = peak_prominences(phasic, peaks)[0]
    relative = prominence / np.max(prominence)  # ValueError without peaks, as NeuroKit2
    peaks = peaks[~(relative < amplitude_min)]
    troughs, _ = find_peaks(-1 * phasic)
    before = np.searchsorted(troughs, peaks, side="left") - 1
    onsets = np.full(len(peaks), np.nan)
    if len(troughs):
        onsets = np.where(before >= 0, troughs[np.maximum(before, 0)], np.nan)
    valid = (peaks > np.nanmin(onsets)) & ~np.isnan(onsets)
    valid_onsets = ~np.isnan(onsets)
    valid_onsets[valid_onsets] = onsets[valid_onsets] < np.nanmax(peaks)
    paired = onsets[valid_onsets].astype(int)
    if len(paired) != int(valid.sum()):
        raise ValueError("SCR peaks and onsets do not pair")
    amplitude = np.full(len(peaks), np.nan)
    amplitude[valid] = phasic[peaks[valid]] - phasic[paired]
    starts = peaks[valid]
    stops = np.append(starts[1:], len(phasic))
    for start, stop in zip(starts, stops[: len(starts)], strict=True):
        if np.argmin(phasic[start:stop]) == 0:  # NeuroKit2's recovery search then fails on an empty slice
            raise ValueError("an SCR peak with no recovery to search")
    return peaks, amplitude


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


def _past_at_end(samples: pd.DataFrame) -> pd.DataFrame:
    """Every segment id's mean, sd and count over the person's samples up to the segment's last sample
    (index: the ids): earlier files first, then this file up to that time (samples at that very time
    included)."""
    ordered = samples.sort_values(["file", "time"], kind="stable")
    level = ordered["level"].astype(float).expanding()
    running = pd.DataFrame({"mean": level.mean(), "sd": level.std(ddof=1), "n": level.count()})
    running = running.groupby([ordered["file"], ordered["time"]]).transform("last")  # ties see each other
    at_end = running.assign(segment_id=ordered["segment_id"])[ordered["segment_id"].ne("")]
    return at_end.groupby("segment_id").tail(1).set_index("segment_id")


def _past_statistics(samples: pd.DataFrame, segment_ids: Sequence[str]) -> pd.DataFrame:
    """Each segment's `_past_at_end` statistics, positionally (NaN for an id without samples)."""
    return _past_at_end(samples).reindex(list(segment_ids)).reset_index(drop=True)


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


def _group_summaries(grouped: pd.DataFrame, counts: np.ndarray, signal: str) -> dict[str, np.ndarray]:
    """`summarise` (and the SCR and HRV statistics) of every group at once: one numpy reduction per
    statistic over the contiguous groups (``np.*.reduceat``), not one pandas selection per segment."""
    out = {s: np.full(len(counts), np.nan) for s in SUMMARY_STATS}
    out["n"] = counts.astype(float)
    extra = {s: np.full(len(counts), np.nan) for s in _EXTRA_STATS.get(signal, ())}
    present = np.flatnonzero(counts)
    if len(present):
        n = counts[present]
        starts = np.concatenate([[0], np.cumsum(n)[:-1]])
        time = grouped["time"].to_numpy(dtype=float)
        level = grouped["level"].to_numpy(dtype=float)
        mean = np.add.reduceat(level, starts) / n
        centred = level - np.repeat(mean, n)
        two = n >= 2
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(np.add.reduceat(centred**2, starts) / (n - 1))
            t_centred = time - np.repeat(np.add.reduceat(time, starts) / n, n)
            slope = np.add.reduceat(t_centred * centred, starts) / np.add.reduceat(t_centred**2, starts)
        spread = two & (np.maximum.reduceat(time, starts) > np.minimum.reduceat(time, starts))
        values = {
            "mean": mean, "sd": np.where(two, sd, np.nan), "min": np.minimum.reduceat(level, starts),
            "max": np.maximum.reduceat(level, starts), "slope": np.where(spread, slope, np.nan),
            "first": level[starts], "last": level[starts + n - 1],
        }  # fmt: skip
        for name, column in values.items():
            out[name][present] = column
        if signal == "EDA":
            extra.update(_group_scr(grouped, starts, n, present, len(counts)))
        if signal == "IBI":
            extra.update(_group_hrv(grouped["value"].to_numpy(dtype=float), starts, n, present, len(counts)))
    return {**out, **extra}


def _group_scr(grouped: pd.DataFrame, starts, n, present, size: int) -> dict[str, np.ndarray]:
    """SCR count and mean amplitude per segment (amplitude 0 without a response; NaN when a recording
    of the segment was too short for SCRs, or without samples)."""
    scr = grouped["scr"].to_numpy(dtype=float)
    peak = ~np.isnan(scr)
    ok = np.logical_and.reduceat(grouped["scr_ok"].to_numpy(dtype=bool), starts)
    count = np.add.reduceat(peak.astype(float), starts)
    total = np.add.reduceat(np.where(peak, scr, 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        amplitude = np.where(count > 0, total / count, 0.0)
    out = {"scr_count": np.full(size, np.nan), "scr_amp_mean": np.full(size, np.nan)}
    out["scr_count"][present] = np.where(ok, count, np.nan)
    out["scr_amp_mean"][present] = np.where(ok, amplitude, np.nan)
    return out


def _group_hrv(ibi_seconds: np.ndarray, starts, n, present, size: int) -> dict[str, np.ndarray]:
    """`hrv` per segment: RMSSD over successive beats of the same segment, SDNN (ms); NaN below two."""
    ms = ibi_seconds * 1000.0
    same = np.zeros(len(ms), dtype=bool)
    same[1:] = np.repeat(np.arange(len(n)), n)[1:] == np.repeat(np.arange(len(n)), n)[:-1]
    squared = np.zeros(len(ms))
    squared[1:] = np.where(same[1:], np.diff(ms) ** 2, 0.0)
    mean = np.add.reduceat(ms, starts) / n
    two = n >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rmssd = np.sqrt(np.add.reduceat(squared, starts) / (n - 1))
        sdnn = np.sqrt(np.add.reduceat((ms - np.repeat(mean, n)) ** 2, starts) / (n - 1))
    out = {"rmssd": np.full(size, np.nan), "sdnn": np.full(size, np.nan)}
    out["rmssd"][present] = np.where(two, rmssd, np.nan)
    out["sdnn"][present] = np.where(two, sdnn, np.nan)
    return out


def _normalised(summary: dict[str, np.ndarray], mean: np.ndarray, sd: np.ndarray) -> dict[str, np.ndarray]:
    """`person_normalise` of whole columns (NaN where the person's sd is not positive)."""
    usable = sd > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {f"{s}_pnorm": np.where(usable, (summary[s] - mean) / sd, np.nan) for s in _LEVEL_STATS}
        out.update({f"{s}_pnorm": np.where(usable, summary[s] / sd, np.nan) for s in _SCALE_STATS})
    return out


@dataclass
class PersonSignal:
    """One person's samples of one signal, prepared once for any segments asked (`person_signal`).

    `signal_features` of a person's files is mostly work on the whole files (SCRs, the person's
    statistics, sorting), whatever segments are asked: a predictor keeps this between recordings of
    the same person (`features.inputs.PersonSignalCache`) and summarises only the recording's segment.
    ``grouped``: the samples with a segment id, each id's samples contiguous (time order inside),
    ``spans`` where each id's samples sit in it; ``statistics`` the normalisation's (session: one row;
    past: one row per segment id; None for ``none``).
    """

    signal: str
    normalisation: str
    grouped: pd.DataFrame
    spans: dict[str, tuple[int, int]]
    statistics: pd.DataFrame | None
    scr_failures: int

    def statistics_for(self, segment_ids: Sequence[str]) -> pd.DataFrame | None:
        """`person_statistics` of the asked segments, positionally."""
        if self.statistics is None:
            return None
        if self.normalisation == "past":
            return self.statistics.reindex(list(segment_ids)).reset_index(drop=True)
        return self.statistics.iloc[[0] * len(segment_ids)].reset_index(drop=True)

    def by_segment(self, segment_ids: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """The samples of the asked segments grouped contiguously (time order kept inside each group),
        each unique id's sample count, and where each of `segment_ids` sits among the unique ids."""
        unique = list(dict.fromkeys(segment_ids))
        spans = [self.spans.get(sid, (0, 0)) for sid in unique]
        counts = np.array([stop - start for start, stop in spans], dtype=np.int64)
        rows = np.concatenate([np.arange(start, stop) for start, stop in spans]) if spans else np.zeros(0, int)
        return self.grouped.iloc[rows], counts, pd.Index(unique).get_indexer(list(segment_ids))


def person_signal(frames: Sequence[pd.DataFrame], signal: str, sampling_rate: float | None = None,
                  normalisation: str = "session") -> PersonSignal:  # fmt: skip
    """The `PersonSignal` of one person's recordings of `signal` (`frames` in chronological order)."""
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"bio normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
    samples, scr_failures = _prepared_samples(frames, signal, sampling_rate)
    statistics = None
    if normalisation == "past":
        statistics = _past_at_end(samples)
    elif normalisation == "session":
        statistics = _session_statistics(samples, 1)
    labelled = samples[samples["segment_id"] != ""].sort_values("time", kind="stable")
    # a stable sort by id keeps time order inside each id, as sorting only the asked ids' samples does
    codes, ids = pd.factorize(labelled["segment_id"])
    counts = np.bincount(codes, minlength=len(ids))
    stops = np.cumsum(counts)
    spans = {sid: (int(stop - n), int(stop)) for sid, n, stop in zip(ids, counts, stops, strict=True)}
    grouped = labelled.iloc[np.argsort(codes, kind="stable")]
    return PersonSignal(signal, normalisation, grouped, spans, statistics, scr_failures)


def signal_features(
    frames: Sequence[pd.DataFrame], signal: str, segment_ids: Sequence[str], sampling_rate: float | None = None,
    normalisation: str = "session",
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Features of each segment in `segment_ids` from one person's recordings of `signal` (`frames` in
    chronological order: ``past`` takes earlier files as the person's past).

    Returns the features (index `segment_ids`, columns `feature_names(signal, normalisation)`) and counts
    of what fell short: segments without samples, with one sample, recordings too short for SCRs, and
    segments normalised on fewer than `MIN_NORMALISATION_SAMPLES` of the person's samples. Computed for
    all segments at once (`_group_summaries`); per segment the numbers are `summarise`, `hrv` and
    `person_normalise`'s, up to float rounding (tests compare them).
    """
    return segment_features(person_signal(frames, signal, sampling_rate, normalisation), segment_ids)


def segment_features(person: PersonSignal, segment_ids: Sequence[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """`signal_features` of the asked segments from a prepared `PersonSignal`: a segment's row depends
    on its own samples and the person's statistics only, never on which other segments are asked."""
    signal, normalisation = person.signal, person.normalisation
    statistics = person.statistics_for(segment_ids)
    grouped, counts, position = person.by_segment(segment_ids)
    summary = {name: column[position] for name, column in _group_summaries(grouped, counts, signal).items()}
    n = summary["n"]
    if statistics is not None:
        summary.update(_normalised(summary, statistics["mean"].to_numpy(float), statistics["sd"].to_numpy(float)))
    prefix = PREFIXES[signal]
    index = pd.Index(list(segment_ids), name="segment_id")
    table = pd.DataFrame({f"{prefix}_{name}": column for name, column in summary.items()}, index=index)
    table = table[feature_names(signal, normalisation)]
    counts = {"no_samples": int((n == 0).sum()), "one_sample": int((n == 1).sum()),
              "recordings_too_short_for_scr": person.scr_failures}  # fmt: skip
    if statistics is not None:
        few = statistics["n"].to_numpy() < MIN_NORMALISATION_SAMPLES
        counts["normalised_on_few_samples"] = int((few & (n > 0)).sum())
    return table, counts
