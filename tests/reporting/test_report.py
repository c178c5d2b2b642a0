import json
import re

import numpy as np
import pytest
from fake_runs import write_fake_runs

from emotion_classifier.fusion.late import fuse_runs
from emotion_classifier.fusion.prediction_choice import validation_score
from emotion_classifier.reporting.report import (
    BEST_MARK,
    DIFFERENCES_TITLE,
    FOLDS_TITLE,
    SECTIONS,
    SEEDS_TITLE,
    SYNTHETIC_WARNING,
    VALIDATION_COLUMN,
    write_report,
)
from emotion_classifier.training.metrics import SCALAR_METRICS, bootstrap_intervals, score_block
from emotion_classifier.training.runs import read_oof

MODELS = ("text", "speech", "bio", "fusion/soft_vote", "fusion/weighted_vote", "fusion/stacking")
WARNING_START = SYNTHETIC_WARNING[:40]
COLUMNS = dict(zip(SCALAR_METRICS, ("macro-F1", "unweighted accuracy", "accuracy", "weighted-F1"), strict=True))


def _manifest(folder, data, synthetic: bool):
    folder.mkdir(parents=True)
    manifest = {"config": {"data": str(data), "view": "speaker", "ties": "drop"}, "corpus": "KEMDy19",
                "stages": {"text": {"skipped": [{"segment_id": "Sess01_impro01_F007", "file": "x/F007.txt",
                                                 "reason": "transcript empty after cleaning"}]}}}
    if synthetic:
        manifest["synthetic"] = True
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _run(root, synthetic: bool):
    artifacts = _manifest(root / "artifacts", root / "data", synthetic)
    dirs = write_fake_runs(root / "run", config={"artifacts": str(artifacts)})
    fuse_runs(dirs, root / "run" / "fusion")
    return root / "run", write_report(root / "run")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    run, md = _run(tmp_path_factory.mktemp("full"), synthetic=True)
    return run, md.read_text(encoding="utf-8"), (run / "report.html").read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _table(section: str) -> list[dict]:
    """The first table of a section."""
    text = section[section.index("\n|") + 1:] if not section.startswith("|") else section
    lines = [line for line in text.split("\n\n", 1)[0].splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    cells = ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])
    return [dict(zip(header, row, strict=True)) for row in cells]


def test_every_section_heading_is_present(report):
    _, md, html = report
    for title in SECTIONS:
        assert f"\n## {title}\n" in md
        assert f"<h2>{title}</h2>" in html


def _pooled(value: float, interval: list[float], sign: str = "") -> str:
    return f"{value:{sign}.3f} [{interval[0]:{sign}.3f}, {interval[1]:{sign}.3f}]"


def test_the_comparison_has_a_row_per_model_with_pooled_scores_and_intervals(report):
    run, md, _ = report
    rows = _table(_section(md, SECTIONS[1]))
    names = [r["model"].replace("**", "").removesuffix(BEST_MARK) for r in rows]
    assert names == list(MODELS)
    pooled = {}
    for name, row in zip(names, rows, strict=True):
        metrics = json.loads((run / name / "metrics.json").read_text())
        intervals = metrics["bootstrap"]["ci95"]
        assert metrics["bootstrap"]["unit"] == "session" and metrics["bootstrap"]["n_resamples"] == 1000
        for metric, column in COLUMNS.items():
            assert row[column] == _pooled(metrics["pooled"][metric], intervals[metric])
            assert intervals[metric][0] <= metrics["pooled"][metric] <= intervals[metric][1]
        if metrics["pooled"]["valence"]["ccc"] is not None:
            assert row["valence CCC"] == _pooled(metrics["pooled"]["valence"]["ccc"], intervals["valence_ccc"])
        else:
            assert row["valence CCC"] == "-"
        pooled[name] = metrics["pooled"]["macro_f1"]
    marked = [n for n, r in zip(names, rows, strict=True) if r["model"].endswith(BEST_MARK)]
    validation = {n: validation_score(run / n) for n in names}
    assert marked == [max(validation, key=validation.get)]
    assert [r[VALIDATION_COLUMN] for r in rows] == [f"{validation[n]:.3f}" for n in names]
    assert "chosen on validation sessions only" in _section(md, SECTIONS[1])


