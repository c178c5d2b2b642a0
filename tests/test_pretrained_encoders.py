"""Frozen pretrained encoders, offline: tiny randomly initialised wav2vec2 and BERT folders (the same
`AutoModel` path as a hub model) through prepare -> train -> fuse -> report -> predict.

The vectors' shape, dtype and alignment; a rerun with one more encoder computing only that encoder;
prediction reading a corpus segment as the artifact row; the early-fusion network over both encoders
and bio (``train.early_fusion_parts``) trained and predicting a recording; a missing extra, a missing or different
encoder, and an id that cannot be downloaded refused with one line.
"""

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.cli import main
from emotion_classifier.datasets import bio_files_for, open_corpus
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.errors import InputError
from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
from emotion_classifier.features.encoder_models import resolve_encoder
from emotion_classifier.features.encoder_stage import run_encoder_stage
from emotion_classifier.features.speech_ssl import SPEECH_SSL
from emotion_classifier.features.stage import StageContext
from emotion_classifier.features.tiny_encoders import tiny_speech_encoder, tiny_text_encoder
from emotion_classifier.fusion.prediction_choice import save_fusion_weights
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.model_inputs import Recording, read_inputs
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.run_config import PipelineConfig
from emotion_classifier.training.estimators import modality_inputs
from emotion_classifier.training.train import evaluate_run

PAIR = ("speech_ssl", "text_plm")


@pytest.fixture(scope="module")
def encoder_run(tmp_path_factory):
    """One pipeline run training both encoder modalities (and text), fused and reported."""
    from emotion_classifier.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("pretrained")
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=6, seed=2)
    texts = open_corpus(root / "corpus")["text"]
    speech, text = tiny_speech_encoder(root / "w2v"), tiny_text_encoder(root / "bert", texts)
    config = PipelineConfig(
        data=root / "corpus", artifacts=root / "artifacts", runs_dir=root / "runs", run_name="pre",
        models_dir=root / "models", modalities=("text", *PAIR), early_fusion=False, n_folds=3, seed=0,
        fusion_methods=("soft_vote",), train_settings={"epochs": 2},
        prepare_settings={"jobs": 1, "speech_encoders": [str(speech)], "text_encoders": [str(text)]},
    )  # fmt: skip
    report = run_pipeline(config, progress=False)
    return config, report, root


def _entry(artifacts, stage):
    [entry] = artifacts.stages[stage].encoders.values()
    return entry


def test_every_layer_vector_is_cached_float16_and_aligned(encoder_run):
    config, _, root = encoder_run
    artifacts = load_artifacts(config.artifacts_dir)
    for stage, folder, statistics in (("speech_ssl", "w2v", ["mean", "sd"]), ("text_plm", "bert", ["cls", "mean"])):
        entry = _entry(artifacts, stage)
        vectors = artifacts.stages[stage].vectors(entry)
        assert vectors.shape == (len(artifacts.table), 3, 2, 32) and vectors.dtype == np.float16  # 2 layers + input
        assert entry["id"] == str(root / folder) and entry["revision"] == resolve_encoder(str(root / folder)).revision
        assert entry["statistics"] == statistics
        has = artifacts.table[f"has_{stage}"].to_numpy(dtype=bool)
        assert 0 < has.sum() < len(has)  # the corpus has segments without a wav / a transcript
        assert not vectors[~has].any() and np.isfinite(vectors[has].astype(float)).all()
        assert vectors[has].any(axis=(1, 2, 3)).all()
        stored = np.load(config.artifacts_dir / entry["file"], allow_pickle=False)
        assert stored["segment_id"].tolist() == artifacts.table["segment_id"].tolist()


def test_adding_an_encoder_computes_only_that_encoder(encoder_run, tmp_path):
    config, _, root = encoder_run
    out = tmp_path / "artifacts"
    shutil.copytree(config.artifacts_dir, out)
    manifest = json.loads((out / "manifest.json").read_text())
    settings = {k: v for k, v in manifest["config"].items()}
    first = load_artifacts(out)
    old_text = _entry(first, "text_plm")
    second = tiny_text_encoder(tmp_path / "bert2", first.table["text"], seed=1)
    settings["text_encoders"] = [*settings["text_encoders"], str(second)]
    prepare(manifest["data"], out, PrepareConfig(**settings), progress=False)
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    assert stages["speech_ssl"]["cache"] == {"reused_artifact": True}
    assert all(stages[s]["cache"] == {"reused_artifact": True} for s in ("text", "audio", "bio"))
    chunks = stages["text_plm"]["cache"]
    assert chunks["hits"] == chunks["computed"] > 0  # the first encoder's chunks from the cache, the new one's computed
    encoders = stages["text_plm"]["encoders"]
    assert set(encoders) == {old_text["id"], str(second)}
    assert encoders[old_text["id"]]["fingerprint"] == old_text["fingerprint"]  # not rewritten
    again = load_artifacts(out)
    assert set(again.stages["text_plm"].encoders) == set(encoders)
    with pytest.raises(InputError, match="more than one"):
        again.stages["text_plm"].choose((), "text_plm")
    assert again.stages["text_plm"].choose((str(second),), "text_plm")["id"] == str(second)


