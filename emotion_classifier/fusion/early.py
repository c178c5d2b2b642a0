"""Early fusion: one network over several modalities together, trained and scored like a modality.

`EarlyFusionModel` has exactly the interface of the per-modality estimators (``fit`` on a fold's
training rows with every encoder fitted there, ``predict``, ``save``/``load``, ``history_``), so
``train_modality(..., modality="early_fusion")`` scores it on the same session folds and fusion and
the report read its ``oof_predictions.csv`` like any other run.

The parts are ``TrainConfig.early_fusion_parts`` (default text, speech and bio; e.g. ``text_plm``,
``speech_ssl`` and ``bio`` for the frozen pretrained encoders), recorded in the model's sidecar with
the rest of its settings, so prediction reads the parts it was trained on. Each part (modality) keeps
the encoder and network trunk its own estimator would use, chosen by the same `TrainConfig` settings
(``text_encoder``, ``speech_model``, ``encoders``), so early fusion differs from the single modalities
only in being trained jointly. A row lacking a part gets zeros and a 0 presence
flag, never dropped. With ``context_window`` k > 0 the text and speech of the k preceding segments of
the same dialogue (ordered by ``start``, then ``numb``) are encoded too, as MATE's sliding window did;
the window never looks ahead, nor into another dialogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from emotion_classifier import registry
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.inputs import InputSpec
from emotion_classifier.training.balance import balance_training_set
from emotion_classifier.training.estimators import (
    ModalityInputs,
    ModalityModel,
    TrainConfig,
    estimator_class,
    label_ids,
    make_model,
    modality_inputs,
)

if TYPE_CHECKING:
    import keras

EARLY_FUSION = "early_fusion"
"""This network's name in the registry (``registry.py`` declares its default parts: text, speech, bio)."""
DIALOGUE_KEYS: tuple[str, ...] = ("dialogue", "view")
ORDER_KEYS: tuple[str, ...] = ("start", "numb")


@dataclass
class FusionRow:
    """One segment as early fusion reads it: the raw input of each part it has (a missing part is
    absent from ``parts``) and the ``parts`` of its preceding segments, oldest first."""

    parts: dict[str, object]
    context: list[dict[str, object]] = field(default_factory=list)


@dataclass
class MultimodalRows:
    """The ``x`` of early-fusion `ModalityInputs`: every part's own inputs, row-aligned."""

    parts: dict[str, ModalityInputs]

    def __len__(self) -> int:
        return len(next(iter(self.parts.values())).table)


def parts_of(name: str = EARLY_FUSION, config: TrainConfig | None = None) -> tuple[str, ...]:
    """The single modalities a registered joint network reads with ``config`` (None: its default parts),
    each with its own encoder and trunk."""
    return registry.joint_parts(name, config)


def early_fusion_inputs(artifacts, name: str = EARLY_FUSION, config: TrainConfig | None = None) -> ModalityInputs:
    """All parts of a loaded artifacts folder as one `ModalityInputs`; a row is available when it
    has at least one part (labels and ratings are the table's, shared by every part)."""
    parts = {part: modality_inputs(artifacts, part, config) for part in parts_of(name, config)}
    first = next(iter(parts.values()))
    return ModalityInputs(
        table=first.table,
        x=MultimodalRows(parts),
        available=np.column_stack([p.available for p in parts.values()]).any(axis=1),
        y=first.y,
        valence=first.valence,
        arousal=first.arousal,
        modality=name,
        feature_names=[f"{part}:{name}" for part, p in parts.items() for name in p.feature_names],
        preprocessing=first.preprocessing,
    )


def context_positions(table: pd.DataFrame, window: int) -> np.ndarray:
    """(rows, window) positions of each row's preceding segments in its dialogue, oldest first.

    -1 pads where the dialogue has fewer preceding segments. Segments are ordered by ``start``,
    then ``numb``, then table position (a stable sort), within the same dialogue and view.
    """
    if window < 0:
        raise ValueError(f"context window must be >= 0, got {window}")
    n = len(table)
    if window == 0 or n == 0:
        return np.full((n, window), -1, dtype=int)
    keys = [k for k in DIALOGUE_KEYS if k in table]
    frame = table[keys + list(ORDER_KEYS)].reset_index(drop=True).assign(position=np.arange(n))
    frame = frame.sort_values(keys + list(ORDER_KEYS), kind="stable", na_position="last")
    groups = frame.groupby(keys, sort=False, dropna=False)["position"]
    columns = [groups.shift(lag).fillna(-1).astype(int) for lag in range(window, 0, -1)]
    previous = pd.concat(columns, axis=1).set_axis(frame["position"].to_numpy())
    return previous.sort_index().to_numpy(dtype=int)


