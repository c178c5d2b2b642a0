"""Settings a model cannot train with are refused with one line before anything is read, prepared or
trained (SMOTE needs fixed-length rows; sequence models give token-id or frame sequences)."""

import pytest

from emotion_classifier.cli import main
from emotion_classifier.errors import InputError
from emotion_classifier.pipeline import PipelineConfig, run_pipeline
from emotion_classifier.training.estimators import TrainConfig, check_trainable
from emotion_classifier.training.train import train_modality

SEQUENCES = [("text", {"text_encoder": "gru"}), ("text", {"text_encoder": "lstm"}),
             ("speech", {"speech_model": "crnn"}), ("early_fusion", {"text_encoder": "sentence",
                                                                     "speech_model": "pooled"})]
FIXED_LENGTH = [("text", {"text_encoder": "sentence"}), ("speech", {"speech_model": "pooled"}), ("bio", {})]


@pytest.mark.parametrize(("modality", "settings"), SEQUENCES)
def test_smote_on_sequences_is_refused_naming_what_works(modality, settings):
    with pytest.raises(InputError) as refused:
        check_trainable(modality, TrainConfig(balance="smote", **settings))
    message = str(refused.value)
    assert "\n" not in message and f"cannot train {modality}" in message
    for alternative in ("text_encoder=sentence", "speech_model=pooled", "the bio model", "oversample"):
        assert alternative in message


@pytest.mark.parametrize(("modality", "settings"), FIXED_LENGTH)
def test_smote_on_fixed_length_rows_and_other_modes_on_sequences_pass(modality, settings):
    check_trainable(modality, TrainConfig(balance="smote", **settings))
    check_trainable("text", TrainConfig(balance="oversample"))


def test_train_refuses_before_any_fold_runs(tmp_path, monkeypatch):
    import emotion_classifier.training.train as train

    monkeypatch.setattr(train, "load_artifacts", lambda *a, **k: pytest.fail("artifacts were read"))
    with pytest.raises(InputError, match="balance=smote cannot train text"):
        train_modality(tmp_path / "artifacts", "text", TrainConfig(balance="smote"), tmp_path / "runs" / "r" / "text")
    assert not (tmp_path / "runs").exists()


def test_run_refuses_before_preparing_anything(tmp_path):
    config = PipelineConfig(data=tmp_path / "corpus", artifacts=tmp_path / "artifacts", runs_dir=tmp_path / "runs",
                            run_name="r", models_dir=tmp_path / "models", train_settings={"balance": "smote",
                                                                                         "speech_model": "pooled"})
    with pytest.raises(InputError, match="balance=smote cannot train text"):
        run_pipeline(config, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run folder, corpus, artifacts or model


def test_the_command_line_prints_one_line_and_exits_2(tmp_path, capsys):
    code = main(["train", "--artifacts", str(tmp_path / "artifacts"), "--modality", "speech", "--balance", "smote",
                 "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "speech_model=pooled" in err[0]
    assert not (tmp_path / "runs").exists()
