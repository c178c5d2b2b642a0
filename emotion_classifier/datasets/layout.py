"""Which corpus a folder holds, told from its annotation file names.

Both corpora share the folder names (annotation/, wav/, EDA/, TEMP/) but not the annotation file
names, so the names are the one reliable signal; a folder with neither gets a message saying what
was looked for, because the usual mistake is pointing at a parent or a sub-folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from emotion_classifier.errors import CorpusLayoutError

KEMDY19 = "KEMDy19"
KEMDY20 = "KEMDy20"

ANNOTATION_NAME: dict[str, re.Pattern[str]] = {
    KEMDY19: re.compile(r"Session(\d+)_([FM])_res\.csv"),
    KEMDY20: re.compile(r"Sess(\d+)_eval\.csv"),
}
"""Full-match patterns of each corpus's annotation file names."""


def _annotation_dir(root: Path) -> Path:
    if root.is_file():
        raise CorpusLayoutError("is a file, expected the corpus folder (a KEMDy19 or KEMDy20 copy)", root)
    if not root.is_dir():
        raise CorpusLayoutError("no such folder (expected a KEMDy19 or KEMDy20 copy)", root)
    folder = root / "annotation"
    if not folder.is_dir():
        raise CorpusLayoutError(
            "no annotation/ folder: not a KEMDy19/KEMDy20 copy (point --data at the folder that "
            "holds annotation/, wav/, EDA/)",
            root,
        )
    return folder


def annotation_files(root: str | Path) -> dict[str, list[Path]]:
    """The annotation files of each corpus found under ``root/annotation`` (sorted by name)."""
    folder = _annotation_dir(Path(root))
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    return {
        corpus: [folder / n for n in names if pattern.fullmatch(n)] for corpus, pattern in ANNOTATION_NAME.items()
    }


def detect_corpus(root: str | Path) -> str:
    """``"KEMDy19"`` or ``"KEMDy20"``; raises `CorpusLayoutError` saying why the folder is neither."""
    found = {corpus: files for corpus, files in annotation_files(root).items() if files}
    folder = Path(root) / "annotation"
    if not found:
        raise CorpusLayoutError("annotation/ holds neither Session*_res.csv nor Sess*_eval.csv", folder)
    if len(found) > 1:
        raise CorpusLayoutError(
            "annotation/ holds both KEMDy19 (Session*_res.csv) and KEMDy20 (Sess*_eval.csv) files", folder
        )
    return next(iter(found))
