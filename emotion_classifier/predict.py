"""Emotion of new recordings from the saved final models: ``EmotionClassifier.load(dir).predict(...)``.

A new recording must reach each model exactly as its training rows did, or the model sees inputs it
was never trained on. So every input goes through the input functions `prepare`'s stages use
(`features.inputs`: the same skip reasons too) with the settings the model's sidecar recorded from the
artifacts manifest: `clean_transcript` and the same tokeniser for text, the same audio features and
settings (converting to 16 kHz mono, with a warning), and the same bio reader, per-segment features and
person normalisation. The modalities are then combined as ``fusion.json``
says (``emotion run`` writes there the method with the best out-of-fold macro-F1): the early-fusion
network fed every part at once, or the weighted average of the single models' outputs (equal weights
when the file is absent).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier import registry
from emotion_classifier.datasets import clean_transcript, read_transcript
from emotion_classifier.errors import AudioError, InputError
from emotion_classifier.features import PrepareConfig
from emotion_classifier.features.audio import AudioSettings
from emotion_classifier.features.inputs import TEXT_EMPTY, bio_input, speech_input, text_inputs
from emotion_classifier.features.tokenizers import resolve_stopwords
from emotion_classifier.files import read_json, write_json
from emotion_classifier.fusion.early import EARLY_FUSION, FusionRow
from emotion_classifier.fusion.late import WEIGHTS_FILE, weighted_average
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.estimators import ModalityModel, Prediction, load_model
from emotion_classifier.training.metrics import PROBA_COLUMNS, TARGETS
from emotion_classifier.training.runs import RunPaths

MODALITIES: tuple[str, ...] = registry.modality_names(joint=False)
FUSION_FILE = "fusion.json"
LATE_METHODS: tuple[str, ...] = registry.fusion_method_names(at_prediction=True)
"""Late-fusion methods prediction applies (a weighted average of the single models' outputs)."""
PREDICTION_METHODS: tuple[str, ...] = (*LATE_METHODS, EARLY_FUSION)
"""What ``fusion.json`` may choose. Stacking is not among them: its stackers are fitted per fold on
validation predictions of that fold's models, and no such stacker exists for the final models."""
SELECTION_METRIC = "macro_f1"
BIO_SIGNALS: dict[str, str] = {"eda": "EDA", "temp": "TEMP", "ibi": "IBI", "ecg": "ECG"}
"""Keyword (and CSV column) of each bio file -> the signal the bio reader reads from it."""
INPUT_COLUMNS: tuple[str, ...] = ("wav", "text", "txt", *BIO_SIGNALS, "segment_id")


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


def _model_files(folder: Path, modality: str) -> str | None:
    """The stem a modality's model is saved under in ``folder`` (``M`` or the legacy h5 name)."""
    for stem in (modality, registry.h5_name(modality)):
        if (folder / f"{stem}.json").is_file():
            return stem
    return None


def equal_weights(modalities: Sequence[str]) -> dict[str, float]:
    """The soft vote's weights: what prediction uses when nothing was measured to be better."""
    return dict.fromkeys(modalities, 1.0 / max(len(modalities), 1))


@dataclass
class FusionChoice:
    """How the loaded models are combined (``fusion.json``).

    ``method`` is one of `PREDICTION_METHODS`; ``weights`` are the modality weights of the late method
    ``late_method``, applied when ``method`` is a vote, or when it is ``early_fusion`` and the folder
    holds no early-fusion model. Missing modalities weigh 0; weights are renormalised per recording.
    """

    method: str = "soft_vote"
    weights: dict[str, float] = field(default_factory=dict)
    late_method: str = "soft_vote"


def read_fusion_choice(folder: str | Path, modalities: tuple[str, ...]) -> FusionChoice:
    """``fusion.json`` of a models folder; without one, a soft vote (equal weights) of ``modalities``."""
    path = Path(folder) / FUSION_FILE
    if not path.is_file():
        return FusionChoice("soft_vote", equal_weights(modalities))
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        weights = {m: float(record["weights"].get(m, 0.0)) for m in modalities}
        method = record.get("method", "soft_vote")
        late_method = record.get("late_method", method if method in LATE_METHODS else "soft_vote")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f'expected {{"method": ..., "weights": {{modality: number}}}} ({exc})', path) from None
    if method not in PREDICTION_METHODS or late_method not in LATE_METHODS:
        raise InputError(f"method must be one of {list(PREDICTION_METHODS)} and late_method one of "
                         f"{list(LATE_METHODS)}, got {method!r} and {late_method!r}", path)  # fmt: skip
    if modalities and (any(v < 0 for v in weights.values()) or not any(v > 0 for v in weights.values())):
        raise InputError(f"weights must be >= 0 and one of {list(modalities)} positive, got {weights}", path)
    return FusionChoice(method, weights, late_method)


