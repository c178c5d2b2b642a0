"""Where a corpus may be written, what impossible settings do, and the ``sample-data`` command."""

from __future__ import annotations

import json

import pytest

from emotion_classifier.cli import main
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.errors import InputError

TINY = {"sessions": 1, "dialogues_per_session": 2, "segments_per_dialogue": (3, 4)}


def test_refuses_a_non_empty_folder_that_is_not_a_sample_corpus(tmp_path):
    (tmp_path / "thesis.txt").write_text("keep me")
    with pytest.raises(InputError, match="synthetic_corpus.json") as error:
        generate_corpus(tmp_path, **TINY)
    assert str(tmp_path) in str(error.value)
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.txt"]


def test_refuses_a_file_as_the_output_folder(tmp_path):
    target = tmp_path / "corpus"
    target.write_text("")
    with pytest.raises(InputError, match="not a folder"):
        generate_corpus(target, **TINY)


def test_replaces_a_previous_sample_corpus_after_removing_it(tmp_path):
    root = tmp_path / "sample"
    generate_corpus(root, seed=1, **TINY)
    stale = root / "wav" / "Session01" / "stale.wav"
    stale.write_bytes(b"old")
    corpus = generate_corpus(root, seed=2, **TINY)
    assert not stale.exists()
    marker = json.loads((root / "synthetic_corpus.json").read_text())
    assert marker["complete"] is True and marker["seed"] == 2 and marker["corpus"] == corpus.corpus


def test_does_not_replace_a_sample_corpus_holding_someone_elses_files(tmp_path):
    root = tmp_path / "sample"
    generate_corpus(root, **TINY)
    (root / "notes.md").write_text("mine")
    with pytest.raises(InputError, match="notes.md"):
        generate_corpus(root, **TINY)
    assert (root / "notes.md").exists() and (root / "annotation").is_dir()


@pytest.mark.parametrize(
    "settings",
    [
        {"corpus": "kemdy21"},
        {"corpus": "kemdy19", "sessions": 0},
        {"corpus": "kemdy19", "sessions": 21},
        {"corpus": "kemdy20", "sessions": 41},
        {"segments_per_dialogue": (5, 3)},
        {"dialogues_per_session": 0},
        {"seed": -1},
    ],
)
def test_impossible_settings_are_value_errors_that_the_cli_can_print(settings, tmp_path):
    with pytest.raises(ValueError) as error:
        generate_corpus(tmp_path / "x", **settings)
    assert isinstance(error.value, InputError)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("corpus", ["kemdy19", "kemdy20"])
def test_sample_data_command_writes_and_summarises(corpus, tmp_path, capsys):
    out = tmp_path / corpus
    assert main(["sample-data", "--corpus", corpus, "--out", str(out), "--sessions", "1", "--seed", "4"]) == 0
    printed = capsys.readouterr().out
    assert f"{corpus.replace('kemdy', 'KEMDy')} synthetic corpus (seed 4)" in printed and str(out) in printed
    assert (out / "annotation").is_dir() and (out / "wav" / "Session01").is_dir()


def test_sample_data_command_reports_a_refused_folder_in_one_line(tmp_path, capsys):
    (tmp_path / "data.csv").write_text("x")
    assert main(["sample-data", "--out", str(tmp_path), "--sessions", "1"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
