"""Per-modality estimators (text, speech, bio) with a scikit-learn interface and leak-free fitting.

``fit(inputs, train_idx, val_idx)`` fits every data-dependent step (vocabulary, lengths, scalers,
resampling) on the labelled training rows that have the modality, and nothing else; validation
rows serve only early stopping. ``predict`` and ``predict_raw`` apply the stored encoders, and
``save``/``load`` keep the network (``.keras``, safe mode) and a JSON sidecar with everything
prediction needs. The training loop, the runs folder and the CLI live in ``training/train.py``.

Keras (and the network builders of ``emotion_classifier.models``) is imported on first use, by
fitting, saving or loading a ``.keras`` network: a model loaded from an exported folder (``.onnx`` or
``.tflite`` beside the same sidecar, `networks`) predicts with the same encoders and never imports it.
"""

from __future__ import annotations

import dataclasses
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from emotion_classifier import registry
from emotion_classifier.errors import InputError
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.inputs import InputSpec
from emotion_classifier.features.tokenizers import read_stopwords, resolve_stopwords, tokenizer_version
from emotion_classifier.files import read_json, write_json, write_text_atomic
from emotion_classifier.labels import EMOTION_OUTPUT, EMOTIONS, REGRESSION_OUTPUTS
from emotion_classifier.networks import exported_network
from emotion_classifier.training.balance import BALANCE_MODES, balance_training_set, class_counts
from emotion_classifier.training.batches import RowBatches
from emotion_classifier.training.encoders import (
    DEFAULT_SENTENCE_MODEL,
    FeatureEncoder,
    FrameEncoder,
    PooledFrameEncoder,
    SentenceEmbeddingEncoder,
    TokenEncoder,
    encoder_from_dict,
    pooled_statistic_names,
)

if TYPE_CHECKING:
    import keras

TEXT_ENCODERS: tuple[str, ...] = ("gru", "lstm", "sentence")
SPEECH_MODELS: tuple[str, ...] = ("crnn", "pooled")
SIDECAR_VERSION = 1
STOPWORDS_SUFFIX = ".stopwords.txt"
"""``NAME.stopwords.txt`` beside ``NAME.json``: the stop words the model's text rows were made without."""
SAVE_FORMATS: tuple[str, ...] = ("keras", "h5")
_CHOICES = {"balance": BALANCE_MODES, "text_encoder": TEXT_ENCODERS, "speech_model": SPEECH_MODELS}


def keras_models():
    """``emotion_classifier.models`` (the Keras builders, layers and losses), imported on first use.

    Importing it imports Keras and registers the custom layers safe-mode loading needs; only fitting,
    saving and loading a Keras network call this, so the exported-model predictor stays Keras-free."""
    import emotion_classifier.models

    return emotion_classifier.models


def _keras_version() -> str:
    import keras

    return keras.__version__


@dataclass
class TrainConfig:
    """Every training setting, written to ``config.json`` and to each saved model's sidecar.

    Defaults are small on purpose: all modalities of the demo corpus, five folds, must train in a
    few minutes on two CPU cores. ``emotion_weight`` is MATE's lambda: loss = lambda * emotion
    loss + (1 - lambda) * mean of the valence and arousal losses. ``context_window`` is read by
    the early-fusion network only: how many preceding segments of the dialogue it sees (0 = none).
    """

    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 0
    patience: int = 5
    balance: str = "class_weight"
    cb_beta: float = 0.99
    cb_gamma: float = 0.0
    regression_heads: bool = True
    emotion_weight: float = 0.66
    text_encoder: str = "gru"
    sentence_model: str = DEFAULT_SENTENCE_MODEL
    speech_model: str = "crnn"
    embedding_dim: int = 64
    units: int = 64
    filters: int = 64
    hidden_units: tuple[int, ...] = (64,)
    dropout: float = 0.2
    vocab_min_count: int = 2
    vocab_max_size: int = 20000
    max_tokens: int = 64
    max_frames: int = 500
    length_percentile: float = 95.0
    context_window: int = 0
    early_fusion_parts: tuple[str, ...] = registry.EARLY_FUSION_PARTS
    """The single modalities the early-fusion network reads, each with its own encoder and trunk (e.g.
    ``["text_plm", "speech_ssl", "bio"]``); at least two registered single modalities. Saved in the
    model's sidecar, so prediction reads the parts the network was trained on."""
    encoders: tuple[str, ...] = ()
    """Which prepared pretrained encoder each encoder model reads (ids as prepared; each model takes the
    one its stage holds); empty: the only one prepared (training/pretrained.py)."""
    mixed_precision: bool = False
    """Build the network in mixed float16/float32 (``mixed_float16``) where a GPU is visible, for its
    tensor cores; without a GPU it is ignored with a warning (float16 on a CPU is slower, not faster)."""
    verbose: bool = False

    def __post_init__(self):
        self.hidden_units = tuple(int(u) for u in self.hidden_units)
        self.encoders = (self.encoders,) if isinstance(self.encoders, str) else tuple(self.encoders)
        self.early_fusion_parts = tuple(self.early_fusion_parts)
        registry.check_parts(self.early_fusion_parts, "early_fusion_parts")
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 0:
            raise ValueError("epochs and batch_size must be >= 1 and patience >= 0")
        if self.context_window < 0:
            raise ValueError(f"context_window (preceding segments read) must be >= 0, got {self.context_window}")
        if not 0.0 < self.emotion_weight <= 1.0:
            raise ValueError(f"emotion_weight (lambda) must be in (0, 1], got {self.emotion_weight}")

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["hidden_units"] = list(self.hidden_units)
        data["encoders"] = list(self.encoders)
        data["early_fusion_parts"] = list(self.early_fusion_parts)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training settings {unknown} (known: {sorted(known)})")
        return cls(**data)


