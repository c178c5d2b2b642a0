"""``truth`` and ``bio_truth`` state exactly what was written (files parsed with csv and split)."""

from __future__ import annotations

import math
import wave
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from synthetic_raw import etri_clean, labels, owner_file, read_annotation, read_fields

from emotion_classifier.datasets.synthetic.truth import TRUTH_COLUMNS
from emotion_classifier.labels import EMOTIONS


def _cell(text: str) -> float:
    return float(text) if text else math.nan


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9)


@pytest.mark.parametrize("corpus", ["small19", "small20", "renumbered20"])
def test_truth_rows_match_the_annotation_lines(corpus, request):
    generated = request.getfixturevalue(corpus)
    truth = generated.truth
    assert list(truth.columns) == list(TRUTH_COLUMNS)
    kemdy19 = generated.corpus == "KEMDy19"
    files = {p.name: read_annotation(p)[1] for p in (generated.root / "annotation").iterdir()}
    assert len(truth) == sum(len(rows) for rows in files.values())
    for row in truth.itertuples():
        cells = files[row.rater_file][row.line - 3]
        first_rater = 13 if kemdy19 else 7
        sid, total = (cells[9], cells[10:13]) if kemdy19 else (cells[3], cells[4:7])
        assert sid == row.segment_id_raw
        assert (float(cells[1]), float(cells[2]), float(cells[0])) == (row.start, row.end, row.numb)
        assert labels(total[0]) == row.emotions_as_written.split(";")
        assert row.emotions == ";".join(e for e in EMOTIONS if e in labels(total[0]))
        assert (float(total[1]), float(total[2])) == (row.valence, row.arousal)
        raters = cells[first_rater:]
        assert [lab for c in raters[0::3] for lab in labels(c)] == row.rater_emotions.split(";")
        assert ";".join(raters[1::3]) == row.rater_valence and ";".join(raters[2::3]) == row.rater_arousal
        bio = [_cell(c) for c in cells[3:9]] if kemdy19 else [math.nan] * 6
        truth_bio = [row.ecg_start, row.ecg_end, row.eda_start, row.eda_end, row.temp_start, row.temp_end]
        assert all(_same(a, b) for a, b in zip(bio, truth_bio, strict=True))


@pytest.mark.parametrize("corpus", ["small19", "small20"])
def test_totals_follow_the_raters(corpus, request):
    truth = request.getfixturevalue(corpus).truth
    for row in truth.itertuples():
        votes = Counter(row.rater_emotions.split(";"))
        top = max(votes.values())
        assert set(row.emotions.split(";")) == {e for e, n in votes.items() if n == top}
        assert row.valence == pytest.approx(np.mean([int(v) for v in row.rater_valence.split(";")]))
        assert row.arousal == pytest.approx(np.mean([int(v) for v in row.rater_arousal.split(";")]))


@pytest.mark.parametrize("corpus", ["small19", "small20"])
def test_media_columns_match_the_files(corpus, request):
    generated = request.getfixturevalue(corpus)
    encoding = "utf-8" if generated.corpus == "KEMDy19" else "cp949"
    folder = "wav/Session{s:02d}/{d}/{i}" if generated.corpus == "KEMDy19" else "wav/Session{s:02d}/{i}"
    for row in generated.truth.itertuples():
        stem = generated.root / folder.format(s=row.session, d=row.dialogue, i=row.segment_id)
        assert stem.with_suffix(".wav").exists() is row.has_wav
        assert stem.with_suffix(".txt").exists() is row.has_txt
        written = stem.with_suffix(".txt").read_bytes().decode(encoding) if row.has_txt else ""
        assert written == (f"{row.text_raw}\n" if row.text_raw else "")  # one line and its newline, as shipped
        assert etri_clean(row.text_raw) == row.text
    with_text = generated.truth[generated.truth["text"] != ""]
    assert (with_text["text"] != with_text["text_raw"]).mean() > 0.3  # the notation gives cleaning work


