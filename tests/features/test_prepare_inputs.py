"""Damaged and unusual inputs: listed on screen and in the manifest, or an error under `--strict`."""

import runpy
import sys
from pathlib import Path

import pytest

from emotion_classifier.cli import main
from emotion_classifier.errors import AudioError, InputError
from emotion_classifier.features import load_artifacts, prepare


def _speaker_rows(corpus):
    truth = corpus.truth
    return truth[(truth["view"] == "speaker") & truth["has_wav"] & truth["has_txt"] & truth["text"].ne("")]


@pytest.fixture
def damaged(corpus19, corpus_copy, tone):
    """corpus_copy with one garbage wav, one 44.1 kHz stereo wav; returns (root, garbage id, stereo id)."""
    rows = _speaker_rows(corpus19)
    garbage, stereo = rows.iloc[0], rows.iloc[1]
    (corpus_copy / garbage["wav_file"]).write_bytes(b"this is not a wav file" * 50)
    tone(corpus_copy / stereo["wav_file"], 44100, sample_rate=44100, channels=2)
    return corpus_copy, garbage, stereo


def test_corrupt_and_converted_wavs_are_listed_and_shown(damaged, tmp_path, capsys):
    root, garbage, stereo = damaged
    out = prepare(root, tmp_path / "a", jobs=1, progress=True)
    screen = capsys.readouterr().out
    art = load_artifacts(out)
    table = art.table.set_index("segment_id")
    assert not table.loc[garbage["segment_id"], "has_audio"]
    assert table.loc[stereo["segment_id"], "has_audio"]
    skipped = {i["segment_id"]: i for i in art.manifest["stages"]["audio"]["skipped"]}
    assert skipped[garbage["segment_id"]]["file"].endswith(garbage["wav_file"])
    assert "cannot decode wav" in skipped[garbage["segment_id"]]["reason"]
    assert f"{garbage['segment_id']}: cannot decode wav" in screen
    counts = art.manifest["stages"]["audio"]["counts"]
    assert counts["resampled"] == 1 and counts["to_mono"] == 1
    assert "1 wav files resampled to 16000 Hz, 1 mixed down to mono" in screen
    [converted] = art.manifest["stages"]["audio"]["converted"]
    assert converted["file"].endswith(stereo["wav_file"]) and "44100 -> 16000" in converted["conversion"]
    stereo_row = art.table.index[art.table["segment_id"].eq(stereo["segment_id"])][0]
    assert art.audio[stereo_row].shape == (1 + 16000 // 160, 40)


def test_strict_turns_a_corrupt_wav_into_an_error_naming_it(tmp_path):
    from emotion_classifier.datasets.synthetic import generate_corpus

    corpus = generate_corpus(tmp_path / "c", corpus="kemdy20", sessions=1, seed=3,
                             dialogues_per_session=1, segments_per_dialogue=(4, 4))
    truth = corpus.truth
    victim = truth[truth["has_wav"]].iloc[0]
    (corpus.root / victim["wav_file"]).write_bytes(b"\x00garbage" * 30)
    for _, row in truth[truth["text"].eq("")].iterrows():  # keep the text stage clean
        (corpus.root / row["txt_file"]).write_text("괜찮아요", encoding="utf-8")
    with pytest.raises(AudioError, match=victim["wav_file"]):
        prepare(corpus.root, tmp_path / "a", strict=True, jobs=1, progress=False)


def test_strict_turns_an_empty_transcript_into_an_error_naming_it(corpus19, corpus_copy, tmp_path):
    row = _speaker_rows(corpus19).iloc[2]
    (corpus_copy / row["txt_file"]).write_text("b/ l/", encoding="utf-8")  # only tags: empty once cleaned
    out = prepare(corpus_copy, tmp_path / "a", jobs=1, progress=False)
    skipped = {i["segment_id"]: i for i in load_artifacts(out).manifest["stages"]["text"]["skipped"]}
    assert skipped[row["segment_id"]]["reason"] == "transcript empty after cleaning"
    with pytest.raises(InputError, match=r"\.(txt|csv)"):
        prepare(corpus_copy, tmp_path / "b", strict=True, jobs=1, progress=False)


def test_cli_prepare_with_stopwords_and_kiwi(corpus19, tmp_path, capsys):
    out = tmp_path / "a"
    args = ["--data", str(corpus19.root), "--out", str(out), "--tokenizer", "kiwi", "--stopwords", "--jobs", "1"]
    assert main(["prepare", *args, "--quiet"]) == 0
    art = load_artifacts(out)
    assert art.manifest["config"]["tokenizer"] == "kiwi" and art.manifest["config"]["stopwords"] == "builtin"
    assert all("가" not in tokens and "는" not in tokens for tokens in art.tokens)
    assert capsys.readouterr().out == ""


def test_cli_reports_a_bad_corpus_folder_in_one_line(tmp_path, capsys):
    assert main(["prepare", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "a")]) == 2
    assert "nowhere" in capsys.readouterr().err and not (tmp_path / "a").exists()


def test_preprocessing_data_script_takes_the_prepare_arguments(corpus19, tmp_path, monkeypatch):
    script = Path(__file__).parents[2] / "Preprocessing_data.py"
    out = tmp_path / "a"
    monkeypatch.setattr(sys, "argv", [str(script), "--data", str(corpus19.root), "--out", str(out), "--quiet",
                                      "--jobs", "1", "--n-mfcc", "13"])  # fmt: skip
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(script), run_name="__main__")
    assert done.value.code == 0
    assert load_artifacts(out).audio[0].shape[1] == 13
