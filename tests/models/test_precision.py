"""Every recurrent layer can run on cuDNN's fused kernels; mixed precision is a GPU-only option."""

import keras
import pytest
from keras import layers

from emotion_classifier.models import build_speech_crnn, build_text_rnn, cudnn_problems, training_precision
from emotion_classifier.models.precision import gpu_available


@pytest.mark.parametrize("build", [
    lambda: build_text_rnn(50, 8, 4, "gru"),
    lambda: build_text_rnn(50, 8, 4, "lstm"),
    lambda: build_speech_crnn(6, 4, 4),
], ids=["text_gru", "text_lstm", "speech_crnn"])
def test_the_recurrent_networks_meet_cudnn_conditions(build):
    assert cudnn_problems(build()) == []


def test_a_layer_that_would_fall_back_is_named():
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, layers.Bidirectional(layers.GRU(4, recurrent_dropout=0.1, name="slow"))(inputs))
    assert any("recurrent_dropout" in p for p in cudnn_problems(model))


@pytest.mark.skipif(gpu_available(), reason="on a GPU the mixed policy applies")
def test_mixed_precision_is_ignored_with_a_warning_without_a_gpu():
    with pytest.warns(UserWarning, match="mixed_precision ignored"), training_precision(True) as policy:
        model = build_speech_crnn(6, 4, 4)
    assert policy == "float32" and model.layers[-1].dtype_policy.name == "float32"
    assert keras.config.dtype_policy().name == "float32"


def test_the_heads_stay_float32_under_a_mixed_policy():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build_speech_crnn(6, 4, 4)
    finally:
        keras.config.set_dtype_policy(previous)
    assert {model.get_layer(n).dtype_policy.name for n in model.output_names} == {"float32"}
    assert model.get_layer("emotion").input.dtype == "float16"  # the trunk itself computes in float16
