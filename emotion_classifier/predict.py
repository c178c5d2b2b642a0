"""Emotion of new recordings from the saved final models: ``EmotionClassifier.load(dir).predict(...)``.

A new recording must reach each model exactly as its training rows did, or the model sees inputs it
was never trained on. So every input goes through the same code as `prepare` with the settings the
model's sidecar recorded from the artifacts manifest: `clean_transcript` and the same tokeniser for
text, the same audio feature function and settings (converting to 16 kHz mono, with a warning), and
the same bio reader and per-segment features. The modalities are then combined by soft voting, with
the weights of ``fusion.json`` when one was saved (equal weights otherwise).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import librosa
import numpy as np
import pandas as pd

from emotion_classifier.datasets import clean_transcript, read_bio_file, read_transcript
from emotion_classifier.errors import AudioError, InputError
from emotion_classifier.features import PrepareConfig
from emotion_classifier.features.audio import wav_features
from emotion_classifier.features.bio import PREFIXES, signal_features
from emotion_classifier.features.tokenizers import resolve_stopwords, tokenize
from emotion_classifier.fusion.late import WEIGHTS_FILE, weighted_average
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.estimators import MODALITIES, ModalityModel, Prediction, load_model
from emotion_classifier.training.metrics import PROBA_COLUMNS, TARGETS
from emotion_classifier.training.train import H5_NAMES

FUSION_FILE = "fusion.json"
BIO_SIGNALS: dict[str, str] = {"eda": "EDA", "temp": "TEMP", "ibi": "IBI", "ecg": "ECG"}
"""Keyword (and CSV column) of each bio file -> the signal the bio reader reads from it."""
INPUT_COLUMNS: tuple[str, ...] = ("wav", "text", "txt", *BIO_SIGNALS, "segment_id")
WHOLE_RECORDING = "(whole recording)"


@dataclass
class Recording:
    """One recording to classify: any of its files, or the transcript itself as ``text``.

    ``segment_id`` picks the segment in bio files that tag samples with segment ids (the corpus
    layout); it defaults to the wav's (else the txt's) file name, which is the segment id there.
    """

    wav: str | None = None
    text: str | None = None
    txt: str | None = None
    eda: str | None = None
    temp: str | None = None
    ibi: str | None = None
    ecg: str | None = None
    segment_id: str | None = None

    def __post_init__(self):
        if self.text is not None and self.txt is not None:
            raise InputError("give the transcript as text or as a txt file, not both", self.txt)

    @property
    def name(self) -> str:
        if self.segment_id:
            return self.segment_id
        return next((Path(p).stem for p in (self.wav, self.txt) if p), "")

    def bio_files(self) -> dict[str, str]:
        return {signal: getattr(self, key) for key, signal in BIO_SIGNALS.items() if getattr(self, key)}


def _model_files(folder: Path, modality: str) -> str | None:
    """The stem a modality's model is saved under in ``folder`` (``M`` or the legacy h5 name)."""
    for stem in (modality, H5_NAMES[modality]):
        if (folder / f"{stem}.json").is_file():
            return stem
    return None


def read_fusion_weights(folder: str | Path, modalities: tuple[str, ...]) -> dict[str, float]:
    """Soft-vote weights from ``fusion.json`` (``{"weights": {modality: w}}``), equal when absent.

    A modality the file does not name gets weight 0; weights are renormalised per recording over
    the modalities it has, so they need not sum to one.
    """
    path = Path(folder) / FUSION_FILE
    if not path.is_file():
        return dict.fromkeys(modalities, 1.0 / len(modalities))
    try:
        weights = json.loads(path.read_text(encoding="utf-8"))["weights"]
        values = {m: float(weights.get(m, 0.0)) for m in modalities}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f'expected {{"weights": {{modality: number}}}} ({exc})', path) from None
    if any(v < 0 for v in values.values()) or not any(v > 0 for v in values.values()):
        raise InputError(f"weights must be >= 0 and one of {list(modalities)} positive, got {values}", path)
    return values


def save_fusion_weights(folder: str | Path, weights: Mapping[str, float], method: str = "soft_vote") -> Path:
    """Write ``fusion.json`` next to the models (e.g. the weights a weighted vote chose)."""
    path = Path(folder) / FUSION_FILE
    record = {"method": method, "weights": {m: float(w) for m, w in weights.items()}}
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return path


def fold_mean_weights(method_dir: str | Path) -> dict[str, float]:
    """The fold mean of a vote's modality weights (``runs/NAME/fusion/weighted_vote/weights.json``).

    Each fold chose its weights on its own validation sessions; for new recordings no fold is
    privileged, so their mean is what `save_fusion_weights` should keep.
    """
    path = Path(method_dir) / WEIGHTS_FILE
    if not path.is_file():
        raise InputError("fusion weights not found (run the late fusion first)", path)
    folds = json.loads(path.read_text(encoding="utf-8")).get("folds", [])
    if not folds or any("weights" not in fold for fold in folds):
        raise InputError("no per-fold modality weights in this file (a stacker has none)", path)
    return pd.DataFrame([fold["weights"] for fold in folds]).fillna(0.0).mean().to_dict()


