import keras
import numpy as np
import pytest

from emotion_classifier.labels import EMOTIONS
from emotion_classifier.models import (
    MaskedConv1D,
    MaskedMaxPooling1D,
    build_bio_mlp,
    build_sentence_mlp,
    build_speech_crnn,
    build_speech_pooled,
    build_text_rnn,
    compile_heads,
    head_loss_weights,
)


def _outputs(model, x):
    return {name: np.asarray(value) for name, value in model(x, training=False).items()}


@pytest.mark.parametrize(
    ("build", "x"),
    [
        (lambda r: build_text_rnn(30, 8, 8, "gru", regression=r), np.array([[3, 4, 5, 0], [2, 0, 0, 0]])),
        (lambda r: build_text_rnn(30, 8, 8, "lstm", regression=r), np.array([[3, 4, 5, 0], [2, 0, 0, 0]])),
        (lambda r: build_sentence_mlp(12, (8,), regression=r), np.ones((2, 12), "float32")),
        (lambda r: build_speech_crnn(5, 8, 8, regression=r), np.ones((2, 9, 5), "float32")),
        (lambda r: build_speech_pooled(20, (8,), regression=r), np.ones((2, 20), "float32")),
        (lambda r: build_bio_mlp(6, (8,), regression=r), np.ones((2, 6), "float32")),
    ],
)
def test_every_builder_has_a_seven_way_softmax_and_optional_regression_heads(build, x):
    with_heads = _outputs(build(True), x)
    assert set(with_heads) == {"emotion", "valence", "arousal"}
    assert with_heads["emotion"].shape == (2, len(EMOTIONS))
    np.testing.assert_allclose(with_heads["emotion"].sum(axis=1), 1.0, rtol=1e-5)
    assert with_heads["valence"].shape == (2, 1) and with_heads["arousal"].shape == (2, 1)
    assert set(_outputs(build(False), x)) == {"emotion"}


def _padded(frames: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros((1, length, frames.shape[1]), dtype="float32")
    out[0, : len(frames)] = frames
    return out


def test_speech_crnn_output_does_not_depend_on_padding():
    keras.utils.set_random_seed(1)
    model = build_speech_crnn(4, filters=8, units=8)
    frames = np.random.default_rng(0).normal(size=(11, 4)).astype("float32")
    reference = _outputs(model, _padded(frames, 11))
    for length in range(12, 50, 3):
        for name, value in _outputs(model, _padded(frames, length)).items():
            np.testing.assert_allclose(value, reference[name], atol=1e-6)
    # the padding really is ignored, not the whole input: other frames give another output
    other = _outputs(model, _padded(frames[::-1].copy(), 16))
    assert not np.allclose(other["emotion"], reference["emotion"])


@pytest.mark.parametrize("pool_size", [2, 3, 4])
def test_masked_pooling_windows_start_at_the_first_frame_whatever_the_padding(pool_size):
    frames = np.arange(1.0, 8.0).reshape(1, 7, 1).astype("float32")
    expected = [frames[0, i : i + pool_size].max() for i in range(0, 7, pool_size)]
    layer = MaskedMaxPooling1D(pool_size)
    for length in (7, 8, 13, 20):
        padded = _padded(frames[0], length)
        out = np.asarray(layer(padded, mask=padded[..., 0] != 0))[0, :, 0]
        assert out[: len(expected)].tolist() == expected and (out[len(expected) :] == 0).all()


def test_text_rnn_output_does_not_depend_on_padding():
    keras.utils.set_random_seed(1)
    model = build_text_rnn(20, 8, 8)
    short = _outputs(model, np.array([[5, 6, 7]]))
    long = _outputs(model, np.array([[5, 6, 7, 0, 0, 0, 0, 0]]))
    np.testing.assert_allclose(long["emotion"], short["emotion"], atol=1e-6)
    assert not np.allclose(_outputs(model, np.array([[7, 6, 5]]))["emotion"], short["emotion"])


def test_masked_conv_refuses_strides_that_would_misalign_the_mask():
    with pytest.raises(ValueError, match="strides=1"):
        MaskedConv1D(4, 3, strides=2)


def test_speech_crnn_reloads_in_safe_mode_with_identical_outputs(tmp_path):
    model = build_speech_crnn(3, filters=4, units=4)
    x = _padded(np.random.default_rng(2).normal(size=(7, 3)), 10)
    model.save(tmp_path / "crnn.keras")
    again = keras.saving.load_model(tmp_path / "crnn.keras", safe_mode=True)
    for name, value in _outputs(again, x).items():
        np.testing.assert_array_equal(value, _outputs(model, x)[name])


def test_loss_weights_are_lambda_and_the_rest_shared_by_valence_and_arousal():
    assert head_loss_weights(0.66, regression=True) == pytest.approx(
        {"emotion": 0.66, "valence": 0.17, "arousal": 0.17}
    )
    assert head_loss_weights(0.5, regression=False) == {"emotion": 0.5}
    with pytest.raises(ValueError, match="lambda"):
        head_loss_weights(0.0, regression=True)


def test_compile_heads_uses_the_joint_weighted_loss():
    model = compile_heads(build_bio_mlp(3, (4,)), emotion_weight=0.8)
    x = np.zeros((4, 3), "float32")
    y = {"emotion": np.array([0, 1, 2, 3]), "valence": np.zeros((4, 1)), "arousal": np.ones((4, 1))}
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = 0.8 * logs["emotion_loss"] + 0.1 * logs["valence_loss"] + 0.1 * logs["arousal_loss"]
    assert logs["loss"] == pytest.approx(expected, rel=1e-4)
