"""What a GPU needs to train fast: cuDNN's fused recurrent kernels and mixed precision.

Keras runs a GRU/LSTM on cuDNN's fused kernel only when the layer keeps cuDNN's own cell
(``tanh``/``sigmoid`` activations, a bias, GRU ``reset_after``, no recurrent dropout, not unrolled)
and its mask is right-padded (real steps first, then padding, which is how every sequence here is
padded); otherwise it silently falls back to a step-by-step loop several times slower.
`cudnn_problems` lists the layers that would fall back, so a test can hold every network to it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import keras
from keras import layers

MIXED_POLICY = "mixed_float16"


def gpu_available() -> bool:
    """Whether TensorFlow sees a GPU (the only place mixed precision pays)."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


@contextmanager
def training_precision(mixed: bool) -> Iterator[str]:
    """Build networks inside this block in ``mixed_float16`` when ``mixed`` and a GPU is visible
    (their heads stay float32, `models.heads`); yields the policy used. Without a GPU the request is
    ignored with a warning: float16 arithmetic on a CPU is emulated, slower, and less exact."""
    if not mixed:
        yield "float32"
        return
    if not gpu_available():
        warnings.warn("mixed_precision ignored: no GPU is visible, training in float32", UserWarning, stacklevel=3)
        yield "float32"
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(MIXED_POLICY)
    try:
        yield MIXED_POLICY
    finally:
        keras.config.set_dtype_policy(previous)


def _recurrent_layers(layer) -> Iterator[layers.Layer]:
    if isinstance(layer, layers.Bidirectional):
        yield from (layer.forward_layer, layer.backward_layer)
    elif isinstance(layer, (layers.GRU, layers.LSTM)):
        yield layer
    for inner in getattr(layer, "layers", ()):
        yield from _recurrent_layers(inner)


def cudnn_problems(model: keras.Model) -> list[str]:
    """``"layer: reason"`` for each recurrent layer of ``model`` (nested models included) that cannot
    use cuDNN's fused kernel; empty when all can."""
    problems = []
    for rnn in _recurrent_layers(model):
        cell = rnn.cell
        checks = {
            "activation is not tanh": cell.activation is not keras.activations.tanh,
            "recurrent_activation is not sigmoid": cell.recurrent_activation is not keras.activations.sigmoid,
            "recurrent_dropout > 0": bool(cell.recurrent_dropout),
            "unroll=True": bool(rnn.unroll),
            "use_bias=False": not cell.use_bias,
            "reset_after=False": isinstance(rnn, layers.GRU) and not cell.reset_after,
            "use_cudnn=False": getattr(rnn, "use_cudnn", "auto") is False,
        }
        problems += [f"{rnn.name}: {reason}" for reason, failed in checks.items() if failed]
    return problems
