"""What ``emotion inspect`` reports: a corpus's size, labels, gaps and bio coverage.

``summarise`` returns plain JSON types so ``--json`` output can be compared and stored;
``format_summary`` turns the same dict into text, so the two outputs never disagree.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from emotion_classifier.datasets.coverage import bio_coverage
from emotion_classifier.datasets.transcripts import TRANSCRIPT_SKIPS, read_transcript
from emotion_classifier.errors import InputError
from emotion_classifier.labels import EMOTIONS

N_PROBLEMS_SHOWN = 10
N_PLACES_PER_KIND = 3
"""file:line places printed per kind of problem (the manifest / ``--json`` list all of them)."""
_NUMBER = r"\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_VARYING = re.compile(rf"'[^']*'|\S*/\S*|(?<![\w.-]){_NUMBER}-{_NUMBER}(?![\w.])|(?<![\w.-])-?{_NUMBER}(?![\w.])")


def problem_kind(problem: dict) -> str:
    """What a problem is, without the values that differ between its occurrences (numbers, quoted
    cells, paths), so that 10,000 implausible samples read as one kind with a count."""
    return " ".join(_VARYING.sub("…", problem["problem"]).split())


def problem_place(problem: dict) -> str:
    """``file:line``, or the file alone for a problem of a whole file."""
    return problem["file"] if problem.get("line") is None else f"{problem['file']}:{problem['line']}"


def problem_kinds(problems: list[dict], places: int = N_PLACES_PER_KIND) -> list[dict]:
    """``{kind, count, first}`` per kind of problem, most frequent first; ``first`` holds the first
    ``places`` places, so a screen summary stays short however many lines a file got wrong."""
    kinds: dict[str, dict] = {}
    for p in problems:
        entry = kinds.setdefault(problem_kind(p), {"kind": problem_kind(p), "count": 0, "first": []})
        entry["count"] += 1
        if len(entry["first"]) < places:
            entry["first"].append(problem_place(p))
    return sorted(kinds.values(), key=lambda k: -k["count"])


def problem_kind_lines(kinds: list[dict], indent: str = "  ") -> list[str]:
    """One line per kind: count, kind and where its first occurrences are."""
    return [f"{indent}{k['count']} x {k['kind']}: {', '.join(k['first'])}"
            + (", ..." if k["count"] > len(k["first"]) else "") for k in kinds]  # fmt: skip


def stop_at_first_problem(problems: list[dict]) -> None:
    """``--strict``: the first listed problem (notes aside) stops the run as one line naming its file and line.

    A transcript the reader skipped raises the reader's own error (why it could not be read).
    """
    for problem in problems:
        if problem.get("note"):
            continue
        if problem["problem"].startswith(TRANSCRIPT_SKIPS):
            read_transcript(problem["file"])  # raises, naming the file (unless it was mended since)
        raise InputError(f"{problem['problem']} (--strict stops at the first problem)", problem["file"],
                         problem.get("line"))  # fmt: skip


def _bio_summary(coverage: pd.DataFrame) -> dict:
    problems = coverage.attrs["problems"]
    summary = {}
    for column in coverage.columns:
        if not column.endswith("_file"):
            continue
        prefix = column.removesuffix("_file")
        signal = prefix.upper()
        has_file = coverage[column].ne("")
        summary[signal] = {
            "segments": len(coverage),
            "covered": int((coverage[f"{prefix}_samples"].gt(0) & coverage[f"{prefix}_signal"]).sum()),
            "with_samples": int(coverage[f"{prefix}_samples"].gt(0).sum()),
            "file_missing": int((~has_file).sum()),
            "files": int(coverage.loc[has_file, column].nunique()),
            "files_without_signal": int(coverage.loc[has_file & ~coverage[f"{prefix}_signal"], column].nunique()),
            "malformed_lines": sum(p["signal"] == signal for p in problems),
        }
    notes = Counter(coverage.attrs["notes"])
    return {"signals": summary, "notes": [f"{note} ({n} files)" for note, n in sorted(notes.items())]}


def summarise(table: pd.DataFrame, coverage: pd.DataFrame | None = None) -> dict:
    """Counts for the speaker view (each segment once) unless a key says otherwise; ``coverage`` is
    `bio_coverage(table)` when the caller already has it."""
    speaker = table[table["view"].eq("speaker")]
    single = speaker[speaker["n_labels"].eq(1)]
    problems = table.attrs.get("problems", [])
    coverage = bio_coverage(table) if coverage is None else coverage
    return {
        "corpus": table.attrs.get("corpus", ""),
        "root": table.attrs.get("root", ""),
        "tie_policy": table.attrs.get("tie_policy", ""),
        "sessions": int(table["session"].nunique()),
        "people": int(speaker["person"].nunique()),
        "dialogues": int(table["dialogue"].nunique()),
        "segments": {view: int(table["view"].eq(view).sum()) for view in ("speaker", "listener")},
        "emotions": {e: int(single["emotion"].eq(e).sum()) for e in EMOTIONS},
        "ties": int(speaker["n_labels"].gt(1).sum()),
        "labelled": int(speaker["emotion"].ne("").sum()),
        "missing": {
            "wav": int(speaker["wav_path"].eq("").sum()),
            "text": int(speaker["txt_path"].eq("").sum()),
            "empty_text": int((speaker["txt_path"].ne("") & speaker["text_raw"].eq("")).sum()),
        },
        "bio": _bio_summary(coverage),
        "problems": {"count": len(problems), "first": problems[:N_PROBLEMS_SHOWN],
                     "kinds": problem_kinds(problems + coverage.attrs["problems"])},  # fmt: skip
    }


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def _balance_lines(summary: dict) -> list[str]:
    counts = summary["emotions"]
    total = sum(counts.values())
    lines = [f"class balance (speaker view, single-label segments, n={total}):"]
    for emotion, n in sorted(counts.items(), key=lambda item: -item[1]):
        lines.append(f"  {emotion:<9} {n:>7}  {_percent(n, total)}")
    return lines


def _bio_lines(summary: dict) -> list[str]:
    lines = ["bio coverage (speaker view: samples carrying the segment id in the speaker's own file):"]
    for signal, s in summary["bio"]["signals"].items():
        line = (
            f"  {signal:<5} {s['covered']:>6}/{s['segments']} segments ({_percent(s['covered'], s['segments'])}),"
            f" files: {s['files']}, segments without a file: {s['file_missing']},"
            f" malformed lines: {s['malformed_lines']}"
        )
        if s["files_without_signal"]:
            line += f", files with no signal column (time only, not used): {s['files_without_signal']}"
        lines.append(line)
    lines.extend(f"  note: {note}" for note in summary["bio"]["notes"])
    return lines


def _problem_lines(summary: dict) -> list[str]:
    problems = summary["problems"]
    kinds = problems.get("kinds", [])
    if not problems["count"] and not kinds:
        return ["problems: none"]
    lines = [f"problems by kind (annotation, media and bio files; {sum(k['count'] for k in kinds)} in all):",
             *problem_kind_lines(kinds)]  # fmt: skip
    if problems["count"]:
        lines.append(f"corpus problems: {problems['count']} skipped or unused items, first {len(problems['first'])}:")
        lines.extend(f"  {problem_place(p)}: {p['problem']}" for p in problems["first"])
    return lines


def format_summary(summary: dict) -> str:
    """The summary as readable text for the terminal."""
    segments, missing = summary["segments"], summary["missing"]
    lines = [
        f"{summary['corpus']} at {summary['root']}",
        f"sessions: {summary['sessions']}, people: {summary['people']}, dialogues: {summary['dialogues']}",
        f"segments: {segments['speaker']} speaker view, {segments['listener']} listener view",
        *_balance_lines(summary),
        f"ties: {summary['ties']} speaker-view segments carry more than one label"
        f" (tie policy {summary['tie_policy']!r}: {summary['labelled']} segments labelled)",
        f"missing (speaker view): {missing['wav']} wav, {missing['text']} transcripts,"
        f" {missing['empty_text']} empty transcripts",
        *_bio_lines(summary),
        *_problem_lines(summary),
    ]
    return "\n".join(lines)
