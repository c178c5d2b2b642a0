"""The frozen text encoder (BERT, RoBERTa, ELECTRA: e.g. klue/roberta-base, beomi/KcELECTRA-base): its
input function, its `prepare` stage and its artifact loader.

Per segment: every hidden layer's [CLS] vector and its mean over the tokens of the cleaned transcript
(the model reads the transcript itself, as it was pretrained on text, not on morphemes). Transcripts
are batched sorted by length. One longer than the model's positions (512 tokens, or fewer where the
config says so) is cut into consecutive windows of that length, each with its own special tokens, and
the windows are pooled: the token mean over every window's tokens, the [CLS] vector as the mean of
the windows' [CLS] vectors weighted by their token counts (so the whole text counts, each part by its
share, rather than its first 512 tokens only). A text within the limit is one window: its vectors are
those of reading it whole.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.encoder_models import hidden_states, layer_shape, load_encoder
from emotion_classifier.features.encoder_stage import (
    EncoderKind,
    EncoderVectors,
    load_encoder_vectors,
    missing_reasons,
    run_encoder_stage,
)
from emotion_classifier.features.inputs import TEXT_EMPTY
from emotion_classifier.features.runner import ChunkResult

STAGE = "text_plm"
BATCH_TEXTS = 32
MAX_TOKENS = 512


def _window_pool(states: np.ndarray, mask: np.ndarray, owner: np.ndarray, n_texts: int) -> np.ndarray:
    """(texts, layers, 2, hidden): per text the token-count-weighted mean of its windows' [CLS] vectors
    and the mean over all its windows' tokens, from the windows' ``states`` (windows, layers, steps,
    hidden), their attention ``mask`` (windows, steps) and the text each window belongs to (``owner``)."""
    counts = mask.sum(axis=1).astype(np.float64)
    token_sums = (states * mask[:, None, :, None]).sum(axis=2)
    cls_sums = states[:, :, 0] * counts[:, None, None]
    pooled = np.zeros((n_texts, states.shape[1], 2, states.shape[3]))
    np.add.at(pooled[:, :, 0], owner, cls_sums)
    np.add.at(pooled[:, :, 1], owner, token_sums)
    return pooled / np.bincount(owner, weights=counts, minlength=n_texts)[:, None, None, None]


def text_plm_chunk(texts: list[str], folder: str, settings: dict) -> ChunkResult:
    """The input function of prepare and prediction alike: each cleaned transcript's layer vectors
    ([CLS] and token mean per layer, float16, pooled over windows when longer than the model reads);
    an empty transcript never reaches it.

    Windows come from the fast (Rust) tokenizer's overflow, which adds each window's special tokens as
    the model's own template does; a tokenizer without one cannot cut them and truncates at the limit.
    """
    encoder = load_encoder(folder, "tokenizer")
    tokenizer = encoder.processor
    windowed = bool(getattr(tokenizer, "is_fast", False))
    n_layers, hidden = layer_shape(encoder.model)
    limit = min(settings["max_tokens"], int(getattr(encoder.model.config, "max_position_embeddings", MAX_TOKENS)))
    vectors = np.zeros((len(texts), n_layers, 2, hidden), dtype=np.float16)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), BATCH_TEXTS):
        batch = order[start : start + BATCH_TEXTS]
        inputs = dict(tokenizer([texts[i] for i in batch], padding=True, truncation=True, max_length=limit,
                                return_overflowing_tokens=windowed, return_tensors="pt"))  # fmt: skip
        owner = inputs.pop("overflow_to_sample_mapping", None)
        owner = np.arange(len(batch)) if owner is None else owner.numpy()
        states = hidden_states(encoder, inputs).numpy()
        mask = inputs["attention_mask"].numpy().astype(np.float32)
        vectors[batch] = _window_pool(states, mask, owner, len(batch)).astype(np.float16)
    return {"vectors": vectors, "status": np.full(len(texts), "", dtype=str)}


def _row_inputs(table: pd.DataFrame) -> tuple[list[str], list[tuple[str, str]]]:
    texts = [t if t.strip() else "" for t in table["text"].fillna("").astype(str)]
    missing = missing_reasons(table, "txt_path", "transcript file missing")
    missing = [(place or path, reason if reason or text else TEXT_EMPTY) if not text else ("", "")
               for (place, reason), text, path in zip(missing, texts, table["txt_path"], strict=True)]  # fmt: skip
    return texts, missing


def _settings(config: PrepareConfig) -> dict:
    return {"max_tokens": MAX_TOKENS}


TEXT_PLM = EncoderKind(
    name=STAGE, setting="text_encoders", processor="tokenizer", statistics=("cls", "mean"),
    row_inputs=_row_inputs, item_key=lambda text: text, compute=text_plm_chunk, settings=_settings,
)  # fmt: skip

run_text_plm_stage = partial(run_encoder_stage, TEXT_PLM)
"""`prepare`'s stage (registry): `--text-encoder ID` vectors of every segment's transcript."""


def load_text_plm(folder: Path, table: pd.DataFrame) -> EncoderVectors:
    """The stage's artifact (registry ``load``)."""
    return load_encoder_vectors(STAGE, folder, table)
