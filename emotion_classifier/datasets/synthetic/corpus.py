"""``generate_corpus``: write a synthetic KEMDy19/KEMDy20 copy and return what it holds.

The output folder is the user's: a non-empty folder is only replaced when it is a previous synthetic
corpus (it holds ``synthetic_corpus.json`` and nothing a generator would not write), so a mistyped
``--out`` never deletes real data.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from emotion_classifier.datasets.synthetic import kemdy19, kemdy20
from emotion_classifier.datasets.synthetic.biofiles import BIO_TRUTH_COLUMNS
from emotion_classifier.datasets.synthetic.design import design_corpus
from emotion_classifier.datasets.synthetic.media import write_media
from emotion_classifier.datasets.synthetic.plan import KEMDY19, SettingError, corpus_shape
from emotion_classifier.datasets.synthetic.quirks import plan_quirks
from emotion_classifier.datasets.synthetic.truth import truth_table
from emotion_classifier.errors import InputError
from emotion_classifier.labels import EMOTIONS

MARKER = "synthetic_corpus.json"
WRITTEN_PARTS = frozenset({"annotation", "wav", "EDA", "TEMP", "ECG", "IBI", MARKER})
"""Top-level names a generator writes; anything else in the folder belongs to someone."""


@dataclass
class SyntheticCorpus:
    """A generated corpus: where it is and the ground truth of what was written.

    ``truth``: one row per (segment, view) in the segment-table vocabulary (see ``truth.TRUTH_COLUMNS``);
    ``bio_truth``: one row per (bio file, segment id found in it); ``quirks``: where each planted
    defect is (dialogue and segment ids).
    """

    root: Path
    corpus: str
    truth: pd.DataFrame
    bio_truth: pd.DataFrame
    quirks: dict = field(default_factory=dict)
    seed: int = 0

    def summary(self) -> str:
        """A few lines for the terminal: size, class balance, and the gaps a reader will meet."""
        truth = self.truth
        segments = truth.drop_duplicates("segment_id")
        speaker = truth[truth["view"] == "speaker"]
        single = speaker[speaker["n_labels"] == 1]["emotions"].value_counts(normalize=True)
        ranked = sorted(EMOTIONS, key=lambda e: -single.get(e, 0.0))
        balance = ", ".join(f"{e} {single.get(e, 0.0):.0%}" for e in ranked)
        views = "speaker and listener views" if truth["view"].nunique() > 1 else "speaker view"
        signals = ", ".join(sorted(self.bio_truth["signal"].unique())) if len(self.bio_truth) else "none"
        lines = [
            f"{self.corpus} synthetic corpus (seed {self.seed}) written to {self.root}",
            f"  sessions: {truth['session'].nunique()}, dialogues: {segments['dialogue'].nunique()}, "
            f"segments: {len(segments)}, annotation rows: {len(truth)} ({views})",
            f"  speaker-view emotions (single-label rows): {balance}",
            f"  ties: {int((truth['n_labels'] > 1).sum())} rows; "
            f"missing wav: {int((~segments['has_wav']).sum())}, "
            f"missing txt: {int((~segments['has_txt']).sum())}, "
            f"empty transcripts: {int((segments['has_txt'] & segments['text_raw'].eq('')).sum())}",
            f"  bio files: {self.bio_truth['file'].nunique() if len(self.bio_truth) else 0} ({signals})",
        ]
        planted = {k: v for k, v in self.quirks.items() if v}
        if planted:
            lines.append("  planted quirks: " + "; ".join(f"{k}={_short(v)}" for k, v in planted.items()))
        lines.append("  voices, sentences and body signals are synthetic: scores on them say nothing real")
        return "\n".join(lines)


def _short(value) -> str:
    if isinstance(value, list):
        return ",".join(value[:3]) + (f",... ({len(value)})" if len(value) > 3 else "")
    return str(value)


def generate_corpus(
    out: str | Path,
    corpus: str = "kemdy19",
    sessions: int | None = None,
    seed: int = 0,
    dialogues_per_session: int | None = None,
    segments_per_dialogue: tuple[int, int] | None = None,
    size: str = "demo",
    jobs: int | None = None,
) -> SyntheticCorpus:
    """Write a synthetic corpus in the exact raw layout of KEMDy19 or KEMDy20 to ``out``.

    ``sessions=None`` gives the demo size (10 sessions of 4 dialogues of 12-20 segments);
    ``segments_per_dialogue`` counts both speakers' turns. ``size="full"`` gives the real corpus's size
    (KEMDy19: 20 sessions of 10 dialogues, about 10,200 segments; KEMDy20: 40 sessions of 6, about
    13,500) and its duration profile (median 4.2 s, mean 5.75 s, longest 78 s; transcripts of about
    31.8 characters); explicit sizes override it. ``jobs`` synthesises the wavs in that many processes
    (None: one per core when there are more than ten minutes of audio). The same arguments always write
    the same bytes, whatever ``jobs``. Raises `InputError` when ``out`` is not empty and not a previous
    synthetic corpus, and `SettingError` (a ``ValueError`` and an `InputError`) for sizes the real
    layout cannot express.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SettingError(f"seed must be a non-negative integer, got {seed!r}")
    shape = corpus_shape(corpus, sessions, dialogues_per_session, segments_per_dialogue, size)
    root = _prepare_folder(Path(out))
    settings = {
        "generator": "emotion_classifier.datasets.synthetic",
        "corpus": shape.corpus,
        "seed": seed,
        "sessions": shape.sessions,
        "dialogues_per_session": shape.dialogues_per_session,
        "segments_per_dialogue": list(shape.segments_per_dialogue),
        "durations": shape.durations,
    }
    _write_marker(root, {**settings, "complete": False})
    design = design_corpus(shape, seed)
    segments = design.segments
    quirks = plan_quirks(segments, shape.corpus, seed)
    media = write_media(root, segments, shape.corpus, quirks, seed, jobs)
    if shape.corpus == KEMDY19:
        table = kemdy19.write_annotation(root, segments, design.ratings, design.tracks, quirks, seed)
        bio = kemdy19.write_bio(root, segments, design.tracks, quirks, seed)
    else:
        table = kemdy20.write_annotation(root, segments, design.ratings, seed)
        bio = kemdy20.write_bio(root, segments, design.tracks, seed)
    _write_marker(root, {**settings, "complete": True, "quirks": quirks.as_dict()})
    return SyntheticCorpus(
        root=root,
        corpus=shape.corpus,
        truth=truth_table(table, segments, media, shape.corpus),
        bio_truth=bio.reindex(columns=list(BIO_TRUTH_COLUMNS)),
        quirks=quirks.as_dict(),
        seed=seed,
    )


def _prepare_folder(root: Path) -> Path:
    """An empty folder to write into; a previous synthetic corpus there is removed first."""
    if root.exists() and not root.is_dir():
        raise InputError("exists and is not a folder", root)
    if root.is_dir() and any(root.iterdir()):
        names = sorted(p.name for p in root.iterdir())
        if MARKER not in names:
            raise InputError(f"not empty and holds no {MARKER}: refusing to write a corpus into it", root)
        foreign = [n for n in names if n not in WRITTEN_PARTS]
        if foreign:
            raise InputError(
                f"holds files a synthetic corpus never writes ({', '.join(foreign[:5])}): not replacing it",
                root,
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _write_marker(root: Path, content: dict) -> None:
    (root / MARKER).write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
