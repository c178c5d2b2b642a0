"""Synthetic modality runs for the fusion and report tests (nothing here is trained).

A modality's "skill" is how much of its probability mass sits on the true class; the rest is
Dirichlet noise. Folds follow the runs-folder contract: fold k tests on its sessions and its
validation rows come from one other (training) session, predicted by "that fold's model".
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.files import write_json
from emotion_classifier.labels import EMOTIONS
from emotion_classifier.training.metrics import PROBA_COLUMNS, folds_table, score_predictions
from emotion_classifier.training.runs import OOF_COLUMNS

N_SESSIONS = 6
FOLD_SESSIONS = ((1, 2), (3, 4), (5, 6))


def val_sessions_of(fold: int) -> tuple[int, ...]:
    """The validation session of a fold: the first session of the next fold (a training session)."""
    return (FOLD_SESSIONS[(fold + 1) % len(FOLD_SESSIONS)][0],)


def fake_segments(per_session: int = 40, seed: int = 0) -> pd.DataFrame:
    """Labelled segments with valence/arousal driven by the emotion, half improvised, half scripted."""
    rng = np.random.default_rng(seed)
    rows = []
    for session in range(1, N_SESSIONS + 1):
        for i in range(per_session):
            kind = "impro" if i % 2 == 0 else "script"
            emotion = EMOTIONS[rng.integers(len(EMOTIONS))]
            valence = 1 + EMOTIONS.index(emotion) * 4 / 6 + rng.normal(0, 0.3)
            rows.append({"segment_id": f"Sess{session:02d}_{kind}01_F{i:03d}", "session": session,
                         "kind": kind, "y_true": emotion, "valence_true": valence,
                         "arousal_true": rng.uniform(1, 5)})
    return pd.DataFrame(rows)


def split_rows(segments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(val rows, oof rows), each with its ``fold`` column."""
    val, oof = [], []
    for fold, test_sessions in enumerate(FOLD_SESSIONS):
        oof.append(segments[segments["session"].isin(test_sessions)].assign(fold=fold))
        val.append(segments[segments["session"].isin(val_sessions_of(fold))].assign(fold=fold))
    return pd.concat(val, ignore_index=True), pd.concat(oof, ignore_index=True)


def predict(rows: pd.DataFrame, skill: float, seed: int, missing: float = 0.0, regression: bool = True):
    """A prediction table for ``rows``: ``skill`` of the mass on the true class; ``missing`` rows dropped."""
    rng = np.random.default_rng(seed)
    noise = rng.dirichlet(np.ones(len(EMOTIONS)), len(rows))
    onehot = (rows["y_true"].to_numpy()[:, None] == np.asarray(EMOTIONS)[None, :]).astype(float)
    proba = skill * onehot + (1 - skill) * noise
    table = rows.copy()
    table[list(PROBA_COLUMNS)] = proba
    for target in ("valence", "arousal"):
        truth = table[f"{target}_true"].to_numpy()
        guess = truth * skill + (1 - skill) * 3 + rng.normal(0, 0.3, len(rows))
        table[f"{target}_pred"] = guess if regression else np.nan
    keep = rng.random(len(rows)) >= missing
    return table.loc[keep, list(OOF_COLUMNS)].reset_index(drop=True)


def write_modality_run(folder: Path, modality: str, val: pd.DataFrame, oof: pd.DataFrame,
                       config: dict | None = None, epochs: int = 4) -> Path:
    """A runs folder as `emotion train` writes it: predictions, metrics, histories, config."""
    folder.mkdir(parents=True, exist_ok=True)
    val.to_csv(folder / "val_predictions.csv", index=False)
    oof.to_csv(folder / "oof_predictions.csv", index=False)
    scores = score_predictions(oof)
    skipped = {"tie_dropped": {"count": 2, "segment_ids": ["Sess01_script01_F090", "Sess02_impro01_F091"]},
               f"no_{modality}": {"count": 1, "segment_ids": ["Sess03_impro01_F092"]},
               "unlabelled": {"count": 0, "segment_ids": []}}
    write_json(folder / "metrics.json", {**scores, "modality": modality, "skipped": skipped})
    folds_table(scores).to_csv(folder / "metrics_folds.csv", index=False)
    for fold in sorted(oof["fold"].unique()):
        loss = np.linspace(2.0, 1.0, epochs)
        pd.DataFrame({"epoch": range(epochs), "loss": loss, "val_loss": loss + .2, "accuracy": 1 - loss / 3,
                      "val_accuracy": 0.9 - loss / 3}).to_csv(folder / f"history_fold{fold}.csv", index=False)
    cfg = {"modality": modality, "seed": 0, "epochs": epochs, **(config or {})}
    (folder / "config.json").write_text(json.dumps(cfg))
    return folder


SKILLS = {"text": 0.3, "speech": 0.2, "bio": 0.05}
MISSING = {"text": 0.05, "speech": 0.0, "bio": 0.3}


def write_fake_runs(run_root: Path, seed: int = 0, config: dict | None = None) -> dict[str, Path]:
    """Text, speech and bio runs under ``run_root`` (bio misses 30% of rows, text 5%)."""
    val_rows, oof_rows = split_rows(fake_segments(seed=seed))
    dirs = {}
    for i, (modality, skill) in enumerate(SKILLS.items()):
        val = predict(val_rows, skill, seed + 10 * i, MISSING[modality], regression=modality != "bio")
        oof = predict(oof_rows, skill, seed + 10 * i + 1, MISSING[modality], regression=modality != "bio")
        dirs[modality] = write_modality_run(run_root / modality, modality, val, oof, config)
    return dirs


def poison_labels(folder: Path, split: str, seed: int) -> None:
    """Relabel every row of one split (``oof`` or ``val``), the same way for a segment in every modality's
    table: whatever depends on those labels changes, whatever does not stays."""
    path = folder / f"{split}_predictions.csv"
    table = pd.read_csv(path)
    code = table["segment_id"].map(lambda s: zlib.crc32(f"{s}{seed}".encode()))
    table["y_true"] = [EMOTIONS[c % len(EMOTIONS)] for c in code]
    table["valence_true"] = 1 + code % 40 / 10
    table.to_csv(path, index=False)
