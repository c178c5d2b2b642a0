"""The leak-free training loop of one modality, and re-scoring a finished run without training.

Protocol (KEMDY_FORMAT.md, "How to evaluate honestly"): outer folds of whole sessions; inside
each fold, early stopping on validation sessions taken from the training part; every fitted
thing (vocabulary, scalers, resamplers) is fitted by the estimator on the training rows it is
given. Folds are planned on the whole segment table, so every modality of a corpus gets the same
sessions in the same folds and fusion can join their out-of-fold predictions.
"""

from __future__ import annotations

import dataclasses
import functools
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from emotion_classifier import registry
from emotion_classifier.cluster import active_client, run_in_process, run_jobs
from emotion_classifier.errors import InputError
from emotion_classifier.features import Artifacts, load_artifacts
from emotion_classifier.files import write_json
from emotion_classifier.training import runs
from emotion_classifier.training.estimators import (
    SAVE_FORMATS,
    ModalityInputs,
    ModalityModel,
    Prediction,
    TrainConfig,
    check_trainable,
    load_model,
    make_model,
    modality_inputs,
)
from emotion_classifier.training.folds import (
    Fold,
    fold_records,
    folds_from_list,
    folds_from_records,
    random_folds,
    read_folds_file,
    session_folds,
    validation_sessions,
)
from emotion_classifier.training.metrics import (
    PROBA_COLUMNS,
    TARGETS,
    folds_table,
    predicted_labels,
    score_predictions,
)
from emotion_classifier.training.plots import (
    plot_confusion_matrix,
    plot_per_class_f1,
    plot_training_curves,
)

SPLITS: tuple[str, ...] = ("session", "random")
FORMATS: tuple[str, ...] = SAVE_FORMATS

VAL_FRACTION = 0.15
"""Share of training sessions held out for early stopping (at least one session)."""


def trainable_rows(inputs: ModalityInputs, modality: str) -> tuple[np.ndarray, dict]:
    """Rows that are labelled and carry the modality, and every other row counted by reason.

    A tie dropped by the tie policy, an unlabelled row and a row without this modality are
    listed separately, so the report can say exactly what the scores leave out.
    """
    table = inputs.table
    labelled = np.asarray(inputs.y, dtype=str) != ""
    available = np.asarray(inputs.available, dtype=bool)
    ties = ~labelled & (table["n_labels"].to_numpy() > 1)
    reasons = {
        "tie_dropped": ties,
        "unlabelled": ~labelled & ~ties,
        f"no_{modality}": labelled & ~available,
    }
    ids = table["segment_id"].astype(str).to_numpy()
    skipped = {name: {"count": int(m.sum()), "segment_ids": ids[m].tolist()} for name, m in reasons.items()}
    return labelled & available, skipped


def plan_folds(
    table: pd.DataFrame,
    eligible: np.ndarray,
    *,
    n_folds: int | None,
    test_sessions: Sequence[int] | None,
    split: str,
    seed: int,
    source: str | Path = "segments.csv",
    folds_file: str | Path | None = None,
    dedup_text: bool = False,
) -> list[Fold]:
    """Folds over the whole table, restricted to the eligible rows (positions in ``table``).

    ``folds_file``: a published fold list (`folds.read_folds_file`) instead of ``n_folds`` /
    ``test_sessions``; its sessions are checked against the table. ``dedup_text``: training and
    validation rows whose transcript equals a test row's are left out (`test_text_rows`).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    try:
        if folds_file is not None:
            folds = _listed_folds(table, folds_file, n_folds=n_folds, test_sessions=test_sessions, split=split,
                                  seed=seed)
        elif split == "random":
            if test_sessions is not None:
                raise ValueError("--test-sessions needs --split session")
            folds = random_folds(len(table), n_folds or 5, val_fraction=VAL_FRACTION, seed=seed)
        else:
            corpus = str(table["corpus"].iloc[0]) if len(table) else "KEMDy19"
            folds = session_folds(table["session"], n_folds, corpus, test_sessions, VAL_FRACTION, seed)
    except ValueError as exc:
        raise InputError(str(exc), source) from None
    keep = np.flatnonzero(eligible)
    texts = _transcripts(table)
    folds = [_restricted(f, keep, test_text_rows(f, texts) if dedup_text else np.empty(0, dtype=int))
             for f in folds]
    for f in folds:
        empty = [part for part in ("train", "val", "test") if getattr(f, part).size == 0]
        if empty:
            message = f"fold {f.index} has no labelled rows with this modality in its {'/'.join(empty)} rows"
            raise InputError(message, source)
    return folds


def _restricted(fold: Fold, keep: np.ndarray, dropped: np.ndarray) -> Fold:
    """The fold's rows among ``keep``, less the ``dropped`` training and validation rows."""
    return dataclasses.replace(
        fold,
        train=np.setdiff1d(np.intersect1d(fold.train, keep), dropped),
        val=np.setdiff1d(np.intersect1d(fold.val, keep), dropped),
        test=np.intersect1d(fold.test, keep),
    )


