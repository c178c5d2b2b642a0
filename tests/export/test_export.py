"""`emotion export`: ONNX and LiteRT files that give the Keras models' probabilities (within 1e-4) on real
recordings, the folder's sidecars, fusion choice, model card and export record, and the refusals (a folder
that holds no models, an --out holding something else), each one line with exit status 2."""

import json
import shutil

import numpy as np
import pytest
from export_build import ONNX_DIR, RECORDINGS

from emotion_classifier.cli import main
from emotion_classifier.export import EXPORT_FILE, MODEL_CARD
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.predict import EmotionClassifier

ATOL = 1e-4


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def bio_only(export_root, tmp_path_factory):
    """A models folder holding only the bio model (the one network LiteRT runs without Flex ops)."""
    folder = tmp_path_factory.mktemp("bio_only") / "models"
    folder.mkdir()
    for name in ("bio.keras", "bio.json"):
        shutil.copyfile(export_root / "models" / name, folder / name)
    return folder


def test_onnx_export_holds_every_model_the_fusion_choice_and_a_model_card(export_root):
    out = export_root / ONNX_DIR
    names = {p.name for p in out.iterdir()}
    for stem in ("text", "speech", "bio", "early_fusion"):
        assert {f"{stem}.onnx", f"{stem}.json"} <= names
    assert {"fusion.json", MODEL_CARD, EXPORT_FILE} <= names and not any(n.endswith(".keras") for n in names)
    assert json.loads((out / "fusion.json").read_text())["method"] == "early_fusion"
    record = json.loads((out / EXPORT_FILE).read_text())
    assert record["format"] == "onnx" and max(record["max_output_difference"].values()) < ATOL
    assert record["inputs"]["early_fusion"] == ["bio", "bio_present", "speech", "speech_present", "text",
                                                "text_present"]  # fmt: skip
    card = (out / MODEL_CARD).read_text()
    assert ", ".join(EMOTIONS) in card  # the label order
    assert "could not be checked whether these models were trained on the synthetic" in card  # no run folder
    assert "mecab morphemes" in card and "40 MFCC" in card and "per-segment features" in card  # the inputs
    assert "method **early_fusion**" in card
    assert not list(export_root.glob(".onnx.*"))  # no temporary folder left


def test_litert_export_equals_keras_on_recordings(export_root, bio_only, tmp_path, capsys):
    out = tmp_path / "litert"
    assert main(["export", "--models", str(bio_only), "--format", "litert", "--out", str(out)]) == 0
    assert (out / "bio.tflite").is_file() and (out / "bio.json").is_file()
    recordings = json.loads((export_root / RECORDINGS).read_text())
    keras, lite = EmotionClassifier.load(bio_only), EmotionClassifier.load(out)
    for recording in recordings:
        bio = {k: recording[k] for k in ("eda", "temp", "wav")}
        expected, got = keras.predict(**bio), lite.predict(**bio)
        np.testing.assert_allclose(list(got["probabilities"].values()), list(expected["probabilities"].values()),
                                   atol=ATOL)  # fmt: skip
        assert got["valence"] == pytest.approx(expected["valence"], abs=ATOL)


def test_litert_refuses_recurrent_networks_in_one_line(export_root, tmp_path, capsys):
    out = tmp_path / "litert_all"
    assert main(["export", "--models", str(export_root / "models"), "--format", "litert", "--out", str(out)]) == 2
    err = _one_line_error(capsys)
    assert "--format onnx" in err and ".keras" in err
    assert not out.exists() and not list(tmp_path.glob(".litert_all.*"))  # nothing half-written


