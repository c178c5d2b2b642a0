from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from emotion_classifier.errors import InputError
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training import estimators
from emotion_classifier.training.encoders import OOV_ID, FeatureScaler
from emotion_classifier.training.estimators import (
    BioModel,
    ModalityInputs,
    Prediction,
    SpeechModel,
    TextModel,
    TrainConfig,
    load_model,
    make_model,
    modality_inputs,
)

N_ROWS = 280
TRAIN, VAL, TEST = np.arange(0, 180), np.arange(180, 220), np.arange(220, N_ROWS)
TINY = {"epochs": 4, "units": 8, "embedding_dim": 8, "filters": 8, "hidden_units": (16,), "batch_size": 32}


def _table(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Segment rows with every emotion, ratings that follow the class, and one session per 40 rows."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n) % len(EMOTIONS)
    rng.shuffle(ids)
    valence = np.clip(1.5 + 0.5 * ids + rng.normal(0, 0.2, n), 1, 5)
    table = pd.DataFrame(
        {
            "segment_id": [f"Sess{1 + i // 40:02d}_impro01_F{i:03d}" for i in range(n)],
            "session": 1 + np.arange(n) // 40,
            "kind": "impro",
            "emotion": np.asarray(EMOTIONS)[ids],
            "valence": valence,
            "arousal": 6.0 - valence,
            "text": [f"문장 {i}" for i in ids],
        }
    )
    return table, ids


def _inputs(table: pd.DataFrame, x, modality: str, available=None, names=()) -> ModalityInputs:
    return ModalityInputs(
        table=table,
        x=x,
        available=np.ones(len(table), bool) if available is None else available,
        y=table["emotion"].to_numpy(),
        valence=table["valence"].to_numpy(),
        arousal=table["arousal"].to_numpy(),
        modality=modality,
        feature_names=list(names),
    )


def _bio_inputs(n: int = N_ROWS, seed: int = 0) -> ModalityInputs:
    table, ids = _table(n, seed)
    rng = np.random.default_rng(seed + 1)
    centers = rng.normal(0, 3, size=(len(EMOTIONS), 6))
    x = centers[ids] + rng.normal(size=(n, 6))
    x[:, 5] = table["valence"] + rng.normal(0, 0.1, n)  # a feature that carries valence
    return _inputs(table, x, "bio", names=[f"bio_{i}" for i in range(6)])


def _text_inputs(n: int = N_ROWS, seed: int = 0) -> ModalityInputs:
    table, ids = _table(n, seed)
    rng = np.random.default_rng(seed + 2)
    words = [[f"{e}_{k}" for k in range(4)] for e in EMOTIONS]
    tokens = [["그리고", *rng.choice(words[c], size=rng.integers(2, 7))] for c in ids]
    return _inputs(table, tokens, "text")


def _speech_inputs(n: int = N_ROWS, seed: int = 0) -> ModalityInputs:
    table, ids = _table(n, seed)
    rng = np.random.default_rng(seed + 3)
    centers = rng.normal(0, 2, size=(len(EMOTIONS), 4))
    frames = [centers[c] + rng.normal(size=(rng.integers(5, 30), 4)) for c in ids]
    return _inputs(table, frames, "speech", names=["mfcc_0", "mfcc_1", "mfcc_2", "mfcc_3"])


# -- configuration and inputs ---------------------------------------------------------------------


def test_train_config_round_trips_and_rejects_bad_settings():
    config = TrainConfig(balance="smote", text_encoder="lstm", hidden_units=[32, 16])
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig(**config.to_dict()) == config
    with pytest.raises(ValueError, match="balance"):
        TrainConfig(balance="undersample")
    with pytest.raises(ValueError, match="lambda"):
        TrainConfig(emotion_weight=1.5)
    with pytest.raises(ValueError, match="unknown training settings"):
        TrainConfig.from_dict({"epoch": 3})


def test_modality_inputs_from_an_artifacts_folder():
    table = pd.DataFrame(
        {
            "segment_id": ["a", "b", "c"],
            "emotion": ["angry", "", "sad"],
            "valence": [1.5, 3.0, np.nan],
            "arousal": [4.0, 3.0, 2.0],
            "has_text": ["True", "False", "True"],
            "has_audio": [True, True, False],
        }
    )
    bio = pd.DataFrame({"segment_id": ["a", "b", "c"], "eda_mean": [0.1, np.nan, 0.3], "has_bio": [1, 0, 1]})
    artifacts = SimpleNamespace(
        table=table,
        tokens=[["화", "가"], [], ["슬퍼"]],
        audio=[np.ones((3, 2)), np.ones((4, 2)), np.zeros((0, 2))],
        audio_feature_names=["mfcc_0", "mfcc_1"],
        bio=bio,
    )
    text = modality_inputs(artifacts, "text")
    assert text.available.tolist() == [True, False, True] and text.y.tolist() == ["angry", "", "sad"]
    assert np.isnan(text.valence[2]) and text.x[0] == ["화", "가"]
    speech = modality_inputs(artifacts, "speech")
    assert speech.available.tolist() == [True, True, False] and speech.feature_names == ["mfcc_0", "mfcc_1"]
    bio_inputs = modality_inputs(artifacts, "bio")
    assert bio_inputs.feature_names == ["eda_mean"] and bio_inputs.x.shape == (3, 1)
    assert bio_inputs.available.tolist() == [True, False, True]
    artifacts.bio = bio.iloc[::-1]
    with pytest.raises(ValueError, match="row-aligned"):
        modality_inputs(artifacts, "bio")


def test_modality_inputs_refuse_misaligned_rows_and_unknown_labels():
    table, _ = _table(5)
    with pytest.raises(ValueError, match="row-aligned"):
        _inputs(table, np.zeros((4, 2)), "bio")
    table.loc[0, "emotion"] = "bored"
    with pytest.raises(ValueError, match="bored"):
        _inputs(table, np.zeros((5, 2)), "bio")


# -- learning, multitask heads, skipped rows, determinism -----------------------------------------


@pytest.fixture(scope="module")
def bio_fit():
    inputs = _bio_inputs()
    inputs.available[TRAIN[:10]] = False  # no bio recording: never trained on
    inputs.x[TRAIN[:10]] = np.nan
    inputs.y[TRAIN[10:15]] = ""  # a dropped tie: never trained on
    inputs.available[TEST[:5]] = False
    model = BioModel(TrainConfig(epochs=40, seed=7)).fit(inputs, TRAIN, VAL)
    return inputs, model, model.predict(inputs, TEST)


def test_bio_model_learns_an_easy_problem_and_its_rating_heads_follow_the_targets(bio_fit):
    inputs, model, pred = bio_fit
    scored = TEST[5:]
    labels = pred.labels()[5:]
    assert f1_score(inputs.y[scored], labels, average="macro") > 0.6
    for target in ("valence", "arousal"):
        r = np.corrcoef(getattr(pred, target)[5:], getattr(inputs, target)[scored])[0, 1]
        assert r > 0.8, target
    assert 0.0 < np.nanmean(pred.valence) < 6.0  # unscaled back to the 1-5 rating scale
    assert list(model.history_.columns[:1]) == ["epoch"] and "val_loss" in model.history_
    assert 1 <= model.best_epoch_ <= len(model.history_)


def test_rows_without_the_modality_or_a_label_are_counted_and_get_nan_predictions(bio_fit):
    inputs, model, pred = bio_fit
    assert model.skipped_["train"] == {"no_modality": 10, "unlabelled": 5}
    assert model.n_train_ == TRAIN.size - 15 and model.n_val_ == VAL.size
    assert sum(model.balance_["counts_before"].values()) == model.n_train_
    assert np.isnan(pred.proba[:5]).all() and np.isnan(pred.valence[:5]).all()
    assert pred.labels()[:5].tolist() == [""] * 5
    np.testing.assert_allclose(pred.proba[5:].sum(axis=1), 1.0, rtol=1e-5)


def test_same_seed_gives_the_same_predictions(bio_fit):
    inputs, model, pred = bio_fit
    again = BioModel(TrainConfig(epochs=40, seed=7)).fit(inputs, TRAIN, VAL).predict(inputs, TEST)
    np.testing.assert_array_equal(again.proba, pred.proba)
    np.testing.assert_array_equal(again.valence, pred.valence)


def test_same_seed_gives_the_same_predictions_for_a_recurrent_text_model():
    inputs = _text_inputs(120)
    train, val, test = np.arange(80), np.arange(80, 100), np.arange(100, 120)
    first = TextModel(TrainConfig(**TINY, seed=3)).fit(inputs, train, val).predict(inputs, test)
    second = TextModel(TrainConfig(**TINY, seed=3)).fit(inputs, train, val).predict(inputs, test)
    np.testing.assert_array_equal(first.proba, second.proba)


def test_predict_raw_equals_predict_for_the_same_rows(bio_fit):
    inputs, model, pred = bio_fit
    raw = model.predict_raw(inputs.x[TEST[5:]])
    np.testing.assert_allclose(raw.proba, pred.proba[5:], rtol=1e-6)
    assert model.predict_raw([]).proba.shape == (0, len(EMOTIONS))


# -- leakage --------------------------------------------------------------------------------------


def test_scaler_imputer_and_smote_only_ever_see_training_rows(monkeypatch):
    inputs = _bio_inputs()
    inputs.x[VAL] += 1000.0
    inputs.x[TEST] -= 1000.0
    inputs.x[TRAIN[:20], 0] = np.nan
    seen = []
    real_balance = estimators.balance_training_set

    def spy(mode, x, y, **kwargs):
        seen.append(np.array(x))
        return real_balance(mode, x, y, **kwargs)

    monkeypatch.setattr(estimators, "balance_training_set", spy)
    model = BioModel(TrainConfig(epochs=2, balance="smote")).fit(inputs, TRAIN, VAL)
    reference = FeatureScaler().fit(inputs.x[TRAIN])
    np.testing.assert_allclose(model.encoder_.scaler.median_, reference.median_)
    np.testing.assert_allclose(model.encoder_.scaler.mean_, reference.mean_)
    np.testing.assert_allclose(model.encoder_.scaler.scale_, reference.scale_)
    (given,) = seen
    assert given.shape[0] == TRAIN.size and np.abs(given).max() < 50  # val/test rows would be ~1000/sd away
    np.testing.assert_allclose(given, reference.transform(inputs.x[TRAIN]), rtol=1e-6)
    assert model.balance_["synthetic_rows"] > 0


def test_a_word_seen_only_in_test_rows_is_out_of_vocabulary():
    inputs = _text_inputs(120)
    train, val, test = np.arange(80), np.arange(80, 100), np.arange(100, 120)
    for i in np.concatenate([val, test]):
        inputs.x[i] = [*inputs.x[i], "시험에만", "시험에만"] + ["길다"] * 40
    model = TextModel(TrainConfig(**{**TINY, "epochs": 1}, vocab_min_count=1)).fit(inputs, train, val)
    vocabulary = model.encoder_.vocabulary
    assert "시험에만" not in vocabulary.tokens_ and "길다" not in vocabulary.tokens_
    assert vocabulary.transform([["시험에만"]]) == [[OOV_ID]]
    assert model.encoder_.padder.maxlen_ <= max(len(inputs.x[i]) for i in train)


def test_smote_is_refused_for_sequence_models():
    with pytest.raises(ValueError, match="fixed-length"):
        TextModel(TrainConfig(**TINY, balance="smote")).fit(_text_inputs(60), np.arange(40), [])


# -- the other model variants, save and load ------------------------------------------------------


def test_speech_crnn_with_cb_loss_round_trips_through_keras_and_h5(tmp_path):
    inputs = _speech_inputs(100)
    model = SpeechModel(TrainConfig(**TINY, balance="cb_loss")).fit(inputs, np.arange(70), np.arange(70, 85))
    test = np.arange(85, 100)
    before = model.predict(inputs, test)
    assert model.balance_["cb_weights"] and model.feature_names_ == ["mfcc_0", "mfcc_1", "mfcc_2", "mfcc_3"]
    model.save(tmp_path, "fold0", fmt="h5")
    assert {p.name for p in tmp_path.iterdir()} == {"fold0.keras", "fold0.h5", "fold0.json"}
    for loaded in (SpeechModel.load(tmp_path, "fold0"), load_model(tmp_path, "fold0")):
        assert isinstance(loaded, SpeechModel)
        after = loaded.predict(inputs, test)
        np.testing.assert_array_equal(after.proba, before.proba)
        np.testing.assert_array_equal(after.arousal, before.arousal)
    (tmp_path / "fold0.keras").unlink()
    from_h5 = load_model(tmp_path, "fold0").predict(inputs, test)
    np.testing.assert_allclose(from_h5.proba, before.proba, rtol=1e-6)
    with pytest.raises(InputError, match="speech"):
        TextModel.load(tmp_path, "fold0")


def test_pooled_speech_model_accepts_smote_and_names_its_statistics(tmp_path):
    inputs = _speech_inputs(100)
    inputs.y[np.flatnonzero(inputs.y[:70] == "fear")[:8]] = ""  # make fear rare in training
    model = SpeechModel(TrainConfig(**TINY, speech_model="pooled", balance="smote"))
    model.fit(inputs, np.arange(70), np.arange(70, 85))
    assert model.balance_["synthetic_rows"] > 0
    assert model.feature_names_[:2] == ["mfcc_0_mean", "mfcc_1_mean"] and len(model.feature_names_) == 16
    model.save(tmp_path, "pooled")
    np.testing.assert_array_equal(
        SpeechModel.load(tmp_path, "pooled").predict(inputs, np.arange(85, 100)).proba,
        model.predict(inputs, np.arange(85, 100)).proba,
    )


def test_sentence_text_model_embeds_the_transcripts(tmp_path):
    inputs = _text_inputs(60)
    config = TrainConfig(**TINY, text_encoder="sentence", regression_heads=False)
    model = TextModel(config).fit(inputs, np.arange(40), np.arange(40, 50))
    pred = model.predict(inputs, np.arange(50, 60))
    assert np.isnan(pred.valence).all() and np.isfinite(pred.proba).all()
    raw = model.predict_raw(inputs.table["text"].iloc[50:60].tolist())
    np.testing.assert_allclose(raw.proba, pred.proba, rtol=1e-6)
    model.save(tmp_path, "text")
    again = TextModel.load(tmp_path, "text").predict(inputs, np.arange(50, 60))
    np.testing.assert_array_equal(again.proba, pred.proba)


def test_unusable_requests_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="modality"):
        make_model("video")
    assert isinstance(make_model("bio"), BioModel)
    with pytest.raises(RuntimeError, match="not fitted"):
        BioModel().predict_raw(np.zeros((1, 3)))
    inputs = _bio_inputs(20)
    inputs.y[:] = ""
    with pytest.raises(ValueError, match="no labelled bio rows"):
        BioModel(TrainConfig(**TINY)).fit(inputs, np.arange(10), np.arange(10, 20))
    with pytest.raises(InputError, match="sidecar not found"):
        BioModel.load(tmp_path, "missing")
    (tmp_path / "broken.json").write_text('{"labels": [', encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.json:1: not valid JSON"):
        BioModel.load(tmp_path, "broken")
    assert Prediction.empty(2).labels().tolist() == ["", ""]
