"""Estimators over a frozen encoder's layer vectors (`features/encoder_stage.py`): the speech and the
text encoder modalities. Folds, balancing, saving and prediction are `ModalityModel`'s; what is theirs
is which encoder's vectors they read (``train.encoders``, or the only one prepared), a per-fold scaler of
every layer's vector, and the layer-weighted head. The sidecar's ``encoder`` record names the encoder id
and revision, which prediction insists on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import keras
import numpy as np

from emotion_classifier.errors import InputError
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.encoder_stage import EncoderSpec, EncoderVectors, encoder_label
from emotion_classifier.models import build_layer_weighted_mlp
from emotion_classifier.training.encoders import FeatureEncoder, FeatureScaler
from emotion_classifier.training.estimators import ModalityInputs, ModalityModel, _availability, inputs_from_artifacts


class LayerVectorEncoder(FeatureEncoder):
    """(layers, 2, hidden) vectors -> flat, standardised float32 rows (statistics of the training rows).

    ``entry`` is the encoder the vectors came from (id, revision, shape, statistics, settings): kept in
    the sidecar so a model is never fed another encoder's vectors.
    """

    kind = "layer_vectors"

    def __init__(self, entry: dict | None = None):
        super().__init__()
        self.scaler = FeatureScaler(impute=False)
        self.entry = dict(entry or {})

    def fit(self, rows: Sequence) -> LayerVectorEncoder:
        return super().fit(_flat(rows))

    def transform(self, rows: Sequence) -> np.ndarray:
        return super().transform(_flat(rows))

    def to_dict(self) -> dict:
        return {**super().to_dict(), "encoder": self.entry}

    @classmethod
    def from_dict(cls, data: dict) -> LayerVectorEncoder:
        encoder = cls(data["encoder"])
        encoder.scaler = FeatureScaler.from_dict(data["scaler"])
        return encoder


def _flat(rows: Sequence) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows.reshape(len(rows), -1)


class PretrainedEncoderModel(ModalityModel):
    """An MLP with a learnt layer weighting over one prepared encoder's vectors."""

    export_refusal: ClassVar[str] = ("reads a pretrained encoder's features, which need the PyTorch encoder at "
                                     "prediction: export does not cover it")

    stage: ClassVar[str] = ""

    @classmethod
    def artifact_inputs(cls, artifacts) -> ModalityInputs:
        vectors = artifacts.stages.get(cls.stage)
        if vectors is None:
            option = f"--{cls.stage.split('_')[0]}-encoder ID"
            raise InputError(f"no {cls.stage} vectors in these artifacts (prepare them with `{option}`)",
                             artifacts.folder)
        available = _availability(artifacts.table, f"has_{cls.stage}", vectors)
        return inputs_from_artifacts(artifacts, cls.modality, vectors, available)

    def _entry(self, vectors: EncoderVectors) -> dict:
        """The encoder whose vectors this model reads: the one it was fitted on, else the chosen one."""
        fitted = getattr(getattr(self, "encoder_", None), "entry", None)
        if not fitted:
            return vectors.choose(self.config.encoders, self.modality)
        entry = vectors.encoders.get(fitted["id"])
        if entry is None or entry["revision"] != fitted["revision"]:
            raise InputError(f"{self.modality}: the model was fitted on encoder {encoder_label(fitted)}, which these "
                             "artifacts do not hold; prepare it again with that encoder")  # fmt: skip
        return entry

    def _raw(self, inputs: ModalityInputs, rows: np.ndarray) -> np.ndarray:
        self.chosen_ = self._entry(inputs.x)
        return inputs.x.vectors(self.chosen_)[np.asarray(rows, dtype=int)]

    def _make_encoder(self) -> LayerVectorEncoder:
        return LayerVectorEncoder(self.chosen_)

    def _build_network(self, input_shape: tuple[int, ...]) -> keras.Model:
        cfg = self.config
        n_layers, n_statistics, hidden = self.encoder_.entry["shape"]
        return build_layer_weighted_mlp(n_layers, n_statistics * hidden, cfg.hidden_units, cfg.dropout,
                                        cfg.regression_heads, name=f"{self.modality}_layer_weighted_mlp")  # fmt: skip

    def input_spec(self, preprocessing: PrepareConfig, feature_names: Sequence[str]) -> EncoderSpec:
        entry = self.encoder_.entry
        return EncoderSpec(self.modality, encoder=entry["id"], revision=entry["revision"],
                           settings=tuple(sorted(entry["settings"].items())))  # fmt: skip

    @classmethod
    def _encoder_from_dict(cls, data: dict) -> LayerVectorEncoder:
        return LayerVectorEncoder.from_dict(data)


class SpeechSSLModel(PretrainedEncoderModel):
    """A frozen self-supervised speech encoder (wav2vec2, XLS-R, HuBERT, WavLM, ...) + a Keras head."""

    modality = "speech_ssl"
    stage = "speech_ssl"


class TextPLMModel(PretrainedEncoderModel):
    """A frozen pretrained text encoder (BERT, RoBERTa, ELECTRA) + a Keras head."""

    modality = "text_plm"
    stage = "text_plm"

