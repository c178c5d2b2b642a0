import numpy as np
import pytest

from emotion_classifier.models import class_balanced_weights
from emotion_classifier.training.balance import BALANCE_MODES, balance_training_set, class_weights


def _imbalanced(n_per_class=(40, 12, 6), n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    x = rng.normal(size=(y.size, n_features)) + 10 * y[:, None]
    return x, y


def test_class_weight_is_n_over_classes_times_count():
    x, y = _imbalanced()
    n, k = y.size, 3
    assert class_weights(y) == pytest.approx({0: n / (k * 40), 1: n / (k * 12), 2: n / (k * 6)})
    result = balance_training_set("class_weight", x, y)
    np.testing.assert_allclose(result.sample_weight[y == 2], n / (k * 6))
    assert result.info["class_weight"]["fear"] == pytest.approx(n / (k * 6))  # class id 2 is "fear"
    assert np.array_equal(result.x, x) and result.info["synthetic_rows"] == 0


def test_smote_keeps_real_rows_first_and_interpolates_within_each_class():
    x, y = _imbalanced()
    result = balance_training_set("smote", x, y, seed=3)
    assert np.bincount(result.y).tolist() == [40, 40, 40]
    np.testing.assert_array_equal(result.x[: y.size], x)
    np.testing.assert_array_equal(result.source[: y.size], np.arange(y.size))
    synthetic = result.source == -1
    assert synthetic.sum() == result.info["synthetic_rows"] == 28 + 34
    for c in (1, 2):
        rows = result.x[synthetic & (result.y == c)]
        own = x[y == c]
        assert (rows >= own.min(axis=0) - 1e-9).all() and (rows <= own.max(axis=0) + 1e-9).all()
    assert "real rows only" in result.info["regression_targets"]


def test_smote_is_refused_for_sequences():
    x = np.zeros((10, 5, 2))
    with pytest.raises(ValueError, match="fixed-length"):
        balance_training_set("smote", x, np.array([0] * 7 + [1] * 3), sequence=True)


def test_smote_leaves_a_single_row_class_alone_and_says_so():
    x, y = _imbalanced((20, 4, 1))
    result = balance_training_set("smote", x, y)
    assert np.bincount(result.y).tolist() == [20, 20, 1]
    assert result.info["not_resampled"] == ["fear"]


def test_oversampling_copies_training_rows_of_sequences():
    rng = np.random.default_rng(0)
    y = np.array([0] * 9 + [1] * 3)
    x = rng.normal(size=(12, 6, 2))
    result = balance_training_set("oversample", x, y, seed=1, sequence=True)
    assert np.bincount(result.y).tolist() == [9, 9]
    np.testing.assert_array_equal(result.x, x[result.source])
    np.testing.assert_array_equal(result.y, y[result.source])
    assert result.info["duplicated_rows"] == 6


def test_cb_loss_and_none_leave_rows_alone_and_record_the_weights():
    x, y = _imbalanced()
    cb = balance_training_set("cb_loss", x, y, cb_beta=0.9, n_classes=3)
    np.testing.assert_array_equal(cb.x, x)
    assert list(cb.info["cb_weights"].values()) == pytest.approx(class_balanced_weights([40, 12, 6], 0.9))
    none = balance_training_set("none", x, y)
    assert (none.sample_weight == 1).all() and none.info["counts_after"] == none.info["counts_before"]


def test_resampling_is_deterministic_for_a_seed_and_unknown_modes_fail():
    x, y = _imbalanced()
    for mode in ("smote", "oversample"):
        a, b = balance_training_set(mode, x, y, seed=5), balance_training_set(mode, x, y, seed=5)
        np.testing.assert_array_equal(a.x, b.x)
    assert set(BALANCE_MODES) == {"class_weight", "smote", "oversample", "cb_loss", "none"}
    with pytest.raises(ValueError, match="balance mode"):
        balance_training_set("undersample", x, y)
