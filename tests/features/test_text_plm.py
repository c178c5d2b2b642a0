"""The text encoder's input function on a text longer than the model reads: cut into windows of the
model's positions and pooled (a tiny BERT of 16 positions), never truncated; a text within the limit
is read whole, alone or in a batch."""

import numpy as np
import pytest

from emotion_classifier.features.encoder_models import hidden_states, load_encoder
from emotion_classifier.features.text_plm import MAX_TOKENS, text_plm_chunk
from emotion_classifier.features.tiny_encoders import tiny_text_encoder

pytest.importorskip("transformers")

POSITIONS = 16
SHORT = "정말 고마워요"
LONG = " ".join(["오늘 회의는 정말 길었고 모두 지쳤어요"] * 6)
SETTINGS = {"max_tokens": MAX_TOKENS}


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    folder = tiny_text_encoder(tmp_path_factory.mktemp("bert16") / "model", [SHORT, LONG], positions=POSITIONS)
    return str(folder), load_encoder(str(folder), "tokenizer")


def _whole(loaded, text: str) -> np.ndarray:
    """[CLS] and token mean per layer of reading ``text`` in one pass (the reference for a short text)."""
    inputs = dict(loaded.processor([text], return_tensors="pt"))
    states = hidden_states(loaded, inputs).numpy()[0]
    return np.stack([states[:, 0], states.mean(axis=1)], axis=1)


def test_a_text_within_the_limit_is_read_whole_alone_or_in_a_batch(encoder):
    folder, loaded = encoder
    assert len(loaded.processor(SHORT)["input_ids"]) <= POSITIONS
    alone = text_plm_chunk([SHORT], folder, SETTINGS)["vectors"][0]
    batched = text_plm_chunk([LONG, SHORT], folder, SETTINGS)["vectors"][1]
    np.testing.assert_allclose(alone.astype(float), _whole(loaded, SHORT), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(batched.astype(float), alone.astype(float), rtol=2e-3, atol=2e-3)


def test_a_longer_text_is_pooled_over_windows_of_the_models_positions(encoder):
    import torch

    folder, loaded = encoder
    tokens = loaded.processor(LONG, add_special_tokens=False, verbose=False)["input_ids"]
    assert loaded.processor.unk_token_id not in tokens  # real token ids, not [UNK]
    assert len(tokens) > 4 * POSITIONS  # several windows
    vectors = text_plm_chunk([LONG], folder, SETTINGS)["vectors"]
    assert vectors.shape == (1, 3, 2, 32) and vectors.dtype == np.float16
    assert np.isfinite(vectors.astype(float)).all()
    # the windows by hand: consecutive slices of the tokens, each inside [CLS] ... [SEP], pooled by token counts
    room = POSITIONS - 2
    cls_id, sep_id = loaded.processor.cls_token_id, loaded.processor.sep_token_id
    cls, sums, count = 0.0, 0.0, 0
    for start in range(0, len(tokens), room):
        ids = [cls_id, *tokens[start : start + room], sep_id]
        states = hidden_states(loaded, {"input_ids": torch.tensor([ids])}).numpy()[0]
        cls, sums, count = cls + states[:, 0] * len(ids), sums + states.sum(axis=1), count + len(ids)
    expected = np.stack([cls / count, sums / count], axis=1)
    np.testing.assert_allclose(vectors[0].astype(float), expected, rtol=2e-3, atol=2e-3)
    first_window = _whole(loaded, loaded.processor.decode(tokens[:room]))
    assert not np.allclose(vectors[0, :, 1].astype(float), first_window[:, 1], atol=1e-2)  # not truncated