def _transcripts(table: pd.DataFrame) -> np.ndarray:
    """The cleaned transcript of every row ('' without one), as ``segments.csv`` stores it."""
    if "text" not in table:
        return np.full(len(table), "", dtype=object)
    return table["text"].fillna("").astype(str).str.strip().to_numpy()


def test_text_rows(fold: Fold, texts: np.ndarray) -> np.ndarray:
    """Positions of the fold's training and validation rows whose transcript equals one of its test rows'.

    KEMDy19's scripted lines repeat across sessions, so a text model that saw a line in training
    scores on it by memory. The test rows are taken before any restriction to a modality, so every
    modality of a fold loses the same rows and fusion stays aligned. Empty transcripts never match.
    """
    tested = set(texts[fold.test].tolist()) - {""}
    repeated = np.flatnonzero(np.isin(texts, list(tested)))
    return np.union1d(np.intersect1d(fold.train, repeated), np.intersect1d(fold.val, repeated))


def dropped_rows(fold: Fold, eligible: np.ndarray) -> np.ndarray:
    """Eligible rows in none of the fold's parts: those `plan_folds` dropped from training and validation.

    Every plan puts each row in exactly one part, so what is missing was dropped.
    """
    used = np.union1d(np.union1d(fold.train, fold.val), fold.test)
    return np.setdiff1d(np.flatnonzero(eligible), used)


def _listed_folds(table: pd.DataFrame, folds_file: str | Path, *, n_folds: int | None,
                  test_sessions: Sequence[int] | None, split: str, seed: int) -> list[Fold]:
    """The folds of a published list; asking for other folds at the same time is refused."""
    if split != "session" or n_folds is not None or test_sessions is not None:
        raise InputError("a folds file is the whole fold plan: give it without --folds, --test-sessions or "
                         "--split random", folds_file)
    return folds_from_list(table["session"], read_folds_file(folds_file), val_fraction=VAL_FRACTION, seed=seed,
                           source=folds_file)


def planned_folds(artifacts: Artifacts, modality: str, *, n_folds: int | None,
                  test_sessions: Sequence[int] | None, split: str, seed: int,
                  folds_file: str | Path | None = None, dedup_text: bool = False,
                  config: TrainConfig | None = None) -> tuple:
    """One modality's inputs (``config``: the settings that choose a joint network's parts), its trainable
    rows, the skipped rows by reason and its folds.

    Every modality plans its folds through this one function, so they share sessions per fold;
    re-scoring (`evaluate_run`) reads the run's ``folds.json`` instead of planning again.
    With ``dedup_text``, ``skipped`` also counts the rows left out of training (`dedup_skipped`).
    """
    inputs = modality_inputs(artifacts, modality, config)
    eligible, skipped = trainable_rows(inputs, modality)
    folds = plan_folds(inputs.table, eligible, n_folds=n_folds, test_sessions=test_sessions, split=split,
                       seed=seed, source=Path(artifacts.folder) / "segments.csv", folds_file=folds_file,
                       dedup_text=dedup_text)
    if dedup_text:
        skipped[runs.SAME_TEXT_SKIP] = dedup_skipped(folds, eligible, inputs.table["segment_id"])
    return inputs, eligible, skipped, folds


def _fold_dropped(fold: Fold, eligible: np.ndarray, ids: np.ndarray) -> dict:
    dropped = dropped_rows(fold, eligible)
    return {"count": int(dropped.size), "segment_ids": ids[dropped].tolist()}


