"""The KEMDy19 raw layout and every planted quirk, read with csv/wave/split only."""

from __future__ import annotations

import re
import wave
from collections import Counter

import numpy as np
from synthetic_raw import owner_file, read_annotation, read_fields


def test_annotation_files_have_two_header_rows_and_43_fields(small19):
    files = sorted((small19.root / "annotation").iterdir())
    assert [f.name for f in files] == [f"Session{s:02d}_{g}_res.csv" for s in (1, 2, 3) for g in "FM"]
    for path in files:
        (first, second), rows = read_annotation(path)
        assert first[:13] == ["Numb", "Wav", "", "ECG", "", "E4-EDA", "", "E4-TEMP", "", "Segment ID",
                              "Total Evaluation", "", ""]
        assert second[:13] == ["", "start", "end", "start", "end", "start", "end", "start", "end", "",
                               "Emotion", "Valence", "Arousal"]
        assert re.fullmatch(r"Eval\d\dF", first[13]) and first[14:16] == ["", ""]
        assert {len(r) for r in [first, second, *rows]} == {43}
        assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))


def test_each_person_file_lists_every_segment_of_the_session_in_both_views(small19):
    for session in (1, 2, 3):
        ids = {}
        for gender in "FM":
            _, rows = read_annotation(small19.root / "annotation" / f"Session{session:02d}_{gender}_res.csv")
            ids[gender] = [r[9] for r in rows]
            assert {i.split("_")[2][0] for i in ids[gender]} == {"F", "M"}
        assert ids["F"] == ids["M"]
        assert len(set(ids["F"])) == len(ids["F"])


def test_rater_groups_differ_between_sessions(small19):
    names = {}
    for session in (1, 2):
        (first, _), _ = read_annotation(small19.root / "annotation" / f"Session{session:02d}_F_res.csv")
        names[session] = [first[i] for i in range(13, 43, 3)]
    assert len(set(names[1])) == len(set(names[2])) == 10
    assert not set(names[1]) & set(names[2])


def test_ties_disqust_and_disagreeing_views_are_present(small19):
    truth = small19.truth
    ties = truth[truth["n_labels"] > 1]
    assert 0 < len(ties) <= 0.2 * len(truth)
    assert ties["n_labels"].max() <= 3
    assert (ties["emotions_as_written"] != ties["emotions"]).any()  # some ties not in sorted order
    raw_rater_cells = Counter()
    for path in (small19.root / "annotation").iterdir():
        for row in read_annotation(path)[1]:
            raw_rater_cells.update(row[13::3])
    assert raw_rater_cells["disqust"] > 0 and raw_rater_cells["disgust"] > 0
    assert not truth["rater_emotions"].str.contains("disqust").any()
    pivot = truth.pivot(index="segment_id", columns="view", values="emotions")
    disagree = (pivot["speaker"] != pivot["listener"]).mean()
    assert 0.15 < disagree < 0.5


def test_blank_bio_cells_and_a_dialogue_without_eda_or_temp(small19):
    truth = small19.truth
    silent = small19.quirks["no_eda_temp_dialogue"]
    in_silent = truth["dialogue"] == silent
    assert in_silent.any()
    assert truth.loc[in_silent, ["eda_start", "eda_end", "temp_start", "temp_end"]].isna().all().all()
    assert truth.loc[in_silent, ["ecg_start", "ecg_end"]].notna().all().all()
    other_blanks = truth.loc[~in_silent, ["ecg_start", "eda_start", "temp_start"]].isna().any(axis=1)
    assert 0 < other_blanks.sum() < 0.1 * len(truth)
    for gender in "FM":
        person = f"{silent[:6]}{gender}"
        for signal, present in (("EDA", False), ("TEMP", False), ("ECG", True)):
            _, lines = read_fields(small19.root / owner_file(signal, person))
            ids = {fields[3] for fields in lines if len(fields) == 4}
            assert any(i.startswith(silent) for i in ids) is present, (signal, person)


