"""Output heads shared by every modality network, and the joint multitask compile.

Every network ends in the same named outputs (``emotion``, and optionally ``valence`` and
``arousal``), so the estimators, the saved models and the fusion stage never depend on which
modality produced a prediction.
"""

from __future__ import annotations

import keras
from keras import layers

from emotion_classifier.labels import EMOTION_OUTPUT, EMOTIONS, REGRESSION_OUTPUTS


def add_heads(features, regression: bool = True, n_classes: int = len(EMOTIONS)) -> dict:
    """A 7-way softmax emotion head (EMOTIONS order) plus linear valence/arousal heads.

    The regression heads are linear because the estimators feed them targets already scaled to
    about [-1, 1]; a bounded activation would make the 1 and 5 ends unreachable.
    """
    # float32 whatever the policy: a float16 softmax and loss lose the small probabilities (mixed precision).
    outputs = {EMOTION_OUTPUT: layers.Dense(n_classes, activation="softmax", name=EMOTION_OUTPUT,
                                            dtype="float32")(features)}
    if regression:
        for target in REGRESSION_OUTPUTS:
            outputs[target] = layers.Dense(1, name=target, dtype="float32")(features)
    return outputs


def head_loss_weights(emotion_weight: float, regression: bool) -> dict[str, float]:
    """lambda for the emotion loss and (1 - lambda) shared equally by valence and arousal (MATE)."""
    if not 0.0 < emotion_weight <= 1.0:
        raise ValueError(f"the emotion loss weight (lambda) must be in (0, 1], got {emotion_weight}")
    weights = {EMOTION_OUTPUT: float(emotion_weight)}
    if regression:
        weights.update({t: (1.0 - emotion_weight) / len(REGRESSION_OUTPUTS) for t in REGRESSION_OUTPUTS})
    return weights


def compile_heads(
    model: keras.Model,
    emotion_loss: str | keras.losses.Loss = "sparse_categorical_crossentropy",
    learning_rate: float = 1e-3,
    emotion_weight: float = 0.66,
) -> keras.Model:
    """Compile a network built with `add_heads`: one joint loss, lambda-weighted like MATE."""
    regression = all(t in model.output_names for t in REGRESSION_OUTPUTS)
    losses = {EMOTION_OUTPUT: emotion_loss}
    if regression:
        losses.update({t: "mean_squared_error" for t in REGRESSION_OUTPUTS})
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=losses,
        loss_weights=head_loss_weights(emotion_weight, regression),
        metrics={EMOTION_OUTPUT: ["accuracy"]},
    )
    return model
