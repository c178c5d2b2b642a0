"""Issue 13 item 1: samples outside the physiological ranges are dropped and listed with file:line."""

from __future__ import annotations

import pytest

from emotion_classifier.datasets.bio import read_bio_file


@pytest.mark.parametrize(
    ("signal", "header", "bad", "good", "problem"),
    [
        ("IBI", "1560090421.25\n", "1.0,0.1,1560090422.0,Sess01_script01_User001F_001",
         "2.0,0.8,1560090423.0,Sess01_script01_User001F_001", "implausible IBI 0.1 s (outside 0.25-2)"),
        ("IBI", "1560090421.25\n", "1.0,-0.9,1560090422.0", "2.0,0.8,1560090423.0", "implausible IBI -0.9 s"),
        ("EDA", "1560090421.25\n4.0\n", "-0.2,1560090422.0", "0.4,1560090423.0", "implausible EDA -0.2 µS"),
        ("TEMP", "1560090421.25\n4.0\n", "55,1560090422.0", "33.1,1560090423.0", "implausible TEMP 55 °C"),
        ("TEMP", "1560090421.25\n4.0\n", "inf,1560090422.0", "33.1,1560090423.0", "implausible TEMP inf"),
    ],
)
def test_implausible_kemdy20_samples(tmp_path, signal, header, bad, good, problem) -> None:
    path = tmp_path / "Sess01_script01_User001F.csv"
    path.write_text(f"{header}{bad}\n{good}\n")
    rec = read_bio_file(path, signal, corpus="KEMDy20")
    line = header.count("\n") + 1
    assert [(p["file"], p["line"]) for p in rec.problems] == [(str(path), line)]
    assert problem in rec.problems[0]["problem"]
    assert len(rec.samples) == 1


def test_ecg_needs_only_finite_values(tmp_path) -> None:
    path = tmp_path / "Sess01F.csv"
    rows = [f"{v},{t},16:00:0{t}.000" for t, v in enumerate([-512.0, 900.0, float("nan"), 3.0, -1.0])]
    path.write_text("\n".join(rows) + "\n")
    rec = read_bio_file(path, "ECG", corpus="KEMDy19")
    assert [p["line"] for p in rec.problems] == [3]  # nan: not a number; negative values are fine
