"""The registry works from outside the package: a toy modality and a toy fusion method, declared in
this test module only, run through prepare -> train -> fuse -> report -> predict.

The toy modality reads two numbers from each transcript (its length and its word count); the toy
fusion method takes the most confident modality per row. Nothing in the package names them.
"""

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion_classifier import registry
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import load_artifacts
from emotion_classifier.features.artifacts import check_aligned, read_table_csv
from emotion_classifier.features.stage import StageResult, skipped_item
from emotion_classifier.files import stable_hash, write_csv_atomic
from emotion_classifier.fusion.late import SoftVote
from emotion_classifier.model_inputs import attempt, transcript_of
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.registry import FusionMethod, Modality
from emotion_classifier.run_config import PipelineConfig
from emotion_classifier.training.estimators import BioModel, inputs_from_artifacts

TOY = "toy_length"
TOY_FILE = "toy_length.csv"
COLUMNS = ["chars", "words"]


def _numbers(text: str) -> list[float]:
    return [float(len(text)), float(len(text.split()))]


def run_toy_stage(table, config, context) -> StageResult:
    """prepare's stage: the two numbers of every transcript; a segment without text is skipped."""
    texts = table["text"].fillna("").astype(str)
    available = texts.str.strip().ne("").to_numpy()
    frame = pd.DataFrame([_numbers(t) for t in texts], columns=COLUMNS).assign(segment_id=table["segment_id"])
    key = stable_hash([TOY, frame.to_numpy().tolist()])
    skipped = [skipped_item(sid, "", "no transcript") for sid in table["segment_id"][~available]]
    section = {"key": key, "artifact": TOY_FILE, "skipped": skipped, "counts": {"with_toy": int(available.sum())}}
    return StageResult(TOY, TOY_FILE, key, available, section, partial(write_csv_atomic, frame), [])


def load_toy(folder: Path, table: pd.DataFrame) -> pd.DataFrame:
    frame = read_table_csv(folder / TOY_FILE, ("segment_id",))
    check_aligned(frame["segment_id"].to_numpy(), table, folder / TOY_FILE)
    return frame


def read_toy(recordings, spec) -> list:
    """Prediction's reader: the same two numbers from a new recording's transcript."""

    def one(recording):
        text = transcript_of(recording)
        return (np.array(_numbers(text)), "") if text.strip() else (None, "no transcript given")

    return [attempt(one, r) for r in recordings]


class ToyModel(BioModel):
    """An MLP over the toy numbers: the bio estimator with another input."""

    modality = TOY

    @classmethod
    def artifact_inputs(cls, artifacts):
        frame = artifacts.stages[TOY]
        x = frame[COLUMNS].to_numpy(dtype=float)
        return inputs_from_artifacts(artifacts, TOY, x, artifacts.table[f"has_{TOY}"].to_numpy(), COLUMNS)


class MostConfident(SoftVote):
    """Per row, the probabilities of the modality whose top class is most probable."""

    def predict_proba(self, block):
        proba = np.asarray(block.proba, dtype=float)  # (rows, modalities, classes)
        confidence = np.nan_to_num(proba.max(axis=2), nan=-1.0)
        return proba[np.arange(len(proba)), confidence.argmax(axis=1)]


TOY_MODALITY = Modality(TOY, ToyModel, run_toy_stage, TOY, load_toy, read_toy, default=False,
                        help="transcript length and word count")
TOY_FUSION = FusionMethod("most_confident", MostConfident, default=False, help="the most confident modality")


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """One run of the pipeline with the text and toy modalities, fused by soft vote and the toy method."""
    from emotion_classifier.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("registry")
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=6, seed=2)
    config = PipelineConfig(
        data=root / "corpus", artifacts=root / "artifacts", runs_dir=root / "runs", run_name="toy",
        models_dir=root / "models", modalities=("text", TOY), early_fusion=False, n_folds=3, seed=0,
        fusion_methods=("soft_vote", TOY_FUSION.name), train_settings={"epochs": 3},
        prepare_settings={"jobs": 1},
    )  # fmt: skip
    with registry.registered(TOY_MODALITY, TOY_FUSION):
        report = run_pipeline(config, progress=False)
        yield config, report


def test_prepare_runs_the_registered_stage_and_loads_its_artifact(toy_run):
    config, _ = toy_run
    artifacts = load_artifacts(config.artifacts_dir)
    assert TOY in artifacts.manifest["stages"] and f"has_{TOY}" in artifacts.table
    expected = [_numbers(t) for t in artifacts.table["text"]]
    np.testing.assert_array_equal(artifacts.stages[TOY][COLUMNS].to_numpy(), expected)


def test_the_toy_modality_is_trained_fused_and_reported(toy_run):
    config, report = toy_run
    root = config.run_root
    assert (root / TOY / "oof_predictions.csv").is_file() and (config.models_dir / f"{TOY}.keras").is_file()
    fused = pd.read_csv(root / "fusion" / TOY_FUSION.name / "oof_predictions.csv")
    assert set(fused["modalities"]) <= {"text", TOY, f"text+{TOY}", f"{TOY}+text"}
    text = report.read_text(encoding="utf-8")
    assert f"| {TOY} |" in text or f"{TOY}** (best)" in text
    assert f"fusion/{TOY_FUSION.name}" in text


def test_prediction_reads_the_toy_modality_with_its_registered_reader(toy_run):
    config, _ = toy_run
    classifier = EmotionClassifier.load(config.models_dir)
    result = classifier.predict(text="정말 너무 기뻐요 오늘")
    nothing = classifier.predict(text="정말")
    assert set(classifier.models) == {"text", TOY}
    assert TOY in result["per_modality"] and TOY in result["modalities"]
    assert result["per_modality"][TOY] != nothing["per_modality"][TOY]  # the toy input reached its model
    assert abs(sum(result["probabilities"].values()) - 1.0) < 1e-5


def test_a_name_cannot_be_registered_twice_and_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Modality("text", ToyModel))
    with pytest.raises(ValueError, match="known: text, speech, bio"):
        registry.modality("nope")
    with pytest.raises(ValueError, match="not a registered single modality"):
        registry.register(Modality("joint_toy", ToyModel, parts=("text", "nope")))
    assert "joint_toy" not in registry.modality_names()
    with registry.registered(Modality("other_toy", ToyModel)):
        assert registry.modality_names()[-1] == "other_toy"
    assert "other_toy" not in registry.modality_names()


def test_early_fusion_reads_the_parts_its_training_settings_choose(capsys):
    from emotion_classifier.pipeline import model_names, note_skipped_joint
    from emotion_classifier.training.estimators import TrainConfig

    assert registry.joint_parts("early_fusion") == ("text", "speech", "bio") == TrainConfig().early_fusion_parts
    pair = TrainConfig(early_fusion_parts=["text_plm", "bio"])
    assert registry.joint_parts("early_fusion", pair) == ("text_plm", "bio")
    assert model_names(PipelineConfig()) == ["text", "speech", "bio", "early_fusion"]  # the default, unchanged
    encoders = ("text_plm", "speech_ssl", "bio")
    chosen = PipelineConfig(modalities=encoders, train_settings={"early_fusion_parts": list(encoders)})
    assert model_names(chosen) == [*encoders, "early_fusion"]
    default_parts = PipelineConfig(modalities=encoders)
    assert "early_fusion" not in model_names(default_parts)
    note_skipped_joint(default_parts)
    out = capsys.readouterr().out
    assert "early_fusion not trained: its parts text, speech are not among" in out and "train.early_fusion_parts" in out
