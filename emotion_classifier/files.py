"""Ground helpers every stage writes and reads files with: fingerprints, atomic writes, JSON, npz.

They sit below every stage (no import of any other package module but `errors`), so datasets,
features, training, fusion, reporting and prediction all borrow them without importing each
other. An interrupted run must never leave a half-written file behind: every file is written
under a temporary name in the destination folder and moved into place with `os.replace`
(atomic on one file system).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from emotion_classifier.errors import InputError


def fingerprint(path: str | Path) -> dict[str, int | None]:
    """Size and modification time of a file (None for both when it does not exist).

    Size + mtime is what `make` and rsync trust; hashing every wav of a 16 h corpus on each
    rerun would cost more than computing its features.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return {"size": None, "mtime_ns": None}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def stable_hash(obj: Any) -> str:
    """A short hex digest of any JSON-able object, identical across processes and machines."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


FULL_DISK_ERRNOS: frozenset[int] = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG, errno.EROFS) if code is not None
)
"""Write failures that are the machine's state, not a bug: a full disk or quota, a file too large, a
read-only file system. `atomic_open` turns them into one `InputError` line naming the file."""


class DiskFullError(InputError):
    """A write refused by the machine (`FULL_DISK_ERRNOS`); ``reason`` is the system's words for it."""

    def __init__(self, reason: str, path: str | Path, kept: str = ""):
        self.reason = reason
        kept = kept or ("the previous file is kept" if Path(path).exists() else "nothing was written")
        super().__init__(f"cannot write: {reason} ({kept})", path)