def dedup_skipped(folds: Sequence[Fold], eligible: np.ndarray, segment_ids: Sequence[str]) -> dict:
    """``skipped["same_text_as_test"]`` of ``metrics.json``: training/validation rows left out, per fold.

    ``count`` sums the folds (a row can be left out of several), ``segment_ids`` lists each row once.
    """
    ids = np.asarray(segment_ids, dtype=str)
    per_fold = [{"fold": f.index, **_fold_dropped(f, eligible, ids)} for f in folds]
    every = sorted({s for entry in per_fold for s in entry["segment_ids"]})
    return {"count": sum(e["count"] for e in per_fold), "segment_ids": every,
            "folds": [{"fold": e["fold"], "count": e["count"]} for e in per_fold]}


def fold_file_records(folds: Sequence[Fold], eligible: np.ndarray, segment_ids: Sequence[str]) -> list[dict]:
    """``folds.json``: `folds.fold_records` plus, per fold, ``skipped`` (the rows dropped by ``dedup_text``)."""
    ids = np.asarray(segment_ids, dtype=str)
    return [{**record, "skipped": {runs.SAME_TEXT_SKIP: _fold_dropped(fold, eligible, ids)}}
            for record, fold in zip(fold_records(folds, ids), folds, strict=True)]


def recorded_folds(records: Sequence[dict], table: pd.DataFrame, eligible: np.ndarray, source: Path) -> list[Fold]:
    """The folds of a ``folds.json``, each without the rows its ``skipped`` entry says were dropped."""
    ids = table["segment_id"].astype(str).to_numpy()
    folds = []
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict) or not isinstance(record.get("fold"), int):
            raise InputError(f"fold entry {number} is not an object with a \"fold\" number", source)
        dropped = ((record.get("skipped") or {}).get(runs.SAME_TEXT_SKIP) or {}).get("segment_ids", [])
        folds += folds_from_records([record], table, eligible & ~np.isin(ids, dropped), source)
    return folds


def prediction_rows(inputs: ModalityInputs, idx: np.ndarray, prediction: Prediction,
                    fold: int) -> pd.DataFrame:
    """The ``oof_predictions.csv`` rows of ``idx`` (docs/architecture.md, "Runs folder")."""
    table = inputs.table.iloc[idx]
    proba = np.asarray(prediction.proba, dtype=float)
    frame = pd.DataFrame(
        {
            "segment_id": table["segment_id"].astype(str).to_numpy(),
            "fold": fold,
            "session": table["session"].to_numpy(),
            "kind": table["kind"].astype(str).to_numpy(),
            "y_true": np.asarray(inputs.y, dtype=str)[idx],
        }
    )
    for j, column in enumerate(PROBA_COLUMNS):
        frame[column] = proba[:, j]
    for target in TARGETS:
        frame[f"{target}_true"] = np.asarray(getattr(inputs, target), dtype=float)[idx]
        frame[f"{target}_pred"] = np.asarray(getattr(prediction, target), dtype=float)
    return frame


def _fold_outputs(inputs: ModalityInputs, modality: str, config: TrainConfig, fold: Fold,
                  paths: runs.RunPaths) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit one fold, save its model and history (files of this fold only), return its validation and
    test prediction rows, which `_store_fold` adds to the run's shared predictions files."""
    model = make_model(modality, config).fit(inputs, fold.train, fold.val)
    model.save(paths.models, paths.fold_model_name(fold.index))
    runs.write_table(paths.history(fold.index), pd.DataFrame(model.history_))
    return tuple(prediction_rows(inputs, idx, model.predict(inputs, idx), fold.index)  # type: ignore[return-value]
                 for idx in (fold.val, fold.test))


def _store_fold(paths: runs.RunPaths, val_rows: pd.DataFrame, test_rows: pd.DataFrame) -> None:
    # Model and history first, predictions last: the folds present in oof_predictions.csv are the
    # folds whose every output exists, which is what a resumed run relies on.
    runs.store_fold_predictions(paths.val, val_rows)
    runs.store_fold_predictions(paths.oof, test_rows)


def _fit_fold(inputs: ModalityInputs, modality: str, config: TrainConfig, fold: Fold,
              paths: runs.RunPaths) -> None:
    _store_fold(paths, *_fold_outputs(inputs, modality, config, fold, paths))


