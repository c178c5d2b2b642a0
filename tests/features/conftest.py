from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def write_tone(path: Path, n_samples: int, sample_rate: int = 16000, channels: int = 1, freq: float = 220.0):
    """A noisy tone (so no mel band is silent) written as 16-bit PCM; returns what was written."""
    t = np.arange(n_samples) / sample_rate
    rng = np.random.default_rng(n_samples)
    mono = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(n_samples)
    data = np.stack([mono * (c + 1) / channels for c in range(channels)], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, sample_rate, subtype="PCM_16")
    return data


@pytest.fixture
def tone():
    return write_tone


@pytest.fixture(scope="session")
def corpus19(tmp_path_factory):
    """A 2-session synthetic KEMDy19 copy (both views, ties, missing and empty files, decoys)."""
    from emotion_classifier.datasets.synthetic import generate_corpus

    return generate_corpus(tmp_path_factory.mktemp("kemdy19"), corpus="kemdy19", sessions=2, seed=0)


@pytest.fixture(scope="session")
def prepared19(corpus19, tmp_path_factory):
    """`prepare` of corpus19 with the defaults: treat as read-only."""
    from emotion_classifier.features import prepare

    return prepare(corpus19.root, tmp_path_factory.mktemp("artifacts19"), jobs=1, progress=False)


@pytest.fixture
def corpus_copy(corpus19, tmp_path):
    """A private copy of corpus19 that a test may damage."""
    import shutil

    return Path(shutil.copytree(corpus19.root, tmp_path / "corpus"))
