"""The text stage of `prepare`: morphemes of each segment's cleaned transcript -> text_tokens.csv."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.errors import InputError
from emotion_classifier.features.artifacts import TOKENS, check_aligned, read_table_csv
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.inputs import text_inputs, text_skip_reason
from emotion_classifier.features.runner import Chunk, ChunkResult, blocks
from emotion_classifier.features.stage import (
    ARTIFACT_FORMAT,
    StageContext,
    StageResult,
    annotation_place,
    reuse,
    skipped_item,
    stage_key,
)
from emotion_classifier.features.tokenizers import resolve_stopwords, tokenizer_version
from emotion_classifier.files import stable_hash, write_csv_atomic


def tokenize_chunk(texts: list[str], tokenizer: str, stopwords: tuple[str, ...]) -> ChunkResult:
    """Tokens of each text joined by single spaces (one string per text, '' when none)."""
    joined = [" ".join(tokens) for tokens, _ in text_inputs(texts, tokenizer, stopwords)]
    return {"tokens": np.array(joined, dtype=str)}


def _skipped(row: pd.Series) -> dict:
    """Why a segment has no tokens, naming the transcript (or the annotation line when it has none)."""
    if not row["txt_path"]:
        return skipped_item(row["segment_id"], annotation_place(row), "transcript file missing")
    return skipped_item(row["segment_id"], row["txt_path"], text_skip_reason(row["text"], []))


TEXT_CHARS_PER_SECOND = 200_000.0
"""Transcript characters one core tokenises per second (a low estimate): the chunks' `Chunk.cost`."""


def run_text_stage(table: pd.DataFrame, config: PrepareConfig, context: StageContext) -> StageResult:
    """Tokenise (cached per chunk of texts); a segment without tokens is skipped and listed."""
    stopwords = resolve_stopwords(config.stopwords)
    settings = {
        "tokenizer": config.tokenizer,
        "tokenizer_version": tokenizer_version(config.tokenizer),
        "stopwords": config.stopwords,
        "n_stopwords": len(stopwords),
    }
    base = [ARTIFACT_FORMAT, settings, stopwords]
    texts = table["text"].tolist()
    stopword_file = {config.stopwords} if config.stopwords not in (None, "builtin") else set()
    inputs = sorted({p for p in table["txt_path"] if p} | stopword_file)
    chunks = [
        Chunk(stable_hash([base, block]), (block, config.tokenizer, stopwords),
              sum(len(t) for t in block) / TEXT_CHARS_PER_SECOND)
        for block in blocks(texts, config.chunk_size)
    ]  # fmt: skip
    key = stage_key(base, table, chunks)
    reused = reuse(context, "text", key, table, inputs, InputError)
    if reused is not None:
        return reused
    run = context.run("text", tokenize_chunk, chunks)
    tokens = np.concatenate([r["tokens"] for r in run.results]) if chunks else np.array([], dtype=str)
    frame = pd.DataFrame({"segment_id": table["segment_id"].to_numpy(), "tokens": tokens})
    skipped = [_skipped(table.iloc[i]) for i in np.flatnonzero(tokens == "")]
    section = {
        "key": key,
        "artifact": TOKENS,
        "settings": settings,
        "counts": {"segments": len(table), "with_text": int((tokens != "").sum()), "skipped": len(skipped)},
        "skipped": skipped,
        "strict": True,
        "cache": {"hits": run.hits, "computed": run.computed},
    }
    return StageResult("text", TOKENS, key, tokens != "", section, partial(write_csv_atomic, frame), inputs,
                       InputError)


def load_tokens(folder: Path, table: pd.DataFrame) -> list[list[str]]:
    """``text_tokens.csv`` back as one token list per segment row (checked against ``segments.csv``)."""
    tokens = read_table_csv(folder / TOKENS, ("segment_id", "tokens"))
    check_aligned(tokens["segment_id"].to_numpy(), table, folder / TOKENS)
    return [t.split(" ") if t else [] for t in tokens["tokens"]]