@dataclass
class ModalityInputs:
    """One modality's view of the artifacts, row-aligned with ``table`` (see docs/architecture.md).

    ``x`` holds the raw modality input per row (text: token lists; speech: (frames, n_features)
    arrays; bio: a 2-D float array), ``available`` whether the row has the modality, ``y`` the
    emotion ('' = unlabelled). ``modality`` and ``feature_names`` are additions to the contract.
    """

    table: pd.DataFrame
    x: list | np.ndarray
    available: np.ndarray
    y: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray
    modality: str = ""
    feature_names: list[str] = field(default_factory=list)
    preprocessing: dict = field(default_factory=dict)
    """The artifacts manifest's ``config`` (tokeniser, audio settings, ...): saved with the model so
    that prediction on new recordings repeats the preprocessing its training rows had."""

    def __post_init__(self):
        self.available = np.asarray(self.available, dtype=bool)
        self.y = np.asarray(self.y, dtype=object).astype(str)
        self.valence = np.asarray(self.valence, dtype=float)
        self.arousal = np.asarray(self.arousal, dtype=float)
        sizes = {
            name: len(getattr(self, name)) for name in ("table", "x", "available", "y", "valence", "arousal")
        }
        if len(set(sizes.values())) != 1:
            raise ValueError(f"modality inputs are not row-aligned: {sizes}")
        unknown = sorted(set(self.y) - set(EMOTIONS) - {""})
        if unknown:
            raise ValueError(f"unknown emotion labels {unknown} (expected {EMOTIONS} or '')")


def _as_bool(values) -> np.ndarray:
    """Flags read back from CSV may be bools or the strings 'True'/'False'."""
    series = pd.Series(values)
    if series.dtype == bool:
        return series.to_numpy()
    return series.astype(str).str.strip().str.lower().isin(["true", "1", "1.0"]).to_numpy()


def _availability(table: pd.DataFrame, column: str, x: Sequence) -> np.ndarray:
    """The artifacts' ``has_*`` flag, or (tables without it) whether the row's input is non-empty."""
    return _as_bool(table[column]) if column in table else np.array([len(v) > 0 for v in x])


