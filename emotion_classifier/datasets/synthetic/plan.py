"""The skeleton of a synthetic corpus: sessions, people, dialogues, turns and their timing.

Names and numbering follow the real corpora (``/work/shared/KEMDY_FORMAT.md``) so that a reader written
against the synthetic corpus reads a real copy unchanged. Everything here is structure; emotions,
words, voices and body signals are added by the other modules of this package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from emotion_classifier.datasets.synthetic.randomness import rng_for
from emotion_classifier.errors import InputError

KEMDY19 = "KEMDy19"
KEMDY20 = "KEMDy20"
CORPUS_NAMES: dict[str, str] = {"kemdy19": KEMDY19, "kemdy20": KEMDY20}
MAX_SESSIONS: dict[str, int] = {KEMDY19: 20, KEMDY20: 40}
"""The real corpora's session counts: the fold scheme and the two-digit ids assume no more."""
DEFAULT_SESSIONS = 10
"""Enough for five session-wise folds of two sessions while keeping the demo fast."""
DEFAULT_DIALOGUES = 4
DEFAULT_TURNS = (11, 19)
"""Segments per dialogue (both speakers together): about 7-8 per speaker, 600 segments in the demo."""
IMPROVISED_SHARE = 0.4
"""KEMDy19 has 4 improvised and 6 scripted dialogues per session."""
RENUMBERED_SESSION = 17
RENUMBERED_AS = 42
"""KEMDy20 ``Sess17_eval.csv`` writes its ids as ``Sess42_...``; wav and bio files keep ``Sess17``."""
TURN_GAP_MS = (150, 1200)
FIRST_TURN_MS = (1000, 3000)
DIALOGUE_TAIL_MS = 2000
SESSION_LEAD_MS = (20_000, 40_000)
DIALOGUE_GAP_MS = (15_000, 45_000)
SIZES = ("demo", "full")
"""``demo`` (the default): small and fast; ``full``: the real corpus's size and duration profile."""
FULL_SHAPE: dict[str, tuple[int, int, tuple[int, int]]] = {
    KEMDY19: (20, 10, (40, 60)),
    KEMDY20: (40, 6, (46, 66)),
}
"""Sessions, dialogues per session and segments per dialogue of ``--size full``: KEMDy19 has 10
dialogues per session and about 10,200 speaker segments (20 x 10 x 51 on average); KEMDy20 has six
conversations per session and 13,462 segments (40 x 6 x 56)."""
DURATION_PROFILES = ("demo", "real")
"""``demo``: a segment lasts as long as its short sentence (1-4.5 s); ``real``: durations and transcript
lengths follow the real KEMDy19 profile (see ``design.REAL_DURATION``)."""


class SettingError(InputError, ValueError):
    """An impossible size or seed: a ``ValueError`` for the API, one printed line for the CLI."""


@dataclass(frozen=True)
class CorpusShape:
    """How big a synthetic corpus is; validated once so every later stage can trust it."""

    corpus: str
    sessions: int
    dialogues_per_session: int
    segments_per_dialogue: tuple[int, int]
    durations: str = "demo"

    @property
    def improvised_per_session(self) -> int:
        """KEMDy20 conversations are all named ``script``; KEMDy19 mixes both kinds."""
        if self.corpus == KEMDY20:
            return 0
        return int(round(IMPROVISED_SHARE * self.dialogues_per_session))


def corpus_shape(
    corpus: str,
    sessions: int | None = None,
    dialogues_per_session: int | None = None,
    segments_per_dialogue: tuple[int, int] | None = None,
    size: str = "demo",
) -> CorpusShape:
    """Fill in the defaults of ``size`` (`SIZES`) and reject sizes the real layout cannot express.

    Explicit arguments override the size's defaults (``size="full", sessions=2`` is two sessions of
    the real dialogue count and duration profile)."""
    name = CORPUS_NAMES.get(str(corpus).lower())
    if name is None:
        raise SettingError(f"corpus must be one of {sorted(CORPUS_NAMES)}, got {corpus!r}")
    if size not in SIZES:
        raise SettingError(f"size must be one of {list(SIZES)}, got {size!r}")
    if size == "full":
        full_sessions, full_dialogues, full_turns = FULL_SHAPE[name]
        sessions = full_sessions if sessions is None else sessions
        dialogues_per_session = full_dialogues if dialogues_per_session is None else dialogues_per_session
        segments_per_dialogue = full_turns if segments_per_dialogue is None else segments_per_dialogue
    sessions = DEFAULT_SESSIONS if sessions is None else int(sessions)
    if not 1 <= sessions <= MAX_SESSIONS[name]:
        raise SettingError(f"{name} has 1 to {MAX_SESSIONS[name]} sessions, got {sessions}")
    dialogues = DEFAULT_DIALOGUES if dialogues_per_session is None else int(dialogues_per_session)
    if not 1 <= dialogues <= 99:
        raise SettingError(f"dialogues_per_session must be 1 to 99, got {dialogues}")
    low, high = DEFAULT_TURNS if segments_per_dialogue is None else (int(v) for v in segments_per_dialogue)
    if not 1 <= low <= high <= 999:
        raise SettingError(f"segments_per_dialogue must be (low, high), 1 <= low <= high <= 999: {low, high}")
    durations = "real" if size == "full" else "demo"
    return CorpusShape(name, sessions, dialogues, (low, high), durations)


def session_tag(session: int) -> str:
    """``Sess01``: the prefix of dialogue names, segment ids and KEMDy19 bio files."""
    return f"Sess{session:02d}"


