import keras
import numpy as np
import pytest

from emotion_classifier.models import ClassBalancedLoss, class_balanced_weights


def test_class_balanced_weights_follow_the_effective_number_formula():
    counts = np.array([100, 10, 1])
    beta = 0.9
    raw = (1 - beta) / (1 - beta ** counts.astype(float))
    expected = raw / raw.sum() * 3
    np.testing.assert_allclose(class_balanced_weights(counts, beta), expected)
    assert class_balanced_weights(counts, beta)[2] > class_balanced_weights(counts, beta)[0]


def test_class_without_rows_gets_zero_weight_and_bad_beta_is_refused():
    weights = class_balanced_weights([5, 0, 20], 0.99)
    assert weights[1] == 0 and weights.sum() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="beta"):
        class_balanced_weights([1, 2], 1.0)


def _reference_loss(counts, beta, gamma, y, p):
    weights = class_balanced_weights(counts, beta)
    p_true = p[np.arange(len(y)), y]
    return np.mean(-weights[y] * (1 - p_true) ** gamma * np.log(p_true))


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_class_balanced_loss_value_matches_the_formula(gamma):
    counts, beta = [50, 5, 10], 0.99
    y = np.array([0, 1, 2, 1])
    p = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8], [0.05, 0.9, 0.05]], dtype="float32")
    loss = ClassBalancedLoss(counts, beta=beta, gamma=gamma)
    assert float(loss(y, p)) == pytest.approx(_reference_loss(counts, beta, gamma, y, p), rel=1e-5)


def test_class_balanced_loss_serialises_with_its_settings():
    loss = ClassBalancedLoss([3, 4, 5], beta=0.9, gamma=1.0)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(again, ClassBalancedLoss)
    assert (again.class_counts, again.beta, again.gamma) == ([3, 4, 5], 0.9, 1.0)
