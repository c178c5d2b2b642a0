"""Bio coverage and the inspect summary, checked against the samples planted in kemdy_trees.py."""

from __future__ import annotations

import json

from emotion_classifier.datasets import bio_coverage, open_corpus
from emotion_classifier.datasets.summary import format_summary, summarise


def test_kemdy19_coverage_uses_the_speakers_own_file(kemdy19_root) -> None:
    coverage = bio_coverage(open_corpus(kemdy19_root))
    samples = dict(zip(coverage["segment_id"], coverage["eda_samples"], strict=True))
    assert samples["Sess01_script01_F001"] == 2
    assert samples["Sess01_script01_F002"] == 1  # its first line is malformed
    # M001 appears in F's file too (F's body while M speaks): only M's own file counts
    assert samples["Sess01_script01_M001"] == 2
    assert samples["Sess01_impro01_F001"] == 0
    assert coverage.loc[coverage["segment_id"].str.startswith("Sess02"), "eda_file"].eq("").all()
    ecg = coverage.set_index("segment_id")
    assert ecg.loc["Sess01_script01_M001", "ecg_samples"] == 8
    assert not ecg.loc["Sess01_script01_M001", "ecg_signal"]  # time columns only
    assert ecg.loc["Sess01_script01_F001", "ecg_signal"]


def test_kemdy19_summary_bio(kemdy19_root) -> None:
    bio = summarise(open_corpus(kemdy19_root))["bio"]["signals"]
    assert bio["EDA"] == {"segments": 8, "covered": 3, "with_samples": 3, "file_missing": 2, "files": 2,
                          "files_without_signal": 0, "malformed_lines": 2}
    assert (bio["TEMP"]["covered"], bio["TEMP"]["file_missing"]) == (1, 5)
    assert (bio["ECG"]["covered"], bio["ECG"]["with_samples"], bio["ECG"]["files_without_signal"]) == (1, 2, 1)


def test_kemdy20_summary(kemdy20_root) -> None:
    summary = summarise(open_corpus(kemdy20_root))
    json.dumps(summary)  # plain JSON types only
    assert summary["sessions"] == 2 and summary["people"] == 4 and summary["dialogues"] == 2
    assert summary["emotions"] == {"angry": 0, "disgust": 1, "fear": 0, "happy": 1, "neutral": 2, "sad": 0,
                                   "surprise": 0}
    assert summary["ties"] == 1 and summary["labelled"] == 4
    assert summary["missing"] == {"wav": 0, "text": 1, "empty_text": 0}
    bio = summary["bio"]["signals"]
    assert (bio["EDA"]["covered"], bio["EDA"]["file_missing"], bio["EDA"]["malformed_lines"]) == (2, 3, 1)
    assert (bio["TEMP"]["covered"], bio["IBI"]["covered"]) == (1, 2)


def test_format_summary_mentions_every_part(kemdy19_root) -> None:
    table = open_corpus(kemdy19_root)
    text = format_summary(summarise(table))
    assert "segments: 8 speaker view, 8 listener view" in text
    assert "ties: 2 speaker-view segments" in text
    assert "missing (speaker view): 1 wav, 1 transcripts, 1 empty transcripts" in text
    assert "files with no signal column (time only, not used): 1" in text
    # the fixture's malformed bio lines are summarised by kind with file:line (issue 13 item 7)
    assert "problems by kind" in text
    assert "1 x eda … is not a number: " in text and "EDA/Session01/Original/Sess01F.csv:5" in text


def test_problems_are_listed_in_the_summary(kemdy19_root) -> None:
    stray = kemdy19_root / "wav" / "Session01" / "Sess01_script01" / "Sess01_script01_M099.wav"
    stray.write_bytes(b"RIFF")
    summary = summarise(open_corpus(kemdy19_root))
    assert summary["problems"]["count"] == 1
    assert summary["problems"]["first"][0]["file"] == str(stray)
    assert "Sess01_script01_M099.wav: no annotation row names this file" in format_summary(summary)