def _aligned_bio(bio: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    bio = bio.reset_index(drop=True)
    ids, expected = bio["segment_id"].astype(str), table["segment_id"].astype(str)
    if len(ids) != len(expected) or not (ids.to_numpy() == expected.to_numpy()).all():
        raise ValueError("bio_features.csv is not row-aligned with segments.csv (segment_id order differs)")
    return bio


def inputs_from_artifacts(artifacts, modality: str, x, available: np.ndarray,
                          feature_names: Sequence[str] = ()) -> ModalityInputs:
    """A modality's `ModalityInputs`: its ``x`` and ``available`` with the table's labels and ratings.

    What every estimator's ``artifact_inputs`` shares; ``artifacts`` is what
    ``features.load_artifacts`` returns (or anything with its ``table`` and ``manifest``).
    """
    table = artifacts.table.reset_index(drop=True)
    return ModalityInputs(
        table=table,
        x=x,
        available=available,
        y=table["emotion"].fillna("").astype(str).to_numpy(),
        valence=pd.to_numeric(table["valence"], errors="coerce").to_numpy(dtype=float),
        arousal=pd.to_numeric(table["arousal"], errors="coerce").to_numpy(dtype=float),
        modality=modality,
        feature_names=[str(n) for n in feature_names],
        preprocessing=dict((getattr(artifacts, "manifest", None) or {}).get("config", {})),
    )


def estimator_class(modality: str) -> type[ModalityModel]:
    """The estimator class the registry declares for ``modality`` (a ValueError names the known ones)."""
    return registry.resolve(registry.modality(modality).estimator)


def modality_inputs(artifacts, modality: str, config: TrainConfig | None = None) -> ModalityInputs:
    """The `ModalityInputs` of one registered modality (or joint network) from a loaded artifacts folder;
    ``config`` decides what a joint network reads (its ``early_fusion_parts``; None: the defaults)."""
    return make_model(modality, config).inputs_of(artifacts)


@dataclass
class Prediction:
    """Predictions for requested rows: ``proba`` (n, 7) in EMOTIONS order, ``valence``/``arousal``
    on the 1-5 scale; NaN rows where the row lacks the modality (or the model lacks the heads)."""

    proba: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Prediction:
        return cls(np.full((n, len(EMOTIONS)), np.nan), np.full(n, np.nan), np.full(n, np.nan))

    def labels(self) -> np.ndarray:
        """Arg-max emotion per row, '' where there is no prediction."""
        known = np.isfinite(self.proba).all(axis=1)
        best = np.asarray(EMOTIONS, dtype=object)[np.nan_to_num(self.proba, nan=-1.0).argmax(axis=1)]
        return np.where(known, best, "").astype(str)


def scale_rating(values: np.ndarray) -> np.ndarray:
    """1-5 ratings to about [-1, 1], so the regression and softmax losses have similar sizes."""
    return (np.asarray(values, dtype=float) - 3.0) / 2.0


def unscale_rating(values: np.ndarray) -> np.ndarray:
    """Inverse of `scale_rating`."""
    return np.asarray(values, dtype=float) * 2.0 + 3.0


def label_ids(labels: np.ndarray) -> np.ndarray:
    """Class ids in EMOTIONS order: what the sparse emotion loss and the balancing modes take."""
    index = {e: i for i, e in enumerate(EMOTIONS)}
    return np.asarray([index[label] for label in labels], dtype="int32")


class ModalityModel:
    """Shared fit/predict/save logic; subclasses choose the input encoder and the network."""

    modality: ClassVar[str] = ""
    dialogue_context: ClassVar[bool] = False
    """Whether a joint network reads this modality from the preceding segments of the dialogue too
    (what was said and how; a partner's body is not recorded, so bio does not)."""
    predict_chunk_rows: ClassVar[int] = 64
    """`predict_raw` runs ``predict_on_batch`` on chunks of this many rows. ``Model.predict`` sets up a
    data pipeline and callbacks on every call (40-60 ms, most of the latency of one recording), and
    its graph, traced for an iterator, cannot reuse the one traced by ``predict_on_batch``: one
    function for every size keeps a batch after single recordings from tracing again. The outputs
    equal ``predict``'s (tests/test_predict.py)."""

    export_refusal: ClassVar[str] = ""
    """Why ``emotion export`` does not cover this model ('' when it does): an exported folder must predict
    with onnxruntime alone."""

    fixed_length_setting: ClassVar[str] = ""
    """The setting that makes this modality's rows fixed-length vectors ('' when none does or every
    setting does): what a refusal of SMOTE suggests instead."""

    def __init__(self, config: TrainConfig | None = None):
        self.config = config or TrainConfig()

    def fixed_length_inputs(self) -> bool:
        """Whether this configuration feeds the network one fixed-length vector per row, the only input
        SMOTE can interpolate (a padded token-id or frame sequence interpolated is neither)."""
        return False

    # -- what a modality defines --------------------------------------------------------------
    @classmethod
    def artifact_inputs(cls, artifacts) -> ModalityInputs:
        """This modality's rows of a loaded artifacts folder (`inputs_from_artifacts` does the shared part)."""
        raise NotImplementedError

    def inputs_of(self, artifacts) -> ModalityInputs:
        """The rows this model, with its settings, reads from a loaded artifacts folder (a joint network's
        settings choose its parts; a single modality's rows are `artifact_inputs`)."""
        return self.artifact_inputs(artifacts)

    def input_spec(self, preprocessing: PrepareConfig, feature_names: Sequence[str]) -> InputSpec:
        """How prediction reads this modality from a new recording, as ``preprocessing`` (the artifacts'
        settings) made the training rows; ``feature_names`` are the model's input columns in order."""
        return InputSpec(self.modality, feature_names=tuple(feature_names),
                         bio_normalisation=preprocessing.bio_normalisation)  # fmt: skip

    def input_specs(self, preprocessing: PrepareConfig) -> dict[str, InputSpec]:
        """The `InputSpec` of each modality this fitted model reads (a joint network reads several)."""
        return {self.modality: self.input_spec(preprocessing, self.feature_names_)}

    def _make_encoder(self):
        raise NotImplementedError

    def _build_network(self, input_shape: tuple[int, ...]) -> keras.Model:
        raise NotImplementedError

    def _raw(self, inputs: ModalityInputs, rows: np.ndarray) -> list:
        """The raw inputs of ``rows`` as the encoder takes them."""
        return [inputs.x[i] for i in rows]

    def _feature_names(self, input_names: list[str]) -> list[str]:
        """Names of the columns the network sees, for the sidecar."""
        return [str(n) for n in input_names]

    # -- fitting ------------------------------------------------------------------------------
    def _usable_rows(self, inputs: ModalityInputs, idx: Sequence[int]) -> tuple[np.ndarray, dict]:
        """Rows that have the modality and a label, and the count of each reason a row was left out."""
        idx = np.asarray(idx, dtype=int)
        has = inputs.available[idx]
        labelled = inputs.y[idx] != ""
        skipped = {"no_modality": int((~has).sum()), "unlabelled": int((has & ~labelled).sum())}
        return idx[has & labelled], skipped

    def _targets(self, label_ids: np.ndarray, valence: np.ndarray, arousal: np.ndarray, emotion_weight):
        """Keras targets and per-output sample weights; a missing rating gets regression weight 0."""
        targets = {EMOTION_OUTPUT: np.asarray(label_ids, dtype="int32")}
        weights = {EMOTION_OUTPUT: np.asarray(emotion_weight, dtype="float32")}
        if self.config.regression_heads:
            for name, values in zip(REGRESSION_OUTPUTS, (valence, arousal), strict=True):
                known = np.isfinite(values)
                targets[name] = np.where(known, scale_rating(values), 0.0).astype("float32").reshape(-1, 1)
                weights[name] = known.astype("float32")
        return targets, weights

    def _emotion_loss(self, label_ids: np.ndarray):
        """The class-balanced loss (counts of the training rows, which cb_loss never resamples) or CE."""
        if self.config.balance == "cb_loss":
            counts = class_counts(label_ids, len(EMOTIONS))
            return keras_models().ClassBalancedLoss(counts.tolist(), beta=self.config.cb_beta,
                                                    gamma=self.config.cb_gamma)
        return "sparse_categorical_crossentropy"

    def _training_set(self, inputs: ModalityInputs, train: np.ndarray) -> tuple:
        """Fit the encoder on the training rows, balance them, and pair every row with its targets.

        Oversampled copies keep their row's ratings; SMOTE rows (source -1) get NaN ratings, hence
        regression weight 0 (see training/balance.py).
        """
        cfg = self.config
        raw = self._raw(inputs, train)
        self.encoder_ = self._make_encoder().fit(raw)
        if self.encoder_.sequence:  # streamed: balance positions, keep the raw rows (training/batches.py)
            positions = np.arange(train.size).reshape(-1, 1)
            balanced = balance_training_set(cfg.balance, positions, label_ids(inputs.y[train]), seed=cfg.seed,
                                            sequence=True, cb_beta=cfg.cb_beta)
            balanced.x = [raw[i] for i in balanced.source]
        else:
            balanced = balance_training_set(
                cfg.balance,
                self.encoder_.transform(raw),
                label_ids(inputs.y[train]),
                seed=cfg.seed,
                sequence=False,
                cb_beta=cfg.cb_beta,
            )
        real = balanced.source >= 0
        rows = train[np.where(real, balanced.source, 0)]
        valence = np.where(real, inputs.valence[rows], np.nan)
        arousal = np.where(real, inputs.arousal[rows], np.nan)
        return balanced, *self._targets(balanced.y, valence, arousal, balanced.sample_weight)

    def _input_shape(self, x) -> tuple[int, ...]:
        """The network's input shape, from the encoded training rows (kept in the sidecar); streamed
        rows (a list of raw rows) give the shape `predict_raw` pads them to."""
        if isinstance(x, list):
            x = self.encoder_.transform(x[:1])
        return tuple(int(d) for d in x.shape[1:])

    def _validation_set(self, inputs: ModalityInputs, val: np.ndarray) -> tuple | None:
        """Validation rows (encoded, or raw when streamed) with unweighted targets, or None without any."""
        if val.size == 0:
            return None
        targets, weights = self._targets(
            label_ids(inputs.y[val]), inputs.valence[val], inputs.arousal[val], np.ones(val.size)
        )
        raw = self._raw(inputs, val)
        return (list(raw) if self.encoder_.sequence else self.encoder_.transform(raw)), targets, weights

    def _batches(self, rows: list, targets: dict, weights: dict, shuffle: bool):
        """Streamed rows as a dataset of per-step batches: bucketed by length and padded per batch
        when the encoder can (``transform_batch``), else encoded per batch at the fitted shape."""
        encode = getattr(self.encoder_, "transform_batch", None)
        lengths = [len(r) for r in rows] if encode is not None else None
        return RowBatches(rows, targets, weights, encode or self.encoder_.transform, self.config.batch_size,
                          lengths=lengths, shuffle=shuffle, seed=self.config.seed).dataset()

    def fit(self, inputs: ModalityInputs, train_idx: Sequence[int], val_idx: Sequence[int]) -> ModalityModel:
        """Fit encoders, balancing and the network on ``train_idx``; early-stop on ``val_idx``."""
        cfg = self.config
        import keras

        keras.utils.set_random_seed(cfg.seed)
        train, skipped_train = self._usable_rows(inputs, train_idx)
        val, skipped_val = self._usable_rows(inputs, val_idx)
        if train.size == 0:
            raise ValueError(f"no labelled {self.modality} rows among the {len(train_idx)} training rows")
        balanced, targets, weights = self._training_set(inputs, train)
        validation = self._validation_set(inputs, val)
        self.input_shape_ = self._input_shape(balanced.x)
        with keras_models().training_precision(cfg.mixed_precision):
            network = self._build_network(self.input_shape_)
        keras_models().compile_heads(network, self._emotion_loss(balanced.y), cfg.learning_rate,
                                     cfg.emotion_weight)
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_loss" if validation else "loss", patience=cfg.patience, restore_best_weights=True
        )
        if isinstance(balanced.x, list):  # streamed: batches built per step (training/batches.py)
            data = {"x": self._batches(balanced.x, targets, weights, shuffle=True), "shuffle": False}
            if validation:
                data["validation_data"] = self._batches(*validation, shuffle=False)
        else:
            data = {"x": balanced.x, "y": targets, "sample_weight": weights, "validation_data": validation,
                    "batch_size": cfg.batch_size, "shuffle": True}
        history = network.fit(**data, epochs=cfg.epochs, callbacks=[stopper], verbose=2 if cfg.verbose else 0)
        self.model_ = network
        self.history_ = pd.DataFrame(history.history).rename_axis("epoch").reset_index()
        self.history_["epoch"] += 1
        self.best_epoch_ = int(stopper.best_epoch) + 1
        self.balance_ = balanced.info
        self.skipped_ = {"train": skipped_train, "val": skipped_val}
        self.n_train_, self.n_val_ = int(train.size), int(val.size)
        self.feature_names_ = self._feature_names(inputs.feature_names)
        self.preprocessing_ = dict(inputs.preprocessing)
        self._freeze_tokenizer()
        return self

    def _tokenizer(self) -> str:
        """The tokeniser this fitted model's text went through ('' when it reads no morphemes)."""
        if not self.preprocessing_:
            return ""
        specs = self.input_specs(preprocessing_config(self.preprocessing_))
        return next((spec.tokenizer for spec in specs.values() if spec.tokenizer and not spec.sentence), "")

    def _freeze_tokenizer(self) -> None:
        """Keep the stop words and the tokeniser version with the model: `save` writes the words next to
        it, so prediction never re-reads a stop-word file that may have moved or changed since."""
        tokenizer = self._tokenizer()
        spec = self.preprocessing_.get("stopwords")
        self.stopwords_ = resolve_stopwords(spec) if tokenizer and spec is not None else None
        if tokenizer:
            self.preprocessing_.setdefault("tokenizer_version", tokenizer_version(tokenizer))

    # -- prediction ---------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if getattr(self, "model_", None) is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() or load() first")

    def predict_raw(self, x_list: Sequence) -> Prediction:
        """Predict from raw modality inputs (token lists / frame arrays / feature rows), e.g. new
        recordings that are not in an artifacts folder."""
        self._check_fitted()
        n = len(x_list)
        result = Prediction.empty(n)
        if n == 0:
            return result
        rows, step = list(x_list), self.predict_chunk_rows
        # Encoded chunk by chunk (at the fitted length, so a row's output never depends on its
        # neighbours): the padded frames of a whole test fold are never held at once.
        chunks = [self._predict_batch(self.encoder_.transform(rows[start:start + step]))
                  for start in range(0, n, step)]
        outputs = {name: np.concatenate([chunk[name] for chunk in chunks]) for name in chunks[0]}
        result.proba = np.asarray(outputs[EMOTION_OUTPUT], dtype=float)
        for target in REGRESSION_OUTPUTS:  # absent without regression heads: NaN stays
            if target in outputs:
                setattr(result, target, unscale_rating(np.asarray(outputs[target]).reshape(-1)))
        return result

    def _predict_batch(self, x):
        """``predict_on_batch``, whose function is first traced for any number of rows: traced for the
        first call's size, TensorFlow would trace it again at the next size (a quarter to one second per
        model: a batch after single recordings paid that in its first call). An exported network's runner
        (`networks`: no ``predict_function``, no tracing) is called as it is."""
        network = self.model_
        if getattr(network, "predict_function", False) is not None:
            return network.predict_on_batch(x)  # an exported network, or a Keras function already traced
        import keras

        if keras.backend.backend() == "tensorflow" and not network.run_eagerly:
            import tensorflow as tf

            network.make_predict_function()
            spec = keras.tree.map_structure(lambda a: tf.TensorSpec((None, *np.shape(a)[1:]), a.dtype), x)
            network.predict_function.get_concrete_function([(spec,)])
        return network.predict_on_batch(x)

    def predict(self, inputs: ModalityInputs, idx: Sequence[int]) -> Prediction:
        """Predictions for every row of ``idx`` (NaN rows where the row lacks the modality)."""
        idx = np.asarray(idx, dtype=int)
        has = inputs.available[idx]
        result = Prediction.empty(idx.size)
        part = self.predict_raw(self._raw(inputs, idx[has]))
        result.proba[has], result.valence[has], result.arousal[has] = part.proba, part.valence, part.arousal
        return result

    def predict_proba(self, inputs: ModalityInputs, idx: Sequence[int]) -> np.ndarray:
        """scikit-learn spelling: the (n, 7) probabilities of `predict`."""
        return self.predict(inputs, idx).proba

    # -- persistence --------------------------------------------------------------------------
    def _sidecar(self) -> dict:
        return {
            "format_version": SIDECAR_VERSION,
            "modality": self.modality,
            "estimator": type(self).__name__,
            "labels": list(EMOTIONS),
            "config": self.config.to_dict(),
            "encoder": self.encoder_.to_dict(),
            "feature_names": list(self.feature_names_),
            "balance": self.balance_,
            "skipped": self.skipped_,
            "input_shape": list(self.input_shape_),
            "n_train": self.n_train_,
            "n_val": self.n_val_,
            "best_epoch": self.best_epoch_,
            "preprocessing": self.preprocessing_,
            "versions": {"keras": _keras_version(), "numpy": np.__version__},
        }

    def _load_network(self, folder: Path, name: str, input_shape: tuple[int, ...]) -> keras.Model:
        """``name.keras`` in safe mode (custom layers and losses are registered by importing
        emotion_classifier.models); else the legacy ``name.h5``, whose weights are loaded into the
        network rebuilt from the sidecar, because Keras 3 cannot rebuild masked graphs from HDF5."""
        exported = exported_network(folder, name)
        if exported is not None:  # an `emotion export` folder: ONNX Runtime or LiteRT, no Keras
            return exported
        keras_models()  # the custom layers safe mode needs
        import keras

        native, legacy = folder / f"{name}.keras", folder / f"{name}.h5"
        if native.is_file():
            path = native
        elif legacy.is_file():
            path = legacy
        else:
            raise InputError(f"no {name}.keras, {name}.h5, {name}.onnx or {name}.tflite next to the sidecar", folder)
        # A truncated or empty file makes Keras say "File not found" (or an h5py/zip error) 28 lines
        # deep about a file that exists; the user can only retrain or copy it again, so say that.
        try:
            if path is native:
                return keras.saving.load_model(native, safe_mode=True)
            network = self._build_network(input_shape)
            network.load_weights(legacy)
            return network
        except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            if path.stat().st_size and not _damaged_archive(path):
                raise  # a readable file Keras still refuses: not a damaged copy, keep its own message
            reason = "empty" if not path.stat().st_size else "truncated or corrupt"
            raise InputError(f"not a readable {path.suffix} model ({reason}): retrain or copy it again",
                             path) from exc

    def save(self, folder: str | Path, name: str, fmt: str = "keras") -> Path:
        """Write ``name.keras`` plus the ``name.json`` sidecar; ``fmt='h5'`` writes the legacy
        ``name.h5`` too (the old notebooks' format). Returns the sidecar path."""
        if fmt not in SAVE_FORMATS:
            raise ValueError(f"model format must be one of {SAVE_FORMATS}, got {fmt!r}")
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model_.save(folder / f"{name}.keras")
        if fmt == "h5":
            self.model_.save(folder / f"{name}.h5")
        record = self._sidecar()
        if getattr(self, "stopwords_", None) is not None:
            copy = folder / f"{name}{STOPWORDS_SUFFIX}"
            write_text_atomic(copy, "".join(f"{word}\n" for word in self.stopwords_))
            record["preprocessing"] = {**record["preprocessing"], "stopwords_file": copy.name}
        sidecar = folder / f"{name}.json"
        write_json(sidecar, record)
        return sidecar

    @classmethod
    def _encoder_from_dict(cls, data: dict):
        """The fitted input encoder from its sidecar record (a subclass with its own encoder overrides)."""
        return encoder_from_dict(data)

    @classmethod
    def load(cls, folder: str | Path, name: str) -> ModalityModel:
        """Reload a saved model (``name.keras``, else the legacy ``name.h5``) with its encoders."""
        folder = Path(folder)
        sidecar = _read_sidecar(folder / f"{name}.json")
        where = folder / f"{name}.json"
        try:
            target = estimator_class(sidecar["modality"]) if cls is ModalityModel else cls
        except ValueError as exc:
            raise InputError(str(exc), where) from None
        if target.modality != sidecar["modality"]:
            raise InputError(f"holds a {sidecar['modality']!r} model, not {cls.modality!r}", where)
        model = target(TrainConfig.from_dict(sidecar["config"]))
        model.encoder_ = target._encoder_from_dict(sidecar["encoder"])
        model.model_ = model._load_network(folder, name, tuple(sidecar["input_shape"]))
        for key in ("feature_names", "balance", "skipped", "n_train", "n_val", "best_epoch"):
            setattr(model, f"{key}_", sidecar[key])
        model._load_tokenizer(folder, where, sidecar.get("preprocessing", {}))
        model.history_ = pd.DataFrame()
        return model

    def _load_tokenizer(self, folder: Path, where: Path, preprocessing: dict) -> None:
        """The recorded preprocessing, reading the stop words from the model's own copy (a copied models
        folder works anywhere); a tokeniser whose version differs from the recorded one is warned about,
        since its morphemes, hence the vocabulary ids, may differ from the training rows'."""
        self.preprocessing_, self.stopwords_ = dict(preprocessing), None
        if preprocessing.get("stopwords_file"):
            copy = folder / preprocessing["stopwords_file"]
            self.stopwords_ = read_stopwords(copy)
            self.preprocessing_["stopwords"] = str(copy)
        tokenizer, recorded = self._tokenizer(), preprocessing.get("tokenizer_version")
        if tokenizer and recorded and recorded != tokenizer_version(tokenizer):
            warnings.warn(f"{where}: trained with tokenizer {tokenizer} ({recorded}), this environment has "
                          f"{tokenizer_version(tokenizer)}: its morphemes may differ", UserWarning, stacklevel=3)


