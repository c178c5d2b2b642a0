"""The classifier of new recordings: ``EmotionClassifier.load(dir).predict(...)``.

It loads the final models of a folder and combines them as ``fusion.json`` says
(`fusion.prediction_choice`): a registered joint network (the early-fusion model) fed every part at
once, or the weighted average of the single models' outputs (equal weights when the file is absent).
Each model's inputs are read from the recording as `prepare` read its training rows
(`model_inputs`); tables of recordings and printed results are `predict_io`'s.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier import registry
from emotion_classifier.bundles.resolve import resolve_folder
from emotion_classifier.errors import InputError
from emotion_classifier.fusion.early import FusionRow
from emotion_classifier.fusion.late import weighted_average
from emotion_classifier.fusion.prediction_choice import (
    FUSION_FILE,
    equal_weights,
    prediction_methods,
    read_fusion_choice,
)
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.model_inputs import Recording, attempt, input_specs, read_inputs
from emotion_classifier.predict_io import INPUT_COLUMNS, cell_value, recordings_table
from emotion_classifier.training.estimators import ModalityModel, Prediction, load_model
from emotion_classifier.training.metrics import PROBA_COLUMNS, TARGETS


def single_modalities() -> tuple[str, ...]:
    """The registered single modalities, in registry order (what a models folder may hold)."""
    return registry.modality_names(joint=False)


def model_stem(folder: Path, modality: str, networks: tuple[str, ...] = ()) -> str | None:
    """The stem a modality's model is saved under in ``folder`` (``M`` or the legacy h5 name): the one
    whose sidecar ``STEM.json`` is there and, when ``networks`` names suffixes, a network file of one of
    them too (`export` wants the Keras file, not an exported one)."""
    for stem in (modality, registry.h5_name(modality)):
        if (folder / f"{stem}.json").is_file() and (
            not networks or any((folder / f"{stem}{suffix}").is_file() for suffix in networks)
        ):
            return stem
    return None


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
            raise InputError(f"no models (expected some of {', '.join(registry.modality_names())})", folder)
        self.early_fusion = early_fusion
        self.joint = early_fusion.modality if early_fusion is not None else None
        """The registered name of the joint network that decides (None: a vote of the single models)."""
        self.method = method or self.joint or "soft_vote"
        if self.method not in prediction_methods() or (self.method == self.joint) != (early_fusion is not None):
            raise ValueError(f"method must be one of {prediction_methods()}, a joint network with its model only; "
                             f"got {self.method!r}")  # fmt: skip
        names = tuple(self.models)
        self.weights = dict(weights) if weights else equal_weights(names)
        readers = {**self.models, **({self.joint: early_fusion} if early_fusion is not None else {})}
        self.specs = {name: input_specs(model, self.folder / name) for name, model in readers.items()}

    @classmethod
    def load(cls, models_dir: str | Path) -> EmotionClassifier:
        """Every single-modality model in ``models_dir`` (``M.keras`` + ``M.json``, or the legacy h5
        names), ``fusion.json`` when present, and the early-fusion model when that file chooses it.

        A choice of ``early_fusion`` without its model falls back, with a warning, to the late
        method the file also records. ``models_dir`` may also be a models bundle (``.zip`` or
        ``https://`` link, `bundles.resolve_folder`), unpacked once into the cache.
        """
        folder = resolve_folder(models_dir, "models")
        if not folder.is_dir():
            raise InputError("models folder not found", folder)
        stems = {m: model_stem(folder, m) for m in single_modalities()}
        models = {m: load_model(folder, stem) for m, stem in stems.items() if stem}
        choice = read_fusion_choice(folder, tuple(models))
        early, method = None, choice.method
        if method in registry.modality_names(joint=True):
            stem = model_stem(folder, method)
            early = load_model(folder, stem) if stem else None
            if early is None:
                warnings.warn(f"{folder / FUSION_FILE}: chooses early_fusion, but the folder holds no early-fusion "
                              f"model; using {choice.late_method}", stacklevel=2)  # fmt: skip
                method = choice.late_method
        if not models and early is None:
            wanted = ", ".join(f"{m}.keras + {m}.json" for m in single_modalities())
            raise InputError(f"no models in this folder (expected some of {wanted})", folder)
        return cls(models, choice.weights, folder, early_fusion=early, method=method)

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities the deciding model(s) read."""
        names = self.specs[self.joint] if self.early_fusion is not None else self.models
        return tuple(m for m in single_modalities() if m in names)

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
            skipped.append({m: missing[m] for m in single_modalities() if m in missing})
        return inputs, skipped, errors

    def _used(self, given: Mapping[str, dict]) -> list[str]:
        """The modalities the deciding model(s) got for one recording."""
        if self.early_fusion is not None:
            return [m for m in single_modalities() if m in given.get(self.joint, {})]
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
        rows = [i for i, given in enumerate(inputs) if given.get(self.joint)]
        if rows:
            part = self.early_fusion.predict_raw([FusionRow(inputs[i][self.joint]) for i in rows])
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
        recordings = [attempt(Recording, **{k: cell_value(v) for k, v in row.items()}) for row in values]
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


    def predict_chunks(self, inputs: pd.DataFrame | str | Path, size: int = 64) -> Iterator[pd.DataFrame]:
        """`predict_many` over ``size`` rows at a time, each chunk yielded as soon as it is predicted.

        A caller that writes each chunk when it arrives keeps the rows already predicted when a later
        chunk fails or the run is interrupted (``emotion predict --input`` does).
        """
        if size < 1:
            raise ValueError(f"chunk size must be >= 1, got {size}")
        table = recordings_table(inputs)
        for start in range(0, len(table), size):
            yield self.predict_many(table.iloc[start : start + size])


def _result(proba: np.ndarray, valence: float, arousal: float) -> dict:
    return {
        "emotion": EMOTIONS[int(np.argmax(proba))],
        "probabilities": dict(zip(EMOTIONS, (float(p) for p in proba), strict=True)),
        "valence": float(valence),
        "arousal": float(arousal),
    }
