"""Everything about a corpus that is decided before a byte is written.

The order is the causal one: structure, latent emotions of both views, the words, how each turn is
spoken (which fixes its duration), the timing of turns in the session, the raters' votes and the
body signals. Each step draws from its own random stream (see ``randomness``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from emotion_classifier.datasets.synthetic.body import BodyTrack, person_body, record_body
from emotion_classifier.datasets.synthetic.emotions import (
    PRIORS,
    draw_affect,
    draw_ties,
    listener_view,
    rate,
    speaker_emotions,
)
from emotion_classifier.datasets.synthetic.plan import CorpusShape, dialogues, people, schedule, turns
from emotion_classifier.datasets.synthetic.randomness import at_least_one, rng_for
from emotion_classifier.datasets.synthetic.transcripts import clean_sentence, decorate
from emotion_classifier.datasets.synthetic.voice import person_voice, segment_prosody, speech_seconds

SEGMENT_SECONDS = (1.0, 4.5)
"""Segments are kept short so that the demo corpus synthesises in seconds."""
MARGIN_SECONDS = (0.25, 0.6)
"""Silence around the words inside a segment's wav."""
SESSION_TAIL_S = 30.0
"""The body recording runs on after the last dialogue."""
VIEWS = ("speaker", "listener")
REAL_MEDIAN_S, REAL_MEAN_S, REAL_LONGEST_S, REAL_SHORTEST_S = 4.2, 5.75, 78.0, 0.6
"""The real KEMDy19 segment durations (median, mean, longest); the shortest is this generator's floor."""
DELIVERY_SIGMA = 0.1
"""How much a segment's duration strays from its line's nominal length (log scale): the same script
line lasts a little longer or shorter in each session."""
LENGTH_SIGMA = float(np.sqrt(2 * np.log(REAL_MEAN_S / REAL_MEDIAN_S) - DELIVERY_SIGMA**2))
"""Log-normal spread of the nominal length, so that length x delivery has the real median and mean."""
CHARS_PER_SECOND = 4.55
"""Transcript characters (tags stripped) per second of segment under the ``real`` profile, set so the
mean transcript is about 31.8 characters, as in KEMDy19 (measured by ``tests`` on a generated corpus)."""


@dataclass(frozen=True)
class Design:
    """The plan of a corpus: ``segments`` holds one row per segment (speaker turn) with its latent
    state for both views, words, prosody and timing; ``ratings[view]`` is aligned with it."""

    shape: CorpusShape
    people: pd.DataFrame
    segments: pd.DataFrame
    ratings: dict[str, pd.DataFrame]
    tracks: dict[str, BodyTrack]


def design_corpus(shape: CorpusShape, seed: int) -> Design:
    """Decide every latent quantity of the corpus for ``seed``."""
    people_table = people(shape, seed)
    segments = turns(shape, dialogues(shape), people_table, seed)
    segments = _with_latent_states(segments, shape.corpus, seed)
    nominal = _nominal_seconds(segments, seed) if shape.durations == "real" else None
    segments["text_clean"] = _sentences(segments, seed, nominal)
    segments["text_raw"] = [
        decorate(row.text_clean, rng_for(seed, "notation", row.segment_id)) for row in segments.itertuples()
    ]
    voices = {
        p.person: person_voice(p.gender, rng_for(seed, "voice", p.person)) for p in people_table.itertuples()
    }
    segments["prosody"] = [
        segment_prosody(
            voices[s.speaker], s.emotion, s.valence, s.arousal, rng_for(seed, "prosody", s.segment_id)
        )
        for s in segments.itertuples()
    ]
    durations = _durations_ms(segments, seed) if nominal is None else _real_durations_ms(segments, nominal, seed)
    segments = schedule(segments, durations, seed)
    ratings = {view: _ratings(segments, view, shape.corpus, seed) for view in VIEWS}
    return Design(shape, people_table, segments, ratings, _tracks(segments, people_table, seed))


def _with_latent_states(segments: pd.DataFrame, corpus: str, seed: int) -> pd.DataFrame:
    """Speaker emotions, then valence/arousal and the listener's state, one stream per session."""
    segments = pd.concat([segments, speaker_emotions(segments, corpus, seed)], axis=1)
    parts = []
    for session, seg in segments.groupby("session", sort=True):
        rng = rng_for(seed, "affect", session)
        emotion = seg["emotion"].to_numpy()
        valence, arousal = draw_affect(emotion, rng)
        l_emotion, l_valence, l_arousal = listener_view(emotion, valence, arousal, PRIORS[corpus], rng)
        parts.append(
            seg.assign(
                valence=valence, arousal=arousal, listener_emotion=l_emotion, listener_valence=l_valence,
                listener_arousal=l_arousal,
            )
        )
    return pd.concat(parts).loc[segments.index]


