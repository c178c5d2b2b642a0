"""The light predictor: an exported (ONNX) folder predicts without Keras or TensorFlow, through the same
encoders as training, and gives the Keras predictor's results on real recordings of a generated corpus.

`make test-light` runs this file in `.venv-light` (``pip install -e '.[onnx]' pytest``: no TensorFlow), on a
folder the main venv built (``EMOTION_LIGHT_EXPORT``); the main suite runs it on a folder built here.
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from export_build import ONNX_DIR, RECORDINGS, REFERENCE

from emotion_classifier.cli import main
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.predict import EmotionClassifier

ATOL = 1e-4


def _vector(probabilities: dict) -> np.ndarray:
    assert list(probabilities) == list(EMOTIONS)
    return np.array(list(probabilities.values()))


@pytest.fixture(scope="module")
def cases(export_root):
    recordings = json.loads((export_root / RECORDINGS).read_text(encoding="utf-8"))
    reference = json.loads((export_root / REFERENCE).read_text(encoding="utf-8"))
    assert len(recordings) == len(reference) >= 2
    return export_root / ONNX_DIR, recordings, reference


def test_the_light_venv_has_no_tensorflow():
    if os.environ.get("EMOTION_LIGHT_VENV") != "1":
        pytest.skip("only meaningful in .venv-light (make test-light sets EMOTION_LIGHT_VENV=1)")
    assert importlib.util.find_spec("tensorflow") is None
    assert importlib.util.find_spec("onnxruntime") is not None


def test_exported_models_equal_keras_on_recordings(cases):
    folder, recordings, reference = cases
    classifier = EmotionClassifier.load(folder)
    assert classifier.method == "early_fusion" and classifier.joint == "early_fusion"
    assert set(classifier.models) == {"text", "speech", "bio"}
    for recording, expected in zip(recordings, reference, strict=True):
        got = classifier.predict(**recording)
        assert got["method"] == expected["method"] == "early_fusion"
        # the early-fusion network decides: its probabilities and ratings
        np.testing.assert_allclose(_vector(got["probabilities"]), _vector(expected["probabilities"]), atol=ATOL)
        assert got["valence"] == pytest.approx(expected["valence"], abs=ATOL)
        assert got["arousal"] == pytest.approx(expected["arousal"], abs=ATOL)
        for modality in ("text", "speech", "bio"):  # and each single model
            np.testing.assert_allclose(_vector(got["per_modality"][modality]["probabilities"]),
                                       _vector(expected["per_modality"][modality]["probabilities"]), atol=ATOL)
            assert got["per_modality"][modality]["arousal"] == pytest.approx(
                expected["per_modality"][modality]["arousal"], abs=ATOL)


def test_prediction_from_an_export_imports_neither_keras_nor_tensorflow(cases):
    folder, recordings, _ = cases
    code = ("import sys, json; from emotion_classifier.predict import EmotionClassifier; "
            f"r = EmotionClassifier.load({str(folder)!r}).predict(**json.loads({json.dumps(recordings[0])!r})); "
            "assert r['method'] == 'early_fusion'; "
            "print(sorted(m for m in ('keras', 'tensorflow', 'torch') if m in sys.modules))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_cli_predicts_from_an_export(cases, capsys, tmp_path):
    folder, recordings, reference = cases
    first = recordings[0]
    assert main(["predict", "--models", str(folder), "--wav", first["wav"], "--txt", first["txt"],
                 "--eda", first["eda"], "--temp", first["temp"]]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert reference[0]["emotion"] in printed and "early_fusion" in printed
    table = tmp_path / "recordings.csv"
    table.write_text("wav,txt,eda,temp\n" + "".join(f"{r['wav']},{r['txt']},{r['eda']},{r['temp']}\n"
                                                   for r in recordings), encoding="utf-8")  # fmt: skip
    out = tmp_path / "predictions.csv"
    assert main(["predict", "--models", str(folder), "--input", str(table), "--out", str(out)]) == 0
    import pandas as pd

    written = pd.read_csv(out)
    assert written["emotion"].tolist() == [r["emotion"] for r in reference]
    np.testing.assert_allclose(written[[f"p_{e}" for e in EMOTIONS]].to_numpy(),
                               np.array([_vector(r["probabilities"]) for r in reference]), atol=ATOL)  # fmt: skip


def test_a_damaged_exported_network_is_one_line(cases, tmp_path, capsys):
    import shutil

    folder = shutil.copytree(cases[0], tmp_path / "damaged")
    (folder / "bio.onnx").write_bytes(b"not an onnx model")
    first = cases[1][0]
    assert main(["predict", "--models", str(folder), "--txt", first["txt"]]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bio.onnx" in err and "not a readable ONNX model" in err


def test_an_exported_folder_travels_as_a_models_bundle(cases, tmp_path, monkeypatch, capsys):
    folder, recordings, reference = cases
    bundle = tmp_path / "exported.zip"
    assert main(["bundle", "models", str(folder), "--out", str(bundle), "--quiet"]) == 0
    monkeypatch.setenv("EMOTION_CACHE", str(tmp_path / "cache"))
    got = EmotionClassifier.load(bundle).predict(**recordings[-1])
    np.testing.assert_allclose(_vector(got["probabilities"]), _vector(reference[-1]["probabilities"]), atol=ATOL)
