"""The head over a frozen encoder's layer vectors: a learnt softmax weighting of the layers (SUPERB,
EmoBox), then the MLP and the shared emotion + valence/arousal heads.

Which layer carries emotion differs between encoders (middle layers for wav2vec2, upper ones for a
text encoder), so the head learns it instead of us picking one; the weights start equal.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers, ops
from keras.saving import register_keras_serializable

from emotion_classifier.models.heads import add_heads
from emotion_classifier.models.mlp import dense_blocks


@register_keras_serializable(package="emotion_classifier")
class LayerWeightedSum(layers.Layer):
    """``(batch, layers, features) -> (batch, features)``: the layers summed with softmax(weights).

    A registered class (not a Lambda), so a saved model reloads with ``safe_mode=True``;
    ``layer_weights()`` gives the learnt weighting for a report.
    """

    def build(self, input_shape) -> None:
        self.logits = self.add_weight(name="logits", shape=(int(input_shape[1]),), initializer="zeros")

    def call(self, inputs):
        weights = ops.softmax(self.logits)
        return ops.einsum("l,blf->bf", ops.cast(weights, inputs.dtype), inputs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def layer_weights(self):
        return ops.convert_to_numpy(ops.softmax(self.logits))


def build_layer_weighted_mlp(
    n_layers: int,
    n_features: int,
    hidden_units: Sequence[int] = (64,),
    dropout: float = 0.2,
    regression: bool = True,
    name: str = "layer_weighted_mlp",
) -> keras.Model:
    """Flat ``n_layers * n_features`` vectors (flat so that SMOTE and the scalers take them) -> per-layer
    rows -> `LayerWeightedSum` -> Dense-ReLU-Dropout blocks -> heads (uncompiled)."""
    inputs = keras.Input(shape=(n_layers * n_features,), name="layer_vectors")
    x = layers.Reshape((n_layers, n_features))(inputs)
    x = LayerWeightedSum(name="layer_weights")(x)
    x = dense_blocks(x, hidden_units, dropout)
    return keras.Model(inputs, add_heads(x, regression=regression), name=name)
