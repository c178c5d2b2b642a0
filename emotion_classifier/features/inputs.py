"""One input function per modality: a segment of the corpus or a new recording -> the modality's raw
model input, or the reason it has none.

`prepare`'s stages map these functions over the corpus and `predict` calls them on a new recording.
A model must see a new recording exactly as it saw its training rows, so what makes an input (and
what makes a skip) is written here once: two copies drift, and a drifted copy gives a model inputs
it was never trained on without any error to show for it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from emotion_classifier.datasets import read_bio_file
from emotion_classifier.datasets.bio import unmatched_ids_problem
from emotion_classifier.errors import AudioError
from emotion_classifier.features.audio import AudioSettings, feature_names, wav_features, wav_shortfall
from emotion_classifier.features.bio import (
    MIN_NORMALISATION_SAMPLES,
    PREFIXES,
    PersonSignal,
    person_signal,
    segment_features,
)
from emotion_classifier.features.tokenizers import tokenize

TEXT_EMPTY = "transcript empty after cleaning"
NO_TOKENS = "no tokens left after stop-word removal"
WHOLE_RECORDING = "(whole recording)"
"""The segment id given to the samples of a bio export without segment ids (one utterance)."""


@dataclass(frozen=True)
class InputSpec:
    """What turns a recording into one modality's raw input for a model, as its training rows were made:
    the tokeniser and stop words (or the transcript itself for sentence embeddings), the audio settings,
    the feature columns in the model's order. Each estimator builds its own (``input_spec``).

    Frozen, so models trained on the same artifacts (the single models and the early-fusion network of
    one run) share one reading of each file.
    """

    modality: str
    tokenizer: str = ""
    stopwords: str | None = None
    sentence: bool = False
    audio: AudioSettings | None = None
    feature_names: tuple[str, ...] = ()
    bio_normalisation: str = "session"


# -- text -------------------------------------------------------------------------------------------
def text_skip_reason(text: str, tokens: Sequence[str]) -> str:
    """Why a cleaned transcript gives no tokens ('' when it gives some): nothing left after cleaning,
    or only stop words."""
    if tokens:
        return ""
    return NO_TOKENS if text.strip() else TEXT_EMPTY


def text_inputs(texts: Sequence[str], tokenizer: str, stopwords: Iterable[str] = ()) -> list[tuple[list[str], str]]:
    """(tokens, reason) of each cleaned transcript: its morphemes without stop words, and why it has
    none ('' when it has some). Batched, because a tokeniser is set up once per call."""
    tokens = tokenize(texts, tokenizer, tuple(stopwords))
    return [(found, text_skip_reason(text, found)) for text, found in zip(texts, tokens, strict=True)]


# -- speech -----------------------------------------------------------------------------------------
@dataclass
class SpeechInput:
    """A wav's `(frames, n_features)` float32 array (0 frames when unusable), why it is unusable ('' when
    usable), the conversions made to reach the training rate/mono, and its duration in seconds."""

    frames: np.ndarray
    reason: str = ""
    conversions: list[str] = field(default_factory=list)
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)
    """What is odd but usable (a wav cut mid-data: features from the part present)."""


@cache
def _blas() -> ThreadpoolController:
    """The loaded BLAS libraries, inspected once (a fresh `threadpool_limits` costs 5 ms a call)."""
    return ThreadpoolController()


def speech_input(path: str | Path, settings: AudioSettings) -> SpeechInput:
    """The frame features of one wav; an undecodable, empty or too short wav is a reason, not an error,
    so that one bad file leaves a segment (or a new recording) to its other modalities.

    Computed on one BLAS thread: the float32 mel projection sums in an order that depends on the thread
    count, and `prepare`'s workers run on one thread, so a prediction would otherwise get frames a few
    float32 steps away from the training rows.
    """
    try:
        with _blas().limit(limits=1):
            frames, duration, conversions = wav_features(path, settings)
    except (AudioError, librosa.util.exceptions.ParameterError) as exc:
        empty = np.zeros((0, len(feature_names(settings))), dtype=np.float32)
        return SpeechInput(empty, getattr(exc, "message", str(exc)))
    reason = "" if len(frames) else "wav too short for one frame"
    notes = []
    if (shortfall := wav_shortfall(path)) is not None:
        notes.append(f"wav cut mid-data: its header declares {shortfall[0]:.2f} s, the file holds {shortfall[1]:.2f} s "
                     "(features from the part present)")  # fmt: skip
    return SpeechInput(frames, reason, conversions, duration, notes)


# -- bio --------------------------------------------------------------------------------------------
@dataclass
class BioInput:
    """One person's bio features for some segments.

    ``features``: one row per segment asked (index: the canonical ids), the feature columns of every
    signal asked (NaN where not computable); ``has_bio``: some signal had samples of the segment;
    ``report``: ``problems`` (malformed lines, with their ``signal``), ``notes`` (layouts detected),
    ``counts`` (per signal: what fell short), ``signals_used`` (signals with a usable file),
    ``unusable`` (``{file, signal, reason}`` of each file without a signal column) and ``thin``
    (``{files, signal, reason}`` of each signal with too little of the person's signal to normalise by).
    """

    features: pd.DataFrame
    has_bio: np.ndarray
    report: dict


def unusable_reason(recording) -> str:
    """Why a bio file gives no feature ('' when it does): without a signal column (a KEMDy19 ECG file
    with time columns only) its values are NaN, and no time column may pass for a physiological value."""
    if recording.signal_column_found:
        return ""
    return f"no {recording.signal} signal column ({recording.layout_note or 'layout not recognised'})"


def _person_samples(recordings, ids: Sequence[tuple[str, str]], whole_file: bool) -> tuple[list[pd.DataFrame], bool]:
    """The samples of a person's usable recordings of one signal with ids as written (KEMDy20
    `Sess42_...`) mapped to canonical ones, and whether they are one untagged utterance."""
    frames = [r.samples for r in recordings]
    if whole_file and frames and not any(f["segment_id"].ne("").any() for f in frames):
        return [f.assign(segment_id=WHOLE_RECORDING) for f in frames], True
    rename = {raw: canonical for canonical, raw in ids if raw and raw != canonical}
    if rename:
        frames = [f.assign(segment_id=f["segment_id"].replace(rename)) for f in frames]
    return frames, False


def thin_normalisation(counts: Mapping[str, int], whole: bool) -> str:
    """Why one signal's person normalisation has too little of the person's signal ('' when it has
    enough): an export without segment ids is normalised over the utterance itself (its `mean_pnorm` is
    0 and `sd_pnorm` 1 whatever the body did), and fewer than `MIN_NORMALISATION_SAMPLES` samples give
    an unsteady mean and sd."""
    if whole:
        return ("no segment ids: normalised over the utterance itself, so its *_pnorm mean is 0 and sd 1; "
                "give the person's recording of the session")
    few = counts.get("normalised_on_few_samples", 0)
    if not few:
        return ""
    return f"{few} segment(s) normalised on fewer than {MIN_NORMALISATION_SAMPLES} samples of the person's signal"


@dataclass
class PersonBio:
    """One signal of one person's files, read and prepared (`read_person_bio`): everything `bio_input`
    takes from them, whatever segments are asked. ``problems``, ``notes`` and ``unusable`` are the
    report's entries of these files, ``usable_files`` the files with a signal column, ``whole`` whether
    they are one untagged utterance."""

    problems: list[dict]
    notes: list[str]
    unusable: list[dict]
    usable_files: list[str]
    person: PersonSignal
    whole: bool


def read_person_bio(signal: str, paths: Sequence[str | Path], ids: Sequence[tuple[str, str]], corpus: str | None = None,
                    *, whole_file: bool = False, normalisation: str = "session") -> PersonBio:  # fmt: skip
    """Read one signal's files of a person (in sorted path order) and prepare its samples (`bio_input`)."""
    recordings = [read_bio_file(path, signal, corpus) for path in sorted(paths, key=str)]
    problems = [{**p, "signal": signal} for r in recordings for p in r.problems]
    if not whole_file:
        known = {i for pair in ids for i in pair}
        unmatched = (unmatched_ids_problem(r, known) for r in recordings)
        problems += [{**p, "signal": signal} for p in unmatched if p is not None]
    unusable = [{"file": r.path, "signal": signal, "reason": unusable_reason(r)}
                for r in recordings if unusable_reason(r)]  # fmt: skip
    usable = [r for r in recordings if not unusable_reason(r)]
    rate = usable[0].sampling_rate if usable else None
    frames, whole = _person_samples(usable, ids, whole_file)
    person = person_signal(frames, signal, rate, normalisation)
    notes = [r.layout_note for r in recordings if r.layout_note]
    return PersonBio(problems, notes, unusable, [str(r.path) for r in usable], person, whole)


