"""The emotion vocabulary shared by every stage.

One fixed label order means probability columns, confusion matrices and saved models agree
across runs and machines without storing a fitted label encoder.
"""

from __future__ import annotations

from collections.abc import Iterable

from emotion_classifier.errors import UnknownLabelError

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
"""Label order of every probability vector the package produces (alphabetical)."""

_SPELLINGS: dict[str, str] = {e: e for e in EMOTIONS}
_SPELLINGS["disqust"] = "disgust"  # ETRI typo, present in KEMDy19 rater cells and KEMDy20 totals

TIE_POLICIES: tuple[str, ...] = ("drop", "first", "vote")


EMOTION_OUTPUT = "emotion"
"""The name of every network's 7-way softmax output (EMOTIONS order), in Keras and in every export."""
REGRESSION_OUTPUTS: tuple[str, ...] = ("valence", "arousal")
"""The names of the optional valence/arousal outputs (ratings scaled to about [-1, 1])."""

def normalise_emotion(raw: str, where: str = "") -> str:
    """Map one label as written (any case, the `disqust` typo) to its canonical name.

    `where` (``file:line``) is put in the error so a user can open the offending cell.
    """
    key = str(raw).strip().lower()
    try:
        return _SPELLINGS[key]
    except KeyError:
        prefix = f"{where}: " if where else ""
        raise UnknownLabelError(
            f"{prefix}unknown emotion label {raw!r} (expected one of {', '.join(EMOTIONS)})"
        ) from None


def split_labels(raw: str, where: str = "") -> list[str]:
    """Split a tie cell such as ``'angry;sad'`` into normalised labels, keeping the written order."""
    parts = [p for p in str(raw).split(";") if p.strip()]
    if not parts:
        prefix = f"{where}: " if where else ""
        raise UnknownLabelError(f"{prefix}empty emotion label")
    return [normalise_emotion(p, where) for p in parts]


def resolve_tie(labels: list[str], rater_labels: Iterable[str], policy: str) -> str:
    """Pick the single training label for a (possibly tied) total evaluation.

    ``drop`` returns '' for ties, ``first`` the first label as written (what the per-modality
    project did), ``vote`` the tied label most frequent among the raters, else the first.
    """
    if policy not in TIE_POLICIES:
        raise ValueError(f"tie policy must be one of {TIE_POLICIES}, got {policy!r}")
    if len(labels) == 1:
        return labels[0]
    if policy == "drop":
        return ""
    if policy == "first":
        return labels[0]
    raters = list(rater_labels)
    counts = {label: raters.count(label) for label in labels}
    best = max(counts.values())
    winners = [label for label in labels if counts[label] == best]
    return winners[0] if len(winners) == 1 else labels[0]
