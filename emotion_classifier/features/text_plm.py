"""The frozen text encoder (BERT, RoBERTa, ELECTRA: e.g. klue/roberta-base, beomi/KcELECTRA-base): its
input function, its `prepare` stage and its artifact loader.

Per segment: every hidden layer's [CLS] vector and its mean over the tokens of the cleaned transcript
(the model reads the transcript itself, as it was pretrained on text, not on morphemes). Transcripts
are batched sorted by length; one longer than the model's positions is cut at them (an utterance of
a dialogue corpus rarely comes near 512 tokens).
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


def text_plm_chunk(texts: list[str], folder: str, settings: dict) -> ChunkResult:
    """The input function of prepare and prediction alike: each cleaned transcript's layer vectors
    ([CLS] and token mean per layer, float16); an empty transcript never reaches it."""
    encoder = load_encoder(folder, "tokenizer")
    n_layers, hidden = layer_shape(encoder.model)
    limit = min(settings["max_tokens"], int(getattr(encoder.model.config, "max_position_embeddings", MAX_TOKENS)))
    vectors = np.zeros((len(texts), n_layers, 2, hidden), dtype=np.float16)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), BATCH_TEXTS):
        batch = order[start : start + BATCH_TEXTS]
        inputs = encoder.processor([texts[i] for i in batch], padding=True, truncation=True, max_length=limit,
                                   return_tensors="pt")  # fmt: skip
        states = hidden_states(encoder, dict(inputs)).numpy()
        mask = inputs["attention_mask"].numpy()[:, None, :, None].astype(np.float32)
        mean = (states * mask).sum(axis=2) / mask.sum(axis=2)
        vectors[batch] = np.stack([states[:, :, 0], mean], axis=2).astype(np.float16)
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
