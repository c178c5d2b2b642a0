"""Shared by the notebook tests (the generator scripts in tools/, a headless notebook runner) and by the tests
of prebuilt artifacts (a prepared corpus whose corpus is then deleted)."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # the notebook generators are scripts, not a package


@pytest.fixture
def check_committed_notebook():
    """The notebook at the repository root must be exactly what its generator writes."""

    def check(written: Path) -> None:
        committed = ROOT / written.name
        assert committed.exists(), f"{written.name} missing: run its generator in tools/"
        assert json.loads(committed.read_text(encoding="utf-8")) == json.loads(written.read_text(encoding="utf-8")), (
            f"{written.name} differs from what its generator in tools/ writes: regenerate it"
        )

    return check


@pytest.fixture
def run_notebook(monkeypatch):
    """Execute a notebook headless in ``workdir`` with ``settings`` as environment variables.

    Returns the code cells' outputs; fails on the first cell that raised.
    """

    def run(notebook, workdir: Path, settings: dict, timeout: int = 300) -> list:
        from nbclient import NotebookClient  # here: the light venv (make test-light) has no notebook tools

        for name, value in settings.items():
            monkeypatch.setenv(name, str(value))
        monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()
        outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
        assert not [out for out in outputs if out.output_type == "error"]
        return outputs

    return run


@pytest.fixture(scope="session")
def prebuilt_artifacts(tmp_path_factory):
    """``prebuilt_artifacts(name, sessions, seed)``: a folder holding ``artifacts/`` prepared from a
    generated KEMDy19 whose corpus is gone (what someone shares on Drive); returns the folder."""
    import shutil

    from emotion_classifier.datasets.synthetic import generate_corpus
    from emotion_classifier.features import prepare

    def make(name: str, sessions: int, seed: int) -> Path:
        root = tmp_path_factory.mktemp(name)
        corpus = generate_corpus(root / "corpus", corpus="kemdy19", sessions=sessions, seed=seed)
        prepare(corpus.root, root / "artifacts", jobs=1, progress=False)
        shutil.rmtree(corpus.root)
        return root

    return make
