"""The default (demo) corpus: its size, class balance, the session-9 EDA gap, and that each modality
carries the emotion partly and independently (simple session-wise models beat chance, fusion helps)."""

from __future__ import annotations

import wave

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from synthetic_raw import owner_file, read_fields

from emotion_classifier.datasets.synthetic import SyntheticCorpus, generate_corpus

KEMDY19_BALANCE = {
    "neutral": 0.398, "angry": 0.192, "happy": 0.146, "surprise": 0.104,
    "sad": 0.080, "disgust": 0.041, "fear": 0.040,
}
"""Speaker-view single-label shares of the real corpus (KEMDY_FORMAT.md)."""
CHANCE = 1 / 7


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCorpus:
    return generate_corpus(tmp_path_factory.mktemp("demo") / "sample_kemdy19")


@pytest.fixture(scope="module")
def speaker_rows(demo) -> pd.DataFrame:
    truth = demo.truth
    usable = (truth["view"] == "speaker") & (truth["n_labels"] == 1) & truth["has_wav"] & truth["has_txt"]
    rows = truth[usable]
    return rows.reset_index(drop=True)


def test_demo_size_supports_five_session_folds(demo):
    speaker = demo.truth[demo.truth["view"] == "speaker"]
    assert sorted(speaker["session"].unique()) == list(range(1, 11))
    assert speaker.groupby("session")["dialogue"].nunique().eq(4).all()
    assert 500 <= len(speaker) <= 700
    assert set(speaker["kind"]) == {"impro", "script"}


def test_speaker_view_class_balance_is_roughly_the_corpus_one(demo):
    speaker = demo.truth[(demo.truth["view"] == "speaker") & (demo.truth["n_labels"] == 1)]
    shares = speaker["emotions"].value_counts(normalize=True)
    for emotion, expected in KEMDY19_BALANCE.items():
        assert shares.get(emotion, 0.0) == pytest.approx(expected, abs=0.08), emotion
    assert shares.idxmax() == "neutral"


def test_scripted_lines_repeat_across_sessions_and_improvised_ones_rarely(demo, speaker_rows):
    counts = speaker_rows.groupby("text")["session"].nunique()
    repeated = speaker_rows["text"].map(counts) > 1
    by_kind = repeated.groupby(speaker_rows["kind"]).mean()
    assert by_kind["script"] > 0.3 and by_kind["script"] > by_kind["impro"] + 0.1


def test_session_9_has_a_segment_missing_from_the_speakers_eda(demo):
    (gap,) = demo.quirks["eda_gap_segments"]
    assert gap.startswith("Sess09_script") and gap.endswith("_F001")
    for signal, present in (("EDA", False), ("TEMP", True)):
        _, lines = read_fields(demo.root / owner_file(signal, "Sess09F"))
        assert any(f[-1] == gap for f in lines) is present
    _, partner = read_fields(demo.root / owner_file("EDA", "Sess09M"))
    assert any(f[-1] == gap for f in partner)


def _macro_f1(features, labels: np.ndarray, groups: np.ndarray, model) -> tuple[float, np.ndarray]:
    folds = GroupKFold(5)  # session-wise, as in the evaluation protocol
    proba = cross_val_predict(model, features, labels, groups=groups, cv=folds, method="predict_proba")
    classes = np.unique(labels)
    return f1_score(labels, classes[proba.argmax(1)], average="macro"), proba


def _audio_features(path) -> list[float]:
    """Loudness, spectral centroid, zero-crossing rate and autocorrelation pitch of the voiced frames."""
    with wave.open(str(path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16) / 32768.0
    frames = np.lib.stride_tricks.sliding_window_view(x, 1024)[::512]
    rms = np.sqrt((frames**2).mean(axis=1))
    voiced = frames[rms > 0.3 * rms.max()]
    spectrum = np.abs(np.fft.rfft(voiced * np.hanning(1024), axis=1))
    freqs = np.fft.rfftfreq(1024, 1 / 16000)
    centroid = (spectrum * freqs).sum(axis=1) / spectrum.sum(axis=1)
    corr = np.fft.irfft(spectrum**2, axis=1)[:, 32:267]
    pitch = 16000 / (32 + corr.argmax(axis=1))
    zero_crossings = np.mean(np.abs(np.diff(np.sign(voiced), axis=1)) > 0)
    return [np.log(rms[rms > 0.3 * rms.max()].mean()), np.log(np.median(pitch)), np.std(np.log(pitch)),
            np.log(centroid.mean()), zero_crossings, len(x) / 16000]


def _bio_features(root, rows: pd.DataFrame) -> np.ndarray:
    """Per-person z-scored EDA and TEMP level and change during each segment (the speaker's own file)."""
    features = []
    files = {}
    for row in rows.itertuples():
        values = []
        for signal in ("EDA", "TEMP"):
            key = (signal, row.person)
            if key not in files:
                lines = read_fields(root / owner_file(signal, row.person))[1]
                level = np.array([float(f[0]) for f in lines])
                files[key] = ((level - level.mean()) / level.std(), np.array([f[-1] for f in lines]))
            z, ids = files[key]
            mine = z[ids == row.segment_id]
            values += [mine.mean(), mine[-1] - mine[0]] if len(mine) > 1 else [0.0, 0.0]
        features.append(values)
    return np.array(features)


def test_each_modality_beats_chance_and_fusion_helps(demo, speaker_rows):
    labels, groups = speaker_rows["emotions"].to_numpy(), speaker_rows["session"].to_numpy()

    def linear():
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced"))

    text_model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)),
        LogisticRegression(max_iter=2000, class_weight="balanced"),
    )
    text_f1, text_p = _macro_f1(speaker_rows["text"].to_numpy(), labels, groups, text_model)
    audio = pd.DataFrame([_audio_features(demo.root / f) for f in speaker_rows["wav_file"]])
    audio = audio.groupby(speaker_rows["person"]).transform(lambda v: (v - v.mean()) / v.std())  # per speaker
    audio_f1, audio_p = _macro_f1(audio.to_numpy(), labels, groups, linear())
    bio_f1, _ = _macro_f1(_bio_features(demo.root, speaker_rows), labels, groups, linear())
    fused = f1_score(labels, np.unique(labels)[(text_p + audio_p).argmax(1)], average="macro")
    assert text_f1 > 2 * CHANCE and audio_f1 > 2 * CHANCE
    assert bio_f1 > 1.2 * CHANCE
    assert text_f1 < 0.8 and audio_f1 < 0.8  # neither modality alone solves the task
    assert fused > max(text_f1, audio_f1) + 0.03