def test_bio_lines_have_3_or_4_fields_at_4_hz_and_carry_both_speakers(small19):
    for path in sorted(small19.root.glob("*/Session*/Original/Sess*.csv")):
        _, lines = read_fields(path)
        assert {len(f) for f in lines} == {3, 4}, path
        elapsed = np.array([float(f[1]) for f in lines])
        steps = np.diff(elapsed)
        assert np.mean(np.isclose(steps, 0.25)) > 0.95, path
        assert all(re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", f[2]) for f in lines[:50])
        genders = {f[3].split("_")[2][0] for f in lines if len(f) == 4}
        assert genders == {"F", "M"}, path


def test_ecg_first_column_rises_like_a_clock_while_annotation_cells_look_like_signal(small19):
    _, lines = read_fields(small19.root / owner_file("ECG", "Sess02M"))
    first = np.array([float(f[0]) for f in lines])
    steps = np.diff(first)
    assert np.mean(steps > 0) > 0.95
    assert (steps < 0).sum() >= 1  # it restarts at dialogues
    cells = small19.truth[["ecg_start", "ecg_end"]].stack()
    assert cells.abs().max() < 3 and cells.std() > 0


def test_duplicated_segments_are_written_twice(small19):
    duplicated = small19.quirks["duplicated_segments"]
    assert duplicated
    for sid in duplicated:
        person = sid[:4] + sid[4:6] + sid.split("_")[2][0]
        for signal in ("EDA", "TEMP"):
            text = (small19.root / owner_file(signal, person)).read_text().splitlines()
            tagged = [line for line in text if line.endswith("," + sid)]
            counts = Counter(tagged)
            assert len(tagged) >= 2 and set(counts.values()) == {2}


def test_missing_media_empty_transcripts_and_converted_decoys(small19):
    root, quirks, truth = small19.root, small19.quirks, small19.truth
    gone = quirks["no_media_dialogue"]
    assert gone and not (root / "wav" / f"Session{gone[4:6]}" / gone).exists()
    single = quirks["no_media_segments"][0]
    folder = root / "wav" / f"Session{single[4:6]}" / single.rsplit("_", 1)[0]
    assert folder.is_dir()
    assert not (folder / f"{single}.wav").exists() and not (folder / f"{single}.txt").exists()
    no_txt = quirks["no_txt_segments"][0]
    flags = truth.loc[truth["segment_id"] == no_txt, ["has_wav", "has_txt"]]
    assert flags.values.tolist()[0] == [True, False]
    for sid in quirks["empty_txt_segments"]:
        txt = root / f"wav/Session{sid[4:6]}/{sid.rsplit('_', 1)[0]}/{sid}.txt"
        assert txt.read_bytes() == b""
    decoy_folders = list(root.glob("wav/*/*/converted"))
    dialogues = list(root.glob("wav/*/*"))
    assert len(decoy_folders) >= len(dialogues) // 2
    for decoy in sorted(root.glob("wav/*/*/converted/*.wav")):
        original = decoy.parent.parent / decoy.name
        assert original.exists()
        with wave.open(str(decoy)) as fake, wave.open(str(original)) as real:
            assert fake.getframerate() != real.getframerate()
    assert list(root.glob("wav/*/*/converted/*.txt"))


def test_transcripts_are_one_utf8_line_with_etri_notation(small19):
    raw = small19.truth.drop_duplicates("segment_id")["text_raw"]
    joined = " ".join(raw)
    notations = {
        "tag": r"(?<![A-Za-z0-9])[bloOnNucs]/",
        "hard to hear": r"\*",
        "repetition": r"[^(]*\+",
        "dual spelling": r"\([^()+]*\)/\([^()]*\)",
        "overlap at the start": r"^\([^()]*\+",
        "overlap at the end": r"(?<!/)\([^()+]*\)(?!/)[.?!~]*( [bloOnNucs]/)?$",
    }
    for notation in notations.values():
        assert any(re.search(notation, t) for t in raw), notation
    assert re.search(r"[0-9]", joined) and re.search(r"[A-Za-z]{2}", joined)
    for path in small19.root.glob("wav/*/*/*.txt"):
        text = path.read_bytes().decode("utf-8")
        assert text == "" or (text.endswith("\n") and "\n" not in text[:-1])  # one line and its newline
