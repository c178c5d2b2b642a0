"""``emotion inspect``: the JSON keys, the text summary, the table export, one-line errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from kemdy_trees import SEGMENTS19_S1, SEGMENTS19_S2

from emotion_classifier.cli import main
from emotion_classifier.datasets import SEGMENT_COLUMNS
from emotion_classifier.labels import EMOTIONS


def test_inspect_json_kemdy19(kemdy19_root, capsys) -> None:
    assert main(["inspect", "--data", str(kemdy19_root), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    n_segments = len(SEGMENTS19_S1) + len(SEGMENTS19_S2)
    assert summary["corpus"] == "KEMDy19"
    assert summary["sessions"] == 2
    # every segment is listed in both actors' files: once per view
    assert summary["segments"] == {"speaker": n_segments, "listener": n_segments}
    assert set(summary["emotions"]) == set(EMOTIONS)
    # speaker view: F001 and impro F001 are ties; the rest are single labels
    assert summary["ties"] == 2
    assert sum(summary["emotions"].values()) == n_segments - 2
    assert summary["emotions"]["disgust"] == 1  # the 'disqust' typo
    assert summary["missing"]["wav"] == 1 and summary["missing"]["text"] == 1
    assert set(summary["bio"]["signals"]) == {"EDA", "TEMP", "ECG"}


def test_inspect_json_kemdy20(kemdy20_root, capsys) -> None:
    assert main(["inspect", "--data", str(kemdy20_root), "--json", "--ties", "first"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["corpus"] == "KEMDy20"
    assert summary["segments"] == {"speaker": 5, "listener": 0}
    assert summary["labelled"] == 5  # the tie is resolved under 'first'
    assert set(summary["bio"]["signals"]) == {"EDA", "TEMP", "IBI"}


def test_inspect_text_and_out(kemdy19_root, tmp_path, capsys) -> None:
    out = tmp_path / "table.csv"
    assert main(["inspect", "--data", str(kemdy19_root), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("KEMDy19 at ")
    assert "class balance" in text and "bio coverage" in text
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns) == list(SEGMENT_COLUMNS)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda root: root.mkdir(), "no annotation/ folder"),
        (lambda root: (root / "annotation").mkdir(parents=True), "neither"),
    ],
)
def test_not_a_corpus_prints_one_line(tmp_path, capsys, make, expected: str) -> None:
    root = tmp_path / "photos"
    make(root)
    assert main(["inspect", "--data", str(root)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
    assert str(root) in lines[0]


def test_truncated_csv_prints_one_line_naming_file_and_line(kemdy19_root, capsys) -> None:
    path = kemdy19_root / "annotation" / "Session02_M_res.csv"
    text = path.read_text()
    path.write_text(text[: text.rindex(",")] + "\n")  # the last line loses its last field
    assert main(["inspect", "--data", str(kemdy19_root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"{path}:4:" in err and "42 fields, expected 43" in err