def test_no_encoder_configured_means_no_stage():
    context = StageContext(Path("."), Path(".cache"), {})
    assert run_encoder_stage(SPEECH_SSL, pd.DataFrame(), PrepareConfig(), context) is None


def test_both_encoder_models_are_trained_fused_and_reported_with_their_encoder(encoder_run):
    config, report, root = encoder_run
    for modality in PAIR:
        assert (config.run_root / modality / "oof_predictions.csv").is_file()
        sidecar = json.loads((config.models_dir / f"{modality}.json").read_text())
        assert sidecar["encoder"]["kind"] == "layer_vectors" and sidecar["encoder"]["encoder"]["revision"]
    fused = pd.read_csv(config.run_root / "fusion" / "soft_vote" / "oof_predictions.csv")
    assert any("speech_ssl" in m and "text_plm" in m for m in fused["modalities"])
    text = report.read_text(encoding="utf-8")
    assert f"speech_ssl ({root / 'w2v'}@local-" in text and f"text_plm ({root / 'bert'}@local-" in text


def test_prediction_reads_a_corpus_segment_as_the_artifact_row(encoder_run):
    config, _, _ = encoder_run
    artifacts = load_artifacts(config.artifacts_dir)
    classifier = EmotionClassifier.load(config.models_dir)
    assert set(PAIR) <= set(classifier.models)
    table = artifacts.table
    i = int(np.flatnonzero(table["has_speech_ssl"].to_numpy(bool) & table["has_text_plm"].to_numpy(bool))[0])
    recording = Recording(wav=table["wav_path"][i], txt=table["txt_path"][i])
    for stage in PAIR:
        [(vectors, reason)] = read_inputs(classifier.specs[stage][stage], [recording])
        row = artifacts.stages[stage].vectors(_entry(artifacts, stage))[i]
        assert reason == "" and vectors.dtype == np.float16
        np.testing.assert_allclose(vectors.astype(float), row.astype(float), rtol=2e-3, atol=2e-3)
    result = classifier.predict(wav=recording.wav, txt=recording.txt)
    assert set(PAIR) <= set(result["per_modality"]) and abs(sum(result["probabilities"].values()) - 1) < 1e-5
    assert classifier.predict(text="정말")["skipped"]["speech_ssl"] == "no wav given"


