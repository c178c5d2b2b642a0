import numpy as np
import pandas as pd

from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.plots import (
    plot_confusion_matrix,
    plot_per_class_f1,
    plot_training_curves,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path):
    return path.exists() and path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 2000


def test_each_plot_writes_a_png_into_a_new_folder(tmp_path):
    rng = np.random.default_rng(0)
    y_true = rng.choice(EMOTIONS, 60)
    y_pred = np.where(rng.random(60) < 0.5, y_true, rng.choice(EMOTIONS, 60))
    histories = {k: pd.DataFrame({"loss": np.linspace(2, 1, 5) + k, "val_loss": np.linspace(2, 1.5, 5)})
                 for k in range(3)}
    per_class = {e: {"mean": 0.1 * i, "sd": None if i == 0 else 0.05} for i, e in enumerate(EMOTIONS)}
    outputs = [
        plot_confusion_matrix(y_true, y_pred, tmp_path / "plots" / "cm.png"),
        plot_training_curves(histories, tmp_path / "plots" / "curves.png"),
        plot_per_class_f1(per_class, tmp_path / "plots" / "f1.png"),
    ]
    assert all(_is_png(p) for p in outputs)


def test_curves_accept_histories_without_validation_loss(tmp_path):
    path = plot_training_curves({0: pd.DataFrame({"loss": [1.0, 0.5]})}, tmp_path / "c.png")
    assert _is_png(path)


def test_plotting_leaves_the_pyplot_state_alone(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_confusion_matrix(["angry", "sad"], ["angry", "angry"], tmp_path / "cm.png")
    assert plt.get_fignums() == before