def _line_key(row) -> tuple:
    """A script's line is the same in every session that speaks it; every other turn is new."""
    return ("script-line", row.number, row.turn) if row.script_line else ("line", row.segment_id)


def _sentences(segments: pd.DataFrame, seed: int, nominal: np.ndarray | None = None) -> list[str]:
    """One clean sentence per turn, or (``nominal`` seconds given) as many as fill the turn's length."""
    lines = []
    for i, row in enumerate(segments.itertuples(index=False)):
        rng = rng_for(seed, *_line_key(row))
        line = clean_sentence(row.cue_emotion, rng)
        if nominal is not None:
            target = nominal[i] * CHARS_PER_SECOND
            while len(line) < target:
                line += " " + clean_sentence(row.cue_emotion, rng)
        lines.append(line)
    return lines


def _nominal_seconds(segments: pd.DataFrame, seed: int) -> np.ndarray:
    """Each line's nominal length (log-normal with the real median): shared by a script line's sessions."""
    return np.array([
        REAL_MEDIAN_S * np.exp(LENGTH_SIGMA * rng_for(seed, "length", *_line_key(row)).standard_normal())
        for row in segments.itertuples(index=False)
    ])  # fmt: skip


def _real_durations_ms(segments: pd.DataFrame, nominal: np.ndarray, seed: int) -> np.ndarray:
    """The ``real`` profile: the nominal length as delivered this time, clipped to the real range."""
    delivery = np.array([rng_for(seed, "margin", sid).normal(0.0, DELIVERY_SIGMA) for sid in segments["segment_id"]])
    seconds = np.clip(nominal * np.exp(delivery), REAL_SHORTEST_S, REAL_LONGEST_S)
    return np.rint(seconds * 1000).astype(np.int64)


def _durations_ms(segments: pd.DataFrame, seed: int) -> np.ndarray:
    """A segment lasts as long as its words at its speaking rate, plus a little silence."""
    seconds = [
        speech_seconds(row.text_clean, row.prosody.rate_sps)
        + rng_for(seed, "margin", row.segment_id).uniform(*MARGIN_SECONDS)
        for row in segments.itertuples()
    ]
    return np.rint(np.clip(seconds, *SEGMENT_SECONDS) * 1000).astype(np.int64)


def _ratings(segments: pd.DataFrame, view: str, corpus: str, seed: int) -> pd.DataFrame:
    """The raters' votes on one view of every segment; at least one tie in the corpus."""
    prefix = "" if view == "speaker" else "listener_"
    latent = segments[[f"{prefix}emotion", f"{prefix}valence", f"{prefix}arousal"]]
    latent.columns = ["latent_emotion", "latent_valence", "latent_arousal"]
    sessions = segments["session"].to_numpy()
    tie = np.zeros(len(segments), dtype=bool)
    for session in np.unique(sessions):
        mine = sessions == session
        tie[mine] = draw_ties(int(mine.sum()), corpus, rng_for(seed, "ties", view, session))
    tie = at_least_one(tie, rng_for(seed, "ties", view))
    parts = []
    for session in np.unique(sessions):
        mine = sessions == session
        state = latent[mine]
        votes = rate(
            state["latent_emotion"].to_numpy(),
            state["latent_valence"].to_numpy(float),
            state["latent_arousal"].to_numpy(float),
            tie[mine],
            corpus,
            rng_for(seed, "rating", view, session),
        )
        parts.append(votes.set_axis(state.index).join(state))
    return pd.concat(parts).loc[segments.index]


def _tracks(segments: pd.DataFrame, people_table: pd.DataFrame, seed: int) -> dict[str, BodyTrack]:
    """Each person's body through the session: driven by their own view of every turn."""
    tracks = {}
    for person, session in people_table[["person", "session"]].itertuples(index=False):
        seg = segments[segments["session"] == session]
        speaking = (seg["speaker"] == person).to_numpy()
        arousal = np.where(speaking, seg["arousal"], seg["listener_arousal"]).astype(float)
        valence = np.where(speaking, seg["valence"], seg["listener_valence"]).astype(float)
        duration = seg["dialogue_end_ms"].max() / 1000 + SESSION_TAIL_S
        body = person_body(rng_for(seed, "body", person))
        tracks[person] = record_body(
            body, duration, seg["t_start"].to_numpy(), seg["t_end"].to_numpy(), arousal, valence,
            rng_for(seed, "body-signal", person),
        )
    return tracks
