"""The early-fusion network (MATE-style): every modality encoded, concatenated, then the shared heads.

Each modality is encoded by the trunk of its own single-modality network (the same text GRU,
speech CRNN or MLP, without the heads), so early and late fusion compare the same encoders.
A modality enters as a stack of *slots*: the current segment last, the preceding segments of the
dialogue before it (context, MATE's sliding window). One ``TimeDistributed`` trunk encodes every
slot with shared weights; a slot without the modality (missing for the row, or padding at the
dialogue start) is zeroed and its presence flag (an input) is 0, so no row has to be dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
from keras import layers

from emotion_classifier.models.heads import EMOTION_OUTPUT, add_heads
from emotion_classifier.models.mlp import dense_blocks


def modality_trunk(network: keras.Model, name: str) -> keras.Model:
    """A single-modality network cut below its heads: its input -> the features its heads read."""
    return keras.Model(network.inputs, network.get_layer(EMOTION_OUTPUT).input, name=name)


def _encode_slots(part: str, trunk: keras.Model, slots: int, row_shape: Sequence[int]) -> tuple[dict, object]:
    """Inputs ``part`` (slots, *row_shape) and ``part_present`` (slots, 1); returns them and the
    (slots, units + 1) encodings, zero where absent, with the presence flag appended."""
    x = keras.Input((slots, *row_shape), dtype=trunk.inputs[0].dtype, name=part)
    present = keras.Input((slots, 1), name=f"{part}_present")
    encoded = layers.TimeDistributed(trunk, name=f"{part}_encoder")(x)
    encoded = layers.Multiply(name=f"{part}_masked")([encoded, present])
    return {part: x, f"{part}_present": present}, layers.Concatenate(name=f"{part}_slots")([encoded, present])


def build_early_fusion(
    trunks: Mapping[str, keras.Model],
    row_shapes: Mapping[str, Sequence[int]],
    context_window: int = 0,
    context_parts: Sequence[str] = (),
    context_units: int = 32,
    hidden_units: Sequence[int] = (64,),
    dropout: float = 0.2,
    regression: bool = True,
) -> keras.Model:
    """Encoders of ``trunks`` (by modality) -> concatenation (+ context GRU) -> Dense blocks -> heads.

    ``row_shapes[part]`` is one row's encoded input shape (after padding). The modalities named in
    ``context_parts`` get ``context_window + 1`` slots; the encodings of the preceding slots go,
    step by step, through a masked GRU (all-zero steps, i.e. padding, are skipped) whose final state
    joins the current segment's encodings. Uncompiled; compile with `compile_heads`.
    """
    if context_window < 0:
        raise ValueError(f"context_window must be >= 0, got {context_window}")
    if not trunks:
        raise ValueError("early fusion needs at least one modality trunk")
    inputs, current, context = {}, [], []
    for part, trunk in trunks.items():
        slots = context_window + 1 if part in context_parts else 1
        part_inputs, encoded = _encode_slots(part, trunk, slots, row_shapes[part])
        inputs.update(part_inputs)
        current.append(layers.Flatten()(layers.Cropping1D((slots - 1, 0))(encoded)))
        if slots > 1:
            context.append(layers.Cropping1D((0, 1))(encoded))
    if context:
        steps = context[0] if len(context) == 1 else layers.Concatenate(name="context_steps")(context)
        steps = layers.Masking(mask_value=0.0)(steps)
        current.append(layers.GRU(context_units, name="context_gru")(steps))
    x = current[0] if len(current) == 1 else layers.Concatenate(name="fused")(current)
    x = dense_blocks(x, hidden_units, dropout)
    return keras.Model(inputs, add_heads(x, regression=regression), name="early_fusion")