def save_fusion_weights(folder: str | Path, weights: Mapping[str, float], method: str = "soft_vote",
                        **details) -> Path:  # fmt: skip
    """Write ``fusion.json`` next to the models (e.g. the weights a weighted vote chose); ``details``
    (``late_method``, the scores behind a choice, why) are kept in it as given."""
    path = Path(folder) / FUSION_FILE
    write_json(path, {"method": method, "weights": {m: float(w) for m, w in weights.items()}, **details})
    return path


def fold_mean_weights(method_dir: str | Path) -> dict[str, float]:
    """The fold mean of a vote's modality weights (``runs/NAME/fusion/weighted_vote/weights.json``).

    Each fold chose its weights on its own validation sessions; for new recordings no fold is
    privileged, so their mean is what `save_fusion_weights` should keep.
    """
    path = Path(method_dir) / WEIGHTS_FILE
    if not path.is_file():
        raise InputError("fusion weights not found (run the late fusion first)", path)
    folds = read_json(path).get("folds", [])
    if not folds or any("weights" not in fold for fold in folds):
        raise InputError("no per-fold modality weights in this file (a stacker has none)", path)
    return pd.DataFrame([fold["weights"] for fold in folds]).fillna(0.0).mean().to_dict()


def oof_score(run_dir: str | Path, metric: str = SELECTION_METRIC) -> float | None:
    """The out-of-fold mean over folds of ``metric`` in a run's ``metrics.json`` (None when absent)."""
    path = RunPaths(Path(run_dir)).metrics
    if not path.is_file():
        return None
    value = read_json(path).get("summary", {}).get(metric, {}).get("mean")
    return None if value is None or not np.isfinite(value) else float(value)


def choose_prediction_fusion(run_root: str | Path, modalities: Sequence[str], early_fusion: bool = True) -> dict | None:
    """The ``fusion.json`` record (`save_fusion_weights` arguments) for the final models of one run.

    Among what prediction can apply, a soft vote, a weighted vote with the fold-mean weights, and the
    early-fusion network when it was trained (``early_fusion``), the one with the best out-of-fold
    macro-F1 mean; ties go to the simpler method. None when the run scored none of them. The
    report's numbers stay per method: this only decides what `EmotionClassifier` uses.
    """
    root = Path(run_root)
    folders = {method: root / "fusion" / method for method in LATE_METHODS}
    if early_fusion:
        folders[EARLY_FUSION] = root / EARLY_FUSION
    scores = {method: score for method, folder in folders.items() if (score := oof_score(folder)) is not None}
    if not scores:
        return None
    late_scores = {method: scores[method] for method in LATE_METHODS if method in scores}
    late = max(late_scores, key=late_scores.get) if late_scores else "soft_vote"
    weights = fold_mean_weights(folders[late]) if late == "weighted_vote" else equal_weights(modalities)
    best = max(scores, key=scores.get)
    others = ", ".join(f"{m} {v:.3f}" for m, v in scores.items() if m != best)
    reason = (f"{best} has the best out-of-fold {SELECTION_METRIC} (mean over folds {scores[best]:.3f}"
              f"{'; ' + others if others else ''}), so prediction uses it; the report's numbers are per "
              "method, this choice only decides what `emotion predict` applies (stacking is not applied at "
              "prediction: its stackers belong to the fold models)")  # fmt: skip
    return {"weights": weights, "method": best, "late_method": late, "metric": SELECTION_METRIC,
            "scores": scores, "reason": reason, "run": str(root)}  # fmt: skip


