"""What the notebook generators share: stable cell ids, Colab-ready metadata, writing.

Fixed cell ids (nbformat draws random ones) make regenerating a notebook a no-op, so the tests
can check that every committed notebook is exactly what its generator writes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import nbformat

METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
    "colab": {"provenance": []},
}
ROOT = Path(__file__).resolve().parent.parent

COLAB_MARKDOWN = """\
## Google Colab quick start

On Colab the next cell installs the package **without a TensorFlow extra** (Colab's own TensorFlow and
Keras 3 stay; `[cpu]`/`[gpu]` would install a second one), mounts Google Drive and sets where things are.
Edit its paths, then run every cell. Elsewhere it does nothing.

- **Prebuilt artifacts** (someone ran `emotion prepare` once): set `EMOTION_ARTIFACTS` to that folder and
  leave `EMOTION_DATA` unset: nothing is prepared or overwritten, no corpus is needed.
- **Your corpus copy**: set `EMOTION_DATA` to it (the folder holding `annotation/`, `wav/`, `EDA/`); the
  artifacts are prepared into `EMOTION_ARTIFACTS` (cached: a second run only checks).
- **Outputs**: runs (per-fold scores, figures, fusion, report) under `EMOTION_RUNS`, final models under
  `EMOTION_MODELS`."""

COLAB_CELL = """\
import importlib.util
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    from google.colab import drive

    drive.mount("/content/drive")
    DRIVE = "/content/drive/MyDrive"
    # Where the package comes from: a copy of the repository on Drive, or "git+https://..." of your clone.
    PACKAGE = os.environ.get("EMOTION_PACKAGE", f"{DRIVE}/emotion_classifier")
    if importlib.util.find_spec("emotion_classifier") is None:  # no extra: Colab's TensorFlow is kept
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", PACKAGE], check=True)
    # Prebuilt artifacts: their folder, its bundle (FILE.zip) or a share link to one; or where to prepare.
    os.environ.setdefault("EMOTION_ARTIFACTS", f"{DRIVE}/emotion/artifacts")
    # os.environ["EMOTION_DATA"] = f"{DRIVE}/KEMDy19"  # your corpus copy; unset: the artifacts alone
    os.environ.setdefault("EMOTION_RUNS", f"{DRIVE}/emotion/runs")  # scores, figures, report
    os.environ.setdefault("EMOTION_MODELS", f"{DRIVE}/emotion/models")  # final models (emotion predict)"""
"""The first cells of every notebook: Colab install (no second TensorFlow), Drive, corpus OR prebuilt artifacts."""


def assemble(cells: Sequence[nbformat.NotebookNode], id_prefix: str) -> nbformat.NotebookNode:
    """A notebook of ``cells`` with ids ``{id_prefix}-{i}`` and the kernel/Colab metadata."""
    for i, cell in enumerate(cells):
        cell["id"] = f"{id_prefix}-{i}"
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    notebook.metadata.update(METADATA)
    return notebook


def write(notebook: nbformat.NotebookNode, out_dir: str | Path, filename: str) -> Path:
    """Write without outputs (so diffs stay readable) into ``out_dir``."""
    path = Path(out_dir) / filename
    nbformat.write(notebook, path)
    return path


def main(doc: str, writer: Callable[[Path], Path | list[Path]]) -> None:
    """The generators' command line: ``--out DIR`` (default: the repository root)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT), help="folder to write")
    written = writer(Path(parser.parse_args().out))
    for path in written if isinstance(written, list) else [written]:
        print(f"wrote {path}")
