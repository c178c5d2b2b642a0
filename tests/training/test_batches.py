"""Training batches built per step: bucketed by length, padded per batch, the same for the same seed."""

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.batches import RowBatches, batch_plan
from emotion_classifier.training.encoders import FeatureScaler, FrameEncoder, TokenEncoder
from emotion_classifier.training.estimators import ModalityInputs, TrainConfig, make_model


def test_a_plan_covers_every_row_once_and_depends_only_on_seed_and_epoch():
    lengths = np.random.default_rng(0).integers(1, 500, 1000)
    plan = batch_plan(1000, 32, lengths=lengths, seed=3, epoch=2)
    assert sorted(np.concatenate(plan).tolist()) == list(range(1000))
    assert all(len(b) <= 32 for b in plan)
    again = batch_plan(1000, 32, lengths=lengths, seed=3, epoch=2)
    assert all(np.array_equal(a, b) for a, b in zip(plan, again, strict=True))
    other = batch_plan(1000, 32, lengths=lengths, seed=3, epoch=3)
    assert not all(np.array_equal(a, b) for a, b in zip(plan, other, strict=True))


def test_buckets_pad_far_less_than_random_batches():
    lengths = np.random.default_rng(1).lognormal(np.log(420), 0.8, 2000).astype(int) + 1

    def padded(plan):
        return sum(len(b) * lengths[b].max() for b in plan) / lengths.sum()

    bucketed = padded(batch_plan(2000, 32, lengths=lengths, seed=0))
    mixed = padded(batch_plan(2000, 32, seed=0))
    assert bucketed < 1.25 < 3.0 < mixed  # padded steps per real step (about 1.2 against 4.3)


def test_validation_batches_are_sorted_by_length_and_unshuffled():
    lengths = np.array([5, 1, 9, 3, 7])
    plan = batch_plan(5, 2, lengths=lengths, shuffle=False)
    assert [b.tolist() for b in plan] == [[1, 3], [0, 4], [2]]


def test_sequence_encoders_pad_each_batch_to_its_longest_row_only():
    frames = [np.ones((n, 3)) * n for n in (4, 9, 30)]
    encoder = FrameEncoder(percentile=100, cap=20).fit(frames)
    assert encoder.transform(frames[:2]).shape == (2, 20, 3)  # prediction: the fitted length
    assert encoder.transform_batch(frames[:2]).shape == (2, 9, 3)
    assert encoder.transform_batch(frames).shape == (3, 20, 3)  # never past the fitted length
    np.testing.assert_array_equal(encoder.transform_batch(frames[:2]), encoder.transform(frames[:2])[:, :9])
    tokens = TokenEncoder(min_count=1, percentile=100).fit([["a"], ["a", "b", "c"]])
    assert tokens.transform_batch([["a"], ["b", "a"]]).shape == (2, 2)


def test_the_frame_scaler_fitted_in_chunks_equals_one_fit_on_all_frames():
    rng = np.random.default_rng(0)
    blocks = [rng.normal(3, 2, size=(rng.integers(1, 50), 4)) for _ in range(40)]
    whole = FeatureScaler(impute=False).fit(np.concatenate(blocks))
    chunked = FeatureScaler(impute=False).fit_chunks(blocks)
    np.testing.assert_allclose(chunked.mean_, whole.mean_, rtol=1e-12)
    np.testing.assert_allclose(chunked.scale_, whole.scale_, rtol=1e-12)
    with pytest.raises(ValueError, match="non-finite"):
        FeatureScaler(impute=False).fit_chunks([np.array([[np.nan, 1.0]])])


def test_the_dataset_gives_variable_length_batches_with_their_targets():
    rows = [np.full((n, 2), float(n), dtype="float32") for n in (3, 8, 2, 8, 5)]
    targets = {"emotion": np.arange(5, dtype="int32")}
    weights = {"emotion": np.ones(5, dtype="float32")}
    batches = RowBatches(rows, targets, weights, lambda r: FrameEncoder(100, 10).fit(rows).transform_batch(r), 2,
                         lengths=[len(r) for r in rows], shuffle=False)
    seen = [(x.shape[1], y["emotion"].numpy().tolist()) for x, y, _ in batches.dataset()]
    assert seen == [(3, [2, 0]), (8, [4, 1]), (8, [3])]


def _speech_inputs(n: int = 160) -> ModalityInputs:
    rng = np.random.default_rng(0)
    ids = np.arange(n) % len(EMOTIONS)
    table = pd.DataFrame({"segment_id": [f"s{i}" for i in range(n)], "session": 1 + np.arange(n) // 40})
    frames = [rng.normal(ids[i], 1.0, size=(rng.integers(5, 60), 4)) for i in range(n)]
    return ModalityInputs(table, frames, np.ones(n, bool), np.asarray(EMOTIONS)[ids], 1 + ids / 2, 4 - ids / 2,
                          "speech")


def test_two_streamed_speech_fits_with_one_seed_predict_the_same_numbers(monkeypatch):
    encoded = []  # rows encoded at once: never the whole training set
    for name in ("transform", "transform_batch"):
        original = getattr(FrameEncoder, name)
        counted = lambda self, rows, f=original: encoded.append(len(rows)) or f(self, rows)  # noqa: E731
        monkeypatch.setattr(FrameEncoder, name, counted)
    inputs = _speech_inputs()
    config = TrainConfig(epochs=2, units=4, filters=4, batch_size=16, seed=5)
    predictions = [make_model("speech", config).fit(inputs, np.arange(120), np.arange(120, 140))
                   .predict(inputs, np.arange(140, 160)) for _ in range(2)]
    np.testing.assert_array_equal(predictions[0].proba, predictions[1].proba)
    np.testing.assert_array_equal(predictions[0].valence, predictions[1].valence)
    assert encoded and max(encoded) <= 20 and encoded.count(16) > 10  # batches of 16, the 20 test rows
