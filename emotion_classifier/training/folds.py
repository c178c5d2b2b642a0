"""Session-wise folds: the only split that does not leak speakers or scripts.

Each KEMDy session is its own pair of people, so a test fold made of whole sessions contains
no voice, body or (for improvised dialogues) wording seen in training. The inner validation
split, used for early stopping and every other choice, is also made of whole training sessions.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.errors import InputError

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


KEMDY20_FOLD_SESSIONS = 8
"""Test sessions per KEMDy20 fold (five folds on its 40 sessions, as published work splits it)."""


def default_n_folds(corpus: str, n_sessions: int) -> int:
    """KEMDy19: five folds (four sessions each on the full corpus); KEMDy20: folds of eight sessions."""
    if corpus == "KEMDy20":
        return max(2, math.ceil(n_sessions / KEMDY20_FOLD_SESSIONS))
    return min(5, n_sessions)


def default_session_groups(sessions: Iterable[int], corpus: str) -> list[tuple[int, ...]]:
    """The test sessions of each fold when the user asked for no fold count.

    KEMDy20: consecutive runs of eight sessions whatever the session count (a subset of the corpus
    keeps the published fold size; the last fold holds the remainder, so it may be smaller); with
    eight sessions or fewer, two folds. KEMDy19: `session_groups` of `default_n_folds` folds.
    """
    ordered = sorted(set(int(s) for s in sessions))
    size = KEMDY20_FOLD_SESSIONS
    if corpus != "KEMDy20" or len(ordered) <= size:
        return session_groups(ordered, default_n_folds(corpus, len(ordered)))
    return [tuple(ordered[start:start + size]) for start in range(0, len(ordered), size)]


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


def _fold_from_sessions(index: int, sessions: pd.Series, test: tuple, val_fraction: float, seed: int,
                        val: tuple | None = None) -> Fold:
    train_pool = sorted(set(sessions.unique()) - set(test))
    if val is None:
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
    groups = session_groups(sessions, n_folds) if n_folds else default_session_groups(sessions, corpus)
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


FOLDS_FILE_EXAMPLE = '[{"test": [1, 2, 3, 4]}, {"test": [5, 6, 7, 8], "val": [9]}, ...]'


def _session_numbers(value: object) -> tuple[int, ...] | None:
    """A JSON list of session numbers as a sorted tuple; None when it is not one (or is empty)."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in value):
        return None
    return tuple(sorted(set(value)))


def _fold_spec(index: int, entry: object, path: Path) -> dict:
    """One entry of a folds file as ``{"test": (...), "val": (...) | None}``, its shape checked."""
    if not isinstance(entry, dict):
        raise InputError(f'fold {index}: expected an object like {{"test": [1, 2, 3, 4]}}, got {entry!r}', path)
    unknown = sorted(set(entry) - {"test", "val"})
    if unknown:
        raise InputError(f'fold {index}: unknown keys {unknown} (a fold has "test" and optionally "val")', path)
    spec = {"test": _session_numbers(entry.get("test")), "val": None}
    if spec["test"] is None:
        raise InputError(f'fold {index}: "test" must be a non-empty list of session numbers', path)
    if "val" in entry:
        spec["val"] = _session_numbers(entry["val"])
        if spec["val"] is None:
            raise InputError(f'fold {index}: "val" must be a non-empty list of session numbers', path)
        both = sorted(set(spec["test"]) & set(spec["val"]))
        if both:
            raise InputError(f'fold {index}: sessions {both} are in both "test" and "val"', path)
    return spec


