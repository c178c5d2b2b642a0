import numpy as np
import pytest

from emotion_classifier.training.folds import random_folds, session_folds


def _sessions(n_sessions=20, per=7):
    return np.repeat(np.arange(1, n_sessions + 1), per)


def test_kemdy19_default_is_five_folds_of_four_consecutive_sessions():
    folds = session_folds(_sessions(), corpus="KEMDy19")
    assert [f.test_sessions for f in folds] == [(1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12),
                                                (13, 14, 15, 16), (17, 18, 19, 20)]


def test_no_session_in_two_places_and_every_row_tested_once():
    sessions = _sessions()
    folds = session_folds(sessions, seed=3)
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested.tolist()) == list(range(sessions.size))
    for f in folds:
        assert not set(f.test_sessions) & set(f.val_sessions)
        assert not set(f.train_sessions) & set(f.val_sessions)
        assert not set(f.train_sessions) & set(f.test_sessions)
        assert set(sessions[f.val]) == set(f.val_sessions)
        assert not set(sessions[f.train]) & set(sessions[f.test])
        assert len(f.train) + len(f.val) + len(f.test) == sessions.size


def test_kemdy20_folds_hold_eight_sessions():
    folds = session_folds(_sessions(40, 3), corpus="KEMDy20")
    assert len(folds) == 5 and all(len(f.test_sessions) == 8 for f in folds)


def test_single_split_from_test_sessions_and_unknown_session_rejected():
    (fold,) = session_folds(_sessions(), test_sessions=[1, 8, 9, 13])
    assert fold.test_sessions == (1, 8, 9, 13)
    with pytest.raises(ValueError, match="not in the data"):
        session_folds(_sessions(), test_sessions=[99])


def test_same_seed_same_validation_sessions():
    a = session_folds(_sessions(), seed=7)
    b = session_folds(_sessions(), seed=7)
    assert [f.val_sessions for f in a] == [f.val_sessions for f in b]


def test_random_split_warns_that_it_leaks():
    with pytest.warns(UserWarning, match="inflated"):
        folds = random_folds(100, 5)
    assert sorted(np.concatenate([f.test for f in folds]).tolist()) == list(range(100))
