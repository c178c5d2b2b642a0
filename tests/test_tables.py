"""`emotion_classifier.tables`: each stage's intermediate DataFrame in one call, as the notebooks show them."""

import sys
from pathlib import Path

import numpy as np
import pytest

import emotion_classifier as ec
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import load_artifacts, prepare
from emotion_classifier.fusion.late import fuse_runs
from emotion_classifier.labels import EMOTIONS

sys.path.insert(0, str(Path(__file__).parent / "fusion"))  # the fake runs of the fusion tests
from fake_runs import write_fake_runs  # noqa: E402


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    corpus = generate_corpus(root / "corpus", corpus="kemdy19", sessions=1, seed=3)
    return prepare(corpus.root, root / "artifacts", jobs=1, progress=False)


def test_the_artifact_tables_are_one_call_each_and_aligned(artifacts):
    art = load_artifacts(artifacts)
    table = ec.segment_table(artifacts)
    assert table.equals(art.table) and table is not art.table
    tokens = ec.token_table(art)
    assert tokens["segment_id"].tolist() == table["segment_id"].tolist()
    assert (tokens["n_tokens"] > 0).tolist() == table["has_text"].tolist()
    assert tokens.loc[0, "tokens"].split(" ") == art.tokens[0] or not art.tokens[0]
    summary = ec.feature_summary(artifacts)
    assert summary["segment_id"].tolist() == table["segment_id"].tolist()
    assert (summary["audio_frames"] > 0).tolist() == table["has_audio"].tolist()
    first = int(np.argmax(table["has_audio"].to_numpy()))
    assert summary.loc[first, "audio_seconds"] == pytest.approx(len(art.audio[first]) * 160 / 16000, abs=1e-3)
    assert summary.loc[first, "audio_mean"] == pytest.approx(float(art.audio[first].mean()))
    bio_columns = [c for c in art.bio.columns if c not in ("segment_id", "has_bio")]
    assert summary["bio_features"].tolist() == art.bio[bio_columns].notna().sum(axis=1).tolist()
    assert summary.loc[~table["has_bio"], "bio_features"].max() < summary.loc[table["has_bio"], "bio_features"].min()


def test_segments_with_files_counts_the_segments_whose_recordings_are_gone(artifacts):
    table = ec.segment_table(artifacts)
    found, missing = ec.tables.segments_with_files(table)
    assert len(found) + missing == len(table) and len(found) > 0
    gone = table.assign(wav_path=table["wav_path"].map(lambda p: p and p + ".moved"))
    none_found, all_missing = ec.tables.segments_with_files(gone)
    assert none_found.empty and all_missing == len(table)


def test_fold_scores_and_predictions_of_model_and_fusion_runs(tmp_path):
    dirs = write_fake_runs(tmp_path / "run")
    fuse_runs(dirs, tmp_path / "run" / "fusion", methods=("soft_vote",))
    scores = ec.fold_scores(dirs["text"])
    assert list(scores["fold"]) == [0, 1, 2] and scores["macro_f1"].between(0, 1).all()
    oof = ec.predictions(dirs["speech"])
    proba = oof[[f"p_{e}" for e in EMOTIONS]].to_numpy()
    assert (oof["emotion_pred"] == np.asarray(EMOTIONS)[proba.argmax(axis=1)]).all()
    fused = ec.fused_predictions(tmp_path / "run", "soft_vote")
    assert {"modalities", "emotion_pred"} <= set(fused.columns) and len(fused) >= len(oof)
    assert ec.fold_scores(tmp_path / "run" / "fusion" / "soft_vote")["n"].sum() == len(fused)
