"""emotion_classifier: leak-free multimodal emotion recognition for ETRI KEMDy19/KEMDy20.

Heavy dependencies (TensorFlow/Keras, librosa) are imported only by the stages that need them,
so ``import emotion_classifier`` and ``emotion --help`` stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

_TABLES = ("segment_table", "token_table", "feature_summary", "fold_scores", "predictions", "fused_predictions")
__all__ = ["__version__", "open_corpus", "clean_transcript", "generate_corpus", "prepare", "EmotionClassifier",
           *_TABLES]  # fmt: skip


def __getattr__(name: str):
    # Lazy re-exports: the Python API in one place without paying for TensorFlow at import time.
    if name in ("open_corpus", "clean_transcript"):
        from emotion_classifier import datasets

        return getattr(datasets, name)
    if name == "generate_corpus":
        from emotion_classifier.datasets.synthetic import generate_corpus

        return generate_corpus
    if name == "prepare":
        from emotion_classifier.features import prepare

        return prepare
    if name in _TABLES:  # each stage's intermediate result as one DataFrame (emotion_classifier.tables)
        from emotion_classifier import tables

        return getattr(tables, name)
    if name == "EmotionClassifier":
        from emotion_classifier.predict import EmotionClassifier

        return EmotionClassifier
    raise AttributeError(f"module 'emotion_classifier' has no attribute {name!r}")
