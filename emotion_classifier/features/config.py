"""`PrepareConfig`: every setting of `prepare`, written to the manifest.

Each stage's cache key is built from its own slice of the settings, so changing an audio
setting recomputes the audio features and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from emotion_classifier.features.audio import AudioSettings
from emotion_classifier.features.bio import NORMALISATIONS
from emotion_classifier.features.tokenizers import TOKENIZERS
from emotion_classifier.labels import TIE_POLICIES

VIEWS: tuple[str, ...] = ("speaker", "listener")


@dataclass(frozen=True)
class PrepareConfig:
    """Settings of one `prepare` run (`jobs` and `strict` change how it runs, not what it writes).

    `stopwords`: None keeps every token, 'builtin' drops a small list of particles, anything
    else is a stop-word file. `chunk_size`: segments per cached chunk (what survives an interruption).
    `bio_normalisation`: whose samples z-score the `*_pnorm` bio features: ``session`` (the person's
    whole session, future included: the default, as before), ``past`` (only the person's signal up to
    the segment's end: what a live system has) or ``none`` (no `*_pnorm` columns); see `features.bio`.
    `speech_encoders`, `text_encoders`: pretrained encoders (hub ids or model folders) whose layer
    vectors are stored (`features/encoder_stage.py`); `speech_window_seconds`: the window a longer
    segment is cut into for them.
    """

    view: str = "speaker"
    ties: str = "drop"
    tokenizer: str = "mecab"
    stopwords: str | None = None
    sample_rate: int = AudioSettings.sample_rate
    n_mfcc: int = AudioSettings.n_mfcc
    n_fft: int = AudioSettings.n_fft
    hop_length: int = AudioSettings.hop_length
    n_mels: int = AudioSettings.n_mels
    log_mel: bool = AudioSettings.log_mel
    deltas: bool = AudioSettings.deltas
    bio_normalisation: str = NORMALISATIONS[0]
    jobs: int | None = None
    strict: bool = False
    chunk_size: int = 64
    speech_encoders: tuple[str, ...] = ()
    text_encoders: tuple[str, ...] = ()
    speech_window_seconds: float = 20.0

    def __post_init__(self) -> None:
        for name in ("speech_encoders", "text_encoders"):  # a manifest gives lists, a user may give one id
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))
        if self.speech_window_seconds <= 0:
            raise ValueError(f"speech_window_seconds must be positive, got {self.speech_window_seconds!r}")
        for name, value, allowed in (
            ("view", self.view, VIEWS),
            ("ties", self.ties, TIE_POLICIES),
            ("tokenizer", self.tokenizer, TOKENIZERS),
            ("bio_normalisation", self.bio_normalisation, NORMALISATIONS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        for name in ("sample_rate", "n_mfcc", "n_fft", "hop_length", "n_mels", "chunk_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.jobs is not None and self.jobs == 0:
            raise ValueError("jobs must be a non-zero integer (negative counts back from all cores) or None")

    def audio_settings(self) -> AudioSettings:
        """The audio slice: every `AudioSettings` field has its namesake here, defaults included."""
        return AudioSettings(**{f.name: getattr(self, f.name) for f in fields(AudioSettings)})

    def as_dict(self) -> dict:
        """The settings as JSON reads them back (tuples as lists), so a rerun compares equal."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