def _damaged_archive(path: Path) -> bool:
    """Whether a model file is not even a whole container (zip for .keras, HDF5 for .h5): then its
    bytes are damaged, whatever Keras said while failing to read it."""
    if path.suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as archive:
                return archive.testzip() is not None
        except (zipfile.BadZipFile, OSError, EOFError):
            return True
    import h5py

    try:
        with h5py.File(path, "r"):
            return False
    except OSError:
        return True


def _read_sidecar(path: Path) -> dict:
    if not path.is_file():
        raise InputError("model sidecar not found (save writes name.keras + name.json)", path)
    sidecar = read_json(path, expect=dict)
    if tuple(sidecar.get("labels", ())) != EMOTIONS:
        raise InputError(f"label order {sidecar.get('labels')} differs from {list(EMOTIONS)}", path)
    return sidecar


class TextModel(ModalityModel):
    """Transcripts: bidirectional GRU/LSTM over morpheme ids, or an MLP over sentence embeddings.

    With ``text_encoder='sentence'`` the pretrained model reads the transcript (the table's
    ``text`` column) rather than morphemes joined by spaces, which is what it was trained on.
    """

    modality = "text"
    dialogue_context = True
    fixed_length_setting = "text_encoder=sentence"

    def fixed_length_inputs(self) -> bool:
        return self.config.text_encoder == "sentence"

    @classmethod
    def artifact_inputs(cls, artifacts) -> ModalityInputs:
        x = [list(tokens) for tokens in artifacts.tokens]
        return inputs_from_artifacts(artifacts, cls.modality, x, _availability(artifacts.table, "has_text", x))

    def _make_encoder(self):
        cfg = self.config
        if cfg.text_encoder == "sentence":
            return SentenceEmbeddingEncoder(cfg.sentence_model)
        return TokenEncoder(cfg.vocab_min_count, cfg.vocab_max_size, cfg.length_percentile, cfg.max_tokens)

    def input_spec(self, preprocessing: PrepareConfig, feature_names: Sequence[str]) -> InputSpec:
        if self.config.text_encoder == "sentence":  # the pretrained model reads the transcript itself
            return InputSpec(self.modality, sentence=True)
        return InputSpec(self.modality, tokenizer=preprocessing.tokenizer, stopwords=preprocessing.stopwords)

    def _raw(self, inputs: ModalityInputs, rows: np.ndarray) -> list:
        if self.config.text_encoder == "sentence" and "text" in inputs.table:
            return inputs.table["text"].fillna("").astype(str).to_numpy()[rows].tolist()
        return super()._raw(inputs, rows)

    def _build_network(self, input_shape: tuple[int, ...]) -> keras.Model:
        cfg = self.config
        if cfg.text_encoder == "sentence":
            return keras_models().build_sentence_mlp(input_shape[0], cfg.hidden_units, cfg.dropout,
                                                     cfg.regression_heads)
        return keras_models().build_text_rnn(
            self.encoder_.vocabulary.size, cfg.embedding_dim, cfg.units, cfg.text_encoder, cfg.dropout,
            cfg.regression_heads,
        )


