"""KEMDy19 reading: views, positions, labels, ties, bio cells, media. Expectations come from the
rows planted in kemdy_trees.py, not from a previous run."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from kemdy_trees import MISSING_MEDIA19, SEGMENTS19_S1, SEGMENTS19_S2, TRANSCRIPTS19

from emotion_classifier.datasets import SEGMENT_COLUMNS, open_corpus

ALL19 = SEGMENTS19_S1 + SEGMENTS19_S2


@pytest.fixture
def table(kemdy19_root) -> pd.DataFrame:
    return open_corpus(kemdy19_root)


def row(table: pd.DataFrame, segment_id: str, view: str = "speaker") -> pd.Series:
    rows = table[table["segment_id"].eq(segment_id) & table["view"].eq(view)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_exact_columns_and_one_row_per_segment_and_view(table) -> None:
    assert list(table.columns) == list(SEGMENT_COLUMNS)
    assert table.groupby(["segment_id", "view"]).size().eq(1).all()
    assert set(table["segment_id"]) == {s.segment_id for s in ALL19}
    assert table.attrs["corpus"] == "KEMDy19"


def test_two_header_rows_are_not_data(table) -> None:
    # 6 + 2 segments per file, 4 files: header rows would add 'Numb'/'' ids or fail
    assert len(table) == 2 * len(ALL19)
    assert table["line"].min() == 3


def test_speaker_view_is_the_segment_owners_file(table) -> None:
    speaker = table[table["view"].eq("speaker")]
    assert (speaker["rater_file"].str[10] == speaker["gender"]).all()  # Session01_F_res.csv -> 'F'
    listener = table[table["view"].eq("listener")]
    assert (listener["rater_file"].str[10] != listener["gender"]).all()
    # the views disagree, as in the real Sess01_script01_M002 (angry in M's file, fear in F's)
    assert row(table, "Sess01_script01_M002")["emotion"] == "angry"
    assert row(table, "Sess01_script01_M002", "listener")["emotion"] == "fear"


def test_gender_person_session_from_the_id(table) -> None:
    r = row(table, "Sess01_impro01_M001")
    assert (r["gender"], r["person"], r["session"], r["dialogue"], r["kind"]) == (
        "M", "Sess01M", 1, "Sess01_impro01", "impro"
    )
    assert row(table, "Sess01_impro01_F001", "listener")["gender"] == "F"
    assert (table["gender"] == table["segment_id"].str.split("_").str[2].str[0]).all()


def test_positions_not_rater_names(kemdy19_root, table) -> None:
    # session 2 uses another rater group: same positions, different header names
    header1 = (kemdy19_root / "annotation" / "Session02_F_res.csv").read_text().splitlines()[0]
    assert "Eval11M" in header1 and "Eval01F" not in header1
    r = row(table, "Sess02_script01_F001")
    assert r["rater_emotions"] == ";".join(["angry"] * 10)
    assert r["rater_valence"] == ";".join(["2"] * 10)


def test_valence_before_arousal(table) -> None:
    r = row(table, "Sess01_script01_M001")  # the spec's real row: surprise, 1.7, 4
    assert (r["emotion"], r["valence"], r["arousal"]) == ("surprise", 1.7, 4.0)
    assert r["rater_valence"].split(";")[0] == "2" and r["rater_arousal"].split(";")[0] == "4"
    assert (r["start"], r["end"], r["numb"]) == (7.152, 15.476, 1.0)


def test_disqust_is_disgust_in_total_and_rater_cells(table) -> None:
    r = row(table, "Sess01_script01_F002")
    assert r["emotion"] == "disgust" and r["emotions"] == "disgust"
    assert r["rater_emotions"] == ";".join(["disgust"] * 10)


@pytest.mark.parametrize(
    ("policy", "two_way", "three_way"),
    [
        ("drop", "", ""),
        ("first", "happy", "sad"),  # first label as written
        ("vote", "neutral", "sad"),  # raters 4 neutral vs 3 happy; sad/fear/neutral 3-3-3 -> first
    ],
)
def test_ties_under_each_policy(kemdy19_root, policy: str, two_way: str, three_way: str) -> None:
    table = open_corpus(kemdy19_root, tie_policy=policy)
    two = row(table, "Sess01_script01_F001")
    three = row(table, "Sess01_impro01_F001")
    assert (two["emotion"], three["emotion"]) == (two_way, three_way)
    assert (two["emotions"], two["emotions_as_written"], two["n_labels"]) == ("happy;neutral", "happy;neutral", 2)
    assert (three["emotions"], three["emotions_as_written"], three["n_labels"]) == (
        "fear;neutral;sad", "sad;fear;neutral", 3
    )


def test_unknown_tie_policy(kemdy19_root) -> None:
    with pytest.raises(ValueError, match="tie policy"):
        open_corpus(kemdy19_root, tie_policy="random")


def test_bio_cells_and_blanks(table) -> None:
    r = row(table, "Sess01_script01_M001")
    assert (r["ecg_start"], r["ecg_end"], r["eda_start"], r["eda_end"], r["temp_start"], r["temp_end"]) == (
        -0.03253542, 0.05061065, 4.408951, 4.651463, 34.66, 34.59
    )
    blank = row(table, "Sess01_script01_F002")
    assert math.isnan(blank["eda_start"]) and blank["eda_end"] == 4.7


def test_media_paths_and_missing(kemdy19_root, table) -> None:
    r = row(table, "Sess01_script01_M001")
    assert r["wav_path"] == str(kemdy19_root.resolve() / "wav/Session01/Sess01_script01/Sess01_script01_M001.wav")
    assert r["txt_path"].endswith("Sess01_script01_M001.txt")
    missing = table[table["segment_id"].eq(MISSING_MEDIA19)]
    assert len(missing) == 2 and (missing["wav_path"] == "").all() and (missing["txt_path"] == "").all()
    assert (missing["text_raw"] == "").all()
    assert table["wav_path"].eq("").sum() == 2  # one segment, both views


def test_converted_decoys_are_never_read(table) -> None:
    assert not table["wav_path"].str.contains("/converted/").any()
    assert not table["text_raw"].eq("decoy").any()
    assert table.attrs["problems"] == []


def test_transcripts_raw_and_clean(table) -> None:
    for sid, text in TRANSCRIPTS19.items():
        assert row(table, sid)["text_raw"] == text
    assert row(table, "Sess01_script01_M001")["text"] == "아 진짜 그래서 112에 신고했어 응"
    assert row(table, "Sess01_script01_F001")["text"] == ""


def test_rows_keep_file_line_numbers(kemdy19_root, table) -> None:
    r = row(table, "Sess01_script01_M002", "listener")
    line = (kemdy19_root / "annotation" / r["rater_file"]).read_text().splitlines()[r["line"] - 1]
    assert ",Sess01_script01_M002,fear," in line
