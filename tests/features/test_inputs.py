"""A corpus segment fed to prediction's input path gets exactly the model inputs `prepare` wrote for it.

Both paths call the input functions of `features.inputs`; these tests hold them to it from the outside:
a generated corpus is prepared, then each segment's wav, transcript file and the speaker's bio files of
the session (what `prepare` reads for that speaker) go through `predict.read_inputs` with the artifacts'
settings, and every token list, frame array and bio row must equal the artifacts' row, skips included.
"""

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.datasets import bio_files_for
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.features import PrepareConfig, load_artifacts, prepare
from emotion_classifier.features.inputs import NO_TOKENS, TEXT_EMPTY, InputSpec, text_inputs
from emotion_classifier.model_inputs import BIO_SIGNALS, Recording, read_inputs

KEYWORDS = {signal: key for key, signal in BIO_SIGNALS.items()}  # EDA -> eda, the Recording field


@pytest.fixture(scope="module")
def prepared20(tmp_path_factory):
    """A 1-session KEMDy20 copy with two conversations: each speaker has two files per signal."""
    root = tmp_path_factory.mktemp("inputs20")
    corpus = generate_corpus(root / "corpus", corpus="kemdy20", sessions=1, seed=2,
                             dialogues_per_session=2, segments_per_dialogue=(6, 8))  # fmt: skip
    return prepare(corpus.root, root / "artifacts", jobs=1, progress=False)


def _speaker_files(table, row, root) -> dict[str, list[str]]:
    """Every bio file of the row's speaker in the session, per signal (KEMDy20: one per conversation)."""
    same = table[table["session"].eq(row["session"]) & table["person"].eq(row["person"])]
    files: dict[str, set[str]] = {}
    for _, other in same.iterrows():
        for signal, path in bio_files_for(other, root).items():
            if path.exists():
                files.setdefault(signal, set()).add(str(path))
    return {signal: sorted(paths) for signal, paths in files.items()}


def _recordings(artifacts) -> list[Recording]:
    table, root = artifacts.table, artifacts.manifest["root"]
    return [
        Recording(wav=row["wav_path"] or None, txt=row["txt_path"] or None, segment_id=row["segment_id_raw"],
                  **{KEYWORDS[s]: paths for s, paths in _speaker_files(table, row, root).items()})
        for _, row in table.iterrows()
    ]  # fmt: skip


def _specs(artifacts) -> dict[str, InputSpec]:
    """What a model trained on these artifacts would record in its sidecar."""
    config = PrepareConfig(**{f.name: artifacts.manifest["config"][f.name] for f in fields(PrepareConfig)})
    bio_names = tuple(c for c in artifacts.bio.columns if c not in ("segment_id", "has_bio"))
    return {
        "text": InputSpec("text", tokenizer=config.tokenizer, stopwords=config.stopwords),
        "speech": InputSpec("speech", audio=config.audio_settings()),
        "bio": InputSpec("bio", feature_names=bio_names, bio_normalisation=config.bio_normalisation),
    }


def _check_prediction_inputs_equal_the_artifacts(folder) -> list[Recording]:
    artifacts = load_artifacts(folder)
    recordings = _recordings(artifacts)
    found = {m: read_inputs(spec, recordings) for m, spec in _specs(artifacts).items()}
    bio = artifacts.bio.drop(columns=["segment_id", "has_bio"]).to_numpy(dtype=float)
    for i, row in artifacts.table.reset_index(drop=True).iterrows():
        (tokens, _), (frames, _), (features, _) = (found[m][i] for m in ("text", "speech", "bio"))
        assert (tokens is not None) == row["has_text"] and (tokens or []) == artifacts.tokens[i], row["segment_id"]
        assert (frames is not None) == row["has_audio"], row["segment_id"]
        if frames is not None:
            np.testing.assert_array_equal(frames, artifacts.audio[i])  # one BLAS thread in both paths
        assert (features is not None) == row["has_bio"], row["segment_id"]
        if features is not None:
            np.testing.assert_allclose(features, bio[i], rtol=1e-12, equal_nan=True, err_msg=row["segment_id"])
    table = artifacts.table
    assert table["has_text"].any() and table["has_audio"].any() and table["has_bio"].any()
    return recordings


@pytest.mark.filterwarnings("ignore:.*no ECG signal column:UserWarning")  # the synthetic ECG has time columns only
def test_kemdy19_segments_get_the_artifacts_inputs_through_prediction(prepared19):
    _check_prediction_inputs_equal_the_artifacts(prepared19)
    table = load_artifacts(prepared19).table
    assert not table[["has_text", "has_audio", "has_bio"]].all().any()  # skips were compared too


def test_kemdy20_normalisation_uses_all_the_speakers_conversations_in_both_paths(prepared20):
    recordings = _check_prediction_inputs_equal_the_artifacts(prepared20)
    assert max(len(r.bio_files()["EDA"]) for r in recordings if r.eda) == 2


@pytest.mark.filterwarnings("ignore:.*fewer than .* samples:UserWarning")  # early segments have little past
def test_past_normalisation_gives_the_artifacts_rows_through_prediction(prepared20, tmp_path):
    folder = prepare(load_artifacts(prepared20).manifest["root"], tmp_path / "past", bio_normalisation="past",
                     jobs=1, progress=False)  # fmt: skip
    _check_prediction_inputs_equal_the_artifacts(folder)
    past, session = load_artifacts(folder).bio, load_artifacts(prepared20).bio
    assert list(past.columns) == list(session.columns)
    level = [c for c in past.columns if c.endswith("_pnorm")]
    plain = [c for c in past.columns if c not in level]
    pd.testing.assert_frame_equal(past[plain], session[plain])  # only the normalisation differs
    assert not np.allclose(past[level], session[level], equal_nan=True)


def test_text_skip_reasons():
    found = text_inputs(["", "   ", "좋아요"], "mecab", stopwords=("좋", "아요"))
    assert found == [([], TEXT_EMPTY), ([], TEXT_EMPTY), ([], NO_TOKENS)]
    [(tokens, reason)] = text_inputs(["좋아요"], "mecab")
    assert tokens and reason == ""
