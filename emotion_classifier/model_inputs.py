"""New recordings -> each model's raw inputs, read as `prepare` read the training rows.

A new recording must reach each model exactly as its training rows did, or the model sees inputs it
was never trained on. So every input goes through the input functions `prepare`'s stages use
(`features.inputs`: the same skip reasons too) with the settings the model's sidecar recorded from the
artifacts manifest (its `InputSpec`). Each modality's reader is the one the registry declares.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion_classifier import registry
from emotion_classifier.datasets import clean_transcript, read_transcript
from emotion_classifier.errors import AudioError, InputError, TranscriptError
from emotion_classifier.features import PrepareConfig
from emotion_classifier.features.encoder_stage import encoder_inputs
from emotion_classifier.features.inputs import (
    TEXT_EMPTY,
    InputSpec,
    PersonSignalCache,
    bio_input,
    speech_input,
    text_inputs,
)
from emotion_classifier.features.speech_ssl import SPEECH_SSL
from emotion_classifier.features.text_plm import TEXT_PLM
from emotion_classifier.features.tokenizers import resolve_stopwords
from emotion_classifier.training.estimators import ModalityModel, preprocessing_config

BIO_SIGNALS: dict[str, str] = {"eda": "EDA", "temp": "TEMP", "ibi": "IBI", "ecg": "ECG"}
"""Keyword (and CSV column) of each bio file -> the signal the bio reader reads from it."""
PERSON_SIGNALS = PersonSignalCache(maxsize=64)
"""The predictor's cache of people's bio files (`bio_feature_rows`): each person's files are read and
prepared once while they are unchanged, however many of the person's recordings are predicted."""


@dataclass
class Recording:
    """One recording to classify: any of its files, or the transcript itself as ``text``.

    ``segment_id`` picks the segment in bio files that tag samples with segment ids (the corpus
    layout); it defaults to the wav's (else the txt's) file name, which is the segment id there.
    A bio signal may be given as several files of the person (e.g. every conversation of a KEMDy20
    speaker in the session): the person normalisation uses them all, as `prepare` does.
    """

    wav: str | None = None
    text: str | None = None
    txt: str | None = None
    eda: str | Sequence[str] | None = None
    temp: str | Sequence[str] | None = None
    ibi: str | Sequence[str] | None = None
    ecg: str | Sequence[str] | None = None
    segment_id: str | None = None

    def __post_init__(self):
        if self.text is not None and self.txt is not None:
            raise InputError("give the transcript as text or as a txt file, not both", self.txt)

    @property
    def name(self) -> str:
        if self.segment_id:
            return self.segment_id
        return next((Path(p).stem for p in (self.wav, self.txt) if p), "")

    def bio_files(self) -> dict[str, tuple[str, ...]]:
        """Signal -> the files given for it."""
        return {signal: _paths(getattr(self, key)) for key, signal in BIO_SIGNALS.items() if getattr(self, key)}


def _paths(given: str | Path | Sequence[str | Path]) -> tuple[str, ...]:
    """One path or several as a tuple of strings (hashable: recordings sharing files share one read)."""
    return (str(given),) if isinstance(given, str | Path) else tuple(map(str, given))


def attempt(function, *args, **kwargs):
    """The function's result, or the `InputError` it raised (batch mode lists errors per recording)."""
    try:
        return function(*args, **kwargs)
    except InputError as exc:
        return exc


def prepare_config(model: ModalityModel, where: Path) -> PrepareConfig:
    """The preprocessing settings the model was trained with (its sidecar's copy of the manifest)."""
    if not model.preprocessing_:
        warnings.warn(f"{where}: the sidecar records no preprocessing settings; using the defaults", stacklevel=4)
    return preprocessing_config(model.preprocessing_)


def input_specs(model: ModalityModel, where: Path) -> dict[str, InputSpec]:
    """The `InputSpec` of each part a model reads (its modality, or every part of a joint network),
    with the preprocessing settings its training rows had."""
    return model.input_specs(prepare_config(model, where))


def transcript_of(recording: Recording) -> str:
    """The cleaned transcript ('' when none was given)."""
    if recording.txt:
        path = Path(recording.txt)
        if not path.is_file():
            raise InputError("transcript file not found", path)
        return clean_transcript(read_transcript(path))
    return clean_transcript(recording.text or "")


def text_input(recording: Recording, spec: InputSpec) -> tuple:
    """(tokens, or the cleaned transcript for sentence embeddings, or None; why None) of a recording.

    An undecodable txt is the text modality's reason, not an error, so the other modalities still predict."""
    text, reason = _transcript_item(recording)
    if reason:
        return None, reason
    if spec.sentence:
        return text, ""
    [(tokens, reason)] = text_inputs([text], spec.tokenizer, resolve_stopwords(spec.stopwords))
    return tokens or None, reason


def speech_frames(recording: Recording, spec: InputSpec) -> tuple:
    """(frames or None, why None) of a recording's wav; a conversion to the training rate or to mono is
    warned about. A wav that is not there is an error (a wrong path); one that cannot be decoded is a
    reason, so the other modalities still predict."""
    if not recording.wav:
        return None, "no wav given"
    path = Path(recording.wav)
    if not path.is_file():
        raise AudioError("wav file not found", path)
    found = speech_input(path, spec.audio)
    for conversion in found.conversions:
        warnings.warn(f"{path}: {conversion} (the models were trained on {spec.audio.sample_rate} Hz mono)",
                      stacklevel=3)  # fmt: skip
    return (None, found.reason) if found.reason else (found.frames, "")


