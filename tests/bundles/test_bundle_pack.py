"""`emotion bundle`: each kind packs and unpacks to a byte-identical folder; code-carrying files are refused."""

import hashlib
import json
import pickle
import zipfile

import numpy as np
import pytest

from emotion_classifier.bundles.content import BUNDLE_FILE
from emotion_classifier.bundles.pack import write_bundle
from emotion_classifier.bundles.resolve import resolve_folder
from emotion_classifier.bundles.unpack import unpack_bundle
from emotion_classifier.cli import main
from emotion_classifier.errors import InputError


@pytest.mark.parametrize("kind", ["artifacts", "models", "run"])
def test_each_kind_round_trips_byte_identical(kind, make_folder, tree_equal, tmp_path, cache, capsys):
    folder = make_folder(kind)
    out = tmp_path / f"{kind}.zip"
    assert main(["bundle", kind, str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "left out: .cache/ (1 files, hidden folder)" in printed and f"{kind} bundle written to" in printed
    assert f"sha256 {hashlib.sha256(out.read_bytes()).hexdigest()} " in printed
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read(BUNDLE_FILE))
        names = set(archive.namelist())
    assert manifest["kind"] == kind and manifest["root"] == kind and manifest["package_version"]
    assert manifest["created"].endswith("+00:00") and manifest["left_out"] == [".cache/ (1 files, hidden folder)"]
    assert {f"{kind}/{e['path']}" for e in manifest["files"]} | {BUNDLE_FILE} == names
    entry = next(e for e in manifest["files"] if e["path"] == "sub/table.csv")
    assert entry["size"] == (folder / "sub/table.csv").stat().st_size and len(entry["sha256"]) == 64

    unpacked = resolve_folder(out, kind)
    assert unpacked.parent.parent == cache / "bundles" and unpacked.name == kind
    assert tree_equal(folder, unpacked) and not (unpacked / ".cache").exists()
    assert resolve_folder(out, kind) == unpacked  # the second use finds the cache


def test_an_existing_out_is_kept_unless_overwrite(make_folder, tmp_path, capsys):
    folder, out = make_folder("models"), tmp_path / "m.zip"
    out.write_bytes(b"someone's file")
    assert main(["bundle", "models", str(folder), "--out", str(out)]) == 2
    assert out.read_bytes() == b"someone's file"
    assert "already exists" in capsys.readouterr().err
    assert main(["bundle", "models", str(folder), "--out", str(out), "--overwrite"]) == 0
    assert zipfile.is_zipfile(out)
    assert not list(tmp_path.glob(".m.zip.*"))  # no temporary left behind


@pytest.mark.parametrize("name, content, said", [
    ("model.pkl", pickle.dumps({"a": 1}), ".pkl file could carry code"),
    ("tools/run.py", b"print(1)\n", ".py file could carry code"),
    ("scaler.joblib", b"\x80\x04", ".joblib file could carry code"),
    ("README", b"text", "no extension file could carry code"),
    ("objects.npy", None, "object (pickled) array"),
    ("objects.npz", None, "object (pickled) array"),
])  # fmt: skip
def test_files_that_could_carry_code_are_refused(name, content, said, make_folder, tmp_path, capsys):
    folder = make_folder("artifacts")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".npy"):
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif name.endswith(".npz"):
        np.savez(path, ok=np.zeros(2), bad=np.array([None, 1], dtype=object))
    else:
        path.write_bytes(content)
    out = tmp_path / "a.zip"
    assert main(["bundle", "artifacts", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and said in err[0] and name in err[0]
    assert not out.exists()


def test_wrong_kind_link_and_out_inside_are_refused(make_folder, tmp_path):
    folder = make_folder("models")
    with pytest.raises(InputError, match="not a finished `emotion prepare` output: no manifest.json"):
        write_bundle(folder, "artifacts", tmp_path / "x.zip")
    with pytest.raises(InputError, match="cannot be written inside the folder it packs"):
        write_bundle(folder, "models", folder / "x.zip")
    (folder / "elsewhere.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(InputError, match="symbolic link cannot be bundled"):
        write_bundle(folder, "models", tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_a_bundle_of_another_kind_is_refused_where_a_kind_is_asked(make_folder, tmp_path, capsys):
    out = tmp_path / "m.zip"
    write_bundle(make_folder("models"), "models", out, progress=False)
    with pytest.raises(InputError, match="this bundle holds models, not artifacts"):
        unpack_bundle(out, tmp_path / "target", kind="artifacts")
    assert not (tmp_path / "target").exists()
    assert main(["train", "--artifacts", str(out), "--modality", "text"]) == 2
    assert "holds models, not artifacts" in capsys.readouterr().err
    assert main(["train", "--artifacts", str(out), "--modality", "text", "--models", str(out)]) == 2
    assert "a bundle (.zip or https:// link) can only be read" in capsys.readouterr().err
