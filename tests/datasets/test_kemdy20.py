"""KEMDy20 reading: one view, ' .N' header cells, Sess42 ids, cp949 transcripts, User-part gender."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from kemdy_trees import SEGMENTS20

from emotion_classifier.datasets import SEGMENT_COLUMNS, open_corpus


@pytest.fixture
def table(kemdy20_root) -> pd.DataFrame:
    return open_corpus(kemdy20_root)


def row(table: pd.DataFrame, segment_id: str) -> pd.Series:
    rows = table[table["segment_id"].eq(segment_id)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_columns_rows_and_speaker_view_only(table) -> None:
    assert list(table.columns) == list(SEGMENT_COLUMNS)
    assert len(table) == sum(len(s) for s in SEGMENTS20.values())
    assert set(table["view"]) == {"speaker"}
    assert table.attrs["corpus"] == "KEMDy20" and set(table["corpus"]) == {"KEMDy20"}
    assert table["ecg_start"].isna().all() and table["temp_end"].isna().all()


def test_space_header_cells_are_read_by_position(kemdy20_root, table) -> None:
    header1 = (kemdy20_root / "annotation" / "Sess01_eval.csv").read_text().splitlines()[0].split(",")
    assert header1[2] == " " and header1[5] == " "  # pandas would name these ' .1', ' .2'
    r = row(table, "Sess01_script01_User001F_001")
    assert (r["emotion"], r["valence"], r["arousal"], r["numb"], r["start"], r["end"]) == (
        "neutral", 3.0, 3.1, 1.0, 3.5, 5.5
    )
    assert (r["rater_file"], r["line"]) == ("Sess01_eval.csv", 3)


def test_gender_and_person_from_the_user_part(table) -> None:
    r = row(table, "Sess01_script01_User002M_001")
    assert (r["person"], r["gender"], r["session"], r["dialogue"], r["kind"]) == (
        "User002M", "M", 1, "Sess01_script01", "script"
    )


def test_disqust_in_total_evaluation(table) -> None:
    r = row(table, "Sess01_script01_User002M_001")
    assert (r["emotion"], r["emotions"]) == ("disgust", "disgust")


def test_sess42_ids_rewritten_and_kept(table) -> None:
    r = row(table, "Sess17_script01_User033F_001")
    assert r["segment_id_raw"] == "Sess42_script01_User033F_001"
    assert (r["session"], r["dialogue"], r["rater_file"]) == (17, "Sess17_script01", "Sess17_eval.csv")
    assert not table["segment_id"].str.startswith("Sess42").any()


def test_media_found_under_both_names(table) -> None:
    canonical = row(table, "Sess17_script01_User033F_001")
    assert canonical["wav_path"].endswith("Session17/Sess17_script01_User033F_001.wav")
    raw_named = row(table, "Sess17_script01_User034M_001")
    assert raw_named["wav_path"].endswith("Session17/Sess42_script01_User034M_001.wav")
    assert raw_named["text_raw"] == "응"


def test_transcript_encodings_and_missing_txt(table) -> None:
    assert row(table, "Sess01_script01_User001F_001")["text_raw"] == "아 친구들도? b/"  # cp949
    assert row(table, "Sess01_script01_User001F_001")["text"] == "아 친구들도"
    assert row(table, "Sess17_script01_User033F_001")["text_raw"] == "좋다"  # euc-kr
    assert row(table, "Sess01_script01_User001F_002")["text"] == "그래 응"  # utf-8
    missing = row(table, "Sess01_script01_User002M_001")
    assert missing["txt_path"] == "" and missing["text_raw"] == "" and missing["wav_path"] != ""


def test_tie_and_vote_fallback(kemdy20_root) -> None:
    # raters split 5-5 between the tied labels: vote falls back to the first as written
    for policy, expected in (("drop", ""), ("first", "neutral"), ("vote", "neutral")):
        r = row(open_corpus(kemdy20_root, tie_policy=policy), "Sess01_script01_User001F_002")
        assert r["emotion"] == expected and r["n_labels"] == 2
    assert not math.isnan(r["valence"])
