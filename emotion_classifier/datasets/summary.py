"""What ``emotion inspect`` reports: a corpus's size, labels, gaps and bio coverage.

``summarise`` returns plain JSON types so ``--json`` output can be compared and stored;
``format_summary`` turns the same dict into text, so the two outputs never disagree.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from emotion_classifier.datasets.coverage import bio_coverage
from emotion_classifier.labels import EMOTIONS

N_PROBLEMS_SHOWN = 10


def _bio_summary(table: pd.DataFrame) -> dict:
    coverage = bio_coverage(table)
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


def summarise(table: pd.DataFrame) -> dict:
    """Counts for the speaker view (each segment once) unless a key says otherwise."""
    speaker = table[table["view"].eq("speaker")]
    single = speaker[speaker["n_labels"].eq(1)]
    problems = table.attrs.get("problems", [])
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
        "bio": _bio_summary(table),
        "problems": {"count": len(problems), "first": problems[:N_PROBLEMS_SHOWN]},
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
    if not problems["count"]:
        return ["problems: none"]
    lines = [f"problems: {problems['count']} skipped or unused items, first {len(problems['first'])}:"]
    for p in problems["first"]:
        where = p["file"] if p.get("line") is None else f"{p['file']}:{p['line']}"
        lines.append(f"  {where}: {p['problem']}")
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