@contextmanager
def atomic_open(path: str | Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary sibling of `path` for writing; move it onto `path` only on success.

    A write that fails part-way (a disk that fills up) removes the temporary file and leaves any
    previous `path` as it was; a full disk or read-only file system is an `InputError` naming `path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno not in FULL_DISK_ERRNOS:
            raise
        raise DiskFullError(exc.strerror or os.strerror(exc.errno), path) from None
    finally:
        tmp.unlink(missing_ok=True)


def temporary_sibling(path: str | Path, tag: str = "staged") -> Path:
    """A hidden name beside ``path`` for a file that will replace it later (`replace_staged`)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{tag}")


def replace_staged(staged: Mapping[Path, Path]) -> None:
    """Move every staged file (staged -> final) into place; renames within one folder need no space."""
    for tmp, final in staged.items():
        os.replace(tmp, final)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Text through `atomic_open`, so an interrupted write never leaves half a file."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def save_npz_atomic(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """`np.savez` through `atomic_open` (a file object, so numpy appends no suffix)."""
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **arrays)


def load_npz(
    path: str | Path, names: Sequence[str] | None = None, optional: Sequence[str] = (), mapped: Sequence[str] = ()
) -> dict[str, np.ndarray]:
    """Read every array of an npz (or only ``names``, KeyError when one is missing) into memory, refusing
    pickled objects; ``optional`` names are read too where the file has them (arrays added to a format
    later, which older files lack), in the same opening of the file. Arrays named in ``mapped`` are
    memory-mapped read-only instead where the file stores them uncompressed (`mapped_member`)."""
    with np.load(path, allow_pickle=False) as data:
        wanted = [*(data.files if names is None else names), *(n for n in optional if n in data.files)]
        found = {}
        for name in dict.fromkeys(wanted):
            array = mapped_member(path, data.zip.getinfo(f"{name}.npy")) if name in mapped else None
            found[name] = data[name] if array is None else array
        return found


def mapped_member(path: str | Path, member: zipfile.ZipInfo) -> np.ndarray | None:
    """A stored (uncompressed) ``.npy`` member of a zip as a read-only memory map; None when it cannot be
    one (compressed, empty, an object array: `load_npz` then reads it).

    A full-size corpus's frames are about 1 GB: mapped, the models that never read them (text, bio)
    do not hold them, the pages read stay the kernel's page cache (dropped under pressure and read again,
    shared by every process training on the same artifacts), and nothing is copied while loading. The
    artifacts are replaced by renaming, never rewritten in place, so a mapped file never changes under us.
    """
    if member.compress_type != zipfile.ZIP_STORED:
        return None
    try:
        with open(path, "rb") as handle:
            handle.seek(member.header_offset)
            local = handle.read(30)  # the local file header: its name and extra field precede the data
            if local[:4] != b"PK\x03\x04":
                return None
            handle.seek(member.header_offset + 30 + int.from_bytes(local[26:28], "little")
                        + int.from_bytes(local[28:30], "little"))  # fmt: skip
            headers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            read_header = headers.get(np.lib.format.read_magic(handle))
            if read_header is None:
                return None
            shape, fortran, dtype = read_header(handle)
            offset = handle.tell()
    except (OSError, ValueError):
        return None
    if dtype.hasobject or not np.prod(shape, dtype=np.int64):
        return None
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")


def save_npz_streamed_atomic(
    path: str | Path, name: str, pieces: Iterable[np.ndarray], shape: tuple[int, ...], arrays: Mapping[str, np.ndarray]
) -> None:
    """An npz as `np.savez` lays it out (stored ``.npy`` members), whose array ``name`` of ``shape`` is
    written piece by piece (blocks along the first axis, in order) and never held whole: a full-size
    corpus's frames, or a large encoder's layer vectors, are about 1 GB. `np.load` reads it like any npz.
    Raises ValueError when the pieces do not fill ``shape``."""
    pieces = iter(pieces)
    with atomic_open(path, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        first = next(pieces, None)
        dtype = np.dtype(np.float32) if first is None else first.dtype
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": tuple(shape)}
        rows = 0
        with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_2_0(member, header)
            for piece in _chain(first, pieces):
                if piece.dtype != dtype or piece.shape[1:] != tuple(shape[1:]):
                    raise ValueError(f"{path}: a piece of {piece.shape} {piece.dtype} does not fit {shape} {dtype}")
                member.write(np.ascontiguousarray(piece).tobytes())
                rows += len(piece)
        if rows != shape[0]:
            raise ValueError(f"{path}: the pieces hold {rows} rows, not {shape[0]}")
        for other, array in arrays.items():
            with zf.open(f"{other}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _chain(first: np.ndarray | None, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    if first is not None:
        yield first
    yield from rest


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    """A table as CSV without its index, written atomically."""
    write_text_atomic(path, frame.to_csv(index=False))


def json_safe(value: Any) -> Any:
    """JSON-ready copy: NaN as null (a bare NaN token is rejected by other readers), numpy
    scalars as Python numbers, tuples as lists, paths and other objects as their text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        return json_safe(value.item())
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def write_json(path: str | Path, data: Any) -> None:
    """JSON with non-ASCII kept readable (Korean ids and paths), NaN written as null, atomically."""
    write_text_atomic(path, json.dumps(json_safe(data), ensure_ascii=False, indent=2) + "\n")


def read_json(path: str | Path, missing: str = "file not found", expect: type | None = None) -> Any:
    """Read a JSON file, naming it (and the broken line) when it is missing or broken; ``expect``
    (``dict`` or ``list``) refuses valid JSON of another shape (``[]`` where an object belongs)."""
    path = Path(path)
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(missing, path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not a UTF-8 text file ({exc.reason})", path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", path, exc.lineno) from None
    if expect is not None and not isinstance(value, expect):
        names = {dict: "object", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}
        got = names.get(type(value), "null")
        raise InputError(f"expected a JSON {names.get(expect, expect.__name__)}, got a JSON {got}", path)
    return value


def check_writable(folder: str | Path, what: str) -> Path:
    """Create ``folder`` if needed and prove a file can be written in it, before any work starts.

    Commands used to find an unwritable output folder only at the end (``train`` after its whole
    cross-validation); a probe file written and removed here fails in a second instead. ``what`` names
    the folder's role in the one-line message ("models folder", "--out").
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{what}: is a file, expected a folder", folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise InputError(f"{what}: cannot write here ({exc.strerror or exc})", folder) from None
    return folder


def check_new_file(path: str | Path, what: str, *, overwrite: bool = False) -> Path:
    """``path`` can be written and replaces no existing file unless ``overwrite`` (checked before work).

    A previous output is someone's results: it is refused, not silently replaced, with the two ways out.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what}: is a folder, expected a file name", path)
    if path.exists() and not overwrite:
        raise InputError(f"{what}: already exists; give another name or add --overwrite", path)
    check_writable(path.parent, what)
    return path
