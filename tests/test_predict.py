"""Prediction on new recordings: the same numbers as the evaluation path, from files alone.

Three small models and an early-fusion network are trained on a generated corpus and saved like
``train_modality`` saves the final models; every test then predicts from the corpus files (wav, txt,
bio) and compares with the saved models applied to the artifacts rows of the same segments. The
early-fusion network reads one preceding segment (``context_window=1``): a new recording has no
dialogue, so its prediction must equal the evaluation path exactly for a dialogue's first segment.
"""

import dataclasses
import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from emotion_classifier.cli import main
from emotion_classifier.datasets import bio_files_for
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.errors import AudioError, InputError
from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
from emotion_classifier.fusion.early import EARLY_FUSION, FusionRow, context_positions
from emotion_classifier.fusion.prediction_choice import (
    FUSION_FILE,
    choose_prediction_fusion,
    fold_mean_weights,
    save_fusion_weights,
    validation_score,
)
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.model_inputs import Recording, bio_feature_rows, read_inputs
from emotion_classifier.pipeline import PipelineConfig, record_prediction_fusion
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.registry import modality_names
from emotion_classifier.training.estimators import (
    TrainConfig,
    make_model,
    modality_inputs,
    unscale_rating,
)
from emotion_classifier.training.metrics import PROBA_COLUMNS

