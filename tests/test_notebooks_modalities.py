"""The notebooks in the "prebuilt artifacts, no corpus" configuration (what a Colab user with someone's
prepared artifacts on Drive runs), and the per-modality notebooks' generator.

A small generated corpus is prepared once and deleted; every notebook then runs headless with nbclient
from the artifacts alone (settings through the environment variables their first cells read), so every
cell a Colab user runs is exercised without a corpus. The modality notebooks train the runs the ensemble
notebook then reuses. A named corpus folder that does not exist stops the notebook, nothing generated.
"""


import make_ensemble_notebook
import make_notebooks
import make_preprocessing_notebook
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def test_committed_notebooks_are_what_the_generator_writes(tmp_path, check_committed_notebook):
    for path in make_notebooks.write_notebooks(tmp_path):
        check_committed_notebook(path)


@pytest.fixture(scope="module")
def workdir(prebuilt_artifacts):
    """Prebuilt artifacts whose corpus is gone, shared by every notebook run here."""
    return prebuilt_artifacts("notebooks", sessions=4, seed=0)


def _settings(workdir) -> dict:
    return {
        "EMOTION_ARTIFACTS": workdir / "artifacts",  # no EMOTION_DATA: the artifacts alone
        "EMOTION_RUNS": workdir / "runs",
        "EMOTION_MODELS": workdir / "models",
        "EMOTION_EPOCHS": 1,
        "EMOTION_FOLDS": 2,
    }


def _printed(outputs) -> str:
    return "".join(out.get("text", "") for out in outputs if out.output_type == "stream")


@pytest.mark.parametrize("modality", list(make_notebooks.NOTEBOOKS))
def test_notebook_runs_top_to_bottom_from_prebuilt_artifacts(modality, workdir, run_notebook):
    outputs = run_notebook(make_notebooks.build_notebook(modality), workdir, _settings(workdir), timeout=240)
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 3  # confusion matrix, training curves, per-class F1
    tables = [out["data"]["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    assert any("mean ± sd" in html for html in tables)
    printed = _printed(outputs)
    assert "using the prebuilt artifacts" in printed and "nothing prepared" in printed
    assert "reproduce the stored predictions: True" in printed
    assert (workdir / "runs" / "notebooks" / modality / "metrics.json").exists()
    assert (workdir / "models" / f"{modality}.keras").exists()
    assert not (workdir / "corpus").exists() and not (workdir / "data").exists()  # nothing generated


def test_ensemble_notebook_runs_from_prebuilt_artifacts_and_skips_prediction_with_a_note(workdir, run_notebook):
    outputs = run_notebook(make_ensemble_notebook.build_notebook(), workdir, _settings(workdir), timeout=600)
    printed = _printed(outputs)
    assert "prediction of corpus segments skipped" in printed
    assert (workdir / "runs" / "notebooks" / "report.md").is_file()
    assert any("emotion_pred" in out["data"].get("text/html", "") for out in outputs if "data" in out)
    assert not (workdir / "data").exists()


def test_preprocessing_notebook_runs_from_prebuilt_artifacts(workdir, run_notebook):
    outputs = run_notebook(make_preprocessing_notebook.build_notebook(), workdir, _settings(workdir))
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # class balance, MFCC image (the dialogue's raw signals need the corpus)
    printed = _printed(outputs)
    assert "raw body signals skipped" in printed and "prepared" in printed
    html = "".join(o["data"].get("text/html", "") for o in outputs if "data" in o)
    assert "n_tokens" in html and "audio_frames" in html


def test_a_missing_named_corpus_stops_the_notebook_and_nothing_is_generated(workdir, monkeypatch):
    missing = workdir / "KEMDy19_on_drive"
    for name, value in {**_settings(workdir), "EMOTION_DATA": missing}.items():
        monkeypatch.setenv(name, str(value))
    notebook = make_notebooks.build_notebook("bio")
    with pytest.raises(CellExecutionError, match="no corpus here"):
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()
    assert not missing.exists() and not (workdir / "data").exists()
    ran = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.get("execution_count")]
    assert len(ran) == 2  # the Colab cell, then the paths cell that stopped
