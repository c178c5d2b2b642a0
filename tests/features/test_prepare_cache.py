"""Incremental reruns: what is reused, what is recomputed, and resuming after an interruption."""

import os
import shutil

import numpy as np
import pytest
import soundfile as sf

from emotion_classifier.errors import InputError
from emotion_classifier.features import inputs, load_artifacts, prepare
from emotion_classifier.features.artifacts import AUDIO, BIO, MANIFEST, SEGMENTS, TOKENS

ARTIFACTS = (SEGMENTS, TOKENS, AUDIO, BIO)


def _mtimes(folder):
    return {name: (folder / name).stat().st_mtime_ns for name in ARTIFACTS}


def _cache(folder):
    return {name: s["cache"] for name, s in load_artifacts(folder).manifest["stages"].items()}


@pytest.fixture
def artifacts_copy(prepared19, tmp_path):
    """A private copy of the prepared artifacts, cache included, with the same corpus."""
    return shutil.copytree(prepared19, tmp_path / "artifacts")


def test_a_rerun_with_nothing_changed_stops_before_reading_the_corpus(corpus19, artifacts_copy, capsys):
    before = {**_mtimes(artifacts_copy), MANIFEST: (artifacts_copy / MANIFEST).stat().st_mtime_ns}
    prepare(corpus19.root, artifacts_copy, jobs=1, progress=True)
    assert "nothing changed since the previous run" in capsys.readouterr().out
    assert {**_mtimes(artifacts_copy), MANIFEST: (artifacts_copy / MANIFEST).stat().st_mtime_ns} == before
    with pytest.raises(InputError):  # the corpus has missing files: --strict still refuses it
        prepare(corpus19.root, artifacts_copy, jobs=1, strict=True, progress=False)


def test_an_edited_stopword_file_is_noticed(corpus19, artifacts_copy, tmp_path):
    stopwords = tmp_path / "stop.txt"
    stopwords.write_text("가\n", encoding="utf-8")
    prepare(corpus19.root, artifacts_copy, stopwords=str(stopwords), jobs=1, progress=False)
    assert any("에" in tokens for tokens in load_artifacts(artifacts_copy).tokens)
    stopwords.write_text("가\n에\n", encoding="utf-8")
    os.utime(stopwords, ns=(0, stopwords.stat().st_mtime_ns + 10**9))
    prepare(corpus19.root, artifacts_copy, stopwords=str(stopwords), jobs=1, progress=False)
    assert not any("에" in tokens for tokens in load_artifacts(artifacts_copy).tokens)
    assert _cache(artifacts_copy)["audio"] == {"reused_artifact": True}