def _prepare_config(model: ModalityModel, where: Path) -> PrepareConfig:
    """The preprocessing settings the model was trained with (its sidecar's copy of the manifest)."""
    settings = model.preprocessing_
    known = {f.name for f in fields(PrepareConfig)}
    if not settings:
        warnings.warn(f"{where}: the sidecar records no preprocessing settings; using the defaults", stacklevel=4)
    return PrepareConfig(**{k: v for k, v in settings.items() if k in known})


@dataclass(frozen=True)
class InputSpec:
    """What turns a recording into one modality's raw input for a model, as its training rows were made:
    the tokeniser and stop words (or the transcript itself for sentence embeddings), the audio
    settings, the bio feature columns in the model's order.

    Frozen, so models trained on the same artifacts (the single models and the early-fusion network
    of one run) share one reading of each file.
    """

    modality: str
    tokenizer: str = ""
    stopwords: str | None = None
    sentence: bool = False
    audio: AudioSettings | None = None
    bio_names: tuple[str, ...] = ()


def input_specs(model: ModalityModel, where: Path) -> dict[str, InputSpec]:
    """The `InputSpec` of each part a model reads: its modality, or every part of an early-fusion model."""
    config = _prepare_config(model, where)
    if model.modality == EARLY_FUSION:  # its feature names are `part:name`, as early_fusion_inputs writes them
        parts = tuple(model.encoder_.encoders)
        bio_names = tuple(n.removeprefix("bio:") for n in model.feature_names_ if n.startswith("bio:"))
    else:
        parts, bio_names = (model.modality,), tuple(model.feature_names_)
    specs = {}
    for part in parts:
        if part == "text" and model.config.text_encoder == "sentence":
            specs[part] = InputSpec(part, sentence=True)
        elif part == "text":
            specs[part] = InputSpec(part, tokenizer=config.tokenizer, stopwords=config.stopwords)
        elif part == "speech":
            specs[part] = InputSpec(part, audio=config.audio_settings())
        else:
            specs[part] = InputSpec(part, bio_names=bio_names)
    return specs


def transcript_of(recording: Recording) -> str:
    """The cleaned transcript ('' when none was given)."""
    if recording.txt:
        path = Path(recording.txt)
        if not path.is_file():
            raise InputError("transcript file not found", path)
        return clean_transcript(read_transcript(path))
    return clean_transcript(recording.text or "")


def text_input(recording: Recording, spec: InputSpec) -> tuple:
    """(tokens, or the cleaned transcript for sentence embeddings, or None; why None) of a recording."""
    text = transcript_of(recording)
    if not (recording.txt or recording.text):
        return None, "no transcript given"
    if spec.sentence:
        return (text, "") if text.strip() else (None, TEXT_EMPTY)
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