def read_folds_file(path: str | Path) -> list[dict]:
    """A published fold list (``--folds-file``): JSON ``[{"test": [sessions], "val": [sessions]}, ...]``.

    Published splits let scores be compared with other work fold for fold, so the file is taken
    as written; what it could get wrong (an empty fold, a session tested twice) is refused here
    with one line, before any training. Whether the sessions exist is checked by `folds_from_list`.
    """
    path = Path(path)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("folds file not found", path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON ({exc.msg})", path, exc.lineno) from None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"expected a non-empty JSON list of folds, e.g. {FOLDS_FILE_EXAMPLE}", path)
    specs = [_fold_spec(i, entry, path) for i, entry in enumerate(entries)]
    tested: dict[int, int] = {}
    for i, spec in enumerate(specs):
        for session in spec["test"]:
            if session in tested:
                raise InputError(f"session {session} is a test session of fold {tested[session]} and of fold {i}",
                                 path)
            tested[session] = i
    return specs


def folds_from_list(sessions: Sequence[int] | pd.Series, specs: Sequence[dict], *, val_fraction: float = 0.15,
                    seed: int = 0, source: str | Path = "folds file") -> list[Fold]:
    """Folds of a published list (`read_folds_file`) over rows whose sessions are ``sessions``.

    A fold without ``"val"`` gets validation sessions drawn from its training sessions exactly as
    `session_folds` draws them, so a list equal to the default plan gives the default folds.
    """
    sessions = pd.Series(np.asarray(sessions, dtype=int))
    known = set(int(s) for s in sessions.unique())
    folds = []
    for i, spec in enumerate(specs):
        unknown = sorted((set(spec["test"]) | set(spec["val"] or ())) - known)
        if unknown:
            raise InputError(f"fold {i}: sessions {unknown} are not in the data", source)
        try:
            fold = _fold_from_sessions(i, sessions, spec["test"], val_fraction, seed, spec["val"])
        except ValueError as exc:
            raise InputError(f"fold {i}: {exc}", source) from None
        if not fold.train_sessions:
            raise InputError(f"fold {i}: no training sessions are left besides its test and val sessions", source)
        folds.append(fold)
    return folds


def fold_records(folds: Sequence[Fold], segment_ids: Sequence[str]) -> list[dict]:
    """What ``folds.json`` holds: each fold's sessions and counts, and its val and test rows by segment id.

    The ids make ``folds.json`` the folds' source of truth: re-scoring reads the rows from it
    instead of planning them again (which a random split or a moved folds file could not repeat).
    """
    ids = np.asarray(segment_ids, dtype=str)
    return [{**f.to_dict(), "val_segment_ids": ids[f.val].tolist(), "test_segment_ids": ids[f.test].tolist()}
            for f in folds]


def _record_rows(record: dict, part: str, position: dict, table: pd.DataFrame, eligible: np.ndarray,
                 source: Path) -> np.ndarray:
    """Row positions of one part of a ``folds.json`` fold: by segment id, else by session (older files)."""
    ids = record.get(f"{part}_segment_ids")
    if ids is None:
        in_sessions = table["session"].isin(record.get(f"{part}_sessions") or []).to_numpy()
        return np.flatnonzero(eligible & in_sessions)
    missing = [s for s in ids if s not in position]
    if missing:
        raise InputError(f"fold {record.get('fold')}: {len(missing)} {part} segments are not in the artifacts "
                         f"(first: {missing[0]})", source)
    rows = np.sort(np.asarray([position[s] for s in ids], dtype=int))
    if not eligible[rows].all():
        raise InputError(f"fold {record.get('fold')}: some {part} segments are unlabelled or lack this modality "
                         "in the artifacts", source)
    return rows


def folds_from_records(records: Sequence[dict], table: pd.DataFrame, eligible: np.ndarray,
                       source: str | Path = "folds.json") -> list[Fold]:
    """The folds a run was trained on, rebuilt from its ``folds.json`` over ``table``'s rows.

    Training rows are the eligible rows that are neither validation nor test rows (true of every
    plan). Each fold's row counts must equal the stored ones: otherwise the file does not describe
    these artifacts, and re-scoring would compare different rows, so it is refused.
    """
    source = Path(source)
    position = {s: i for i, s in enumerate(table["segment_id"].astype(str))}
    folds = []
    for record in records:
        val = _record_rows(record, "val", position, table, eligible, source)
        test = _record_rows(record, "test", position, table, eligible, source)
        train = np.setdiff1d(np.flatnonzero(eligible), np.union1d(val, test))
        fold = Fold(int(record["fold"]), train, val, test, tuple(record.get("train_sessions", ())),
                    tuple(record.get("val_sessions", ())), tuple(record.get("test_sessions", ())))
        counts = {p: getattr(fold, p).size for p in ("train", "val", "test")}
        stored = {p: record.get(f"n_{p}") for p in ("train", "val", "test")}
        if counts != stored:
            raise InputError(f"fold {fold.index}: its rows do not match the artifacts ({stored} in the file, "
                             f"{counts} here)", source)
        folds.append(fold)
    return folds