def test_the_fold_means_follow_the_pooled_table(report):
    run, md, _ = report
    rows = _table(_section(md, SECTIONS[1]).split(f"### {FOLDS_TITLE}\n", 1)[1])
    assert [r["model"] for r in rows] == list(MODELS)
    for row in rows:
        summary = json.loads((run / row["model"] / "metrics.json").read_text())["summary"]
        for metric, column in COLUMNS.items():
            assert row[column] == f"{summary[metric]['mean']:.3f} ± {summary[metric]['sd']:.3f}"


def test_fusion_is_compared_with_the_best_single_modality_on_the_same_sessions(report):
    run, md, _ = report
    rows = _table(_section(md, SECTIONS[1]).split(f"### {DIFFERENCES_TITLE}\n", 1)[1])
    pooled = {m: json.loads((run / m / "metrics.json").read_text())["pooled"] for m in MODELS}
    best = max(("text", "speech", "bio"), key=lambda m: validation_score(run / m))
    assert [r["model"] for r in rows] == [m for m in MODELS if m.startswith("fusion/")]
    for row in rows:
        assert row["minus"] == best
        for metric, column in COLUMNS.items():
            difference = pooled[row["model"]][metric] - pooled[best][metric]
            value, interval = row[column].split(" [")
            assert value == f"{difference:+.3f}"
            lo, hi = (float(v) for v in interval.rstrip("]").split(", "))
            assert lo <= round(difference, 3) <= hi