def _prepare_config(model: ModalityModel, where: Path) -> PrepareConfig:
    """The preprocessing settings the model was trained with (its sidecar's copy of the manifest)."""
    settings = model.preprocessing_
    known = {f.name for f in fields(PrepareConfig)}
    if not settings:
        warnings.warn(f"{where}: the sidecar records no preprocessing settings; using the defaults", stacklevel=3)
    return PrepareConfig(**{k: v for k, v in settings.items() if k in known})


def transcript_of(recording: Recording) -> str:
    """The cleaned transcript ('' when none was given)."""
    if recording.txt:
        path = Path(recording.txt)
        if not path.is_file():
            raise InputError("transcript file not found", path)
        return clean_transcript(read_transcript(path))
    return clean_transcript(recording.text or "")


def wav_frames(path: str | Path, config: PrepareConfig) -> np.ndarray:
    """The wav's feature frames; a conversion to the training rate or to mono is warned about."""
    path = Path(path)
    if not path.is_file():
        raise AudioError("wav file not found", path)
    try:
        frames, _, conversions = wav_features(path, config.audio_settings())
    except librosa.util.exceptions.ParameterError as exc:
        raise AudioError(f"cannot compute audio features ({exc})", path) from None
    for conversion in conversions:
        warnings.warn(f"{path}: {conversion} (the models were trained on {config.sample_rate} Hz mono)",
                      stacklevel=2)  # fmt: skip
    return frames


def bio_feature_rows(files: Mapping[str, str], segment_ids: Sequence[str], names: Sequence[str]) -> tuple:
    """Rows of the bio model's features (NaN where not computable) for segments of one set of files,
    and per segment why it is unusable ('' if usable).

    A file whose samples carry segment ids (the corpus layout) gives each segment its own samples; a
    plain export without ids is taken as one recording of the utterance. Either way the person's
    normalisation (and the skin-conductance responses) use the whole file, as `prepare` does; each
    file is read and summarised once for all the segments asked.
    """
    n = len(segment_ids)
    if not files:
        return np.full((n, len(names)), np.nan), ["no bio file given"] * n
    columns, counts = {}, np.zeros(n)
    for signal, path in files.items():
        recording = _read_bio(path, signal)
        if not recording.signal_column_found:
            continue
        samples, wanted = recording.samples, list(segment_ids)
        if not samples["segment_id"].ne("").any():
            samples, wanted = samples.assign(segment_id=WHOLE_RECORDING), [WHOLE_RECORDING] * n
        table, _ = signal_features([samples], signal, list(dict.fromkeys(wanted)), recording.sampling_rate)
        table = table.loc[wanted]
        columns.update({name: table[name].to_numpy(dtype=float) for name in table.columns})
        counts += table[f"{PREFIXES[signal]}_n"].fillna(0).to_numpy()
    rows = np.column_stack([columns.get(name, np.full(n, np.nan)) for name in names]) if names else np.empty((n, 0))
    reasons = [f"no samples of segment {sid!r} in the bio files" for sid in segment_ids]
    return rows, ["" if c > 0 else reason for c, reason in zip(counts, reasons, strict=True)]


def _read_bio(path: str, signal: str):
    if not Path(path).is_file():
        raise InputError(f"{signal} file not found", path)
    try:
        return read_bio_file(path, signal)
    except ValueError as exc:
        raise InputError(str(exc).removeprefix(f"{path}: "), path) from None


