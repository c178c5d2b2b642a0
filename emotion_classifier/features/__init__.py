"""Features stage: tokenisers, audio and bio features, `prepare()` with caching, artifact loaders.

See docs/architecture.md ("Artifacts folder") for what `prepare` writes and `load_artifacts` reads.
"""

from emotion_classifier.features.artifacts import Artifacts, load_artifacts
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.prepare import prepare

__all__ = ["Artifacts", "PrepareConfig", "load_artifacts", "prepare"]
