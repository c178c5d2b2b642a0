"""The class-balanced loss of Cui et al. (2019), for `--balance cb_loss`.

Re-weighting by the *effective* number of samples, (1 - beta^n) / (1 - beta), instead of by 1/n
keeps a rare class from being blown up as much as inverse frequency does when its few rows are
near-duplicates; with gamma > 0 it becomes the class-balanced focal loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from keras import losses, ops
from keras.saving import register_keras_serializable


def class_balanced_weights(class_counts: Sequence[int], beta: float = 0.99) -> np.ndarray:
    """Per-class weights (1 - beta) / (1 - beta^n_c), normalised to sum to the number of seen classes.

    Classes with no training row get weight 0: they never occur as a target, and leaving them out of
    the normalisation keeps the weights of the classes that do occur on the paper's scale.
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"class-balanced beta must be in [0, 1), got {beta}")
    counts = np.asarray(class_counts, dtype=float)
    if (counts < 0).any():
        raise ValueError("class counts must be non-negative")
    seen = counts > 0
    if not seen.any():
        raise ValueError("class-balanced weights need at least one class with a training row")
    weights = np.zeros_like(counts)
    weights[seen] = (1.0 - beta) / (1.0 - np.power(beta, counts[seen]))
    return weights * seen.sum() / weights.sum()


@register_keras_serializable(package="emotion_classifier")
class ClassBalancedLoss(losses.Loss):
    """Class-balanced softmax cross-entropy (gamma = 0) or focal loss (gamma > 0) on class ids.

    Takes sparse integer targets and probabilities (the emotion head ends in a softmax), so it
    drops in where ``sparse_categorical_crossentropy`` was. The class counts are stored in the
    config: a saved model reloads in safe mode without the training data.
    """

    def __init__(
        self,
        class_counts: Sequence[int],
        beta: float = 0.99,
        gamma: float = 0.0,
        epsilon: float = 1e-7,
        name: str = "class_balanced_loss",
        reduction: str = "sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_counts = [int(c) for c in class_counts]
        self.beta = float(beta)
        self.gamma = float(gamma)
        self.epsilon = float(epsilon)
        self._weights = class_balanced_weights(self.class_counts, self.beta).astype("float32")

    def call(self, y_true, y_pred):
        n_classes = len(self.class_counts)
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        one_hot = ops.one_hot(labels, n_classes, dtype=y_pred.dtype)
        p_true = ops.sum(one_hot * ops.clip(y_pred, self.epsilon, 1.0 - self.epsilon), axis=-1)
        weight = ops.take(ops.convert_to_tensor(self._weights, dtype=y_pred.dtype), labels)
        focal = ops.power(1.0 - p_true, self.gamma)
        return -weight * focal * ops.log(p_true)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            class_counts=self.class_counts, beta=self.beta, gamma=self.gamma, epsilon=self.epsilon
        )
        return config
