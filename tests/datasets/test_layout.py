"""Corpus detection from the annotation file names, and the reasons given when a folder is neither."""

from __future__ import annotations

import pytest

from emotion_classifier.datasets import detect_corpus
from emotion_classifier.errors import CorpusLayoutError


def test_detects_kemdy19(kemdy19_root) -> None:
    assert detect_corpus(kemdy19_root) == "KEMDy19"


def test_detects_kemdy20(kemdy20_root) -> None:
    assert detect_corpus(kemdy20_root) == "KEMDy20"


def test_missing_folder(tmp_path) -> None:
    with pytest.raises(CorpusLayoutError, match="no such folder"):
        detect_corpus(tmp_path / "nowhere")


def test_no_annotation_folder(tmp_path) -> None:
    (tmp_path / "wav").mkdir()
    with pytest.raises(CorpusLayoutError, match="no annotation/ folder"):
        detect_corpus(tmp_path)


def test_annotation_folder_without_known_files(tmp_path) -> None:
    (tmp_path / "annotation").mkdir()
    (tmp_path / "annotation" / "labels.csv").write_text("a,b\n")
    (tmp_path / "annotation" / "Session01_res.csv").write_text("a,b\n")  # no gender: not KEMDy19
    with pytest.raises(CorpusLayoutError, match=r"neither Session\*_res.csv nor Sess\*_eval.csv"):
        detect_corpus(tmp_path)


def test_both_corpora_in_one_folder_is_refused(kemdy19_root) -> None:
    (kemdy19_root / "annotation" / "Sess01_eval.csv").write_text("x\n")
    with pytest.raises(CorpusLayoutError, match="both KEMDy19"):
        detect_corpus(kemdy19_root)