class SpeechModel(ModalityModel):
    """Speech: masked conv-recurrent network over frames (``crnn``) or an MLP over frame statistics."""

    modality = "speech"
    dialogue_context = True
    fixed_length_setting = "speech_model=pooled"

    def fixed_length_inputs(self) -> bool:
        return self.config.speech_model == "pooled"

    @classmethod
    def artifact_inputs(cls, artifacts) -> ModalityInputs:
        x = list(artifacts.audio)
        available = _availability(artifacts.table, "has_audio", x)
        names = getattr(artifacts, "audio_feature_names", None) or []
        return inputs_from_artifacts(artifacts, cls.modality, x, available, names)

    def input_spec(self, preprocessing: PrepareConfig, feature_names: Sequence[str]) -> InputSpec:
        return InputSpec(self.modality, audio=preprocessing.audio_settings())

    def _make_encoder(self):
        cfg = self.config
        if cfg.speech_model == "pooled":
            return PooledFrameEncoder()
        return FrameEncoder(cfg.length_percentile, cfg.max_frames)

    def _build_network(self, input_shape: tuple[int, ...]) -> keras.Model:
        cfg = self.config
        if cfg.speech_model == "pooled":
            return keras_models().build_speech_pooled(input_shape[0], cfg.hidden_units, cfg.dropout,
                                                      cfg.regression_heads)
        return keras_models().build_speech_crnn(
            input_shape[-1], cfg.filters, cfg.units, dropout=cfg.dropout, regression=cfg.regression_heads
        )

    def _feature_names(self, input_names: list[str]) -> list[str]:
        if self.config.speech_model == "pooled":
            return pooled_statistic_names(input_names)
        return super()._feature_names(input_names)


