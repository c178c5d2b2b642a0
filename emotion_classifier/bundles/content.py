"""What a bundle may hold: the kinds of folder, and the file types that carry data but never code.

A bundle is opened on someone else's machine (a Colab notebook reading a Drive link), so it is held
to the rule every reader of the package follows: what we read back is CSV, JSON, npy/npz without
pickle, ``.keras`` in safe mode, or ``.h5`` weights. The allow-list below is the file types the
package writes; anything else (a pickle, ``.joblib``, a ``.py``, an object-dtype array) is refused
when bundling and again when unpacking, because the second machine must not trust the first.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from emotion_classifier.errors import InputError

BUNDLE_FILE = "bundle.json"
FORMAT = "emotion_classifier.bundle"
FORMAT_VERSION = 1

# The types the package writes (artifacts, models, runs, reports). `.keras` loads in safe mode and `.h5`
# only as weights into a network rebuilt from its JSON sidecar (`ModalityModel._load_network`); `.onnx` and
# `.tflite` (`emotion export`) are graphs of standard operators run by onnxruntime / LiteRT (`networks.py`).
ALLOWED_SUFFIXES: tuple[str, ...] = (
    ".csv", ".html", ".h5", ".json", ".keras", ".md", ".npy", ".npz", ".onnx", ".png", ".svg", ".tflite", ".toml",
    ".tsv", ".txt",
)  # fmt: skip
ARRAY_SUFFIXES = (".npy", ".npz")
# Stored, not deflated: already compressed (.keras, .png), or arrays of floats, which deflate shrinks by
# about 7% at 15-30 MiB/s (benchmarks/bench_bundle.py): packing and unpacking would take 3x as long.
STORED_SUFFIXES = (".keras", ".png", ".h5", ".npy", ".npz")


@dataclass(frozen=True)
class Kind:
    """A kind of folder a bundle holds; ``marker`` is the file that proves a folder is one (None: any
    of ``any_of``), checked when bundling so that ``bundle models runs/x`` is caught at once."""

    name: str
    marker: str | None
    any_of: tuple[str, ...]
    help: str


KINDS: dict[str, Kind] = {
    "artifacts": Kind("artifacts", "manifest.json", (), "a finished `emotion prepare` output"),
    "models": Kind("models", None, (".keras", ".h5", ".onnx", ".tflite"),
                   "a folder of saved final models (`--models`), or an `emotion export` of them"),
    "run": Kind("run", None, (".json",), "a run folder (runs/NAME): scores, predictions, report"),
}


def check_kind(folder: Path, kind: str) -> None:
    """Refuse a folder that is not of ``kind`` (one line naming it and what was expected)."""
    spec = KINDS[kind]
    if spec.marker is not None:
        if not (folder / spec.marker).is_file():
            raise InputError(f"not {spec.help}: no {spec.marker}", folder)
        return
    if not any(p.suffix in spec.any_of for p in folder.rglob("*") if p.is_file()):
        raise InputError(f"not {spec.help}: no {' or '.join(spec.any_of)} file in it", folder)


def refuse_suffix(name: str, where: str | Path) -> None:
    """One line for a file type outside the allow-list (``where`` is the folder or bundle)."""
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        shown = suffix or "no extension"
        raise InputError(f"{name}: a {shown} file could carry code and cannot be shared in a bundle "
                         f"(allowed: {' '.join(ALLOWED_SUFFIXES)})", where)


def _npy_has_objects(handle: IO[bytes]) -> bool:
    """Whether one ``.npy`` stream holds an object (pickled) array, read from its header alone."""
    import numpy as np  # here: the command line reads KINDS without loading numpy

    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        _, _, dtype = np.lib.format.read_array_header_1_0(handle)
    else:
        _, _, dtype = np.lib.format.read_array_header_2_0(handle)
    return dtype.hasobject


def refuse_pickled_arrays(path: Path, name: str, where: str | Path) -> None:
    """Refuse an ``.npy``/``.npz`` holding an object array: loading one runs pickle (numpy refuses it only
    with ``allow_pickle=False``, which a user's own code may not pass)."""
    try:
        if path.suffix.lower() == ".npy":
            with open(path, "rb") as handle:
                pickled = _npy_has_objects(handle)
        else:
            pickled = False
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    with archive.open(member) as handle:
                        pickled = pickled or _npy_has_objects(handle)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{name}: not a readable numpy file ({exc})", where) from None
    if pickled:
        raise InputError(f"{name}: holds an object (pickled) array, which could carry code", where)


def folder_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The files to bundle (sorted, relative to ``folder``) and what is left out, with why.

    Hidden entries (``.cache/`` of prepare's chunks, write probes, ``.ipynb_checkpoints``) are left out:
    they are rebuilt on demand and are most of a folder's file count. A symbolic link is refused: it
    could point anywhere on the machine.
    """
    files, hidden = [], {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        index = next((i for i, part in enumerate(relative.parts) if part.startswith(".")), None)
        if index is not None:
            top = Path(*relative.parts[: index + 1]).as_posix()
            hidden.setdefault(top, 0)
            hidden[top] += path.is_file()
            continue
        if path.is_symlink():
            raise InputError("a symbolic link cannot be bundled (copy the file in instead)", path)
        if path.is_file():
            files.append(relative)
    left_out = [f"{top}/ ({count} files, hidden folder)" if (folder / top).is_dir() else f"{top} (hidden file)"
                for top, count in hidden.items()]
    return files, left_out


def check_shareable(folder: Path, files: Iterable[Path]) -> None:
    """Every file of ``files`` (relative to ``folder``) is of an allowed type and holds no pickle."""
    for relative in files:
        refuse_suffix(relative.as_posix(), folder)
        if relative.suffix.lower() in ARRAY_SUFFIXES:
            refuse_pickled_arrays(folder / relative, relative.as_posix(), folder)
