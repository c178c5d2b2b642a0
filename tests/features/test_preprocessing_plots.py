import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from emotion_classifier.features import load_artifacts
from emotion_classifier.features.plots import (
    TIE_LABEL,
    class_balance,
    cleaning_examples,
    plot_class_balance,
    plot_dialogue_bio,
    plot_feature_image,
)
from emotion_classifier.labels import EMOTIONS


@pytest.fixture(scope="module")
def artifacts(prepared19):
    return load_artifacts(prepared19)


def test_class_balance_counts_every_label_in_fixed_order_and_ties_last(artifacts):
    counts = class_balance(artifacts.table)
    assert list(counts.index) == [*EMOTIONS, TIE_LABEL]
    assert counts.sum() == len(artifacts.table)
    assert counts[TIE_LABEL] == artifacts.table["emotion"].eq("").sum()
    ax = plot_class_balance(artifacts.table)
    assert [p.get_height() for p in ax.patches] == counts.tolist()
    plt.close("all")


def test_cleaning_examples_show_changed_transcripts_only():
    table = pd.DataFrame({"segment_id": ["a", "b", "c"], "text_raw": ["b/ 안녕 l/", "좋아", "(네)/(예) 그래"],
                          "text": ["안녕", "좋아", "네 그래"]})  # fmt: skip
    examples = cleaning_examples(table)
    assert examples["segment_id"].tolist() == ["a", "c"]
    assert list(examples.columns) == ["segment_id", "text_raw", "text"]


def test_feature_image_spans_the_segment_duration(artifacts):
    i = int(np.flatnonzero(artifacts.table["has_audio"])[0])
    ax = plot_feature_image(artifacts.audio[i], artifacts.audio_feature_names)
    left, right, _, _ = ax.images[0].get_extent()
    assert (left, right) == (0.0, pytest.approx(len(artifacts.audio[i]) * 0.01))
    assert ax.images[0].get_array().shape == artifacts.audio[i].T.shape
    plt.close("all")


def test_dialogue_bio_plot_draws_each_speakers_own_signals_and_segments(artifacts):
    table = artifacts.table
    dialogue = table.loc[table["has_bio"], "dialogue"].iloc[0]
    fig = plot_dialogue_bio(table, dialogue, artifacts.manifest["root"])
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels == ["EDA", "TEMP"]  # ECG of the sample corpus has no signal column
    speakers = sorted(table.loc[table["dialogue"].eq(dialogue), "person"].unique())
    assert sorted(line.get_label() for line in fig.axes[0].lines) == speakers
    n_segments = table.loc[table["dialogue"].eq(dialogue) & table["has_bio"]].shape[0]
    assert len(fig.axes[0].patches) == n_segments
    plt.close("all")


def test_dialogue_bio_plot_refuses_an_unknown_dialogue(artifacts):
    with pytest.raises(ValueError, match="Sess99"):
        plot_dialogue_bio(artifacts.table, "Sess99_impro01", artifacts.manifest["root"])
