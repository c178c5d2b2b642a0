"""Every speech encoder family the issue names reads a wav alike: tiny wav2vec2 (large layout, attention
mask), HuBERT (base layout, no mask), WavLM and Whisper (fixed-length input, padded to it) folders
through `speech_ssl_chunk`, the input function prepare and prediction both call.

Wavs shorter than one window, longer than the window and (Whisper) longer than the model's input:
the vectors' shape, float16, finite, and the same for a segment alone as in a batch with others.
"""

import numpy as np
import pytest

from emotion_classifier.features.encoder_models import hidden_states, load_encoder
from emotion_classifier.features.speech_ssl import SAMPLE_RATE, layer_statistics, speech_ssl_chunk
from emotion_classifier.features.tiny_encoders import SPEECH_KINDS, WHISPER_SECONDS, tiny_speech_encoder

pytest.importorskip("transformers")

WINDOW_SECONDS = 2.0
SECONDS = (0.3, 1.3, 2.0, 4.5)
"""Below Whisper's 1 s input, above it, one whole window (the length of another's first window, so an
encoder without an attention mask batches them too), and more than two windows."""


@pytest.fixture
def wavs(tmp_path, tone):
    paths = [tmp_path / f"seg{k}.wav" for k in range(len(SECONDS))]
    for k, (path, seconds) in enumerate(zip(paths, SECONDS, strict=True)):
        tone(path, int(seconds * SAMPLE_RATE), freq=180.0 + 60 * k)
    return [str(p) for p in paths]


@pytest.fixture(scope="module", params=SPEECH_KINDS)
def encoder_folder(request, tmp_path_factory):
    return str(tiny_speech_encoder(tmp_path_factory.mktemp(request.param) / "model", kind=request.param))


def test_each_encoder_family_gives_finite_float16_layer_vectors(encoder_folder, wavs):
    result = speech_ssl_chunk(wavs, encoder_folder, {"window_seconds": WINDOW_SECONDS})
    vectors = result["vectors"]
    assert vectors.shape == (len(wavs), 3, 2, 32) and vectors.dtype == np.float16  # 2 layers + the input
    assert np.isfinite(vectors.astype(float)).all() and (result["status"] == "").all()
    assert (vectors[:, :, 1] >= 0).all() and vectors.any(axis=(1, 2, 3)).all()  # sd is an sd; no empty row
    assert len({vectors[i].tobytes() for i in range(len(wavs))}) == len(wavs)


def test_a_segment_alone_equals_the_segment_in_a_batch(encoder_folder, wavs):
    together = speech_ssl_chunk(wavs, encoder_folder, {"window_seconds": WINDOW_SECONDS})["vectors"]
    for i, path in enumerate(wavs):
        alone = speech_ssl_chunk([path], encoder_folder, {"window_seconds": WINDOW_SECONDS})["vectors"][0]
        np.testing.assert_allclose(alone.astype(float), together[i].astype(float), rtol=2e-3, atol=2e-3)


def test_whisper_pools_only_the_frames_of_the_audio(tmp_path):
    """Whisper pads every input to its full length; the padding's frames must not enter mean and sd:
    a wav of half the input equals the statistics of exactly the first half of the encoder's frames."""
    encoder = load_encoder(str(tiny_speech_encoder(tmp_path / "whisper", kind="whisper")), "feature_extractor")
    wave = 0.3 * np.sin(np.arange(WHISPER_SECONDS * SAMPLE_RATE // 2) / 9.0).astype(np.float32)
    pooled = layer_statistics([wave], encoder, WINDOW_SECONDS)[0]
    inputs = encoder.processor([wave], sampling_rate=SAMPLE_RATE, return_tensors="pt")
    states = hidden_states(encoder, {"input_features": inputs["input_features"]}).numpy()[0]
    half = states[:, : states.shape[1] // 2]
    np.testing.assert_allclose(pooled[:, 0], half.mean(axis=1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(pooled[:, 1], half.std(axis=1), rtol=1e-3, atol=1e-4)
    assert not np.allclose(pooled[:, 0], states.mean(axis=1), atol=1e-3)  # the padding would change it
