"""Transcript decoding and cleaning.

KEMDy19 transcripts are UTF-8 while KEMDy20 v1.1 ships cp949 (later releases may switch), so the
encoding is tried rather than configured. Cleaning turns ETRI transcription notation into the words a
listener hears from the speaker, so that text models see language, not annotation marks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from emotion_classifier.errors import TranscriptError

ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp949", "euc-kr")
"""Tried in order; ``utf-8-sig`` is UTF-8 that also drops a byte-order mark."""

# (spelling)/(pronunciation): keep the spelling, which is what a tokeniser's dictionary knows.
_DUAL_SPELLING = re.compile(r"\(([^()]*)\)/\(([^()]*)\)")
# (their+mine) at the start of a turn: the part after '+' is this speaker's own words.
_OVERLAP_START = re.compile(r"\(([^()+]*)\+([^()]*)\)")
# (words) at the end of a turn: the speaker's words, overlapped by the partner.
_OVERLAP_END = re.compile(r"\(([^()]*)\)")
# b/ l/ o/ O/ n/ N/ u/ c/ s/ ; a Latin letter or digit before it means ordinary text such as "TV/s/".
_ETRI_TAG = re.compile(r"(?<![A-Za-z0-9])[bloOnNucs]/")
_MARKS = re.compile(r"[*+]")
_NOT_KEPT = re.compile(r"[^가-힣ㄱ-ㅎㅏ-ㅣ0-9A-Za-z ]")
_SPACES = re.compile(r"\s+")


def clean_transcript(text: str) -> str:
    """Reduce an ETRI transcript to the speaker's words.

    The order matters: the dual-spelling and overlap brackets must be resolved before single
    brackets, and tags before punctuation is blanked (a blanked '/' would no longer mark a tag).
    Digits are kept because numbers such as "112" (the emergency line) carry meaning.
    """
    text = _DUAL_SPELLING.sub(r"\1", text)
    text = _OVERLAP_START.sub(r"\2", text)
    text = _OVERLAP_END.sub(r"\1", text)
    text = _ETRI_TAG.sub("", text)
    text = _MARKS.sub("", text)
    text = _NOT_KEPT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


MAX_TRANSCRIPT_BYTES = 64 * 1024
"""A segment's transcript is one utterance (the corpora's longest are a few hundred bytes); a larger
file is not a transcript (a misplaced document or dump) and would stall the tokeniser for minutes."""


def decode_transcript(data: bytes, path: str | Path) -> str:
    """Decode transcript bytes with the first encoding that works, naming the file when none does.

    NUL bytes mean binary data (they decode as UTF-8 but are never text), so they are refused too.
    """
    if b"\0" in data:
        raise TranscriptError(f"binary data (NUL bytes), not a transcript ({len(data)} bytes)", path)
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TranscriptError(f"transcript is neither UTF-8, cp949 nor EUC-KR ({len(data)} bytes)", path)


def read_transcript(path: str | Path) -> str:
    """The transcript as written (one line; surrounding whitespace and newlines removed).

    A file over `MAX_TRANSCRIPT_BYTES` is refused before it is read (`TranscriptError`, `TOO_LARGE`).
    """
    size = Path(path).stat().st_size
    if size > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(f"{TOO_LARGE}: {size} bytes, a transcript has at most {MAX_TRANSCRIPT_BYTES}", path)
    return decode_transcript(Path(path).read_bytes(), path).strip()


UNDECODABLE = "undecodable transcript, read as empty"
"""The problem text of a transcript skipped by `read_transcripts` (what ``--strict`` looks for)."""
TOO_LARGE = "transcript file too large"
OVERSIZED = "oversized transcript, read as empty"
TRANSCRIPT_SKIPS: tuple[str, ...] = (UNDECODABLE, OVERSIZED)
"""Prefixes of the problems `read_transcripts` lists for a transcript it read as empty."""


def read_transcripts(paths: Iterable[str], problems: list[dict] | None = None) -> list[str]:
    """Read many transcripts, '' where the path is '' (a missing file is not an error here).

    With ``problems`` an undecodable file reads as '' and is listed there (``file``, ``line`` None,
    ``problem`` starting with `UNDECODABLE`), so one bad file does not stop a whole corpus; without
    it the `TranscriptError` is raised.
    """
    texts = []
    for p in paths:
        try:
            texts.append(read_transcript(p) if p else "")
        except TranscriptError as exc:
            if problems is None:
                raise
            kind = OVERSIZED if exc.message.startswith(TOO_LARGE) else UNDECODABLE
            problems.append({"file": str(p), "line": None, "problem": f"{kind} ({exc.message})"})
            texts.append("")
    return texts
