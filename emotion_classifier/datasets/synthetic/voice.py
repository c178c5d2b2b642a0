"""A source-filter voice that speaks Hangul syllables with emotional prosody (numpy/scipy only).

The excitation is a Rosenberg glottal pulse train (plus breath noise and consonant bursts); a
time-varying formant envelope, set by each syllable's vowel, is applied in the short-time Fourier
domain, which keeps the whole synthesis vectorised. Emotion, arousal and valence move pitch level and
range, loudness, speaking rate, breathiness, jitter and vocal tension away from each person's own
baseline, and every segment adds its own acting variation, so audio carries the emotion only partly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

SAMPLE_RATE = 16_000
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
SILENT_ONSET = 11
"""Index of ㅇ among the 19 initial consonants: a syllable starting with it has no consonant burst."""
VOWEL_FORMANTS = np.array(
    [  # F1, F2, F3 (Hz) of the 21 Hangul vowels in code-point order, adult male reference
        (750, 1300, 2500), (550, 1800, 2500), (700, 1400, 2500), (550, 1800, 2500), (600, 1000, 2500),
        (500, 1900, 2500), (580, 1100, 2500), (500, 1900, 2500), (450, 800, 2400), (700, 1200, 2500),
        (550, 1700, 2500), (450, 1750, 2400), (450, 850, 2400), (350, 800, 2300), (550, 1000, 2400),
        (500, 1800, 2500), (350, 1900, 2400), (350, 850, 2300), (380, 1400, 2400), (380, 1800, 2400),
        (300, 2200, 2900),
    ],
    dtype=float,
)
SCHWA = (500.0, 1500.0, 2500.0)
"""Latin letters, digits and lone jamo are spoken as one neutral syllable each."""
F4_HZ = 3500.0
BANDWIDTHS_HZ = np.array([80.0, 100.0, 150.0, 200.0])
FORMANT_GAINS = np.array([1.0, 0.6, 0.3, 0.12])
PAUSE_WEIGHT = 0.4
"""A word boundary lasts this fraction of a syllable."""
REFERENCE_RMS = 0.05
"""Speech RMS at 0 dB level; loudness is an emotional cue, so it is never normalised away."""
STFT_SIZE, STFT_HOP = 512, 256

EMOTION_PROSODY: dict[str, tuple[float, float, float, float, float, float, float, float]] = {
    # pitch shift (st), pitch range (st), level (dB), rate factor, breathiness, jitter factor, tension,
    # final rise (st)
    "angry": (3.0, 4.0, 6.0, 1.12, 0.00, 1.6, 0.90, -1.0),
    "disgust": (-1.0, 3.0, 0.0, 0.85, 0.10, 1.3, 0.70, -1.0),
    "fear": (4.0, 2.5, -2.0, 1.20, 0.25, 2.5, 0.50, 1.0),
    "happy": (3.5, 6.0, 3.0, 1.08, 0.05, 1.0, 0.60, 0.0),
    "neutral": (0.0, 2.0, 0.0, 1.00, 0.00, 1.0, 0.50, 0.0),
    "sad": (-2.0, 1.0, -5.0, 0.80, 0.20, 1.4, 0.30, -1.0),
    "surprise": (5.0, 7.0, 3.0, 1.02, 0.05, 1.0, 0.60, 4.0),
}


@dataclass(frozen=True)
class Voice:
    """A person's baseline: women higher pitched with a shorter vocal tract, and individual habits."""

    f0_hz: float
    tract_scale: float
    level_db: float
    rate_sps: float
    breathiness: float
    jitter: float


@dataclass(frozen=True)
class Prosody:
    """How one segment is spoken (person baseline moved by the emotion and acting variation)."""

    f0_hz: float
    range_st: float
    level_db: float
    rate_sps: float
    breathiness: float
    jitter: float
    tension: float
    final_rise_st: float
    tract_scale: float


def person_voice(gender: str, rng: np.random.Generator) -> Voice:
    """Draw one speaker's baseline voice."""
    female = gender == "F"
    return Voice(
        f0_hz=float(rng.normal(215.0, 20.0) if female else rng.normal(120.0, 12.0)),
        tract_scale=float(rng.normal(1.17 if female else 1.0, 0.04)),
        level_db=float(rng.normal(0.0, 2.0)),
        rate_sps=float(rng.normal(5.5, 0.5)),
        breathiness=float(rng.uniform(0.02, 0.12)),
        jitter=float(rng.uniform(0.005, 0.015)),
    )