def file_state(path: str | Path) -> tuple:
    """What changes when a file is edited or replaced: absolute path (a relative one names another file
    from another working folder), size, modification and change times (ns), inode."""
    found = os.stat(path)
    return os.path.abspath(path), found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino


class PersonSignalCache:
    """The `PersonBio` of recently used (signal, person's files), so that a predictor reads and prepares a
    person's whole files once, not once per recording (the person normalisation needs all of them).

    Keyed by the signal, each file's `file_state`, the corpus and the normalisation: an edited or replaced
    file has a new key, so a prediction never uses a stale read (an edit that keeps the size, the inode and
    the timestamps, within one tick of the file system's clock, is not seen). At most ``maxsize`` entries,
    the least recently used go first; ``maxsize=0`` caches nothing. Safe to share between threads.
    """

    def __init__(self, maxsize: int = 64):
        self.maxsize = maxsize
        self.hits = self.misses = 0
        self._entries: OrderedDict[tuple, PersonBio] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, key: tuple | None, build: Callable[[], PersonBio]) -> PersonBio:
        """The entry of ``key``, built (and kept) when absent; None: built, not kept."""
        with self._lock:
            found = self._entries.get(key) if key is not None else None
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        built = build()
        if key is not None and self.maxsize > 0:
            with self._lock:
                self._entries[key] = built
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
        return built

    @staticmethod
    def key(signal: str, paths: Sequence[str | Path], corpus: str | None, normalisation: str) -> tuple | None:
        """The key of one signal's files (None when one cannot be looked at: then nothing is cached)."""
        try:
            return signal, tuple(file_state(p) for p in sorted(paths, key=str)), corpus, normalisation
        except OSError:
            return None