class BioModel(ModalityModel):
    """Body signals: an MLP over the per-segment bio features (imputed and scaled per fold)."""

    modality = "bio"

    def fixed_length_inputs(self) -> bool:
        return True

    @classmethod
    def artifact_inputs(cls, artifacts) -> ModalityInputs:
        table = artifacts.table.reset_index(drop=True)
        bio = _aligned_bio(artifacts.bio, table)
        names = [c for c in bio.columns if c not in ("segment_id", "has_bio")]
        available = _as_bool(bio["has_bio"] if "has_bio" in bio else table["has_bio"])
        return inputs_from_artifacts(artifacts, cls.modality, bio[names].to_numpy(dtype=float), available, names)

    def _make_encoder(self):
        return FeatureEncoder()

    def _raw(self, inputs: ModalityInputs, rows: np.ndarray) -> np.ndarray:
        return np.asarray(inputs.x, dtype=float)[rows]

    def _build_network(self, input_shape: tuple[int, ...]) -> keras.Model:
        cfg = self.config
        return keras_models().build_bio_mlp(input_shape[0], cfg.hidden_units, cfg.dropout, cfg.regression_heads)


def make_model(modality: str, config: TrainConfig | None = None) -> ModalityModel:
    """The unfitted estimator of a registered modality or joint network (``registry``)."""
    return estimator_class(modality)(config)


