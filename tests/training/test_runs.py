
import numpy as np
import pandas as pd
import pytest

from emotion_classifier.errors import InputError
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training import runs


def _fold_rows(fold: int, n: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed + fold)
    proba = rng.dirichlet(np.ones(len(EMOTIONS)), size=n)
    frame = pd.DataFrame({
        "segment_id": [f"Sess0{fold + 1}_script01_F00{i}" for i in range(n)],
        "fold": fold,
        "session": fold + 1,
        "kind": "script",
        "y_true": ["angry", "", "sad", "neutral"][:n],
    })
    for j, e in enumerate(EMOTIONS):
        frame[f"p_{e}"] = proba[:, j]
    frame["valence_true"] = rng.uniform(1, 5, n)
    frame["arousal_true"] = rng.uniform(1, 5, n)
    frame["valence_pred"] = np.nan
    frame["arousal_pred"] = rng.uniform(1, 5, n)
    return frame


def test_fold_predictions_accumulate_and_a_rerun_fold_replaces_its_old_rows(tmp_path):
    paths = runs.RunPaths(tmp_path / "run")
    assert runs.completed_folds(paths) == set()
    runs.store_fold_predictions(paths.oof, _fold_rows(1))
    runs.store_fold_predictions(paths.oof, _fold_rows(0))
    assert runs.completed_folds(paths) == {0, 1}
    runs.store_fold_predictions(paths.oof, _fold_rows(1, seed=5))
    stored = runs.read_oof(paths.oof)
    assert stored["fold"].tolist() == [0] * 4 + [1] * 4
    expected = pd.concat([_fold_rows(0), _fold_rows(1, seed=5)], ignore_index=True)
    np.testing.assert_allclose(stored["p_angry"], expected["p_angry"])
    assert stored["y_true"].tolist()[:4] == ["angry", "", "sad", "neutral"]  # '' stays '' (not NaN)
    assert stored["valence_pred"].isna().all()
    assert list(stored.columns) == list(runs.OOF_COLUMNS)
    assert not list(paths.root.glob(".*tmp")), "no temporary file left behind"


def test_missing_columns_are_reported_with_the_file(tmp_path):
    path = tmp_path / "oof_predictions.csv"
    _fold_rows(0).drop(columns=["p_sad"]).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"oof_predictions.csv:1: missing columns \['p_sad'\]"):
        runs.read_oof(path)


def test_resume_needs_the_same_settings_but_not_the_same_package_versions(tmp_path):
    paths = runs.RunPaths(tmp_path / "run")
    config = {"modality": "text", "train_config": {"epochs": 3, "seed": 1}, "versions": {"numpy": "1"}}
    runs.start_or_resume(paths, config)
    runs.start_or_resume(paths, {**config, "versions": {"numpy": "2"}})
    with pytest.raises(InputError, match=r"config.json: .*train_config differ"):
        runs.start_or_resume(paths, {**config, "train_config": {"epochs": 4, "seed": 1}})


def test_artifacts_fingerprint_follows_content_keys_not_timings():
    manifest = {"segments": {"sha256": "abc"}, "stages": {"text": {"key": "k1", "seconds": 1.0}},
                "changes": {"added": []}, "data": "/a"}
    rerun = {**manifest, "stages": {"text": {"key": "k1", "seconds": 0.01}}, "changes": {}, "data": "/b"}
    recomputed = {**manifest, "stages": {"text": {"key": "k2", "seconds": 1.0}}}
    fingerprint = runs.artifacts_fingerprint(manifest)
    assert runs.artifacts_fingerprint(rerun) == fingerprint
    assert runs.artifacts_fingerprint(recomputed) != fingerprint
    assert runs.artifacts_fingerprint({**manifest, "segments": {"sha256": "abd"}}) != fingerprint


def test_histories_are_read_back_by_fold_number(tmp_path):
    paths = runs.RunPaths(tmp_path)
    for fold, epochs in ((10, 3), (2, 1)):
        runs.write_table(paths.history(fold), pd.DataFrame({"epoch": range(1, epochs + 1), "loss": 1.0}))
    histories = paths.histories()
    assert list(histories) == [2, 10] and len(histories[10]) == 3 and list(histories[2].columns) == ["epoch", "loss"]
    assert runs.RunPaths(tmp_path / "empty").histories() == {}
