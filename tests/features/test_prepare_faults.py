"""Issue 13: faults injected into a synthetic KEMDy20 copy are listed (file:line), not fatal, and leave
the other segments' artifacts as a clean run writes them; ``--strict`` stops on an undecodable transcript."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from emotion_classifier.cli import main

UNDECODABLE_BYTES = b"\x80\xff\x80\xff"
"""Valid in neither UTF-8, cp949 nor EUC-KR (0x80 and 0xff lead no character in any of them)."""


def inject(root: Path) -> dict[str, str]:
    """Every fault of items 1, 2, 6, 7 at once, in session 1; returns problem text -> file:line (or file)."""
    ibi = root / "IBI/Session01/Sess01_script01_User001F.csv"
    lines = ibi.read_text().splitlines()
    last = lines[-1].split(",")
    lines.append(",".join([last[0], "-0.5", *last[2:]]))  # offset_s, ibi_s, timestamp[, id]
    ibi.write_text("\n".join(lines) + "\n")
    annotation = root / "annotation/Sess01_eval.csv"
    rows = annotation.read_text().splitlines()
    fields = rows[2].split(",")
    fields[4] = "happy" if fields[4] != "happy" else "sad"
    rows.append(",".join(fields))
    annotation.write_text("\n".join(rows) + "\n")
    txt = sorted((root / "wav/Session01").glob("Sess01_script01_User002M_*.txt"))[0]
    txt.write_bytes(UNDECODABLE_BYTES)
    eda = root / "EDA/Session01/Sess01_script03_User001F.csv"
    eda.write_text("")
    temp = root / "TEMP/Session01/Sess01_script04_User001F.csv"
    temp.write_text(temp.read_text().replace(",Sess01_", ",Sess09_"))
    return {
        "implausible IBI -0.5 s (outside 0.25-2)": f"{ibi}:{len(lines)}",
        "conflicting duplicate": f"{annotation}:{len(rows)}",
        "undecodable transcript": str(txt),
        "empty file: no samples": f"{eda}:1",
        "no segment id in the file matches": str(temp),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(clean artifacts, faulty artifacts, faulty root, expected problems, printed summary)."""
    from emotion_classifier.datasets.synthetic import generate_corpus

    base = tmp_path_factory.mktemp("faults")
    clean = generate_corpus(base / "clean", corpus="kemdy20", sessions=2, seed=1).root
    faulty = Path(shutil.copytree(clean, base / "faulty"))
    expected = inject(faulty)
    assert main(["prepare", "--data", str(clean), "--out", str(base / "a_clean"), "--jobs", "1", "--quiet"]) == 0
    return base / "a_clean", faulty, expected


def test_faulty_prepare_lists_every_problem(runs, capsys) -> None:
    clean_out, faulty, expected = runs
    out = faulty.parent / "a_faulty"
    assert main(["prepare", "--data", str(faulty), "--out", str(out), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    problems = manifest["corpus_problems"] + [p for s in manifest["stages"].values() for p in s.get("problems", [])]
    places = {(p["file"] if p.get("line") is None else f"{p['file']}:{p['line']}"): p["problem"] for p in problems}
    for text, place in expected.items():
        assert text in places.get(place, ""), (text, place)
        assert place in printed  # the summary names the first places of each kind
    # untouched segments: text rows of all but the undecodable one, bio rows of session 2
    undecodable = Path(expected["undecodable transcript"]).stem
    for artifact, keep in (("text_tokens.csv", lambda ids: ids.ne(undecodable)),
                           ("bio_features.csv", lambda ids: ids.str.startswith("Sess02"))):  # fmt: skip
        before = pd.read_csv(clean_out / artifact, dtype=str, keep_default_na=False).set_index("segment_id")
        after = pd.read_csv(out / artifact, dtype=str, keep_default_na=False).set_index("segment_id")
        kept = before.index[keep(before.index.to_series())]
        pd.testing.assert_frame_equal(after.loc[kept], before.loc[kept])


def test_strict_prepare_stops_at_the_first_problem(runs, capsys) -> None:
    """The duplicate row is the reader's first problem (annotation before transcripts): it is named, and no
    stage runs (nothing but the --out probe's folder is made)."""
    _, faulty, expected = runs
    out = faulty.parent / "strict"
    code = main(["prepare", "--data", str(faulty), "--out", str(out), "--jobs", "1", "--strict"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected["conflicting duplicate"] in err[0], err
    assert "--strict stops at the first problem" in err[0] and not any(out.iterdir())


def test_strict_prepare_names_an_undecodable_transcript(runs, tmp_path, capsys) -> None:
    """Without the duplicate, the undecodable transcript is the first problem: the reader's own error."""
    _, faulty, expected = runs
    corpus = Path(shutil.copytree(faulty, tmp_path / "corpus"))
    annotation = corpus / "annotation/Sess01_eval.csv"
    annotation.write_text("\n".join(annotation.read_text().splitlines()[:-1]) + "\n")
    txt = corpus / Path(expected["undecodable transcript"]).relative_to(faulty)
    code = main(["prepare", "--data", str(corpus), "--out", str(tmp_path / "out"), "--jobs", "1", "--strict"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and str(txt) in err[0] and "neither UTF-8, cp949 nor EUC-KR" in err[0], err


def test_inspect_lists_every_problem(runs, capsys) -> None:
    _, faulty, expected = runs
    assert main(["inspect", "--data", str(faulty)]) == 0
    printed = capsys.readouterr().out
    for place in expected.values():
        assert place in printed


def test_inspect_strict_stops_at_the_first_problem(runs, capsys) -> None:
    clean_out, faulty, expected = runs
    assert main(["inspect", "--data", str(faulty), "--strict"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and expected["conflicting duplicate"] in err[0] and captured.out == "", err


def test_inspect_strict_names_a_bio_line_after_the_corpus_problems(runs, tmp_path, capsys) -> None:
    """Annotation and transcripts mended: the first problem is one of the bio files' (they are read last)."""
    _, faulty, expected = runs
    corpus = Path(shutil.copytree(faulty, tmp_path / "corpus"))
    annotation = corpus / "annotation/Sess01_eval.csv"
    annotation.write_text("\n".join(annotation.read_text().splitlines()[:-1]) + "\n")
    (corpus / Path(expected["undecodable transcript"]).relative_to(faulty)).write_text("네", encoding="utf-8")
    assert main(["inspect", "--data", str(corpus), "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--strict stops at the first problem" in err[0], err
    assert any(str(corpus / Path(place).relative_to(faulty)) in err[0] for text, place in expected.items()
               if text not in ("conflicting duplicate", "undecodable transcript"))  # fmt: skip


def test_prediction_text_skip_reason_for_undecodable_txt(tmp_path) -> None:
    from emotion_classifier.features.inputs import InputSpec
    from emotion_classifier.model_inputs import Recording, text_input

    txt = tmp_path / "bad.txt"
    txt.write_bytes(UNDECODABLE_BYTES)
    tokens, reason = text_input(Recording(txt=str(txt)), InputSpec("text", tokenizer="mecab"))
    assert tokens is None and "neither UTF-8, cp949 nor EUC-KR" in reason
