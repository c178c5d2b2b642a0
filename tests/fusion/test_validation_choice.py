"""Every choice of a run (what `emotion predict` applies, the report's best row) is made on validation
sessions: relabelling the test rows cannot move it, relabelling the validation rows can."""

import dataclasses
import json
import shutil

import pandas as pd
import pytest
from fake_runs import fake_segments, poison_labels, predict, split_rows, write_fake_runs, write_modality_run

from emotion_classifier import registry
from emotion_classifier.fusion.early import EARLY_FUSION
from emotion_classifier.fusion.late import fuse_runs
from emotion_classifier.fusion.prediction_choice import (
    choose_prediction_fusion,
    equal_weights,
    fold_mean_weights,
    save_fusion_weights,
)
from emotion_classifier.reporting.report import BEST_MARK, SECTIONS, VALIDATION_COLUMN, write_report

MODALITIES = ("text", "speech", "bio")


def _runs(root):
    """Fake text/speech/bio runs and an early-fusion network run (every run writes val_predictions.csv)."""
    dirs = write_fake_runs(root)
    val_rows, oof_rows = split_rows(fake_segments())
    write_modality_run(root / EARLY_FUSION, EARLY_FUSION, predict(val_rows, 0.3, 90), predict(oof_rows, 0.3, 91))
    return [*dirs.values(), root / EARLY_FUSION]


def _decide(root, models):
    """Fuse, choose, write fusion.json and the report; return what each of them decided."""
    fuse_runs({m: root / m for m in MODALITIES}, root / "fusion")
    choice = choose_prediction_fusion(root, MODALITIES)
    written = json.loads(save_fusion_weights(models, **choice).read_text())
    section = write_report(root).read_text(encoding="utf-8").split(f"## {SECTIONS[1]}\n", 1)[1].split("\n### ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    table = pd.DataFrame([[c.strip() for c in r.strip("|").split("|")] for r in rows[1:]], columns=header)
    marked = table.loc[table["model"].str.endswith(BEST_MARK), "model"].tolist()
    return choice, written, marked, table[["model", VALIDATION_COLUMN]], table["macro-F1"].tolist()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("choice")
    runs = _runs(root / "run")
    return root, runs, _decide(root / "run", root / "models")


def test_the_choice_is_recorded_as_made_on_validation_sessions(clean):
    _, _, (choice, written, marked, _, _) = clean
    assert written["selection"] == "validation" == choice["selection"]
    assert "validation sessions" in written["reason"] and "cross-fitted" in written["reason"]
    assert written["method"] in ("soft_vote", "weighted_vote", EARLY_FUSION)
    assert len(marked) == 1


def test_poisoned_test_labels_change_no_choice(clean, tmp_path):
    root, runs, (choice, written, marked, validation, test_scores) = clean
    copy = shutil.copytree(root / "run", tmp_path / "run")  # same folder name: the report title matches
    for folder in runs:
        poison_labels(copy / folder.name, "oof", seed=1)
    poisoned = _decide(copy, tmp_path / "models")
    assert poisoned[4] != test_scores  # the test scores did move...
    assert {k: v for k, v in poisoned[0].items() if k != "run"} == {k: v for k, v in choice.items() if k != "run"}
    assert {k: v for k, v in poisoned[1].items() if k != "run"} == {k: v for k, v in written.items() if k != "run"}
    assert poisoned[2] == marked  # ...and the best row did not
    pd.testing.assert_frame_equal(poisoned[3], validation)


def test_poisoned_validation_labels_can_change_the_choice(clean, tmp_path):
    root, runs, (choice, written, marked, validation, _) = clean
    copy = shutil.copytree(root / "run", tmp_path / "run")
    for folder in runs:
        poison_labels(copy / folder.name, "val", seed=1)
    poisoned = _decide(copy, tmp_path / "models")
    assert poisoned[0]["scores"] != choice["scores"]
    assert poisoned[1]["reason"] != written["reason"]
    assert not poisoned[3].equals(validation)
    # with these seeds the choice and the mark both move (fake runs are deterministic)
    assert poisoned[0]["method"] != choice["method"] and poisoned[2] != marked


def test_prediction_applies_learnt_weights_only_for_a_method_registered_with_them(tmp_path, monkeypatch):
    root = tmp_path / "run"
    fuse_runs(write_fake_runs(root), root / "fusion", methods=("weighted_vote",))
    learnt = choose_prediction_fusion(root, MODALITIES, early_fusion=False)
    fold_mean = fold_mean_weights(root / "fusion" / "weighted_vote")
    assert learnt["late_method"] == "weighted_vote" and learnt["weights"] == fold_mean != equal_weights(MODALITIES)
    entry = registry.fusion_method("weighted_vote")
    monkeypatch.setitem(registry._FUSION_METHODS, "weighted_vote", dataclasses.replace(entry, learnt_weights=False))
    assert choose_prediction_fusion(root, MODALITIES, early_fusion=False)["weights"] == equal_weights(MODALITIES)
