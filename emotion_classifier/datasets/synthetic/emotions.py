"""Latent emotions of each view and the ten raters' votes on them.

A segment has one latent state per view (the speaker's own, and the listener's while hearing it). The
latent state drives the words, the voice and the body; the annotation shows what ten raters made of
it: a majority label (sometimes a tie), and mean valence and arousal of their integer scores. Building
the votes first and deriving the totals from them keeps every written row internally consistent.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from emotion_classifier.datasets.synthetic.plan import KEMDY19, KEMDY20
from emotion_classifier.datasets.synthetic.randomness import rng_for
from emotion_classifier.labels import EMOTIONS

PRIORS: dict[str, dict[str, float]] = {
    # KEMDy19 speaker view, single-label rows (KEMDY_FORMAT.md)
    KEMDY19: {
        "neutral": 0.40, "angry": 0.19, "happy": 0.15, "surprise": 0.10,
        "sad": 0.08, "disgust": 0.04, "fear": 0.04,
    },
    # KEMDy20: neutral dominates (about 86% in the real corpus)
    KEMDY20: {
        "neutral": 0.80, "happy": 0.07, "surprise": 0.04, "angry": 0.03,
        "sad": 0.03, "disgust": 0.015, "fear": 0.015,
    },
}
AFFECT_MEANS: dict[str, tuple[float, float]] = {
    # (valence, arousal) on the 1-5 scales; angry and happy are the corpus's own averages
    "angry": (1.8, 3.8),
    "disgust": (1.9, 3.1),
    "fear": (1.8, 3.6),
    "happy": (4.3, 3.9),
    "neutral": (3.0, 2.5),
    "sad": (1.9, 1.9),
    "surprise": (2.9, 4.0),
}
AFFECT_SD = 0.45
THEME_SHARE = 0.3
"""Share of improvised turns that follow the dialogue's theme emotion (the rest follow the prior)."""
SCRIPT_KEEP = 0.8
"""Share of scripted turns acted with the emotion their line was written for."""
SCRIPT_LINE_SHARE = 0.6
"""Share of scripted turns that speak the script's line (the others ad-lib a new one)."""
LISTENER_AGREES = 0.7
"""The listener view repeats the speaker's emotion this often (the real views disagree often)."""
TIE_RATE: dict[str, float] = {KEMDY19: 0.06, KEMDY20: 0.03}
THREE_WAY_SHARE = 0.15
N_RATERS = 10
RATER_SCORE_SD = 0.7
MAJORITY_SIZES = (np.arange(4, 11), np.array([0.05, 0.10, 0.20, 0.25, 0.20, 0.12, 0.08]))
"""How many of the ten raters vote for a single winning label, and how often."""
TIE_SIZES = {2: (np.array([3, 4, 5]), np.array([0.4, 0.4, 0.2])), 3: (np.array([3]), np.array([1.0]))}


def draw_labels(
    prior: dict[str, float], rng: np.random.Generator, size: int, exclude=(), replace: bool = True
) -> np.ndarray:
    """Labels drawn from ``prior`` renormalised without ``exclude``."""
    labels = [e for e in prior if e not in exclude]
    p = np.array([prior[e] for e in labels])
    return rng.choice(np.array(labels, dtype=object), size=size, p=p / p.sum(), replace=replace)


def speaker_emotions(segments: pd.DataFrame, corpus: str, seed: int) -> pd.DataFrame:
    """The speaker's latent emotion per segment, and the words it is spoken with.

    Columns: ``emotion`` (acted), ``cue_emotion`` (what the words were written for) and ``script_line``
    (the turn speaks its script's line, shared by every session). Improvised dialogues (and KEMDy20
    conversations) have a theme emotion that some turns follow. Scripted KEMDy19 dialogues fix an
    emotion per line; most actors play it and most keep the line, so text partly repeats across
    sessions and partly contradicts the acted emotion.
    """
    prior = PRIORS[corpus]
    emotion = np.empty(len(segments), dtype=object)
    cue = np.empty(len(segments), dtype=object)
    script_line = np.zeros(len(segments), dtype=bool)
    for dialogue, rows in segments.groupby("dialogue", sort=False):
        idx = segments.index.get_indexer(rows.index)
        if corpus == KEMDY19 and rows["kind"].iloc[0] == "script":
            number = int(rows["number"].iloc[0])
            written = np.array([script_emotion(prior, seed, number, int(t)) for t in rows["turn"]])
            rng = rng_for(seed, "acting", dialogue)
            keep = rng.random(len(idx)) < SCRIPT_KEEP
            emotion[idx] = np.where(keep, written, draw_labels(prior, rng, len(idx)))
            script_line[idx] = rng.random(len(idx)) < SCRIPT_LINE_SHARE
            cue[idx] = written
        else:
            rng = rng_for(seed, "theme", dialogue)
            theme = draw_labels(prior, rng, 1)[0]
            follows = rng.random(len(idx)) < THEME_SHARE
            emotion[idx] = np.where(follows, theme, draw_labels(prior, rng, len(idx)))
    emotion = every_label_present(emotion, rng_for(seed, "every-label"))
    cue = np.where(script_line, cue, emotion)
    columns = {"emotion": emotion, "cue_emotion": cue, "script_line": script_line}
    return pd.DataFrame(columns, index=segments.index)


