"""A hostile or damaged bundle is refused with one line before anything is unpacked, and leaves nothing."""

import json
import pickle
import stat
import struct
import zipfile

import pytest

from emotion_classifier.bundles.pack import write_bundle
from emotion_classifier.bundles.unpack import BundleLimits, read_bundle_manifest, unpack_bundle
from emotion_classifier.cli import main
from emotion_classifier.errors import InputError

GOOD = {"artifacts/manifest.json": b"{}", "artifacts/segments.csv": b"segment_id\nx\n"}


def _refused(bundle, target, match, **kwargs):
    with pytest.raises(InputError, match=match) as caught:
        unpack_bundle(bundle, target, progress=False, **kwargs)
    assert "\n" not in str(caught.value) and str(bundle) in str(caught.value)
    assert not target.exists() and not list(target.parent.glob(f".{target.name}*"))  # nothing half-unpacked
    return str(caught.value)


def test_a_forged_good_bundle_unpacks(forger, tmp_path):
    folder = unpack_bundle(forger(tmp_path / "b.zip", GOOD), tmp_path / "t", progress=False)
    assert (folder / "segments.csv").read_bytes() == b"segment_id\nx\n"


@pytest.mark.parametrize("name, said", [
    ("artifacts/../../evil.csv", "points outside"),
    ("/etc/evil.csv", "absolute path"),
    ("C:/evil.csv", "absolute path"),
    ("artifacts\\..\\evil.csv", "backslash"),
    ("other/evil.csv", "outside its folder artifacts/"),
    ("artifacts/./evil.csv", "not a plain relative path"),
    ("artifacts//evil.csv", "not a plain relative path"),
])  # fmt: skip
def test_a_member_outside_the_target_is_refused(name, said, forger, tmp_path):
    bundle = forger(tmp_path / "b.zip", {**GOOD, name: b"x"},
                    listed={"manifest.json": b"{}", "segments.csv": b"segment_id\nx\n", "evil.csv": b"x"})
    _refused(bundle, tmp_path / "t", said)
    assert not (tmp_path / "evil.csv").exists()


def test_a_symlink_member_is_refused(forger, tmp_path):
    link = zipfile.ZipInfo("artifacts/link.csv")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bundle = forger(tmp_path / "b.zip", {**GOOD, "artifacts/link.csv": (link, "/etc/passwd")})
    _refused(bundle, tmp_path / "t", "symbolic link")


def test_missing_or_altered_bundle_json_is_refused(forger, tmp_path):
    _refused(forger(tmp_path / "a.zip", GOOD, drop_manifest=True), tmp_path / "t", "no bundle.json in it")
    altered = {"manifest.json": b"{}", "segments.csv": b"segment_id\ny\n"}  # same size, other bytes
    _refused(forger(tmp_path / "b.zip", GOOD, listed=altered), tmp_path / "t", "does not match the sha256")
    longer = {"manifest.json": b"{}", "segments.csv": b"segment_id\nxx\n"}
    _refused(forger(tmp_path / "c.zip", GOOD, listed=longer), tmp_path / "t", "bytes in the zip")
    unlisted = {"manifest.json": b"{}"}
    _refused(forger(tmp_path / "d.zip", GOOD, listed=unlisted), tmp_path / "t", "not listed in bundle.json")
    missing = {**GOOD, "artifacts/gone.csv": b""}
    _refused(forger(tmp_path / "e.zip", GOOD, listed={k.split("/")[1]: v for k, v in missing.items()}),
             tmp_path / "t", "missing from the zip: gone.csv")
    other = {"format": "other"}
    _refused(forger(tmp_path / "f.zip", GOOD, manifest=other), tmp_path / "t", "not an emotion_classifier")
    bad_root = {"format": "emotion_classifier.bundle", "format_version": 1, "kind": "artifacts", "root": "..",
                "files": []}
    _refused(forger(tmp_path / "g.zip", GOOD, manifest=bad_root), tmp_path / "t", "unsafe folder")