def test_a_missing_or_different_encoder_is_refused_naming_the_one_needed(encoder_run, tmp_path, capsys):
    config, _, root = encoder_run
    spec = EmotionClassifier.load(config.models_dir).specs["speech_ssl"]["speech_ssl"]
    wav = str(next((root / "corpus").rglob("*.wav")))
    [error] = read_inputs(dataclasses.replace(spec, revision="local-0000"), [Recording(wav=wav)])
    assert isinstance(error, InputError) and f"needs encoder {str(root / 'w2v')!r}" in str(error)
    models = tmp_path / "models"
    shutil.copytree(config.models_dir, models)
    sidecar = json.loads((models / "speech_ssl.json").read_text())
    sidecar["encoder"]["encoder"]["id"] = str(tmp_path / "moved_w2v")
    (models / "speech_ssl.json").write_text(json.dumps(sidecar))
    assert main(["predict", "--models", str(models), "--wav", wav]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "needs encoder" in err and "moved_w2v" in err


def test_without_the_extra_an_encoder_is_refused_with_the_install_command(encoder_run, monkeypatch, capsys):
    config, _, root = encoder_run
    monkeypatch.setitem(sys.modules, "transformers", None)  # what a missing package looks like to `import`
    out = config.artifacts_dir.parent / "no_extra"
    code = main(["prepare", "--data", str(root / "corpus"), "--out", str(out), "--quiet", "--jobs", "1",
                 "--speech-encoder", str(root / "w2v")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "pip install" in err and "[pretrained]" in err


def test_a_hub_id_that_cannot_be_downloaded_names_it_and_the_folder_way(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(InputError) as caught:
        resolve_encoder("nobody-here/no-such-encoder")
    message = str(caught.value)
    assert "'nobody-here/no-such-encoder'" in message and "--local-dir" in message and "\n" not in message


ENCODER_PARTS = ("text_plm", "speech_ssl", "bio")


@pytest.fixture(scope="module")
def encoder_early_fusion(encoder_run, tmp_path_factory):
    """The early-fusion network over both encoders and bio (``train.early_fusion_parts``), trained by
    `emotion train` on the prepared artifacts (2 folds, 1 epoch), alone in a models folder whose
    fusion.json chooses it."""
    config, _, _ = encoder_run
    root = tmp_path_factory.mktemp("encoder_fusion")
    parts = "[" + ", ".join(f'"{p}"' for p in ENCODER_PARTS) + "]"
    code = main(["train", "--artifacts", str(config.artifacts_dir), "--modality", "early_fusion", "--run", "ef",
                 "--runs-dir", str(root / "runs"), "--models", str(root / "models"), "--folds", "2", "--epochs", "1",
                 "--quiet", "--set", f"train.early_fusion_parts={parts}", "--set", "train.hidden_units=[16]"])
    assert code == 0
    save_fusion_weights(root / "models", {}, method="early_fusion", late_method="soft_vote")
    return root


def test_early_fusion_over_the_encoders_trains_and_predicts_a_recording(encoder_run, encoder_early_fusion, capsys):
    config, _, _ = encoder_run
    root = encoder_early_fusion
    oof = pd.read_csv(root / "runs" / "ef" / "early_fusion" / "oof_predictions.csv")
    assert oof["fold"].nunique() == 2 and len(oof) > 0
    assert evaluate_run(root / "runs" / "ef" / "early_fusion")["matches_stored"]  # fold models reload their parts
    sidecar = json.loads((root / "models" / "early_fusion.json").read_text())
    assert sidecar["config"]["early_fusion_parts"] == list(ENCODER_PARTS)
    assert set(sidecar["encoder"]["parts"]) == set(ENCODER_PARTS)  # every part had training rows
    classifier = EmotionClassifier.load(root / "models")
    assert classifier.method == "early_fusion" and classifier.early_fusion.parts == ENCODER_PARTS
    assert set(classifier.specs["early_fusion"]) == set(ENCODER_PARTS) and not classifier.models

    artifacts = load_artifacts(config.artifacts_dir)
    inputs = modality_inputs(artifacts, "early_fusion", classifier.early_fusion.config)
    complete = np.column_stack([p.available for p in inputs.x.parts.values()]).all(axis=1)
    i = int(np.flatnonzero(complete)[0])
    row = artifacts.table.iloc[i]
    bio = bio_files_for(row, artifacts.manifest["root"])
    files = {"wav": row["wav_path"], "txt": row["txt_path"], "eda": str(bio["EDA"]), "temp": str(bio["TEMP"])}
    result = classifier.predict(**files)
    assert result["method"] == "early_fusion" and set(result["modalities"]) == set(ENCODER_PARTS)
    expected = classifier.early_fusion.predict(inputs, [i]).proba[0]  # the artifact row, as cross-validation saw it
    got = np.array([result["probabilities"][e] for e in EMOTIONS])
    np.testing.assert_allclose(got, expected, atol=1e-2)  # float16 vectors recomputed from the files
    assert classifier.predict(txt=files["txt"])["modalities"] == ["text_plm"]  # the others: presence flag 0

    assert main(["predict", "--models", str(root / "models"), *[f"--{k}={v}" for k, v in files.items()]]) == 0
    assert "fusion: early_fusion" in capsys.readouterr().out


def test_a_bad_early_fusion_parts_setting_is_refused_in_one_line(encoder_run, tmp_path, capsys):
    config, _, _ = encoder_run
    for parts, says in (('["text_plm"]', "at least two distinct"), ('["text_plm", "wav2vec"]', "'wav2vec' is not a")):
        code = main(["train", "--artifacts", str(config.artifacts_dir), "--modality", "early_fusion",
                     "--runs-dir", str(tmp_path / "runs"), "--set", f"train.early_fusion_parts={parts}"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1 and "early_fusion_parts" in err and says in err
    assert not (tmp_path / "runs").exists()