def script_emotion(prior: dict[str, float], seed: int, number: int, turn: int) -> str:
    """The emotion line ``turn`` of script ``number`` was written for (the same in every session)."""
    return str(draw_labels(prior, rng_for(seed, "script", number, turn), 1)[0])


def every_label_present(emotion: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Give each absent label to one segment of the most frequent label.

    Per-class metrics and stratified splits need every class; on the demo size no label is absent.
    """
    emotion = emotion.copy()
    if len(emotion) < len(EMOTIONS):
        return emotion
    for label in EMOTIONS:
        if (emotion == label).any():
            continue
        commonest = Counter(emotion.tolist()).most_common(1)[0][0]
        candidates = np.flatnonzero(emotion == commonest)
        emotion[candidates[int(rng.integers(len(candidates)))]] = label
    return emotion


def draw_affect(emotion: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Latent valence and arousal around each emotion's means, on the 1-5 scale."""
    means = np.array([AFFECT_MEANS[e] for e in emotion]).reshape(-1, 2)
    values = np.clip(means + rng.normal(0.0, AFFECT_SD, size=means.shape), 1.0, 5.0)
    return values[:, 0], values[:, 1]


def listener_view(
    emotion: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    prior: dict[str, float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The listener's latent state while hearing each segment: often the speaker's, else another."""
    agrees = rng.random(len(emotion)) < LISTENER_AGREES
    other = np.array([draw_labels(prior, rng, 1, exclude=(e,))[0] for e in emotion], dtype=object)
    l_emotion = np.where(agrees, emotion, other)
    own_v, own_a = draw_affect(l_emotion, rng)
    l_valence = np.where(agrees, np.clip(valence + rng.normal(0, 0.3, len(emotion)), 1, 5), own_v)
    l_arousal = np.where(agrees, np.clip(arousal + rng.normal(0, 0.3, len(emotion)), 1, 5), own_a)
    return l_emotion, l_valence, l_arousal


def draw_ties(n: int, corpus: str, rng: np.random.Generator) -> np.ndarray:
    """Which of ``n`` rows end in a tie of the raters' vote."""
    return rng.random(n) < TIE_RATE[corpus]


def rate(
    latent: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    tie: np.ndarray,
    corpus: str,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Ten raters' votes per row and the totals derived from them; ``tie`` rows get 2-3 winners.

    Columns: ``emotions_as_written`` (the winners, ';'-joined, a tie in random order), ``rater_emotions``,
    ``rater_valence``, ``rater_arousal`` (';'-joined in rater order), ``valence``, ``arousal`` (the
    raters' means, exact to one decimal because there are ten raters).
    """
    prior = PRIORS[corpus]
    rows = []
    for i in range(len(latent)):
        winners = [str(latent[i])]
        if tie[i]:
            size = 3 if rng.random() < THREE_WAY_SHARE else 2
            winners += draw_labels(prior, rng, size - 1, exclude=winners, replace=False).tolist()
            winners = [str(w) for w in rng.permutation(np.array(winners, dtype=object))]
        votes = _votes(winners, prior, rng)
        scores_v = _scores(valence[i], rng)
        scores_a = _scores(arousal[i], rng)
        rows.append(
            {
                "emotions_as_written": ";".join(winners),
                "rater_emotions": ";".join(votes),
                "rater_valence": ";".join(map(str, scores_v)),
                "rater_arousal": ";".join(map(str, scores_a)),
                "valence": scores_v.sum() / N_RATERS,
                "arousal": scores_a.sum() / N_RATERS,
            }
        )
    return pd.DataFrame(rows, index=np.arange(len(latent)))


def _votes(winners: list[str], prior: dict[str, float], rng: np.random.Generator) -> list[str]:
    """Ten votes in which exactly ``winners`` share the highest count."""
    sizes, p = MAJORITY_SIZES if len(winners) == 1 else TIE_SIZES[len(winners)]
    top = int(rng.choice(sizes, p=p))
    counts = Counter(draw_labels(prior, rng, N_RATERS - top * len(winners), exclude=winners).tolist())
    losers = [e for e in EMOTIONS if e not in winners]
    while counts and max(counts.values()) >= top:  # move surplus votes to the least-voted losers
        crowded = max(counts, key=lambda e: counts[e])
        counts[crowded] -= 1
        counts[min(losers, key=lambda e: counts[e])] += 1
    votes = [w for w in winners for _ in range(top)] + [e for e in losers for _ in range(counts[e])]
    return [str(v) for v in rng.permutation(np.array(votes, dtype=object))]


def _scores(latent: float, rng: np.random.Generator) -> np.ndarray:
    """Ten integer 1-5 ratings scattered around a latent value."""
    return np.clip(np.rint(latent + rng.normal(0.0, RATER_SCORE_SD, N_RATERS)), 1, 5).astype(int)
