"""Early fusion: the dialogue context window, missing modalities, shapes, persistence and learning.

Most tests use a small hand-made artifacts object (three classes, each planted in the words, the
voice and the body signal of a segment) so that they run in seconds; the last one trains through
`train_modality` on a generated corpus, like every other modality.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import PrepareConfig, prepare
from emotion_classifier.features.tokenizers import tokenizer_version
from emotion_classifier.fusion.early import (
    EARLY_FUSION,
    EarlyFusionModel,
    FusionEncoder,
    FusionRow,
    context_positions,
    early_fusion_inputs,
)
from emotion_classifier.training import runs
from emotion_classifier.training.estimators import TrainConfig, load_model, make_model
from emotion_classifier.training.train import train_modality

CLASSES = ("angry", "happy", "sad")
N_FRAME_FEATURES = 4
N_BIO = 3


def fake_artifacts(n_dialogues: int = 6, per_dialogue: int = 8, seed: int = 0, missing: float = 0.15):
    """An artifacts-like object, rows shuffled so that table order is not dialogue order.

    Each class has its own word, a shifted voice and a shifted body signal; about ``missing`` of
    the rows lack each modality.
    """
    rng = np.random.default_rng(seed)
    rows, tokens, audio, bio = [], [], [], []
    for d in range(n_dialogues):
        for j in range(per_dialogue):
            k = int(rng.integers(len(CLASSES)))
            rows.append({
                "segment_id": f"Sess{d // 2 + 1:02d}_impro{d % 2 + 1:02d}_F{j:03d}", "session": d // 2 + 1,
                "dialogue": f"Sess{d // 2 + 1:02d}_impro{d % 2 + 1:02d}", "view": "speaker", "kind": "impro",
                "start": 4.0 * j + rng.uniform(0, 1), "numb": float(j), "emotion": CLASSES[k], "n_labels": 1,
                "valence": 1.5 + 1.5 * k, "arousal": 4.0 - k, "text": "",
                "has_text": rng.random() > missing, "has_audio": rng.random() > missing,
                "has_bio": rng.random() > missing,
            })  # fmt: skip
            words = [f"w{k}"] + [f"f{int(i)}" for i in rng.integers(0, 5, size=int(rng.integers(1, 5)))]
            tokens.append(words if rows[-1]["has_text"] else [])
            frames = rng.normal(k, 0.5, size=(int(rng.integers(6, 12)), N_FRAME_FEATURES))
            audio.append(frames.astype("float32") if rows[-1]["has_audio"] else np.zeros((0, N_FRAME_FEATURES)))
            bio.append(rng.normal(k, 0.5, N_BIO) if rows[-1]["has_bio"] else np.full(N_BIO, np.nan))
    order = rng.permutation(len(rows))
    table = pd.DataFrame(rows).iloc[order].reset_index(drop=True)
    bio_table = pd.DataFrame(np.asarray(bio)[order], columns=[f"b{i}" for i in range(N_BIO)])
    bio_table.insert(0, "segment_id", table["segment_id"])
    bio_table["has_bio"] = table["has_bio"]
    return SimpleNamespace(
        table=table, tokens=[tokens[i] for i in order], audio=[audio[i] for i in order],
        audio_feature_names=[f"a{i}" for i in range(N_FRAME_FEATURES)], bio=bio_table, manifest={"config": {}},
    )  # fmt: skip


def small_config(**settings) -> TrainConfig:
    base = dict(epochs=3, batch_size=16, units=8, filters=8, embedding_dim=8, hidden_units=(16,), dropout=0.0,
                speech_model="pooled", vocab_min_count=1, patience=50)  # fmt: skip
    return TrainConfig(**{**base, **settings})


@pytest.fixture(scope="module")
def fake():
    return fake_artifacts()


@pytest.fixture(scope="module")
def inputs(fake):
    return early_fusion_inputs(fake)


@pytest.fixture(scope="module")
def context_model(inputs):
    """A model reading two preceding segments, fitted on sessions 1-2 (validation: session 3)."""
    sessions = inputs.table["session"].to_numpy()
    model = EarlyFusionModel(small_config(context_window=2, speech_model="crnn"))
    return model.fit(inputs, np.flatnonzero(sessions < 3), np.flatnonzero(sessions == 3))


def _ranked(table: pd.DataFrame) -> dict[int, list[int]]:
    """Positions of every dialogue's rows in time order (the test's own, brute-force ordering)."""
    return {
        pos: sorted(table.index[table["dialogue"] == row.dialogue], key=lambda i: table.at[i, "start"])
        for pos, row in table.iterrows()
    }


def test_context_holds_the_preceding_segments_of_the_same_dialogue_only(fake):
    table = fake.table
    window = 3
    previous = context_positions(table, window)
    assert previous.shape == (len(table), window)
    for pos, dialogue_rows in _ranked(table).items():
        rank = dialogue_rows.index(pos)
        expected = dialogue_rows[max(0, rank - window) : rank]
        expected = [-1] * (window - len(expected)) + expected  # padding at the dialogue start
        assert previous[pos].tolist() == expected
    real = previous[previous >= 0]
    owners = np.repeat(np.arange(len(table)), window)[previous.ravel() >= 0]
    assert (table["dialogue"].to_numpy()[real] == table["dialogue"].to_numpy()[owners]).all()
    assert (table["start"].to_numpy()[real] < table["start"].to_numpy()[owners]).all()


def test_context_orders_by_numb_when_starts_tie():
    table = pd.DataFrame({"dialogue": ["d"] * 3, "view": ["speaker"] * 3, "start": [1.0, 1.0, 0.0],
                          "numb": [3.0, 2.0, 1.0]})  # fmt: skip
    assert context_positions(table, 2).tolist() == [[2, 1], [-1, 2], [-1, -1]]


def test_encoder_fills_absent_parts_with_zeros_and_flags_them():
    rng = np.random.default_rng(1)
    encoders = {name: make_model(name, small_config())._make_encoder() for name in ("text", "speech")}
    with_both = [FusionRow({"text": ["a", "b"], "speech": rng.normal(size=(5, 2))}) for _ in range(4)]
    encoder = FusionEncoder(encoders, context_window=2, context_parts=("text",)).fit(with_both)
    rows = [
        FusionRow({"text": ["a"]}, context=[{"speech": rng.normal(size=(3, 2))}]),
        FusionRow({"speech": rng.normal(size=(4, 2))}, context=[{"text": ["b"]}, {"text": ["a", "b"]}]),
    ]
    x = encoder.transform(rows)
    assert x["text"].shape == (2, 3, encoder.row_shapes_["text"][0])
    assert x["speech"].shape == (2, 1, 4 * 2)  # pooled: mean, sd, min, max of each of 2 frame features
    assert x["text_present"][:, :, 0].tolist() == [[0, 0, 1], [1, 1, 0]]
    assert x["speech_present"][:, :, 0].tolist() == [[0], [1]]
    assert not x["text"][0, :2].any() and not x["text"][1, 2].any() and not x["speech"][0].any()
    assert x["text"][0, 2].any() and x["speech"][1].any()


def test_rows_lacking_modalities_still_get_predictions(context_model, inputs):
    parts = inputs.x.parts
    lacking = np.flatnonzero(~parts["text"].available | ~parts["speech"].available | ~parts["bio"].available)
    assert lacking.size > 0
    prediction = context_model.predict(inputs, np.arange(len(inputs.table)))
    assert prediction.proba.shape == (len(inputs.table), 7)
    assert np.isfinite(prediction.proba).all() and np.isfinite(prediction.valence).all()
    np.testing.assert_allclose(prediction.proba.sum(axis=1), 1.0, rtol=1e-5)


def _perturbed(fake, position: int):
    """The same artifacts with the words, voice and body signal of one row replaced (and present)."""
    changed = SimpleNamespace(**vars(fake))
    changed.tokens = [["w9", "f9", "f9"] if i == position else t for i, t in enumerate(fake.tokens)]
    changed.audio = [np.full((8, N_FRAME_FEATURES), 7.0, "float32") if i == position else a
                     for i, a in enumerate(fake.audio)]  # fmt: skip
    changed.table = fake.table.copy()
    changed.table.loc[position, ["has_text", "has_audio", "has_bio"]] = True
    changed.bio = fake.bio.copy()
    changed.bio.loc[position, ["b0", "b1", "b2", "has_bio"]] = [5.0, 5.0, 5.0, True]
    return early_fusion_inputs(changed)


def test_prediction_reads_preceding_segments_only(context_model, fake, inputs):
    ranked = _ranked(fake.table)
    dialogue = ranked[0]
    target = dialogue[4]
    everything = np.arange(len(fake.table))
    before = context_model.predict(inputs, everything).proba

    def change_of(position: int) -> float:
        after = context_model.predict(_perturbed(fake, position), everything).proba
        assert np.abs(after[position] - before[position]).max() > 1e-6  # the change is seen by its own row
        return float(np.abs(after[target] - before[target]).max())

    other_dialogue = next(pos for pos in everything if pos not in dialogue)
    assert change_of(dialogue[5]) == 0.0  # the next segment: the future is never read
    assert change_of(dialogue[1]) == 0.0  # three segments back: outside a window of two
    assert change_of(other_dialogue) == 0.0
    assert change_of(dialogue[3]) > 1e-6  # the previous segment is read
    assert change_of(dialogue[2]) > 1e-6


def test_save_and_load_give_the_same_predictions(context_model, inputs, tmp_path):
    context_model.save(tmp_path, EARLY_FUSION)
    loaded = load_model(tmp_path, EARLY_FUSION)  # the sidecar says which estimator it is
    assert isinstance(loaded, EarlyFusionModel) and loaded.context_window == 2
    rows = np.arange(len(inputs.table))
    original = context_model.predict(inputs, rows)
    np.testing.assert_allclose(loaded.predict(inputs, rows).proba, original.proba, atol=1e-6)
    np.testing.assert_allclose(loaded.predict(inputs, rows).valence, original.valence, atol=1e-5)
    assert context_model.history_["epoch"].tolist() == [1, 2, 3]


def test_learns_an_easy_problem_on_unseen_sessions():
    fake = fake_artifacts(n_dialogues=8, per_dialogue=10, seed=3)
    inputs = early_fusion_inputs(fake)
    sessions = inputs.table["session"].to_numpy()
    model = EarlyFusionModel(small_config(epochs=12, learning_rate=0.01, context_window=1))
    model.fit(inputs, np.flatnonzero(sessions <= 2), np.flatnonzero(sessions == 3))
    test = np.flatnonzero(sessions == 4)
    predicted = model.predict(inputs, test).labels()
    accuracy = float(np.mean(predicted == inputs.y[test]))
    assert accuracy >= 0.8, accuracy  # chance is about 1/3


def test_smote_is_refused_with_a_reason(inputs):
    with pytest.raises(ValueError, match="SMOTE"):
        EarlyFusionModel(small_config(balance="smote")).fit(inputs, np.arange(20), np.arange(20, 30))


def test_trains_through_the_same_loop_as_the_modalities(tmp_path):
    generate_corpus(tmp_path / "corpus", corpus="kemdy19", sessions=3, seed=0)
    prepare(tmp_path / "corpus", tmp_path / "artifacts", PrepareConfig(jobs=1), progress=False)
    run_dir = tmp_path / "runs" / "demo" / EARLY_FUSION
    config = small_config(epochs=1)
    metrics = train_modality(tmp_path / "artifacts", EARLY_FUSION, config, run_dir, models_dir=tmp_path / "models",
                             n_folds=3, progress=False)  # fmt: skip
    oof = runs.read_oof(runs.RunPaths(run_dir).oof)
    assert metrics["modality"] == EARLY_FUSION
    assert sorted(oof["fold"].unique()) == [0, 1, 2]
    assert np.isfinite(oof[[c for c in oof if c.startswith("p_")]].to_numpy()).all()
    assert (tmp_path / "models" / f"{EARLY_FUSION}.keras").is_file()
    assert isinstance(load_model(tmp_path / "models", EARLY_FUSION), EarlyFusionModel)


def test_the_preprocessing_settings_reach_the_saved_model(fake, tmp_path):
    """Prediction must tokenise and extract audio features as prepare did for the training rows."""
    settings = {"tokenizer": "kiwi", "n_mfcc": 40}
    inputs = early_fusion_inputs(SimpleNamespace(**{**vars(fake), "manifest": {"config": settings}}))
    assert inputs.preprocessing == settings
    sessions = inputs.table["session"].to_numpy()
    model = EarlyFusionModel(small_config(epochs=1)).fit(inputs, np.flatnonzero(sessions < 3),
                                                        np.flatnonzero(sessions == 3))
    model.save(tmp_path, EARLY_FUSION)
    recorded = {**settings, "tokenizer_version": tokenizer_version("kiwi")}  # its text part reads morphemes
    assert model.preprocessing_ == recorded and load_model(tmp_path, EARLY_FUSION).preprocessing_ == recorded
