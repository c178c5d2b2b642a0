"""The three per-modality notebooks: reproducible from their generator, and they run top to bottom.

Each is executed headless with nbclient on a small generated corpus (settings passed through the
environment variables their first cell reads), so every cell a Colab user runs is exercised here.
"""

import make_notebooks
import pytest


def test_committed_notebooks_are_what_the_generator_writes(tmp_path, check_committed_notebook):
    for path in make_notebooks.write_notebooks(tmp_path):
        check_committed_notebook(path)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """Shared by the three runs: the first notebook generates and prepares the corpus, the others reuse it."""
    return tmp_path_factory.mktemp("notebooks")


@pytest.mark.parametrize("modality", list(make_notebooks.NOTEBOOKS))
def test_notebook_runs_top_to_bottom_on_a_small_generated_corpus(modality, workdir, run_notebook):
    settings = {
        "EMOTION_DATA": workdir / "corpus",
        "EMOTION_ARTIFACTS": workdir / "artifacts",
        "EMOTION_RUNS": workdir / "runs",
        "EMOTION_MODELS": workdir / "models",
        "EMOTION_EPOCHS": 1,
        "EMOTION_FOLDS": 2,
        "EMOTION_SAMPLE_SESSIONS": 4,
    }
    outputs = run_notebook(make_notebooks.build_notebook(modality), workdir, settings, timeout=240)
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 3  # confusion matrix, training curves, per-class F1
    tables = [out["data"]["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    assert any("mean ± sd" in html for html in tables)
    printed = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "reproduce the stored predictions: True" in printed
    assert (workdir / "runs" / "notebooks" / modality / "metrics.json").exists()
    assert (workdir / "models" / f"{modality}.keras").exists()
