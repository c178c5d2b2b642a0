"""Mask-aware layers for padded frame sequences.

Keras convolutions and poolings drop the padding mask, so a convolutional-recurrent network over
zero-padded MFCC frames would let the padding leak into the recurrent state. These layers keep
the mask flowing and make every output at a real frame independent of how much padding follows.
Registered classes (not Lambda layers) so that models reload with ``safe_mode=True``.
"""

from __future__ import annotations

from keras import layers, ops
from keras.saving import register_keras_serializable


@register_keras_serializable(package="emotion_classifier")
class MaskedConv1D(layers.Conv1D):
    """A 'same'-padded, stride-1 Conv1D that zeroes padded steps first and passes the mask on.

    Zeroing the padded steps makes them look exactly like the convolution's own zero padding at
    the sequence end, so a real frame's output does not depend on the padding length.
    """

    def __init__(self, filters: int, kernel_size: int, **kwargs):
        kwargs.setdefault("padding", "same")
        super().__init__(filters, kernel_size, **kwargs)
        if self.padding != "same" or tuple(self.strides) != (1,):
            raise ValueError("MaskedConv1D keeps frames aligned with the mask: use padding='same', strides=1")

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = inputs * ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        return super().call(inputs)

    def compute_mask(self, inputs, mask=None):
        return mask


@register_keras_serializable(package="emotion_classifier")
class MaskedMaxPooling1D(layers.Layer):
    """Max pooling over time that ignores padded steps and downsamples the mask with the frames.

    A pooled step is real when any of its frames is real; padded steps of the output are zero.
    Windows start at the first frame and the sequence end is filled on the right only (Keras
    'same' pooling pads on both sides when the pool is > 2, which shifts the windows with the
    padding length), so a real step's output never depends on the padding that follows.
    """

    _FILL = -6.0e4
    """Below any real activation, and finite in float16 (whose largest magnitude is 65504): -1e9 became
    -inf under mixed precision, and -inf times a zero mask is NaN."""

    def __init__(self, pool_size: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        self._pool = layers.MaxPooling1D(self.pool_size, padding="valid")

    def _pool_right_filled(self, x, fill: float):
        # pool_size - 1 extra steps turn 'valid' windows into ceil(T / pool) windows from the start.
        return self._pool(ops.pad(x, [[0, 0], [0, self.pool_size - 1], [0, 0]], constant_values=fill))

    def call(self, inputs, mask=None):
        if mask is None:
            return self._pool_right_filled(inputs, self._FILL)
        keep = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        pooled = self._pool_right_filled(ops.where(keep > 0, inputs, self._FILL), self._FILL)
        return pooled * self._pool_right_filled(keep, 0.0)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        keep = ops.expand_dims(ops.cast(mask, "float32"), -1)
        return ops.squeeze(self._pool_right_filled(keep, 0.0), -1) > 0

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        steps = None if steps is None else -(-steps // self.pool_size)
        return (input_shape[0], steps, input_shape[2])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(pool_size=self.pool_size)
        return config
