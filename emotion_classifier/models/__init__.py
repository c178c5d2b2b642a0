"""Keras model builders (plain functions returning uncompiled models), their layers and losses.

Importing this package registers the custom layers and the class-balanced loss, which
``keras.saving.load_model(..., safe_mode=True)`` needs to reload a saved model.
"""

from emotion_classifier.models.bio import build_bio_mlp
from emotion_classifier.models.heads import add_heads, compile_heads, head_loss_weights
from emotion_classifier.models.layer_weights import LayerWeightedSum, build_layer_weighted_mlp
from emotion_classifier.models.layers import MaskedConv1D, MaskedMaxPooling1D
from emotion_classifier.models.losses import ClassBalancedLoss, class_balanced_weights
from emotion_classifier.models.mlp import build_mlp
from emotion_classifier.models.precision import cudnn_problems, training_precision
from emotion_classifier.models.speech import build_speech_crnn, build_speech_pooled
from emotion_classifier.models.text import build_sentence_mlp, build_text_rnn

__all__ = [
    "ClassBalancedLoss",
    "LayerWeightedSum",
    "MaskedConv1D",
    "MaskedMaxPooling1D",
    "add_heads",
    "build_bio_mlp",
    "build_layer_weighted_mlp",
    "build_mlp",
    "build_sentence_mlp",
    "build_speech_crnn",
    "build_speech_pooled",
    "build_text_rnn",
    "class_balanced_weights",
    "compile_heads",
    "cudnn_problems",
    "head_loss_weights",
    "training_precision",
]
