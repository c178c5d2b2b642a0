"""Small generated corpora shared by the generator's tests (one per worker, written to tmp)."""

from __future__ import annotations

import pytest

from emotion_classifier.datasets.synthetic import SyntheticCorpus, generate_corpus


def shape(dialogues: int, segments: tuple[int, int]) -> dict:
    return {"dialogues_per_session": dialogues, "segments_per_dialogue": segments}


@pytest.fixture(scope="session")
def small19(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCorpus:
    """Three sessions of three dialogues: every KEMDy19 quirk but the session-9 EDA gap."""
    out = tmp_path_factory.mktemp("small19") / "KEMDy19"
    return generate_corpus(out, "kemdy19", sessions=3, seed=1, **shape(3, (8, 12)))


@pytest.fixture(scope="session")
def small20(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCorpus:
    out = tmp_path_factory.mktemp("small20") / "KEMDy20_v1_1"
    return generate_corpus(out, "kemdy20", sessions=3, seed=1, **shape(3, (10, 14)))


@pytest.fixture(scope="session")
def renumbered20(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCorpus:
    """Seventeen tiny sessions: enough to reach the ``Sess17_eval.csv`` / ``Sess42`` quirk."""
    out = tmp_path_factory.mktemp("renumbered20") / "KEMDy20_v1_1"
    return generate_corpus(out, "kemdy20", sessions=17, seed=2, **shape(1, (2, 4)))
