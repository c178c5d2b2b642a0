"""Session-wise folds: the only split that does not leak speakers or scripts.

Each KEMDy session is its own pair of people, so a test fold made of whole sessions contains
no voice, body or (for improvised dialogues) wording seen in training. The inner validation
split, used for early stopping and every other choice, is also made of whole training sessions.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

RANDOM_SPLIT_WARNING = (
    "--split random puts utterances of the same speakers and the same scripts into both training and "
    "test data: its scores are inflated and exist only to compare with old numbers"
)


@dataclass(frozen=True)
class Fold:
    """Row positions of one outer split, plus the sessions that define it (empty for random splits)."""

    index: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    train_sessions: tuple[int, ...] = ()
    val_sessions: tuple[int, ...] = ()
    test_sessions: tuple[int, ...] = ()

    def to_dict(self) -> dict:
        return {
            "fold": self.index,
            "train_sessions": list(self.train_sessions),
            "val_sessions": list(self.val_sessions),
            "test_sessions": list(self.test_sessions),
            "n_train": int(self.train.size),
            "n_val": int(self.val.size),
            "n_test": int(self.test.size),
        }


def default_n_folds(corpus: str, n_sessions: int) -> int:
    """KEMDy19: five folds (four sessions each on the full corpus); KEMDy20: folds of eight sessions."""
    if corpus == "KEMDy20":
        return max(2, math.ceil(n_sessions / 8))
    return min(5, n_sessions)


def session_groups(sessions: Iterable[int], n_folds: int) -> list[tuple[int, ...]]:
    """Consecutive sessions in ``n_folds`` groups ([1-4], [5-8], ... on the full KEMDy19)."""
    ordered = sorted(set(int(s) for s in sessions))
    if n_folds < 2 or n_folds > len(ordered):
        raise ValueError(f"need 2 <= folds <= number of sessions ({len(ordered)}), got {n_folds}")
    return [tuple(int(s) for s in g) for g in np.array_split(np.asarray(ordered), n_folds)]


def validation_sessions(train_sessions: Sequence[int], fraction: float, rng: np.random.Generator) -> tuple:
    n_val = max(1, round(len(train_sessions) * fraction))
    if n_val >= len(train_sessions):
        raise ValueError("not enough training sessions to hold out a validation session")
    return tuple(sorted(int(s) for s in rng.choice(np.asarray(train_sessions), size=n_val, replace=False)))


def _fold_from_sessions(index: int, sessions: pd.Series, test: tuple, val_fraction: float, seed: int) -> Fold:
    train_pool = sorted(set(sessions.unique()) - set(test))
    val = validation_sessions(train_pool, val_fraction, np.random.default_rng(seed + index))
    train = tuple(s for s in train_pool if s not in val)
    positions = np.arange(len(sessions))
    return Fold(
        index=index,
        train=positions[sessions.isin(train).to_numpy()],
        val=positions[sessions.isin(val).to_numpy()],
        test=positions[sessions.isin(test).to_numpy()],
        train_sessions=tuple(int(s) for s in train),
        val_sessions=val,
        test_sessions=tuple(int(s) for s in test),
    )


def session_folds(
    sessions: Sequence[int] | pd.Series,
    n_folds: int | None = None,
    corpus: str = "KEMDy19",
    test_sessions: Sequence[int] | None = None,
    val_fraction: float = 0.15,
    seed: int = 0,
) -> list[Fold]:
    """Outer folds of whole consecutive sessions, each with validation sessions from its training part.

    ``sessions`` holds the session of every row; folds index rows by position. With
    ``test_sessions`` a single split is made (MATE's ``--test_split``).
    """
    sessions = pd.Series(np.asarray(sessions, dtype=int))
    if test_sessions is not None:
        unknown = set(test_sessions) - set(sessions.unique())
        if unknown:
            raise ValueError(f"test sessions {sorted(unknown)} are not in the data")
        return [_fold_from_sessions(0, sessions, tuple(sorted(test_sessions)), val_fraction, seed)]
    n_folds = n_folds or default_n_folds(corpus, sessions.nunique())
    groups = session_groups(sessions, n_folds)
    return [_fold_from_sessions(i, sessions, g, val_fraction, seed) for i, g in enumerate(groups)]


def random_folds(n_rows: int, n_folds: int = 5, val_fraction: float = 0.15, seed: int = 0) -> list[Fold]:
    """Utterance-level random folds, kept only to reproduce the old, leaking numbers (warns)."""
    warnings.warn(RANDOM_SPLIT_WARNING, UserWarning, stacklevel=2)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_rows)
    folds = []
    for i, test in enumerate(np.array_split(order, n_folds)):
        rest = np.setdiff1d(order, test)
        rest = rng.permutation(rest)
        n_val = max(1, round(rest.size * val_fraction))
        folds.append(Fold(index=i, train=np.sort(rest[n_val:]), val=np.sort(rest[:n_val]), test=np.sort(test)))
    return folds
