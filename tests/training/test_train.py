"""The training protocol: leakage, coverage, stored files, resume, re-scoring, determinism, CLI.

Protocol tests use a stand-in estimator (class priors of its training rows) that records what it
was fitted on; the tests at the end train the real Keras estimators on a tiny generated corpus.
"""

import json

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.cli import main
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.errors import InputError
from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
from emotion_classifier.files import json_safe
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training import runs, train
from emotion_classifier.training.estimators import Prediction, TrainConfig, modality_inputs
from emotion_classifier.training.metrics import (
    classification_scores,
    folds_table,
    predicted_labels,
    score_predictions,
)

N_FOLDS = 3


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=10, seed=1)
    prepare(root / "corpus", root / "artifacts", PrepareConfig(jobs=1), progress=False)
    return root / "artifacts"


class PriorModel:
    """Stand-in estimator: predicts the class priors of its training rows, tilted per row."""

    fits: list = []

    def __init__(self, modality, config):
        self.modality, self.config = modality, config

    def fit(self, inputs, train_idx, val_idx):
        type(self).fits.append({"train": np.asarray(train_idx), "val": np.asarray(val_idx)})
        labels = inputs.y[np.asarray(train_idx)]
        counts = np.array([(labels == e).sum() for e in EMOTIONS], dtype=float) + 1.0
        self.prior_ = counts / counts.sum()
        self.history_ = pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.8], "val_loss": [1.1, 1.0]})
        return self

    def predict(self, inputs, idx):
        idx = np.asarray(idx)
        proba = self.prior_ * (1.0 + 0.5 * np.sin(idx)[:, None] * np.linspace(-1, 1, len(EMOTIONS)))
        proba = proba / proba.sum(axis=1, keepdims=True)
        return Prediction(proba, np.full(idx.size, 3.0) + np.cos(idx), np.full(idx.size, np.nan))

    def save(self, folder, name, fmt="keras"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.json").write_text(json.dumps({"prior": self.prior_.tolist(), "fmt": fmt}))

    @classmethod
    def load(cls, folder, name):
        model = cls("", None)
        model.prior_ = np.asarray(json.loads((folder / f"{name}.json").read_text())["prior"])
        return model


class CrashInFold2(PriorModel):
    def fit(self, inputs, train_idx, val_idx):
        if len(type(self).fits) == 2:
            raise RuntimeError("simulated crash in fold 2")
        return super().fit(inputs, train_idx, val_idx)


@pytest.fixture
def stand_in(monkeypatch):
    def use(model_class):
        model_class.fits = []
        monkeypatch.setattr(train, "make_model", lambda modality, config: model_class(modality, config))
        monkeypatch.setattr(train, "load_model", model_class.load)
        return model_class

    return use


def _train(artifacts, tmp_path, modality="bio", run="run", **kwargs):
    kwargs.setdefault("n_folds", N_FOLDS)
    config = kwargs.pop("config", TrainConfig(epochs=2, seed=0))
    return train.train_modality(artifacts, modality, config, tmp_path / run / modality,
                                models_dir=tmp_path / "models", progress=False, **kwargs)


def _eligible(artifacts, modality):
    inputs = modality_inputs(load_artifacts(artifacts), modality)
    return inputs, (inputs.y != "") & inputs.available


def test_fold_rows_never_share_sessions_and_the_model_sees_only_training_rows(artifacts, tmp_path, stand_in):
    model = stand_in(PriorModel)
    _train(artifacts, tmp_path)
    inputs, eligible = _eligible(artifacts, "bio")
    sessions = inputs.table["session"].to_numpy()
    folds = json.loads((tmp_path / "run" / "bio" / "folds.json").read_text())
    oof = runs.read_oof(tmp_path / "run" / "bio" / "oof_predictions.csv")
    assert len(folds) == N_FOLDS and len(model.fits) == N_FOLDS + 1  # + the final model
    for fold, fit in zip(folds, model.fits, strict=False):
        train_s, val_s, test_s = (set(fold[f"{p}_sessions"]) for p in ("train", "val", "test"))
        assert not (train_s & val_s or train_s & test_s or val_s & test_s)
        assert set(sessions[fit["train"]]) <= train_s and set(sessions[fit["val"]]) <= val_s
        assert set(oof.loc[oof["fold"] == fold["fold"], "session"]) <= test_s
        assert eligible[fit["train"]].all() and eligible[fit["val"]].all()
        assert len(fit["train"]) == fold["n_train"] and len(fit["val"]) == fold["n_val"]
    final = model.fits[-1]
    assert not set(sessions[final["train"]]) & set(sessions[final["val"]])
    assert sorted([*final["train"], *final["val"]]) == np.flatnonzero(eligible).tolist()


def test_oof_predictions_cover_every_labelled_row_with_the_modality_once(artifacts, tmp_path, stand_in):
    stand_in(PriorModel)
    metrics = _train(artifacts, tmp_path, modality="text")
    inputs, eligible = _eligible(artifacts, "text")
    run = runs.RunPaths(tmp_path / "run" / "text")
    oof = runs.read_oof(run.oof)
    expected = inputs.table["segment_id"].to_numpy()[eligible]
    assert sorted(oof["segment_id"]) == sorted(expected) and not oof["segment_id"].duplicated().any()
    assert (oof["y_true"].to_numpy() != "").all()
    np.testing.assert_allclose(oof[[f"p_{e}" for e in EMOTIONS]].sum(axis=1), 1.0)
    val = runs.read_oof(run.val)
    assert set(val["fold"]) == set(range(N_FOLDS))
    for fold, block in val.groupby("fold"):
        assert not set(block["session"]) & set(oof.loc[oof["fold"] == fold, "session"])
    skipped = metrics["skipped"]
    assert sum(entry["count"] for entry in skipped.values()) + eligible.sum() == len(inputs.table)
    ties = inputs.table["segment_id"][(inputs.y == "") & (inputs.table["n_labels"] > 1)]
    assert skipped["tie_dropped"]["segment_ids"] == ties.tolist()


def test_metrics_files_agree_with_the_stored_predictions(artifacts, tmp_path, stand_in):
    stand_in(PriorModel)
    returned = _train(artifacts, tmp_path)
    run = runs.RunPaths(tmp_path / "run" / "bio")
    stored = json.loads(run.metrics.read_text())
    rescored = json.loads(json.dumps(json_safe(score_predictions(runs.read_oof(run.oof)))))
    assert {k: v for k, v in stored.items() if k not in ("modality", "split", "skipped")} == rescored
    assert stored["modality"] == "bio" and stored == json.loads(json.dumps(json_safe(returned)))
    table = pd.read_csv(run.metrics_folds)
    pd.testing.assert_frame_equal(table, folds_table(stored), check_dtype=False)
    for k in range(N_FOLDS):
        assert pd.read_csv(run.history(k))["loss"].tolist() == [1.0, 0.8]
        assert (run.models / f"fold{k}.json").exists()
    for png in (run.confusion_png, run.curves_png, run.per_class_png):
        assert png.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "models" / "bio.json").exists()
    config = json.loads(run.config.read_text())
    assert config["train_config"] == TrainConfig(epochs=2, seed=0).to_dict()
    assert config["artifacts_fingerprint"] == runs.artifacts_fingerprint(load_artifacts(artifacts).manifest)
    assert config["split"] == "session"