def bio_feature_rows(files: Mapping[str, str | Sequence[str]], segment_ids: Sequence[str],
                     names: Sequence[str]) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """Rows of the bio model's features (NaN where not computable) for segments of one person's files
    (signal -> a path or the person's paths), and per segment why it is unusable ('' if usable).

    `features.inputs.bio_input` makes them, as it makes `prepare`'s: a file whose samples carry segment
    ids (the corpus layout) gives each segment its own samples, and the person normalisation (and the
    skin-conductance responses) use every file given; a plain export without ids is taken as one
    recording of the utterance. Each file is read once for all the segments asked.
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
        found = bio_input(paths, [(sid, sid) for sid in unique], whole_file=True)
    except ValueError as exc:  # a signal the file's corpus has no files of
        raise InputError(str(exc)) from None
    for item in found.report["unusable"]:
        warnings.warn(f"{item['file']}: {item['reason']}; its features are left empty, as prepare leaves them",
                      stacklevel=2)  # fmt: skip
    rows = found.features.reindex(columns=list(names)).loc[list(segment_ids)].to_numpy(dtype=float)
    has_bio = dict(zip(unique, found.has_bio, strict=True))
    return rows, ["" if has_bio[sid] else f"no samples of segment {sid!r} in the bio files" for sid in segment_ids]


def bio_inputs(recordings: Sequence[Recording], spec: InputSpec) -> list:
    """(row or None, reason) of each recording, or its error; recordings sharing files share one read."""
    groups: dict[tuple, list[int]] = {}
    for i, recording in enumerate(recordings):
        groups.setdefault(tuple(sorted(recording.bio_files().items())), []).append(i)
    found = {}
    for files, members in groups.items():
        try:
            rows, reasons = bio_feature_rows(dict(files), [recordings[i].name for i in members], spec.bio_names)
        except InputError as exc:
            found.update(dict.fromkeys(members, exc))
            continue
        found.update({i: (None if r else row, r) for i, row, r in zip(members, rows, reasons, strict=True)})
    return [found[i] for i in range(len(recordings))]


def read_inputs(spec: InputSpec, recordings: Sequence[Recording]) -> list:
    """Each recording's (raw input or None, reason) for one `InputSpec`, or the `InputError` reading it
    raised: the input functions `prepare` maps over the corpus (`features.inputs`), applied with the
    settings the model was trained with."""
    if spec.modality == "bio":
        return bio_inputs(recordings, spec)
    reader = text_input if spec.modality == "text" else speech_frames
    return [_attempt(reader, recording, spec) for recording in recordings]


class EmotionClassifier:
    """The final models of a folder, combined as ``fusion.json`` chose, for recordings outside any corpus.

    ``models`` are the single-modality models (text, speech, bio); ``early_fusion`` the early-fusion
    network. ``method`` ``early_fusion`` feeds the recording's parts to that network (a missing part
    is what its presence flags are for); ``soft_vote``/``weighted_vote`` average the single models'
    outputs with ``weights`` (equal when None). The single models' own outputs are always reported
    (``per_modality``), whichever method decides. ``specs`` holds, per loaded model, the `InputSpec`
    of each part it reads.
    """

    def __init__(self, models: Mapping[str, ModalityModel], weights: Mapping[str, float] | None = None,
                 folder: str | Path = ".", *, early_fusion: ModalityModel | None = None,
                 method: str | None = None):  # fmt: skip
        self.models = dict(models)
        self.folder = Path(folder)
        if not self.models and early_fusion is None:
            raise InputError(f"no models (expected some of {', '.join((*MODALITIES, EARLY_FUSION))})", folder)
        self.early_fusion = early_fusion
        self.method = method or (EARLY_FUSION if early_fusion is not None else "soft_vote")
        if self.method not in PREDICTION_METHODS or (self.method == EARLY_FUSION) != (early_fusion is not None):
            raise ValueError(f"method must be one of {PREDICTION_METHODS}, early_fusion with its model only; "
                             f"got {self.method!r}")  # fmt: skip
        names = tuple(self.models)
        self.weights = dict(weights) if weights else equal_weights(names)
        readers = {**self.models, **({EARLY_FUSION: early_fusion} if early_fusion is not None else {})}
        self.specs = {name: input_specs(model, self.folder / name) for name, model in readers.items()}

    @classmethod
    def load(cls, models_dir: str | Path) -> EmotionClassifier:
        """Every single-modality model in ``models_dir`` (``M.keras`` + ``M.json``, or the legacy h5
        names), ``fusion.json`` when present, and the early-fusion model when that file chooses it.

        A choice of ``early_fusion`` without its model falls back, with a warning, to the late
        method the file also records.
        """
        folder = Path(models_dir)
        if not folder.is_dir():
            raise InputError("models folder not found", folder)
        stems = {m: _model_files(folder, m) for m in MODALITIES}
        models = {m: load_model(folder, stem) for m, stem in stems.items() if stem}
        choice = read_fusion_choice(folder, tuple(models))
        early, method = None, choice.method
        if method == EARLY_FUSION:
            stem = _model_files(folder, EARLY_FUSION)
            early = load_model(folder, stem) if stem else None
            if early is None:
                warnings.warn(f"{folder / FUSION_FILE}: chooses early_fusion, but the folder holds no early-fusion "
                              f"model; using {choice.late_method}", stacklevel=2)  # fmt: skip
                method = choice.late_method
        if not models and early is None:
            wanted = ", ".join(f"{m}.keras + {m}.json" for m in MODALITIES)
            raise InputError(f"no models in this folder (expected some of {wanted})", folder)
        return cls(models, choice.weights, folder, early_fusion=early, method=method)

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities the deciding model(s) read."""
        names = self.specs[EARLY_FUSION] if self.early_fusion is not None else self.models
        return tuple(m for m in MODALITIES if m in names)

    @property
    def note(self) -> str:
        """What a prediction here lacks compared with the evaluation path ('' when nothing)."""
        window = int(self.early_fusion.config.context_window) if self.early_fusion is not None else 0
        if not window:
            return ""
        return (f"the early-fusion network was trained with the {window} preceding segment(s) of each dialogue as "
                "context; a single recording has none, so it is predicted like the first segment of a dialogue")

    # -- turning files into model inputs -------------------------------------------------------
    def model_inputs(self, recordings: Sequence[Recording]) -> tuple[list[dict], list[dict], list]:
        """Per recording: each loaded model's raw inputs (``{model: {part: input}}``, usable parts only),
        why each modality has no usable input, and the `InputError` that stopped it (None when none).

        Each distinct `InputSpec` is read once, however many models share it.
        """
        unique = list(dict.fromkeys(spec for specs in self.specs.values() for spec in specs.values()))
        outcomes = {spec: read_inputs(spec, recordings) for spec in unique}
        inputs, skipped, errors = [], [], []
        for i in range(len(recordings)):
            found = {spec: outcome[i] for spec, outcome in outcomes.items()}
            error = next((o for o in found.values() if isinstance(o, InputError)), None)
            errors.append(error)
            if error is not None:
                inputs.append({})
                skipped.append({})
                continue
            inputs.append({
                name: {part: found[spec][0] for part, spec in specs.items() if found[spec][0] is not None}
                for name, specs in self.specs.items()
            })  # fmt: skip
            # reversed: where models' specs of one modality differ, the first one's reason is kept
            missing = {spec.modality: reason for spec, (value, reason) in reversed(found.items()) if value is None}
            skipped.append({m: missing[m] for m in MODALITIES if m in missing})
        return inputs, skipped, errors

    def _used(self, given: Mapping[str, dict]) -> list[str]:
        """The modalities the deciding model(s) got for one recording."""
        if self.early_fusion is not None:
            return [m for m in MODALITIES if m in given.get(EARLY_FUSION, {})]
        return [m for m in self.modalities if given.get(m)]

    # -- prediction ----------------------------------------------------------------------------
    def _predict_inputs(self, inputs: list[dict]) -> dict[str, np.ndarray]:
        """Per-modality and fused probabilities/ratings for many recordings' model inputs."""
        n, names = len(inputs), tuple(self.models)
        proba = np.full((n, len(names), len(EMOTIONS)), np.nan)
        ratings = {t: np.full((n, len(names)), np.nan) for t in TARGETS}
        for j, modality in enumerate(names):
            rows = [i for i, given in enumerate(inputs) if given.get(modality)]
            if not rows:
                continue
            part = self.models[modality].predict_raw([inputs[i][modality][modality] for i in rows])
            proba[rows, j] = part.proba
            for target in TARGETS:
                ratings[target][rows, j] = getattr(part, target)
        out = {"per_modality": proba, **ratings}
        if self.early_fusion is not None:
            fused = self._early_fusion_outputs(inputs)
        else:
            weights = np.array([self.weights.get(m, 0.0) for m in names])
            fused = Prediction(weighted_average(proba, weights),
                               *(weighted_average(ratings[t], weights) for t in TARGETS))  # fmt: skip
        out.update({"proba": fused.proba, **{f"fused_{t}": getattr(fused, t) for t in TARGETS}})
        return out

    def _early_fusion_outputs(self, inputs: list[dict]) -> Prediction:
        """The early-fusion network on each recording's parts, without dialogue context (NaN rows without any part)."""
        result = Prediction.empty(len(inputs))
        rows = [i for i, given in enumerate(inputs) if given.get(EARLY_FUSION)]
        if rows:
            part = self.early_fusion.predict_raw([FusionRow(inputs[i][EARLY_FUSION]) for i in rows])
            result.proba[rows], result.valence[rows], result.arousal[rows] = part.proba, part.valence, part.arousal
        return result

    def predict(self, wav=None, text=None, txt=None, eda=None, temp=None, ibi=None, ecg=None,
                segment_id=None) -> dict:  # fmt: skip
        """Emotion, the 7 probabilities (EMOTIONS order), valence, arousal, the modalities used, the
        fusion ``method`` and a ``note`` on what the prediction lacks ('' when nothing).

        Raises `InputError` (naming the file) for a missing or undecodable input, and when no
        modality of the deciding model(s) can be used.
        """
        recording = Recording(wav, text, txt, eda, temp, ibi, ecg, segment_id)
        [inputs], [skipped], [error] = self.model_inputs([recording])
        if error is not None:
            raise error
        used = self._used(inputs)
        if not used:
            reasons = "; ".join(f"{m}: {r}" for m, r in skipped.items())
            raise InputError(f"no usable input for the loaded models ({reasons})", recording.wav or recording.txt)
        out = self._predict_inputs([inputs])
        per_modality = {
            m: _result(out["per_modality"][0, j], out["valence"][0, j], out["arousal"][0, j])
            for j, m in enumerate(self.models) if inputs.get(m)
        }  # fmt: skip
        return {
            **_result(out["proba"][0], out["fused_valence"][0], out["fused_arousal"][0]),
            "modalities": used,
            "skipped": skipped,
            "per_modality": per_modality,
            "method": self.method,
            "note": self.note,
        }

    def predict_many(self, inputs: pd.DataFrame | str | Path) -> pd.DataFrame:
        """Predictions for a table (columns among wav, text or txt, eda, temp, ibi, ecg, segment_id),
        a CSV file of it (relative paths are taken from the CSV's folder) or a folder of wav/txt pairs.

        One output row per input row, with the input columns; a row that fails keeps NaN
        predictions and its reason in ``error`` (nothing is dropped).
        """
        table = recordings_table(inputs)
        values = table[[c for c in INPUT_COLUMNS if c in table]].to_dict("records")
        recordings = [_attempt(Recording, **{k: _cell(v) for k, v in row.items()}) for row in values]
        valid = [i for i, r in enumerate(recordings) if not isinstance(r, InputError)]
        given, missing, failed = self.model_inputs([recordings[i] for i in valid])
        model_inputs, skipped = [{}] * len(table), [""] * len(table)
        errors = [str(r) if isinstance(r, InputError) else "" for r in recordings]
        for i, inputs_i, missing_i, error in zip(valid, given, missing, failed, strict=True):
            model_inputs[i], skipped[i] = inputs_i, "; ".join(f"{m}: {r}" for m, r in missing_i.items())
            if error is not None:
                errors[i] = str(error)
            elif not self._used(inputs_i):
                errors[i] = f"no usable input: {skipped[i]}"
        out = self._predict_inputs(model_inputs)
        result = table.copy()
        result["emotion"] = Prediction(out["proba"], out["fused_valence"], out["fused_arousal"]).labels()
        for j, column in enumerate(PROBA_COLUMNS):
            result[column] = out["proba"][:, j]
        for target in TARGETS:
            result[target] = out[f"fused_{target}"]
        result["modalities"] = ["+".join(self._used(given)) for given in model_inputs]
        result["skipped"] = skipped
        result["error"] = errors
        result["method"] = self.method
        result["note"] = self.note
        return result


