"""The `prepare` stage shared by the frozen pretrained encoders (speech and text), and its artifact.

Per segment and encoder the artifact keeps every hidden layer's utterance vector (two statistics
each: speech mean and sd over frames, text [CLS] and mean over tokens) as float16, so a head can
learn which layers to read without the encoder ever running again. Several encoders sit side by
side: ``<stage>.json`` indexes one ``<stage>/<encoder>.npz`` per encoder, each keyed by the encoder
id and its exact revision; a chunk of segments is cached per encoder, so adding an encoder computes
that encoder only, and a file whose encoder key is unchanged is not rewritten. With no encoder
configured the stage returns None: `prepare` writes nothing for it and default runs are unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from emotion_classifier.errors import InputError
from emotion_classifier.features.artifacts import check_aligned
from emotion_classifier.features.cache import ChunkCache
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.encoder_models import EncoderRef, require_extra, resolve_encoder
from emotion_classifier.features.inputs import InputSpec
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
from emotion_classifier.files import fingerprint, load_npz, read_json, save_npz_streamed_atomic, stable_hash, write_json

ENCODER_FORMAT = 2
"""Bump when the pooling or the artifact layout of the encoder stages changes (every vector is redone).
2: a text longer than the model's positions is pooled over windows (was truncated); Whisper pools the
frames of the audio only (its padding to 30 s is left out)."""


@dataclass(frozen=True)
class EncoderKind:
    """What differs between the speech and the text encoder stage.

    ``setting``: the `PrepareConfig` field listing its encoders; ``processor``: ``feature_extractor`` or
    ``tokenizer``; ``statistics``: the two vectors kept per layer; ``row_inputs(table)``: per row the
    item the encoder reads ('' when none) and why none (the file to name, the reason);
    ``item_key(item)``: what identifies an item in a chunk key (a wav's fingerprint, a text itself);
    ``compute(items, folder, settings) -> {"vectors", "status"}``: the input function both prepare and
    prediction run; ``settings(config)``: the extraction settings in the stage key.
    """

    name: str
    setting: str
    processor: str
    statistics: tuple[str, str]
    row_inputs: Callable[[pd.DataFrame], tuple[list[str], list[tuple[str, str]]]]
    item_key: Callable[[str], object]
    compute: Callable[[list[str], str, dict], ChunkResult]
    settings: Callable[[PrepareConfig], dict]
    strict_error: type[InputError] = InputError
    items_are_files: bool = False
    """Whether items are files (fingerprinted in the manifest, so an edited wav makes `prepare` look again)."""


@dataclass(frozen=True)
class EncoderSpec(InputSpec):
    """How prediction reads an encoder modality: the encoder (id and revision the model was trained
    on) and the extraction settings, as sorted items (frozen, so models sharing it share one reading)."""

    encoder: str = ""
    revision: str = ""
    settings: tuple = ()


def missing_reasons(table: pd.DataFrame, column: str, reason: str) -> list[tuple[str, str]]:
    """Per row (place, reason) for rows whose ``column`` is empty: the annotation line to name."""
    return [(annotation_place(row), reason) if not row[column] else ("", "") for _, row in table.iterrows()]


def _counted(compute: Callable, bar: tqdm, items: list[str], folder: str, settings: dict) -> ChunkResult:
    result = compute(items, folder, settings)
    bar.update(len(items))
    return result


def _run_encoder(kind: EncoderKind, context: StageContext, ref: EncoderRef, chunks: list[Chunk]):
    """The encoder's chunks, in this process (the model is loaded once and may hold the GPU), with a
    progress bar in segments (the segments/s and ETA a user waiting on a large model wants); each chunk
    goes to the cache as it is computed and none is held in memory (read back from the cache)."""
    cache = ChunkCache(context.cache_root, kind.name)
    todo = sum(len(c.args[0]) for c in chunks if not cache.path(c.key).exists())
    local = dataclasses.replace(context, jobs=1, progress=False)
    with tqdm(total=todo, desc=f"{kind.name} {ref.id}", unit="seg", disable=not context.progress or not todo) as bar:
        return local.run(kind.name, partial(_counted, kind.compute, bar), chunks, keep=False)


def _encoder_files(refs: list[EncoderRef]) -> list[str]:
    """A local encoder's config and weights: inputs fingerprinted like the corpus files, so a re-saved
    model makes `prepare` look again (its revision then says whether anything changed)."""
    files = []
    for ref in refs:
        if ref.revision.startswith("local-"):
            found = sorted(Path(ref.folder).iterdir())
            files += [str(p) for p in found if p.suffix in (".json", ".safetensors", ".bin")]
    return files


def _intact(out: Path, section: dict) -> bool:
    """Every encoder file the previous run recorded is still the file it wrote."""
    return all(fingerprint(out / e["file"]) == e.get("fingerprint") for e in section.get("encoders", {}).values())


WRITE_BLOCK = 256
"""Rows of an encoder artifact assembled at once while it is written (`_vectors_in_order`)."""


def _vectors_in_order(cache: ChunkCache, chunks: list[Chunk], rows: np.ndarray, shape: tuple) -> Iterator[np.ndarray]:
    """One encoder's (rows, layers, 2, hidden) float16 vectors in table order, a block of rows at a time
    (zeros where a row has no item), reading one cached chunk at a time: a large encoder's artifact on a
    full-size corpus (about 1 GB) is never held whole."""
    starts = np.cumsum([0, *(len(c.args[0]) for c in chunks)])
    current, loaded = -1, None
    for first in range(0, len(rows), WRITE_BLOCK):
        block = rows[first : first + WRITE_BLOCK]
        out = np.zeros((len(block), *shape), dtype=np.float16)
        for j, item in enumerate(block):
            if item < 0:
                continue
            index = int(np.searchsorted(starts, item, side="right")) - 1
            if index != current:
                current, loaded = index, cache.require(chunks[index].key, ("vectors",))["vectors"]
            out[j] = loaded[item - starts[index]]
        yield out


def _writer(kind: EncoderKind, context: StageContext, table: pd.DataFrame, plans: list, rows: np.ndarray,
            section: dict) -> Callable[[Path], None]:  # fmt: skip
    previous = (context.previous.get(kind.name) or {}).get("encoders", {})

    def write(index_path: Path) -> None:
        folder = index_path.parent / kind.name
        for ref, _, chunks in plans:
            entry = section["encoders"][ref.id]
            old = previous.get(ref.id, {})
            path = index_path.parent / entry["file"]
            if old.get("key") != entry["key"] or fingerprint(path) != old.get("fingerprint"):
                shape = tuple(entry["shape"])
                vectors = _vectors_in_order(ChunkCache(context.cache_root, kind.name), chunks, rows, shape)
                save_npz_streamed_atomic(path, "vectors", vectors, (len(rows), *shape), {
                    "segment_id": table["segment_id"].to_numpy(dtype=str),
                    "statistics": np.array(kind.statistics, dtype=str),
                    "encoder": np.array([ref.id, ref.revision], dtype=str),
                })  # fmt: skip
            entry["fingerprint"] = fingerprint(path)
        kept = {Path(e["file"]).name for e in section["encoders"].values()}
        for stale in folder.glob("*.npz"):
            if stale.name not in kept:
                stale.unlink()
        write_json(index_path, {"stage": kind.name, "encoders": section["encoders"]})

    return write


def run_encoder_stage(kind: EncoderKind, table: pd.DataFrame, config: PrepareConfig,
                      context: StageContext) -> StageResult | None:  # fmt: skip
    """Every configured encoder's layer vectors per segment (cached per chunk and encoder); None (no
    artifact, no column) when no encoder is configured."""
    given = tuple(dict.fromkeys(getattr(config, kind.setting)))
    if not given:
        return None
    require_extra()
    refs = [resolve_encoder(g) for g in given]
    settings = kind.settings(config)
    items, missing = kind.row_inputs(table)
    unique = list(dict.fromkeys(i for i in items if i))
    position = {item: i for i, item in enumerate(unique)}
    rows = np.array([position.get(item, -1) if item else -1 for item in items], dtype=np.int64)
    common = [ARTIFACT_FORMAT, ENCODER_FORMAT, kind.name, settings]
    item_blocks = blocks(unique, config.chunk_size)
    plans = []
    for ref in refs:
        base = [common, ref.id, ref.revision]
        chunks = [Chunk(stable_hash([base, [kind.item_key(i) for i in b]]), (b, ref.folder, settings))
                  for b in item_blocks]  # fmt: skip
        plans.append((ref, stable_hash([base, [c.key for c in chunks]]), chunks))
    key = stage_key([common, [(r.id, r.revision) for r in refs]], table, [c for p in plans for c in p[2]], items)
    inputs = sorted(set(unique if kind.items_are_files else []) | set(_encoder_files(refs)))
    reused = reuse(context, kind.name, key, table, inputs, kind.strict_error)
    if reused is not None and _intact(context.out, reused.section):
        return reused
    status, shapes, hits, computed = np.full(len(unique), "", dtype=object), {}, 0, 0
    for ref, _, chunks in plans:
        run = _run_encoder(kind, context, ref, chunks)
        hits, computed = hits + run.hits, computed + run.computed
        cache = context.cache(kind.name)
        for chunk, block in zip(chunks, item_blocks, strict=True):
            for item, reason in zip(block, cache.require(chunk.key, ("status",))["status"], strict=True):
                status[position[item]] = status[position[item]] or str(reason)
        first = cache.load(chunks[0].key, ("vectors",)) if chunks else None
        shapes[ref.id] = tuple(first["vectors"].shape[1:]) if first else (0, len(kind.statistics), 0)
    skipped = []
    for i, (item, (place, reason)) in enumerate(zip(items, missing, strict=True)):
        why = reason if not item else status[rows[i]]
        if why:
            skipped.append(skipped_item(table["segment_id"].iloc[i], place if not item else item[:200], why))
    available = ~table["segment_id"].isin({s["segment_id"] for s in skipped}).to_numpy()
    encoders = {ref.id: {"id": ref.id, "revision": ref.revision, "folder": ref.folder, "key": encoder_key,
                         "file": f"{kind.name}/{ref.slug}.npz", "shape": list(shapes[ref.id]),
                         "statistics": list(kind.statistics), "settings": settings}
                for ref, encoder_key, _ in plans}  # fmt: skip
    section = {
        "key": key,
        "artifact": f"{kind.name}.json",
        "settings": settings,
        "encoders": encoders,
        "counts": {"segments": len(table), f"with_{kind.name}": int(available.sum()), "skipped": len(skipped),
                   "encoders": len(refs)},
        "skipped": skipped,
        "strict": True,
        "cache": {"hits": hits, "computed": computed},
    }  # fmt: skip
    write = _writer(kind, context, table, plans, rows, section)
    return StageResult(kind.name, section["artifact"], key, available, section, write, inputs, kind.strict_error)


def checked_encoder(spec: EncoderSpec) -> EncoderRef:
    """The encoder a model was trained on, found again; a missing one or another revision is refused
    with one line naming the encoder the model needs."""
    needed = f"the {spec.modality} model needs encoder {spec.encoder!r} (revision {spec.revision})"
    try:
        ref = resolve_encoder(spec.encoder)
    except InputError as exc:
        raise InputError(f"{needed}: {exc}") from None
    if ref.revision != spec.revision:
        raise InputError(f"{needed}, but {ref.folder} holds revision {ref.revision}")
    return ref


def encoder_inputs(kind: EncoderKind, spec: EncoderSpec, items: list) -> list:
    """Prediction's reading of new recordings through the stage's own input function: ``items`` per
    recording are ``(item, reason)`` (item '' when there is none) or the `InputError` that stopped it;
    returns ``(vectors or None, reason)`` or that error, per recording."""
    wanted = list(dict.fromkeys(i[0] for i in items if isinstance(i, tuple) and i[0]))
    found: dict[str, tuple] = {}
    if wanted:
        try:
            ref = checked_encoder(spec)
        except InputError as exc:
            return [exc] * len(items)
        result = kind.compute(wanted, ref.folder, dict(spec.settings))
        found = {item: (None, str(reason)) if reason else (vector, "")
                 for item, vector, reason in zip(wanted, result["vectors"], result["status"], strict=True)}  # fmt: skip
    return [i if isinstance(i, InputError) else found[i[0]] if i[0] else (None, i[1]) for i in items]


class EncoderVectors:
    """An encoder stage's artifact read back: the encoders it holds (``encoders``: id -> index entry)
    and, on request, one encoder's (rows, layers, 2, hidden) float16 vectors (read once, when asked:
    a run trains on one encoder of several)."""

    def __init__(self, folder: Path, table: pd.DataFrame, index: dict):
        self.folder = folder
        self.table = table
        self.encoders: dict[str, dict] = index["encoders"]
        self._loaded: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.table)

    def choose(self, wanted: tuple[str, ...], stage: str) -> dict:
        """The one encoder a model reads: the one of ``wanted`` (``train.encoders``) this stage holds,
        or the only one prepared; anything else is an error listing what there is."""
        named = [self.encoders[w] for w in wanted if w in self.encoders]
        if len(named) == 1 or (not wanted and len(self.encoders) == 1):
            return named[0] if named else next(iter(self.encoders.values()))
        held = ", ".join(self.encoders) or "none"
        why = "several" if len(named) > 1 else "none of train.encoders" if wanted else "more than one"
        raise InputError(f"{stage}: {why} of the prepared encoders ({held}) chosen; pick one with "
                         f"--set 'train.encoders=[\"ID\"]'")  # fmt: skip

    def vectors(self, entry: dict) -> np.ndarray:
        if entry["id"] not in self._loaded:
            path = self.folder / entry["file"]
            if not path.is_file():
                raise InputError("encoder vectors missing; rerun `emotion prepare` on this folder", path)
            data = load_npz(path)
            check_aligned(data["segment_id"], self.table, path)
            self._loaded[entry["id"]] = data["vectors"]
        return self._loaded[entry["id"]]


def load_encoder_vectors(stage: str, folder: Path, table: pd.DataFrame) -> EncoderVectors:
    """The index ``<stage>.json`` of an encoder stage (its npz files are read when a model asks)."""
    return EncoderVectors(folder, table, read_json(folder / f"{stage}.json"))


def encoder_label(entry: dict) -> str:
    """``id@revision`` (revision shortened): how a report or an error names an encoder."""
    return f"{entry.get('id', '?')}@{str(entry.get('revision', '?'))[:12]}"


def run_encoder_label(run_dir: str | Path) -> str:
    """The encoder a modality run's fold models read (``id@revision``), '' for a run without one: the
    report names it, since two runs of one encoder modality on different encoders are different models."""
    sidecars = sorted((Path(run_dir) / "models").glob("fold*.json"))
    entry = read_json(sidecars[0]).get("encoder", {}).get("encoder") if sidecars else None
    return encoder_label(entry) if isinstance(entry, dict) and entry.get("id") else ""
