"""A bundle of real artifacts and trained models reads back exactly: same tables, same predictions."""

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.bundles.pack import write_bundle
from emotion_classifier.cli import main
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.training.estimators import TrainConfig, make_model, modality_inputs


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(artifacts folder, models folder, a CSV of five recordings): a tiny text model (the bundle carries
    files, whichever model wrote them; one model keeps this fast)."""
    root = tmp_path_factory.mktemp("bundled")
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=3, seed=2)
    prepare(root / "corpus", root / "artifacts", PrepareConfig(jobs=1), progress=False)
    artifacts = load_artifacts(root / "artifacts")
    config = TrainConfig(epochs=1, units=4, filters=4, embedding_dim=4, hidden_units=(8,), vocab_min_count=1)
    sessions = artifacts.table["session"].to_numpy()
    model = make_model("text", config)
    model.fit(modality_inputs(artifacts, "text"), np.flatnonzero(sessions < 3), np.flatnonzero(sessions == 3))
    model.save(root / "models", "text")
    rows = artifacts.table[artifacts.table["has_text"].astype(bool)].head(5)
    pd.DataFrame({"wav": rows["wav_path"], "txt": rows["txt_path"]}).to_csv(root / "input.csv", index=False)
    return root / "artifacts", root / "models", root / "input.csv"


def test_predict_from_a_models_bundle_equals_the_folder(trained, server, tmp_path, capsys):
    _, models, recordings = trained
    assert main(["bundle", "models", str(models), "--out", str(tmp_path / "models.zip"), "--quiet"]) == 0
    outputs = {}
    server.files["/models.zip"] = (tmp_path / "models.zip").read_bytes()
    for name, source in (("folder", models), ("zip", tmp_path / "models.zip"), ("url", server.url("/models.zip"))):
        out = tmp_path / f"{name}.csv"
        assert main(["predict", "--models", str(source), "--input", str(recordings), "--out", str(out)]) == 0
        outputs[name] = pd.read_csv(out)
    assert len(outputs["folder"]) == 5 and outputs["folder"]["emotion"].notna().all()
    pd.testing.assert_frame_equal(outputs["zip"], outputs["folder"])
    pd.testing.assert_frame_equal(outputs["url"], outputs["folder"])
    assert EmotionClassifier.load(tmp_path / "models.zip").modalities == ("text",)
    assert main(["predict", "--models", str(models), "--input", str(recordings), "--out", str(tmp_path / "x.csv"),
                 "--overwrite"]) == 0  # fmt: skip


def test_load_artifacts_from_a_bundle_equals_the_folder(trained, tmp_path):
    folder = trained[0]
    write_bundle(folder, "artifacts", tmp_path / "artifacts.zip", progress=False)
    original, bundled = load_artifacts(folder), load_artifacts(tmp_path / "artifacts.zip")
    assert bundled.folder != original.folder
    pd.testing.assert_frame_equal(bundled.table, original.table)
    assert bundled.manifest == original.manifest and bundled.tokens == original.tokens
    assert all(np.array_equal(a, b) for a, b in zip(bundled.audio, original.audio, strict=True))
    pd.testing.assert_frame_equal(bundled.bio, original.bio)