def _attempt(function, *args, **kwargs):
    """The function's result, or the `InputError` it raised (batch mode lists errors per recording)."""
    try:
        return function(*args, **kwargs)
    except InputError as exc:
        return exc


def format_prediction(result: Mapping) -> str:
    """What ``emotion predict`` prints for one recording (a `EmotionClassifier.predict` result)."""
    probabilities = ", ".join(f"{e} {p:.3f}" for e, p in result["probabilities"].items())
    unused = "; ".join(f"{m}: {reason}" for m, reason in result["skipped"].items())
    return "\n".join([
        f"emotion: {result['emotion']}",
        f"probabilities: {probabilities}",
        f"valence: {result['valence']:.2f}  arousal: {result['arousal']:.2f}  (1-5)",
        f"modalities: {', '.join(result['modalities'])}" + (f"  (not used: {unused})" if unused else ""),
        f"fusion: {result['method']}",
        *([f"note: {result['note']}"] if result.get("note") else []),
    ])  # fmt: skip


def _result(proba: np.ndarray, valence: float, arousal: float) -> dict:
    return {
        "emotion": EMOTIONS[int(np.argmax(proba))],
        "probabilities": dict(zip(EMOTIONS, (float(p) for p in proba), strict=True)),
        "valence": float(valence),
        "arousal": float(arousal),
    }


