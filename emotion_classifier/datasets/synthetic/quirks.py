"""Where the known defects of the real corpora are planted, decided in one place.

The real KEMDy copies have gaps and oddities that readers must survive (KEMDY_FORMAT.md). They are
placed where the real ones are when that part exists (``Sess09_script06_F001``-like EDA gap in session
9, a whole scripted dialogue without media in session 3, an improvised dialogue of session 1 without
EDA/TEMP) and otherwise at the nearest equivalent, so that even a two-session test corpus shows them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from emotion_classifier.datasets.synthetic.plan import KEMDY19
from emotion_classifier.datasets.synthetic.randomness import at_least_one, rng_for

EDA_GAP_SESSION = 9
NO_MEDIA_SESSION = 3
DECOY_SHARE = 0.8
"""Share of KEMDy19 dialogue folders holding a ``converted/`` sub-folder."""
DISGUST_TYPO = "disqust"


@dataclass(frozen=True)
class QuirkPlan:
    """Ids of the dialogues and segments each planted defect applies to ('' or () when absent)."""

    no_eda_temp_dialogue: str = ""
    no_media_dialogue: str = ""
    no_media_segments: tuple[str, ...] = ()
    no_txt_segments: tuple[str, ...] = ()
    empty_txt_segments: tuple[str, ...] = ()
    eda_gap_segments: tuple[str, ...] = ()
    """Segments with no lines at all in the speaker's own EDA file."""
    duplicated_segments: tuple[str, ...] = ()
    """Segments whose lines are written twice in the speaker's own EDA and TEMP files."""
    decoys: tuple[str, ...] = ()
    """Segments with a decoy copy in ``converted/`` (a resampled wav and a cp949 txt, same stem)."""

    def as_dict(self) -> dict[str, list[str] | str]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def plan_quirks(segments: pd.DataFrame, corpus: str, seed: int) -> QuirkPlan:
    """Choose the dialogues and segments that carry each defect."""
    rng = rng_for(seed, "quirks")
    if corpus != KEMDY19:
        return QuirkPlan(empty_txt_segments=tuple(_pick(segments, 1, rng)))
    dialogues = segments.drop_duplicates("dialogue")
    session1 = dialogues[dialogues["session"] == 1]
    impro = session1[session1["kind"] == "impro"]
    no_eda = str((impro if len(impro) else session1)["dialogue"].iloc[-1])
    scripts = dialogues[(dialogues["kind"] == "script") & (dialogues["dialogue"] != no_eda)]
    no_media = ""
    if len(scripts):
        distance = (scripts["session"] - NO_MEDIA_SESSION).abs()
        no_media = str(scripts.loc[distance == distance.min(), "dialogue"].iloc[-1])
    gap = _eda_gap(segments, scripts)
    ordinary = segments[~segments["dialogue"].isin([no_eda, no_media]) & ~segments["segment_id"].isin(gap)]
    chosen = _pick(ordinary, 7, rng)
    no_media_segments, no_txt, empty_txt, duplicated = chosen[:1], chosen[1:2], chosen[2:4], chosen[4:6]
    missing = segments["dialogue"].eq(no_media) | segments["segment_id"].isin(no_media_segments)
    with_media = segments[~missing]
    return QuirkPlan(
        no_eda_temp_dialogue=no_eda,
        no_media_dialogue=no_media,
        no_media_segments=tuple(no_media_segments),
        no_txt_segments=tuple(no_txt),
        empty_txt_segments=tuple(empty_txt),
        eda_gap_segments=tuple(gap),
        duplicated_segments=tuple(duplicated),
        decoys=tuple(_decoys(with_media, rng)),
    )


def _pick(segments: pd.DataFrame, n: int, rng: np.random.Generator) -> list[str]:
    ids = segments["segment_id"].to_numpy()
    return [str(s) for s in ids[rng.permutation(len(ids))[:n]]]


def _eda_gap(segments: pd.DataFrame, scripts: pd.DataFrame) -> list[str]:
    """The first female turn of session 9's last scripted dialogue, like ``Sess09_script06_F001``."""
    candidates = scripts[scripts["session"] == EDA_GAP_SESSION]
    if not len(candidates):
        return []
    turns = segments[segments["dialogue"] == candidates["dialogue"].iloc[-1]]
    female = turns[turns["gender"] == "F"]
    return [str((female if len(female) else turns)["segment_id"].iloc[0])]


def _decoys(segments: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    """One or two segments in most dialogue folders."""
    names = segments["dialogue"].unique()
    folders = names[at_least_one(rng.random(len(names)) < DECOY_SHARE, rng)]
    chosen = []
    for name in folders:
        ids = segments.loc[segments["dialogue"] == name, "segment_id"].to_numpy()
        size = min(len(ids), int(rng.integers(1, 3)))
        chosen += [str(s) for s in rng.choice(ids, size=size, replace=False)]
    return chosen


def misspell_disgust(cells: list[str], rate: float, rng: np.random.Generator) -> list[str]:
    """Write ``disqust`` for a share of the ``disgust`` labels in ``cells`` (';'-joined labels).

    At least one is misspelled whenever any disgust label exists, so every corpus shows the typo.
    """
    hits = [i for i, cell in enumerate(cells) if "disgust" in cell.split(";")]
    if not hits:
        return list(cells)
    chosen = np.array(hits)[at_least_one(rng.random(len(hits)) < rate, rng)]
    out = list(cells)
    for i in chosen:
        out[i] = ";".join(DISGUST_TYPO if label == "disgust" else label for label in out[i].split(";"))
    return out
