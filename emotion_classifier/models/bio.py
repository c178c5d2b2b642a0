"""Bio-signal network: an MLP over the per-segment EDA/TEMP/ECG/IBI features."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from emotion_classifier.models.mlp import build_mlp


def build_bio_mlp(
    n_features: int, hidden_units: Sequence[int] = (64,), dropout: float = 0.2, regression: bool = True
) -> keras.Model:
    """Bio features are a handful of per-person-normalised statistics, so a small MLP is enough."""
    return build_mlp(n_features, hidden_units, dropout, regression, name="bio_mlp")
