"""Bio files: 3/4-field lines, E4 headers, IBI, the ECG time column, malformed lines, speed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.datasets import bio_files_for, open_corpus, read_bio_file
from emotion_classifier.datasets.bio import is_time_like


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="ascii")
    return path


def test_kemdy19_eda_three_and_four_fields(kemdy19_root) -> None:
    rec = read_bio_file(kemdy19_root / "EDA/Session01/Original/Sess01F.csv", "eda")
    assert (rec.signal, rec.sampling_rate, rec.signal_column_found) == ("EDA", 4.0, True)
    assert rec.samples["time"].tolist() == [10.0, 10.25, 10.5, 10.75, 11.5]  # the elapsed-seconds field
    assert rec.samples["value"].tolist() == [0.141, 0.142, 0.143, 0.150, 0.152]
    assert rec.samples["segment_id"].tolist() == [
        "", "Sess01_script01_F001", "Sess01_script01_F001", "Sess01_script01_M001", "Sess01_script01_F002"
    ]


def test_malformed_lines_are_listed_not_fatal(kemdy19_root) -> None:
    path = kemdy19_root / "EDA/Session01/Original/Sess01F.csv"
    rec = read_bio_file(path, "EDA")
    assert rec.problems == [
        {"file": str(path), "line": 5, "problem": "eda 'bad' is not a number"},
        {"file": str(path), "line": 6, "problem": "2 fields, expected 3 or 4"},
    ]


def test_blank_cells_and_blank_lines(tmp_path) -> None:
    path = write(tmp_path / "Sess01F.csv", "30.1,1.0,16:00:00.000\n,1.25,16:00:00.250,Sess01_script01_F001\n\n"
                 "30.3,1.5,16:00:00.500,Sess01_script01_F001\n")
    rec = read_bio_file(path, "TEMP")
    assert [p["line"] for p in rec.problems] == [2, 3]
    assert "'' is not a number" in rec.problems[0]["problem"]
    assert rec.samples["value"].tolist() == [30.1, 30.3]


def test_by_segment_is_time_sorted_and_skips_untagged(tmp_path) -> None:
    path = write(tmp_path / "Sess01F.csv", "0.2,2.0,c,Sess01_script01_F001\n0.1,1.0,c,Sess01_script01_F001\n"
                 "0.5,3.0,c\n0.7,4.0,c,Sess01_script01_M001\n")
    segments = read_bio_file(path, "EDA").by_segment()
    assert sorted(segments) == ["Sess01_script01_F001", "Sess01_script01_M001"]
    assert segments["Sess01_script01_F001"]["time"].tolist() == [1.0, 2.0]
    assert segments["Sess01_script01_F001"]["value"].tolist() == [0.1, 0.2]


def test_kemdy20_e4_header_lines(kemdy20_root) -> None:
    path = kemdy20_root / "EDA/Session01/Sess01_script01_User001F.csv"
    rec = read_bio_file(path, "EDA")  # corpus sniffed from the unix-time header
    assert rec.sampling_rate == 4.0
    # seconds since the first sample; the malformed line 6 keeps its slot in time
    assert rec.samples["time"].tolist() == [0.0, 0.25, 0.5, 1.0]
    assert rec.samples["value"].tolist() == [0.50, 0.51, 0.52, 0.54]
    assert rec.samples["segment_id"].tolist()[:2] == ["", "Sess01_script01_User001F_001"]
    assert rec.problems == [{"file": str(path), "line": 6, "problem": "eda 'x' is not a number"}]


def test_kemdy20_bad_sampling_rate_is_listed(tmp_path) -> None:
    path = write(tmp_path / "Sess01_script01_User001F.csv", "1600000000.0\nfast\n30.5,t\n")
    rec = read_bio_file(path, "TEMP", corpus="KEMDy20")
    assert rec.sampling_rate is None and math.isnan(rec.samples["time"].iloc[0])
    assert rec.problems[0]["line"] == 2 and "sampling rate" in rec.problems[0]["problem"]


def test_kemdy20_ibi(kemdy20_root) -> None:
    rec = read_bio_file(kemdy20_root / "IBI/Session01/Sess01_script01_User001F.csv", "IBI")
    assert rec.sampling_rate is None and rec.problems == []
    assert rec.samples["time"].tolist() == [1.25, 2.0625, 2.9]  # offset from the recording start
    assert rec.samples["value"].tolist() == [0.8125, 0.8125, 0.8375]  # the inter-beat interval
    assert rec.samples["segment_id"].tolist() == ["Sess01_script01_User001F_001", "", "Sess01_script01_User001F_002"]


def test_ecg_time_column_is_detected(kemdy19_root) -> None:
    rec = read_bio_file(kemdy19_root / "ECG/Session01/Original/Sess01F.csv", "ECG")
    assert rec.signal_column_found
    assert rec.samples["value"].tolist() == [512, 530, 498, 640, 505, 520, 480, 700]
    assert rec.samples["time"].iloc[0] == 100.0
    assert rec.sampling_rate == pytest.approx(250.0)
    assert "time = field 1, signal = field 2" in rec.layout_note


def test_ecg_with_only_time_columns_has_no_signal(kemdy19_root) -> None:
    rec = read_bio_file(kemdy19_root / "ECG/Session01/Original/Sess01M.csv", "ECG")
    assert not rec.signal_column_found
    assert rec.samples["value"].isna().all()
    assert len(rec.samples) == 8 and "no signal" in rec.layout_note


def test_ecg_two_clocks_prefers_elapsed_seconds(tmp_path) -> None:
    # field 1 a device counter restarting per dialogue, field 2 elapsed seconds: time is field 2
    counter = [*range(0, 1000, 250), *range(0, 1000, 250)]
    elapsed = [0.0, 0.25, 0.5, 0.75, 30.0, 30.25, 30.5, 30.75]
    text = "".join(f"{c},{e:.2f},16:00:00.000,Sess01_impro01_F001\n" for c, e in zip(counter, elapsed, strict=True))
    rec = read_bio_file(write(tmp_path / "Sess01F.csv", text), "ECG")
    assert not rec.signal_column_found and rec.samples["value"].isna().all()
    assert rec.samples["time"].tolist() == elapsed
    assert rec.sampling_rate == 4.0


def test_ecg_signal_first_layout(tmp_path) -> None:
    # the EDA-like order (signal, elapsed) with a reset between dialogues: time is still found
    times = [*np.arange(10) * 0.5, *np.arange(10) * 0.5]
    values = np.sin(np.arange(20) * 2.0)
    text = "".join(f"{v:.4f},{t:.2f},16:00:00.000\n" for v, t in zip(values, times, strict=True))
    rec = read_bio_file(write(tmp_path / "Sess02F.csv", text), "ECG", corpus="KEMDy19")
    assert rec.signal_column_found
    assert rec.samples["time"].tolist() == pytest.approx(times)
    assert not is_time_like(rec.samples["value"])


def test_never_a_time_column_as_signal(tmp_path) -> None:
    rng = np.random.default_rng(3)
    for layout in ("time,time", "time,signal", "signal,time"):
        columns = {"time": np.cumsum(rng.uniform(0.001, 0.01, 50)), "signal": rng.normal(size=50)}
        a, b = (columns[name] + (i * 10 if name == "time" else 0) for i, name in enumerate(layout.split(",")))
        text = "".join(f"{x:.5f},{y:.5f},16:00:00\n" for x, y in zip(a, b, strict=True))
        rec = read_bio_file(write(tmp_path / "ecg.csv", text), "ECG", corpus="KEMDy19")
        assert rec.signal_column_found == ("signal" in layout)
        if rec.signal_column_found:
            assert not is_time_like(rec.samples["value"])
            assert is_time_like(rec.samples["time"])


def test_empty_file(tmp_path) -> None:
    rec = read_bio_file(write(tmp_path / "Sess01F.csv", ""), "EDA")
    assert rec.samples.empty and rec.by_segment() == {}
    assert [(p["line"], p["problem"]) for p in rec.problems] == [(1, "empty file: no samples")]
    assert list(rec.samples.columns) == ["time", "value", "segment_id"]


def test_signal_not_in_corpus(kemdy19_root) -> None:
    with pytest.raises(ValueError, match="no IBI"):
        read_bio_file(kemdy19_root / "EDA/Session01/Original/Sess01F.csv", "IBI")


def test_hundred_thousand_lines_parse_exactly(tmp_path) -> None:
    """Every line of a large file, to the digit (its speed: benchmarks/bench_prepare.py)."""
    rng = np.random.default_rng(0)
    values = rng.random(100_000)
    lines = [f"{v:.6f},{i * 0.25:.2f},16:50:49.250" + (",Sess01_script01_F001" if i % 3 else "")
             for i, v in enumerate(values)]
    path = write(tmp_path / "Sess01F.csv", "\n".join(lines) + "\n")
    rec = read_bio_file(path, "EDA")
    assert len(rec.samples) == 100_000 and rec.problems == []
    assert np.allclose(rec.samples["value"], values, atol=1e-6)
    assert rec.samples["segment_id"].eq("Sess01_script01_F001").sum() == sum(1 for i in range(100_000) if i % 3)


def test_bio_files_for_kemdy19(kemdy19_root) -> None:
    files = bio_files_for("Sess01F", kemdy19_root)
    assert files == {s: kemdy19_root / s / "Session01" / "Original" / "Sess01F.csv" for s in ("EDA", "TEMP", "ECG")}
    table = open_corpus(kemdy19_root)
    speaker_row = table[(table["segment_id"] == "Sess01_script01_M001") & (table["view"] == "speaker")].iloc[0]
    assert bio_files_for(speaker_row, table.attrs["root"])["EDA"] == Path(table.attrs["root"]) / (
        "EDA/Session01/Original/Sess01M.csv"
    )


def test_bio_files_for_kemdy20_tries_the_id_as_written(kemdy20_root) -> None:
    files = bio_files_for("Sess01_script01_User001F", kemdy20_root)
    assert files["IBI"] == kemdy20_root / "IBI" / "Session01" / "Sess01_script01_User001F.csv"
    raw = kemdy20_root / "EDA" / "Session17" / "Sess42_script01_User033F.csv"
    raw.parent.mkdir(parents=True)
    raw.write_text("1600000000.0\n4.0\n")
    row = pd.Series({"corpus": "KEMDy20", "person": "User033F", "dialogue": "Sess17_script01",
                     "segment_id_raw": "Sess42_script01_User033F_001"})
    files = bio_files_for(row, kemdy20_root)
    assert files["EDA"] == raw  # only the raw-named file exists
    assert files["TEMP"] == kemdy20_root / "TEMP" / "Session17" / "Sess17_script01_User033F.csv"
