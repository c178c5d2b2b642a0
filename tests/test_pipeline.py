"""`emotion run` end to end on a generated corpus: the acceptance test of the fusion issue.

One pipeline run (module fixture) serves every test here; its settings are the cheapest that
still train every modality properly (pooled speech model, three folds, no early-fusion network:
that one is scored through the same loop in tests/fusion/test_early.py).
"""

import json

import pytest

from emotion_classifier.cli import main
from emotion_classifier.datasets.synthetic import generate_corpus
from emotion_classifier.fusion.prediction_choice import validation_score
from emotion_classifier.pipeline import PipelineConfig, comparison_table, run_pipeline
from emotion_classifier.reporting.report import SECTIONS

MODALITIES = ("text", "speech", "bio")
FUSION = ("soft_vote", "weighted_vote", "stacking")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    generate_corpus(root / "corpus", corpus="kemdy19", seed=0)
    config = PipelineConfig(
        data=root / "corpus", artifacts=root / "artifacts", runs_dir=root / "runs", run_name="t",
        models_dir=root / "models", n_folds=3, early_fusion=False, seed=0,
        train_settings={"epochs": 15, "speech_model": "pooled"},
    )
    report = run_pipeline(config, progress=False)
    return config, report


def _macro_f1(folder) -> float:
    metrics = json.loads((folder / "metrics.json").read_text())
    return metrics["summary"]["macro_f1"]["mean"]


def test_best_fusion_beats_the_best_single_modality(run):
    config, _ = run
    single = {m: _macro_f1(config.run_root / m) for m in MODALITIES}
    fused = {f: _macro_f1(config.run_root / "fusion" / f) for f in FUSION}
    assert min(single.values()) > 1 / 7  # every modality learnt something
    assert max(fused.values()) > max(single.values()) + 0.02, (single, fused)


def test_the_report_has_every_section_and_a_row_per_model(run):
    _, report = run
    text = report.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"## {section}" in text
    for name in (*MODALITIES, *(f"fusion/{f}" for f in FUSION)):
        assert f"| {name} |" in text or f"| **{name}** (best) |" in text
    assert "synthetic sample corpus" in text
    html = report.with_suffix(".html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html


def test_configuration_timings_and_final_models_are_written(run):
    config, _ = run
    written = json.loads((config.run_root / "pipeline.json").read_text())
    assert written["n_folds"] == 3 and written["train_settings"]["speech_model"] == "pooled"
    timings = json.loads((config.run_root / "timings.json").read_text())
    assert {"prepare", "train text", "fusion", "report"} <= set(timings)
    for modality in MODALITIES:
        assert (config.models_dir / f"{modality}.keras").is_file()
        assert (config.models_dir / f"{modality}.json").is_file()
    choice = json.loads((config.models_dir / "fusion.json").read_text())
    assert choice["method"] in ("soft_vote", "weighted_vote")  # no early-fusion model in this run
    validation = {m: validation_score(config.run_root / "fusion" / m) for m in ("soft_vote", "weighted_vote")}
    assert choice["method"] == max(validation, key=validation.get) and choice["selection"] == "validation"
    assert choice["scores"] == validation  # chosen on validation sessions, not on the test folds


def test_the_console_ends_with_the_comparison_table(run):
    config, _ = run
    table = comparison_table(config.run_root).splitlines()
    assert table[0].startswith("| model |") and len(table) == 2 + len(MODALITIES) + len(FUSION)


def test_run_on_a_folder_that_is_not_a_corpus_prints_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--data", str(tmp_path / "empty"), "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "empty" in err[0] and err[0].startswith("error:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # no artifacts, runs or models folder made


def test_several_seeds_and_dedup_text_on_a_tiny_corpus(tmp_path):
    generate_corpus(tmp_path / "corpus", corpus="kemdy19", sessions=6, seed=0)
    config = PipelineConfig(
        data=tmp_path / "corpus", artifacts=tmp_path / "artifacts", runs_dir=tmp_path / "runs", run_name="s",
        models_dir=tmp_path / "models", modalities=("text", "bio"), n_folds=3, early_fusion=False, seed=5,
        seeds=2, dedup_text=True, train_settings={"epochs": 2},
    )
    report = run_pipeline(config, progress=False).read_text(encoding="utf-8")
    root, other = config.run_root, config.run_root / "seeds" / "seed6"
    for folder in (root, other):
        assert {p.name for p in folder.iterdir()} >= {"text", "bio", "fusion"}
        folds = json.loads((folder / "text" / "folds.json").read_text())
        assert all(f["skipped"]["same_text_as_test"]["count"] > 0 for f in folds)
    assert json.loads((other / "bio" / "config.json").read_text())["seed"] == 6
    assert (other / "fusion" / "soft_vote" / "metrics.json").is_file()
    assert json.loads((config.models_dir / "text.json").read_text())["config"]["seed"] == 5  # the first seed's
    assert "### Mean ± sd over seeds" in report and "| text | 2 |" in report
    assert "--dedup-text" in report.split("## Per-class")[0]
    settings = (root / "experiment.toml").read_text()
    assert "seeds = 2" in settings and "dedup_text = true" in settings
    assert {"train text", "train text seed 6", "fusion seed 6"} <= set(json.loads((root / "timings.json").read_text()))
