"""The bio stage of `prepare`: body-signal features of each segment -> bio_features.csv.

The unit of work is one speaker: per-person normalisation needs all of a person's recordings,
and a segment's features always come from the SPEAKER's own files, never the partner's (a
KEMDy19 file also carries the partner's segment ids, measured on the wrong body).
"""

from __future__ import annotations

import importlib.metadata
import json
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.datasets import BIO_SIGNALS
from emotion_classifier.datasets.coverage import owner_files
from emotion_classifier.features.artifacts import BIO, check_aligned, read_table_csv
from emotion_classifier.features.bio import feature_names
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.inputs import bio_input
from emotion_classifier.features.runner import Chunk, ChunkResult
from emotion_classifier.features.stage import (
    ARTIFACT_FORMAT,
    StageContext,
    StageResult,
    annotation_place,
    feature_version,
    input_bytes,
    reuse,
    skipped_item,
    stage_key,
)
from emotion_classifier.files import stable_hash, write_csv_atomic

NEUROKIT2 = importlib.metadata.version("neurokit2")  # not the module: importing it takes seconds
BIO_READER = "e4-start-time-2"
"""Version of what the bio reader keeps and reports (samples outside `datasets.bio.PLAUSIBLE_RANGES`
dropped, empty files and files reaching no segment listed): part of the key, so chunks cached by an
older reader, with its features and its shorter problem list, are recomputed once."""


BIO_BYTES_PER_SECOND = 10e6
"""Bio-file bytes one core reads and summarises per second (a low estimate): the chunks' `Chunk.cost`."""


def person_chunk(files: dict[str, list[str]], ids: list[tuple[str, str]], corpus: str,
                 normalisation: str = "session") -> ChunkResult:  # fmt: skip
    """Features of one speaker's segments (`ids`: canonical id, id as written) from their own files
    (`bio_input`, every signal of the corpus: one without files gives NaN features), person-normalised
    as `normalisation` says.

    A signal whose files hold no usable signal column (KEMDy19 ECG with time columns only)
    contributes NaN features and is reported as unused.
    """
    signal_files = {signal: files.get(signal, []) for signal in BIO_SIGNALS[corpus]}
    found = bio_input(signal_files, ids, corpus, normalisation=normalisation)
    report = {key: found.report[key] for key in ("problems", "notes", "counts", "signals_used")}
    return {
        "features": found.features.to_numpy(dtype=np.float64),
        "feature_names": np.array(found.features.columns, dtype=str),
        "has_bio": found.has_bio,
        "report": np.array(json.dumps(report, ensure_ascii=False)),
    }


def _units(table: pd.DataFrame, files: pd.DataFrame) -> list[tuple[str, dict[str, list[str]], list[tuple[str, str]]]]:
    """(person, files per signal, segment ids) for each speaker, in table order."""
    units = []
    for (session, person), rows in table.groupby(["session", "person"], sort=False):
        person_files = {s: sorted({p for p in files.loc[rows.index, s] if p}) for s in files.columns}
        ids = list(dict.fromkeys(zip(rows["segment_id"], rows["segment_id_raw"], strict=True)))
        units.append((f"Sess{int(session):02d} {person}", person_files, ids))
    return units


def _merge_reports(reports: list[dict], signals: tuple[str, ...]) -> dict:
    counts = {s: {} for s in signals}
    for report in reports:
        for signal, signal_counts in report["counts"].items():
            for name, n in signal_counts.items():
                counts[signal][name] = counts[signal].get(name, 0) + n
    return {
        "problems": [p for r in reports for p in r["problems"]],
        "notes": sorted({n for r in reports for n in r["notes"]}),
        "counts": counts,
        "signals_used": [s for s in signals if any(s in r["signals_used"] for r in reports)],
    }


def _skipped(row: pd.Series, row_files: pd.Series) -> dict:
    found = [p for p in row_files if p]
    if not found:
        return skipped_item(row["segment_id"], annotation_place(row), "the speaker has no bio files")
    return skipped_item(row["segment_id"], found[0], "no bio samples carry this segment id in the speaker's files")


def _key_settings(corpus: str, normalisation: str) -> list:
    """What the bio stage's cache keys are built from. The default normalisation adds nothing, so
    artifacts (and the runs whose fingerprint holds this key) made before it was a setting stay valid."""
    base = [ARTIFACT_FORMAT, corpus, feature_version(NEUROKIT2), BIO_READER]
    return base if normalisation == PrepareConfig.bio_normalisation else [*base, {"normalisation": normalisation}]


def run_bio_stage(table: pd.DataFrame, config: PrepareConfig, context: StageContext) -> StageResult:
    """Bio features per segment (cached per speaker); segments without samples are marked, not dropped."""
    corpus = table.attrs["corpus"]
    signals = BIO_SIGNALS[corpus]
    files = owner_files(table, Path(table.attrs["root"])) if len(table) else pd.DataFrame(columns=signals)
    normalisation = config.bio_normalisation
    base = _key_settings(corpus, normalisation)
    units = _units(table, files)
    chunks = []
    for _, unit_files, ids in units:
        keys = {s: [context.file_key(p) for p in f] for s, f in unit_files.items()}
        cost = input_bytes(p for f in unit_files.values() for p in f) / BIO_BYTES_PER_SECOND
        chunks.append(Chunk(stable_hash([base, keys, ids]), (unit_files, ids, corpus, normalisation), cost))
    key = stage_key(base, table, chunks)
    inputs = sorted({p for column in files.columns for p in files[column] if p})
    reused = reuse(context, "bio", key, table, inputs)
    if reused is not None:
        return reused
    run = context.run("bio", person_chunk, chunks)
    report = _merge_reports([json.loads(str(r["report"])) for r in run.results], signals)
    names = [n for s in report["signals_used"] for n in feature_names(s, normalisation)]
    per_unit = [
        pd.DataFrame(r["features"], columns=r["feature_names"], index=[c for c, _ in ids]).assign(has_bio=r["has_bio"])
        for r, (_, _, ids) in zip(run.results, units, strict=True)
    ]
    empty = pd.DataFrame(columns=[*names, "has_bio"])
    features = pd.concat(per_unit) if per_unit else empty
    features = features[~features.index.duplicated()].reindex(table["segment_id"])[[*names, "has_bio"]]
    available = features["has_bio"].eq(True).to_numpy()
    frame = features.assign(has_bio=available).reset_index(names="segment_id")
    skipped = [_skipped(table.iloc[i], files.iloc[i]) for i in np.flatnonzero(~available)]
    section = {
        "key": key,
        "artifact": BIO,
        "settings": {"signals": list(signals), "neurokit2": NEUROKIT2, "normalisation": normalisation,
                     "feature_names": names},
        "counts": {"segments": len(table), "with_bio": int(available.sum()), "skipped": len(skipped),
                   "speakers": len(units), "files": len(inputs), "per_signal": report["counts"]},
        "signals_used": report["signals_used"],
        "signals_unused": [s for s in signals if s not in report["signals_used"]],
        "notes": report["notes"],
        "problems": report["problems"],
        "skipped": skipped,
        "cache": {"hits": run.hits, "computed": run.computed},
    }  # fmt: skip
    return StageResult("bio", BIO, key, available, section, partial(write_csv_atomic, frame), inputs)


def load_bio_features(folder: Path, table: pd.DataFrame) -> pd.DataFrame:
    """``bio_features.csv`` back (``segment_id``, feature columns, ``has_bio``), checked against ``segments.csv``."""
    bio = read_table_csv(folder / BIO, ("segment_id",))
    check_aligned(bio["segment_id"].to_numpy(), table, folder / BIO)
    return bio