def test_a_truncated_or_corrupt_bundle_is_refused_with_one_line(make_folder, tmp_path, capsys):
    whole = tmp_path / "whole.zip"
    write_bundle(make_folder("artifacts"), "artifacts", whole, progress=False)
    data = whole.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    _refused(truncated, tmp_path / "t", "not a whole zip file, truncated or corrupt")
    assert main(["evaluate", "--run", str(tmp_path), "--artifacts", str(truncated)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {truncated}: refused bundle: not a whole zip")
    # A flipped byte inside a member's data: the zip directory is whole, the member is not.
    with zipfile.ZipFile(whole) as archive:
        info = archive.getinfo("artifacts/sub/table.csv")
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26: info.header_offset + 30])
    offset = info.header_offset + 30 + name_length + extra_length + 2
    flipped = bytearray(data)
    flipped[offset] ^= 0xFF
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(flipped))
    _refused(corrupt, tmp_path / "t", "damaged member|does not match")


def test_a_pickle_inside_is_refused(forger, tmp_path):
    _refused(forger(tmp_path / "b.zip", {**GOOD, "artifacts/model.pkl": pickle.dumps(1)}), tmp_path / "t",
             "model.pkl: a .pkl file could carry code")
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _refused(forger(tmp_path / "c.zip", {**GOOD, "artifacts/x.npy": buffer.getvalue()}), tmp_path / "t",
             "object \\(pickled\\) array")


def test_size_member_and_ratio_limits_are_named(forger, tmp_path):
    bundle = forger(tmp_path / "b.zip", {**GOOD, "artifacts/zeros.csv": bytes(4 << 20)})
    message = _refused(bundle, tmp_path / "t", "limit of 1 MiB", limits=BundleLimits(max_bytes=1 << 20))
    assert "unpacks to more than" in message
    _refused(bundle, tmp_path / "t", "4 members, more than the limit of 2", limits=BundleLimits(max_members=2))
    _refused(bundle, tmp_path / "t", "more than the limit of 100 \\(a zip bomb\\?\\)",
             limits=BundleLimits(max_ratio=100, ratio_floor=1 << 20))
    assert read_bundle_manifest(bundle)["kind"] == "artifacts"  # within the default limits


def test_an_existing_target_is_never_overwritten(forger, tmp_path):
    target = tmp_path / "t"
    target.mkdir()
    (target / "mine.txt").write_text("keep")
    with pytest.raises(InputError, match="already exists"):
        unpack_bundle(forger(tmp_path / "b.zip", GOOD), target, progress=False)
    assert json.dumps(sorted(p.name for p in target.iterdir())) == '["mine.txt"]'


def test_a_full_disk_is_found_before_unpacking(forger, tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(100, 90, 10))
    with pytest.raises(InputError, match="not enough disk space to unpack b.zip: it needs 15 bytes, 10 bytes free"):
        unpack_bundle(forger(tmp_path / "b.zip", GOOD), tmp_path / "t", progress=False)
    assert not (tmp_path / "t").exists()


def test_an_abandoned_unpack_is_cleaned_up_and_a_finished_one_reused(forger, tmp_path, monkeypatch):
    import subprocess
    import sys

    from emotion_classifier.bundles import resolve

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / f".t.{int(gone.stdout)}.unpacking"
    (abandoned / "artifacts").mkdir(parents=True)
    unpack_bundle(forger(tmp_path / "b.zip", GOOD), tmp_path / "t", progress=False)
    assert not abandoned.exists() and (tmp_path / "t" / "artifacts" / "segments.csv").is_file()
    # Another process finished the same bundle between the cache check and the unpack: its copy is used.
    original = resolve.unpack_bundle

    def racing(bundle, target, **kwargs):
        original(bundle, target, **kwargs)
        return original(bundle, target, **kwargs)  # "already exists"

    monkeypatch.setattr(resolve, "unpack_bundle", racing)
    folder = resolve.resolve_folder(tmp_path / "b.zip", "artifacts", progress=False)
    assert (folder / "segments.csv").read_bytes() == b"segment_id\nx\n"
