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


def test_audio_chunks_are_read_back_in_one_opening_each_with_or_without_notes(tmp_path, monkeypatch):
    """`_per_file` opens each cached chunk once: a chunk cached before wav notes existed gets '' notes."""
    from emotion_classifier.features import audio_stage

    cache = ChunkCache(tmp_path, "audio")
    meta = {"offsets": np.array([0, 5, 9]), "status": np.array(["", ""]), "conversions": np.array(["", "x"]),
            "duration": np.array([0.05, 0.04])}  # fmt: skip
    cache.save("old", meta)
    cache.save("new", {**meta, "notes": np.array(["cut", ""])})
    opened = []
    real_load = np.load
    monkeypatch.setattr(np, "load", lambda path, **kw: opened.append(path) or real_load(path, **kw))
    chunks = [Chunk("old", ()), Chunk("new", ())]
    found = audio_stage._per_file(cache, chunks, [["a.wav", "b.wav"], ["c.wav", "d.wav"]])
    assert len(opened) == 2
    assert [found[p].note for p in ("a.wav", "b.wav", "c.wav", "d.wav")] == ["", "", "cut", ""]
    assert found["d.wav"].place == (1, 5, 9) and found["b.wav"].conversions == "x"
