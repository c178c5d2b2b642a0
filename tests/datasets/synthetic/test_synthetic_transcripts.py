"""Sentences are clean before notation, and the notation always cleans back to them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from synthetic_raw import etri_clean

from emotion_classifier.datasets.synthetic.transcripts import CUES, clean_sentence, decorate
from emotion_classifier.labels import EMOTIONS

CLEAN = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ0-9A-Za-z]+( [가-힣ㄱ-ㅎㅏ-ㅣ0-9A-Za-z]+)*")


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_sentences_are_clean_and_mostly_carry_their_emotion(emotion):
    rng = np.random.default_rng(0)
    sentences = [clean_sentence(emotion, rng) for _ in range(400)]
    assert all(CLEAN.fullmatch(s) for s in sentences)
    cued = np.mean([any(cue in s for cue in CUES[emotion]) for s in sentences])
    if emotion == "neutral":
        assert 0.75 < cued < 0.95
    else:
        assert 0.5 < cued < 0.8  # about a third is neutral or misleading wording


def test_decorated_transcripts_clean_back_to_the_sentence():
    rng = np.random.default_rng(1)
    seen = {"tag": 0, "mark": 0, "dual": 0, "overlap_start": 0, "overlap_end": 0, "punctuation": 0}
    for _ in range(3000):
        sentence = clean_sentence(str(rng.choice(EMOTIONS)), rng)
        raw = decorate(sentence, rng)
        assert etri_clean(raw) == sentence, raw
        seen["tag"] += bool(re.search(r"[bloOnNucs]/", raw))
        seen["mark"] += bool(re.search(r"[*+]", raw))
        seen["dual"] += bool(re.search(r"\)/\(", raw))
        seen["overlap_start"] += bool(re.match(r"\([^()]*\+", raw))
        seen["overlap_end"] += bool(re.search(r"(?<!/)\([^()+]*\)(?!/)", raw))
        seen["punctuation"] += bool(re.search(r"[.?!~,]", raw))
    assert all(count > 30 for count in seen.values()), seen