@dataclasses.dataclass(frozen=True)
class FoldJob:
    """One fold of one model and seed: what a cluster worker needs to train it into ``run_dir``."""

    artifacts_dir: Path
    modality: str
    config: TrainConfig
    run_dir: Path
    fold: Fold


FOLD_PROCESS = "emotion_classifier.training.fold_process"
"""The module a cluster worker runs each fold in, as a fresh process (`run_fold_jobs`)."""


def fold_job_outputs(job: FoldJob) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train ``job``'s fold through the serial code path (`_fold_outputs`, the same seed): its model and
    history go into the run folder, its validation and test prediction rows are returned."""
    inputs = modality_inputs(load_artifacts(job.artifacts_dir), job.modality, job.config)
    return _fold_outputs(inputs, job.modality, job.config, job.fold, runs.RunPaths(job.run_dir))


def _store_fold_result(result: bytes) -> None:
    """Store a fold `fold_process` trained (its pickled outcome), or raise the error it met."""
    outcome, value = pickle.loads(result)
    if outcome == "error":
        raise value
    run_dir, val_rows, test_rows = value
    _store_fold(runs.RunPaths(run_dir), val_rows, test_rows)


def run_fold_jobs(jobs: Sequence[FoldJob], *, progress: bool = True) -> None:
    """Train ``jobs`` on the open cluster (`cluster.open_cluster`), storing each fold as it arrives.

    Each fold runs in a fresh process on its worker (`cluster.run_in_process`, `fold_process`): a Dask
    worker's own threads draw from Python's global random generator at any moment, and Keras takes its
    layers' default seeds from it, so a fold trained in the worker itself gave other numbers than the
    serial run now and then. The fresh process also frees the fold's memory (GPU memory included, which
    TensorFlow never hands back) and keeps TensorFlow out of the worker; it costs one import per fold.
    The prediction rows come back here, and only this process writes the predictions files, so parallel
    folds never race. A fold counts as finished once stored, exactly as in the serial run, so an
    interrupted cluster run resumes with the folds not stored yet, on a cluster or without one.
    """
    client = active_client()
    if client is None or not jobs:
        return
    payloads = [pickle.dumps(job) for job in jobs]
    run_jobs(client, functools.partial(run_in_process, FOLD_PROCESS), payloads, _store_fold_result,
             desc="folds on the cluster", progress=progress)


def run_record(
    artifacts: Artifacts,
    modality: str,
    config: TrainConfig,
    *,
    models_dir: Path,
    n_folds: int | None,
    test_sessions: Sequence[int] | None,
    split: str,
    fmt: str,
    folds_file: str | Path | None = None,
    dedup_text: bool = False,
) -> dict:
    """Everything ``config.json`` holds: enough to rebuild the folds and the models of the run.

    A folds file is recorded by path and by content (``fold_list``), so editing it stops a resume;
    so does a change of ``dedup_text`` (other training rows).
    """
    return {
        "modality": modality,
        "train_config": config.to_dict(),
        "seed": config.seed,
        "split": split,
        "n_folds": n_folds,
        "test_sessions": None if test_sessions is None else sorted(int(s) for s in test_sessions),
        "val_fraction": VAL_FRACTION,
        "folds_file": None if folds_file is None else str(folds_file),
        "fold_list": None if folds_file is None else read_folds_file(folds_file),
        "dedup_text": dedup_text,
        "artifacts": str(Path(artifacts.folder).resolve()),
        "artifacts_fingerprint": runs.artifacts_fingerprint(artifacts.manifest),
        "models_dir": str(models_dir),
        "format": fmt,
        "versions": runs.package_versions(),
    }


def _check_choices(modality: str, split: str, fmt: str) -> None:
    choices = (("modality", modality, registry.modality_names()), ("split", split, SPLITS), ("fmt", fmt, FORMATS))
    for name, value, allowed in choices:
        if value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def train_modality(
    artifacts_dir: str | Path,
    modality: str,
    config: TrainConfig,
    run_dir: str | Path,
    *,
    models_dir: str | Path = "h5_models",
    n_folds: int | None = None,
    test_sessions: Sequence[int] | None = None,
    split: str = "session",
    fmt: str = "keras",
    progress: bool = True,
    final_model: bool = True,
    folds_file: str | Path | None = None,
    dedup_text: bool = False,
) -> dict:
    """Cross-validate one modality into ``run_dir``, then train and save its final model.

    Returns what ``metrics.json`` holds. A rerun with the same ``run_dir`` and settings skips
    the folds already finished (see ``runs.completed_folds``). ``final_model=False`` stops after
    the folds, for when only the out-of-fold scores are wanted (fusion, quick comparisons).
    ``folds_file``: a published fold list (`folds.read_folds_file`) instead of ``n_folds``/``test_sessions``.
    ``dedup_text``: in each fold, leave out the training and validation rows whose transcript equals a
    test row's (KEMDy19 scripted lines repeat across sessions); counted in ``folds.json`` and ``skipped``.
    Inside `cluster.open_cluster` (``--cluster``) the unfinished folds are trained on the cluster first
    (`run_fold_jobs`), and the loop below then finds them done.
    """
    inputs, eligible, skipped, folds, paths = start_run(
        artifacts_dir, modality, config, run_dir, models_dir=models_dir, n_folds=n_folds,
        test_sessions=test_sessions, split=split, fmt=fmt, folds_file=folds_file, dedup_text=dedup_text)
    run_fold_jobs(unfinished_folds(artifacts_dir, modality, config, paths, folds), progress=progress)
    done = runs.completed_folds(paths)
    for fold in tqdm(folds, desc=f"{modality} folds", unit="fold", disable=not progress):
        if fold.index not in done:
            _fit_fold(inputs, modality, config, fold, paths)
    oof = runs.read_oof(paths.oof)
    metrics = write_scores(paths, oof, modality, split, skipped)
    write_plots(paths, oof, metrics, modality)
    if final_model:
        train_final_model(inputs, eligible, modality, config, Path(models_dir), fmt)
    return metrics


def start_run(
    artifacts_dir: str | Path, modality: str, config: TrainConfig, run_dir: str | Path, *,
    models_dir: str | Path = "h5_models", n_folds: int | None = None, test_sessions: Sequence[int] | None = None,
    split: str = "session", fmt: str = "keras", folds_file: str | Path | None = None, dedup_text: bool = False,
) -> tuple[ModalityInputs, np.ndarray, dict, list[Fold], runs.RunPaths]:  # fmt: skip
    """Check the settings, plan the folds and start (or resume) the run folder: ``config.json`` and
    ``folds.json`` written. Returns the inputs, trainable rows, skipped rows, folds and paths."""
    _check_choices(modality, split, fmt)
    check_trainable(modality, config)  # before anything is read or written
    paths = runs.RunPaths(Path(run_dir))
    artifacts = load_artifacts(Path(artifacts_dir))
    inputs, eligible, skipped, folds = planned_folds(artifacts, modality, n_folds=n_folds,
                                                     test_sessions=test_sessions, split=split, seed=config.seed,
                                                     folds_file=folds_file, dedup_text=dedup_text, config=config)
    record = run_record(artifacts, modality, config, models_dir=Path(models_dir), n_folds=n_folds,
                        test_sessions=test_sessions, split=split, fmt=fmt, folds_file=folds_file,
                        dedup_text=dedup_text)
    runs.start_or_resume(paths, record)
    write_json(paths.folds, fold_file_records(folds, eligible, inputs.table["segment_id"]))
    return inputs, eligible, skipped, folds, paths


def unfinished_folds(artifacts_dir: str | Path, modality: str, config: TrainConfig, paths: runs.RunPaths,
                     folds: Sequence[Fold]) -> list[FoldJob]:
    """A `FoldJob` for each fold of the run not stored yet (a finished fold is never trained again)."""
    done = runs.completed_folds(paths)
    # Absolute: a worker of a tcp:// cluster does not start in this process's working directory.
    artifacts, run_dir = Path(artifacts_dir).resolve(), paths.root.resolve()
    return [FoldJob(artifacts, modality, config, run_dir, f) for f in folds if f.index not in done]


def write_scores(paths: runs.RunPaths, oof: pd.DataFrame, modality: str, split: str, skipped: dict) -> dict:
    """``metrics.json`` and ``metrics_folds.csv`` from the stored out-of-fold predictions ``oof``."""
    metrics = score_predictions(oof)
    metrics.update({"modality": modality, "split": split, "skipped": skipped})
    write_json(paths.metrics, metrics)
    runs.write_table(paths.metrics_folds, folds_table(metrics))
    return metrics


def write_plots(paths: runs.RunPaths, oof: pd.DataFrame, metrics: dict, modality: str) -> None:
    """The run's three figures, drawn from the files just written (what a reader of the folder sees):
    ``oof`` as read back from ``oof_predictions.csv``, the metrics and the stored histories."""
    plot_confusion_matrix(oof["y_true"], predicted_labels(oof), paths.confusion_png,
                          title=f"{modality}: out-of-fold confusion matrix (row-normalised)")
    plot_training_curves(paths.histories(), paths.curves_png, title=f"{modality}: training curves")
    plot_per_class_f1(metrics["summary"]["per_class_f1"], paths.per_class_png,
                      title=f"{modality}: per-class F1")


def final_split(inputs: ModalityInputs, eligible: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """All sessions for training except validation sessions kept for early stopping."""
    sessions = inputs.table["session"].to_numpy()
    val_sessions = validation_sessions(sorted(set(sessions[eligible].tolist())), VAL_FRACTION,
                                        np.random.default_rng(seed))
    in_val = np.isin(sessions, val_sessions)
    return np.flatnonzero(eligible & ~in_val), np.flatnonzero(eligible & in_val)


def train_final_model(inputs: ModalityInputs, eligible: np.ndarray, modality: str, config: TrainConfig,
                      models_dir: Path, fmt: str = "keras") -> ModalityModel:
    """The model ``predict`` uses: every session but the validation ones, saved to ``models_dir``."""
    train_idx, val_idx = final_split(inputs, eligible, config.seed)
    model = make_model(modality, config).fit(inputs, train_idx, val_idx)
    model.save(models_dir, registry.h5_name(modality) if fmt == "h5" else modality, fmt=fmt)
    return model


def evaluate_run(run_dir: str | Path, *, artifacts_dir: str | Path | None = None, atol: float = 1e-5) -> dict:
    """Re-score the saved fold models on the artifacts without training (MATE's test-only mode).

    The folds are read from the run's ``folds.json`` (refused when its rows do not match the
    artifacts) and each fold model predicts its test rows; the result must equal the stored
    ``oof_predictions.csv`` up to ``atol``, which checks that the saved models, the artifacts and
    the fold rows are the ones the scores came from.
    """
    paths = runs.RunPaths(Path(run_dir))
    record = runs.read_run_json(paths.config, dict, ("artifacts", "artifacts_fingerprint", "modality"))
    artifacts_dir = Path(artifacts_dir or record["artifacts"])
    artifacts = load_artifacts(artifacts_dir)
    if runs.artifacts_fingerprint(artifacts.manifest) != record["artifacts_fingerprint"]:
        raise InputError("these artifacts differ from the ones the run was trained on",
                         artifacts_dir / "manifest.json")
    modality = record["modality"]
    inputs = modality_inputs(artifacts, modality, TrainConfig.from_dict(record.get("train_config") or {}))
    eligible, _ = trainable_rows(inputs, modality)
    folds = recorded_folds(runs.read_run_json(paths.folds, list), inputs.table, eligible, paths.folds)
    blocks = []
    for fold in folds:
        model = load_model(paths.models, paths.fold_model_name(fold.index))
        blocks.append(prediction_rows(inputs, fold.test, model.predict(inputs, fold.test), fold.index))
    rescored = pd.concat(blocks, ignore_index=True)
    difference = _max_difference(rescored, runs.read_oof(paths.oof))
    return {
        "modality": modality,
        "n_rows": len(rescored),
        "max_abs_difference": difference,
        "matches_stored": bool(difference <= atol),
        "metrics": score_predictions(rescored),
    }


def _max_difference(rescored: pd.DataFrame, stored: pd.DataFrame) -> float:
    """Largest absolute difference of the predicted numbers; inf when the rows themselves differ."""
    keys = ["segment_id", "fold", "y_true"]
    if len(rescored) != len(stored) or not rescored[keys].equals(stored[keys].astype(rescored[keys].dtypes)):
        return float("inf")
    numbers = [*PROBA_COLUMNS, "valence_pred", "arousal_pred"]
    a = rescored[numbers].to_numpy(dtype=float)
    b = stored[numbers].to_numpy(dtype=float)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("inf")
    both = ~np.isnan(a)
    return float(np.abs(a[both] - b[both]).max(initial=0.0))

