"""Bad annotation files: each error names the file and the line, and nothing is dropped silently."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emotion_classifier.datasets import open_corpus
from emotion_classifier.errors import AnnotationError, UnknownLabelError


def edit_line(path: Path, line: int, edit) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = edit(lines[line - 1])
    path.write_text("\n".join(lines) + "\n")


def set_cell(position: int, value: str):
    def edit(text: str) -> str:
        cells = text.split(",")
        cells[position] = value
        return ",".join(cells)

    return edit


@pytest.fixture
def f_file(kemdy19_root) -> Path:
    return kemdy19_root / "annotation" / "Session01_F_res.csv"


def test_unknown_total_label_names_file_and_line(kemdy19_root, f_file) -> None:
    edit_line(f_file, 5, set_cell(10, "happy;bored"))
    with pytest.raises(UnknownLabelError, match=rf"{re.escape(str(f_file))}:5: unknown emotion label 'bored'"):
        open_corpus(kemdy19_root)


def test_unknown_rater_label_names_file_and_line(kemdy19_root, f_file) -> None:
    edit_line(f_file, 6, set_cell(13 + 3 * 4, "contempt"))  # the fifth rater's emotion
    with pytest.raises(UnknownLabelError, match=rf"{re.escape(str(f_file))}:6: unknown emotion label 'contempt'"):
        open_corpus(kemdy19_root)


def test_empty_total_label_is_an_error(kemdy19_root, f_file) -> None:
    edit_line(f_file, 4, set_cell(10, ""))
    with pytest.raises(UnknownLabelError, match=rf"{re.escape(str(f_file))}:4: empty emotion label"):
        open_corpus(kemdy19_root)


@pytest.mark.parametrize(("cut", "fields"), [(lambda t: t.rsplit(",", 1)[0], 42), (lambda t: t + ",x", 44)])
def test_wrong_field_count(kemdy19_root, f_file, cut, fields: int) -> None:
    edit_line(f_file, 7, cut)
    with pytest.raises(AnnotationError, match=rf"{re.escape(str(f_file))}:7: {fields} fields, expected 43"):
        open_corpus(kemdy19_root)


def test_file_cut_mid_line(kemdy19_root, f_file) -> None:
    text = f_file.read_text()
    f_file.write_text(text[: len(text) - 40])  # no final newline, last row cut short
    n_lines = len(text.splitlines())
    with pytest.raises(AnnotationError, match=rf"{re.escape(str(f_file))}:{n_lines}: \d+ fields, expected 43"):
        open_corpus(kemdy19_root)


def test_header_only(kemdy19_root, f_file) -> None:
    f_file.write_text("\n".join(f_file.read_text().splitlines()[:2]) + "\n")
    with pytest.raises(AnnotationError, match=rf"{re.escape(str(f_file))}:3: no data rows"):
        open_corpus(kemdy19_root)


def test_single_header_row_is_detected(kemdy19_root, f_file) -> None:
    lines = f_file.read_text().splitlines()
    f_file.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    with pytest.raises(AnnotationError, match=rf"{re.escape(str(f_file))}:2: .*expected two header rows"):
        open_corpus(kemdy19_root)


def test_non_numeric_valence(kemdy19_root, f_file) -> None:
    edit_line(f_file, 3, set_cell(11, "high"))
    with pytest.raises(AnnotationError, match=rf"{re.escape(str(f_file))}:3: valence 'high' is not a number"):
        open_corpus(kemdy19_root)


def test_malformed_segment_id(kemdy19_root, f_file) -> None:
    edit_line(f_file, 8, set_cell(9, "Sess01-impro01-M001"))
    expected = rf"{re.escape(str(f_file))}:8: malformed Segment ID 'Sess01-impro01-M001'"
    with pytest.raises(AnnotationError, match=expected):
        open_corpus(kemdy19_root)


def test_empty_rows_are_skipped_and_listed(kemdy19_root, f_file) -> None:
    lines = f_file.read_text().splitlines()
    f_file.write_text("\n".join([*lines[:4], ",".join([""] * 43), *lines[4:]]) + "\n")
    table = open_corpus(kemdy19_root)
    assert table.attrs["problems"] == [{"file": str(f_file), "line": 5, "problem": "empty row skipped"}]
    # the rows after it keep their true line numbers
    moved = table[(table["rater_file"] == f_file.name) & (table["segment_id"] == "Sess01_script01_F001")]
    assert moved["line"].tolist() == [6]


def test_crlf_and_bom_files(kemdy20_root) -> None:
    path = kemdy20_root / "annotation" / "Sess01_eval.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    table = open_corpus(kemdy20_root)
    assert table.loc[table["rater_file"].eq("Sess01_eval.csv"), "line"].tolist() == [3, 4, 5]
