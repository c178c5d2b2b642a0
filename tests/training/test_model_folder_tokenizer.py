"""A models folder carries the stop words and the tokeniser version its text model was trained with, so a
copied folder predicts the same anywhere, whatever became of the original stop-word file."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import emotion_classifier.training.estimators as estimators
from emotion_classifier.features.tokenizers import tokenize, tokenizer_version
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.predict import EmotionClassifier
from emotion_classifier.training.estimators import STOPWORDS_SUFFIX, ModalityInputs, TextModel, TrainConfig

SENTENCES = ("나는 정말 기뻐요", "그 사람이 너무 싫어", "오늘은 조금 슬프다", "와 진짜 놀랐어")
TRANSCRIPT = "나는 오늘 정말 기뻐요"
STOPWORDS = ("나", "는", "정말")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny text model trained on rows tokenised without a stop-word file's words, saved to ``models``."""
    root = tmp_path_factory.mktemp("stopwords")
    stopfile = root / "my_stopwords.txt"
    stopfile.write_text("# particles\n" + "\n".join(STOPWORDS) + "\n", encoding="utf-8")
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(40)]
    labels = [EMOTIONS[i % len(SENTENCES)] for i in range(40)]
    inputs = ModalityInputs(
        table=pd.DataFrame({"segment_id": [f"s{i}" for i in range(40)]}), x=tokenize(texts, "mecab", STOPWORDS),
        available=np.ones(40, bool), y=labels, valence=np.full(40, 3.0), arousal=np.full(40, 3.0), modality="text",
        preprocessing={"tokenizer": "mecab", "stopwords": str(stopfile)},
    )
    config = TrainConfig(epochs=1, units=4, embedding_dim=4, vocab_min_count=1, hidden_units=(4,))
    TextModel(config).fit(inputs, np.arange(32), np.arange(32, 40)).save(root / "models", "text")
    return root, stopfile


def _proba(folder) -> list[float]:
    return list(EmotionClassifier.load(folder).predict(text=TRANSCRIPT)["probabilities"].values())


def test_the_stop_words_and_tokenizer_version_are_kept_beside_the_model(trained):
    root, stopfile = trained
    preprocessing = json.loads((root / "models" / "text.json").read_text(encoding="utf-8"))["preprocessing"]
    assert preprocessing["stopwords"] == str(stopfile) and preprocessing["stopwords_file"] == f"text{STOPWORDS_SUFFIX}"
    assert preprocessing["tokenizer_version"] == tokenizer_version("mecab")
    copy = (root / "models" / preprocessing["stopwords_file"]).read_text(encoding="utf-8").splitlines()
    assert copy == sorted(STOPWORDS)


def test_a_moved_folder_predicts_identically_after_the_stop_word_file_changed_or_went(trained, tmp_path):
    root, stopfile = trained
    before = _proba(root / "models")
    moved = shutil.copytree(root / "models", tmp_path / "elsewhere" / "h5_models")
    stopfile.write_text("오늘\n기쁘\n", encoding="utf-8")  # a different list at the original path
    assert _proba(moved) == before
    stopfile.unlink()
    assert _proba(moved) == before
    loaded = estimators.load_model(moved, "text")
    assert loaded.preprocessing_["stopwords"] == str(moved / f"text{STOPWORDS_SUFFIX}")


def test_another_tokenizer_version_is_warned_about_at_load(trained, monkeypatch):
    root, _ = trained
    monkeypatch.setattr(estimators, "tokenizer_version", lambda name: "mecab-python3==0.0")
    with pytest.warns(UserWarning, match="tokenizer mecab"):
        estimators.load_model(root / "models", "text")