@pytest.mark.parametrize("corpus", ["small19", "small20"])
def test_wavs_are_16khz_mono_pcm_as_long_as_the_annotated_segment(corpus, request):
    generated = request.getfixturevalue(corpus)
    segments = generated.truth[generated.truth["view"] == "speaker"]
    for row in segments[segments["has_wav"]].itertuples():
        with wave.open(str(generated.root / row.wav_file)) as w:
            layout = (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getcomptype())
            assert layout == (16000, 1, 2, "NONE")
            seconds = w.getnframes() / 16000
        assert seconds == pytest.approx(row.end - row.start, abs=1e-3)
        assert 0.9 <= seconds <= 5.0


def _reparse_bio(root, file: str, signal: str, kemdy19: bool) -> pd.DataFrame:
    header = 0 if kemdy19 else (1 if signal == "IBI" else 2)
    head, lines = read_fields(root / file, header)
    id_at = 3 if kemdy19 or signal == "IBI" else 2
    rows = []
    for fields in lines:
        if len(fields) == id_at + 1:
            if kemdy19:
                time, offset, value = fields[1], float(fields[1]), fields[0]
            elif signal == "IBI":
                time, offset, value = fields[2], float(fields[0]), fields[1]
            else:
                time, offset, value = fields[1], float(fields[1]) - float(head[0]), fields[0]
            rows.append(
                {"segment_id": fields[id_at], "time": float(time), "offset": offset, "value": float(value)}
            )
    return pd.DataFrame(rows, columns=["segment_id", "time", "offset", "value"])


@pytest.mark.parametrize("corpus", ["small19", "small20"])
def test_bio_truth_matches_the_bio_files(corpus, request):
    generated = request.getfixturevalue(corpus)
    kemdy19 = generated.corpus == "KEMDy19"
    bio = generated.bio_truth
    written = {
        str(p.relative_to(generated.root))
        for signal in ("EDA", "TEMP", "ECG", "IBI")
        for p in generated.root.glob(f"{signal}/**/*.csv")
    }
    assert set(bio["file"]) == written
    for file, expected in bio.groupby("file"):
        found = _reparse_bio(generated.root, file, expected["signal"].iloc[0], kemdy19)
        first = found.groupby("segment_id", sort=True).first()
        assert list(first.index) == sorted(expected["segment_id"])
        expected = expected.set_index("segment_id").loc[first.index]
        assert found.groupby("segment_id").size().loc[first.index].tolist() == expected["n_samples"].tolist()
        assert np.allclose(first["time"], expected["first_time"], rtol=0, atol=1e-6)
        assert np.allclose(first["offset"], expected["first_offset"], rtol=0, atol=2e-3)
        assert np.allclose(first["value"], expected["first_value"], rtol=0, atol=1e-9)
        owner = expected["owner"].iloc[0]
        assert owner in file


def test_annotation_eda_and_temp_cells_are_the_owner_file_values_at_the_segment_edges(small19):
    """Nearest 4 Hz sample to the start and end: the first/last tagged line or its neighbour."""
    truth = small19.truth
    checked = 0
    files = {}
    for row in truth.dropna(subset=["eda_start", "eda_end", "temp_start", "temp_end"]).itertuples():
        owner = "Sess" + row.rater_file[7:9] + row.rater_file[10]
        edges = (("EDA", row.eda_start, row.eda_end), ("TEMP", row.temp_start, row.temp_end))
        for signal, start, end in edges:
            if (signal, owner) not in files:
                files[signal, owner] = read_fields(small19.root / owner_file(signal, owner))[1]
            lines = files[signal, owner]
            tagged = [i for i, f in enumerate(lines) if len(f) == 4 and f[3] == row.segment_id]
            if not tagged:
                continue
            first = tagged[0]
            last = first
            while last + 1 < len(lines) and lines[last + 1][-1] == row.segment_id:
                last += 1
            assert start in {float(lines[i][0]) for i in (first - 1, first) if i >= 0}
            assert end in {float(lines[i][0]) for i in (last, last + 1) if i < len(lines)}
            checked += 1
    assert checked > len(truth)  # both signals of nearly every row
