"""The ground file helpers every stage writes with (emotion_classifier/files.py)."""

import json
import os

import numpy as np
import pytest

from emotion_classifier import files
from emotion_classifier.errors import InputError
from emotion_classifier.files import (
    atomic_open,
    fingerprint,
    load_npz,
    save_npz_atomic,
    save_npz_streamed_atomic,
    stable_hash,
)


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


def test_json_holds_null_for_nan_and_numpy_scalars_as_numbers(tmp_path):
    path = tmp_path / "m.json"
    files.write_json(path, {"a": float("nan"), "b": np.float32(0.5), "c": (np.int64(3),), "d": "세션"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": None, "b": 0.5, "c": [3], "d": "세션"}
    assert files.read_json(path)["d"] == "세션"


def test_unreadable_run_files_name_the_file(tmp_path):
    with pytest.raises(InputError, match="config.json: file not found"):
        files.read_json(tmp_path / "config.json")
    (tmp_path / "bad.json").write_text('{"a": 1,\n oops}', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.json:2: not valid JSON"):
        files.read_json(tmp_path / "bad.json")


def test_streamed_npz_reads_back_like_savez(tmp_path):
    rng = np.random.default_rng(0)
    pieces = [rng.random((n, 3)).astype(np.float32) for n in (4, 0, 7, 1)]
    path = tmp_path / "frames.npz"
    save_npz_streamed_atomic(path, "features", iter(pieces), (12, 3), {"offsets": np.array([0, 4, 4, 11, 12])})
    loaded = load_npz(path)
    np.testing.assert_array_equal(loaded["features"], np.concatenate(pieces))
    assert loaded["features"].dtype == np.float32 and loaded["offsets"].tolist() == [0, 4, 4, 11, 12]
    assert load_npz(path, ["offsets"]).keys() == {"offsets"}
    with pytest.raises(ValueError, match="not 13"):
        save_npz_streamed_atomic(tmp_path / "short.npz", "features", iter(pieces), (13, 3), {})
    assert not (tmp_path / "short.npz").exists()  # atomic: nothing left behind


def test_streamed_npz_takes_blocks_of_any_rank(tmp_path):
    """An encoder's (rows, layers, 2, hidden) float16 vectors, written a block of rows at a time."""
    rng = np.random.default_rng(1)
    pieces = [rng.random((n, 3, 2, 5)).astype(np.float16) for n in (256, 256, 17)]
    path = tmp_path / "vectors.npz"
    save_npz_streamed_atomic(path, "vectors", iter(pieces), (529, 3, 2, 5), {"segment_id": np.array(["a"])})
    loaded = load_npz(path)
    np.testing.assert_array_equal(loaded["vectors"], np.concatenate(pieces))
    assert loaded["vectors"].dtype == np.float16
    with pytest.raises(ValueError, match="does not fit"):
        save_npz_streamed_atomic(tmp_path / "wrong.npz", "vectors", iter(pieces), (529, 3, 2, 4), {})


def test_load_npz_reads_optional_arrays_only_where_present(tmp_path):
    """Arrays added to a format later (a chunk's ``notes``) are read in the same opening where a file has
    them and left out where an older file lacks them; a missing required name is still a KeyError."""
    np.savez(tmp_path / "new.npz", offsets=np.arange(3), notes=np.array(["", "cut"]))
    np.savez(tmp_path / "old.npz", offsets=np.arange(3))
    new = load_npz(tmp_path / "new.npz", ["offsets"], optional=["notes"])
    assert new.keys() == {"offsets", "notes"} and new["notes"].tolist() == ["", "cut"]
    assert load_npz(tmp_path / "old.npz", ["offsets"], optional=["notes"]).keys() == {"offsets"}
    with pytest.raises(KeyError):
        load_npz(tmp_path / "old.npz", ["notes"])


def test_mapped_npz_members_equal_the_read_ones_and_are_read_only(tmp_path):
    """``mapped`` members of a stored npz (streamed or `np.savez`, Fortran order, float16) come back
    memory-mapped and equal to a plain read; a compressed npz, an empty array and a string array
    (a unicode dtype maps; only object arrays could not) are read as before."""
    rng = np.random.default_rng(2)
    pieces = [rng.random((n, 4)).astype(np.float32) for n in (5, 0, 9)]
    streamed = tmp_path / "frames.npz"
    save_npz_streamed_atomic(streamed, "features", iter(pieces), (14, 4), {"segment_id": np.array(["a", "b"])})
    arrays = {"f": np.asfortranarray(rng.random((6, 3))), "h": rng.random((2, 3, 5)).astype(np.float16),
              "empty": np.zeros((0, 4), np.float32), "ids": np.array(["가", "b"])}  # fmt: skip
    np.savez(tmp_path / "plain.npz", **arrays)
    np.savez_compressed(tmp_path / "packed.npz", **arrays)
    for path in (streamed, tmp_path / "plain.npz", tmp_path / "packed.npz"):
        plain = load_npz(path)
        mapped = load_npz(path, mapped=list(plain))
        assert mapped.keys() == plain.keys()
        for name, array in plain.items():
            np.testing.assert_array_equal(mapped[name], array)
            assert mapped[name].dtype == array.dtype and mapped[name].shape == array.shape
            expect_map = "packed" not in path.name and array.size > 0
            assert isinstance(mapped[name], np.memmap) == expect_map, (path.name, name)
            if expect_map:
                assert not mapped[name].flags.writeable
    assert not isinstance(load_npz(streamed)["features"], np.memmap)  # only when asked