def bio_input(files: Mapping[str, Sequence[str | Path]], ids: Sequence[tuple[str, str]], corpus: str | None = None,
              *, whole_file: bool = False, normalisation: str = "session",
              cache: PersonSignalCache | None = None) -> BioInput:  # fmt: skip
    """Features of one person's segments from that person's own files.

    ``files``: signal -> the person's files of it (all of them: the person normalisation, `*_pnorm`,
    and the skin-conductance responses use the samples of every file given, so `prepare` gives all of
    a speaker's files of the session and a prediction should give the same to get the same numbers);
    they are taken in sorted path order, which is chronological for the corpus names (``past``
    normalisation counts earlier files as the person's past), so both paths see one order.
    A signal with no file gives NaN features. ``ids``: (canonical id, id as written in the files).
    ``corpus`` is sniffed from each file when None. ``whole_file``: a signal whose files carry no
    segment id at all is one recording of the segment(s) asked (a plain export of an utterance; its
    normalisation then has only the utterance itself), which a corpus file never is.
    ``normalisation``: whose samples give the `*_pnorm` statistics (`features.bio.NORMALISATIONS`).
    ``cache``: where a predictor keeps each signal's `PersonBio` between calls; used with
    ``whole_file`` and ids as written only, where what is read does not depend on the ids asked.
    """
    canonical = [c for c, _ in ids]
    cacheable = cache is not None and whole_file and all(not raw or raw == c for c, raw in ids)
    tables = []
    report = {"problems": [], "notes": [], "counts": {}, "signals_used": [], "unusable": [], "thin": []}
    for signal, paths in files.items():
        def build(signal=signal, paths=paths) -> PersonBio:
            return read_person_bio(signal, paths, ids, corpus, whole_file=whole_file, normalisation=normalisation)

        part = cache.get(cache.key(signal, paths, corpus, normalisation), build) if cacheable else build()
        report["problems"] += part.problems
        report["notes"] += part.notes
        report["unusable"] += part.unusable
        if part.usable_files:
            report["signals_used"].append(signal)
        if part.whole:
            features, counts = segment_features(part.person, [WHOLE_RECORDING])
            features = features.loc[[WHOLE_RECORDING] * len(canonical)].set_axis(pd.Index(canonical, name="segment_id"))
        else:
            features, counts = segment_features(part.person, canonical)
        tables.append(features)
        report["counts"][signal] = counts
        reason = thin_normalisation(counts, part.whole) if part.usable_files and normalisation != "none" else ""
        if reason:
            report["thin"].append({"files": list(part.usable_files), "signal": signal, "reason": reason})
    if not tables:
        return BioInput(pd.DataFrame(index=pd.Index(canonical, name="segment_id")), np.zeros(len(ids), bool), report)
    table = pd.concat(tables, axis=1)
    has_bio = (table[[f"{PREFIXES[s]}_n" for s in files]].sum(axis=1) > 0).to_numpy()
    return BioInput(table, has_bio, report)
