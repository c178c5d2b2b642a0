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
