"""Body signals of one person through one session, sampled at 4 Hz (the Empatica E4 rate).

Arousal raises skin conductance (a tonic shift plus a skin-conductance response at each turn) and
heart rate; skin temperature mostly drifts slowly. Each person has a very different baseline (EDA from
0.1 to 5 microsiemens), so only per-person normalised features generalise across sessions. Between
turns a person rests at a neutral state; while the partner speaks, the listener's own state drives
the listener's body.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

BIO_RATE = 4.0
REST_AROUSAL, REST_VALENCE = 2.5, 3.0


@dataclass(frozen=True)
class Body:
    """A person's physiological baseline and reactivity."""

    eda_level: float
    eda_gain: float
    temp_level: float
    hr_bpm: float
    hr_gain: float


@dataclass(frozen=True)
class BodyTrack:
    """One person's signals on a common 4 Hz clock starting at session time 0."""

    time: np.ndarray
    eda: np.ndarray
    temp: np.ndarray
    heart_rate: np.ndarray
    ecg: np.ndarray
    """Small signal-like values: only the KEMDy19 annotation's ECG cells show them."""


def person_body(rng: np.random.Generator) -> Body:
    """Draw one person's baseline (log-uniform EDA level: people differ by orders of magnitude)."""
    return Body(
        eda_level=float(np.exp(rng.uniform(np.log(0.1), np.log(5.0)))),
        eda_gain=float(rng.uniform(0.08, 0.2)),
        temp_level=float(rng.uniform(30.5, 35.0)),
        hr_bpm=float(rng.uniform(62.0, 85.0)),
        hr_gain=float(rng.uniform(3.0, 7.0)),
    )


def record_body(
    body: Body,
    duration_s: float,
    starts: np.ndarray,
    ends: np.ndarray,
    arousal: np.ndarray,
    valence: np.ndarray,
    rng: np.random.Generator,
) -> BodyTrack:
    """Signals for ``duration_s`` seconds given the person's state during each turn ``[start, end)``."""
    time = np.arange(int(np.ceil(duration_s * BIO_RATE)) + 1) / BIO_RATE
    a_t, v_t = _state_timeline(time, starts, ends, arousal, valence)
    excited = _lowpass(a_t - REST_AROUSAL, 2.0)
    drift = _wander(len(time), 0.15, 60.0, rng)
    responses = np.zeros(len(time))
    onsets = np.searchsorted(time, starts + rng.uniform(0.5, 1.5, len(starts)))
    keep = onsets < len(time)
    np.add.at(responses, onsets[keep], np.maximum(arousal[keep] - 2.0, 0.0))
    tonic = np.exp(drift) * (1 + body.eda_gain * excited)
    eda = body.eda_level * (tonic + 0.4 * body.eda_gain * _scr(responses))
    eda += body.eda_level * 0.005 * rng.standard_normal(len(time))
    temp = body.temp_level + _wander(len(time), 0.2, 120.0, rng) - 0.04 * _lowpass(a_t - REST_AROUSAL, 20.0)
    temp += 0.03 * _lowpass(v_t - REST_VALENCE, 10.0) + 0.01 * rng.standard_normal(len(time))
    breathing = 2.5 * np.sin(2 * np.pi * 0.25 * time + rng.uniform(0, 2 * np.pi))
    heart_rate = body.hr_bpm + body.hr_gain * _lowpass(a_t - REST_AROUSAL, 1.5) + breathing
    heart_rate += _lowpass(rng.normal(0.0, 2.0, len(time)), 2.0)
    ecg = 0.2 * _lowpass(rng.standard_normal(len(time)), 0.5)
    return BodyTrack(time, np.maximum(eda, 0.001), temp, np.clip(heart_rate, 40.0, 160.0), ecg)


def beat_times(track: BodyTrack, rng: np.random.Generator) -> np.ndarray:
    """Heart-beat times (s) following the heart-rate track, with a little beat-to-beat scatter."""
    phase = np.concatenate([[0.0], np.cumsum(track.heart_rate[:-1] / 60.0 / BIO_RATE)])
    beats = np.interp(np.arange(1, int(phase[-1])), phase, track.time)
    return np.sort(beats + rng.normal(0.0, 0.01, len(beats)))


def _state_timeline(time, starts, ends, arousal, valence) -> tuple[np.ndarray, np.ndarray]:
    a_t = np.full(len(time), REST_AROUSAL)
    v_t = np.full(len(time), REST_VALENCE)
    first = np.searchsorted(time, starts)
    last = np.searchsorted(time, ends)
    for i0, i1, a, v in zip(first, last, arousal, valence, strict=True):
        a_t[i0:i1], v_t[i0:i1] = a, v
    return a_t, v_t


def _lowpass(x: np.ndarray, tau_s: float) -> np.ndarray:
    """First-order lag with time constant ``tau_s``: bodies respond smoothly, not in steps."""
    alpha = 1.0 - np.exp(-1.0 / (BIO_RATE * tau_s))
    return signal.lfilter([alpha], [1.0, alpha - 1.0], x)


def _wander(n: int, sd: float, tau_s: float, rng: np.random.Generator) -> np.ndarray:
    """Slow stationary drift with standard deviation ``sd`` (a random walk would grow without bound)."""
    alpha = 1.0 - np.exp(-1.0 / (BIO_RATE * tau_s))
    start = rng.normal(0.0, sd)
    return start + sd * _lowpass(rng.standard_normal(n), tau_s) / np.sqrt(alpha / (2.0 - alpha))


def _scr(impulses: np.ndarray) -> np.ndarray:
    """Skin-conductance responses: a fast rise (about 1 s) and a slow recovery (about 4 s)."""
    t = np.arange(0, 20.0, 1.0 / BIO_RATE)
    kernel = np.exp(-t / 4.0) - np.exp(-t / 0.75)
    return signal.lfilter(kernel / kernel.max(), [1.0], impulses)
