"""Bad input and faults at the command line (issue 13, items 3, 4 and 8).

Each fault ends in exit status 2 and exactly one stderr line naming the file or option, before any
work, and writes nothing (or, for a batch that fails half-way, keeps the rows already predicted).
"""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion_classifier import cli
from emotion_classifier.cli import main
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
from emotion_classifier.model_inputs import Recording, _transcript_item
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.training.estimators import TrainConfig, make_model, modality_inputs


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(corpus, artifacts, models folder): one tiny speech model, trained on session 1, validated on 2."""
    root = tmp_path_factory.mktemp("faults")
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=2, seed=1)
    prepare(root / "corpus", root / "artifacts", PrepareConfig(jobs=1), progress=False)
    artifacts = load_artifacts(root / "artifacts")
    sessions = artifacts.table["session"].to_numpy()
    model = make_model("speech", TrainConfig(epochs=1, units=8, filters=8, hidden_units=(8,)))
    model.fit(modality_inputs(artifacts, "speech"), np.flatnonzero(sessions == 1), np.flatnonzero(sessions == 2))
    model.save(root / "models", "speech")
    return root / "corpus", root / "artifacts", root / "models"


@pytest.fixture
def wav_folder(setup, tmp_path) -> Path:
    """A folder of three wav files of the corpus (`predict --input` pairs wav/txt by name)."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    for wav in sorted(setup[0].rglob("*.wav"))[:3]:
        shutil.copy(wav, folder / wav.name)
    return folder


def _one_error_line(capsys, *names: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ") and all(name in err[0] for name in names), err[0]
    return err[0]


def _copy_models(setup, tmp_path) -> Path:
    return Path(shutil.copytree(setup[2], tmp_path / "models"))


# -- item 3: damaged model files -----------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncate", "empty"])
def test_a_damaged_keras_file_is_one_line_naming_it(setup, wav_folder, tmp_path, capsys, damage):
    models = _copy_models(setup, tmp_path)
    network = models / "speech.keras"
    data = network.read_bytes()
    network.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"")
    assert main(["predict", "--models", str(models), "--input", str(wav_folder),
                 "--out", str(tmp_path / "p.csv")]) == 2
    line = _one_error_line(capsys, str(network), "not a readable .keras model", "retrain or copy it again")
    assert ("empty" if damage == "empty" else "truncated or corrupt") in line


@pytest.mark.parametrize("name", ["speech.json", "fusion.json"])
def test_a_corrupt_json_next_to_the_models_is_one_line_naming_it(setup, tmp_path, capsys, name):
    models = _copy_models(setup, tmp_path)
    (models / name).write_text('{"method": ', encoding="utf-8")
    assert main(["predict", "--models", str(models), "--text", "안녕하세요"]) == 2
    _one_error_line(capsys, str(models / name))


# -- item 4: outputs checked before work ---------------------------------------------------------------
def test_predict_refuses_to_replace_an_existing_out_file(setup, wav_folder, tmp_path, capsys):
    out = tmp_path / "predictions.csv"
    out.write_text("someone's results\n", encoding="utf-8")
    arguments = ["predict", "--models", str(setup[2]), "--input", str(wav_folder), "--out", str(out)]
    assert main(arguments) == 2
    _one_error_line(capsys, str(out), "already exists", "--overwrite")
    assert out.read_text(encoding="utf-8") == "someone's results\n"
    assert main([*arguments, "--overwrite"]) == 0
    assert len(pd.read_csv(out)) == 3


def test_predict_checks_out_before_loading_models(tmp_path, wav_folder, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    out = blocker / "predictions.csv"  # its folder is a file: cannot be created
    # the models folder does not exist either: the --out error must come first
    assert main(["predict", "--models", str(tmp_path / "none"), "--input", str(wav_folder), "--out", str(out)]) == 2
    _one_error_line(capsys, "--out", str(blocker))


def test_predict_keeps_the_rows_done_when_a_later_chunk_fails(setup, wav_folder, tmp_path, capsys, monkeypatch):
    original, calls = EmotionClassifier.predict_many, []

    def fail_second(self, inputs):
        calls.append(len(inputs))
        if len(calls) == 2:
            raise OSError("disk gone")
        return original(self, inputs)

    monkeypatch.setattr(cli, "PREDICT_CHUNK", 1)
    monkeypatch.setattr(EmotionClassifier, "predict_many", fail_second)
    out = tmp_path / "p.csv"
    with pytest.raises(OSError, match="disk gone"):
        main(["predict", "--models", str(setup[2]), "--input", str(wav_folder), "--out", str(out)])
    kept = pd.read_csv(out)
    assert len(kept) == 1 and Path(kept["wav"][0]).name == sorted(p.name for p in wav_folder.iterdir())[0]


def test_train_checks_its_models_folder_before_cross_validating(setup, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    runs = tmp_path / "runs"
    assert main(["train", "--artifacts", str(setup[1]), "--modality", "bio", "--models", str(blocker / "m"),
                 "--runs-dir", str(runs), "--quiet"]) == 2
    _one_error_line(capsys, "--models", str(blocker))
    assert not runs.exists()


def test_prepare_checks_its_out_folder(setup, tmp_path, capsys):
    (tmp_path / "taken").write_text("", encoding="utf-8")
    assert main(["prepare", "--data", str(setup[0]), "--out", str(tmp_path / "taken"), "--quiet"]) == 2
    _one_error_line(capsys, "--out", "is a file")


# -- item 8: numeric settings --------------------------------------------------------------------------
@pytest.mark.parametrize("option", [["--folds", "0"], ["--folds", "1"], ["--folds", "-2"]])
def test_train_refuses_fewer_than_two_folds(setup, tmp_path, capsys, option):
    assert main(["train", "--artifacts", str(setup[1]), "--modality", "bio", "--models", str(tmp_path / "m"),
                 "--runs-dir", str(tmp_path / "runs"), "--quiet", *option]) == 2
    _one_error_line(capsys, "n_folds", "at least 2")
    assert not (tmp_path / "runs").exists() and not (tmp_path / "m").exists()


@pytest.mark.parametrize(("option", "setting"), [(["--n-mfcc", "0"], "n_mfcc"), (["--jobs", "0"], "jobs"),
                                                  (["--set", "prepare.chunk_size=0"], "chunk_size")])
def test_prepare_refuses_bad_numbers_before_writing(setup, tmp_path, capsys, option, setting):
    out = tmp_path / "artifacts"
    assert main(["prepare", "--data", str(setup[0]), "--out", str(out), "--quiet", *option]) == 2
    _one_error_line(capsys, setting)
    assert not out.exists()


# -- item 9: the small ones ----------------------------------------------------------------------------
def test_a_file_given_as_data_is_called_a_file(tmp_path, capsys):
    corpus = tmp_path / "corpus.zip"
    corpus.write_bytes(b"PK")
    assert main(["inspect", "--data", str(corpus)]) == 2
    _one_error_line(capsys, str(corpus), "is a file, expected the corpus folder")


def test_an_empty_text_is_called_an_empty_transcript():
    """``--text ""`` was reported as "no transcript given"; only an absent one is."""
    assert "empty" in _transcript_item(Recording(text=""))[1]
    assert _transcript_item(Recording())[1] == "no transcript given"