def test_refuses_a_folder_without_models(tmp_path, capsys):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("x")
    assert main(["export", "--models", str(tmp_path / "notes"), "--out", str(tmp_path / "out")]) == 2
    assert "not a models folder" in _one_line_error(capsys)
    assert main(["export", "--models", str(tmp_path / "absent"), "--out", str(tmp_path / "out")]) == 2
    assert "not found" in _one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_an_out_folder_holding_anything_else_is_kept_unless_force(bio_only, tmp_path, capsys):
    out = tmp_path / "export"
    args = ["export", "--models", str(bio_only), "--out", str(out)]
    assert main(args) == 0
    first = (out / EXPORT_FILE).read_text()
    assert main(args) == 0 and "nothing to do" in capsys.readouterr().out  # the same export again
    assert main([*args, "--format", "litert"]) == 2  # a different export
    assert "already holds another export" in _one_line_error(capsys)
    assert (out / "bio.onnx").is_file() and (out / EXPORT_FILE).read_text() == first
    user = tmp_path / "mine"
    user.mkdir()
    (user / "results.csv").write_text("precious")
    assert main(["export", "--models", str(bio_only), "--out", str(user)]) == 2
    assert "already holds other files" in _one_line_error(capsys)
    assert (user / "results.csv").read_text() == "precious"
    assert main([*args, "--format", "litert", "--force"]) == 0
    assert (out / "bio.tflite").is_file() and not (out / "bio.onnx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "mine"]  # no temporary folders left


def test_an_export_is_not_a_source(export_root, tmp_path, capsys):
    assert main(["export", "--models", str(export_root / ONNX_DIR), "--out", str(tmp_path / "again")]) == 2
    assert "already an exported folder" in _one_line_error(capsys)


def test_model_card_gives_the_run_scores_and_the_synthetic_warning(export_root, bio_only, tmp_path):
    run = tmp_path / "runs" / "demo"
    (run / "bio").mkdir(parents=True)
    (run / "pipeline.json").write_text(json.dumps({"artifacts": str(export_root / "artifacts")}))
    metrics = {"pooled": {"macro_f1": 0.25, "uar": 0.3, "accuracy": 0.4, "weighted_f1": 0.35,
                          "valence": {"ccc": 0.1}, "arousal": {"ccc": 0.2}},
               "bootstrap": {"ci95": {"macro_f1": [0.2, 0.31], "arousal_ccc": [0.1, 0.3]}}}  # fmt: skip
    (run / "bio" / "metrics.json").write_text(json.dumps(metrics))
    out = tmp_path / "export"
    assert main(["export", "--models", str(bio_only), "--out", str(out), "--run", str(run)]) == 0
    card = (out / MODEL_CARD).read_text()
    assert "trained on the **synthetic** sample corpus" in card
    assert "| bio | 0.250 [0.200, 0.310] | 0.300 | 0.400 | 0.350 | 0.100 | 0.200 [0.100, 0.300] |" in card
    assert "KEMDy19" in card


def test_pretrained_encoder_models_are_refused_in_one_line(export_root, bio_only, tmp_path, capsys):
    """A speech_ssl model (here a stand-in: only its file names and sidecar are read before refusing), and an
    early-fusion network chosen by fusion.json whose sidecar names a pretrained-encoder part."""
    single = shutil.copytree(bio_only, tmp_path / "ssl")
    for suffix in (".keras", ".json"):
        shutil.copyfile(single / f"bio{suffix}", single / f"speech_ssl{suffix}")
    assert main(["export", "--models", str(single), "--out", str(tmp_path / "out")]) == 2
    err = _one_line_error(capsys)
    assert "speech_ssl reads a pretrained encoder" in err and "speech_ssl.keras" in err
    joint = shutil.copytree(export_root / "models", tmp_path / "joint")
    sidecar = json.loads((joint / "early_fusion.json").read_text())
    sidecar["config"]["early_fusion_parts"] = ["text_plm", "bio"]
    (joint / "early_fusion.json").write_text(json.dumps(sidecar))
    assert main(["export", "--models", str(joint), "--out", str(tmp_path / "out")]) == 2
    assert "text_plm reads a pretrained encoder" in _one_line_error(capsys)
    assert not (tmp_path / "out").exists()
