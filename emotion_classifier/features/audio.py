"""Frame-level speech features (MFCC, optional log-mel and deltas) of one wav file, via librosa.

Each segment keeps its true number of frames: padding or cutting to a fixed length is a
modelling choice made later, not something the stored features should bake in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import librosa
import numpy as np
import scipy.fft
import soundfile as sf

from emotion_classifier.errors import AudioError


@dataclass(frozen=True)
class AudioSettings:
    """Speech-feature settings; the defaults are the 16 kHz / 25 ms window / 10 ms hop convention."""

    sample_rate: int = 16000
    n_mfcc: int = 40
    n_fft: int = 400
    hop_length: int = 160
    n_mels: int = 64
    log_mel: bool = False
    deltas: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def feature_names(settings: AudioSettings) -> list[str]:
    """Column names of the `(frames, n_features)` arrays, in their order."""
    names = [f"mfcc_{i:02d}" for i in range(settings.n_mfcc)]
    if settings.log_mel:
        names += [f"logmel_{i:02d}" for i in range(settings.n_mels)]
    if settings.deltas:
        names += [f"delta_{name}" for name in names]
    return names


def _riff_chunks(head: bytes):
    """(chunk id, start of its data, declared length) of each chunk of a RIFF/WAVE file's bytes."""
    at = 12
    while at + 8 <= len(head):
        chunk, length = head[at : at + 4], int.from_bytes(head[at + 4 : at + 8], "little")
        yield chunk, at + 8, length
        at += 8 + length + (length & 1)


