"""``emotion bundle``: one zip file holding an artifacts, models or run folder, and its checksums.

An artifacts folder is thousands of files, which Drive syncs slowly and a download link cannot carry;
one zip can. Its ``bundle.json`` lists every file with its size and sha256, so the machine that opens
it can prove that what it unpacked is what was packed (`bundles.unpack`).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from tqdm.auto import tqdm

from emotion_classifier.bundles.content import (
    BUNDLE_FILE,
    FORMAT,
    FORMAT_VERSION,
    KINDS,
    STORED_SUFFIXES,
    check_kind,
    check_shareable,
    folder_files,
)
from emotion_classifier.errors import InputError
from emotion_classifier.files import atomic_open, check_new_file

CHUNK = 1 << 20
PROGRESS_MIN_BYTES = 16 << 20  # below this a bar only flickers


def file_sha256(path: str | Path) -> str:
    """The sha256 of a whole file: printed by ``emotion bundle`` so a link can pin it (``LINK#sha256=HEX``)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("emotion_classifier")
    except PackageNotFoundError:
        return "unknown"


def write_bundle(folder: str | Path, kind: str, out: str | Path, *, overwrite: bool = False,
                 progress: bool = True) -> dict:
    """Pack ``folder`` (a ``kind`` of `content.KINDS`) into the zip ``out``; returns its ``bundle.json``.

    Checked before anything is written: the folder is of that kind, every file is of an allowed type
    (no pickle), ``out`` is a new file (or ``overwrite``) and is not inside ``folder``. Each file is read
    once, hashed as it is compressed; the zip is written under a temporary name and moved into place,
    so an interrupted bundle leaves no half zip behind.
    """
    if kind not in KINDS:
        raise InputError(f"unknown bundle kind {kind!r} (one of {', '.join(KINDS)})")
    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise InputError("folder not found", folder)
    check_kind(folder, kind)
    if out.resolve().is_relative_to(folder.resolve()):
        raise InputError("--out: the bundle cannot be written inside the folder it packs", out)
    check_new_file(out, "--out", overwrite=overwrite)
    files, left_out = folder_files(folder)
    check_shareable(folder, files)
    root = folder.resolve().name or kind
    total = sum((folder / f).stat().st_size for f in files)
    entries = []
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=f"bundle {root}",
               disable=not progress or total < PROGRESS_MIN_BYTES)
    with bar, atomic_open(out, "wb") as handle, zipfile.ZipFile(handle, "w", allowZip64=True) as archive:
        for relative in files:
            source = folder / relative
            info = zipfile.ZipInfo.from_file(source, f"{root}/{relative.as_posix()}")
            stored = relative.suffix.lower() in STORED_SUFFIXES
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            digest, size = hashlib.sha256(), 0
            with open(source, "rb") as src, archive.open(info, "w", force_zip64=True) as dst:
                while block := src.read(CHUNK):
                    digest.update(block)
                    dst.write(block)
                    size += len(block)
                    bar.update(len(block))
            entries.append({"path": relative.as_posix(), "size": size, "sha256": digest.hexdigest()})
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "root": root,
            "package_version": _package_version(), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "n_files": len(entries), "total_bytes": total, "files": entries, "left_out": left_out,
        }  # fmt: skip
        archive.writestr(BUNDLE_FILE, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                         compress_type=zipfile.ZIP_DEFLATED)
    return manifest