def preprocessing_config(settings: dict) -> PrepareConfig:
    """The `PrepareConfig` of recorded preprocessing settings (keys it does not know are left out)."""
    known = {f.name for f in dataclasses.fields(PrepareConfig)}
    return PrepareConfig(**{k: v for k, v in settings.items() if k in known})


def check_trainable(modality: str, config: TrainConfig) -> None:
    """Refuse, with one line, settings this model cannot train with, before any fold starts.

    Today that is SMOTE on sequences: it would fail only when training reached it, minutes (or a
    whole modality) later. The line names the settings that give fixed-length rows.
    """
    model = make_model(modality, config)
    if config.balance != "smote" or model.fixed_length_inputs():
        return
    singles = [estimator_class(m) for m in registry.modality_names(joint=False)]
    works = ", ".join(c.fixed_length_setting or f"the {c.modality} model" for c in singles)
    instead = f" (set {model.fixed_length_setting})" if model.fixed_length_setting else ""
    raise InputError(f"balance=smote cannot train {modality}{instead}: SMOTE interpolates fixed-length feature "
                     f"rows and this model reads sequences; SMOTE works with {works}, or choose balance="
                     f"{', '.join(b for b in BALANCE_MODES if b != 'smote')}")


def load_model(folder: str | Path, name: str) -> ModalityModel:
    """Reload any saved modality model; the sidecar says which estimator it is."""
    return ModalityModel.load(folder, name)
