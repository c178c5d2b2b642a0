"""Every stage's intermediate result as one DataFrame, one call each, for looking at in a notebook.

The notebooks show these tables; a user can call the same function on any artifacts folder or run
folder without knowing which files hold what (docs/architecture.md lists the files):

- `segment_table(artifacts)`: one row per segment (``segments.csv``: labels, ratings, text, files, ``has_*``);
- `token_table(artifacts)`: each segment's transcript and its tokens (``text_tokens.csv``);
- `feature_summary(artifacts)`: per segment, what each modality has (tokens, audio frames and seconds,
  mean/sd of the audio features, number of bio features present);
- `fold_scores(run_dir)`: one row per fold of a model run (macro-F1, UA, accuracy, CCC ...);
- `segments_with_files(table)`: the segments whose recordings are here (prebuilt artifacts travel without);
- `predictions(run_dir)` / `fused_predictions(run_root, method)`: out-of-fold predictions with the
  predicted emotion, of one model or of a late-fusion method.

``artifacts`` is an artifacts folder or a loaded `features.Artifacts` (loaded once, reused).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.features import Artifacts, load_artifacts
from emotion_classifier.files import read_json
from emotion_classifier.training.metrics import folds_table, predicted_labels
from emotion_classifier.training.runs import read_oof

__all__ = ["feature_summary", "fold_scores", "fused_predictions", "predictions", "segment_table", "segments_with_files",
           "token_table"]


def _artifacts(artifacts: str | Path | Artifacts) -> Artifacts:
    return artifacts if isinstance(artifacts, Artifacts) else load_artifacts(artifacts)


def segment_table(artifacts: str | Path | Artifacts) -> pd.DataFrame:
    """The segment table the artifacts were made from (a copy: change it freely)."""
    return _artifacts(artifacts).table.copy()


def segments_with_files(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows whose wav and transcript files exist here, and how many rows lack one (prebuilt
    artifacts travel without the corpus: their recordings cannot be predicted again)."""
    def here(column: str) -> pd.Series:
        return table[column].map(lambda p: bool(p) and Path(p).is_file())

    found = here("wav_path") & here("txt_path")
    return table[found], int((~found).sum())


def token_table(artifacts: str | Path | Artifacts) -> pd.DataFrame:
    """``segment_id``, ``emotion``, ``text`` (cleaned transcript), ``tokens`` (joined by spaces), ``n_tokens``."""
    art = _artifacts(artifacts)
    tokens = art.tokens
    return pd.DataFrame({
        "segment_id": art.table["segment_id"], "emotion": art.table["emotion"], "text": art.table["text"],
        "tokens": [" ".join(t) for t in tokens], "n_tokens": [len(t) for t in tokens],
    })  # fmt: skip


def feature_summary(artifacts: str | Path | Artifacts) -> pd.DataFrame:
    """One row per segment: ``segment_id, emotion, has_text, n_tokens, has_audio, audio_frames,
    audio_seconds, audio_mean, audio_sd, has_bio, bio_features`` (bio features present, of the columns)."""
    art = _artifacts(artifacts)
    table = art.table
    frames = art.audio
    config = art.manifest.get("config", {})
    hop = config.get("hop_length", 160) / config.get("sample_rate", 16000)  # seconds per frame
    bio_columns = [c for c in art.bio.columns if c not in ("segment_id", "has_bio")]
    return pd.DataFrame({
        "segment_id": table["segment_id"], "emotion": table["emotion"],
        "has_text": table["has_text"], "n_tokens": [len(t) for t in art.tokens],
        "has_audio": table["has_audio"], "audio_frames": [len(f) for f in frames],
        "audio_seconds": [round(len(f) * hop, 3) for f in frames],
        "audio_mean": [float(f.mean()) if len(f) else np.nan for f in frames],
        "audio_sd": [float(f.std()) if len(f) else np.nan for f in frames],
        "has_bio": table["has_bio"], "bio_features": art.bio[bio_columns].notna().sum(axis=1).to_numpy(),
    })  # fmt: skip


def fold_scores(run_dir: str | Path) -> pd.DataFrame:
    """One row per fold of a model run (``runs/NAME/M`` or ``runs/NAME/fusion/METHOD``): ``fold, n,
    macro_f1, uar, accuracy, weighted_f1`` and the valence/arousal CCC when the model has them."""
    return folds_table(read_json(Path(run_dir) / "metrics.json"))


def predictions(run_dir: str | Path) -> pd.DataFrame:
    """A run's out-of-fold predictions (``oof_predictions.csv``) with ``emotion_pred``, the arg-max emotion."""
    table = read_oof(Path(run_dir) / "oof_predictions.csv")
    return table.assign(emotion_pred=predicted_labels(table))


def fused_predictions(run_root: str | Path, method: str = "soft_vote") -> pd.DataFrame:
    """The late-fusion predictions of ``method`` (``runs/NAME/fusion/METHOD``), as `predictions` gives."""
    return predictions(Path(run_root) / "fusion" / method)