class FusionEncoder:
    """Every part's own input encoder, fitted on the training rows that have the part, plus slots.

    ``transform`` returns the network's inputs: ``part`` (rows, slots, *row shape) with the current
    segment in the last slot and the preceding ones before it (context parts only), zero where the
    part is absent, and ``part_present`` (rows, slots, 1).
    """

    kind = EARLY_FUSION
    sequence = True  # rows are balanced by index only: SMOTE cannot interpolate a dialogue window

    def __init__(self, encoders: dict, context_window: int = 0, context_parts: Sequence[str] = ()):
        self.encoders = dict(encoders)
        self.context_window = int(context_window)
        self.context_parts = tuple(context_parts)
        self.row_shapes_: dict[str, tuple[int, ...]] | None = None
        self.dtypes_: dict[str, str] | None = None

    def slots(self, part: str) -> int:
        return self.context_window + 1 if part in self.context_parts else 1

    def fit(self, rows: Sequence[FusionRow]) -> FusionEncoder:
        """Fit each part's encoder on the current segments that have it; parts no row has are dropped."""
        fitted, shapes, dtypes = {}, {}, {}
        for part, encoder in self.encoders.items():
            values = [row.parts[part] for row in rows if part in row.parts]
            if not values:
                continue
            example = encoder.fit(values).transform(values[:1])
            fitted[part], shapes[part], dtypes[part] = encoder, tuple(example.shape[1:]), str(example.dtype)
        if not fitted:
            raise ValueError("no training row has any of the parts " + ", ".join(self.encoders))
        self.encoders, self.row_shapes_, self.dtypes_ = fitted, shapes, dtypes
        return self

    def _cells(self, rows: Sequence[FusionRow], part: str) -> list:
        """The part's raw input in every (row, slot), row-major; None where absent or padding."""
        slots = self.slots(part)
        cells = []
        for row in rows:
            history = list(row.context)[len(row.context) - (slots - 1) :] if slots > 1 else []
            window = [None] * (slots - 1 - len(history)) + history + [row.parts]
            cells.extend(None if parts is None else parts.get(part) for parts in window)
        return cells

    def transform(self, rows: Sequence[FusionRow]) -> dict[str, np.ndarray]:
        if self.row_shapes_ is None:
            raise RuntimeError("FusionEncoder is not fitted: call fit() on the training rows first")
        out = {}
        for part, encoder in self.encoders.items():
            cells = self._cells(rows, part)
            present = np.array([c is not None for c in cells], dtype=bool)
            encoded = np.zeros((len(cells), *self.row_shapes_[part]), dtype=self.dtypes_[part])
            if present.any():
                encoded[present] = encoder.transform([c for c in cells if c is not None])
            slots = self.slots(part)
            out[part] = encoded.reshape(len(rows), slots, *self.row_shapes_[part])
            out[f"{part}_present"] = present.reshape(len(rows), slots, 1).astype("float32")
        return out

    def to_dict(self) -> dict:
        if self.row_shapes_ is None:
            raise RuntimeError("FusionEncoder is not fitted: call fit() on the training rows first")
        return {
            "kind": self.kind,
            "context_window": self.context_window,
            "context_parts": list(self.context_parts),
            "parts": {part: encoder.to_dict() for part, encoder in self.encoders.items()},
            "row_shapes": {part: list(shape) for part, shape in self.row_shapes_.items()},
            "dtypes": dict(self.dtypes_),
        }

    @classmethod
    def from_dict(cls, data: dict) -> FusionEncoder:
        """Each part's encoder rebuilt by its own estimator (a pretrained-encoder part's is its own kind)."""
        encoders = {part: estimator_class(part)._encoder_from_dict(d) for part, d in data["parts"].items()}
        encoder = cls(encoders, data["context_window"], data["context_parts"])
        encoder.row_shapes_ = {part: tuple(shape) for part, shape in data["row_shapes"].items()}
        encoder.dtypes_ = dict(data["dtypes"])
        return encoder


