"""The one list of model kinds (modalities, joint networks) and late-fusion methods.

Every other module asks this registry which modalities and fusion methods exist: the CLI's
choices, `prepare`'s stages, the training loop, the report's order and prediction. Adding an
encoder or a fusion method is therefore one module holding its code plus one `register` call.

The registry sits at the bottom of the package (it imports no other package module): a
declaration names its code by ``"module:attribute"`` strings, resolved on first use, so that
``emotion --help`` lists the choices without importing Keras, and so that `prepare` (the
features stage) can run a stage whose estimator lives in the training stage without importing
upwards. Code registered from outside the package (a plug-in, a test) may give the objects
themselves instead of strings.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

Ref = str | Callable[..., Any]
"""Code named by ``"package.module:attribute"`` (imported on first use) or the object itself."""


@dataclass(frozen=True)
class Modality:
    """A model kind trained and scored like a modality.

    ``estimator``: the scikit-learn style class (``fit/predict/save/load``, ``artifact_inputs``)
    whose ``modality`` class attribute equals ``name``. ``stage``: ``prepare``'s feature stage,
    ``(table, PrepareConfig, StageContext) -> StageResult`` (None for a joint network, which reads
    its parts' stages); ``stage_name`` is what the stage writes under (its ``has_*`` column, its
    manifest section) and ``load`` reads that artifact back, ``(folder, table) -> object``.
    ``reader`` turns new recordings into the modality's raw inputs at prediction,
    ``(recordings, InputSpec) -> [(input or None, reason)]``. ``parts``: the single modalities a
    joint network reads (empty for a single modality); ``parts_setting``: the training setting (a
    `TrainConfig` field) that may choose other parts, ``parts`` being its default (`joint_parts`).
    ``h5_name``: the legacy file stem of
    ``--format h5``. ``default``: trained by ``emotion run`` unless the user picks modalities.
    """

    name: str
    estimator: Ref
    stage: Ref | None = None
    stage_name: str = ""
    load: Ref | None = None
    reader: Ref | None = None
    parts: tuple[str, ...] = ()
    parts_setting: str = ""
    h5_name: str = ""
    default: bool = True
    help: str = ""

    @property
    def joint(self) -> bool:
        """True for a network over several modalities at once (early fusion)."""
        return bool(self.parts)


@dataclass(frozen=True)
class FusionMethod:
    """A late-fusion method: ``estimator`` fits on a fold's validation predictions and predicts
    its test rows (``fusion.late``). ``at_prediction``: a fixed weighted average of the single
    models' outputs that ``emotion predict`` can apply to new recordings (a per-fold stacker is not).
    ``learnt_weights``: such an average whose modality weights each fold chose (its ``weights.json``),
    so prediction applies their fold mean; without it, prediction weighs the modalities equally.
    """

    name: str
    estimator: Ref
    at_prediction: bool = False
    learnt_weights: bool = False
    default: bool = True
    help: str = ""


_MODALITIES: dict[str, Modality] = {}
_FUSION_METHODS: dict[str, FusionMethod] = {}


def resolve(ref: Ref) -> Any:
    """The object a `Ref` names (imported on first use)."""
    if not isinstance(ref, str):
        return ref
    module, _, attribute = ref.partition(":")
    found: Any = importlib.import_module(module)
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


def register(entry: Modality | FusionMethod, *, replace: bool = False) -> None:
    """Add a modality or a late-fusion method; a name already taken is refused unless ``replace``."""
    table = _MODALITIES if isinstance(entry, Modality) else _FUSION_METHODS
    if entry.name in _MODALITIES or entry.name in _FUSION_METHODS:
        if not replace:
            raise ValueError(f"{entry.name!r} is already registered")
        unregister(entry.name)
    for part in getattr(entry, "parts", ()):
        if part not in _MODALITIES or _MODALITIES[part].joint:
            raise ValueError(f"{entry.name!r} reads {part!r}, which is not a registered single modality")
    table[entry.name] = entry


def unregister(name: str) -> None:
    """Remove a modality or fusion method (a joint network reading a removed modality is kept)."""
    _MODALITIES.pop(name, None)
    _FUSION_METHODS.pop(name, None)


@contextmanager
def registered(*entries: Modality | FusionMethod) -> Iterator[None]:
    """Register ``entries`` for the duration of a ``with`` block (tests, one-off experiments)."""
    for entry in entries:
        register(entry)
    try:
        yield
    finally:
        for entry in entries:
            unregister(entry.name)


def modality(name: str) -> Modality:
    """The declaration of one modality or joint network; a ValueError lists the known names."""
    try:
        return _MODALITIES[name]
    except KeyError:
        raise ValueError(f"unknown modality {name!r} (known: {', '.join(_MODALITIES)})") from None


def modality_names(*, joint: bool | None = None, default_only: bool = False) -> tuple[str, ...]:
    """Registered names in registration order: all, only single modalities (``joint=False``) or
    only joint networks (``joint=True``); ``default_only`` keeps what ``emotion run`` trains by default."""
    return tuple(
        m.name for m in _MODALITIES.values()
        if (joint is None or m.joint == joint) and (m.default or not default_only)
    )  # fmt: skip


def joint_parts(name: str, settings: object | None = None) -> tuple[str, ...]:
    """The single modalities a joint network reads with these training ``settings`` (a `TrainConfig`,
    or None for the registered default): its ``parts_setting`` when it has one, else its ``parts``."""
    entry = modality(name)
    chosen = getattr(settings, entry.parts_setting, None) if entry.parts_setting else None
    return tuple(chosen) if chosen else entry.parts


def check_parts(parts: tuple[str, ...], setting: str) -> None:
    """Refuse (ValueError, one line) parts that are not at least two distinct registered single modalities."""
    singles = modality_names(joint=False)
    unknown = [p for p in parts if p not in singles]
    if unknown:
        raise ValueError(f"{setting}: {', '.join(map(repr, unknown))} is not a registered single modality "
                         f"(known: {', '.join(singles)})")
    if len(set(parts)) != len(parts) or len(parts) < 2:
        raise ValueError(f"{setting}: a joint network needs at least two distinct modalities, got {list(parts)}")


def stage_modalities() -> tuple[Modality, ...]:
    """The single modalities with a ``prepare`` stage, in registration order."""
    return tuple(m for m in _MODALITIES.values() if m.stage is not None)


def fusion_method(name: str) -> FusionMethod:
    """The declaration of one late-fusion method; a ValueError lists the known names."""
    try:
        return _FUSION_METHODS[name]
    except KeyError:
        raise ValueError(f"unknown fusion method {name!r} (known: {', '.join(_FUSION_METHODS)})") from None


def fusion_method_names(*, at_prediction: bool | None = None, default_only: bool = False) -> tuple[str, ...]:
    """Registered late-fusion methods, optionally only those prediction can apply."""
    return tuple(
        f.name for f in _FUSION_METHODS.values()
        if (at_prediction is None or f.at_prediction == at_prediction) and (f.default or not default_only)
    )  # fmt: skip


def h5_name(name: str) -> str:
    """The file stem ``--format h5`` saves a model under (the original notebooks' names)."""
    return modality(name).h5_name or name


# -- the built-in model kinds and fusion methods: one line each --------------------------------
_ESTIMATORS = "emotion_classifier.training.estimators"
_FEATURES = "emotion_classifier.features"
_INPUTS = "emotion_classifier.model_inputs"

register(Modality("text", f"{_ESTIMATORS}:TextModel", f"{_FEATURES}.text_stage:run_text_stage", "text",
                  f"{_FEATURES}.text_stage:load_tokens", f"{_INPUTS}:read_text", h5_name="best_model_txt",
                  help="transcripts: Mecab morphemes into a BiGRU/LSTM, or sentence embeddings into an MLP"))
register(Modality("speech", f"{_ESTIMATORS}:SpeechModel", f"{_FEATURES}.audio_stage:run_audio_stage", "audio",
                  f"{_FEATURES}.audio_stage:load_frames", f"{_INPUTS}:read_speech", h5_name="best_model_wav",
                  help="wavs: MFCC frames into a masked CRNN, or frame statistics into an MLP"))
register(Modality("bio", f"{_ESTIMATORS}:BioModel", f"{_FEATURES}.bio_stage:run_bio_stage", "bio",
                  f"{_FEATURES}.bio_stage:load_bio_features", f"{_INPUTS}:read_bio", h5_name="best_model_bio",
                  help="body signals: per-segment EDA/TEMP/ECG/heart-rate features into an MLP"))
_PRETRAINED = "emotion_classifier.training.pretrained"
register(Modality("speech_ssl", f"{_PRETRAINED}:SpeechSSLModel", f"{_FEATURES}.speech_ssl:run_speech_ssl_stage",
                  "speech_ssl", f"{_FEATURES}.speech_ssl:load_speech_ssl", f"{_INPUTS}:read_speech_ssl", default=False,
                  help="wavs: a frozen pretrained speech encoder's layers (--speech-encoder) into a weighted MLP"))
register(Modality("text_plm", f"{_PRETRAINED}:TextPLMModel", f"{_FEATURES}.text_plm:run_text_plm_stage",
                  "text_plm", f"{_FEATURES}.text_plm:load_text_plm", f"{_INPUTS}:read_text_plm", default=False,
                  help="transcripts: a frozen pretrained text encoder's layers (--text-encoder) into a weighted MLP"))
EARLY_FUSION_PARTS: tuple[str, ...] = ("text", "speech", "bio")
"""The early-fusion network's default parts (``train.early_fusion_parts`` chooses others)."""
register(Modality("early_fusion", "emotion_classifier.fusion.early:EarlyFusionModel",
                  parts=EARLY_FUSION_PARTS, parts_setting="early_fusion_parts", h5_name="best_model_fusion",
                  help="MATE-style network over several modalities at once (train.early_fusion_parts)"))

_LATE = "emotion_classifier.fusion.late"
register(FusionMethod("soft_vote", f"{_LATE}:SoftVote", at_prediction=True,
                      help="equal-weight mean of the modalities' probabilities"))
register(FusionMethod("weighted_vote", f"{_LATE}:WeightedVote", at_prediction=True, learnt_weights=True,
                      help="modality weights chosen on validation sessions"))
register(FusionMethod("stacking", f"{_LATE}:StackingFusion",
                      help="logistic regression (ridge for valence/arousal) on validation predictions"))
