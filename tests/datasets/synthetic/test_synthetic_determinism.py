"""Same seed, same bytes; another seed, another corpus."""

from __future__ import annotations

import pandas as pd
import pytest
from synthetic_raw import digests

from emotion_classifier.datasets.synthetic import generate_corpus

TINY = {"sessions": 2, "dialogues_per_session": 2, "segments_per_dialogue": (4, 6)}


@pytest.mark.parametrize("corpus", ["kemdy19", "kemdy20"])
def test_same_seed_writes_identical_bytes_and_truth(corpus, tmp_path):
    first = generate_corpus(tmp_path / "a", corpus, seed=5, **TINY)
    second = generate_corpus(tmp_path / "b", corpus, seed=5, **TINY)
    assert digests(first.root) == digests(second.root)
    pd.testing.assert_frame_equal(first.truth, second.truth)
    pd.testing.assert_frame_equal(first.bio_truth, second.bio_truth)


@pytest.mark.parametrize("corpus", ["kemdy19", "kemdy20"])
def test_another_seed_writes_another_corpus(corpus, tmp_path):
    first = digests(generate_corpus(tmp_path / "a", corpus, seed=5, **TINY).root)
    second = digests(generate_corpus(tmp_path / "b", corpus, seed=6, **TINY).root)
    shared = set(first) & set(second)
    assert shared
    assert sum(first[p] == second[p] for p in shared) < 0.1 * len(shared)


def test_adding_sessions_keeps_the_earlier_sessions_words(tmp_path):
    """Streams are per purpose and session: a bigger corpus does not rewrite the smaller one's text."""
    shape = {"dialogues_per_session": 3, "segments_per_dialogue": (12, 16)}
    small = generate_corpus(tmp_path / "a", "kemdy19", sessions=2, seed=3, **shape).truth
    big = generate_corpus(tmp_path / "b", "kemdy19", sessions=3, seed=3, **shape).truth
    merged = small.merge(big, on=["segment_id", "view"], suffixes=("", "_big"))
    assert len(merged) == len(small)
    # planted gaps move with the corpus size, and a tiny corpus may relabel a turn to show every class
    same_emotion = merged["latent_emotion"] == merged["latent_emotion_big"]
    assert same_emotion.mean() > 0.9
    both = merged[same_emotion & (merged["text_raw"] != "") & (merged["text_raw_big"] != "")]
    assert len(both) > 0.4 * len(merged)
    assert (both["text_raw"] == both["text_raw_big"]).all()
    assert (merged["rater_emotions"] == merged["rater_emotions_big"]).mean() > 0.9
