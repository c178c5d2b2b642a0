"""The KEMDy20 v1.1 raw layout and its quirks, read with csv and split only."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_raw import read_annotation, read_fields


def test_annotation_has_37_fields_and_single_space_blank_headers(small20):
    files = sorted((small20.root / "annotation").iterdir())
    assert [f.name for f in files] == ["Sess01_eval.csv", "Sess02_eval.csv", "Sess03_eval.csv"]
    for path in files:
        (first, second), rows = read_annotation(path)
        assert {len(r) for r in [first, second, *rows]} == {37}
        assert first[:7] == ["Numb", "Wav", " ", "Segment ID", "Total Evaluation", " ", " "]
        assert second[:7] == [" ", "start", "end", " ", "Emotion", "Valence", "Arousal"]
        assert "" not in first + second
        ids = [r[3] for r in rows]
        assert all(i.startswith(path.name[:6] + "_script") for i in ids)
        assert len(set(ids)) == len(ids)
    assert set(small20.truth["view"]) == {"speaker"}


def test_disqust_in_total_evaluation_and_neutral_majority(small20):
    totals = [r[4] for p in (small20.root / "annotation").iterdir() for r in read_annotation(p)[1]]
    assert any("disqust" in t.split(";") for t in totals)
    single = small20.truth[small20.truth["n_labels"] == 1]
    assert 0.65 < (single["emotions"] == "neutral").mean() < 0.92


def test_transcripts_are_cp949_not_utf8_in_flat_session_folders(small20):
    assert not list(small20.root.glob("wav/*/*/"))
    texts = sorted(small20.root.glob("wav/Session*/*.txt"))
    assert len(texts) == len(small20.truth)
    decoded = 0
    for path in texts:
        data = path.read_bytes()
        if not data:
            continue
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert data.decode("cp949")
        decoded += 1
    assert decoded == len(texts) - len(small20.quirks["empty_txt_segments"])


def test_e4_files_have_their_header_lines_and_4_hz_unix_timestamps(small20):
    for signal in ("EDA", "TEMP"):
        paths = sorted(small20.root.glob(f"{signal}/Session*/Sess*_script*_User*.csv"))
        assert len(paths) == 2 * 3 * 3
        for path in paths:
            (start, rate), lines = read_fields(path, 2)
            assert float(rate) == 4.0 and float(start) > 1e9
            assert {len(f) for f in lines} == {2, 3}
            stamps = np.array([float(f[1]) for f in lines])
            assert stamps[0] == pytest.approx(float(start), abs=1e-3)
            assert np.allclose(np.diff(stamps), 0.25, atol=2e-3)


def test_ibi_files_hold_irregular_beats_with_consistent_offsets(small20):
    paths = sorted(small20.root.glob("IBI/Session*/Sess*_script*_User*.csv"))
    assert len(paths) == 2 * 3 * 3
    for path in paths:
        (start,), lines = read_fields(path, 1)
        assert {len(f) for f in lines} <= {3, 4} and 4 in {len(f) for f in lines}
        offset, ibi, stamp = (np.array([float(f[i]) for f in lines]) for i in range(3))
        assert np.allclose(float(start) + offset, stamp, atol=2e-3)
        assert ibi.min() > 0.35 and ibi.max() < 1.5 and ibi.std() > 0.01


def _coverage(generated, signal: str) -> float:
    bio = generated.bio_truth
    own = bio[(bio["signal"] == signal) & (bio["owner"] == bio["segment_id"].str.split("_").str[2])]
    return own["segment_id"].nunique() / len(generated.truth)


def test_bio_coverage_like_the_corpus(small20):
    eda, ibi = _coverage(small20, "EDA"), _coverage(small20, "IBI")
    assert 0.85 <= eda <= 1.0
    assert 0.55 <= ibi <= 0.9
    assert ibi < eda


def test_session_17_ids_are_written_as_session_42(renumbered20):
    (_, rows) = read_annotation(renumbered20.root / "annotation" / "Sess17_eval.csv")
    assert rows and all(r[3].startswith("Sess42_script") for r in rows)
    folder = renumbered20.root / "annotation"
    others = [r[3] for p in folder.glob("Sess1[0-6]_eval.csv") for r in read_annotation(p)[1]]
    assert not any(i.startswith("Sess42") for i in others)
    truth = renumbered20.truth[renumbered20.truth["session"] == 17]
    assert (truth["segment_id_raw"].str.replace("Sess42", "Sess17", n=1) == truth["segment_id"]).all()
    for sid in truth["segment_id"]:
        assert (renumbered20.root / "wav" / "Session17" / f"{sid}.wav").exists()
    bio = renumbered20.bio_truth
    bio_ids = bio.loc[bio["file"].str.contains("Session17"), "segment_id"]
    assert len(bio_ids) and bio_ids.str.startswith("Sess17_").all()
