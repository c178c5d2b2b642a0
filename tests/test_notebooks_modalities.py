"""The three per-modality notebooks: reproducible from their generator, and they run top to bottom.

Each is executed headless with nbclient on a small generated corpus (settings passed through the
environment variables their first cell reads), so every cell a Colab user runs is exercised here.
"""

import importlib.util
import json
from pathlib import Path

import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "tools" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_notebooks = _generator()


def test_committed_notebooks_are_what_the_generator_writes(tmp_path):
    for path in make_notebooks.write_notebooks(tmp_path):
        committed = ROOT / path.name
        assert committed.exists(), f"{path.name} missing: run tools/make_notebooks.py"
        written = json.loads(path.read_text(encoding="utf-8"))
        assert json.loads(committed.read_text(encoding="utf-8")) == written, (
            f"{path.name} differs from tools/make_notebooks.py: regenerate it"
        )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """Shared by the three runs: the first notebook generates and prepares the corpus, the others reuse it."""
    return tmp_path_factory.mktemp("notebooks")


@pytest.mark.parametrize("modality", list(make_notebooks.NOTEBOOKS))
def test_notebook_runs_top_to_bottom_on_a_small_generated_corpus(modality, workdir, monkeypatch):
    settings = {
        "EMOTION_DATA": workdir / "corpus",
        "EMOTION_ARTIFACTS": workdir / "artifacts",
        "EMOTION_RUNS": workdir / "runs",
        "EMOTION_MODELS": workdir / "models",
        "EMOTION_EPOCHS": 1,
        "EMOTION_FOLDS": 2,
        "EMOTION_SAMPLE_SESSIONS": 4,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, str(value))
    notebook = make_notebooks.build_notebook(modality)
    NotebookClient(notebook, timeout=240, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 3  # confusion matrix, training curves, per-class F1
    tables = [out["data"]["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    assert any("mean ± sd" in html for html in tables)
    printed = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "reproduce the stored predictions: True" in printed
    assert (workdir / "runs" / "notebooks" / modality / "metrics.json").exists()
    assert (workdir / "models" / f"{modality}.keras").exists()
