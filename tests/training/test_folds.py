import json

import numpy as np
import pytest

from emotion_classifier.errors import InputError
from emotion_classifier.training.folds import folds_from_list, random_folds, read_folds_file, session_folds


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


@pytest.mark.parametrize(("n_sessions", "sizes"), [(12, [8, 4]), (20, [8, 8, 4]), (17, [8, 8, 1]), (8, [4, 4])])
def test_kemdy20_folds_hold_eight_sessions_for_any_session_count(n_sessions, sizes):
    folds = session_folds(_sessions(n_sessions, 3), corpus="KEMDy20")
    assert [len(f.test_sessions) for f in folds] == sizes
    assert [s for f in folds for s in f.test_sessions] == list(range(1, n_sessions + 1))  # consecutive, each once


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


def _folds_file(tmp_path, content):
    path = tmp_path / "folds.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_a_folds_file_equal_to_the_default_plan_gives_the_default_folds(tmp_path):
    sessions = _sessions()
    default = session_folds(sessions, seed=5)
    listed = [{"test": list(f.test_sessions)} for f in default]
    folds = folds_from_list(sessions, read_folds_file(_folds_file(tmp_path, listed)), seed=5)
    assert [f.to_dict() for f in folds] == [f.to_dict() for f in default]


def test_a_folds_file_is_taken_as_written_with_its_validation_sessions(tmp_path):
    sessions = _sessions()
    path = _folds_file(tmp_path, [{"test": [3, 17], "val": [20]}, {"test": [1, 2]}])
    first, second = folds_from_list(sessions, read_folds_file(path), seed=0)
    assert first.test_sessions == (3, 17) and first.val_sessions == (20,)
    assert set(sessions[first.train]) == set(range(1, 21)) - {3, 17, 20}
    assert second.test_sessions == (1, 2) and second.val_sessions and not set(second.val_sessions) & {1, 2}


@pytest.mark.parametrize(("content", "message"), [
    ("[{\"test\": [1, 2]", "not JSON"),
    ("[]", "non-empty JSON list"),
    ([{"test": []}], 'fold 0: "test" must be a non-empty list'),
    ([{"test": [1]}, {"val": [2]}], 'fold 1: "test" must be a non-empty list'),
    ([{"test": [1], "val": []}], 'fold 0: "val" must be a non-empty list'),
    ([{"test": ["1"]}], 'fold 0: "test" must be a non-empty list of session numbers'),
    ([{"test": [1, 2]}, {"test": [2, 3]}], "session 2 is a test session of fold 0 and of fold 1"),
    ([{"test": [1], "val": [1]}], r'fold 0: sessions \[1\] are in both'),
    ([{"test": [1], "train": [2]}], r"fold 0: unknown keys \['train'\]"),
])
def test_a_bad_folds_file_is_refused_with_one_line_naming_it(tmp_path, content, message):
    path = _folds_file(tmp_path, content)
    with pytest.raises(InputError, match=message) as caught:
        read_folds_file(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_folds_file_sessions_must_exist_and_leave_training_sessions(tmp_path):
    sessions = _sessions(4, 3)
    with pytest.raises(InputError, match=r"fold 1: sessions \[99\] are not in the data"):
        folds_from_list(sessions, [{"test": (1,), "val": None}, {"test": (2, 99), "val": None}], source="f.json")
    with pytest.raises(InputError, match="fold 0: no training sessions"):
        folds_from_list(sessions, [{"test": (1, 2), "val": (3, 4)}], source="f.json")
