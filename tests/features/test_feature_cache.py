import numpy as np
import pytest

from emotion_classifier.features.cache import ChunkCache
from emotion_classifier.features.runner import Chunk, blocks, run_chunks
from emotion_classifier.features.text_stage import tokenize_chunk
from emotion_classifier.files import stable_hash


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
