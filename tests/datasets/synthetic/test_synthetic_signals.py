"""The voice and the body respond to the latent state the way the generator promises."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_classifier.datasets.synthetic.body import beat_times, person_body, record_body
from emotion_classifier.datasets.synthetic.voice import (
    SAMPLE_RATE,
    Prosody,
    person_voice,
    segment_prosody,
    synthesise,
)

SENTENCE = "아 오늘 진짜 짜증 나 있잖아"


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(float) ** 2)))


def test_synthesis_has_the_requested_length_and_range():
    rng = np.random.default_rng(0)
    prosody = segment_prosody(person_voice("F", rng), "neutral", 3.0, 2.5, rng)
    audio = synthesise(SENTENCE, prosody, 2.345, rng)
    assert audio.dtype == np.float32 and len(audio) == round(2.345 * SAMPLE_RATE)
    assert 0 < np.abs(audio).max() <= 0.99


def _pitch(audio: np.ndarray) -> float:
    """Autocorrelation pitch of the loudest half second."""
    frame = SAMPLE_RATE // 2
    start = int(np.argmax(np.convolve(audio**2, np.ones(frame), "valid")))
    x = audio[start : start + frame].astype(float)
    corr = np.correlate(x, x, "full")[frame - 1 :]
    lo, hi = SAMPLE_RATE // 500, SAMPLE_RATE // 60
    return SAMPLE_RATE / (lo + int(np.argmax(corr[lo:hi])))


@pytest.mark.parametrize("f0", [110.0, 220.0])
def test_the_voice_is_pitched_at_its_f0(f0):
    flat = Prosody(f0, 0.5, 0.0, 5.0, 0.0, 0.0, 0.5, 0.0, 1.0)
    audio = synthesise("아아아 아아", flat, 2.0, np.random.default_rng(2))
    assert _pitch(audio) == pytest.approx(f0, rel=0.12)


def test_emotion_moves_loudness_and_pitch_away_from_the_persons_baseline():
    rng = np.random.default_rng(3)
    voice = person_voice("M", rng)

    def loudness(emotion: str, valence: float, arousal: float) -> float:
        takes = [segment_prosody(voice, emotion, valence, arousal, rng) for _ in range(12)]
        return float(np.mean([_rms(synthesise(SENTENCE, prosody, 2.5, rng)) for prosody in takes]))

    assert loudness("angry", 1.8, 3.8) > loudness("neutral", 3.0, 2.5) > loudness("sad", 1.9, 1.9)
    def pitch(emotion: str) -> float:
        return float(np.mean([segment_prosody(voice, emotion, 3.0, 3.0, rng).f0_hz for _ in range(50)]))

    assert pitch("surprise") > pitch("neutral") > pitch("sad")
    women = np.mean([person_voice("F", rng).f0_hz for _ in range(50)])
    men = np.mean([person_voice("M", rng).f0_hz for _ in range(50)])
    assert women > 1.5 * men


def test_arousal_raises_skin_conductance_and_heart_rate():
    rng = np.random.default_rng(4)
    starts = np.arange(20.0, 400.0, 20.0)
    ends = starts + 4.0
    arousal = np.where(np.arange(len(starts)) % 2 == 0, 4.5, 1.5)
    track = record_body(person_body(rng), 420.0, starts, ends, arousal, np.full(len(starts), 3.0), rng)

    def during(values, high: bool) -> float:
        picked = [values[(track.time >= s + 2) & (track.time < e + 2)].mean()
                  for s, e, a in zip(starts, ends, arousal, strict=True) if (a > 3) == high]
        return float(np.mean(picked))

    assert during(track.eda, True) > during(track.eda, False)
    assert during(track.heart_rate, True) > during(track.heart_rate, False) + 3
    assert track.time[1] - track.time[0] == 0.25
    intervals = np.diff(beat_times(track, rng))
    assert intervals.min() > 0.4 and intervals.max() < 1.3
    assert np.mean(intervals) == pytest.approx(60 / track.heart_rate.mean(), rel=0.05)


def test_people_differ_by_orders_of_magnitude_in_skin_conductance():
    rng = np.random.default_rng(5)
    levels = [person_body(rng).eda_level for _ in range(60)]
    assert max(levels) / min(levels) > 10