def _cell(value) -> str | None:
    """A table cell as an input: None for blanks and NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text if text.strip() else None


def recordings_table(inputs: pd.DataFrame | str | Path) -> pd.DataFrame:
    """The recordings of a DataFrame, a CSV file or a folder of wav/txt pairs (one row each)."""
    if isinstance(inputs, pd.DataFrame):
        table = inputs.reset_index(drop=True)
        where = "the input table"
    else:
        path = Path(inputs)
        if path.is_dir():
            return folder_recordings(path)
        if not path.is_file():
            raise InputError("input not found (expected a folder of wav/txt pairs or a CSV file)", path)
        table = read_recordings_csv(path)
        where = str(path)
    if not any(c in table for c in INPUT_COLUMNS if c != "segment_id"):
        raise InputError(f"{where} has none of the columns {', '.join(INPUT_COLUMNS[:-1])}")
    return table


def read_recordings_csv(path: Path) -> pd.DataFrame:
    """A CSV of recordings; its relative file paths are made relative to the CSV's folder."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV ({exc})", path) from None
    for column in ("wav", "txt", *BIO_SIGNALS):
        if column in table:
            table[column] = [str(path.parent / v) if v and not Path(v).is_absolute() else v for v in table[column]]
    return table


def folder_recordings(folder: Path) -> pd.DataFrame:
    """wav and txt files of a folder paired by file name (either may be missing for a name)."""
    stems = sorted({p.stem for p in folder.iterdir() if p.suffix.lower() in (".wav", ".txt") and p.is_file()})
    if not stems:
        raise InputError("no .wav or .txt files in this folder", folder)
    rows = []
    for stem in stems:
        wav, txt = folder / f"{stem}.wav", folder / f"{stem}.txt"
        rows.append({"wav": str(wav) if wav.is_file() else "", "txt": str(txt) if txt.is_file() else ""})
    return pd.DataFrame(rows)
