"""`emotion run --artifacts DIR` from a finished artifacts folder alone (its corpus deleted), and a
`--data` of another corpus refused before anything is written (the prebuilt artifacts stay)."""


import pytest

from emotion_classifier.cli import main
from emotion_classifier.datasets.synthetic import generate_corpus


@pytest.fixture(scope="module")
def prebuilt(prebuilt_artifacts):
    return prebuilt_artifacts("prebuilt_run", sessions=4, seed=2)


def test_run_trains_fuses_and_reports_from_the_artifacts_alone(prebuilt, capsys, monkeypatch):
    monkeypatch.chdir(prebuilt)  # no sample corpus in the default folder either
    manifest = (prebuilt / "artifacts" / "manifest.json").read_bytes()
    code = main(["run", "--artifacts", str(prebuilt / "artifacts"), "--runs-dir", str(prebuilt / "runs"),
                 "--models", str(prebuilt / "models"), "--epochs", "1", "--folds", "2", "--no-early-fusion",
                 "--set", 'run.modalities=["text", "bio"]', "--set", "prepare.log_mel=true", "--quiet"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "as they are (no --data: nothing prepared)" in printed
    assert "prepare settings not applied (no corpus to prepare from): log_mel" in printed
    report = (prebuilt / "runs" / "demo" / "report.md").read_text(encoding="utf-8")
    assert "synthetic sample corpus" in report and "| fusion/soft_vote" in report  # flagged from the manifest
    assert (prebuilt / "artifacts" / "manifest.json").read_bytes() == manifest
    assert not (prebuilt / "corpus").exists() and not (prebuilt / "data").exists()


def test_run_with_another_corpus_into_prebuilt_artifacts_is_refused_first(prebuilt, tmp_path, capsys):
    other = generate_corpus(tmp_path / "other", corpus="kemdy19", sessions=1, seed=9).root
    manifest = (prebuilt / "artifacts" / "manifest.json").read_bytes()
    code = main(["run", "--data", str(other), "--artifacts", str(prebuilt / "artifacts"),
                 "--runs-dir", str(tmp_path / "runs"), "--quiet"])  # fmt: skip
    error = capsys.readouterr().err.strip()
    assert code == 2 and error.count("\n") == 0 and "another corpus" in error and "--force" in error
    assert (prebuilt / "artifacts" / "manifest.json").read_bytes() == manifest
    assert not (tmp_path / "runs" / "demo" / "pipeline.json").exists()


def test_run_trains_from_an_artifacts_bundle(prebuilt, tmp_path, capsys, monkeypatch):
    """The Colab path in one command: a zip of prebuilt artifacts (as shared from Drive) is unpacked
    into the cache and trained on as it is; the zip's folder is never written to."""
    from emotion_classifier.bundles.resolve import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    bundle = tmp_path / "artifacts.zip"
    assert main(["bundle", "artifacts", str(prebuilt / "artifacts"), "--out", str(bundle), "--quiet"]) == 0
    capsys.readouterr()
    code = main(["run", "--artifacts", str(bundle), "--runs-dir", str(tmp_path / "runs"),
                 "--models", str(tmp_path / "models"), "--epochs", "1", "--folds", "2", "--no-early-fusion",
                 "--set", 'run.modalities=["bio"]', "--quiet"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"unpacked from {bundle}" in captured.err
    assert "as they are (no --data: nothing prepared)" in captured.out
    unpacked = next((tmp_path / "cache").rglob("manifest.json")).parent
    assert (unpacked / "segments.csv").read_bytes() == (prebuilt / "artifacts" / "segments.csv").read_bytes()
    assert (tmp_path / "runs" / "demo" / "report.md").is_file() and (tmp_path / "models").is_dir()
    assert not (tmp_path / "data").exists()