def segment_prosody(
    voice: Voice, emotion: str, valence: float, arousal: float, rng: np.random.Generator
) -> Prosody:
    """Move the person's baseline by the emotion, by arousal/valence, and by acting variation."""
    pitch, range_st, level, rate, breath, jitter, tension, rise = EMOTION_PROSODY[emotion]
    a, v = arousal - 3.0, valence - 3.0
    return Prosody(
        f0_hz=float(voice.f0_hz * 2 ** ((pitch + 1.2 * a + rng.normal(0.0, 2.0)) / 12)),
        range_st=float(max(0.5, range_st + 0.5 * a + 0.3 * v + rng.normal(0.0, 1.0))),
        level_db=float(np.clip(voice.level_db + level + 1.5 * a + rng.normal(0.0, 3.0), -15.0, 10.0)),
        rate_sps=float(voice.rate_sps * rate * (1 + 0.04 * a) * np.exp(rng.normal(0.0, 0.12))),
        breathiness=float(np.clip(voice.breathiness + breath + rng.normal(0.0, 0.04), 0.0, 0.6)),
        jitter=float(voice.jitter * jitter * np.exp(rng.normal(0.0, 0.2))),
        tension=float(np.clip(tension + 0.05 * a + rng.normal(0.0, 0.1), 0.05, 0.95)),
        final_rise_st=float(rise + rng.normal(0.0, 1.0)),
        tract_scale=voice.tract_scale,
    )


