"""The multilayer perceptron behind every fixed-length input (bio features, pooled audio, sentence
embeddings): one builder, so the three modalities differ only in what they feed it."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from emotion_classifier.models.heads import add_heads


def build_mlp(
    n_inputs: int,
    hidden_units: Sequence[int] = (64,),
    dropout: float = 0.2,
    regression: bool = True,
    name: str = "mlp",
) -> keras.Model:
    """Dense-ReLU-Dropout blocks over a feature vector, then the shared heads (uncompiled)."""
    inputs = keras.Input(shape=(n_inputs,), name="features")
    x = dense_blocks(inputs, hidden_units, dropout)
    return keras.Model(inputs, add_heads(x, regression=regression), name=name)


def dense_blocks(x, hidden_units: Sequence[int], dropout: float):
    """Dense-ReLU-Dropout per entry of ``hidden_units``: the MLP and the early-fusion network's top."""
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
        x = layers.Dropout(dropout)(x)
    return x
