import numpy as np
import pandas as pd
from matplotlib.image import imread

from emotion_classifier.labels import EMOTIONS
from emotion_classifier.reporting.plots import plot_per_class_f1_comparison, plot_valence_arousal


def test_per_class_comparison_draws_one_bar_per_model_and_emotion(tmp_path):
    scores = {m: {e: 0.1 * i for i, e in enumerate(EMOTIONS)} for m in ("text", "speech")}
    scores["bio"] = {e: None for e in EMOTIONS}  # a model without scores still gets its (empty) bars
    path = plot_per_class_f1_comparison(scores, tmp_path / "f1" / "bars.png")
    assert imread(path).shape[0] > 100


def test_valence_arousal_scatter_only_where_there_are_predictions(tmp_path):
    rng = np.random.default_rng(0)
    truth = rng.uniform(1, 5, 50)
    table = pd.DataFrame({"valence_true": truth, "valence_pred": truth + rng.normal(0, 0.5, 50),
                          "arousal_true": truth, "arousal_pred": np.nan})
    one_panel = imread(plot_valence_arousal(table, tmp_path / "va.png"))
    table["arousal_pred"] = truth
    two_panels = imread(plot_valence_arousal(table, tmp_path / "va2.png"))
    assert two_panels.shape[1] > 1.5 * one_panel.shape[1]
    table[["valence_pred", "arousal_pred"]] = np.nan
    assert plot_valence_arousal(table, tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()