def people(shape: CorpusShape, seed: int) -> pd.DataFrame:
    """One row per person: ``session, slot, person, gender``.

    KEMDy19 pairs one actress and one actor per session (``Sess01F``, ``Sess01M``); KEMDy20 numbers its
    80 participants across sessions (``User001F``) and pairs need not be mixed.
    """
    rows = []
    for session in range(1, shape.sessions + 1):
        if shape.corpus == KEMDY19:
            pair = [(f"{session_tag(session)}{g}", g) for g in ("F", "M")]
        else:
            genders = rng_for(seed, "gender", session).choice(["F", "M"], size=2)
            pair = [(f"User{2 * session - 1 + slot:03d}{g}", str(g)) for slot, g in enumerate(genders)]
        rows += [
            {"session": session, "slot": slot, "person": person, "gender": gender}
            for slot, (person, gender) in enumerate(pair)
        ]
    return pd.DataFrame(rows)


def dialogues(shape: CorpusShape) -> pd.DataFrame:
    """One row per dialogue in recording order: ``session, dialogue, kind, number``."""
    n_impro = shape.improvised_per_session
    plan = [("impro", n) for n in range(1, n_impro + 1)]
    plan += [("script", n) for n in range(1, shape.dialogues_per_session - n_impro + 1)]
    rows = [
        {"session": s, "dialogue": f"{session_tag(s)}_{kind}{number:02d}", "kind": kind, "number": number}
        for s in range(1, shape.sessions + 1)
        for kind, number in plan
    ]
    return pd.DataFrame(rows)


def turns(
    shape: CorpusShape, dialogue_table: pd.DataFrame, people_table: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """One row per segment, speakers alternating, with the real id scheme.

    The counter in an id is per speaker within a dialogue (``F001, M001, F002``), as in the corpus.
    """
    pairs = {s: list(pair.sort_values("slot").itertuples()) for s, pair in people_table.groupby("session")}
    low, high = shape.segments_per_dialogue
    rows = []
    for d in dialogue_table.itertuples(index=False):
        rng = rng_for(seed, "turns", d.dialogue)
        n_turns = int(rng.integers(low, high + 1))
        first = int(rng.integers(2))
        counters = [0, 0]
        for turn in range(n_turns):
            slot = (first + turn) % 2
            counters[slot] += 1
            speaker, listener = pairs[d.session][slot], pairs[d.session][1 - slot]
            segment_id = _segment_id(shape.corpus, d.dialogue, speaker.person, speaker.gender, counters[slot])
            rows.append(
                {
                    "segment_id": segment_id,
                    "segment_id_raw": _as_written(shape.corpus, d.session, segment_id),
                    "session": d.session,
                    "dialogue": d.dialogue,
                    "kind": d.kind,
                    "number": d.number,
                    "turn": turn,
                    "speaker": speaker.person,
                    "listener": listener.person,
                    "gender": speaker.gender,
                }
            )
    return pd.DataFrame(rows)


def _segment_id(corpus: str, dialogue: str, person: str, gender: str, counter: int) -> str:
    if corpus == KEMDY19:
        return f"{dialogue}_{gender}{counter:03d}"
    return f"{dialogue}_{person}_{counter:03d}"


def _as_written(corpus: str, session: int, segment_id: str) -> str:
    if corpus == KEMDY20 and session == RENUMBERED_SESSION:
        return session_tag(RENUMBERED_AS) + segment_id[len(session_tag(session)) :]
    return segment_id


def schedule(segments: pd.DataFrame, duration_ms: np.ndarray, seed: int) -> pd.DataFrame:
    """Place the turns in time, in whole milliseconds so the written 3-decimal times are exact.

    Adds ``start_ms, end_ms`` (within the dialogue, what the annotation writes), ``dialogue_start_ms``,
    ``dialogue_end_ms`` (within the session) and ``t_start, t_end`` (seconds within the session, the
    clock of the body-signal files, where dialogues follow one another with pauses).
    """
    out = segments.copy()
    out["duration_ms"] = np.asarray(duration_ms, dtype=np.int64)
    start = np.zeros(len(out), dtype=np.int64)
    dialogue_start = np.zeros(len(out), dtype=np.int64)
    dialogue_end = np.zeros(len(out), dtype=np.int64)
    for session, in_session in out.groupby("session", sort=True):
        rng = rng_for(seed, "timing", session)
        clock = int(rng.integers(*SESSION_LEAD_MS))
        for _, in_dialogue in in_session.groupby("dialogue", sort=False):
            idx = in_dialogue.index.to_numpy()
            gaps = rng.integers(*TURN_GAP_MS, size=len(idx))
            gaps[0] = rng.integers(*FIRST_TURN_MS)
            durations = out.loc[idx, "duration_ms"].to_numpy()
            starts = np.cumsum(gaps) + np.concatenate([[0], np.cumsum(durations)[:-1]])
            start[idx] = starts
            dialogue_start[idx] = clock
            length = int(starts[-1] + durations[-1] + DIALOGUE_TAIL_MS)
            dialogue_end[idx] = clock + length
            clock += length + int(rng.integers(*DIALOGUE_GAP_MS))
    out["start_ms"] = start
    out["end_ms"] = start + out["duration_ms"].to_numpy()
    out["dialogue_start_ms"] = dialogue_start
    out["dialogue_end_ms"] = dialogue_end
    out["t_start"] = (dialogue_start + start) / 1000.0
    out["t_end"] = (dialogue_start + out["end_ms"].to_numpy()) / 1000.0
    return out
