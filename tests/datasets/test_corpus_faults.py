"""Issue 13 items 2, 6, 7 at the segment-table level: duplicate Segment IDs (first kept), undecodable
transcripts and bio files that reach no segment are listed problems that `inspect` prints, not errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emotion_classifier.cli import main
from emotion_classifier.datasets import open_corpus


@pytest.fixture(scope="module")
def clean19(tmp_path_factory) -> Path:
    from emotion_classifier.datasets.synthetic import generate_corpus

    return generate_corpus(tmp_path_factory.mktemp("clean19") / "c", corpus="kemdy19", sessions=2, seed=1).root


@pytest.fixture
def copy19(clean19, tmp_path) -> Path:
    return Path(shutil.copytree(clean19, tmp_path / "KEMDy19"))


def test_clean_copy_has_no_problems(clean19, capsys) -> None:
    assert main(["inspect", "--data", str(clean19)]) == 0
    assert "problems: none" in capsys.readouterr().out
    assert main(["inspect", "--data", str(clean19), "--strict"]) == 0


@pytest.mark.parametrize(("changed", "kind"), [(False, "identical duplicate"), (True, "conflicting duplicate")])
def test_duplicate_segment_id_keeps_the_first(copy19, clean19, capsys, changed, kind) -> None:
    annotation = sorted((copy19 / "annotation").glob("*.csv"))[0]
    rows = annotation.read_text().splitlines()
    fields = rows[2].split(",")
    at = next(i for i, f in enumerate(fields) if f.startswith("Sess"))  # Segment ID, then Total Evaluation
    if changed:
        fields[at + 1] = "happy" if fields[at + 1] != "happy" else "sad"
    rows.append(",".join(fields))
    annotation.write_text("\n".join(rows) + "\n")
    table, clean = open_corpus(copy19), open_corpus(clean19)
    assert len(table) == len(clean)  # the copy is dropped; the first row keeps its label
    assert table["emotions"].tolist() == clean["emotions"].tolist()
    [problem] = [p for p in table.attrs["problems"] if kind in p["problem"]]
    assert (problem["file"], problem["line"]) == (str(annotation), len(rows))
    assert f"first at {annotation}:3" in problem["problem"]
    assert main(["inspect", "--data", str(copy19)]) == 0
    out = capsys.readouterr().out
    assert "problems: none" not in out and f"{annotation}:{len(rows)}" in out


def test_undecodable_transcript_is_skipped(copy19, capsys) -> None:
    txt = sorted((copy19 / "wav").rglob("*.txt"))[0]
    txt.write_bytes(b"\x80\xff\x80\xff")
    table = open_corpus(copy19)
    assert table.loc[table["txt_path"].eq(str(txt.resolve())), "text_raw"].eq("").all()
    assert main(["inspect", "--data", str(copy19)]) == 0
    out = capsys.readouterr().out
    assert f"{txt.resolve()}: undecodable transcript" in out


@pytest.mark.parametrize("fault", ["empty", "foreign_ids"])
def test_bio_file_reaching_no_segment_is_listed(copy19, capsys, fault) -> None:
    temp = sorted((copy19 / "TEMP").rglob("*.csv"))[0]
    if fault == "empty":
        temp.write_text("")
        expected = f"{temp.resolve()}:1"
    else:
        temp.write_text(temp.read_text().replace(",Sess0", ",Sess9"))
        expected = str(temp.resolve())
    assert main(["inspect", "--data", str(copy19)]) == 0
    out = capsys.readouterr().out
    assert expected in out and ("empty file" in out if fault == "empty" else "matches a segment" in out)