def speech_units(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per spoken unit: formants (k, 3), whether it is a pause, whether it starts with a consonant."""
    formants, pause, onset = [], [], []
    for ch in text:
        code = ord(ch)
        if ch == " ":
            if formants and not pause[-1]:
                formants.append(SCHWA), pause.append(True), onset.append(False)
            continue
        if HANGUL_FIRST <= code <= HANGUL_LAST:
            syllable = code - HANGUL_FIRST
            formants.append(tuple(VOWEL_FORMANTS[(syllable // 28) % 21]))
            onset.append(syllable // (21 * 28) != SILENT_ONSET)
        elif ch.isalnum():
            formants.append(SCHWA)
            onset.append(True)
        else:
            continue
        pause.append(False)
    if not formants or all(pause):
        formants, pause, onset = [SCHWA], [False], [False]
    return np.array(formants, dtype=float), np.array(pause), np.array(onset)


def speech_seconds(text: str, rate_sps: float) -> float:
    """How long ``text`` takes at ``rate_sps`` syllables per second (word pauses included)."""
    _, pause, _ = speech_units(text)
    return float((np.count_nonzero(~pause) + PAUSE_WEIGHT * np.count_nonzero(pause)) / rate_sps)


def synthesise(
    text: str, prosody: Prosody, duration_s: float, rng: np.random.Generator, noise_rms: float = 0.002
) -> np.ndarray:
    """``duration_s`` seconds of float32 audio in [-1, 1] speaking ``text`` (squeezed if it does not fit)."""
    n = int(round(duration_s * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    formants, pause, onset = speech_units(text)
    bounds, lead, speech = _unit_bounds(pause, prosody.rate_sps, duration_s, rng)
    k = len(pause)
    unit = np.clip(np.searchsorted(bounds, t, side="right") - 1, 0, k - 1)
    inside = (t >= bounds[0]) & (t < bounds[-1])
    pos = np.clip((t - bounds[unit]) / (bounds[unit + 1] - bounds[unit]), 0.0, 1.0)
    voiced = inside & ~pause[unit]
    envelope = np.zeros(n)
    envelope[voiced] = np.sin(np.pi * pos[voiced]) ** 0.5
    bursting = voiced & onset[unit] & (pos < 0.2)
    burst = np.zeros(n)
    burst[bursting] = np.sin(np.pi * pos[bursting] / 0.2)

    f0 = _pitch_track(t, bounds, lead, speech, prosody, rng)
    source = _glottal_source(f0, prosody.tension)
    noise = rng.standard_normal((2, n))
    excitation = envelope * (source + prosody.breathiness * 2.0 * noise[0]) + 0.6 * burst * noise[1]
    speech_signal = _formant_filter(excitation, bounds, formants, pause, prosody.tract_scale)

    active = envelope > 0
    rms = np.sqrt(np.mean(speech_signal[active] ** 2)) if active.any() else 1.0
    speech_signal *= REFERENCE_RMS * 10 ** (prosody.level_db / 20) / max(rms, 1e-9)
    audio = speech_signal + noise_rms * rng.standard_normal(n)
    return np.clip(audio, -0.99, 0.99).astype(np.float32)


def _unit_bounds(pause: np.ndarray, rate_sps: float, duration_s: float, rng: np.random.Generator):
    """Unit boundaries (s): each syllable's length varies a little; speech is squeezed to fit."""
    weights = np.where(pause, PAUSE_WEIGHT, 1.0) * np.exp(rng.normal(0.0, 0.15, len(pause)))
    speech = min(weights.sum() / rate_sps, duration_s - 0.2)
    lead = rng.uniform(0.05, max(0.06, duration_s - speech - 0.1))
    bounds = lead + speech * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    return bounds, lead, speech


def _pitch_track(t, bounds, lead, speech, prosody: Prosody, rng: np.random.Generator) -> np.ndarray:
    """F0 (Hz) per sample: declination, a pitch accent per unit, a final rise or fall, jitter."""
    progress = np.clip((t - lead) / speech, 0.0, 1.0)
    centres = (bounds[:-1] + bounds[1:]) / 2
    accents = np.interp(t, centres, rng.normal(0.0, 0.4, len(centres)))
    semitones = prosody.range_st * (0.5 - progress + accents)
    semitones += prosody.final_rise_st * np.clip((progress - 0.8) / 0.2, 0.0, 1.0)
    step = SAMPLE_RATE // 200  # a new jitter value every 5 ms, about one glottal period
    jitter = np.repeat(rng.normal(0.0, prosody.jitter, len(t) // step + 1), step)[: len(t)]
    return prosody.f0_hz * 2 ** (semitones / 12) * (1 + jitter)


def _glottal_source(f0: np.ndarray, tension: float) -> np.ndarray:
    """Derivative of a Rosenberg pulse train; a tense voice closes faster (more high frequencies)."""
    frac = np.cumsum(f0 / SAMPLE_RATE) % 1.0
    opening, closing = 0.4, 0.16 + 0.25 * (1 - tension)
    flow = np.zeros_like(frac)
    rising = frac < opening
    falling = ~rising & (frac < opening + closing)
    flow[rising] = 0.5 * (1 - np.cos(np.pi * frac[rising] / opening))
    flow[falling] = np.cos(0.5 * np.pi * (frac[falling] - opening) / closing)
    source = np.diff(flow, prepend=flow[0])
    return source / max(float(np.std(source)), 1e-9)


def _formant_filter(excitation, bounds, formants, pause, tract_scale: float) -> np.ndarray:
    """Apply the time-varying vowel envelope frame by frame in the STFT domain."""
    freqs, frame_t, frames = _stft(excitation)
    centres = ((bounds[:-1] + bounds[1:]) / 2)[~pause]
    vowels = formants[~pause] * tract_scale
    tracks = [np.interp(frame_t, centres, vowels[:, j]) for j in range(3)]
    tracks.append(np.full_like(frame_t, F4_HZ * tract_scale))
    envelope = np.full((len(frame_t), len(freqs)), 0.02)
    for track, bandwidth, gain in zip(tracks, BANDWIDTHS_HZ, FORMANT_GAINS, strict=True):
        envelope += gain / (1 + np.square(np.subtract.outer(track, freqs) / (bandwidth / 2)))
    return _istft(frames * envelope, len(excitation))


_WINDOW = signal.get_window("hann", STFT_SIZE)
_HALF = STFT_SIZE // 2


def _stft(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequencies, frame centres (s) and the (frames, bins) spectrum of ``x``: `scipy.signal.stft`'s
    framing (Hann, zero-padded by half a window at both ends) without its scaling, vectorised."""
    if STFT_HOP * 2 != STFT_SIZE:  # the overlap-add in `_istft` relies on half-overlapping frames
        raise AssertionError("the STFT hop must be half the window")
    n_frames = -(-len(x) // STFT_HOP) + 1
    padded = np.zeros((n_frames + 1) * STFT_HOP)
    padded[_HALF : _HALF + len(x)] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, STFT_SIZE)[::STFT_HOP][:n_frames]
    spectrum = np.fft.rfft(frames * _WINDOW, axis=1)
    return np.fft.rfftfreq(STFT_SIZE, 1 / SAMPLE_RATE), np.arange(n_frames) * STFT_HOP / SAMPLE_RATE, spectrum


def _istft(spectrum: np.ndarray, length: int) -> np.ndarray:
    """The inverse of `_stft` (windowed overlap-add normalised by the summed squared window), as
    `scipy.signal.istft` computes it, but with the overlap-add done as two shifted sums."""
    frames = np.fft.irfft(spectrum, n=STFT_SIZE, axis=1) * _WINDOW
    n_frames = len(frames)
    out = np.zeros((n_frames + 1) * STFT_HOP)
    out[: n_frames * STFT_HOP] += frames[:, :STFT_HOP].reshape(-1)
    out[STFT_HOP:] += frames[:, STFT_HOP:].reshape(-1)
    norm = np.zeros_like(out)
    squared = _WINDOW**2
    norm[: n_frames * STFT_HOP] += np.tile(squared[:STFT_HOP], n_frames)
    norm[STFT_HOP:] += np.tile(squared[STFT_HOP:], n_frames)
    out /= np.where(norm > 1e-10, norm, 1.0)
    return out[_HALF : _HALF + length]