def bio_feature_rows(files: Mapping[str, str | Sequence[str]], segment_ids: Sequence[str], names: Sequence[str],
                     normalisation: str = "session",
                     cache: PersonSignalCache | None = None) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """Rows of the bio model's features (NaN where not computable) for segments of one person's files
    (signal -> a path or the person's paths), and per segment why it is unusable ('' if usable).

    `features.inputs.bio_input` makes them, as it makes `prepare`'s: a file whose samples carry segment
    ids (the corpus layout) gives each segment its own samples, and the person normalisation (and the
    skin-conductance responses) use every file given; a plain export without ids is taken as one
    recording of the utterance. Each file is read once for all the segments asked. ``normalisation`` is
    the model's (its artifacts' `bio_normalisation`); when a signal has too little of the person's
    signal to normalise by (an export without ids, or fewer than `MIN_NORMALISATION_SAMPLES` samples),
    a `UserWarning` names its files: `*_pnorm` values of 0 and 1 would otherwise pass unnoticed.
    ``cache`` keeps the files' reading between calls (None: `PERSON_SIGNALS`; ``PersonSignalCache(0)``:
    read them again).
    """
    n = len(segment_ids)
    if not files:
        return np.full((n, len(names)), np.nan), ["no bio file given"] * n
    paths = {signal: _paths(given) for signal, given in files.items()}
    for signal, path in ((s, p) for s, ps in paths.items() for p in ps):
        if not Path(path).is_file():
            raise InputError(f"{signal} file not found", path)
    unique = list(dict.fromkeys(segment_ids))
    try:
        found = bio_input(paths, [(sid, sid) for sid in unique], whole_file=True, normalisation=normalisation,
                          cache=PERSON_SIGNALS if cache is None else cache)  # fmt: skip
    except ValueError as exc:  # a signal the file's corpus has no files of
        raise InputError(str(exc)) from None
    for item in found.report["unusable"]:
        warnings.warn(f"{item['file']}: {item['reason']}; its features are left empty, as prepare leaves them",
                      stacklevel=2)  # fmt: skip
    for item in found.report["thin"]:
        warnings.warn(f"{', '.join(item['files'])}: {item['signal']} {item['reason']} ({normalisation} "
                      "normalisation); its *_pnorm features say little", stacklevel=2)  # fmt: skip
    rows = found.features.reindex(columns=list(names)).loc[list(segment_ids)].to_numpy(dtype=float)
    has_bio = dict(zip(unique, found.has_bio, strict=True))
    return rows, ["" if has_bio[sid] else f"no samples of segment {sid!r} in the bio files" for sid in segment_ids]


def read_bio(recordings: Sequence[Recording], spec: InputSpec) -> list:
    """The bio modality's reader (``registry``): (row or None, reason) of each recording, or its error;
    recordings sharing files share one read."""
    groups: dict[tuple, list[int]] = {}
    for i, recording in enumerate(recordings):
        groups.setdefault(tuple(sorted(recording.bio_files().items())), []).append(i)
    found = {}
    for files, members in groups.items():
        try:
            rows, reasons = bio_feature_rows(dict(files), [recordings[i].name for i in members], spec.feature_names,
                                             spec.bio_normalisation)  # fmt: skip
        except InputError as exc:
            found.update(dict.fromkeys(members, exc))
            continue
        found.update({i: (None if r else row, r) for i, row, r in zip(members, rows, reasons, strict=True)})
    return [found[i] for i in range(len(recordings))]


def read_text(recordings: Sequence[Recording], spec: InputSpec) -> list:
    """The text modality's reader (``registry``): each recording's tokens (or transcript), or why none."""
    return [attempt(text_input, recording, spec) for recording in recordings]


def read_speech(recordings: Sequence[Recording], spec: InputSpec) -> list:
    """The speech modality's reader (``registry``): each recording's frames, or why none."""
    return [attempt(speech_frames, recording, spec) for recording in recordings]


def _wav_item(recording: Recording) -> tuple[str, str]:
    """(the wav path, or '' and why there is none): a wav that is not there is an error."""
    if not recording.wav:
        return "", "no wav given"
    if not Path(recording.wav).is_file():
        raise AudioError("wav file not found", recording.wav)
    return str(recording.wav), ""


def _transcript_item(recording: Recording) -> tuple[str, str]:
    """(the cleaned transcript, or '' and why there is none)."""
    if recording.txt is None and recording.text is None:  # --text "" is an empty transcript
        return "", "no transcript given"
    try:
        text = transcript_of(recording)
    except TranscriptError as exc:
        return "", exc.message
    return (text, "") if text.strip() else ("", TEXT_EMPTY)


def read_speech_ssl(recordings: Sequence[Recording], spec: InputSpec) -> list:
    """The pretrained speech encoder's reader (``registry``): its stage's input function on each wav."""
    return encoder_inputs(SPEECH_SSL, spec, [attempt(_wav_item, r) for r in recordings])


def read_text_plm(recordings: Sequence[Recording], spec: InputSpec) -> list:
    """The pretrained text encoder's reader (``registry``): its stage's input function on each transcript."""
    return encoder_inputs(TEXT_PLM, spec, [attempt(_transcript_item, r) for r in recordings])


def read_inputs(spec: InputSpec, recordings: Sequence[Recording]) -> list:
    """Each recording's (raw input or None, reason) for one `InputSpec`, or the `InputError` reading it
    raised: the reader the spec's modality registered, i.e. the input functions `prepare` maps over the
    corpus (`features.inputs`), applied with the settings the model was trained with."""
    return registry.resolve(registry.modality(spec.modality).reader)(recordings, spec)