class EmotionClassifier:
    """The final modality models of a folder, combined by soft voting, for recordings outside any corpus."""

    def __init__(self, models: Mapping[str, ModalityModel], weights: Mapping[str, float] | None = None,
                 folder: str | Path = "."):  # fmt: skip
        if not models:
            raise InputError(f"no models (expected some of {', '.join(MODALITIES)})", folder)
        self.models = dict(models)
        self.folder = Path(folder)
        names = tuple(self.models)
        self.weights = dict(weights) if weights else dict.fromkeys(names, 1.0 / len(names))
        self.configs = {m: _prepare_config(model, self.folder / m) for m, model in self.models.items()}

    @classmethod
    def load(cls, models_dir: str | Path) -> EmotionClassifier:
        """Every modality model in ``models_dir`` (``M.keras`` + ``M.json``, or the legacy h5 names)
        and ``fusion.json`` when present."""
        folder = Path(models_dir)
        if not folder.is_dir():
            raise InputError("models folder not found", folder)
        stems = {m: _model_files(folder, m) for m in MODALITIES}
        models = {m: load_model(folder, stem) for m, stem in stems.items() if stem}
        if not models:
            wanted = ", ".join(f"{m}.keras + {m}.json" for m in MODALITIES)
            raise InputError(f"no models in this folder (expected some of {wanted})", folder)
        return cls(models, read_fusion_weights(folder, tuple(models)), folder)

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(self.models)

    # -- turning files into model inputs -------------------------------------------------------
    def _text_input(self, recording: Recording):
        text = transcript_of(recording)
        if not text:
            return None, "no transcript given" if not (recording.txt or recording.text) else "empty transcript"
        model, config = self.models["text"], self.configs["text"]
        if model.config.text_encoder == "sentence":
            return text, ""
        tokens = tokenize([text], config.tokenizer, resolve_stopwords(config.stopwords))[0]
        return (tokens, "") if tokens else (None, "no tokens left after cleaning")

    def _speech_input(self, recording: Recording):
        if not recording.wav:
            return None, "no wav given"
        frames = wav_frames(recording.wav, self.configs["speech"])
        return (frames, "") if len(frames) else (None, "wav too short for one frame")

    def _bio_inputs(self, recordings: Sequence[Recording]) -> dict[int, tuple]:
        """(row or None, reason) of each recording, or its error; recordings sharing files share one read."""
        groups: dict[tuple, list[int]] = {}
        for i, recording in enumerate(recordings):
            groups.setdefault(tuple(sorted(recording.bio_files().items())), []).append(i)
        found = {}
        for files, members in groups.items():
            try:
                rows, reasons = bio_feature_rows(dict(files), [recordings[i].name for i in members],
                                                 self.models["bio"].feature_names_)  # fmt: skip
            except InputError as exc:
                found.update(dict.fromkeys(members, exc))
                continue
            found.update({i: (None if r else row, r) for i, row, r in zip(members, rows, reasons, strict=True)})
        return found

    def model_inputs(self, recordings: Sequence[Recording]) -> tuple[list[dict], list[dict], list]:
        """Per recording: each usable modality's raw model input, why each other modality is not used,
        and the `InputError` that stopped it (None when there was none)."""
        readers = {"text": self._text_input, "speech": self._speech_input}
        bio = self._bio_inputs(recordings) if "bio" in self.models else {}
        inputs, skipped, errors = [], [], []
        for i, recording in enumerate(recordings):
            given, missing, error = {}, {}, None
            for modality in self.models:
                outcome = bio[i] if modality == "bio" else _attempt(readers[modality], recording)
                if isinstance(outcome, InputError):
                    error = outcome
                    break
                value, reason = outcome
                if value is None:
                    missing[modality] = reason
                else:
                    given[modality] = value
            inputs.append({} if error else given)
            skipped.append({} if error else missing)
            errors.append(error)
        return inputs, skipped, errors

    # -- prediction ----------------------------------------------------------------------------
    def _predict_inputs(self, inputs: list[dict]) -> dict[str, np.ndarray]:
        """Per-modality and fused probabilities/ratings for many recordings' model inputs."""
        n, names = len(inputs), self.modalities
        proba = np.full((n, len(names), len(EMOTIONS)), np.nan)
        ratings = {t: np.full((n, len(names)), np.nan) for t in TARGETS}
        for j, modality in enumerate(names):
            rows = [i for i, given in enumerate(inputs) if modality in given]
            if not rows:
                continue
            part = self.models[modality].predict_raw([inputs[i][modality] for i in rows])
            proba[rows, j] = part.proba
            for target in TARGETS:
                ratings[target][rows, j] = getattr(part, target)
        weights = np.array([self.weights.get(m, 0.0) for m in names])
        fused = {"proba": weighted_average(proba, weights), "per_modality": proba, **ratings}
        fused.update({f"fused_{t}": weighted_average(ratings[t], weights) for t in TARGETS})
        return fused

    def predict(self, wav=None, text=None, txt=None, eda=None, temp=None, ibi=None, ecg=None,
                segment_id=None) -> dict:  # fmt: skip
        """Emotion, the 7 probabilities (EMOTIONS order), valence, arousal and the modalities used.

        Raises `InputError` (naming the file) for a missing or undecodable input, and when no
        modality of the loaded models can be used.
        """
        recording = Recording(wav, text, txt, eda, temp, ibi, ecg, segment_id)
        [inputs], [skipped], [error] = self.model_inputs([recording])
        if error is not None:
            raise error
        if not inputs:
            reasons = "; ".join(f"{m}: {r}" for m, r in skipped.items())
            raise InputError(f"no usable input for the loaded models ({reasons})", recording.wav or recording.txt)
        out = self._predict_inputs([inputs])
        per_modality = {
            m: _result(out["per_modality"][0, j], out["valence"][0, j], out["arousal"][0, j])
            for j, m in enumerate(self.modalities) if m in inputs
        }  # fmt: skip
        return {
            **_result(out["proba"][0], out["fused_valence"][0], out["fused_arousal"][0]),
            "modalities": [m for m in self.modalities if m in inputs],
            "skipped": skipped,
            "per_modality": per_modality,
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
            elif not inputs_i:
                errors[i] = f"no usable input: {skipped[i]}"
        out = self._predict_inputs(model_inputs)
        result = table.copy()
        result["emotion"] = Prediction(out["proba"], out["fused_valence"], out["fused_arousal"]).labels()
        for j, column in enumerate(PROBA_COLUMNS):
            result[column] = out["proba"][:, j]
        for target in TARGETS:
            result[target] = out[f"fused_{target}"]
        result["modalities"] = ["+".join(m for m in self.modalities if m in given) for given in model_inputs]
        result["skipped"] = skipped
        result["error"] = errors
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
