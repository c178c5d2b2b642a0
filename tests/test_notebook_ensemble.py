"""Ensemble_emotion.ipynb: reproducible from its generator, and it runs top to bottom headless.

It is executed with nbclient on a small generated corpus (the "your corpus copy" configuration:
``EMOTION_DATA`` names it, settings through the environment variables its first cells read), preparing
it and training the three modality runs itself because none exist yet.
"""

import make_ensemble_notebook

from emotion_classifier.datasets.synthetic import generate_corpus


def test_committed_notebook_is_what_the_generator_writes(tmp_path, check_committed_notebook):
    check_committed_notebook(make_ensemble_notebook.write_notebook(tmp_path))


def test_notebook_runs_top_to_bottom_on_a_small_generated_corpus(tmp_path, run_notebook):
    generate_corpus(tmp_path / "corpus", corpus="kemdy19", sessions=4, seed=0)
    settings = {
        "EMOTION_DATA": tmp_path / "corpus",
        "EMOTION_ARTIFACTS": tmp_path / "artifacts",
        "EMOTION_RUNS": tmp_path / "runs",
        "EMOTION_MODELS": tmp_path / "models",
        "EMOTION_RUN": "ensemble",
        "EMOTION_EPOCHS": 2,
        "EMOTION_FOLDS": 2,
    }
    outputs = run_notebook(make_ensemble_notebook.build_notebook(), tmp_path, settings)
    markdown = "".join(out["data"].get("text/markdown", "") for out in outputs if "data" in out)
    for model in ("text", "speech", "bio", "fusion/soft_vote", "fusion/weighted_vote", "fusion/stacking"):
        assert f"| {model}" in markdown or f"**{model}**" in markdown, model
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 1 + 3  # per-class F1 comparison, one confusion matrix per fusion method
    run_root = tmp_path / "runs" / "ensemble"
    for method in ("soft_vote", "weighted_vote", "stacking"):
        assert (run_root / "fusion" / method / "oof_predictions.csv").is_file()
    assert (run_root / "report.md").is_file() and (run_root / "report.html").is_file()
    printed = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "modalities ['text', 'speech']" in printed