def test_images_exist_are_referenced_and_embedded_in_the_html(report):
    run, md, html = report
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    for kind in ("confusion_", "curves_", "valence_arousal_", "per_class_f1"):
        assert any(kind in path for path in images), kind
    assert sum("confusion_" in p for p in images) == len(MODELS)
    for path in images:
        assert (run / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert html.count('src="data:image/png;base64,') == len(images)
    assert "report_figures/" not in html


def test_per_kind_missing_modalities_skipped_and_configuration(report):
    run, md, html = report
    kinds = _table(_section(md, SECTIONS[6]))
    assert {(r["model"], r["kind"]) for r in kinds} == {(m, k) for m in MODELS for k in ("impro", "script")}
    combinations = json.loads((run / "fusion" / "combinations.json").read_text())
    counts = {r["available modalities"]: int(r["test rows"]) for r in _table(_section(md, SECTIONS[7]))}
    assert counts == combinations["oof"]
    skipped = _section(md, SECTIONS[8])
    assert "transcript empty after cleaning: 1" in skipped and "text (not scored) / tie_dropped: 2" in skipped
    assert "unlabelled" not in skipped  # a zero count is not news
    assert html.count("<details>") == 3 + 2  # three modality configs, fusion, the manifest's configuration


def test_the_synthetic_warning_appears_only_for_synthetic_data(report, tmp_path):
    assert WARNING_START in report[1]
    run, md = _run(tmp_path / "real", synthetic=False)
    assert WARNING_START not in md.read_text()
    (tmp_path / "real" / "data").mkdir()
    (tmp_path / "real" / "data" / "SYNTHETIC_SAMPLE.md").write_text("generated")
    assert WARNING_START in write_report(run).read_text()
    assert WARNING_START not in write_report(run, synthetic=False).read_text()


def test_the_header_says_which_bio_normalisation_made_the_features(report, tmp_path):
    facts = {r[""]: r["value"] for r in _table(_section(report[1], SECTIONS[0]))}
    assert facts["bio normalisation"] == "session"  # a manifest from before the setting: the only one there was
    run, _ = _run(tmp_path / "past", synthetic=False)
    path = tmp_path / "past" / "artifacts" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["config"]["bio_normalisation"] = "past"
    path.write_text(json.dumps(manifest))
    facts = {r[""]: r["value"] for r in _table(_section(write_report(run).read_text(), SECTIONS[0]))}
    assert facts["bio normalisation"] == "past"


def test_absent_inputs_are_said_not_fatal(tmp_path):
    dirs = write_fake_runs(tmp_path / "run")
    for history in (dirs["text"]).glob("history_fold*.csv"):
        history.unlink()
    for modality in ("speech", "bio"):
        for path in dirs[modality].iterdir():
            path.unlink()
        dirs[modality].rmdir()
    md = write_report(tmp_path / "run").read_text()
    assert [r["model"].replace("**", "").removesuffix(BEST_MARK) for r in _table(_section(md, SECTIONS[1]))] \
        == ["text"]
    assert "No late fusion in this run" in _section(md, SECTIONS[7])
    assert "no history_fold*.csv" in _section(md, SECTIONS[4])
    skipped = _section(md, SECTIONS[8])
    assert "speech: no run folder" in skipped and "artifacts manifest: not recorded" in skipped
    assert (tmp_path / "run" / "report.html").is_file()


def test_a_metrics_file_from_before_pooled_scores_is_rescored_from_its_predictions(tmp_path):
    dirs = write_fake_runs(tmp_path / "run")
    for folder in dirs.values():
        metrics = json.loads((folder / "metrics.json").read_text())
        (folder / "metrics.json").write_text(json.dumps({k: v for k, v in metrics.items()
                                                         if k not in ("pooled", "bootstrap")}))
    rows = _table(_section(write_report(tmp_path / "run").read_text(), SECTIONS[1]))
    assert all(" [" in row["macro-F1"] for row in rows) and len(rows) == 3


def test_the_comparison_shows_improvised_rows_beside_all_rows(report):
    run, md, _ = report
    rows = _table(_section(md, SECTIONS[1]))
    assert "Columns marked `(impro)`" in _section(md, SECTIONS[1])
    for row in rows:
        oof = read_oof(run / row["model"].replace("**", "").removesuffix(BEST_MARK) / "oof_predictions.csv")
        impro = oof[oof["kind"] == "impro"]
        scores, intervals = score_block(impro), bootstrap_intervals(impro)["ci95"]
        assert row["n (impro)"] == str(scores["n"]) and 0 < scores["n"] < len(oof)
        for metric, column in COLUMNS.items():
            assert row[f"{column} (impro)"] == _pooled(scores[metric], intervals[metric])


def test_scripted_rows_only_give_all_rows_only_and_say_why(tmp_path):
    dirs = write_fake_runs(tmp_path / "run")
    for folder in dirs.values():
        oof = read_oof(folder / "oof_predictions.csv").assign(kind="script")
        oof.to_csv(folder / "oof_predictions.csv", index=False)
        (folder / "metrics.json").write_text(json.dumps({"modality": folder.name}))  # re-scored by the report
    section = _section(write_report(tmp_path / "run").read_text(), SECTIONS[1])
    assert "No improvised rows were scored" in section
    assert not any("(impro)" in column for column in _table(section)[0])


def test_rows_left_out_by_dedup_text_are_counted_per_fold(tmp_path):
    dirs = write_fake_runs(tmp_path / "run")
    metrics = json.loads((dirs["text"] / "metrics.json").read_text())
    metrics["skipped"]["same_text_as_test"] = {"count": 5, "segment_ids": ["Sess01_script01_F001"],
                                               "folds": [{"fold": 0, "count": 2}, {"fold": 1, "count": 3}]}
    (dirs["text"] / "metrics.json").write_text(json.dumps(metrics))
    md = write_report(tmp_path / "run").read_text()
    assert "- text: 5 (fold 0: 2, fold 1: 3)" in _section(md, SECTIONS[1])
    skipped = _section(md, SECTIONS[8])
    assert "text (left out of training only) / same_text_as_test: 5" in skipped
    assert "(not scored) / same_text_as_test" not in skipped


def test_several_seeds_give_mean_and_sd_of_the_pooled_scores(tmp_path):
    root = tmp_path / "run"
    write_fake_runs(root)
    write_fake_runs(root / "seeds" / "seed1", seed=1)
    write_fake_runs(root / "seeds" / "seed7", seed=7)  # left by an earlier run with more seeds
    (root / "pipeline.json").write_text(json.dumps({"seed": 0, "seeds": 2}))
    section = _section(write_report(root).read_text(), SECTIONS[1]).split(f"### {SEEDS_TITLE}\n", 1)[1]
    rows = _table(section)
    assert [r["model"] for r in rows] == ["text", "speech", "bio"]
    for row in rows:
        pooled = [json.loads((folder / row["model"] / "metrics.json").read_text())["pooled"]
                  for folder in (root, root / "seeds" / "seed1")]
        assert row["seeds"] == "2"
        for metric, column in COLUMNS.items():
            values = np.array([p[metric] for p in pooled])
            assert row[column] == f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"
    (root / "pipeline.json").write_text(json.dumps({"seed": 0, "seeds": 1}))
    assert SEEDS_TITLE not in write_report(root).read_text()