def test_a_touched_corpus_folder_rereads_the_corpus_but_reuses_every_stage(corpus19, artifacts_copy):
    before = _mtimes(artifacts_copy)
    stat = corpus19.root.stat()
    os.utime(corpus19.root, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # as if a file came and went
    try:
        prepare(corpus19.root, artifacts_copy, jobs=1, progress=False)
    finally:
        os.utime(corpus19.root, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _mtimes(artifacts_copy) == before
    assert all(cache == {"reused_artifact": True} for cache in _cache(artifacts_copy).values())
    assert load_artifacts(artifacts_copy).manifest["changes"] == {"added": [], "removed": [], "modified": []}


def test_changing_an_audio_setting_recomputes_only_the_audio(corpus19, artifacts_copy):
    before = _mtimes(artifacts_copy)
    prepare(corpus19.root, artifacts_copy, log_mel=True, jobs=1, progress=False)
    after = _mtimes(artifacts_copy)
    assert after[AUDIO] != before[AUDIO]
    assert {k: after[k] for k in (SEGMENTS, TOKENS, BIO)} == {k: before[k] for k in (SEGMENTS, TOKENS, BIO)}
    cache = _cache(artifacts_copy)
    assert cache["audio"]["computed"] > 0 and cache["audio"]["hits"] == 0
    assert cache["text"] == cache["bio"] == {"reused_artifact": True}
    art = load_artifacts(artifacts_copy)
    assert art.audio_feature_names[40] == "logmel_00" and art.audio[0].shape[1] == 40 + 64
    # switching back finds every chunk of the first run in the cache
    prepare(corpus19.root, artifacts_copy, jobs=1, progress=False)
    assert _cache(artifacts_copy)["audio"]["computed"] == 0 and _cache(artifacts_copy)["audio"]["hits"] > 0
    assert load_artifacts(artifacts_copy).audio[0].shape[1] == 40


def test_changing_the_bio_normalisation_recomputes_only_the_bio(corpus19, artifacts_copy):
    before, key = _mtimes(artifacts_copy), load_artifacts(artifacts_copy).manifest["stages"]["bio"]["key"]
    prepare(corpus19.root, artifacts_copy, bio_normalisation="past", jobs=1, progress=False)
    after, art = _mtimes(artifacts_copy), load_artifacts(artifacts_copy)
    assert after[BIO] != before[BIO]
    assert {k: after[k] for k in (SEGMENTS, TOKENS, AUDIO)} == {k: before[k] for k in (SEGMENTS, TOKENS, AUDIO)}
    cache = _cache(artifacts_copy)
    assert cache["bio"]["computed"] > 0 and cache["bio"]["hits"] == 0
    assert cache["text"] == cache["audio"] == {"reused_artifact": True}
    assert art.manifest["config"]["bio_normalisation"] == "past"
    assert art.manifest["stages"]["bio"]["settings"]["normalisation"] == "past"
    assert art.manifest["stages"]["bio"]["key"] != key
    prepare(corpus19.root, artifacts_copy, bio_normalisation="none", jobs=1, progress=False)
    assert not [c for c in load_artifacts(artifacts_copy).bio.columns if c.endswith("_pnorm")]
    # back to the default: every chunk of the first run is in the cache, and the key is the first run's
    prepare(corpus19.root, artifacts_copy, jobs=1, progress=False)
    assert _cache(artifacts_copy)["bio"]["computed"] == 0 and _cache(artifacts_copy)["bio"]["hits"] > 0
    assert load_artifacts(artifacts_copy).manifest["stages"]["bio"]["key"] == key


def test_a_changed_wav_recomputes_only_its_chunk(corpus_copy, tmp_path):
    out = prepare(corpus_copy, tmp_path / "a", chunk_size=16, jobs=1, progress=False)
    n_chunks = _cache(out)["audio"]["computed"]
    table = load_artifacts(out).table
    wav = table.loc[table["has_audio"], "wav_path"].iloc[3]
    data, rate = sf.read(wav)
    sf.write(wav, np.concatenate([data, data]), rate)
    prepare(corpus_copy, out, chunk_size=16, jobs=1, progress=False)
    assert n_chunks > 2 and _cache(out)["audio"] == {"hits": n_chunks - 1, "computed": 1}
    art = load_artifacts(out)
    assert art.audio[art.table.index[art.table["wav_path"].eq(wav)][0]].shape[0] == 1 + 2 * len(data) // 160
    changed = str(wav).removeprefix(str(corpus_copy.resolve()) + "/")
    assert art.manifest["changes"]["modified"] == [changed]


def _interrupt_after(monkeypatch, n_calls):
    real = inputs.wav_features  # the audio stage computes each wav through features.inputs.speech_input
    calls = []

    def flaky(path, settings):
        if len(calls) == n_calls:
            raise KeyboardInterrupt
        calls.append(path)
        return real(path, settings)

    monkeypatch.setattr(inputs, "wav_features", flaky)


def test_an_interrupted_run_writes_nothing_and_resumes_from_finished_chunks(
    corpus19, prepared19, tmp_path, monkeypatch
):
    out = tmp_path / "a"
    _interrupt_after(monkeypatch, 40)
    with pytest.raises(KeyboardInterrupt):
        prepare(corpus19.root, out, chunk_size=16, jobs=1, progress=False)
    assert sorted(p.name for p in out.iterdir()) == [".cache"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    monkeypatch.undo()
    prepare(corpus19.root, out, chunk_size=16, jobs=1, progress=False)
    cache = _cache(out)["audio"]
    assert cache["hits"] == 2 and cache["computed"] > 0
    resumed, clean = load_artifacts(out), load_artifacts(prepared19)
    assert resumed.table["segment_id"].tolist() == clean.table["segment_id"].tolist()
    for a, b in zip(resumed.audio, clean.audio, strict=True):
        np.testing.assert_array_equal(a, b)


def test_an_interrupted_rerun_leaves_the_previous_artifacts_usable(corpus19, artifacts_copy, monkeypatch):
    before = _mtimes(artifacts_copy)
    _interrupt_after(monkeypatch, 5)
    with pytest.raises(KeyboardInterrupt):
        prepare(corpus19.root, artifacts_copy, deltas=True, jobs=1, progress=False)
    assert _mtimes(artifacts_copy) == before and (artifacts_copy / MANIFEST).exists()
    assert load_artifacts(artifacts_copy).audio[0].shape[1] == 40


def test_parallel_jobs_give_the_same_artifacts(corpus19, prepared19, tmp_path):
    out = prepare(corpus19.root, tmp_path / "a", jobs=2, chunk_size=32, progress=False)
    parallel, serial = load_artifacts(out), load_artifacts(prepared19)
    assert parallel.tokens == serial.tokens
    for a, b in zip(parallel.audio, serial.audio, strict=True):
        np.testing.assert_array_equal(a, b)
    assert parallel.bio.equals(serial.bio)
