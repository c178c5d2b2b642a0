"""Prediction latency: what makes repeated predictions cheap must not change what they predict.

A person's bio files are read and prepared once while unchanged (`model_inputs.PERSON_SIGNALS`), and
each model's function is traced once for any batch size. The reference is the path without the
cache: each recording predicted alone, every file read again.
"""

from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from emotion_classifier import model_inputs
from emotion_classifier.datasets import bio_files_for
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
from emotion_classifier.features import inputs as feature_inputs
from emotion_classifier.features.inputs import PersonSignalCache
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.registry import modality_names
from emotion_classifier.training.estimators import TrainConfig, make_model, modality_inputs
from emotion_classifier.training.metrics import PROBA_COLUMNS

MODALITIES = modality_names(joint=False, default_only=True)


@pytest.fixture(scope="module")
def corpus_and_classifier(tmp_path_factory):
    """(corpus root, recordings table with every speaker's bio files, classifier of tiny models)."""
    root = tmp_path_factory.mktemp("latency")
    corpus = generate_corpus(root / "corpus", corpus="kemdy19", sessions=2, seed=4)
    prepare(corpus.root, root / "artifacts", PrepareConfig(jobs=1), progress=False)
    artifacts = load_artifacts(root / "artifacts")
    config = TrainConfig(epochs=1, units=4, filters=4, embedding_dim=4, hidden_units=(8,), vocab_min_count=1)
    sessions = artifacts.table["session"].to_numpy()
    for modality in MODALITIES:
        model = make_model(modality, config)
        model.fit(modality_inputs(artifacts, modality), np.flatnonzero(sessions < 2), np.flatnonzero(sessions == 2))
        model.save(root / "models", modality)
    complete = artifacts.table[["has_text", "has_audio", "has_bio"]].astype(bool).all(axis=1)
    table = artifacts.table[(artifacts.table["view"] == "speaker") & complete]
    rows = []
    for _, row in table.iterrows():
        bio = bio_files_for(row, corpus.root)
        rows.append({"wav": row["wav_path"], "txt": row["txt_path"], "eda": str(bio["EDA"]), "temp": str(bio["TEMP"]),
                     "ecg": str(bio["ECG"]), "segment_id": row["segment_id"]})  # fmt: skip
    return corpus.root, pd.DataFrame(rows), EmotionClassifier.load(root / "models")


@pytest.fixture
def uncached(monkeypatch):
    """Predict without the cache: every call reads the bio files again (the path before it)."""

    def use():
        monkeypatch.setattr(model_inputs, "PERSON_SIGNALS", PersonSignalCache(maxsize=0))

    return use


def _one_at_a_time(classifier, table: pd.DataFrame) -> np.ndarray:
    out = [classifier.predict(**{k: v for k, v in row.items() if v}) for row in table.to_dict("records")]
    return np.array([list(result["probabilities"].values()) + [result["valence"], result["arousal"]] for result in out])


def test_cached_batch_and_single_predictions_equal_uncached_ones(corpus_and_classifier, uncached):
    _, table, classifier = corpus_and_classifier
    batch = table.sample(n=min(40, len(table)), random_state=0)  # several speakers, interleaved
    assert batch["eda"].nunique() >= 3
    model_inputs.PERSON_SIGNALS.clear()
    many = classifier.predict_many(batch)
    got = many[[*PROBA_COLUMNS, "valence", "arousal"]].to_numpy(dtype=float)
    warm = _one_at_a_time(classifier, batch.head(8))  # single calls on the files the batch read
    uncached()
    reference = _one_at_a_time(classifier, batch)
    assert np.isfinite(reference).all() and (many["modalities"] == "text+speech+bio").all()
    np.testing.assert_allclose(got, reference, rtol=0, atol=1e-6)
    np.testing.assert_allclose(warm, reference[:8], rtol=0, atol=1e-6)


def test_editing_a_bio_file_between_two_predictions_changes_the_result(corpus_and_classifier, uncached, tmp_path):
    _, table, classifier = corpus_and_classifier
    row = table.iloc[0]
    eda, temp = tmp_path / "eda.csv", tmp_path / "temp.csv"
    eda.write_text(Path(row["eda"]).read_text())
    temp.write_text(Path(row["temp"]).read_text())
    call = {"wav": row["wav"], "txt": row["txt"], "eda": str(eda), "temp": str(temp), "segment_id": row["segment_id"]}
    model_inputs.PERSON_SIGNALS.clear()
    before = classifier.predict(**call)["per_modality"]["bio"]["probabilities"]
    assert classifier.predict(**call)["per_modality"]["bio"]["probabilities"] == before  # read from the cache
    assert model_inputs.PERSON_SIGNALS.hits >= 2
    lines = eda.read_text().splitlines()  # value, elapsed s, clock[, segment]: the values rise by a third
    eda.write_text("".join(f"{float(line.split(',')[0]) * 4 / 3:.6f},{line.split(',', 1)[1]}\n" for line in lines))
    after = classifier.predict(**call)["per_modality"]["bio"]["probabilities"]
    assert after != before
    uncached()
    reference = classifier.predict(**call)["per_modality"]["bio"]["probabilities"]
    np.testing.assert_allclose(list(after.values()), list(reference.values()), rtol=0, atol=1e-6)


def test_a_batch_reads_each_bio_file_once(corpus_and_classifier, monkeypatch):
    _, table, classifier = corpus_and_classifier
    reads = []
    original = feature_inputs.read_bio_file
    monkeypatch.setattr(feature_inputs, "read_bio_file", lambda path, *a: reads.append(path) or original(path, *a))
    batch = table.head(30)
    model_inputs.PERSON_SIGNALS.clear()
    classifier.predict_many(batch)
    files = set(batch[["eda", "temp", "ecg"]].to_numpy().ravel())
    assert sorted(map(str, reads)) == sorted(files)
    reads.clear()
    classifier.predict_many(batch.tail(5))
    assert reads == []  # unchanged files are not read again


def test_cache_is_bounded_and_forgets_the_least_recently_used():
    cache = PersonSignalCache(maxsize=2)
    built = []
    for key in ("a", "b", "a", "c", "b"):
        cache.get((key,), lambda key=key: built.append(key) or key)
    assert built == ["a", "b", "c", "b"] and len(cache) == 2  # "b" was the least recently used when "c" came


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's tracing")
def test_a_batch_after_single_recordings_traces_no_model_again(corpus_and_classifier):
    _, table, classifier = corpus_and_classifier
    classifier.predict(**{k: v for k, v in table.iloc[0].to_dict().items() if v})
    classifier.predict_many(table.head(7))
    classifier.predict_many(table.head(70))  # two chunks of another size
    traces = {name: m.model_.predict_function.experimental_get_tracing_count() for name, m in classifier.models.items()}
    assert traces == dict.fromkeys(classifier.models, 1)