class EarlyFusionModel(ModalityModel):
    """Joint network over ``config.early_fusion_parts`` with MATE's multitask heads and optional dialogue context.

    ``config.context_window`` (default 0) is the number of preceding segments read. Balancing modes
    are those that work on rows (``class_weight``, ``oversample``, ``cb_loss``, ``none``).
    """

    modality = EARLY_FUSION

    def __init__(self, config: TrainConfig | None = None):
        super().__init__(config)
        self._part_models = {part: make_model(part, self.config) for part in self.parts}

    @property
    def parts(self) -> tuple[str, ...]:
        """The single modalities this network reads, as its settings choose them."""
        return parts_of(self.modality, self.config)

    @classmethod
    def artifact_inputs(cls, artifacts) -> ModalityInputs:
        """The registered default parts' rows (`inputs_of` reads the parts the settings choose)."""
        return early_fusion_inputs(artifacts, cls.modality)

    def inputs_of(self, artifacts) -> ModalityInputs:
        return early_fusion_inputs(artifacts, self.modality, self.config)

    def input_specs(self, preprocessing: PrepareConfig) -> dict[str, InputSpec]:
        """Each part's spec as its own estimator makes it; feature names are ``part:name`` here, as
        `early_fusion_inputs` writes them."""
        return {
            part: self._part(part).input_spec(
                preprocessing, [n.removeprefix(f"{part}:") for n in self.feature_names_ if n.startswith(f"{part}:")])
            for part in self.encoder_.encoders
        }

    def _part(self, part: str) -> ModalityModel:
        """The part's own estimator, holding the part's fitted encoder once this network has one: its
        network builder and its prediction spec read it (a text vocabulary, a pretrained encoder's id)."""
        model, fitted = self._part_models[part], getattr(self, "encoder_", None)
        if fitted is not None and part in fitted.encoders:
            model.encoder_ = fitted.encoders[part]
        return model

    @property
    def context_window(self) -> int:
        return int(self.config.context_window)

    def _make_encoder(self) -> FusionEncoder:
        encoders = {part: model._make_encoder() for part, model in self._part_models.items()}
        context = [part for part, model in self._part_models.items() if model.dialogue_context]
        return FusionEncoder(encoders, self.context_window, context)

    def _raw(self, inputs: ModalityInputs, rows: np.ndarray) -> list[FusionRow]:
        rows = np.asarray(rows, dtype=int)
        previous = context_positions(inputs.table, self.context_window)[rows]
        needed = np.union1d(rows, previous[previous >= 0]).astype(int)
        parts_of = {int(i): {} for i in needed}
        for part, part_inputs in inputs.x.parts.items():
            have = needed[part_inputs.available[needed]]
            raw = self._part(part)._raw(part_inputs, have)
            for i, value in zip(have, raw, strict=True):
                parts_of[int(i)][part] = value
        return [
            FusionRow(parts_of[int(i)], [parts_of[int(j)] for j in before if j >= 0])
            for i, before in zip(rows, previous, strict=True)
        ]

    def _build_network(self, input_shape: tuple[int, ...] = ()) -> keras.Model:
        from emotion_classifier.models.fusion import build_early_fusion, modality_trunk  # Keras: on first use

        cfg, encoder = self.config, self.encoder_
        trunks = {}
        for part in encoder.encoders:
            trunks[part] = modality_trunk(self._part(part)._build_network(encoder.row_shapes_[part]), f"{part}_trunk")
        return build_early_fusion(
            trunks, encoder.row_shapes_, encoder.context_window, encoder.context_parts, cfg.units,
            cfg.hidden_units, cfg.dropout, cfg.regression_heads,
        )  # fmt: skip

    def _training_set(self, inputs: ModalityInputs, train: np.ndarray) -> tuple:
        """Fit every part's encoder on the training rows, balance rows by index, pair them with targets."""
        cfg = self.config
        if cfg.balance == "smote":
            raise ValueError(
                "early fusion balances whole rows (class_weight, oversample, cb_loss, none): SMOTE cannot "
                "interpolate token ids, frames and dialogue windows"
            )
        raw = self._raw(inputs, train)
        self.encoder_ = self._make_encoder().fit(raw)
        positions = np.arange(train.size).reshape(-1, 1)
        balanced = balance_training_set(
            cfg.balance, positions, label_ids(inputs.y[train]), seed=cfg.seed, sequence=True, cb_beta=cfg.cb_beta
        )
        picked = balanced.source
        balanced.x = [raw[i] for i in picked]  # encoded per training step (training/batches.py)
        rows = train[picked]
        return balanced, *self._targets(balanced.y, inputs.valence[rows], inputs.arousal[rows], balanced.sample_weight)

    def _input_shape(self, x: dict) -> tuple[int, ...]:
        return ()  # several inputs: their shapes are the encoder's ``row_shapes_``

    @classmethod
    def _encoder_from_dict(cls, data: dict) -> FusionEncoder:
        return FusionEncoder.from_dict(data)
