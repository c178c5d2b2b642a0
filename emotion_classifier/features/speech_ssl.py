"""The frozen speech encoder (wav2vec2, XLS-R, HuBERT, WavLM, data2vec, Whisper's encoder): its input
function, its `prepare` stage and its artifact loader.

Per segment: every hidden layer's mean and standard deviation over the frames of the segment's wav
(SUPERB/EmoBox's upstream features). A segment longer than the window is cut into windows whose frames
are pooled together (attention cost grows with the square of the length; pretraining crops are
15-20 s; Whisper reads at most its fixed input, 30 s). Windows are batched sorted by length, so little
of a batch is padding; only a window's own frames are pooled, never those of padding (Whisper pads
every input to its 30 s).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.errors import AudioError
from emotion_classifier.features.audio import read_audio
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.encoder_models import LoadedEncoder, hidden_states, layer_shape, load_encoder
from emotion_classifier.features.encoder_stage import (
    EncoderKind,
    EncoderVectors,
    load_encoder_vectors,
    missing_reasons,
    run_encoder_stage,
)
from emotion_classifier.features.runner import ChunkResult
from emotion_classifier.files import fingerprint

STAGE = "speech_ssl"
SAMPLE_RATE = 16000
BATCH_WINDOWS = 8


def _receptive_field(config) -> int:
    """Samples the convolutional front end needs for one frame (400 for wav2vec2-family models)."""
    kernels, strides = getattr(config, "conv_kernel", None), getattr(config, "conv_stride", None)
    if not kernels or not strides:
        return 400
    field, jump = kernels[0], strides[0]
    for kernel, stride in zip(kernels[1:], strides[1:], strict=True):
        field, jump = field + (kernel - 1) * jump, jump * stride
    return int(field)


def _windows(waves: list[np.ndarray], window: int, shortest: int) -> list[tuple[int, np.ndarray]]:
    """(segment, samples) of each window; a piece shorter than one frame is zero-padded to one."""
    pieces = []
    for i, wave in enumerate(waves):
        for start in range(0, len(wave), window):
            piece = wave[start : start + window]
            pieces.append((i, np.pad(piece, (0, max(0, shortest - len(piece))))))
    return pieces


def _batches(pieces: list[tuple[int, np.ndarray]], masked: bool) -> list[list[int]]:
    """Piece indices sorted by length, in batches; a model that takes no attention mask (group-norm
    wav2vec2 base) is batched only with windows of its own length, since padding would change its output
    (``masked``: it takes one, or every input is padded to one length anyway, as Whisper's is)."""
    order = sorted(range(len(pieces)), key=lambda j: len(pieces[j][1]))
    batches: list[list[int]] = []
    for j in order:
        last = batches[-1] if batches else None
        fits = last is not None and len(last) < BATCH_WINDOWS
        if fits and (masked or len(pieces[last[0]][1]) == len(pieces[j][1])):
            last.append(j)
        else:
            batches.append([j])
    return batches


def _encoded(encoder: LoadedEncoder, samples: list[np.ndarray], masked: bool,
             fixed: bool) -> tuple[dict, np.ndarray]:  # fmt: skip
    """The model inputs of a batch of windows, and how many output frames of each are real audio.

    Whisper's feature extractor pads every input to its fixed length (the encoder accepts nothing
    else) and its encoder ignores an attention mask, so the padding produces frames of its own: the
    extractor's mask (samples, or Whisper's mel frames) through the encoder's own
    ``_get_feat_extract_output_lengths`` gives the frames that came from the window, and only those
    are pooled. The mask goes to the model only when it takes one (``masked``); ``fixed``: the
    model reads inputs of one length only (Whisper).
    """
    inputs = dict(encoder.processor(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt",
                                    padding="max_length" if fixed else True, return_attention_mask=True))  # fmt: skip
    mask = inputs.pop("attention_mask")
    if masked:
        inputs["attention_mask"] = mask
    return inputs, encoder.model._get_feat_extract_output_lengths(mask.sum(-1)).numpy()


def layer_statistics(waves: list[np.ndarray], encoder: LoadedEncoder, window_seconds: float) -> np.ndarray:
    """(segments, layers, 2, hidden) float32: mean and sd of each layer's frames over all windows."""
    processor = encoder.processor
    fixed = getattr(processor, "n_samples", None)  # Whisper reads exactly this (30 s): pads to it, cuts at it
    window = min(int(window_seconds * SAMPLE_RATE), int(fixed or np.iinfo(np.int64).max))
    pieces = _windows(waves, window, _receptive_field(encoder.model.config))
    masked = bool(getattr(processor, "return_attention_mask", False))
    n_layers, hidden = layer_shape(encoder.model)
    sums = np.zeros((len(waves), n_layers, hidden))
    squares, counts = np.zeros_like(sums), np.zeros(len(waves))
    for batch in _batches(pieces, masked or bool(fixed)):  # padded to one length anyway: any windows batch
        samples = [pieces[j][1] for j in batch]
        inputs, frames = _encoded(encoder, samples, masked, bool(fixed))
        states = hidden_states(encoder, inputs).numpy().astype(np.float64)
        for b, j in enumerate(batch):
            kept = states[b, :, : int(frames[b])]
            i = pieces[j][0]
            sums[i] += kept.sum(axis=1)
            squares[i] += (kept**2).sum(axis=1)
            counts[i] += kept.shape[1]
    mean = sums / np.maximum(counts, 1)[:, None, None]
    sd = np.sqrt(np.maximum(squares / np.maximum(counts, 1)[:, None, None] - mean**2, 0.0))
    return np.stack([mean, sd], axis=2).astype(np.float32)


def speech_ssl_chunk(paths: list[str], folder: str, settings: dict) -> ChunkResult:
    """The input function of prepare and prediction alike: each wav's layer vectors (float16), and why
    a wav gave none ('' when it did). An undecodable wav is a reason, not an error."""
    encoder = load_encoder(folder, "feature_extractor")
    waves, status = [], []
    for path in paths:
        try:
            wave, _, _ = read_audio(path, SAMPLE_RATE)
            waves.append(wave)
            status.append("")
        except AudioError as exc:
            waves.append(np.zeros(0, np.float32))
            status.append(exc.message)
    usable = [i for i, reason in enumerate(status) if not reason]
    n_layers, hidden = layer_shape(encoder.model)
    vectors = np.zeros((len(paths), n_layers, 2, hidden), dtype=np.float16)
    if usable:
        found = layer_statistics([waves[i] for i in usable], encoder, settings["window_seconds"])
        vectors[usable] = found.astype(np.float16)
    return {"vectors": vectors, "status": np.array(status, dtype=str)}


def _row_inputs(table: pd.DataFrame) -> tuple[list[str], list[tuple[str, str]]]:
    return table["wav_path"].tolist(), missing_reasons(table, "wav_path", "wav file missing")


def _settings(config: PrepareConfig) -> dict:
    return {"sample_rate": SAMPLE_RATE, "window_seconds": float(config.speech_window_seconds)}


SPEECH_SSL = EncoderKind(
    name=STAGE, setting="speech_encoders", processor="feature_extractor", statistics=("mean", "sd"),
    row_inputs=_row_inputs, item_key=lambda path: [path, fingerprint(path)], compute=speech_ssl_chunk,
    settings=_settings, strict_error=AudioError, items_are_files=True,
)  # fmt: skip

run_speech_ssl_stage = partial(run_encoder_stage, SPEECH_SSL)
"""`prepare`'s stage (registry): `--speech-encoder ID` vectors of every segment's wav."""


def load_speech_ssl(folder: Path, table: pd.DataFrame) -> EncoderVectors:
    """The stage's artifact (registry ``load``)."""
    return load_encoder_vectors(STAGE, folder, table)