MODALITIES = modality_names(joint=False, default_only=True)
ATOL = 1e-5


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(artifacts, inputs, models folder): one tiny model per modality and an early-fusion network with
    one segment of context, sessions 1-2 / 3 (no fusion.json: the late soft vote)."""
    root = tmp_path_factory.mktemp("predict")
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=3, seed=1)
    prepare(root / "corpus", root / "artifacts", PrepareConfig(jobs=1), progress=False)
    artifacts = load_artifacts(root / "artifacts")
    config = TrainConfig(epochs=2, units=8, filters=8, embedding_dim=8, hidden_units=(16,), vocab_min_count=1)
    configs = {**dict.fromkeys(MODALITIES, config), EARLY_FUSION: dataclasses.replace(config, context_window=1)}
    sessions = artifacts.table["session"].to_numpy()
    inputs = {}
    for modality, settings in configs.items():
        inputs[modality] = modality_inputs(artifacts, modality)
        model = make_model(modality, settings)
        model.fit(inputs[modality], np.flatnonzero(sessions < 3), np.flatnonzero(sessions == 3))
        model.save(root / "models", modality)
    return artifacts, inputs, root / "models"


@pytest.fixture(scope="module")
def classifier(trained):
    return EmotionClassifier.load(trained[2])


@pytest.fixture(scope="module")
def early_models(trained, tmp_path_factory):
    """A copy of the models folder whose fusion.json chooses the early-fusion network."""
    folder = shutil.copytree(trained[2], tmp_path_factory.mktemp("early") / "models")
    save_fusion_weights(folder, dict.fromkeys(MODALITIES, 1.0), method=EARLY_FUSION, late_method="soft_vote")
    return folder


@pytest.fixture(scope="module")
def early_classifier(early_models):
    return EmotionClassifier.load(early_models)


def _complete_rows(artifacts, inputs) -> np.ndarray:
    """Rows with a wav, a transcript and bio features."""
    available = np.column_stack([inputs[m].available for m in MODALITIES]).all(axis=1)
    return np.flatnonzero(available)


def _files(artifacts, i: int) -> dict:
    row = artifacts.table.iloc[i]
    bio = bio_files_for(row, artifacts.manifest["root"])
    return {"wav": row["wav_path"], "txt": row["txt_path"], "eda": str(bio["EDA"]), "temp": str(bio["TEMP"])}


def _vector(probabilities: dict) -> np.ndarray:
    assert list(probabilities) == list(EMOTIONS)
    return np.array(list(probabilities.values()))


def test_prediction_from_files_equals_the_evaluation_path(trained, classifier):
    artifacts, inputs, _ = trained
    rows = _complete_rows(artifacts, inputs)[:3]
    assert rows.size == 3
    for i in rows:
        result = classifier.predict(**_files(artifacts, i))
        assert result["modalities"] == list(MODALITIES) and result["skipped"] == {}
        assert result["method"] == "soft_vote" and result["note"] == ""
        expected = {m: classifier.models[m].predict(inputs[m], [i]) for m in MODALITIES}
        for m, prediction in expected.items():
            np.testing.assert_allclose(_vector(result["per_modality"][m]["probabilities"]), prediction.proba[0],
                                       atol=ATOL)  # fmt: skip
            assert result["per_modality"][m]["valence"] == pytest.approx(prediction.valence[0], abs=ATOL)
        fused = np.mean([p.proba[0] for p in expected.values()], axis=0)  # no fusion.json: equal weights
        np.testing.assert_allclose(_vector(result["probabilities"]), fused, atol=ATOL)
        assert result["emotion"] == EMOTIONS[int(np.argmax(fused))]
        assert result["arousal"] == pytest.approx(np.mean([p.arousal[0] for p in expected.values()]), abs=ATOL)


def test_a_copied_models_folder_works_from_another_path(trained, classifier, tmp_path):
    artifacts, inputs, models = trained
    copy = shutil.copytree(models, tmp_path / "elsewhere" / "models")
    i = _complete_rows(artifacts, inputs)[0]
    moved = EmotionClassifier.load(copy).predict(**_files(artifacts, i))
    np.testing.assert_allclose(_vector(moved["probabilities"]),
                               _vector(classifier.predict(**_files(artifacts, i))["probabilities"]), atol=ATOL)


def test_missing_modalities_are_left_out_and_said_why(trained, classifier):
    artifacts, inputs, _ = trained
    i = _complete_rows(artifacts, inputs)[0]
    result = classifier.predict(txt=artifacts.table.iloc[i]["txt_path"])
    assert result["modalities"] == ["text"]
    assert set(result["skipped"]) == {"speech", "bio"} and "no wav" in result["skipped"]["speech"]
    np.testing.assert_allclose(_vector(result["probabilities"]),
                               classifier.models["text"].predict(inputs["text"], [i]).proba[0], atol=ATOL)
    typed = classifier.predict(text=artifacts.table.iloc[i]["text_raw"])
    np.testing.assert_allclose(_vector(typed["probabilities"]), _vector(result["probabilities"]), atol=ATOL)
    with pytest.raises(InputError, match="no usable input"):
        classifier.predict(text="   ")


def test_fusion_weights_are_read_from_fusion_json(trained, tmp_path):
    artifacts, inputs, models = trained
    folder = shutil.copytree(models, tmp_path / "models")
    save_fusion_weights(folder, {"text": 0.0, "speech": 1.0, "bio": 0.0}, method="weighted_vote")
    i = _complete_rows(artifacts, inputs)[0]
    result = EmotionClassifier.load(folder).predict(**_files(artifacts, i))
    np.testing.assert_allclose(_vector(result["probabilities"]),
                               _vector(result["per_modality"]["speech"]["probabilities"]), atol=ATOL)
    (folder / FUSION_FILE).write_text('{"weights": {"text": -1}}', encoding="utf-8")
    with pytest.raises(InputError, match=FUSION_FILE):
        EmotionClassifier.load(folder)


def test_other_sample_rates_and_stereo_are_converted_with_a_warning(trained, classifier, tmp_path):
    artifacts, inputs, _ = trained
    i = _complete_rows(artifacts, inputs)[0]
    samples, rate = sf.read(artifacts.table.iloc[i]["wav_path"])
    stereo = tmp_path / "stereo_44k.wav"
    sf.write(stereo, np.column_stack([samples, samples]).repeat(2, axis=0), rate * 2)
    with pytest.warns(UserWarning) as caught:
        result = classifier.predict(wav=stereo)
    messages = " ".join(str(w.message) for w in caught)
    assert "stereo_44k.wav" in messages and "resampled" in messages and "mono" in messages
    assert result["modalities"] == ["speech"]


def test_batch_from_a_csv_keeps_every_row_and_matches_single_predictions(trained, classifier, tmp_path):
    artifacts, inputs, _ = trained
    rows = _complete_rows(artifacts, inputs)[:3]
    records = [_files(artifacts, i) for i in rows]
    shutil.copy(records[0]["wav"], tmp_path / "relative.wav")
    records.append({"wav": "relative.wav", "txt": "", "eda": "", "temp": ""})  # relative to the CSV's folder
    records.append({"wav": str(tmp_path / "missing.wav"), "txt": "", "eda": "", "temp": ""})
    pd.DataFrame(records).to_csv(tmp_path / "batch.csv", index=False)
    table = classifier.predict_many(tmp_path / "batch.csv")
    assert len(table) == 5 and list(table.columns[:4]) == ["wav", "txt", "eda", "temp"]
    for k in range(3):
        single = classifier.predict(**records[k])
        np.testing.assert_allclose(table.loc[k, list(PROBA_COLUMNS)].to_numpy(dtype=float),
                                   _vector(single["probabilities"]), atol=ATOL)  # fmt: skip
        assert table.loc[k, "emotion"] == single["emotion"] and table.loc[k, "modalities"] == "text+speech+bio"
    alone = classifier.predict(wav=records[0]["wav"])
    np.testing.assert_allclose(table.loc[3, list(PROBA_COLUMNS)].to_numpy(dtype=float),
                               _vector(alone["probabilities"]), atol=ATOL)  # fmt: skip
    assert table.loc[3, "modalities"] == "speech" and "text: no transcript given" in table.loc[3, "skipped"]
    assert "missing.wav" in table.loc[4, "error"] and np.isnan(table.loc[4, "p_angry"])
    assert table.loc[:3, "error"].eq("").all()


def test_batch_from_a_folder_pairs_wav_and_txt_by_name(trained, classifier, tmp_path):
    artifacts, inputs, _ = trained
    i = _complete_rows(artifacts, inputs)[0]
    row = artifacts.table.iloc[i]
    shutil.copy(row["wav_path"], tmp_path / "a.wav")
    shutil.copy(row["txt_path"], tmp_path / "a.txt")
    shutil.copy(row["txt_path"], tmp_path / "b.txt")
    table = classifier.predict_many(tmp_path)
    assert table["modalities"].tolist() == ["text+speech", "text"]
    single = classifier.predict(wav=row["wav_path"], txt=row["txt_path"])
    np.testing.assert_allclose(table.loc[0, list(PROBA_COLUMNS)].to_numpy(dtype=float),
                               _vector(single["probabilities"]), atol=ATOL)  # fmt: skip


def test_bad_inputs_name_the_file(trained, classifier, tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF not really a wav file")
    # an undecodable wav is a skip reason (as in prepare); alone, nothing is left to predict from
    with pytest.raises(InputError, match=r"corrupt\.wav: no usable input .*speech: cannot decode wav"):
        classifier.predict(wav=corrupt)
    with pytest.raises(AudioError, match="not found"):
        classifier.predict(wav=tmp_path / "nowhere.wav")
    undecodable = tmp_path / "bytes.txt"
    undecodable.write_bytes(b"\xff\xfe\xff\xff")
    with pytest.raises(InputError, match="bytes.txt"):
        classifier.predict(txt=undecodable)
    (tmp_path / "empty_models").mkdir()
    with pytest.raises(InputError, match="no models"):
        EmotionClassifier.load(tmp_path / "empty_models")


def test_a_corrupt_wav_leaves_the_prediction_to_the_other_modalities(trained, classifier, tmp_path):
    artifacts, inputs, _ = trained
    i = _complete_rows(artifacts, inputs)[0]
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF not really a wav file")
    files = {**_files(artifacts, i), "wav": str(corrupt), "segment_id": artifacts.table.iloc[i]["segment_id"]}
    result = classifier.predict(**files)
    assert result["modalities"] == ["text", "bio"] and list(result["skipped"]) == ["speech"]
    assert "cannot decode wav" in result["skipped"]["speech"]
    fused = np.mean([classifier.models[m].predict(inputs[m], [i]).proba[0] for m in ("text", "bio")], axis=0)
    np.testing.assert_allclose(_vector(result["probabilities"]), fused, atol=ATOL)
    table = classifier.predict_many(pd.DataFrame([files]))
    assert table.loc[0, "error"] == "" and table.loc[0, "modalities"] == "text+bio"
    assert "speech: cannot decode wav" in table.loc[0, "skipped"]
    np.testing.assert_allclose(table.loc[0, list(PROBA_COLUMNS)].to_numpy(dtype=float), fused, atol=ATOL)


def test_cli_prints_one_recording_and_writes_a_batch(trained, tmp_path, capsys):
    artifacts, inputs, models = trained
    files = _files(artifacts, _complete_rows(artifacts, inputs)[0])
    arguments = [f"--{k}={v}" for k, v in files.items()]
    assert main(["predict", "--models", str(models), *arguments]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("emotion: ") and all(e in printed for e in EMOTIONS)
    assert "valence" in printed and "modalities: text, speech, bio" in printed
    pd.DataFrame([files]).to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--models", str(models), "--input", str(tmp_path / "in.csv"), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 1
    assert main(["predict", "--models", str(tmp_path), "--wav", files["wav"]]) == 2
    assert main(["predict", "--models", str(models), "--wav", str(tmp_path / "gone.wav")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert any(line.startswith("error: ") and "no models" in line for line in errors)
    assert any(line.startswith("error: ") and "gone.wav" in line for line in errors)


def test_bio_files_with_and_without_segment_ids(trained, tmp_path):
    artifacts, inputs, _ = trained
    names = ["eda_mean", "eda_n", "temp_mean"]
    values = np.linspace(0.2, 0.8, 40)
    untagged = tmp_path / "export.csv"  # value, elapsed seconds, clock: no segment column at all
    untagged.write_text("".join(f"{v},{k / 4},10:00:{k // 4:02d}.000\n" for k, v in enumerate(values)))
    with pytest.warns(UserWarning, match=r"export\.csv: EDA no segment ids: normalised over the utterance itself"):
        rows, reasons = bio_feature_rows({"EDA": str(untagged)}, ["anything"], names)
    assert reasons == [""] and rows[0, 1] == len(values) and rows[0, 0] == pytest.approx(values.mean())
    assert np.isnan(rows[0, 2])  # no TEMP file given
    i = _complete_rows(artifacts, inputs)[0]
    files = {"EDA": _files(artifacts, i)["eda"]}
    sid = artifacts.table.iloc[i]["segment_id"]
    rows, reasons = bio_feature_rows(files, [sid, "Sess99_impro01_F001"], names)
    expected = inputs["bio"].x[i, inputs["bio"].feature_names.index("eda_mean")]
    assert rows[0, 0] == pytest.approx(expected) and reasons[0] == ""
    assert "Sess99_impro01_F001" in reasons[1] and rows[1, 1] == 0


def test_too_little_of_the_persons_signal_to_normalise_is_warned_about(tmp_path):
    untagged = tmp_path / "export.csv"  # one utterance, no segment ids: its *_pnorm would be 0 and 1
    untagged.write_text("".join(f"{0.2 + k / 100},{k / 4},10:00:00.000\n" for k in range(300)))
    names = ["eda_mean_pnorm", "eda_sd_pnorm"]
    with pytest.warns(UserWarning, match=r"export\.csv: EDA no segment ids.*\(past normalisation\)"):
        rows, _ = bio_feature_rows({"EDA": str(untagged)}, ["x"], names, "past")
    assert rows[0] == pytest.approx([0.0, 1.0])  # what the warning is about
    tagged = tmp_path / "Sess01F.csv"  # a corpus layout, but only ten samples of the person
    tagged.write_text("".join(f"{0.2 + k / 100},{k / 4},10:00:00.000,Sess01_impro01_F001\n" for k in range(10)))
    with pytest.warns(UserWarning, match=r"Sess01F\.csv: EDA 1 segment\(s\) normalised on fewer than 240 samples"):
        bio_feature_rows({"EDA": str(tagged)}, ["Sess01_impro01_F001"], names)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # nothing to normalise, nothing to warn about
        rows, _ = bio_feature_rows({"EDA": str(untagged)}, ["x"], ["eda_mean", "eda_n"], "none")
    assert rows[0, 1] == 300


def test_a_model_trained_under_past_normalisation_reads_bio_files_that_way(trained, tmp_path):
    artifacts, inputs, models = trained
    folder = shutil.copytree(models, tmp_path / "models")
    sidecar = json.loads((folder / "bio.json").read_text())
    sidecar["preprocessing"]["bio_normalisation"] = "past"  # as if prepared with --bio-normalisation past
    (folder / "bio.json").write_text(json.dumps(sidecar))
    [spec] = EmotionClassifier.load(folder).specs["bio"].values()
    assert spec.bio_normalisation == "past"
    i = _complete_rows(artifacts, inputs)[-1]
    files = {"EDA": _files(artifacts, i)["eda"], "TEMP": _files(artifacts, i)["temp"]}
    sid = artifacts.table.iloc[i]["segment_id"]
    [(row, reason)] = read_inputs(spec, [Recording(eda=files["EDA"], temp=files["TEMP"], segment_id=sid)])
    past, _ = bio_feature_rows(files, [sid], spec.feature_names, "past")
    session, _ = bio_feature_rows(files, [sid], spec.feature_names)
    names = np.array(spec.feature_names)
    assert reason == "" and np.array_equal(row, past[0], equal_nan=True)
    level = np.char.endswith(names, "_pnorm")
    assert not np.allclose(row[level], session[0][level], equal_nan=True)
    np.testing.assert_array_equal(row[~level], session[0][~level])


def test_a_bio_file_without_a_signal_column_is_warned_about(tmp_path):
    # two clocks and no signal (a KEMDy19 ECG layout): nothing may pass for a feature, and the user hears why
    counter, elapsed = [0, 250, 500, 750], [0.0, 0.25, 0.5, 0.75]
    path = tmp_path / "Sess01F.csv"
    lines = [f"{c},{e:.2f},16:00:00.000,Sess01_impro01_F001\n" for c, e in zip(counter, elapsed, strict=True)]
    path.write_text("".join(lines))
    with pytest.warns(UserWarning, match=r"Sess01F\.csv: no ECG signal column"):
        rows, reasons = bio_feature_rows({"ECG": str(path)}, ["Sess01_impro01_F001"], ["ecg_mean"])
    assert np.isnan(rows).all() and "no samples" in reasons[0]


def test_fold_mean_weights_of_a_weighted_vote(tmp_path):
    folds = [{"fold": 0, "weights": {"text": 0.6, "speech": 0.4}}, {"fold": 1, "weights": {"text": 0.8, "bio": 0.2}}]
    (tmp_path / "weights.json").write_text(json.dumps({"method": "weighted_vote", "folds": folds}))
    assert fold_mean_weights(tmp_path) == pytest.approx({"text": 0.7, "speech": 0.2, "bio": 0.1})
    (tmp_path / "weights.json").write_text(json.dumps({"method": "stacking", "folds": [{"fold": 0, "coef": []}]}))
    with pytest.raises(InputError, match="weights.json"):
        fold_mean_weights(tmp_path)
    (tmp_path / "weights.json").write_text('{"folds": [')
    with pytest.raises(InputError, match="weights.json.*not valid JSON"):
        fold_mean_weights(tmp_path)


def test_early_fusion_prediction_equals_the_evaluation_path(trained, early_classifier):
    artifacts, inputs, _ = trained
    first = context_positions(artifacts.table, 1)[:, 0] == -1  # no preceding segment, as a new recording
    rows = np.intersect1d(_complete_rows(artifacts, inputs), np.flatnonzero(first))[:2]
    assert rows.size == 2 and early_classifier.method == EARLY_FUSION
    network = early_classifier.early_fusion
    for i in rows:
        result = early_classifier.predict(**_files(artifacts, i))
        expected = network.predict(inputs[EARLY_FUSION], [i])
        np.testing.assert_allclose(_vector(result["probabilities"]), expected.proba[0], atol=ATOL)
        assert result["valence"] == pytest.approx(expected.valence[0], abs=ATOL)
        assert result["arousal"] == pytest.approx(expected.arousal[0], abs=ATOL)
        assert result["emotion"] == EMOTIONS[int(np.argmax(expected.proba[0]))]
        assert result["method"] == EARLY_FUSION and result["modalities"] == list(MODALITIES)
        assert "preceding segment" in result["note"]
        single = early_classifier.models["text"].predict(inputs["text"], [i]).proba[0]  # still reported
        np.testing.assert_allclose(_vector(result["per_modality"]["text"]["probabilities"]), single, atol=ATOL)


def test_early_fusion_reads_a_missing_part_through_its_presence_flag(trained, early_classifier):
    artifacts, inputs, _ = trained
    i = _complete_rows(artifacts, inputs)[0]
    result = early_classifier.predict(txt=artifacts.table.iloc[i]["txt_path"])
    assert result["modalities"] == ["text"] and set(result["skipped"]) == {"speech", "bio"}
    alone = early_classifier.early_fusion.predict_raw([FusionRow({"text": inputs["text"].x[i]})])
    np.testing.assert_allclose(_vector(result["probabilities"]), alone.proba[0], atol=ATOL)
    both = early_classifier.predict(**_files(artifacts, i))
    assert not np.allclose(_vector(both["probabilities"]), alone.proba[0])  # speech and bio do count


def test_early_fusion_in_batches_and_on_the_command_line(trained, early_classifier, early_models, tmp_path, capsys):
    artifacts, inputs, _ = trained
    rows = _complete_rows(artifacts, inputs)[:2]
    records = [_files(artifacts, i) for i in rows]
    table = early_classifier.predict_many(pd.DataFrame(records))
    assert table["method"].eq(EARLY_FUSION).all() and table["modalities"].eq("text+speech+bio").all()
    for k, record in enumerate(records):
        single = early_classifier.predict(**record)
        np.testing.assert_allclose(table.loc[k, list(PROBA_COLUMNS)].to_numpy(dtype=float),
                                   _vector(single["probabilities"]), atol=ATOL)  # fmt: skip
    assert main(["predict", "--models", str(early_models), *[f"--{k}={v}" for k, v in records[0].items()]]) == 0
    printed = capsys.readouterr().out
    assert "fusion: early_fusion" in printed and "note: " in printed and "preceding segment" in printed


def test_chunked_prediction_equals_keras_predict(trained, early_classifier):
    artifacts, inputs, _ = trained
    models = {**early_classifier.models, EARLY_FUSION: early_classifier.early_fusion}
    for name, model in models.items():
        rows = np.flatnonzero(inputs[name].available)
        assert rows.size > model.predict_chunk_rows  # several chunks, the last one shorter
        raw = model._raw(inputs[name], rows)
        expected = model.model_.predict(model.encoder_.transform(raw), batch_size=model.config.batch_size, verbose=0)
        for some in (slice(None), slice(0, 1)):
            got = model.predict_raw(raw[some])
            np.testing.assert_allclose(got.proba, expected["emotion"][some], rtol=0, atol=1e-6)
            np.testing.assert_allclose(got.valence, unscale_rating(expected["valence"][some, 0]), rtol=0, atol=1e-6)


def _val_table(accuracy: float, n: int = 20) -> pd.DataFrame:
    """Validation predictions of one fold, right on ``accuracy`` of ``n`` rows (two classes)."""
    truth = [EMOTIONS[i % 2] for i in range(n)]
    right = round(accuracy * n)
    predicted = truth[:right] + [EMOTIONS[2]] * (n - right)
    table = pd.DataFrame({"segment_id": [f"Sess01_impro01_F{i:03d}" for i in range(n)], "fold": 0, "session": 1,
                          "kind": "impro", "y_true": truth})
    for emotion, column in zip(EMOTIONS, PROBA_COLUMNS, strict=True):
        table[column] = [float(p == emotion) for p in predicted]
    return table.assign(valence_true=np.nan, arousal_true=np.nan, valence_pred=np.nan, arousal_pred=np.nan)


def _fake_run(root, accuracies: dict) -> dict:
    """A run folder holding what the choice reads: validation predictions per method (right on the given
    share of rows), weighted-vote weights; its test scores (metrics.json) are in the REVERSE order."""
    folders = {EARLY_FUSION: root / EARLY_FUSION, **{m: root / "fusion" / m for m in ("soft_vote", "weighted_vote")}}
    for method, accuracy in accuracies.items():
        folders[method].mkdir(parents=True)
        _val_table(accuracy).to_csv(folders[method] / "val_predictions.csv", index=False)
        (folders[method] / "metrics.json").write_text(json.dumps({"summary": {"macro_f1": {"mean": 1 - accuracy}}}))
    folds = [{"fold": 0, "weights": {"text": 0.5, "speech": 0.5, "bio": 0.0}},
             {"fold": 1, "weights": {"text": 1.0, "speech": 0.0, "bio": 0.0}}]  # fmt: skip
    (folders["weighted_vote"] / "weights.json").write_text(json.dumps({"folds": folds}))
    return folders


def test_the_run_records_its_best_fusion_and_prediction_honours_it(trained, tmp_path):
    artifacts, inputs, models = trained
    folders = _fake_run(tmp_path / "runs" / "r", {"soft_vote": 0.50, "weighted_vote": 0.60, EARLY_FUSION: 0.70})
    choice = choose_prediction_fusion(tmp_path / "runs" / "r", MODALITIES)
    assert choice["method"] == EARLY_FUSION and choice["late_method"] == "weighted_vote"
    assert choice["selection"] == "validation"
    assert choice["scores"] == {m: validation_score(folder) for m, folder in folders.items()}
    assert choice["weights"] == pytest.approx({"text": 0.75, "speech": 0.25, "bio": 0.0})
    best = f"{validation_score(folders[EARLY_FUSION]):.3f}"
    assert "early_fusion" in choice["reason"] and best in choice["reason"]
    without = choose_prediction_fusion(tmp_path / "runs" / "r", MODALITIES, early_fusion=False)
    assert without["method"] == "weighted_vote"

    folder = shutil.copytree(models, tmp_path / "models")
    config = PipelineConfig(runs_dir=tmp_path / "runs", run_name="r", models_dir=folder)
    written = json.loads(record_prediction_fusion(config, (*MODALITIES, EARLY_FUSION)).read_text())
    assert written["method"] == EARLY_FUSION and written["reason"] == choice["reason"]
    assert EmotionClassifier.load(folder).method == EARLY_FUSION
    i = _complete_rows(artifacts, inputs)[0]
    for early in (folder / "early_fusion.json", folder / "early_fusion.keras"):
        early.unlink()
    with pytest.warns(UserWarning, match="no early-fusion model"):
        fallback = EmotionClassifier.load(folder)
    assert fallback.method == "weighted_vote" and fallback.early_fusion is None
    result = fallback.predict(**_files(artifacts, i))
    fused = 0.75 * _vector(result["per_modality"]["text"]["probabilities"]) + 0.25 * _vector(
        result["per_modality"]["speech"]["probabilities"])  # fmt: skip
    np.testing.assert_allclose(_vector(result["probabilities"]), fused, atol=ATOL)

    config.run_name = "nothing_scored"
    assert record_prediction_fusion(config, MODALITIES) is None and not (folder / FUSION_FILE).exists()
    save_fusion_weights(folder, dict.fromkeys(MODALITIES, 1.0), method="stacking")
    with pytest.raises(InputError, match=FUSION_FILE):
        EmotionClassifier.load(folder)
