"""Builds what the export tests and the light-venv tests read: a tiny generated corpus, one tiny Keras model
per modality and an early-fusion network (chosen by ``fusion.json``, so export includes it), their ONNX
export, the recordings to predict and the Keras predictor's results on them (the reference).

``python tests/export/export_build.py DIR`` (the main venv: it needs Keras) is what ``make test-light``
runs before the light venv's tests, which then read ``DIR`` through ``EMOTION_LIGHT_EXPORT``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ONNX_DIR = "onnx"
RECORDINGS = "recordings.json"
REFERENCE = "keras_predictions.json"
N_RECORDINGS = 4


def build(root: str | Path) -> Path:
    """Write ``root/{corpus,artifacts,models,onnx}``, ``recordings.json`` and ``keras_predictions.json``."""
    import dataclasses

    import numpy as np

    from emotion_classifier.datasets import bio_files_for
    from emotion_classifier.datasets.synthetic import generate_corpus
    from emotion_classifier.export import export_models
    from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
    from emotion_classifier.fusion.prediction_choice import save_fusion_weights
    from emotion_classifier.predict import EmotionClassifier
    from emotion_classifier.training.estimators import TrainConfig, make_model, modality_inputs

    root = Path(root)
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=3, seed=1)
    prepare(root / "corpus", root / "artifacts", PrepareConfig(jobs=1), progress=False)
    artifacts = load_artifacts(root / "artifacts")
    config = TrainConfig(epochs=1, units=8, filters=8, embedding_dim=8, hidden_units=(16,), vocab_min_count=1)
    sessions = artifacts.table["session"].to_numpy()
    available = []
    for modality in ("text", "speech", "bio", "early_fusion"):
        settings = dataclasses.replace(config, context_window=1) if modality == "early_fusion" else config
        inputs = modality_inputs(artifacts, modality)
        available.append(inputs.available)
        model = make_model(modality, settings)
        model.fit(inputs, np.flatnonzero(sessions < 3), np.flatnonzero(sessions == 3))
        model.save(root / "models", modality)
    save_fusion_weights(root / "models", dict.fromkeys(("text", "speech", "bio"), 1.0), method="early_fusion",
                        late_method="soft_vote")  # fmt: skip
    export_models(root / "models", root / ONNX_DIR, "onnx")
    recordings = []
    for i in np.flatnonzero(np.column_stack(available).all(axis=1))[:N_RECORDINGS]:
        row = artifacts.table.iloc[i]
        bio = bio_files_for(row, artifacts.manifest["root"])
        recordings.append({"wav": str(row["wav_path"]), "txt": str(row["txt_path"]), "eda": str(bio["EDA"]),
                           "temp": str(bio["TEMP"])})  # fmt: skip
    keras = EmotionClassifier.load(root / "models")
    (root / RECORDINGS).write_text(json.dumps(recordings), encoding="utf-8")
    (root / REFERENCE).write_text(json.dumps([keras.predict(**r) for r in recordings]), encoding="utf-8")
    return root


if __name__ == "__main__":
    print(build(sys.argv[1]))