def read_pcm16_mono(path: str | Path) -> tuple[np.ndarray, int] | None:
    """(float32 samples, rate) of a plain 16-bit PCM mono wav whose data chunk is whole, exactly as
    ``sf.read(path, dtype="float32")`` gives them (libsndfile scales by 1 / 32768, exact in float32);
    None for any other file (other formats, extensible headers, a data chunk cut short: libsndfile
    reads those). The corpus's wavs are all plain ones, and libsndfile's per-file set-up was a fifth of
    the audio stage's time."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    fmt = None
    for chunk, start, length in _riff_chunks(data):
        if chunk == b"fmt " and length >= 16:
            fmt = data[start : start + 16]
        elif chunk == b"data":
            if fmt is None or start + length > len(data) or length % 2:
                return None
            tag, channels, rate = int.from_bytes(fmt[0:2], "little"), int.from_bytes(fmt[2:4], "little"), \
                int.from_bytes(fmt[4:8], "little")  # fmt: skip
            block, bits = int.from_bytes(fmt[12:14], "little"), int.from_bytes(fmt[14:16], "little")
            if (tag, channels, block, bits) != (1, 1, 2, 16) or rate <= 0:
                return None
            samples = np.frombuffer(data, dtype="<i2", count=length // 2, offset=start)
            return samples.astype(np.float32) * np.float32(1 / 32768), rate
    return None


def read_audio(path: str | Path, sample_rate: int) -> tuple[np.ndarray, float, list[str]]:
    """Mono float32 samples at `sample_rate`, the duration in seconds, and the conversions made.

    Conversions are returned (not hidden inside `librosa.load`) so the caller can count them:
    the corpus is 16 kHz mono, and anything else means a file was replaced or re-encoded.
    """
    try:
        plain = read_pcm16_mono(path)
    except OSError:
        plain = None  # a missing or unreadable file: libsndfile names the problem
    if plain is not None and len(plain[0]):
        y, rate = plain
        data = y[:, np.newaxis]
    else:
        try:
            data, rate = sf.read(path, dtype="float32", always_2d=True)
        except sf.SoundFileError as exc:
            raise AudioError(f"cannot decode wav ({exc})", path) from None
    if data.shape[0] == 0:
        raise AudioError("wav has no samples", path)
    if not np.isfinite(data).all():
        raise AudioError("wav holds non-finite samples (NaN or infinity)", path)
    conversions = []
    y = data[:, 0]
    if data.shape[1] > 1:
        conversions.append(f"{data.shape[1]} channels -> mono")
        y = librosa.to_mono(data.T)
    if rate != sample_rate:
        conversions.append(f"resampled {rate} -> {sample_rate} Hz")
        y = librosa.resample(y, orig_sr=rate, target_sr=sample_rate)
    return y, data.shape[0] / rate, conversions


@cache
def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """The mel filterbank, built once per process (rebuilding it per segment cost a third of the time)."""
    return librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)


@cache
def hann_window(n_fft: int) -> np.ndarray:
    """The periodic Hann window `librosa.stft` uses (float64), built once per process, read-only."""
    window = librosa.filters.get_window("hann", n_fft, fftbins=True)
    window.setflags(write=False)
    return window


def stft(y: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """``librosa.stft(y, n_fft=n_fft, hop_length=hop_length)`` (centred, zero-padded, Hann), bit for bit and
    with the same dtype and memory layout (Fortran-ordered ``(1 + n_fft // 2, frames)``, complex64 for
    float32 samples), so everything computed from it is unchanged too.

    librosa frames the head and tail of the signal separately, rebuilds the window every call and
    transforms along the strided axis into a zeroed matrix; here every frame of the padded signal is
    windowed (float64, as librosa does) and transformed along its contiguous axis at once: the same
    numbers per frame (`tests/features/test_audio_features.py` compares them on many lengths).
    """
    padded = np.pad(y, n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    spectrum = scipy.fft.rfft(frames * hann_window(n_fft), axis=-1, overwrite_x=True)
    return spectrum.astype(librosa.util.dtype_r2c(y.dtype)).T


def audio_features(y: np.ndarray, settings: AudioSettings) -> np.ndarray:
    """`(frames, n_features)` float32; frames = 1 + len(y) // hop_length (centred frames).

    The MFCCs are taken from the same log-mel spectrogram that `log_mel` stores, which is what
    `librosa.feature.mfcc(y=y, sr, n_mfcc, n_fft, hop_length, n_mels)` computes, with one STFT per
    segment (`stft`: librosa's, faster) and the filterbank applied as a plain matrix product.
    """
    power = np.abs(stft(y, settings.n_fft, settings.hop_length)) ** 2
    log_mel = librosa.power_to_db(mel_filters(settings.sample_rate, settings.n_fft, settings.n_mels) @ power)
    blocks = [librosa.feature.mfcc(S=log_mel, n_mfcc=settings.n_mfcc)]
    if settings.log_mel:
        blocks.append(log_mel)
    if settings.deltas:
        # 'nearest' works for segments shorter than the 9-frame delta window, unlike the default
        blocks.append(librosa.feature.delta(np.vstack(blocks), mode="nearest"))
    return np.vstack(blocks).T.astype(np.float32)


def wav_features(path: str | Path, settings: AudioSettings) -> tuple[np.ndarray, float, list[str]]:
    """Features of one wav, its duration (s) and the conversions `read_audio` made.

    A wav shorter than one analysis window (`n_fft` samples, 25 ms) holds no speech: its one frame
    would be mostly padding, so it is refused rather than given features.
    """
    y, duration, conversions = read_audio(path, settings.sample_rate)
    if len(y) < settings.n_fft:
        raise AudioError(f"wav too short: {len(y)} samples at {settings.sample_rate} Hz, fewer than one "
                         f"{settings.n_fft}-sample analysis window", path)  # fmt: skip
    return audio_features(y, settings), duration, conversions


def wav_shortfall(path: str | Path) -> tuple[float, float] | None:
    """(seconds the header declares, seconds the file holds) of a RIFF wav cut mid-data, else None.

    Decoders read what is there without complaint, so a copy interrupted mid-file would pass for a short
    recording; the data chunk's declared size against the bytes present tells the two apart.
    """
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
        size = fh.seek(0, 2)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    byte_rate = 0
    for chunk, start, length in _riff_chunks(head):
        if chunk == b"fmt " and start + 8 <= len(head):
            byte_rate = int.from_bytes(head[start + 8 : start + 12], "little")
        if chunk == b"data":
            present = size - start
            if length <= present or not byte_rate or length == 0xFFFFFFFF:  # streamed wavs leave it unset
                return None
            return length / byte_rate, present / byte_rate
    return None
