"""``size="full"``: the real corpora's shape and the real KEMDy19 duration and transcript profile.

The whole full-size corpus takes minutes to write (`benchmarks/bench_sample_data.py` measures it), so
these tests check the plan of a few full-size sessions and write one small full-profile corpus.
"""

from __future__ import annotations

import wave

import numpy as np
import pytest

from emotion_classifier.cli import build_parser
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.datasets.synthetic.design import design_corpus
from emotion_classifier.datasets.synthetic.plan import SettingError, corpus_shape


def test_full_size_has_the_real_session_and_dialogue_counts():
    k19, k20 = corpus_shape("kemdy19", size="full"), corpus_shape("kemdy20", size="full")
    assert (k19.sessions, k19.dialogues_per_session, k19.durations) == (20, 10, "real")
    assert (k20.sessions, k20.dialogues_per_session, k20.durations) == (40, 6, "real")
    assert 20 * 10 * np.mean(k19.segments_per_dialogue) == pytest.approx(10_000, rel=0.05)
    assert 40 * 6 * np.mean(k20.segments_per_dialogue) == pytest.approx(13_462, rel=0.05)
    assert corpus_shape("kemdy19", sessions=2, size="full").sessions == 2  # explicit sizes win
    assert corpus_shape("kemdy19").durations == "demo"
    with pytest.raises(SettingError):
        corpus_shape("kemdy19", size="huge")


def test_full_profile_durations_and_transcripts_match_the_real_corpus():
    segments = design_corpus(corpus_shape("kemdy19", sessions=3, size="full"), seed=0).segments
    seconds = segments["duration_ms"].to_numpy() / 1000
    assert np.median(seconds) == pytest.approx(4.2, abs=0.4)
    assert seconds.mean() == pytest.approx(5.75, abs=0.6)
    assert seconds.max() <= 78.0 and seconds.min() >= 0.6
    assert segments["text_clean"].str.len().mean() == pytest.approx(31.8, abs=3.0)
    longer = seconds > np.median(seconds)
    lengths = segments["text_clean"].str.len().to_numpy()
    assert lengths[longer].mean() > 1.5 * lengths[~longer].mean()  # a longer segment says more


def test_a_full_profile_corpus_is_written_with_one_newline_per_transcript(tmp_path):
    generated = generate_corpus(tmp_path / "c", "kemdy19", sessions=1, seed=0, dialogues_per_session=1,
                                segments_per_dialogue=(12, 12), size="full", jobs=2)  # fmt: skip
    rows = generated.truth.drop_duplicates("segment_id")
    for row in rows[rows["has_txt"]].itertuples():
        written = (generated.root / row.txt_file).read_bytes().decode("utf-8")
        assert written == (f"{row.text_raw}\n" if row.text_raw else "")
    for row in rows[rows["has_wav"]].itertuples():
        with wave.open(str(generated.root / row.wav_file)) as wav:
            assert wav.getnframes() == round((row.end - row.start) * 16000)
    serial = generate_corpus(tmp_path / "s", "kemdy19", sessions=1, seed=0, dialogues_per_session=1,
                             segments_per_dialogue=(12, 12), size="full", jobs=1)  # fmt: skip
    for row in rows[rows["has_wav"]].itertuples():  # the worker count never changes a byte
        assert (generated.root / row.wav_file).read_bytes() == (serial.root / row.wav_file).read_bytes()


def test_the_cli_takes_a_size():
    args = build_parser().parse_args(["sample-data", "--size", "full", "--out", "x"])
    assert args.size == "full"
    assert build_parser().parse_args(["sample-data"]).size == "demo"