def test_a_crash_in_fold_2_keeps_folds_0_and_1_and_a_rerun_trains_the_rest(artifacts, tmp_path, stand_in):
    stand_in(CrashInFold2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _train(artifacts, tmp_path, run="crashed")
    run = runs.RunPaths(tmp_path / "crashed" / "bio")
    assert runs.completed_folds(run) == {0, 1} and not run.metrics.exists()
    assert run.history(1).exists() and not run.history(2).exists()
    model = stand_in(PriorModel)
    _train(artifacts, tmp_path, run="crashed")
    assert len(model.fits) == N_FOLDS - 2 + 1  # fold 2 and the final model only
    _train(artifacts, tmp_path, run="whole")
    resumed = runs.read_oof(run.oof)
    pd.testing.assert_frame_equal(resumed, runs.read_oof(tmp_path / "whole" / "bio" / "oof_predictions.csv"))


def test_a_rerun_with_other_settings_is_refused(artifacts, tmp_path, stand_in):
    stand_in(PriorModel)
    _train(artifacts, tmp_path)
    with pytest.raises(InputError, match="config.json: .*other settings"):
        _train(artifacts, tmp_path, config=TrainConfig(epochs=3, seed=0))


def test_a_rewritten_manifest_with_the_same_artifacts_keeps_the_run_resumable(artifacts, tmp_path, stand_in):
    model = stand_in(PriorModel)
    _train(artifacts, tmp_path)
    path = artifacts / "manifest.json"
    original = path.read_text(encoding="utf-8")
    manifest = json.loads(original)
    for section in manifest["stages"].values():  # what a cached rerun of prepare may rewrite
        section["seconds"] = 123.0
    manifest["changes"] = {"added": [], "removed": [], "modified": []}
    try:
        path.write_text(json.dumps(manifest), encoding="utf-8")
        model.fits.clear()
        _train(artifacts, tmp_path)
        assert len(model.fits) == 1  # only the final model: every fold was kept
        assert train.evaluate_run(tmp_path / "run" / "bio")["matches_stored"]
        manifest["stages"]["audio"]["key"] = "recomputed"
        path.write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(InputError, match="manifest.json: these artifacts differ"):
            train.evaluate_run(tmp_path / "run" / "bio")
    finally:
        path.write_text(original, encoding="utf-8")


def test_evaluate_run_rescores_fold_models_and_notices_a_changed_prediction(artifacts, tmp_path, stand_in):
    stand_in(PriorModel)
    metrics = _train(artifacts, tmp_path)
    run = runs.RunPaths(tmp_path / "run" / "bio")
    result = train.evaluate_run(run.root)
    assert result["matches_stored"] and result["max_abs_difference"] < 1e-9
    assert result["metrics"]["summary"]["macro_f1"] == metrics["summary"]["macro_f1"]
    oof = runs.read_oof(run.oof)
    oof.loc[3, "p_sad"] += 0.01
    oof.to_csv(run.oof, index=False)
    assert not train.evaluate_run(run.root)["matches_stored"]


def test_single_split_random_split_and_unknown_sessions(artifacts, tmp_path, stand_in):
    stand_in(PriorModel)
    metrics = _train(artifacts, tmp_path, run="single", n_folds=None, test_sessions=[2, 5])
    assert [f["fold"] for f in metrics["folds"]] == [0]
    folds = json.loads((tmp_path / "single" / "bio" / "folds.json").read_text())
    assert folds[0]["test_sessions"] == [2, 5]
    with pytest.warns(UserWarning, match="inflated"):
        random = _train(artifacts, tmp_path, run="random", split="random")
    assert random["split"] == "random" and len(random["folds"]) == N_FOLDS
    with pytest.raises(InputError, match=r"segments.csv: test sessions \[99\] are not in the data"):
        _train(artifacts, tmp_path, run="bad", n_folds=None, test_sessions=[99])


def _write_folds_file(tmp_path, folds):
    path = tmp_path / "published_folds.json"
    path.write_text(json.dumps(folds), encoding="utf-8")
    return path


def test_a_folds_file_decides_the_folds_of_training_and_of_re_scoring(artifacts, tmp_path, stand_in):
    model = stand_in(PriorModel)
    path = _write_folds_file(tmp_path, [{"test": [2, 9], "val": [4]}, {"test": [1, 6, 7]}])
    _train(artifacts, tmp_path, n_folds=None, folds_file=path, final_model=False)
    run = runs.RunPaths(tmp_path / "run" / "bio")
    inputs, _ = _eligible(artifacts, "bio")
    sessions = inputs.table["session"].to_numpy()
    oof = runs.read_oof(run.oof)
    tested = {fold: set(rows["session"]) for fold, rows in oof.groupby("fold")}
    assert tested == {0: {2, 9}, 1: {1, 6, 7}}
    assert set(sessions[model.fits[0]["val"]]) == {4} and not set(sessions[model.fits[0]["train"]]) & {2, 9, 4}
    assert json.loads(run.config.read_text())["fold_list"][0] == {"test": [2, 9], "val": [4]}
    assert train.evaluate_run(run.root)["matches_stored"]
    with pytest.raises(InputError, match="published_folds.json: a folds file is the whole fold plan"):
        _train(artifacts, tmp_path, run="both", n_folds=2, folds_file=path)
    bad = _write_folds_file(tmp_path, [{"test": [1, 99]}])
    with pytest.raises(InputError, match=r"published_folds.json: fold 0: sessions \[99\] are not in the data"):
        _train(artifacts, tmp_path, run="bad", n_folds=None, folds_file=bad)


def test_evaluate_reads_the_fold_rows_from_folds_json_and_refuses_rows_that_do_not_match(artifacts, tmp_path,
                                                                                          stand_in):
    stand_in(PriorModel)
    _train(artifacts, tmp_path)
    run = runs.RunPaths(tmp_path / "run" / "bio")
    original = json.loads(run.folds.read_text())
    swapped = [dict(fold) for fold in original]  # fold 0's model now scores fold 1's test rows
    for key in ("test_segment_ids", "n_test", "val_segment_ids", "n_val", "n_train"):
        swapped[0][key], swapped[1][key] = original[1][key], original[0][key]
    run.folds.write_text(json.dumps(swapped), encoding="utf-8")
    assert not train.evaluate_run(run.root)["matches_stored"]  # re-planning from the seed would still match
    broken = [dict(fold) for fold in original]
    broken[0]["test_segment_ids"] = broken[0]["test_segment_ids"][1:]
    run.folds.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(InputError, match="folds.json: fold 0: its rows do not match the artifacts"):
        train.evaluate_run(run.root)
    broken[0]["test_segment_ids"] = ["Sess99_nowhere", *original[0]["test_segment_ids"]]
    run.folds.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(InputError, match="folds.json: fold 0: 1 test segments are not in the artifacts"):
        train.evaluate_run(run.root)



def _shared_transcripts(artifacts, run_dir, fits) -> list[set]:
    """Per fold, the transcripts of the rows fitted on that equal a transcript of the fold's test sessions."""
    table = load_artifacts(artifacts).table
    texts = table["text"].fillna("").astype(str).str.strip().to_numpy()
    sessions = table["session"].to_numpy()
    folds = json.loads((run_dir / "folds.json").read_text())
    shared = []
    for fold, fit in zip(folds, fits, strict=False):
        tested = set(texts[np.isin(sessions, fold["test_sessions"])]) - {""}
        shared.append(set(texts[np.concatenate([fit["train"], fit["val"]])]) & tested)
    return shared


def test_dedup_text_leaves_no_test_transcript_in_training_and_counts_what_it_dropped(artifacts, tmp_path, stand_in):
    model = stand_in(PriorModel)
    _train(artifacts, tmp_path, run="plain", modality="text", final_model=False)
    assert any(_shared_transcripts(artifacts, tmp_path / "plain" / "text", model.fits))  # scripted lines repeat
    plain = json.loads((tmp_path / "plain" / "text" / "folds.json").read_text())
    model.fits.clear()
    metrics = _train(artifacts, tmp_path, run="dedup", modality="text", final_model=False, dedup_text=True)
    run = tmp_path / "dedup" / "text"
    assert not any(_shared_transcripts(artifacts, run, model.fits))
    folds = json.loads((run / "folds.json").read_text())
    for before, after in zip(plain, folds, strict=True):
        dropped = after["skipped"]["same_text_as_test"]
        assert before["skipped"]["same_text_as_test"]["count"] == 0
        assert dropped["count"] == before["n_train"] + before["n_val"] - after["n_train"] - after["n_val"] > 0
        assert after["test_segment_ids"] == before["test_segment_ids"]
    entry = metrics["skipped"]["same_text_as_test"]
    assert entry["folds"] == [{"fold": f["fold"], "count": f["skipped"]["same_text_as_test"]["count"]} for f in folds]
    assert entry["count"] == sum(f["count"] for f in entry["folds"])
    assert json.loads((run / "config.json").read_text())["dedup_text"] is True
    assert train.evaluate_run(run)["matches_stored"]  # re-scoring reads the dropped rows from folds.json


def test_dedup_text_drops_the_same_rows_for_every_modality(artifacts, tmp_path, stand_in):
    stand_in(PriorModel)
    dropped = {}
    for modality in ("text", "bio"):
        _train(artifacts, tmp_path, modality=modality, final_model=False, dedup_text=True)
        folds = json.loads((tmp_path / "run" / modality / "folds.json").read_text())
        dropped[modality] = [set(f["skipped"]["same_text_as_test"]["segment_ids"]) for f in folds]
    inputs, text_rows = _eligible(artifacts, "text")
    _, bio_rows = _eligible(artifacts, "bio")
    both = set(inputs.table["segment_id"][text_rows & bio_rows])
    assert any(dropped["bio"])
    for text_ids, bio_ids in zip(dropped["text"], dropped["bio"], strict=True):
        assert text_ids & both == bio_ids & both


# ---- the real Keras estimators --------------------------------------------------------------------


def test_same_seed_gives_the_same_folds_and_metrics_on_cpu(artifacts, tmp_path):
    config = TrainConfig(epochs=3, seed=4, hidden_units=(8,))
    first = _train(artifacts, tmp_path, run="a", config=config, n_folds=2, final_model=False)
    second = _train(artifacts, tmp_path, run="b", config=config, n_folds=2, final_model=False)
    assert json.loads((tmp_path / "a/bio/folds.json").read_text()) == json.loads(
        (tmp_path / "b/bio/folds.json").read_text())
    assert first == second


def test_cli_train_then_evaluate_on_a_prepared_corpus(artifacts, tmp_path, capsys, monkeypatch):
    argv = ["train", "--artifacts", str(artifacts), "--modality", "bio", "--run", "cli", "--runs-dir",
            str(tmp_path / "runs"), "--models", str(tmp_path / "models"), "--folds", "2", "--epochs", "2",
            "--no-multitask", "--format", "h5", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "mean ± sd" in out and "macro_f1" in out
    run_dir = tmp_path / "runs" / "cli" / "bio"
    config = json.loads((run_dir / "config.json").read_text())
    assert config["train_config"]["regression_heads"] is False and config["train_config"]["epochs"] == 2
    assert {p.name for p in (tmp_path / "models").iterdir()} >= {"best_model_bio.h5", "best_model_bio.json"}
    assert main(["evaluate", "--run", str(run_dir)]) == 0
    assert "equal to the stored" in capsys.readouterr().out
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    assert main(["train", "--artifacts", str(tmp_path / "nowhere"), "--modality", "bio", "--quiet"]) == 2
    assert not list((tmp_path / "cwd").iterdir())  # a mistyped --artifacts leaves no runs/ or h5_models/ behind
    assert "manifest.json" in capsys.readouterr().err


@pytest.mark.parametrize("modality", ["text", "speech", "bio"])
def test_every_modality_beats_chance_clearly_on_a_generated_corpus(modality, artifacts, tmp_path):
    """Default settings, one split (sessions 8-10 held out): macro-F1 well above 1/7 and above
    every score of a permutation test (the same predictions against shuffled true labels)."""
    _train(artifacts, tmp_path, modality=modality, n_folds=None, test_sessions=[8, 9, 10],
           config=TrainConfig(seed=0), final_model=False)
    oof = runs.read_oof(tmp_path / "run" / modality / "oof_predictions.csv")
    predicted = predicted_labels(oof)
    macro_f1 = classification_scores(oof["y_true"], predicted)["macro_f1"]
    rng = np.random.default_rng(0)
    null = [classification_scores(rng.permutation(oof["y_true"].to_numpy()), predicted)["macro_f1"]
            for _ in range(200)]
    assert macro_f1 > 1.5 / len(EMOTIONS), f"{modality}: macro-F1 {macro_f1:.3f} is near chance"
    assert macro_f1 > max(null), f"{modality}: macro-F1 {macro_f1:.3f} within the permutation null"


def test_cli_trains_the_early_fusion_network_like_a_modality(artifacts, tmp_path, capsys):
    argv = ["train", "--artifacts", str(artifacts), "--modality", "early_fusion", "--run", "cli", "--runs-dir",
            str(tmp_path / "runs"), "--models", str(tmp_path / "models"), "--folds", "2", "--epochs", "1",
            "--speech-model", "pooled", "--quiet"]
    assert main(argv) == 0
    assert "mean ± sd" in capsys.readouterr().out
    assert (tmp_path / "runs" / "cli" / "early_fusion" / "oof_predictions.csv").is_file()
    assert (tmp_path / "models" / "early_fusion.keras").is_file()
