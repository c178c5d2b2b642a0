"""The readers against the synthetic generator's ground truth: every planted segment, label, tie,
text and bio sample must come back exactly (the generator computes its truth from what it wrote)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.datasets import bio_coverage, open_corpus, read_bio_file
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.labels import TIE_POLICIES, resolve_tie

SAME_COLUMNS = [
    "segment_id_raw", "corpus", "session", "dialogue", "kind", "person", "gender", "rater_file", "line", "numb",
    "start", "end", "emotions", "emotions_as_written", "n_labels", "valence", "arousal", "rater_emotions",
    "rater_valence", "rater_arousal", "text_raw", "text", "ecg_start", "ecg_end", "eda_start", "eda_end",
    "temp_start", "temp_end",
]  # fmt: skip


@pytest.fixture(scope="module", params=["kemdy19", "kemdy20"])
def generated(request, tmp_path_factory):
    # KEMDy20 needs 17 sessions to hold the Sess42 ids of Sess17_eval.csv: keep its sessions small
    size = {"sessions": 2} if request.param == "kemdy19" else {"sessions": 17, "dialogues_per_session": 2,
                                                                "segments_per_dialogue": (6, 10)}
    corpus = generate_corpus(tmp_path_factory.mktemp(request.param) / "corpus", corpus=request.param, seed=7, **size)
    return corpus, open_corpus(corpus.root)


def merged(generated) -> pd.DataFrame:
    corpus, table = generated
    return table.merge(corpus.truth, on=["segment_id", "view"], how="outer", suffixes=("", "_truth"),
                       indicator=True, validate="one_to_one")


def test_same_segments_and_views(generated) -> None:
    corpus, table = generated
    both = merged(generated)
    assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", ["segment_id", "view", "_merge"]]
    assert table["view"].value_counts().to_dict() == corpus.truth["view"].value_counts().to_dict()


@pytest.mark.parametrize("column", SAME_COLUMNS)
def test_column_matches_truth(generated, column: str) -> None:
    both = merged(generated)
    ours, truth = both[column], both[f"{column}_truth"]
    if pd.api.types.is_float_dtype(truth):
        np.testing.assert_allclose(ours.astype(float), truth.astype(float), rtol=0, atol=1e-9, equal_nan=True)
    else:
        bad = ours.astype(str) != truth.astype(str)
        assert not bad.any(), both.loc[bad, ["segment_id", "view", column, f"{column}_truth"]].head()


def test_planted_quirks_are_present(generated) -> None:
    corpus, table = generated
    assert (table["n_labels"] > 1).any()  # ties
    if corpus.corpus == "KEMDy20":
        assert table["segment_id_raw"].str.startswith("Sess42").any()
    else:
        assert (table["view"] == "listener").any()
        assert (table["wav_path"] == "").any() and (table["txt_path"] == "").any()
        assert any(Path(corpus.root).glob("wav/*/*/converted/*.wav"))


def test_media_paths(generated) -> None:
    corpus, _ = generated
    both = merged(generated)
    root = Path(corpus.root).resolve()
    for ours, has, relative in (("wav_path", "has_wav", "wav_file"), ("txt_path", "has_txt", "txt_file")):
        expected = [str(root / r) if h else "" for h, r in zip(both[has], both[relative], strict=True)]
        assert both[ours].tolist() == expected


@pytest.mark.parametrize("policy", TIE_POLICIES)
def test_tie_policy(generated, policy: str) -> None:
    corpus, _ = generated
    table = open_corpus(corpus.root, tie_policy=policy)
    keys = pd.MultiIndex.from_frame(table[["segment_id", "view"]])
    truth = corpus.truth.set_index(["segment_id", "view"]).loc[keys]
    expected = [
        resolve_tie(written.split(";"), [r for r in raters.split(";") if r], policy)
        for written, raters in zip(truth["emotions_as_written"], truth["rater_emotions"], strict=True)
    ]
    assert table["emotion"].tolist() == expected
    assert (truth["n_labels"] > 1).any(), "the generator should plant ties"


def test_bio_samples_per_segment(generated) -> None:
    corpus, _ = generated
    root = Path(corpus.root)
    for (file, signal), expected in corpus.bio_truth.groupby(["file", "signal"]):
        recording = read_bio_file(root / file, signal)
        assert recording.problems == []
        segments = recording.by_segment()
        assert sorted(segments) == sorted(expected["segment_id"]), file
        for row in expected.itertuples(index=False):
            samples = segments[row.segment_id]
            assert len(samples) == row.n_samples
            assert samples["time"].iloc[0] == pytest.approx(row.first_offset, abs=1e-6)
            if recording.signal_column_found:
                assert samples["value"].iloc[0] == pytest.approx(row.first_value, abs=1e-9)
            else:  # the generator's ECG first field is a clock: it must never come back as a signal
                assert signal == "ECG" and samples["value"].isna().all()


def test_bio_coverage_matches_truth(generated) -> None:
    corpus, table = generated
    coverage = bio_coverage(table)
    truth = corpus.bio_truth
    root = str(Path(corpus.root).resolve())
    for signal in truth["signal"].unique():
        column = coverage[f"{signal.lower()}_file"].str.removeprefix(root + "/")
        counts = truth[truth["signal"] == signal].set_index(["file", "segment_id"])["n_samples"]
        expected = [counts.get((f, s), 0) for f, s in zip(column, coverage["segment_id"], strict=True)]
        assert coverage[f"{signal.lower()}_samples"].tolist() == expected
