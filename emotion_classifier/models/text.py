"""Text networks: a recurrent network over morpheme ids, and an MLP over sentence embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from emotion_classifier.models.heads import add_heads
from emotion_classifier.models.mlp import build_mlp

RNN_CELLS = {"gru": layers.GRU, "lstm": layers.LSTM}


def build_text_rnn(
    vocab_size: int,
    embedding_dim: int = 64,
    units: int = 64,
    cell: str = "gru",
    dropout: float = 0.2,
    regression: bool = True,
) -> keras.Model:
    """Token ids (0 = padding) -> Embedding(mask_zero) -> bidirectional GRU/LSTM -> heads (uncompiled).

    The sequence length is left open so that padding to any length gives the same output.
    """
    if cell not in RNN_CELLS:
        raise ValueError(f"text rnn cell must be one of {sorted(RNN_CELLS)}, got {cell!r}")
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, embedding_dim, mask_zero=True)(tokens)
    x = layers.Bidirectional(RNN_CELLS[cell](units))(x)
    x = layers.Dropout(dropout)(x)
    return keras.Model(tokens, add_heads(x, regression=regression), name=f"text_{cell}")


def build_sentence_mlp(
    embedding_dim: int, hidden_units: Sequence[int] = (64,), dropout: float = 0.2, regression: bool = True
) -> keras.Model:
    """Pretrained sentence embeddings are already a strong summary: a small MLP learns the emotions."""
    return build_mlp(embedding_dim, hidden_units, dropout, regression, name="text_sentence_mlp")
