"""Artifacts belong to a corpus by content: another corpus never replaces them unasked, and the same
corpus moved elsewhere (or read with other package patch versions) reuses every stage."""

import importlib
import json
import shutil

import pytest

from emotion_classifier.cli import main
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.errors import InputError
from emotion_classifier.features import load_artifacts, prepare
from emotion_classifier.features.artifacts import MANIFEST, SEGMENTS
from emotion_classifier.features.identity import corpus_identity, same_corpus
from emotion_classifier.training.runs import artifacts_fingerprint

prepare_module = importlib.import_module("emotion_classifier.features.prepare")


@pytest.fixture
def artifacts_copy(prepared19, tmp_path):
    return shutil.copytree(prepared19, tmp_path / "artifacts")


@pytest.fixture(scope="module")
def other_corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("other"), corpus="kemdy19", sessions=1, seed=7).root


def _reused(folder) -> dict:
    return {name: s["cache"] for name, s in load_artifacts(folder).manifest["stages"].items()}


def test_another_corpus_is_refused_before_any_work_and_force_replaces(artifacts_copy, other_corpus, capsys):
    before = (artifacts_copy / SEGMENTS).read_bytes()
    with pytest.raises(InputError, match="another corpus") as refused:
        prepare(other_corpus, artifacts_copy, jobs=1, progress=False)
    assert str(other_corpus) in str(refused.value) and "--force" in str(refused.value)
    assert (artifacts_copy / SEGMENTS).read_bytes() == before
    assert main(["prepare", "--data", str(other_corpus), "--out", str(artifacts_copy), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and str(artifacts_copy) in error and str(other_corpus) in error
    assert "--force" in error and (artifacts_copy / SEGMENTS).read_bytes() == before
    assert main(["prepare", "--data", str(other_corpus), "--out", str(artifacts_copy), "--quiet", "--force",
                 "--jobs", "1"]) == 0  # fmt: skip
    manifest = load_artifacts(artifacts_copy).manifest
    assert manifest["corpus_identity"] == corpus_identity(other_corpus)


def test_a_folder_that_is_not_an_artifacts_folder_is_refused(corpus19, tmp_path, capsys):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.docx").write_text("mine", encoding="utf-8")
    assert main(["prepare", "--data", str(corpus19.root), "--out", str(folder), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "not an artifacts folder" in error and str(corpus19.root) in error and "--force" in error
    assert sorted(p.name for p in folder.iterdir()) == ["chapter1.docx"]


def test_the_same_corpus_edited_is_still_the_same_corpus(corpus19, prepared19, other_corpus):
    manifest = load_artifacts(prepared19).manifest
    identity = corpus_identity(corpus19.root)
    assert same_corpus(manifest, identity, corpus19.root)
    edited = {**identity, "fingerprint": "changed", "annotations": {**identity["annotations"]}}
    edited["annotations"][next(iter(edited["annotations"]))] = "edited"
    assert same_corpus(manifest, edited, "/elsewhere")  # one session's file corrected, the others shared
    assert not same_corpus(manifest, corpus_identity(other_corpus), other_corpus)
    every_file_edited = {**edited, "annotations": dict.fromkeys(identity["annotations"], "edited")}
    assert same_corpus(manifest, every_file_edited, corpus19.root)  # a one-file corpus edited where it is
    assert not same_corpus(manifest, every_file_edited, "/elsewhere")


def test_a_copied_corpus_recomputes_nothing_and_keeps_the_runs_fingerprint(corpus19, artifacts_copy, tmp_path):
    before = load_artifacts(artifacts_copy).manifest
    moved = shutil.copytree(corpus19.root, tmp_path / "mounted" / "KEMDy19", copy_function=shutil.copy)  # new mtimes
    prepare(moved, artifacts_copy, jobs=1, progress=False)
    after = load_artifacts(artifacts_copy)
    assert all(cache == {"reused_artifact": True} for cache in _reused(artifacts_copy).values())
    assert after.manifest["changes"] == {"added": [], "removed": [], "modified": []}
    assert artifacts_fingerprint(after.manifest) == artifacts_fingerprint(before)
    wavs = [p for p in after.table["wav_path"] if p]
    assert wavs and all(p.startswith(str(moved.resolve())) for p in wavs)  # segments.csv points at the copy


def test_a_patch_version_difference_reuses_the_features_and_is_recorded(corpus19, artifacts_copy, monkeypatch):
    real = prepare_module.package_versions()
    bumped = {**real, "pandas": real["pandas"] + ".post9"}  # a patch release; no stage keys pandas
    monkeypatch.setattr(prepare_module, "package_versions", lambda: bumped)
    prepare(corpus19.root, artifacts_copy, jobs=1, progress=False)
    manifest = load_artifacts(artifacts_copy).manifest
    assert all(cache == {"reused_artifact": True} for cache in _reused(artifacts_copy).values())
    assert manifest["versions"]["pandas"] == bumped["pandas"]
    for stage in ("text", "audio", "bio"):
        assert manifest["reused_across_versions"][stage]["pandas"] == {"computed_with": real["pandas"],
                                                                      "now": bumped["pandas"]}  # fmt: skip
    assert (artifacts_copy / MANIFEST).exists()


def test_prefetched_digests_equal_those_found_one_by_one(tmp_path, monkeypatch):
    """`ContentDigests.prefetch` (threads) records what `entry` finds for each file, a missing file included,
    and reads no file whose size and mtime the previous manifest recorded."""
    from emotion_classifier.features import identity

    for i in range(6):
        (tmp_path / f"{i}.wav").write_bytes(bytes([i]) * (1000 + i))
    paths = [str(tmp_path / f"{i}.wav") for i in range(6)] + [str(tmp_path / "gone.wav")]
    one_by_one = identity.ContentDigests(tmp_path)
    expected = {p: one_by_one.entry(p) for p in paths}
    at_once = identity.ContentDigests(tmp_path)
    at_once.prefetch(paths, threads=3)
    assert {p: at_once.entry(p) for p in paths} == expected and expected[paths[-1]]["sha256"] is None
    read = []
    monkeypatch.setattr(identity, "file_digest", lambda path: read.append(path))
    again = identity.ContentDigests(tmp_path, one_by_one.inputs(paths))
    again.prefetch(paths)
    assert read == [] and {p: again.entry(p) for p in paths} == expected



def test_background_digests_equal_those_prepare_finds_itself(corpus19, tmp_path):
    """`BackgroundDigests` (a helper process, started by `prepare` unless ``jobs=1``) finds exactly the
    entries `ContentDigests` finds file by file, keeps the previous manifest's digests of unchanged files,
    and a run with it writes the manifest inputs a run without it writes; a helper that fails gives nothing."""
    from emotion_classifier.datasets.segment_table import media_files
    from emotion_classifier.features import identity

    inline = identity.ContentDigests(corpus19.root.resolve())
    inline.prefetch(media_files(corpus19.root))
    with identity.BackgroundDigests(corpus19.root.resolve(), None) as background:
        assert background.found() == inline.found() and len(inline.found()) > 10
    with_helper = prepare(corpus19.root, tmp_path / "a", jobs=2, progress=False)
    without = prepare(corpus19.root, tmp_path / "b", jobs=1, progress=False)
    assert load_artifacts(with_helper).manifest["inputs"] == load_artifacts(without).manifest["inputs"]
    manifest = json.loads((with_helper / MANIFEST).read_text(encoding="utf-8"))
    rel = next(r for r in manifest["inputs"] if r.endswith(".wav"))
    manifest["inputs"][rel]["sha256"] = "recorded"  # same size and mtime: the record is trusted, not re-read
    (tmp_path / "previous.json").write_text(json.dumps(manifest), encoding="utf-8")
    kept = identity.BackgroundDigests(corpus19.root.resolve(), tmp_path / "previous.json").found()
    assert kept[rel]["sha256"] == "recorded" and {k: v for k, v in kept.items() if k != rel} == {
        k: v for k, v in inline.found().items() if k != rel}  # fmt: skip
    assert identity.BackgroundDigests(tmp_path / "not-a-corpus", None).found() == {}
    assert identity.BackgroundDigests(corpus19.root, None, enabled=False).found() == {}
    running = identity.BackgroundDigests(corpus19.root, None)
    running.close()  # ends the helper at once, however far it got
    assert running.found() == {}
