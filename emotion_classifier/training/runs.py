"""The runs folder of one modality (docs/architecture.md, "Runs folder"): paths, reading, writing.

Each fold's outputs are written the moment the fold ends, and ``oof_predictions.csv`` is
rewritten atomically after every fold, so a crash never loses a finished fold and the folds
present in that file are exactly the folds a rerun may skip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from emotion_classifier.errors import InputError
from emotion_classifier.files import json_safe, read_json, stable_hash, write_json, write_text_atomic
from emotion_classifier.training.metrics import PROBA_COLUMNS

OOF_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "fold",
    "session",
    "kind",
    "y_true",
    *PROBA_COLUMNS,
    "valence_true",
    "arousal_true",
    "valence_pred",
    "arousal_pred",
)

_VERSIONED_PACKAGES: tuple[str, ...] = (
    "emotion_classifier", "numpy", "pandas", "scikit-learn", "imbalanced-learn", "keras", "tensorflow",
    "tensorflow-cpu",
)

_TEXT_COLUMNS: tuple[str, ...] = ("segment_id", "kind", "y_true")

SEEDS_FOLDER = "seeds"
"""``runs/NAME/seeds/seed<K>/``: the runs of every seed but the first (``PipelineConfig.seeds``)."""

SAME_TEXT_SKIP = "same_text_as_test"
"""``skipped`` key (``metrics.json``, each fold of ``folds.json``) of the training and validation rows
``dedup_text`` left out: rows scored in their own test fold, not rows missing from the scores."""

# config.json keys that may change between a run and its resumption: package versions, where the
# artifacts now are (their fingerprint must still match), where the final model goes and where the
# folds file is (its content, `fold_list`, must still match).
_VOLATILE_CONFIG_KEYS: tuple[str, ...] = ("versions", "artifacts", "models_dir", "format", "folds_file")


@dataclass(frozen=True)
class RunPaths:
    """Where every file of ``runs/NAME/MODALITY/`` lives; one place so readers and writers agree."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def folds(self) -> Path:
        return self.root / "folds.json"

    @property
    def oof(self) -> Path:
        return self.root / "oof_predictions.csv"

    @property
    def val(self) -> Path:
        return self.root / "val_predictions.csv"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def metrics_folds(self) -> Path:
        return self.root / "metrics_folds.csv"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def confusion_png(self) -> Path:
        return self.root / "confusion_matrix.png"

    @property
    def curves_png(self) -> Path:
        return self.root / "training_curves.png"

    @property
    def per_class_png(self) -> Path:
        return self.root / "per_class_f1.png"

    def history(self, fold: int) -> Path:
        return self.root / f"history_fold{fold}.csv"

    def histories(self) -> dict[int, pd.DataFrame]:
        """Every stored fold history, by fold (the training curves of a run and of the report)."""
        folds = sorted(int(p.stem.removeprefix("history_fold")) for p in self.root.glob("history_fold*.csv"))
        return {fold: pd.read_csv(self.history(fold)) for fold in folds}

    @staticmethod
    def fold_model_name(fold: int) -> str:
        return f"fold{fold}"


def read_run_json(path: Path, expect: type | None = None, keys: Sequence[str] = ()) -> dict | list:
    """A run file, naming it when it is missing (not a finished run folder), broken, not of the ``expect``ed
    shape or without one of ``keys``."""
    found = read_json(path, missing="file not found (is this a finished `emotion train` run folder?)", expect=expect)
    if missing := [key for key in keys if key not in found]:
        raise InputError(f"no {', '.join(map(repr, missing))} (not written by `emotion train`?)", path)
    return found


def package_versions() -> dict[str, str | None]:
    """Versions that change numbers: recorded with every run so a score can be traced to its stack."""
    found = {}
    for name in _VERSIONED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def artifacts_fingerprint(manifest: dict) -> str:
    """What identifies the artifacts' content: the hash of ``segments.csv`` and each stage's cache key.

    A rerun of ``prepare`` rewrites ``manifest.json`` (timings, change lists) without touching any
    artifact, so a hash of the whole file would call every rerun new data; a stage's key changes
    exactly when ``prepare`` recomputes that stage (its settings, inputs or versions changed). The
    segments' ``content_sha256`` (file paths below the corpus root) keeps it when the corpus moves.
    """
    stages, segments = manifest.get("stages") or {}, manifest.get("segments") or {}
    identity = {
        "segments": segments.get("content_sha256") or segments.get("sha256"),
        "stages": {name: (section or {}).get("key") for name, section in sorted(stages.items())},
    }
    return stable_hash(identity)


def comparable_config(config: dict) -> dict:
    """The part of ``config.json`` that must be equal for a rerun to resume a run."""
    return {k: v for k, v in json_safe(config).items() if k not in _VOLATILE_CONFIG_KEYS}


def start_or_resume(paths: RunPaths, config: dict) -> None:
    """Write ``config.json``, or check that an existing run folder was made with the same settings.

    Resuming a run made with other settings would mix incomparable folds into one score, so it
    is refused with a message saying what differs.
    """
    if paths.config.exists():
        stored = comparable_config(read_run_json(paths.config, dict))
        wanted = comparable_config(config)
        if stored != wanted:
            keys = sorted(k for k in stored.keys() | wanted.keys() if stored.get(k) != wanted.get(k))
            raise InputError(
                f"this run folder was made with other settings ({', '.join(keys)} differ): "
                "choose another --run name or delete the folder",
                paths.config,
            )
    paths.root.mkdir(parents=True, exist_ok=True)
    write_json(paths.config, config)


def read_oof(path: Path) -> pd.DataFrame:
    """Out-of-fold (or validation) predictions with ids kept as text ('' never read back as NaN)."""
    try:
        oof = pd.read_csv(path, dtype={name: str for name in _TEXT_COLUMNS})
    except FileNotFoundError:
        raise InputError("file not found (is this an `emotion train` run folder?)", path) from None
    except (UnicodeDecodeError, pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise InputError(f"not a readable CSV ({str(exc).splitlines()[0]})", path) from None
    missing = [c for c in OOF_COLUMNS if c not in oof.columns]
    if missing:
        raise InputError(f"missing columns {missing}", path, 1)
    oof[list(_TEXT_COLUMNS)] = oof[list(_TEXT_COLUMNS)].fillna("")
    return oof


def completed_folds(paths: RunPaths) -> set[int]:
    """Folds whose predictions were stored: their models and histories were written before them."""
    if not paths.oof.exists():
        return set()
    return {int(f) for f in read_oof(paths.oof)["fold"].unique()}


def store_fold_predictions(path: Path, fold_rows: pd.DataFrame) -> pd.DataFrame:
    """Add one finished fold to a predictions file (replacing a stale copy of that fold)."""
    fold_rows = fold_rows.loc[:, list(OOF_COLUMNS)]
    if path.exists():
        stored = read_oof(path)
        stored = stored[~stored["fold"].isin(fold_rows["fold"].unique())]
        fold_rows = pd.concat([stored, fold_rows], ignore_index=True)
    fold_rows = fold_rows.sort_values("fold", kind="stable").reset_index(drop=True)
    write_text_atomic(path, fold_rows.to_csv(index=False))
    return fold_rows


def write_table(path: Path, table: pd.DataFrame) -> None:
    """CSV written atomically (histories, the per-fold metrics table)."""
    write_text_atomic(path, table.to_csv(index=False))

