"""The notebooks' paths and their one data-safety decision (`emotion_classifier.workspace`)."""

from pathlib import Path

import pytest

from emotion_classifier import workspace
from emotion_classifier.errors import InputError
from emotion_classifier.workspace import Workspace


@pytest.fixture(scope="module")
def prebuilt(prebuilt_artifacts):
    """Finished artifacts whose corpus is gone (what someone shares on Drive)."""
    return prebuilt_artifacts("prebuilt", sessions=1, seed=1) / "artifacts"


def test_paths_come_from_the_environment(tmp_path):
    ws = Workspace.from_environment({"EMOTION_ARTIFACTS": str(tmp_path / "a"), "EMOTION_RUNS": str(tmp_path / "r"),
                                     "EMOTION_EPOCHS": "3", "EMOTION_FOLDS": "2", "EMOTION_RUN": "x"})  # fmt: skip
    assert ws.data is None and ws.artifacts == tmp_path / "a" and ws.artifacts_named
    assert ws.run_dir("text") == tmp_path / "r" / "x" / "text" and ws.epochs == 3 and ws.fold_plan["n_folds"] == 2
    with pytest.raises(InputError, match="EMOTION_FOLDS"):
        Workspace.from_environment({"EMOTION_FOLDS": "two"})


def test_a_named_corpus_that_is_missing_is_reported_and_nothing_is_generated(prebuilt, tmp_path):
    missing = tmp_path / "KEMDy19"
    ws = Workspace.from_environment({"EMOTION_DATA": str(missing), "EMOTION_ARTIFACTS": str(prebuilt)})
    with pytest.raises(InputError, match="no corpus here") as error:
        ws.ready_artifacts(progress=False)
    assert str(missing) in str(error.value) and str(prebuilt) in str(error.value)
    assert not missing.exists()


def test_prebuilt_artifacts_without_a_corpus_are_used_as_they_are(prebuilt, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the default sample folder (data/sample_kemdy19) is absent here
    manifest = (prebuilt / "manifest.json").read_bytes()
    ws = Workspace.from_environment({"EMOTION_ARTIFACTS": str(prebuilt)})
    assert "prebuilt artifacts are used as they are" in ws.describe()
    monkeypatch.setattr("emotion_classifier.features.prepare", lambda *a, **k: pytest.fail("prepared"))
    assert ws.ready_artifacts() == prebuilt
    assert "nothing prepared" in capsys.readouterr().out
    assert (prebuilt / "manifest.json").read_bytes() == manifest and not (tmp_path / "data").exists()


def test_the_environment_table_names_every_variable_the_notebooks_read():
    text = Path(workspace.__file__).read_text(encoding="utf-8")
    for name in workspace.ENVIRONMENT:
        assert text.count(f'"{name}"') >= 2, name  # documented and read


def test_prebuilt_artifacts_given_as_a_bundle_are_unpacked_once_and_used_as_they_are(prebuilt, tmp_path, monkeypatch):
    from emotion_classifier.bundles.pack import write_bundle
    from emotion_classifier.bundles.resolve import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    bundle = tmp_path / "artifacts.zip"
    write_bundle(prebuilt, "artifacts", bundle, progress=False)
    ws = Workspace.from_environment({"EMOTION_ARTIFACTS": str(bundle)})
    assert ws.artifacts.is_relative_to(tmp_path / "cache") and ws.artifacts_named
    assert (ws.artifacts / "segments.csv").read_bytes() == (prebuilt / "segments.csv").read_bytes()
    assert "prebuilt artifacts are used as they are" in ws.describe()
    assert ws.ready_artifacts(progress=False) == ws.artifacts
    assert Workspace.from_environment({"EMOTION_ARTIFACTS": str(bundle)}).artifacts == ws.artifacts  # cached
