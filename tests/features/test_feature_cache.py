import os

import numpy as np
import pytest

from emotion_classifier.features.cache import (
    ChunkCache,
    atomic_open,
    fingerprint,
    load_npz,
    save_npz_atomic,
    stable_hash,
)
from emotion_classifier.features.runner import Chunk, blocks, run_chunks
from emotion_classifier.features.text_stage import tokenize_chunk


def test_fingerprint_sees_a_changed_file_and_a_missing_one(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("one")
    before = fingerprint(path)
    path.write_text("three")
    os.utime(path, ns=(before["mtime_ns"] + 10**9, before["mtime_ns"] + 10**9))
    assert fingerprint(path) != before and fingerprint(path)["size"] == 5
    assert fingerprint(tmp_path / "nope") == {"size": None, "mtime_ns": None}


def test_stable_hash_ignores_key_order_but_not_values():
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1}) != stable_hash({"a": 2})


def test_atomic_open_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(path, "w") as fh:
        fh.write("half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_npz_round_trip_refuses_nothing_it_wrote(tmp_path):
    arrays = {"x": np.arange(6.0).reshape(2, 3), "names": np.array(["a", "b"])}
    save_npz_atomic(tmp_path / "a.npz", arrays)
    back = load_npz(tmp_path / "a.npz")
    np.testing.assert_array_equal(back["x"], arrays["x"])
    assert back["names"].tolist() == ["a", "b"]


def test_a_damaged_cache_file_is_a_miss(tmp_path):
    cache = ChunkCache(tmp_path, "stage")
    cache.save("k", {"x": np.ones(3)})
    cache.path("k").write_bytes(b"PK\x03\x04 truncated")
    assert cache.load("k") is None and not cache.path("k").exists()


def _failing_after(n_ok):
    calls = []

    def compute(texts, tokenizer, stopwords):
        if len(calls) == n_ok:
            raise KeyboardInterrupt
        calls.append(texts)
        return tokenize_chunk(texts, tokenizer, stopwords)

    return compute, calls


def _chunks(texts):
    return [Chunk(stable_hash(block), (block, "mecab", ())) for block in blocks(texts, 2)]


TEXTS = ["나는 행복해요", "왜 화가 났어", "그냥 그래", "정말 무서웠어", "놀랐잖아"]


def test_an_interrupted_stage_resumes_from_its_finished_chunks(tmp_path):
    cache = ChunkCache(tmp_path, "text")
    compute, calls = _failing_after(2)
    with pytest.raises(KeyboardInterrupt):
        run_chunks(compute, _chunks(TEXTS), cache, jobs=1, progress=False)
    assert len(calls) == 2 and len(list(cache.folder.glob("*.npz"))) == 2
    assert not list(cache.folder.glob(".*tmp"))
    compute, calls = _failing_after(99)
    run = run_chunks(compute, _chunks(TEXTS), cache, jobs=1, progress=False)
    assert (run.hits, run.computed) == (2, 1) and calls == [TEXTS[4:]]
    direct = tokenize_chunk(TEXTS, "mecab", ())["tokens"].tolist()
    assert [t for r in run.results for t in r["tokens"]] == direct


def test_parallel_and_serial_runs_give_the_same_results_in_chunk_order(tmp_path):
    serial = run_chunks(tokenize_chunk, _chunks(TEXTS), ChunkCache(tmp_path / "a", "t"), jobs=1, progress=False)
    parallel = run_chunks(tokenize_chunk, _chunks(TEXTS), ChunkCache(tmp_path / "b", "t"), jobs=2, progress=False)
    assert [r["tokens"].tolist() for r in serial.results] == [r["tokens"].tolist() for r in parallel.results]
    again = run_chunks(tokenize_chunk, _chunks(TEXTS), ChunkCache(tmp_path / "b", "t"), jobs=2, progress=False)
    assert (again.hits, again.computed) == (3, 0)
